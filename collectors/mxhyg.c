#include "collectors/mxhyg.h"
#include "collectors/hold.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "base/addr.h"
#include "base/log.h"
#include "base/util.h"

static const char *const mx_error_names[MX_ERR__COUNT] = {
	[MX_ERR_CNAME] = "cname",
	[MX_ERR_IP_LITERAL] = "ip_literal",
	[MX_ERR_NO_ADDRESS] = "no_address",
	[MX_ERR_NULL_MX_MIXED] = "null_mx_mixed",
	[MX_ERR_TOO_MANY] = "too_many_mx",
};
_Static_assert(sizeof(mx_error_names) / sizeof(mx_error_names[0]) ==
    MX_ERR__COUNT, "mx error names");

const char *
mx_error_name(enum mx_error e)
{
	return (unsigned)e < MX_ERR__COUNT ? mx_error_names[e] : "unknown";
}

/* What a question asks; each answer moves its host or address on. */
enum mxq_kind {
	MXQ_CNAME,	/* host: is it an alias? */
	MXQ_CAA,	/* host: CAA at caa_name, climbing */
	MXQ_PTR,	/* address: its PTR names */
	MXQ_FORWARD,	/* address: one PTR name's A or AAAA */
};

/* Where an address's FCrDNS stands. */
enum addr_state {
	ADDR_PTR,	/* the PTR question is out */
	ADDR_FORWARD,	/* the PTR names' address questions are out */
	ADDR_DONE,
};

struct mxhyg_job {
	struct event	*hold_ev;	/* holds the job open past mxhyg_start() */
	records_send_fn	 send;
	void		*send_arg;
	mxhyg_done_cb	 cb;
	void		*arg;
	int		 cancelled;
	unsigned	 pending;	/* questions in flight, and the holds */
	struct mxhyg_result *res;
	enum addr_state	*addr_state;
	unsigned	*fwd_pending;	/* per address */
	int		*fwd_failed;	/* per address: a forward lookup failed */
};

struct mxq {
	struct mxhyg_job *job;
	enum mxq_kind	 kind;
	size_t		 index;		/* host or address */
	size_t		 name;		/* MXQ_FORWARD: which PTR name */
	uint64_t	 sent_ms;
};

static void
job_maybe_done(struct mxhyg_job *job)
{
	if (job->pending > 0)
		return;
	if (!job->cancelled)
		job->cb(job->res, job->arg);
	else
		mxhyg_result_free(job->res);
	job_hold_drop(&job->hold_ev);
	free(job->addr_state);
	free(job->fwd_pending);
	free(job->fwd_failed);
	free(job);
}

static void
job_release(struct mxhyg_job *job)
{
	job->pending--;
	job_maybe_done(job);
}

static void answer(void *arg, int status, const unsigned char *abuf,
    int alen);

static void
send_question(struct mxhyg_job *job, const char *name, int type, enum mxq_kind kind,
    size_t index, size_t sub)
{
	struct mxq *q = xcalloc(1, sizeof(*q));

	q->job = job;
	q->kind = kind;
	q->index = index;
	q->name = sub;
	job->pending++;
	job->send(job->send_arg, name, type, answer, q, &q->sent_ms);
}

int
mxhyg_reverse_name(const char *text, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	struct addr a;
	size_t o = 0;

	if (addr_parse_ip(text, &a) == -1 || outlen < 74)
		return -1;
	if (a.family == AF_INET) {
		snprintf(out, outlen, "%u.%u.%u.%u.in-addr.arpa", a.a[3], a.a[2],
		    a.a[1], a.a[0]);
		return 0;
	}
	for (int i = 15; i >= 0; i--) {
		out[o++] = hex[a.a[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[a.a[i] >> 4];
		out[o++] = '.';
	}
	memcpy(out + o, "ip6.arpa", 9);
	return 0;
}

const char *
mxhyg_caa_parent(const char *name)
{
	const char *dot = strchr(name, '.');

	return (dot != NULL && dot[1] != '\0') ? dot + 1 : NULL;
}

_Static_assert(MXHYG_PTR_NAMES_MAX <= 127, "n_ptr_names, matched fit");

static void
finding_add(struct mxhyg_result *res, enum mx_error reason, const char *host)
{
	res->findings = xreallocarray(res->findings, res->n_findings + 1,
	    sizeof(*res->findings));
	res->findings[res->n_findings].reason = reason;
	res->findings[res->n_findings].host = host;
	res->n_findings++;
}

/* The CNAME answer: an alias when it holds a CNAME record. */
static void
cname_answered(struct mxhyg_job *job, size_t h, int status,
    const unsigned char *abuf, int alen)
{
	struct mxhyg_host *host = &job->res->hosts[h];
	int n;

	if (status != ARES_SUCCESS) {
		host->cname = dns_answered(dns_classify(status)) ? 0 : -1;
		return;
	}
	n = dns_each_rdata(abuf, alen, ns_t_cname, NULL, NULL);
	host->cname = n < 0 ? -1 : n > 0;
	if (host->cname == 1)
		finding_add(job->res, MX_ERR_CNAME, host->host);
}

/* RFC 8659 3: the relevant RRset is the first one found from the host up;
 * a failed lookup stops the climb (not known, never "none"). */
static void
caa_answered(struct mxhyg_job *job, size_t h, int status,
    const unsigned char *abuf, int alen)
{
	struct mxhyg_host *host = &job->res->hosts[h];
	struct caa_set *set = xcalloc(1, sizeof(*set));
	enum dns_result r;
	const char *parent;

	r = (enum dns_result)caa_parse_answer(status, abuf, alen, set);
	if (r == DNS_OK) {
		host->caa_present = 1;
		host->caa = set;
		host->caa_inherited = strcasecmp(host->caa_name, host->host) != 0;
		return;
	}
	caa_set_free(set);
	free(set);
	if (r != DNS_NODATA && r != DNS_NXDOMAIN) {
		host->caa_present = -1;
		return;
	}
	if ((parent = mxhyg_caa_parent(host->caa_name)) == NULL) {
		host->caa_present = 0;
		host->caa_name = "";
		return;
	}
	host->caa_name = parent;	/* a suffix of host */
	send_question(job, host->caa_name, T_CAA, MXQ_CAA, h, 0);
}

static void
addr_finish_forward(struct mxhyg_job *job, size_t i)
{
	struct mxhyg_addr *a = &job->res->addrs[i];

	if (job->fwd_pending[i] > 0 || job->addr_state[i] == ADDR_DONE)
		return;
	job->addr_state[i] = ADDR_DONE;
	if (a->match != 1)
		a->match = job->fwd_failed[i] ? -1 : 0;
}

static void
ptr_answered(struct mxhyg_job *job, size_t i, int status,
    const unsigned char *abuf, int alen)
{
	struct mxhyg_addr *a = &job->res->addrs[i];
	char **names = NULL;
	size_t n = 0;
	enum dns_result r;

	r = status == ARES_SUCCESS ? dns_parse_ptr(abuf, alen, &names, &n) :
	    dns_classify(status);
	a->ptr_result = r;
	if (r != DNS_OK) {
		job->addr_state[i] = ADDR_DONE;
		a->match = dns_answered(r) ? 0 : -1;
		return;
	}
	for (size_t k = 0; k < n; k++) {
		const char *why;

		/* A PTR name is a host name or it names nothing to go back
		 * from; hostile ones are not asked of the DNS. */
		if (a->n_ptr_names < MXHYG_PTR_NAMES_MAX &&
		    addr_name_check(names[k], 0, &why) == 0) {
			a->ptr_names = xreallocarray(a->ptr_names,
			    a->n_ptr_names + 1, sizeof(*a->ptr_names));
			a->ptr_names[a->n_ptr_names] = xstrdup(names[k]);
			addr_name_normalize(a->ptr_names[a->n_ptr_names], 0,
			    &why);
			a->n_ptr_names++;
		}
	}
	dns_names_free(names, n);
	job->addr_state[i] = ADDR_FORWARD;
	for (size_t k = 0; k < a->n_ptr_names; k++) {
		job->fwd_pending[i]++;
		send_question(job, a->ptr_names[k], a->family == AF_INET ? ns_t_a :
		    ns_t_aaaa, MXQ_FORWARD, i, k);
	}
	addr_finish_forward(job, i);
}

/* One PTR name's addresses: the address itself among them confirms it. */
static void
forward_answered(struct mxhyg_job *job, size_t i, size_t name, int status,
    const unsigned char *abuf, int alen)
{
	struct mxhyg_addr *a = &job->res->addrs[i];
	struct dns_addr *fw = NULL;
	size_t n = 0;
	struct addr want;
	enum dns_result r;

	job->fwd_pending[i]--;
	r = status == ARES_SUCCESS ? dns_parse_addrs(a->family == AF_INET ?
	    ns_t_a : ns_t_aaaa, abuf, alen, &fw, &n) : dns_classify(status);
	if (!dns_answered(r))
		job->fwd_failed[i] = 1;
	if (addr_parse_ip(a->address, &want) == 0)
		for (size_t k = 0; k < n; k++) {
			const void *b = fw[k].family == AF_INET ?
			    (const void *)&fw[k].u.v4 : (const void *)&fw[k].u.v6;

			if (fw[k].family == want.family && memcmp(b, want.a,
			    want.family == AF_INET ? 4 : 16) == 0 &&
			    a->match != 1) {
				a->match = 1;
				a->matched = (signed char)name;
			}
		}
	free(fw);
	addr_finish_forward(job, i);
}

/* The question's own count holds the job while its handler runs. */
static void
answer(void *arg, int status, const unsigned char *abuf, int alen)
{
	struct mxq *q = arg;
	struct mxhyg_job *job = q->job;

	if (!job->cancelled && status != ARES_EDESTRUCTION)
		switch (q->kind) {
		case MXQ_CNAME:
			cname_answered(job, q->index, status, abuf, alen);
			break;
		case MXQ_CAA:
			caa_answered(job, q->index, status, abuf, alen);
			break;
		case MXQ_PTR:
			ptr_answered(job, q->index, status, abuf, alen);
			break;
		case MXQ_FORWARD:
			forward_answered(job, q->index, q->name, status, abuf,
			    alen);
			break;
		}
	else if (q->kind == MXQ_FORWARD)
		job->fwd_pending[q->index]--;
	free(q);
	job_release(job);
}

static void
hold_release(evutil_socket_t fd, short what, void *arg)
{
	struct mxhyg_job *job = arg;

	(void)fd;
	(void)what;
	job_hold_drop(&job->hold_ev);
	job_release(job);
}

/* The set's own faults, known from the MX answer and the probes' lookups. */
static void
sanity_from_answer(struct mxhyg_result *res, const struct mxhyg_params *p)
{
	int null_mx = 0, other = 0;

	for (size_t i = 0; i < p->n_mx; i++) {
		if (p->mx[i].host[0] == '\0')
			null_mx = 1;
		else
			other = 1;
	}
	if (null_mx && other)
		finding_add(res, MX_ERR_NULL_MX_MIXED, "");
	for (size_t i = 0; i < p->n_mx; i++) {
		struct addr a;

		if (p->mx[i].host[0] != '\0' && !dns_mx_host_seen(p->mx, i) &&
		    addr_parse_ip(p->mx[i].host, &a) == 0)
			finding_add(res, MX_ERR_IP_LITERAL, p->mx[i].host);
	}
}

struct mxhyg_job *
mxhyg_start(const struct mxhyg_params *p, mxhyg_done_cb cb, void *arg)
{
	struct mxhyg_job *job = xcalloc(1, sizeof(*job));
	struct mxhyg_result *res = xcalloc(1, sizeof(*res));
	size_t n_unique = 0;

	job->send = p->send;
	job->send_arg = p->send_arg;
	job->cb = cb;
	job->arg = arg;
	job->res = res;
	sanity_from_answer(res, p);
	/* as many as can be filled, never the maximum (the result stays with
	 * the check: 16 + 64 empty slots were 11 KB a domain) */
	res->hosts = xcalloc(p->n_mx < MXHYG_HOSTS_MAX ? p->n_mx :
	    MXHYG_HOSTS_MAX, sizeof(*res->hosts));
	for (size_t i = 0; i < p->n_mx; i++) {
		struct mxhyg_host *h;
		struct addr lit;

		if (p->mx[i].host[0] == '\0' || dns_mx_host_seen(p->mx, i))
			continue;
		n_unique++;
		/* the scheduler resolves the first MXHYG_HOSTS_MAX records */
		if (i >= MXHYG_HOSTS_MAX || res->n_hosts == MXHYG_HOSTS_MAX ||
		    addr_parse_ip(p->mx[i].host, &lit) == 0 ||
		    addr_is_localhost(p->mx[i].host))
			continue;
		h = &res->hosts[res->n_hosts++];
		h->host = p->mx[i].host;
		h->cname = -1;
		h->caa_present = -1;
		h->caa_name = h->host;
		for (size_t k = 0; k < p->n_addrs; k++) {
			struct addr a;

			if (strcasecmp(p->addrs[k].host, h->host) != 0 ||
			    addr_parse_ip(p->addrs[k].address, &a) == -1)
				continue;
			if (a.family == AF_INET)
				h->n_v4++;
			else
				h->n_v6++;
		}
		if (h->n_v4 + h->n_v6 == 0)
			finding_add(res, MX_ERR_NO_ADDRESS, h->host);
	}
	if (n_unique > MXHYG_MX_MAX)
		finding_add(res, MX_ERR_TOO_MANY, "");
	res->addrs = xcalloc(p->n_addrs < MXHYG_ADDRS_MAX ? p->n_addrs :
	    MXHYG_ADDRS_MAX, sizeof(*res->addrs));
	for (size_t k = 0; k < p->n_addrs && res->n_addrs < MXHYG_ADDRS_MAX;
	    k++) {
		struct mxhyg_addr *a;
		struct addr ad;

		if (addr_parse_ip(p->addrs[k].address, &ad) == -1)
			continue;
		a = &res->addrs[res->n_addrs++];
		a->host = p->addrs[k].host;
		a->address = p->addrs[k].address;
		a->matched = -1;
		a->family = ad.family;
		a->match = -1;
		a->ptr_result = DNS_ERROR;
	}
	job->addr_state = xcalloc(res->n_addrs + 1, sizeof(*job->addr_state));
	job->fwd_pending = xcalloc(res->n_addrs + 1, sizeof(*job->fwd_pending));
	job->fwd_failed = xcalloc(res->n_addrs + 1, sizeof(*job->fwd_failed));

	job->pending++;		/* the hold, released by hold_release() */
	for (size_t i = 0; i < res->n_hosts; i++) {
		send_question(job, res->hosts[i].host, ns_t_cname, MXQ_CNAME, i, 0);
		if (p->caa)
			send_question(job, res->hosts[i].caa_name, T_CAA, MXQ_CAA, i, 0);
	}
	for (size_t i = 0; i < res->n_addrs; i++) {
		char rev[80];

		job->addr_state[i] = ADDR_PTR;
		if (mxhyg_reverse_name(res->addrs[i].address, rev,
		    sizeof(rev)) == 0)
			send_question(job, rev, ns_t_ptr, MXQ_PTR, i, 0);
	}
	job_hold_arm(&job->hold_ev, p->base, hold_release, job, "mxhyg_oom");
	return job;
}

void
mxhyg_cancel(struct mxhyg_job *job)
{
	job->cancelled = 1;
	if (job_hold_drop(&job->hold_ev))
		job->pending--;
	if (job->pending == 0)
		job_maybe_done(job);
}

const struct mxhyg_host *
mxhyg_host_find(const struct mxhyg_result *res, const char *host)
{
	for (size_t i = 0; res != NULL && i < res->n_hosts; i++)
		if (strcasecmp(res->hosts[i].host, host) == 0)
			return &res->hosts[i];
	return NULL;
}

int
mxhyg_caa_allows(const struct mxhyg_result *res, const char *host,
    const char *ca_domain)
{
	const struct mxhyg_host *h = mxhyg_host_find(res, host);

	if (h == NULL || h->caa_present < 0)
		return -1;
	if (h->caa_present == 0)	/* no CAA: every CA may issue */
		return 1;
	return caa_set_allows(h->caa, ca_domain);
}

int
mxhyg_smtp_name_matches(const struct mxhyg_result *res, const char *host,
    const char *address, const char *name)
{
	if (name[0] == '\0')
		return 0;
	if (strcasecmp(name, host) == 0)
		return 1;
	for (size_t i = 0; res != NULL && i < res->n_addrs; i++) {
		const struct mxhyg_addr *a = &res->addrs[i];

		if (strcmp(a->address, address) != 0)
			continue;
		for (size_t k = 0; k < a->n_ptr_names; k++)
			if (strcasecmp(a->ptr_names[k], name) == 0)
				return 1;
	}
	return 0;
}

void
mxhyg_result_free(struct mxhyg_result *res)
{
	if (res == NULL || !intern_release(&res->node))
		return;
	free(res->names);
	for (size_t i = 0; i < res->n_hosts; i++)
		if (res->hosts[i].caa != NULL) {
			caa_set_free(res->hosts[i].caa);
			free(res->hosts[i].caa);
		}
	free(res->hosts);
	for (size_t i = 0; i < res->n_addrs; i++)
		dns_names_free(res->addrs[i].ptr_names,
		    res->addrs[i].n_ptr_names);
	free(res->addrs);
	free(res->findings);
	free(res);
}

size_t
mxhyg_result_bytes(const struct mxhyg_result *res)
{
	size_t n;

	if (res == NULL)
		return 0;
	n = sizeof(*res) + res->n_hosts * sizeof(*res->hosts) +
	    res->n_addrs * sizeof(*res->addrs) +
	    res->n_findings * sizeof(*res->findings);
	for (size_t i = 0; i < res->n_hosts; i++)
		if (res->hosts[i].caa != NULL)
			n += sizeof(*res->hosts[i].caa) +
			    caa_set_bytes(res->hosts[i].caa);
	for (size_t i = 0; i < res->n_addrs; i++) {
		const struct mxhyg_addr *a = &res->addrs[i];

		n += a->n_ptr_names * sizeof(*a->ptr_names);
		for (size_t k = 0; k < a->n_ptr_names; k++)
			n += strlen(a->ptr_names[k]) + 1;
	}
	return (n + res->names_len) / intern_holders(&res->node);
}

/* --- interning ------------------------------------------------------------ */

/* Over what tells results apart most: the hosts and addresses. */
static uint64_t
result_hash(const struct mxhyg_result *res)
{
	uint64_t h = INTERN_HASH_INIT;

	h = intern_hash_bytes(h, &res->n_hosts, sizeof(res->n_hosts));
	for (size_t i = 0; i < res->n_hosts; i++)
		h = intern_hash_str(h, res->hosts[i].host);
	for (size_t i = 0; i < res->n_addrs; i++)
		h = intern_hash_str(h, res->addrs[i].address);
	return h;
}

static int
hosts_equal(const struct mxhyg_host *a, const struct mxhyg_host *b)
{
	return strcmp(a->host, b->host) == 0 &&
	    strcmp(a->caa_name, b->caa_name) == 0 &&
	    caa_set_equal(a->caa, b->caa) && a->n_v4 == b->n_v4 &&
	    a->n_v6 == b->n_v6 && a->caa_present == b->caa_present &&
	    a->cname == b->cname && a->caa_inherited == b->caa_inherited;
}

static int
addrs_equal(const struct mxhyg_addr *a, const struct mxhyg_addr *b)
{
	if (strcmp(a->host, b->host) != 0 ||
	    strcmp(a->address, b->address) != 0 || a->family != b->family ||
	    a->ptr_result != b->ptr_result || a->match != b->match ||
	    a->n_ptr_names != b->n_ptr_names || a->matched != b->matched)
		return 0;
	for (size_t k = 0; k < a->n_ptr_names; k++)
		if (strcmp(a->ptr_names[k], b->ptr_names[k]) != 0)
			return 0;
	return 1;
}

/* Everything a reader can see, compared. */
static int
results_equal(const struct intern_node *na, const struct intern_node *nb)
{
	const struct mxhyg_result *a =
	    INTERN_BLOCK_CONST(na, struct mxhyg_result);
	const struct mxhyg_result *b =
	    INTERN_BLOCK_CONST(nb, struct mxhyg_result);

	if (a->n_hosts != b->n_hosts || a->n_addrs != b->n_addrs ||
	    a->n_findings != b->n_findings)
		return 0;
	for (size_t i = 0; i < a->n_hosts; i++)
		if (!hosts_equal(&a->hosts[i], &b->hosts[i]))
			return 0;
	for (size_t i = 0; i < a->n_addrs; i++)
		if (!addrs_equal(&a->addrs[i], &b->addrs[i]))
			return 0;
	for (size_t i = 0; i < a->n_findings; i++)
		if (a->findings[i].reason != b->findings[i].reason ||
		    strcmp(a->findings[i].host, b->findings[i].host) != 0)
			return 0;
	return 1;
}

/* Copies s to the end of the names block at *at; the copy. */
static const char *
name_copy(char **at, const char *s)
{
	size_t len = strlen(s) + 1;
	char *copy = *at;

	memcpy(copy, s, len);
	*at += len;
	return copy;
}

/* The result's own copies of the names it borrowed, in one block;
 * caa_name stays the same suffix of its host (or ""). */
static void
own_names(struct mxhyg_result *res)
{
	size_t len = 0;
	char *at;

	for (size_t i = 0; i < res->n_hosts; i++)
		len += strlen(res->hosts[i].host) + 1;
	for (size_t i = 0; i < res->n_addrs; i++)
		len += strlen(res->addrs[i].host) +
		    strlen(res->addrs[i].address) + 2;
	for (size_t i = 0; i < res->n_findings; i++)
		len += strlen(res->findings[i].host) + 1;
	res->names = at = xmalloc(len + 1);
	res->names_len = len + 1;
	for (size_t i = 0; i < res->n_hosts; i++) {
		struct mxhyg_host *h = &res->hosts[i];
		size_t suffix = h->caa_name[0] != '\0' ?
		    (size_t)(h->caa_name - h->host) : 0;

		h->host = name_copy(&at, h->host);
		if (h->caa_name[0] != '\0')
			h->caa_name = h->host + suffix;
	}
	for (size_t i = 0; i < res->n_addrs; i++) {
		res->addrs[i].host = name_copy(&at, res->addrs[i].host);
		res->addrs[i].address = name_copy(&at, res->addrs[i].address);
	}
	for (size_t i = 0; i < res->n_findings; i++)
		res->findings[i].host = name_copy(&at, res->findings[i].host);
}

struct mxhyg_result *
mxhyg_result_intern(struct intern_pool *pool, struct mxhyg_result *res)
{
	uint64_t h = result_hash(res);
	struct intern_node *found = intern_find(pool, h, &res->node,
	    results_equal);

	if (found != NULL) {
		mxhyg_result_free(res);
		intern_hold(found);
		return INTERN_BLOCK(found, struct mxhyg_result);
	}
	own_names(res);
	intern_insert(pool, &res->node, h);
	return res;
}
