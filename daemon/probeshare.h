/* Probe sharing, the scheduler's side (share = on): which probe job leads
 * a server's probe, which follow it, which a recent probe serves.  The
 * table of servers itself is daemon/share.h. */
#ifndef MAILSEC_PROBESHARE_H
#define MAILSEC_PROBESHARE_H

#include <stdint.h>

#include "collectors/protocol.h"

struct check_run;
struct ctx;
struct endpoint_result;
struct probe_job;

enum share_way {
	SHARE_NONE,	/* probes on its own */
	SHARE_LEADS,	/* probes, and others may follow */
	SHARE_FOLLOWS,	/* waits for the probe in flight */
	SHARE_SERVED,	/* a probe done in its interval served it */
};

/* How job (of run, not queued yet) takes part in the probe of its server:
 * SERVED has filled its endpoint already (the caller frees the job). */
enum share_way probeshare_join(struct check_run *run, struct probe_job *job,
    const char *addr, uint16_t port, enum protocol proto, const char *host);
/* Whether the leader job should audit: its run or a follower's wants an
 * audit the entry does not hold fresh (without sharing: its run's). */
int probeshare_audit_wanted(const struct probe_job *job);
/* The leader is done (lep its endpoint): every follower is served and
 * freed, and their runs may finish. */
void probeshare_done(struct ctx *ctx, struct probe_job *leader,
    const struct endpoint_result *lep);
/* A job of a cancelled run leaves its entry: a leader hands the probe to
 * its first follower (queued at the head). */
void probeshare_leave(struct ctx *ctx, struct probe_job *job);

#endif
