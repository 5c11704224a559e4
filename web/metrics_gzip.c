#include "web/metrics_gzip.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/log.h"
#include "web/gzip.h"
#include "web/metrics.h"

/* A gzip body is a header, deflate blocks and a trailer (the CRC-32 and
 * length of the text, RFC 1952).  Deflate blocks that end on a full flush
 * refer to nothing before them and end on a byte boundary, so pieces
 * compressed apart can be laid end to end (as pigz does), and CRC-32s of
 * pieces combine (crc32_combine()).  The exposition is, family by family,
 * the checks' lines then the exporter's: the checks' part of each family
 * is compressed once per generation and shared; each scrape compresses
 * its own exporter samples (a few KB) and lays the two in turn.  What a
 * scrape sends is byte for byte the exposition of its moment. */

#define GZ_IN_BLOCK	(64 * 1024)
#define GZ_OUT_STEP	(64 * 1024)
#define GZ_HEADER_LEN	10

/* gzip, no name, no time, deflate, Unix. */
static const unsigned char gzip_head[GZ_HEADER_LEN] =
    { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
/* An empty final block (fixed Huffman codes: BFINAL, BTYPE 01, EOB). */
static const unsigned char gz_last_block[2] = { 0x03, 0x00 };

/* One generation's checks' part, compressed as readers ask for it
 * (whichever is ahead drives the deflate), kept until the last goes. */
struct metrics_gz {
	unsigned	 refs;
	uint64_t	 gen;
	struct metrics_stream *src;	/* NULL once all compressed */
	z_stream	 z;
	char		*in;
	size_t		 fam;		/* the family being compressed */
	struct buf	 out;		/* family f: [end[f - 1], end[f]) */
	size_t		 end[F__COUNT];
	uint32_t	 crc[F__COUNT];
	uint64_t	 len[F__COUNT];
	uint8_t		 has[F__COUNT];	/* families with checks' samples */
	int		 done;
};

/* One scrape: the shared part and its own, in turn. */
struct gz_reader {
	struct metrics_gz *g;
	struct buf	 own;		/* header, family f: [own_end[f - 1],
					 * own_end[f]), then the end */
	size_t		 own_end[F__COUNT];
	uint32_t	 own_crc[F__COUNT];
	uint64_t	 own_len[F__COUNT];
	size_t		 end_at;	/* where the end starts in own; 0: not yet */
	size_t		 seg;		/* 0 header, 1 + 2f shared f, 2 + 2f own f,
					 * 1 + 2 F__COUNT the end */
	size_t		 pos;		/* into the segment */
};

#define SEG_END		(1 + 2 * (size_t)F__COUNT)

static void __attribute__((noreturn))
gz_bug(const char *what)
{
	log_msg(LOG_ERROR, "metrics_gzip_bug", "msg=\"%s\"", what);
	abort();
}

static int
raw_deflate_init(z_stream *z)
{
	memset(z, 0, sizeof(*z));
	/* -15: raw deflate, the gzip header and trailer are ours. */
	return deflateInit2(z, GZIP_LEVEL, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY) == Z_OK ? 0 : -1;
}

/* Deflates z's input into out; with a flush, until it is all out. */
static void
deflate_into(z_stream *z, struct buf *out, int flush)
{
	do {
		buf_reserve(out, GZ_OUT_STEP);
		z->next_out = (Bytef *)out->data + out->len;
		z->avail_out = GZ_OUT_STEP;
		if (deflate(z, flush) == Z_STREAM_ERROR)
			gz_bug("deflate state broken");
		out->len += GZ_OUT_STEP - z->avail_out;
	} while (z->avail_out == 0);
}

/* Feeds n bytes; they count in *crc and *len. */
static void
deflate_feed(z_stream *z, struct buf *out, const char *p, size_t n,
    uint32_t *crc, uint64_t *len)
{
	while (n > 0) {
		uInt k = n > GZ_IN_BLOCK ? GZ_IN_BLOCK : (uInt)n;

		*crc = (uint32_t)crc32(*crc, (const Bytef *)p, k);
		*len += k;
		z->next_in = (Bytef *)(uintptr_t)p;
		z->avail_in = k;
		deflate_into(z, out, Z_NO_FLUSH);
		p += k;
		n -= k;
	}
}

static void
gz_finish(struct metrics_gz *g)
{
	g->done = 1;
	deflateEnd(&g->z);
	free(g->in);
	g->in = NULL;
	metrics_stream_free(g->src);
	g->src = NULL;
}

/* Compresses on until out holds want more bytes, or all of it. */
static void
gz_produce(struct metrics_gz *g, size_t want)
{
	size_t goal = g->out.len + want;

	while (!g->done && g->out.len < goal) {
		size_t n;

		if (g->fam == F__COUNT) {
			gz_finish(g);
			break;
		}
		if (!g->has[g->fam]) {
			g->end[g->fam++] = g->out.len;
			continue;
		}
		n = metrics_stream_read_below(g->src, g->fam + 1, g->in,
		    GZ_IN_BLOCK);
		if (n > 0) {
			deflate_feed(&g->z, &g->out, g->in, n, &g->crc[g->fam],
			    &g->len[g->fam]);
			continue;
		}
		deflate_into(&g->z, &g->out, Z_FULL_FLUSH);
		g->end[g->fam++] = g->out.len;
	}
}

static struct metrics_gz *
gz_new(struct ctx *ctx, uint64_t gen)
{
	struct metrics_gz *g = xcalloc(1, sizeof(*g));

	if (raw_deflate_init(&g->z) == -1) {
		free(g);
		return NULL;
	}
	g->refs = 1;
	g->gen = gen;
	g->src = metrics_stream_new_checks(ctx);
	for (size_t f = 0; f < F__COUNT; f++)
		g->has[f] = (uint8_t)metrics_stream_has(g->src, (enum family)f);
	g->in = xmalloc(GZ_IN_BLOCK);
	buf_init(&g->out);
	return g;
}

static void
gz_unref(struct metrics_gz *g)
{
	if (g == NULL || --g->refs > 0)
		return;
	if (!g->done)
		gz_finish(g);
	buf_free(&g->out);
	free(g);
}

/* The exporter's own samples of now, each family's compressed apart. */
static int
reader_own(struct gz_reader *r, struct ctx *ctx)
{
	struct expo tail;
	struct buf hdr;
	z_stream z;

	if (raw_deflate_init(&z) == -1)
		return -1;
	buf_init(&r->own);
	buf_append(&r->own, gzip_head, sizeof(gzip_head));
	expo_init(&tail);
	metrics_add_exporter(&tail, ctx);
	buf_init(&hdr);
	for (size_t f = 0; f < F__COUNT; f++) {
		if (tail.fam[f].len > 0) {
			buf_reset(&hdr);
			if (!r->g->has[f])
				metrics_family_header((enum family)f, &hdr);
			deflate_feed(&z, &r->own, hdr.data, hdr.len,
			    &r->own_crc[f], &r->own_len[f]);
			deflate_feed(&z, &r->own, tail.fam[f].data,
			    tail.fam[f].len, &r->own_crc[f], &r->own_len[f]);
			deflate_into(&z, &r->own, Z_FULL_FLUSH);
		}
		r->own_end[f] = r->own.len;
	}
	buf_free(&hdr);
	expo_free(&tail);
	deflateEnd(&z);
	return 0;
}

static void
put_le32(struct buf *b, uint32_t v)
{
	unsigned char p[4] = { (unsigned char)v, (unsigned char)(v >> 8),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	buf_append(b, p, sizeof(p));
}

/* The last block and the trailer, once every piece is compressed. */
static void
reader_end(struct gz_reader *r)
{
	const struct metrics_gz *g = r->g;
	uLong crc = crc32(0L, Z_NULL, 0);
	uint64_t total = 0;

	if (!g->done && g->fam < F__COUNT)
		gz_bug("the end before the shared part");
	for (size_t f = 0; f < F__COUNT; f++) {
		crc = crc32_combine(crc, g->crc[f], (z_off_t)g->len[f]);
		crc = crc32_combine(crc, r->own_crc[f], (z_off_t)r->own_len[f]);
		total += g->len[f] + r->own_len[f];
	}
	r->end_at = r->own.len;
	buf_append(&r->own, gz_last_block, sizeof(gz_last_block));
	put_le32(&r->own, (uint32_t)crc);
	put_le32(&r->own, (uint32_t)total);	/* ISIZE: modulo 2^32 */
}

/* Where the reader's segment lies: [start, stop) of *base; complete when
 * nothing more will come in it. */
static void
reader_piece(struct gz_reader *r, const char **base, size_t *start,
    size_t *stop, int *complete)
{
	const struct metrics_gz *g = r->g;
	size_t f;

	*complete = 1;
	*base = r->own.data;
	if (r->seg == 0) {
		*start = 0;
		*stop = GZ_HEADER_LEN;
	} else if (r->seg == SEG_END) {
		if (r->end_at == 0)
			reader_end(r);
		*base = r->own.data;
		*start = r->end_at;
		*stop = r->own.len;
	} else if (r->seg % 2 == 0) {
		f = (r->seg - 2) / 2;
		*start = f ? r->own_end[f - 1] : GZ_HEADER_LEN;
		*stop = r->own_end[f];
	} else {
		f = (r->seg - 1) / 2;
		*base = g->out.data;
		if (g->fam < f) {		/* not started: nothing yet */
			*start = *stop = 0;
			*complete = 0;
			return;
		}
		*start = f ? g->end[f - 1] : 0;
		*stop = g->fam > f ? g->end[f] : g->out.len;
		*complete = g->fam > f;
	}
}

static size_t
reader_read(void *arg, char *out, size_t room)
{
	struct gz_reader *r = arg;
	size_t w = 0;

	while (w < room && r->seg <= SEG_END) {
		const char *base;
		size_t start, stop, n;
		int complete;

		reader_piece(r, &base, &start, &stop, &complete);
		if (start + r->pos >= stop) {
			if (complete) {
				r->seg++;
				r->pos = 0;
			} else
				gz_produce(r->g, room - w);
			continue;
		}
		n = stop - start - r->pos;
		if (n > room - w)
			n = room - w;
		memcpy(out + w, base + start + r->pos, n);
		r->pos += n;
		w += n;
	}
	return w;
}

static void
reader_free(void *arg)
{
	struct gz_reader *r = arg;

	gz_unref(r->g);
	buf_free(&r->own);
	free(r);
}

int
metrics_gzip_stream(struct ctx *ctx, struct metrics_gz **cur,
    struct http_stream *out)
{
	uint64_t gen = metrics_cache_generation(ctx);
	struct gz_reader *r;

	if (*cur == NULL || (*cur)->gen != gen) {
		struct metrics_gz *g = gz_new(ctx, gen);

		if (g == NULL)
			return -1;
		gz_unref(*cur);
		*cur = g;
	}
	r = xcalloc(1, sizeof(*r));
	r->g = *cur;
	if (reader_own(r, ctx) == -1) {
		free(r);
		return -1;
	}
	r->g->refs++;
	*out = (struct http_stream){ HTTP_STREAM_SIZE_UNKNOWN, reader_read,
	    reader_free, r };
	return 0;
}

void
metrics_gzip_drop(struct metrics_gz **cur)
{
	gz_unref(*cur);
	*cur = NULL;
}

struct metrics_gz_info
metrics_gz_info(const struct metrics_gz *g)
{
	return (struct metrics_gz_info){ g->refs, g->gen, g->done };
}
