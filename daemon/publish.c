#include "daemon/publish.h"

#include <stdlib.h>

#include "daemon/ctx.h"
#include "daemon/sched.h"
#include "base/util.h"

int
publish_subscribe(struct ctx *ctx, publish_cb cb, publish_release_cb release,
    void *arg)
{
	if (ctx->n_subs == PUBLISH_MAX_SUBSCRIBERS)
		return -1;
	ctx->subs[ctx->n_subs++] = (struct publish_sub){ cb, release, arg };
	return 0;
}

void
publish_release_all(struct ctx *ctx)
{
	while (ctx->n_subs > 0) {
		struct publish_sub *s = &ctx->subs[--ctx->n_subs];

		if (s->release != NULL)
			s->release(s->arg);
	}
}

static void
publish_deliver(struct ctx *ctx, const struct publish_event *ev)
{
	for (size_t i = 0; i < ctx->n_subs; i++)
		ctx->subs[i].cb(ctx->subs[i].arg, ev);
}

void
publish_result(struct ctx *ctx, size_t index, const struct check_result *r)
{
	struct publish_event ev = { .kind = PUBLISH_RESULT, .index = index,
	    .result = r };

	publish_deliver(ctx, &ev);
}

void
publish_run_started(struct ctx *ctx, size_t index)
{
	struct publish_event ev = { .kind = PUBLISH_RUN_STARTED,
	    .index = index };

	publish_deliver(ctx, &ev);
}

void
publish_targets(struct ctx *ctx)
{
	struct published_target *ts = xcalloc(ctx->n_checks ?
	    ctx->n_checks : 1, sizeof(*ts));
	struct publish_event ev = { .kind = PUBLISH_TARGETS, .targets = ts,
	    .n = ctx->n_checks };

	for (size_t i = 0; i < ctx->n_checks; i++) {
		const struct check *c = ctx->checks[i];

		ts[i] = (struct published_target){ .key = c->key,
		    .cfg = c->cfg, .result = c->last,
		    .running = c->run != NULL };
	}
	publish_deliver(ctx, &ev);
	free(ts);
}
