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
void dns_query(struct dns *d, const char *name, int type, dns_answer_cb cb,
    void *arg);

/* How a lookup ended, as users see it (`rcode` label). */
enum dns_result {
	DNS_OK,
	DNS_NXDOMAIN,
	DNS_NODATA,		/* NOERROR with no records of the type */
	DNS_SERVFAIL,
	DNS_REFUSED,
	DNS_TIMEOUT,
	DNS_ERROR,		/* malformed answer, other failures */
	DNS__COUNT
};
enum dns_result dns_classify(int ares_status);
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
