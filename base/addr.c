#include "base/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"

/* --- addresses ----------------------------------------------------------- */

static const unsigned char v4mapped[12] = { [10] = 0xff, [11] = 0xff };

int
addr_parse_ip(const char *s, struct addr *out)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return -1;
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -1;
}

void
addr_unmap(struct addr *a)
{
	if (a->family == AF_INET6 && memcmp(a->a, v4mapped, 12) == 0) {
		memmove(a->a, a->a + 12, 4);
		memset(a->a + 4, 0, 12);
		a->family = AF_INET;
	}
}

int
addr_from_sockaddr(const struct sockaddr *sa, struct addr *out)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(out, 0, sizeof(*out));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		memcpy(&sin, sa, sizeof(sin));
		out->family = AF_INET;
		memcpy(out->a, &sin.sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(&sin6, sa, sizeof(sin6));
		out->family = AF_INET6;
		memcpy(out->a, &sin6.sin6_addr, 16);
		addr_unmap(out);
		return 0;
	}
	return -1;
}

void
addr_to_sockaddr(const struct addr *a, uint16_t port,
    struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a->a, 4);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, a->a, 16);
		*len = sizeof(*sin6);
	}
}

char *
addr_text(const struct addr *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (inet_ntop(a->family == AF_INET ? AF_INET : AF_INET6, a->a, buf,
	    (socklen_t)len) == NULL)
		buf[0] = '\0';
	return buf;
}

int
addr_prefix_match(const unsigned char *a, const unsigned char *net,
    unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, net, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ net[full]) & (0xff << (8 - rest))) == 0;
}

int
addr_in_cidr(const struct addr *a, const struct cidr *c)
{
	unsigned max = c->net.family == AF_INET ? 32 : 128;

	return a->family == c->net.family && c->prefix <= max &&
	    addr_prefix_match(a->a, c->net.a, c->prefix);
}

int
addr_parse_cidr(const char *s, struct cidr *out, const char **why)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash, *err;
	size_t hlen;
	uint64_t prefix;
	unsigned max;

	memset(out, 0, sizeof(*out));
	slash = strchr(s, '/');
	hlen = slash ? (size_t)(slash - s) : strlen(s);
	if (hlen == 0 || hlen >= sizeof(host)) {
		*why = memchr(s, ':', hlen) ? "not an ipv6 address" :
		    "not an ip address";
		return -1;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	out->net.family = strchr(host, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(out->net.family, host, out->net.a) != 1) {
		*why = out->net.family == AF_INET6 ? "not an ipv6 address" :
		    "not an ip address";
		return -1;
	}
	max = out->net.family == AF_INET ? 32 : 128;
	prefix = max;
	if (slash != NULL && parse_uint(slash + 1, 0, max, &prefix, &err) == -1) {
		*why = max == 32 ? "bad prefix length (0-32)" :
		    "bad prefix length (0-128)";
		return -1;
	}
	out->prefix = (unsigned)prefix;
	for (unsigned bit = out->prefix; bit < max; bit++)
		if (out->net.a[bit / 8] & (0x80 >> (bit % 8))) {
			*why = "bits set past the prefix length (write the "
			    "network address)";
			return -1;
		}
	/* ::ffff:a.b.c.d/n (n >= 96) is IPv4, and matched as such. */
	if (out->net.family == AF_INET6 && out->prefix >= 96 &&
	    memcmp(out->net.a, v4mapped, 12) == 0) {
		addr_unmap(&out->net);
		out->prefix -= 96;
	}
	return 0;
}

/* --- special ranges --------------------------------------------------------- */

struct special {
	int		 family;
	unsigned char	 net[16];
	unsigned	 prefix;
	const char	*what;
};

/* First match wins: the narrower range comes first. */
static const struct special specials[] = {
	{ AF_INET, { 0 }, 8, "unspecified (\"this network\")" },
	{ AF_INET, { 10 }, 8, "private (RFC 1918)" },
	{ AF_INET, { 100, 64 }, 10, "shared (carrier-grade NAT)" },
	{ AF_INET, { 127 }, 8, "loopback" },
	{ AF_INET, { 169, 254 }, 16, "link-local" },
	{ AF_INET, { 172, 16 }, 12, "private (RFC 1918)" },
	{ AF_INET, { 192, 168 }, 16, "private (RFC 1918)" },
	{ AF_INET, { 224 }, 4, "multicast" },
	{ AF_INET, { 240 }, 4, "reserved or broadcast" },
	{ AF_INET6, { 0 }, 128, "unspecified" },
	{ AF_INET6, { [15] = 1 }, 128, "loopback" },
	{ AF_INET6, { 0 }, 96, "IPv4-compatible (deprecated)" },
	{ AF_INET6, { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48,
	    "NAT64 local use (RFC 8215)" },
	{ AF_INET6, { 0xfc }, 7, "unique local (private)" },
	{ AF_INET6, { 0xfe, 0x80 }, 10, "link-local" },
	{ AF_INET6, { 0xfe, 0xc0 }, 10, "site-local (deprecated)" },
	{ AF_INET6, { 0xff }, 8, "multicast" },
};

/* IPv6 ranges that carry an IPv4 address: where it sits. */
static const struct {
	unsigned char	 net[16];
	unsigned	 prefix;
	unsigned	 v4_at;
	const char	*name;
} carriers[] = {
	{ { 0x00, 0x64, 0xff, 0x9b }, 96, 12, "NAT64" },	/* RFC 6052 */
	{ { 0x20, 0x02 }, 16, 2, "6to4" },			/* RFC 3056 */
};

static const struct special *
special_of(int family, const unsigned char *a)
{
	for (size_t i = 0; i < ARRAY_LEN(specials); i++)
		if (specials[i].family == family &&
		    addr_prefix_match(a, specials[i].net, specials[i].prefix))
			return &specials[i];
	return NULL;
}

/* The phrases for carried addresses, one per (carrier, special): static
 * text, so that a caller may keep the pointer. */
static char carried_what[ARRAY_LEN(carriers)][ARRAY_LEN(specials)][64];

const char *
addr_special(const struct addr *a, struct cidr *range, struct addr *embedded,
    struct cidr *embedded_range)
{
	const struct special *s;

	if (embedded != NULL)
		memset(embedded, 0, sizeof(*embedded));
	if (embedded_range != NULL)
		memset(embedded_range, 0, sizeof(*embedded_range));
	memset(range, 0, sizeof(*range));
	if ((s = special_of(a->family, a->a)) != NULL) {
		range->net.family = s->family;
		memcpy(range->net.a, s->net, sizeof(s->net));
		range->prefix = s->prefix;
		return s->what;
	}
	if (a->family != AF_INET6)
		return NULL;
	for (size_t c = 0; c < ARRAY_LEN(carriers); c++) {
		struct addr v4 = { .family = AF_INET };
		size_t k;
		char *w;

		if (!addr_prefix_match(a->a, carriers[c].net, carriers[c].prefix))
			continue;
		memcpy(v4.a, a->a + carriers[c].v4_at, 4);
		if ((s = special_of(AF_INET, v4.a)) == NULL)
			return NULL;
		k = (size_t)(s - specials);
		w = carried_what[c][k];
		if (w[0] == '\0')	/* the same text every time: no race */
			snprintf(carried_what[c][k], sizeof(carried_what[c][k]),
			    "%s of %s", carriers[c].name, s->what);
		/* The IPv6 range: the carrier's prefix, then the IPv4 one. */
		range->net.family = AF_INET6;
		memcpy(range->net.a, carriers[c].net, 16);
		memcpy(range->net.a + carriers[c].v4_at, s->net, 4);
		range->prefix = carriers[c].v4_at * 8 + s->prefix;
		if (embedded != NULL)
			*embedded = v4;
		if (embedded_range != NULL) {
			embedded_range->net.family = AF_INET;
			memcpy(embedded_range->net.a, s->net, 4);
			embedded_range->prefix = s->prefix;
		}
		return carried_what[c][k];
	}
	return NULL;
}

const char *
addr_special_refused(const struct addr *a0, const struct cidr *list, size_t n,
    char *why, size_t whylen)
{
	struct addr a = *a0, v4;
	struct cidr range, v4range;
	const char *what;
	char text[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN];

	addr_unmap(&a);
	if ((what = addr_special(&a, &range, &v4, &v4range)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		/* A special address needs an entry inside its range. */
		if (addr_in_cidr(&a, &list[i]) && list[i].prefix >= range.prefix)
			return NULL;
		if (v4.family != 0 && addr_in_cidr(&v4, &list[i]) &&
		    list[i].prefix >= v4range.prefix)
			return NULL;
	}
	snprintf(why, whylen, "%s is %s %s address: only a CIDR inside %s/%u "
	    "in probe_allow allows it", addr_text(a0, text, sizeof(text)),
	    what[0] == 'I' || strncmp(what, "unsp", 4) == 0 ? "an" : "a", what,
	    addr_text(&range.net, net, sizeof(net)), range.prefix);
	return why;
}

/* --- names and ports ---------------------------------------------------------- */

int
addr_name_check(const char *s, unsigned flags, const char **why)
{
	int underscore = (flags & ADDR_NAME_UNDERSCORE) != 0;
	size_t len = strlen(s), label = 0;
	int digits = 1;

	if (len == 0) {
		*why = "empty name";
		return -1;
	}
	if (len > ADDR_NAME_MAX) {
		*why = "name longer than 253 characters";
		return -1;
	}
	for (const char *c = s;; c++) {
		if (*c == '.' || *c == '\0') {
			if (label == 0) {
				*why = "empty label";
				return -1;
			}
			if (label > ADDR_LABEL_MAX) {
				*why = "label longer than 63 characters";
				return -1;
			}
			if (!underscore && c[-1] == '-') {
				*why = "a label ends with '-'";
				return -1;
			}
			if (*c == '\0')
				break;
			label = 0;
			digits = 1;
			continue;
		}
		if (!ascii_is_alnum(*c) && *c != '-' && !(underscore && *c == '_')) {
			*why = underscore ?
			    "bad character (use letters, digits, '-', '_', '.')" :
			    "bad character (use letters, digits, '-', '.')";
			return -1;
		}
		if (!underscore && label == 0 && *c == '-') {
			*why = "a label starts with '-'";
			return -1;
		}
		if (*c < '0' || *c > '9')
			digits = 0;
		label++;
	}
	if (digits) {
		*why = "neither an ip address nor a name";
		return -1;
	}
	return 0;
}

int
addr_name_normalize(char *s, unsigned flags, const char **why)
{
	size_t len = strlen(s);

	if (len > 0 && s[len - 1] == '.')
		s[--len] = '\0';
	ascii_lower_str(s);
	return addr_name_check(s, flags, why);
}

int
addr_parse_port(const char *s, uint16_t *port, const char **why)
{
	unsigned v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 5) {
		*why = n ? "bad port (1-65535)" : "empty port";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			*why = "bad port (1-65535)";
			return -1;
		}
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535) {
		*why = "bad port (1-65535)";
		return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

int
addr_parse_host_port(const char *s, char **host, uint16_t *port,
    const char **err)
{
	const char *colon, *hstart, *hend;
	uint64_t v;

	if (s[0] == '[') {
		hstart = s + 1;
		hend = strchr(s, ']');
		if (hend == NULL || hend[1] != ':') {
			*err = "expected [address]:port";
			return -1;
		}
		colon = hend + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			*err = "expected host:port";
			return -1;
		}
		if (memchr(s, ':', (size_t)(colon - s)) != NULL) {
			*err = "IPv6 addresses must be written as [address]:port";
			return -1;
		}
		hstart = s;
		hend = colon;
	}
	if (hend == hstart) {
		*err = "empty host";
		return -1;
	}
	if (parse_uint(colon + 1, 1, 65535, &v, err) == -1) {
		*err = "bad port (1-65535)";
		return -1;
	}
	*host = xstrndup(hstart, (size_t)(hend - hstart));
	*port = (uint16_t)v;
	return 0;
}

int
addr_is_localhost(const char *name)
{
	static const char lh[] = "localhost";
	size_t n = strlen(name), l = sizeof(lh) - 1;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n < l || strncasecmp(name + n - l, lh, l) != 0)
		return 0;
	return n == l || name[n - l - 1] == '.';
}
