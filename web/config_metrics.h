/* The mailsec_config_* samples of the configuration audits. */
#ifndef MAILSEC_CONFIG_METRICS_H
#define MAILSEC_CONFIG_METRICS_H

#include "daemon/ctx.h"
#include "web/expo.h"

void cfgwatch_metrics(struct expo *e, const struct ctx *ctx);

#endif
