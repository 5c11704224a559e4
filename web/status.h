/* What a person reads: the status page (GET /), one page per target
 * (GET /target/NAME) in web/status.c, and the same facts as JSON (GET
 * /api/v1/status, /api/v1/status/NAME; schema in doc/api.md) in
 * web/status_json.c.  Every target gets a
 * verdict per check, pass / warn / fail (n/a where it does not apply),
 * and the worst is its own.  All of it is read from the published
 * results (web/results.h), never from the scheduler. */
#ifndef MAILSEC_STATUS_H
#define MAILSEC_STATUS_H

#include "daemon/ctx.h"
#include "base/util.h"
#include "web/results.h"
#include "web/verdict.h"

/* ctx gives the page's configuration section (status_config.h); NULL:
 * none. */
void status_page_render(const struct result_store *s, const struct ctx *ctx,
    struct buf *out);
/* The page of the target called name (its `target` label); -1 if none. */
int target_page_render(const struct result_store *s, const char *name,
    struct buf *out);
/* name NULL: every target; else that one, -1 if none. */
int status_json_render(const struct result_store *s, const char *name,
    struct buf *out);

/* For the page (web/status.c) and the JSON (web/status_json.c): every
 * target's view, worst first (free() it). */
struct target_view *status_views_make(const struct result_store *s,
    double now);

#endif
