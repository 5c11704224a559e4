/* The probe queue: probe jobs wait for a slot (`concurrency`, and the
 * open-files limit: probe_fd_budget()), then run one session each
 * (probe_start()); an auditing job goes back in line for each handshake of
 * its audit.  A job's outcome goes into its endpoint, and to the jobs that
 * share its probe (daemon/probeshare.c). */
#include "daemon/probequeue.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/log.h"
#include "base/util.h"
#include "collectors/probe_start.h"
#include "daemon/dnsqueue.h"
#include "daemon/probeshare.h"
#include "daemon/sched_int.h"

#define REPLY_LINE_MAX	2048
#define REPLY_LINES_MAX	100

static void job_requeue(struct ctx *ctx, struct probe_job *job);

void
probeq_add(struct ctx *ctx, struct probe_job *job)
{
	job->queued = 1;
	TAILQ_INSERT_TAIL(&ctx->queue, job, qlink);
	ctx->queued++;
}

void
probeq_add_first(struct ctx *ctx, struct probe_job *job)
{
	job->queued = 1;
	TAILQ_INSERT_HEAD(&ctx->queue, job, qlink);
	ctx->queued++;
}

void
probeq_drop(struct ctx *ctx, struct probe_job *job)
{
	if (job->queued) {
		TAILQ_REMOVE(&ctx->queue, job, qlink);
		ctx->queued--;
	} else if (!job->dane_wait) {
		session_cancel(job->session);
		ctx->in_flight--;
	}
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
		if (audit_record(&job->cursor, ep->audit, out)) {
			job_requeue(ctx, job);
			return;
		}
		log_debug("audit_done", "%s handshakes=%u duration_s=%.3f",
		    job->log_id, ep->audit->handshakes, ep->audit->duration_s);
		goto finished;
	}
	endpoint_set_outcome(ep, probe_outcome_share(out));
	ep->finished = wall_time();
	ctx->probes_total[ep->protocol][out->success ? 1 : 0]++;
	if (job->share != NULL) {
		probe_outcome_drop(job->share->out);
		job->share->out = probe_outcome_hold(ep->out);
		job->share->finished = ep->finished;
	}
	if (out->success)
		log_debug("probe_done", "%s success=1 total_s=%.3f",
		    job->log_id, out->total_s);
	else {
		char q[LOG_QUOTE_MAX];

		log_info("probe_failed", "%s step=%s reason=%s cause=%s%s%s "
		    "detail=%s", job->log_id, probe_step_name(out->fail_step),
		    probe_reason_name(out->reason),
		    probe_cause_name(out->cause),
		    probe_outcome_alert(out) ? " tls_alert=" : "",
		    probe_outcome_alert(out) ? probe_outcome_alert(out) : "",
		    log_quote(q, sizeof(q), out->detail));
	}
	/* The audit is worth its handshakes only where TLS works at all. */
	if (out->tls.done && probeshare_audit_wanted(job)) {
		job->auditing = 1;
		/* What the probe negotiated needs no handshake of its own. */
		tls_audit_drop(ep->audit);
		ep->audit = tls_audit_new();
		tls_audit_learn(ep->audit, &out->tls);
		audit_begin(&job->cursor, ctx->weak_testable);
		if (protocol_starttls(ep->protocol))
			audit_test_injection(&job->cursor);
		job_requeue(ctx, job);
		return;
	}
finished:
	if (job->share != NULL)
		probeshare_done(ctx, job, ep);
	TAILQ_REMOVE(&run->jobs, job, rlink);
	probe_job_free(job);
	run->outstanding--;
	sched_run_maybe_finish(run);
	probeq_pump(ctx);
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
		    danelookup_port_base(dr, danelookup_port(dr, ep->port)) :
		    ep->host;
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
	probeq_add(ctx, job);
	probeq_pump(ctx);
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

void
probeq_pump(struct ctx *ctx)
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
	dnsq_pump(ctx);	/* lookups held back while the queue was long */
}

void
probe_job_free(struct probe_job *job)
{
	free(job->log_id);
	free(job);
}
