/* The scheduler's DNS pacing queue and the per-domain question budget
 * (dns_budget_per_domain).  Every lookup of a run (MX, A, AAAA) and of its
 * records, MTA-STS and MX hygiene jobs (c-ares), and of its DANE and zone
 * status jobs (the validator), waits here for its turn: at most
 * DNS_MAX_IN_FLIGHT out, none while the probe queue is long, and a
 * domain's questions counted against its budget. */
#include "daemon/dnsqueue.h"

#include <stdlib.h>

#include <event2/event.h>

#include "base/log.h"
#include "base/util.h"
#include "collectors/dns.h"
#include "collectors/dnssec.h"
#include "daemon/ctx.h"

/* The DNS questions a domain's run may still send (dns_budget_per_domain):
 * its MX and address lookups and those of its records and MTA-STS jobs.
 * Only questions that go to the resolver count (not cache hits, nor a
 * question joined to the same one in flight).  Held by the run and by
 * every question queued with it, so that it outlives a cancelled run. */
struct dns_budget {
	struct ctx	*ctx;
	unsigned	 refs;
	unsigned	 left;
	unsigned	 refused;	/* questions not sent */
	char		*domain;	/* for the log */
};

/* DNS lookups of the scheduler (MX, A, AAAA) are sent at most
 * DNS_MAX_IN_FLIGHT at a time; the rest wait their turn.  Sent all at once
 * (a big config, --once), thousands of answers would overflow the receive
 * buffer of the resolver socket while the loop is busy with handshakes, and
 * every answer dropped there comes back as a timeout seconds later.
 * (The queue is the process's: there is one ctx.) */
#define DNS_MAX_IN_FLIGHT	128
/* Nor do they run far ahead of the probes: a lookup is sent only while
 * fewer than DNS_AHEAD(ctx) probes wait for a slot.  Endpoints and probe
 * jobs are then made as the probes can take them, not for every target at
 * once, so a big config holds two results (the last, and the one being
 * made) for a few hundred checks at a time instead of for all of them. */
#define DNS_AHEAD(ctx)		(2 * (ctx)->cfg->concurrency)

struct sched_query {
	struct ctx	*ctx;
	char		*name;
	int		 type;
	dns_answer_cb	 cb;
	void		*arg;
	uint64_t	*sent_ms;	/* set when it is sent, if not NULL */
	struct dns_budget *budget;	/* NULL: not counted */
	dnssec_cb	 vcb;		/* a validated lookup's (cb is NULL) */
	struct dnssec_query *vq;	/* in the validator: sent */
	TAILQ_ENTRY(sched_query) link;
};

struct dns_budget *
dnsq_budget_new(struct ctx *ctx, const char *domain, unsigned questions)
{
	struct dns_budget *b = xcalloc(1, sizeof(*b));

	b->ctx = ctx;
	b->refs = 1;
	b->left = questions;
	b->domain = xstrdup(domain);
	return b;
}

static struct dns_budget *
budget_ref(struct dns_budget *b)
{
	if (b != NULL)
		b->refs++;
	return b;
}

void
dnsq_budget_unref(struct dns_budget *b)
{
	if (b == NULL || --b->refs > 0)
		return;
	free(b->domain);
	free(b);
}

/* 1 if the question may go out (counted unless the answer cache has it:
 * cached), 0 if the budget is spent: the question ends with
 * DNS_STATUS_BUDGET (DNSSEC_BUDGET) instead, logged once per run. */
static int
budget_charge(struct dns_budget *b, const char *name, int type, int cached)
{
	char q[256], qn[300];

	if (b == NULL || cached)
		return 1;
	if (b->left > 0) {
		b->left--;
		return 1;
	}
	b->ctx->dns_budget_refused++;
	if (b->refused++ == 0)
		log_warn("dns_budget", "target=%s budget=%u first_refused=%s "
		    "type=%s msg=\"dns_budget_per_domain spent: the "
		    "domain's other lookups end with reason dns_budget\"",
		    log_quote(q, sizeof(q), b->domain),
		    b->ctx->cfg->dns_budget_per_domain,
		    log_quote(qn, sizeof(qn), name),
		    dns_record_name(dns_record_of(name, type)));
	return 0;
}

static void
query_answered(void *arg, int status, const unsigned char *abuf, int alen)
{
	struct sched_query *q = arg;
	struct ctx *ctx = q->ctx;

	ctx->dns_sent--;
	q->cb(q->arg, status, abuf, alen);
	dnsq_budget_unref(q->budget);
	free(q);
	dnsq_pump(ctx);
}

static void
dnssec_answered(void *arg, const struct dnssec_answer *a)
{
	struct sched_query *q = arg;
	struct ctx *ctx = q->ctx;

	q->vq = NULL;
	ctx->dns_sent--;
	q->vcb(q->arg, a);
	dnsq_budget_unref(q->budget);
	free(q);
	dnsq_pump(ctx);
}

/* A validated lookup: libunbound keeps its own cache (no answer of ours
 * is asked for), so every question handed to it counts against the
 * budget; one over it ends DNSSEC_BUDGET on the next loop pass. */
static void
validated_send(struct sched_query *q, const char *name)
{
	struct dnssec *v = q->ctx->dnssec;

	if (budget_charge(q->budget, name, q->type, 0))
		q->vq = dnssec_resolve(v, name, q->type, dnssec_answered, q);
	else
		q->vq = dnssec_answer_later(v, name, DNSSEC_BUDGET,
		    dnssec_answered, q);
}

/* The answer may come inside (c-ares, the test mode, a spent budget),
 * never for a validated lookup. */
static void
query_send(struct sched_query *q)
{
	char *name = q->name;

	q->name = NULL;
	q->ctx->dns_sent++;
	if (q->sent_ms)
		*q->sent_ms = now_ms();
	if (q->vcb != NULL)
		validated_send(q, name);
	else if (budget_charge(q->budget, name, q->type,
	    dns_answerable(q->ctx->dns, name, q->type)))
		dns_query(q->ctx->dns, name, q->type, query_answered, q);
	else
		query_answered(q, DNS_STATUS_BUDGET, NULL, 0);
	free(name);
}

/* Iterative: an answer given inside dns_query() must not recurse. */
void
dnsq_pump(struct ctx *ctx)
{
	struct sched_query *q;

	if (ctx->dns_pumping)
		return;
	ctx->dns_pumping = 1;
	while (ctx->dns_sent < DNS_MAX_IN_FLIGHT &&
	    (q = TAILQ_FIRST(&ctx->dns_waiting)) != NULL && !ctx->stopping &&
	    ctx->queued < DNS_AHEAD(ctx)) {
		TAILQ_REMOVE(&ctx->dns_waiting, q, link);
		query_send(q);
	}
	ctx->dns_pumping = 0;
}

void
dnsq_ask(struct ctx *ctx, struct dns_budget *budget,
    const char *name, int type, dns_answer_cb cb, void *arg, uint64_t *sent_ms)
{
	struct sched_query *q = xcalloc(1, sizeof(*q));

	q->budget = budget_ref(budget);
	q->ctx = ctx;
	q->name = xstrdup(name);
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	q->sent_ms = sent_ms;
	TAILQ_INSERT_TAIL(&ctx->dns_waiting, q, link);
	dnsq_pump(ctx);
}

/* The records' lookups (SPF walk, DKIM, DMARC) and MTA-STS's are paced
 * with the rest, and counted against the domain's budget (send_arg): a
 * cancelled job asks nothing more, and its queued questions hold the
 * budget. */
void
dnsq_send(void *send_arg, const char *name, int type, dns_answer_cb cb,
    void *cb_arg, uint64_t *sent_ms)
{
	struct dns_budget *b = send_arg;

	dnsq_ask(b->ctx, b, name, type, cb, cb_arg, sent_ms);
}

/* At shutdown the lookups not sent yet end as c-ares ends those it has
 * (a validated one as an error). */
void
dnsq_flush(struct ctx *ctx)
{
	struct sched_query *q;

	while ((q = TAILQ_FIRST(&ctx->dns_waiting)) != NULL) {
		TAILQ_REMOVE(&ctx->dns_waiting, q, link);
		if (q->vcb != NULL) {
			struct dnssec_answer a = { .status = DNSSEC_ERROR,
			    .rcode = 2, .why_bogus = "" };

			q->vcb(q->arg, &a);			/* may add more */
		} else
			q->cb(q->arg, ARES_EDESTRUCTION, NULL, 0);
		dnsq_budget_unref(q->budget);
		free(q->name);
		free(q);
	}
}

static void
pump_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctx *ctx = arg;

	(void)fd;
	(void)what;
	ctx->dns_pump_later = 0;
	dnsq_pump(ctx);
}

/* A DANE or zone status job's validated lookup (its dnssec_sender, arg
 * the run's budget): queued with the rest; sent from in here if it may
 * go now (dnssec_resolve() never answers inside). */
static void *
dnssec_queue(void *arg, const char *name, int type, dnssec_cb cb,
    void *cb_arg)
{
	struct dns_budget *b = arg;
	struct sched_query *q = xcalloc(1, sizeof(*q));

	q->budget = budget_ref(b);
	q->ctx = b->ctx;
	q->name = xstrdup(name);
	q->type = type;
	q->vcb = cb;
	q->arg = cb_arg;
	TAILQ_INSERT_TAIL(&b->ctx->dns_waiting, q, link);
	dnsq_pump(b->ctx);
	return q;
}

/* Cancelled waiting or in the validator.  The slot it frees is given on
 * from the loop, not from inside a job's cancel. */
static void
dnssec_unqueue(void *arg, void *handle)
{
	struct dns_budget *b = arg;
	struct ctx *ctx = b->ctx;
	struct sched_query *q = handle;
	struct timeval zero = { 0, 0 };

	if (q->vq != NULL) {
		dnssec_cancel(q->vq);
		ctx->dns_sent--;
		if (!ctx->dns_pump_later && !TAILQ_EMPTY(&ctx->dns_waiting) &&
		    event_base_once(ctx->base, -1, EV_TIMEOUT, pump_later_cb,
		    ctx, &zero) == 0)
			ctx->dns_pump_later = 1;
	} else {
		TAILQ_REMOVE(&ctx->dns_waiting, q, link);
		free(q->name);
	}
	dnsq_budget_unref(q->budget);
	free(q);
}

void
dnsq_dnssec_sender(struct dns_budget *b, struct dnssec_sender *s)
{
	s->send = dnssec_queue;
	s->cancel = dnssec_unqueue;
	s->arg = b;
}
