/* --once: the exposition written to a stream a band of families at a
 * time, never held whole (neither the text nor the /metrics cache's compact copy). */
#ifndef MAILSEC_METRICS_ONCE_H
#define MAILSEC_METRICS_ONCE_H

#include <stddef.h>
#include <stdio.h>

#include "daemon/ctx.h"

/* What a walk may hold: the first family of a band goes out each time its
 * text reaches `piece` bytes; the others are held until the walk ends, and
 * while their memory is above `held_max` the band loses its last family
 * (rendered by a later walk instead). */
#define ONCE_HELD_MAX	(8u << 20)
#define ONCE_PIECE	(64u << 10)
struct once_bounds {
	size_t		 held_max;
	size_t		 piece;
};
extern const struct once_bounds once_bounds_default;

struct once_stats {
	size_t		 walks;		/* over the results */
	size_t		 held_peak;	/* the most held after a result */
};

/* Writes every published result's samples and the exporter's own to out:
 * for each band of up to 16 families, every result's samples of those
 * families are rendered, written and dropped, so that no more than one
 * band's text is in memory at a time, and no more than held_max of it
 * besides the piece of the family being written (one result's samples
 * past that at the most).  The text is byte for byte what a scrape of the
 * same results gives.  0, or -1 when a write failed.  stats may be NULL. */
int metrics_once_write_bounded(struct ctx *ctx, FILE *out,
    const struct once_bounds *bounds, struct once_stats *stats);
/* The same within once_bounds_default. */
int metrics_once_write(struct ctx *ctx, FILE *out);

#endif
