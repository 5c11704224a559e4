/* The DNS answer cache of the c-ares path (collectors/dns.c): answers kept
 * as the wire messages c-ares gave, keyed by (name, type, class), for the
 * least TTL of the answer capped by max_ttl; NXDOMAIN and NODATA for the
 * SOA's negative TTL (RFC 2308 5: min of the SOA's TTL and MINIMUM),
 * capped by neg_max_ttl; nothing else (SERVFAIL, refusals, timeouts, a
 * negative answer without an SOA, a TTL of 0).  Bounded in entries and in
 * bytes; the least recently used entry goes first.  Pure data structure:
 * no I/O, the clock is injectable (tests). */
#ifndef MAILSEC_DNSCACHE_H
#define MAILSEC_DNSCACHE_H

#include <stddef.h>
#include <stdint.h>

/* Defaults, also the config's (exporter.ini.example). */
#define DNSCACHE_DEFAULT_MAX_TTL_S	3600
#define DNSCACHE_DEFAULT_NEG_MAX_TTL_S	900
#define DNSCACHE_DEFAULT_MAX_ENTRIES	100000
#define DNSCACHE_DEFAULT_MAX_BYTES	(32u * 1024 * 1024)
#define DNSCACHE_MAX_TTL_LIMIT_S	86400	/* what a config may set */

struct dnscache_params {
	unsigned	 max_ttl_s;	/* 0: nothing is kept */
	unsigned	 neg_max_ttl_s;	/* 0: no negative caching */
	size_t		 max_entries;
	size_t		 max_bytes;	/* entries, names and answers */
	/* Milliseconds, any epoch; NULL: now_ms(). */
	uint64_t	(*clock)(void *arg);
	void		*clock_arg;
};

/* Why an answer was, or was not, kept (dnscache_put's result). */
enum dnscache_store {
	DNSCACHE_STORED,
	DNSCACHE_OFF,		/* max_ttl 0, or neg_max_ttl 0 for a negative */
	DNSCACHE_UNCACHEABLE,	/* SERVFAIL, refused, timeout, other errors */
	DNSCACHE_TTL_ZERO,	/* the answer's TTL is 0 (or above 2^31-1) */
	DNSCACHE_NO_SOA,	/* a negative answer without an SOA */
	DNSCACHE_MALFORMED,	/* the message does not parse, or is truncated */
	DNSCACHE_TOO_BIG,	/* larger than max_bytes, or the name too long */
	DNSCACHE__COUNT
};
const char *dnscache_store_name(enum dnscache_store s);

struct dnscache;

/* A name as the cache keys it, and the resolver its flights: lower case,
 * without one final dot, into out (outlen bytes).  Its length, or SIZE_MAX
 * when it does not fit. */
size_t dnscache_key_name(const char *name, char *out, size_t outlen);

struct dnscache *dnscache_new(const struct dnscache_params *p);
void dnscache_free(struct dnscache *c);
/* New bounds (a reload): entries over them are evicted now. */
void dnscache_set_params(struct dnscache *c, const struct dnscache_params *p);

/* 1 with the answer's status (ARES_*), message and length, valid until the
 * next call on the cache (copy it before answering anyone); 0 on a miss.
 * An expired entry is dropped here. */
int dnscache_get(struct dnscache *c, const char *name, int type, int dnsclass,
    int *status, const unsigned char **abuf, int *alen);
/* 1 when dnscache_get would hit, without counting it as a use. */
int dnscache_has(struct dnscache *c, const char *name, int type, int dnsclass);
enum dnscache_store dnscache_put(struct dnscache *c, const char *name,
    int type, int dnsclass, int status, const unsigned char *abuf, int alen);
void dnscache_clear(struct dnscache *c);

size_t dnscache_entries(const struct dnscache *c);
size_t dnscache_bytes(const struct dnscache *c);
unsigned long dnscache_evictions(const struct dnscache *c);

/* The TTL in seconds an answer may be kept for before the caps: the least
 * TTL of the answer section for ARES_SUCCESS, the RFC 2308 negative TTL
 * for ARES_ENOTFOUND and ARES_ENODATA.  Returns DNSCACHE_STORED with *ttl
 * set, or why not (a parser of hostile input: every length is checked). */
enum dnscache_store dnscache_answer_ttl(int status, const unsigned char *abuf,
    int alen, uint32_t *ttl);

#endif
