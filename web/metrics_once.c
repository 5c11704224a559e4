#include "web/metrics_once.h"

#include "web/expo.h"
#include "web/metrics.h"
#include "web/results.h"

static int
write_header(FILE *out, enum family f)
{
	const struct family_def *d = family_get(f);

	return fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", d->name, d->help,
	    d->name, d->type) < 0 ? -1 : 0;
}

static int
write_buf(FILE *out, const struct buf *b)
{
	return b->len && fwrite(b->data, 1, b->len, out) != b->len ? -1 : 0;
}

/* Families rendered per walk over the results at the most: a tenth of the
 * walks one family at a time would cost. */
#define ONCE_BAND	8

/* One walk's state: the band [band.only_lo, band.only_hi), whether the
 * first family's header is written (its text goes out as it grows). */
struct once_walk {
	struct ctx	*ctx;
	FILE		*out;
	const struct once_bounds *bounds;
	struct once_stats *stats;
	struct expo	 band;
	/* The exporter's own samples, read before the first walk; those of a
	 * family larger than a piece (the change table's: ~10 MB at 10,000
	 * domains) are dropped and rendered again when written, as they
	 * grow. */
	struct expo	 tail;
	unsigned char	 tail_later[F__COUNT];
	int		 first_started;
	int		 rc;
};

/* The memory the band holds for its families after the first. */
static size_t
held_bytes(const struct once_walk *w)
{
	size_t n = 0;

	for (int f = w->band.only_lo + 1; f < w->band.only_hi; f++)
		n += w->band.fam[f].cap;
	return n;
}

/* The first family's text so far goes out (it is the next in the text). */
static void
write_first(struct once_walk *w)
{
	int f = w->band.only_lo;

	if (!w->first_started && write_header(w->out, (enum family)f) == -1)
		w->rc = -1;
	w->first_started = 1;
	if (write_buf(w->out, &w->band.fam[f]) == -1)
		w->rc = -1;
	buf_reset(&w->band.fam[f]);
}

/* After a result's samples: the first family written out past a piece,
 * and the band narrowed from its end while it holds more than held_max
 * (the families dropped are rendered by a later walk). */
static void
keep_within_bounds(struct once_walk *w)
{
	const struct buf *first = &w->band.fam[w->band.only_lo];
	size_t held;

	if (first->len > 0 && first->len >= w->bounds->piece)
		write_first(w);
	held = held_bytes(w);
	while (held > w->bounds->held_max &&
	    w->band.only_hi > w->band.only_lo + 1) {
		struct buf *b = &w->band.fam[--w->band.only_hi];

		held -= b->cap;
		buf_free(b);
	}
	if (held > w->stats->held_peak)
		w->stats->held_peak = held;
}

/* A family of the exporter's own is larger than a piece: rendered again
 * when written; its text so far is dropped. */
static void
tail_defer(void *arg, enum family f, struct buf *text)
{
	struct once_walk *w = arg;

	w->tail_later[f] = 1;
	buf_reset(text);
}

/* The exporter's own samples, all but the large ones kept (never more
 * than a piece of one of them). */
static void
tail_read(struct once_walk *w)
{
	expo_init(&w->tail);
	w->tail.spill = tail_defer;
	w->tail.spill_arg = w;
	w->tail.spill_at = w->bounds->piece + 1;
	metrics_add_exporter(&w->tail, w->ctx);
	for (int f = 0; f < F__COUNT; f++)
		if (w->tail_later[f])
			buf_free(&w->tail.fam[f]);
}

static void
spill_out(void *arg, enum family f, struct buf *text)
{
	struct once_walk *w = arg;

	(void)f;
	if (write_buf(w->out, text) == -1)
		w->rc = -1;
	buf_reset(text);
}

/* A large family of the exporter's own, rendered again and written as it
 * grows. */
static void
write_tail_later(struct once_walk *w, int f)
{
	struct expo one;

	expo_init(&one);
	one.only_lo = f;
	one.only_hi = f + 1;
	one.spill = spill_out;
	one.spill_arg = w;
	one.spill_at = w->bounds->piece > 0 ? w->bounds->piece : 1;
	metrics_add_exporter(&one, w->ctx);
	if (write_buf(w->out, &one.fam[f]) == -1)
		w->rc = -1;
	expo_free(&one);
}

/* The band's families in order, each followed by the exporter's own
 * samples of it; their memory freed. */
static void
write_band(struct once_walk *w)
{
	for (int f = w->band.only_lo; f < w->band.only_hi; f++) {
		int started = f == w->band.only_lo && w->first_started;

		if (started || w->band.fam[f].len || w->tail.fam[f].len ||
		    w->tail_later[f]) {
			if (!started &&
			    write_header(w->out, (enum family)f) == -1)
				w->rc = -1;
			if (write_buf(w->out, &w->band.fam[f]) == -1 ||
			    write_buf(w->out, &w->tail.fam[f]) == -1)
				w->rc = -1;
			if (w->tail_later[f])
				write_tail_later(w, f);
		}
		buf_free(&w->band.fam[f]);
		buf_free(&w->tail.fam[f]);
	}
}

const struct once_bounds once_bounds_default = {
	.held_max = ONCE_HELD_MAX,
	.piece = ONCE_PIECE,
};

int
metrics_once_write_bounded(struct ctx *ctx, FILE *out,
    const struct once_bounds *bounds, struct once_stats *stats)
{
	int mode = metrics_address_mode(ctx);
	size_t n = 0;
	const struct published_target *pt = ctx->results == NULL ? NULL :
	    result_store_targets(ctx->results, &n);
	struct once_stats unused;
	struct once_walk w = { .ctx = ctx, .out = out, .bounds = bounds,
	    .stats = stats != NULL ? stats : &unused };

	*w.stats = (struct once_stats){ 0 };
	expo_init(&w.band);
	tail_read(&w);
	ctx_once_drop_caches(ctx);	/* read: the round is over */
	for (int lo = 0; lo < F__COUNT; lo = w.band.only_hi) {
		w.band.only_lo = lo;
		w.band.only_hi = lo + ONCE_BAND < F__COUNT ? lo + ONCE_BAND :
		    F__COUNT;
		w.first_started = 0;
		w.stats->walks++;
		for (size_t i = 0; i < n; i++) {
			metrics_add_result(&w.band, pt[i].result, mode);
			keep_within_bounds(&w);
		}
		write_band(&w);
	}
	expo_free(&w.band);
	expo_free(&w.tail);
	return w.rc;
}

int
metrics_once_write(struct ctx *ctx, FILE *out)
{
	return metrics_once_write_bounded(ctx, out, &once_bounds_default,
	    NULL);
}
