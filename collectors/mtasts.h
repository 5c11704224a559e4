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

struct mtasts_result {
	int		 sts_checked;	/* mta_sts = on */
	int		 rpt_checked;	/* tls_rpt = on */
	/* MTA-STS */
	struct dns_lookup_info record_lookup;
	struct sts_record record;
	char		*record_raw;	/* printable copy, or NULL */
	int		 fetch_attempted;
	int		 fetch_success;	/* an HTTP 200 came */
	enum fetch_class fetch_class;
	long		 http_status;
	char		 content_type[128];
	double		 fetch_duration_s;
	double		 cert_not_after; /* policy host's leaf, 0 unknown */
	enum sts_reason	 policy_reason;	/* STS_OK when the policy is valid */
	char		 policy_message[256];
	struct sts_policy policy;	/* valid when policy_reason is OK */
	/* TLS-RPT */
	struct dns_lookup_info rpt_lookup;
	struct tlsrpt_record rpt;
	char		*rpt_raw;
};

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
