/* base/addr.c: addresses, CIDRs, the special ranges (NAT64, 6to4 and
 * IPv4-mapped judged by the IPv4 they carry), host names and ports, with
 * hostile inputs. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/util.h"
#include "tests/unit/unit.h"

static struct addr
ip(const char *s)
{
	struct addr a;

	if (addr_parse_ip(s, &a) == -1) {
		fprintf(stderr, "%s: not an address\n", s);
		abort();
	}
	return a;
}

static void
check_parse_ip(void)
{
	static const char *const bad[] = { "", " 1.2.3.4", "1.2.3.4 ",
	    "1.2.3", "1.2.3.256", "01.2.3.4", "1.2.3.4/32", "::1%lo",
	    "[::1]", "1::2::3", "12345::", "::ffff:1.2.3", "0x7f.0.0.1",
	    "127.1", "2001:db8::1\n", "localhost" };
	struct addr a;
	char t[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		a.family = 99;
		CHECK(addr_parse_ip(bad[i], &a) == -1 && a.family == 0);
	}
	CHECK(addr_parse_ip(NULL, &a) == -1);
	CHECK(addr_parse_ip("192.0.2.1", &a) == 0 && a.family == AF_INET &&
	    a.a[0] == 192 && a.a[3] == 1 && a.a[4] == 0);
	CHECK(addr_parse_ip("2001:DB8::1", &a) == 0 && a.family == AF_INET6);
	CHECK_STR(addr_text(&a, t, sizeof(t)), "2001:db8::1");
	/* ::ffff:a.b.c.d stays IPv6 until unmapped */
	CHECK(addr_parse_ip("::ffff:127.0.0.1", &a) == 0 &&
	    a.family == AF_INET6);
	addr_unmap(&a);
	CHECK(a.family == AF_INET && a.a[0] == 127 && a.a[3] == 1 &&
	    a.a[12] == 0);
	CHECK_STR(addr_text(&a, t, sizeof(t)), "127.0.0.1");
	/* ::127.0.0.1 (IPv4-compatible) is not mapped: left alone */
	a = ip("::127.0.0.1");
	addr_unmap(&a);
	CHECK(a.family == AF_INET6);
}

static void
check_sockaddr(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct addr a = ip("::ffff:10.1.2.3"), b;
	socklen_t len;

	addr_to_sockaddr(&a, 25, &ss, &len);
	CHECK(len == sizeof(*sin6) && sin6->sin6_family == AF_INET6 &&
	    ntohs(sin6->sin6_port) == 25);
	CHECK(addr_from_sockaddr((struct sockaddr *)&ss, &b) == 0 &&
	    b.family == AF_INET && b.a[0] == 10 && b.a[3] == 3);
	a = ip("192.0.2.7");
	addr_to_sockaddr(&a, 587, &ss, &len);
	CHECK(len == sizeof(*sin) && sin->sin_family == AF_INET &&
	    ntohs(sin->sin_port) == 587);
	CHECK(addr_from_sockaddr((struct sockaddr *)&ss, &b) == 0 &&
	    memcmp(&a, &b, sizeof(a)) == 0);
	ss.ss_family = AF_UNIX;
	CHECK(addr_from_sockaddr((struct sockaddr *)&ss, &b) == -1);
	CHECK(addr_from_sockaddr(NULL, &b) == -1);
}

static void
cidr_bad(int line, const char *s, const char *want)
{
	struct cidr c;
	const char *why = NULL;

	unit_checks++;
	if (addr_parse_cidr(s, &c, &why) != -1 || why == NULL ||
	    strcmp(why, want) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: \"%s\": want \"%s\", got \"%s\"\n",
		    __FILE__, line, s, want, why ? why : "(accepted)");
	}
}
#define CIDR_BAD(s, w) cidr_bad(__LINE__, s, w)

static void
check_cidr(void)
{
	struct cidr c;
	const char *why;
	struct addr a;
	char big[400];

	CHECK(addr_parse_cidr("192.0.2.0/24", &c, &why) == 0 &&
	    c.net.family == AF_INET && c.prefix == 24);
	CHECK(addr_parse_cidr("192.0.2.9", &c, &why) == 0 && c.prefix == 32);
	CHECK(addr_parse_cidr("::/0", &c, &why) == 0 && c.prefix == 0 &&
	    c.net.family == AF_INET6);
	CHECK(addr_parse_cidr("0.0.0.0/0", &c, &why) == 0 && c.prefix == 0);
	CHECK(addr_parse_cidr("::ffff:10.1.0.0/112", &c, &why) == 0 &&
	    c.net.family == AF_INET && c.prefix == 16 && c.net.a[0] == 10);
	/* below /96 a mapped prefix is an IPv6 network */
	CHECK(addr_parse_cidr("::/80", &c, &why) == 0 &&
	    c.net.family == AF_INET6 && c.prefix == 80);
	CIDR_BAD("", "not an ip address");
	CIDR_BAD("/24", "not an ip address");
	CIDR_BAD(":/24", "not an ipv6 address");
	CIDR_BAD("192.0.2.0/", "bad prefix length (0-32)");
	CIDR_BAD("192.0.2.0/33", "bad prefix length (0-32)");
	CIDR_BAD("192.0.2.0/-1", "bad prefix length (0-32)");
	CIDR_BAD("192.0.2.0/+8", "bad prefix length (0-32)");
	CIDR_BAD("192.0.2.0/ 8", "bad prefix length (0-32)");
	CIDR_BAD("192.0.2.0/24/24", "bad prefix length (0-32)");
	CIDR_BAD("192.0.2.0/99999999999999999999", "bad prefix length (0-32)");
	CIDR_BAD("2001:db8::/129", "bad prefix length (0-128)");
	CIDR_BAD("192.0.2.1/24", "bits set past the prefix length (write the "
	    "network address)");
	CIDR_BAD("2001:db8::1/64", "bits set past the prefix length (write "
	    "the network address)");
	CIDR_BAD("192.0.2", "not an ip address");
	CIDR_BAD("fe80::1%lo/128", "not an ipv6 address");
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CIDR_BAD(big, "not an ip address");
	big[10] = ':';
	CIDR_BAD(big, "not an ipv6 address");

	CHECK(addr_parse_cidr("11.0.0.0/7", &c, &why) == -1);
	CHECK(addr_parse_cidr("10.0.0.0/8", &c, &why) == 0);
	a = ip("10.255.255.255");
	CHECK(addr_in_cidr(&a, &c));
	a = ip("11.0.0.0");
	CHECK(!addr_in_cidr(&a, &c));
	a = ip("::ffff:10.0.0.1");	/* families differ until unmapped */
	CHECK(!addr_in_cidr(&a, &c));
	addr_unmap(&a);
	CHECK(addr_in_cidr(&a, &c));
	CHECK(addr_parse_cidr("2001:db8::/33", &c, &why) == 0);
	a = ip("2001:db8:7fff::1");
	CHECK(addr_in_cidr(&a, &c));
	a = ip("2001:db8:8000::");
	CHECK(!addr_in_cidr(&a, &c));
	c.prefix = 200;			/* a corrupt prefix matches nothing */
	CHECK(!addr_in_cidr(&a, &c));
}

/* special(s) is what, with the range in text "net/prefix". */
static void
special_is(int line, const char *s, const char *what, const char *range)
{
	struct addr a = ip(s), emb;
	struct cidr r, er;
	const char *got;
	char t[INET6_ADDRSTRLEN], rt[64] = "";

	addr_unmap(&a);
	got = addr_special(&a, &r, &emb, &er);
	if (got != NULL)
		snprintf(rt, sizeof(rt), "%s/%u", addr_text(&r.net, t, sizeof(t)),
		    r.prefix);
	unit_checks++;
	if ((what == NULL) != (got == NULL) || (what && (strcmp(got, what) ||
	    strcmp(rt, range)))) {
		unit_failures++;
		fprintf(stderr, "%s:%d: %s: \"%s\" %s, want \"%s\" %s\n",
		    __FILE__, line, s, got ? got : "(none)", rt,
		    what ? what : "(none)", range ? range : "");
	}
}
#define SPECIAL(s, w, r) special_is(__LINE__, s, w, r)

static void
check_special(void)
{
	SPECIAL("0.1.2.3", "unspecified (\"this network\")", "0.0.0.0/8");
	SPECIAL("10.9.9.9", "private (RFC 1918)", "10.0.0.0/8");
	SPECIAL("100.64.0.1", "shared (carrier-grade NAT)", "100.64.0.0/10");
	SPECIAL("100.128.0.1", NULL, NULL);
	SPECIAL("127.255.0.1", "loopback", "127.0.0.0/8");
	SPECIAL("169.254.1.1", "link-local", "169.254.0.0/16");
	SPECIAL("172.31.255.255", "private (RFC 1918)", "172.16.0.0/12");
	SPECIAL("172.32.0.0", NULL, NULL);
	SPECIAL("192.168.1.1", "private (RFC 1918)", "192.168.0.0/16");
	SPECIAL("224.0.0.1", "multicast", "224.0.0.0/4");
	SPECIAL("255.255.255.255", "reserved or broadcast", "240.0.0.0/4");
	SPECIAL("192.0.2.1", NULL, NULL);
	SPECIAL("8.8.8.8", NULL, NULL);
	SPECIAL("::", "unspecified", "::/128");
	SPECIAL("::1", "loopback", "::1/128");
	SPECIAL("::2", "IPv4-compatible (deprecated)", "::/96");
	SPECIAL("::127.0.0.1", "IPv4-compatible (deprecated)", "::/96");
	SPECIAL("::8.8.8.8", "IPv4-compatible (deprecated)", "::/96");
	SPECIAL("::ffff:127.0.0.1", "loopback", "127.0.0.0/8");	/* unmapped */
	SPECIAL("::ffff:8.8.8.8", NULL, NULL);
	SPECIAL("fc00::1", "unique local (private)", "fc00::/7");
	SPECIAL("fdff::1", "unique local (private)", "fc00::/7");
	SPECIAL("fe80::1", "link-local", "fe80::/10");
	SPECIAL("febf::1", "link-local", "fe80::/10");
	SPECIAL("fec0::1", "site-local (deprecated)", "fec0::/10");
	SPECIAL("feff::1", "site-local (deprecated)", "fec0::/10");
	SPECIAL("ff02::1", "multicast", "ff00::/8");
	SPECIAL("64:ff9b:1::1", "NAT64 local use (RFC 8215)", "64:ff9b:1::/48");
	SPECIAL("64:ff9b::7f00:1", "NAT64 of loopback", "64:ff9b::7f00:0/104");
	SPECIAL("64:ff9b::10.1.2.3", "NAT64 of private (RFC 1918)",
	    "64:ff9b::a00:0/104");
	SPECIAL("64:ff9b::192.168.0.1", "NAT64 of private (RFC 1918)",
	    "64:ff9b::c0a8:0/112");
	SPECIAL("64:ff9b::169.254.169.254", "NAT64 of link-local",
	    "64:ff9b::a9fe:0/112");
	SPECIAL("64:ff9b::8.8.8.8", NULL, NULL);
	SPECIAL("2002:7f00:1::1", "6to4 of loopback", "2002:7f00::/24");
	SPECIAL("2002:a9fe:a9fe::", "6to4 of link-local", "2002:a9fe::/32");
	SPECIAL("2002:0808:0808::1", NULL, NULL);
	SPECIAL("2001:db8::1", NULL, NULL);
	SPECIAL("2a00:1450::1", NULL, NULL);
}

/* refused(s, allow...) is want (NULL: allowed). */
static void
refused_is(int line, const char *s, const char *const *allow,
    const char *want)
{
	struct cidr list[8];
	struct addr a = ip(s);
	size_t n = 0;
	const char *why;
	char buf[256];

	for (; allow[n] != NULL; n++)
		if (addr_parse_cidr(allow[n], &list[n], &why) == -1)
			abort();
	why = addr_special_refused(&a, list, n, buf, sizeof(buf));
	unit_checks++;
	if ((want == NULL) != (why == NULL) ||
	    (want != NULL && strcmp(why, want) != 0)) {
		unit_failures++;
		fprintf(stderr, "%s:%d: %s: \"%s\", want \"%s\"\n", __FILE__,
		    line, s, why ? why : "(allowed)", want ? want : "(allowed)");
	}
}
#define REFUSED(s, w, ...) \
	refused_is(__LINE__, s, (const char *const[]){ __VA_ARGS__, NULL }, w)

static void
check_refused(void)
{
	/* nothing special: allowed whatever the list */
	REFUSED("192.0.2.1", NULL, NULL);
	REFUSED("2001:db8::1", NULL, NULL);
	REFUSED("64:ff9b::8.8.8.8", NULL, NULL);
	/* special: only a CIDR inside the range */
	REFUSED("127.0.0.1", "127.0.0.1 is a loopback address: only a CIDR "
	    "inside 127.0.0.0/8 in probe_allow allows it", NULL);
	REFUSED("127.0.0.1", "127.0.0.1 is a loopback address: only a CIDR "
	    "inside 127.0.0.0/8 in probe_allow allows it", "0.0.0.0/0");
	REFUSED("127.0.0.1", "127.0.0.1 is a loopback address: only a CIDR "
	    "inside 127.0.0.0/8 in probe_allow allows it", "127.0.0.2/32");
	REFUSED("127.0.0.1", NULL, "127.0.0.0/8");
	REFUSED("127.0.0.1", NULL, "127.0.0.1/32");
	REFUSED("::ffff:127.0.0.1", NULL, "127.0.0.1/32");
	REFUSED("::ffff:127.0.0.1", "::ffff:127.0.0.1 is a loopback address: "
	    "only a CIDR inside 127.0.0.0/8 in probe_allow allows it", "::/0");
	REFUSED("::1", "::1 is a loopback address: only a CIDR inside ::1/128 "
	    "in probe_allow allows it", "::/0", "::/96");
	REFUSED("::1", NULL, "::1/128");
	REFUSED("::7f00:1", "::127.0.0.1 is an IPv4-compatible (deprecated) "
	    "address: only a CIDR inside ::/96 in probe_allow allows it",
	    "127.0.0.0/8");
	/* carried IPv4: the IPv6 range inside, or the IPv4 one inside */
	REFUSED("64:ff9b::7f00:1", "64:ff9b::7f00:1 is a NAT64 of loopback "
	    "address: only a CIDR inside 64:ff9b::7f00:0/104 in probe_allow "
	    "allows it", "64:ff9b::/96");
	REFUSED("64:ff9b::7f00:1", NULL, "64:ff9b::7f00:0/104");
	REFUSED("64:ff9b::7f00:1", NULL, "127.0.0.1/32");
	REFUSED("64:ff9b::7f00:1", "64:ff9b::7f00:1 is a NAT64 of loopback "
	    "address: only a CIDR inside 64:ff9b::7f00:0/104 in probe_allow "
	    "allows it", "0.0.0.0/0");
	REFUSED("2002:a00:1::", "2002:a00:1:: is a 6to4 of private (RFC 1918) "
	    "address: only a CIDR inside 2002:a00::/24 in probe_allow allows "
	    "it", "2002::/16");
	REFUSED("2002:a00:1::", NULL, "10.0.0.0/8");
	REFUSED("2002:a00:1::", NULL, "2002:a00::/24");
	REFUSED("64:ff9b:1::5", NULL, "64:ff9b:1::/48");
	REFUSED("64:ff9b:1::5", "64:ff9b:1::5 is a NAT64 local use (RFC 8215) "
	    "address: only a CIDR inside 64:ff9b:1::/48 in probe_allow allows "
	    "it", "64:ff9b::/32");
	REFUSED("fec0::1", NULL, "fec0::/10");
	REFUSED("fe80::1", "fe80::1 is a link-local address: only a CIDR "
	    "inside fe80::/10 in probe_allow allows it", "fe00::/9");
}

static void
name_bad(int line, const char *s, unsigned flags, const char *want)
{
	const char *why = NULL;

	unit_checks++;
	if (addr_name_check(s, flags, &why) != -1 || why == NULL ||
	    strcmp(why, want) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: \"%s\": want \"%s\", got \"%s\"\n",
		    __FILE__, line, s, want, why ? why : "(accepted)");
	}
}
#define NAME_BAD(s, f, w) name_bad(__LINE__, s, f, w)

static void
check_names(void)
{
	char big[300], label[70], buf[300];
	const char *why;

	CHECK(addr_name_check("mx.example.org", 0, &why) == 0);
	CHECK(addr_name_check("MX.Example.ORG", 0, &why) == 0);
	CHECK(addr_name_check("a-b.c", 0, &why) == 0);
	CHECK(addr_name_check("1.2.3.a", 0, &why) == 0);
	CHECK(addr_name_check("_dmarc.example.org", ADDR_NAME_UNDERSCORE,
	    &why) == 0);
	CHECK(addr_name_check("-a.example", ADDR_NAME_UNDERSCORE, &why) == 0);
	NAME_BAD("", 0, "empty name");
	NAME_BAD(".", 0, "empty label");
	NAME_BAD("a..b", 0, "empty label");
	NAME_BAD(".a", 0, "empty label");
	NAME_BAD("a.", 0, "empty label");	/* normalize drops it */
	NAME_BAD("-a.example", 0, "a label starts with '-'");
	NAME_BAD("a-.example", 0, "a label ends with '-'");
	NAME_BAD("a.example-", 0, "a label ends with '-'");
	NAME_BAD("_dmarc.example.org", 0,
	    "bad character (use letters, digits, '-', '.')");
	NAME_BAD("a b", ADDR_NAME_UNDERSCORE,
	    "bad character (use letters, digits, '-', '_', '.')");
	NAME_BAD("a\xc3\xa9", 0, "bad character (use letters, digits, '-', '.')");
	NAME_BAD("a\tb", 0, "bad character (use letters, digits, '-', '.')");
	NAME_BAD("a*.b", 0, "bad character (use letters, digits, '-', '.')");
	NAME_BAD("1.2.3.4", 0, "neither an ip address nor a name");
	NAME_BAD("1.2.3.999", 0, "neither an ip address nor a name");
	NAME_BAD("123", ADDR_NAME_UNDERSCORE, "neither an ip address nor a name");
	memset(label, 'a', 64);
	label[64] = '\0';
	NAME_BAD(label, 0, "label longer than 63 characters");
	label[63] = '\0';
	CHECK(addr_name_check(label, 0, &why) == 0);
	for (size_t i = 0; i < 254; i++)
		big[i] = i % 2 ? '.' : 'a';
	big[253] = '\0';		/* 253 bytes: a.a.a...a */
	CHECK(addr_name_check(big, 0, &why) == 0);
	big[253] = 'a';
	big[254] = '\0';
	NAME_BAD(big, 0, "name longer than 253 characters");

	snprintf(buf, sizeof(buf), "%s", "MX.Example.ORG.");
	CHECK(addr_name_normalize(buf, 0, &why) == 0);
	CHECK_STR(buf, "mx.example.org");
	snprintf(buf, sizeof(buf), "%s", ".");
	CHECK(addr_name_normalize(buf, 0, &why) == -1);
	CHECK_STR(why, "empty name");
	snprintf(buf, sizeof(buf), "%s", "a..");
	CHECK(addr_name_normalize(buf, 0, &why) == -1);
	CHECK_STR(why, "empty label");
}

static void
check_ports(void)
{
	static const struct {
		const char *s;
		int ok;
		unsigned v;
	} cases[] = {
		{ "25", 1, 25 }, { "1", 1, 1 }, { "65535", 1, 65535 },
		{ "025", 1, 25 }, { "0", 0, 0 }, { "65536", 0, 0 },
		{ "99999", 0, 0 }, { "123456", 0, 0 }, { "", 0, 0 },
		{ "-1", 0, 0 }, { "+25", 0, 0 }, { " 25", 0, 0 },
		{ "25 ", 0, 0 }, { "0x19", 0, 0 }, { "2 5", 0, 0 },
	};
	const char *why;
	uint16_t p;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		p = 7;
		if (cases[i].ok)
			CHECK(addr_parse_port(cases[i].s, &p, &why) == 0 &&
			    p == cases[i].v);
		else
			CHECK(addr_parse_port(cases[i].s, &p, &why) == -1 &&
			    p == 7 && why != NULL);
	}
	CHECK(addr_parse_port("", &p, &why) == -1);
	CHECK_STR(why, "empty port");
}

static void
test_localhost(void)
{
	CHECK(addr_is_localhost("localhost"));
	CHECK(addr_is_localhost("LocalHost."));
	CHECK(addr_is_localhost("mail.localhost"));
	CHECK(!addr_is_localhost("notlocalhost"));
	CHECK(!addr_is_localhost("localhost.example"));
	CHECK(!addr_is_localhost("localhost.."));
	CHECK(!addr_is_localhost(""));
	CHECK(!addr_is_localhost("."));
}

int
main(void)
{
	test_localhost();
	check_parse_ip();
	check_sockaddr();
	check_cidr();
	check_special();
	check_refused();
	check_names();
	check_ports();
	return unit_done("test_addr");
}
