/* The JSON API: GET /api/v1/status and /api/v1/status/NAME (doc/api.md),
 * the same facts and verdicts as the status page. */
#include "web/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/rating.h"
#include "collectors/records.h"
#include "web/facts.h"
#include "web/json.h"

static void
json_verdict(struct json *j, const char *k, const struct verdict_info *vi,
    const struct published_target *t)
{
	char advice[512];

	json_key(j, k);
	json_obj_open(j);
	json_kstr(j, "verdict", verdict_name(vi->v));
	json_kstr(j, "text", vi->text);
	verdict_advice(vi, t->cfg->kind == TARGET_DOMAIN ? t->cfg->name : NULL,
	    t->cfg->kind == TARGET_ENDPOINT ? t->cfg->name : NULL,
	    t->cfg->kind == TARGET_ENDPOINT ? t->cfg->port : 0, advice,
	    sizeof(advice));
	json_kstr(j, "finding", vi->why != FIND_NONE ? finding_name(vi->why) :
	    NULL);
	json_kstr(j, "advice", advice[0] ? advice : NULL);
	json_obj_close(j);
}

/* "ratings": {"worst": "phase_out", "checks": {"version": {"class":
 * "good", "value": 3, "reason": "..."}, ...}}, or null. */
static void
json_ratings(struct json *j, const struct endpoint_result *ep)
{
	struct endpoint_rating r;

	rating_endpoint(&ep->out.tls, &ep->audit, &r);
	json_key(j, "ratings");
	if (r.worst == TLS_CLASS_UNKNOWN) {
		json_null(j);
		return;
	}
	json_obj_open(j);
	json_kstr(j, "worst", tls_class_name(r.worst));
	json_kint(j, "worst_value", r.worst);
	json_key(j, "checks");
	json_obj_open(j);
	for (int c = 0; c < RATE__COUNT; c++) {
		if (r.check[c].cls == TLS_CLASS_UNKNOWN)
			continue;
		json_key(j, rating_check_name((enum rating_check)c));
		json_obj_open(j);
		json_kstr(j, "class", tls_class_name(r.check[c].cls));
		json_kint(j, "value", r.check[c].cls);
		json_kstr(j, "reason", r.check[c].reason);
		json_kstr(j, "guideline", rating_check_ref((enum rating_check)c));
		json_kbool(j, "counts_in_worst",
		    rating_check_in_worst((enum rating_check)c));
		json_obj_close(j);
	}
	json_obj_close(j);
	json_obj_close(j);
}

static void
json_endpoint(struct json *j, const struct check_result *r,
    const struct endpoint_result *ep)
{
	const struct probe_outcome *o = &ep->out;
	char words[300];

	json_obj_open(j);
	json_kstr(j, "host", ep->host);
	json_kstr(j, "address", ep->address);
	json_kint(j, "port", ep->port);
	json_kstr(j, "protocol", protocol_name(ep->protocol));
	json_kbool(j, "success", o->success);
	json_knum(j, "finished", ep->finished);
	json_key(j, "failure");
	if (o->success)
		json_null(j);
	else {
		failure_words(ep, words, sizeof(words));
		json_obj_open(j);
		json_kstr(j, "step", probe_step_name(o->fail_step));
		json_kstr(j, "reason", probe_reason_name(o->reason));
		json_kstr(j, "detail", o->detail);
		json_kstr(j, "text", words);
		json_obj_close(j);
	}
	json_key(j, "duration_seconds");
	json_obj_open(j);
	for (int s = 0; s < STEP__COUNT; s++)
		if (o->phase_mask & (1u << s))
			json_knum(j, probe_step_name((enum probe_step)s),
			    o->phase_s[s]);
	json_knum(j, "total", o->total_s);
	json_obj_close(j);
	facts_json(j, r, ep);
	json_ratings(j, ep);
	json_obj_close(j);
}

static void
json_mta_sts(struct json *j, const struct mtasts_result *m)
{
	json_obj_open(j);
	json_kbool(j, "checked", m->sts_checked);
	json_kbool(j, "record_present", m->record.present);
	json_kbool(j, "record_valid", m->record.valid);
	json_kstr(j, "record", m->record_raw);
	json_kstr(j, "id", m->record.valid ? m->record.id : NULL);
	json_kstr(j, "record_reason", m->record.reason == STS_OK ? NULL :
	    sts_reason_name(m->record.reason));
	json_kbool(j, "fetched", m->fetch_attempted);
	json_kbool(j, "fetch_success", m->fetch_success);
	json_kint(j, "http_status", m->http_status);
	json_kstr(j, "policy_reason", m->policy_reason == STS_OK ? NULL :
	    sts_reason_name(m->policy_reason));
	json_kstr(j, "policy_message", m->policy_message[0] ?
	    m->policy_message : NULL);
	json_kstr(j, "mode", m->policy_reason == STS_OK ?
	    sts_mode_name(m->policy.mode) : NULL);
	json_kint(j, "max_age", m->policy_reason == STS_OK ?
	    (long long)m->policy.max_age : 0);
	json_key(j, "mx");
	json_arr_open(j);
	for (size_t i = 0; m->policy_reason == STS_OK && i < m->policy.n_mx; i++)
		json_str(j, m->policy.mx[i]);
	json_arr_close(j);
	json_key(j, "cert_not_after");
	if (m->cert_not_after > 0)
		json_num(j, m->cert_not_after);
	else
		json_null(j);
	json_key(j, "tls_rpt");
	json_obj_open(j);
	json_kbool(j, "checked", m->rpt_checked);
	json_kbool(j, "present", m->rpt.present);
	json_kbool(j, "valid", m->rpt.valid);
	json_kstr(j, "record", m->rpt_raw);
	json_kint(j, "rua_count", (long long)m->rpt.n_rua);
	json_kstr(j, "reason", m->rpt.reason == STS_OK ? NULL :
	    sts_reason_name(m->rpt.reason));
	json_obj_close(j);
	json_obj_close(j);
}

static void
json_records(struct json *j, const struct records_result *rr)
{
	json_obj_open(j);
	json_key(j, "spf");
	json_obj_open(j);
	json_kstr(j, "lookup", dns_result_name(rr->spf_lookup.result));
	json_kbool(j, "present", rr->spf_present);
	json_ktri(j, "valid", records_spf_valid(rr));
	json_kbool(j, "temperror", rr->spf_temperror);
	json_kstr(j, "reason", rr->spf_reason);
	json_kstr(j, "message", rr->spf_message[0] ? rr->spf_message : NULL);
	json_kstr(j, "record", rr->spf_raw);
	json_kint(j, "dns_lookups", rr->spf_dns_lookups);
	json_kint(j, "void_lookups", rr->spf_void_lookups);
	json_kstr(j, "all", rr->spf_all < 0 ? NULL :
	    spf_qualifier_name(rr->spf_all));
	json_key(j, "checks");
	json_arr_open(j);
	for (size_t i = 0; i < rr->n_spf_checks; i++) {
		json_obj_open(j);
		json_kstr(j, "address", rr->spf_checks[i].address);
		json_kstr(j, "source", rr->spf_checks[i].source);
		json_kstr(j, "result", spf_result_name(rr->spf_checks[i].code));
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);
	json_key(j, "dkim");
	json_arr_open(j);
	for (size_t i = 0; i < rr->n_dkim; i++) {
		const struct dkim_selector_result *k = &rr->dkim[i];

		json_obj_open(j);
		json_kstr(j, "selector", k->selector);
		json_kstr(j, "lookup", dns_result_name(k->lookup.result));
		json_kbool(j, "present", k->key.present);
		json_ktri(j, "valid", k->lookup.done &&
		    !dns_answered(k->lookup.result) ? -1 : k->key.valid);
		json_kstr(j, "key_type", k->key.key_type);
		json_kint(j, "key_bits", k->key.key_bits);
		json_kbool(j, "revoked", k->key.revoked);
		json_kbool(j, "testing", k->key.testing);
		json_kstr(j, "reason", k->key.reason);
		json_kstr(j, "record", k->raw);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_key(j, "dmarc");
	json_obj_open(j);
	json_kstr(j, "lookup", dns_result_name(rr->dmarc_lookup.result));
	json_kbool(j, "present", rr->dmarc.present);
	json_ktri(j, "valid", rr->dmarc_failure != DNS_OK &&
	    !rr->dmarc.present ? -1 : rr->dmarc.present && rr->dmarc.valid);
	json_kstr(j, "reason", rr->dmarc.reason);
	json_kstr(j, "record", rr->dmarc_raw);
	json_kstr(j, "found_at", rr->dmarc_domain[0] ? rr->dmarc_domain :
	    NULL);
	json_kstr(j, "policy", records_dmarc_policy(rr) != DMARC_POLICY_UNSET ?
	    dmarc_policy_name(records_dmarc_policy(rr)) : NULL);
	json_kbool(j, "near_miss", rr->dmarc_near_miss);
	json_kint(j, "pct", rr->dmarc.pct);
	json_kint(j, "rua_count", (long long)rr->dmarc.n_rua);
	json_obj_close(j);
	json_obj_close(j);
}

static void
json_target(struct json *j, const struct target_view *v, double now)
{
	const struct published_target *t = v->t;
	const struct check_result *r = t->result;

	json_obj_open(j);
	json_kstr(j, "name", t->key);
	json_kstr(j, "kind", t->cfg->kind == TARGET_DOMAIN ? "domain" :
	    "endpoint");
	json_kstr(j, "verdict", verdict_name(v->overall));
	json_kstr(j, "reason", v->reason[0] ? v->reason : NULL);
	json_key(j, "checks");
	json_obj_open(j);
	json_verdict(j, "starttls", &v->starttls, t);
	json_verdict(j, "tls", &v->tls, t);
	json_verdict(j, "certificate", &v->cert, t);
	json_verdict(j, "spf", &v->spf, t);
	json_verdict(j, "dkim", &v->dkim, t);
	json_verdict(j, "dmarc", &v->dmarc, t);
	json_verdict(j, "mta_sts", &v->mta_sts, t);
	json_verdict(j, "dane", &v->dane, t);
	json_verdict(j, "mx_hygiene", &v->mx_hygiene, t);
	json_verdict(j, "tls_rating", &v->rating, t);
	json_obj_close(j);
	json_key(j, "cert_expiry");
	if (v->cert_expiry > 0)
		json_num(j, v->cert_expiry);
	else
		json_null(j);
	json_key(j, "cert_days_left");
	if (v->cert_expiry > 0)
		json_num(j, floor((v->cert_expiry - now) / 86400.0));
	else
		json_null(j);
	json_kbool(j, "running", t->running);
	json_key(j, "last_run");
	if (r == NULL)
		json_null(j);
	else {
		json_obj_open(j);
		json_knum(j, "started", r->started);
		json_knum(j, "finished", r->finished);
		json_knum(j, "duration_seconds", r->duration_s);
		json_kbool(j, "success", r->success);
		json_obj_close(j);
	}
	if (r != NULL && t->cfg->kind == TARGET_DOMAIN) {
		json_key(j, "mx");
		json_obj_open(j);
		json_kstr(j, "lookup", dns_result_name(r->mx_result));
		json_knum(j, "duration_seconds", r->mx_duration_s);
		json_kbool(j, "null_mx", r->null_mx);
		json_kbool(j, "implicit_mx", r->implicit_mx);
		json_key(j, "records");
		json_arr_open(j);
		for (size_t i = 0; i < r->n_mx; i++) {
			json_obj_open(j);
			json_kint(j, "preference", r->mx[i].preference);
			json_kstr(j, "host", r->mx[i].host);
			json_obj_close(j);
		}
		json_arr_close(j);
		json_obj_close(j);
	}
	json_key(j, "endpoints");
	json_arr_open(j);
	for (size_t i = 0; r != NULL && i < r->n_eps; i++)
		json_endpoint(j, r, &r->eps[i]);
	json_arr_close(j);
	json_key(j, "records");
	if (r == NULL || r->records == NULL)
		json_null(j);
	else
		json_records(j, r->records);
	json_key(j, "mta_sts");
	if (r == NULL || r->mtasts == NULL)
		json_null(j);
	else
		json_mta_sts(j, r->mtasts);
	json_key(j, "dnssec");
	json_arr_open(j);
	for (size_t i = 0; r != NULL && r->zones != NULL &&
	    i < r->zones->n_names; i++) {
		const struct zone_status *z = &r->zones->names[i];

		json_obj_open(j);
		json_kstr(j, "name", z->name);
		json_kstr(j, "status", dnssec_status_name(z->status));
		json_kstr(j, "why_bogus", z->why_bogus[0] ? z->why_bogus : NULL);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);
}

int
status_json_render(const struct result_store *s, const char *name,
    struct buf *b)
{
	double now = wall_time();
	struct json j;

	json_init(&j, b);
	if (name != NULL) {
		const struct published_target *t = result_store_find(s, name);
		struct target_view v;

		if (t == NULL)
			return -1;
		target_view_make(t, now, &v);
		json_target(&j, &v, now);
	} else {
		struct target_view *v = status_views_make(s, now);
		size_t count[V_FAIL + 1] = { 0 }, n = result_store_count(s);

		for (size_t i = 0; i < n; i++)
			count[v[i].overall]++;
		json_obj_open(&j);
		json_kstr(&j, "version", MAILSEC_VERSION);
		json_knum(&j, "generated", now);
		json_kbool(&j, "ready", result_store_ready(s));
		json_key(&j, "counts");
		json_obj_open(&j);
		for (int k = V_PASS; k <= V_FAIL; k++)
			json_kint(&j, verdict_name((enum verdict)k),
			    (long long)count[k]);
		json_obj_close(&j);
		json_key(&j, "targets");
		json_arr_open(&j);
		for (size_t i = 0; i < n; i++)
			json_target(&j, &v[i], now);
		json_arr_close(&j);
		json_obj_close(&j);
		free(v);
	}
	buf_putc(b, '\n');
	return 0;
}
