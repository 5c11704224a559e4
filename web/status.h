/* What a person reads: the status page (GET /), one page per target
 * (GET /target/NAME) and the same facts as JSON (GET /api/v1/status,
 * /api/v1/status/NAME; schema in doc/api.md).  Every target gets a
 * verdict per check, pass / warn / fail (n/a where it does not apply),
 * and the worst is its own. */
#ifndef MAILSEC_STATUS_H
#define MAILSEC_STATUS_H

#include "daemon/ctx.h"
#include "daemon/sched.h"
#include "daemon/util.h"
#include "web/verdict.h"

void status_page_render(const struct ctx *ctx, struct buf *out);
/* The page of the target called name (its `target` label); -1 if none. */
int target_page_render(const struct ctx *ctx, const char *name,
    struct buf *out);
/* name NULL: every target; else that one, -1 if none. */
int status_json_render(const struct ctx *ctx, const char *name,
    struct buf *out);

#endif
