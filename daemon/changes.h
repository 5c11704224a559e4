/* Change detection: a stable hash of each thing a domain publishes (MX
 * set, SPF, DMARC, each DKIM key, each MX host's TLSA set, the MTA-STS id
 * and policy, each endpoint's certificate), when it last changed, and
 * whether a change weakened a policy.  The tracker consumes finished check
 * results (the scheduler hands each one on) and never reaches back into
 * the collectors; what it knows survives restarts in state_file. */
#ifndef MAILSEC_CHANGES_H
#define MAILSEC_CHANGES_H

#include "daemon/statefile.h"

struct check_result;

/* What a weakening is; the `what` label. */
enum weakening {
	WEAKENED_DMARC_POLICY,	/* p (or sp) lowered, or the record gone */
	WEAKENED_DMARC_PCT,		/* pct lowered */
	WEAKENED_SPF_ALL,		/* -all to ~all, ?all, +all, or none */
	WEAKENED_STS_MODE,		/* enforce to testing or none, or gone */
	WEAKENED_TLSA_REMOVED,	/* an MX host's TLSA set is now empty */
	WEAKENED_CERT_KEY,		/* a new certificate with a smaller key */
	WEAKENED_CERT_ISSUER,	/* a new certificate from another issuer */
	WEAKENED__COUNT
};
const char *weakening_name(enum weakening w);

struct changes {
	struct change_table table;
	char		*state_file;	/* NULL: in memory only */
	double		 hold_s;	/* weakened_hold */
	int		 dirty;		/* not yet written */
	unsigned	 writes;	/* state file writes (for tests, logs) */
	int		 full_logged;	/* state_full said since the bound */
	double		 expire_at;	/* no weakening held ends before this
					 * (wall clock; 0: not known): expiry
					 * skips its scan of the table until
					 * then */
};

/* Reads the state file, if any: a missing one is normal, a corrupt one a
 * warning (logged), and the tracker then starts empty.  Never fails.  The
 * table holds statefile_entries_max(n_targets) entries at most; one that
 * does not fit is not tracked (logged once: state_full). */
void changes_init(struct changes *ch, const char *state_file, double hold_s,
    size_t n_targets);
void changes_free(struct changes *ch);
/* A new config: the file, hold and targets may have changed (the table
 * stays; a smaller bound takes no new entries until under it). */
void changes_configure(struct changes *ch, const char *state_file,
    double hold_s, size_t n_targets);

/* Consumes a finished result of the target `domain` ("" for an
 * [endpoint]) seen at wall clock now; writes the state file when
 * something changed. */
void changes_observe(struct changes *ch, const char *domain,
    const struct check_result *r, double now);

struct ctx;
/* Subscribes ctx->changes to the published results (daemon/publish.h). */
void changes_subscribe(struct ctx *ctx);

/* The first 48 bits of SHA-256(data): exact in a float64. */
uint64_t changes_hash(const void *data, size_t len);

/* For the output: each entry seen since the start or read from the state
 * file, and its weakenings still held at now. */
typedef void (*changes_entry_fn)(const struct change_entry *e, void *arg);
typedef void (*changes_weak_fn)(const struct change_entry *e,
    const struct change_weak *w, void *arg);
void changes_foreach(const struct changes *ch, double now,
    changes_entry_fn entry, changes_weak_fn weak, void *arg);

#endif
