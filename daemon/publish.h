/* The way back from the scheduler to the outputs.  The scheduler hands
 * each finished result of a configured check to publish_result(), and the
 * whole list of checks (as a reload leaves it) to publish_targets(); every
 * subscriber registered at startup (the /metrics cache, the change
 * tracker) is told, in the order they subscribed.  Nobody polls for fresh
 * results.
 *
 * A published result is read-only and stays valid until the event that
 * replaces it (a PUBLISH_RESULT of the same index, or a PUBLISH_TARGETS)
 * has been delivered: the scheduler frees the old result only after. */
#ifndef MAILSEC_PUBLISH_H
#define MAILSEC_PUBLISH_H

#include <stddef.h>

struct check_result;
struct ctx;

enum publish_kind {
	PUBLISH_RESULT,		/* one check has a new result */
	PUBLISH_TARGETS,	/* the list of checks changed (a reload,
				 * the start, the shutdown) */
};

struct publish_event {
	enum publish_kind kind;
	/* PUBLISH_RESULT: the check's place in the list, its new result */
	size_t		 index;
	const struct check_result *result;
	/* PUBLISH_TARGETS: every check's last result in list order, NULL
	 * for a check that has not run yet */
	const struct check_result *const *results;
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
/* The checks of ctx->checks, with their last results. */
void publish_targets(struct ctx *ctx);

#endif
