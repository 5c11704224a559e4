#include "daemon/statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATEFILE_MAGIC		"mailsec_exporter state 1"
#define FACT_LIMIT		(INT64_C(1) << 53)
#define TIME_LIMIT		(UINT64_C(1) << 40)	/* year 36812 */
#define HASH_DIGITS		12

size_t
statefile_entries_max(size_t n_targets)
{
	if (n_targets > STATEFILE_ENTRIES_LIMIT / STATEFILE_ENTRIES_PER_TARGET)
		return STATEFILE_ENTRIES_LIMIT;
	return n_targets * STATEFILE_ENTRIES_PER_TARGET > STATEFILE_ENTRIES_MAX ?
	    n_targets * STATEFILE_ENTRIES_PER_TARGET : STATEFILE_ENTRIES_MAX;
}

size_t
change_table_max(const struct change_table *t)
{
	return t->max ? t->max : STATEFILE_ENTRIES_MAX;
}

/* The bytes a state file of t's bound may be. */
static size_t
file_bytes_max(const struct change_table *t)
{
	return change_table_max(t) * STATEFILE_BYTES_PER_ENTRY;
}

void
change_table_free(struct change_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].domain);
		free(t->e[i].weak);
	}
	free(t->e);
	free(t->slot);
	t->e = NULL;
	t->slot = NULL;
	t->n = t->cap = t->n_slots = 0;
}

/* FNV-1a of domain, a NUL, record. */
static size_t
entry_hash(const char *domain, const char *record)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (const char *p = domain; *p; p++)
		h = (h ^ (unsigned char)*p) * UINT64_C(1099511628211);
	h *= UINT64_C(1099511628211);
	for (const char *p = record; *p; p++)
		h = (h ^ (unsigned char)*p) * UINT64_C(1099511628211);
	return (size_t)(h ^ (h >> 29));
}

/* The slot of (domain, record): the one holding it, or the empty one
 * where it would go.  n_slots > 0. */
static size_t
slot_of(const struct change_table *t, const char *domain, const char *record)
{
	size_t mask = t->n_slots - 1, i = entry_hash(domain, record) & mask;

	while (t->slot[i] != 0) {
		const struct change_entry *e = &t->e[t->slot[i] - 1];

		if (strcmp(e->domain, domain) == 0 &&
		    strcmp(e->record, record) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

/* Room in the index for one more entry. */
static void
index_grow(struct change_table *t)
{
	if (t->n_slots >= 2 * (t->n + 1))
		return;
	free(t->slot);
	t->n_slots = t->n_slots ? t->n_slots * 2 : 64;
	while (t->n_slots < 2 * (t->n + 1))
		t->n_slots *= 2;
	t->slot = xcalloc(t->n_slots, sizeof(*t->slot));
	for (size_t i = 0; i < t->n; i++)
		t->slot[slot_of(t, t->e[i].domain, t->e[i].record)] =
		    (uint32_t)(i + 1);
}

struct change_entry *
change_table_find(struct change_table *t, const char *domain,
    const char *record)
{
	size_t i;

	if (t->n_slots == 0)
		return NULL;
	i = slot_of(t, domain, record);
	return t->slot[i] != 0 ? &t->e[t->slot[i] - 1] : NULL;
}

struct change_weak *
change_entry_weak_add(struct change_entry *e)
{
	struct change_weak *w;

	if (e->n_weak >= CHANGE_WEAK_MAX)
		return NULL;
	if (e->weak == NULL)
		e->weak = xcalloc(CHANGE_WEAK_MAX, sizeof(*e->weak));
	w = &e->weak[e->n_weak++];
	memset(w, 0, sizeof(*w));
	return w;
}

static int
token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
	    c == '*' || c == '-';
}

int
statefile_token_ok(const char *s, int empty_ok)
{
	size_t n = strlen(s);

	if (n == 0)
		return empty_ok;
	if (n > CHANGE_NAME_MAX || strcmp(s, "-") == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!token_char(s[i]))
			return 0;
	return 1;
}

struct change_entry *
change_table_get(struct change_table *t, const char *domain,
    const char *record, int *created)
{
	struct change_entry *e;

	*created = 0;
	if ((e = change_table_find(t, domain, record)) != NULL)
		return e;
	if (t->n >= change_table_max(t) || !statefile_token_ok(domain, 1) ||
	    !statefile_token_ok(record, 0))
		return NULL;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->e = xreallocarray(t->e, t->cap, sizeof(*t->e));
	}
	index_grow(t);
	e = &t->e[t->n];
	memset(e, 0, sizeof(*e));
	{
		size_t dl = strlen(domain), rl = strlen(record);

		e->domain = xmalloc(dl + rl + 2);
		memcpy(e->domain, domain, dl + 1);
		e->record = e->domain + dl + 1;
		memcpy(e->record, record, rl + 1);
	}
	t->slot[slot_of(t, e->domain, e->record)] = (uint32_t)(t->n + 1);
	t->n++;
	*created = 1;
	return e;
}

/* The parse: one line at a time, one field at a time. */

struct sf_parse {
	const char	*p, *end;	/* the rest of the current line */
	unsigned	 line;
	char		*err;
	size_t		 errlen;
};

static int __attribute__((format(printf, 2, 3)))
sf_error(struct sf_parse *s, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(s->err, s->errlen, "line %u: %s", s->line, msg);
	return -1;
}

/* The next space-separated field into out (NUL-terminated); -1 if there
 * is none or it is longer than max. */
static int
sf_field(struct sf_parse *s, char *out, size_t max, const char *what)
{
	const char *f = s->p;
	size_t n;

	while (s->p < s->end && *s->p != ' ')
		s->p++;
	n = (size_t)(s->p - f);
	if (n == 0)
		return sf_error(s, "%s missing", what);
	if (n > max)
		return sf_error(s, "%s too long", what);
	memcpy(out, f, n);
	out[n] = '\0';
	if (s->p < s->end) {
		s->p++;		/* the one space */
		if (s->p == s->end)
			return sf_error(s, "%s", "trailing space");
	}
	return 0;
}

static int
sf_end_of_line(struct sf_parse *s)
{
	return s->p == s->end ? 0 : sf_error(s, "%s", "extra fields");
}

/* One spelling per number: no leading zero (the format is canonical). */
static int
sf_canonical(struct sf_parse *s, const char *digits, const char *what)
{
	if (digits[0] == '0' && digits[1] != '\0')
		return sf_error(s, "%s: leading zero", what);
	return 0;
}

static int
sf_token(struct sf_parse *s, char *out, int dash_empty, const char *what)
{
	if (sf_field(s, out, CHANGE_NAME_MAX, what) == -1)
		return -1;
	if (dash_empty && strcmp(out, "-") == 0) {
		out[0] = '\0';
		return 0;
	}
	if (!statefile_token_ok(out, 0))
		return sf_error(s, "bad %s", what);
	return 0;
}

static int
sf_time(struct sf_parse *s, double *out, const char *what)
{
	char f[24];
	uint64_t v;
	const char *why;

	if (sf_field(s, f, sizeof(f) - 1, what) == -1)
		return -1;
	if (sf_canonical(s, f, what) == -1)
		return -1;
	if (parse_uint(f, 0, TIME_LIMIT, &v, &why) == -1)
		return sf_error(s, "%s: %s", what, why);
	*out = (double)v;
	return 0;
}

static int
sf_fact(struct sf_parse *s, int64_t *out)
{
	char f[24];
	uint64_t v;
	const char *why, *digits = f;

	if (sf_field(s, f, sizeof(f) - 1, "fact") == -1)
		return -1;
	if (f[0] == '-')
		digits++;
	if (sf_canonical(s, digits, "fact") == -1)
		return -1;
	if (parse_uint(digits, 0, (uint64_t)FACT_LIMIT, &v, &why) == -1)
		return sf_error(s, "fact: %s", why);
	if (digits != f && v == 0)
		return sf_error(s, "%s", "fact: -0");
	*out = digits != f ? -(int64_t)v : (int64_t)v;
	return 0;
}

static int
sf_hash(struct sf_parse *s, uint64_t *out)
{
	char f[HASH_DIGITS + 1];
	uint64_t v = 0;

	if (sf_field(s, f, HASH_DIGITS, "hash") == -1)
		return -1;
	if (strlen(f) != HASH_DIGITS)
		return sf_error(s, "%s", "hash is not 12 hex digits");
	for (size_t i = 0; i < HASH_DIGITS; i++) {
		int d;

		if (f[i] >= '0' && f[i] <= '9')
			d = f[i] - '0';
		else if (f[i] >= 'a' && f[i] <= 'f')
			d = f[i] - 'a' + 10;
		else
			return sf_error(s, "%s", "hash is not lowercase hex");
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return 0;
}

static int
sf_record_line(struct sf_parse *s, struct change_table *t)
{
	char domain[CHANGE_NAME_MAX + 1], record[CHANGE_NAME_MAX + 1];
	struct change_entry e, *n;
	int created;

	memset(&e, 0, sizeof(e));
	if (sf_token(s, domain, 1, "domain") == -1 ||
	    sf_token(s, record, 0, "record") == -1 ||
	    sf_hash(s, &e.hash) == -1 ||
	    sf_time(s, &e.changed, "changed") == -1)
		return -1;
	for (size_t i = 0; i < CHANGE_FACTS; i++)
		if (sf_fact(s, &e.facts[i]) == -1)
			return -1;
	if (sf_end_of_line(s) == -1)
		return -1;
	if (change_table_find(t, domain, record) != NULL)
		return sf_error(s, "%s", "the record is there twice");
	if ((n = change_table_get(t, domain, record, &created)) == NULL)
		return sf_error(s, "%s", "too many records");
	n->hash = e.hash;
	n->changed = e.changed;
	memcpy(n->facts, e.facts, sizeof(n->facts));
	return 0;
}

static int
sf_weak_line(struct sf_parse *s, struct change_table *t)
{
	struct change_entry *e;
	struct change_weak w, *slot;

	if (t->n == 0)
		return sf_error(s, "%s", "a weakening before any record");
	e = &t->e[t->n - 1];
	if (sf_token(s, w.what, 0, "what") == -1 ||
	    sf_time(s, &w.since, "since") == -1 || sf_end_of_line(s) == -1)
		return -1;
	if (e->n_weak >= CHANGE_WEAK_MAX)
		return sf_error(s, "%s", "too many weakenings for one record");
	for (size_t i = 0; i < e->n_weak; i++)
		if (strcmp(e->weak[i].what, w.what) == 0)
			return sf_error(s, "%s", "the weakening is there twice");
	if ((slot = change_entry_weak_add(e)) == NULL)
		return sf_error(s, "%s", "too many weakenings for one record");
	*slot = w;
	return 0;
}

int
statefile_parse(const char *text, size_t len, struct change_table *t,
    char *err, size_t errlen)
{
	struct sf_parse s = { .err = err, .errlen = errlen };
	const char *p = text, *end = text + len;
	int ended = 0;

	change_table_free(t);
	if (len > file_bytes_max(t)) {
		snprintf(err, errlen, "larger than %zu bytes (%zu entries)",
		    file_bytes_max(t), change_table_max(t));
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char kind[8];

		s.line++;
		if (nl == NULL) {
			sf_error(&s, "%s", "no newline at the end (cut short?)");
			goto fail;
		}
		s.p = p;
		s.end = nl;
		for (const char *c = p; c < nl; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
				sf_error(&s, "%s", "control or non-ASCII byte");
				goto fail;
			}
		p = nl + 1;
		if (ended) {
			sf_error(&s, "%s", "text after the end line");
			goto fail;
		}
		if (s.line == 1) {
			if ((size_t)(nl - s.p) != strlen(STATEFILE_MAGIC) ||
			    memcmp(s.p, STATEFILE_MAGIC, strlen(STATEFILE_MAGIC))) {
				sf_error(&s, "%s", "not a mailsec_exporter state "
				    "file (version 1)");
				goto fail;
			}
			continue;
		}
		if (sf_field(&s, kind, sizeof(kind) - 1, "line kind") == -1)
			goto fail;
		if (strcmp(kind, "r") == 0) {
			if (sf_record_line(&s, t) == -1)
				goto fail;
		} else if (strcmp(kind, "w") == 0) {
			if (sf_weak_line(&s, t) == -1)
				goto fail;
		} else if (strcmp(kind, "end") == 0) {
			char f[24];
			uint64_t n;
			const char *why;

			if (sf_field(&s, f, sizeof(f) - 1, "count") == -1 ||
			    sf_end_of_line(&s) == -1 ||
			    sf_canonical(&s, f, "count") == -1)
				goto fail;
			if (parse_uint(f, 0, change_table_max(t), &n,
			    &why) == -1) {
				sf_error(&s, "count: %s", why);
				goto fail;
			}
			if (n != t->n) {
				sf_error(&s, "count %" PRIu64 ", but %zu records",
				    n, t->n);
				goto fail;
			}
			ended = 1;
		} else {
			sf_error(&s, "%s", "unknown line kind");
			goto fail;
		}
	}
	if (s.line == 0) {
		snprintf(err, errlen, "%s", "empty");
		goto fail;
	}
	if (!ended) {
		snprintf(err, errlen, "%s", "no end line (cut short?)");
		goto fail;
	}
	return 0;
fail:
	change_table_free(t);
	return -1;
}

static void
format_time(struct buf *b, double t)
{
	buf_printf(b, " %" PRIu64, t <= 0 ? 0 : t >= (double)TIME_LIMIT ?
	    TIME_LIMIT : (uint64_t)t);
}

static int64_t
clamp_fact(int64_t v)
{
	return v > FACT_LIMIT ? FACT_LIMIT : v < -FACT_LIMIT ? -FACT_LIMIT : v;
}

void
statefile_format(const struct change_table *t, struct buf *b)
{
	buf_puts(b, STATEFILE_MAGIC "\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct change_entry *e = &t->e[i];

		buf_printf(b, "r %s %s %012" PRIx64, e->domain[0] ? e->domain :
		    "-", e->record, e->hash & ((UINT64_C(1) << 48) - 1));
		format_time(b, e->changed);
		for (size_t f = 0; f < CHANGE_FACTS; f++)
			buf_printf(b, " %" PRId64, clamp_fact(e->facts[f]));
		buf_putc(b, '\n');
		for (size_t w = 0; w < e->n_weak; w++) {
			buf_printf(b, "w %s", e->weak[w].what);
			format_time(b, e->weak[w].since);
			buf_putc(b, '\n');
		}
	}
	buf_printf(b, "end %zu\n", t->n);
}

static unsigned
slow_hook_ms(void)
{
	const char *v = getenv("MAILSEC_TEST_STATE_SLOW_MS");
	uint64_t ms;
	const char *why;

	if (v == NULL || parse_uint(v, 0, 10000, &ms, &why) == -1)
		return 0;
	return (unsigned)ms;
}

static int
write_all(int fd, const char *p, size_t n, unsigned slow_ms)
{
	while (n > 0) {
		size_t chunk = n;
		ssize_t w;

		if (slow_ms) {		/* the test hook: a line at a time */
			const char *nl = memchr(p, '\n', n);
			struct timespec ts = { (time_t)(slow_ms / 1000),
			    (long)(slow_ms % 1000) * 1000000L };

			chunk = nl ? (size_t)(nl - p) + 1 : n;
			nanosleep(&ts, NULL);
		}
		w = write(fd, p, chunk);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int
statefile_write(const char *path, const struct change_table *t, char *err,
    size_t errlen)
{
	char tmp[PATH_MAX];
	struct buf b;
	int fd, ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s", "path too long");
		return -1;
	}
	buf_init(&b);
	statefile_format(t, &b);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		buf_free(&b);
		return -1;
	}
	ok = write_all(fd, b.data, b.len, slow_hook_ms()) == 0 &&
	    fsync(fd) == 0;
	if (!ok)
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
	if (close(fd) != 0 && ok) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		ok = 0;
	}
	buf_free(&b);
	if (ok && rename(tmp, path) != 0) {
		snprintf(err, errlen, "rename to %s: %s", path, strerror(errno));
		ok = 0;
	}
	if (!ok) {
		unlink(tmp);
		return -1;
	}
	fsync_dir_of(path);
	return 0;
}

int
statefile_read(const char *path, struct change_table *t, char *err,
    size_t errlen)
{
	struct buf b;
	const char *why;
	int r;

	change_table_free(t);
	buf_init(&b);
	errno = 0;
	if (read_file_all(path, file_bytes_max(t), &b, &why) == -1) {
		buf_free(&b);
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	r = statefile_parse(b.data ? b.data : "", b.len, t, err, errlen);
	buf_free(&b);
	return r == 0 ? 1 : -1;
}
