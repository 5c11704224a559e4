#include "collectors/records.h"
#include "collectors/hold.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "collectors/txt.h"
#include "base/ostr.h"
#include "base/log.h"
#include "base/util.h"

/* More addresses than this are not evaluated: each may cost 10 lookups. */
#define MAX_SPF_CHECKS 32

struct records_job;

/* One DNS question in flight; freed by its callback. */
struct rq {
	struct records_job *job;
	void		(*done)(struct records_job *, struct rq *, int status,
			    const unsigned char *abuf, int alen);
	uint64_t	 started_ms;
	size_t		 index;		/* selector, destination, evaluator */
};

/* An SPF evaluation driven over DNS: the walk, or one check_host(). */
struct spf_run {
	struct spf_eval	*ev;
	size_t		 check;		/* index in spf_checks; walk: SIZE_MAX */
};

struct records_job {
	struct dns	*dns;
	struct event	*hold_ev;	/* holds the job open past records_start() */
	records_send_fn	 send;
	void		*send_arg;
	records_done_cb	 cb;
	void		*arg;
	int		 cancelled;
	unsigned	 pending;	/* questions in flight */
	char		*domain;
	struct records_result *res;
	struct txt_records spf_txt;	/* the domain's TXT, for the evaluators */
	enum dns_result	 spf_txt_result;
	struct spf_run	*runs;
	size_t		 n_runs;
	char		**check_addrs;	/* addresses to check_host(), owned */
	enum spf_check_source *check_sources;
	size_t		 n_check_addrs;
};

static void spf_run_step(struct records_job *job, size_t r,
    enum spf_step step);

/* A list allocated for cap entries that got n: shrunk to n (NULL for
 * none), so that it holds what the domain has. */
static void
list_fit(void **list, size_t cap, size_t n, size_t size)
{
	if (n == cap)
		return;
	if (n == 0) {
		free(*list);
		*list = NULL;
	} else
		*list = xreallocarray(*list, n, size);
}

static void
lookup_done(struct dns_lookup_info *li, struct rq *q, enum dns_result r)
{
	li->done = 1;
	li->result = r;
	li->duration_s = (double)(now_ms() - q->started_ms) / 1000.0;
}

static void
job_free(struct records_job *job)
{
	job_hold_drop(&job->hold_ev);
	for (size_t i = 0; i < job->n_runs; i++)
		spf_eval_free(job->runs[i].ev);
	free(job->runs);
	for (size_t i = 0; i < job->n_check_addrs; i++)
		free(job->check_addrs[i]);
	free(job->check_addrs);
	free(job->check_sources);
	txt_records_free(&job->spf_txt);
	records_result_free(job->res);
	free(job->domain);
	free(job);
}

/* The job ends when its last question is answered.  Every frame that may
 * ask more (records_start(), an answer's handler) holds the job with a
 * count of its own, released when it returns: a question it sends may be
 * answered inside the send (c-ares on a failed send, or a cache hit), and
 * the job must not end, or be freed, under the frame. */
static void
job_maybe_done(struct records_job *job)
{
	struct records_result *res;

	if (job->pending > 0)
		return;
	if (!job->cancelled) {
		res = job->res;
		job->res = NULL;
		res->finished = wall_time();
		job->cb(res, job->arg);
	}
	job_free(job);
}

static void
job_release(struct records_job *job)
{
	job->pending--;
	job_maybe_done(job);
}

/* The question's own count holds the job while its handler runs. */
static void
rq_answer(void *arg, int status, const unsigned char *abuf, int alen)
{
	struct rq *q = arg;
	struct records_job *job = q->job;

	if (!job->cancelled && status != ARES_EDESTRUCTION)
		q->done(job, q, status, abuf, alen);
	free(q);
	job_release(job);
}

static void
send_question(struct records_job *job, const char *name, int type, size_t index,
    void (*done)(struct records_job *, struct rq *, int,
    const unsigned char *, int))
{
	struct rq *q = xcalloc(1, sizeof(*q));

	q->job = job;
	q->done = done;
	q->index = index;
	q->started_ms = now_ms();
	job->pending++;
	if (job->send)
		job->send(job->send_arg, name, type, rq_answer, q,
		    &q->started_ms);
	else
		dns_query(job->dns, name, type, rq_answer, q);
}


/* --- SPF ---------------------------------------------------------------- */

static enum spf_dns_status
spf_status(enum dns_result r)
{
	switch (r) {
	case DNS_OK:
		return SPF_DNS_OK;
	case DNS_NXDOMAIN:
		return SPF_DNS_NXDOMAIN;
	case DNS_NODATA:
		return SPF_DNS_NODATA;
	case DNS_TIMEOUT:
		return SPF_DNS_TIMEOUT;
	case DNS_BUDGET:
		return SPF_DNS_BUDGET;
	default:
		return SPF_DNS_SERVFAIL;
	}
}

static int
spf_qtype_dns(enum spf_qtype t)
{
	switch (t) {
	case SPF_QTYPE_TXT:
		return ns_t_txt;
	case SPF_QTYPE_A:
		return ns_t_a;
	case SPF_QTYPE_AAAA:
		return ns_t_aaaa;
	case SPF_QTYPE_MX:
		return ns_t_mx;
	case SPF_QTYPE_PTR:
	default:
		return ns_t_ptr;
	}
}

static enum spf_step
spf_feed_txt(struct spf_eval *ev, enum dns_result r,
    const struct txt_records *recs)
{
	const char **strs = xcalloc(recs->n ? recs->n : 1, sizeof(*strs));
	size_t *lens = xcalloc(recs->n ? recs->n : 1, sizeof(*lens));
	struct spf_answer a;
	enum spf_step step;

	for (size_t i = 0; i < recs->n; i++) {
		strs[i] = recs->recs[i].text.data ? recs->recs[i].text.data : "";
		lens[i] = recs->recs[i].text.len;
	}
	memset(&a, 0, sizeof(a));
	a.status = spf_status(r);
	a.strings = strs;
	a.lens = lens;
	a.nstrings = r == DNS_OK ? recs->n : 0;
	step = spf_eval_resume(ev, &a);
	free(strs);
	free(lens);
	return step;
}

static void
spf_eval_answer(struct records_job *job, struct rq *q, int status,
    const unsigned char *abuf, int alen)
{
	struct spf_run *run = &job->runs[q->index];
	const struct spf_query *sq = spf_eval_query(run->ev);
	struct spf_answer a;
	struct spf_ip *ips = NULL;
	const char **names = NULL;
	enum spf_step step;
	enum dns_result r;

	memset(&a, 0, sizeof(a));
	if (sq->type == SPF_QTYPE_TXT) {
		struct txt_records recs;

		txt_records_init(&recs);
		r = txt_parse_answer(status, abuf, alen, &recs);
		step = spf_feed_txt(run->ev, r, &recs);
		txt_records_free(&recs);
		spf_run_step(job, q->index, step);
		return;
	}
	if (status != ARES_SUCCESS) {
		a.status = spf_status(dns_classify(status));
		spf_run_step(job, q->index, spf_eval_resume(run->ev, &a));
		return;
	}
	if (sq->type == SPF_QTYPE_A || sq->type == SPF_QTYPE_AAAA) {
		struct dns_addr *addrs = NULL;
		size_t n = 0;

		r = dns_parse_addrs(sq->type == SPF_QTYPE_A ? ns_t_a : ns_t_aaaa,
		    abuf, alen, &addrs, &n);
		ips = xcalloc(n ? n : 1, sizeof(*ips));
		for (size_t i = 0; i < n; i++) {
			ips[i].family = addrs[i].family;
			memcpy(ips[i].addr, &addrs[i].u,
			    addrs[i].family == AF_INET ? 4 : 16);
		}
		free(addrs);
		a.status = spf_status(r);
		a.addrs = ips;
		a.naddrs = r == DNS_OK ? n : 0;
		step = spf_eval_resume(run->ev, &a);
	} else if (sq->type == SPF_QTYPE_MX) {
		struct dns_mx *mx = NULL;
		size_t n = 0;

		r = dns_parse_mx(abuf, alen, &mx, &n);
		names = xcalloc(n ? n : 1, sizeof(*names));
		for (size_t i = 0; i < n; i++)
			names[i] = mx[i].host;
		a.status = spf_status(r);
		a.strings = names;
		a.nstrings = r == DNS_OK ? n : 0;
		step = spf_eval_resume(run->ev, &a);
		dns_mx_free(mx, n);
	} else {
		char **ptr = NULL;
		size_t n = 0;

		/* A failed PTR lookup only makes ptr not match (5.5). */
		r = dns_parse_ptr(abuf, alen, &ptr, &n);
		a.status = r == DNS_OK ? SPF_DNS_OK : SPF_DNS_NODATA;
		a.strings = (const char *const *)ptr;
		a.nstrings = n;
		step = spf_eval_resume(run->ev, &a);
		dns_names_free(ptr, n);
	}
	free(ips);
	free(names);
	spf_run_step(job, q->index, step);
}

static void
spf_run_finish(struct records_job *job, size_t r)
{
	struct records_result *res = job->res;
	struct spf_run *run = &job->runs[r];
	const struct spf_result *sr = spf_eval_result(run->ev);

	if (run->check != SIZE_MAX) {
		res->spf_checks[run->check].code = (signed char)sr->code;
		res->spf_checks[run->check].reason = sr->reason;
		return;
	}
	/* The walk: the receiver's worst case, and permerrors of the tree. */
	res->spf_dns_lookups = sr->dns_lookups;
	res->spf_void_lookups = sr->void_lookups;
	res->spf_all = (signed char)sr->all_qualifier;
	if (sr->code == SPF_RESULT_PERMERROR && res->spf_valid) {
		res->spf_valid = 0;
		res->spf_reason = sr->reason;
		ostr_set(&res->spf_message, ostr_cut(sr->message,
		    RECORDS_TEXT_MAX));
	} else if (sr->code == SPF_RESULT_TEMPERROR && res->spf_valid) {
		/* A failed lookup in the tree: the record may be fine. */
		res->spf_temperror = 1;
		res->spf_reason = sr->reason;
		ostr_set(&res->spf_message, ostr_cut(sr->message,
		    RECORDS_TEXT_MAX));
	}
}

/* Runs an evaluator until it needs the network or ends.  The domain's
 * own TXT is answered from what we fetched already. */
static void
spf_run_step(struct records_job *job, size_t r, enum spf_step step)
{
	struct spf_run *run = &job->runs[r];

	while (step == SPF_STEP_QUERY) {
		const struct spf_query *q = spf_eval_query(run->ev);

		if (q->type == SPF_QTYPE_TXT && str_ieq(q->name, job->domain)) {
			step = spf_feed_txt(run->ev, job->spf_txt_result,
			    &job->spf_txt);
			continue;
		}
		send_question(job, q->name, spf_qtype_dns(q->type), r,
		    spf_eval_answer);
		return;
	}
	spf_run_finish(job, r);
}

/* check_host() of every address to check, and the walk when the record
 * parsed.  Without a usable record check_host() still has an answer
 * (none, permerror, temperror): the evaluators find it in the TXT answer
 * already fetched. */
static void
spf_start_evaluations(struct records_job *job, int walk)
{
	struct records_result *res = job->res;
	size_t n = job->n_check_addrs;

	job->runs = xcalloc(n + 1, sizeof(*job->runs));
	res->spf_checks = n ? xcalloc(n, sizeof(*res->spf_checks)) : NULL;
	if (walk) {
		job->runs[0].ev = spf_eval_new_walk(job->domain, AF_INET, NULL);
		job->runs[0].check = SIZE_MAX;
		job->n_runs = 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct spf_check *c = &res->spf_checks[res->n_spf_checks];
		struct spf_ip ip;
		char sender[300];

		if (spf_ip_parse(job->check_addrs[i], &ip) == -1)
			continue;
		c->address = xstrdup(job->check_addrs[i]);
		c->source = (signed char)job->check_sources[i];
		c->code = SPF_RESULT_TEMPERROR;
		c->reason = "not evaluated";
		snprintf(sender, sizeof(sender), "postmaster@%s", job->domain);
		job->runs[job->n_runs].ev = spf_eval_new(job->domain, &ip,
		    sender, job->domain, NULL);
		job->runs[job->n_runs].check = res->n_spf_checks++;
		job->n_runs++;
	}
	list_fit((void **)&res->spf_checks, n, res->n_spf_checks,
	    sizeof(*res->spf_checks));
	for (size_t r = 0; r < job->n_runs; r++)
		spf_run_step(job, r, spf_eval_start(job->runs[r].ev));
}

static void
spf_txt_answer(struct records_job *job, struct rq *q, int status,
    const unsigned char *abuf, int alen)
{
	struct records_result *res = job->res;
	const char **strs;
	size_t *lens, idx = 0, n;
	struct spf_error err;
	struct spf_record *rec = NULL;
	int sel;

	job->spf_txt_result = txt_parse_answer(status, abuf, alen,
	    &job->spf_txt);
	lookup_done(&res->spf_lookup, q, job->spf_txt_result);
	n = job->spf_txt.n;
	strs = xcalloc(n ? n : 1, sizeof(*strs));
	lens = xcalloc(n ? n : 1, sizeof(*lens));
	for (size_t i = 0; i < n; i++) {
		strs[i] = job->spf_txt.recs[i].text.data ?
		    job->spf_txt.recs[i].text.data : "";
		lens[i] = job->spf_txt.recs[i].text.len;
	}
	memset(&err, 0, sizeof(err));
	sel = job->spf_txt_result == DNS_OK ?
	    spf_select(strs, lens, n, &idx, &err) : SPF_SELECT_NONE;
	free(strs);
	free(lens);
	/* Known once the walk has followed any redirect=. */
	res->spf_all = SPF_ALL_UNKNOWN;
	if (sel == SPF_SELECT_NONE) {
		/* No record, or the lookup failed: no walk. */
		if (dns_answered(job->spf_txt_result))
			res->spf_reason = "no_record";
		else {
			res->spf_reason = job->spf_txt_result == DNS_BUDGET ?
			    "dns_budget" : "dns_error";
			res->spf_temperror = 1;
		}
		spf_start_evaluations(job, 0);
		return;
	}
	res->spf_present = 1;
	if (sel == SPF_SELECT_MULTIPLE) {
		res->spf_reason = err.reason ? err.reason : "multiple_records";
		ostr_set(&res->spf_message, ostr_cut(err.message,
		    RECORDS_TEXT_MAX));
		res->spf_raw = ostr_share(txt_printable_copy(
		    &job->spf_txt.recs[idx]));
		res->spf_bytes = (unsigned)job->spf_txt.recs[idx].text.len;
		spf_start_evaluations(job, 0);
		return;
	}
	res->spf_raw = ostr_share(txt_printable_copy(
		    &job->spf_txt.recs[idx]));
	res->spf_bytes = (unsigned)job->spf_txt.recs[idx].text.len;
	if (spf_parse(job->spf_txt.recs[idx].text.data,
	    job->spf_txt.recs[idx].text.len, &rec, &err) == -1) {
		res->spf_reason = err.reason;
		ostr_set(&res->spf_message, ostr_cut(err.message,
		    RECORDS_TEXT_MAX));
		spf_start_evaluations(job, 0);
		return;
	}
	res->spf_valid = 1;
	res->spf_redirect = rec->redirect != NULL;
	res->spf_ptr_used = rec->uses_ptr;
	spf_record_free(rec);
	spf_start_evaluations(job, 1);
}

/* --- DKIM --------------------------------------------------------------- */

static void
dkim_answer(struct records_job *job, struct rq *q, int status,
    const unsigned char *abuf, int alen)
{
	struct dkim_selector_result *d = &job->res->dkim[q->index];
	struct txt_records recs;
	enum dns_result r;

	txt_records_init(&recs);
	r = txt_parse_answer(status, abuf, alen, &recs);
	lookup_done(&d->lookup, q, r);
	dkim_key_select(&recs, &d->key);
	if (!dns_answered(r)) {
		/* Not "no record": whether there is a key is not known. */
		d->key.reason = r == DNS_BUDGET ? "dns_budget" : "dns_error";
		ostr_set(&d->key.message, ostr_printf(DKIM_MESSAGE_MAX,
		    "lookup failed: %s", dns_result_name(r)));
	}
	if (recs.n > 0)
		d->raw = ostr_share(txt_printable_copy(&recs.recs[0]));
	txt_records_free(&recs);
}

/* --- DMARC -------------------------------------------------------------- */

static void
dmarc_auth_answer(struct records_job *job, struct rq *q, int status,
    const unsigned char *abuf, int alen)
{
	struct dmarc_destination *dd = &job->res->dmarc_dests[q->index];
	struct txt_records recs;
	enum dns_result r;

	txt_records_init(&recs);
	r = txt_parse_answer(status, abuf, alen, &recs);
	lookup_done(&dd->lookup, q, r);
	if (r == DNS_OK || r == DNS_NXDOMAIN || r == DNS_NODATA)
		dd->authorized = r == DNS_OK && dmarc_report_auth_ok(&recs);
	txt_records_free(&recs);
}

/* RFC 7489 7.1: an external report destination must agree. */
static void
dmarc_check_destinations(struct records_job *job)
{
	struct records_result *res = job->res;
	const struct dmarc_record *d = &res->dmarc;

	res->dmarc_dests = d->n_rua ? xcalloc(d->n_rua,
	    sizeof(*res->dmarc_dests)) : NULL;
	for (size_t i = 0; i < d->n_rua; i++) {
		struct dmarc_destination *dd;
		char name[300];
		int ext;

		if (d->rua[i].domain == NULL)
			continue;
		for (size_t j = 0; j < res->n_dmarc_dests; j++)
			if (strcmp(res->dmarc_dests[j].domain,
			    d->rua[i].domain) == 0)
				goto next;
		dd = &res->dmarc_dests[res->n_dmarc_dests];
		dd->domain = d->rua[i].domain;	/* taken: the lists go */
		d->rua[i].domain = NULL;
		dd->authorized = -1;
		ext = dmarc_destination_is_external(res->dmarc_domain,
		    dd->domain);
		dd->external = ext == 1;
		if (dd->external && dmarc_report_auth_name(res->dmarc_domain,
		    dd->domain, name, sizeof(name)) == 0)
			send_question(job, name, ns_t_txt, res->n_dmarc_dests,
			    dmarc_auth_answer);
		res->n_dmarc_dests++;
next:		;
	}
	list_fit((void **)&res->dmarc_dests, d->n_rua, res->n_dmarc_dests,
	    sizeof(*res->dmarc_dests));
	dmarc_record_drop_lists(&res->dmarc);
}

static void dmarc_answer(struct records_job *job, struct rq *q, int status,
    const unsigned char *abuf, int alen);

static void
dmarc_answer(struct records_job *job, struct rq *q, int status,
    const unsigned char *abuf, int alen)
{
	struct records_result *res = job->res;
	struct txt_records recs;
	char org[256], name[300];
	enum dns_result r;
	int fall_back;

	txt_records_init(&recs);
	r = txt_parse_answer(status, abuf, alen, &recs);
	if (!res->dmarc_from_org)
		lookup_done(&res->dmarc_lookup, q, r);
	dmarc_select(&recs, &res->dmarc);
	if (!dns_answered(r)) {
		/* Not "no record": whether there is one is not known. */
		res->dmarc_failure = r;
		res->dmarc.reason = r == DNS_BUDGET ? "dns_budget" :
		    "dns_error";
		ostr_set(&res->dmarc.message, ostr_printf(DMARC_MESSAGE_MAX,
		    "lookup at %.200s failed: %s", res->dmarc_domain,
		    dns_result_name(r)));
	}
	free(res->dmarc_raw);
	res->dmarc_raw = res->dmarc.present ?
	    txt_printable_copy(&recs.recs[res->dmarc.selected]) : NULL;
	txt_records_free(&recs);
	if (!res->dmarc_from_org && res->dmarc.near_miss) {
		res->dmarc_near_miss = 1;
		ostr_set(&res->dmarc_near_miss_message,
		    ostr_cut(res->dmarc.message, RECORDS_TEXT_MAX));
	}
	/* The organisational domain's record applies when the domain has
	 * none (RFC 7489 6.6.3), with sp for the subdomain.  Only a record
	 * starting exactly with v=DMARC1 is one: receivers ignore a near
	 * miss, which is the result only where there is nothing to fall
	 * back to. */
	fall_back = !res->dmarc_from_org && dns_answered(r) &&
	    org_domain(job->domain, org, sizeof(org)) == 0 &&
	    strcmp(org, job->domain) != 0;
	if (res->dmarc.present && !(res->dmarc.near_miss && fall_back)) {
		dmarc_check_destinations(job);
		return;
	}
	if (fall_back) {
		free(res->dmarc_raw);
		res->dmarc_raw = NULL;
		dmarc_record_free(&res->dmarc);
		res->dmarc_from_org = 1;
		ostr_set(&res->dmarc_domain, ostr_cut(org, RECORDS_TEXT_MAX));
		snprintf(name, sizeof(name), "_dmarc.%s", org);
		send_question(job, name, ns_t_txt, 0, dmarc_answer);
	}
}

/* --- the job ------------------------------------------------------------ */

static void
add_check_addr(struct records_job *job, const char *addr,
    enum spf_check_source source)
{
	for (size_t i = 0; i < job->n_check_addrs; i++)
		if (strcmp(job->check_addrs[i], addr) == 0)
			return;
	if (job->n_check_addrs >= MAX_SPF_CHECKS)
		return;
	job->check_addrs[job->n_check_addrs] = xstrdup(addr);
	job->check_sources[job->n_check_addrs++] = source;
}

/* The first answers may come inside send_question() (a c-ares failure, a cache
 * hit): the job is held open until the next loop pass, so that it never
 * ends before its caller has the handle records_start() returns. */
static void
hold_release(evutil_socket_t fd, short what, void *arg)
{
	struct records_job *job = arg;

	(void)fd;
	(void)what;
	job_hold_drop(&job->hold_ev);
	job_release(job);
}

struct records_job *
records_start(struct dns *dns, const struct records_params *p,
    records_done_cb cb, void *arg)
{
	struct records_job *job = xcalloc(1, sizeof(*job));
	struct records_result *res = records_result_new(p->domain);
	char name[300];

	job->dns = dns;
	job->send = p->send;
	job->send_arg = p->send_arg;
	job->cb = cb;
	job->arg = arg;
	job->domain = xstrdup(p->domain);
	job->res = res;
	txt_records_init(&job->spf_txt);
	job->check_addrs = xcalloc(MAX_SPF_CHECKS, sizeof(char *));
	job->check_sources = xcalloc(MAX_SPF_CHECKS,
	    sizeof(*job->check_sources));
	for (size_t i = 0; i < p->n_expect_pass; i++)
		add_check_addr(job, p->expect_pass[i], SPF_CHECK_CONFIG);
	for (size_t i = 0; i < p->n_mx_addresses; i++)
		add_check_addr(job, p->mx_addresses[i], SPF_CHECK_MX);

	job->pending++;		/* the hold, released by hold_release() */
	send_question(job, p->domain, ns_t_txt, 0, spf_txt_answer);
	snprintf(name, sizeof(name), "_dmarc.%s", p->domain);
	send_question(job, name, ns_t_txt, 0, dmarc_answer);
	res->dkim = p->n_selectors ? xcalloc(p->n_selectors,
	    sizeof(*res->dkim)) : NULL;
	res->n_dkim = (uint16_t)p->n_selectors;	/* MAX_SELECTORS */
	for (size_t i = 0; i < p->n_selectors; i++) {
		res->dkim[i].selector = xstrdup(p->selectors[i]);
		res->dkim[i].key.message = ostr_empty;
		snprintf(name, sizeof(name), "%s._domainkey.%s",
		    p->selectors[i], p->domain);
		send_question(job, name, ns_t_txt, i, dkim_answer);
	}
	job_hold_arm(&job->hold_ev, p->base, hold_release, job, "records_oom");
	return job;
}

void
records_cancel(struct records_job *job)
{
	job->cancelled = 1;
	if (job_hold_drop(&job->hold_ev))
		job->pending--;
	if (job->pending == 0)
		job_free(job);
}

struct records_result *
records_result_new(const char *domain)
{
	struct records_result *res = xcalloc(1, sizeof(*res));

	res->spf_all = -1;
	res->spf_message = ostr_empty;
	res->dmarc_domain = ostr_cut(domain, RECORDS_TEXT_MAX);
	res->dmarc_near_miss_message = ostr_empty;
	res->dmarc.message = ostr_empty;
	return res;
}

void
records_result_free(struct records_result *res)
{
	if (res == NULL)
		return;
	ostr_free(res->spf_message);
	ostr_unshare(res->spf_raw);
	for (size_t i = 0; i < res->n_spf_checks; i++)
		free(res->spf_checks[i].address);
	free(res->spf_checks);
	for (size_t i = 0; i < res->n_dkim; i++) {
		free(res->dkim[i].selector);
		ostr_unshare(res->dkim[i].raw);
		dkim_key_free(&res->dkim[i].key);
	}
	free(res->dkim);
	dmarc_record_free(&res->dmarc);
	ostr_free(res->dmarc_domain);
	free(res->dmarc_raw);
	ostr_free(res->dmarc_near_miss_message);
	for (size_t i = 0; i < res->n_dmarc_dests; i++)
		free(res->dmarc_dests[i].domain);
	free(res->dmarc_dests);
	free(res);
}

size_t
records_result_bytes(const struct records_result *res)
{
	const struct dmarc_record *d;
	size_t n;

	if (res == NULL)
		return 0;
	d = &res->dmarc;
	n = sizeof(*res) + ostr_bytes(res->spf_message) +
	    ostr_share_bytes(res->spf_raw) + ostr_bytes(res->dmarc_domain) +
	    ostr_bytes(res->dmarc_raw) +
	    ostr_bytes(res->dmarc_near_miss_message) +
	    ostr_bytes(d->message);
	n += res->n_spf_checks * sizeof(*res->spf_checks);
	for (size_t i = 0; i < res->n_spf_checks; i++)
		n += ostr_bytes(res->spf_checks[i].address);
	n += res->n_dkim * sizeof(*res->dkim);
	for (size_t i = 0; i < res->n_dkim; i++)
		n += ostr_bytes(res->dkim[i].selector) +
		    ostr_share_bytes(res->dkim[i].raw) +
		    ostr_bytes(res->dkim[i].key.message);
	n += res->n_dmarc_dests * sizeof(*res->dmarc_dests);
	for (size_t i = 0; i < res->n_dmarc_dests; i++)
		n += ostr_bytes(res->dmarc_dests[i].domain);
	/* the lists, when still there (a job's result in the making) */
	if (d->rua != NULL)
		for (size_t i = 0; i < d->n_rua; i++)
			n += sizeof(*d->rua) + ostr_bytes(d->rua[i].uri) +
			    ostr_bytes(d->rua[i].domain);
	if (d->ruf != NULL)
		for (size_t i = 0; i < d->n_ruf; i++)
			n += sizeof(*d->ruf) + ostr_bytes(d->ruf[i].uri) +
			    ostr_bytes(d->ruf[i].domain);
	if (d->unknown_tags != NULL)
		for (size_t i = 0; i < d->n_unknown_tags; i++)
			n += sizeof(*d->unknown_tags) +
			    ostr_bytes(d->unknown_tags[i]);
	return n;
}

const char *
spf_check_source_name(int source)
{
	return source == SPF_CHECK_CONFIG ? "config" : "mx";
}

int
records_spf_valid(const struct records_result *res)
{
	if (res->spf_temperror)
		return -1;
	return res->spf_valid && res->spf_reason == NULL;
}

enum dmarc_policy
records_dmarc_policy(const struct records_result *res)
{
	const struct dmarc_record *d = &res->dmarc;

	if (!d->present || d->multiple_records || d->near_miss ||
	    d->policy == DMARC_POLICY_UNSET)
		return DMARC_POLICY_UNSET;
	return res->dmarc_from_org ? d->subdomain_policy : d->policy;
}

const char *
spf_qualifier_name(int q)
{
	switch (q) {
	case SPF_QUAL_PASS:
		return "pass";
	case SPF_QUAL_FAIL:
		return "fail";
	case SPF_QUAL_SOFTFAIL:
		return "softfail";
	case SPF_QUAL_NEUTRAL:
		return "neutral";
	default:
		return "none";
	}
}
