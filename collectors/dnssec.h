/* DNSSEC-validated lookups: libunbound on the exporter's own libevent
 * loop (ub_ctx_create_event), validating itself from a trust anchor file,
 * recursing or through one forwarder.  c-ares stays the resolver for the
 * lookups no verdict's security depends on; this one answers the lookups
 * whose security does (MX, the MX hosts' addresses, TLSA, DNSKEY).
 *
 * The status of an answer is told apart, never merged: secure, insecure,
 * bogus (with unbound's why_bogus), SERVFAIL, timeout. */
#ifndef MAILSEC_DNSSEC_H
#define MAILSEC_DNSSEC_H

#include <stddef.h>

#include <event2/event.h>

enum dnssec_status {
	DNSSEC_SECURE,		/* the answer (or its denial) validated */
	DNSSEC_INSECURE,	/* provably unsigned: no DNSSEC here */
	DNSSEC_BOGUS,		/* signed, but does not validate */
	DNSSEC_SERVFAIL,	/* no answer could be had */
	DNSSEC_TIMEOUT,		/* the lookup's time ran out */
	DNSSEC_ERROR,		/* libunbound refused the query */
	DNSSEC_BUDGET,		/* not asked: the domain's question budget
				 * (dns_budget_per_domain) was spent */
	DNSSEC__COUNT
};
const char *dnssec_status_name(enum dnssec_status s);

struct dnssec_params {
	const char	*trust_anchor_file;	/* root.key, or a test zone's */
	const char	*forwarder;	/* "ip" or "ip@port"; NULL: recurse */
	unsigned	 timeout_ms;	/* per lookup */
	const char *const *insecure_local_zones; /* names unbound answers
					 * itself (RFC 6761: "test.") to let
					 * through; NULL-terminated, or NULL */
};

struct dnssec;
struct dnssec_query;

/* The validator; libunbound's context is made by the first lookup (a
 * failure there, e.g. a trust anchor unbound refuses, is that lookup's
 * DNSSEC_ERROR with why).  err is kept for the callers; NULL is not
 * returned. */
struct dnssec *dnssec_new(struct event_base *base,
    const struct dnssec_params *p, char *err, size_t errlen);
/* Cancels every lookup still in flight without calling back. */
void dnssec_free(struct dnssec *v);

/* One validated answer; valid only during the callback. */
struct dnssec_answer {
	enum dnssec_status status;
	int		 rcode;		/* DNS rcode: 0, 3 (NXDOMAIN), ... */
	const unsigned char *packet;	/* the answer message, or NULL */
	int		 len;
	const char	*why_bogus;	/* for people, never a label; or "" */
	double		 duration_s;
};

typedef void (*dnssec_cb)(void *arg, const struct dnssec_answer *a);

/* A why_bogus a result keeps: an exact copy of a bogus answer's text, or
 * dnssec_why_none ("", not owned) for every other answer. */
extern char dnssec_why_none[1];
/* Sets *dst (dnssec_why_none or owned) to a's why_bogus, freeing the old
 * one; a NULL: none. */
void dnssec_why_set(char **dst, const struct dnssec_answer *a);
void dnssec_why_free(char *why);
/* The bytes it holds (0 for none). */
size_t dnssec_why_bytes(const char *why);

/* cb runs once, from the loop, never from inside dnssec_resolve() (an
 * answer libunbound has at once is delivered on the next loop pass),
 * unless dnssec_cancel() comes first. */
struct dnssec_query *dnssec_resolve(struct dnssec *v, const char *name,
    int type, dnssec_cb cb, void *arg);
void dnssec_cancel(struct dnssec_query *q);
/* A query that asks nothing and ends with status (DNSSEC_BUDGET: a
 * caller's budget was spent) on the next loop pass, as dnssec_resolve()
 * would; dnssec_cancel() applies.  Not counted in dnssec_queries(). */
struct dnssec_query *dnssec_answer_later(struct dnssec *v, const char *name,
    enum dnssec_status status, dnssec_cb cb, void *arg);

/* How a job's validated lookups go out (danelookup, zonestatus): with no
 * sender straight to the validator; else through the caller's queue,
 * which sends them in its own time (the scheduler paces them with every
 * other lookup and counts them against the domain's budget).  The rule is
 * dnssec_resolve()'s: cb runs once, from the loop, never from inside
 * send, unless cancel (of the handle send returned) comes first. */
struct dnssec_sender {
	void	*(*send)(void *arg, const char *name, int type, dnssec_cb cb,
		    void *cb_arg);
	void	 (*cancel)(void *arg, void *handle);
	void	*arg;
};
/* Through s, or dnssec_resolve(v, ...) when s is NULL; the handle is for
 * dnssec_send_cancel() with the same s. */
void *dnssec_send(struct dnssec *v, const struct dnssec_sender *s,
    const char *name, int type, dnssec_cb cb, void *arg);
void dnssec_send_cancel(const struct dnssec_sender *s, void *handle);
unsigned dnssec_in_flight(const struct dnssec *v);
/* Questions handed to the validator since start, by the `record` of
 * dns_record_of() (collectors/dns.h; index < DNS_REC__COUNT): libunbound
 * answers many from its own cache, which it keeps by the TTLs. */
unsigned long dnssec_queries(const struct dnssec *v, unsigned record);

#endif
