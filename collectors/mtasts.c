/* The MTA-STS / TLS-RPT job of one domain (mtasts.h).
 *
 *	LOOKUP --(TXT _mta-sts, TXT _smtp._tls, A and AAAA of mta-sts.<d>)-->
 *	FETCH  --(a policy to fetch: one v=STSv1 record and an address)-->
 *	DONE   (the callback, then the job is freed)
 *
 * LOOKUP goes straight to DONE when there is nothing to fetch.  Every DNS
 * answer may arrive inside the call that asked (a cache hit, a synchronous
 * failure), so a state is left only when no answer is outstanding and no
 * frame of ours is on the stack (job->depth), and the callback never runs
 * inside mtasts_start(): the start itself holds the job until the next
 * loop pass (hold_ev). */
#include <arpa/nameser.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include "collectors/hold.h"
#include "collectors/mtasts.h"
#include "base/log.h"

enum mtasts_state {
	MTASTS_LOOKUP,
	MTASTS_FETCH,
	MTASTS_DONE,
	MTASTS__COUNT
};

static const char *const state_names[MTASTS__COUNT] = {
	[MTASTS_LOOKUP] = "lookup",
	[MTASTS_FETCH] = "fetch",
	[MTASTS_DONE] = "done",
};
_Static_assert(ARRAY_LEN(state_names) == MTASTS__COUNT, "a name per state");

#define MTASTS_ADDR_MAX	8	/* addresses of the policy host tried */

_Static_assert(DNS__COUNT <= 255, "a dns_result is a byte");
_Static_assert(FETCH__COUNT <= 255, "a fetch_class is a byte");

struct mtasts_job {
	enum mtasts_state state;
	struct event	*hold_ev;
	records_send_fn	 send;
	void		*send_arg;
	struct fetch_engine *engine;
	struct fetch	*fetch;
	mtasts_done_cb	 cb;
	void		*arg;
	int		 cancelled;
	unsigned	 pending;	/* DNS questions and the hold */
	unsigned	 depth;		/* our frames on the stack */
	char		*domain;
	char		*policy_host;	/* mta-sts.<domain> */
	char		*ca_file;
	unsigned	 timeout_ms;
	char		*addrs[MTASTS_ADDR_MAX];
	size_t		 n_addrs;
	int		 reach_checked;
	int		 urgent;		/* mtasts_params.urgent */
	struct cidr	*allow_cidrs;	/* a copy: a reload frees the config's */
	size_t		 n_allow_cidrs;
	char		 refused[160];	/* why an address was left out */
	struct mtasts_result *res;
};

/* One DNS question in flight; freed by its callback. */
struct mq {
	struct mtasts_job *job;
	void		(*done)(struct mtasts_job *, struct mq *, int status,
			    const unsigned char *abuf, int alen);
	int		 type;
	uint64_t	 started_ms;
};

static void job_advance(struct mtasts_job *job);

static void
job_free(struct mtasts_job *job)
{
	job_hold_drop(&job->hold_ev);
	if (job->fetch)
		fetch_cancel(job->fetch);
	for (size_t i = 0; i < job->n_addrs; i++)
		free(job->addrs[i]);
	mtasts_result_free(job->res);
	free(job->domain);
	free(job->policy_host);
	free(job->ca_file);
	free(job->allow_cidrs);
	free(job);
}

static uint32_t
ms_clamp(uint64_t ms)
{
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

static void
lookup_note(struct mtasts_lookup *li, const struct mq *q, enum dns_result r)
{
	li->done = 1;
	li->result = (unsigned char)r;
	li->duration_ms = ms_clamp(now_ms() - q->started_ms);
}

void
mtasts_lookup_info(const struct mtasts_lookup *l, struct dns_lookup_info *out)
{
	out->done = l->done;
	out->result = (enum dns_result)l->result;
	out->duration_s = (double)l->duration_ms / 1000.0;
}

static void
mq_answer(void *arg, int status, const unsigned char *abuf, int alen)
{
	struct mq *q = arg;
	struct mtasts_job *job = q->job;

	job->depth++;
	job->pending--;
	if (!job->cancelled && status != ARES_EDESTRUCTION)
		q->done(job, q, status, abuf, alen);
	free(q);
	job->depth--;
	job_advance(job);
}

static void
send_question(struct mtasts_job *job, const char *name, int type,
    void (*done)(struct mtasts_job *, struct mq *, int,
    const unsigned char *, int))
{
	struct mq *q = xcalloc(1, sizeof(*q));

	q->job = job;
	q->done = done;
	q->type = type;
	q->started_ms = now_ms();
	job->pending++;
	job->send(job->send_arg, name, type, mq_answer, q, &q->started_ms);
}

/* The TXT answer of one of the two records: selected, parsed, the raw
 * record kept for display.  A lookup that failed is "dns", never "no
 * record". */
static void
txt_answer(struct mtasts_job *job, struct mq *q, int status,
    const unsigned char *abuf, int alen, int rpt)
{
	struct mtasts_result *res = job->res;
	const char *version = rpt ? "v=TLSRPTv1" : "v=STSv1";
	struct txt_records recs;
	char **raw, msg[STS_MESSAGE_MAX + 1];
	enum dns_result r;

	txt_records_init(&recs);
	r = txt_parse_answer(status, abuf, alen, &recs);
	lookup_note(rpt ? &res->rpt_lookup : &res->record_lookup, q, r);
	if (r != DNS_OK && r != DNS_NXDOMAIN && r != DNS_NODATA)
		snprintf(msg, sizeof(msg), "the %s lookup failed: %s",
		    rpt ? "_smtp._tls" : "_mta-sts", dns_result_name(r));
	else
		msg[0] = '\0';
	if (rpt) {
		tlsrpt_record_free(&res->rpt);
		tlsrpt_record_select(&recs, &res->rpt);
		if (msg[0] != '\0')
			tlsrpt_record_set_reason(&res->rpt, STS_DNS, msg);
		raw = &res->rpt_raw;
	} else {
		sts_record_free(&res->record);
		sts_record_select(&recs, &res->record);
		if (msg[0] != '\0')
			sts_record_set_reason(&res->record, STS_DNS, msg);
		raw = &res->record_raw;
	}
	for (size_t i = 0; i < recs.n && *raw == NULL; i++)
		if (strncmp(recs.recs[i].text.data, version,
		    strlen(version)) == 0)
			*raw = txt_printable_copy(&recs.recs[i]);
	txt_records_free(&recs);
}

static void
sts_txt_answer(struct mtasts_job *job, struct mq *q, int status,
    const unsigned char *abuf, int alen)
{
	txt_answer(job, q, status, abuf, alen, 0);
}

static void
rpt_txt_answer(struct mtasts_job *job, struct mq *q, int status,
    const unsigned char *abuf, int alen)
{
	txt_answer(job, q, status, abuf, alen, 1);
}

static void
host_addr_answer(struct mtasts_job *job, struct mq *q, int status,
    const unsigned char *abuf, int alen)
{
	struct dns_addr *addrs = NULL;
	size_t n = 0;
	char text[INET6_ADDRSTRLEN];

	if (status != ARES_SUCCESS)
		return;
	if (dns_parse_addrs(q->type, abuf, alen, &addrs, &n) == DNS_OK) {
		for (size_t i = 0; i < n && job->n_addrs < MTASTS_ADDR_MAX; i++) {
			struct addr a;

			if (inet_ntop(addrs[i].family, &addrs[i].u, text,
			    sizeof(text)) == NULL || addr_parse_ip(text, &a) == -1)
				continue;
			/* curl connects to exactly these (CURLOPT_RESOLVE):
			 * judged here, nothing can rebind them later */
			if (job->reach_checked && addr_special_refused(&a,
			    job->allow_cidrs, job->n_allow_cidrs, job->refused,
			    sizeof(job->refused)) != NULL)
				continue;
			job->addrs[job->n_addrs++] = xstrdup(text);
		}
	}
	free(addrs);
}

/* --- the policy --------------------------------------------------------- */

int
mtasts_content_type_ok(const char *ct)
{
	static const char want[] = "text/plain";
	size_t n = sizeof(want) - 1;

	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* The fetch part, made when a fetch is attempted (or could not be). */
static struct mtasts_fetch *
fetch_part(struct mtasts_result *res)
{
	if (res->fetch == NULL) {
		res->fetch = xcalloc(1, sizeof(*res->fetch));
		res->fetch->policy.mode = STS_MODE_UNSET;
	}
	res->fetch_attempted = 1;
	return res->fetch;
}

static void
policy_fail(struct mtasts_result *res, enum sts_reason r, const char *msg)
{
	struct sts_policy *p = &fetch_part(res)->policy;

	p->reason = (unsigned char)r;
	sts_message_set(&p->message, msg, MTASTS_POLICY_MESSAGE_MAX);
}

static enum sts_reason
reason_of_fetch(enum fetch_class c)
{
	switch (c) {
	case FETCH_OK:		return STS_OK;
	case FETCH_CONN:	return STS_FETCH_CONN;
	case FETCH_TLS:		return STS_FETCH_TLS;
	case FETCH_CERT:	return STS_FETCH_CERT;
	case FETCH_TIMEOUT:	return STS_FETCH_TIMEOUT;
	case FETCH_TOO_LARGE:	return STS_TOO_LARGE;
	case FETCH_PROTOCOL:
	case FETCH_INTERNAL:
	case FETCH__COUNT:	break;
	}
	return STS_FETCH_PROTOCOL;
}

static void
policy_fetched(const struct fetch_result *fr, void *arg)
{
	struct mtasts_job *job = arg;
	struct mtasts_result *res = job->res;
	struct mtasts_fetch *f = fetch_part(res);
	char msg[MTASTS_POLICY_MESSAGE_MAX + 1];

	job->fetch = NULL;
	f->fetch_class = (unsigned char)fr->cls;
	f->http_status = (int16_t)(fr->status < 0 ? 0 :
	    fr->status > INT16_MAX ? INT16_MAX : fr->status);
	/* duration_s is whole milliseconds over 1000 (https_fetch.c) */
	f->duration_ms = fr->duration_s > 0 ?
	    ms_clamp((uint64_t)llround(fr->duration_s * 1000.0)) : 0;
	f->cert_not_after = fr->cert_not_after;
	if (fr->cls != FETCH_OK) {
		policy_fail(res, reason_of_fetch(fr->cls), fr->message);
	} else if (fr->status >= 300 && fr->status < 400) {
		snprintf(msg, sizeof(msg), "HTTP %ld: a redirect, which senders"
		    " must not follow", fr->status);
		policy_fail(res, STS_FETCH_REDIRECT, msg);
	} else if (fr->status != 200) {
		snprintf(msg, sizeof(msg), "HTTP %ld instead of 200", fr->status);
		policy_fail(res, STS_FETCH_STATUS, msg);
	} else {
		res->fetch_success = 1;
		if (!mtasts_content_type_ok(fr->content_type)) {
			snprintf(msg, sizeof(msg), "Content-Type is \"%.100s\","
			    " not text/plain", fr->content_type);
			policy_fail(res, STS_CONTENT_TYPE, msg);
		} else {
			/* its reason and message are the policy's verdict */
			sts_policy_free(&f->policy);
			sts_policy_parse(fr->body.data ? fr->body.data : "",
			    fr->body.len, &f->policy);
		}
	}
	log_debug("mtasts_fetched", "domain=%s class=%s status=%ld reason=%s",
	    job->domain, fetch_class_name(fr->cls), fr->status,
	    sts_reason_name(mtasts_policy_reason(res)));
	job_advance(job);
}

/* --- states --------------------------------------------------------------- */

static void
state_enter(struct mtasts_job *job, enum mtasts_state next)
{
	struct mtasts_result *res = job->res;

	log_debug("mtasts_state", "domain=%s from=%s to=%s", job->domain,
	    state_names[job->state], state_names[next]);
	job->state = next;
	switch (next) {
	case MTASTS_LOOKUP:
		break;
	case MTASTS_FETCH: {
		struct fetch_params fp;

		memset(&fp, 0, sizeof(fp));
		fp.host = job->policy_host;
		fp.port = 443;
		fp.path = "/.well-known/mta-sts.txt";
		fp.addresses = (const char *const *)job->addrs;
		fp.n_addresses = job->n_addrs;
		fp.ca_file = job->ca_file;
		fp.timeout_ms = job->timeout_ms;
		fp.max_body = STS_POLICY_MAX;
		fp.urgent = job->urgent;
		(void)fetch_part(res);
		job->fetch = fetch_start(job->engine, &fp, policy_fetched, job);
		break;
	}
	case MTASTS_DONE:
		if (!job->cancelled) {
			job->res = NULL;
			job->cb(res, job->arg);
		}
		job_free(job);
		break;
	case MTASTS__COUNT:
		abort();
	}
}

/* Leaves the current state when its work is done. */
static void
job_advance(struct mtasts_job *job)
{
	struct mtasts_result *res = job->res;

	if (job->depth > 0 || job->pending > 0)
		return;
	if (job->cancelled) {
		if (job->fetch == NULL)
			job_free(job);
		return;
	}
	switch (job->state) {
	case MTASTS_LOOKUP:
		/* A policy is fetched when one STS record exists (valid or
		 * not, so a broken record still shows what the policy host
		 * serves) and mta-sts.<domain> has an address. */
		if (res->sts_checked && res->record.present &&
		    res->record.reason != STS_MULTIPLE_RECORDS) {
			if (job->n_addrs == 0 && job->refused[0] != '\0') {
				policy_fail(res, STS_NOT_ALLOWED, job->refused);
				state_enter(job, MTASTS_DONE);
			} else if (job->n_addrs == 0) {
				policy_fail(res, STS_FETCH_CONN,
				    "the policy host has no address");
				state_enter(job, MTASTS_DONE);
			} else {
				state_enter(job, MTASTS_FETCH);
			}
		} else {
			state_enter(job, MTASTS_DONE);
		}
		break;
	case MTASTS_FETCH:
		if (job->fetch == NULL)
			state_enter(job, MTASTS_DONE);
		break;
	case MTASTS_DONE:
	case MTASTS__COUNT:
		break;
	}
}

static void
hold_release(evutil_socket_t fd, short what, void *arg)
{
	struct mtasts_job *job = arg;

	(void)fd;
	(void)what;
	job_hold_drop(&job->hold_ev);
	job->pending--;
	job_advance(job);
}

struct mtasts_job *
mtasts_start(const struct mtasts_params *p, mtasts_done_cb cb, void *arg)
{
	struct mtasts_job *job = xcalloc(1, sizeof(*job));
	struct mtasts_result *res = xcalloc(1, sizeof(*res));
	char name[300];

	job->state = MTASTS_LOOKUP;
	job->send = p->send;
	job->send_arg = p->send_arg;
	job->engine = p->fetch;
	job->cb = cb;
	job->arg = arg;
	job->domain = xstrdup(p->domain);
	job->ca_file = p->ca_file ? xstrdup(p->ca_file) : NULL;
	job->timeout_ms = p->timeout_ms;
	job->reach_checked = p->reach_checked;
	job->urgent = p->urgent;
	if (p->reach_checked && p->n_allow_cidrs > 0) {
		job->allow_cidrs = xcalloc(p->n_allow_cidrs,
		    sizeof(*job->allow_cidrs));
		memcpy(job->allow_cidrs, p->allow_cidrs,
		    p->n_allow_cidrs * sizeof(*job->allow_cidrs));
		job->n_allow_cidrs = p->n_allow_cidrs;
	}
	job->res = res;
	res->sts_checked = p->sts != 0;
	res->rpt_checked = p->rpt != 0;
	snprintf(name, sizeof(name), "mta-sts.%s", p->domain);
	job->policy_host = xstrdup(name);

	job->pending++;		/* the hold, released by hold_release() */
	job->depth++;
	if (p->sts) {
		snprintf(name, sizeof(name), "_mta-sts.%s", p->domain);
		send_question(job, name, ns_t_txt, sts_txt_answer);
		send_question(job, job->policy_host, ns_t_a, host_addr_answer);
		send_question(job, job->policy_host, ns_t_aaaa,
		    host_addr_answer);
	}
	if (p->rpt) {
		snprintf(name, sizeof(name), "_smtp._tls.%s", p->domain);
		send_question(job, name, ns_t_txt, rpt_txt_answer);
	}
	job->depth--;
	job_hold_arm(&job->hold_ev, p->base, hold_release, job, "mtasts_oom");
	return job;
}

void
mtasts_cancel(struct mtasts_job *job)
{
	job->cancelled = 1;
	if (job->fetch != NULL) {
		fetch_cancel(job->fetch);
		job->fetch = NULL;
	}
	if (job_hold_drop(&job->hold_ev))
		job->pending--;
	if (job->pending == 0 && job->depth == 0)
		job_free(job);
}

void
mtasts_result_free(struct mtasts_result *res)
{
	if (res == NULL)
		return;
	free(res->record_raw);
	free(res->rpt_raw);
	sts_record_free(&res->record);
	tlsrpt_record_free(&res->rpt);
	if (res->fetch != NULL)
		sts_policy_free(&res->fetch->policy);
	free(res->fetch);
	free(res);
}

static size_t
str_bytes(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

size_t
mtasts_result_bytes(const struct mtasts_result *r)
{
	size_t n;

	if (r == NULL)
		return 0;
	n = sizeof(*r) + str_bytes(r->record_raw) + str_bytes(r->rpt_raw) +
	    str_bytes(r->record.id) + str_bytes(r->record.message) +
	    str_bytes(r->rpt.message);
	if (r->fetch != NULL)
		n += sizeof(*r->fetch) +
		    sts_policy_heap_bytes(&r->fetch->policy);
	return n;
}

static const struct sts_policy no_policy = { .mode = STS_MODE_UNSET };

const struct sts_policy *
mtasts_policy(const struct mtasts_result *r)
{
	return r->fetch != NULL ? &r->fetch->policy : &no_policy;
}

enum sts_reason
mtasts_policy_reason(const struct mtasts_result *r)
{
	return (enum sts_reason)mtasts_policy(r)->reason;
}

const char *
mtasts_policy_message(const struct mtasts_result *r)
{
	const char *m = mtasts_policy(r)->message;

	return m != NULL ? m : "";
}

enum mtasts_mx
mtasts_mx_verdict(const struct mtasts_result *r, const char *mx_host,
    int certs_verified)
{
	const struct sts_policy *p;

	if (r == NULL)
		return MTASTS_MX_NO_POLICY;
	p = mtasts_policy(r);
	if (!r->record.valid || p->reason != STS_OK || !p->valid ||
	    p->mode == STS_MODE_NONE)
		return MTASTS_MX_NO_POLICY;
	if (!sts_policy_covers(p, mx_host))
		return MTASTS_MX_NOT_COVERED;
	if (certs_verified < 0)
		return MTASTS_MX_UNKNOWN;
	return certs_verified ? MTASTS_MX_COMPLIANT : MTASTS_MX_CERT_FAILS;
}
