#include "web/gzip.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "base/util.h"

#define GZIP_IN_BLOCK	(64 * 1024)

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A qvalue: "0", "0.", "0.5", "1", "1.000" (RFC 9110 12.4.2); 1 when it is
 * above 0, 0 when it is 0, -1 when malformed.  *pp moves past it. */
static int
parse_q(const char **pp)
{
	const char *p = *pp;
	int nonzero = 0, digits = 0;

	if (*p != '0' && *p != '1')
		return -1;
	nonzero = *p == '1';
	p++;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9' && digits < 3) {
			if (*p != '0')
				nonzero = 1;
			p++;
			digits++;
		}
		if (*p >= '0' && *p <= '9')
			return -1;
		if (**pp == '1' && nonzero && digits) {
			/* 1.xxx must be 1.000 */
			for (const char *d = *pp + 2; d < p; d++)
				if (*d != '0')
					return -1;
		}
	}
	*pp = p;
	return nonzero;
}

int
gzip_accepted(const char *h)
{
	const char *p = h;
	int gzip = -1, star = -1;

	if (h == NULL || strlen(h) > 1024)
		return 0;
	for (;;) {
		const char *tok;
		size_t len;
		int q = 1;

		p = skip_ows(p);
		if (*p == ',') {		/* empty list elements are allowed */
			p++;
			continue;
		}
		if (*p == '\0')
			break;
		tok = p;
		while (is_tchar((unsigned char)*p))
			p++;
		len = (size_t)(p - tok);
		if (len == 0)
			return 0;
		p = skip_ows(p);
		while (*p == ';') {		/* parameters: only q counts */
			const char *name;

			p = skip_ows(p + 1);
			name = p;
			while (is_tchar((unsigned char)*p))
				p++;
			if (p == name || *p != '=')
				return 0;
			p++;
			if ((size_t)(p - name) == 2 && (name[0] == 'q' ||
			    name[0] == 'Q')) {
				if ((q = parse_q(&p)) == -1)
					return 0;
			} else {
				const char *v = p;

				while (is_tchar((unsigned char)*p))
					p++;
				if (p == v)
					return 0;
			}
			p = skip_ows(p);
		}
		if (*p != ',' && *p != '\0')
			return 0;
		if ((len == 4 && strncasecmp(tok, "gzip", 4) == 0) ||
		    (len == 6 && strncasecmp(tok, "x-gzip", 6) == 0))
			gzip = q;
		else if (len == 1 && *tok == '*')
			star = q;
	}
	return gzip != -1 ? gzip : star == 1;
}

/* One compression, read by one response or, for scrapes that arrive
 * while it runs, by several: the compressed bytes are kept (a few percent
 * of the text) until the last reader is done, and whichever reader is
 * ahead drives the deflate.  The text is read once, piece by piece. */
struct gzip_shared {
	struct gzip_shared **slot;	/* offers it to new readers; NULL: closed */
	struct http_stream src;		/* freed as soon as it is all read */
	z_stream	 z;
	char		*in;
	int		 src_done, done;
	struct buf	 out;		/* the compressed bytes so far */
	unsigned	 readers;
};

struct gzip_reader {
	struct gzip_shared *s;
	size_t		 off;		/* into s->out */
};

static void
shared_close(struct gzip_shared *s)
{
	if (s->slot != NULL) {
		*s->slot = NULL;
		s->slot = NULL;
	}
}

/* The compression is over: the text and zlib's state go at once. */
static void
shared_end(struct gzip_shared *s)
{
	s->done = 1;
	shared_close(s);
	deflateEnd(&s->z);
	free(s->in);
	s->in = NULL;
	if (s->src.free != NULL)
		s->src.free(s->src.arg);
	s->src.free = NULL;
}

/* At least `want` more compressed bytes in s->out, or the end. */
static void
shared_produce(struct gzip_shared *s, size_t want)
{
	uInt room = want > UINT_MAX ? UINT_MAX : (uInt)want;

	buf_reserve(&s->out, room);
	s->z.next_out = (Bytef *)s->out.data + s->out.len;
	s->z.avail_out = room;
	while (!s->done && s->z.avail_out > 0) {
		int r;

		if (s->z.avail_in == 0 && !s->src_done) {
			size_t n = s->src.read(s->src.arg, s->in, GZIP_IN_BLOCK);

			if (n == 0)
				s->src_done = 1;
			s->z.next_in = (Bytef *)s->in;
			s->z.avail_in = (uInt)n;
		}
		r = deflate(&s->z, s->src_done ? Z_FINISH : Z_NO_FLUSH);
		if (r == Z_STREAM_END || (r != Z_OK && r != Z_BUF_ERROR)) {
			/* the end, or what cannot happen with our use: end it */
			s->out.len += room - s->z.avail_out;
			shared_end(s);
			return;
		}
	}
	s->out.len += room - s->z.avail_out;
}

static size_t
reader_read(void *arg, char *buf, size_t room)
{
	struct gzip_reader *rd = arg;
	struct gzip_shared *s = rd->s;
	size_t n;

	if (rd->off == s->out.len && !s->done && room > 0)
		shared_produce(s, room);
	n = s->out.len - rd->off;
	if (n > room)
		n = room;
	if (n > 0)
		memcpy(buf, s->out.data + rd->off, n);
	rd->off += n;
	return n;
}

static void
reader_free(void *arg)
{
	struct gzip_reader *rd = arg;
	struct gzip_shared *s = rd->s;

	free(rd);
	if (--s->readers > 0)
		return;
	shared_close(s);
	if (!s->done)
		shared_end(s);
	buf_free(&s->out);
	free(s);
}

static void
reader_attach(struct gzip_shared *s, struct http_stream *out)
{
	struct gzip_reader *rd = xcalloc(1, sizeof(*rd));

	rd->s = s;
	s->readers++;
	*out = (struct http_stream){ HTTP_STREAM_SIZE_UNKNOWN, reader_read,
	    reader_free, rd };
}

static struct gzip_shared *
shared_new(const struct http_stream *src)
{
	struct gzip_shared *s = xcalloc(1, sizeof(*s));

	s->src = *src;
	/* 15 + 16: a gzip header and trailer around the deflate data. */
	if (deflateInit2(&s->z, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		src->free(src->arg);
		free(s);
		return NULL;
	}
	s->in = xmalloc(GZIP_IN_BLOCK);
	buf_init(&s->out);
	return s;
}

int
gzip_stream_wrap(const struct http_stream *src, struct http_stream *out)
{
	struct gzip_shared *s = shared_new(src);

	if (s == NULL)
		return -1;
	reader_attach(s, out);
	return 0;
}

int
gzip_stream_join(struct gzip_shared **slot,
    int (*src_new)(void *arg, struct http_stream *src), void *arg,
    struct http_stream *out)
{
	struct gzip_shared *s = *slot;
	struct http_stream src;

	if (s == NULL) {
		if (src_new(arg, &src) == -1 || (s = shared_new(&src)) == NULL)
			return -1;
		s->slot = slot;
		*slot = s;
	}
	reader_attach(s, out);
	return 0;
}

void
gzip_stream_unslot(struct gzip_shared *s)
{
	if (s != NULL)
		shared_close(s);
}
