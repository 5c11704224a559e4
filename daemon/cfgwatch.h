/* The configuration audits of the daemon: one per [config ...] section, run
 * at its interval on the loop; the last report of each is kept for
 * /metrics and the status page, and held against the probes of its
 * endpoints when rendered (the drift cross-check). */
#ifndef MAILSEC_CFGWATCH_H
#define MAILSEC_CFGWATCH_H

#include "daemon/ctx.h"

struct cfg_report;

/* (Re)creates the audits of ctx->cfg, keeping the reports of sections
 * that stay. */
void cfgwatch_apply(struct ctx *ctx);
void cfgwatch_free(struct ctx *ctx);
/* The audits, one per [config ...] section: how many, and the i-th
 * (i < cfgwatch_count()): its last report or NULL (not run yet), its
 * section (*src, NULL once gone) and server (*server, an enum cfg_server).
 * The mailsec_config_* samples are web/config_metrics.c's. */
size_t cfgwatch_count(const struct ctx *ctx);
const struct cfg_report *cfgwatch_at(const struct ctx *ctx, size_t i,
    const struct cfgsrc_cfg **src, int *server);
/* The reports, for the status page: i-th, or NULL past the end. */
const struct cfg_report *cfgwatch_report(const struct ctx *ctx, size_t i);

enum drift_check { DRIFT_VERSIONS, DRIFT_CERT, DRIFT_STARTTLS, DRIFT__COUNT };
const char *drift_check_name(enum drift_check d);
/* What the cross-check says for endpoint (a target key) of report r:
 * out[d] is 1 (disagree), 0 (agree) or -1 (not known). */
void cfgwatch_drift(const struct ctx *ctx, const struct cfg_report *r,
    const char *endpoint, int out[DRIFT__COUNT]);

#endif
