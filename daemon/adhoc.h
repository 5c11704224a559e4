/* An ad-hoc check (the /probe endpoint): one target checked now, outside
 * the schedule, and its result handed to a callback.  The outputs' one
 * way to start a check: they see its result, never the scheduler's
 * `struct check` (daemon/sched.h). */
#ifndef MAILSEC_ADHOC_H
#define MAILSEC_ADHOC_H

#include <stdint.h>

#include "daemon/ctx.h"
#include "daemon/result.h"

struct adhoc;
/* The check is done: r (never NULL) is complete, or what was known at the
 * deadline.  r is valid until adhoc_free(), which the callee calls, now
 * or later.  The callback may come inside adhoc_start(): adhoc_free()
 * waits until that returned. */
typedef void (*adhoc_result_cb)(void *arg, const struct check_result *r);

/* Runs a check of t (copied) now; cb comes once, when it is complete or
 * after deadline_ms with what is known by then. */
struct adhoc *adhoc_start(struct ctx *ctx, const struct target_cfg *t,
    uint64_t deadline_ms, adhoc_result_cb cb, void *arg);
/* Frees a and its result; if it still runs, its callback will not come. */
void adhoc_free(struct adhoc *a);

#endif
