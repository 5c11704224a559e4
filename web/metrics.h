/* What /metrics (and --once) print: every check's last result and the
 * exporter's own state. */
#ifndef MAILSEC_METRICS_H
#define MAILSEC_METRICS_H

#include "daemon/ctx.h"
#include "daemon/result.h"
#include "web/expo.h"

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
/* The whole exposition into out (tests). */
void metrics_render(struct ctx *ctx, struct buf *out);
/* Makes the cache of ctx and subscribes it to published results
 * (daemon/publish.h): the daemon's start, before the first targets are
 * published.  ctx_free() frees it. */
void metrics_cache_subscribe(struct ctx *ctx);
void metrics_cache_free(struct metrics_cache *mc);
/* The samples of one published result; mode is the `address` label's
 * (ADDRESS_LABEL_ON, _OFF, _HASH: metrics_address_mode()). */
void metrics_add_result(struct expo *e, const struct check_result *r,
    int mode);
int metrics_address_mode(const struct ctx *ctx);

#endif
