/* /metrics compressed when the scraper accepts it (Prometheus asks for gzip
 * on every scrape): a gzip stream over another stream, compressed piece by
 * piece as MHD asks for its buffer's worth, never holding the whole text. */
#ifndef MAILSEC_GZIP_H
#define MAILSEC_GZIP_H

#include "web/http.h"

/* Level 1: /metrics is repetitive text; the fastest level already keeps
 * about a tenth of it, at a fraction of the CPU of the default. */
#define GZIP_LEVEL	1

/* Whether an Accept-Encoding header value accepts gzip: a "gzip" (or
 * "x-gzip", or "*") coding whose q is not 0 (RFC 9110 12.5.3).  NULL, a
 * malformed value, or gzip;q=0: no. */
int gzip_accepted(const char *accept_encoding);

/* Wraps src (which becomes the new stream's): *out reads the gzip of it,
 * size unknown.  -1 if zlib cannot start (src is then freed). */
int gzip_stream_wrap(const struct http_stream *src, struct http_stream *out);

/* One compression for the scrapes of the same moment: *slot is the one
 * running, which *out joins (reading it from its start at its own pace),
 * or, when there is none, a new one over the stream src_new() makes, left
 * in *slot until the text is all compressed.  The compressed bytes are kept
 * until its last reader is done (about 4 % of the text for /metrics); the
 * text is read once.  A scraper that joins gets the exposition as it was
 * when the first one asked: older by at most the compression's time.
 * -1 if src_new() fails or zlib cannot start. */
struct gzip_shared;
int gzip_stream_join(struct gzip_shared **slot,
    int (*src_new)(void *arg, struct http_stream *src), void *arg,
    struct http_stream *out);
/* Before *slot's memory goes: it is no longer offered, nor written. */
void gzip_stream_unslot(struct gzip_shared *s);

#endif
