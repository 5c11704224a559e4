/* CAA records (RFC 8659) of one name: the wire RDATA parsed strictly, the
 * issue, issuewild and issuemail (RFC 9495) values parsed into the issuer
 * domain name and its parameters, and the judgement of a record set (valid,
 * which CA domain names may issue).  Pure functions over bytes: the climb
 * to the parent lives in collectors/mxhyg.c. */
#ifndef MAILSEC_CAA_H
#define MAILSEC_CAA_H

#include <stddef.h>
#include <stdint.h>

#define CAA_TAG_MAX	15	/* RFC 8659 4.1: SHOULD be no more */
#define CAA_VALUE_MAX	255	/* longer values are refused, not cut */
#define CAA_SET_MAX	32	/* records of one set judged; more: invalid */
#define CAA_FLAG_CRITICAL 0x80

enum caa_tag {
	CAA_TAG_ISSUE,
	CAA_TAG_ISSUEWILD,
	CAA_TAG_ISSUEMAIL,	/* RFC 9495 */
	CAA_TAG_IODEF,
	CAA_TAG_OTHER,		/* contactemail, issuevmc, ... : not judged */
	CAA_TAG__COUNT
};
const char *caa_tag_name(enum caa_tag t);

/* Why a record or a set is not valid: the words come from the class. */
enum caa_error {
	CAA_OK,
	CAA_ERR_SHORT,		/* RDATA shorter than flags + tag length */
	CAA_ERR_TAG_LENGTH,	/* tag length 0, over 15, or past the RDATA */
	CAA_ERR_TAG_CHARS,	/* a tag byte outside [A-Za-z0-9] */
	CAA_ERR_VALUE_LENGTH,	/* value over CAA_VALUE_MAX */
	CAA_ERR_VALUE_SYNTAX,	/* issue*: not RFC 8659 4.2's grammar */
	CAA_ERR_CRITICAL_UNKNOWN, /* critical flag on a tag not understood:
				 * no CA may issue (RFC 8659 4.1) */
	CAA_ERR_TOO_MANY,	/* more than CAA_SET_MAX records */
	CAA_ERR__COUNT
};
const char *caa_error_name(enum caa_error e);

struct caa_record {
	uint8_t		 flags;
	enum caa_tag	 tag;
	char		 tag_text[CAA_TAG_MAX + 1];	/* as sent, NUL-terminated */
	/* issue*: the issuer domain name, lowercase, without a trailing dot;
	 * "" for a value that names none (";": no CA may issue). */
	char		 issuer[254];
	unsigned	 n_params;	/* tag=value parameters after ';' */
	char		 value[CAA_VALUE_MAX + 1];	/* printable copy */
};

/* One RDATA: flags, tag length, tag, value.  The whole of it must be used.
 * CAA_OK with *rec filled, or the class of the fault. */
enum caa_error caa_parse_rdata(const uint8_t *rdata, size_t len,
    struct caa_record *rec);
/* An issue, issuewild or issuemail value (RFC 8659 4.2):
 *   *WSP [issuer-domain-name *WSP] [";" *WSP [parameters *WSP]]
 * issuer written lowercase into issuer (>= 254 bytes).  CAA_OK or
 * CAA_ERR_VALUE_SYNTAX. */
enum caa_error caa_parse_issue_value(const char *v, size_t len, char *issuer,
    unsigned *n_params);

/* A relevant record set, as found at one name: zeroed to start,
 * caa_set_free() to end. */
struct caa_set {
	struct caa_record *recs;	/* exactly n, at most CAA_SET_MAX */
	size_t		 n;
	enum caa_error	 error;		/* the first fault, or CAA_OK */
};
/* Frees the records and zeroes the set. */
void caa_set_free(struct caa_set *set);
/* Bytes the records take, as malloc was asked for them. */
size_t caa_set_bytes(const struct caa_set *set);
/* Whether two sets hold the same records in the same order (NULL is the
 * empty set's equal only). */
int caa_set_equal(const struct caa_set *a, const struct caa_set *b);

/* Adds one RDATA to the set; a record that does not parse, or one too
 * many, makes the set invalid (set->error) but is counted. */
void caa_set_add(struct caa_set *set, const uint8_t *rdata, size_t len);
/* The records of a raw CAA answer (an ARES_* status and the message) into
 * set, which must be zeroed.  Returns an enum dns_result: DNS_OK when it
 * held CAA records, DNS_NODATA / DNS_NXDOMAIN for none, else the failure. */
int caa_parse_answer(int status, const unsigned char *abuf, int alen,
    struct caa_set *set);

/* Whether the set lets the CA of domain ca_domain (e.g. "letsencrypt.org")
 * issue a certificate for a name (not a wildcard: issuewild does not
 * apply): 1 yes, 0 no.  A set with no issue record lets every CA issue
 * (RFC 8659 4.2). */
int caa_set_allows(const struct caa_set *set, const char *ca_domain);
/* Whether any issue, issuewild or issuemail record is in the set. */
int caa_set_has_tag(const struct caa_set *set, enum caa_tag t);

#endif
