/* What a person reads: the status page (GET /), one page per target
 * (GET /target/NAME) in web/status.c, and the same facts as JSON (GET
 * /api/v1/status, /api/v1/status/NAME; schema in doc/api.md) in
 * web/status_json.c.  Every target gets a
 * verdict per check, pass / warn / fail (n/a where it does not apply),
 * and the worst is its own. */
#ifndef MAILSEC_STATUS_H
#define MAILSEC_STATUS_H

#include "daemon/ctx.h"
#include "daemon/sched.h"
#include "base/util.h"
#include "web/verdict.h"

void status_page_render(const struct ctx *ctx, struct buf *out);
/* The page of the target called name (its `target` label); -1 if none. */
int target_page_render(const struct ctx *ctx, const char *name,
    struct buf *out);
/* name NULL: every target; else that one, -1 if none. */
int status_json_render(const struct ctx *ctx, const char *name,
    struct buf *out);

/* For the page (web/status.c) and the JSON (web/status_json.c): every
 * target's view, worst first (free() it); the check called name, or
 * NULL. */
struct target_view *status_views_make(const struct ctx *ctx, double now);
const struct check *status_find_check(const struct ctx *ctx,
    const char *name);

#endif
