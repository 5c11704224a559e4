/* Prometheus text exposition (format 0.0.4).  Every metric family is
 * declared once in the table in expo.c; collectors add samples in any order
 * and rendering groups them by family with HELP and TYPE. */
#ifndef MAILSEC_EXPO_H
#define MAILSEC_EXPO_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

enum family {
	F_PROBE_SUCCESS,
	F_PROBE_DURATION,
	F_PROBE_ENDPOINT_DURATION,
	F_PROBE_ERROR_INFO,
	F_PROBE_TIMESTAMP,
	F_STARTTLS_OFFERED,
	F_TLS_VERSION_INFO,
	F_TLS_CIPHER_INFO,
	F_CERT_NOT_AFTER,
	F_CERT_NOT_BEFORE,
	F_CERT_CHAIN_EARLIEST_NOT_AFTER,
	F_CERT_VERIFIED,
	F_CERT_VERIFY_ERROR_INFO,
	F_CERT_HOSTNAME_MATCH,
	F_CERT_INFO,
	F_PLAINTEXT_AUTH,
	F_TLS_KEX_INFO,
	F_TLS_KEX_BITS,
	F_CERT_KEY_BITS,
	F_CERT_SIG_INFO,
	F_CERT_SIG_WEAK,
	F_CERT_SELF_SIGNED,
	F_CERT_CHAIN_LENGTH,
	F_CERT_CHAIN_NOT_AFTER,
	F_CERT_PRESENTED_CHAIN_EARLIEST_NOT_AFTER,
	F_CERT_OCSP_STAPLED,
	F_CERT_OCSP_STATUS_INFO,
	F_TLS_VERSION_ACCEPTED,
	F_TLS_WEAK_CIPHER,
	F_TLS_DHE_BITS,
	F_TLS_SERVER_ORDER,
	F_TLS_SECURE_RENEG,
	F_STARTTLS_INJECTION,
	F_AUDIT_TIMESTAMP,
	F_AUDIT_DURATION,
	F_AUDIT_HANDSHAKES,
	F_TLS_RATING,
	F_TLS_RATING_WORST,
	F_TLS_GROUP_ACCEPTED,
	F_TLS_CIPHER_CLASS_ACCEPTED,
	F_DNS_LOOKUP_SUCCESS,
	F_DNS_LOOKUP_DURATION,
	F_DNS_ERROR_INFO,
	F_SPF_PRESENT,
	F_SPF_VALID,
	F_SPF_ERROR_INFO,
	F_SPF_DNS_LOOKUPS,
	F_SPF_VOID_LOOKUPS,
	F_SPF_ALL_INFO,
	F_SPF_PTR_USED,
	F_SPF_BYTES,
	F_SPF_CHECK_HOST_INFO,
	F_SPF_TEMPERROR,
	F_DKIM_PRESENT,
	F_DKIM_VALID,
	F_DKIM_KEY_SIZE,
	F_DKIM_REVOKED,
	F_DKIM_TESTING,
	F_DKIM_SHA1_ONLY,
	F_DKIM_ERROR_INFO,
	F_DMARC_PRESENT,
	F_DMARC_VALID,
	F_DMARC_POLICY,
	F_DMARC_SUBDOMAIN_POLICY,
	F_DMARC_PCT,
	F_DMARC_RUA_COUNT,
	F_DMARC_EXTERNAL_RUA_AUTH,
	F_DMARC_FROM_ORG,
	F_DMARC_ERROR_INFO,
	F_DMARC_NEAR_MISS,
	F_RECORDS_TIMESTAMP,
	F_MX_RECORDS,
	F_MX_INFO,
	F_MX_NULL,
	F_MX_IMPLICIT,
	F_STS_RECORD_PRESENT,
	F_STS_RECORD_VALID,
	F_STS_FETCH_SUCCESS,
	F_STS_FETCH_DURATION,
	F_STS_POLICY_VALID,
	F_STS_MODE_INFO,
	F_STS_MAX_AGE,
	F_STS_ID_INFO,
	F_STS_MX_PATTERNS,
	F_STS_MX_COVERED,
	F_STS_MX_COMPLIANT,
	F_STS_CERT_NOT_AFTER,
	F_STS_ERROR_INFO,
	F_TLSRPT_PRESENT,
	F_TLSRPT_VALID,
	F_TLSRPT_RUA,
	F_TLSRPT_ERROR_INFO,
	F_DANE_APPLICABLE,
	F_DANE_ERROR_INFO,
	F_DANE_VALID,
	F_DANE_TLSA_RECORDS,
	F_DANE_ROLLOVER_READY,
	F_DNSSEC_STATUS_INFO,
	F_DNSSEC_SECURE,
	F_MX_PTR_MATCH,
	F_MX_PTR_INFO,
	F_MX_ERROR_INFO,
	F_MX_IPV6_ADDRESSES,
	F_CAA_PRESENT,
	F_CAA_VALID,
	F_CAA_INFO,
	F_CAA_ISSUER_ALLOWED,
	F_SMTP_BANNER_NAME_MATCH,
	F_CHECK_SUCCESS,
	F_CHECK_DURATION,
	F_CHECK_TIMESTAMP,
	F_PROBE_TIMEOUT,
	F_BUILD_INFO,
	F_PROBES_TOTAL,
	F_PROBE_FAILURES_TOTAL,
	F_PROBES_SHARED_TOTAL,
	F_PROBES_IN_FLIGHT,
	F_PROBES_QUEUED,
	F_MTA_STS_FETCHES_IN_FLIGHT,
	F_MTA_STS_FETCHES_WAITING,
	F_RESULT_BYTES,
	F_TARGETS,
	F_CONFIG_RELOAD_OK,
	F_CONFIG_RELOAD_TS,
	F_DNS_QUERIES_TOTAL,
	F_DNS_JOINED_TOTAL,
	F_DNS_CACHE_HITS_TOTAL,
	F_DNS_CACHE_ENTRIES,
	F_DNS_CACHE_BYTES,
	F_DNS_CACHE_EVICTIONS_TOTAL,
	F_DNS_BUDGET_REFUSED_TOTAL,
	F_DNSSEC_QUERIES_TOTAL,
	F_RECORD_HASH,
	F_RECORD_CHANGED,
	F_POLICY_WEAKENED,
	F_PROC_CPU,
	F_PROC_RSS,
	F_PROC_VMEM,
	F_PROC_FDS,
	F_PROC_MAX_FDS,
	F_PROC_START,
	F_CONFIG_FINDING,
	F_CONFIG_FINDINGS,
	F_CONFIG_READ_SUCCESS,
	F_CONFIG_CERT_NOT_AFTER,
	F_CONFIG_DRIFT,
	F_CONFIG_LAST_RUN,
	F__COUNT
};

struct family_def {
	const char *name;
	const char *type;	/* "gauge" or "counter" */
	const char *help;
};

const struct family_def *family_get(enum family f);

/* An expo in compact form (the /metrics cache) stores each line without
 * its family name, and the label set passed as `base` once per expo,
 * referred to by a one-byte tag: a line is [tag][length][rest], the
 * length in 7-bit groups (low first, high bit: more follow), and expands
 * to name + ("{" + bases[tag - 1] when tag is not 0) + rest, rest being
 * the line's end with its newline.  Tag EXPO_TAG_INLINE: rest is the
 * whole line after the name (more label sets than tags).  Thousands of
 * endpoints repeat their label set on every line; this keeps about a
 * sixth of the text. */
#define EXPO_TAG_NONE	0
#define EXPO_TAG_INLINE	255
#define EXPO_BASES_MAX	254

/* Whether e keeps samples of family f (expo.only_lo, only_hi). */
#define EXPO_KEEPS(e, f)	((int)(f) >= (e)->only_lo && (int)(f) < (e)->only_hi)

struct expo {
	struct buf	 fam[F__COUNT];
	int		 compact;
	int		 only_lo, only_hi;	/* families kept: [lo, hi);
					 * samples of others are dropped
					 * (expo_init: all) */
	/* When set, called with a family's text once it holds spill_at
	 * bytes after a sample (it may write the text out and empty it). */
	void		(*spill)(void *arg, enum family f, struct buf *text);
	void		*spill_arg;
	size_t		 spill_at;
	struct buf	 bases;		/* compact: the label sets, end to end */
	uint32_t	 base_off[EXPO_BASES_MAX + 1];
	unsigned	 n_bases;
};

void expo_init(struct expo *e);
void expo_init_compact(struct expo *e);
/* Empties every family (and the bases), keeping the memory. */
void expo_reset(struct expo *e);
void expo_free(struct expo *e);

/* The label sets of a compact text, as stored. */
struct expo_bases {
	const char	*data;
	const uint32_t	*off;		/* n + 1 offsets into data */
	unsigned	 n;
};

/* Length of compact text once expanded (name is the family's name). */
size_t expo_expanded_len(enum family f, const struct expo_bases *b,
    const char *text, size_t len);
/* Expands whole lines of compact text from text[*pos] on into out, as many
 * as fit in room; advances *pos and returns the bytes written (0 when the
 * next line alone is longer than room). */
size_t expo_expand(enum family f, const struct expo_bases *b,
    const char *text, size_t len, size_t *pos, char *out, size_t room);
/* Appends the expansion of the one line at text[*pos] to out. */
void expo_expand_line(enum family f, const struct expo_bases *b,
    const char *text, size_t len, size_t *pos, struct buf *out);

/* Appends name="value" (escaped per the format) to a label set being built,
 * with a comma when the set is not empty. */
void labels_add(struct buf *labels, const char *name, const char *value);

/* One sample.  base is a label set from labels_add (or NULL); then
 * name/value string pairs, ended by NULL. */
void expo_add(struct expo *e, enum family f, const struct buf *base,
    double value, ...) __attribute__((sentinel));

/* The same with the name/value pairs in an array: pairs[2k] the name,
 * pairs[2k + 1] the value, n_pairs pairs (at most EXPO_PAIRS_MAX). */
#define EXPO_PAIRS_MAX	16
void expo_add_pairs(struct expo *e, enum family f, const struct buf *base,
    double value, const char *const *pairs, size_t n_pairs);

/* Writes every family that has samples, in table order. */
void expo_render(const struct expo *e, struct buf *out);

#define EXPO_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
