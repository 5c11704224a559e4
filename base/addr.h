/* Addresses and host names, in one place: IP and CIDR parsing, IPv4-mapped
 * IPv6, the table of special ranges (loopback, private, ...; NAT64 and 6to4
 * judged by the IPv4 address they carry), and the host-name and port
 * syntax.  The config, /probe, the scheduler and the SPF matcher all use
 * these, so that one rule decides what an address or a name is.  Every
 * parser here is strict: the whole string, no blanks, no leading zeros
 * where they change the meaning (inet_pton's rules for addresses). */
#ifndef MAILSEC_ADDR_H
#define MAILSEC_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADDR_NAME_MAX	253	/* a DNS name in text, no trailing dot */
#define ADDR_LABEL_MAX	63

/* An IPv4 (a[0..3], the rest zero) or IPv6 address. */
struct addr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 a[16];
};

/* A network: net has no bits set past prefix. */
struct cidr {
	struct addr	 net;
	unsigned	 prefix;
};

/* An IP address in text ("192.0.2.1", "2001:db8::1"), IPv4 tried first;
 * ::ffff:a.b.c.d stays IPv6 (addr_unmap() makes it a.b.c.d).  0 or -1. */
int addr_parse_ip(const char *s, struct addr *out);
/* ::ffff:a.b.c.d becomes the IPv4 address a.b.c.d: what a connect to it
 * reaches.  Anything else is left alone. */
void addr_unmap(struct addr *a);
/* From a sockaddr_in or sockaddr_in6 (unmapped); -1 for another family. */
int addr_from_sockaddr(const struct sockaddr *sa, struct addr *out);
/* A sockaddr for a and port; its length in *len. */
void addr_to_sockaddr(const struct addr *a, uint16_t port,
    struct sockaddr_storage *ss, socklen_t *len);
/* The canonical text (inet_ntop) in buf of at least 46 bytes; returns buf. */
char *addr_text(const struct addr *a, char *buf, size_t len);
/* 1 if the first prefix bits of a and net are equal. */
int addr_prefix_match(const unsigned char *a, const unsigned char *net,
    unsigned prefix);
/* 1 if a is in c (same family, prefix bits equal). */
int addr_in_cidr(const struct addr *a, const struct cidr *c);

/* "ADDRESS" or "ADDRESS/PREFIX" (IPv4 0-32, IPv6 0-128, no sign, no
 * leading zero); no bits set past the prefix.  An IPv6 CIDR inside
 * ::ffff:0:0/96 is made the IPv4 one it means.  0, or -1 with *why. */
int addr_parse_cidr(const char *s, struct cidr *out, const char **why);

/* The special range a is in, or NULL: loopback, private, link-local,
 * shared, unspecified, multicast, reserved, and for IPv6 also unique
 * local, site-local (fec0::/10), IPv4-compatible (::/96), NAT64 local use
 * (64:ff9b:1::/48).  An address that carries an IPv4 address (NAT64
 * 64:ff9b::/96, 6to4 2002::/16) is special when that IPv4 address is; the
 * range is then the IPv6 one that holds the special IPv4 range (for
 * 64:ff9b::7f00:1, 64:ff9b::7f00:0/104) and *embedded gets the IPv4
 * address and *embedded_range its IPv4 range.  embedded and
 * embedded_range may be NULL; when there is no embedded address,
 * embedded->family is 0.  The text says what the range is ("loopback",
 * "NAT64 of loopback"). */
const char *addr_special(const struct addr *a, struct cidr *range,
    struct addr *embedded, struct cidr *embedded_range);

/* Whether a connection to a may be made, the allow-list being the CIDRs
 * in list: an address outside the special ranges is allowed (NULL); a
 * special one only when a listed CIDR inside its range holds it (or, for
 * an address carrying IPv4, a listed IPv4 CIDR inside the IPv4 special
 * range holds the carried address), so 0.0.0.0/0 or ::/0 do not open
 * loopback and the LAN.  Else the reason, written into why. */
const char *addr_special_refused(const struct addr *a, const struct cidr *list,
    size_t n, char *why, size_t whylen);

/* Host names: dot-separated labels of letters, digits and '-' (and '_'
 * with ADDR_NAME_UNDERSCORE, for DNS names such as _dmarc.example.org), at
 * most 63 bytes a label and 253 in all; a label neither starts nor ends
 * with '-' (without ADDR_NAME_UNDERSCORE: RFC 1123 host names); the last
 * label not all digits (that would be a bad IPv4 address). */
#define ADDR_NAME_UNDERSCORE	0x1
int addr_name_check(const char *s, unsigned flags, const char **why);
/* Whether a name is "localhost" or below it (RFC 6761 6.3: such names are
 * the loopback addresses and are never asked of the DNS).  ASCII case and
 * one trailing dot are ignored.  1 or 0. */
int addr_is_localhost(const char *name);
/* The same after making s canonical in place: lowercase, no trailing dot. */
int addr_name_normalize(char *s, unsigned flags, const char **why);

/* A port: 1-65535, digits only, at most 5 of them.  0, or -1 with *why. */
int addr_parse_port(const char *s, uint16_t *port, const char **why);
/* "host:port", "[v6]:port"; host may be a name (not checked here).  *host
 * is allocated.  0, or -1 with *err. */
int addr_parse_host_port(const char *s, char **host, uint16_t *port,
    const char **err);

#endif
