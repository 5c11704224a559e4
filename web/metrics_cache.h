/* The /metrics cache engine: each published result's samples rendered
 * once in compact form (web/expo.h), packed in arenas, and streamed to a
 * scrape (or --once) in pieces with the exporter's own samples.  What the
 * samples are is web/metrics.c's. */
#ifndef MAILSEC_METRICS_CACHE_H
#define MAILSEC_METRICS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/ctx.h"
#include "web/expo.h"
#include "base/util.h"

/* The exposition of every published result and the exporter's own
 * state, as of now, read in pieces: for /metrics (MHD's buffer at a time)
 * and --once (stdout).  A check's text is cached in the ctx until its
 * next result is published; a stream keeps the texts it started with. */
struct metrics_stream;
struct metrics_stream *metrics_stream_new(struct ctx *ctx);
/* Its exact length in bytes. */
uint64_t metrics_stream_size(const struct metrics_stream *s);
/* Fills out with up to room bytes; 0 at the end. */
size_t metrics_stream_read(struct metrics_stream *s, char *out, size_t room);
void metrics_stream_free(struct metrics_stream *s);
/* The same without the exporter's own samples: only the checks' texts,
 * which stay as they are until the generation moves on. */
struct metrics_stream *metrics_stream_new_checks(struct ctx *ctx);
/* Whether family f has samples (and so a header) in the stream. */
int metrics_stream_has(const struct metrics_stream *s, enum family f);
/* metrics_stream_read() of the families below fam_end only: 0 once they
 * are all read; the next call with a higher fam_end goes on from there. */
size_t metrics_stream_read_below(struct metrics_stream *s, size_t fam_end,
    char *out, size_t room);
/* The # HELP and # TYPE lines of family f. */
void metrics_family_header(enum family f, struct buf *out);
/* Moves on whenever a published result, the list of targets or the
 * address label mode changes: what metrics_stream_new_checks() makes is
 * the same for as long as it stays. */
uint64_t metrics_cache_generation(struct ctx *ctx);
/* The whole exposition into out (tests). */
void metrics_render(struct ctx *ctx, struct buf *out);
/* Makes the cache of ctx and subscribes it to published results
 * (daemon/publish.h): the daemon's start, before the first targets are
 * published.  ctx_free() frees it. */
void metrics_cache_subscribe(struct ctx *ctx);
void metrics_cache_free(struct metrics_cache *mc);

#endif
