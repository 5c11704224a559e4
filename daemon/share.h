/* Shared probes: one handshake per server serves every check that probes
 * it.  A server is what it can tell apart: address, port, protocol, the
 * SNI name (also the name the certificate is checked against) and the
 * probe's timeout; the TLS settings are the process's one client context.
 * An entry is in flight (a leader job runs the probe, followers wait for
 * its outcome) or done (its outcome, and its audit if one ran, serve the
 * checks that come within their interval).  The scheduler owns the jobs;
 * this table only keeps the entries and finds them. */
#ifndef MAILSEC_SHARE_H
#define MAILSEC_SHARE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "collectors/audit.h"
#include "collectors/probe.h"

struct probe_job;
TAILQ_HEAD(share_followers, probe_job);

struct probe_share {
	char		*key;
	struct probe_job *leader;	/* runs the probe; NULL once done */
	struct share_followers followers;	/* wait for the leader */
	int		 done;		/* out holds a finished probe */
	uint64_t	 done_ms;	/* monotonic */
	uint64_t	 led_ms;		/* monotonic start of its leader's run */
	uint64_t	 keep_ms;	/* kept this long after done_ms */
	double		 finished;	/* wall clock */
	const struct probe_outcome *out;	/* held (probe_outcome_hold):
					 * the leader's endpoint's */
	int		 audited;	/* audit holds a finished audit */
	uint64_t	 audit_ms;	/* monotonic */
	struct tls_audit *audit;	/* held (tls_audit_hold), or NULL */
	struct probe_share *next;	/* hash chain */
};

struct share_table {
	struct probe_share **buckets;
	size_t		 n_buckets;
	size_t		 n;
	size_t		 n_after_sweep;
};

/* The key of a server: "address port protocol timeout sni" (the name in
 * lower case).  Free it. */
char *share_key(const char *address, uint16_t port, const char *protocol,
    unsigned timeout_ms, const char *servername);
struct probe_share *share_find(const struct share_table *t, const char *key);
/* A new entry (in flight, no leader yet) for key, which the table takes. */
struct probe_share *share_add(struct share_table *t, char *key,
    uint64_t now_ms);
void share_remove(struct share_table *t, struct probe_share *s);
/* Drops done entries without jobs whose keep time is over. */
void share_sweep(struct share_table *t, uint64_t now_ms);
void share_table_free(struct share_table *t);

#endif
