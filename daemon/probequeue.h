/* The probe queue: jobs wait for a probe slot (`concurrency`, bounded by
 * the open-files limit too) and run one probe session at a time each. */
#ifndef MAILSEC_PROBEQUEUE_H
#define MAILSEC_PROBEQUEUE_H

struct ctx;
struct probe_job;

/* In line at the tail (a new job, a job whose TLSA set came) or at the
 * head (a follower taking over a cancelled leader's probe); the caller
 * pumps. */
void probeq_add(struct ctx *ctx, struct probe_job *job);
void probeq_add_first(struct ctx *ctx, struct probe_job *job);
/* Out of the queue, or its session cancelled (a job held for its TLSA
 * set is in neither); the caller frees it. */
void probeq_drop(struct ctx *ctx, struct probe_job *job);
/* Frees a job no queue, run or share holds any more. */
void probe_job_free(struct probe_job *job);
/* Starts queued jobs while slots are free, then lets held DNS lookups go
 * (daemon/dnsqueue.c). */
void probeq_pump(struct ctx *ctx);

#endif
