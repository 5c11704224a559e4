/* Ratings: every TLS finding of an endpoint in the four classes of the
 * NCSC-NL TLS guidelines (2025) as internet.nl encodes them (good,
 * sufficient, phase out, insufficient).  One table per kind of thing
 * (version, cipher suite, key exchange group, certificate key, signature
 * hash), each row with the guideline it comes from; every output (metrics,
 * status page, JSON, report) is made from rating_endpoint().  See
 * doc/ratings.md. */
#ifndef MAILSEC_RATING_H
#define MAILSEC_RATING_H

#include "collectors/probe.h"

/* The class values are the metric values (mailsec_tls_rating). */
enum tls_class {
	TLS_CLASS_UNKNOWN = -1,		/* not learnt: no sample */
	TLS_CLASS_INSUFFICIENT = 0,
	TLS_CLASS_PHASE_OUT = 1,
	TLS_CLASS_SUFFICIENT = 2,
	TLS_CLASS_GOOD = 3,
};
#define TLS_CLASS__COUNT 4		/* the known classes, 0..3 */

enum rating_check {
	RATE_VERSION,
	RATE_CIPHER,
	RATE_KEX,
	RATE_CERT_KEY,
	RATE_CERT_SIGNATURE,
	RATE_CIPHER_ORDER,
	RATE_RENEGOTIATION,
	RATE_COMPRESSION,
	RATE_EXTENDED_MASTER_SECRET,
	RATE_OCSP_STAPLING,
	RATE__COUNT
};

/* Key exchange groups the audit offers one by one (the `group` label). */
enum kex_group {
	GROUP_X25519,
	GROUP_X448,
	GROUP_SECP256R1,
	GROUP_SECP384R1,
	GROUP_SECP521R1,
	GROUP_BRAINPOOLP256R1,
	GROUP_BRAINPOOLP384R1,
	GROUP_BRAINPOOLP512R1,
	GROUP_SECP224R1,
	GROUP_FFDHE2048,
	GROUP_FFDHE3072,
	GROUP_FFDHE4096,
	GROUP_FFDHE6144,
	GROUP_FFDHE8192,
	GROUP__COUNT
};

/* Which TLS versions a group can be offered in by this client. */
enum group_versions {
	GROUPV_ANY,		/* TLS 1.0-1.3 (ECDHE) */
	GROUPV_TLS12,		/* TLS <= 1.2 only (no TLS 1.3 codepoint) */
	GROUPV_TLS13,		/* TLS 1.3 only (named FFDHE) */
};

/* "good", "sufficient", "phase_out", "insufficient", "unknown": the label
 * and JSON spelling. */
const char *tls_class_name(int c);
/* The guideline's own words: "good", "sufficient", "phase out",
 * "insufficient", "unknown". */
const char *tls_class_words(int c);
const char *rating_check_name(enum rating_check c);
/* Words for people: "TLS version", "cipher suites", ... */
const char *rating_check_title(enum rating_check c);
/* The guideline rule the check applies ("NCSC-NL 3.3.1"...). */
const char *rating_check_ref(enum rating_check c);
/* Whether the check counts in the worst class (a notice does not). */
int rating_check_in_worst(enum rating_check c);

/* Table lookups.  NULL or "" is TLS_CLASS_UNKNOWN; any other name not in a
 * table is insufficient, as internet.nl rates what it does not list. */
int rating_version_class(const char *openssl_name);	/* "TLSv1.2" */
int rating_cipher_class(const char *openssl_name);	/* "ECDHE-RSA-..." */
int rating_group_class(const char *tls_name);		/* "x25519", "DH" */
int rating_cert_key_class(const char *key_type, int bits, const char *curve);
int rating_signature_class(const char *hash, const char *key);
/* The guideline row of a lookup, for the reason words. */
const char *rating_cipher_ref(const char *openssl_name);

const char *kex_group_name(enum kex_group g);	/* "x25519" (TLS name) */
/* enum kex_group of a TLS group name, or -1. */
int kex_group_lookup(const char *tls_name);
int kex_group_class(enum kex_group g);
enum group_versions kex_group_versions(enum kex_group g);

/* The cipher list (TLS <= 1.2, OpenSSL syntax) or the TLS 1.3 suite list
 * of one class, for the audit's pinned handshakes; "" when the class has
 * no such suite.  The TLS <= 1.2 insufficient list is everything but the
 * listed suites.  Returns 0 if it did not fit. */
int rating_class_ciphers(int cls, int tls13, char *out, size_t outlen);
/* Phase-out suites first, then the sufficient ones (TLS 1.2): the cipher
 * order handshake. */
int rating_order_ciphers(char *out, size_t outlen);

struct tls_audit;

struct rating_result {
	signed char	 cls;		/* enum tls_class */
	char		 reason[192];	/* what the class rests on */
};

struct endpoint_rating {
	struct rating_result check[RATE__COUNT];
	signed char	 worst;		/* over rating_check_in_worst; -1 none */
	enum rating_check worst_check;	/* the first check of that class */
};

/* Rates one endpoint from its main probe's facts and its audit (a may be
 * NULL or not run: the audit's checks are then unknown). */
void rating_endpoint(const struct tls_facts *t, const struct tls_audit *a,
    struct endpoint_rating *r);

#endif
