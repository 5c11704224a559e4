/* Validated MX, A, AAAA and TLSA lookups of one MX host (danelookup.h).
 * dnssec_resolve() never answers from inside itself, so the job ends
 * exactly when its last answer arrives, from the loop. */
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>

#include "collectors/danelookup.h"
#include "base/util.h"

enum dl_kind { DL_MX, DL_A, DL_AAAA, DL_TLSA, DL_TLSA_EXPANDED };

struct dlq {
	struct danelookup_job *job;
	enum dl_kind	 kind;
	size_t		 port;		/* index, for DL_TLSA */
	void		*q;		/* dnssec_send()'s handle */
};

/* TLSA at the CNAME-expanded name of the host, per port. */
struct dl_expanded {
	enum dnssec_status status;
	char		*why_bogus;
	struct tlsa_set	 tlsa;
};

struct danelookup_job {
	struct danelookup_result *res;
	struct dnssec	*v;
	struct dnssec_sender send;
	struct dlq	 qs[3 + 2 * DANELOOKUP_PORTS_MAX];
	size_t		 n_qs;
	struct dl_expanded exp[DANELOOKUP_PORTS_MAX];
	int		 expanded_asked;
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
	case DNSSEC_ERROR:
	case DNSSEC_BUDGET:	return 2;
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

/* The records at the expanded name count when there is an answer there
 * other than a secure denial; a failure there is the port's failure. */
static void
port_take_expanded(struct dane_port *p, struct dl_expanded *e)
{
	if (e->status == DNSSEC_SECURE && e->tlsa.n == 0)
		return;			/* then the original name's */
	tlsa_set_free(&p->tlsa);
	p->tlsa = e->tlsa;
	tlsa_set_init(&e->tlsa);
	p->tlsa_status = e->status;
	dnssec_why_free(p->why_bogus);
	p->why_bogus = e->why_bogus;
	e->why_bogus = dnssec_why_none;
	p->base_expanded = 1;
}

static void
job_free(struct danelookup_job *job)
{
	for (size_t i = 0; i < DANELOOKUP_PORTS_MAX; i++) {
		tlsa_set_free(&job->exp[i].tlsa);
		dnssec_why_free(job->exp[i].why_bogus);
	}
	danelookup_result_free(job->res);
	free(job);
}

static void
job_finish(struct danelookup_job *job)
{
	struct danelookup_result *r = job->res;

	r->addr_status = worse(job->a_status, job->aaaa_status);
	for (size_t i = 0; i < r->n_ports; i++) {
		if (job->expanded_asked)
			port_take_expanded(&r->ports[i], &job->exp[i]);
		port_judge(r, &r->ports[i]);
	}
	job->res = NULL;
	job->cb(r, job->arg);
	job_free(job);
}

static void send_question(struct danelookup_job *job, const char *name,
    int type, enum dl_kind kind, size_t port);

/* The host's CNAME target from an address answer, when it is secure and
 * names another host: then its TLSA records are asked for too. */
static void
ask_expanded(struct danelookup_job *job, const struct dnssec_answer *a,
    int type)
{
	struct danelookup_result *r = job->res;
	struct hostent *he = NULL;
	char name[300];

	if (job->expanded_asked || a->status != DNSSEC_SECURE ||
	    a->packet == NULL || a->rcode != 0 ||
	    (type == ns_t_a ?
	    ares_parse_a_reply(a->packet, a->len, &he, NULL, NULL) :
	    ares_parse_aaaa_reply(a->packet, a->len, &he, NULL, NULL)) !=
	    ARES_SUCCESS || he == NULL) {
		if (he != NULL)
			ares_free_hostent(he);
		return;
	}
	if (he->h_name != NULL && strlen(he->h_name) < 254 &&
	    strcasecmp(he->h_name, r->host) != 0) {
		job->expanded_asked = 1;
		r->expanded = xstrdup(he->h_name);
		for (size_t i = 0; i < r->n_ports; i++) {
			snprintf(name, sizeof(name), "_%u._tcp.%s",
			    (unsigned)r->ports[i].port, r->expanded);
			send_question(job, name, 52, DL_TLSA_EXPANDED, i);
		}
	}
	ares_free_hostent(he);
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
		ask_expanded(job, a, ns_t_a);
		break;
	case DL_AAAA:
		job->aaaa_status = a->status;
		ask_expanded(job, a, ns_t_aaaa);
		break;
	case DL_TLSA: {
		struct dane_port *p = &r->ports[q->port];

		p->tlsa_status = a->status;
		p->tlsa_rcode = a->rcode;
		dnssec_why_set(&p->why_bogus, a);
		if (a->packet != NULL && a->rcode == 0)
			(void)tlsa_parse_answer(a->packet, (size_t)a->len,
			    &p->tlsa);
		break;
	}
	case DL_TLSA_EXPANDED: {
		struct dl_expanded *e = &job->exp[q->port];

		e->status = a->status;
		dnssec_why_set(&e->why_bogus, a);
		if (a->packet != NULL && a->rcode == 0)
			(void)tlsa_parse_answer(a->packet, (size_t)a->len,
			    &e->tlsa);
		break;
	}
	}
	if (--job->pending == 0)
		job_finish(job);
}

static void
send_question(struct danelookup_job *job, const char *name, int type,
    enum dl_kind kind, size_t port)
{
	struct dlq *q;

	if (job->n_qs == ARRAY_LEN(job->qs))
		return;		/* cannot be: 3 + 2 per port at most */
	q = &job->qs[job->n_qs++];
	q->job = job;
	q->kind = kind;
	q->port = port;
	job->pending++;
	q->q = dnssec_send(job->v, &job->send, name, type, answered, q);
}

struct danelookup_job *
danelookup_start(const struct danelookup_params *p, danelookup_done_cb cb,
    void *arg)
{
	struct danelookup_job *job = xcalloc(1, sizeof(*job));
	struct danelookup_result *r = danelookup_result_new(p->host, p->ports,
	    p->n_ports);
	char name[300];

	job->res = r;
	job->v = p->v;
	job->send = p->send;
	job->cb = cb;
	job->arg = arg;
	job->a_status = job->aaaa_status = DNSSEC_TIMEOUT;
	for (size_t i = 0; i < DANELOOKUP_PORTS_MAX; i++)
		job->exp[i].why_bogus = dnssec_why_none;
	/* Every query is made before any can answer. */
	send_question(job, p->domain, ns_t_mx, DL_MX, 0);
	send_question(job, p->host, ns_t_a, DL_A, 0);
	send_question(job, p->host, ns_t_aaaa, DL_AAAA, 0);
	for (size_t i = 0; i < r->n_ports; i++) {
		snprintf(name, sizeof(name), "_%u._tcp.%s",
		    (unsigned)r->ports[i].port, p->host);
		send_question(job, name, 52, DL_TLSA, i);
	}
	return job;
}

void
danelookup_cancel(struct danelookup_job *job)
{
	for (size_t i = 0; i < job->n_qs; i++)
		if (job->qs[i].q != NULL)
			dnssec_send_cancel(&job->send, job->qs[i].q);
	job_free(job);
}

struct danelookup_result *
danelookup_result_new(const char *host, const uint16_t *ports, size_t n_ports)
{
	struct danelookup_result *r;

	if (n_ports > DANELOOKUP_PORTS_MAX)
		n_ports = DANELOOKUP_PORTS_MAX;
	r = xcalloc(1, sizeof(*r) + n_ports * sizeof(r->ports[0]));
	r->host = host;
	r->mx_status = r->addr_status = DNSSEC_TIMEOUT;
	r->n_ports = n_ports;
	for (size_t i = 0; i < n_ports; i++) {
		struct dane_port *dp = &r->ports[i];

		dp->port = ports[i];
		dp->tlsa_status = DNSSEC_TIMEOUT;
		dp->why_bogus = dnssec_why_none;
		tlsa_set_init(&dp->tlsa);
	}
	return r;
}

size_t
danelookup_result_bytes(const struct danelookup_result *r)
{
	size_t n;

	if (r == NULL)
		return 0;
	n = sizeof(*r) + r->n_ports * sizeof(r->ports[0]);
	if (r->expanded != NULL)
		n += strlen(r->expanded) + 1;
	if (r->host_own != NULL)
		n += strlen(r->host_own) + 1;
	for (size_t i = 0; i < r->n_ports; i++) {
		const struct dane_port *p = &r->ports[i];

		n += dnssec_why_bytes(p->why_bogus) +
		    tlsa_set_bytes(&p->tlsa);
	}
	return n / intern_holders(&r->node);
}

/* --- interning ------------------------------------------------------------ */

static int
ports_equal(const struct dane_port *a, const struct dane_port *b)
{
	return a->port == b->port && a->tlsa_status == b->tlsa_status &&
	    a->reason == b->reason && a->tlsa_rcode == b->tlsa_rcode &&
	    a->applicable == b->applicable &&
	    a->base_expanded == b->base_expanded &&
	    strcmp(a->why_bogus, b->why_bogus) == 0 &&
	    tlsa_set_equal(&a->tlsa, &b->tlsa);
}

static int
results_equal(const struct intern_node *na, const struct intern_node *nb)
{
	const struct danelookup_result *a =
	    INTERN_BLOCK_CONST(na, struct danelookup_result);
	const struct danelookup_result *b =
	    INTERN_BLOCK_CONST(nb, struct danelookup_result);

	if (strcmp(a->host, b->host) != 0 || a->mx_status != b->mx_status ||
	    a->addr_status != b->addr_status || a->n_ports != b->n_ports ||
	    (a->expanded == NULL) != (b->expanded == NULL) ||
	    (a->expanded != NULL && strcmp(a->expanded, b->expanded) != 0))
		return 0;
	for (size_t i = 0; i < a->n_ports; i++)
		if (!ports_equal(&a->ports[i], &b->ports[i]))
			return 0;
	return 1;
}

struct danelookup_result *
danelookup_result_intern(struct intern_pool *pool,
    struct danelookup_result *r)
{
	uint64_t h = intern_hash_str(INTERN_HASH_INIT, r->host);
	struct intern_node *found;

	for (size_t i = 0; i < r->n_ports; i++)
		h = intern_hash_bytes(h, &r->ports[i].port,
		    sizeof(r->ports[i].port));
	h = intern_hash_bytes(h, &r->mx_status, sizeof(r->mx_status));
	if ((found = intern_find(pool, h, &r->node, results_equal)) != NULL) {
		danelookup_result_free(r);
		intern_hold(found);
		return INTERN_BLOCK(found, struct danelookup_result);
	}
	r->host_own = xstrdup(r->host);
	r->host = r->host_own;
	intern_insert(pool, &r->node, h);
	return r;
}

void
danelookup_result_free(struct danelookup_result *r)
{
	if (r == NULL || !intern_release(&r->node))
		return;
	free(r->host_own);
	for (size_t i = 0; i < r->n_ports; i++) {
		tlsa_set_free(&r->ports[i].tlsa);
		dnssec_why_free(r->ports[i].why_bogus);
	}
	free(r->expanded);
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

const struct dane_port *
danelookup_port(const struct danelookup_result *r, uint16_t port)
{
	for (size_t i = 0; r != NULL && i < r->n_ports; i++)
		if (r->ports[i].port == port)
			return &r->ports[i];
	return NULL;
}

const char *
danelookup_port_base(const struct danelookup_result *r,
    const struct dane_port *p)
{
	return p->base_expanded && r->expanded != NULL ? r->expanded : r->host;
}

struct tlsa_set *
danelookup_probe_set(struct danelookup_result *r, uint16_t port)
{
	for (size_t i = 0; r != NULL && i < r->n_ports; i++)
		if (r->ports[i].port == port && (r->ports[i].applicable ||
		    r->ports[i].reason == DANE_REASON_UNUSABLE))
			return &r->ports[i].tlsa;
	return NULL;
}

enum dane_reason
danelookup_verdict(const struct dane_port *p, const struct dane_facts *f)
{
	if (p == NULL)
		return DANE_REASON_NONE;
	if (!p->applicable)
		return p->reason;
	if (!f->checked || f->valid)
		return DANE_REASON_NONE;
	return f->reason;
}
