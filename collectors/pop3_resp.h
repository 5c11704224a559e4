/* POP3 response reader (RFC 1939, CAPA from RFC 2449, STLS from RFC 2595):
 * a "+OK" or "-ERR" status line, and for a multi-line response (CAPA) the
 * lines after a "+OK" up to a lone ".", dot-unstuffed.  Lines are fed one
 * at a time and checked strictly; pure code, no I/O, so it is unit tested
 * and fuzzed on its own. */
#ifndef MAILSEC_POP3_RESP_H
#define MAILSEC_POP3_RESP_H

#include <stddef.h>

#include "base/util.h"

/* Longest line read.  RFC 1939 says 512 octets for a status line; longer
 * ones are seen and harmless, so only the session's bound and this one
 * apply. */
#define POP3_LINE_MAX	8192

enum pop3_status {
	POP3_RESP_MORE = 0,	/* feed the next line */
	POP3_RESP_DONE = 1,	/* the response is complete */
	POP3_RESP_ERROR = -1,	/* the peer broke the protocol: see err */
};

struct pop3_resp {
	size_t	 maxlines;	/* most lines after the status line */
	int	 multiline;	/* a "+OK" is followed by lines and "." */
	int	 ok;		/* 1 "+OK", 0 "-ERR", -1 no status yet */
	size_t	 nlines;	/* lines read after the status line */
	int	 complete;	/* DONE was returned */
	char	 text[120];	/* the status line's text, cut */
	struct buf body;	/* those lines, unstuffed, '\n' separated */
	char	 err[64];
};

void pop3_resp_init(struct pop3_resp *r, size_t maxlines);
/* Readies r for the next response; multiline for CAPA. */
void pop3_resp_reset(struct pop3_resp *r, int multiline);
void pop3_resp_free(struct pop3_resp *r);
/* line excludes the CRLF and may hold any bytes, NULs included. */
enum pop3_status pop3_resp_feed(struct pop3_resp *r, const char *line,
    size_t len);

/* What a CAPA response advertises; tags are case-insensitive. */
struct pop3_caps {
	unsigned n;		/* capability lines */
	int	 stls;
	int	 user;
	int	 sasl;		/* SASL with at least one mechanism */
	int	 sasl_plain;
	int	 sasl_login;
	int	 pipelining;
	int	 uidl;
	int	 top;
	char	 sasl_mechs[128];	/* "PLAIN LOGIN" as advertised, cut */
	char	 err[64];
};

/* Reads the lines of a complete "+OK" CAPA response.  Returns 0, or -1
 * with c->err set when a line is not "tag *(SP param)". */
int pop3_capa_parse(const struct pop3_resp *r, struct pop3_caps *c);

#endif
