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

#include "web/config_metrics.h"
#include "web/facts.h"
#include "web/results.h"

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

/* The fate of each TLSA record against the presented chain: a sample
 * per (usage, selector, matching type, result), four labels an entry,
 * which the fact table's sets do not express (doc/architecture.md). */
static void
add_dane_records(struct expo *e, const struct buf *l,
    const struct check_result *r, const struct endpoint_result *ep)
{
	const struct dane_facts *f = &ep->out.tls.dane;

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
	add_dane_records(e, &l, r, ep);
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
/* What the published results hold (check_result_bytes). */
static void
add_result_bytes(struct expo *e, const struct ctx *ctx)
{
	size_t eps = 0, rest = 0, n = 0;
	const struct published_target *pt = ctx->results == NULL ? NULL :
	    result_store_targets(ctx->results, &n);

	for (size_t i = 0; i < n; i++)
		if (pt[i].result != NULL)
			rest += check_result_bytes(pt[i].result, &eps);
	expo_add(e, F_RESULT_BYTES, NULL, (double)eps, "part", "endpoints",
	    NULL);
	expo_add(e, F_RESULT_BYTES, NULL, (double)rest, "part", "rest", NULL);
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
