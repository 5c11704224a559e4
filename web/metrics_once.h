/* --once: the exposition written to a stream a band of families at a
 * time, never held whole (neither the text nor the /metrics cache's compact copy). */
#ifndef MAILSEC_METRICS_ONCE_H
#define MAILSEC_METRICS_ONCE_H

#include <stdio.h>

#include "daemon/ctx.h"

/* Writes every published result's samples and the exporter's own to out:
 * for each band of families (ONCE_BAND), every result's samples of those
 * families are rendered, written and dropped, so that no more than one
 * band's text is in memory at a time.  The text is byte for byte what a
 * scrape of the same results gives.  0, or -1 when a write failed. */
int metrics_once_write(struct ctx *ctx, FILE *out);

#endif
