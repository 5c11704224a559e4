/* A domain's MTA-STS (RFC 8461) and TLS-RPT (RFC 8460): the _mta-sts and
 * _smtp._tls TXT records over the shared (paced) c-ares channel, then the
 * policy fetched over HTTPS from mta-sts.<domain> at the address our own
 * resolver found, and parsed.  One job per domain and run; it reports
 * once.  Holding the policy against the MX hosts' probes is the reader's
 * (mtasts_mx_verdict), since the probes finish on their own. */
#ifndef MAILSEC_MTASTS_H
#define MAILSEC_MTASTS_H

#include "collectors/https_fetch.h"
#include "collectors/records.h"
#include "collectors/sts.h"
#include "base/addr.h"

/* A lookup's outcome (struct dns_lookup_info's), in 8 bytes: the duration
 * in whole milliseconds, as it was measured (mtasts_lookup_info). */
struct mtasts_lookup {
	uint32_t	 duration_ms;
	unsigned char	 done;
	unsigned char	 result;	/* enum dns_result */
};

/* The policy fetch: held only when one was attempted. */
struct mtasts_fetch {
	/* The parsed policy (mode unset when none was parsed); its reason
	 * and message are the policy's verdict, a failed fetch's too, the
	 * message cut at MTASTS_POLICY_MESSAGE_MAX. */
	struct sts_policy policy;
	double		 cert_not_after; /* policy host's leaf, 0 unknown */
	uint32_t	 duration_ms;	/* fetch_result.duration_s, whole ms */
	int16_t		 http_status;	/* curl's, three digits (clamped) */
	unsigned char	 fetch_class;	/* enum fetch_class */
};
#define MTASTS_POLICY_MESSAGE_MAX	255

struct mtasts_result {
	char		*record_raw;	/* printable copy, or NULL */
	char		*rpt_raw;
	struct mtasts_fetch *fetch;	/* NULL unless fetch_attempted */
	/* MTA-STS */
	struct sts_record record;
	struct mtasts_lookup record_lookup;
	/* TLS-RPT */
	struct mtasts_lookup rpt_lookup;
	struct tlsrpt_record rpt;
	signed char	 sts_checked;	/* mta_sts = on */
	signed char	 rpt_checked;	/* tls_rpt = on */
	signed char	 fetch_attempted;
	signed char	 fetch_success;	/* an HTTP 200 came */
};

/* Everything r holds, itself included (check_result_bytes). */
size_t mtasts_result_bytes(const struct mtasts_result *r);
/* l as a struct dns_lookup_info (the same duration, in seconds). */
void mtasts_lookup_info(const struct mtasts_lookup *l,
    struct dns_lookup_info *out);
/* The policy: the fetched one, or an empty one (mode unset, no mx). */
const struct sts_policy *mtasts_policy(const struct mtasts_result *r);
/* Why the policy is not usable: STS_OK when valid or not fetched. */
enum sts_reason mtasts_policy_reason(const struct mtasts_result *r);
/* Its message for people, "" when none. */
const char *mtasts_policy_message(const struct mtasts_result *r);

struct mtasts_params {
	struct event_base *base;
	const char	*domain;
	records_send_fn	 send;		/* the paced sender (records.h) */
	void		*send_arg;
	struct fetch_engine *fetch;
	const char	*ca_file;	/* NULL: the system's store */
	unsigned	 timeout_ms;	/* for the policy fetch */
	int		 sts;		/* check MTA-STS */
	int		 rpt;		/* check TLS-RPT */
	/* /probe checks: the policy host may be fetched from special
	 * addresses (loopback, private, ...) only inside these CIDRs
	 * (addr_special_refused); scheduled checks leave reach_checked 0. */
	int		 reach_checked;
	/* /probe checks: the policy fetch waits for a slot ahead of the
	 * scheduled checks' (fetch_params.urgent). */
	int		 urgent;
	const struct cidr *allow_cidrs;
	size_t		 n_allow_cidrs;
};

struct mtasts_job;
/* Called once, never from inside mtasts_start(); the result is the
 * callee's (mtasts_result_free). */
typedef void (*mtasts_done_cb)(struct mtasts_result *res, void *arg);

struct mtasts_job *mtasts_start(const struct mtasts_params *p,
    mtasts_done_cb cb, void *arg);
/* The callback will not come; the job frees itself once its DNS answers
 * are in. */
void mtasts_cancel(struct mtasts_job *job);
void mtasts_result_free(struct mtasts_result *res);

/* Whether a Content-Type value is text/plain (any parameters). */
int mtasts_content_type_ok(const char *ct);

/* The policy's verdict on one MX host, given whether every probe of that
 * host verified its certificate for the MX name (-1: not probed). */
enum mtasts_mx {
	MTASTS_MX_NO_POLICY,	/* no valid policy, or mode none */
	MTASTS_MX_COMPLIANT,	/* covered, and its certificates verify */
	MTASTS_MX_NOT_COVERED,	/* matches no mx pattern */
	MTASTS_MX_CERT_FAILS,	/* covered, but a certificate fails */
	MTASTS_MX_UNKNOWN,	/* covered, not probed (yet) */
};
enum mtasts_mx mtasts_mx_verdict(const struct mtasts_result *r,
    const char *mx_host, int certs_verified);

#endif
