/* What /metrics (and --once) print: every check's last result and the
 * exporter's own state. */
#ifndef MAILSEC_METRICS_H
#define MAILSEC_METRICS_H

#include "daemon/ctx.h"
#include "daemon/sched.h"
#include "web/expo.h"

/* The exposition of every check's last result and the exporter's own
 * state, as of now, read in pieces: for /metrics (MHD's buffer at a time)
 * and --once (stdout).  A check's text is cached in the ctx until its
 * result is replaced; a stream keeps the texts it started with. */
struct metrics_stream;
struct metrics_stream *metrics_stream_new(struct ctx *ctx);
/* Its exact length in bytes. */
uint64_t metrics_stream_size(const struct metrics_stream *s);
/* Fills out with up to room bytes; 0 at the end. */
size_t metrics_stream_read(struct metrics_stream *s, char *out, size_t room);
void metrics_stream_free(struct metrics_stream *s);
/* The whole exposition into out (tests). */
void metrics_render(struct ctx *ctx, struct buf *out);
void metrics_cache_free(struct metrics_cache *mc);
/* The daemon: render results into the cache as they come, not only when
 * scraped. */
void metrics_warm_start(struct ctx *ctx);
/* The samples of one check's last result. */
void metrics_add_check(struct expo *e, const struct check *c);

#endif
