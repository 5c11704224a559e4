/* gzip /metrics, compressed once per generation of the checks' results
 * (web/metrics_cache.h: metrics_cache_generation()) and shared by every
 * gzip scrape until a result changes; each scrape adds the exporter's own
 * samples of its moment, compressed apart and spliced in. */
#ifndef MAILSEC_METRICS_GZIP_H
#define MAILSEC_METRICS_GZIP_H

#include "daemon/ctx.h"
#include "web/http.h"

/* The compressed checks' part of one generation; reference counted. */
struct metrics_gz;

/* *out reads a gzip of the exposition as it is now: the checks' part from
 * *cur when it is of the current generation, else from a new one left in
 * *cur (the old one goes when its last reader is done), the exporter's
 * own samples rendered now.  Size unknown (chunked).  -1 if zlib cannot
 * start. */
int metrics_gzip_stream(struct ctx *ctx, struct metrics_gz **cur,
    struct http_stream *out);
/* Lets *cur go (the web's end); readers keep theirs. */
void metrics_gzip_drop(struct metrics_gz **cur);

/* For tests: its references (*cur's own one and one per reader), its
 * generation, whether all of it is compressed. */
struct metrics_gz_info {
	unsigned	 refs;
	uint64_t	 gen;
	int		 done;
};
struct metrics_gz_info metrics_gz_info(const struct metrics_gz *g);

#endif
