/* SMTP reply reader (RFC 5321 4.2): lines are fed one at a time and checked
 * strictly; a reply ends at the line with a space (or nothing) after the
 * code.  Pure code, no I/O, so it is unit tested and fuzzed on its own. */
#ifndef MAILSEC_SMTP_REPLY_H
#define MAILSEC_SMTP_REPLY_H

#include <stddef.h>

#include "base/util.h"

enum reply_status {
	REPLY_MORE = 0,		/* continuation line seen, feed the next */
	REPLY_DONE = 1,		/* the reply is complete */
	REPLY_ERROR = -1,	/* the peer broke the protocol: see err */
};

struct smtp_reply {
	size_t		 maxlines;
	int		 code;		/* 200..599 */
	size_t		 nlines;
	struct buf	 text;		/* the lines' text, '\n' separated */
	char		 err[96];
};

void smtp_reply_init(struct smtp_reply *r, size_t maxlines);
void smtp_reply_reset(struct smtp_reply *r);
void smtp_reply_free(struct smtp_reply *r);
/* line excludes the CRLF and may hold any bytes, NULs included. */
enum reply_status smtp_reply_feed(struct smtp_reply *r, const char *line,
    size_t len);

/* What an EHLO reply advertises. */
struct smtp_ehlo {
	int	 starttls;
	int	 auth;		/* AUTH or AUTH= advertised */
	char	 auth_mechs[128];	/* as advertised, space separated */
	int	 pipelining;
	int	 size;
};

/* Reads the keywords of a complete 250 EHLO reply (first line is the
 * greeting, not an extension). */
void smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ehlo *e);

/* The host name a 220 greeting or a 250 EHLO reply starts with (RFC 5321
 * 4.2: "220 SP Domain [SP text]", "250 SP Domain [SP ehlo-greet]"): the
 * first word of the first line, ended by SP or the line's end, lowercase
 * and without a trailing dot into out (>= 254 bytes).  0, or -1 when that
 * word is no host name (an address literal, a bare word, garbage). */
int smtp_reply_domain(const struct smtp_reply *r, char *out, size_t outlen);

#endif
