/* MX expansion: the hosts a check probes, and their addresses.  For a
 * domain, its MX set (sorted by preference then name; RFC 7505 null MX;
 * RFC 5321 5.1: no MX makes the domain itself its mail host), then the A
 * and AAAA of each MX host (the first MXEXPAND_MX_MAX records, each host
 * once); beside it the named hosts of the target (a domain's IMAP and POP3
 * hosts, an endpoint's host).  An IP literal is not asked, nor a localhost
 * name (RFC 6761 6.3: the loopback addresses), nor a name longer than a
 * DNS name may be (ADDR_NAME_MAX).  Every question goes through the
 * caller's send function (the scheduler's pacing queue and the domain's
 * budget).
 *
 *	MX    --(the MX answer: mx_cb; then the MX hosts are asked)-->
 *	HOSTS --(every A and AAAA answer in: one host_cb per host)-->
 *	DONE  (done_cb with every address of the MX hosts; the job is freed)
 *
 * Without a domain the job starts in HOSTS.  host_cb comes for a host as
 * soon as both its answers are in (the caller starts its probes then),
 * maybe inside mxexpand_start() (a literal, an answer given inside send);
 * mx_cb may come inside too; done_cb never does. */
#ifndef MAILSEC_MXEXPAND_H
#define MAILSEC_MXEXPAND_H

#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "collectors/dns.h"
#include "collectors/records.h"

/* MX records whose hosts are resolved: a bound against hostile zones. */
#define MXEXPAND_MX_MAX		16

/* Why a host is resolved: it decides, for the caller, what is probed. */
enum mxexpand_role {
	MXEXPAND_ENDPOINT,
	MXEXPAND_MX,
	MXEXPAND_IMAP,
	MXEXPAND_POP3,
	MXEXPAND__COUNT
};
const char *mxexpand_role_name(enum mxexpand_role r);

struct mxexpand_name {
	const char	*name;
	enum mxexpand_role role;
};

/* The MX answer, as mx_cb sees it (the job keeps it; copy what you keep). */
struct mxexpand_mx {
	enum dns_result	 result;	/* DNS_NODATA: no MX, implicit_mx */
	const struct dns_mx *mx;	/* sorted; NULL unless DNS_OK */
	size_t		 n_mx;
	int		 null_mx;	/* a single MX of "." (RFC 7505) */
	int		 implicit_mx;	/* the domain is resolved as its MX */
	double		 duration_s;	/* from sent to answered */
};

struct mxexpand_addr {
	struct sockaddr_storage ss;	/* port 0 */
	socklen_t	 len;
};

/* One host, resolved or not. */
struct mxexpand_host {
	const char	*name;
	enum mxexpand_role role;
	const struct mxexpand_addr *addrs;	/* to probe: of the families
						 * asked for, or a literal */
	size_t		 n_addrs;
	size_t		 n_found;	/* addresses it has, probed or not; 0:
					 * not resolved, v4 and v6 say why */
	enum dns_result	 v4, v6;
};

/* Every address the MX hosts have in DNS (probed or not), in answer order
 * (not those of a literal or localhost MX host). */
struct mxexpand_address {
	char		*host;
	char		 address[INET6_ADDRSTRLEN];
};

struct mxexpand_result {
	struct mxexpand_address *mx_addrs;
	size_t		 n_mx_addrs;
};

struct mxexpand_params {
	struct event_base *base;
	const char	*domain;	/* its MX are expanded; NULL: none */
	const struct mxexpand_name *hosts;	/* resolved beside the MX */
	size_t		 n_hosts;
	int		 v4, v6;	/* address families probed */
	records_send_fn	 send;
	void		*send_arg;
};

struct mxexpand_job;
struct mxexpand_cbs {
	void	(*mx)(void *arg, const struct mxexpand_mx *mx);
	void	(*host)(void *arg, const struct mxexpand_host *h);
	/* Once, never inside mxexpand_start(); the result is the callee's
	 * (mxexpand_result_free). */
	void	(*done)(struct mxexpand_result *res, void *arg);
};

struct mxexpand_job *mxexpand_start(const struct mxexpand_params *p,
    const struct mxexpand_cbs *cbs, void *arg);
/* No callback comes any more (it may be called from inside one); the job
 * asks nothing more and frees itself once its DNS answers are in. */
void mxexpand_cancel(struct mxexpand_job *job);
void mxexpand_result_free(struct mxexpand_result *res);

#endif
