/* util.c: the strict parsers, buf_put_double, str_trim. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/util.h"
#include "tests/unit/unit.h"

static void
check_parse_uint(void)
{
	const char *err = NULL;
	uint64_t v = 0;

	CHECK(parse_uint("0", 0, 10, &v, &err) == 0 && v == 0);
	CHECK(parse_uint("10", 0, 10, &v, &err) == 0 && v == 10);
	CHECK(parse_uint("007", 0, 10, &v, &err) == 0 && v == 7);
	CHECK(parse_uint("18446744073709551615", 0, UINT64_MAX, &v, &err) ==
	    0 && v == UINT64_MAX);

	v = 42;
	CHECK(parse_uint("18446744073709551616", 0, UINT64_MAX, &v, &err) ==
	    -1);
	CHECK_STR(err, "number too large");
	CHECK_INT(v, 42);	/* untouched on error */
	CHECK(parse_uint("99999999999999999999999", 0, UINT64_MAX, &v,
	    &err) == -1);
	CHECK_STR(err, "number too large");
	CHECK(parse_uint("11", 0, 10, &v, &err) == -1);
	CHECK_STR(err, "number too large");
	CHECK(parse_uint("4", 5, 10, &v, &err) == -1);
	CHECK_STR(err, "number too small");
	CHECK(parse_uint("", 0, 10, &v, &err) == -1);
	CHECK_STR(err, "empty number");
	CHECK(parse_uint(NULL, 0, 10, &v, &err) == -1);
	CHECK_STR(err, "empty number");
	CHECK(parse_uint("-1", 0, 10, &v, &err) == -1);
	CHECK_STR(err, "not a number");
	CHECK(parse_uint("+1", 0, 10, &v, &err) == -1);
	CHECK_STR(err, "not a number");
	CHECK(parse_uint(" 1", 0, 10, &v, &err) == -1);
	CHECK_STR(err, "not a number");
	CHECK(parse_uint("1 ", 0, 10, &v, &err) == -1);
	CHECK_STR(err, "not a number");
	CHECK(parse_uint("0x10", 0, 100, &v, &err) == -1);
	CHECK_STR(err, "not a number");
	CHECK(parse_uint("1e3", 0, 10000, &v, &err) == -1);
	CHECK_STR(err, "not a number");
	CHECK_INT(v, 42);
}

static void
check_parse_duration(void)
{
	static const struct {
		const char	*in;
		uint64_t	 ms;
	} good[] = {
		{ "5", 5000 },		/* a bare number is seconds */
		{ "0", 0 },
		{ "250ms", 250 },
		{ "10s", 10000 },
		{ "5m", 300000 },
		{ "2h", 7200000 },
		{ "1d", 86400000 },
		{ "7d", 604800000 },
		{ "168h", 604800000 },
		{ "604800000ms", 604800000 },
		{ "00010s", 10000 },
	};
	static const struct {
		const char	*in;
		const char	*err;
	} bad[] = {
		{ "", "duration must start with a number (e.g. 30s, 5m, 1h)" },
		{ "s", "duration must start with a number (e.g. 30s, 5m, 1h)" },
		{ "-1s", "duration must start with a number (e.g. 30s, 5m, 1h)" },
		{ " 5s", "duration must start with a number (e.g. 30s, 5m, 1h)" },
		{ "5x", "bad duration unit (use ms, s, m, h or d)" },
		{ "5 s", "bad duration unit (use ms, s, m, h or d)" },
		{ "5s ", "bad duration unit (use ms, s, m, h or d)" },
		{ "5S", "bad duration unit (use ms, s, m, h or d)" },
		{ "5sec", "bad duration unit (use ms, s, m, h or d)" },
		{ "1.5s", "bad duration unit (use ms, s, m, h or d)" },
		{ "1h30m", "bad duration unit (use ms, s, m, h or d)" },
		{ "8d", "duration longer than a week" },
		{ "604801s", "duration longer than a week" },
		{ "604800001ms", "number too large" },
		{ "99999999999999999999s", "number too large" },
		{ "999999999999999999999999s", "duration too large" },
	};
	const char *err;
	uint64_t ms;

	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		ms = 1;
		err = NULL;
		CHECK(parse_duration_ms(good[i].in, &ms, &err) == 0);
		CHECK_INT(ms, good[i].ms);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		ms = 1;
		err = NULL;
		CHECK(parse_duration_ms(bad[i].in, &ms, &err) == -1);
		CHECK_STR(err, bad[i].err);
		CHECK_INT(ms, 1);
	}
	CHECK(parse_duration_ms(NULL, &ms, &err) == -1);
}

/* addr_parse_host_port: s must give host and port, or fail with err_want. */
static void
check_host_port(const char *s, const char *host_want, unsigned port_want,
    const char *err_want, int line)
{
	char *host = NULL;
	uint16_t port = 0;
	const char *err = NULL;
	int rc = addr_parse_host_port(s, &host, &port, &err);

	unit_checks++;
	if (host_want ? rc != 0 || strcmp(host, host_want) != 0 ||
	    port != port_want : rc != -1 || host != NULL ||
	    strcmp(err, err_want) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: addr_parse_host_port(\"%s\"): rc %d host "
		    "\"%s\" port %u err \"%s\"\n", __FILE__, line, s, rc,
		    host ? host : "(null)", port, err ? err : "(null)");
	}
	free(host);
}
#define HOST_PORT_OK(s, h, p) check_host_port(s, h, p, NULL, __LINE__)
#define HOST_PORT_BAD(s, e) check_host_port(s, NULL, 0, e, __LINE__)

static void
check_parse_host_port(void)
{
	HOST_PORT_OK("127.0.0.1:9925", "127.0.0.1", 9925);
	HOST_PORT_OK("0.0.0.0:1", "0.0.0.0", 1);
	HOST_PORT_OK("mail.example.org:587", "mail.example.org", 587);
	HOST_PORT_OK("[::1]:25", "::1", 25);
	HOST_PORT_OK("[2001:db8::1]:65535", "2001:db8::1", 65535);
	/* No check of the host: the caller's business. */
	HOST_PORT_OK("[not v6]:25", "not v6", 25);

	HOST_PORT_BAD("::1:25", "IPv6 addresses must be written as "
	    "[address]:port");
	HOST_PORT_BAD("2001:db8::1", "IPv6 addresses must be written as "
	    "[address]:port");
	HOST_PORT_BAD("127.0.0.1", "expected host:port");
	HOST_PORT_BAD("", "expected host:port");
	HOST_PORT_BAD("[::1]", "expected [address]:port");
	HOST_PORT_BAD("[::1]25", "expected [address]:port");
	HOST_PORT_BAD("[::1", "expected [address]:port");
	HOST_PORT_BAD("127.0.0.1:0", "bad port (1-65535)");
	HOST_PORT_BAD("127.0.0.1:65536", "bad port (1-65535)");
	HOST_PORT_BAD("127.0.0.1:", "bad port (1-65535)");
	HOST_PORT_BAD("127.0.0.1:-1", "bad port (1-65535)");
	HOST_PORT_BAD("127.0.0.1:http", "bad port (1-65535)");
	HOST_PORT_BAD("[::1]:0", "bad port (1-65535)");
	HOST_PORT_BAD(":25", "empty host");
	HOST_PORT_BAD("[]:25", "empty host");
}

static void
check_put_double(void)
{
	static const struct {
		double		 v;
		const char	*want;
	} cases[] = {
		{ 0, "0" },
		{ 1, "1" },
		{ -3, "-3" },
		{ 0.5, "0.5" },
		{ 1e15, "1e+15" },
		{ 999999999999999, "999999999999999" },
		{ 1700000000, "1700000000" },
		{ 0.1, "0.1" },
		{ 0.25, "0.25" },
		{ -2.5e-7, "-2.5e-07" },
		{ 123456.789, "123456.789" },
	};
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		buf_reset(&b);
		buf_put_double(&b, cases[i].v);
		CHECK_STR(b.data, cases[i].want);
	}
	buf_reset(&b);
	buf_put_double(&b, NAN);
	CHECK_STR(b.data, "NaN");
	buf_reset(&b);
	buf_put_double(&b, INFINITY);
	CHECK_STR(b.data, "+Inf");
	buf_reset(&b);
	buf_put_double(&b, -INFINITY);
	CHECK_STR(b.data, "-Inf");
	/* Appends. */
	buf_reset(&b);
	buf_puts(&b, "x ");
	buf_put_double(&b, 2);
	CHECK_STR(b.data, "x 2");
	CHECK_INT(b.len, 3);
	buf_free(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
}

static void
check_str_trim(void)
{
	char a[] = "  \tvalue \t\r\n", b[] = "", c[] = " \t \r\n", d[] = "x",
	    e[] = "a b";

	CHECK_STR(str_trim(a), "value");
	CHECK_STR(str_trim(b), "");
	CHECK_STR(str_trim(c), "");
	CHECK_STR(str_trim(d), "x");
	CHECK_STR(str_trim(e), "a b");
	CHECK(str_ieq("SMTP", "smtp"));
	CHECK(!str_ieq("smtp", "smtps"));
}

/* Hostile text for a person: other bytes as \xNN (never '?'), cut with
 * "...", always terminated, never past the buffer. */
static void
check_text_escape(void)
{
	char out[64], small[12], tiny[8], none[4] = "abc";
	const char utf8[] = "caf\xc3\xa9 \x1b[31m\r\n";
	char big[300];

	CHECK_STR(text_escape(out, sizeof(out), "plain text", 10), "plain text");
	CHECK_STR(text_escape(out, sizeof(out), utf8, strlen(utf8)),
	    "caf\\xc3\\xa9 \\x1b[31m\\x0d\\x0a");
	CHECK(strchr(out, '?') == NULL);
	/* an embedded NUL is a byte like any other */
	CHECK_STR(text_escape(out, sizeof(out), "a\0b", 3), "a\\x00b");
	/* cut: what fits, then "...", in 12 bytes */
	CHECK_STR(text_escape(small, sizeof(small), "abcdefghijklmnop", 16),
	    "abcdefgh...");
	/* an escape is never cut in half */
	CHECK_STR(text_escape(small, sizeof(small), "abcdef\xff\xff", 8),
	    "abcdef...");
	CHECK_STR(text_escape(tiny, sizeof(tiny), "\xff\xff\xff", 3), "\\xff...");
	/* below 8 bytes nothing is written but the NUL */
	CHECK_STR(text_escape(none, sizeof(none), "xyz", 3), "");
	memset(big, 0x80, sizeof(big));
	text_escape(out, sizeof(out), big, sizeof(big));
	CHECK(strlen(out) < sizeof(out));
	CHECK(strcmp(out + strlen(out) - 3, "...") == 0);
}

int
main(void)
{
	check_parse_uint();
	check_parse_duration();
	check_parse_host_port();
	check_put_double();
	check_str_trim();
	check_text_escape();
	return unit_done("test_util");
}
