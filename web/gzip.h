/* /metrics compressed when the scraper accepts it (Prometheus asks for gzip
 * on every scrape): whether it does, and the level.  The compression is
 * web/metrics_gzip.h's. */
#ifndef MAILSEC_GZIP_H
#define MAILSEC_GZIP_H

/* Level 1: /metrics is repetitive text; the fastest level already keeps
 * about a tenth of it, at a fraction of the CPU of the default. */
#define GZIP_LEVEL	1

/* Whether an Accept-Encoding header value accepts gzip: a "gzip" (or
 * "x-gzip", or "*") coding whose q is not 0 (RFC 9110 12.5.3).  NULL, a
 * malformed value, or gzip;q=0: no. */
int gzip_accepted(const char *accept_encoding);

#endif
