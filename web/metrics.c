#include "web/metrics.h"

#include "daemon/cfgwatch.h"

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ares.h>
#include <event2/event.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "collectors/https_fetch.h"
#include "web/config_metrics.h"
#include "web/facts.h"
#include "web/results.h"
#include "web/facts_domain.h"

/* address_label = hash: 8 hex digits of the address's SHA-256. */
void
metrics_address_hash(const char *address, char out[9])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	static const char hex[] = "0123456789abcdef";

	SHA256((const unsigned char *)address, strlen(address), md);
	for (int i = 0; i < 4; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[8] = '\0';
}

int
metrics_address_mode(const struct ctx *ctx)
{
	return ctx != NULL && ctx->cfg != NULL ?
	    (int)ctx->cfg->address_label : ADDRESS_LABEL_ON;
}

static int
same_service(const struct endpoint_result *a, const struct endpoint_result *b)
{
	return a->port == b->port && a->protocol == b->protocol &&
	    strcmp(a->host, b->host) == 0;
}

/* address_label = off: the one endpoint of its host, port and protocol
 * that is exported: the first that failed, else the first. */
static int
service_representative(const struct check_result *r, size_t i)
{
	size_t first = i;

	for (size_t j = 0; j < r->n_eps; j++)
		if (same_service(&r->eps[j], &r->eps[i])) {
			if (!r->eps[j].out->success)
				return j == i;
			if (j < first)
				first = j;
		}
	return first == i;
}

/* The fate of each TLSA record against the presented chain: a sample
 * per (usage, selector, matching type, result), four labels an entry,
 * which the fact table's sets do not express (doc/architecture.md). */
static void
add_dane_records(struct expo *e, const struct buf *l,
    const struct check_result *r, const struct endpoint_result *ep)
{
	const struct dane_facts *f = tls_dane(&ep->out->tls);

	if ((ep->protocol != PROTO_SMTP && ep->protocol != PROTO_SUBMISSION &&
	    ep->protocol != PROTO_SMTPS) ||
	    danelookup_port(check_result_dane(r, ep->host), ep->port) == NULL)
		return;
	for (unsigned i = 0; f->checked && i < f->tally.n; i++) {
		const struct dane_tally_row *t = &f->tally.rows[i];
		char u[4], sel[4], mt[4];

		snprintf(u, sizeof(u), "%u", t->usage);
		snprintf(sel, sizeof(sel), "%u", t->selector);
		snprintf(mt, sizeof(mt), "%u", t->mtype);
		expo_add(e, F_DANE_TLSA_RECORDS, l, t->count, "usage", u,
		    "selector", sel, "matching_type", mt,
		    "result", dane_match_name((enum dane_match)t->match), NULL);
	}
}

static void
add_endpoint(struct expo *e, const struct check_result *r,
    const struct endpoint_result *ep, int mode)
{
	const struct probe_outcome *o = ep->out;
	struct buf l;
	char port[8], hash[9];

	buf_init(&l);
	snprintf(port, sizeof(port), "%u", ep->port);
	labels_add(&l, "domain", r->target.kind == TARGET_DOMAIN ?
	    r->target.name : "");
	labels_add(&l, "host", ep->host);
	if (mode == ADDRESS_LABEL_HASH && ep->address[0])
		metrics_address_hash(ep->address, hash);
	labels_add(&l, "address", mode == ADDRESS_LABEL_OFF ? "" :
	    mode == ADDRESS_LABEL_HASH && ep->address[0] ? hash : ep->address);
	labels_add(&l, "port", port);
	labels_add(&l, "protocol", protocol_name(ep->protocol));

	expo_add(e, F_PROBE_SUCCESS, &l, o->success, NULL);
	for (int s = 0; s < STEP__COUNT; s++)
		if (o->phase_mask & (1u << s))
			expo_add(e, F_PROBE_DURATION, &l, o->phase_s[s],
			    "phase", probe_step_name((enum probe_step)s), NULL);
	/* The MX lookup is the domain's (mailsec_dns_lookup_duration_seconds
	 * {record="mx"}), the whole probe its own family. */
	expo_add(e, F_PROBE_ENDPOINT_DURATION, &l, o->total_s, NULL);
	if (!o->success)
		expo_add(e, F_PROBE_ERROR_INFO, &l, 1,
		    "step", probe_step_name(o->fail_step),
		    "reason", probe_reason_name(o->reason),
		    "cause", probe_cause_name(o->cause),
		    probe_outcome_alert(o) ? "tls_alert" : NULL,
		    probe_outcome_alert(o), NULL);
	expo_add(e, F_PROBE_TIMESTAMP, &l, ep->finished, NULL);
	facts_expo(e, &l, r, ep);
	add_dane_records(e, &l, r, ep);
	buf_free(&l);
}

void
metrics_add_result(struct expo *e, const struct check_result *r, int mode)
{
	struct buf l;

	if (r == NULL)
		return;
	buf_init(&l);
	labels_add(&l, "target", r->target.key);
	labels_add(&l, "kind", r->target.kind == TARGET_DOMAIN ? "domain" :
	    "endpoint");
	expo_add(e, F_CHECK_SUCCESS, &l, r->success, NULL);
	expo_add(e, F_CHECK_DURATION, &l, r->duration_s, NULL);
	expo_add(e, F_CHECK_TIMESTAMP, &l, r->finished, NULL);
	buf_reset(&l);
	if (r->target.kind == TARGET_DOMAIN) {
		labels_add(&l, "domain", r->target.name);
		domfacts_expo(&dom_table, e, &l, r, mode);
	}
	buf_free(&l);
	for (size_t i = 0; i < r->n_eps; i++)
		if (mode != ADDRESS_LABEL_OFF || service_representative(r, i))
			add_endpoint(e, r, &r->eps[i], mode);
}

/* process_* as the Prometheus client libraries export them. */
/* What the published results hold (check_result_bytes). */
static void
add_result_bytes(struct expo *e, const struct ctx *ctx)
{
	size_t bytes[RESULT_PART__COUNT] = { 0 }, n = 0;
	const struct published_target *pt = ctx->results == NULL ? NULL :
	    result_store_targets(ctx->results, &n);

	for (size_t i = 0; i < n; i++)
		if (pt[i].result != NULL)
			check_result_bytes(pt[i].result, bytes);
	for (int part = 0; part < RESULT_PART__COUNT; part++)
		expo_add(e, F_RESULT_BYTES, NULL, (double)bytes[part], "part",
		    result_part_name(part), NULL);
}

static void
add_process(struct expo *e, const struct ctx *ctx)
{
	char stat[1024], *p;
	unsigned long utime = 0, stime = 0, vsize = 0;
	long rss = 0, ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	struct dirent *de;
	size_t n = 0;
	FILE *f;
	DIR *d;

	if ((f = fopen("/proc/self/stat", "r")) != NULL) {
		size_t got = fread(stat, 1, sizeof(stat) - 1, f);

		stat[got] = '\0';
		fclose(f);
		/* Fields after the command name, which may hold blanks. */
		if ((p = strrchr(stat, ')')) != NULL &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		    "%lu %lu %*d %*d %*d %*d %*d %*d %*u %lu %ld",
		    &utime, &stime, &vsize, &rss) == 4) {
			expo_add(e, F_PROC_CPU, NULL,
			    (double)(utime + stime) / (double)ticks, NULL);
			expo_add(e, F_PROC_VMEM, NULL, (double)vsize, NULL);
			expo_add(e, F_PROC_RSS, NULL, (double)rss * (double)page,
			    NULL);
		}
	}
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				n++;
		closedir(d);
		expo_add(e, F_PROC_FDS, NULL, (double)(n > 0 ? n - 1 : 0), NULL);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		expo_add(e, F_PROC_MAX_FDS, NULL, (double)rl.rlim_cur, NULL);
	expo_add(e, F_PROC_START, NULL, ctx->start_time, NULL);
}

/* The DNS layer's own counters: questions sent, the cache, the budget. */
static void
add_exporter_dns(struct expo *e, const struct ctx *ctx)
{
	struct dns_stats st;

	if (ctx->dns == NULL)
		return;
	dns_get_stats(ctx->dns, &st);
	for (unsigned r = 0; r < DNS_REC__COUNT; r++)
		expo_add(e, F_DNS_QUERIES_TOTAL, NULL, (double)st.queries[r],
		    "record", dns_record_name((enum dns_record)r), NULL);
	expo_add(e, F_DNS_JOINED_TOTAL, NULL, (double)st.joined, NULL);
	expo_add(e, F_DNS_CACHE_HITS_TOTAL, NULL, (double)st.hits, NULL);
	expo_add(e, F_DNS_CACHE_ENTRIES, NULL, (double)st.entries, NULL);
	expo_add(e, F_DNS_CACHE_BYTES, NULL, (double)st.bytes, NULL);
	expo_add(e, F_DNS_CACHE_EVICTIONS_TOTAL, NULL, (double)st.evictions,
	    NULL);
	expo_add(e, F_DNS_BUDGET_REFUSED_TOTAL, NULL,
	    (double)ctx->dns_budget_refused, NULL);
	if (ctx->dnssec != NULL)
		for (unsigned r = 0; r < DNS_REC__COUNT; r++)
			expo_add(e, F_DNSSEC_QUERIES_TOTAL, NULL,
			    (double)dnssec_queries(ctx->dnssec, r), "record",
			    dns_record_name((enum dns_record)r), NULL);
}

static void
add_change_entry(const struct change_entry *ce, void *arg)
{
	expo_add(arg, F_RECORD_HASH, NULL, (double)ce->hash, "domain",
	    ce->domain, "record", ce->record, NULL);
	expo_add(arg, F_RECORD_CHANGED, NULL, ce->changed, "domain",
	    ce->domain, "record", ce->record, NULL);
}

static void
add_change_weak(const struct change_entry *ce, const struct change_weak *w,
    void *arg)
{
	expo_add(arg, F_POLICY_WEAKENED, NULL, 1, "domain", ce->domain,
	    "record", ce->record, "what", w->what, NULL);
}

static void
add_exporter(struct expo *e, const struct ctx *ctx)
{
	size_t domains = 0, endpoints = 0;

	expo_add(e, F_BUILD_INFO, NULL, 1, "version", MAILSEC_VERSION,
	    "openssl", OpenSSL_version(OPENSSL_VERSION_STRING),
	    "libevent", event_get_version(), "cares", ares_version(NULL),
	    "microhttpd", MHD_get_version(), NULL);
	for (int p = 0; p < PROTO__COUNT; p++) {
		expo_add(e, F_PROBES_TOTAL, NULL,
		    (double)(ctx->probes_total[p][1] + ctx->probes_total[p][0]),
		    "protocol", protocol_name((enum protocol)p), NULL);
		expo_add(e, F_PROBE_FAILURES_TOTAL, NULL,
		    (double)ctx->probes_total[p][0],
		    "protocol", protocol_name((enum protocol)p), NULL);
		expo_add(e, F_PROBES_SHARED_TOTAL, NULL,
		    (double)ctx->probes_shared[p],
		    "protocol", protocol_name((enum protocol)p), NULL);
	}
	expo_add(e, F_PROBES_IN_FLIGHT, NULL, ctx->in_flight, NULL);
	expo_add(e, F_PROBES_QUEUED, NULL, ctx->queued, NULL);
	expo_add(e, F_MTA_STS_FETCHES_IN_FLIGHT, NULL,
	    fetch_engine_active(ctx->fetch), NULL);
	expo_add(e, F_MTA_STS_FETCHES_WAITING, NULL,
	    fetch_engine_in_flight(ctx->fetch) - fetch_engine_active(ctx->fetch),
	    NULL);
	add_result_bytes(e, ctx);
	/* the config's targets: one check each */
	for (size_t i = 0; ctx->cfg != NULL && i < ctx->cfg->n_targets; i++) {
		if (ctx->cfg->targets[i].kind == TARGET_DOMAIN)
			domains++;
		else
			endpoints++;
	}
	expo_add(e, F_TARGETS, NULL, (double)domains, "kind", "domain", NULL);
	expo_add(e, F_TARGETS, NULL, (double)endpoints, "kind", "endpoint", NULL);
	expo_add(e, F_CONFIG_RELOAD_OK, NULL, ctx->reload_ok, NULL);
	expo_add(e, F_CONFIG_RELOAD_TS, NULL, ctx->reload_ok_time, NULL);
	add_exporter_dns(e, ctx);
	cfgwatch_metrics(e, ctx);
	changes_foreach(&ctx->changes, wall_time(), add_change_entry,
	    add_change_weak, e);
}

void
metrics_add_exporter(struct expo *e, const struct ctx *ctx)
{
	add_exporter(e, ctx);
	add_process(e, ctx);
}
