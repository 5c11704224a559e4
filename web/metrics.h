/* What /metrics (and --once) print: every check's last result and the
 * exporter's own state. */
#ifndef MAILSEC_METRICS_H
#define MAILSEC_METRICS_H

#include "daemon/ctx.h"
#include "daemon/sched.h"
#include "web/expo.h"

void metrics_render(const struct ctx *ctx, struct buf *out);
/* The samples of one check's last result. */
void metrics_add_check(struct expo *e, const struct check *c);

#endif
