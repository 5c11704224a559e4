/* --once: the exposition written to a stream family by family, never
 * held whole (neither the text nor the /metrics cache's compact copy). */
#ifndef MAILSEC_METRICS_ONCE_H
#define MAILSEC_METRICS_ONCE_H

#include <stdio.h>

#include "daemon/ctx.h"

/* Writes every published result's samples and the exporter's own to out:
 * for each family, each result's samples of that family are rendered,
 * written and dropped, so that no more than one result's samples of one
 * family are in memory at a time.  The text is byte for byte what a
 * scrape of the same results gives.  0, or -1 when a write failed. */
int metrics_once_write(struct ctx *ctx, FILE *out);

#endif
