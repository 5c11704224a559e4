/* The DNS half of DANE for one MX host (RFC 7672 2.2): validated lookups
 * of the domain's MX, the host's A and AAAA, and the TLSA records at
 * _PORT._tcp.<host> for each port, so that the probe can hand the usable
 * records to the handshake.  TLSA applies only when the MX and the address
 * lookups were secure too; a secure TLSA under an insecure address lookup
 * is reported as such, and a SERVFAIL is never "no TLSA".  For a CNAMEd
 * host the records at the expanded name count first, then those at the
 * original name (as Postfix does).  One job per MX host and run; it
 * reports once. */
#ifndef MAILSEC_DANELOOKUP_H
#define MAILSEC_DANELOOKUP_H

#include <stdint.h>

#include "base/intern.h"
#include "collectors/dane.h"
#include "collectors/dnssec.h"

#define DANELOOKUP_PORTS_MAX	8	/* MAX_PORTS */


/* Sized to what it holds: the ports asked (n_ports, a flexible array),
 * the host borrowed from the params, the base told by a flag, why_bogus
 * owned only when bogus (dnssec_why_none else). */
struct dane_port {
	char		*why_bogus;	/* "" unless bogus */
	struct tlsa_set	 tlsa;
	enum dnssec_status tlsa_status;
	enum dane_reason reason;	/* why not applicable, or NONE */
	int		 tlsa_rcode;
	uint16_t	 port;
	unsigned char	 applicable;	/* secure MX, address and TLSA, with
					 * at least one usable record */
	unsigned char	 base_expanded;	/* the records are from the expanded
					 * name (danelookup_port_base) */
};

struct danelookup_result {
	struct intern_node node;	/* danelookup_result_intern */
	const char	*host;		/* the params' host: it must outlive
					 * the result; or host_own */
	char		*host_own;	/* interned: its own copy, or NULL */
	char		*expanded;	/* the host's CNAME target, or NULL */
	enum dnssec_status mx_status;
	enum dnssec_status addr_status;	/* the worse of A and AAAA */
	size_t		 n_ports;
	struct dane_port ports[];	/* n_ports */
};

/* A result of host (borrowed) with n_ports ports, each TIMEOUT, without
 * records (danelookup_result_free). */
struct danelookup_result *danelookup_result_new(const char *host,
    const uint16_t *ports, size_t n_ports);
/* Bytes the result holds, as malloc was asked for them (its structs, the
 * expansion, why_bogus texts and TLSA records, and its host once
 * interned; not the borrowed host), divided by its holders. */
size_t danelookup_result_bytes(const struct danelookup_result *r);
/* r (the caller's, as the job gave it) or the equal result pool holds
 * already, which the caller then holds once more (r freed): the domains on
 * the same MX host, whose MX validated alike, share one block, which owns
 * its host name.  Its TLSA records' match and depth are a probe's scratch
 * (dane_match_chain), not compared. */
struct danelookup_result *danelookup_result_intern(struct intern_pool *pool,
    struct danelookup_result *r);

struct danelookup_params {
	struct dnssec	*v;
	const char	*domain;	/* whose MX the host is */
	const char	*host;		/* must outlive the result */
	const uint16_t	*ports;
	size_t		 n_ports;
	struct dnssec_sender send;	/* zeroed: straight to v (dnssec.h) */
};

struct danelookup_job;
/* Called once, never from inside danelookup_start(); the result is the
 * callee's (danelookup_result_free). */
typedef void (*danelookup_done_cb)(struct danelookup_result *res, void *arg);

struct danelookup_job *danelookup_start(const struct danelookup_params *p,
    danelookup_done_cb cb, void *arg);
void danelookup_cancel(struct danelookup_job *job);
/* Lets go of res: frees it with its last holder (NULL is fine). */
void danelookup_result_free(struct danelookup_result *res);

/* The port's entry, or NULL. */
const struct dane_port *danelookup_port(const struct danelookup_result *r,
    uint16_t port);
/* The TLSA base domain a port's records are from: the CNAME-expanded host
 * name or the host name. */
const char *danelookup_port_base(const struct danelookup_result *r,
    const struct dane_port *p);
/* The records the probe of an endpoint on port takes into its handshake:
 * a secure set under a secure MX and address lookup, usable or not (the
 * probe tells each record's fate), or NULL. */
struct tlsa_set *danelookup_probe_set(struct danelookup_result *r,
    uint16_t port);

/* An endpoint's DANE verdict: why DANE does not apply (the lookup's
 * reason), else why the handshake did not authenticate by it (the
 * probe's), else NONE.  f is the probe's facts (f->checked 0 when TLS
 * never came up: NONE then, the probe's failure tells). */
enum dane_reason danelookup_verdict(const struct dane_port *p,
    const struct dane_facts *f);

/* The port's record set, or NULL when DANE does not apply there. */
const struct tlsa_set *danelookup_usable(const struct danelookup_result *r,
    uint16_t port);

#endif
