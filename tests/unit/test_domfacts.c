/* The domain fact table (web/facts_domain.c): rich domain results, every
 * kind of row, on /metrics, the JSON API and the target page.
 * MAILSEC_SNAPSHOT=FILE writes the three outputs of each result there, to
 * hold two builds' against each other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ostr.h"
#include "collectors/caa.h"
#include "collectors/mtasts.h"
#include "collectors/mxhyg.h"
#include "collectors/records.h"
#include "collectors/zonestatus.h"
#include "daemon/ctx.h"
#include "daemon/result.h"
#include "daemon/publish.h"
#include "web/facts_domain.h"
#include "web/metrics.h"
#include "web/report.h"
#include "web/results.h"
#include "web/status.h"
#include "unit.h"

static char *
dup(const char *s)
{
	return xstrdup(s);
}

static void
mx_add(struct check_result *r, const char *host, unsigned pref)
{
	r->mx = xreallocarray(r->mx, r->n_mx + 1, sizeof(*r->mx));
	r->mx[r->n_mx].host = dup(host);
	r->mx[r->n_mx].preference = pref;
	r->n_mx++;
}

static void
dkim_add(struct records_result *rr, const char *sel, enum dns_result res,
    const char *raw, int valid, const char *reason, const char *message)
{
	struct dkim_selector_result *k;

	rr->dkim = xreallocarray(rr->dkim, rr->n_dkim + 1, sizeof(*rr->dkim));
	k = &rr->dkim[rr->n_dkim++];
	memset(k, 0, sizeof(*k));
	k->selector = dup(sel);
	k->lookup.done = 1;
	k->lookup.result = res;
	k->lookup.duration_s = 0.25;
	k->raw = raw ? ostr_share(dup(raw)) : NULL;
	k->key.present = raw != NULL;
	k->key.valid = valid;
	k->key.key_type = raw ? DKIM_KEY_RSA : DKIM_KEY_UNKNOWN;
	k->key.key_bits = raw ? 2048 : 0;
	k->key.testing = valid;
	k->key.reason = reason;
	k->key.message = ostr_cut(message, DKIM_MESSAGE_MAX);
}

static struct records_result *
records_make(int variant)
{
	struct records_result *rr = records_result_new("");

	rr->finished = 1700000100;
	rr->spf_lookup.done = 1;
	rr->spf_lookup.duration_s = 0.125;
	rr->dmarc_lookup.done = 1;
	rr->dmarc_lookup.duration_s = 0.5;
	rr->dmarc.policy = rr->dmarc.subdomain_policy = DMARC_POLICY_UNSET;
	if (variant == 0) {
		rr->spf_present = rr->spf_valid = 1;
		rr->spf_dns_lookups = 3;
		rr->spf_void_lookups = 1;
		rr->spf_all = 1;
		rr->spf_bytes = 42;
		rr->spf_raw = ostr_share(dup("v=spf1 mx include:<x>.example "
		    "-all"));
		rr->spf_checks = xcalloc(2, sizeof(*rr->spf_checks));
		rr->n_spf_checks = 2;
		rr->spf_checks[0].address = dup("192.0.2.1");
		rr->spf_checks[0].source = SPF_CHECK_MX;
		rr->spf_checks[0].code = SPF_RESULT_PASS;
		rr->spf_checks[1].address = dup("2001:db8::1");
		rr->spf_checks[1].source = SPF_CHECK_CONFIG;
		rr->spf_checks[1].code = SPF_RESULT_SOFTFAIL;
		dkim_add(rr, "s1", DNS_OK, "v=DKIM1; k=rsa; p=AAAA", 1, NULL, "");
		dkim_add(rr, "s<2", DNS_SERVFAIL, NULL, 0, "lookup_failed",
		    "the lookup failed");
		dkim_add(rr, "s3", DNS_OK, "v=DKIM1; p=", 0, "revoked",
		    "the key is revoked & empty");
		/* a long selector: the page's row name is cut as it was */
		dkim_add(rr, "long-selector-0123456789-0123456789-0123456789."
		    "0123456789-0123456789-0123456789-0123456789.0123456789-"
		    "0123456789-0123456789", DNS_OK, NULL, 0, "no_record", "");
		rr->dmarc.present = rr->dmarc.is_dmarc = rr->dmarc.valid = 1;
		rr->dmarc.policy = DMARC_POLICY_REJECT;
		rr->dmarc.subdomain_policy = DMARC_POLICY_QUARANTINE;
		rr->dmarc.pct = 50;
		rr->dmarc.n_rua = 2;
		rr->dmarc.rua = xcalloc(2, sizeof(*rr->dmarc.rua));
		rr->dmarc_raw = dup("v=DMARC1; p=reject; sp=quarantine; pct=50");
		ostr_set(&rr->dmarc_domain, dup("example.org"));
		rr->dmarc_from_org = 1;
		rr->dmarc_dests = xcalloc(3, sizeof(*rr->dmarc_dests));
		rr->n_dmarc_dests = 3;
		rr->dmarc_dests[0].domain = dup("example.org");
		rr->dmarc_dests[0].authorized = -1;
		rr->dmarc_dests[1].domain = dup("reports.example");
		rr->dmarc_dests[1].external = 1;
		rr->dmarc_dests[1].authorized = 1;
		rr->dmarc_dests[2].domain = dup("unknown.example");
		rr->dmarc_dests[2].external = 1;
		rr->dmarc_dests[2].authorized = -1;
	} else if (variant == 1) {
		/* a temperror, no DMARC, a near miss */
		rr->spf_present = 1;
		rr->spf_temperror = 1;
		rr->spf_reason = "include_failed";
		ostr_set(&rr->spf_message, dup("include:a.example: SERVFAIL"));
		rr->spf_all = SPF_ALL_NONE;
		rr->spf_raw = ostr_share(dup("v=spf1 include:a.example"));
		rr->spf_dns_lookups = 1;
		rr->spf_ptr_used = 1;
		rr->dmarc.reason = "no_record";
		ostr_set(&rr->dmarc.message,
		    dup("no TXT record starts with v=DMARC1"));
		rr->dmarc_near_miss = 1;
		ostr_set(&rr->dmarc_near_miss_message,
		    dup("v=dmarc1 <ignored>"));
	} else {
		/* lookups failed */
		rr->spf_lookup.result = DNS_TIMEOUT;
		rr->spf_all = SPF_ALL_UNKNOWN;
		rr->spf_temperror = 1;
		rr->spf_reason = "lookup_failed";
		rr->dmarc_lookup.result = DNS_SERVFAIL;
		rr->dmarc_failure = DNS_SERVFAIL;
		rr->dmarc.reason = "lookup_failed";
		dkim_add(rr, "sel", DNS_NXDOMAIN, NULL, 0, "no_record", "");
	}
	return rr;
}

static struct mtasts_result *
mtasts_make(int variant)
{
	static const char policy[] = "version: STSv1\nmode: enforce\n"
	    "mx: mx1.example.com\nmx: *.example.net\nmax_age: 604800\n";
	struct mtasts_result *m = xcalloc(1, sizeof(*m));

	m->sts_checked = variant != 2;
	m->rpt_checked = variant != 1;
	m->record_lookup.done = 1;
	m->record_lookup.duration_ms = 62;
	m->rpt_lookup.done = 1;
	m->rpt_lookup.duration_ms = 31;
	if (variant == 0) {
		m->record.present = m->record.valid = 1;
		m->record.id = dup("20240101");
		m->record_raw = dup("v=STSv1; id=20240101");
		m->fetch_attempted = m->fetch_success = 1;
		m->fetch = xcalloc(1, sizeof(*m->fetch));
		m->fetch->http_status = 200;
		m->fetch->duration_ms = 750;
		m->fetch->cert_not_after = 4000000000.0;
		sts_policy_parse(policy, strlen(policy), &m->fetch->policy);
		m->rpt.present = m->rpt.valid = 1;
		m->rpt.n_rua = 1;
		m->rpt_raw = dup("v=TLSRPTv1; rua=mailto:tls@example.com");
	} else if (variant == 1) {
		m->record.present = 1;
		sts_record_set_reason(&m->record, STS_FETCH_STATUS,
		    "id has <bad> characters");
		m->record_raw = dup("v=STSv1; id=<bad>");
		m->fetch_attempted = 1;
		m->fetch = xcalloc(1, sizeof(*m->fetch));
		m->fetch->http_status = 404;
		m->fetch->duration_ms = 500;
		m->fetch->policy.mode = STS_MODE_UNSET;
		m->fetch->policy.reason = STS_FETCH_STATUS;
		m->fetch->policy.message = dup("HTTP status 404");
	} else {
		m->rpt.present = 1;
		tlsrpt_record_set_reason(&m->rpt, STS_FETCH_STATUS, "no rua");
		m->rpt_raw = dup("v=TLSRPTv1;");
	}
	return m;
}

static struct zonestatus_result *
zones_make(struct check_result *r)
{
	struct zonestatus_result *z = xcalloc(1, sizeof(*z));

	z->names = xcalloc(3, sizeof(*z->names));
	z->n_names = 3;
	z->names[0].name = check_result_name(r, "example.com");
	z->names[0].status = DNSSEC_SECURE;
	z->names[0].why_bogus = dnssec_why_none;
	z->names[1].name = check_result_name(r, "mx1.example.com");
	z->names[1].status = DNSSEC_BOGUS;
	z->names[1].why_bogus = dup("signature <expired>");
	z->names[2].name = check_result_name(r, "mx2.example.net");
	z->names[2].status = DNSSEC_INSECURE;
	z->names[2].why_bogus = dnssec_why_none;
	return z;
}

static struct mxhyg_result *
mxhyg_make(struct check_result *r)
{
	struct mxhyg_result *m = xcalloc(1, sizeof(*m));
	struct caa_set *set;

	m->findings = xcalloc(2, sizeof(*m->findings));
	m->n_findings = 2;
	m->findings[0].reason = MX_ERR_CNAME;
	m->findings[0].host = check_result_name(r, "mx2.example.net");
	m->findings[1].reason = MX_ERR_NO_ADDRESS;
	m->findings[1].host = check_result_name(r, "mx3.example.org");
	m->hosts = xcalloc(3, sizeof(*m->hosts));
	m->n_hosts = 3;
	m->hosts[0].host = check_result_name(r, "mx1.example.com");
	m->hosts[0].n_v4 = 1;
	m->hosts[0].n_v6 = 1;
	m->hosts[0].caa_present = 1;
	m->hosts[0].caa_name = m->hosts[0].host + 4;	/* "example.com" */
	set = m->hosts[0].caa = xcalloc(1, sizeof(*set));
	set->recs = xcalloc(3, sizeof(*set->recs));
	set->n = 3;
	set->recs[0].tag = CAA_TAG_ISSUE;
	snprintf(set->recs[0].issuer, sizeof(set->recs[0].issuer), "ca.example");
	set->recs[1].tag = CAA_TAG_ISSUE;
	snprintf(set->recs[1].issuer, sizeof(set->recs[1].issuer), "ca2.example");
	set->recs[2].tag = CAA_TAG_ISSUE + 1;
	m->hosts[1].host = check_result_name(r, "mx2.example.net");
	m->hosts[1].caa_name = "";
	m->hosts[1].caa_present = 0;
	m->hosts[2].host = check_result_name(r, "mx3.example.org");
	m->hosts[2].caa_name = m->hosts[2].host;
	m->hosts[2].caa_present = -1;
	m->addrs = xcalloc(3, sizeof(*m->addrs));
	m->n_addrs = 3;
	m->addrs[0].host = check_result_name(r, "mx1.example.com");
	m->addrs[0].address = "192.0.2.1";
	m->addrs[0].match = 1;
	m->addrs[0].ptr_names = xcalloc(2, sizeof(char *));
	m->addrs[0].ptr_names[0] = dup("mx1.example.com");
	m->addrs[0].ptr_names[1] = dup("other.example.com");
	m->addrs[0].n_ptr_names = 2;
	m->addrs[0].matched = 0;
	m->addrs[1].host = check_result_name(r, "mx1.example.com");
	m->addrs[1].address = "2001:db8::1";
	m->addrs[1].matched = -1;
	m->addrs[1].match = 0;
	m->addrs[2].host = check_result_name(r, "mx2.example.net");
	m->addrs[2].address = "192.0.2.2";
	m->addrs[2].matched = -1;
	m->addrs[2].match = -1;
	return m;
}

/* The DANE lookup of one MX host on port 25: a secure TLSA set of one
 * DANE-EE record, or (why_bogus not NULL) a bogus lookup at the host's
 * CNAME target. */
static void
dane_add(struct check_result *r, const char *host, const char *expanded,
    const char *why_bogus)
{
	const uint16_t port = 25;
	struct danelookup_result *d = danelookup_result_new(
	    check_result_name(r, host), &port, 1);
	struct dane_port *p = &d->ports[0];
	unsigned char rdata[35] = { 3, 1, 1 };

	for (size_t i = 3; i < sizeof(rdata); i++)
		rdata[i] = (unsigned char)(i * 7);
	d->expanded = expanded ? dup(expanded) : NULL;
	d->mx_status = d->addr_status = DNSSEC_SECURE;
	p->base_expanded = expanded != NULL;
	if (why_bogus == NULL) {
		p->tlsa_status = DNSSEC_SECURE;
		CHECK_INT(tlsa_add_rdata(&p->tlsa, rdata, sizeof(rdata)), 0);
		p->applicable = 1;
	} else {
		p->tlsa_status = DNSSEC_BOGUS;
		p->tlsa_rcode = 2;
		p->why_bogus = dup(why_bogus);
		p->reason = DANE_REASON_BOGUS;
	}
	r->dane = xreallocarray(r->dane, r->n_dane + 1, sizeof(*r->dane));
	r->dane[r->n_dane++] = d;
}

static void
mx_addr_add(struct check_result *r, const char *host, const char *address)
{
	struct host_address *a;

	r->mx_addrs = xreallocarray(r->mx_addrs, r->n_mx_addrs + 1,
	    sizeof(*r->mx_addrs));
	a = &r->mx_addrs[r->n_mx_addrs++];
	a->host = check_result_name(r, host);
	a->address = dup(address);
}

/* variant 0: everything there; 1: failures; 2: lookups failed, null MX;
 * 3: an implicit MX, nothing else. */
static struct check_result *
domain_make(int variant)
{
	struct target_cfg t;
	struct check_result *r;

	memset(&t, 0, sizeof(t));
	t.kind = TARGET_DOMAIN;
	t.name = "example.com";
	r = check_result_new(&t, "example.com");
	r->started = 1700000000;
	r->finished = 1700000200;
	r->duration_s = 2.5;
	r->mx_duration_s = 0.015625;
	if (variant == 0 || variant == 1) {
		mx_add(r, "mx1.example.com", 10);
		mx_add(r, "mx2.example.net", 20);
		mx_add(r, "", 30);
	}
	if (variant == 2) {
		r->mx_result = DNS_SERVFAIL;
		r->null_mx = 1;
	}
	if (variant == 3)
		r->implicit_mx = 1;
	if (variant < 3) {
		r->records = records_make(variant);
		r->mtasts = mtasts_make(variant);
	}
	if (variant == 0 || variant == 1) {
		r->zones = zones_make(r);
		r->mxhyg = mxhyg_make(r);
	}
	if (variant == 0) {
		dane_add(r, "mx1.example.com", NULL, NULL);
		dane_add(r, "mx2.example.net", "alias.example.net",
		    "validation failure <_25._tcp.alias.example.net. TLSA IN>: "
		    "signature expired from 192.0.2.53");
		mx_addr_add(r, "mx1.example.com", "192.0.2.1");
		mx_addr_add(r, "mx1.example.com", "2001:db8::1");
		mx_addr_add(r, "mx2.example.net", "192.0.2.2");
		(void)check_result_add_endpoint(r, "mx1.example.com",
		    "192.0.2.1", 25, PROTO_SMTP);
		(void)check_result_add_endpoint(r, "mx2.example.net",
		    "192.0.2.2", 25, PROTO_SMTP);
	}
	r->success = 1;
	return r;
}

/* The page from its MX section on. */
static const char *
page_domain_part(const struct buf *b)
{
	const char *p = strstr(b->data, "<h2>MX</h2>");

	if (p == NULL)
		p = strstr(b->data, "<h2>Endpoints");
	return p ? p : "";
}

static void
render(struct check_result *r, struct buf *metrics, struct buf *json,
    struct buf *page, struct buf *report)
{
	struct report_opts ro = { .colour = 0 };
	struct target_cfg t;
	struct published_target pt;
	struct publish_event ev = { .kind = PUBLISH_TARGETS, .targets = &pt,
	    .n = 1 };
	struct result_store *rs;
	struct expo e;

	for (int mode = ADDRESS_LABEL_ON; mode <= ADDRESS_LABEL_HASH; mode++) {
		expo_init(&e);
		metrics_add_result(&e, r, mode);
		expo_render(&e, metrics);
		expo_free(&e);
	}
	memset(&t, 0, sizeof(t));
	t.kind = TARGET_DOMAIN;
	t.name = "example.com";
	pt = (struct published_target){ .key = "example.com", .cfg = &t,
	    .result = r };
	rs = result_store_new();
	result_store_publish(rs, &ev);
	CHECK_INT(status_json_render(rs, "example.com", json), 0);
	CHECK_INT(target_page_render(rs, "example.com", page), 0);
	if (report != NULL)
		report_render(&pt, 1, 1700000300, &ro, report);
	result_store_free(rs);
}

static void
snapshot(void)
{
	const char *path = getenv("MAILSEC_SNAPSHOT");
	FILE *f = path ? fopen(path, "w") : NULL;

	for (int variant = 0; variant < 4; variant++) {
		struct check_result *r = domain_make(variant);
		struct buf m, j, p, rep;

		buf_init(&m);
		buf_init(&j);
		buf_init(&p);
		buf_init(&rep);
		render(r, &m, &j, &p, &rep);
		CHECK(m.len > 0 && j.len > 0 && p.len > 0 && rep.len > 0);
		if (f != NULL)
			fprintf(f, "=== variant %d metrics\n%s=== json\n%s"
			    "=== page\n%s=== report\n%s", variant, m.data,
			    j.data, page_domain_part(&p), rep.data);
		buf_free(&m);
		buf_free(&j);
		buf_free(&p);
		buf_free(&rep);
		check_result_free(r);
	}
	if (f != NULL)
		fclose(f);
}

static void
check_table(void)
{
	for (size_t i = 0; i < n_dom_facts; i++) {
		const struct dom_fact *f = &dom_facts[i];

		CHECK(f->group < DG__COUNT);
		CHECK(f->family <= F__COUNT);
		if (f->family != F__COUNT && (f->type == FT_STR ||
		    f->type == FT_LOOKUP || f->type == FT_STRS))
			CHECK(f->label != NULL);
		CHECK(f->read != NULL || f->ctype != C_NONE || f->expo != NULL);
		CHECK(f->key != NULL || f->row != NULL || f->family != F__COUNT);
		/* a joined fact continues a sample of its family */
		if (f->flags & DF_JOIN)
			CHECK(i > 0 && dom_facts[i - 1].family == f->family &&
			    dom_facts[i - 1].group == f->group);
		for (size_t k = 0; k < i; k++)
			if (f->key && dom_facts[k].key &&
			    dom_facts[k].group == f->group)
				CHECK(strcmp(f->key, dom_facts[k].key) != 0);
	}
}

struct page_text {
	struct buf b;
};

static void
t_open(void *arg, const char *title)
{
	buf_printf(arg, "[%s]\n", title);
}

static void
t_close(void *arg)
{
	buf_puts(arg, "[end]\n");
}

static void
t_row(void *arg, const struct fact_cell *c)
{
	buf_printf(arg, "%s=%s%s%s\n", c->name, c->pre ? "<pre>" : "",
	    c->text, c->note ? " / note" : "");
}

/* The outputs come from the table alone: a row added to a copy shows on
 * all three. */
static void
check_added_row(void)
{
	struct dom_fact rows[256];
	struct dom_table t = { rows, n_dom_facts + 1 };
	struct check_result *r = domain_make(0);
	struct domfacts_page page = { t_open, t_close, t_row, NULL };
	struct buf labels, m, jb, pb;
	struct expo e;
	struct json j;
	size_t at = 0;

	CHECK(n_dom_facts + 1 <= sizeof(rows) / sizeof(rows[0]));
	/* after the DKIM selector's testing flag */
	while (at < n_dom_facts && !(dom_facts[at].group == DG_DKIM &&
	    dom_facts[at].key && strcmp(dom_facts[at].key, "testing") == 0))
		at++;
	CHECK(at < n_dom_facts);
	at++;
	memcpy(rows, dom_facts, at * sizeof(rows[0]));
	memcpy(rows + at + 1, dom_facts + at, (n_dom_facts - at) *
	    sizeof(rows[0]));
	rows[at] = (struct dom_fact){ .group = DG_DKIM, .key = "strict",
	    .type = FT_BOOL, .family = F_STARTTLS_OFFERED, .row = "Strict",
	    FACT_AT(struct dkim_selector_result, key.strict) };
	r->records->dkim[0].key.strict = 1;

	buf_init(&labels);
	labels_add(&labels, "domain", "example.com");
	expo_init(&e);
	domfacts_expo(&t, &e, &labels, r, ADDRESS_LABEL_ON);
	buf_init(&m);
	expo_render(&e, &m);
	CHECK(strstr(m.data, "\nmailsec_starttls_offered{domain=\"example.com\","
	    "selector=\"s1\"} 1\n") != NULL);
	CHECK(strstr(m.data, "\nmailsec_starttls_offered{domain=\"example.com\","
	    "selector=\"s3\"} 0\n") != NULL);
	/* a failed lookup still gives its selector's fact (no .when) */
	CHECK(strstr(m.data, "selector=\"s<2\"} 0\n") != NULL);
	/* the rest as the built-in table has it */
	CHECK(strstr(m.data, "\nmailsec_dkim_key_size{domain=\"example.com\","
	    "selector=\"s1\",key_type=\"rsa\"} 2048\n") != NULL);
	CHECK(strstr(m.data, "\nmailsec_mta_sts_error_info{domain=\"example.com"
	    "\",reason=\"mx_not_covered\"} 1\n") != NULL);

	buf_init(&jb);
	json_init(&j, &jb);
	json_obj_open(&j);
	domfacts_json(&t, &j, r, DOM_TAIL);
	json_obj_close(&j);
	CHECK(strstr(jb.data, "\"testing\":true,\"strict\":true,\"reason\":"
	    "null") != NULL);
	CHECK(strstr(jb.data, "\"testing\":false,\"strict\":false,") != NULL);
	CHECK(strstr(jb.data, "\"mx\":{") == NULL);	/* the head's */

	buf_init(&pb);
	page.arg = &pb;
	domfacts_rows(&t, r, DOM_TAIL, &page);
	CHECK(strstr(pb.data, "[Records]\nSPF lookup=noerror\n") != NULL);
	CHECK(strstr(pb.data, "DKIM s1=<pre>v=DKIM1; k=rsa; p=AAAA\n"
	    "Strict=yes\nDKIM s<2=servfail / note\nStrict=no\n") != NULL);
	CHECK(strstr(pb.data, "[end]\n[MTA-STS, TLS-RPT, DNSSEC]\n"
	    "MTA-STS record=valid\n") != NULL);
	buf_reset(&pb);
	domfacts_rows(&t, r, DOM_HEAD, &page);
	CHECK(strcmp(pb.data, "[MX]\nLookup=noerror, 0.016 s\nMX=10 "
	    "mx1.example.com\nMX=20 mx2.example.net\nMX=30 .\n[end]\n") == 0);

	buf_free(&pb);
	buf_free(&jb);
	buf_free(&m);
	buf_free(&labels);
	expo_free(&e);
	check_result_free(r);
}

/* A zone's name comes from DNS (an MX host's): the page escapes it like
 * a DKIM selector's. */
static void
check_hostile_zone_name(void)
{
	struct check_result *r = domain_make(0);
	struct buf m, j, p;

	r->zones->names[2].name = check_result_name(r,
	    "<img src=x onerror=alert(1)>.example");
	buf_init(&m);
	buf_init(&j);
	buf_init(&p);
	render(r, &m, &j, &p, NULL);
	CHECK(strstr(p.data, "<img") == NULL);
	CHECK(strstr(p.data, "DNSSEC of &lt;img src=x onerror=alert(1)&gt;"
	    ".example") != NULL);
	buf_free(&m);
	buf_free(&j);
	buf_free(&p);
	check_result_free(r);
}

int
main(void)
{
	check_table();
	check_added_row();
	check_hostile_zone_name();
	snapshot();
	return unit_done("test_domfacts");
}
