/* Probe sharing, the scheduler's side (share = on): a probe job leads
 * the probe of its server, follows the leader in flight, or is served by
 * a probe done within its check's interval; the leader's outcome (and its
 * audit) goes to every follower.  The table of servers is daemon/share.c. */
#include "daemon/probeshare.h"

#include <stdlib.h>

#include "base/log.h"
#include "base/util.h"
#include "collectors/protocol.h"
#include "daemon/probequeue.h"
#include "daemon/sched_int.h"

/* Whether a run may take the outcome of a probe done at done_ms: within
 * its check's interval, and with an audit as fresh as it asks for. */
static int
share_audit_fresh(const struct probe_share *s, const struct check_run *run,
    uint64_t now)
{
	return s->audited && now - s->audit_ms < check_audit_every_ms(run->check);
}

/* A leader audits when its own run or one that follows it asks for an
 * audit that the entry does not hold fresh. */
int
probeshare_audit_wanted(const struct probe_job *job)
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
	endpoint_set_outcome(ep, probe_outcome_hold(s->out));
	ep->finished = s->finished;
	if (run->audit && s->audited) {
		tls_audit_drop(ep->audit);
		ep->audit = tls_audit_hold(s->audit);
	}
	ctx->probes_total[ep->protocol][s->out->success ? 1 : 0]++;
	ctx->probes_shared[ep->protocol]++;
}

/* The leader is done (and its audit, if it ran one): every follower gets
 * the outcome, and the entry serves later runs from now on. */
void
probeshare_done(struct ctx *ctx, struct probe_job *leader,
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
		tls_audit_drop(s->audit);
		s->audit = tls_audit_hold(lep->audit);
	}
	while ((f = TAILQ_FIRST(&s->followers)) != NULL) {
		struct check_run *frun = f->run;

		TAILQ_REMOVE(&s->followers, f, slink);
		share_serve(ctx, s, frun, &frun->res->eps[f->ep]);
		TAILQ_REMOVE(&frun->jobs, f, rlink);
		probe_job_free(f);
		frun->outstanding--;
		sched_run_maybe_finish(frun);
	}
}

/* A leader whose run is cancelled hands the probe to its first follower,
 * which starts it again from the queue's head; an entry nobody waits for
 * any more goes. */
void
probeshare_leave(struct ctx *ctx, struct probe_job *job)
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
	probeq_add_first(ctx, f);
}

/* Ad-hoc checks (/probe) always probe on their own: they ask for a fresh
 * answer under a deadline of their own. */
enum share_way
probeshare_join(struct check_run *run, struct probe_job *job, const char *addr,
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
		    (!run->audit || !s->out->tls.done ||
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
