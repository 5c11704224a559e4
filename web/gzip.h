/* /metrics compressed when the scraper accepts it (Prometheus asks for gzip
 * on every scrape): a gzip stream over another stream, compressed piece by
 * piece as MHD asks for its buffer's worth, never holding the whole text
 * nor its compressed copy. */
#ifndef MAILSEC_GZIP_H
#define MAILSEC_GZIP_H

#include "web/http.h"

/* Whether an Accept-Encoding header value accepts gzip: a "gzip" (or
 * "x-gzip", or "*") coding whose q is not 0 (RFC 9110 12.5.3).  NULL, a
 * malformed value, or gzip;q=0: no. */
int gzip_accepted(const char *accept_encoding);

/* Wraps src (which becomes the new stream's): *out reads the gzip of it,
 * size unknown.  -1 if zlib cannot start (src is then freed). */
int gzip_stream_wrap(const struct http_stream *src, struct http_stream *out);

#endif
