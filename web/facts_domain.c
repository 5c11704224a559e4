#include "web/facts_domain.h"

#include <stdio.h>
#include <string.h>

#include "collectors/caa.h"
#include "collectors/dmarc.h"
#include "collectors/mtasts.h"
#include "collectors/mxhyg.h"
#include "collectors/records.h"
#include "collectors/spf.h"
#include "collectors/sts.h"
#include "collectors/zonestatus.h"
#include "web/metrics.h"

#define REC(s)		((const struct records_result *)(s)->base)
#define DKIM(s)		((const struct dkim_selector_result *)(s)->base)
#define STS(s)		((const struct mtasts_result *)(s)->base)
#define ZONE(s)		((const struct zone_status *)(s)->base)
#define HYG_HOST(s)	((const struct mxhyg_host *)(s)->base)

/* --- the groups ----------------------------------------------------------- */

enum json_form {
	JF_NONE,	/* not in the JSON, nor anything under it */
	JF_OBJECT,	/* key: {...}; absent (or null) when not present */
	JF_ARRAY,	/* key: [{...} per item] */
	JF_INLINE,	/* its children are members of its parent's object */
};

static int
is_domain(const struct dom_src *s)
{
	return s->r != NULL && s->r->target.kind == TARGET_DOMAIN;
}

static int
has_records(const struct dom_src *s)
{
	return s->r != NULL && s->r->records != NULL;
}

static int
has_mtasts(const struct dom_src *s)
{
	return s->r != NULL && s->r->mtasts != NULL;
}

static int
has_mxhyg(const struct dom_src *s)
{
	return s->r != NULL && s->r->mxhyg != NULL;
}

static int
sts_checked(const struct dom_src *s)
{
	return STS(s)->sts_checked;
}

static int
rpt_checked(const struct dom_src *s)
{
	return STS(s)->rpt_checked;
}

static int
sts_fetched(const struct dom_src *s)
{
	return STS(s)->fetch_attempted;
}

static int
sts_policy_ok(const struct dom_src *s)
{
	return mtasts_policy_reason(STS(s)) == STS_OK;
}

static int
sts_fetched_ok(const struct dom_src *s)
{
	return sts_fetched(s) && sts_policy_ok(s);
}

/* The policy's MX verdicts are learnt once it was fetched and is valid. */
static int
sts_mx_known(const struct dom_src *s)
{
	return s->r->mtasts->sts_checked && s->r->mtasts->fetch_attempted &&
	    mtasts_policy_reason(s->r->mtasts) == STS_OK;
}

static const void *
base_result(const struct dom_src *s, size_t i)
{
	(void)i;
	return s->r;
}

static const void *
base_records(const struct dom_src *s, size_t i)
{
	(void)i;
	return s->r->records;
}

static const void *
base_mtasts(const struct dom_src *s, size_t i)
{
	(void)i;
	return s->r->mtasts;
}

static const void *
base_mxhyg(const struct dom_src *s, size_t i)
{
	(void)i;
	return s->r->mxhyg;
}

static size_t
n_mx(const struct dom_src *s)
{
	return s->r->n_mx;
}

static const void *
mx_item(const struct dom_src *s, size_t i)
{
	return &s->r->mx[i];
}

static const char *
mx_name(const struct dom_src *s, size_t i)
{
	return s->r->mx[i].host;
}

static size_t
n_spf_checks(const struct dom_src *s)
{
	return s->r->records->n_spf_checks;
}

static const void *
spf_check_item(const struct dom_src *s, size_t i)
{
	return &s->r->records->spf_checks[i];
}

static const char *
spf_check_name(const struct dom_src *s, size_t i)
{
	return s->r->records->spf_checks[i].address;
}

static size_t
n_dkim(const struct dom_src *s)
{
	return s->r->records->n_dkim;
}

static const void *
dkim_item(const struct dom_src *s, size_t i)
{
	return &s->r->records->dkim[i];
}

static const char *
dkim_name(const struct dom_src *s, size_t i)
{
	return s->r->records->dkim[i].selector;
}

static size_t
n_dests(const struct dom_src *s)
{
	return s->r->records->n_dmarc_dests;
}

static const void *
dest_item(const struct dom_src *s, size_t i)
{
	return &s->r->records->dmarc_dests[i];
}

static const char *
dest_name(const struct dom_src *s, size_t i)
{
	return s->r->records->dmarc_dests[i].domain;
}

static size_t
n_zones(const struct dom_src *s)
{
	return s->r != NULL && s->r->zones != NULL ? s->r->zones->n_names : 0;
}

static const void *
zone_item(const struct dom_src *s, size_t i)
{
	return &s->r->zones->names[i];
}

static const char *
zone_name(const struct dom_src *s, size_t i)
{
	return s->r->zones->names[i].name;
}

static size_t
n_findings(const struct dom_src *s)
{
	return s->r->mxhyg->n_findings;
}

static const void *
finding_item(const struct dom_src *s, size_t i)
{
	return &s->r->mxhyg->findings[i];
}

static const char *
finding_name(const struct dom_src *s, size_t i)
{
	return s->r->mxhyg->findings[i].host;
}

static size_t
n_hyg_hosts(const struct dom_src *s)
{
	return s->r->mxhyg->n_hosts;
}

static const void *
hyg_host_item(const struct dom_src *s, size_t i)
{
	return &s->r->mxhyg->hosts[i];
}

static const char *
hyg_host_name(const struct dom_src *s, size_t i)
{
	return s->r->mxhyg->hosts[i].host;
}

static size_t
n_hyg_addrs(const struct dom_src *s)
{
	return s->r->mxhyg->n_addrs;
}

static const void *
hyg_addr_item(const struct dom_src *s, size_t i)
{
	return &s->r->mxhyg->addrs[i];
}

static const struct group_def {
	enum dom_group	 parent;	/* DG__COUNT: a top group */
	enum dom_part	 part;		/* top groups: before or after the
					 * endpoints */
	enum json_form	 json;
	const char	*json_key;
	int		 json_null;	/* JF_OBJECT: null when not present
					 * (else no member) */
	const char	*page;		/* a top group's page section */
	/* whether it is there (a JSON object), and for its facts' samples
	 * and rows whether they are known; NULL: always */
	int		(*present)(const struct dom_src *s);
	int		(*known)(const struct dom_src *s);
	int		(*page_when)(const struct dom_src *s);	/* its section */
	/* its struct, one or per item (count() of them) */
	const void	*(*item)(const struct dom_src *s, size_t i);
	size_t		(*count)(const struct dom_src *s);
	const char	*item_label;	/* the label naming the item */
	const char	*(*item_name)(const struct dom_src *s, size_t i);
} groups[DG__COUNT] = {
	[DG_MX] = { DG__COUNT, DOM_HEAD, JF_OBJECT, "mx", 0, "MX",
	    is_domain, NULL, NULL, base_result, NULL, NULL, NULL },
	[DG_MX_RECORD] = { DG_MX, DOM_HEAD, JF_ARRAY, "records", 0, NULL,
	    NULL, NULL, NULL, mx_item, n_mx, "host", mx_name },
	[DG_RECORDS] = { DG__COUNT, DOM_TAIL, JF_OBJECT, "records", 1,
	    "Records", has_records, NULL, NULL, base_records, NULL, NULL,
	    NULL },
	[DG_SPF] = { DG_RECORDS, DOM_TAIL, JF_OBJECT, "spf", 0, NULL,
	    NULL, NULL, NULL, base_records, NULL, NULL, NULL },
	[DG_SPF_CHECK] = { DG_SPF, DOM_TAIL, JF_ARRAY, "checks", 0, NULL,
	    NULL, NULL, NULL, spf_check_item, n_spf_checks, "address",
	    spf_check_name },
	[DG_DKIM] = { DG_RECORDS, DOM_TAIL, JF_ARRAY, "dkim", 0, NULL,
	    NULL, NULL, NULL, dkim_item, n_dkim, "selector", dkim_name },
	[DG_DMARC] = { DG_RECORDS, DOM_TAIL, JF_OBJECT, "dmarc", 0, NULL,
	    NULL, NULL, NULL, base_records, NULL, NULL, NULL },
	[DG_DMARC_DEST] = { DG_DMARC, DOM_TAIL, JF_NONE, NULL, 0, NULL,
	    NULL, NULL, NULL, dest_item, n_dests, "destination", dest_name },
	[DG_POLICY] = { DG__COUNT, DOM_TAIL, JF_INLINE, NULL, 0,
	    "MTA-STS, TLS-RPT, DNSSEC", NULL, NULL, is_domain, base_result,
	    NULL, NULL, NULL },
	[DG_STS] = { DG_POLICY, DOM_TAIL, JF_OBJECT, "mta_sts", 1, NULL,
	    has_mtasts, sts_checked, NULL, base_mtasts, NULL, NULL, NULL },
	[DG_STS_MX] = { DG_STS, DOM_TAIL, JF_NONE, NULL, 0, NULL,
	    NULL, sts_mx_known, NULL, mx_item, n_mx, "host", mx_name },
	[DG_TLSRPT] = { DG_STS, DOM_TAIL, JF_OBJECT, "tls_rpt", 0, NULL,
	    NULL, rpt_checked, NULL, base_mtasts, NULL, NULL, NULL },
	[DG_ZONE] = { DG_POLICY, DOM_TAIL, JF_ARRAY, "dnssec", 0, NULL,
	    NULL, NULL, NULL, zone_item, n_zones, "name", zone_name },
	[DG_MXHYG] = { DG__COUNT, DOM_TAIL, JF_NONE, NULL, 0, NULL,
	    has_mxhyg, NULL, NULL, base_mxhyg, NULL, NULL, NULL },
	[DG_MXHYG_FINDING] = { DG_MXHYG, DOM_TAIL, JF_NONE, NULL, 0, NULL,
	    NULL, NULL, NULL, finding_item, n_findings, "host", finding_name },
	[DG_MXHYG_HOST] = { DG_MXHYG, DOM_TAIL, JF_NONE, NULL, 0, NULL,
	    NULL, NULL, NULL, hyg_host_item, n_hyg_hosts, "host",
	    hyg_host_name },
	[DG_MXHYG_ADDR] = { DG_MXHYG, DOM_TAIL, JF_NONE, NULL, 0, NULL,
	    NULL, NULL, NULL, hyg_addr_item, n_hyg_addrs, NULL, NULL },
};

/* --- readers of derived facts ---------------------------------------------- */

/* The MX answer as a lookup: always done. */
static void
read_mx_lookup(const struct dom_src *s, struct fact_value *v)
{
	v->known = 1;
	v->own_lookup.done = 1;
	v->own_lookup.result = s->r->mx_result;
	v->own_lookup.duration_s = s->r->mx_duration_s;
	v->lookup = &v->own_lookup;
}

static void
read_mx_preference(const struct dom_src *s, struct fact_value *v)
{
	const struct dns_mx *mx = s->base;

	v->known = 1;
	snprintf(v->text, sizeof(v->text), "%u", mx->preference);
	v->str = v->text;
}

static void
read_spf_valid(const struct dom_src *s, struct fact_value *v)
{
	v->num = records_spf_valid(REC(s));
	v->known = v->num >= 0;
}

static int
spf_present(const struct dom_src *s)
{
	return REC(s)->spf_present;
}

/* "all" in the JSON: the qualifier, null when the record has none. */
static void
read_spf_all(const struct dom_src *s, struct fact_value *v)
{
	v->known = REC(s)->spf_all >= 0;
	v->str = v->known ? spf_qualifier_name(REC(s)->spf_all) : NULL;
}

/* mailsec_spf_all_qualifier_info: unless not known (SPF_ALL_NONE too). */
static void
read_spf_all_info(const struct dom_src *s, struct fact_value *v)
{
	v->known = REC(s)->spf_all != SPF_ALL_UNKNOWN;
	v->str = spf_qualifier_name(REC(s)->spf_all);
}

static void
read_spf_raw_there(const struct dom_src *s, struct fact_value *v)
{
	v->known = REC(s)->spf_raw != NULL;
}

static void
read_spf_reason_there(const struct dom_src *s, struct fact_value *v)
{
	v->known = REC(s)->spf_reason != NULL;
}

static void
read_check_result(const struct dom_src *s, struct fact_value *v)
{
	const struct spf_check *c = s->base;

	v->known = 1;
	v->str = spf_result_name(c->code);
}

static void
read_check_source(const struct dom_src *s, struct fact_value *v)
{
	const struct spf_check *c = s->base;

	v->known = 1;
	v->str = spf_check_source_name(c->source);
}

/* A DKIM lookup that failed: nothing is known of the key. */
static int
dkim_failed(const struct dom_src *s)
{
	return DKIM(s)->lookup.done && !dns_answered(DKIM(s)->lookup.result);
}

static int
dkim_answered(const struct dom_src *s)
{
	return !dkim_failed(s);
}

static void
read_dkim_valid(const struct dom_src *s, struct fact_value *v)
{
	v->known = !dkim_failed(s);
	v->num = DKIM(s)->key.valid;
}

static void
read_dkim_key_type(const struct dom_src *s, struct fact_value *v)
{
	v->known = 1;
	v->str = dkim_key_type_name(DKIM(s)->key.key_type);
}

static int
dkim_key_size_known(const struct dom_src *s)
{
	return !dkim_failed(s) && DKIM(s)->key.key_type != DKIM_KEY_UNKNOWN &&
	    DKIM(s)->key.key_bits != 0;
}

static int
dkim_error_known(const struct dom_src *s)
{
	return dkim_failed(s) || DKIM(s)->key.reason != NULL;
}

/* Whether a DMARC record applies is known unless the lookup that decides
 * failed (a record found says it does). */
static int
dmarc_decided(const struct dom_src *s)
{
	return REC(s)->dmarc_failure == DNS_OK || REC(s)->dmarc.present;
}

static void
read_dmarc_valid(const struct dom_src *s, struct fact_value *v)
{
	v->known = dmarc_decided(s);
	v->num = REC(s)->dmarc.present && REC(s)->dmarc.valid;
}

static int
dmarc_present(const struct dom_src *s)
{
	return REC(s)->dmarc.present;
}

/* mailsec_dmarc_error_info: no record is a reason too. */
static void
read_dmarc_error(const struct dom_src *s, struct fact_value *v)
{
	const struct dmarc_record *d = &REC(s)->dmarc;

	v->known = !d->present || d->reason != NULL;
	v->str = d->reason != NULL ? d->reason : "no_record";
}

static int
dmarc_policy_set(const struct dom_src *s)
{
	return records_dmarc_policy(REC(s)) != DMARC_POLICY_UNSET;
}

static void
read_dmarc_policy_name(const struct dom_src *s, struct fact_value *v)
{
	v->known = dmarc_policy_set(s);
	v->str = v->known ? dmarc_policy_name(records_dmarc_policy(REC(s))) :
	    NULL;
}

/* A subdomain that borrows its org domain's record gets sp. */
static void
read_dmarc_policy(const struct dom_src *s, struct fact_value *v)
{
	v->known = dmarc_policy_set(s);
	v->num = records_dmarc_policy(REC(s));
}

static void
read_dmarc_subdomain_policy(const struct dom_src *s, struct fact_value *v)
{
	v->known = dmarc_policy_set(s);
	v->num = REC(s)->dmarc.subdomain_policy;
}

static void
read_dest_authorized(const struct dom_src *s, struct fact_value *v)
{
	const struct dmarc_destination *d = s->base;

	v->known = d->external && d->authorized >= 0;
	v->num = d->authorized;
}

static void
read_sts_lookup(const struct dom_src *s, struct fact_value *v)
{
	mtasts_lookup_info(&STS(s)->record_lookup, &v->own_lookup);
	v->lookup = &v->own_lookup;
	v->known = 1;
}

static void
read_rpt_lookup(const struct dom_src *s, struct fact_value *v)
{
	mtasts_lookup_info(&STS(s)->rpt_lookup, &v->own_lookup);
	v->lookup = &v->own_lookup;
	v->known = 1;
}

static void
read_sts_id(const struct dom_src *s, struct fact_value *v)
{
	v->known = STS(s)->record.valid;
	v->str = STS(s)->record.id != NULL ? STS(s)->record.id : "";
}

static void
read_sts_fetch_duration(const struct dom_src *s, struct fact_value *v)
{
	const struct mtasts_fetch *f = STS(s)->fetch;

	v->known = 1;
	v->num = f != NULL ? (double)f->duration_ms / 1000.0 : 0;
}

static void
read_sts_http_status(const struct dom_src *s, struct fact_value *v)
{
	const struct mtasts_fetch *f = STS(s)->fetch;

	v->known = 1;
	v->num = f != NULL ? f->http_status : 0;
}

static void
read_sts_policy_message(const struct dom_src *s, struct fact_value *v)
{
	v->str = mtasts_policy_message(STS(s));
	v->known = v->str[0] != '\0';
}

static void
read_sts_record_reason(const struct dom_src *s, struct fact_value *v)
{
	v->known = STS(s)->record.reason != STS_OK;
	v->str = sts_reason_name(STS(s)->record.reason);
}

static void
read_sts_policy_valid(const struct dom_src *s, struct fact_value *v)
{
	v->known = 1;
	v->num = sts_policy_ok(s);
}

static void
read_sts_policy_reason(const struct dom_src *s, struct fact_value *v)
{
	v->known = !sts_policy_ok(s);
	v->str = sts_reason_name(mtasts_policy_reason(STS(s)));
}

static void
read_sts_mode(const struct dom_src *s, struct fact_value *v)
{
	v->known = sts_policy_ok(s);
	v->str = sts_mode_name(mtasts_policy(STS(s))->mode);
}

static void
read_sts_max_age(const struct dom_src *s, struct fact_value *v)
{
	v->known = 1;
	v->num = sts_policy_ok(s) ? mtasts_policy(STS(s))->max_age : 0;
}

static void
read_sts_policy_known(const struct dom_src *s, struct fact_value *v)
{
	v->known = sts_policy_ok(s);
}

static void
read_sts_mx(const struct dom_src *s, struct fact_value *v)
{
	v->known = 1;
	v->n = sts_policy_ok(s) ? mtasts_policy(STS(s))->n_mx : 0;
	v->strs = mtasts_policy(STS(s))->mx;
}

static void
read_sts_mx_patterns(const struct dom_src *s, struct fact_value *v)
{
	v->known = 1;
	v->num = (double)mtasts_policy(STS(s))->n_mx;
}

static void
read_sts_cert_not_after(const struct dom_src *s, struct fact_value *v)
{
	v->num = STS(s)->fetch != NULL ? STS(s)->fetch->cert_not_after : 0;
	v->known = v->num > 0;
}

static enum mtasts_mx
sts_mx_verdict(const struct dom_src *s)
{
	const char *host = s->r->mx[s->i].host;

	return mtasts_mx_verdict(s->r->mtasts, host,
	    check_result_mx_certs_verified(s->r, host));
}

/* Whether any MX host of the domain gets verdict v. */
static int
sts_any_mx(const struct dom_src *s, enum mtasts_mx v)
{
	struct dom_src h = *s;

	for (h.i = 0; h.i < s->r->n_mx; h.i++) {
		enum mtasts_mx got = sts_mx_verdict(&h);

		if (got == MTASTS_MX_NO_POLICY)
			return 0;
		if (got == v)
			return 1;
	}
	return 0;
}

static void
read_sts_not_covered(const struct dom_src *s, struct fact_value *v)
{
	v->known = sts_any_mx(s, MTASTS_MX_NOT_COVERED);
	v->str = sts_reason_name(STS_MX_NOT_COVERED);
}

static void
read_sts_not_compliant(const struct dom_src *s, struct fact_value *v)
{
	v->known = sts_any_mx(s, MTASTS_MX_CERT_FAILS);
	v->str = sts_reason_name(STS_MX_NOT_COMPLIANT);
}

static void
read_sts_mx_covered(const struct dom_src *s, struct fact_value *v)
{
	enum mtasts_mx m = sts_mx_verdict(s);

	v->known = m != MTASTS_MX_NO_POLICY;
	v->num = m != MTASTS_MX_NOT_COVERED;
}

static void
read_sts_mx_compliant(const struct dom_src *s, struct fact_value *v)
{
	enum mtasts_mx m = sts_mx_verdict(s);

	v->known = m != MTASTS_MX_NO_POLICY && m != MTASTS_MX_UNKNOWN;
	v->num = m == MTASTS_MX_COMPLIANT;
}

static int
rpt_present(const struct dom_src *s)
{
	return STS(s)->rpt.present;
}

static void
read_rpt_reason(const struct dom_src *s, struct fact_value *v)
{
	v->known = STS(s)->rpt.reason != STS_OK;
	v->str = sts_reason_name(STS(s)->rpt.reason);
}

static void
read_zone_status(const struct dom_src *s, struct fact_value *v)
{
	v->known = 1;
	v->str = dnssec_status_name(ZONE(s)->status);
}

static void
read_zone_secure(const struct dom_src *s, struct fact_value *v)
{
	v->known = 1;
	v->num = ZONE(s)->status == DNSSEC_SECURE;
}

static void
read_mx_error(const struct dom_src *s, struct fact_value *v)
{
	const struct mx_finding *f = s->base;

	v->known = 1;
	v->str = mx_error_name(f->reason);
}

static int
caa_known(const struct dom_src *s)
{
	return HYG_HOST(s)->caa_present >= 0;	/* a lookup failed: not */
}

static int
caa_there(const struct dom_src *s)
{
	return caa_known(s) && HYG_HOST(s)->caa != NULL;
}

static void
read_caa_valid(const struct dom_src *s, struct fact_value *v)
{
	v->known = 1;
	v->num = HYG_HOST(s)->caa->error == CAA_OK;
}

/* The CA domains of the set's issue records, "a.example,b.example", ";"
 * when they allow none, "" when there is no issue record. */
static void
read_caa_issuers(const struct dom_src *s, struct fact_value *v)
{
	const struct caa_set *set = HYG_HOST(s)->caa;
	char *out = v->text;
	size_t o = 0, len = sizeof(v->text);
	int any = 0;

	out[0] = '\0';
	for (size_t i = 0; i < set->n; i++) {
		const struct caa_record *c = &set->recs[i];
		int n;

		if (c->tag != CAA_TAG_ISSUE)
			continue;
		any = 1;
		if (c->issuer[0] == '\0')
			continue;
		n = snprintf(out + o, len - o, "%s%s", o ? "," : "", c->issuer);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	if (any && o == 0)
		snprintf(out, len, ";");
	v->known = 1;
	v->str = out;
}

/* FCrDNS of an MX address: mailsec_mx_ptr_match{host,address} and
 * mailsec_mx_ptr_info{host,address,name}; with address_label = off one
 * sample per host, the worst of its addresses, and no names. */
static void
expo_ptr(struct expo *e, const struct buf *l, const struct dom_src *s)
{
	const struct mxhyg_result *m = s->r->mxhyg;
	const struct mxhyg_addr *a = s->base;
	char hash[9];
	const char *label = a->address;
	int v = a->match;

	if (s->mode == ADDRESS_LABEL_OFF) {
		for (size_t j = 0; j < m->n_addrs; j++)
			if (strcmp(m->addrs[j].host, a->host) == 0) {
				if (j < s->i)
					return;	/* not the host's first */
				if (m->addrs[j].match == 0 ||
				    (m->addrs[j].match < 0 && v == 1))
					v = m->addrs[j].match;
			}
		label = "";
	} else if (s->mode == ADDRESS_LABEL_HASH) {
		metrics_address_hash(a->address, hash);
		label = hash;
	}
	if (v >= 0)
		expo_add(e, F_MX_PTR_MATCH, l, v, "host", a->host,
		    "address", label, NULL);
	if (s->mode == ADDRESS_LABEL_OFF)
		return;
	for (size_t k = 0; k < a->n_ptr_names; k++)
		expo_add(e, F_MX_PTR_INFO, l, 1, "host", a->host,
		    "address", label, "name", a->ptr_names[k], NULL);
}

/* --- the page's words where a row says more than one value ----------------- */

static void
words_mx_lookup(const struct dom_src *s, char *out, size_t len)
{
	snprintf(out, len, "%s, %.3f s", dns_result_name(s->r->mx_result),
	    s->r->mx_duration_s);
}

static void
words_null_mx(const struct dom_src *s, char *out, size_t len)
{
	(void)s;
	snprintf(out, len, "yes: the domain takes no mail (RFC 7505)");
}

static void
words_implicit_mx(const struct dom_src *s, char *out, size_t len)
{
	(void)s;
	snprintf(out, len, "yes: no MX, the domain's own address takes mail");
}

static void
words_mx(const struct dom_src *s, char *out, size_t len)
{
	const struct dns_mx *mx = s->base;

	snprintf(out, len, "%u %s", mx->preference, mx->host[0] ? mx->host :
	    ".");
}

static void
words_spf_lookups(const struct dom_src *s, char *out, size_t len)
{
	snprintf(out, len, "%u (void: %u)", REC(s)->spf_dns_lookups,
	    REC(s)->spf_void_lookups);
}

static void
words_spf_problem(const struct dom_src *s, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s", REC(s)->spf_reason,
	    REC(s)->spf_message[0] ? ": " : "", REC(s)->spf_message);
}

static void
words_spf_check(const struct dom_src *s, char *out, size_t len)
{
	const struct spf_check *c = s->base;

	snprintf(out, len, "%s (%s): %s", c->address,
	    spf_check_source_name(c->source), spf_result_name(c->code));
}

static void
words_dmarc_lookup(const struct dom_src *s, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s",
	    dns_result_name(REC(s)->dmarc_lookup.result),
	    REC(s)->dmarc_domain[0] ? ", found at " : "", REC(s)->dmarc_domain);
}

static void
words_dmarc_ignored(const struct dom_src *s, char *out, size_t len)
{
	snprintf(out, len, "%s", REC(s)->dmarc_near_miss_message);
}

static void
words_sts_record(const struct dom_src *s, char *out, size_t len)
{
	const struct sts_record *rec = &STS(s)->record;

	snprintf(out, len, "%s", rec->present ? (rec->valid ? "valid" :
	    sts_record_message(rec)) : "none");
}

static void
words_sts_policy(const struct dom_src *s, char *out, size_t len)
{
	snprintf(out, len, "%s", sts_policy_ok(s) ?
	    sts_mode_name(mtasts_policy(STS(s))->mode) :
	    mtasts_policy_message(STS(s)));
}

static void
words_sts_mx(const struct dom_src *s, char *out, size_t len)
{
	const struct sts_policy *p = mtasts_policy(STS(s));
	struct buf mx;

	buf_init(&mx);
	for (size_t i = 0; i < p->n_mx; i++)
		buf_printf(&mx, "%s%s", i ? ", " : "", p->mx[i]);
	snprintf(out, len, "%s", mx.len ? mx.data : "none");
	buf_free(&mx);
}

static void
words_sts_max_age(const struct dom_src *s, char *out, size_t len)
{
	snprintf(out, len, "%u s", mtasts_policy(STS(s))->max_age);
}

static void
words_rpt(const struct dom_src *s, char *out, size_t len)
{
	const struct tlsrpt_record *rpt = &STS(s)->rpt;

	snprintf(out, len, "%s", rpt->present ? (rpt->valid ? "valid" :
	    tlsrpt_record_message(rpt)) : "none");
}

static void
words_zone(const struct dom_src *s, char *out, size_t len)
{
	const struct zone_status *z = ZONE(s);

	if (z->status == DNSSEC_BOGUS && z->why_bogus[0])
		snprintf(out, len, "bogus: %s", z->why_bogus);
	else
		snprintf(out, len, "%s", dnssec_status_name(z->status));
}

/* The DKIM selector's row: its record, else its lookup's result, and
 * what is wrong with the key. */
static void
cell_dkim(const struct dom_src *s, struct fact_cell *c)
{
	const struct dkim_selector_result *k = DKIM(s);

	if (k->raw != NULL) {
		c->text = k->raw;
		c->pre = 1;
	}
	c->note = k->key.message[0] ? k->key.message : NULL;
}

/* --- the table --------------------------------------------------------------
 * Group by group in the order of the JSON (doc/api.md), which is the
 * page's too; a group's items come after its own facts.  Each fact: its
 * group, JSON key, type, metric family (and the label it gives that
 * family's sample), its page row, how it reads (a field: FACT_AT(struct,
 * field), or .read), when /metrics and the page have it (.when; the JSON
 * shows it always), the row's words when the value's own will not do, and
 * the verdict it feeds.  A fact on only one or two of the outputs (no
 * .key, .family F__COUNT or no .row) is where they say different things. */

#define MXREC	struct dns_mx
#define RR	struct records_result
#define SPFC	struct spf_check
#define DK	struct dkim_selector_result
#define MTS	struct mtasts_result
#define ZS	struct zone_status
#define HH	struct mxhyg_host

const struct dom_fact dom_facts[] = {
	/* the MX answer */
	{ .group = DG_MX, .key = "lookup", .type = FT_LOOKUP,
	    .family = F_DNS_LOOKUP_SUCCESS, .label = "mx", .row = "Lookup",
	    .read = read_mx_lookup, .words = words_mx_lookup },
	{ .group = DG_MX, .key = "duration_seconds", .type = FT_NUM,
	    .family = F__COUNT,
	    FACT_AT(struct check_result, mx_duration_s) },
	{ .group = DG_MX, .type = FT_INT, .family = F_MX_RECORDS,
	    FACT_AT(struct check_result, n_mx) },
	{ .group = DG_MX, .key = "null_mx", .type = FT_BOOL,
	    .family = F_MX_NULL, .row = "Null MX",
	    FACT_AT(struct check_result, null_mx), .words = words_null_mx,
	    .flags = DF_ROW_IF_TRUE, .feeds = FEEDS_MX_HYGIENE },
	{ .group = DG_MX, .key = "implicit_mx", .type = FT_BOOL,
	    .family = F_MX_IMPLICIT, .row = "Implicit MX",
	    FACT_AT(struct check_result, implicit_mx),
	    .words = words_implicit_mx, .flags = DF_ROW_IF_TRUE,
	    .feeds = FEEDS_MX_HYGIENE },
	{ .group = DG_MX_RECORD, .key = "preference", .type = FT_INT,
	    .family = F__COUNT, FACT_AT(MXREC, preference) },
	{ .group = DG_MX_RECORD, .key = "host", .type = FT_STR,
	    .family = F__COUNT, .row = "MX", FACT_AT(MXREC, host),
	    .words = words_mx },
	{ .group = DG_MX_RECORD, .type = FT_STR, .family = F_MX_INFO,
	    .label = "preference", .read = read_mx_preference },
	/* the records */
	{ .group = DG_RECORDS, .type = FT_TIME, .family = F_RECORDS_TIMESTAMP,
	    FACT_AT(RR, finished) },
	/* SPF */
	{ .group = DG_SPF, .key = "lookup", .type = FT_LOOKUP,
	    .family = F_DNS_LOOKUP_SUCCESS, .label = "spf", .row = "SPF lookup",
	    FACT_AT(RR, spf_lookup), .feeds = FEEDS_SPF },
	{ .group = DG_SPF, .key = "present", .type = FT_BOOL,
	    .family = F_SPF_PRESENT, FACT_AT(RR, spf_present),
	    .feeds = FEEDS_SPF },
	{ .group = DG_SPF, .key = "valid", .type = FT_TRI,
	    .family = F_SPF_VALID, .read = read_spf_valid, .feeds = FEEDS_SPF },
	{ .group = DG_SPF, .key = "temperror", .type = FT_BOOL,
	    .family = F_SPF_TEMPERROR, FACT_AT(RR, spf_temperror),
	    .feeds = FEEDS_SPF },
	{ .group = DG_SPF, .key = "reason", .type = FT_STR,
	    .family = F_SPF_ERROR_INFO, .label = "reason",
	    FACT_AT(RR, spf_reason), .known = K_NONNULL, .feeds = FEEDS_SPF },
	{ .group = DG_SPF, .key = "message", .type = FT_STR,
	    .family = F__COUNT, FACT_AT(RR, spf_message),
	    .known = K_NONEMPTY },
	{ .group = DG_SPF, .key = "record", .type = FT_STR,
	    .family = F__COUNT, .row = "SPF record", FACT_AT(RR, spf_raw),
	    .known = K_NONNULL, .flags = DF_PRE },
	{ .group = DG_SPF, .key = "dns_lookups", .type = FT_INT,
	    .family = F_SPF_DNS_LOOKUPS, FACT_AT(RR, spf_dns_lookups),
	    .when = spf_present, .feeds = FEEDS_SPF },
	{ .group = DG_SPF, .key = "void_lookups", .type = FT_INT,
	    .family = F_SPF_VOID_LOOKUPS, FACT_AT(RR, spf_void_lookups),
	    .when = spf_present, .feeds = FEEDS_SPF },
	{ .group = DG_SPF, .type = FT_STR, .family = F__COUNT,
	    .row = "SPF DNS lookups", .read = read_spf_raw_there,
	    .words = words_spf_lookups },
	{ .group = DG_SPF, .type = FT_STR, .family = F__COUNT,
	    .row = "SPF problem", .read = read_spf_reason_there,
	    .words = words_spf_problem },
	{ .group = DG_SPF, .key = "all", .type = FT_STR, .family = F__COUNT,
	    .read = read_spf_all },
	{ .group = DG_SPF, .type = FT_STR, .family = F_SPF_ALL_INFO,
	    .label = "qualifier", .read = read_spf_all_info,
	    .when = spf_present, .feeds = FEEDS_SPF },
	{ .group = DG_SPF, .type = FT_BOOL, .family = F_SPF_PTR_USED,
	    FACT_AT(RR, spf_ptr_used), .when = spf_present,
	    .feeds = FEEDS_SPF },
	{ .group = DG_SPF, .type = FT_INT, .family = F_SPF_BYTES,
	    FACT_AT(RR, spf_bytes), .when = spf_present, .feeds = FEEDS_SPF },
	{ .group = DG_SPF_CHECK, .key = "address", .type = FT_STR,
	    .family = F__COUNT, .row = "SPF check", FACT_AT(SPFC, address),
	    .words = words_spf_check },
	{ .group = DG_SPF_CHECK, .key = "source", .type = FT_STR,
	    .family = F_SPF_CHECK_HOST_INFO, .label = "source",
	    .read = read_check_source, .feeds = FEEDS_SPF },
	{ .group = DG_SPF_CHECK, .key = "result", .type = FT_STR,
	    .family = F_SPF_CHECK_HOST_INFO, .label = "result",
	    .read = read_check_result, .flags = DF_JOIN },
	/* DKIM, per selector */
	{ .group = DG_DKIM, .key = "selector", .type = FT_STR,
	    .family = F__COUNT, FACT_AT(DK, selector) },
	{ .group = DG_DKIM, .key = "lookup", .type = FT_LOOKUP,
	    .family = F_DNS_LOOKUP_SUCCESS, .label = "dkim",
	    .row = "DKIM", FACT_AT(DK, lookup), .cell = cell_dkim,
	    .flags = DF_ROW_ITEM | DF_ROW_ESCAPE, .feeds = FEEDS_DKIM },
	{ .group = DG_DKIM, .key = "present", .type = FT_BOOL,
	    .family = F_DKIM_PRESENT, FACT_AT(DK, key.present),
	    .when = dkim_answered, .feeds = FEEDS_DKIM },
	{ .group = DG_DKIM, .key = "valid", .type = FT_TRI,
	    .family = F_DKIM_VALID, .read = read_dkim_valid,
	    .feeds = FEEDS_DKIM },
	{ .group = DG_DKIM, .key = "key_type", .type = FT_STR,
	    .family = F__COUNT, .read = read_dkim_key_type },
	{ .group = DG_DKIM, .key = "key_bits", .type = FT_INT,
	    .family = F__COUNT, FACT_AT(DK, key.key_bits) },
	{ .group = DG_DKIM, .type = FT_STR, .family = F_DKIM_KEY_SIZE,
	    .label = "key_type", .read = read_dkim_key_type,
	    .when = dkim_key_size_known, .feeds = FEEDS_DKIM },
	{ .group = DG_DKIM, .type = FT_INT, .family = F_DKIM_KEY_SIZE,
	    FACT_AT(DK, key.key_bits), .flags = DF_JOIN },
	{ .group = DG_DKIM, .key = "revoked", .type = FT_BOOL,
	    .family = F_DKIM_REVOKED, FACT_AT(DK, key.revoked),
	    .when = dkim_answered, .feeds = FEEDS_DKIM },
	{ .group = DG_DKIM, .key = "testing", .type = FT_BOOL,
	    .family = F_DKIM_TESTING, FACT_AT(DK, key.testing),
	    .when = dkim_answered, .feeds = FEEDS_DKIM },
	{ .group = DG_DKIM, .type = FT_BOOL, .family = F_DKIM_SHA1_ONLY,
	    FACT_AT(DK, key.sha1_only), .when = dkim_answered,
	    .feeds = FEEDS_DKIM },
	{ .group = DG_DKIM, .key = "reason", .type = FT_STR,
	    .family = F_DKIM_ERROR_INFO, .label = "reason",
	    FACT_AT(DK, key.reason), .when = dkim_error_known,
	    .feeds = FEEDS_DKIM },
	{ .group = DG_DKIM, .key = "record", .type = FT_STR,
	    .family = F__COUNT, FACT_AT(DK, raw) },
	/* DMARC */
	{ .group = DG_DMARC, .key = "lookup", .type = FT_LOOKUP,
	    .family = F_DNS_LOOKUP_SUCCESS, .label = "dmarc",
	    .row = "DMARC lookup", FACT_AT(RR, dmarc_lookup),
	    .words = words_dmarc_lookup, .feeds = FEEDS_DMARC },
	{ .group = DG_DMARC, .key = "present", .type = FT_BOOL,
	    .family = F_DMARC_PRESENT, FACT_AT(RR, dmarc.present),
	    .when = dmarc_decided, .feeds = FEEDS_DMARC },
	{ .group = DG_DMARC, .key = "valid", .type = FT_TRI,
	    .family = F_DMARC_VALID, .read = read_dmarc_valid,
	    .feeds = FEEDS_DMARC },
	{ .group = DG_DMARC, .key = "reason", .type = FT_STR,
	    .family = F__COUNT, FACT_AT(RR, dmarc.reason) },
	{ .group = DG_DMARC, .type = FT_STR, .family = F_DMARC_ERROR_INFO,
	    .label = "reason", .read = read_dmarc_error,
	    .feeds = FEEDS_DMARC },
	{ .group = DG_DMARC, .key = "record", .type = FT_STR,
	    .family = F__COUNT, .row = "DMARC record", FACT_AT(RR, dmarc_raw),
	    .known = K_NONNULL, .flags = DF_PRE },
	{ .group = DG_DMARC, .type = FT_STR, .family = F__COUNT,
	    .row = "DMARC problem", FACT_AT(RR, dmarc.message),
	    .known = K_NONEMPTY },
	{ .group = DG_DMARC, .key = "found_at", .type = FT_STR,
	    .family = F__COUNT, FACT_AT(RR, dmarc_domain),
	    .known = K_NONEMPTY },
	{ .group = DG_DMARC, .key = "policy", .type = FT_STR,
	    .family = F__COUNT, .read = read_dmarc_policy_name },
	{ .group = DG_DMARC, .type = FT_INT, .family = F_DMARC_POLICY,
	    .read = read_dmarc_policy, .feeds = FEEDS_DMARC },
	{ .group = DG_DMARC, .type = FT_INT, .family = F_DMARC_SUBDOMAIN_POLICY,
	    .read = read_dmarc_subdomain_policy, .feeds = FEEDS_DMARC },
	{ .group = DG_DMARC, .key = "near_miss", .type = FT_BOOL,
	    .family = F_DMARC_NEAR_MISS, .row = "DMARC record ignored",
	    FACT_AT(RR, dmarc_near_miss), .words = words_dmarc_ignored,
	    .flags = DF_ROW_IF_TRUE, .feeds = FEEDS_DMARC },
	{ .group = DG_DMARC, .key = "pct", .type = FT_INT,
	    .family = F_DMARC_PCT, FACT_AT(RR, dmarc.pct),
	    .when = dmarc_policy_set, .feeds = FEEDS_DMARC },
	{ .group = DG_DMARC, .key = "rua_count", .type = FT_INT,
	    .family = F_DMARC_RUA_COUNT, FACT_AT(RR, dmarc.n_rua),
	    .when = dmarc_present, .feeds = FEEDS_DMARC },
	{ .group = DG_DMARC, .type = FT_BOOL, .family = F_DMARC_FROM_ORG,
	    FACT_AT(RR, dmarc_from_org), .feeds = FEEDS_DMARC },
	{ .group = DG_DMARC_DEST, .type = FT_BOOL,
	    .family = F_DMARC_EXTERNAL_RUA_AUTH, .read = read_dest_authorized,
	    .feeds = FEEDS_DMARC },
	/* MTA-STS (doc/mta-sts.md) */
	{ .group = DG_STS, .key = "checked", .type = FT_BOOL,
	    .family = F__COUNT, FACT_AT(MTS, sts_checked) },
	{ .group = DG_STS, .type = FT_LOOKUP, .family = F_DNS_LOOKUP_SUCCESS,
	    .label = "mta_sts", .read = read_sts_lookup,
	    .feeds = FEEDS_MTA_STS },
	{ .group = DG_STS, .key = "record_present", .type = FT_BOOL,
	    .family = F_STS_RECORD_PRESENT, .row = "MTA-STS record",
	    FACT_AT(MTS, record.present), .words = words_sts_record,
	    .feeds = FEEDS_MTA_STS },
	{ .group = DG_STS, .key = "record_valid", .type = FT_BOOL,
	    .family = F_STS_RECORD_VALID, FACT_AT(MTS, record.valid),
	    .feeds = FEEDS_MTA_STS },
	{ .group = DG_STS, .key = "record", .type = FT_STR,
	    .family = F__COUNT, .row = "_mta-sts TXT",
	    FACT_AT(MTS, record_raw), .known = K_NONNULL, .flags = DF_PRE },
	{ .group = DG_STS, .key = "id", .type = FT_STR,
	    .family = F_STS_ID_INFO, .label = "id", .read = read_sts_id },
	{ .group = DG_STS, .key = "record_reason", .type = FT_STR,
	    .family = F_STS_ERROR_INFO, .label = "reason",
	    .read = read_sts_record_reason, .feeds = FEEDS_MTA_STS },
	{ .group = DG_STS, .key = "fetched", .type = FT_BOOL,
	    .family = F__COUNT, .row = "Policy",
	    FACT_AT(MTS, fetch_attempted), .words = words_sts_policy,
	    .flags = DF_ROW_IF_TRUE },
	{ .group = DG_STS, .key = "fetch_success", .type = FT_BOOL,
	    .family = F_STS_FETCH_SUCCESS, FACT_AT(MTS, fetch_success),
	    .when = sts_fetched, .feeds = FEEDS_MTA_STS },
	{ .group = DG_STS, .type = FT_NUM, .family = F_STS_FETCH_DURATION,
	    .read = read_sts_fetch_duration, .when = sts_fetched },
	{ .group = DG_STS, .key = "http_status", .type = FT_INT,
	    .family = F__COUNT, .read = read_sts_http_status },
	{ .group = DG_STS, .type = FT_BOOL, .family = F_STS_POLICY_VALID,
	    .read = read_sts_policy_valid, .when = sts_fetched,
	    .feeds = FEEDS_MTA_STS },
	{ .group = DG_STS, .key = "policy_reason", .type = FT_STR,
	    .family = F_STS_ERROR_INFO, .label = "reason",
	    .read = read_sts_policy_reason, .when = sts_fetched,
	    .feeds = FEEDS_MTA_STS },
	{ .group = DG_STS, .key = "policy_message", .type = FT_STR,
	    .family = F__COUNT, .read = read_sts_policy_message },
	{ .group = DG_STS, .key = "mode", .type = FT_STR,
	    .family = F_STS_MODE_INFO, .label = "mode", .read = read_sts_mode,
	    .when = sts_fetched, .feeds = FEEDS_MTA_STS },
	{ .group = DG_STS, .type = FT_STR, .family = F__COUNT,
	    .row = "Policy mx", .read = read_sts_policy_known,
	    .words = words_sts_mx },
	{ .group = DG_STS, .type = FT_INT, .family = F__COUNT,
	    .row = "Policy max_age", .read = read_sts_policy_known,
	    .words = words_sts_max_age },
	{ .group = DG_STS, .key = "max_age", .type = FT_INT,
	    .family = F_STS_MAX_AGE, .read = read_sts_max_age,
	    .when = sts_fetched_ok },
	{ .group = DG_STS, .key = "mx", .type = FT_STRS, .family = F__COUNT,
	    .read = read_sts_mx },
	{ .group = DG_STS, .type = FT_INT, .family = F_STS_MX_PATTERNS,
	    .read = read_sts_mx_patterns, .when = sts_fetched_ok },
	{ .group = DG_STS, .key = "cert_not_after", .type = FT_TIME,
	    .family = F_STS_CERT_NOT_AFTER, .read = read_sts_cert_not_after,
	    .when = sts_fetched, .feeds = FEEDS_MTA_STS },
	{ .group = DG_STS, .type = FT_STR, .family = F_STS_ERROR_INFO,
	    .label = "reason", .read = read_sts_not_covered,
	    .when = sts_fetched_ok, .feeds = FEEDS_MTA_STS },
	{ .group = DG_STS, .type = FT_STR, .family = F_STS_ERROR_INFO,
	    .label = "reason", .read = read_sts_not_compliant,
	    .when = sts_fetched_ok, .feeds = FEEDS_MTA_STS },
	{ .group = DG_STS_MX, .type = FT_BOOL, .family = F_STS_MX_COVERED,
	    .read = read_sts_mx_covered, .feeds = FEEDS_MTA_STS },
	{ .group = DG_STS_MX, .type = FT_BOOL, .family = F_STS_MX_COMPLIANT,
	    .read = read_sts_mx_compliant, .feeds = FEEDS_MTA_STS },
	/* TLS-RPT */
	{ .group = DG_TLSRPT, .key = "checked", .type = FT_BOOL,
	    .family = F__COUNT, FACT_AT(MTS, rpt_checked) },
	{ .group = DG_TLSRPT, .type = FT_LOOKUP,
	    .family = F_DNS_LOOKUP_SUCCESS, .label = "tls_rpt",
	    .read = read_rpt_lookup },
	{ .group = DG_TLSRPT, .key = "present", .type = FT_BOOL,
	    .family = F_TLSRPT_PRESENT, .row = "TLS-RPT",
	    FACT_AT(MTS, rpt.present), .words = words_rpt },
	{ .group = DG_TLSRPT, .key = "valid", .type = FT_BOOL,
	    .family = F_TLSRPT_VALID, FACT_AT(MTS, rpt.valid) },
	{ .group = DG_TLSRPT, .key = "record", .type = FT_STR,
	    .family = F__COUNT, .row = "_smtp._tls TXT",
	    FACT_AT(MTS, rpt_raw), .known = K_NONNULL, .flags = DF_PRE },
	{ .group = DG_TLSRPT, .key = "rua_count", .type = FT_INT,
	    .family = F_TLSRPT_RUA, FACT_AT(MTS, rpt.n_rua),
	    .when = rpt_present },
	{ .group = DG_TLSRPT, .key = "reason", .type = FT_STR,
	    .family = F_TLSRPT_ERROR_INFO, .label = "reason",
	    .read = read_rpt_reason },
	/* DNSSEC of the domain and its MX hosts (doc/dnssec.md) */
	{ .group = DG_ZONE, .key = "name", .type = FT_STR,
	    .family = F__COUNT, FACT_AT(ZS, name) },
	{ .group = DG_ZONE, .key = "status", .type = FT_STR,
	    .family = F_DNSSEC_STATUS_INFO, .label = "status",
	    .row = "DNSSEC of", .read = read_zone_status,
	    .words = words_zone, .flags = DF_ROW_ITEM },
	{ .group = DG_ZONE, .key = "why_bogus", .type = FT_STR,
	    .family = F__COUNT, FACT_AT(ZS, why_bogus), .known = K_NONEMPTY },
	{ .group = DG_ZONE, .type = FT_BOOL, .family = F_DNSSEC_SECURE,
	    .read = read_zone_secure },
	/* MX hygiene (doc/mx-hygiene.md): metrics only, the verdict tells
	 * the page and the JSON */
	{ .group = DG_MXHYG_FINDING, .type = FT_STR, .family = F_MX_ERROR_INFO,
	    .label = "reason", .read = read_mx_error,
	    .feeds = FEEDS_MX_HYGIENE },
	{ .group = DG_MXHYG_HOST, .type = FT_INT,
	    .family = F_MX_IPV6_ADDRESSES, FACT_AT(HH, n_v6),
	    .feeds = FEEDS_MX_HYGIENE },
	{ .group = DG_MXHYG_HOST, .type = FT_BOOL, .family = F_CAA_PRESENT,
	    FACT_AT(HH, caa_present), .when = caa_known,
	    .feeds = FEEDS_MX_HYGIENE },
	{ .group = DG_MXHYG_HOST, .type = FT_BOOL, .family = F_CAA_VALID,
	    .read = read_caa_valid, .when = caa_there,
	    .feeds = FEEDS_MX_HYGIENE },
	{ .group = DG_MXHYG_HOST, .type = FT_STR, .family = F_CAA_INFO,
	    .label = "found_at", FACT_AT(HH, caa_name), .when = caa_there },
	{ .group = DG_MXHYG_HOST, .type = FT_STR, .family = F_CAA_INFO,
	    .label = "issuers", .read = read_caa_issuers, .when = caa_there,
	    .flags = DF_JOIN },
	{ .group = DG_MXHYG_ADDR, .type = FT_BOOL, .family = F_MX_PTR_MATCH,
	    .expo = expo_ptr, .feeds = FEEDS_MX_HYGIENE },
};

const size_t n_dom_facts = sizeof(dom_facts) / sizeof(dom_facts[0]);
const struct dom_table dom_table = { dom_facts, sizeof(dom_facts) /
    sizeof(dom_facts[0]) };

/* --- reading ----------------------------------------------------------------- */

void
dom_fact_read(const struct dom_fact *f, const struct dom_src *s,
    struct fact_value *v)
{
	fact_value_clear(v);
	if (f->read != NULL)
		f->read(s, v);
	else if (f->ctype != C_NONE)
		fact_read_field(s->base, f->at, f->ctype, f->known, v);
}

/* For /metrics and the page: reads f when when() says so; whether it is
 * known. */
static int
read_shown(const struct dom_fact *f, const struct dom_src *s,
    struct fact_value *v)
{
	if (f->when != NULL && !f->when(s))
		return 0;
	dom_fact_read(f, s, v);
	return v->known;
}

/* The walk of the group tree the three outputs share: for each group
 * (of the part), open(n items; SIZE_MAX: not present), then for each item
 * enter(), its child groups, leave(), and close(). */
struct walk {
	const struct dom_table *t;
	enum dom_part	 part;
	int		 all_parts;
	/* 0: skip the group (its items and children) */
	int		(*open)(struct walk *w, enum dom_group g,
			    const struct dom_src *s, size_t n);
	/* 0: skip the item's children */
	int		(*enter)(struct walk *w, enum dom_group g,
			    const struct dom_src *s, size_t item, size_t n);
	void		(*leave)(struct walk *w, enum dom_group g,
			    const struct dom_src *s, size_t item, size_t n);
	void		(*close)(struct walk *w, enum dom_group g);
	void		*arg;
};

static void walk_group(struct walk *w, enum dom_group g,
    const struct dom_src *parent);

static void
walk_children(struct walk *w, enum dom_group g, const struct dom_src *s)
{
	for (int c = 0; c < DG__COUNT; c++)
		if (groups[c].parent == g)
			walk_group(w, (enum dom_group)c, s);
}

static void
walk_group(struct walk *w, enum dom_group g, const struct dom_src *parent)
{
	const struct group_def *gd = &groups[g];
	struct dom_src s = *parent;
	size_t n;

	if (!w->all_parts && gd->part != w->part)
		return;
	s.base = NULL;
	s.i = 0;
	if (gd->present != NULL && !gd->present(&s)) {
		if (w->open != NULL)
			w->open(w, g, &s, SIZE_MAX);	/* not there */
		return;
	}
	n = gd->count != NULL ? gd->count(&s) : 1;
	if (w->open != NULL && !w->open(w, g, &s, n))
		return;
	for (size_t i = 0; i < n; i++) {
		s.i = i;
		s.base = gd->item(&s, i);
		if (w->enter(w, g, &s, i, n))
			walk_children(w, g, &s);
		if (w->leave != NULL)
			w->leave(w, g, &s, i, n);
	}
	if (w->close != NULL)
		w->close(w, g);
}

static void
walk(struct walk *w, const struct check_result *r, int mode)
{
	struct dom_src s = { .r = r, .mode = mode };

	walk_children(w, DG__COUNT, &s);
}

/* --- /metrics ---------------------------------------------------------------- */

struct expo_walk {
	struct expo	*e;
	const struct buf *labels;
	struct buf	 l[DG__COUNT];	/* the labels in each group */
};

/* The parent's labels, and the item's. */
static const struct buf *
group_labels(struct expo_walk *x, enum dom_group g)
{
	enum dom_group p = groups[g].parent;

	return p == DG__COUNT ? x->labels : &x->l[p];
}

static void
expo_lookup(struct expo *e, const struct buf *l, const struct dom_fact *f,
    const struct dns_lookup_info *li, const char *sel_label, const char *sel)
{
	if (!li->done)
		return;
	expo_add(e, F_DNS_LOOKUP_SUCCESS, l, dns_answered(li->result),
	    "record", f->label, sel_label, sel, NULL);
	expo_add(e, F_DNS_LOOKUP_DURATION, l, li->duration_s, "record",
	    f->label, sel_label, sel, NULL);
	if (li->result != DNS_OK)
		expo_add(e, F_DNS_ERROR_INFO, l, 1, "record", f->label,
		    "rcode", dns_result_name(li->result), sel_label, sel, NULL);
}

static void
expo_strs(struct expo *e, const struct buf *l, const struct dom_fact *f,
    const struct fact_value *v)
{
	for (size_t i = 0; i < v->n; i++) {
		const char *pair[2] = { f->label, v->strs[i] };

		expo_add_pairs(e, f->family, l, 1, pair, 1);
	}
}

static int
expo_enter(struct walk *w, enum dom_group g, const struct dom_src *s,
    size_t item, size_t n)
{
	struct expo_walk *x = w->arg;
	const struct group_def *gd = &groups[g];
	const struct buf *parent = group_labels(x, g);
	struct buf *l = &x->l[g];
	size_t k = 0;

	(void)item;
	(void)n;
	buf_reset(l);
	if (parent->len)
		buf_append(l, parent->data, parent->len);
	if (gd->item_label != NULL)
		labels_add(l, gd->item_label, gd->item_name(s, s->i));
	if (gd->known != NULL && !gd->known(s))
		return 1;
	while (k < w->t->n) {
		const struct dom_fact *f = &w->t->facts[k];
		struct fact_value v[EXPO_PAIRS_MAX + 1];
		const char *pairs[2 * EXPO_PAIRS_MAX];
		size_t end = k + 1, n_pairs = 0;
		double value = 1;
		int all = 1;

		if (f->group != g || f->family == F__COUNT) {
			k++;
			continue;
		}
		while (end < w->t->n && (w->t->facts[end].flags & DF_JOIN))
			end++;
		/* --once asks a band of families at a time: skip the
		 * reads of the others (a lookup row and an expo hook name
		 * their own) */
		if (!EXPO_KEEPS(x->e, f->family) && f->type != FT_LOOKUP &&
		    f->expo == NULL) {
			k = end;
			continue;
		}
		if (f->expo != NULL) {
			f->expo(x->e, l, s);
			k = end;
			continue;
		}
		for (size_t m = k; m < end && all; m++) {
			const struct dom_fact *fm = &w->t->facts[m];
			struct fact_value *vm = &v[m - k];

			if (!read_shown(fm, s, vm))
				all = 0;
			else if (fm->type == FT_LOOKUP)
				expo_lookup(x->e, parent, fm, vm->lookup,
				    gd->item_label, gd->item_label ?
				    gd->item_name(s, s->i) : NULL);
			else if (fm->type == FT_STRS)
				expo_strs(x->e, l, fm, vm);
			else if (fm->type == FT_STR) {
				pairs[2 * n_pairs] = fm->label;
				pairs[2 * n_pairs + 1] = vm->str;
				n_pairs++;
			} else
				value = vm->num;
		}
		if (all && f->type != FT_LOOKUP && f->type != FT_STRS)
			expo_add_pairs(x->e, f->family, l, value, pairs,
			    n_pairs);
		k = end;
	}
	return 1;
}

void
domfacts_expo(const struct dom_table *t, struct expo *e,
    const struct buf *labels, const struct check_result *r, int mode)
{
	struct expo_walk x = { .e = e, .labels = labels };
	struct walk w = { .t = t, .all_parts = 1, .enter = expo_enter,
	    .arg = &x };

	for (int g = 0; g < DG__COUNT; g++)
		buf_init(&x.l[g]);
	walk(&w, r, mode);
	for (int g = 0; g < DG__COUNT; g++)
		buf_free(&x.l[g]);
}

/* --- JSON -------------------------------------------------------------------- */

static int
json_open(struct walk *w, enum dom_group g, const struct dom_src *s, size_t n)
{
	const struct group_def *gd = &groups[g];
	struct json *j = w->arg;

	(void)s;
	if (gd->json == JF_NONE)
		return 0;
	if (gd->json == JF_INLINE)
		return 1;
	if (n == SIZE_MAX) {		/* not there */
		if (gd->json_null) {
			json_key(j, gd->json_key);
			json_null(j);
		}
		return 0;
	}
	json_key(j, gd->json_key);
	if (gd->json == JF_ARRAY)
		json_arr_open(j);
	return 1;
}

static void
json_close(struct walk *w, enum dom_group g)
{
	if (groups[g].json == JF_ARRAY)
		json_arr_close(w->arg);
}

static int
json_enter(struct walk *w, enum dom_group g, const struct dom_src *s,
    size_t item, size_t n)
{
	struct json *j = w->arg;

	(void)item;
	(void)n;
	if (groups[g].json == JF_INLINE)
		return 1;
	json_obj_open(j);
	for (size_t k = 0; k < w->t->n; k++) {
		const struct dom_fact *f = &w->t->facts[k];
		struct fact_value v;

		if (f->group != g || f->key == NULL)
			continue;
		dom_fact_read(f, s, &v);
		fact_json(j, f->key, f->type, 0, &v);
	}
	return 1;
}

static void
json_leave(struct walk *w, enum dom_group g, const struct dom_src *s,
    size_t item, size_t n)
{
	(void)s;
	(void)item;
	(void)n;
	if (groups[g].json != JF_INLINE)
		json_obj_close(w->arg);
}

void
domfacts_json(const struct dom_table *t, struct json *j,
    const struct check_result *r, enum dom_part part)
{
	struct walk w = { .t = t, .part = part, .enter = json_enter,
	    .leave = json_leave, .open = json_open, .close = json_close,
	    .arg = j };

	walk(&w, r, ADDRESS_LABEL_ON);
}

/* --- the target page ----------------------------------------------------------- */

/* The row's text: its words, else the value's (a string as it is, not
 * cut to the buffer). */
static void
row_text(const struct dom_fact *f, const struct dom_src *s,
    const struct fact_value *v, char *out, size_t len, struct fact_cell *c)
{
	c->text = out;
	if (f->words != NULL)
		f->words(s, out, len);
	else if (f->type == FT_STR)
		c->text = v->str ? v->str : "";
	else
		fact_text(f->type, v, out, len);
}

static int
page_open(struct walk *w, enum dom_group g, const struct dom_src *s, size_t n)
{
	const struct domfacts_page *page = w->arg;
	const struct group_def *gd = &groups[g];

	if (n == SIZE_MAX)
		return 0;
	if (gd->page != NULL) {
		if (gd->page_when != NULL && !gd->page_when(s))
			return 0;
		page->open(page->arg, gd->page);
	}
	return 1;
}

static void
page_close(struct walk *w, enum dom_group g)
{
	const struct domfacts_page *page = w->arg;

	if (groups[g].page != NULL)
		page->close(page->arg);
}

static int
page_enter(struct walk *w, enum dom_group g, const struct dom_src *s,
    size_t item, size_t n)
{
	const struct domfacts_page *page = w->arg;
	const struct group_def *gd = &groups[g];

	(void)item;
	(void)n;
	if (gd->known != NULL && !gd->known(s))
		return 1;
	for (size_t k = 0; k < w->t->n; k++) {
		const struct dom_fact *f = &w->t->facts[k];
		struct fact_value v;
		struct fact_cell c;
		char name[300], text[512];

		if (f->group != g || f->row == NULL)
			continue;
		if (!read_shown(f, s, &v) ||
		    ((f->flags & DF_ROW_IF_TRUE) && v.num == 0))
			continue;
		memset(&c, 0, sizeof(c));
		c.name = f->row;
		if (f->flags & DF_ROW_ITEM) {
			/* as the page always had it: a DKIM row's name
			 * (the escaped one) cut at 127 bytes */
			snprintf(name, (f->flags & DF_ROW_ESCAPE) ? 128 :
			    sizeof(name), "%s %s", f->row,
			    gd->item_name(s, s->i));
			c.name = name;
		}
		/* an item's name (a selector, a zone) came from outside:
		 * always escaped */
		c.name_escape = (f->flags & (DF_ROW_ESCAPE | DF_ROW_ITEM)) != 0;
		c.pre = (f->flags & DF_PRE) != 0;
		row_text(f, s, &v, text, sizeof(text), &c);
		if (f->cell != NULL)
			f->cell(s, &c);
		page->row(page->arg, &c);
	}
	return 1;
}

void
domfacts_rows(const struct dom_table *t, const struct check_result *r,
    enum dom_part part, const struct domfacts_page *page)
{
	struct walk w = { .t = t, .part = part, .enter = page_enter,
	    .open = page_open, .close = page_close, .arg = (void *)page };

	walk(&w, r, ADDRESS_LABEL_ON);
}
