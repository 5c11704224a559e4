/* Asynchronous DNS: one c-ares channel driven by the libevent loop (its
 * sockets are watched through the socket-state callback, its timeouts by
 * one timer).  Whoever starts a query owns its context and frees it in the
 * completion callback, which always runs exactly once, from the loop
 * (status ARES_EDESTRUCTION when the channel is freed first). */
#ifndef MAILSEC_DNS_H
#define MAILSEC_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include <ares.h>
#include <event2/event.h>

struct dns;

/* servers: NULL for resolv.conf, else c-ares CSV "ip:port,[v6]:port". */
struct dns *dns_new(struct event_base *base, const char *servers,
    unsigned timeout_ms, unsigned tries, char *err, size_t errlen);
void dns_free(struct dns *d);
int dns_set_servers(struct dns *d, const char *servers, char *err,
    size_t errlen);
unsigned dns_in_flight(const struct dns *d);

/* Raw answer callback: status is an ARES_* code, abuf the DNS message. */
typedef void (*dns_answer_cb)(void *arg, int status, const unsigned char *abuf,
    int alen);
/* How dns_query() answered (the caller may ignore it). */
enum dns_asked {
	DNS_ASKED_SENT,		/* a question went to the resolver */
	DNS_ASKED_CACHED,	/* an answer from the cache */
	DNS_ASKED_JOINED,	/* the same question is in flight: its answer */
	DNS_ASKED_TEST,		/* the test mode (MAILSEC_TEST_DNS) answered */
};
/* Asks, or answers from the answer cache, or joins the same question in
 * flight (name, type and class IN; the name's case and a final dot do not
 * matter).  The callback runs exactly once.  A cached answer is delivered
 * from the loop (a zero timer), never inside this call, except in the test
 * mode (MAILSEC_TEST_DNS), where it comes inside, as c-ares 1.23 does. */
enum dns_asked dns_query(struct dns *d, const char *name, int type,
    dns_answer_cb cb, void *arg);
/* 1 when dns_query() would send nothing: the answer is cached, or the same
 * question is in flight (the scheduler's per-domain budget counts only what
 * is sent). */
int dns_answerable(struct dns *d, const char *name, int type);

/* The answer cache's bounds (collectors/dnscache.h); the defaults until
 * this is called.  Shrinking evicts at once; max_ttl 0 empties it. */
struct dnscache_params;
void dns_set_cache(struct dns *d, const struct dnscache_params *p);
/* Empties the answer cache (its bounds stay). */
void dns_drop_cache(struct dns *d);

/* What a question was for, from its name and type: the `record` label of
 * mailsec_exporter_dns_queries_total, in the words of
 * mailsec_dns_lookup_success{record}. */
enum dns_record {
	DNS_REC_MX,
	DNS_REC_A,
	DNS_REC_AAAA,
	DNS_REC_SPF,		/* TXT at any other name: the SPF walk's */
	DNS_REC_DMARC,		/* TXT at _dmarc.* */
	DNS_REC_DKIM,		/* TXT at *._domainkey.* */
	DNS_REC_MTA_STS,	/* TXT at _mta-sts.* */
	DNS_REC_TLS_RPT,	/* TXT at _smtp._tls.* */
	DNS_REC_TLSA,
	DNS_REC_PTR,
	DNS_REC_CAA,
	DNS_REC_CNAME,
	DNS_REC_DNSKEY,
	DNS_REC_DS,
	DNS_REC_OTHER,
	DNS_REC__COUNT
};
enum dns_record dns_record_of(const char *name, int type);
const char *dns_record_name(enum dns_record r);

struct dns_stats {
	unsigned long	 queries[DNS_REC__COUNT];	/* sent */
	unsigned long	 hits;		/* answered from the cache */
	unsigned long	 joined;	/* joined a question in flight */
	unsigned long	 evictions;
	size_t		 entries, bytes;
};
void dns_get_stats(const struct dns *d, struct dns_stats *st);

/* How a lookup ended, as users see it (`rcode` label). */
enum dns_result {
	DNS_OK,
	DNS_NXDOMAIN,
	DNS_NODATA,		/* NOERROR with no records of the type */
	DNS_SERVFAIL,
	DNS_REFUSED,
	DNS_TIMEOUT,
	DNS_ERROR,		/* malformed answer, other failures */
	DNS_BUDGET,		/* not asked: the domain's dns_budget_per_domain
				   is spent (DNS_STATUS_BUDGET) */
	DNS__COUNT
};
enum dns_result dns_classify(int ares_status);
/* The status an answer callback gets for a question the scheduler did not
 * ask because the domain's budget was spent: outside c-ares' codes. */
#define DNS_STATUS_BUDGET	1000
/* The DNS gave an answer, records or a definite "none" (NXDOMAIN or no
 * data); 0 is a lookup that failed: SERVFAIL, refused, timeout.  A failed
 * lookup says nothing about the records: it is never "no record". */
int dns_answered(enum dns_result r);
const char *dns_result_name(enum dns_result r);

/* Parsed answers (helpers over c-ares' parsers). */
struct dns_mx {
	char		*host;
	unsigned	 preference;
};
/* Returns DNS_OK with *mx and *n filled (caller frees with dns_mx_free), or
 * the failure class. */
enum dns_result dns_parse_mx(const unsigned char *abuf, int alen,
    struct dns_mx **mx, size_t *n);
void dns_mx_free(struct dns_mx *mx, size_t n);
/* 1 when mx[i]'s host is that of an earlier record (the same exchanger at
 * two preferences): it is resolved and probed once. */
int dns_mx_host_seen(const struct dns_mx *mx, size_t i);

/* The PTR targets of an answer, each once, in answer order, without the
 * final dot: c-ares lists every target in h_aliases and repeats the last
 * one in h_name, so the two are not added up.  Returns DNS_OK with *names
 * and *n (caller frees with dns_names_free), or the failure class. */
enum dns_result dns_parse_ptr(const unsigned char *abuf, int alen,
    char ***names, size_t *n);
void dns_names_free(char **names, size_t n);

struct dns_addr {
	int	 family;		/* AF_INET, AF_INET6 */
	union {
		struct in_addr	 v4;
		struct in6_addr	 v6;
	} u;
	unsigned ttl;
};
/* Appends the A or AAAA records of the answer to *addrs (realloc'd). */
enum dns_result dns_parse_addrs(int type, const unsigned char *abuf, int alen,
    struct dns_addr **addrs, size_t *n);

/* Calls fn with the RDATA of each answer-section record of the type, in
 * answer order, names skipped with bounds checked (compression allowed).
 * Returns the number of records of the type, or -1 for a malformed
 * message. */
typedef void (*dns_rdata_fn)(void *arg, const unsigned char *rdata,
    size_t len);
int dns_each_rdata(const unsigned char *abuf, int alen, int type,
    dns_rdata_fn fn, void *arg);

#endif
