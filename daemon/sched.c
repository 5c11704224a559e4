/* The scheduler: the lifecycle of the checks.  A check runs at its
 * interval (check_schedule(), check_start()); scheduled runs in flight are
 * bounded (RUNS_MAX, the FIFO of waiting checks).  A run resolves its
 * hosts (the MX expansion job, collectors/mxexpand.c: MX, A, AAAA through
 * the DNS pacing queue, daemon/dnsqueue.c), turns every address and port
 * it hands over into an endpoint and a probe job
 * (daemon/probequeue.c, shared through daemon/probeshare.c), starts its
 * collectors (records, MTA-STS, DANE, DNSSEC, MX hygiene) and ends when
 * the last of them is back (sched_run_maybe_finish()): the result is
 * published and the next run scheduled.  Also: reloads
 * (sched_apply_config()), ad-hoc checks with a deadline (/probe), the
 * cancelling of runs, and shutdown. */
#include "daemon/sched.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/addr.h"
#include "base/log.h"
#include "base/util.h"
#include "collectors/mxexpand.h"
#include "collectors/probe_start.h"
#include "daemon/checkcfg.h"
#include "daemon/dnsqueue.h"
#include "daemon/heaptrim.h"
#include "daemon/probequeue.h"
#include "daemon/probeshare.h"
#include "daemon/publish.h"
#include "daemon/sched_int.h"
#include "daemon/share.h"

static void check_schedule(struct check *c, uint64_t delay_ms);
static void run_dns_settled(struct check_run *run);

/* A run's lookup (its MX expansion's, send_arg the run): a domain's
 * counts against its budget (an endpoint target has none). */
static void
run_dns_send(void *send_arg, const char *name, int type, dns_answer_cb cb,
    void *cb_arg, uint64_t *sent_ms)
{
	struct check_run *run = send_arg;

	dnsq_ask(run->ctx, run->budget, name, type, cb, cb_arg, sent_ms);
}

uint64_t
check_interval_ms(const struct check *c)
{
	return c->cfg->interval_ms ? c->cfg->interval_ms : c->ctx->cfg->interval_ms;
}

uint64_t
check_timeout_ms(const struct check *c)
{
	return c->cfg->timeout_ms ? c->cfg->timeout_ms : c->ctx->cfg->timeout_ms;
}

int
check_audit_enabled(const struct check *c)
{
	return c->cfg->audit >= 0 ? c->cfg->audit : c->ctx->cfg->audit;
}

static int
check_audit_due(const struct check *c)
{
	uint64_t every = check_audit_every_ms(c);

	if (!check_audit_enabled(c))
		return 0;
	return c->last_audit == 0 || c->ctx->once ||
	    (wall_time() - c->last_audit) * 1000 >= (double)every;
}

static void
run_free(struct check_run *run)
{
	check_result_free(run->res);
	free(run->dane);
	dnsq_budget_unref(run->budget);
	free(run);
}

uint64_t
check_audit_every_ms(const struct check *c)
{
	return c->cfg->audit_interval_ms ? c->cfg->audit_interval_ms :
	    c->ctx->cfg->audit_interval_ms;
}

/* Where an ad-hoc check (/probe: whoever may ask) may connect: decided
 * here, on the very address and port the probe will connect to, so that
 * no later lookup can change it.  A special address (loopback, private,
 * NAT64 or 6to4 of one, ...) only inside a CIDR of probe_allow, a port
 * only of probe_allow_ports.  A scheduled check connects where the
 * config says.  NULL, or the reason in why. */
static const char *
reach_refused(const struct check *c, const struct sockaddr *sa, uint16_t port,
    char *why, size_t whylen)
{
	const struct config *cfg = c->ctx->cfg;
	struct addr a;
	size_t i;

	if (c->adhoc_cb == NULL)
		return NULL;
	if (addr_from_sockaddr(sa, &a) == -1) {
		snprintf(why, whylen, "not an IP address");
		return why;
	}
	for (i = 0; i < cfg->n_probe_allow_ports; i++)
		if (cfg->probe_allow_ports[i] == port)
			break;
	if (i == cfg->n_probe_allow_ports) {
		snprintf(why, whylen, "port %u is not in probe_allow_ports",
		    (unsigned)port);
		return why;
	}
	return addr_special_refused(&a, cfg->probe_allow_cidrs,
	    cfg->n_probe_allow_cidrs, why, whylen);
}

/* The DANE lookups of an MX host of the run, or NULL. */
static struct dane_slot *
run_dane_slot(struct check_run *run, const char *host)
{
	for (size_t i = 0; i < run->n_dane; i++)
		if (strcasecmp(run->dane[i].host, host) == 0)
			return &run->dane[i];
	return NULL;
}

static void
run_add_probe(struct check_run *run, const char *host, const struct sockaddr *sa,
    socklen_t salen, uint16_t port, enum protocol proto)
{
	struct ctx *ctx = run->ctx;
	struct probe_job *job;
	struct sockaddr_storage ss;
	char addr[INET6_ADDRSTRLEN] = "", why[256], q[LOG_QUOTE_MAX], qt[256],
	    qh[256], log_id[PROBE_LOG_ID_MAX];

	/* The address the probe connects to, its port set, and its text. */
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, salen < sizeof(ss) ? salen : sizeof(ss));
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_port = htons(port);
		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_port = htons(port);
		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
	}
	if (reach_refused(run->check, (struct sockaddr *)&ss, port, why,
	    sizeof(why)) != NULL) {
		size_t idx = check_result_add_endpoint(run->res, host, addr, port, proto);

		endpoint_fail(&run->res->eps[idx], STEP_CONNECT,
		    REASON_NOT_ALLOWED, CAUSE_NONE, "%s", why);
		run->res->eps[idx].finished = wall_time();
		ctx->probes_total[proto][0]++;
		log_warn("probe_refused", "target=%s host=%s address=%s port=%u "
		    "reason=not_allowed detail=%s",
		    log_quote(qt, sizeof(qt), run->check->cfg->name),
		    log_quote(qh, sizeof(qh), host), addr, (unsigned)port,
		    log_quote(q, sizeof(q), why));
		return;
	}
	job = xcalloc(1, sizeof(*job));
	memcpy(&job->addr, &ss, sizeof(ss));
	job->addrlen = salen;
	job->run = run;
	job->ep = check_result_add_endpoint(run->res, host, addr, port, proto);
	/* The host is an MX name from DNS, the target may come from /probe. */
	snprintf(log_id, sizeof(log_id),
	    "target=%s host=%s address=%s port=%u protocol=%s",
	    log_quote(qt, sizeof(qt), run->check->cfg->name),
	    log_quote(qh, sizeof(qh), host), addr, port, protocol_name(proto));
	job->log_id = xstrdup(log_id);
	switch (probeshare_join(run, job, addr, port, proto, host)) {
	case SHARE_SERVED:
		probe_job_free(job);
		return;
	case SHARE_FOLLOWS:
		run->outstanding++;
		TAILQ_INSERT_TAIL(&run->jobs, job, rlink);
		return;
	case SHARE_LEADS:
	case SHARE_NONE:
		break;
	}
	run->outstanding++;
	TAILQ_INSERT_TAIL(&run->jobs, job, rlink);
	if (proto == PROTO_SMTP || proto == PROTO_SUBMISSION ||
	    proto == PROTO_SMTPS)
		job->dane = run_dane_slot(run, host);
	if (job->dane != NULL && job->dane->job != NULL) {
		job->dane_wait = 1;	/* dane_done() queues it */
		return;
	}
	probeq_add(ctx, job);
	probeq_pump(ctx);
}

/* The (port, protocol) pairs probed on every address of a host. */
static size_t
check_ports(const struct check *c, enum mxexpand_role role, uint16_t *ports,
    enum protocol *protos)
{
	const uint16_t *list;
	size_t n = 0, len;

	switch (role) {
	case MXEXPAND_ENDPOINT:
		ports[0] = c->cfg->port;
		protos[0] = c->cfg->protocol;
		return 1;
	case MXEXPAND_MX:
		list = c->cfg->smtp_ports;
		len = c->cfg->n_smtp_ports;
		break;
	case MXEXPAND_IMAP:
		list = c->cfg->imap_ports;
		len = c->cfg->n_imap_ports;
		break;
	case MXEXPAND_POP3:
	default:
		list = c->cfg->pop3_ports;
		len = c->cfg->n_pop3_ports;
		break;
	}
	for (size_t i = 0; i < len && n < MAX_PORTS; i++)
		if (protocol_for_port(list[i], &protos[n]) == 0)
			ports[n++] = list[i];
	return n;
}

static void
run_probe_address(struct check_run *run, enum mxexpand_role role, const char *host,
    const struct sockaddr *sa, socklen_t salen)
{
	uint16_t ports[MAX_PORTS];
	enum protocol protos[MAX_PORTS];
	size_t n = check_ports(run->check, role, ports, protos);

	for (size_t i = 0; i < n; i++)
		run_add_probe(run, host, sa, salen, ports[i], protos[i]);
}

/* A host with no address still gets a row per port, failed at resolve. */
static void
run_unresolved(struct check_run *run, enum mxexpand_role role, const char *host,
    enum probe_cause cause, const char *why)
{
	uint16_t ports[MAX_PORTS];
	enum protocol protos[MAX_PORTS];
	size_t n = check_ports(run->check, role, ports, protos);

	for (size_t i = 0; i < n; i++) {
		size_t idx = check_result_add_endpoint(run->res, host, "", ports[i], protos[i]);
		struct endpoint_result *ep = &run->res->eps[idx];

		endpoint_fail(ep, STEP_RESOLVE, REASON_DNS, cause, "%s", why);
		ep->finished = wall_time();
		run->ctx->probes_total[protos[i]][0]++;
	}
}

static void
records_done(struct records_result *rr, void *arg)
{
	struct check_run *run = arg;

	run->records = NULL;
	records_result_free(run->res->records);
	run->res->records = rr;
	run->outstanding--;
	sched_run_maybe_finish(run);
}

static void
mtasts_done(struct mtasts_result *mr, void *arg)
{
	struct check_run *run = arg;

	run->mtasts = NULL;
	mtasts_result_free(run->res->mtasts);
	run->res->mtasts = mr;
	run->outstanding--;
	sched_run_maybe_finish(run);
}

static void
dane_done(struct danelookup_result *dr, void *arg)
{
	struct dane_slot *ds = arg;
	struct check_run *run = ds->run;

	struct probe_job *job;

	ds->job = NULL;
	if (ds->index < run->res->n_dane) {
		danelookup_result_free(run->res->dane[ds->index]);
		/* the domains on the same MX host share it (share = on) */
		run->res->dane[ds->index] = run->ctx->cfg->share ?
		    danelookup_result_intern(&run->ctx->dane_pool, dr) : dr;
	} else	/* the result was handed on (an ad-hoc deadline) */
		danelookup_result_free(dr);
	/* The host's SMTP probes take the TLSA set into their handshakes. */
	TAILQ_FOREACH(job, &run->jobs, rlink)
		if (job->dane_wait && job->dane == ds) {
			job->dane_wait = 0;
			probeq_add(run->ctx, job);
		}
	probeq_pump(run->ctx);
	run->outstanding--;
	sched_run_maybe_finish(run);
}

/* The DNS half of DANE for each MX host (RFC 7672), on every SMTP port
 * probed: started as soon as the MX hosts are known, before their
 * addresses, so that their probes wait for it as briefly as possible. */
static void
run_dane_start(struct check_run *run)
{
	struct check_result *res = run->res;
	const char *hosts[MXEXPAND_MX_MAX];
	uint16_t ports[MAX_PORTS], dports[MAX_PORTS];
	enum protocol protos[MAX_PORTS];
	size_t n_hosts = 0, n = check_ports(run->check, MXEXPAND_MX, ports, protos),
	    n_dports = 0;

	if (run->ctx->dnssec == NULL || run->dane != NULL ||
	    !run->check->cfg->dane)
		return;
	for (size_t i = 0; i < n && n_dports < DANELOOKUP_PORTS_MAX; i++)
		if (protos[i] == PROTO_SMTP || protos[i] == PROTO_SUBMISSION ||
		    protos[i] == PROTO_SMTPS)
			dports[n_dports++] = ports[i];
	if (res->implicit_mx)	/* the result's names: they outlive the jobs */
		hosts[n_hosts++] = res->target.name;
	for (size_t i = 0; i < res->n_mx && i < MXEXPAND_MX_MAX && !res->null_mx;
	    i++)
		if (res->mx[i].host[0] != '\0' && !dns_mx_host_seen(res->mx, i))
			hosts[n_hosts++] = res->mx[i].host;
	if (n_hosts == 0 || n_dports == 0)
		return;
	res->dane = xcalloc(n_hosts, sizeof(*res->dane));
	run->dane = xcalloc(n_hosts, sizeof(*run->dane));
	for (size_t i = 0; i < n_hosts; i++) {
		struct dane_slot *ds = &run->dane[run->n_dane++];
		struct danelookup_params dp;

		memset(&dp, 0, sizeof(dp));
		dp.v = run->ctx->dnssec;
		dp.domain = run->check->cfg->name;
		dp.host = hosts[i];
		dp.ports = dports;
		dp.n_ports = n_dports;
		dnsq_dnssec_sender(run->budget, &dp.send);
		ds->run = run;
		ds->host = hosts[i];
		ds->index = res->n_dane++;
		run->outstanding++;
		ds->job = danelookup_start(&dp, dane_done, ds);
	}
}

static void
zones_done(struct zonestatus_result *zr, void *arg)
{
	struct check_run *run = arg;

	run->zones = NULL;
	zonestatus_result_free(run->res->zones);
	run->res->zones = zr;
	run->outstanding--;
	sched_run_maybe_finish(run);
}

/* The DNSSEC status of the domain and of each MX host's zone. */
static void
run_zones_start(struct check_run *run)
{
	const struct check_result *res = run->res;
	struct dnssec_sender send;
	const char **names;
	size_t n = 0;

	if (run->ctx->dnssec == NULL)
		return;
	/* the result's names: the result borrows them */
	names = xcalloc(res->n_mx + 1, sizeof(*names));
	names[n++] = res->target.name;
	for (size_t i = 0; i < res->n_mx; i++)
		if (res->mx[i].host[0] != '\0')
			names[n++] = res->mx[i].host;
	run->outstanding++;
	dnsq_dnssec_sender(run->budget, &send);
	run->zones = zonestatus_start(run->ctx->dnssec, &send, names, n,
	    zones_done, run);
	free(names);
}

static void
mxhyg_done(struct mxhyg_result *mr, void *arg)
{
	struct check_run *run = arg;

	run->mxhyg = NULL;
	mxhyg_result_free(run->res->mxhyg);
	/* the domains on the same MX hosts, answered alike, share it */
	run->res->mxhyg = run->ctx->cfg->share ?
	    mxhyg_result_intern(&run->ctx->mxhyg_pool, mr) : mr;
	run->outstanding--;
	sched_run_maybe_finish(run);
}

/* MX hygiene, once the MX hosts' addresses are known (probed or not):
 * FCrDNS of each address, CAA and CNAME of each host, the set's sanity. */
static void
run_mxhyg_start(struct check_run *run)
{
	const struct check_result *res = run->res;
	struct mxhyg_address *addrs;
	struct mxhyg_params mp;
	size_t n = 0;

	if (res->mx_result != DNS_OK || res->null_mx)
		return;
	addrs = xcalloc(res->n_mx_addrs + 1, sizeof(*addrs));
	for (size_t i = 0; i < res->n_mx_addrs; i++) {
		addrs[n].host = res->mx_addrs[i].host;
		addrs[n++].address = res->mx_addrs[i].address;
	}
	memset(&mp, 0, sizeof(mp));
	mp.base = run->ctx->base;
	mp.domain = run->check->cfg->name;
	mp.send = dnsq_send;
	mp.send_arg = run->budget;
	mp.mx = res->mx;
	mp.n_mx = res->n_mx;
	mp.addrs = addrs;
	mp.n_addrs = n;
	mp.caa = 1;
	run->outstanding++;
	run->mxhyg = mxhyg_start(&mp, mxhyg_done, run);
	free(addrs);
}

/* MTA-STS and TLS-RPT, beside the records: the policy is held against the
 * MX hosts by the readers of the result, once the probes are in. */
static void
run_mtasts_start(struct check_run *run)
{
	const struct check *c = run->check;
	struct mtasts_params mp;

	memset(&mp, 0, sizeof(mp));
	mp.sts = c->cfg->mta_sts >= 0 ? c->cfg->mta_sts : run->ctx->cfg->mta_sts;
	mp.rpt = c->cfg->tls_rpt >= 0 ? c->cfg->tls_rpt : run->ctx->cfg->tls_rpt;
	if ((!mp.sts && !mp.rpt) || run->ctx->fetch == NULL)
		return;
	mp.base = run->ctx->base;
	mp.domain = c->cfg->name;
	mp.send = dnsq_send;
	mp.send_arg = run->budget;
	mp.fetch = run->ctx->fetch;
	mp.ca_file = run->ctx->cfg->ca_file;
	mp.timeout_ms = (unsigned)check_timeout_ms(c);
	mp.reach_checked = c->adhoc_cb != NULL;
	mp.urgent = c->adhoc_cb != NULL;
	mp.allow_cidrs = run->ctx->cfg->probe_allow_cidrs;
	mp.n_allow_cidrs = run->ctx->cfg->n_probe_allow_cidrs;
	run->outstanding++;
	run->mtasts = mtasts_start(&mp, mtasts_done, run);
}

/* The mail authentication records of a domain, once its own MX addresses
 * are known: SPF is checked against them too. */
static void
run_dns_settled(struct check_run *run)
{
	const struct check *c = run->check;
	const struct check_result *res = run->res;
	struct records_params rp;
	char **mx_addrs;
	size_t n = 0;

	if (run->expand != NULL || run->records_started || c == NULL ||
	    c->cfg->kind != TARGET_DOMAIN || run->ctx->stopping)
		return;
	run->records_started = 1;
	run_mtasts_start(run);
	run_zones_start(run);
	run_mxhyg_start(run);
	if (!c->cfg->records)
		return;
	mx_addrs = xcalloc(res->n_eps ? res->n_eps : 1, sizeof(*mx_addrs));
	for (size_t i = 0; i < res->n_eps; i++) {
		const struct endpoint_result *ep = &res->eps[i];
		int dup = 0;

		if (ep->address[0] == '\0' || (ep->protocol != PROTO_SMTP &&
		    ep->protocol != PROTO_SUBMISSION && ep->protocol != PROTO_SMTPS))
			continue;
		for (size_t j = 0; j < n; j++)
			dup |= strcmp(mx_addrs[j], ep->address) == 0;
		if (!dup)
			mx_addrs[n++] = (char *)ep->address;
	}
	memset(&rp, 0, sizeof(rp));
	rp.domain = c->cfg->name;
	rp.base = run->ctx->base;
	rp.send = dnsq_send;
	rp.send_arg = run->budget;
	rp.selectors = c->cfg->dkim_selectors;
	rp.n_selectors = c->cfg->n_dkim_selectors;
	rp.expect_pass = c->cfg->spf_expect_pass;
	rp.n_expect_pass = c->cfg->n_spf_expect_pass;
	rp.mx_addresses = mx_addrs;
	rp.n_mx_addresses = n;
	run->outstanding++;
	run->records = records_start(run->ctx->dns, &rp, records_done, run);
	free(mx_addrs);
}

/* The MX answer: the MX hosts' DANE lookups start before their addresses
 * are asked, so that their probes wait for them as briefly as possible. */
static void
expand_mx(void *arg, const struct mxexpand_mx *m)
{
	struct check_run *run = arg;
	struct check_result *res = run->res;

	run->mx_pending = 0;
	res->mx_duration_s = m->duration_s;
	res->mx_result = m->result;
	if (m->n_mx > 0) {
		res->mx = xcalloc(m->n_mx, sizeof(*res->mx));
		for (size_t i = 0; i < m->n_mx; i++) {
			res->mx[i].host = xstrdup(m->mx[i].host);
			res->mx[i].preference = m->mx[i].preference;
		}
		res->n_mx = m->n_mx;
	}
	res->null_mx = m->null_mx;
	res->implicit_mx = m->implicit_mx;
	if (run->check == NULL || run->ctx->stopping)
		return;
	if (m->result == DNS_OK || m->implicit_mx) {
		if (!m->null_mx)
			run_dane_start(run);
	} else {
		char q[256];

		log_info("mx_failed", "target=%s rcode=%s",
		    log_quote(q, sizeof(q), run->check->cfg->name),
		    dns_result_name(m->result));
	}
}

/* A host resolved: an endpoint and a probe job per address and port, or a
 * row per port failed at resolve. */
static void
expand_host(void *arg, const struct mxexpand_host *h)
{
	struct check_run *run = arg;

	if (run->check == NULL || run->ctx->stopping)
		return;
	if (h->n_found == 0) {
		char why[96];

		snprintf(why, sizeof(why), "no address: A %s, AAAA %s",
		    dns_result_name(h->v4), dns_result_name(h->v6));
		run_unresolved(run, h->role, h->name,
		    probe_cause_of_dns(h->v4, h->v6), why);
	}
	for (size_t i = 0; i < h->n_addrs && run->check != NULL; i++)
		run_probe_address(run, h->role, h->name,
		    (const struct sockaddr *)&h->addrs[i].ss, h->addrs[i].len);
}

/* Every host is resolved: the MX hosts' addresses go to the hygiene
 * checks, and the records, MTA-STS, DNSSEC and MX hygiene jobs start. */
static void
expand_done(struct mxexpand_result *er, void *arg)
{
	struct check_run *run = arg;
	struct check_result *res = run->res;

	run->expand = NULL;
	if (er->n_mx_addrs > 0) {
		res->mx_addrs = xcalloc(er->n_mx_addrs, sizeof(*res->mx_addrs));
		for (size_t i = 0; i < er->n_mx_addrs; i++) {
			res->mx_addrs[i].host = check_result_name(res,
			    er->mx_addrs[i].host);
			res->mx_addrs[i].address = xstrdup(
			    er->mx_addrs[i].address);
		}
		res->n_mx_addrs = er->n_mx_addrs;
	}
	mxexpand_result_free(er);
	run->outstanding--;
	run_dns_settled(run);
	sched_run_maybe_finish(run);
}

/* The hosts a run probes: a domain's MX hosts (and its IMAP and POP3
 * hosts), or an endpoint's host. */
static void
run_expand_start(struct check_run *run)
{
	static const struct mxexpand_cbs cbs = {
		.mx = expand_mx,
		.host = expand_host,
		.done = expand_done,
	};
	const struct target_cfg *t = run->check->cfg;
	struct mxexpand_name hosts[2 * MAX_HOSTS + 1];
	struct mxexpand_params p;
	size_t n = 0;

	memset(&p, 0, sizeof(p));
	if (t->kind == TARGET_DOMAIN) {
		p.domain = t->name;
		for (size_t i = 0; i < t->n_imap_hosts; i++)
			hosts[n++] = (struct mxexpand_name){ t->imap_hosts[i],
			    MXEXPAND_IMAP };
		for (size_t i = 0; i < t->n_pop3_hosts; i++)
			hosts[n++] = (struct mxexpand_name){ t->pop3_hosts[i],
			    MXEXPAND_POP3 };
	} else
		hosts[n++] = (struct mxexpand_name){ t->name,
		    MXEXPAND_ENDPOINT };
	p.base = run->ctx->base;
	p.hosts = hosts;
	p.n_hosts = n;
	p.v4 = ip_protocol_allows(t->ip_protocol, AF_INET);
	p.v6 = ip_protocol_allows(t->ip_protocol, AF_INET6);
	p.send = run_dns_send;
	p.send_arg = run;
	run->outstanding++;
	run->expand = mxexpand_start(&p, &cbs, run);
}

/* Scheduled runs in flight are bounded too, by `concurrency`: with probes
 * shared, a run seldom waits for a probe slot, and without this bound every
 * domain of a big config (--once, a reload) ran its records, MTA-STS fetch
 * and DNSSEC lookups at once (make bench SCALE=domains at 10,000 domains:
 * 10,000 HTTPS connections, 519 MiB, 2.5 % of the probes timed out; at 2 x
 * concurrency still 9 % of the own-MX probes timed out on a loaded
 * machine).  The checks past it wait their turn in a FIFO.  Ad-hoc checks
 * do not wait: they have a deadline, and probe_max_concurrent bounds them. */
#define RUNS_MAX(ctx)	((ctx)->cfg->concurrency)

static void check_start(struct check *c);

static void
runs_admit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctx *ctx = arg;
	struct check *c;

	(void)fd;
	(void)what;
	while (!ctx->stopping && ctx->runs_active < RUNS_MAX(ctx) &&
	    (c = TAILQ_FIRST(&ctx->runs_waiting)) != NULL) {
		TAILQ_REMOVE(&ctx->runs_waiting, c, wait_link);
		c->waiting = 0;
		check_start(c);
	}
}

/* A run ended: the next waiting one starts on a later loop pass, never
 * inside the completion that ended this one. */
static void
run_unadmit(struct check_run *run)
{
	struct ctx *ctx = run->ctx;
	struct timeval now = { 0, 0 };

	if (!run->admitted)
		return;
	run->admitted = 0;
	ctx->runs_active--;
	if (TAILQ_EMPTY(&ctx->runs_waiting) || ctx->stopping)
		return;
	if (ctx->ev_admit == NULL &&
	    (ctx->ev_admit = evtimer_new(ctx->base, runs_admit_cb, ctx)) == NULL)
		return;
	if (!evtimer_pending(ctx->ev_admit, NULL))
		evtimer_add(ctx->ev_admit, &now);
}

static void
check_unwait(struct check *c)
{
	if (c->waiting) {
		TAILQ_REMOVE(&c->ctx->runs_waiting, c, wait_link);
		c->waiting = 0;
	}
}

static void
check_start(struct check *c)
{
	struct ctx *ctx = c->ctx;
	struct check_run *run;
	char q[256];

	if (c->run != NULL || c->waiting || ctx->stopping)
		return;
	if (c->adhoc_cb == NULL && ctx->runs_active >= RUNS_MAX(ctx)) {
		c->waiting = 1;
		TAILQ_INSERT_TAIL(&ctx->runs_waiting, c, wait_link);
		return;
	}
	run = xcalloc(1, sizeof(*run));
	if (c->adhoc_cb == NULL) {
		run->admitted = 1;
		ctx->runs_active++;
	}
	run->ctx = ctx;
	run->check = c;
	run->res = check_result_new(c->cfg, c->key);
	run->res->started = wall_time();
	run->started_ms = now_ms();
	c->prev_run_ms = c->run_ms;
	c->run_ms = run->started_ms;
	run->audit = check_audit_due(c);
	TAILQ_INIT(&run->jobs);
	c->run = run;
	if (c->adhoc_cb == NULL)
		publish_run_started(ctx, c->index);
	log_debug("check_start", "target=%s",
	    log_quote(q, sizeof(q), c->cfg->name));
	if (c->cfg->kind == TARGET_DOMAIN) {
		run->budget = dnsq_budget_new(ctx, c->cfg->name,
		    ctx->cfg->dns_budget_per_domain);
		run->mx_pending = 1;
	}
	run_expand_start(run);
}

static void
check_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	check_start(arg);
}

static void
check_schedule(struct check *c, uint64_t delay_ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(delay_ms / 1000);
	tv.tv_usec = (suseconds_t)((delay_ms % 1000) * 1000);
	evtimer_add(c->timer, &tv);
}

void
sched_run_maybe_finish(struct check_run *run)
{
	struct check *c = run->check;
	struct ctx *ctx = run->ctx;
	struct check_result *prev;
	uint64_t interval, elapsed, next;
	char q[256];

	if (run->outstanding > 0)
		return;
	run_unadmit(run);
	if (c == NULL) {
		run_free(run);
		return;
	}
	run->res->finished = wall_time();
	run->res->duration_s = (double)(now_ms() - run->started_ms) / 1000.0;
	run->res->success = check_result_success(run->res);
	check_result_mx_hygiene_endpoints(run->res, run->ctx->cfg);
	if (run->audit)
		c->last_audit = wall_time();
	else
		check_result_carry_audit(run->res, c->last);
	check_result_rate_endpoints(run->res);
	log_debug("check_done", "target=%s success=%d duration_s=%.3f",
	    log_quote(q, sizeof(q), c->cfg->name), run->res->success,
	    run->res->duration_s);
	prev = c->last;
	c->last = run->res;
	c->run = NULL;
	free(run->dane);
	dnsq_budget_unref(run->budget);
	free(run);
	if (c->adhoc_cb == NULL)
		publish_result(ctx, c->index, c->last);
	check_result_free(prev);	/* after: published results stay valid */
	heap_trim_if_quiet(ctx);
	if (c->adhoc_cb) {
		evtimer_del(c->timer);
		c->adhoc_cb(c, c->adhoc_arg);	/* may free c */
		return;
	}
	if (!c->ran_once) {
		c->ran_once = 1;
		if (ctx->first_run_cb)
			ctx->first_run_cb(c, ctx->first_run_arg);
		if (ctx->checks_pending_first > 0 &&
		    --ctx->checks_pending_first == 0) {
			ctx->ready = 1;
			log_info("ready", "checks=%zu", ctx->n_checks);
			if (ctx->once)
				event_base_loopbreak(ctx->base);
		}
	}
	if (ctx->once || ctx->stopping)
		return;
	/* The period is kept from start to start, with +-5% jitter so that
	 * checks of one interval spread out over time. */
	interval = check_interval_ms(c);
	interval = interval - interval / 20 + arc4random_uniform(
	    (uint32_t)(interval / 10 > 0 ? interval / 10 : 1));
	elapsed = (uint64_t)(c->last->duration_s * 1000);
	next = elapsed >= interval ? 0 : interval - elapsed;
	check_schedule(c, next);
}

/* Detaches the run in flight: its queued and running probes stop now, and
 * the DNS answers still to come free it. */
static void
check_cancel_run(struct check *c)
{
	struct check_run *run = c->run;
	struct ctx *ctx = c->ctx;
	struct probe_job *job;

	if (run == NULL)
		return;
	c->run = NULL;
	run->check = NULL;
	if (run->expand) {
		mxexpand_cancel(run->expand);
		run->expand = NULL;
		run->outstanding--;
	}
	if (run->records) {
		records_cancel(run->records);
		run->records = NULL;
		run->outstanding--;
	}
	if (run->mtasts) {
		mtasts_cancel(run->mtasts);
		run->mtasts = NULL;
		run->outstanding--;
	}
	if (run->zones) {
		zonestatus_cancel(run->zones);
		run->zones = NULL;
		run->outstanding--;
	}
	if (run->mxhyg) {
		mxhyg_cancel(run->mxhyg);
		run->mxhyg = NULL;
		run->outstanding--;
	}
	for (size_t i = 0; i < run->n_dane; i++)
		if (run->dane[i].job != NULL) {
			danelookup_cancel(run->dane[i].job);
			run->dane[i].job = NULL;
			run->outstanding--;
		}
	while ((job = TAILQ_FIRST(&run->jobs)) != NULL) {
		TAILQ_REMOVE(&run->jobs, job, rlink);
		if (job->share != NULL && job->share->leader != job) {
			probeshare_leave(ctx, job);	/* a follower */
			probe_job_free(job);
			run->outstanding--;
			continue;
		}
		if (job->share != NULL)
			probeshare_leave(ctx, job);
		probeq_drop(ctx, job);
		probe_job_free(job);
		run->outstanding--;
	}
	sched_run_maybe_finish(run);
}

static void
check_own_cfg_free(struct check *c)
{
	target_cfg_free(c->own_cfg);
	c->own_cfg = NULL;
}

static void
check_free(struct check *c)
{
	check_unwait(c);
	check_cancel_run(c);
	event_free(c->timer);
	check_result_free(c->last);
	check_own_cfg_free(c);
	free(c->key);
	free(c);
}

char *
target_key(const struct target_cfg *t)
{
	struct buf b;

	buf_init(&b);
	if (t->kind == TARGET_DOMAIN)
		buf_puts(&b, t->name);
	else if (strchr(t->name, ':'))
		buf_printf(&b, "[%s]:%u", t->name, t->port);
	else
		buf_printf(&b, "%s:%u", t->name, t->port);
	return b.data;
}

static int
check_key_cmp(const void *a, const void *b)
{
	const struct check *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

/* A configured check reads its target in the config (sched_apply_config
 * points it at the new one on every reload, before the old one is freed);
 * an ad-hoc check has no config entry and keeps its own copy. */
static void
check_set_cfg(struct check *c, const struct target_cfg *t)
{
	check_own_cfg_free(c);
	c->cfg = t;
}

static void
check_copy_cfg(struct check *c, const struct target_cfg *t)
{
	struct target_cfg *own = target_cfg_copy(t);

	check_own_cfg_free(c);
	c->own_cfg = own;
	c->cfg = own;
}

void
sched_apply_config(struct ctx *ctx)
{
	struct check **old = ctx->checks, **fresh;
	size_t n_old = ctx->n_checks, n = ctx->cfg->n_targets;
	uint64_t spread;
	char *taken;

	if (n_old > 0)
		qsort(old, n_old, sizeof(*old), check_key_cmp);
	taken = xcalloc(n_old ? n_old : 1, 1);
	fresh = xcalloc(n ? n : 1, sizeof(*fresh));
	ctx->checks_pending_first = 0;
	for (size_t i = 0; i < n; i++) {
		const struct target_cfg *t = &ctx->cfg->targets[i];
		struct check probe, *pp = &probe, **found = NULL, *c;

		probe.key = target_key(t);
		if (n_old)
			found = bsearch(&pp, old, n_old, sizeof(*old),
			    check_key_cmp);
		if (found && !taken[found - old]) {
			c = *found;
			taken[found - old] = 1;
			free(probe.key);
			check_set_cfg(c, t);
		} else {
			c = xcalloc(1, sizeof(*c));
			c->ctx = ctx;
			c->key = probe.key;
			check_set_cfg(c, t);
			c->timer = evtimer_new(ctx->base, check_timer_cb, c);
			/* First runs spread over a tenth of the interval, at
			 * most 5 s, so a big config does not start at once. */
			spread = check_interval_ms(c) / 10;
			if (spread > 5000)
				spread = 5000;
			check_schedule(c, ctx->once ? 0 :
			    arc4random_uniform((uint32_t)spread + 1));
		}
		if (!c->ran_once)
			ctx->checks_pending_first++;
		c->index = i;
		fresh[i] = c;
	}
	ctx->checks = fresh;
	ctx->n_checks = n;
	publish_targets(ctx);
	/* after: the removed checks' results were valid until published */
	for (size_t i = 0; i < n_old; i++)
		if (!taken[i])
			check_free(old[i]);
	free(taken);
	free(old);
	if (ctx->checks_pending_first == 0 && !ctx->ready) {
		ctx->ready = 1;
		if (ctx->once)
			event_base_loopbreak(ctx->base);
	}
	probeq_pump(ctx);
}

void
sched_run_all_now(struct ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_checks; i++) {
		evtimer_del(ctx->checks[i]->timer);
		check_start(ctx->checks[i]);
	}
}

/* The ad-hoc deadline: what is not done by now is a timeout. */
static void
adhoc_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct check *c = arg;
	struct check_run *run = c->run;
	struct check_result *res;
	struct probe_job *job;

	(void)fd;
	(void)what;
	if (run == NULL)
		return;
	res = run->res;
	TAILQ_FOREACH(job, &run->jobs, rlink) {
		struct endpoint_result *ep = &res->eps[job->ep];

		if (job->auditing)
			continue;	/* the main probe is in: keep it */
		endpoint_fail(ep, job->queued || job->dane_wait ?
		    STEP_CONNECT : session_step(job->session), REASON_TIMEOUT,
		    job->dane_wait ? CAUSE_TLSA_WAIT : job->queued ?
		    CAUSE_NO_SLOT : CAUSE_TIMEOUT, "%s", job->dane_wait ?
		    "still waiting for the TLSA lookup" : job->queued ?
		    "still waiting for a free probe slot" :
		    "the deadline of the request passed");
		ep->finished = wall_time();
	}
	if (run->mx_pending)
		res->mx_result = DNS_TIMEOUT;
	/* The detached run frees an empty result; this one is reported. */
	run->res = xcalloc(1, sizeof(*run->res));
	res->finished = wall_time();
	res->duration_s = (double)(now_ms() - run->started_ms) / 1000.0;
	res->success = 0;
	res->timed_out = 1;
	check_cancel_run(c);
	probeq_pump(c->ctx);
	check_result_free(c->last);
	c->last = res;
	c->adhoc_cb(c, c->adhoc_arg);	/* may free c */
}

struct check *
sched_adhoc_start(struct ctx *ctx, const struct target_cfg *t,
    uint64_t deadline_ms, sched_adhoc_cb cb, void *arg)
{
	struct check *c = xcalloc(1, sizeof(*c));

	c->ctx = ctx;
	c->key = target_key(t);
	check_copy_cfg(c, t);
	c->index = SIZE_MAX;
	c->adhoc_cb = cb;
	c->adhoc_arg = arg;
	c->timer = evtimer_new(ctx->base, adhoc_deadline_cb, c);
	check_schedule(c, deadline_ms);
	TAILQ_INSERT_TAIL(&ctx->adhoc, c, adhoc_link);
	check_start(c);
	return c;
}

void
sched_adhoc_free(struct check *c)
{
	TAILQ_REMOVE(&c->ctx->adhoc, c, adhoc_link);
	check_free(c);
}

void
sched_shutdown(struct ctx *ctx)
{
	struct check *c, **checks = ctx->checks;
	size_t n = ctx->n_checks;

	ctx->stopping = 1;
	while ((c = TAILQ_FIRST(&ctx->adhoc)) != NULL)
		sched_adhoc_free(c);
	ctx->checks = NULL;
	ctx->n_checks = 0;
	publish_targets(ctx);
	for (size_t i = 0; i < n; i++)
		check_free(checks[i]);
	free(checks);
	/* Every run is detached now: the lookups they still wait for end. */
	dnsq_flush(ctx);
	share_table_free(&ctx->shares);
	intern_pool_free(&ctx->mxhyg_pool);
	intern_pool_free(&ctx->dane_pool);
}
