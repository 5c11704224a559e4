/* DKIM key records (RFC 6376 3.6.1, RFC 8301, RFC 8463): the TXT record at
 * <selector>._domainkey.<domain>, checked the way a verifier would use it.
 * Pure parsing; the lookup is the caller's. */
#ifndef MAILSEC_DKIM_H
#define MAILSEC_DKIM_H

#include <stddef.h>

#include "collectors/txt.h"

#define DKIM_RSA_MIN_BITS	1024	/* RFC 8301 3.2: shorter is invalid */
#define DKIM_RSA_GOOD_BITS	2048	/* RFC 8301: SHOULD be at least */

/* A key record as a verifier sees it.  The strings but message are
 * constants; message is owned (dkim_key_free), "" (ostr_empty) when valid.
 *
 * reason is NULL when valid, else one of: "no_record", "multiple_records",
 * "too_long", "syntax", "duplicate_tag", "bad_version", "unknown_key_type",
 * "no_usable_hash", "not_for_email", "missing_p", "revoked", "bad_base64",
 * "bad_key", "key_too_short", "bad_ed25519_key", "sha1_only". */
enum dkim_key_type { DKIM_KEY_UNKNOWN, DKIM_KEY_RSA, DKIM_KEY_ED25519 };
/* How p= holds the key. */
enum dkim_key_format { DKIM_FORMAT_NONE, DKIM_FORMAT_SPKI,
	DKIM_FORMAT_RSAPUBLICKEY, DKIM_FORMAT_RAW };

struct dkim_key {
	const char	*reason;
	char		*message;	/* for humans, cut at DKIM_MESSAGE_MAX
					 * - 1 bytes; "" when valid */
	unsigned	 key_bits;	/* RSA modulus bits; 256 for ed25519 */
	signed char	 key_type;	/* enum dkim_key_type */
	signed char	 key_format;	/* enum dkim_key_format: NONE until
					 * the key decodes */
	signed char	 present;	/* a TXT record is there */
	signed char	 valid;		/* a verifier can use the key */
	signed char	 revoked;	/* p= empty (3.6.1) */
	signed char	 testing;	/* t=y */
	signed char	 strict;	/* t=s: i= must equal d= */
	signed char	 sha1_only;	/* h= allows sha1 and not sha256: no
					 * RFC 8301 verifier accepts it */
	signed char	 weak_key;	/* rsa shorter than 2048 bits */
	signed char	 multiple_records; /* results undefined (3.6.2.2) */
};

#define DKIM_MESSAGE_MAX	256	/* message's bound, NUL included */

/* Parses one record (the joined strings); may hold NULs.  Fills key
 * entirely (free it first when reusing); present is set. */
void dkim_key_parse(const char *rec, size_t len, struct dkim_key *key);

/* The TXT answer at a selector: none gives "no_record"; more than one is
 * ambiguous, so "multiple_records", with the first parsed for the key
 * fields. */
void dkim_key_select(const struct txt_records *recs, struct dkim_key *key);

/* "rsa", "ed25519"; NULL if unknown. */
const char *dkim_key_type_name(int type);
/* "spki", "rsapublickey", "raw"; NULL before the key decodes. */
const char *dkim_key_format_name(int format);

/* Frees what key owns (its message); key is left empty. */
void dkim_key_free(struct dkim_key *key);

#endif
