/* The scheduler's DNS pacing queue and the per-domain question budget:
 * lookups wait their turn (a bounded number in flight, none far ahead of
 * the probes), and a domain's run may send at most dns_budget_per_domain
 * questions to the resolver.  One queue per process (in the ctx). */
#ifndef MAILSEC_DNSQUEUE_H
#define MAILSEC_DNSQUEUE_H

#include <stdint.h>

#include "collectors/dns.h"
#include "collectors/dnssec.h"

struct ctx;
struct dns_budget;

/* A budget of questions for a domain's run (refcounted: queued questions
 * hold it too).  The caller holds one reference. */
struct dns_budget *dnsq_budget_new(struct ctx *ctx, const char *domain,
    unsigned questions);
void dnsq_budget_unref(struct dns_budget *b);

/* Queues a lookup: cb runs exactly once, maybe inside this call (c-ares,
 * the test mode, a spent budget: status DNS_STATUS_BUDGET).  budget NULL:
 * not counted.  *sent_ms, if not NULL, is set when the question goes out. */
void dnsq_ask(struct ctx *ctx, struct dns_budget *budget, const char *name,
    int type, dns_answer_cb cb, void *arg, uint64_t *sent_ms);
/* dnsq_ask() as a records_send_fn: send_arg is the dns_budget. */
void dnsq_send(void *send_arg, const char *name, int type, dns_answer_cb cb,
    void *cb_arg, uint64_t *sent_ms);
/* The validated lookups of a domain's DANE and zone status jobs through
 * the same queue and budget b (not NULL): a question over the budget is
 * not handed to the validator and ends DNSSEC_BUDGET from the loop. */
void dnsq_dnssec_sender(struct dns_budget *b, struct dnssec_sender *s);
/* Sends what may go now (the probe queue calls it when it shortens). */
void dnsq_pump(struct ctx *ctx);
/* At shutdown: every lookup not sent yet ends with ARES_EDESTRUCTION. */
void dnsq_flush(struct ctx *ctx);

#endif
