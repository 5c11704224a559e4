/* What /metrics (and --once) print: every check's last result and the
 * exporter's own state. */
#ifndef MAILSEC_METRICS_H
#define MAILSEC_METRICS_H

#include "daemon/ctx.h"
#include "daemon/sched.h"
#include "web/expo.h"

/* Renders every check's last result; a check's text is cached in the ctx
 * until its result is replaced. */
void metrics_render(struct ctx *ctx, struct buf *out);
void metrics_cache_free(struct metrics_cache *mc);
/* The samples of one check's last result. */
void metrics_add_check(struct expo *e, const struct check *c);

#endif
