/* The result model: what one run of a check learnt, owned by nobody but
 * itself.  The scheduler builds a result while its run goes on, then
 * publishes it whole (daemon/publish.h); from then on it is read-only, and
 * every output (/metrics, the status page, JSON, /probe, the `check`
 * report) reads the published result alone: its target (the names the
 * outputs use) travels with it.  check_result_free() frees all of it. */
#ifndef MAILSEC_RESULT_H
#define MAILSEC_RESULT_H

#include <netinet/in.h>

#include "collectors/audit.h"
#include "collectors/danelookup.h"
#include "collectors/dns.h"
#include "collectors/mtasts.h"
#include "collectors/mxhyg.h"
#include "collectors/probe.h"
#include "collectors/records.h"
#include "collectors/zonestatus.h"
#include "daemon/config.h"

/* The target a result is of, as the outputs name it. */
struct result_target {
	char		*key;		/* the `target` label: "domain",
					 * "host:port", "[v6]:port" */
	char		*name;		/* the domain, or the endpoint's host;
					 * key itself when the same text */
	enum target_kind kind;
	uint16_t	 port;		/* endpoint targets */
	enum protocol	 protocol;	/* endpoint targets */
	int		 records;	/* records = on (SPF, DKIM, DMARC) */
};

struct endpoint_result {
	char		*host;		/* MX or endpoint host name */
	char		*address;	/* at most INET6_ADDRSTRLEN - 1 bytes;
					 * probe_str_empty if unresolved */
	uint16_t	 port;
	enum protocol	 protocol;
	double		 finished;	/* wall clock */
	const struct probe_outcome *out;	/* shared with every endpoint
					 * the same probe served
					 * (probe_outcome_share), or
					 * probe_outcome_none: not probed */
	struct tls_audit *audit;	/* NULL: none (endpoint_audit());
					 * shared with every endpoint the same
					 * audit served, carried over between
					 * audits */
	/* MX hygiene of an SMTP endpoint of a domain, once the run is done
	 * (check_result_mx_hygiene_endpoints); -1, "": not known. */
	signed char	 smtp_name_match[2];	/* banner, EHLO: the MX name
						 * or a PTR name of the address */
	char		*caa_ca;	/* the certificate's CA (caa_issuers):
					 * owned, or probe_str_empty */
	signed char	 caa_issuer_allowed;	/* by the host's CAA set */
	/* The NCSC-NL ratings of an audited endpoint, once the run is done
	 * (check_result_rate_endpoints, collectors/rating.h); -1: not rated. */
	signed char	 rating[RATE__COUNT];
	signed char	 rating_worst;
	signed char	 cipher_class_accepted[TLS_CLASS__COUNT];
};

/* One address an MX host resolved to, probed or not (ip_protocol). */
struct host_address {
	const char	*host;		/* one of the result's names
					 * (check_result_name) */
	char		*address;	/* text, exact */
};

struct check_result {
	struct result_target target;
	double		 started;	/* wall clock */
	double		 finished;
	double		 duration_s;
	double		 mx_duration_s;	/* domain targets */
	int		 success;
	/* domain targets */
	enum dns_result	 mx_result;
	int		 null_mx;
	int		 implicit_mx;
	int		 timed_out;	/* cut short by an ad-hoc deadline */
	/* the lists' lengths (at most a few hundred: MX hosts, their
	 * addresses and endpoints, names) */
	unsigned	 n_mx;
	unsigned	 n_eps;
	unsigned	 n_dane;
	unsigned	 n_mx_addrs;
	unsigned	 n_names;
	struct dns_mx	*mx;
	struct endpoint_result *eps;
	struct records_result *records;	/* domain targets, or NULL */
	struct mtasts_result *mtasts;	/* domain targets, or NULL */
	struct danelookup_result **dane; /* per MX host: TLSA on port 25 */
	struct zonestatus_result *zones; /* DNSSEC of the domain and its MX
					 * hosts, or NULL */
	struct mxhyg_result *mxhyg;	/* MX hygiene (mxhyg.h), or NULL */
	struct host_address *mx_addrs;	/* every A and AAAA of the MX hosts */
	/* Host names of the result that are neither its target's nor an MX
	 * host's (check_result_name): each name is held once, and the DANE,
	 * DNSSEC, MX hygiene and address lists point at it. */
	char		**names;
};

/* The `target` label and identity of a target: "domain", "host:port"
 * (daemon/sched.c). */
char *target_key(const struct target_cfg *t);
/* An empty result of target t, whose `target` label is key (both
 * copied). */
struct check_result *check_result_new(const struct target_cfg *t,
    const char *key);
/* Frees r and all it holds (NULL is fine). */
void check_result_free(struct check_result *r);
/* The result's own copy of host name name, for the lists that borrow
 * their names from the result: its target's name or an MX host's when the
 * same (exactly), else a copy kept in r->names (once). */
const char *check_result_name(struct check_result *r, const char *name);
/* Adds one endpoint (its outcome probe_outcome_none, not run); its
 * index. */
size_t check_result_add_endpoint(struct check_result *r, const char *host,
    const char *address, uint16_t port, enum protocol proto);
/* ep's outcome becomes o (a shared one, probe_outcome_share), which ep
 * now holds; what it held before it lets go. */
void endpoint_set_outcome(struct endpoint_result *ep,
    const struct probe_outcome *o);
/* ep's outcome becomes a failure at step for reason and cause, with the
 * detail fmt says (probe_fail): no probe's, the scheduler's (no address,
 * not allowed, a deadline before a slot or the TLSA answer). */
void endpoint_fail(struct endpoint_result *ep, enum probe_step step,
    enum probe_reason reason, enum probe_cause cause, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* ep's outcome, made its own to write in place (unit tests build results
 * so): a copy of what it held, which it lets go; the same one again once
 * it is its own. */
struct probe_outcome *endpoint_outcome_edit(struct endpoint_result *ep);
/* The audit of ep as readers see it: its own, or none (ran 0). */
const struct tls_audit *endpoint_audit(const struct endpoint_result *ep);
/* What a result holds, by part: the mailsec_exporter_result_bytes{part}
 * series, and the benchmark's bytes per endpoint and per domain. */
enum result_part {
	RESULT_PART_ENDPOINTS,	/* endpoint results: structs, host names
				 * and addresses, their share of the probe
				 * outcome (strings, chain crypto, DANE
				 * facts) and audit they hold */
	RESULT_PART_RESULT,	/* the result's struct, target names and
				 * the names it keeps (check_result_name) */
	RESULT_PART_MX,		/* the MX answer and the address lists */
	RESULT_PART_RECORDS,	/* SPF, DKIM, DMARC (records_result_bytes:
				 * every text and list) */
	RESULT_PART_MTA_STS,	/* MTA-STS and TLS-RPT */
	RESULT_PART_DANE,	/* the DANE lookups of the MX hosts */
	RESULT_PART_DNSSEC,	/* the zones' DNSSEC status */
	RESULT_PART_MX_HYGIENE,
	RESULT_PART__COUNT
};
/* "endpoints", "result", "mx", ...: the part label. */
const char *result_part_name(enum result_part part);
/* Adds the bytes r holds, as malloc was asked for them, to bytes[] by
 * part.  A block shared by several holders (an outcome, an audit: one
 * probe serving many endpoints, share = on; a shared SPF record or DKIM
 * key) counts its size divided by its holders at each, so the sum over
 * the holders is its size (the share table's entry, which holds one too,
 * has its part outside the results). */
void check_result_bytes(const struct check_result *r,
    size_t bytes[RESULT_PART__COUNT]);
/* Whether the run succeeded: the MX (for a domain) and every endpoint. */
int check_result_success(const struct check_result *r);
/* The MX hygiene facts of each SMTP endpoint of a domain, from its probe
 * and the domain's mxhyg result: the banner and EHLO names against the MX
 * and PTR names, and the certificate's CA (told by cfg's caa_issuers)
 * against the host's CAA set. */
void check_result_mx_hygiene_endpoints(struct check_result *r,
    const struct config *cfg);
/* A run without a TLS audit keeps prev's audit of the same endpoint. */
/* Rates every audited endpoint of r (rating_endpoint) into its fields. */
void check_result_rate_endpoints(struct check_result *r);
void check_result_carry_audit(struct check_result *r,
    const struct check_result *prev);

/* What MTA-STS makes of one MX host of r (mtasts.h): whether every SMTP
 * probe of the host on port 25 that got as far as STARTTLS verified its
 * certificate for the MX name (1), one did not or STARTTLS was missing
 * (0), or none got that far (-1). */
int check_result_mx_certs_verified(const struct check_result *r,
    const char *mx_host);
/* The DANE lookups of host in r (port 25), or NULL. */
const struct danelookup_result *check_result_dane(const struct check_result *r,
    const char *host);

#endif
