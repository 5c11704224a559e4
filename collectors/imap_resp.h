/* IMAP server line reader (RFC 9051, RFC 3501) for what a probe sees before
 * login: the greeting ("* OK", "* PREAUTH", "* BYE", with an optional
 * [CAPABILITY ...] response code), "* CAPABILITY", tagged completions
 * ("TAG OK|NO|BAD") and continuation requests ("+").  One line at a time,
 * checked strictly; pure code, no I/O, so it is unit tested and fuzzed on
 * its own.  Literals ("{n}") have no place before login and are an error. */
#ifndef MAILSEC_IMAP_RESP_H
#define MAILSEC_IMAP_RESP_H

#include <stddef.h>

/* Longest line read (RFC 7162 3.2.1.1 asks clients for 8192 octets); the
 * session usually bounds lines tighter. */
#define IMAP_LINE_MAX	8192
/* Most capabilities in one line: a bound against hostile servers. */
#define IMAP_CAPS_MAX	128

enum imap_kind {
	IMAP_LINE_STATUS,	/* "* OK|NO|BAD|PREAUTH|BYE [code] text" */
	IMAP_LINE_CAPABILITY,	/* "* CAPABILITY atom..." */
	IMAP_LINE_DATA,		/* another untagged response: "* 3 EXISTS" */
	IMAP_LINE_TAGGED,	/* "TAG OK|NO|BAD [code] text" */
	IMAP_LINE_CONTINUE,	/* "+ text" */
};

enum imap_cond {
	IMAP_COND_OK,
	IMAP_COND_NO,
	IMAP_COND_BAD,
	IMAP_COND_PREAUTH,
	IMAP_COND_BYE,
};

/* What a capability list advertises; atoms are case-insensitive. */
struct imap_caps {
	unsigned n;		/* capabilities read */
	int	 imap4rev1;
	int	 imap4rev2;
	int	 starttls;
	int	 logindisabled;
	int	 auth;		/* any AUTH=mechanism */
	int	 auth_plain;
	int	 auth_login;
	char	 auth_mechs[128];	/* "PLAIN LOGIN" as advertised, cut */
};

struct imap_line {
	enum imap_kind	 kind;
	enum imap_cond	 cond;		/* STATUS and TAGGED */
	int		 has_caps;	/* CAPABILITY data, or the response code */
	struct imap_caps caps;
	char		 code[32];	/* response code atom ("ALERT"), cut; "" */
	char		 text[120];	/* the human text, cut */
	char		 err[64];
};

/* Reads one line, without its CRLF; it may hold any bytes, NULs included.
 * tag is the tag of the command in flight, or NULL while the greeting is
 * awaited: then only "* OK", "* PREAUTH" or "* BYE" is accepted.  A tagged
 * line must carry tag exactly.  Returns 0, or -1 with l->err set. */
int imap_line_parse(struct imap_line *l, const char *line, size_t len,
    const char *tag);
const char *imap_cond_name(enum imap_cond c);

#endif
