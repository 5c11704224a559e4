/* The outputs' store of published results (daemon/publish.h): per target
 * its key, its config entry, its last result and whether a run is in
 * flight, as the scheduler published them.  The status page, the JSON API
 * and the `check` report read this, never the scheduler's checks.  It
 * points at what the scheduler owns (valid by the publish contract),
 * copies no result and frees none. */
#ifndef MAILSEC_RESULTS_H
#define MAILSEC_RESULTS_H

#include <stddef.h>

#include "daemon/ctx.h"
#include "daemon/publish.h"
#include "daemon/result.h"

struct result_store;

struct result_store *result_store_new(void);
void result_store_free(struct result_store *s);
/* One event into s: the subscription's callback (tests feed it too). */
void result_store_publish(void *s, const struct publish_event *ev);
/* Makes ctx->results and subscribes it: the start, before the first
 * targets are published.  ctx_free() frees it. */
void result_store_subscribe(struct ctx *ctx);

/* Every target, in the scheduler's list order; their count in *n. */
const struct published_target *result_store_targets(
    const struct result_store *s, size_t *n);
size_t result_store_count(const struct result_store *s);
/* The target whose `target` label is key, or NULL. */
const struct published_target *result_store_find(const struct result_store *s,
    const char *key);
/* Whether every target has had a result: the first round is done.  It
 * stays so (a reload adding targets does not undo it). */
int result_store_ready(const struct result_store *s);

#endif
