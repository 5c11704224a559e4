/* Escaping for what the web pages and the JSON API write: HTML text and
 * attributes, JSON strings, URL path segments.  Text from the network
 * (certificate names, server replies, DNS records) goes through here. */
#ifndef MAILSEC_ESCAPE_H
#define MAILSEC_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* The length (1-4) of the valid UTF-8 sequence at s (n bytes available),
 * its code point in *cp; 0 if the bytes there are not valid UTF-8
 * (overlong forms, surrogates, past U+10FFFF, cut short). */
size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/* HTML text or a quoted attribute value: & < > " ' escaped, control
 * characters (but tab and newline) and invalid UTF-8 as U+FFFD. */
void html_escape(struct buf *b, const char *s);
void html_escapen(struct buf *b, const char *s, size_t n);

/* A JSON string, quotes included: " \ and control characters escaped,
 * valid UTF-8 passed through (U+2028, U+2029 escaped), each invalid byte
 * as \ufffd.  NULL writes null. */
void json_escape(struct buf *b, const char *s, size_t n);

/* A URL path segment: everything but A-Z a-z 0-9 - . _ ~ percent-encoded. */
void url_escape(struct buf *b, const char *s);
/* The same for len bytes (NULs too): SPF's %{X} macros (RFC 7208 7.3). */
void url_escape_n(struct buf *b, const char *s, size_t len);

#endif
