/* The way back from the scheduler to the outputs.  The scheduler hands
 * each finished result of a configured check to publish_result(), the
 * start of each run to publish_run_started(), and the whole list of
 * checks (as a reload leaves it) to publish_targets(); every subscriber
 * registered at startup (the /metrics cache, the change tracker, the
 * pages' store web/results.h) is told, in the order they subscribed.
 * Nobody polls for fresh results, and no output reads a `struct check`.
 *
 * A published result is read-only and stays valid until the event that
 * replaces it (a PUBLISH_RESULT of the same index, or a PUBLISH_TARGETS)
 * has been delivered: the scheduler frees the old result only after.  A
 * target's key and config entry (struct published_target) stay valid
 * until the next PUBLISH_TARGETS has been delivered. */
#ifndef MAILSEC_PUBLISH_H
#define MAILSEC_PUBLISH_H

#include <stddef.h>

struct check_result;
struct ctx;
struct target_cfg;

enum publish_kind {
	PUBLISH_RESULT,		/* one check has a new result: its run
				 * ended */
	PUBLISH_TARGETS,	/* the list of checks changed (a reload,
				 * the start, the shutdown) */
	PUBLISH_RUN_STARTED,	/* one check's run began */
};

/* One target as the outputs know it: what was published of it. */
struct published_target {
	const char	*key;		/* the `target` label, "domain",
					 * "host:port" */
	const struct target_cfg *cfg;	/* its entry in the config */
	const struct check_result *result;	/* the last, NULL: none yet */
	int		 running;	/* a run started, its result not yet
					 * published */
};

struct publish_event {
	enum publish_kind kind;
	/* PUBLISH_RESULT, PUBLISH_RUN_STARTED: the check's place in the
	 * list; PUBLISH_RESULT: its new result */
	size_t		 index;
	const struct check_result *result;
	/* PUBLISH_TARGETS: every check in list order, with its last result
	 * (NULL for a check that has not run yet) */
	const struct published_target *targets;
	size_t		 n;
};

typedef void (*publish_cb)(void *arg, const struct publish_event *ev);
/* Frees what arg holds when the ctx goes (ctx_free). */
typedef void (*publish_release_cb)(void *arg);

#define PUBLISH_MAX_SUBSCRIBERS	8

struct publish_sub {
	publish_cb	 cb;
	publish_release_cb release;	/* or NULL */
	void		*arg;
};

/* Registers cb; -1 if PUBLISH_MAX_SUBSCRIBERS are already. */
int publish_subscribe(struct ctx *ctx, publish_cb cb,
    publish_release_cb release, void *arg);
/* Every subscriber's release, last first; none is told anything after. */
void publish_release_all(struct ctx *ctx);
void publish_result(struct ctx *ctx, size_t index,
    const struct check_result *r);
void publish_run_started(struct ctx *ctx, size_t index);
/* The checks of ctx->checks, with their last results. */
void publish_targets(struct ctx *ctx);

#endif
