#include "daemon/sched.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "collectors/protocols.h"
#include "base/addr.h"
#include "base/log.h"
#include "daemon/publish.h"
#include "daemon/share.h"
#include "base/util.h"

/* More MX hosts than this are not probed: a bound against hostile zones. */
#define MAX_MX_HOSTS	16
#define REPLY_LINE_MAX	2048
#define REPLY_LINES_MAX	100

struct probe_job;
TAILQ_HEAD(run_jobs, probe_job);

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

/* One run of a check.  It is detached (check == NULL) when its check goes
 * away mid-run, and freed when its last DNS answer or probe comes back. */
struct check_run {
	struct ctx	*ctx;
	struct check	*check;
	int		 admitted;	/* counted in ctx->runs_active */
	struct check_result *res;
	unsigned	 outstanding;	/* DNS queries and probes not done */
	uint64_t	 started_ms;
	uint64_t	 mx_started_ms;
	int		 audit;		/* this run also audits TLS */
	int		 mx_pending;	/* the MX answer has not come yet */
	unsigned	 dns_pending;	/* MX and address lookups to come */
	struct records_job *records;	/* SPF, DKIM, DMARC job in flight */
	struct mtasts_job *mtasts;	/* MTA-STS, TLS-RPT job in flight */
	struct zonestatus_job *zones;	/* DNSSEC status job in flight */
	struct mxhyg_job *mxhyg;	/* MX hygiene job in flight */
	struct dane_slot *dane;		/* one per MX host */
	size_t		 n_dane;
	int		 records_started;
	struct run_jobs	 jobs;
	struct dns_budget *budget;	/* domain targets */
};

/* Why a host is probed: it decides the ports. */
enum host_role {
	ROLE_ENDPOINT,
	ROLE_MX,
	ROLE_IMAP,
	ROLE_POP3,
};

struct host_lookup {
	struct check_run *run;
	enum host_role	 role;
	char		*name;
	unsigned	 pending;	/* A and AAAA answers to come */
	struct dns_addr	*addrs;
	size_t		 n_addrs;
	enum dns_result	 v4, v6;
};

/* One MX host's DANE lookups: in flight while job is set.  The SMTP
 * probes of the host wait for it (they carry its TLSA set into their
 * handshake). */
struct dane_slot {
	struct check_run *run;
	size_t		 index;		/* in run->res->dane */
	const char	*host;		/* in run->res->mx, or the domain */
	struct danelookup_job *job;
};

struct probe_job {
	struct check_run *run;
	size_t		 ep;		/* index in run->res->eps */
	struct session	*session;	/* while running */
	int		 queued;
	struct dane_slot *dane;		/* an MX host's SMTP probe, or NULL */
	int		 dane_wait;	/* held until dane->job answers */
	int		 auditing;	/* the main probe is done: audit steps */
	struct audit_cursor cursor;
	char		 log_id[640];	/* target= host= ... (quoted) */
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	struct probe_share *share;	/* leads or follows it, or NULL */
	TAILQ_ENTRY(probe_job) slink;	/* share->followers */
	TAILQ_ENTRY(probe_job) qlink;	/* ctx->queue */
	TAILQ_ENTRY(probe_job) rlink;	/* run->jobs */
};

static void check_schedule(struct check *c, uint64_t delay_ms);
static void run_maybe_finish(struct check_run *run);
static void run_dns_settled(struct check_run *run);
static void queue_pump(struct ctx *ctx);
static void job_requeue(struct ctx *ctx, struct probe_job *job);

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
	TAILQ_ENTRY(sched_query) link;
};

static void sched_dns_pump(struct ctx *ctx);

static struct dns_budget *
budget_new(struct ctx *ctx, const char *domain, unsigned questions)
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

static void
budget_unref(struct dns_budget *b)
{
	if (b == NULL || --b->refs > 0)
		return;
	free(b->domain);
	free(b);
}

/* 1 if the question may go out (counted), 0 if the budget is spent: the
 * question ends with DNS_STATUS_BUDGET instead, logged once per run. */
static int
budget_charge(struct dns_budget *b, const char *name, int type)
{
	char q[256], qn[300];

	if (b == NULL || dns_answerable(b->ctx->dns, name, type))
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
sched_dns_answer(void *arg, int status, const unsigned char *abuf, int alen)
{
	struct sched_query *q = arg;
	struct ctx *ctx = q->ctx;

	ctx->dns_sent--;
	q->cb(q->arg, status, abuf, alen);
	budget_unref(q->budget);
	free(q);
	sched_dns_pump(ctx);
}

/* The answer may come inside (c-ares, the test mode, a spent budget). */
static void
sched_dns_send(struct sched_query *q)
{
	char *name = q->name;

	q->name = NULL;
	q->ctx->dns_sent++;
	if (q->sent_ms)
		*q->sent_ms = now_ms();
	if (budget_charge(q->budget, name, q->type))
		dns_query(q->ctx->dns, name, q->type, sched_dns_answer, q);
	else
		sched_dns_answer(q, DNS_STATUS_BUDGET, NULL, 0);
	free(name);
}

/* Iterative: an answer given inside dns_query() must not recurse. */
static void
sched_dns_pump(struct ctx *ctx)
{
	struct sched_query *q;

	if (ctx->dns_pumping)
		return;
	ctx->dns_pumping = 1;
	while (ctx->dns_sent < DNS_MAX_IN_FLIGHT &&
	    (q = TAILQ_FIRST(&ctx->dns_waiting)) != NULL && !ctx->stopping &&
	    ctx->queued < DNS_AHEAD(ctx)) {
		TAILQ_REMOVE(&ctx->dns_waiting, q, link);
		sched_dns_send(q);
	}
	ctx->dns_pumping = 0;
}

static void
sched_dns_query_counted(struct ctx *ctx, struct dns_budget *budget,
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
	sched_dns_pump(ctx);
}

/* A run's lookup: a domain's counts against its budget (an endpoint
 * target has none). */
static void
run_dns_query(struct check_run *run, const char *name, int type,
    dns_answer_cb cb, void *arg, uint64_t *sent_ms)
{
	sched_dns_query_counted(run->ctx, run->budget, name, type, cb, arg,
	    sent_ms);
}

/* The records' lookups (SPF walk, DKIM, DMARC) and MTA-STS's are paced
 * with the rest, and counted against the domain's budget (send_arg): a
 * cancelled job asks nothing more, and its queued questions hold the
 * budget. */
static void
records_send(void *send_arg, const char *name, int type, dns_answer_cb cb,
    void *cb_arg, uint64_t *sent_ms)
{
	struct dns_budget *b = send_arg;

	sched_dns_query_counted(b->ctx, b, name, type, cb, cb_arg, sent_ms);
}

/* At shutdown the lookups not sent yet end as c-ares ends those it has. */
static void
sched_dns_flush(struct ctx *ctx)
{
	struct sched_query *q;

	while ((q = TAILQ_FIRST(&ctx->dns_waiting)) != NULL) {
		TAILQ_REMOVE(&ctx->dns_waiting, q, link);
		q->cb(q->arg, ARES_EDESTRUCTION, NULL, 0);	/* may add more */
		budget_unref(q->budget);
		free(q->name);
		free(q);
	}
}

uint64_t
check_interval_ms(const struct check *c)
{
	return c->cfg->interval_ms ? c->cfg->interval_ms : c->ctx->cfg->interval_ms;
}

uint64_t
check_timeout_ms(const struct check *c)
{
	return c->cfg->timeout_ms ? c->cfg->timeout_ms : c->ctx->cfg->timeout_ms;
}

int
check_audit_enabled(const struct check *c)
{
	return c->cfg->audit >= 0 ? c->cfg->audit : c->ctx->cfg->audit;
}

static int
check_audit_due(const struct check *c)
{
	uint64_t every = c->cfg->audit_interval_ms ? c->cfg->audit_interval_ms :
	    c->ctx->cfg->audit_interval_ms;

	if (!check_audit_enabled(c))
		return 0;
	return c->last_audit == 0 || c->ctx->once ||
	    (wall_time() - c->last_audit) * 1000 >= (double)every;
}

static void
run_free(struct check_run *run)
{
	check_result_free(run->res);
	free(run->dane);
	budget_unref(run->budget);
	free(run);
}

/* Whether a run may take the outcome of a probe done at done_ms: within
 * its check's interval, and with an audit as fresh as it asks for. */
static uint64_t
check_audit_every_ms(const struct check *c)
{
	return c->cfg->audit_interval_ms ? c->cfg->audit_interval_ms :
	    c->ctx->cfg->audit_interval_ms;
}

static int
share_audit_fresh(const struct probe_share *s, const struct check_run *run,
    uint64_t now)
{
	return s->audited && now - s->audit_ms < check_audit_every_ms(run->check);
}

/* A leader audits when its own run or one that follows it asks for an
 * audit that the entry does not hold fresh. */
static int
job_audit_wanted(const struct probe_job *job)
{
	const struct probe_share *s = job->share;
	const struct probe_job *f;
	uint64_t now;

	if (s == NULL)
		return job->run->audit && job->run->check != NULL;
	now = now_ms();
	if (job->run->audit && job->run->check != NULL &&
	    !share_audit_fresh(s, job->run, now))
		return 1;
	TAILQ_FOREACH(f, &s->followers, slink)
		if (f->run->audit && f->run->check != NULL &&
		    !share_audit_fresh(s, f->run, now))
			return 1;
	return 0;
}

static void
share_keep(struct probe_share *s, const struct check *c)
{
	uint64_t keep = check_interval_ms(c);

	if (check_audit_enabled(c) && check_audit_every_ms(c) > keep)
		keep = check_audit_every_ms(c);
	if (keep > s->keep_ms)
		s->keep_ms = keep;
}

/* Fills an endpoint of run from the entry's outcome (and audit). */
static void
share_serve(struct ctx *ctx, const struct probe_share *s,
    const struct check_run *run, struct endpoint_result *ep)
{
	probe_outcome_copy(&ep->out, &s->out);
	ep->finished = s->finished;
	if (run->audit && s->audited)
		ep->audit = s->audit;
	ctx->probes_total[ep->protocol][s->out.success ? 1 : 0]++;
	ctx->probes_shared[ep->protocol]++;
}

/* The leader is done (and its audit, if it ran one): every follower gets
 * the outcome, and the entry serves later runs from now on. */
static void
share_done(struct ctx *ctx, struct probe_job *leader,
    const struct endpoint_result *lep)
{
	struct probe_share *s = leader->share;
	struct probe_job *f;

	s->leader = NULL;
	s->done = 1;
	s->done_ms = now_ms();
	if (leader->run->check != NULL)
		share_keep(s, leader->run->check);
	if (leader->auditing) {
		s->audited = 1;
		s->audit_ms = s->done_ms;
		s->audit = lep->audit;
	}
	while ((f = TAILQ_FIRST(&s->followers)) != NULL) {
		struct check_run *frun = f->run;

		TAILQ_REMOVE(&s->followers, f, slink);
		share_serve(ctx, s, frun, &frun->res->eps[f->ep]);
		TAILQ_REMOVE(&frun->jobs, f, rlink);
		free(f);
		frun->outstanding--;
		run_maybe_finish(frun);
	}
}

/* A leader whose run is cancelled hands the probe to its first follower,
 * which starts it again from the queue's head; an entry nobody waits for
 * any more goes. */
static void
share_leader_cancelled(struct ctx *ctx, struct probe_job *job)
{
	struct probe_share *s = job->share;
	struct probe_job *f;

	if (s->leader != job) {
		TAILQ_REMOVE(&s->followers, job, slink);
		return;
	}
	if ((f = TAILQ_FIRST(&s->followers)) == NULL) {
		share_remove(&ctx->shares, s);
		return;
	}
	TAILQ_REMOVE(&s->followers, f, slink);
	s->leader = f;
	f->queued = 1;
	TAILQ_INSERT_HEAD(&ctx->queue, f, qlink);
	ctx->queued++;
}

static void
job_done(const struct probe_outcome *out, void *arg)
{
	struct probe_job *job = arg;
	struct check_run *run = job->run;
	struct ctx *ctx = run->ctx;
	struct endpoint_result *ep = &run->res->eps[job->ep];

	ctx->in_flight--;
	job->session = NULL;
	if (job->auditing) {
		if (audit_record(&job->cursor, &ep->audit, out)) {
			job_requeue(ctx, job);
			return;
		}
		log_debug("audit_done", "%s handshakes=%u duration_s=%.3f",
		    job->log_id, ep->audit.handshakes, ep->audit.duration_s);
		goto finished;
	}
	probe_outcome_copy(&ep->out, out);
	ep->finished = wall_time();
	ctx->probes_total[ep->protocol][out->success ? 1 : 0]++;
	if (job->share != NULL) {
		probe_outcome_copy(&job->share->out, out);
		job->share->finished = ep->finished;
	}
	if (out->success)
		log_debug("probe_done", "%s success=1 total_s=%.3f",
		    job->log_id, out->total_s);
	else {
		char q[LOG_QUOTE_MAX];

		log_info("probe_failed", "%s step=%s reason=%s detail=%s",
		    job->log_id, probe_step_name(out->fail_step),
		    probe_reason_name(out->reason),
		    log_quote(q, sizeof(q), out->detail));
	}
	/* The audit is worth its handshakes only where TLS works at all. */
	if (out->tls.done && job_audit_wanted(job)) {
		job->auditing = 1;
		/* What the probe negotiated needs no handshake of its own. */
		tls_audit_learn(&ep->audit, &out->tls);
		audit_begin(&job->cursor, ctx->weak_testable);
		if (protocol_starttls(ep->protocol))
			audit_test_injection(&job->cursor);
		job_requeue(ctx, job);
		return;
	}
finished:
	if (job->share != NULL)
		share_done(ctx, job, ep);
	TAILQ_REMOVE(&run->jobs, job, rlink);
	free(job);
	run->outstanding--;
	run_maybe_finish(run);
	queue_pump(ctx);
}

static void
job_start(struct ctx *ctx, struct probe_job *job)
{
	struct check_run *run = job->run;
	const struct endpoint_result *ep = &run->res->eps[job->ep];
	struct probe_params p;

	memset(&p, 0, sizeof(p));
	memcpy(&p.addr, &job->addr, sizeof(p.addr));
	p.addrlen = job->addrlen;
	p.servername = ep->host;
	p.ehlo_name = ctx->cfg->ehlo_name;
	p.log_id = job->log_id;
	p.protocol = ep->protocol;
	p.timeout_ms = (unsigned)check_timeout_ms(run->check);
	p.linemax = REPLY_LINE_MAX;
	p.maxlines = REPLY_LINES_MAX;
	p.ssl_ctx = ctx->ssl_ctx;
	if (job->auditing)
		audit_params(&job->cursor, &p);
	else if (job->dane != NULL && job->dane->index < run->res->n_dane) {
		struct danelookup_result *dr = run->res->dane[job->dane->index];

		/* RFC 7672: the TLSA base domain, the MX host and the
		 * next-hop domain are the names DANE-TA checks. */
		p.dane_tlsa = danelookup_probe_set(dr, ep->port);
		p.dane_base = danelookup_port(dr, ep->port) != NULL ?
		    danelookup_port(dr, ep->port)->base : ep->host;
		p.dane_names[0] = ep->host;
		p.dane_names[1] = run->check->cfg->name;
	}
	job->queued = 0;
	ctx->in_flight++;
	job->session = probe_start(ctx->base, &p, job_done, job);
}

/* Back in line for the next handshake of its audit. */
static void
job_requeue(struct ctx *ctx, struct probe_job *job)
{
	job->queued = 1;
	TAILQ_INSERT_TAIL(&ctx->queue, job, qlink);
	ctx->queued++;
	queue_pump(ctx);
}

/* Probes in flight are bounded by the open-files limit too: each holds a
 * socket, and probes past the limit would fail with EMFILE and, worse,
 * starve the HTTP listener (libmicrohttpd stops accepting on EMFILE) and
 * the DNS channel.  16 + limit/16 fds stay free for those. */
static unsigned
probe_fd_budget(struct ctx *ctx)
{
	struct rlimit rl;
	rlim_t reserve;

	if (ctx->fd_budget != 0)
		return ctx->fd_budget;
	ctx->fd_budget = UINT_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < UINT_MAX) {
		reserve = 16 + rl.rlim_cur / 16;
		ctx->fd_budget = rl.rlim_cur > reserve ?
		    (unsigned)(rl.rlim_cur - reserve) : 1;
	}
	return ctx->fd_budget;
}

static void
queue_pump(struct ctx *ctx)
{
	struct probe_job *job;

	if (!ctx->fd_budget_warned && probe_fd_budget(ctx) < ctx->cfg->concurrency) {
		ctx->fd_budget_warned = 1;
		log_warn("fd_budget", "msg=\"the open-files limit caps probes in "
		    "flight\" probes_max=%u concurrency=%u", probe_fd_budget(ctx),
		    (unsigned)ctx->cfg->concurrency);
	}
	while (!ctx->stopping && ctx->in_flight < ctx->cfg->concurrency &&
	    ctx->in_flight < probe_fd_budget(ctx) &&
	    (job = TAILQ_FIRST(&ctx->queue)) != NULL) {
		TAILQ_REMOVE(&ctx->queue, job, qlink);
		ctx->queued--;
		job_start(ctx, job);
	}
	sched_dns_pump(ctx);	/* lookups held back while the queue was long */
}

/* Where an ad-hoc check (/probe: whoever may ask) may connect: decided
 * here, on the very address and port the probe will connect to, so that
 * no later lookup can change it.  A special address (loopback, private,
 * NAT64 or 6to4 of one, ...) only inside a CIDR of probe_allow, a port
 * only of probe_allow_ports.  A scheduled check connects where the
 * config says.  NULL, or the reason in why. */
static const char *
reach_refused(const struct check *c, const struct sockaddr *sa, uint16_t port,
    char *why, size_t whylen)
{
	const struct config *cfg = c->ctx->cfg;
	struct addr a;
	size_t i;

	if (c->adhoc_cb == NULL)
		return NULL;
	if (addr_from_sockaddr(sa, &a) == -1) {
		snprintf(why, whylen, "not an IP address");
		return why;
	}
	for (i = 0; i < cfg->n_probe_allow_ports; i++)
		if (cfg->probe_allow_ports[i] == port)
			break;
	if (i == cfg->n_probe_allow_ports) {
		snprintf(why, whylen, "port %u is not in probe_allow_ports",
		    (unsigned)port);
		return why;
	}
	return addr_special_refused(&a, cfg->probe_allow_cidrs,
	    cfg->n_probe_allow_cidrs, why, whylen);
}

enum share_way {
	SHARE_NONE,	/* probes on its own */
	SHARE_LEADS,	/* probes, and others may follow */
	SHARE_FOLLOWS,	/* waits for the probe in flight */
	SHARE_SERVED,	/* a probe done in its interval served it */
};

/* Ad-hoc checks (/probe) always probe on their own: they ask for a fresh
 * answer under a deadline of their own. */
static enum share_way
job_share(struct check_run *run, struct probe_job *job, const char *addr,
    uint16_t port, enum protocol proto, const char *host)
{
	struct ctx *ctx = run->ctx;
	const struct check *c = run->check;
	struct probe_share *s;
	uint64_t now = now_ms();
	char *key;

	if (!ctx->cfg->share || c->adhoc_cb != NULL)
		return SHARE_NONE;
	key = share_key(addr, port, protocol_name(proto),
	    (unsigned)check_timeout_ms(c), host);
	if ((s = share_find(&ctx->shares, key)) == NULL) {
		s = share_add(&ctx->shares, key, now);
	} else {
		free(key);
		if (s->leader != NULL) {
			if (s->leader->run == run)
				return SHARE_NONE;	/* the same server twice */
			job->share = s;
			TAILQ_INSERT_TAIL(&s->followers, job, slink);
			share_keep(s, c);
			return SHARE_FOLLOWS;
		}
		/* Served by a probe of this round only: one led after this
		 * check's previous run began.  Its own last probe (or one it
		 * was served before) is older and never serves it again. */
		if (now - s->done_ms < check_interval_ms(c) &&
		    s->led_ms > c->prev_run_ms &&
		    (!run->audit || !s->out.tls.done ||
		    share_audit_fresh(s, run, now))) {
			share_keep(s, c);
			share_serve(ctx, s, run, &run->res->eps[job->ep]);
			log_debug("probe_shared", "%s", job->log_id);
			return SHARE_SERVED;
		}
		s->done = 0;	/* stale: probed again */
	}
	s->leader = job;
	s->led_ms = run->started_ms;
	job->share = s;
	return SHARE_LEADS;
}

/* The DANE lookups of an MX host of the run, or NULL. */
static struct dane_slot *
run_dane_slot(struct check_run *run, const char *host)
{
	for (size_t i = 0; i < run->n_dane; i++)
		if (strcasecmp(run->dane[i].host, host) == 0)
			return &run->dane[i];
	return NULL;
}

static void
run_add_probe(struct check_run *run, const char *host, const struct sockaddr *sa,
    socklen_t salen, uint16_t port, enum protocol proto)
{
	struct ctx *ctx = run->ctx;
	struct probe_job *job;
	struct sockaddr_storage ss;
	char addr[INET6_ADDRSTRLEN] = "", why[256], q[LOG_QUOTE_MAX], qt[256],
	    qh[256];

	/* The address the probe connects to, its port set, and its text. */
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, salen < sizeof(ss) ? salen : sizeof(ss));
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_port = htons(port);
		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_port = htons(port);
		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
	}
	if (reach_refused(run->check, (struct sockaddr *)&ss, port, why,
	    sizeof(why)) != NULL) {
		size_t idx = check_result_add_endpoint(run->res, host, addr, port, proto);

		probe_fail(&run->res->eps[idx].out, STEP_CONNECT,
		    REASON_NOT_ALLOWED, "%s", why);
		run->res->eps[idx].finished = wall_time();
		ctx->probes_total[proto][0]++;
		log_warn("probe_refused", "target=%s host=%s address=%s port=%u "
		    "reason=not_allowed detail=%s",
		    log_quote(qt, sizeof(qt), run->check->cfg->name),
		    log_quote(qh, sizeof(qh), host), addr, (unsigned)port,
		    log_quote(q, sizeof(q), why));
		return;
	}
	job = xcalloc(1, sizeof(*job));
	memcpy(&job->addr, &ss, sizeof(ss));
	job->addrlen = salen;
	job->run = run;
	job->ep = check_result_add_endpoint(run->res, host, addr, port, proto);
	/* The host is an MX name from DNS, the target may come from /probe. */
	snprintf(job->log_id, sizeof(job->log_id),
	    "target=%s host=%s address=%s port=%u protocol=%s",
	    log_quote(qt, sizeof(qt), run->check->cfg->name),
	    log_quote(qh, sizeof(qh), host), addr, port, protocol_name(proto));
	switch (job_share(run, job, addr, port, proto, host)) {
	case SHARE_SERVED:
		free(job);
		return;
	case SHARE_FOLLOWS:
		run->outstanding++;
		TAILQ_INSERT_TAIL(&run->jobs, job, rlink);
		return;
	case SHARE_LEADS:
	case SHARE_NONE:
		break;
	}
	run->outstanding++;
	TAILQ_INSERT_TAIL(&run->jobs, job, rlink);
	if (proto == PROTO_SMTP || proto == PROTO_SUBMISSION ||
	    proto == PROTO_SMTPS)
		job->dane = run_dane_slot(run, host);
	if (job->dane != NULL && job->dane->job != NULL) {
		job->dane_wait = 1;	/* dane_done() queues it */
		return;
	}
	job->queued = 1;
	TAILQ_INSERT_TAIL(&ctx->queue, job, qlink);
	ctx->queued++;
	queue_pump(ctx);
}

/* The (port, protocol) pairs probed on every address of a host. */
static size_t
check_ports(const struct check *c, enum host_role role, uint16_t *ports,
    enum protocol *protos)
{
	const uint16_t *list;
	size_t n = 0, len;

	switch (role) {
	case ROLE_ENDPOINT:
		ports[0] = c->cfg->port;
		protos[0] = c->cfg->protocol;
		return 1;
	case ROLE_MX:
		list = c->cfg->smtp_ports;
		len = c->cfg->n_smtp_ports;
		break;
	case ROLE_IMAP:
		list = c->cfg->imap_ports;
		len = c->cfg->n_imap_ports;
		break;
	case ROLE_POP3:
	default:
		list = c->cfg->pop3_ports;
		len = c->cfg->n_pop3_ports;
		break;
	}
	for (size_t i = 0; i < len && n < MAX_PORTS; i++)
		if (protocol_for_port(list[i], &protos[n]) == 0)
			ports[n++] = list[i];
	return n;
}

static void
run_probe_address(struct check_run *run, enum host_role role, const char *host,
    const struct sockaddr *sa, socklen_t salen)
{
	uint16_t ports[MAX_PORTS];
	enum protocol protos[MAX_PORTS];
	size_t n = check_ports(run->check, role, ports, protos);

	for (size_t i = 0; i < n; i++)
		run_add_probe(run, host, sa, salen, ports[i], protos[i]);
}

/* A host with no address still gets a row per port, failed at resolve. */
static void
run_unresolved(struct check_run *run, enum host_role role, const char *host,
    const char *why)
{
	uint16_t ports[MAX_PORTS];
	enum protocol protos[MAX_PORTS];
	size_t n = check_ports(run->check, role, ports, protos);

	for (size_t i = 0; i < n; i++) {
		size_t idx = check_result_add_endpoint(run->res, host, "", ports[i], protos[i]);
		struct endpoint_result *ep = &run->res->eps[idx];

		probe_fail(&ep->out, STEP_RESOLVE, REASON_DNS, "%s", why);
		ep->finished = wall_time();
		run->ctx->probes_total[protos[i]][0]++;
	}
}

static int
parse_ip_literal(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addr a;

	if (addr_parse_ip(s, &a) == -1)
		return 0;
	addr_to_sockaddr(&a, 0, ss, len);
	return 1;
}

/* Every frame of a run that starts lookups or probes (check_start(), the
 * MX and address answers) holds the run with a count of its own until it
 * returns: a lookup it sends may be answered inside the call (a c-ares
 * cache hit or failed send), and the run must neither finish, nor start
 * its records before the frame has sent everything, nor be freed under it. */
static void
run_hold(struct check_run *run)
{
	run->outstanding++;
	run->dns_pending++;
}

static void
run_release(struct check_run *run)
{
	run->dns_pending--;
	run->outstanding--;
	run_dns_settled(run);
	run_maybe_finish(run);
}

static void
records_done(struct records_result *rr, void *arg)
{
	struct check_run *run = arg;

	run->records = NULL;
	records_result_free(run->res->records);
	run->res->records = rr;
	run->outstanding--;
	run_maybe_finish(run);
}

static void
mtasts_done(struct mtasts_result *mr, void *arg)
{
	struct check_run *run = arg;

	run->mtasts = NULL;
	mtasts_result_free(run->res->mtasts);
	run->res->mtasts = mr;
	run->outstanding--;
	run_maybe_finish(run);
}

static void
dane_done(struct danelookup_result *dr, void *arg)
{
	struct dane_slot *ds = arg;
	struct check_run *run = ds->run;

	struct probe_job *job;

	ds->job = NULL;
	if (ds->index < run->res->n_dane) {
		danelookup_result_free(run->res->dane[ds->index]);
		run->res->dane[ds->index] = dr;
	} else	/* the result was handed on (an ad-hoc deadline) */
		danelookup_result_free(dr);
	/* The host's SMTP probes take the TLSA set into their handshakes. */
	TAILQ_FOREACH(job, &run->jobs, rlink)
		if (job->dane_wait && job->dane == ds) {
			job->dane_wait = 0;
			job->queued = 1;
			TAILQ_INSERT_TAIL(&run->ctx->queue, job, qlink);
			run->ctx->queued++;
		}
	queue_pump(run->ctx);
	run->outstanding--;
	run_maybe_finish(run);
}

/* The DNS half of DANE for each MX host (RFC 7672), on every SMTP port
 * probed: started as soon as the MX hosts are known, before their
 * addresses, so that their probes wait for it as briefly as possible. */
static void
run_dane_start(struct check_run *run)
{
	struct check_result *res = run->res;
	const char *hosts[MAX_MX_HOSTS];
	uint16_t ports[MAX_PORTS], dports[MAX_PORTS];
	enum protocol protos[MAX_PORTS];
	size_t n_hosts = 0, n = check_ports(run->check, ROLE_MX, ports, protos),
	    n_dports = 0;

	if (run->ctx->dnssec == NULL || run->dane != NULL ||
	    !run->check->cfg->dane)
		return;
	for (size_t i = 0; i < n && n_dports < DANELOOKUP_PORTS_MAX; i++)
		if (protos[i] == PROTO_SMTP || protos[i] == PROTO_SUBMISSION ||
		    protos[i] == PROTO_SMTPS)
			dports[n_dports++] = ports[i];
	if (res->implicit_mx)
		hosts[n_hosts++] = run->check->cfg->name;
	for (size_t i = 0; i < res->n_mx && i < MAX_MX_HOSTS && !res->null_mx;
	    i++)
		if (res->mx[i].host[0] != '\0' && !dns_mx_host_seen(res->mx, i))
			hosts[n_hosts++] = res->mx[i].host;
	if (n_hosts == 0 || n_dports == 0)
		return;
	res->dane = xcalloc(n_hosts, sizeof(*res->dane));
	run->dane = xcalloc(n_hosts, sizeof(*run->dane));
	for (size_t i = 0; i < n_hosts; i++) {
		struct dane_slot *ds = &run->dane[run->n_dane++];
		struct danelookup_params dp;

		memset(&dp, 0, sizeof(dp));
		dp.v = run->ctx->dnssec;
		dp.domain = run->check->cfg->name;
		dp.host = hosts[i];
		dp.ports = dports;
		dp.n_ports = n_dports;
		ds->run = run;
		ds->host = hosts[i];
		ds->index = res->n_dane++;
		run->outstanding++;
		ds->job = danelookup_start(&dp, dane_done, ds);
	}
}

static void
zones_done(struct zonestatus_result *zr, void *arg)
{
	struct check_run *run = arg;

	run->zones = NULL;
	zonestatus_result_free(run->res->zones);
	run->res->zones = zr;
	run->outstanding--;
	run_maybe_finish(run);
}

/* The DNSSEC status of the domain and of each MX host's zone. */
static void
run_zones_start(struct check_run *run)
{
	const struct check_result *res = run->res;
	const char **names;
	size_t n = 0;

	if (run->ctx->dnssec == NULL)
		return;
	names = xcalloc(res->n_mx + 1, sizeof(*names));
	names[n++] = run->check->cfg->name;
	for (size_t i = 0; i < res->n_mx; i++)
		if (res->mx[i].host[0] != '\0')
			names[n++] = res->mx[i].host;
	run->outstanding++;
	run->zones = zonestatus_start(run->ctx->dnssec, names, n, zones_done,
	    run);
	free(names);
}

static void
mxhyg_done(struct mxhyg_result *mr, void *arg)
{
	struct check_run *run = arg;

	run->mxhyg = NULL;
	mxhyg_result_free(run->res->mxhyg);
	run->res->mxhyg = mr;
	run->outstanding--;
	run_maybe_finish(run);
}

/* MX hygiene, once the MX hosts' addresses are known (probed or not):
 * FCrDNS of each address, CAA and CNAME of each host, the set's sanity. */
static void
run_mxhyg_start(struct check_run *run)
{
	const struct check_result *res = run->res;
	struct mxhyg_address *addrs;
	struct mxhyg_params mp;
	size_t n = 0;

	if (res->mx_result != DNS_OK || res->null_mx)
		return;
	addrs = xcalloc(res->n_mx_addrs + 1, sizeof(*addrs));
	for (size_t i = 0; i < res->n_mx_addrs; i++) {
		addrs[n].host = res->mx_addrs[i].host;
		addrs[n++].address = res->mx_addrs[i].address;
	}
	memset(&mp, 0, sizeof(mp));
	mp.base = run->ctx->base;
	mp.domain = run->check->cfg->name;
	mp.send = records_send;
	mp.send_arg = run->budget;
	mp.mx = res->mx;
	mp.n_mx = res->n_mx;
	mp.addrs = addrs;
	mp.n_addrs = n;
	mp.caa = 1;
	run->outstanding++;
	run->mxhyg = mxhyg_start(&mp, mxhyg_done, run);
	free(addrs);
}

/* MTA-STS and TLS-RPT, beside the records: the policy is held against the
 * MX hosts by the readers of the result, once the probes are in. */
static void
run_mtasts_start(struct check_run *run)
{
	const struct check *c = run->check;
	struct mtasts_params mp;

	memset(&mp, 0, sizeof(mp));
	mp.sts = c->cfg->mta_sts >= 0 ? c->cfg->mta_sts : run->ctx->cfg->mta_sts;
	mp.rpt = c->cfg->tls_rpt >= 0 ? c->cfg->tls_rpt : run->ctx->cfg->tls_rpt;
	if ((!mp.sts && !mp.rpt) || run->ctx->fetch == NULL)
		return;
	mp.base = run->ctx->base;
	mp.domain = c->cfg->name;
	mp.send = records_send;
	mp.send_arg = run->budget;
	mp.fetch = run->ctx->fetch;
	mp.ca_file = run->ctx->cfg->ca_file;
	mp.timeout_ms = (unsigned)check_timeout_ms(c);
	mp.reach_checked = c->adhoc_cb != NULL;
	mp.allow_cidrs = run->ctx->cfg->probe_allow_cidrs;
	mp.n_allow_cidrs = run->ctx->cfg->n_probe_allow_cidrs;
	run->outstanding++;
	run->mtasts = mtasts_start(&mp, mtasts_done, run);
}

/* The mail authentication records of a domain, once its own MX addresses
 * are known: SPF is checked against them too. */
static void
run_dns_settled(struct check_run *run)
{
	const struct check *c = run->check;
	const struct check_result *res = run->res;
	struct records_params rp;
	char **mx_addrs;
	size_t n = 0;

	if (run->dns_pending > 0 || run->records_started || c == NULL ||
	    c->cfg->kind != TARGET_DOMAIN || run->ctx->stopping)
		return;
	run->records_started = 1;
	run_mtasts_start(run);
	run_zones_start(run);
	run_mxhyg_start(run);
	if (!c->cfg->records)
		return;
	mx_addrs = xcalloc(res->n_eps ? res->n_eps : 1, sizeof(*mx_addrs));
	for (size_t i = 0; i < res->n_eps; i++) {
		const struct endpoint_result *ep = &res->eps[i];
		int dup = 0;

		if (ep->address[0] == '\0' || (ep->protocol != PROTO_SMTP &&
		    ep->protocol != PROTO_SUBMISSION && ep->protocol != PROTO_SMTPS))
			continue;
		for (size_t j = 0; j < n; j++)
			dup |= strcmp(mx_addrs[j], ep->address) == 0;
		if (!dup)
			mx_addrs[n++] = (char *)ep->address;
	}
	memset(&rp, 0, sizeof(rp));
	rp.domain = c->cfg->name;
	rp.base = run->ctx->base;
	rp.send = records_send;
	rp.send_arg = run->budget;
	rp.selectors = c->cfg->dkim_selectors;
	rp.n_selectors = c->cfg->n_dkim_selectors;
	rp.expect_pass = c->cfg->spf_expect_pass;
	rp.n_expect_pass = c->cfg->n_spf_expect_pass;
	rp.mx_addresses = mx_addrs;
	rp.n_mx_addresses = n;
	run->outstanding++;
	run->records = records_start(run->ctx->dns, &rp, records_done, run);
	free(mx_addrs);
}

/* Every address of the MX hosts, for the hygiene checks: those that
 * ip_protocol leaves unprobed too. */
static void
run_note_mx_address(struct check_run *run, const char *host,
    const struct dns_addr *a)
{
	struct check_result *res = run->res;
	struct host_address *h;

	res->mx_addrs = xreallocarray(res->mx_addrs, res->n_mx_addrs + 1,
	    sizeof(*res->mx_addrs));
	h = &res->mx_addrs[res->n_mx_addrs++];
	h->host = xstrdup(host);
	inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->u.v4 :
	    (const void *)&a->u.v6, h->address, sizeof(h->address));
}

static void
host_addr_cb(void *arg, int status, const unsigned char *abuf, int alen,
    int type)
{
	struct host_lookup *hl = arg;
	struct check_run *run = hl->run;
	enum dns_result r;

	r = status == ARES_SUCCESS ?
	    dns_parse_addrs(type, abuf, alen, &hl->addrs, &hl->n_addrs) :
	    dns_classify(status);
	if (type == ns_t_a)
		hl->v4 = r;
	else
		hl->v6 = r;
	/* This answer's count holds the run until the end (run_hold()). */
	if (--hl->pending > 0) {
		run_release(run);
		return;
	}
	if (run->check != NULL && !run->ctx->stopping) {
		if (hl->n_addrs == 0) {
			char why[96];

			snprintf(why, sizeof(why), "no address: A %s, AAAA %s",
			    dns_result_name(hl->v4), dns_result_name(hl->v6));
			run_unresolved(run, hl->role, hl->name, why);
		}
		for (size_t i = 0; i < hl->n_addrs && run->check != NULL; i++) {
			struct sockaddr_storage ss;
			socklen_t len;

			if (hl->role == ROLE_MX)
				run_note_mx_address(run, hl->name, &hl->addrs[i]);
			if (!ip_protocol_allows(run->check->cfg->ip_protocol,
			    hl->addrs[i].family))
				continue;	/* ip_protocol: not probed */
			memset(&ss, 0, sizeof(ss));
			if (hl->addrs[i].family == AF_INET) {
				struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

				sin->sin_family = AF_INET;
				sin->sin_addr = hl->addrs[i].u.v4;
				len = sizeof(*sin);
			} else {
				struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

				sin6->sin6_family = AF_INET6;
				sin6->sin6_addr = hl->addrs[i].u.v6;
				len = sizeof(*sin6);
			}
			run_probe_address(run, hl->role, hl->name,
			    (struct sockaddr *)&ss, len);
		}
	}
	free(hl->addrs);
	free(hl->name);
	free(hl);
	run_release(run);
}

static void
host_a_cb(void *arg, int status, const unsigned char *abuf, int alen)
{
	host_addr_cb(arg, status, abuf, alen, ns_t_a);
}

static void
host_aaaa_cb(void *arg, int status, const unsigned char *abuf, int alen)
{
	host_addr_cb(arg, status, abuf, alen, ns_t_aaaa);
}

static void
run_resolve_host(struct check_run *run, enum host_role role, const char *name)
{
	struct sockaddr_storage ss;
	struct host_lookup *hl;
	socklen_t len;

	if (parse_ip_literal(name, &ss, &len)) {
		run_probe_address(run, role, name, (struct sockaddr *)&ss, len);
		return;
	}
	if (addr_is_localhost(name)) {	/* RFC 6761: never asked of DNS */
		static const char *const loop[] = { "127.0.0.1", "::1" };

		for (size_t i = 0; i < ARRAY_LEN(loop) && run->check != NULL;
		    i++)
			if (parse_ip_literal(loop[i], &ss, &len) &&
			    ip_protocol_allows(run->check->cfg->ip_protocol,
			    ss.ss_family))
				run_probe_address(run, role, name,
				    (struct sockaddr *)&ss, len);
		return;
	}
	hl = xcalloc(1, sizeof(*hl));
	hl->run = run;
	hl->role = role;
	hl->name = xstrdup(name);
	hl->pending = 2;
	run->outstanding += 2;
	run->dns_pending += 2;
	run_dns_query(run, name, ns_t_a, host_a_cb, hl, NULL);
	run_dns_query(run, name, ns_t_aaaa, host_aaaa_cb, hl, NULL);
}

static int
mx_cmp(const void *a, const void *b)
{
	const struct dns_mx *x = a, *y = b;

	if (x->preference != y->preference)
		return x->preference < y->preference ? -1 : 1;
	return strcmp(x->host, y->host);
}

static void
mx_cb(void *arg, int status, const unsigned char *abuf, int alen)
{
	struct check_run *run = arg;
	struct check_result *res = run->res;
	enum dns_result r;

	/* The MX query's count holds the run until the end (run_hold()). */
	run->mx_pending = 0;
	res->mx_duration_s = (double)(now_ms() - run->mx_started_ms) / 1000.0;
	r = status == ARES_SUCCESS ?
	    dns_parse_mx(abuf, alen, &res->mx, &res->n_mx) : dns_classify(status);
	res->mx_result = r;
	if (run->check == NULL || run->ctx->stopping) {
		run_release(run);
		return;
	}
	if (r == DNS_OK) {
		qsort(res->mx, res->n_mx, sizeof(*res->mx), mx_cmp);
		/* RFC 7505: a single MX of "." says the domain takes no mail. */
		if (res->n_mx == 1 && res->mx[0].host[0] == '\0')
			res->null_mx = 1;
		else
			run_dane_start(run);
		if (!res->null_mx)
			for (size_t i = 0; i < res->n_mx && i < MAX_MX_HOSTS &&
			    run->check != NULL; i++)
				if (res->mx[i].host[0] != '\0' &&
				    !dns_mx_host_seen(res->mx, i))
					run_resolve_host(run, ROLE_MX,
					    res->mx[i].host);
	} else if (r == DNS_NODATA) {
		/* RFC 5321 5.1: no MX means the domain itself is the host. */
		res->implicit_mx = 1;
		run_dane_start(run);
		run_resolve_host(run, ROLE_MX, run->check->cfg->name);
	} else {
		char q[256];

		log_info("mx_failed", "target=%s rcode=%s",
		    log_quote(q, sizeof(q), run->check->cfg->name),
		    dns_result_name(r));
	}
	run_release(run);
}

/* Scheduled runs in flight are bounded too, by `concurrency`: with probes
 * shared, a run seldom waits for a probe slot, and without this bound every
 * domain of a big config (--once, a reload) ran its records, MTA-STS fetch
 * and DNSSEC lookups at once (make bench SCALE=domains at 10,000 domains:
 * 10,000 HTTPS connections, 519 MiB, 2.5 % of the probes timed out; at 2 x
 * concurrency still 9 % of the own-MX probes timed out on a loaded
 * machine).  The checks past it wait their turn in a FIFO.  Ad-hoc checks
 * do not wait: they have a deadline, and probe_max_concurrent bounds them. */
#define RUNS_MAX(ctx)	((ctx)->cfg->concurrency)

static void check_start(struct check *c);

static void
runs_admit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctx *ctx = arg;
	struct check *c;

	(void)fd;
	(void)what;
	while (!ctx->stopping && ctx->runs_active < RUNS_MAX(ctx) &&
	    (c = TAILQ_FIRST(&ctx->runs_waiting)) != NULL) {
		TAILQ_REMOVE(&ctx->runs_waiting, c, wait_link);
		c->waiting = 0;
		check_start(c);
	}
}

/* A run ended: the next waiting one starts on a later loop pass, never
 * inside the completion that ended this one. */
static void
run_unadmit(struct check_run *run)
{
	struct ctx *ctx = run->ctx;
	struct timeval now = { 0, 0 };

	if (!run->admitted)
		return;
	run->admitted = 0;
	ctx->runs_active--;
	if (TAILQ_EMPTY(&ctx->runs_waiting) || ctx->stopping)
		return;
	if (ctx->ev_admit == NULL &&
	    (ctx->ev_admit = evtimer_new(ctx->base, runs_admit_cb, ctx)) == NULL)
		return;
	if (!evtimer_pending(ctx->ev_admit, NULL))
		evtimer_add(ctx->ev_admit, &now);
}

static void
check_unwait(struct check *c)
{
	if (c->waiting) {
		TAILQ_REMOVE(&c->ctx->runs_waiting, c, wait_link);
		c->waiting = 0;
	}
}

static void
check_start(struct check *c)
{
	struct ctx *ctx = c->ctx;
	struct check_run *run;
	char q[256];

	if (c->run != NULL || c->waiting || ctx->stopping)
		return;
	if (c->adhoc_cb == NULL && ctx->runs_active >= RUNS_MAX(ctx)) {
		c->waiting = 1;
		TAILQ_INSERT_TAIL(&ctx->runs_waiting, c, wait_link);
		return;
	}
	run = xcalloc(1, sizeof(*run));
	if (c->adhoc_cb == NULL) {
		run->admitted = 1;
		ctx->runs_active++;
	}
	run->ctx = ctx;
	run->check = c;
	run->res = check_result_new(c->cfg, c->key);
	run->res->started = wall_time();
	run->started_ms = now_ms();
	c->prev_run_ms = c->run_ms;
	c->run_ms = run->started_ms;
	run->audit = check_audit_due(c);
	TAILQ_INIT(&run->jobs);
	c->run = run;
	log_debug("check_start", "target=%s",
	    log_quote(q, sizeof(q), c->cfg->name));
	run_hold(run);
	if (c->cfg->kind == TARGET_DOMAIN) {
		run->budget = budget_new(ctx, c->cfg->name,
		    ctx->cfg->dns_budget_per_domain);
		run->outstanding++;
		run->mx_started_ms = now_ms();
		run->mx_pending = 1;
		run->dns_pending++;
		run_dns_query(run, c->cfg->name, ns_t_mx, mx_cb, run,
		    &run->mx_started_ms);
		for (size_t i = 0; i < c->cfg->n_imap_hosts &&
		    run->check != NULL; i++)
			run_resolve_host(run, ROLE_IMAP, c->cfg->imap_hosts[i]);
		for (size_t i = 0; i < c->cfg->n_pop3_hosts &&
		    run->check != NULL; i++)
			run_resolve_host(run, ROLE_POP3, c->cfg->pop3_hosts[i]);
	} else
		run_resolve_host(run, ROLE_ENDPOINT, c->cfg->name);
	run_release(run);
}

static void
check_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	check_start(arg);
}

static void
check_schedule(struct check *c, uint64_t delay_ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(delay_ms / 1000);
	tv.tv_usec = (suseconds_t)((delay_ms % 1000) * 1000);
	evtimer_add(c->timer, &tv);
}

/* When nothing is in flight, freed heap pages go back to the system: a
 * round of thousands of handshakes frees memory in the middle of the heap,
 * which glibc keeps unless asked, and the process looks as if it grew.  At
 * most once a second; a quiet moment inside that second trims when it
 * ends, if still quiet. */
#define TRIM_EVERY_MS	1000

static int
sched_quiet(const struct ctx *ctx)
{
	return ctx->in_flight == 0 && ctx->queued == 0;
}

static void
heap_trim_now(struct ctx *ctx)
{
	ctx->last_trim_ms = now_ms();
	share_sweep(&ctx->shares, ctx->last_trim_ms);
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

static void
heap_trim_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctx *ctx = arg;

	(void)fd;
	(void)what;
	if (sched_quiet(ctx))
		heap_trim_now(ctx);
}

static void
heap_trim_if_quiet(struct ctx *ctx)
{
	uint64_t now = now_ms(), wait;
	struct timeval tv;

	if (!sched_quiet(ctx) || ctx->once)
		return;
	if (now - ctx->last_trim_ms >= TRIM_EVERY_MS) {
		heap_trim_now(ctx);
		return;
	}
	if (ctx->ev_trim == NULL &&
	    (ctx->ev_trim = evtimer_new(ctx->base, heap_trim_cb, ctx)) == NULL)
		return;
	if (evtimer_pending(ctx->ev_trim, NULL))
		return;
	wait = TRIM_EVERY_MS - (now - ctx->last_trim_ms);
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	evtimer_add(ctx->ev_trim, &tv);
}

static void
run_maybe_finish(struct check_run *run)
{
	struct check *c = run->check;
	struct ctx *ctx = run->ctx;
	struct check_result *prev;
	uint64_t interval, elapsed, next;
	char q[256];

	if (run->outstanding > 0)
		return;
	run_unadmit(run);
	if (c == NULL) {
		run_free(run);
		return;
	}
	run->res->finished = wall_time();
	run->res->duration_s = (double)(now_ms() - run->started_ms) / 1000.0;
	run->res->success = check_result_success(run->res);
	check_result_mx_hygiene_endpoints(run->res, run->ctx->cfg);
	if (run->audit)
		c->last_audit = wall_time();
	else
		check_result_carry_audit(run->res, c->last);
	check_result_rate_endpoints(run->res);
	log_debug("check_done", "target=%s success=%d duration_s=%.3f",
	    log_quote(q, sizeof(q), c->cfg->name), run->res->success,
	    run->res->duration_s);
	prev = c->last;
	c->last = run->res;
	c->run = NULL;
	free(run->dane);
	budget_unref(run->budget);
	free(run);
	if (c->adhoc_cb == NULL)
		publish_result(ctx, c->index, c->last);
	check_result_free(prev);	/* after: published results stay valid */
	heap_trim_if_quiet(ctx);
	if (c->adhoc_cb) {
		evtimer_del(c->timer);
		c->adhoc_cb(c, c->adhoc_arg);	/* may free c */
		return;
	}
	if (!c->ran_once) {
		c->ran_once = 1;
		if (ctx->first_run_cb)
			ctx->first_run_cb(c, ctx->first_run_arg);
		if (ctx->checks_pending_first > 0 &&
		    --ctx->checks_pending_first == 0) {
			ctx->ready = 1;
			log_info("ready", "checks=%zu", ctx->n_checks);
			if (ctx->once)
				event_base_loopbreak(ctx->base);
		}
	}
	if (ctx->once || ctx->stopping)
		return;
	/* The period is kept from start to start, with +-5% jitter so that
	 * checks of one interval spread out over time. */
	interval = check_interval_ms(c);
	interval = interval - interval / 20 + arc4random_uniform(
	    (uint32_t)(interval / 10 > 0 ? interval / 10 : 1));
	elapsed = (uint64_t)(c->last->duration_s * 1000);
	next = elapsed >= interval ? 0 : interval - elapsed;
	check_schedule(c, next);
}

/* Detaches the run in flight: its queued and running probes stop now, and
 * the DNS answers still to come free it. */
static void
check_cancel_run(struct check *c)
{
	struct check_run *run = c->run;
	struct ctx *ctx = c->ctx;
	struct probe_job *job;

	if (run == NULL)
		return;
	c->run = NULL;
	run->check = NULL;
	if (run->records) {
		records_cancel(run->records);
		run->records = NULL;
		run->outstanding--;
	}
	if (run->mtasts) {
		mtasts_cancel(run->mtasts);
		run->mtasts = NULL;
		run->outstanding--;
	}
	if (run->zones) {
		zonestatus_cancel(run->zones);
		run->zones = NULL;
		run->outstanding--;
	}
	if (run->mxhyg) {
		mxhyg_cancel(run->mxhyg);
		run->mxhyg = NULL;
		run->outstanding--;
	}
	for (size_t i = 0; i < run->n_dane; i++)
		if (run->dane[i].job != NULL) {
			danelookup_cancel(run->dane[i].job);
			run->dane[i].job = NULL;
			run->outstanding--;
		}
	while ((job = TAILQ_FIRST(&run->jobs)) != NULL) {
		TAILQ_REMOVE(&run->jobs, job, rlink);
		if (job->share != NULL && job->share->leader != job) {
			share_leader_cancelled(ctx, job);	/* a follower */
			free(job);
			run->outstanding--;
			continue;
		}
		if (job->share != NULL)
			share_leader_cancelled(ctx, job);
		if (job->queued) {
			TAILQ_REMOVE(&ctx->queue, job, qlink);
			ctx->queued--;
		} else if (!job->dane_wait) {
			session_cancel(job->session);
			ctx->in_flight--;
		}
		free(job);
		run->outstanding--;
	}
	run_maybe_finish(run);
}

static void
target_cfg_clear(struct target_cfg *t)
{
	free(t->name);
	for (size_t i = 0; i < t->n_imap_hosts; i++)
		free(t->imap_hosts[i]);
	for (size_t i = 0; i < t->n_pop3_hosts; i++)
		free(t->pop3_hosts[i]);
	for (size_t i = 0; i < t->n_dkim_selectors; i++)
		free(t->dkim_selectors[i]);
	for (size_t i = 0; i < t->n_spf_expect_pass; i++)
		free(t->spf_expect_pass[i]);
}

static void
check_own_cfg_free(struct check *c)
{
	if (c->own_cfg == NULL)
		return;
	target_cfg_clear(c->own_cfg);
	free(c->own_cfg);
	c->own_cfg = NULL;
}

static void
check_free(struct check *c)
{
	check_unwait(c);
	check_cancel_run(c);
	event_free(c->timer);
	check_result_free(c->last);
	check_own_cfg_free(c);
	free(c->key);
	free(c);
}

char *
target_key(const struct target_cfg *t)
{
	struct buf b;

	buf_init(&b);
	if (t->kind == TARGET_DOMAIN)
		buf_puts(&b, t->name);
	else if (strchr(t->name, ':'))
		buf_printf(&b, "[%s]:%u", t->name, t->port);
	else
		buf_printf(&b, "%s:%u", t->name, t->port);
	return b.data;
}

static int
check_key_cmp(const void *a, const void *b)
{
	const struct check *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

/* A configured check reads its target in the config (sched_apply_config
 * points it at the new one on every reload, before the old one is freed);
 * an ad-hoc check has no config entry and keeps its own copy. */
static void
check_set_cfg(struct check *c, const struct target_cfg *t)
{
	check_own_cfg_free(c);
	c->cfg = t;
}

static void
check_copy_cfg(struct check *c, const struct target_cfg *t)
{
	struct target_cfg *own = xmalloc(sizeof(*own));

	*own = *t;
	own->name = xstrdup(t->name);
	for (size_t i = 0; i < t->n_imap_hosts; i++)
		own->imap_hosts[i] = xstrdup(t->imap_hosts[i]);
	for (size_t i = 0; i < t->n_pop3_hosts; i++)
		own->pop3_hosts[i] = xstrdup(t->pop3_hosts[i]);
	for (size_t i = 0; i < t->n_dkim_selectors; i++)
		own->dkim_selectors[i] = xstrdup(t->dkim_selectors[i]);
	for (size_t i = 0; i < t->n_spf_expect_pass; i++)
		own->spf_expect_pass[i] = xstrdup(t->spf_expect_pass[i]);
	check_own_cfg_free(c);
	c->own_cfg = own;
	c->cfg = own;
}

void
sched_apply_config(struct ctx *ctx)
{
	struct check **old = ctx->checks, **fresh;
	size_t n_old = ctx->n_checks, n = ctx->cfg->n_targets;
	uint64_t spread;
	char *taken;

	if (n_old > 0)
		qsort(old, n_old, sizeof(*old), check_key_cmp);
	taken = xcalloc(n_old ? n_old : 1, 1);
	fresh = xcalloc(n ? n : 1, sizeof(*fresh));
	ctx->checks_pending_first = 0;
	for (size_t i = 0; i < n; i++) {
		const struct target_cfg *t = &ctx->cfg->targets[i];
		struct check probe, *pp = &probe, **found = NULL, *c;

		probe.key = target_key(t);
		if (n_old)
			found = bsearch(&pp, old, n_old, sizeof(*old),
			    check_key_cmp);
		if (found && !taken[found - old]) {
			c = *found;
			taken[found - old] = 1;
			free(probe.key);
			check_set_cfg(c, t);
		} else {
			c = xcalloc(1, sizeof(*c));
			c->ctx = ctx;
			c->key = probe.key;
			check_set_cfg(c, t);
			c->timer = evtimer_new(ctx->base, check_timer_cb, c);
			/* First runs spread over a tenth of the interval, at
			 * most 5 s, so a big config does not start at once. */
			spread = check_interval_ms(c) / 10;
			if (spread > 5000)
				spread = 5000;
			check_schedule(c, ctx->once ? 0 :
			    arc4random_uniform((uint32_t)spread + 1));
		}
		if (!c->ran_once)
			ctx->checks_pending_first++;
		c->index = i;
		fresh[i] = c;
	}
	ctx->checks = fresh;
	ctx->n_checks = n;
	publish_targets(ctx);
	/* after: the removed checks' results were valid until published */
	for (size_t i = 0; i < n_old; i++)
		if (!taken[i])
			check_free(old[i]);
	free(taken);
	free(old);
	if (ctx->checks_pending_first == 0 && !ctx->ready) {
		ctx->ready = 1;
		if (ctx->once)
			event_base_loopbreak(ctx->base);
	}
	queue_pump(ctx);
}

void
sched_run_all_now(struct ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_checks; i++) {
		evtimer_del(ctx->checks[i]->timer);
		check_start(ctx->checks[i]);
	}
}

/* The ad-hoc deadline: what is not done by now is a timeout. */
static void
adhoc_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct check *c = arg;
	struct check_run *run = c->run;
	struct check_result *res;
	struct probe_job *job;

	(void)fd;
	(void)what;
	if (run == NULL)
		return;
	res = run->res;
	TAILQ_FOREACH(job, &run->jobs, rlink) {
		struct endpoint_result *ep = &res->eps[job->ep];

		if (job->auditing)
			continue;	/* the main probe is in: keep it */
		probe_fail(&ep->out, job->queued || job->dane_wait ?
		    STEP_CONNECT : session_step(job->session), REASON_TIMEOUT,
		    "%s", job->dane_wait ? "still waiting for the TLSA lookup" :
		    job->queued ? "still waiting for a free probe slot" :
		    "the deadline of the request passed");
		ep->out.cause = job->queued ? CAUSE_NO_SLOT : CAUSE_TIMEOUT;
		ep->finished = wall_time();
	}
	if (run->mx_pending)
		res->mx_result = DNS_TIMEOUT;
	/* The detached run frees an empty result; this one is reported. */
	run->res = xcalloc(1, sizeof(*run->res));
	res->finished = wall_time();
	res->duration_s = (double)(now_ms() - run->started_ms) / 1000.0;
	res->success = 0;
	res->timed_out = 1;
	check_cancel_run(c);
	queue_pump(c->ctx);
	check_result_free(c->last);
	c->last = res;
	c->adhoc_cb(c, c->adhoc_arg);	/* may free c */
}

struct check *
sched_adhoc_start(struct ctx *ctx, const struct target_cfg *t,
    uint64_t deadline_ms, sched_adhoc_cb cb, void *arg)
{
	struct check *c = xcalloc(1, sizeof(*c));

	c->ctx = ctx;
	c->key = target_key(t);
	check_copy_cfg(c, t);
	c->index = SIZE_MAX;
	c->adhoc_cb = cb;
	c->adhoc_arg = arg;
	c->timer = evtimer_new(ctx->base, adhoc_deadline_cb, c);
	check_schedule(c, deadline_ms);
	TAILQ_INSERT_TAIL(&ctx->adhoc, c, adhoc_link);
	check_start(c);
	return c;
}

void
sched_adhoc_free(struct check *c)
{
	TAILQ_REMOVE(&c->ctx->adhoc, c, adhoc_link);
	check_free(c);
}

void
sched_shutdown(struct ctx *ctx)
{
	struct check *c, **checks = ctx->checks;
	size_t n = ctx->n_checks;

	ctx->stopping = 1;
	while ((c = TAILQ_FIRST(&ctx->adhoc)) != NULL)
		sched_adhoc_free(c);
	ctx->checks = NULL;
	ctx->n_checks = 0;
	publish_targets(ctx);
	for (size_t i = 0; i < n; i++)
		check_free(checks[i]);
	free(checks);
	/* Every run is detached now: the lookups they still wait for end. */
	sched_dns_flush(ctx);
	share_table_free(&ctx->shares);
}
