/* Heap trimming: when no probe runs or waits, freed heap pages go back
 * to the system (glibc's malloc_trim), and done entries of the probe
 * sharing table whose keep time is over are swept. */
#include "daemon/heaptrim.h"

#include <stdint.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "base/util.h"
#include "daemon/ctx.h"
#include "daemon/share.h"

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

void
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
