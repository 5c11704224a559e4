/* DKIM key records (RFC 6376 3.6.1, RFC 8301, RFC 8463): the TXT record at
 * <selector>._domainkey.<domain>, checked the way a verifier would use it.
 * Pure parsing; the lookup is the caller's. */
#ifndef MAILSEC_DKIM_H
#define MAILSEC_DKIM_H

#include <stddef.h>

#include "collectors/txt.h"

#define DKIM_RSA_MIN_BITS	1024	/* RFC 8301 3.2: shorter is invalid */
#define DKIM_RSA_GOOD_BITS	2048	/* RFC 8301: SHOULD be at least */

/* A key record as a verifier sees it.  Owns no memory: the strings are
 * constants, so there is nothing to free.
 *
 * reason is NULL when valid, else one of: "no_record", "multiple_records",
 * "too_long", "syntax", "duplicate_tag", "bad_version", "unknown_key_type",
 * "no_usable_hash", "not_for_email", "missing_p", "revoked", "bad_base64",
 * "bad_key", "key_too_short", "bad_ed25519_key", "sha1_only". */
struct dkim_key {
	int		 present;	/* a TXT record is there */
	int		 valid;		/* a verifier can use the key */
	int		 revoked;	/* p= empty (3.6.1) */
	int		 testing;	/* t=y */
	int		 strict;	/* t=s: i= must equal d= */
	int		 sha1_only;	/* h= allows sha1 and not sha256: no
					 * RFC 8301 verifier accepts it */
	int		 weak_key;	/* rsa shorter than 2048 bits */
	int		 multiple_records; /* results undefined (3.6.2.2) */
	const char	*key_type;	/* "rsa", "ed25519"; NULL if unknown */
	const char	*key_format;	/* "spki", "rsapublickey", "raw";
					 * NULL until the key decodes */
	unsigned	 key_bits;	/* RSA modulus bits; 256 for ed25519 */
	const char	*reason;
	char		 message[256];	/* for humans; "" when valid */
};

/* Parses one record (the joined strings); may hold NULs.  Fills key
 * entirely; present is set. */
void dkim_key_parse(const char *rec, size_t len, struct dkim_key *key);

/* The TXT answer at a selector: none gives "no_record"; more than one is
 * ambiguous, so "multiple_records", with the first parsed for the key
 * fields. */
void dkim_key_select(const struct txt_records *recs, struct dkim_key *key);

#endif
