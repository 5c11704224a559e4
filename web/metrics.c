#include "web/metrics.h"

#include "daemon/cfgwatch.h"

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ares.h>
#include <event2/event.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "daemon/log.h"
#include "daemon/publish.h"
#include "web/facts.h"

/* address_label = hash: 8 hex digits of the address's SHA-256. */
static void
address_hash(const char *address, char out[9])
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
			if (!r->eps[j].out.success)
				return j == i;
			if (j < first)
				first = j;
		}
	return first == i;
}

static void
add_endpoint(struct expo *e, const struct check_result *r,
    const struct endpoint_result *ep, int mode)
{
	const struct probe_outcome *o = &ep->out;
	struct buf l;
	char port[8], hash[9];

	buf_init(&l);
	snprintf(port, sizeof(port), "%u", ep->port);
	labels_add(&l, "domain", r->target.kind == TARGET_DOMAIN ?
	    r->target.name : "");
	labels_add(&l, "host", ep->host);
	if (mode == ADDRESS_LABEL_HASH && ep->address[0])
		address_hash(ep->address, hash);
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
		    "reason", probe_reason_name(o->reason), NULL);
	expo_add(e, F_PROBE_TIMESTAMP, &l, ep->finished, NULL);
	facts_expo(e, &l, r, ep);
	buf_free(&l);
}

static void
add_lookup(struct expo *e, const struct buf *l, const char *record,
    const char *selector, const struct dns_lookup_info *li)
{
	if (!li->done)
		return;
	expo_add(e, F_DNS_LOOKUP_SUCCESS, l, dns_answered(li->result),
	    "record", record, selector ? "selector" : NULL, selector, NULL);
	expo_add(e, F_DNS_LOOKUP_DURATION, l, li->duration_s, "record", record,
	    selector ? "selector" : NULL, selector, NULL);
	if (li->result != DNS_OK)
		expo_add(e, F_DNS_ERROR_INFO, l, 1, "record", record,
		    "rcode", dns_result_name(li->result),
		    selector ? "selector" : NULL, selector, NULL);
}

static void
add_records(struct expo *e, const struct buf *l, const struct records_result *r)
{
	const struct dmarc_record *d = &r->dmarc;

	add_lookup(e, l, "spf", NULL, &r->spf_lookup);
	expo_add(e, F_SPF_PRESENT, l, r->spf_present, NULL);
	/* A temperror leaves validity unknown: no sample. */
	if (records_spf_valid(r) >= 0)
		expo_add(e, F_SPF_VALID, l, records_spf_valid(r), NULL);
	expo_add(e, F_SPF_TEMPERROR, l, r->spf_temperror, NULL);
	if (r->spf_reason)
		expo_add(e, F_SPF_ERROR_INFO, l, 1, "reason", r->spf_reason, NULL);
	if (r->spf_present) {
		expo_add(e, F_SPF_DNS_LOOKUPS, l, r->spf_dns_lookups, NULL);
		expo_add(e, F_SPF_VOID_LOOKUPS, l, r->spf_void_lookups, NULL);
		if (r->spf_all != SPF_ALL_UNKNOWN)
			expo_add(e, F_SPF_ALL_INFO, l, 1, "qualifier",
			    spf_qualifier_name(r->spf_all), NULL);
		expo_add(e, F_SPF_PTR_USED, l, r->spf_ptr_used, NULL);
		expo_add(e, F_SPF_BYTES, l, (double)r->spf_bytes, NULL);
	}
	for (size_t i = 0; i < r->n_spf_checks; i++)
		expo_add(e, F_SPF_CHECK_HOST_INFO, l, 1,
		    "address", r->spf_checks[i].address,
		    "source", r->spf_checks[i].source,
		    "result", spf_result_name(r->spf_checks[i].code), NULL);
	for (size_t i = 0; i < r->n_dkim; i++) {
		const struct dkim_selector_result *k = &r->dkim[i];
		const char *sel = k->selector;

		add_lookup(e, l, "dkim", sel, &k->lookup);
		if (k->lookup.done && !dns_answered(k->lookup.result)) {
			/* A failed lookup: nothing is known of the key. */
			expo_add(e, F_DKIM_ERROR_INFO, l, 1, "selector", sel,
			    "reason", k->key.reason, NULL);
			continue;
		}
		expo_add(e, F_DKIM_PRESENT, l, k->key.present, "selector", sel,
		    NULL);
		expo_add(e, F_DKIM_VALID, l, k->key.valid, "selector", sel, NULL);
		if (k->key.key_type && k->key.key_bits)
			expo_add(e, F_DKIM_KEY_SIZE, l, k->key.key_bits,
			    "selector", sel, "key_type", k->key.key_type, NULL);
		expo_add(e, F_DKIM_REVOKED, l, k->key.revoked, "selector", sel,
		    NULL);
		expo_add(e, F_DKIM_TESTING, l, k->key.testing, "selector", sel,
		    NULL);
		expo_add(e, F_DKIM_SHA1_ONLY, l, k->key.sha1_only, "selector", sel,
		    NULL);
		if (k->key.reason)
			expo_add(e, F_DKIM_ERROR_INFO, l, 1, "selector", sel,
			    "reason", k->key.reason, NULL);
	}
	add_lookup(e, l, "dmarc", NULL, &r->dmarc_lookup);
	if (r->dmarc_failure == DNS_OK || d->present) {
		/* a failed lookup says nothing of the record */
		expo_add(e, F_DMARC_PRESENT, l, d->present, NULL);
		expo_add(e, F_DMARC_VALID, l, d->present && d->valid, NULL);
	}
	expo_add(e, F_DMARC_FROM_ORG, l, r->dmarc_from_org, NULL);
	if (!d->present)
		expo_add(e, F_DMARC_ERROR_INFO, l, 1, "reason", d->reason ?
		    d->reason : "no_record", NULL);
	else if (d->reason)
		expo_add(e, F_DMARC_ERROR_INFO, l, 1, "reason", d->reason, NULL);
	expo_add(e, F_DMARC_NEAR_MISS, l, r->dmarc_near_miss, NULL);
	if (records_dmarc_policy(r) != DMARC_POLICY_UNSET) {
		/* A subdomain that borrows its org domain's record gets sp. */
		expo_add(e, F_DMARC_POLICY, l, records_dmarc_policy(r), NULL);
		expo_add(e, F_DMARC_SUBDOMAIN_POLICY, l, d->subdomain_policy,
		    NULL);
		expo_add(e, F_DMARC_PCT, l, d->pct, NULL);
	}
	if (d->present)
		expo_add(e, F_DMARC_RUA_COUNT, l, (double)d->n_rua, NULL);
	for (size_t i = 0; i < r->n_dmarc_dests; i++)
		if (r->dmarc_dests[i].external && r->dmarc_dests[i].authorized >= 0)
			expo_add(e, F_DMARC_EXTERNAL_RUA_AUTH, l,
			    r->dmarc_dests[i].authorized,
			    "destination", r->dmarc_dests[i].domain, NULL);
	expo_add(e, F_RECORDS_TIMESTAMP, l, r->finished, NULL);
}

static void
add_mta_sts(struct expo *e, const struct buf *l, const struct check_result *cr)
{
	const struct mtasts_result *r = cr->mtasts;
	const struct sts_policy *p = &r->policy;
	int not_covered = 0, not_compliant = 0;

	add_lookup(e, l, "mta_sts", NULL, &r->record_lookup);
	expo_add(e, F_STS_RECORD_PRESENT, l, r->record.present, NULL);
	expo_add(e, F_STS_RECORD_VALID, l, r->record.valid, NULL);
	if (r->record.reason != STS_OK)
		expo_add(e, F_STS_ERROR_INFO, l, 1, "reason",
		    sts_reason_name(r->record.reason), NULL);
	if (r->record.valid)
		expo_add(e, F_STS_ID_INFO, l, 1, "id", r->record.id, NULL);
	if (!r->fetch_attempted)
		return;
	expo_add(e, F_STS_FETCH_SUCCESS, l, r->fetch_success, NULL);
	expo_add(e, F_STS_FETCH_DURATION, l, r->fetch_duration_s, NULL);
	if (r->cert_not_after > 0)
		expo_add(e, F_STS_CERT_NOT_AFTER, l, r->cert_not_after, NULL);
	expo_add(e, F_STS_POLICY_VALID, l, r->policy_reason == STS_OK, NULL);
	if (r->policy_reason != STS_OK) {
		expo_add(e, F_STS_ERROR_INFO, l, 1, "reason",
		    sts_reason_name(r->policy_reason), NULL);
		return;
	}
	expo_add(e, F_STS_MODE_INFO, l, 1, "mode", sts_mode_name(p->mode), NULL);
	expo_add(e, F_STS_MAX_AGE, l, p->max_age, NULL);
	expo_add(e, F_STS_MX_PATTERNS, l, (double)p->n_mx, NULL);
	for (size_t i = 0; i < cr->n_mx; i++) {
		const char *host = cr->mx[i].host;
		enum mtasts_mx v = mtasts_mx_verdict(r, host,
		    check_result_mx_certs_verified(cr, host));

		if (v == MTASTS_MX_NO_POLICY)
			break;
		expo_add(e, F_STS_MX_COVERED, l, v != MTASTS_MX_NOT_COVERED,
		    "host", host, NULL);
		if (v != MTASTS_MX_UNKNOWN)
			expo_add(e, F_STS_MX_COMPLIANT, l,
			    v == MTASTS_MX_COMPLIANT, "host", host, NULL);
		not_covered |= v == MTASTS_MX_NOT_COVERED;
		not_compliant |= v == MTASTS_MX_CERT_FAILS;
	}
	if (not_covered)
		expo_add(e, F_STS_ERROR_INFO, l, 1, "reason",
		    sts_reason_name(STS_MX_NOT_COVERED), NULL);
	if (not_compliant)
		expo_add(e, F_STS_ERROR_INFO, l, 1, "reason",
		    sts_reason_name(STS_MX_NOT_COMPLIANT), NULL);
}

static void
add_tls_rpt(struct expo *e, const struct buf *l, const struct mtasts_result *r)
{
	add_lookup(e, l, "tls_rpt", NULL, &r->rpt_lookup);
	expo_add(e, F_TLSRPT_PRESENT, l, r->rpt.present, NULL);
	expo_add(e, F_TLSRPT_VALID, l, r->rpt.valid, NULL);
	if (r->rpt.present)
		expo_add(e, F_TLSRPT_RUA, l, (double)r->rpt.n_rua, NULL);
	if (r->rpt.reason != STS_OK)
		expo_add(e, F_TLSRPT_ERROR_INFO, l, 1, "reason",
		    sts_reason_name(r->rpt.reason), NULL);
}

/* The CA domains of the set's issue records, "a.example,b.example", ";"
 * when they allow none, "" when there is no issue record. */
static void
caa_issuers_text(const struct caa_set *set, char *out, size_t len)
{
	size_t o = 0;
	int any = 0;

	out[0] = '\0';
	for (size_t i = 0; i < set->n; i++) {
		const struct caa_record *r = &set->recs[i];
		int n;

		if (r->tag != CAA_TAG_ISSUE)
			continue;
		any = 1;
		if (r->issuer[0] == '\0')
			continue;
		n = snprintf(out + o, len - o, "%s%s", o ? "," : "", r->issuer);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	if (any && o == 0)
		snprintf(out, len, ";");
}

static void
add_mxhyg(struct expo *e, const struct buf *l, int mode,
    const struct mxhyg_result *m)
{
	for (size_t i = 0; i < m->n_findings; i++)
		expo_add(e, F_MX_ERROR_INFO, l, 1, "host", m->findings[i].host,
		    "reason", mx_error_name(m->findings[i].reason), NULL);
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct mxhyg_host *h = &m->hosts[i];
		char issuers[512];

		expo_add(e, F_MX_IPV6_ADDRESSES, l, h->n_v6, "host", h->host,
		    NULL);
		if (h->caa_present < 0)
			continue;	/* a lookup failed: not known */
		expo_add(e, F_CAA_PRESENT, l, h->caa_present, "host", h->host,
		    NULL);
		if (h->caa == NULL)
			continue;
		expo_add(e, F_CAA_VALID, l, h->caa->error == CAA_OK, "host",
		    h->host, NULL);
		caa_issuers_text(h->caa, issuers, sizeof(issuers));
		expo_add(e, F_CAA_INFO, l, 1, "host", h->host, "found_at",
		    h->caa_name, "issuers", issuers, NULL);
	}
	for (size_t i = 0; i < m->n_addrs; i++) {
		const struct mxhyg_addr *a = &m->addrs[i];
		char hash[9];
		const char *label = a->address;
		int v = a->match;

		if (mode == ADDRESS_LABEL_OFF) {
			/* One sample per host: the worst of its addresses. */
			int first = 1;

			for (size_t j = 0; j < m->n_addrs; j++)
				if (strcmp(m->addrs[j].host, a->host) == 0) {
					if (j < i)
						first = 0;
					if (m->addrs[j].match == 0 ||
					    (m->addrs[j].match < 0 && v == 1))
						v = m->addrs[j].match;
				}
			if (!first)
				continue;
			label = "";
		} else if (mode == ADDRESS_LABEL_HASH) {
			address_hash(a->address, hash);
			label = hash;
		}
		if (v >= 0)
			expo_add(e, F_MX_PTR_MATCH, l, v, "host", a->host,
			    "address", label, NULL);
		if (mode == ADDRESS_LABEL_OFF)
			continue;
		for (size_t k = 0; k < a->n_ptr_names; k++)
			expo_add(e, F_MX_PTR_INFO, l, 1, "host", a->host,
			    "address", label, "name", a->ptr_names[k], NULL);
	}
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
		expo_add(e, F_DNS_LOOKUP_SUCCESS, &l, dns_answered(r->mx_result),
		    "record", "mx", NULL);
		expo_add(e, F_DNS_LOOKUP_DURATION, &l, r->mx_duration_s,
		    "record", "mx", NULL);
		if (r->mx_result != DNS_OK)
			expo_add(e, F_DNS_ERROR_INFO, &l, 1, "record", "mx",
			    "rcode", dns_result_name(r->mx_result), NULL);
		expo_add(e, F_MX_RECORDS, &l, (double)r->n_mx, NULL);
		for (size_t i = 0; i < r->n_mx; i++) {
			char pref[12];

			snprintf(pref, sizeof(pref), "%u", r->mx[i].preference);
			expo_add(e, F_MX_INFO, &l, 1, "host", r->mx[i].host,
			    "preference", pref, NULL);
		}
		expo_add(e, F_MX_NULL, &l, r->null_mx, NULL);
		expo_add(e, F_MX_IMPLICIT, &l, r->implicit_mx, NULL);
		if (r->records)
			add_records(e, &l, r->records);
		if (r->mtasts && r->mtasts->sts_checked)
			add_mta_sts(e, &l, r);
		if (r->mtasts && r->mtasts->rpt_checked)
			add_tls_rpt(e, &l, r->mtasts);
		if (r->mxhyg)
			add_mxhyg(e, &l, mode, r->mxhyg);
		for (size_t i = 0; r->zones && i < r->zones->n_names; i++) {
			const struct zone_status *z = &r->zones->names[i];

			expo_add(e, F_DNSSEC_STATUS_INFO, &l, 1, "name", z->name,
			    "status", dnssec_status_name(z->status), NULL);
			expo_add(e, F_DNSSEC_SECURE, &l,
			    z->status == DNSSEC_SECURE, "name", z->name, NULL);
		}
	}
	buf_free(&l);
	for (size_t i = 0; i < r->n_eps; i++)
		if (mode != ADDRESS_LABEL_OFF || service_representative(r, i))
			add_endpoint(e, r, &r->eps[i], mode);
}

/* process_* as the Prometheus client libraries export them. */
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
	}
	expo_add(e, F_PROBES_IN_FLIGHT, NULL, ctx->in_flight, NULL);
	expo_add(e, F_PROBES_QUEUED, NULL, ctx->queued, NULL);
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
	cfgwatch_metrics(e, (struct ctx *)ctx);
	changes_foreach(&ctx->changes, wall_time(), add_change_entry,
	    add_change_weak, e);
}

/* The samples of each check's published result are rendered once, in
 * compact form (web/expo.h), and kept until the scheduler publishes the
 * next (daemon/publish.h: a result is replaced whole, never changed in
 * place): a scrape renders only what was published since and not yet
 * rendered.  A text is grouped by
 * family: only the families it has samples of, ascending, fam[k] being
 * seg[fam_end[k - 1], fam_end[k]) (a check has samples of some 30 of the
 * 80-odd families).  Texts are reference
 * counted: a scrape streams from the texts it started with while the
 * cache moves on. */
struct text_arena;
struct check_text {
	unsigned	 refs;
	struct text_arena *arena;
	uint32_t	 size;			/* all of it, header included */
	uint32_t	 xlen;			/* expanded, all of it */
	unsigned	 n_fams;
	struct expo_bases bases;
	const uint8_t	*fam;			/* the families, ascending */
	const uint32_t	*fam_end;
	const char	*seg;
	/* fam_end[n_fams], base_off[n_bases + 1]; then fam[n_fams], the
	 * bases and seg */
	uint32_t	 u32[];
};

_Static_assert(F__COUNT <= 255, "family ids are bytes");

/* Texts are packed in arenas.  A stream walks every text once per family,
 * and texts allocated one by one as results come in end up scattered over
 * the heap: measured at 10,000 endpoints, that walk took twice as long.
 * When a quarter of the texts were made since the last packing, the next
 * render copies them all, in check order, into one new arena. */
struct text_arena {
	size_t		 live;		/* texts in it still referenced */
	size_t		 used, cap;
	int		 open;		/* new texts may still go here */
	_Alignas(max_align_t) unsigned char data[];
};

#define ARENA_MIN	(256 * 1024)

struct check_slot {
	const struct check_result *result;	/* published, or NULL */
	struct check_text *text;	/* NULL: not rendered since */
};

/* Lives in the ctx (the one context holds all mutable state); told of
 * every published result and list of targets. */
struct metrics_cache {
	struct ctx	*ctx;
	struct check_slot *slots;	/* in the order of the published list */
	size_t		 n_slots;
	int		 address_label;	/* the mode the texts have */
	struct expo	 scratch;	/* one check at a time; keeps its room */
	int		 scratch_ready;
	struct text_arena *arena;	/* the open one */
	size_t		 made;		/* texts made since the last packing */
	int		 scraped;	/* a stream was made: render as told */
};

/* Once scraped, a result is rendered when it is published, so that a
 * scrape finds the texts ready: a cold cache of 10,000 endpoints is
 * ~100 ms of rendering in a scrape's path.  Before the first scrape
 * nothing is rendered: nobody may ever read it. */
#define PACK_MIN_CHECKS	64

/* A broken invariant of this file, not a condition of the input. */
static void __attribute__((noreturn))
metrics_bug(const char *what)
{
	log_msg(LOG_ERROR, "metrics_bug", "msg=\"%s\"", what);
	abort();
}

/* Arenas are mapped, not malloc()ed: glibc would serve them from its
 * heap once its mmap threshold has risen past their size, and a heap
 * keeps what it is given back in the middle. */
static struct text_arena *
arena_new(size_t cap)
{
	size_t len = sizeof(struct text_arena) + cap;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct text_arena *a;

	if (p == MAP_FAILED) {
		log_msg(LOG_ERROR, "metrics_oom", "bytes=%zu", len);
		abort();
	}
	a = p;
	a->live = a->used = 0;
	a->cap = cap;
	a->open = 1;
	return a;
}

static void
arena_free(struct text_arena *a)
{
	munmap(a, sizeof(*a) + a->cap);
}

static void
arena_close(struct text_arena *a)
{
	a->open = 0;
	if (a->live == 0)
		arena_free(a);
}

/* Room for a text of size bytes in the open arena, or a new one. */
static struct check_text *
text_alloc(struct metrics_cache *mc, size_t size, size_t arena_cap)
{
	struct text_arena *a = mc->arena;
	struct check_text *t;

	size = (size + _Alignof(max_align_t) - 1) &
	    ~(size_t)(_Alignof(max_align_t) - 1);
	if (size > UINT32_MAX)
		metrics_bug("one check's text is over 4 GiB");
	if (a == NULL || a->cap - a->used < size) {
		if (a != NULL)
			arena_close(a);
		if (arena_cap < size)
			arena_cap = size;
		/* whole pages: the rest of the last one is room too */
		arena_cap = (sizeof(*a) + arena_cap + 4095) / 4096 * 4096 -
		    sizeof(*a);
		a = arena_new(arena_cap);
		mc->arena = a;
	}
	t = (struct check_text *)(void *)(a->data + a->used);
	a->used += size;
	a->live++;
	t->refs = 1;
	t->arena = a;
	t->size = (uint32_t)size;
	return t;
}

/* The pointers into itself, once its bytes are in place. */
static void
text_link(struct check_text *t, unsigned n_fams, unsigned n_bases,
    size_t bases_len)
{
	char *p = (char *)(t->u32 + n_fams + n_bases + 1);

	t->n_fams = n_fams;
	t->fam_end = t->u32;
	t->fam = (const uint8_t *)p;
	p += n_fams;
	t->bases = (struct expo_bases){ p, t->u32 + n_fams, n_bases };
	t->seg = p + bases_len;
}

static size_t
text_fam_start(const struct check_text *t, unsigned k)
{
	return k ? t->fam_end[k - 1] : 0;
}

static void
check_text_unref(struct check_text *t)
{
	struct text_arena *a;

	if (t == NULL || --t->refs > 0)
		return;
	a = t->arena;
	if (--a->live == 0 && !a->open)
		arena_free(a);
}

static struct check_text *
check_text_make(struct metrics_cache *mc, struct expo *e)
{
	size_t seg_len = 0, nb = e->n_bases, o = 0;
	unsigned nf = 0, k = 0;
	struct check_text *t;
	uint32_t *fam_end;
	uint8_t *fam;
	char *p;

	for (size_t f = 0; f < F__COUNT; f++)
		if (e->fam[f].len) {
			seg_len += e->fam[f].len;
			nf++;
		}
	t = text_alloc(mc, sizeof(*t) + (nf + nb + 1) * sizeof(uint32_t) +
	    nf + e->bases.len + seg_len, ARENA_MIN);
	text_link(t, nf, (unsigned)nb, e->bases.len);
	fam_end = t->u32;
	fam = (uint8_t *)t->fam;
	memcpy(t->u32 + nf, e->base_off, (nb + 1) * sizeof(uint32_t));
	if (e->bases.len)
		memcpy((char *)t->bases.data, e->bases.data, e->bases.len);
	p = (char *)t->seg;
	t->xlen = 0;
	for (size_t f = 0; f < F__COUNT; f++) {
		if (e->fam[f].len == 0)
			continue;
		memcpy(p + o, e->fam[f].data, e->fam[f].len);
		o += e->fam[f].len;
		fam[k] = (uint8_t)f;
		fam_end[k++] = (uint32_t)o;
		t->xlen += (uint32_t)expo_expanded_len((enum family)f,
		    &t->bases, e->fam[f].data, e->fam[f].len);
	}
	mc->made++;
	return t;
}

/* Copies every slot's text, in check order, into new arenas of
 * PACK_ARENA bytes: each old one goes as soon as the texts it held have
 * moved (unless a stream still reads them), so packing needs about one
 * arena more, not a second copy of everything. */
#define PACK_ARENA	(1024 * 1024)

static void
cache_pack(struct metrics_cache *mc)
{
	if (mc->arena != NULL)
		arena_close(mc->arena);
	mc->arena = NULL;
	for (size_t i = 0; i < mc->n_slots; i++) {
		struct check_text *old = mc->slots[i].text, *t;

		if (old == NULL)
			continue;
		t = text_alloc(mc, old->size, PACK_ARENA);
		t->xlen = old->xlen;
		memcpy(t->u32, old->u32, old->size -
		    offsetof(struct check_text, u32));
		text_link(t, old->n_fams, old->bases.n,
		    (size_t)(old->seg - old->bases.data));
		check_text_unref(old);
		mc->slots[i].text = t;
	}
	mc->made = 0;
}

static void
slot_render(struct metrics_cache *mc, struct check_slot *s)
{
	if (!mc->scratch_ready) {
		expo_init_compact(&mc->scratch);
		mc->scratch_ready = 1;
	}
	expo_reset(&mc->scratch);
	metrics_add_result(&mc->scratch, s->result, mc->address_label);
	check_text_unref(s->text);
	s->text = check_text_make(mc, &mc->scratch);
}

static void
cache_pack_if_scattered(struct metrics_cache *mc)
{
	if (mc->made > mc->n_slots / 4 && mc->n_slots >= PACK_MIN_CHECKS)
		cache_pack(mc);
}

/* The address label is the config's: a reload may change it. */
static void
cache_check_mode(struct metrics_cache *mc)
{
	int mode = metrics_address_mode(mc->ctx);

	if (mode == mc->address_label)
		return;
	mc->address_label = mode;
	for (size_t i = 0; i < mc->n_slots; i++) {
		check_text_unref(mc->slots[i].text);
		mc->slots[i].text = NULL;
	}
}

static int
slot_by_result(const void *a, const void *b)
{
	const struct check_slot *x = a, *y = b;

	return x->result < y->result ? -1 : x->result > y->result;
}

/* A new list of targets: a text goes on with its result, wherever the
 * result now stands; the others go. */
static void
cache_retarget(struct metrics_cache *mc, const struct check_result *const *rs,
    size_t n)
{
	struct check_slot *old = mc->slots, *fresh;
	size_t n_old = mc->n_slots;

	if (n_old > 1)
		qsort(old, n_old, sizeof(*old), slot_by_result);
	fresh = xcalloc(n ? n : 1, sizeof(*fresh));
	for (size_t i = 0; i < n; i++) {
		struct check_slot key = { rs[i], NULL }, *found;

		fresh[i].result = rs[i];
		if (rs[i] == NULL || n_old == 0)
			continue;
		found = bsearch(&key, old, n_old, sizeof(*old), slot_by_result);
		if (found != NULL && found->text != NULL) {
			fresh[i].text = found->text;
			found->text = NULL;
		}
	}
	for (size_t i = 0; i < n_old; i++)
		check_text_unref(old[i].text);
	free(old);
	mc->slots = fresh;
	mc->n_slots = n;
	mc->made = n;		/* moved about: pack when next rendered */
}

static void
cache_on_publish(void *arg, const struct publish_event *ev)
{
	struct metrics_cache *mc = arg;
	struct check_slot *s;

	if (ev->kind == PUBLISH_TARGETS) {
		cache_retarget(mc, ev->results, ev->n);
		cache_check_mode(mc);
		return;
	}
	if (ev->index >= mc->n_slots)
		metrics_bug("a result published for no target");
	s = &mc->slots[ev->index];
	s->result = ev->result;
	check_text_unref(s->text);
	s->text = NULL;
	if (!mc->scraped)
		return;		/* nobody reads them (yet) */
	cache_check_mode(mc);
	slot_render(mc, s);
	cache_pack_if_scattered(mc);
}

static void
cache_release(void *arg)
{
	metrics_cache_free(arg);
}

void
metrics_cache_subscribe(struct ctx *ctx)
{
	struct metrics_cache *mc = xcalloc(1, sizeof(*mc));

	mc->ctx = ctx;
	mc->address_label = metrics_address_mode(ctx);
	if (publish_subscribe(ctx, cache_on_publish, cache_release, mc) == -1)
		metrics_bug("no room for the metrics cache's subscription");
	ctx->metrics_cache = mc;
}

void
metrics_cache_free(struct metrics_cache *mc)
{
	if (mc == NULL)
		return;
	if (mc->ctx != NULL && mc->ctx->metrics_cache == mc)
		mc->ctx->metrics_cache = NULL;
	for (size_t i = 0; i < mc->n_slots; i++)
		check_text_unref(mc->slots[i].text);
	free(mc->slots);
	if (mc->arena)
		arena_close(mc->arena);
	if (mc->scratch_ready)
		expo_free(&mc->scratch);
	free(mc);
}

/* One exposition on its way out: the texts of every check as they were
 * when it started, and the exporter's own samples of that moment.  It
 * is read in pieces of any size (MHD asks for its buffer's worth), lines
 * expanded on the way; it never holds the whole exposition. */
struct metrics_stream {
	struct check_text **texts;
	uint8_t		*cur;		/* per text: its next family */
	size_t		 n;
	struct expo	 tail;
	uint64_t	 size;
	uint8_t		 has[F__COUNT];	/* families with samples */
	/* where the reader is */
	size_t		 f;
	enum { AT_HEADER, AT_CHECKS, AT_TAIL } at;
	size_t		 i, pos;
	struct buf	 pend;		/* a header or line that did not fit */
	size_t		 pend_off;
};

static size_t
header_len(const struct family_def *d)
{
	return sizeof("# HELP  \n# TYPE  \n") - 1 + 2 * strlen(d->name) +
	    strlen(d->help) + strlen(d->type);
}


struct metrics_stream *
metrics_stream_new(struct ctx *ctx)
{
	struct metrics_cache *mc = ctx->metrics_cache;
	size_t n, rendered = 0;
	struct metrics_stream *s;

	if (mc == NULL)
		metrics_bug("a stream without metrics_cache_subscribe()");
	n = mc->n_slots;
	cache_check_mode(mc);
	s = xcalloc(1, sizeof(*s));
	s->texts = xreallocarray(NULL, n ? n : 1, sizeof(*s->texts));
	s->n = n;
	for (size_t i = 0; i < n; i++)
		if (mc->slots[i].text == NULL) {
			slot_render(mc, &mc->slots[i]);
			rendered++;
		}
	if (rendered > n / 2)
		mc->made = 0;	/* just made in check order: packed enough */
	else
		cache_pack_if_scattered(mc);
	mc->scraped = 1;
	for (size_t i = 0; i < n; i++) {
		s->texts[i] = mc->slots[i].text;
		s->texts[i]->refs++;
	}
	expo_init(&s->tail);
	add_exporter(&s->tail, ctx);
	add_process(&s->tail, ctx);
	s->cur = xcalloc(n ? n : 1, 1);
	for (size_t i = 0; i < n; i++) {
		const struct check_text *t = s->texts[i];

		s->size += t->xlen;
		for (unsigned k = 0; k < t->n_fams; k++)
			s->has[t->fam[k]] = 1;
	}
	for (size_t f = 0; f < F__COUNT; f++) {
		s->size += s->tail.fam[f].len;
		if (s->tail.fam[f].len)
			s->has[f] = 1;
		if (s->has[f])
			s->size += header_len(family_get((enum family)f));
	}
	buf_init(&s->pend);
	return s;
}

uint64_t
metrics_stream_size(const struct metrics_stream *s)
{
	return s->size;
}

/* The next family with samples, from s->f on. */
static void
next_family(struct metrics_stream *s)
{
	while (s->f < F__COUNT && !s->has[s->f])
		s->f++;
}

/* A stream walks every check's text once per family; they are packed in
 * check order, and asking for the one a few ahead hides the wait. */
#define PREFETCH_AHEAD	8

size_t
metrics_stream_read(struct metrics_stream *s, char *out, size_t room)
{
	size_t w = 0;

	while (w < room) {
		if (s->pend_off < s->pend.len) {
			size_t k = s->pend.len - s->pend_off;

			if (k > room - w)
				k = room - w;
			memcpy(out + w, s->pend.data + s->pend_off, k);
			s->pend_off += k;
			w += k;
			continue;
		}
		buf_reset(&s->pend);
		s->pend_off = 0;
		if (s->at == AT_HEADER) {
			const struct family_def *d;

			next_family(s);
			if (s->f == F__COUNT)
				break;
			d = family_get((enum family)s->f);
			buf_printf(&s->pend, "# HELP %s %s\n# TYPE %s %s\n",
			    d->name, d->help, d->name, d->type);
			s->at = AT_CHECKS;
			s->i = s->pos = 0;
		} else if (s->at == AT_CHECKS) {
			const struct check_text *t;
			size_t len, start;
			unsigned k;

			if (s->i == s->n) {
				s->at = AT_TAIL;
				s->pos = 0;
				continue;
			}
			t = s->texts[s->i];
			k = s->cur[s->i];
			if (k >= t->n_fams || t->fam[k] != s->f) {
				s->i++;		/* nothing of this family */
				continue;
			}
			if (s->pos == 0 && s->i + PREFETCH_AHEAD < s->n)
				__builtin_prefetch(s->texts[s->i + PREFETCH_AHEAD]);
			start = text_fam_start(t, k);
			len = t->fam_end[k] - start;
			if (s->pos < len) {
				size_t got = expo_expand((enum family)s->f,
				    &t->bases, t->seg + start, len, &s->pos,
				    out + w, room - w);

				w += got;
				if (got == 0)	/* the next line does not fit */
					expo_expand_line((enum family)s->f,
					    &t->bases, t->seg + start, len,
					    &s->pos, &s->pend);
			}
			if (s->pos >= len) {
				s->cur[s->i]++;
				s->i++;
				s->pos = 0;
			}
		} else {
			const struct buf *b = &s->tail.fam[s->f];
			size_t k = b->len - s->pos;

			if (k > room - w)
				k = room - w;
			if (k)
				memcpy(out + w, b->data + s->pos, k);
			s->pos += k;
			w += k;
			if (s->pos == b->len) {
				s->f++;
				s->at = AT_HEADER;
			}
		}
	}
	return w;
}

void
metrics_stream_free(struct metrics_stream *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		check_text_unref(s->texts[i]);
	free(s->texts);
	free(s->cur);
	expo_free(&s->tail);
	buf_free(&s->pend);
	free(s);
}

void
metrics_render(struct ctx *ctx, struct buf *out)
{
	struct metrics_stream *s = metrics_stream_new(ctx);
	uint64_t size = metrics_stream_size(s);
	size_t got;
	char extra;

	if (size > SIZE_MAX - 1)
		metrics_bug("exposition larger than memory");
	buf_reserve(out, (size_t)size);
	got = metrics_stream_read(s, out->data + out->len, (size_t)size);
	out->len += got;
	out->data[out->len] = '\0';
	if (got != size || metrics_stream_read(s, &extra, 1) != 0)
		metrics_bug("exposition not of the size announced");
	metrics_stream_free(s);
}
