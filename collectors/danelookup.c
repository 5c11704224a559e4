/* Validated MX, A, AAAA and TLSA lookups of one MX host (danelookup.h).
 * dnssec_resolve() never answers from inside itself, so the job ends
 * exactly when its last answer arrives, from the loop. */
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/danelookup.h"
#include "daemon/util.h"

static const char *const reason_names[DANE_REASON__COUNT] = {
	[DANE_REASON_NONE] = "none",
	[DANE_REASON_NO_TLSA] = "no_tlsa",
	[DANE_REASON_INSECURE] = "insecure",
	[DANE_REASON_BOGUS] = "bogus",
	[DANE_REASON_UNUSABLE] = "unusable",
	[DANE_REASON_NO_MATCH] = "no_match",
	[DANE_REASON_TA_NOT_PRESENTED] = "ta_not_presented",
	[DANE_REASON_NAME_MISMATCH] = "name_mismatch",
	[DANE_REASON_EXPIRED] = "expired",
	[DANE_REASON_DNS] = "dns",
};
_Static_assert(ARRAY_LEN(reason_names) == DANE_REASON__COUNT, "a name each");

const char *
dane_reason_name(enum dane_reason r)
{
	return (unsigned)r < DANE_REASON__COUNT ? reason_names[r] : "unknown";
}

enum dl_kind { DL_MX, DL_A, DL_AAAA, DL_TLSA };

struct dlq {
	struct danelookup_job *job;
	enum dl_kind	 kind;
	size_t		 port;		/* index, for DL_TLSA */
	struct dnssec_query *q;
};

struct danelookup_job {
	struct danelookup_result *res;
	struct dlq	 qs[3 + DANELOOKUP_PORTS_MAX];
	size_t		 n_qs;
	unsigned	 pending;
	enum dnssec_status a_status, aaaa_status;
	danelookup_done_cb cb;
	void		*arg;
};

/* How bad a status is for DANE: secure is the only good one. */
static int
badness(enum dnssec_status s)
{
	switch (s) {
	case DNSSEC_SECURE:	return 0;
	case DNSSEC_INSECURE:	return 1;
	case DNSSEC_SERVFAIL:
	case DNSSEC_TIMEOUT:
	case DNSSEC_ERROR:	return 2;
	case DNSSEC_BOGUS:	return 3;
	case DNSSEC__COUNT:	break;
	}
	return 3;
}

static enum dnssec_status
worse(enum dnssec_status a, enum dnssec_status b)
{
	return badness(b) > badness(a) ? b : a;
}

static enum dane_reason
reason_of(enum dnssec_status s)
{
	switch (badness(s)) {
	case 0:	return DANE_REASON_NONE;
	case 1:	return DANE_REASON_INSECURE;
	case 2:	return DANE_REASON_DNS;
	default: return DANE_REASON_BOGUS;
	}
}

/* Whether DANE applies on one port, and if not why (RFC 7672 2.2). */
static void
port_judge(const struct danelookup_result *r, struct dane_port *p)
{
	enum dnssec_status chain = worse(worse(r->mx_status, r->addr_status),
	    p->tlsa_status);

	p->applicable = 0;
	if (p->tlsa_status == DNSSEC_SECURE && p->tlsa.n == 0) {
		/* a secure denial is an answer: no DANE, whatever else */
		p->reason = DANE_REASON_NO_TLSA;
		return;
	}
	if (chain != DNSSEC_SECURE) {
		p->reason = reason_of(chain);
		return;
	}
	if (dane_match_chain(&p->tlsa, NULL) == 0) {
		p->reason = DANE_REASON_UNUSABLE;
		return;
	}
	p->applicable = 1;
	p->reason = DANE_REASON_NONE;
}

static void
job_finish(struct danelookup_job *job)
{
	struct danelookup_result *r = job->res;

	r->addr_status = worse(job->a_status, job->aaaa_status);
	for (size_t i = 0; i < r->n_ports; i++)
		port_judge(r, &r->ports[i]);
	job->res = NULL;
	job->cb(r, job->arg);
	free(job);
}

static void
answered(void *arg, const struct dnssec_answer *a)
{
	struct dlq *q = arg;
	struct danelookup_job *job = q->job;
	struct danelookup_result *r = job->res;

	q->q = NULL;
	switch (q->kind) {
	case DL_MX:
		r->mx_status = a->status;
		break;
	case DL_A:
		job->a_status = a->status;
		break;
	case DL_AAAA:
		job->aaaa_status = a->status;
		break;
	case DL_TLSA: {
		struct dane_port *p = &r->ports[q->port];

		p->tlsa_status = a->status;
		p->tlsa_rcode = a->rcode;
		free(p->why_bogus);
		p->why_bogus = xstrdup(a->status == DNSSEC_BOGUS ?
		    a->why_bogus : "");
		if (a->packet != NULL && a->rcode == 0)
			(void)tlsa_parse_answer(a->packet, (size_t)a->len,
			    &p->tlsa);
		break;
	}
	}
	if (--job->pending == 0)
		job_finish(job);
}

static void
send_question(struct danelookup_job *job, struct dnssec *v, const char *name,
    int type, enum dl_kind kind, size_t port)
{
	struct dlq *q = &job->qs[job->n_qs++];

	q->job = job;
	q->kind = kind;
	q->port = port;
	job->pending++;
	q->q = dnssec_resolve(v, name, type, answered, q);
}

struct danelookup_job *
danelookup_start(const struct danelookup_params *p, danelookup_done_cb cb,
    void *arg)
{
	struct danelookup_job *job = xcalloc(1, sizeof(*job));
	struct danelookup_result *r = xcalloc(1, sizeof(*r));
	char name[300];

	job->res = r;
	job->cb = cb;
	job->arg = arg;
	r->host = xstrdup(p->host);
	r->mx_status = DNSSEC_TIMEOUT;
	job->a_status = job->aaaa_status = DNSSEC_TIMEOUT;
	for (size_t i = 0; i < p->n_ports && i < DANELOOKUP_PORTS_MAX; i++) {
		struct dane_port *dp = &r->ports[r->n_ports++];

		dp->port = p->ports[i];
		dp->tlsa_status = DNSSEC_TIMEOUT;
		dp->why_bogus = xstrdup("");
		tlsa_set_init(&dp->tlsa);
	}
	/* Every query is made before any can answer. */
	send_question(job, p->v, p->domain, ns_t_mx, DL_MX, 0);
	send_question(job, p->v, p->host, ns_t_a, DL_A, 0);
	send_question(job, p->v, p->host, ns_t_aaaa, DL_AAAA, 0);
	for (size_t i = 0; i < r->n_ports; i++) {
		snprintf(name, sizeof(name), "_%u._tcp.%s",
		    (unsigned)r->ports[i].port, p->host);
		send_question(job, p->v, name, 52, DL_TLSA, i);
	}
	return job;
}

void
danelookup_cancel(struct danelookup_job *job)
{
	for (size_t i = 0; i < job->n_qs; i++)
		if (job->qs[i].q != NULL)
			dnssec_cancel(job->qs[i].q);
	danelookup_result_free(job->res);
	free(job);
}

void
danelookup_result_free(struct danelookup_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_ports; i++) {
		tlsa_set_free(&r->ports[i].tlsa);
		free(r->ports[i].why_bogus);
	}
	free(r->host);
	free(r);
}

const struct tlsa_set *
danelookup_usable(const struct danelookup_result *r, uint16_t port)
{
	for (size_t i = 0; r != NULL && i < r->n_ports; i++)
		if (r->ports[i].port == port && r->ports[i].applicable)
			return &r->ports[i].tlsa;
	return NULL;
}
