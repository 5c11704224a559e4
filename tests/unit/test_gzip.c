/* /metrics gzip: Accept-Encoding parsing (hostile values too), and the
 * stream: what it sends inflates back to the source, in pieces of any
 * size, and the source is read piece by piece, never whole. */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/util.h"
#include "tests/unit/unit.h"
#include "web/gzip.h"

struct src {
	const char	*data;
	size_t		 len, pos, max_read, reads;
	int		 freed;
};

static size_t
src_read(void *arg, char *buf, size_t room)
{
	struct src *s = arg;
	size_t n = s->len - s->pos;

	if (n > room)
		n = room;
	if (room > s->max_read)
		s->max_read = room;
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	s->reads++;
	return n;
}

static void
src_free(void *arg)
{
	((struct src *)arg)->freed++;
}

/* Streams text through gzip in pieces of piece bytes; inflates it back. */
static void
roundtrip(const char *text, size_t len, size_t piece, size_t *gz_len)
{
	struct src s = { text, len, 0, 0, 0, 0 };
	struct http_stream in = { len, src_read, src_free, &s }, out;
	struct buf gz, back;
	char *p = xmalloc(piece);
	size_t n;
	z_stream z;

	buf_init(&gz);
	CHECK_INT(gzip_stream_wrap(&in, &out), 0);
	CHECK(out.size == HTTP_STREAM_SIZE_UNKNOWN);
	while ((n = out.read(out.arg, p, piece)) > 0) {
		CHECK(n <= piece);
		buf_append(&gz, p, n);
	}
	CHECK_INT(out.read(out.arg, p, piece), 0);	/* stays ended */
	out.free(out.arg);
	CHECK_INT(s.freed, 1);
	CHECK(s.max_read <= 64 * 1024);
	*gz_len = gz.len;
	CHECK(gz.len >= 18 && (unsigned char)gz.data[0] == 0x1f &&
	    (unsigned char)gz.data[1] == 0x8b);
	memset(&z, 0, sizeof(z));
	CHECK_INT(inflateInit2(&z, 15 + 16), Z_OK);
	buf_init(&back);
	buf_reserve(&back, len + 1);
	z.next_in = (Bytef *)gz.data;
	z.avail_in = (uInt)gz.len;
	z.next_out = (Bytef *)back.data;
	z.avail_out = (uInt)(len + 1);
	CHECK_INT(inflate(&z, Z_FINISH), Z_STREAM_END);
	CHECK_INT(z.total_out, len);
	CHECK(memcmp(back.data, text, len) == 0);
	inflateEnd(&z);
	buf_free(&back);
	buf_free(&gz);
	free(p);
}

/* Inflates gz and compares with text. */
static void
check_inflates(const struct buf *gz, const char *text, size_t len)
{
	struct buf back;
	z_stream z;

	memset(&z, 0, sizeof(z));
	CHECK_INT(inflateInit2(&z, 15 + 16), Z_OK);
	buf_init(&back);
	buf_reserve(&back, len + 1);
	z.next_in = (Bytef *)gz->data;
	z.avail_in = (uInt)gz->len;
	z.next_out = (Bytef *)back.data;
	z.avail_out = (uInt)(len + 1);
	CHECK_INT(inflate(&z, Z_FINISH), Z_STREAM_END);
	CHECK_INT(z.total_out, len);
	CHECK(memcmp(back.data, text, len) == 0);
	inflateEnd(&z);
	buf_free(&back);
}

static struct src join_src;
static int join_made;

static int
join_src_new(void *arg, struct http_stream *st)
{
	struct src *s = arg;

	join_made++;
	s->pos = 0;
	s->freed = 0;
	*st = (struct http_stream){ s->len, src_read, src_free, s };
	return 0;
}

/* Scrapes of the same moment: one compression, read by each at its own
 * pace, from its start whenever it joins; the text read once; a scrape
 * after the end starts a new one; readers outlive the slot. */
static void
join_test(const char *text, size_t len)
{
	struct gzip_shared *slot = NULL;
	struct http_stream a, b, c, d;
	struct buf ga, gb, gc;
	char p[1000];
	size_t n;

	join_src = (struct src){ text, len, 0, 0, 0, 0 };
	join_made = 0;
	buf_init(&ga);
	buf_init(&gb);
	buf_init(&gc);
	CHECK_INT(gzip_stream_join(&slot, join_src_new, &join_src, &a), 0);
	CHECK(slot != NULL);
	CHECK_INT(gzip_stream_join(&slot, join_src_new, &join_src, &b), 0);
	CHECK_INT(join_made, 1);
	/* a runs ahead, b trails, c joins half way */
	for (int i = 0; i < 3 && (n = a.read(a.arg, p, sizeof(p))) > 0; i++)
		buf_append(&ga, p, n);
	CHECK_INT(gzip_stream_join(&slot, join_src_new, &join_src, &c), 0);
	CHECK_INT(join_made, 1);
	while ((n = b.read(b.arg, p, 7)) > 0) {
		buf_append(&gb, p, n);
		if ((n = a.read(a.arg, p, 300)) > 0)
			buf_append(&ga, p, n);
	}
	CHECK(slot == NULL);		/* all compressed: closed to joiners */
	CHECK_INT(join_src.freed, 1);	/* and the text let go */
	CHECK_INT(join_src.pos, len);	/* read once */
	while ((n = a.read(a.arg, p, sizeof(p))) > 0)
		buf_append(&ga, p, n);
	a.free(a.arg);
	b.free(b.arg);
	/* a scrape now: a new compression */
	CHECK_INT(gzip_stream_join(&slot, join_src_new, &join_src, &d), 0);
	CHECK_INT(join_made, 2);
	d.free(d.arg);			/* gone before reading: no leak (ASan) */
	CHECK(slot == NULL);
	while ((n = c.read(c.arg, p, 1)) > 0)
		buf_append(&gc, p, n);
	c.free(c.arg);
	check_inflates(&ga, text, len);
	check_inflates(&gb, text, len);
	check_inflates(&gc, text, len);
	CHECK(ga.len == gb.len && gb.len == gc.len);
	buf_free(&ga);
	buf_free(&gb);
	buf_free(&gc);
	/* the slot's owner goes first (web_free): the readers live on */
	CHECK_INT(gzip_stream_join(&slot, join_src_new, &join_src, &a), 0);
	gzip_stream_unslot(slot);
	slot = NULL;
	while (a.read(a.arg, p, sizeof(p)) > 0)
		;
	a.free(a.arg);
}

int
main(void)
{
	struct buf big;
	size_t gz_len;

	CHECK(gzip_accepted("gzip"));
	CHECK(gzip_accepted("GZip"));
	CHECK(gzip_accepted("x-gzip"));
	CHECK(gzip_accepted("deflate, gzip;q=1.0, *;q=0.5"));
	CHECK(gzip_accepted("br;q=1, gzip;q=0.001"));
	CHECK(gzip_accepted("*"));
	CHECK(gzip_accepted(" , gzip ,"));
	CHECK(gzip_accepted("gzip; Q=0.5"));
	CHECK(gzip_accepted("gzip;level=9"));
	CHECK(!gzip_accepted(NULL));
	CHECK(!gzip_accepted(""));
	CHECK(!gzip_accepted("identity"));
	CHECK(!gzip_accepted("deflate, br"));
	CHECK(!gzip_accepted("gzip;q=0"));
	CHECK(!gzip_accepted("gzip;q=0.000"));
	CHECK(!gzip_accepted("*;q=0.5, gzip;q=0"));
	CHECK(!gzip_accepted("*;q=0"));
	CHECK(!gzip_accepted("identity, *;q=0"));
	CHECK(!gzip_accepted("gzipx"));
	CHECK(!gzip_accepted("xgzip"));
	/* malformed: no, never a guess */
	CHECK(!gzip_accepted("gzip;q=2"));
	CHECK(!gzip_accepted("gzip;q=1.5"));
	CHECK(!gzip_accepted("gzip;q=0.1234"));
	CHECK(!gzip_accepted("gzip;q="));
	CHECK(!gzip_accepted("gzip;q"));
	CHECK(!gzip_accepted("gzip;=1"));
	CHECK(!gzip_accepted("gzip q=1"));
	CHECK(!gzip_accepted("gzip;q=-1"));
	CHECK(!gzip_accepted("gzip;q=.5"));
	CHECK(!gzip_accepted("gzip\x01"));
	CHECK(!gzip_accepted("\"gzip\""));
	CHECK(!gzip_accepted("gzip;a=\"b\""));
	{
		char longv[2000];

		memset(longv, ' ', sizeof(longv));
		memcpy(longv + sizeof(longv) - 6, "gzip", 5);
		CHECK(!gzip_accepted(longv));	/* over 1 KiB: not read */
	}

	/* the stream */
	roundtrip("", 0, 100, &gz_len);
	roundtrip("a", 1, 1, &gz_len);
	roundtrip("# HELP x y\n", 11, 7, &gz_len);
	buf_init(&big);
	for (int i = 0; i < 50000; i++)
		buf_printf(&big, "mailsec_probe_success{domain=\"d%d.example\","
		    "host=\"mx.d%d.example\",address=\"192.0.2.%d\",port=\"25\","
		    "protocol=\"smtp\"} %d\n", i % 977, i % 977, i % 250, i & 1);
	roundtrip(big.data, big.len, 32768, &gz_len);
	CHECK(gz_len * 8 < big.len);	/* a fraction of the text */
	roundtrip(big.data, big.len, 3, &gz_len);
	join_test(big.data, big.len);
	buf_free(&big);
	return unit_done("test_gzip");
}
