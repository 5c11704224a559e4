/* The JSON API: GET /api/v1/status and /api/v1/status/NAME (doc/api.md),
 * the same facts and verdicts as the status page. */
#include "web/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/rating.h"
#include "collectors/records.h"
#include "web/facts.h"
#include "web/facts_domain.h"
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
	json_kstr(j, "alert", finding_alert(vi->why));
	json_obj_close(j);
}

/* "ratings": {"worst": "phase_out", "checks": {"version": {"class":
 * "good", "value": 3, "reason": "..."}, ...}}, or null. */
static void
json_ratings(struct json *j, const struct endpoint_result *ep)
{
	struct endpoint_rating r;

	rating_endpoint(&ep->out->tls, endpoint_audit(ep), &r);
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
	const struct probe_outcome *o = ep->out;
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
		json_kstr(j, "cause", probe_cause_name(o->cause));
		json_kstr(j, "tls_alert", probe_outcome_alert(o));
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
	domfacts_json(&dom_table, j, r, DOM_HEAD);
	json_key(j, "endpoints");
	json_arr_open(j);
	for (size_t i = 0; r != NULL && i < r->n_eps; i++)
		json_endpoint(j, r, &r->eps[i]);
	json_arr_close(j);
	domfacts_json(&dom_table, j, r, DOM_TAIL);
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
