/* base/log.c log_quote(): the one quoting function for what peers, DNS
 * answers, HTTP requests and config files say.  Whatever the value, the
 * result is one key=value token: no raw '"', blank-free or quoted, no
 * control or non-ASCII byte, bounded by the buffer. */
#include <string.h>

#include "base/log.h"
#include "tests/unit/unit.h"

/* The value a logfmt reader gets back from a token, or -1 if the token is
 * not exactly one bare word or one quoted string. */
static int
unquote(const char *tok, char *out, size_t outlen)
{
	size_t o = 0;
	const char *p = tok;

	if (*p != '"') {
		for (; *p; p++)
			if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '=' ||
			    *p == '\\' || o + 1 >= outlen)
				return -1;
		snprintf(out, outlen, "%s", tok);
		return 0;
	}
	for (p++; *p && *p != '"'; p++) {
		unsigned v;

		if ((unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f ||
		    o + 1 >= outlen)
			return -1;
		if (*p != '\\') {
			out[o++] = *p;
			continue;
		}
		p++;
		if (*p == '"' || *p == '\\')
			out[o++] = *p;
		else if (*p == 'x' && sscanf(p + 1, "%2x", &v) == 1 &&
		    strchr("0123456789abcdef", p[1]) && strchr("0123456789abcdef", p[2])) {
			out[o++] = (char)v;
			p += 2;
		} else
			return -1;
	}
	if (*p != '"' || p[1] != '\0')
		return -1;
	out[o] = '\0';
	return 0;
}

static void
roundtrip(const char *value)
{
	char q[2048], back[2048];

	log_quote(q, sizeof(q), value);
	CHECK(unquote(q, back, sizeof(back)) == 0);
	CHECK_STR(back, value);
}

int
main(void)
{
	char q[LOG_QUOTE_MAX], small[16], back[LOG_QUOTE_MAX];
	char all[256];

	/* Plain tokens stay bare. */
	CHECK_STR(log_quote(q, sizeof(q), "mx1.example.org"), "mx1.example.org");
	CHECK_STR(log_quote(q, sizeof(q), "127.0.0.1"), "127.0.0.1");
	/* Empty and NULL: an empty quoted string. */
	CHECK_STR(log_quote(q, sizeof(q), ""), "\"\"");
	CHECK_STR(log_quote(q, sizeof(q), NULL), "\"\"");
	/* The forgery attempts of a hostile banner. */
	CHECK_STR(log_quote(q, sizeof(q), "no\" fake=1"), "\"no\\\" fake=1\"");
	CHECK_STR(log_quote(q, sizeof(q), "a=b"), "\"a=b\"");
	CHECK_STR(log_quote(q, sizeof(q), "back\\slash"), "\"back\\\\slash\"");
	CHECK_STR(log_quote(q, sizeof(q), "line\nlevel=error event=forged"),
	    "\"line\\x0alevel=error event=forged\"");
	CHECK_STR(log_quote(q, sizeof(q), "cr\rtab\tesc\x1b[31m"),
	    "\"cr\\x0dtab\\x09esc\\x1b[31m\"");
	CHECK_STR(log_quote(q, sizeof(q), "caf\xc3\xa9"), "\"caf\\xc3\\xa9\"");
	CHECK_STR(log_quote(q, sizeof(q), "\x7f"), "\"\\x7f\"");
	/* Every byte value round-trips. */
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	roundtrip(all);
	roundtrip("\"\"\"\\\\\\");
	roundtrip("x\" y=\"z");
	/* Bounded: cut to fit, never in the middle of an escape, and still
	 * one quoted token. */
	log_quote(small, sizeof(small), "\"\"\"\"\"\"\"\"\"\"");
	CHECK(strlen(small) < sizeof(small));
	CHECK(unquote(small, back, sizeof(back)) == 0);
	CHECK(strstr(small, "...") != NULL);
	log_quote(small, sizeof(small), "\xff\xff\xff\xff\xff\xff");
	CHECK(strlen(small) < sizeof(small));
	CHECK(unquote(small, back, sizeof(back)) == 0);
	log_quote(small, sizeof(small), "averyveryverylongbaretoken");
	CHECK(strlen(small) < sizeof(small));
	CHECK(unquote(small, back, sizeof(back)) == 0);
	for (size_t n = 8; n < 40; n++) {
		char b[40];

		memset(b, 'Z', sizeof(b));
		log_quote(b, (unsigned)n, "x\" y=1 \xc3\xa9\n\\ and more text");
		CHECK(memchr(b, '\0', n) != NULL);
		CHECK(unquote(b, back, sizeof(back)) == 0);
		CHECK(b[n - 1] == 'Z' || b[n - 1] == '\0');
	}
	/* Too small a buffer: an empty result, not a broken one. */
	CHECK_STR(log_quote(small, 4, "x"), "");
	return unit_done("test_log");
}
