/* The web side's parsers and writers: the /probe allow-list, target and
 * timeout parsing (hostile input), JSON and HTML escaping, Basic
 * authentication (header parsing, bcrypt, the worker and its cache), the
 * plain-words reasons and the status page built from fake results. */
#include <arpa/inet.h>
#include <crypt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "daemon/config.h"
#include "daemon/ctx.h"
#include "daemon/sched.h"
#include "collectors/records.h"
#include "base/ostr.h"
#include "base/util.h"
#include "tests/unit/unit.h"
#include "web/auth.h"
#include "base/escape.h"
#include "web/json.h"
#include "daemon/publish.h"
#include "web/metrics.h"
#include "web/metrics_once.h"
#include "web/metrics_gzip.h"
#include "web/probe.h"
#include "web/results.h"
#include "web/status.h"

/* --- the allow-list -------------------------------------------------------- */

static struct allow_entry allow[16];
static size_t n_allow;

static void
allow_set(const char *const *entries)
{
	const char *why;

	for (size_t i = 0; i < n_allow; i++)
		free(allow[i].name);
	n_allow = 0;
	for (; *entries; entries++) {
		if (allow_entry_parse(*entries, &allow[n_allow], &why) == -1) {
			fprintf(stderr, "bad entry %s: %s\n", *entries, why);
			CHECK(0);
			continue;
		}
		n_allow++;
	}
}

/* 1 allowed, 0 refused, -1 the target does not parse. */
static int
allowed(const char *target, enum target_kind kind, char *why, size_t len)
{
	struct probe_target t;
	const char *err;

	if (probe_target_parse(target, strlen(target), kind, &t, &err) == -1) {
		snprintf(why, len, "%s", err);
		return -1;
	}
	return probe_allowed(allow, n_allow, &t, why, len);
}

#define ALLOWED(target) do { char w_[256] = ""; unit_checks++; \
	if (allowed(target, TARGET_ENDPOINT, w_, sizeof(w_)) != 1) { \
	unit_failures++; fprintf(stderr, "%s:%d: %s refused: %s\n", __FILE__, \
	__LINE__, target, w_); } } while (0)
#define REFUSED(target, msg) do { char w_[256] = ""; unit_checks++; \
	if (allowed(target, TARGET_ENDPOINT, w_, sizeof(w_)) != 0 || \
	(msg != NULL && strcmp(w_, msg ? msg : "") != 0)) { unit_failures++; \
	fprintf(stderr, "%s:%d: %s: got \"%s\"\n", __FILE__, __LINE__, target, \
	w_); } } while (0)

static void
check_allow(void)
{
	static const char *const list1[] = { "*.example.org", "mail.example.net",
	    "192.0.2.0/24", "2001:db8::/32", "127.0.10.80/32", "10.0.0.0/8",
	    "0.0.0.0/0", "::/0", "fe80::1/128", NULL };
	static const char *const list2[] = { "10.0.0.0/7", "fc00::/6",
	    "192.0.2.0/24", "2001:db8::/32", NULL };
	struct probe_target t;
	struct addr ip;
	struct cidr range;
	const char *why;
	char w[256];

	allow_set(list1);
	/* names: exact, and *. matching one or more labels below */
	ALLOWED("mail.example.net");
	ALLOWED("MAIL.Example.Net.");
	ALLOWED("mail.example.net:587");
	REFUSED("smtp.example.net", "target smtp.example.net is not in "
	    "probe_allow");
	REFUSED("example.net", NULL);
	ALLOWED("a.example.org");
	ALLOWED("a.b.c.example.org:25");
	REFUSED("example.org", "target example.org is not in probe_allow");
	REFUSED("badexample.org", NULL);
	REFUSED("a.example.org.evil.test", NULL);
	REFUSED("localhost", NULL);
	CHECK(allowed("x.example.org", TARGET_DOMAIN, w, sizeof(w)) == 1);
	/* CIDR v4 edges */
	ALLOWED("192.0.2.0");
	ALLOWED("192.0.2.255:25");
	ALLOWED("8.8.8.8");		/* 0.0.0.0/0 */
	/* special ranges need an entry inside them */
	ALLOWED("127.0.10.80:25");
	REFUSED("127.0.10.81:25", "target 127.0.10.81 is a loopback address: "
	    "only a CIDR inside 127.0.0.0/8 in probe_allow allows it");
	REFUSED("127.0.0.1", NULL);
	ALLOWED("10.1.2.3");		/* 10.0.0.0/8: inside the range */
	REFUSED("172.16.0.1", "target 172.16.0.1 is a private (RFC 1918) "
	    "address: only a CIDR inside 172.16.0.0/12 in probe_allow allows "
	    "it");
	REFUSED("172.31.255.255", NULL);
	ALLOWED("172.32.0.1");		/* just outside 172.16/12 */
	REFUSED("192.168.1.1", NULL);
	REFUSED("169.254.1.1", NULL);
	REFUSED("0.0.0.0", NULL);
	REFUSED("224.0.0.1", NULL);
	REFUSED("255.255.255.255", NULL);
	REFUSED("100.64.0.1", NULL);
	ALLOWED("100.128.0.1");
	/* v6 */
	ALLOWED("[2001:db8::1]:25");
	ALLOWED("2001:db8:ffff:ffff::1");
	ALLOWED("2001:db9::1");		/* ::/0 */
	REFUSED("[::1]:25", "target ::1 is a loopback address: only a CIDR "
	    "inside ::1/128 in probe_allow allows it");
	REFUSED("::", NULL);
	REFUSED("[fc00::1]:25", NULL);
	REFUSED("fd12:3456::1", NULL);
	REFUSED("ff02::1", NULL);
	REFUSED("fe80::2", NULL);
	ALLOWED("fe80::1");		/* fe80::1/128 is inside fe80::/10 */
	/* v4-mapped v6 is judged as the v4 address it reaches */
	REFUSED("[::ffff:127.0.0.1]:25", NULL);
	ALLOWED("::ffff:127.0.10.80");
	ALLOWED("[::ffff:8.8.8.8]:25");

	allow_set(list2);
	/* 10.0.0.0/7 covers 10/8 but is wider: not explicit */
	REFUSED("10.1.2.3", NULL);
	ALLOWED("11.1.2.3");
	REFUSED("fc00::1", NULL);	/* fc00::/6 is wider than fc00::/7 */
	ALLOWED("fe00::1");
	/* CIDR edges without a catch-all */
	ALLOWED("192.0.2.0");
	ALLOWED("192.0.2.255");
	REFUSED("192.0.3.0", "target 192.0.3.0 is not in probe_allow");
	REFUSED("192.0.1.255", NULL);
	ALLOWED("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	REFUSED("2001:db9::", NULL);
	REFUSED("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", NULL);
	REFUSED("8.8.8.8", NULL);
	REFUSED("mail.example.net", NULL);

	allow_set((const char *const[]){ NULL });
	REFUSED("a.example.org", "probing is off: probe_allow is empty");

	/* the table itself */
	CHECK(probe_target_parse("172.20.0.1", 10, TARGET_ENDPOINT, &t,
	    &why) == 0);
	ip.family = t.family;
	memcpy(ip.a, t.addr, sizeof(ip.a));
	CHECK_STR(addr_special(&ip, &range, NULL, NULL), "private (RFC 1918)");
	CHECK_INT(range.prefix, 12);
	CHECK(probe_target_parse("198.51.100.1", 12, TARGET_ENDPOINT, &t,
	    &why) == 0);
	ip.family = t.family;
	memcpy(ip.a, t.addr, sizeof(ip.a));
	CHECK(addr_special(&ip, &range, NULL, NULL) == NULL);
}

/* --- target parsing ----------------------------------------------------- */

static void
target_ok(int line, const char *s, enum target_kind kind, const char *host,
    unsigned port, int family)
{
	struct probe_target t;
	const char *why = "";
	int rc = probe_target_parse(s, strlen(s), kind, &t, &why);

	unit_checks++;
	if (rc != 0 || strcmp(t.host, host) != 0 || t.port != port ||
	    t.family != family) {
		unit_failures++;
		fprintf(stderr, "%s:%d: \"%s\": rc %d (%s) host \"%s\" port %u "
		    "family %d\n", __FILE__, line, s, rc, rc ? why : "", t.host,
		    t.port, t.family);
	}
}

static void
target_bad(int line, const char *s, size_t len, enum target_kind kind,
    const char *want)
{
	struct probe_target t;
	const char *why = "";
	int rc = probe_target_parse(s, len, kind, &t, &why);

	unit_checks++;
	if (rc != -1 || strcmp(why, want) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: target \"%.40s\": rc %d, \"%s\", want "
		    "\"%s\"\n", __FILE__, line, s, rc, why, want);
	}
}

#define T_OK(s, h, p, f) target_ok(__LINE__, s, TARGET_ENDPOINT, h, p, f)
#define T_BAD(s, w) target_bad(__LINE__, s, strlen(s), TARGET_ENDPOINT, w)
#define D_OK(s, h) target_ok(__LINE__, s, TARGET_DOMAIN, h, 0, 0)
#define D_BAD(s, w) target_bad(__LINE__, s, strlen(s), TARGET_DOMAIN, w)

static void
check_targets(void)
{
	char big[1100];

	T_OK("mail.example.org", "mail.example.org", 0, 0);
	T_OK("Mail.Example.ORG.:587", "mail.example.org", 587, 0);
	T_OK("192.0.2.1", "192.0.2.1", 0, AF_INET);
	T_OK("192.0.2.1:65535", "192.0.2.1", 65535, AF_INET);
	T_OK("[2001:DB8::1]:25", "2001:db8::1", 25, AF_INET6);
	T_OK("[2001:db8::1]", "2001:db8::1", 0, AF_INET6);
	T_OK("2001:db8:0:0::1", "2001:db8::1", 0, AF_INET6);
	T_OK("[::ffff:192.0.2.1]:25", "::ffff:192.0.2.1", 25, AF_INET);
	T_OK("localhost", "localhost", 0, 0);
	T_OK("xn--bcher-kva.example", "xn--bcher-kva.example", 0, 0);
	D_OK("Example.ORG.", "example.org");

	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	T_BAD(big, "target longer than 300 bytes");
	target_bad(__LINE__, "a\0b", 3, TARGET_ENDPOINT, "NUL byte in target");
	target_bad(__LINE__, "", 0, TARGET_ENDPOINT, "empty target");
	T_BAD("mail example.org", "bad character in target (use letters, "
	    "digits, '-', '.', and ':' '[' ']' for ports and IPv6)");
	T_BAD(" mail.example.org", "bad character in target (use letters, "
	    "digits, '-', '.', and ':' '[' ']' for ports and IPv6)");
	T_BAD("mail.example.org\n", "bad character in target (use letters, "
	    "digits, '-', '.', and ':' '[' ']' for ports and IPv6)");
	T_BAD("a/b", "bad character in target (use letters, digits, '-', '.', "
	    "and ':' '[' ']' for ports and IPv6)");
	T_BAD("m\xc3\xa9l.example", "bad character in target (use letters, "
	    "digits, '-', '.', and ':' '[' ']' for ports and IPv6)");
	T_BAD("a_b.example", "bad character in target (use letters, digits, "
	    "'-', '.', and ':' '[' ']' for ports and IPv6)");
	T_BAD("a..b", "empty label");
	T_BAD(".a.b", "empty label");
	T_BAD("a.b..", "empty label");
	T_BAD(".", "empty host");
	T_BAD("-a.example", "a label starts with '-'");
	T_BAD("a-.example", "a label ends with '-'");
	T_BAD("1.2.3", "neither an ip address nor a name");
	T_BAD("01.2.3.4", "neither an ip address nor a name");
	T_BAD("1.2.3.256", "neither an ip address nor a name");
	T_BAD("[::1", "missing ']'");
	T_BAD("[::1]x", "text after ']' (use [address]:port)");
	T_BAD("[::1]:[25]", "brackets go around an IPv6 address only");
	T_BAD("[1.2.3.4]:25", "not an IPv6 address in brackets");
	T_BAD("[]:25", "not an IPv6 address in brackets");
	T_BAD("[fe80::1%eth0]:25", "bad character in target (use letters, "
	    "digits, '-', '.', and ':' '[' ']' for ports and IPv6)");
	T_BAD("a[b]", "brackets go around an IPv6 address only");
	T_BAD("::1:25:x", "not an IPv6 address (write [address]:port)");
	T_BAD("a.example:0", "bad port (1-65535)");
	T_BAD("a.example:65536", "bad port (1-65535)");
	T_BAD("a.example:99999999", "bad port (1-65535)");
	T_BAD("a.example:025x", "bad port (1-65535)");
	T_BAD("a.example:", "empty port");
	T_BAD(":25", "empty host");
	T_BAD("[::1]:", "empty port");
	memset(big, 'a', 64);
	memcpy(big + 64, ".example", 9);
	T_BAD(big, "label longer than 63 characters");
	D_BAD("mail.example.org:25", "a domain target takes no port");
	D_BAD("192.0.2.1", "an ip address is not a mail domain");
	D_BAD("[::1]", "an ip address is not a mail domain");
}

/* --- the timeout header ------------------------------------------------------ */

static void
check_timeout(void)
{
	static const char *const bad[] = { "", "-1", "abc", "1e9", "0", "0.0",
	    "0.0004", " 10", "10 ", "10.", ".5", "+5", "1234567", "1,5",
	    "0x10", "1.1234567891", "inf", "NaN", "10s" };
	const char *why;
	uint64_t ms;

	CHECK(probe_timeout_parse("10", &ms, &why) == 0 && ms == 10000);
	CHECK(probe_timeout_parse("9.5", &ms, &why) == 0 && ms == 9500);
	CHECK(probe_timeout_parse("1.5", &ms, &why) == 0 && ms == 1500);
	CHECK(probe_timeout_parse("0.001", &ms, &why) == 0 && ms == 1);
	CHECK(probe_timeout_parse("2.123456789", &ms, &why) == 0 && ms == 2123);
	CHECK(probe_timeout_parse("999999", &ms, &why) == 0 &&
	    ms == 999999000ULL);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		unit_checks++;
		if (probe_timeout_parse(bad[i], &ms, &why) != -1) {
			unit_failures++;
			fprintf(stderr, "%s:%d: timeout \"%s\" accepted\n",
			    __FILE__, __LINE__, bad[i]);
		}
	}
	CHECK(probe_timeout_parse(NULL, &ms, &why) == -1);
	/* header minus offset, capped, floored */
	CHECK_INT(probe_timeout_effective(1, 1500, 500, 10000), 1000);
	CHECK_INT(probe_timeout_effective(1, 30000, 500, 10000), 10000);
	CHECK_INT(probe_timeout_effective(0, 0, 500, 10000), 10000);
	CHECK_INT(probe_timeout_effective(1, 400, 500, 10000), 100);
	CHECK_INT(probe_timeout_effective(1, 550, 500, 10000), 100);
	CHECK_INT(probe_timeout_effective(1, 10000, 0, 10000), 10000);
}

/* --- JSON and HTML ------------------------------------------------------------ */

static void
json_is(int line, const char *in, size_t n, const char *want)
{
	struct buf b;

	buf_init(&b);
	json_escape(&b, in, n);
	unit_checks++;
	if (strcmp(b.data, want) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: json %s, want %s\n", __FILE__, line,
		    b.data, want);
	}
	buf_free(&b);
}

#define JSON_IS(in, want) json_is(__LINE__, in, sizeof(in) - 1, want)

static void
html_is(int line, const char *in, size_t n, const char *want)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "");
	html_escapen(&b, in, n);
	unit_checks++;
	if (strcmp(b.data, want) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: html \"%s\", want \"%s\"\n", __FILE__,
		    line, b.data, want);
	}
	buf_free(&b);
}

#define HTML_IS(in, want) html_is(__LINE__, in, sizeof(in) - 1, want)
#define FFFD "\xef\xbf\xbd"

static void
check_escaping(void)
{
	struct json j;
	struct buf b;
	uint32_t cp;

	JSON_IS("plain", "\"plain\"");
	JSON_IS("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	JSON_IS("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
	JSON_IS("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	JSON_IS("a\0b", "\"a\\u0000b\"");
	JSON_IS("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92",
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92\"");
	JSON_IS("\xff", "\"\\ufffd\"");
	JSON_IS("a\x80z", "\"a\\ufffdz\"");
	JSON_IS("\xc0\xaf", "\"\\ufffd\\ufffd\"");		/* overlong '/' */
	JSON_IS("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");	/* overlong */
	JSON_IS("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
	JSON_IS("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	JSON_IS("\xe2\x82", "\"\\ufffd\\ufffd\"");		/* cut short */
	JSON_IS("\xe2\x80\xa8", "\"\\u2028\"");
	buf_init(&b);
	json_escape(&b, NULL, 0);
	CHECK_STR(b.data, "null");
	buf_free(&b);

	CHECK(utf8_next((const unsigned char *)"\xf0\x9f\x94\x92", 4, &cp) == 4
	    && cp == 0x1f512);
	CHECK(utf8_next((const unsigned char *)"\xf0\x9f\x94", 3, &cp) == 0);
	CHECK(utf8_next((const unsigned char *)"\xc2\x80", 2, &cp) == 2 &&
	    cp == 0x80);
	CHECK(utf8_next((const unsigned char *)"\xc1\xbf", 2, &cp) == 0);

	/* the writer: commas, nesting, numbers */
	buf_init(&b);
	json_init(&j, &b);
	json_obj_open(&j);
	json_kstr(&j, "a", "x");
	json_key(&j, "list");
	json_arr_open(&j);
	json_int(&j, 1);
	json_num(&j, 2.5);
	json_num(&j, NAN);
	json_num(&j, INFINITY);
	json_str(&j, NULL);
	json_obj_open(&j);
	json_obj_close(&j);
	json_arr_open(&j);
	json_arr_close(&j);
	json_bool(&j, 1);
	json_arr_close(&j);
	json_ktri(&j, "t", -1);
	json_ktri(&j, "f", 0);
	json_kint(&j, "big", -9007199254740993LL);
	json_strn(&j, "ignored\"key", 0);	/* an empty string value */
	json_obj_close(&j);
	CHECK_STR(b.data, "{\"a\":\"x\",\"list\":[1,2.5,null,null,null,{},[],"
	    "true],\"t\":null,\"f\":false,\"big\":-9007199254740993,\"\"}");
	buf_free(&b);

	HTML_IS("<script>alert('x')</script>&\"",
	    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
	HTML_IS("caf\xc3\xa9", "caf\xc3\xa9");
	HTML_IS("a\xffz", "a" FFFD "z");
	HTML_IS("a\x01z\tq\nr", "a" FFFD "z\tq\nr");
	HTML_IS("\xc2\x85", FFFD);	/* C1 control */
	HTML_IS("x\0y", "x" FFFD "y");
	HTML_IS("\xe2\x82", FFFD FFFD);

	buf_init(&b);
	buf_puts(&b, "");
	url_escape(&b, "[2001:db8::1]:25 a/b%~._-Z");
	CHECK_STR(b.data, "%5B2001%3Adb8%3A%3A1%5D%3A25%20a%2Fb%25~._-Z");
	buf_free(&b);
}

/* --- Basic authentication ---------------------------------------------------------- */

static int
parse(const char *hdr, char *user, char *pass)
{
	return auth_parse_header(hdr, user, AUTH_USER_MAX, pass, AUTH_PASS_MAX);
}

static void
check_auth_header(void)
{
	char user[AUTH_USER_MAX], pass[AUTH_PASS_MAX], *huge;
	static const char *const bad[] = {
		NULL, "", "Basic", "Basic ", "Bearer dXNlcjpwYXNz",
		"BasicdXNlcjpwYXNz", "Basic dXNlcjpwYXNz!",
		"Basic dXNlcjpwYXN", "Basic dXNlcjpwYXN=",	/* bits set */
		"Basic dXNlcjpwYXNz====", "Basic dXNl cjpwYXNz",
		"Basic =XNlcjpwYXNz", "Basic dXNlcnBhc3M=",	/* no ':' */
		"Basic dQBzZXI6cGFzcw==",	/* NUL in the user */
		"Basic dXNlcjpwAGFzcw==",	/* NUL in the password */
		"Basic dXNlcjpwYXNz\n",
	};

	CHECK(parse("Basic dXNlcjpwYXNz", user, pass) == 0);
	CHECK_STR(user, "user");
	CHECK_STR(pass, "pass");
	CHECK(parse("  basic \t dXNlcjpwYXNz  ", user, pass) == 0);
	CHECK_STR(pass, "pass");
	CHECK(parse("BASIC dXNlcjpwYTpzcw==", user, pass) == 0);	/* pa:ss */
	CHECK_STR(user, "user");
	CHECK_STR(pass, "pa:ss");
	CHECK(parse("Basic dXNlcjo=", user, pass) == 0);		/* user: */
	CHECK_STR(pass, "");
	CHECK(parse("Basic OnBhc3M=", user, pass) == 0);		/* :pass */
	CHECK_STR(user, "");
	CHECK(parse("Basic dXNlcjpww6k=", user, pass) == 0);		/* pé */
	CHECK_STR(pass, "p\xc3\xa9");
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		unit_checks++;
		if (parse(bad[i], user, pass) != -1) {
			unit_failures++;
			fprintf(stderr, "%s:%d: header \"%s\" accepted\n",
			    __FILE__, __LINE__, bad[i] ? bad[i] : "(null)");
		}
	}
	/* A header longer than AUTH_HEADER_MAX, and a valid one whose user
	 * does not fit the buffer. */
	huge = xmalloc(70000);
	memcpy(huge, "Basic ", 6);
	memset(huge + 6, 'A', 70000 - 7);
	huge[70000 - 1] = '\0';
	CHECK(parse(huge, user, pass) == -1);
	huge[6 + 1000] = '\0';		/* 1000 'A's: decodes, no ':' */
	CHECK(parse(huge, user, pass) == -1);
	free(huge);
	CHECK(auth_parse_header("Basic dXNlcjpwYXNz", user, 4, pass, 8) == -1);
	CHECK(auth_parse_header("Basic dXNlcjpwYXNz", user, 5, pass, 4) == -1);
	CHECK(auth_parse_header("Basic dXNlcjpwYXNz", user, 5, pass, 5) == 0);
}

static int cb_calls, cb_ok;

static void
auth_cb(int ok, void *arg)
{
	struct event_base *base = arg;

	cb_calls++;
	cb_ok = ok;
	event_base_loopbreak(base);
}

static void
count_cb(int ok, void *arg)
{
	(void)ok;
	(*(int *)arg)++;
}

/* Runs the loop until the callback came (at most 20 s). */
static void
wait_cb(struct event_base *base)
{
	struct timeval tv = { 20, 0 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* A client address for auth_check: 192.0.2.i (i < 256). */
static const struct sockaddr *
client(unsigned i)
{
	static struct sockaddr_in sin[256];

	sin[i].sin_family = AF_INET;
	sin[i].sin_addr.s_addr = htonl(0xc0000200u | i);
	return (const struct sockaddr *)&sin[i];
}

/* "Basic " and the base64 of "user:pass<i>" (a few at a time). */
static const char *
basic(const char *user, const char *pass, int i)
{
	static char out[4][400];
	static unsigned k;
	char in[256];
	int n = snprintf(in, sizeof(in), "%s:%s%d", user, pass, i);
	char *o = out[k++ % 4];

	memcpy(o, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)o + 6, (const unsigned char *)in, n);
	return o;
}

static uint64_t fake_now;

static uint64_t
fake_clock(void)
{
	return fake_now;
}

static void
check_bcrypt(void)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE], *made, header[128];
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	struct event_base *base = event_base_new();
	struct auth_user users[2];
	struct auth_job *job;
	struct auth *a;
	struct buf b;
	const char *hash;
	char err[128];

	CHECK(crypt_gensalt_rn("$2b$", 4, NULL, 0, setting,
	    (int)sizeof(setting)) != NULL);
	hash = crypt_rn("s3cret pass", setting, cd, (int)sizeof(*cd));
	CHECK(hash != NULL && strncmp(hash, "$2b$04$", 7) == 0 &&
	    strlen(hash) == 60);
	if (hash == NULL)
		return;
	CHECK(auth_verify_password("s3cret pass", hash) == 1);
	CHECK(auth_verify_password("s3cret pasS", hash) == 0);
	CHECK(auth_verify_password("", hash) == 0);
	CHECK(auth_verify_password("s3cret pass", "$2b$04$short") == 0);
	CHECK(auth_verify_password("s3cret pass", "*0") == 0);
	made = auth_hash_password("another", 4);
	CHECK(made != NULL && strncmp(made, "$2b$04$", 7) == 0);
	CHECK(made && auth_verify_password("another", made) == 1);
	CHECK(made && auth_verify_password("anothe", made) == 0);

	/* The worker, on a loop; the config takes such a hash too. */
	users[0].name = "prometheus";
	users[0].hash = (char *)hash;
	users[1].name = "other";
	users[1].hash = made;
	a = auth_new(base, err, sizeof(err));
	CHECK(a != NULL);
	if (a == NULL)
		return;
	buf_init(&b);
	CHECK(auth_check(a, users, 2, NULL, client(1), auth_cb, base, &job) ==
	    AUTH_DENIED);
	CHECK(auth_check(a, users, 2, "Basic !!", client(1), auth_cb, base, &job) ==
	    AUTH_DENIED);
	/* prometheus:s3cret pass */
	snprintf(header, sizeof(header), "Basic %s",
	    "cHJvbWV0aGV1czpzM2NyZXQgcGFzcw==");
	cb_calls = 0;
	CHECK(auth_check(a, users, 2, header, client(1), auth_cb, base, &job) ==
	    AUTH_PENDING && job != NULL);
	wait_cb(base);
	CHECK(cb_calls == 1 && cb_ok == 1);
	/* remembered now: answered at once */
	CHECK(auth_check(a, users, 2, header, client(1), auth_cb, base, &job) ==
	    AUTH_OK);
	/* a wrong password: verified, refused, not remembered */
	cb_calls = 0;
	CHECK(auth_check(a, users, 2, "Basic cHJvbWV0aGV1czpzM2NyZXQ=",
	    client(1), auth_cb, base, &job) == AUTH_PENDING);
	wait_cb(base);
	CHECK(cb_calls == 1 && cb_ok == 0);
	/* an unknown user with another user's password: refused */
	cb_calls = 0;
	CHECK(auth_check(a, users, 2, "Basic bm9ib2R5OmFub3RoZXI=", client(1), auth_cb,
	    base, &job) == AUTH_PENDING);		/* nobody:another */
	wait_cb(base);
	CHECK(cb_calls == 1 && cb_ok == 0);
	/* other:another, then the same with its hash changed: the entry
	 * remembered for the old hash does not match. */
	cb_calls = 0;
	CHECK(auth_check(a, users, 2, "Basic b3RoZXI6YW5vdGhlcg==", client(1), auth_cb,
	    base, &job) == AUTH_PENDING);
	wait_cb(base);
	CHECK(cb_calls == 1 && cb_ok == 1);
	CHECK(auth_check(a, users, 2, "Basic b3RoZXI6YW5vdGhlcg==", client(1), auth_cb,
	    base, &job) == AUTH_OK);
	users[1].hash = (char *)hash;
	CHECK(auth_check(a, users, 2, "Basic b3RoZXI6YW5vdGhlcg==", client(1), auth_cb,
	    base, &job) == AUTH_PENDING);
	auth_cancel(a, job);		/* no callback for it */
	{	/* it may be running: let it come back (cost 4: ~1 ms) */
		struct timeval tv = { 0, 300000 };

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	CHECK_INT(cb_calls, 1);
	/* Limits: a client has AUTH_PER_CLIENT_MAX checks pending;
	 * strangers get AUTH_QUEUE_MAX - AUTH_QUEUE_RESERVED places; client 1
	 * logged in above, so it is trusted and gets the rest; unknown users
	 * take no place (no verification), and are busy like anyone else
	 * when their client is, so a 503 does not tell which names exist. */
	for (int i = 0; i < AUTH_PER_CLIENT_MAX; i++)
		CHECK(auth_check(a, users, 2, basic("other", "wrong", i),
		    client(100), auth_cb, base, &job) == AUTH_PENDING);
	CHECK(auth_check(a, users, 2, basic("other", "wrong", 99), client(100),
	    auth_cb, base, &job) == AUTH_BUSY && job == NULL);
	CHECK(auth_check(a, users, 2, basic("nobody", "x", 0), client(100),
	    auth_cb, base, &job) == AUTH_BUSY);
	for (int i = 0; i < 5; i++)	/* unknown users: no place taken */
		CHECK(auth_check(a, users, 2, basic("nobody", "x", i),
		    client(50 + (unsigned)i), auth_cb, base, &job) ==
		    AUTH_PENDING);
	for (int i = AUTH_PER_CLIENT_MAX;
	    i < AUTH_QUEUE_MAX - AUTH_QUEUE_RESERVED; i++)
		CHECK(auth_check(a, users, 2, basic("other", "wrong", i),
		    client(110 + (unsigned)i), auth_cb, base, &job) ==
		    AUTH_PENDING);
	CHECK(auth_check(a, users, 2, basic("other", "wrong", 200),
	    client(200), auth_cb, base, &job) == AUTH_BUSY);	/* strangers */
	CHECK(auth_check(a, users, 2, basic("nobody", "x", 201), client(201),
	    auth_cb, base, &job) == AUTH_BUSY);
	/* the same credentials as a pending check: they wait for its answer */
	CHECK(auth_check(a, users, 2, basic("other", "wrong", 0), client(201),
	    auth_cb, base, &job) == AUTH_PENDING);
	auth_cancel(a, job);
	CHECK(auth_check(a, users, 2, basic("other", "wrong", 300), client(1),
	    auth_cb, base, &job) == AUTH_PENDING);	/* trusted: reserved */
	auth_cancel(a, job);
	CHECK(auth_check(a, users, 2, basic("other", "wrong", 301), client(1),
	    auth_cb, base, &job) == AUTH_PENDING);
	cb_calls = 0;
	auth_free(a);
	CHECK_INT(cb_calls, 0);
	buf_free(&b);
	free(made);
	free(cd);
	event_base_free(base);
}

/* The remembered success: used within AUTH_CACHE_TTL_MS it stays (sliding),
 * but not past AUTH_CACHE_MAX_AGE_MS however often it is used. */
static void
check_auth_cache(void)
{
	struct event_base *base = event_base_new();
	char *hash = auth_hash_password("s3cret pass", 4), err[128];
	/* prometheus:s3cret pass */
	const char *hdr = "Basic cHJvbWV0aGV1czpzM2NyZXQgcGFzcw==";
	struct auth_user users[1];
	struct auth_job *job;
	struct auth *a;
	uint64_t t0;

	CHECK(hash != NULL);
	a = auth_new(base, err, sizeof(err));
	CHECK(a != NULL);
	if (a == NULL || hash == NULL)
		return;
	users[0].name = "prometheus";
	users[0].hash = hash;
	fake_now = t0 = 1000000;
	auth_set_clock(a, fake_clock);
	cb_calls = 0;
	CHECK(auth_check(a, users, 1, hdr, client(7), auth_cb, base, &job) ==
	    AUTH_PENDING);
	wait_cb(base);
	CHECK(cb_calls == 1 && cb_ok == 1);
	/* every TTL - 1 ms: still there, well past the TTL after the login */
	for (int i = 1; i <= 5; i++) {
		fake_now = t0 + (uint64_t)i * (AUTH_CACHE_TTL_MS - 1);
		CHECK(auth_check(a, users, 1, hdr, client(7), auth_cb, base,
		    &job) == AUTH_OK);
	}
	/* unused for a TTL: gone */
	fake_now += AUTH_CACHE_TTL_MS;
	CHECK(auth_check(a, users, 1, hdr, client(7), auth_cb, base, &job) ==
	    AUTH_PENDING);
	wait_cb(base);
	CHECK(cb_calls == 2 && cb_ok == 1);
	/* used every minute: gone at the hard maximum age all the same */
	t0 = fake_now;
	while (fake_now + 60000 < t0 + AUTH_CACHE_MAX_AGE_MS) {
		fake_now += 60000;
		if (auth_check(a, users, 1, hdr, client(7), auth_cb, base,
		    &job) != AUTH_OK) {
			CHECK(!"the entry went before its maximum age");
			break;
		}
	}
	fake_now = t0 + AUTH_CACHE_MAX_AGE_MS;
	CHECK(auth_check(a, users, 1, hdr, client(7), auth_cb, base, &job) ==
	    AUTH_PENDING);
	wait_cb(base);
	CHECK(cb_calls == 3 && cb_ok == 1);
	/* 20 requests at once with new credentials, as Prometheus starting
	 * its /probe scrapes: one verification answers them all, and one
	 * that goes away is not called. */
	{
		struct auth_job *jobs[20];
		char h[128];

		users[0].hash = (char *)"$2b$04$abcdefghijklmnopqrstuu"
		    "abcdefghijklmnopqrstuvwxyz012";	/* verifies nothing */
		snprintf(h, sizeof(h), "%s", basic("prometheus", "new", 1));
		cb_calls = 0;
		for (int i = 0; i < 20; i++)
			CHECK(auth_check(a, users, 1, h, client(8), count_cb,
			    &cb_calls, &jobs[i]) == AUTH_PENDING);
		auth_cancel(a, jobs[5]);
		for (int i = 0; i < 50 && cb_calls < 19; i++)
			event_base_loop(base, EVLOOP_ONCE);
		CHECK_INT(cb_calls, 19);
		users[0].hash = hash;
	}
	auth_free(a);
	free(hash);
	event_base_free(base);
}

/* --- plain words and the status page ------------------------------------------- */

static void
words_are(int line, enum protocol p, enum probe_step step,
    enum probe_reason reason, enum probe_cause cause, int alert,
    const char *detail, const char *want)
{
	struct endpoint_result ep;
	char out[300];

	memset(&ep, 0, sizeof(ep));
	ep.protocol = p;
	ep.out = &probe_outcome_none;
	endpoint_outcome_edit(&ep)->fail_step = step;
	endpoint_outcome_edit(&ep)->reason = reason;
	endpoint_outcome_edit(&ep)->cause = cause;
	endpoint_outcome_edit(&ep)->tls_alert = alert;
	probe_str_printf(&endpoint_outcome_edit(&ep)->detail, 256, "%s", detail);
	failure_words(&ep, out, sizeof(out));
	endpoint_set_outcome(&ep, &probe_outcome_none);
	unit_checks++;
	if (strcmp(out, want) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: \"%s\", want \"%s\"\n", __FILE__, line,
		    out, want);
	}
}

/* The words come from the class (reason and cause), never from the
 * detail: a detail that says otherwise changes nothing. */
#define WORDS(p, s, r, c, d, w) words_are(__LINE__, p, s, r, c, -1, d, w)
#define WORDS_ALERT(p, s, c, a, d, w) \
	words_are(__LINE__, p, s, REASON_TLS, c, a, d, w)

static void
check_words(void)
{
	WORDS(PROTO_SMTP, STEP_CONNECT, REASON_CONN, CAUSE_REFUSED,
	    "connect: Connection refused", "connection refused");
	WORDS(PROTO_SMTP, STEP_CONNECT, REASON_CONN, CAUSE_NO_ROUTE,
	    "connect: No route to host", "no route to the host");
	WORDS(PROTO_SMTP, STEP_CONNECT, REASON_CONN, CAUSE_NET_UNREACHABLE,
	    "refused", "the network is unreachable");
	WORDS(PROTO_SMTP, STEP_CONNECT, REASON_CONN, CAUSE_SOCKET,
	    "connect: Permission denied",
	    "cannot connect (connect: Permission denied)");
	WORDS(PROTO_SMTP, STEP_EHLO, REASON_CONN, CAUSE_CLOSED,
	    "connection reset", "the server closed the connection at EHLO");
	WORDS(PROTO_SMTP, STEP_EHLO, REASON_CONN, CAUSE_RESET,
	    "read: Connection reset by peer",
	    "the server reset the connection at EHLO");
	WORDS(PROTO_SMTP, STEP_CONNECT, REASON_TIMEOUT, CAUSE_NO_SLOT,
	    "still waiting for a free probe slot",
	    "the connection timed out (still waiting for a free probe slot)");
	WORDS(PROTO_SMTP, STEP_CONNECT, REASON_TIMEOUT, CAUSE_TIMEOUT, "slot",
	    "the connection timed out");
	WORDS(PROTO_SMTP, STEP_EHLO, REASON_STARTTLS_MISSING, CAUSE_NONE, "",
	    "STARTTLS is not offered (EHLO)");
	WORDS(PROTO_IMAP, STEP_EHLO, REASON_STARTTLS_MISSING, CAUSE_NONE, "",
	    "STARTTLS is not offered (CAPABILITY)");
	WORDS(PROTO_POP3, STEP_EHLO, REASON_STARTTLS_MISSING, CAUSE_NONE, "",
	    "STLS is not offered (CAPA)");
	WORDS(PROTO_SMTP, STEP_BANNER, REASON_TIMEOUT, CAUSE_NONE,
	    "no answer in time",
	    "no answer in time while waiting for the greeting");
	WORDS(PROTO_SMTP, STEP_CONNECT, REASON_TIMEOUT, CAUSE_NONE, "x",
	    "the connection timed out");
	WORDS(PROTO_SMTP, STEP_STARTTLS, REASON_RESP, CAUSE_NONE,
	    "454 4.7.0 TLS not available",
	    "the server refused STARTTLS: 454 4.7.0 TLS not available");
	WORDS(PROTO_SMTPS, STEP_TLS_HANDSHAKE, REASON_TLS, CAUSE_NONE,
	    "alert 40",
	    "the TLS handshake failed (alert 40)");
	WORDS(PROTO_SMTP, STEP_RESOLVE, REASON_DNS, CAUSE_NONE,
	    "no address: A nxdomain",
	    "the host name does not resolve (no address: A nxdomain)");
	/* the TLS layer's causes, the alert by its name */
	WORDS_ALERT(PROTO_SMTP, STEP_TLS_HANDSHAKE, CAUSE_ALERT_RECEIVED, 70,
	    "closed", "the server ended the TLS handshake with the alert "
	    "protocol_version (no TLS version in common)");
	WORDS_ALERT(PROTO_SMTP, STEP_TLS_HANDSHAKE, CAUSE_ALERT_RECEIVED, 40,
	    "", "the server ended the TLS handshake with the alert "
	    "handshake_failure (no cipher, version or key exchange in common)");
	WORDS_ALERT(PROTO_SMTPS, STEP_TLS_HANDSHAKE, CAUSE_ALERT_SENT, 70,
	    "alert handshake failure", "the exporter ended the TLS handshake "
	    "with the alert protocol_version (the server chose a TLS version "
	    "the exporter does not offer)");
	WORDS_ALERT(PROTO_IMAPS, STEP_BANNER, CAUSE_ALERT_RECEIVED, 116, "",
	    "the server ended TLS while waiting for the greeting with the "
	    "alert certificate_required (the server wants a client "
	    "certificate)");
	WORDS_ALERT(PROTO_SMTP, STEP_TLS_HANDSHAKE, CAUSE_ALERT_RECEIVED, 200,
	    "", "the server ended the TLS handshake with the alert unknown");
	WORDS_ALERT(PROTO_SMTP, STEP_TLS_HANDSHAKE, CAUSE_NOT_TLS, -1,
	    "alert 40", "the server answered the TLS handshake with something "
	    "that is not TLS");
	WORDS_ALERT(PROTO_SMTP, STEP_TLS_HANDSHAKE, CAUSE_CLOSED, -1, "reset",
	    "the server closed the connection in the TLS handshake");
	WORDS_ALERT(PROTO_POP3, STEP_TLS_HANDSHAKE, CAUSE_RESET, -1, "closed",
	    "the server reset the connection in the TLS handshake");
	WORDS(PROTO_SMTP, STEP_TLS_HANDSHAKE, REASON_TIMEOUT, CAUSE_TIMEOUT,
	    "", "no answer in time in the TLS handshake");
	WORDS(PROTO_IMAP, STEP_EHLO, REASON_TIMEOUT, CAUSE_TIMEOUT,
	    "", "no answer in time at CAPABILITY");
	WORDS(PROTO_SMTP, STEP_CONNECT, REASON_TIMEOUT, CAUSE_TLSA_WAIT,
	    "slot", "the deadline passed while the TLSA lookup was still out");
	WORDS(PROTO_SMTP, STEP_CONNECT, REASON_CONN, CAUSE_TIMEOUT,
	    "connect: Connection timed out", "the connection timed out");
	/* why the host gave no address, whatever the detail says */
	WORDS(PROTO_SMTP, STEP_RESOLVE, REASON_DNS, CAUSE_NXDOMAIN,
	    "no address: A servfail",
	    "the host name does not exist (NXDOMAIN)");
	WORDS(PROTO_SMTP, STEP_RESOLVE, REASON_DNS, CAUSE_NO_ADDRESS, "",
	    "the host name has no address (no A or AAAA record)");
	WORDS(PROTO_SMTP, STEP_RESOLVE, REASON_DNS, CAUSE_SERVFAIL, "",
	    "the DNS server failed the host name's lookup (SERVFAIL)");
	WORDS(PROTO_SMTP, STEP_RESOLVE, REASON_DNS, CAUSE_DNS_TIMEOUT, "",
	    "no DNS answer in time for the host name");
}

/* A check with a fabricated last result. */
static struct check *
fake_check(const char *key, enum target_kind kind, int success,
    size_t n_eps)
{
	struct check *c = xcalloc(1, sizeof(*c));
	struct check_result *r = xcalloc(1, sizeof(*r));

	c->key = xstrdup(key);
	c->own_cfg = xcalloc(1, sizeof(*c->own_cfg));
	c->own_cfg->kind = kind;
	c->own_cfg->protocol = PROTO_SMTP;
	c->own_cfg->records = 1;
	c->cfg = c->own_cfg;
	c->last = r;
	r->target.key = c->key;
	r->target.kind = kind;
	r->target.protocol = PROTO_SMTP;
	r->target.records = 1;
	r->success = success;
	r->finished = wall_time() - 180;
	r->eps = xcalloc(n_eps, sizeof(*r->eps));
	r->n_eps = n_eps;
	for (size_t i = 0; i < n_eps; i++) {
		char a[INET6_ADDRSTRLEN];

		r->eps[i].host = xstrdup(key);
		snprintf(a, sizeof(a), "192.0.2.%zu", i + 1);
		r->eps[i].address = xstrdup(a);
		r->eps[i].port = 25;
		r->eps[i].out = &probe_outcome_none;
		r->eps[i].caa_ca = probe_str_empty;
		r->eps[i].audit = tls_audit_new();
	}
	return c;
}

/* text without its process_* sample lines */
static void
without_process(const char *text, struct buf *out)
{
	for (const char *p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);

		if (strncmp(p, "process_", 8) != 0)
			buf_append(out, p, n);
		p += n;
	}
	buf_putc(out, '\0');
	out->len--;
}

/* What the scheduler publishes of c (daemon/publish.c). */
static struct published_target
published_of(const struct check *c)
{
	return (struct published_target){ .key = c->key, .cfg = c->cfg,
	    .result = c->last, .running = c->run != NULL };
}

static void
fake_free(struct check *c)
{
	for (size_t i = 0; i < c->last->n_eps; i++) {
		free(c->last->eps[i].host);
		free(c->last->eps[i].address);
		endpoint_set_outcome(&c->last->eps[i], &probe_outcome_none);
		tls_audit_drop(c->last->eps[i].audit);
	}
	free(c->last->eps);
	free(c->last);
	free(c->own_cfg);
	free(c->key);
	free(c);
}

static void
check_status_page(void)
{
	struct check *good = fake_check("good.example:25", TARGET_ENDPOINT, 1, 1);
	struct check *bad = fake_check("bad<b>.example:25", TARGET_ENDPOINT, 0, 1);
	struct check *dom = fake_check("example.org", TARGET_DOMAIN, 0, 0);
	struct published_target list[3] = { published_of(good),
	    published_of(bad), published_of(dom) };
	struct publish_event ev = { .kind = PUBLISH_TARGETS, .targets = list,
	    .n = 3 };
	struct result_store *rs;
	struct tls_facts *t = &endpoint_outcome_edit(&good->last->eps[0])->tls;
	struct target_view v;
	struct buf b;
	const char *p1, *p2;

	/* good: STARTTLS, TLS 1.3, a verified certificate for 90 days */
	endpoint_outcome_edit(&good->last->eps[0])->success = 1;
	endpoint_outcome_edit(&good->last->eps[0])->starttls_offered = 1;
	t->done = t->have_cert = t->verified = t->hostname_match = 1;
	snprintf(t->version, sizeof(t->version), "TLSv1.3");
	probe_str_printf(&t->subject, 256, "CN=<img src=x onerror=1>");
	t->not_after = wall_time() + 90 * 86400.0 + 3600;
	t->chain_earliest_not_after = t->not_after;
	/* bad: connection refused */
	endpoint_set_outcome(&bad->last->eps[0], &probe_outcome_none);
	probe_fail(endpoint_outcome_edit(&bad->last->eps[0]), STEP_CONNECT, REASON_CONN,
	    "connect: Connection refused");
	endpoint_outcome_edit(&bad->last->eps[0])->cause = CAUSE_REFUSED;
	/* the domain: NXDOMAIN */
	dom->last->mx_result = DNS_NXDOMAIN;

	target_view_make(&list[0], wall_time(), &v);
	CHECK_INT(v.overall, V_PASS);
	CHECK_INT(v.starttls.v, V_PASS);
	CHECK_INT(v.cert.v, V_PASS);
	CHECK_STR(v.cert.text, "valid, 90 days left");
	CHECK_INT(v.tls.v, V_NA);
	CHECK_INT(v.spf.v, V_NA);
	/* expiring soon: warn; an old version in the audit: fail */
	t->not_after = wall_time() + 5 * 86400.0 + 60;
	t->chain_earliest_not_after = t->not_after;
	good->last->eps[0].audit->ran = 1;
	good->last->eps[0].audit->version_accepted[TLSV_1_1] = 1;
	target_view_make(&list[0], wall_time(), &v);
	CHECK_INT(v.cert.v, V_WARN);
	CHECK_STR(v.cert.text, "expires in 5 days");
	CHECK_INT(v.tls.v, V_FAIL);
	CHECK_STR(v.tls.text, "accepts TLSv1.1");
	CHECK_INT(v.overall, V_FAIL);
	good->last->eps[0].audit->version_accepted[TLSV_1_1] = 0;
	target_view_make(&list[0], wall_time(), &v);
	CHECK_INT(v.tls.v, V_PASS);
	CHECK_INT(v.overall, V_WARN);
	CHECK_STR(v.reason, "certificate: expires in 5 days");
	t->verified = 0;
	probe_str_printf(&t->verify_error, 256, "self-signed "
	    "certificate");
	target_view_make(&list[0], wall_time(), &v);
	CHECK_INT(v.cert.v, V_FAIL);
	CHECK_STR(v.cert.text, "not verified: self-signed certificate");
	t->verified = 1;
	t->not_after = wall_time() + 90 * 86400.0;
	t->chain_earliest_not_after = t->not_after;

	target_view_make(&list[1], wall_time(), &v);
	CHECK_INT(v.overall, V_FAIL);
	CHECK_STR(v.reason, "connection refused");
	target_view_make(&list[2], wall_time(), &v);
	CHECK_INT(v.overall, V_FAIL);
	CHECK_STR(v.reason, "MX lookup: the domain does not exist (NXDOMAIN)");
	CHECK_INT(v.spf.v, V_NA);
	CHECK_STR(v.spf.text, "not fetched yet");

	/* SPF, DKIM, DMARC of a domain */
	{
		struct records_result *rr = records_result_new("");
		struct verdict_info spf, dkim, dmarc;

		dom->last->records = rr;
		rr->spf_lookup.done = 1;
		rr->spf_present = rr->spf_valid = 1;
		rr->spf_all = SPF_QUAL_FAIL;
		rr->dmarc.present = rr->dmarc.valid = 1;
		rr->dmarc.policy = DMARC_POLICY_REJECT;
		rr->dmarc.pct = 100;
		verdict_records(dom->last, &spf, &dkim, &dmarc);
		CHECK_INT(spf.v, V_PASS);
		CHECK_STR(spf.text, "valid, ends -all");
		CHECK_INT(dkim.v, V_NA);
		CHECK_INT(dmarc.v, V_PASS);
		CHECK_STR(dmarc.text, "p=reject");
		/* check_host() of an address: temperror warns, fail fails */
		{
			struct spf_check sc[2];

			memset(sc, 0, sizeof(sc));
			sc[0].address = (char *)"192.0.2.1";
			sc[0].code = SPF_RESULT_TEMPERROR;
			sc[1].address = (char *)"192.0.2.2";
			sc[1].code = SPF_RESULT_PASS;
			rr->spf_checks = sc;
			rr->n_spf_checks = 2;
			verdict_records(dom->last, &spf, &dkim, &dmarc);
			CHECK_INT(spf.v, V_WARN);
			CHECK_STR(spf.text, "192.0.2.1: temporary DNS error");
			sc[1].code = SPF_RESULT_SOFTFAIL;
			verdict_records(dom->last, &spf, &dkim, &dmarc);
			CHECK_INT(spf.v, V_FAIL);
			CHECK_STR(spf.text, "192.0.2.2 does not pass (softfail)");
			rr->spf_checks = NULL;
			rr->n_spf_checks = 0;
		}
		rr->spf_all = SPF_QUAL_PASS;
		rr->dmarc.policy = DMARC_POLICY_NONE;
		verdict_records(dom->last, &spf, &dkim, &dmarc);
		CHECK_INT(spf.v, V_FAIL);
		CHECK_STR(spf.text, "+all lets anyone send");
		CHECK_INT(dmarc.v, V_WARN);
		/* a temperror is not "invalid" */
		rr->spf_all = SPF_QUAL_FAIL;
		rr->spf_temperror = 1;
		rr->spf_reason = "dns_timeout";
		ostr_set(&rr->spf_message,
		    xstrdup("TXT slow.example: timed out"));
		verdict_records(dom->last, &spf, &dkim, &dmarc);
		CHECK_INT(spf.v, V_WARN);
		CHECK_STR(spf.text, "temporary DNS error: TXT slow.example: "
		    "timed out");
		rr->spf_temperror = 0;
		verdict_records(dom->last, &spf, &dkim, &dmarc);
		CHECK_INT(spf.v, V_FAIL);
		CHECK(strncmp(spf.text, "invalid: ", 9) == 0);
		rr->spf_reason = NULL;
		ostr_set(&rr->spf_message, ostr_empty);
		/* a subdomain under its organisational domain's record: sp */
		rr->dmarc_from_org = 1;
		ostr_set(&rr->dmarc_domain, xstrdup("example.org"));
		rr->dmarc.policy = DMARC_POLICY_REJECT;
		rr->dmarc.subdomain_policy = DMARC_POLICY_NONE;
		rr->dmarc.sp_set = 1;
		verdict_records(dom->last, &spf, &dkim, &dmarc);
		CHECK_INT(dmarc.v, V_WARN);
		CHECK_STR(dmarc.text, "sp=none (example.org's record): "
		    "monitoring only");
		rr->dmarc.subdomain_policy = DMARC_POLICY_QUARANTINE;
		verdict_records(dom->last, &spf, &dkim, &dmarc);
		CHECK_INT(dmarc.v, V_PASS);
		CHECK_STR(dmarc.text, "sp=quarantine (example.org's record)");
		/* the domain's own record was a near miss, ignored */
		rr->dmarc_near_miss = 1;
		ostr_set(&rr->dmarc_near_miss_message, xstrdup("the version "
		    "is case-sensitive: v=DMARC1"));
		verdict_records(dom->last, &spf, &dkim, &dmarc);
		CHECK_INT(dmarc.v, V_WARN);
		CHECK_STR(dmarc.text, "own record ignored: the version is "
		    "case-sensitive: v=DMARC1");
		rr->dmarc_from_org = 0;
		rr->spf_present = 0;
		rr->dmarc.present = 0;
		verdict_records(dom->last, &spf, &dkim, &dmarc);
		CHECK_STR(spf.text, "no SPF record");
		CHECK_STR(dmarc.text, "no DMARC record; ignored: the version "
		    "is case-sensitive: v=DMARC1");
		rr->dmarc_near_miss = 0;
		verdict_records(dom->last, &spf, &dkim, &dmarc);
		CHECK_STR(dmarc.text, "no DMARC record");
		CHECK_INT(dmarc.v, V_FAIL);
		/* a failed lookup is not a missing record */
		rr->dmarc_failure = DNS_TIMEOUT;
		verdict_records(dom->last, &spf, &dkim, &dmarc);
		CHECK_INT(dmarc.v, V_WARN);
		CHECK_STR(dmarc.text, "lookup failed (timeout)");
		rr->dmarc_failure = DNS_OK;
		{
			struct dkim_selector_result k[2];

			memset(k, 0, sizeof(k));
			k[0].key.message = k[1].key.message = ostr_empty;
			k[0].selector = "s1";
			k[0].lookup.done = 1;
			k[0].lookup.result = DNS_SERVFAIL;
			k[1].selector = "s2";
			k[1].lookup.done = 1;
			k[1].key.present = k[1].key.valid = 1;
			rr->dkim = k;
			rr->n_dkim = 2;
			verdict_records(dom->last, &spf, &dkim, &dmarc);
			CHECK_INT(dkim.v, V_WARN);
			CHECK_STR(dkim.text, "selector s1: lookup failed "
			    "(servfail)");
			k[1].key.valid = 0;
			k[1].key.reason = "bad_key";
			verdict_records(dom->last, &spf, &dkim, &dmarc);
			CHECK_INT(dkim.v, V_FAIL);
			CHECK_STR(dkim.text, "selector s2: bad_key");
			rr->dkim = NULL;
			rr->n_dkim = 0;
		}
		dom->last->records = NULL;
		records_result_free(rr);
	}

	rs = result_store_new();
	result_store_publish(rs, &ev);
	buf_init(&b);
	status_page_render(rs, NULL, &b);
	/* worst first: the failing ones (by name) above the passing one */
	p1 = strstr(b.data, "bad&lt;b&gt;.example:25");
	p2 = strstr(b.data, "good.example:25");
	CHECK(p1 != NULL && p2 != NULL && p1 < p2);
	CHECK(strstr(b.data, "href=\"/target/bad%3Cb%3E.example%3A25\"") != NULL);
	CHECK(strstr(b.data, "<b>") == NULL);
	CHECK(strstr(b.data, "connection refused") != NULL);
	CHECK(strstr(b.data, "3 min ago") != NULL);
	CHECK(strstr(b.data, "2 fail") != NULL);
	buf_reset(&b);
	CHECK(target_page_render(rs, "good.example:25", &b) == 0);
	CHECK(strstr(b.data, "CN=&lt;img src=x onerror=1&gt;") != NULL);
	CHECK(strstr(b.data, "<img") == NULL);
	buf_reset(&b);
	CHECK(target_page_render(rs, "nope", &b) == -1);
	CHECK(status_json_render(rs, "nope", &b) == -1);
	CHECK(status_json_render(rs, "bad<b>.example:25", &b) == 0);
	CHECK(strstr(b.data, "\"name\":\"bad<b>.example:25\"") != NULL);
	CHECK(strstr(b.data, "\"text\":\"connection refused\"") != NULL);
	buf_reset(&b);
	CHECK(status_json_render(rs, NULL, &b) == 0);
	CHECK(strstr(b.data, "\"counts\":{\"pass\":1,\"pending\":0,\"warn\":0,"
	    "\"fail\":2}") != NULL);
	CHECK(strstr(b.data, "\"subject\":\"CN=<img src=x onerror=1>\"") !=
	    NULL);

	/* records in the JSON and the metrics: a temperror leaves validity
	 * unknown; an inherited record gives the subdomain its sp */
	{
		struct records_result *rr = records_result_new("");
		struct expo e;
		struct buf m;

		dom->last->records = rr;
		rr->spf_lookup.done = 1;
		rr->spf_present = rr->spf_valid = rr->spf_temperror = 1;
		rr->spf_reason = "dns_timeout";
		rr->spf_all = SPF_ALL_UNKNOWN;
		rr->dmarc.present = rr->dmarc.valid = rr->dmarc.sp_set = 1;
		rr->dmarc.policy = DMARC_POLICY_REJECT;
		rr->dmarc.subdomain_policy = DMARC_POLICY_NONE;
		rr->dmarc.pct = 100;
		rr->dmarc_from_org = rr->dmarc_near_miss = 1;
		ostr_set(&rr->dmarc_domain, xstrdup("org.example"));
		buf_reset(&b);
		CHECK(status_json_render(rs, "example.org", &b) == 0);
		CHECK(strstr(b.data, "\"valid\":null,\"temperror\":true") != NULL);
		CHECK(strstr(b.data, "\"all\":null") != NULL);
		CHECK(strstr(b.data, "\"policy\":\"none\",\"near_miss\":true") !=
		    NULL);
		expo_init(&e);
		metrics_add_result(&e, dom->last, ADDRESS_LABEL_ON);
		buf_init(&m);
		expo_render(&e, &m);
		CHECK(strstr(m.data, "\nmailsec_spf_valid{") == NULL);
		CHECK(strstr(m.data, "\nmailsec_spf_temperror{domain=\"\"} "
		    "1\n") != NULL);
		CHECK(strstr(m.data, "\nmailsec_spf_all_qualifier_info{") == NULL);
		CHECK(strstr(m.data, "\nmailsec_dmarc_policy{domain=\"\"} "
		    "0\n") != NULL);
		CHECK(strstr(m.data, "\nmailsec_dmarc_near_miss{domain=\"\"} "
		    "1\n") != NULL);
		rr->spf_temperror = 0;
		rr->spf_reason = NULL;
		rr->spf_all = SPF_QUAL_FAIL;
		expo_reset(&e);
		metrics_add_result(&e, dom->last, ADDRESS_LABEL_ON);
		buf_reset(&m);
		expo_render(&e, &m);
		CHECK(strstr(m.data, "\nmailsec_spf_valid{domain=\"\"} "
		    "1\n") != NULL);
		CHECK(strstr(m.data, "\nmailsec_spf_all_qualifier_info{domain="
		    "\"\",qualifier=\"fail\"} 1\n") != NULL);
		buf_free(&m);
		expo_free(&e);
		dom->last->records = NULL;
		records_result_free(rr);
	}
	buf_free(&b);
	result_store_free(rs);
	fake_free(good);
	fake_free(bad);
	fake_free(dom);
}

/* The lines of an exposition without the process_* samples (they change
 * from one read to the next); with checks_only, only those about the
 * checks: no comments, not the exporter's own samples either. */
static void
keep_lines(const char *text, size_t len, int checks_only, struct buf *out)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (strncmp(p, "process_", 8) != 0 && (!checks_only ||
		    (*p != '#' && strncmp(p, "mailsec_exporter_", 17) != 0)))
			buf_append(out, p, n);
		p += n;
	}
}

static void
read_stream(struct ctx *ctx, size_t room, struct buf *out)
{
	struct metrics_stream *ms = metrics_stream_new(ctx);
	uint64_t size = metrics_stream_size(ms);
	char *piece = xmalloc(room);
	size_t n, before = out->len;

	while ((n = metrics_stream_read(ms, piece, room)) > 0) {
		CHECK(n <= room);
		buf_append(out, piece, n);
	}
	CHECK_INT(out->len - before, size);
	free(piece);
	metrics_stream_free(ms);
}

/* /metrics and --once stream from the compact per-check cache: what comes
 * out is what the plain renderer makes of the same results, in any piece
 * size, every family once, and a stream keeps the results it started with
 * while the cache moves on. */
static void
check_metrics_stream(void)
{
	struct check *a = fake_check("a.example:25", TARGET_ENDPOINT, 1, 1);
	struct check *b = fake_check("b\"x\\.example:587", TARGET_ENDPOINT, 0, 3);
	struct check *d = fake_check("example.org", TARGET_DOMAIN, 1, 2);
	struct check *checks[3] = { a, b, d };
	static const size_t rooms[] = { 1, 5, 97, 4096, 1 << 20 };
	struct tls_facts *t = &endpoint_outcome_edit(&a->last->eps[0])->tls;
	struct target_cfg tc[3] = { { .kind = TARGET_ENDPOINT },
	    { .kind = TARGET_ENDPOINT }, { .kind = TARGET_DOMAIN } };
	struct metrics_stream *old;
	struct expo plain;
	struct buf want, got, all;
	struct config cfg;
	struct ctx ctx;
	char *piece;
	size_t n;

	endpoint_outcome_edit(&a->last->eps[0])->success = 1;
	t->done = t->have_cert = t->verified = t->hostname_match = 1;
	snprintf(t->version, sizeof(t->version), "TLSv1.3");
	probe_str_printf(&t->subject, 256, "CN=\"quoted\"\n\\");
	t->chain_len = 2;
	t->not_after = 1900000000;
	endpoint_set_outcome(&b->last->eps[1], &probe_outcome_none);
	probe_fail(endpoint_outcome_edit(&b->last->eps[1]), STEP_CONNECT, REASON_CONN, "refused");
	endpoint_outcome_edit(&b->last->eps[1])->cause = CAUSE_REFUSED;
	d->last->mx_result = DNS_OK;

	memset(&ctx, 0, sizeof(ctx));
	memset(&cfg, 0, sizeof(cfg));
	cfg.targets = tc;
	cfg.n_targets = 3;
	ctx.cfg = &cfg;
	ctx.checks = checks;
	ctx.n_checks = 3;
	metrics_cache_subscribe(&ctx);
	result_store_subscribe(&ctx);
	publish_targets(&ctx);
	expo_init(&plain);
	for (size_t i = 0; i < 3; i++)
		metrics_add_result(&plain, checks[i]->last, ADDRESS_LABEL_ON);
	buf_init(&all);
	expo_render(&plain, &all);
	buf_init(&want);
	keep_lines(all.data, all.len, 1, &want);
	CHECK(want.len > 1000);
	for (size_t r = 0; r < ARRAY_LEN(rooms); r++) {
		buf_reset(&all);
		read_stream(&ctx, rooms[r], &all);
		buf_init(&got);
		keep_lines(all.data, all.len, 1, &got);
		CHECK_INT(got.len, want.len);
		CHECK(got.len == want.len &&
		    memcmp(got.data, want.data, want.len) == 0);
		buf_free(&got);
	}
	/* Every family once, its HELP before its TYPE before its samples. */
	CHECK(strstr(all.data, "# HELP mailsec_probe_success ") != NULL);
	CHECK(strstr(strstr(all.data, "# TYPE mailsec_probe_success gauge\n") +
	    1, "# TYPE mailsec_probe_success ") == NULL);
	CHECK(strstr(all.data, "# TYPE mailsec_exporter_targets gauge\n"
	    "mailsec_exporter_targets{kind=\"domain\"} 1\n"
	    "mailsec_exporter_targets{kind=\"endpoint\"} 2\n") != NULL);
	CHECK(strstr(all.data, "subject=\"CN=\\\"quoted\\\"\\n\\\\\"") != NULL);
	/* --once writes the same text family by family (the process's own
	 * samples aside: they are read when written). */
	{
		char *once = NULL, *once2 = NULL;
		size_t once_len = 0, once2_len = 0;
		FILE *f = open_memstream(&once, &once_len);
		struct buf x, y;

		CHECK(f != NULL);
		CHECK_INT(metrics_once_write(&ctx, f), 0);
		fclose(f);
		buf_init(&x);
		buf_init(&y);
		without_process(all.data, &x);
		without_process(once, &y);
		CHECK(x.len > 1000);
		CHECK_STR(y.data, x.data);
		/* The same within any bounds: one family a walk when nothing
		 * may be held (but empty ones), the first written a sample at
		 * a time. */
		{
			static const struct once_bounds tight[] = {
				{ .held_max = 0, .piece = 0 },
				{ .held_max = 1, .piece = 1 },
				{ .held_max = 300, .piece = 100 },
			};
			struct once_stats st;

			for (size_t k = 0; k < ARRAY_LEN(tight); k++) {
				struct buf z;

				f = open_memstream(&once2, &once2_len);
				CHECK_INT(metrics_once_write_bounded(&ctx, f,
				    &tight[k], &st), 0);
				fclose(f);
				buf_init(&z);
				without_process(once2, &z);
				CHECK_STR(z.data, x.data);
				CHECK(st.held_peak <= tight[k].held_max);
				CHECK(st.walks > (F__COUNT + 7) / 8);
				CHECK(st.walks <= F__COUNT);
				buf_free(&z);
				free(once2);
			}
			f = open_memstream(&once2, &once2_len);
			CHECK_INT(metrics_once_write_bounded(&ctx, f,
			    &once_bounds_default, &st), 0);
			fclose(f);
			free(once2);
			CHECK_INT(st.walks, (F__COUNT + 7) / 8);
			CHECK(st.held_peak > 0 && st.held_peak <= ONCE_HELD_MAX);
		}
		buf_free(&x);
		buf_free(&y);
		free(once);
	}

	/* A stream started before a result changes sends the old one. */
	old = metrics_stream_new(&ctx);
	a->last->started += 1;		/* as if a run replaced it */
	t->not_after = 1900000001;
	publish_result(&ctx, 0, a->last);
	buf_reset(&all);
	metrics_render(&ctx, &all);
	CHECK(strstr(all.data, "mailsec_cert_not_after_timestamp_seconds{domain="
	    "\"\",host=\"a.example:25\",address=\"192.0.2.1\",port=\"25\","
	    "protocol=\"smtp\"} 1900000001\n") != NULL);
	buf_reset(&all);
	piece = xmalloc(333);
	while ((n = metrics_stream_read(old, piece, 333)) > 0)
		buf_append(&all, piece, n);
	free(piece);
	metrics_stream_free(old);
	CHECK(strstr(all.data, "} 1900000000\n") != NULL);
	CHECK(strstr(all.data, "} 1900000001\n") == NULL);

	/* Fewer checks (a reload): the cache lets the others go. */
	ctx.n_checks = 1;
	publish_targets(&ctx);
	buf_reset(&all);
	metrics_render(&ctx, &all);
	CHECK(strstr(all.data, "b\\\"x\\\\.example") == NULL);
	CHECK(strstr(all.data, "a.example:25") != NULL);
	ctx.n_checks = 0;
	publish_targets(&ctx);
	buf_reset(&all);
	metrics_render(&ctx, &all);
	CHECK(strstr(all.data, "mailsec_probe_success") == NULL);
	CHECK(strstr(all.data, "process_cpu_seconds_total") != NULL);

	publish_release_all(&ctx);
	CHECK(ctx.metrics_cache == NULL);
	expo_free(&plain);
	buf_free(&want);
	buf_free(&all);
	fake_free(a);
	fake_free(b);
	fake_free(d);
}

static void
plain_lines(struct check **checks, size_t n, struct buf *out)
{
	struct expo plain;
	struct buf all;

	expo_init(&plain);
	for (size_t i = 0; i < n; i++)
		metrics_add_result(&plain, checks[i]->last, ADDRESS_LABEL_ON);
	buf_init(&all);
	expo_render(&plain, &all);
	keep_lines(all.data, all.len, 1, out);
	expo_free(&plain);
	buf_free(&all);
}

static int
same_lines(struct ctx *ctx, struct metrics_stream *ms, struct check **checks,
    size_t n)
{
	struct buf all, got, want;
	char piece[1000];
	size_t k;
	int same;

	buf_init(&all);
	if (ms == NULL)
		metrics_render(ctx, &all);
	else
		while ((k = metrics_stream_read(ms, piece, sizeof(piece))) > 0)
			buf_append(&all, piece, k);
	buf_init(&got);
	buf_init(&want);
	keep_lines(all.data, all.len, 1, &got);
	plain_lines(checks, n, &want);
	same = got.len == want.len && memcmp(got.data, want.data, got.len) == 0;
	buf_free(&all);
	buf_free(&got);
	buf_free(&want);
	return same;
}

/* n endpoint checks mx<i>.example:25 (total_s i), published in ctx. */
static void
many_checks(struct ctx *ctx, struct check **checks, size_t n)
{
	char key[32];

	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "mx%zu.example:25", i);
		checks[i] = fake_check(key, TARGET_ENDPOINT, (int)(i % 2),
		    1 + i % 3);
		endpoint_outcome_edit(&checks[i]->last->eps[0])->total_s = (double)i;
	}
	memset(ctx, 0, sizeof(*ctx));
	ctx->checks = checks;
	ctx->n_checks = n;
	metrics_cache_subscribe(ctx);
	publish_targets(ctx);
}

/* Many checks whose results keep changing: the cache packs its texts
 * again and again, and streams started before a packing still read what
 * they started with. */
static void
check_metrics_packing(void)
{
	enum { N = 300 };
	struct check *checks[N];
	struct metrics_stream *held;
	struct ctx ctx;

	many_checks(&ctx, checks, N);
	CHECK(same_lines(&ctx, NULL, checks, N));
	for (int round = 1; round <= 6; round++) {
		held = metrics_stream_new(&ctx);
		/* A third of the results change: enough to pack. */
		for (size_t i = (size_t)round % 3; i < N; i += 3) {
			checks[i]->last->started += 1;
			endpoint_outcome_edit(&checks[i]->last->eps[0])->total_s += 1000;
			publish_result(&ctx, i, checks[i]->last);
		}
		CHECK(same_lines(&ctx, NULL, checks, N));
		/* The held stream has the values from before. */
		for (size_t i = (size_t)round % 3; i < N; i += 3)
			endpoint_outcome_edit(&checks[i]->last->eps[0])->total_s -= 1000;
		CHECK(same_lines(&ctx, held, checks, N));
		for (size_t i = (size_t)round % 3; i < N; i += 3)
			endpoint_outcome_edit(&checks[i]->last->eps[0])->total_s += 1000;
		metrics_stream_free(held);
	}
	/* A reload that drops most checks, then one that adds them back. */
	ctx.n_checks = 10;
	publish_targets(&ctx);
	CHECK(same_lines(&ctx, NULL, checks, 10));
	ctx.n_checks = N;
	publish_targets(&ctx);
	CHECK(same_lines(&ctx, NULL, checks, N));
	publish_release_all(&ctx);
	for (size_t i = 0; i < N; i++)
		fake_free(checks[i]);
}

/* --- gzip /metrics shared per generation -------------------------------- */

/* Inflates one whole gzip member; it must end exactly at the end. */
static int
gunzip(const struct buf *gz, struct buf *out)
{
	z_stream z;
	char piece[4096];
	int r;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return -1;
	z.next_in = (Bytef *)gz->data;
	z.avail_in = (uInt)gz->len;
	do {
		z.next_out = (Bytef *)piece;
		z.avail_out = sizeof(piece);
		r = inflate(&z, Z_NO_FLUSH);
		buf_append(out, piece, sizeof(piece) - z.avail_out);
	} while (r == Z_OK);
	inflateEnd(&z);
	return r == Z_STREAM_END && z.avail_in == 0 ? 0 : -1;
}

/* Reads a stream to its end in pieces of room bytes, then frees it. */
static void
drain(struct http_stream *st, size_t room, struct buf *out)
{
	char *piece = xmalloc(room);
	size_t n;

	while ((n = st->read(st->arg, piece, room)) > 0) {
		CHECK(n <= room);
		buf_append(out, piece, n);
	}
	CHECK_INT(st->read(st->arg, piece, room), 0);	/* stays ended */
	free(piece);
	st->free(st->arg);
}

/* What a gzip scrape sends inflates to the exposition of its moment, byte
 * for byte (process_* aside). */
static int
same_as_render(struct ctx *ctx, const struct buf *gz)
{
	struct buf text, a, b, plain;
	int same;

	buf_init(&text);
	buf_init(&a);
	buf_init(&b);
	buf_init(&plain);
	if (gunzip(gz, &text) == -1) {
		buf_free(&text);
		return 0;
	}
	metrics_render(ctx, &plain);
	keep_lines(text.data, text.len, 0, &a);
	keep_lines(plain.data, plain.len, 0, &b);
	same = a.len == b.len && memcmp(a.data, b.data, a.len) == 0 &&
	    strstr(text.data, "\nprocess_cpu_seconds_total ") != NULL;
	buf_free(&text);
	buf_free(&a);
	buf_free(&b);
	buf_free(&plain);
	return same;
}

static int
gz_has(const struct buf *gz, const char *needle)
{
	struct buf text;
	int found;

	buf_init(&text);
	found = gunzip(gz, &text) == 0 && strstr(text.data, needle) != NULL;
	buf_free(&text);
	return found;
}

/* One compression of the checks' part per generation, shared by the gzip
 * scrapes: its lifetime (the current one's reference and each reader's),
 * a replacement while a scrape still reads the old one, the whole body
 * made inside one read, and no stale body after a publish. */
static void
check_metrics_gzip_shared(void)
{
	enum { N = 400 };
	struct check *checks[N];
	struct http_stream s1, s2, s3, s4, s5, s6;
	struct metrics_gz *cur = NULL;
	struct buf g1, g2, g3;
	uint64_t gen1;
	struct ctx ctx;
	char piece[50];
	size_t n;

	many_checks(&ctx, checks, N);
	buf_init(&g1);
	buf_init(&g2);
	buf_init(&g3);

	/* Two scrapes of one moment share one compression. */
	CHECK_INT(metrics_gzip_stream(&ctx, &cur, &s1), 0);
	CHECK(cur != NULL && s1.size == HTTP_STREAM_SIZE_UNKNOWN);
	CHECK_INT(metrics_gz_info(cur).refs, 2);
	gen1 = metrics_gz_info(cur).gen;
	CHECK_INT(metrics_gzip_stream(&ctx, &cur, &s2), 0);
	CHECK_INT(metrics_gz_info(cur).refs, 3);
	CHECK(!metrics_gz_info(cur).done);
	drain(&s1, 7, &g1);		/* small pieces: it drives the deflate */
	CHECK(metrics_gz_info(cur).done);
	CHECK_INT(metrics_gz_info(cur).refs, 2);
	drain(&s2, 1 << 16, &g2);
	CHECK_INT(metrics_gz_info(cur).refs, 1);
	CHECK(same_as_render(&ctx, &g1));
	CHECK(same_as_render(&ctx, &g2));
	{
		struct buf text;

		buf_init(&text);
		metrics_render(&ctx, &text);
		CHECK(text.len > 200000);
		CHECK(g2.len * 8 < text.len);	/* a fraction of it */
		buf_free(&text);
	}

	/* Repeated, nothing published: the same, already compressed. */
	CHECK_INT(metrics_gzip_stream(&ctx, &cur, &s3), 0);
	CHECK(metrics_gz_info(cur).gen == gen1 && metrics_gz_info(cur).done);
	buf_reset(&g3);
	drain(&s3, 4096, &g3);
	CHECK(same_as_render(&ctx, &g3));

	/* A publish while a scrape is half way: it goes on with the old
	 * results, the next scrape gets the new ones. */
	CHECK_INT(metrics_gzip_stream(&ctx, &cur, &s4), 0);
	n = s4.read(s4.arg, piece, sizeof(piece));
	CHECK_INT(n, sizeof(piece));
	checks[3]->last->started += 1;
	endpoint_outcome_edit(&checks[3]->last->eps[0])->total_s = 77777;
	publish_result(&ctx, 3, checks[3]->last);
	CHECK_INT(metrics_gzip_stream(&ctx, &cur, &s5), 0);
	CHECK(metrics_gz_info(cur).gen != gen1);
	CHECK_INT(metrics_gz_info(cur).refs, 2);	/* the old one: s4's only */
	buf_reset(&g1);
	buf_append(&g1, piece, n);
	drain(&s4, 3, &g1);		/* the old one goes with it */
	buf_reset(&g2);
	drain(&s5, 1000, &g2);
	CHECK(gz_has(&g2, "} 77777\n"));	/* fresh after a publish */
	CHECK(!gz_has(&g1, "} 77777\n"));
	CHECK(gz_has(&g1, "protocol=\"smtp\"} 3\n"));
	CHECK(same_as_render(&ctx, &g2));

	/* All of it inside one read; the current one let go while read. */
	checks[5]->last->started += 1;
	publish_result(&ctx, 5, checks[5]->last);
	CHECK_INT(metrics_gzip_stream(&ctx, &cur, &s6), 0);
	metrics_gzip_drop(&cur);
	CHECK(cur == NULL);
	{
		char *big = xmalloc(1 << 22);

		n = s6.read(s6.arg, big, 1 << 22);
		CHECK(n > 0 && n < (1 << 22));
		CHECK_INT(s6.read(s6.arg, big, 1 << 22), 0);
		buf_reset(&g3);
		buf_append(&g3, big, n);
		free(big);
	}
	s6.free(s6.arg);
	CHECK(same_as_render(&ctx, &g3));

	/* Made and never read (HEAD), and no checks at all. */
	CHECK_INT(metrics_gzip_stream(&ctx, &cur, &s1), 0);
	s1.free(s1.arg);
	ctx.n_checks = 0;
	publish_targets(&ctx);
	CHECK_INT(metrics_gzip_stream(&ctx, &cur, &s2), 0);
	buf_reset(&g2);
	drain(&s2, 1, &g2);
	CHECK(same_as_render(&ctx, &g2));
	CHECK(!gz_has(&g2, "mailsec_probe_success"));
	metrics_gzip_drop(&cur);

	publish_release_all(&ctx);
	buf_free(&g1);
	buf_free(&g2);
	buf_free(&g3);
	for (size_t i = 0; i < N; i++)
		fake_free(checks[i]);
}

int
main(void)
{
	check_allow();
	check_targets();
	check_timeout();
	check_escaping();
	check_auth_header();
	check_auth_cache();
	check_bcrypt();
	check_words();
	check_status_page();
	check_metrics_stream();
	check_metrics_packing();
	check_metrics_gzip_shared();
	allow_set((const char *const[]){ NULL });
	return unit_done("test_web");
}
