/* DNSSEC status of a set of names (zonestatus.h).  dnssec_resolve() never
 * answers from inside itself, so the job is done exactly when its last
 * answer arrives, always from the loop. */
#include <arpa/nameser.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collectors/zonestatus.h"
#include "base/util.h"

#define ZONESTATUS_NAMES_MAX	32

struct zq {
	struct zonestatus_job *job;
	size_t		 index;
	void		*q;		/* dnssec_send()'s handle */
};

struct zonestatus_job {
	struct zonestatus_result *res;
	struct zq	*queries;
	unsigned	 pending;
	struct dnssec_sender send;	/* send.send NULL: straight */
	zonestatus_done_cb cb;
	void		*arg;
};

static void
job_free(struct zonestatus_job *job)
{
	for (size_t i = 0; i < job->res->n_names; i++)
		if (job->queries[i].q != NULL)
			dnssec_send_cancel(&job->send, job->queries[i].q);
	zonestatus_result_free(job->res);
	free(job->queries);
	free(job);
}

static void
dnskey_answered(void *arg, const struct dnssec_answer *a)
{
	struct zq *zq = arg;
	struct zonestatus_job *job = zq->job;
	struct zone_status *z = &job->res->names[zq->index];
	struct zonestatus_result *res;

	zq->q = NULL;
	z->status = a->status;
	z->duration_s = a->duration_s;
	dnssec_why_set(&z->why_bogus, a);
	if (--job->pending > 0)
		return;
	res = job->res;
	job->res = NULL;
	job->cb(res, job->arg);
	free(job->queries);
	free(job);
}

struct zonestatus_job *
zonestatus_start(struct dnssec *v, const struct dnssec_sender *send,
    const char *const *names, size_t n, zonestatus_done_cb cb, void *arg)
{
	struct zonestatus_job *job = xcalloc(1, sizeof(*job));
	struct zonestatus_result *res = xcalloc(1, sizeof(*res));

	if (n == 0)
		abort();	/* a caller's bug: nothing would call back */
	job->res = res;
	if (send != NULL)
		job->send = *send;
	job->cb = cb;
	job->arg = arg;
	res->names = xcalloc(n ? n : 1, sizeof(*res->names));
	job->queries = xcalloc(n ? n : 1, sizeof(*job->queries));
	for (size_t i = 0; i < n && res->n_names < ZONESTATUS_NAMES_MAX; i++) {
		int dup = 0;

		for (size_t j = 0; j < res->n_names; j++)
			dup |= strcasecmp(res->names[j].name, names[i]) == 0;
		if (dup)
			continue;
		res->names[res->n_names].name = names[i];
		res->names[res->n_names].status = DNSSEC_TIMEOUT;
		res->names[res->n_names].why_bogus = dnssec_why_none;
		res->n_names++;
	}
	/* the result stays with the check: no slot for a duplicate */
	res->names = xreallocarray(res->names, res->n_names,
	    sizeof(*res->names));
	/* Every query is made before any can answer (none answers inside
	 * dnssec_resolve()). */
	for (size_t i = 0; i < res->n_names; i++) {
		job->queries[i].job = job;
		job->queries[i].index = i;
		job->pending++;
		job->queries[i].q = dnssec_send(v, &job->send,
		    res->names[i].name, ns_t_dnskey, dnskey_answered,
		    &job->queries[i]);
	}
	return job;
}

void
zonestatus_cancel(struct zonestatus_job *job)
{
	job_free(job);
}

void
zonestatus_result_free(struct zonestatus_result *res)
{
	if (res == NULL)
		return;
	for (size_t i = 0; i < res->n_names; i++)
		dnssec_why_free(res->names[i].why_bogus);
	free(res->names);
	free(res);
}

size_t
zonestatus_result_bytes(const struct zonestatus_result *res)
{
	size_t n;

	if (res == NULL)
		return 0;
	n = sizeof(*res) + res->n_names * sizeof(*res->names);
	for (size_t i = 0; i < res->n_names; i++)
		n += dnssec_why_bytes(res->names[i].why_bogus);
	return n;
}
