/* The scheduler's own types, shared by its files: a check's run
 * (daemon/sched.c), the probe jobs it queues (daemon/probequeue.c) and
 * their sharing (daemon/probeshare.c), an MX host's DANE slot.  Not for
 * anybody outside the scheduler: they read published results. */
#ifndef MAILSEC_SCHED_INT_H
#define MAILSEC_SCHED_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "collectors/audit.h"
#include "daemon/sched.h"

struct probe_job;
TAILQ_HEAD(run_jobs, probe_job);

/* One run of a check.  It is detached (check == NULL) when its check goes
 * away mid-run, and freed when its last DNS answer or probe comes back. */
struct check_run {
	struct ctx	*ctx;
	struct check	*check;
	int		 admitted;	/* counted in ctx->runs_active */
	struct check_result *res;
	unsigned	 outstanding;	/* DNS queries and probes not done */
	uint64_t	 started_ms;
	int		 audit;		/* this run also audits TLS */
	int		 mx_pending;	/* the MX answer has not come yet */
	struct mxexpand_job *expand;	/* MX and address lookups in flight */
	struct records_job *records;	/* SPF, DKIM, DMARC job in flight */
	struct mtasts_job *mtasts;	/* MTA-STS, TLS-RPT job in flight */
	struct zonestatus_job *zones;	/* DNSSEC status job in flight */
	struct mxhyg_job *mxhyg;	/* MX hygiene job in flight */
	struct dane_slot *dane;		/* one per MX host */
	size_t		 n_dane;
	int		 records_started;
	struct run_jobs	 jobs;
	struct dns_budget *budget;	/* domain targets */
};

/* One MX host's DANE lookups: in flight while job is set.  The SMTP
 * probes of the host wait for it (they carry its TLSA set into their
 * handshake). */
struct dane_slot {
	struct check_run *run;
	size_t		 index;		/* in run->res->dane */
	const char	*host;		/* in run->res->mx, or the domain */
	struct danelookup_job *job;
};

/* A job's log_id is cut here, as when it was a fixed array. */
#define PROBE_LOG_ID_MAX	640

struct probe_job {
	struct check_run *run;
	size_t		 ep;		/* index in run->res->eps */
	struct session	*session;	/* while running */
	int		 queued;
	struct dane_slot *dane;		/* an MX host's SMTP probe, or NULL */
	int		 dane_wait;	/* held until dane->job answers */
	int		 auditing;	/* the main probe is done: audit steps */
	struct audit_cursor cursor;
	char		*log_id;	/* target= host= ... (quoted; at most
					 * PROBE_LOG_ID_MAX - 1 bytes, stored
					 * at its length) */
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	struct probe_share *share;	/* leads or follows it, or NULL */
	TAILQ_ENTRY(probe_job) slink;	/* share->followers */
	TAILQ_ENTRY(probe_job) qlink;	/* ctx->queue */
	TAILQ_ENTRY(probe_job) rlink;	/* run->jobs */
};

/* Ends the run if nothing of it is outstanding any more: publishes its
 * result and schedules the next one (or frees a detached run). */
void sched_run_maybe_finish(struct check_run *run);

#endif
