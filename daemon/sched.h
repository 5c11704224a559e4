/* The scheduler: one `check` per configured target, run at its interval
 * with jitter, never two runs of one check at once.  A run resolves what it
 * must (MX, A, AAAA), then queues one probe per address and port under the
 * global concurrency cap.  The last complete result of every check is kept
 * until the next run replaces it whole, so readers never see half a run. */
#ifndef MAILSEC_SCHED_H
#define MAILSEC_SCHED_H

#include <netinet/in.h>

#include "collectors/audit.h"
#include "collectors/dns.h"
#include "collectors/probe.h"
#include "collectors/records.h"
#include "collectors/mtasts.h"
#include "collectors/danelookup.h"
#include "collectors/zonestatus.h"
#include "daemon/ctx.h"

struct endpoint_result {
	char		*host;		/* MX or endpoint host name */
	char		 address[INET6_ADDRSTRLEN];	/* "" if unresolved */
	uint16_t	 port;
	enum protocol	 protocol;
	double		 finished;	/* wall clock */
	struct probe_outcome out;
	struct tls_audit audit;		/* carried over between audits */
};

struct check_result {
	double		 started;	/* wall clock */
	double		 finished;
	double		 duration_s;
	int		 success;
	/* domain targets */
	enum dns_result	 mx_result;
	double		 mx_duration_s;
	struct dns_mx	*mx;
	size_t		 n_mx;
	int		 null_mx;
	int		 implicit_mx;
	struct endpoint_result *eps;
	size_t		 n_eps;
	int		 timed_out;	/* cut short by an ad-hoc deadline */
	struct records_result *records;	/* domain targets, or NULL */
	struct mtasts_result *mtasts;	/* domain targets, or NULL */
	struct danelookup_result **dane; /* per MX host: TLSA on port 25 */
	size_t		 n_dane;
	struct zonestatus_result *zones; /* DNSSEC of the domain and its MX
					 * hosts, or NULL */
};

/* What MTA-STS makes of one MX host of r (mtasts.h): whether every SMTP
 * probe of the host on port 25 that got as far as STARTTLS verified its
 * certificate for the MX name (1), one did not or STARTTLS was missing
 * (0), or none got that far (-1). */
int check_result_mx_certs_verified(const struct check_result *r,
    const char *mx_host);
/* The DANE lookups of host in r (port 25), or NULL. */
const struct danelookup_result *check_result_dane(const struct check_result *r,
    const char *host);

struct check;
/* An ad-hoc check (the /probe endpoint) is done: c->last holds its result.
 * The callee frees it with sched_adhoc_free(), now or later. */
typedef void (*sched_adhoc_cb)(struct check *c, void *arg);

struct check {
	struct ctx	*ctx;
	const struct target_cfg *cfg;	/* in ctx->cfg, or own_cfg */
	struct target_cfg *own_cfg;	/* an ad-hoc check's copy, or NULL */
	char		*key;		/* "domain" or "host:port": the identity across
					 * reloads and the `target` label */
	struct event	*timer;
	struct check_run *run;		/* the run in flight, or NULL */
	struct check_result *last;	/* the last complete run, or NULL */
	int		 ran_once;
	double		 last_audit;	/* wall clock of the last audit run */
	sched_adhoc_cb	 adhoc_cb;	/* set for an ad-hoc check */
	void		*adhoc_arg;
	TAILQ_ENTRY(check) adhoc_link;	/* ctx->adhoc */
	int		 waiting;	/* in ctx->runs_waiting */
	TAILQ_ENTRY(check) wait_link;
};

/* Makes the checks of ctx->cfg, keeping the checks (and their results) of
 * targets that were already there, and cancelling the removed ones. */
void sched_apply_config(struct ctx *ctx);
/* Starts every check now (--once) instead of spreading first runs. */
void sched_run_all_now(struct ctx *ctx);
/* Cancels everything in flight and frees every check. */
void sched_shutdown(struct ctx *ctx);

/* Runs one check now, outside the schedule, and calls cb once with its
 * result: when it is complete, or after deadline_ms with what is known by
 * then (endpoints still running are failed with reason "timeout"). */
struct check *sched_adhoc_start(struct ctx *ctx, const struct target_cfg *t,
    uint64_t deadline_ms, sched_adhoc_cb cb, void *arg);
/* Frees an ad-hoc check; if it still runs, its callback will not come. */
void sched_adhoc_free(struct check *c);
/* The `target` label and identity of a target: "domain", "host:port". */
char *target_key(const struct target_cfg *t);

uint64_t check_interval_ms(const struct check *c);
uint64_t check_timeout_ms(const struct check *c);
int check_audit_enabled(const struct check *c);

#endif
