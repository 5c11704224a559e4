/* /metrics gzip: Accept-Encoding parsing (hostile values too), and the
 * stream: what it sends inflates back to the source, in pieces of any
 * size, and the source is read piece by piece, never whole. */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "daemon/util.h"
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
	buf_free(&big);
	return unit_done("test_gzip");
}
