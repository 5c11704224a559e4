/* The status page's "configuration" section (web/status_config.c). */
#ifndef MAILSEC_STATUS_CONFIG_H
#define MAILSEC_STATUS_CONFIG_H

#include "daemon/ctx.h"
#include "base/util.h"

void status_config_render(const struct ctx *ctx, struct buf *b);

#endif
