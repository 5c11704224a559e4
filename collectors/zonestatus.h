/* The DNSSEC status of a domain and of its MX hosts' zones: one validated
 * DNSKEY lookup per name (dnssec.h), whose security status says whether
 * the zone the name is in is signed and validates.  One job per run; it
 * reports once. */
#ifndef MAILSEC_ZONESTATUS_H
#define MAILSEC_ZONESTATUS_H

#include "collectors/dnssec.h"

struct zone_status {
	const char	*name;		/* the caller's (zonestatus_start) */
	char		*why_bogus;	/* "" unless bogus (dnssec_why_set) */
	double		 duration_s;
	enum dnssec_status status;
};

struct zonestatus_result {
	struct zone_status *names;	/* names[0] is the domain */
	size_t		 n_names;
};

struct zonestatus_job;
/* Called once, never from inside zonestatus_start(); the result is the
 * callee's (zonestatus_result_free). */
typedef void (*zonestatus_done_cb)(struct zonestatus_result *res, void *arg);

/* names[0..n), n >= 1 (duplicates are looked up once); the lookups go
 * through send (NULL: straight to v; dnssec.h).  The result borrows the
 * names: they must outlive it. */
struct zonestatus_job *zonestatus_start(struct dnssec *v,
    const struct dnssec_sender *send, const char *const *names, size_t n,
    zonestatus_done_cb cb, void *arg);
/* The callback will not come. */
void zonestatus_cancel(struct zonestatus_job *job);
void zonestatus_result_free(struct zonestatus_result *res);
/* Bytes the result holds, as malloc was asked for them (not the names). */
size_t zonestatus_result_bytes(const struct zonestatus_result *res);

#endif
