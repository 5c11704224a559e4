#include "web/metrics_cache.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/log.h"
#include "daemon/publish.h"
#include "web/metrics.h"

/* The samples of each check's published result are rendered once, in
 * compact form (web/expo.h), and kept until the scheduler publishes the
 * next (daemon/publish.h: a result is replaced whole, never changed in
 * place): a scrape renders only what was published since and not yet
 * rendered.  A text is grouped by
 * family: only the families it has samples of, ascending, fam[k] being
 * seg[fam_end[k - 1], fam_end[k]) (a check has samples of some 30 of the
 * 80-odd families).  Texts are reference
 * counted: a scrape streams from the texts it started with while the
 * cache moves on. */
struct text_arena;
struct check_text {
	unsigned	 refs;
	struct text_arena *arena;
	uint32_t	 size;			/* all of it, header included */
	uint32_t	 xlen;			/* expanded, all of it */
	unsigned	 n_fams;
	struct expo_bases bases;
	const uint8_t	*fam;			/* the families, ascending */
	const uint32_t	*fam_end;
	const char	*seg;
	/* fam_end[n_fams], base_off[n_bases + 1]; then fam[n_fams], the
	 * bases and seg */
	uint32_t	 u32[];
};

_Static_assert(F__COUNT <= 255, "family ids are bytes");

/* Texts are packed in arenas.  A stream walks every text once per family,
 * and texts allocated one by one as results come in end up scattered over
 * the heap: measured at 10,000 endpoints, that walk took twice as long.
 * When a quarter of the texts were made since the last packing, the next
 * render copies them all, in check order, into one new arena. */
struct text_arena {
	size_t		 live;		/* texts in it still referenced */
	size_t		 used, cap;
	int		 open;		/* new texts may still go here */
	_Alignas(max_align_t) unsigned char data[];
};

#define ARENA_MIN	(256 * 1024)

struct check_slot {
	const struct check_result *result;	/* published, or NULL */
	struct check_text *text;	/* NULL: not rendered since */
};

/* Lives in the ctx (the one context holds all mutable state); told of
 * every published result and list of targets. */
struct metrics_cache {
	struct ctx	*ctx;
	struct check_slot *slots;	/* in the order of the published list */
	size_t		 n_slots;
	int		 address_label;	/* the mode the texts have */
	struct expo	 scratch;	/* one check at a time; keeps its room */
	int		 scratch_ready;
	struct text_arena *arena;	/* the open one */
	size_t		 made;		/* texts made since the last packing */
	int		 scraped;	/* a stream was made: render as told */
	uint64_t	 gen;		/* moves on whenever a text may change */
};

/* Once scraped, a result is rendered when it is published, so that a
 * scrape finds the texts ready: a cold cache of 10,000 endpoints is
 * ~100 ms of rendering in a scrape's path.  Before the first scrape
 * nothing is rendered: nobody may ever read it. */
#define PACK_MIN_CHECKS	64

/* A broken invariant of this file, not a condition of the input. */
static void __attribute__((noreturn))
metrics_bug(const char *what)
{
	log_msg(LOG_ERROR, "metrics_bug", "msg=\"%s\"", what);
	abort();
}

/* Arenas are mapped, not malloc()ed: glibc would serve them from its
 * heap once its mmap threshold has risen past their size, and a heap
 * keeps what it is given back in the middle. */
static struct text_arena *
arena_new(size_t cap)
{
	size_t len = sizeof(struct text_arena) + cap;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct text_arena *a;

	if (p == MAP_FAILED) {
		log_msg(LOG_ERROR, "metrics_oom", "bytes=%zu", len);
		abort();
	}
	a = p;
	a->live = a->used = 0;
	a->cap = cap;
	a->open = 1;
	return a;
}

static void
arena_free(struct text_arena *a)
{
	munmap(a, sizeof(*a) + a->cap);
}

static void
arena_close(struct text_arena *a)
{
	a->open = 0;
	if (a->live == 0)
		arena_free(a);
}

/* Room for a text of size bytes in the open arena, or a new one. */
static struct check_text *
text_alloc(struct metrics_cache *mc, size_t size, size_t arena_cap)
{
	struct text_arena *a = mc->arena;
	struct check_text *t;

	size = (size + _Alignof(max_align_t) - 1) &
	    ~(size_t)(_Alignof(max_align_t) - 1);
	if (size > UINT32_MAX)
		metrics_bug("one check's text is over 4 GiB");
	if (a == NULL || a->cap - a->used < size) {
		if (a != NULL)
			arena_close(a);
		if (arena_cap < size)
			arena_cap = size;
		/* whole pages: the rest of the last one is room too */
		arena_cap = (sizeof(*a) + arena_cap + 4095) / 4096 * 4096 -
		    sizeof(*a);
		a = arena_new(arena_cap);
		mc->arena = a;
	}
	t = (struct check_text *)(void *)(a->data + a->used);
	a->used += size;
	a->live++;
	t->refs = 1;
	t->arena = a;
	t->size = (uint32_t)size;
	return t;
}

/* The pointers into itself, once its bytes are in place. */
static void
text_link(struct check_text *t, unsigned n_fams, unsigned n_bases,
    size_t bases_len)
{
	char *p = (char *)(t->u32 + n_fams + n_bases + 1);

	t->n_fams = n_fams;
	t->fam_end = t->u32;
	t->fam = (const uint8_t *)p;
	p += n_fams;
	t->bases = (struct expo_bases){ p, t->u32 + n_fams, n_bases };
	t->seg = p + bases_len;
}

static size_t
text_fam_start(const struct check_text *t, unsigned k)
{
	return k ? t->fam_end[k - 1] : 0;
}

static void
check_text_unref(struct check_text *t)
{
	struct text_arena *a;

	if (t == NULL || --t->refs > 0)
		return;
	a = t->arena;
	if (--a->live == 0 && !a->open)
		arena_free(a);
}

static struct check_text *
check_text_make(struct metrics_cache *mc, struct expo *e)
{
	size_t seg_len = 0, nb = e->n_bases, o = 0;
	unsigned nf = 0, k = 0;
	struct check_text *t;
	uint32_t *fam_end;
	uint8_t *fam;
	char *p;

	for (size_t f = 0; f < F__COUNT; f++)
		if (e->fam[f].len) {
			seg_len += e->fam[f].len;
			nf++;
		}
	t = text_alloc(mc, sizeof(*t) + (nf + nb + 1) * sizeof(uint32_t) +
	    nf + e->bases.len + seg_len, ARENA_MIN);
	text_link(t, nf, (unsigned)nb, e->bases.len);
	fam_end = t->u32;
	fam = (uint8_t *)t->fam;
	memcpy(t->u32 + nf, e->base_off, (nb + 1) * sizeof(uint32_t));
	if (e->bases.len)
		memcpy((char *)t->bases.data, e->bases.data, e->bases.len);
	p = (char *)t->seg;
	t->xlen = 0;
	for (size_t f = 0; f < F__COUNT; f++) {
		if (e->fam[f].len == 0)
			continue;
		memcpy(p + o, e->fam[f].data, e->fam[f].len);
		o += e->fam[f].len;
		fam[k] = (uint8_t)f;
		fam_end[k++] = (uint32_t)o;
		t->xlen += (uint32_t)expo_expanded_len((enum family)f,
		    &t->bases, e->fam[f].data, e->fam[f].len);
	}
	mc->made++;
	return t;
}

/* Copies every slot's text, in check order, into new arenas of
 * PACK_ARENA bytes: each old one goes as soon as the texts it held have
 * moved (unless a stream still reads them), so packing needs about one
 * arena more, not a second copy of everything. */
#define PACK_ARENA	(1024 * 1024)

static void
cache_pack(struct metrics_cache *mc)
{
	if (mc->arena != NULL)
		arena_close(mc->arena);
	mc->arena = NULL;
	for (size_t i = 0; i < mc->n_slots; i++) {
		struct check_text *old = mc->slots[i].text, *t;

		if (old == NULL)
			continue;
		t = text_alloc(mc, old->size, PACK_ARENA);
		t->xlen = old->xlen;
		memcpy(t->u32, old->u32, old->size -
		    offsetof(struct check_text, u32));
		text_link(t, old->n_fams, old->bases.n,
		    (size_t)(old->seg - old->bases.data));
		check_text_unref(old);
		mc->slots[i].text = t;
	}
	mc->made = 0;
}

static void
slot_render(struct metrics_cache *mc, struct check_slot *s)
{
	if (!mc->scratch_ready) {
		expo_init_compact(&mc->scratch);
		mc->scratch_ready = 1;
	}
	expo_reset(&mc->scratch);
	metrics_add_result(&mc->scratch, s->result, mc->address_label);
	check_text_unref(s->text);
	s->text = check_text_make(mc, &mc->scratch);
}

static void
cache_pack_if_scattered(struct metrics_cache *mc)
{
	if (mc->made > mc->n_slots / 4 && mc->n_slots >= PACK_MIN_CHECKS)
		cache_pack(mc);
}

/* The address label is the config's: a reload may change it. */
static void
cache_check_mode(struct metrics_cache *mc)
{
	int mode = metrics_address_mode(mc->ctx);

	if (mode == mc->address_label)
		return;
	mc->address_label = mode;
	mc->gen++;
	for (size_t i = 0; i < mc->n_slots; i++) {
		check_text_unref(mc->slots[i].text);
		mc->slots[i].text = NULL;
	}
}

static int
slot_by_result(const void *a, const void *b)
{
	const struct check_slot *x = a, *y = b;

	return x->result < y->result ? -1 : x->result > y->result;
}

/* A new list of targets: a text goes on with its result, wherever the
 * result now stands; the others go. */
static void
cache_retarget(struct metrics_cache *mc, const struct published_target *ts,
    size_t n)
{
	struct check_slot *old = mc->slots, *fresh;
	size_t n_old = mc->n_slots;

	if (n_old > 1)
		qsort(old, n_old, sizeof(*old), slot_by_result);
	fresh = xcalloc(n ? n : 1, sizeof(*fresh));
	for (size_t i = 0; i < n; i++) {
		struct check_slot key = { ts[i].result, NULL }, *found;

		fresh[i].result = ts[i].result;
		if (ts[i].result == NULL || n_old == 0)
			continue;
		found = bsearch(&key, old, n_old, sizeof(*old), slot_by_result);
		if (found != NULL && found->text != NULL) {
			fresh[i].text = found->text;
			found->text = NULL;
		}
	}
	for (size_t i = 0; i < n_old; i++)
		check_text_unref(old[i].text);
	free(old);
	mc->slots = fresh;
	mc->n_slots = n;
	mc->made = n;		/* moved about: pack when next rendered */
}

static void
cache_on_publish(void *arg, const struct publish_event *ev)
{
	struct metrics_cache *mc = arg;
	struct check_slot *s;

	if (ev->kind != PUBLISH_TARGETS && ev->kind != PUBLISH_RESULT)
		return;		/* a run began: no text changes */
	mc->gen++;
	if (ev->kind == PUBLISH_TARGETS) {
		cache_retarget(mc, ev->targets, ev->n);
		cache_check_mode(mc);
		return;
	}
	if (ev->index >= mc->n_slots)
		metrics_bug("a result published for no target");
	s = &mc->slots[ev->index];
	s->result = ev->result;
	check_text_unref(s->text);
	s->text = NULL;
	if (!mc->scraped)
		return;		/* nobody reads them (yet) */
	cache_check_mode(mc);
	slot_render(mc, s);
	cache_pack_if_scattered(mc);
}

static void
cache_release(void *arg)
{
	metrics_cache_free(arg);
}

void
metrics_cache_subscribe(struct ctx *ctx)
{
	struct metrics_cache *mc = xcalloc(1, sizeof(*mc));

	mc->ctx = ctx;
	mc->address_label = metrics_address_mode(ctx);
	if (publish_subscribe(ctx, cache_on_publish, cache_release, mc) == -1)
		metrics_bug("no room for the metrics cache's subscription");
	ctx->metrics_cache = mc;
}

void
metrics_cache_free(struct metrics_cache *mc)
{
	if (mc == NULL)
		return;
	if (mc->ctx != NULL && mc->ctx->metrics_cache == mc)
		mc->ctx->metrics_cache = NULL;
	for (size_t i = 0; i < mc->n_slots; i++)
		check_text_unref(mc->slots[i].text);
	free(mc->slots);
	if (mc->arena)
		arena_close(mc->arena);
	if (mc->scratch_ready)
		expo_free(&mc->scratch);
	free(mc);
}

/* One exposition on its way out: the texts of every check as they were
 * when it started, and the exporter's own samples of that moment.  It
 * is read in pieces of any size (MHD asks for its buffer's worth), lines
 * expanded on the way; it never holds the whole exposition. */
struct metrics_stream {
	struct check_text **texts;
	uint8_t		*cur;		/* per text: its next family */
	size_t		 n;
	struct expo	 tail;
	uint64_t	 size;
	uint8_t		 has[F__COUNT];	/* families with samples */
	/* where the reader is */
	size_t		 f;
	enum { AT_HEADER, AT_CHECKS, AT_TAIL } at;
	size_t		 i, pos;
	struct buf	 pend;		/* a header or line that did not fit */
	size_t		 pend_off;
};

static size_t
header_len(const struct family_def *d)
{
	return sizeof("# HELP  \n# TYPE  \n") - 1 + 2 * strlen(d->name) +
	    strlen(d->help) + strlen(d->type);
}

void
metrics_family_header(enum family f, struct buf *out)
{
	const struct family_def *d = family_get(f);

	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", d->name, d->help,
	    d->name, d->type);
}

uint64_t
metrics_cache_generation(struct ctx *ctx)
{
	struct metrics_cache *mc = ctx->metrics_cache;

	if (mc == NULL)
		metrics_bug("a generation without metrics_cache_subscribe()");
	cache_check_mode(mc);
	return mc->gen;
}

static struct metrics_stream *
stream_new(struct ctx *ctx, int with_exporter)
{
	struct metrics_cache *mc = ctx->metrics_cache;
	size_t n, rendered = 0;
	struct metrics_stream *s;

	if (mc == NULL)
		metrics_bug("a stream without metrics_cache_subscribe()");
	n = mc->n_slots;
	cache_check_mode(mc);
	s = xcalloc(1, sizeof(*s));
	s->texts = xreallocarray(NULL, n ? n : 1, sizeof(*s->texts));
	s->n = n;
	for (size_t i = 0; i < n; i++)
		if (mc->slots[i].text == NULL) {
			slot_render(mc, &mc->slots[i]);
			rendered++;
		}
	if (rendered > n / 2)
		mc->made = 0;	/* just made in check order: packed enough */
	else
		cache_pack_if_scattered(mc);
	mc->scraped = 1;
	for (size_t i = 0; i < n; i++) {
		s->texts[i] = mc->slots[i].text;
		s->texts[i]->refs++;
	}
	expo_init(&s->tail);
	if (with_exporter)
		metrics_add_exporter(&s->tail, ctx);
	s->cur = xcalloc(n ? n : 1, 1);
	for (size_t i = 0; i < n; i++) {
		const struct check_text *t = s->texts[i];

		s->size += t->xlen;
		for (unsigned k = 0; k < t->n_fams; k++)
			s->has[t->fam[k]] = 1;
	}
	for (size_t f = 0; f < F__COUNT; f++) {
		s->size += s->tail.fam[f].len;
		if (s->tail.fam[f].len)
			s->has[f] = 1;
		if (s->has[f])
			s->size += header_len(family_get((enum family)f));
	}
	buf_init(&s->pend);
	return s;
}

struct metrics_stream *
metrics_stream_new(struct ctx *ctx)
{
	return stream_new(ctx, 1);
}

struct metrics_stream *
metrics_stream_new_checks(struct ctx *ctx)
{
	return stream_new(ctx, 0);
}

int
metrics_stream_has(const struct metrics_stream *s, enum family f)
{
	return s->has[f];
}

uint64_t
metrics_stream_size(const struct metrics_stream *s)
{
	return s->size;
}

/* The next family with samples, from s->f on. */
static void
next_family(struct metrics_stream *s)
{
	while (s->f < F__COUNT && !s->has[s->f])
		s->f++;
}

/* A stream walks every check's text once per family; they are packed in
 * check order, and asking for the one a few ahead hides the wait. */
#define PREFETCH_AHEAD	8

size_t
metrics_stream_read(struct metrics_stream *s, char *out, size_t room)
{
	return metrics_stream_read_below(s, F__COUNT, out, room);
}

size_t
metrics_stream_read_below(struct metrics_stream *s, size_t fam_end,
    char *out, size_t room)
{
	size_t w = 0;

	while (w < room) {
		if (s->pend_off < s->pend.len) {
			size_t k = s->pend.len - s->pend_off;

			if (k > room - w)
				k = room - w;
			memcpy(out + w, s->pend.data + s->pend_off, k);
			s->pend_off += k;
			w += k;
			continue;
		}
		buf_reset(&s->pend);
		s->pend_off = 0;
		if (s->at == AT_HEADER) {
			next_family(s);
			if (s->f >= fam_end)
				break;
			metrics_family_header((enum family)s->f, &s->pend);
			s->at = AT_CHECKS;
			s->i = s->pos = 0;
		} else if (s->at == AT_CHECKS) {
			const struct check_text *t;
			size_t len, start;
			unsigned k;

			if (s->i == s->n) {
				s->at = AT_TAIL;
				s->pos = 0;
				continue;
			}
			t = s->texts[s->i];
			k = s->cur[s->i];
			if (k >= t->n_fams || t->fam[k] != s->f) {
				s->i++;		/* nothing of this family */
				continue;
			}
			if (s->pos == 0 && s->i + PREFETCH_AHEAD < s->n)
				__builtin_prefetch(s->texts[s->i + PREFETCH_AHEAD]);
			start = text_fam_start(t, k);
			len = t->fam_end[k] - start;
			if (s->pos < len) {
				size_t got = expo_expand((enum family)s->f,
				    &t->bases, t->seg + start, len, &s->pos,
				    out + w, room - w);

				w += got;
				if (got == 0)	/* the next line does not fit */
					expo_expand_line((enum family)s->f,
					    &t->bases, t->seg + start, len,
					    &s->pos, &s->pend);
			}
			if (s->pos >= len) {
				s->cur[s->i]++;
				s->i++;
				s->pos = 0;
			}
		} else {
			const struct buf *b = &s->tail.fam[s->f];
			size_t k = b->len - s->pos;

			if (k > room - w)
				k = room - w;
			if (k)
				memcpy(out + w, b->data + s->pos, k);
			s->pos += k;
			w += k;
			if (s->pos == b->len) {
				s->f++;
				s->at = AT_HEADER;
			}
		}
	}
	return w;
}

void
metrics_stream_free(struct metrics_stream *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		check_text_unref(s->texts[i]);
	free(s->texts);
	free(s->cur);
	expo_free(&s->tail);
	buf_free(&s->pend);
	free(s);
}

void
metrics_render(struct ctx *ctx, struct buf *out)
{
	struct metrics_stream *s = metrics_stream_new(ctx);
	uint64_t size = metrics_stream_size(s);
	size_t got;
	char extra;

	if (size > SIZE_MAX - 1)
		metrics_bug("exposition larger than memory");
	buf_reserve(out, (size_t)size);
	got = metrics_stream_read(s, out->data + out->len, (size_t)size);
	out->len += got;
	out->data[out->len] = '\0';
	if (got != size || metrics_stream_read(s, &extra, 1) != 0)
		metrics_bug("exposition not of the size announced");
	metrics_stream_free(s);
}
