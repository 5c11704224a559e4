/* /metrics gzip: Accept-Encoding parsing (hostile values too).  The
 * compression itself is web/metrics_gzip.c's (tests/unit/test_web.c). */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "web/gzip.h"

int
main(void)
{
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

	return unit_done("test_gzip");
}
