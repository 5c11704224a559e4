/* MTA-STS (RFC 8461) and TLS-RPT (RFC 8460): the two TXT records, the policy
 * file and the MX pattern match.  Pure parsing over bytes; the lookups and
 * the HTTPS fetch are the caller's.
 *
 * Every failure is a class (enum sts_reason) with one name, used for the
 * metrics' reason label; the message beside it is for people and never
 * parsed. */
#ifndef MAILSEC_STS_H
#define MAILSEC_STS_H

#include <stddef.h>
#include <stdint.h>

#include "collectors/txt.h"

/* Why an MTA-STS or TLS-RPT record or policy is not usable.  The fetch
 * classes are filled in by the fetcher; the parsers here use the others. */
enum sts_reason {
	STS_OK = 0,
	STS_NO_RECORD,		/* no TXT record starting with the version */
	STS_MULTIPLE_RECORDS,	/* more than one: senders apply no policy */
	STS_BAD_RECORD,		/* the one record does not follow the ABNF */
	STS_BAD_ID,		/* id missing, empty, > 32 or not alnum */
	STS_DNS,		/* the TXT lookup failed (not NXDOMAIN) */
	STS_FETCH_CONN,		/* policy host unreachable, refused, timeout */
	STS_FETCH_TLS,		/* the TLS handshake failed */
	STS_FETCH_CERT,		/* certificate not valid for mta-sts.<domain> */
	STS_FETCH_STATUS,	/* an HTTP status other than 200 */
	STS_FETCH_REDIRECT,	/* a 3xx: redirects must not be followed */
	STS_CONTENT_TYPE,	/* not text/plain */
	STS_TOO_LARGE,		/* body over STS_POLICY_MAX */
	STS_FETCH_PROTOCOL,	/* a broken HTTP answer */
	STS_FETCH_TIMEOUT,	/* the check's time ran out mid-fetch */
	STS_BAD_POLICY,		/* policy syntax, version, mode or mx */
	STS_BAD_MAX_AGE,	/* max_age missing or outside 0..31557600 */
	STS_MX_NOT_COVERED,	/* an MX host matches no mx pattern */
	STS_MX_NOT_COMPLIANT,	/* covered, but its certificate fails */
	STS_BAD_RUA,		/* TLS-RPT: rua missing, or a URI not
				 * mailto: or https: */
	STS_NOT_ALLOWED,	/* /probe: the policy host's addresses are
				 * special (loopback, private) and not in
				 * probe_allow */
	STS_REASON_COUNT
};

/* "no_record", "multiple_records", ... (the label values). */
const char *sts_reason_name(enum sts_reason r);

/* RFC 8461 3.3: a policy body is at most 64 KiB. */
#define STS_POLICY_MAX		(64 * 1024)
#define STS_MAX_AGE_MAX		31557600u
#define STS_ID_MAX		32
/* More mx lines than this make the policy invalid: no real policy comes
 * near it, and the cap bounds the memory a hostile policy costs. */
#define STS_MX_PATTERNS_MAX	64
#define STS_RUA_MAX		16

/* The _mta-sts TXT record (3.1).  Its texts are owned, at their exact
 * length (sts_record_free): an id of 1 to 32 characters, a message cut
 * at STS_MESSAGE_MAX bytes. */
#define STS_MESSAGE_MAX	159
struct sts_record {
	char		*id;		/* NULL unless valid */
	char		*message;	/* NULL: none (sts_record_message) */
	uint16_t	 n_records;	/* how many start with v=STSv1, at
					 * most 1000 */
	unsigned char	 reason;	/* enum sts_reason */
	signed char	 present;	/* a record starting with v=STSv1 */
	signed char	 valid;
};

/* The record's words for people: its message, "" when none. */
const char *sts_record_message(const struct sts_record *r);
/* Sets r's reason and message (cut at STS_MESSAGE_MAX), replacing
 * both. */
void sts_record_set_reason(struct sts_record *r, enum sts_reason reason,
    const char *message);
void sts_record_free(struct sts_record *r);

/* Selects and parses the STS record among the TXT records of one answer:
 * records not starting with "v=STSv1" are ignored; exactly one must
 * remain.  r is overwritten: free it first when reusing. */
void sts_record_select(const struct txt_records *recs, struct sts_record *r);
/* One record's text (joined strings). */
void sts_record_parse(const char *rec, size_t len, struct sts_record *r);

enum sts_mode {
	STS_MODE_UNSET = -1,
	STS_MODE_NONE = 0,
	STS_MODE_TESTING = 1,
	STS_MODE_ENFORCE = 2,
};

const char *sts_mode_name(enum sts_mode m);	/* "none", ... "" unset */

/* The policy file (3.2).  mx patterns are lowercased without a trailing
 * dot, "*." kept: n_mx pointers and then the strings they point to, in
 * one allocation. */
struct sts_policy {
	char		**mx;
	char		*message;	/* NULL: none; cut at STS_MESSAGE_MAX */
	uint32_t	 max_age;
	unsigned char	 n_mx;		/* at most STS_MX_PATTERNS_MAX */
	signed char	 mode;		/* enum sts_mode */
	unsigned char	 reason;	/* enum sts_reason */
	unsigned char	 valid:1;
	unsigned char	 max_age_set:1;
	unsigned char	 repeated_key:1; /* a key other than mx came twice:
					 * the first was kept */
};
_Static_assert(STS_MX_PATTERNS_MAX <= 255, "n_mx is a byte");
_Static_assert(STS_REASON_COUNT <= 255, "a reason is a byte");

/* Parses body[0..len) (which may hold NULs) into p, overwritten: free it
 * first when reusing.  Lines end in LF or CRLF, the last one may have no
 * end; unknown keys are ignored; the first of a repeated key wins (mx
 * repeats by design). */
void sts_policy_parse(const char *body, size_t len, struct sts_policy *p);
void sts_policy_free(struct sts_policy *p);
/* The bytes p holds beyond itself (its mx block and message). */
size_t sts_policy_heap_bytes(const struct sts_policy *p);
/* Replaces *msg (owned, or NULL) by text cut at max bytes, at its exact
 * length; NULL when text is empty. */
void sts_message_set(char **msg, const char *text, size_t max);

/* RFC 8461 4.1: whether host matches pattern.  "*.example.com" matches
 * exactly one further leftmost label; ASCII case and one trailing dot on
 * either side are ignored.  1 or 0. */
int sts_mx_match(const char *pattern, const char *host);
/* Whether host matches any of the policy's patterns. */
int sts_policy_covers(const struct sts_policy *p, const char *host);

/* The _smtp._tls TXT record (RFC 8460 3); its message as the STS
 * record's (tlsrpt_record_free). */
struct tlsrpt_record {
	char		*message;	/* NULL: none (tlsrpt_record_message) */
	uint16_t	 n_records;	/* at most 1000 */
	unsigned char	 reason;	/* enum sts_reason */
	signed char	 present;	/* a record starting with v=TLSRPTv1 */
	signed char	 valid;
	signed char	 n_rua;		/* valid destinations, at most
					 * STS_RUA_MAX */
	signed char	 n_mailto;
	signed char	 n_https;
};
_Static_assert(STS_RUA_MAX <= 127, "n_rua is a signed char");

const char *tlsrpt_record_message(const struct tlsrpt_record *r);
void tlsrpt_record_set_reason(struct tlsrpt_record *r,
    enum sts_reason reason, const char *message);
void tlsrpt_record_free(struct tlsrpt_record *r);

void tlsrpt_record_select(const struct txt_records *recs,
    struct tlsrpt_record *r);
void tlsrpt_record_parse(const char *rec, size_t len, struct tlsrpt_record *r);

#endif
