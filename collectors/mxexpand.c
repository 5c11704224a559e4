/* The MX expansion job of one check's run (mxexpand.h).
 *
 * Every DNS answer may arrive inside the call that asked (the scheduler's
 * queue answers a spent budget at once, c-ares a failed send, the test
 * mode everything), so the job ends only when no answer is outstanding and
 * no frame of ours is on the stack (job->depth), and done_cb never runs
 * inside mxexpand_start(): the start holds the job until the next loop
 * pass (hold_ev). */
#include "collectors/mxexpand.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/log.h"
#include "base/util.h"
#include "collectors/hold.h"

enum mxexpand_state {
	MXX_MX,		/* the MX answer has not come yet */
	MXX_HOSTS,	/* address answers to come */
	MXX_DONE,
	MXX__COUNT
};

static const char *const state_names[MXX__COUNT] = {
	[MXX_MX] = "mx",
	[MXX_HOSTS] = "hosts",
	[MXX_DONE] = "done",
};
_Static_assert(ARRAY_LEN(state_names) == MXX__COUNT, "a name per state");

static const char *const role_names[MXEXPAND__COUNT] = {
	[MXEXPAND_ENDPOINT] = "endpoint",
	[MXEXPAND_MX] = "mx",
	[MXEXPAND_IMAP] = "imap",
	[MXEXPAND_POP3] = "pop3",
};
_Static_assert(ARRAY_LEN(role_names) == MXEXPAND__COUNT, "a name per role");

struct mxexpand_job {
	enum mxexpand_state state;
	struct event	*hold_ev;
	records_send_fn	 send;
	void		*send_arg;
	struct mxexpand_cbs cbs;
	void		*arg;
	int		 cancelled;
	unsigned	 pending;	/* DNS questions and the hold */
	unsigned	 depth;		/* our frames on the stack */
	char		*domain;	/* NULL: no MX asked */
	char		 log_id[300];	/* target=... (quoted) */
	int		 v4, v6;
	uint64_t	 mx_sent_ms;
	struct dns_mx	*mx;
	size_t		 n_mx;
	struct mxexpand_result *res;
};

/* The A and AAAA questions of one host; freed by the second answer. */
struct host_lookup {
	struct mxexpand_job *job;
	enum mxexpand_role role;
	char		*name;
	unsigned	 pending;	/* answers to come */
	struct dns_addr	*addrs;
	size_t		 n_addrs;
	enum dns_result	 v4, v6;
};

static void job_advance(struct mxexpand_job *job);

const char *
mxexpand_role_name(enum mxexpand_role r)
{
	return (unsigned)r < MXEXPAND__COUNT ? role_names[r] : "?";
}

static void
job_free(struct mxexpand_job *job)
{
	job_hold_drop(&job->hold_ev);
	dns_mx_free(job->mx, job->n_mx);
	mxexpand_result_free(job->res);
	free(job->domain);
	free(job);
}

static void
state_enter(struct mxexpand_job *job, enum mxexpand_state next)
{
	struct mxexpand_result *res = job->res;

	log_debug("mxexpand_state", "%s from=%s to=%s", job->log_id,
	    state_names[job->state], state_names[next]);
	job->state = next;
	if (next != MXX_DONE)
		return;
	job->res = NULL;
	job->cbs.done(res, job->arg);
	job_free(job);
}

static void
send_question(struct mxexpand_job *job, const char *name, int type,
    dns_answer_cb cb, void *cb_arg, uint64_t *sent_ms)
{
	job->pending++;
	job->send(job->send_arg, name, type, cb, cb_arg, sent_ms);
}

/* Where a host's addresses come from. */
enum host_origin {
	ORIGIN_DNS,		/* its A and AAAA answers */
	ORIGIN_LITERAL,		/* the name is an address */
	ORIGIN_LOCALHOST,	/* the loopback addresses */
};

/* Hands a host to the caller.  The addresses an MX host has in DNS are kept
 * for the result.  Addresses of a family not asked for are not probed,
 * but a literal's (it is what was asked for). */
static void
host_deliver(struct mxexpand_job *job, enum mxexpand_role role,
    const char *name, const struct dns_addr *found, size_t n_found,
    enum dns_result v4, enum dns_result v6, enum host_origin origin)
{
	struct mxexpand_result *res = job->res;
	struct mxexpand_addr *addrs = xcalloc(n_found ? n_found : 1,
	    sizeof(*addrs));
	struct mxexpand_host h;
	size_t n = 0;

	for (size_t i = 0; i < n_found; i++) {
		const struct dns_addr *a = &found[i];
		const void *raw = a->family == AF_INET ? (const void *)&a->u.v4 :
		    (const void *)&a->u.v6;

		if (role == MXEXPAND_MX && origin == ORIGIN_DNS) {
			struct mxexpand_address *m;

			res->mx_addrs = xreallocarray(res->mx_addrs,
			    res->n_mx_addrs + 1, sizeof(*res->mx_addrs));
			m = &res->mx_addrs[res->n_mx_addrs++];
			m->host = xstrdup(name);
			inet_ntop(a->family, raw, m->address, sizeof(m->address));
		}
		if (origin != ORIGIN_LITERAL &&
		    (a->family == AF_INET ? !job->v4 : !job->v6))
			continue;
		if (a->family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&addrs[n].ss;

			sin->sin_family = AF_INET;
			sin->sin_addr = a->u.v4;
			addrs[n++].len = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 =
			    (struct sockaddr_in6 *)&addrs[n].ss;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = a->u.v6;
			addrs[n++].len = sizeof(*sin6);
		}
	}
	memset(&h, 0, sizeof(h));
	h.name = name;
	h.role = role;
	h.addrs = addrs;
	h.n_addrs = n;
	h.n_found = n_found;
	h.v4 = v4;
	h.v6 = v6;
	log_debug("mxexpand_host", "%s role=%s addresses=%zu probed=%zu "
	    "a=%s aaaa=%s", job->log_id, mxexpand_role_name(role), n_found,
	    n, dns_result_name(v4), dns_result_name(v6));
	job->cbs.host(job->arg, &h);
	free(addrs);
}

static void
host_answer(struct host_lookup *hl, int status, const unsigned char *abuf,
    int alen, int type)
{
	struct mxexpand_job *job = hl->job;
	enum dns_result r;

	job->depth++;
	job->pending--;
	r = status == ARES_SUCCESS ?
	    dns_parse_addrs(type, abuf, alen, &hl->addrs, &hl->n_addrs) :
	    dns_classify(status);
	if (type == ns_t_a)
		hl->v4 = r;
	else
		hl->v6 = r;
	if (--hl->pending == 0) {
		if (!job->cancelled)
			host_deliver(job, hl->role, hl->name, hl->addrs,
			    hl->n_addrs, hl->v4, hl->v6, ORIGIN_DNS);
		free(hl->addrs);
		free(hl->name);
		free(hl);
	}
	job->depth--;
	job_advance(job);
}

static void
host_a_answer(void *arg, int status, const unsigned char *abuf, int alen)
{
	host_answer(arg, status, abuf, alen, ns_t_a);
}

static void
host_aaaa_answer(void *arg, int status, const unsigned char *abuf, int alen)
{
	host_answer(arg, status, abuf, alen, ns_t_aaaa);
}

/* An address literal, as an answer would give it. */
static int
literal_addr(const char *s, struct dns_addr *out)
{
	struct addr a;

	if (addr_parse_ip(s, &a) == -1)
		return 0;
	memset(out, 0, sizeof(*out));
	out->family = a.family;
	if (a.family == AF_INET)
		memcpy(&out->u.v4, a.a, 4);
	else
		memcpy(&out->u.v6, a.a, 16);
	return 1;
}

/* A literal is its address; a localhost name is the loopback addresses,
 * never asked (RFC 6761 6.3); a name too long for DNS is not asked. */
static void
host_resolve(struct mxexpand_job *job, enum mxexpand_role role,
    const char *name)
{
	struct host_lookup *hl;
	struct dns_addr lit[2];

	if (literal_addr(name, &lit[0])) {
		host_deliver(job, role, name, lit, 1, DNS_OK, DNS_OK,
		    ORIGIN_LITERAL);
		return;
	}
	if (addr_is_localhost(name)) {
		literal_addr("127.0.0.1", &lit[0]);
		literal_addr("::1", &lit[1]);
		host_deliver(job, role, name, lit, 2, DNS_OK, DNS_OK,
		    ORIGIN_LOCALHOST);
		return;
	}
	if (strlen(name) > ADDR_NAME_MAX) {
		char q[LOG_QUOTE_MAX];

		log_info("mxexpand_name_refused", "%s role=%s host=%s "
		    "msg=\"longer than a DNS name: not asked\"", job->log_id,
		    mxexpand_role_name(role), log_quote(q, sizeof(q), name));
		host_deliver(job, role, name, NULL, 0, DNS_ERROR, DNS_ERROR,
		    ORIGIN_DNS);
		return;
	}
	hl = xcalloc(1, sizeof(*hl));
	hl->job = job;
	hl->role = role;
	hl->name = xstrdup(name);
	hl->pending = 2;
	send_question(job, name, ns_t_a, host_a_answer, hl, NULL);
	send_question(job, name, ns_t_aaaa, host_aaaa_answer, hl, NULL);
}

static int
mx_cmp(const void *a, const void *b)
{
	const struct dns_mx *x = a, *y = b;

	if (x->preference != y->preference)
		return x->preference < y->preference ? -1 : 1;
	return strcmp(x->host, y->host);
}

/* The MX answer: the set goes to the caller (who starts what needs the MX
 * hosts before their addresses), then the hosts are asked. */
static void
mx_answer(void *arg, int status, const unsigned char *abuf, int alen)
{
	struct mxexpand_job *job = arg;
	struct mxexpand_mx m;

	job->depth++;
	job->pending--;
	if (job->cancelled)
		goto out;
	memset(&m, 0, sizeof(m));
	m.duration_s = (double)(now_ms() - job->mx_sent_ms) / 1000.0;
	m.result = status == ARES_SUCCESS ?
	    dns_parse_mx(abuf, alen, &job->mx, &job->n_mx) :
	    dns_classify(status);
	if (m.result == DNS_OK) {
		qsort(job->mx, job->n_mx, sizeof(*job->mx), mx_cmp);
		/* RFC 7505: a single MX of "." says the domain takes no mail. */
		m.null_mx = job->n_mx == 1 && job->mx[0].host[0] == '\0';
	} else if (m.result == DNS_NODATA)
		m.implicit_mx = 1;	/* RFC 5321 5.1 */
	m.mx = job->mx;
	m.n_mx = job->n_mx;
	state_enter(job, MXX_HOSTS);
	job->cbs.mx(job->arg, &m);
	if (m.result == DNS_OK && !m.null_mx) {
		for (size_t i = 0; i < job->n_mx && i < MXEXPAND_MX_MAX &&
		    !job->cancelled; i++)
			if (job->mx[i].host[0] != '\0' &&
			    !dns_mx_host_seen(job->mx, i))
				host_resolve(job, MXEXPAND_MX, job->mx[i].host);
	} else if (m.implicit_mx && !job->cancelled)
		host_resolve(job, MXEXPAND_MX, job->domain);
out:
	job->depth--;
	job_advance(job);
}

/* Ends the job once nothing of it is outstanding. */
static void
job_advance(struct mxexpand_job *job)
{
	if (job->depth > 0 || job->pending > 0)
		return;
	if (job->cancelled) {
		job_free(job);
		return;
	}
	if (job->state == MXX_HOSTS)
		state_enter(job, MXX_DONE);
}

static void
hold_release(evutil_socket_t fd, short what, void *arg)
{
	struct mxexpand_job *job = arg;

	(void)fd;
	(void)what;
	job_hold_drop(&job->hold_ev);
	job->pending--;
	job_advance(job);
}

struct mxexpand_job *
mxexpand_start(const struct mxexpand_params *p, const struct mxexpand_cbs *cbs,
    void *arg)
{
	struct mxexpand_job *job = xcalloc(1, sizeof(*job));
	char q[256];

	job->send = p->send;
	job->send_arg = p->send_arg;
	job->cbs = *cbs;
	job->arg = arg;
	job->v4 = p->v4;
	job->v6 = p->v6;
	job->res = xcalloc(1, sizeof(*job->res));
	job->domain = p->domain ? xstrdup(p->domain) : NULL;
	snprintf(job->log_id, sizeof(job->log_id), "target=%s",
	    log_quote(q, sizeof(q), p->domain ? p->domain :
	    p->n_hosts > 0 ? p->hosts[0].name : ""));
	job->state = job->domain ? MXX_MX : MXX_HOSTS;
	job->pending++;		/* the hold, released by hold_release() */
	job->depth++;
	job_hold_arm(&job->hold_ev, p->base, hold_release, job,
	    "mxexpand_oom");
	if (job->domain) {
		job->mx_sent_ms = now_ms();
		send_question(job, job->domain, ns_t_mx, mx_answer, job,
		    &job->mx_sent_ms);
	}
	for (size_t i = 0; i < p->n_hosts && !job->cancelled; i++)
		host_resolve(job, p->hosts[i].role, p->hosts[i].name);
	job->depth--;
	return job;
}

void
mxexpand_cancel(struct mxexpand_job *job)
{
	job->cancelled = 1;
	if (job_hold_drop(&job->hold_ev))
		job->pending--;
	if (job->pending == 0 && job->depth == 0)
		job_free(job);
}

void
mxexpand_result_free(struct mxexpand_result *res)
{
	if (res == NULL)
		return;
	for (size_t i = 0; i < res->n_mx_addrs; i++)
		free(res->mx_addrs[i].host);
	free(res->mx_addrs);
	free(res);
}
