/* The scheduler: one `check` per configured target, run at its interval
 * with jitter, never two runs of one check at once.  A run resolves what it
 * must (MX, A, AAAA), then queues one probe per address and port under the
 * global concurrency cap.  The last complete result of every check is kept
 * until the next run replaces it whole, so readers never see half a run:
 * each finished result is published (daemon/publish.h), and the outputs
 * read published results only. */
#ifndef MAILSEC_SCHED_H
#define MAILSEC_SCHED_H

#include <netinet/in.h>

#include "daemon/ctx.h"
#include "daemon/result.h"

struct check;
/* An ad-hoc check (the /probe endpoint) is done: c->last holds its result.
 * The callee frees it with sched_adhoc_free(), now or later. */
typedef void (*sched_adhoc_cb)(struct check *c, void *arg);

struct check {
	struct ctx	*ctx;
	const struct target_cfg *cfg;	/* in ctx->cfg, or own_cfg */
	struct target_cfg *own_cfg;	/* an ad-hoc check's copy, or NULL */
	char		*key;		/* "domain" or "host:port": the identity across
					 * reloads and the `target` label */
	struct event	*timer;
	struct check_run *run;		/* the run in flight, or NULL */
	struct check_result *last;	/* the last complete run, or NULL */
	size_t		 index;		/* in ctx->checks; SIZE_MAX ad hoc */
	int		 ran_once;
	double		 last_audit;	/* wall clock of the last audit run */
	uint64_t	 run_ms;		/* monotonic start of the run in flight or the
					 * last one, 0: none yet */
	uint64_t	 prev_run_ms;	/* the run before that, 0: none */
	sched_adhoc_cb	 adhoc_cb;	/* set for an ad-hoc check */
	void		*adhoc_arg;
	TAILQ_ENTRY(check) adhoc_link;	/* ctx->adhoc */
	int		 waiting;	/* in ctx->runs_waiting */
	TAILQ_ENTRY(check) wait_link;
};

/* Makes the checks of ctx->cfg, keeping the checks (and their results) of
 * targets that were already there, and cancelling the removed ones. */
void sched_apply_config(struct ctx *ctx);
/* Starts every check now (--once) instead of spreading first runs. */
void sched_run_all_now(struct ctx *ctx);
/* Cancels everything in flight and frees every check. */
void sched_shutdown(struct ctx *ctx);

/* Runs one check now, outside the schedule, and calls cb once with its
 * result: when it is complete, or after deadline_ms with what is known by
 * then (endpoints still running are failed with reason "timeout"). */
struct check *sched_adhoc_start(struct ctx *ctx, const struct target_cfg *t,
    uint64_t deadline_ms, sched_adhoc_cb cb, void *arg);
/* Frees an ad-hoc check; if it still runs, its callback will not come. */
void sched_adhoc_free(struct check *c);

uint64_t check_interval_ms(const struct check *c);
uint64_t check_timeout_ms(const struct check *c);
int check_audit_enabled(const struct check *c);
/* How often the check audits TLS (audit_interval). */
uint64_t check_audit_every_ms(const struct check *c);

#endif
