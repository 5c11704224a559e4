/* What /metrics (and --once) print: the samples of every published
 * result (endpoint facts from the table, web/facts.c) and of the
 * exporter's own state.  The cache and the stream that serve them are
 * web/metrics_cache.h (included). */
#ifndef MAILSEC_METRICS_H
#define MAILSEC_METRICS_H

#include "daemon/ctx.h"
#include "daemon/result.h"
#include "web/expo.h"
#include "web/metrics_cache.h"

/* The samples of one published result; mode is the `address` label's
 * (ADDRESS_LABEL_ON, _OFF, _HASH: metrics_address_mode()). */
void metrics_add_result(struct expo *e, const struct check_result *r,
    int mode);
int metrics_address_mode(const struct ctx *ctx);
/* address_label = hash: 8 hex digits of the address's SHA-256. */
void metrics_address_hash(const char *address, char out[9]);
/* The exporter's own samples (mailsec_exporter_*, process_*), as of now. */
void metrics_add_exporter(struct expo *e, const struct ctx *ctx);

#endif
