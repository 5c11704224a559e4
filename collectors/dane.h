/* DANE for SMTP (RFC 7672, 7671, 6698): TLSA records read from a DNS
 * answer, each record matched against every certificate a server
 * presented, and the rollover readiness of the set.  Pure code over bytes
 * and X509 objects: the validated lookup and the handshake are the
 * caller's. */
#ifndef MAILSEC_DANE_H
#define MAILSEC_DANE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* A TLSA RRset larger than this is cut there (flagged truncated): no real
 * set comes near it, and the cap bounds the work a hostile one costs. */
#define DANE_TLSA_MAX		64
/* The longest association data kept: a full certificate (matching type
 * 0) may be large; larger ones are kept as unusable. */
#define DANE_DATA_MAX		8192

enum dane_usage {
	DANE_PKIX_TA = 0,	/* unusable for SMTP (RFC 7672 3.1.3) */
	DANE_PKIX_EE = 1,	/* unusable for SMTP */
	DANE_TA = 2,
	DANE_EE = 3,
};

/* The fate of one record against the presented chain. */
enum dane_match {
	DANE_MATCHES,		/* matches a presented certificate or key */
	DANE_NO_MATCH,		/* usable, but matches nothing presented */
	DANE_UNUSABLE,		/* usage 0/1, unknown selector or matching
				 * type, a digest of the wrong length, or
				 * outweighed by a stronger digest (RFC 7671
				 * section 9) */
	DANE_MATCH__COUNT
};
const char *dane_match_name(enum dane_match m);

struct tlsa_record {
	uint8_t		 usage;
	uint8_t		 selector;
	uint8_t		 mtype;
	size_t		 len;
	unsigned char	*data;
	enum dane_match	 match;		/* set by dane_match_chain() */
	int		 depth;		/* of the certificate it matched, -1 */
	const char	*unusable_why;	/* for people; NULL unless unusable */
};

/* Why DANE does not apply, or fails: the label values of
 * mailsec_dane_error_info{reason}. */
enum dane_reason {
	DANE_REASON_NONE,
	DANE_REASON_NO_TLSA,		/* secure denial: no TLSA records */
	DANE_REASON_INSECURE,		/* an unsigned link in the chain */
	DANE_REASON_BOGUS,
	DANE_REASON_UNUSABLE,		/* records, none usable for SMTP */
	DANE_REASON_NO_MATCH,		/* usable records, none matches */
	DANE_REASON_TA_NOT_PRESENTED,	/* DANE-TA whose CA was not sent */
	DANE_REASON_NAME_MISMATCH,	/* DANE-TA: the name does not match */
	DANE_REASON_EXPIRED,		/* DANE-TA: the certificate expired */
	DANE_REASON_DNS,		/* SERVFAIL, timeout: unknown */
	DANE_REASON__COUNT
};
const char *dane_reason_name(enum dane_reason r);

struct tlsa_set {
	struct tlsa_record *recs;
	size_t		 n;
	int		 truncated;	/* more than DANE_TLSA_MAX */
	int		 malformed;	/* an RR that does not parse */
};

void tlsa_set_init(struct tlsa_set *s);
void tlsa_set_free(struct tlsa_set *s);
/* Bytes the set holds on the heap, as malloc was asked for them. */
size_t tlsa_set_bytes(const struct tlsa_set *s);
/* Whether two sets hold the same records (usage, selector, matching type,
 * data) in the same order; what a probe matched (match, depth) is not
 * compared: it is the probe's, set anew by every dane_match_chain(). */
int tlsa_set_equal(const struct tlsa_set *a, const struct tlsa_set *b);
/* A deep copy of src into dst (initialised here). */
void tlsa_set_copy(struct tlsa_set *dst, const struct tlsa_set *src);

/* Reads the TLSA records of the answer section of a DNS message (the
 * packet libunbound returns), for the question's name and its CNAME
 * targets alike.  Returns 0, or -1 when the message does not parse (the
 * records read before the problem are kept). */
int tlsa_parse_answer(const unsigned char *pkt, size_t len,
    struct tlsa_set *s);
/* Adds one record from its RDATA; -1 when shorter than 3 bytes. */
int tlsa_add_rdata(struct tlsa_set *s, const unsigned char *rdata,
    size_t len);

/* Marks each record of s against chain (depth 0 the leaf, as presented):
 * usability per RFC 7672/7671 (digest agility: when the set has usable
 * SHA-512 records for a usage and selector, SHA-256 ones of that pair are
 * unusable), then a match of each usable record against each certificate
 * of its usage: DANE-EE the leaf only, DANE-TA any certificate above it.
 * Returns the number of usable records. */
size_t dane_match_chain(struct tlsa_set *s, STACK_OF(X509) *chain);

/* Counts of one set after dane_match_chain(). */
struct dane_counts {
	size_t		 usable;
	size_t		 matching;
	size_t		 unusable;
	size_t		 no_match;
};
void dane_count(const struct tlsa_set *s, struct dane_counts *c);

/* Rollover readiness, exactly: besides the records that match today, the
 * set holds at least one usable record for another key (a published next
 * key) or a usable DANE-TA record that matches (a CA survives a leaf
 * change).  Duplicates, one key under two matching types, and unusable
 * records do not count.  1 or 0. */
int dane_rollover_ready(const struct tlsa_set *s);

/* The fate of a set, by record type, after dane_match_chain(): the
 * series of mailsec_dane_tlsa_records.  A hostile set may hold many
 * types: past DANE_TALLY_MAX distinct ones the rest are counted in
 * `dropped` only. */
#define DANE_TALLY_MAX		16
struct dane_tally_row {
	uint8_t		 usage;
	uint8_t		 selector;
	uint8_t		 mtype;
	uint8_t		 match;		/* enum dane_match */
	unsigned	 count;
};
struct dane_tally {
	struct dane_tally_row rows[DANE_TALLY_MAX];
	unsigned	 n;
	unsigned	 dropped;
};
void dane_tally(const struct tlsa_set *s, struct dane_tally *t);

/* DANE in the handshake (RFC 7672): set when the probe was given a secure
 * TLSA set.  The PKIX facts above never depend on it. */
struct dane_facts {
	int	 checked;		/* a TLSA set was given and TLS came up */
	int	 enabled;		/* it held usable records: the handshake
					 * was authenticated by DANE too */
	int	 valid;			/* DANE authenticated the peer */
	int	 depth;			/* of the matching certificate, -1 */
	enum dane_reason reason;	/* why not valid, or NONE */
	char	*error;			/* OpenSSL's words, "" when valid
					 * (an outcome's text field, probe.h) */
	int	 rollover_ready;
	struct dane_tally tally;	/* each record against the chain */
};


#endif
