/* The mail authentication records of a domain: SPF (RFC 7208), DKIM keys
 * of the configured selectors (RFC 6376, 8301, 8463) and DMARC (RFC 7489),
 * fetched over the shared c-ares channel, parsed and evaluated.  One job
 * per domain and run; it owns its DNS contexts and reports once. */
#ifndef MAILSEC_RECORDS_H
#define MAILSEC_RECORDS_H

#include <netinet/in.h>

#include "collectors/dkim.h"
#include "collectors/dmarc.h"
#include "collectors/dns.h"
#include "collectors/spf.h"

struct dns_lookup_info {
	int		 done;
	enum dns_result	 result;
	double		 duration_s;
};

/* The text bounds the fixed buffers had: a longer text is cut there. */
#define RECORDS_TEXT_MAX	256

enum spf_check_source { SPF_CHECK_CONFIG, SPF_CHECK_MX };

/* check_host() for one address. */
struct spf_check {
	char		*address;	/* owned, as configured or found */
	const char	*reason;
	signed char	 code;		/* enum spf_result_code */
	signed char	 source;	/* enum spf_check_source */
};

struct dkim_selector_result {
	char		*selector;	/* owned */
	char		*raw;		/* the record as fetched, shared
					 * (ostr_share), or NULL */
	struct dns_lookup_info lookup;
	struct dkim_key	 key;
};

struct dmarc_destination {
	char		*domain;	/* owned */
	struct dns_lookup_info lookup;
	signed char	 external;
	signed char	 authorized;	/* -1 unknown (lookup failed) */
};

/* Each text is owned at its exact length (cut at RECORDS_TEXT_MAX - 1
 * bytes where a bound applies), "" the shared ostr_empty; each list
 * holds what the domain has.  records_result_bytes() counts it all. */
struct records_result {
	double		 finished;	/* wall clock */
	/* SPF */
	struct dns_lookup_info spf_lookup;
	const char	*spf_reason;	/* NULL when valid */
	char		*spf_message;
	/* Hosted domains often publish one SPF record and one DKIM key: the
	 * records as fetched are shared texts (ostr_share), one copy each. */
	char		*spf_raw;
	struct spf_check *spf_checks;
	unsigned	 spf_dns_lookups;
	unsigned	 spf_void_lookups;
	unsigned	 spf_bytes;
	/* The lookup that decides (the domain's, or the organisational
	 * domain's) failed: whether a record applies is not known.  DNS_OK
	 * when it did not fail. */
	enum dns_result	 dmarc_failure;
	signed char	 spf_present;
	signed char	 spf_valid;
	/* A lookup failed (the domain's TXT, or one on the walk): a
	 * temperror, so whether the record is valid is not known. */
	signed char	 spf_temperror;
	/* The all receivers end on, through redirect= (spf_result's
	 * all_qualifier): enum spf_qualifier, SPF_ALL_NONE, SPF_ALL_UNKNOWN. */
	signed char	 spf_all;
	signed char	 spf_redirect;
	signed char	 spf_ptr_used;
	/* DMARC */
	signed char	 dmarc_from_org;	/* the record is the org domain's */
	/* _dmarc.<domain> holds a record that nearly starts with v=DMARC1
	 * (case, a leading space) and none that does: receivers ignore it
	 * (RFC 7489 6.6.3), so the organisational domain's applies. */
	signed char	 dmarc_near_miss;
	/* the lists' lengths: at most MAX_SPF_CHECKS, the selectors
	 * configured, the rua destinations */
	uint16_t	 n_spf_checks;
	uint16_t	 n_dkim;
	uint16_t	 n_dmarc_dests;
	/* DKIM */
	struct dkim_selector_result *dkim;
	/* DMARC */
	struct dns_lookup_info dmarc_lookup;
	/* the record; its rua, ruf and unknown tag lists are dropped once
	 * the destinations are read (their counts stay) */
	struct dmarc_record dmarc;
	char		*dmarc_domain;	/* where it was found */
	char		*dmarc_raw;	/* the record selected, as fetched */
	char		*dmarc_near_miss_message;
	struct dmarc_destination *dmarc_dests;
};

/* Sends one lookup; *sent_ms is set when it actually goes out (a sender
 * may hold lookups back to pace them). */
typedef void (*records_send_fn)(void *send_arg, const char *name, int type,
    dns_answer_cb cb, void *cb_arg, uint64_t *sent_ms);

struct records_params {
	struct event_base *base;
	const char	*domain;
	records_send_fn	 send;		/* NULL: straight to c-ares */
	void		*send_arg;
	char *const	*selectors;
	size_t		 n_selectors;
	char *const	*expect_pass;	/* addresses that must pass SPF */
	size_t		 n_expect_pass;
	char *const	*mx_addresses;	/* the domain's own MX addresses */
	size_t		 n_mx_addresses;
};

struct records_job;
/* Called once, never from inside records_start(); the result is the
 * callee's (records_result_free). */
typedef void (*records_done_cb)(struct records_result *res, void *arg);

struct records_job *records_start(struct dns *dns,
    const struct records_params *p, records_done_cb cb, void *arg);
/* The callback will not come; the job frees itself once its DNS answers
 * are in. */
void records_cancel(struct records_job *job);
/* An empty result for domain: no lookup done, its texts "" (the DMARC
 * domain the domain, cut as any text), its lists empty. */
struct records_result *records_result_new(const char *domain);
void records_result_free(struct records_result *res);
/* Bytes res holds, as malloc was asked for them, a shared string counted
 * at this holder's share (NULL: 0). */
size_t records_result_bytes(const struct records_result *res);
/* "config" or "mx". */
const char *spf_check_source_name(int source);

const char *spf_qualifier_name(int qualifier);

/* 1 valid, 0 invalid (permerror, or no usable record), -1 not known (a
 * temperror): what mailsec_spf_valid, the JSON and the status page say. */
int records_spf_valid(const struct records_result *res);
/* The policy receivers apply to mail from the domain itself: p, or sp for
 * a subdomain using its organisational domain's record (RFC 7489 6.6.3);
 * DMARC_POLICY_UNSET when no record applies. */
enum dmarc_policy records_dmarc_policy(const struct records_result *res);

#endif
