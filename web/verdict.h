/* The verdict policy: every target gets a verdict per check, pass / warn
 * / fail (n/a where it does not apply), and the worst is its own.  The
 * status page, the JSON API and the `check` report all read it here. */
#ifndef MAILSEC_VERDICT_H
#define MAILSEC_VERDICT_H

#include "daemon/ctx.h"
#include "daemon/publish.h"
#include "daemon/result.h"
#include "base/util.h"

/* In order of severity: the worst of a target's is its verdict. */
enum verdict {
	V_NA,		/* does not apply, or nothing learnt */
	V_PASS,
	V_PENDING,	/* not run yet */
	V_WARN,
	V_FAIL,
};

const char *verdict_name(enum verdict v);

/* What is wrong, as a class: the advice (what to change) comes from it.
 * FIND_NONE for a pass, and for an n/a that needs nothing done. */
enum finding {
	FIND_NONE,
	FIND_MX_NXDOMAIN,		/* the domain does not exist */
	FIND_MX_LOOKUP,		/* no usable answer for MX */
	FIND_MX_NONE,		/* no MX, and no address for an implicit one */
	FIND_UNRESOLVED,		/* a mail host's name does not resolve */
	FIND_UNREACHABLE,		/* refused, no route, reset */
	FIND_TIMEOUT,
	FIND_PEER_BROKE,	/* the server broke or refused the dialogue */
	FIND_TLS_HANDSHAKE,
	FIND_STARTTLS_MISSING,
	FIND_TLS_OLD_VERSION,
	FIND_TLS_WEAK_CIPHERS,
	FIND_TLS_RATING_INSUFFICIENT,	/* an NCSC-NL check rated insufficient */
	FIND_TLS_RATING_PHASE_OUT,	/* ... rated phase out */
	FIND_CERT_EXPIRED,
	FIND_CERT_CHAIN_EXPIRED,
	FIND_CERT_UNTRUSTED,
	FIND_CERT_NAME,
	FIND_CERT_EXPIRING,
	FIND_DNS_LOOKUP,		/* a record lookup failed (not "none") */
	FIND_SPF_MISSING,
	FIND_SPF_INVALID,
	FIND_SPF_PLUS_ALL,
	FIND_SPF_NO_ALL,
	FIND_SPF_NOT_PASSING,
	FIND_DKIM_NO_SELECTOR,
	FIND_DKIM_NO_KEY,
	FIND_DKIM_REVOKED,
	FIND_DKIM_INVALID,
	FIND_DKIM_WEAK,
	FIND_DKIM_TESTING,
	FIND_DMARC_MISSING,
	FIND_DMARC_INVALID,
	FIND_DMARC_P_NONE,
	FIND_DMARC_PCT,
	FIND_STS_NONE,			/* no MTA-STS: a tip, not a fault */
	FIND_STS_BROKEN,		/* published, but unusable */
	FIND_STS_MX,			/* an MX no mx pattern covers */
	FIND_STS_MX_CERT,		/* a covered MX whose certificate fails */
	FIND_STS_MODE_NONE,		/* mode none: the policy withdrawn */
	FIND_STS_CERT_EXPIRING,		/* the policy host's certificate */
	FIND_TLSRPT_MISSING,		/* MTA-STS without TLS-RPT */
	FIND_TLSRPT_INVALID,
	FIND_DANE_MISMATCH,		/* TLSA published, the handshake fails it */
	FIND_DANE_BOGUS,		/* the TLSA answer does not validate */
	FIND_DANE_UNUSABLE,		/* TLSA records, none usable for SMTP */
	FIND_DANE_ROLLOVER,		/* valid, but a key change breaks it */
	FIND_MX_RECORD_ERROR,		/* mailsec_mx_error_info (about: host) */
	FIND_MX_NO_FCRDNS,		/* an MX address without FCrDNS */
	FIND_CAA_INVALID,		/* an MX host's CAA set does not parse */
	FIND_SMTP_NAME,			/* banner/EHLO name: neither MX nor PTR */
	FIND__COUNT
};

/* "starttls_missing", "dmarc_missing" ... ("none" for FIND_NONE). */
const char *finding_name(enum finding f);

struct verdict_info {
	enum verdict	 v;
	char		 text[200];	/* plain words */
	enum finding	 why;
	const char	*about;		/* the host, selector or address the
					 * finding is about, or NULL; lives as
					 * long as the check's result */
};

/* Everything a row shows, computed from a target's last published
 * result. */
struct target_view {
	const struct published_target *t;
	enum verdict	 overall;
	struct verdict_info starttls, tls, cert, spf, dkim, dmarc, mta_sts,
			 mx_hygiene, dane;
	struct verdict_info rating;	/* the worst NCSC-NL class */
	char		 reason[640];	/* the first trouble, in plain words */
	double		 cert_expiry;	/* earliest certificate expiry, 0: none */
};

void target_view_make(const struct published_target *t, double now,
    struct target_view *v);
/* SPF, DKIM and DMARC of a domain's result (n/a for endpoints, and
 * while records are off or not fetched). */
void verdict_records(const struct check_result *r, struct verdict_info *spf,
    struct verdict_info *dkim, struct verdict_info *dmarc);
/* MTA-STS (with TLS-RPT) of a domain's result, held against its MX
 * hosts' probes (n/a for endpoints and while mta_sts is off). */
void verdict_mta_sts(const struct check_result *r, double now,
    struct verdict_info *vi);
/* MX hygiene of a domain's last result (doc/mx-hygiene.md): MX sanity,
 * FCrDNS of the MX addresses, CAA syntax, banner and EHLO names (n/a for
 * endpoints and when it did not run). */
void verdict_mx_hygiene(const struct check_result *r, struct verdict_info *vi);
/* A failed probe in plain words ("connection refused", "STARTTLS is not
 * offered (EHLO)"). */
void failure_words(const struct endpoint_result *ep, char *out, size_t len);
/* "mx1.example.org (192.0.2.1) port 25", or "192.0.2.1 port 25". */
void endpoint_words(const struct endpoint_result *ep, char *out, size_t len);

/* DANE (RFC 7672) of endpoint i of r: valid (pass), mismatch, bogus
 * (fail), unusable or not rollover-ready (warn), insecure or none (n/a:
 * DANE does not apply).  n/a "not checked" off SMTP or without DNSSEC. */
void verdict_dane_endpoint(const struct check_result *r, size_t i,
    struct verdict_info *vi);

/* The MX of a domain's last result: found (or null MX, or implicit MX),
 * or why not. */
void verdict_mx(const struct check_result *r, struct verdict_info *vi);
/* Whether endpoint i of r was reached and its dialogue finished; a missing
 * STARTTLS is the STARTTLS verdict's, not this one's. */
void verdict_connection(const struct check_result *r, size_t i,
    struct verdict_info *vi);
/* The STARTTLS, TLS and certificate verdicts of endpoint i of r alone:
 * the same policy as a target's, over one endpoint. */
void verdict_endpoint(const struct check_result *r, size_t i, double now,
    struct verdict_info *starttls, struct verdict_info *tls,
    struct verdict_info *cert);
/* The worst NCSC-NL class (collectors/rating.h) over n endpoints that were
 * audited: insufficient fails, phase out warns, sufficient and good pass;
 * n/a when none was audited.  The text names the checks of that class. */
void verdict_rating(const struct endpoint_result *eps, size_t n,
    struct verdict_info *vi);
/* What to change, one line, for the finding of vi: domain is the mail
 * domain (NULL for an endpoint target), host and port the endpoint the
 * verdict is about (NULL, 0 for the domain's records or a verdict over
 * several endpoints: vi->about names the host then).  "" when there is
 * nothing to advise. */
void verdict_advice(const struct verdict_info *vi, const char *domain,
    const char *host, unsigned port, char *out, size_t len);

#endif
