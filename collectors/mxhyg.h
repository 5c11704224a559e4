/* MX hygiene of one domain (issue 16): forward-confirmed reverse DNS of
 * every MX address, CAA of every MX host with the RFC 8659 climb to the
 * parent, and the MX set's sanity (an MX that is a CNAME, RFC 2181 10.3;
 * an IP literal; a host without addresses; a null MX beside other MX,
 * RFC 7505 3; more than 10 MX hosts).  Over the shared c-ares channel; one
 * job per domain and run, after the MX hosts' address lookups; it owns
 * its DNS contexts and reports once. */
#ifndef MAILSEC_MXHYG_H
#define MAILSEC_MXHYG_H

#include <netinet/in.h>

#include "base/intern.h"
#include "collectors/caa.h"
#include "collectors/dns.h"
#include "collectors/records.h"

#define MXHYG_MX_MAX		10	/* more MX hosts: an error (internet.nl) */
#define MXHYG_PTR_NAMES_MAX	4	/* PTR names followed per address */
#define MXHYG_HOSTS_MAX		16
#define MXHYG_ADDRS_MAX		64

/* The label values of mailsec_mx_error_info{reason}. */
enum mx_error {
	MX_ERR_CNAME,		/* the MX host is an alias (RFC 2181 10.3) */
	MX_ERR_IP_LITERAL,	/* the exchange is an address, not a name */
	MX_ERR_NO_ADDRESS,	/* neither A nor AAAA */
	MX_ERR_NULL_MX_MIXED,	/* "MX 0 ." beside other MX (RFC 7505 3) */
	MX_ERR_TOO_MANY,	/* more than MXHYG_MX_MAX hosts */
	MX_ERR__COUNT
};
const char *mx_error_name(enum mx_error e);

/* One finding: host is "" for those of the whole set. */
struct mx_finding {
	enum mx_error	 reason;
	const char	*host;		/* an MX host of the params */
};

/* FCrDNS of one MX address: 1 a PTR name resolves back to it, 0 not (no
 * PTR, or no name that does), -1 not known (a lookup failed). */
struct mxhyg_addr {
	const char	*host;		/* the params' */
	const char	*address;	/* the params' text */
	char		**ptr_names;	/* valid host names, at most _MAX,
					 * exactly n_ptr_names */
	int		 family;
	enum dns_result	 ptr_result;
	int		 match;
	unsigned char	 n_ptr_names;
	signed char	 matched;	/* the index of the PTR name that
					 * matched, or -1 */
};

struct mxhyg_host {
	const char	*host;		/* the params' */
	/* CAA: the relevant set (RFC 8659 3) is the first found climbing
	 * from the host towards the root. */
	const char	*caa_name;	/* where it was found: host or a
					 * parent of it, a suffix of host ("" none) */
	struct caa_set	*caa;		/* NULL unless present */
	unsigned	 n_v4, n_v6;	/* addresses probed */
	int		 caa_present;	/* 1, 0, -1 not known */
	signed char	 cname;		/* 1, 0, -1 not known */
	signed char	 caa_inherited;	/* found at a parent of the host */
};

struct mxhyg_result {
	struct intern_node node;	/* mxhyg_result_intern */
	char		*names;		/* interned: the host names and
					 * addresses, its own copies (one
					 * block), or NULL: borrowed */
	size_t		 names_len;
	struct mxhyg_host *hosts;
	struct mxhyg_addr *addrs;
	struct mx_finding *findings;
	unsigned	 n_hosts;	/* at most MXHYG_HOSTS_MAX */
	unsigned	 n_addrs;	/* at most MXHYG_ADDRS_MAX */
	unsigned	 n_findings;	/* one a host and reason at most */
};

/* One address the probes used for an MX host. */
struct mxhyg_address {
	const char	*host;
	const char	*address;	/* text, as inet_ntop() writes it */
};

/* The result borrows the host names of mx and addrs and the addresses'
 * text: they must outlive it. */
struct mxhyg_params {
	struct event_base *base;
	const char	*domain;
	records_send_fn	 send;
	void		*send_arg;
	const struct dns_mx *mx;	/* the MX answer, "" for a null MX */
	size_t		 n_mx;
	const struct mxhyg_address *addrs;
	size_t		 n_addrs;
	int		 caa;		/* look CAA up */
};

struct mxhyg_job;
/* Called once, never from inside mxhyg_start(); the result is the
 * callee's (mxhyg_result_free). */
typedef void (*mxhyg_done_cb)(struct mxhyg_result *res, void *arg);

struct mxhyg_job *mxhyg_start(const struct mxhyg_params *p, mxhyg_done_cb cb,
    void *arg);
/* The callback will not come; the job frees itself once its DNS answers
 * are in. */
void mxhyg_cancel(struct mxhyg_job *job);
/* Lets go of res: frees it with its last holder (NULL is fine). */
void mxhyg_result_free(struct mxhyg_result *res);
/* res (the caller's, as the job gave it) or the equal result pool holds
 * already, which the caller then holds once more (res freed): the domains
 * on the same MX hosts, answered alike, share one block.  The block owns
 * its names (it outlives the result whose names res borrowed).  Every
 * holder reads it only. */
struct mxhyg_result *mxhyg_result_intern(struct intern_pool *pool,
    struct mxhyg_result *res);
/* Bytes the result holds, as malloc was asked for them (its structs, CAA
 * sets and PTR names, and its names once interned; not the borrowed
 * ones), divided by its holders: the holders' shares add up to it. */
size_t mxhyg_result_bytes(const struct mxhyg_result *res);

/* Whether the host name an SMTP server gave (banner, EHLO) is the MX
 * host's own name or a PTR name of the address it answered on: 1 or 0 (0
 * for ""; res may be NULL). */
int mxhyg_smtp_name_matches(const struct mxhyg_result *res, const char *host,
    const char *address, const char *name);

/* The hygiene of MX host host in res, or NULL. */
const struct mxhyg_host *mxhyg_host_find(const struct mxhyg_result *res,
    const char *host);
/* Whether the MX host's CAA lets the CA of ca_domain issue its
 * certificate: 1, 0, or -1 not known (CAA lookups failed, or no host). */
int mxhyg_caa_allows(const struct mxhyg_result *res, const char *host,
    const char *ca_domain);

/* The reverse name of an address (a.b.c.d.in-addr.arpa, nibbles.ip6.arpa)
 * into out (>= 74 bytes); -1 when text is not an address. */
int mxhyg_reverse_name(const char *text, char *out, size_t outlen);
/* The CAA climb (RFC 8659 3): the parent of name ("a.b.c" -> "b.c"), or
 * NULL at a single label (a TLD is asked, the root is not). */
const char *mxhyg_caa_parent(const char *name);

#endif
