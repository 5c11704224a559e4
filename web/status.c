#include "web/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collectors/audit.h"
#include "collectors/rating.h"
#include "collectors/records.h"
#include "base/escape.h"
#include "web/facts.h"
#include "web/facts_domain.h"
#include "web/fmt.h"
#include "web/status_config.h"

/* Class names in the page's CSS. */
static const char *const verdict_class[] = {
	[V_NA] = "na",
	[V_PASS] = "pass",
	[V_PENDING] = "pending",
	[V_WARN] = "warn",
	[V_FAIL] = "fail",
};

/* A sign beside the word, so colour is never the only cue. */
static const char *const verdict_sign[] = {
	[V_NA] = "\xe2\x80\x93",		/* – */
	[V_PASS] = "\xe2\x9c\x93",		/* ✓ */
	[V_PENDING] = "\xe2\x80\xa6",		/* … */
	[V_WARN] = "!",
	[V_FAIL] = "\xe2\x9c\x97",		/* ✗ */
};


static int
view_cmp(const void *a, const void *b)
{
	const struct target_view *x = a, *y = b;

	if (x->overall != y->overall)
		return x->overall > y->overall ? -1 : 1;
	return strcmp(x->t->key, y->t->key);
}

struct target_view *
status_views_make(const struct result_store *s, double now)
{
	size_t n;
	const struct published_target *ts = result_store_targets(s, &n);
	struct target_view *v = xcalloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		target_view_make(&ts[i], now, &v[i]);
	if (n > 1)
		qsort(v, n, sizeof(*v), view_cmp);
	return v;
}

/* --- HTML ----------------------------------------------------------------- */

static const char page_css[] =
    ":root{--fg:#1d2327;--mut:#5f6b76;--line:#dde3e8;--bg:#f6f8fa;"
    "--card:#fff;--fail:#b42318;--fail-bg:#fdecea;--warn:#8a4b00;"
    "--warn-bg:#fff3d6;--pass:#17643a;--pass-bg:#e3f4e8;--na:#5f6b76;"
    "--na-bg:#eef1f4;--pend:#2f4f9b;--pend-bg:#e6ecfb}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',"
    "Roboto,sans-serif;color:var(--fg);background:var(--bg)}"
    "header{background:#1f2a35;color:#fff;padding:14px 20px}"
    "header h1{margin:0;font-size:19px;font-weight:600}"
    "header a{color:#cfe3ff}"
    "main{padding:16px 20px;max-width:1500px;margin:0 auto}"
    ".sum{display:flex;flex-wrap:wrap;gap:8px;align-items:center;"
    "margin:4px 0 0;font-size:14px;color:#c9d3dc}"
    ".b{display:inline-block;padding:1px 8px;border-radius:10px;"
    "font-size:13px;font-weight:600;white-space:nowrap;border:1px solid}"
    ".b.fail{color:var(--fail);background:var(--fail-bg);border-color:#f3b8b2}"
    ".b.warn{color:var(--warn);background:var(--warn-bg);border-color:#f1d08a}"
    ".b.pass{color:var(--pass);background:var(--pass-bg);border-color:#a9d9b8}"
    ".b.na{color:var(--na);background:var(--na-bg);border-color:#d5dbe1;"
    "font-weight:500}"
    ".b.pending{color:var(--pend);background:var(--pend-bg);"
    "border-color:#bccaf2}"
    "table{border-collapse:collapse;width:100%;background:var(--card);"
    "border:1px solid var(--line);border-radius:8px}"
    "th,td{padding:8px 10px;text-align:left;vertical-align:top;"
    "border-bottom:1px solid var(--line)}"
    "th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;"
    "color:var(--mut);background:#fbfcfd;font-weight:600;white-space:nowrap}"
    ".tw{overflow-x:auto}"
    "tr.row>td:first-child{border-left:4px solid transparent}"
    "tr.row.fail>td:first-child{border-left-color:var(--fail)}"
    "tr.row.warn>td:first-child{border-left-color:#e0a020}"
    "tr.row.pass>td:first-child{border-left-color:#3a9a5b}"
    "tr.row.pending>td:first-child{border-left-color:#6a86d8}"
    "td.name{white-space:nowrap}"
    "td.name a{font-weight:600;color:var(--fg);text-decoration:none}"
    "td.name a:hover{text-decoration:underline}"
    "small,.mut{color:var(--mut);font-size:12.5px}"
    "td.name small{display:block}"
    "td.reason{max-width:340px}"
    "a{color:#1c5fb8}"
    "h2{font-size:16px;margin:22px 0 8px}"
    ".kv th{width:15em;text-transform:none;letter-spacing:0;font-size:13.5px;"
    "color:var(--fg);background:#fbfcfd}"
    ".kv td{word-break:break-word}"
    ".kv tr.sec th{background:none;border-bottom:1px solid var(--line);"
    "font-size:12px;text-transform:uppercase;letter-spacing:.04em;"
    "color:var(--mut);padding-top:16px}"
    ".ep{background:var(--card);border:1px solid var(--line);"
    "border-radius:8px;margin:0 0 14px;padding:4px 14px 10px}"
    ".ep h3{font-size:15px;margin:10px 0;display:flex;gap:8px;"
    "flex-wrap:wrap;align-items:center}"
    ".ep table{border:0}"
    "pre{white-space:pre-wrap;word-break:break-all;background:#f3f5f7;"
    "padding:8px;border-radius:6px;margin:0;font-size:13px}"
    "code{font-size:13px}"
    "@media (max-width:760px){"
    "main{padding:10px}"
    "table.t,table.t tbody{display:block;border:0;background:none}"
    "table.t thead{display:none}"
    "table.t tr.row{display:grid;grid-template-columns:1fr 1fr;"
    "background:var(--card);border:1px solid var(--line);"
    "border-radius:8px;margin:0 0 10px;overflow:hidden}"
    "table.t tr.row>td{border:0;padding:5px 10px}"
    "table.t tr.row>td:first-child{border-left:0}"
    "table.t tr.row.fail{border-left:5px solid var(--fail)}"
    "table.t tr.row.warn{border-left:5px solid #e0a020}"
    "table.t tr.row.pass{border-left:5px solid #3a9a5b}"
    "table.t tr.row.pending{border-left:5px solid #6a86d8}"
    "table.t td.name,table.t td.reason{grid-column:1/-1;max-width:none}"
    "table.t td.name{padding-top:9px;white-space:normal;"
    "overflow-wrap:anywhere}"
    "table.t td.reason:empty{display:none}"
    "table.t td[data-label]:not(.name)::before{content:attr(data-label);"
    "display:block;font-size:11px;text-transform:uppercase;"
    "letter-spacing:.04em;color:var(--mut)}"
    ".kv th{width:auto}"
    "}";

static void
page_head(struct buf *b, const char *title)
{
	buf_puts(b, "<!doctype html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\"><link rel=\"icon\" href=\"data:,\"><title>");
	html_escape(b, title);
	buf_puts(b, "</title><style>");
	buf_puts(b, page_css);
	buf_puts(b, "</style></head><body>\n");
}

static void
badge(struct buf *b, const struct verdict_info *vi)
{
	buf_printf(b, "<span class=\"b %s\" title=\"", verdict_class[vi->v]);
	html_escape(b, vi->text);
	buf_printf(b, "\">%s %s</span>", verdict_sign[vi->v],
	    verdict_name(vi->v));
}

static void
badge_v(struct buf *b, enum verdict v)
{
	buf_printf(b, "<span class=\"b %s\">%s %s</span>", verdict_class[v],
	    verdict_sign[v], verdict_name(v));
}

static void
target_link(struct buf *b, const char *key)
{
	buf_puts(b, "<a href=\"/target/");
	url_escape(b, key);
	buf_puts(b, "\">");
	html_escape(b, key);
	buf_puts(b, "</a>");
}

static void
check_cell(struct buf *b, const char *label, const struct verdict_info *vi)
{
	buf_printf(b, "<td data-label=\"%s\">", label);
	badge(b, vi);
	buf_puts(b, "</td>");
}

static void
status_row(struct buf *b, const struct target_view *v, double now)
{
	const struct published_target *t = v->t;
	const struct check_result *r = t->result;
	char text[64], when[64];

	buf_printf(b, "<tr class=\"row %s\">", verdict_class[v->overall]);
	buf_puts(b, "<td class=\"name\" data-label=\"Target\">");
	target_link(b, t->key);
	buf_printf(b, "<small>%s", t->cfg->kind == TARGET_DOMAIN ? "domain" :
	    "endpoint");
	if (t->cfg->kind == TARGET_ENDPOINT)
		buf_printf(b, " \xc2\xb7 %s", protocol_name(t->cfg->protocol));
	else if (r)
		buf_printf(b, " \xc2\xb7 %u endpoint%s", r->n_eps,
		    r->n_eps == 1 ? "" : "s");
	buf_puts(b, "</small></td>");
	buf_puts(b, "<td data-label=\"Verdict\">");
	badge_v(b, v->overall);
	buf_puts(b, "</td>");
	check_cell(b, "STARTTLS", &v->starttls);
	check_cell(b, "TLS", &v->tls);
	check_cell(b, "Certificate", &v->cert);
	check_cell(b, "SPF", &v->spf);
	check_cell(b, "DKIM", &v->dkim);
	check_cell(b, "DMARC", &v->dmarc);
	check_cell(b, "MTA-STS", &v->mta_sts);
	check_cell(b, "DANE", &v->dane);
	fmt_days(v->cert_expiry, now, text, sizeof(text));
	buf_printf(b, "<td data-label=\"Cert expiry\">%s</td>", text);
	if (r) {
		fmt_ago(now - r->finished, text, sizeof(text));
		fmt_time(r->finished, when, sizeof(when));
		buf_printf(b, "<td data-label=\"Last run\"><span title=\"%s\">"
		    "%s</span>%s</td>", when, text,
		    t->running ? "<small>running now</small>" : "");
	} else
		buf_puts(b, "<td data-label=\"Last run\">not yet</td>");
	buf_puts(b, "<td class=\"reason\" data-label=\"Reason\">");
	html_escape(b, v->reason);
	buf_puts(b, "</td></tr>\n");
}

void
status_page_render(const struct result_store *s, const struct ctx *ctx,
    struct buf *b)
{
	double now = wall_time();
	struct target_view *v = status_views_make(s, now);
	size_t count[V_FAIL + 1] = { 0 }, n = result_store_count(s);
	char title[128];

	for (size_t i = 0; i < n; i++)
		count[v[i].overall]++;
	snprintf(title, sizeof(title), "%s%zu fail, %zu warn \xc2\xb7 "
	    "mailsec_exporter", count[V_FAIL] ? "\xe2\x9c\x97 " : "",
	    count[V_FAIL], count[V_WARN]);
	page_head(b, title);
	buf_puts(b, "<header><h1>mailsec_exporter</h1><p class=\"sum\">");
	buf_printf(b, "<span class=\"b fail\">%zu fail</span>"
	    "<span class=\"b warn\">%zu warn</span>"
	    "<span class=\"b pass\">%zu pass</span>", count[V_FAIL],
	    count[V_WARN], count[V_PASS]);
	if (count[V_PENDING])
		buf_printf(b, "<span class=\"b pending\">%zu pending</span>",
		    count[V_PENDING]);
	buf_printf(b, "<span>%zu target%s \xc2\xb7 %s \xc2\xb7 "
	    "<a href=\"/metrics\">metrics</a> \xc2\xb7 "
	    "<a href=\"/api/v1/status\">JSON</a></span></p></header>\n<main>\n",
	    n, n == 1 ? "" : "s",
	    result_store_ready(s) ? "first round done" : "first round running");
	if (n == 0)
		buf_puts(b, "<p>No targets configured: add [domain NAME] or "
		    "[endpoint HOST:PORT] sections to the configuration.</p>\n");
	else {
		buf_puts(b, "<div class=\"tw\"><table class=\"t\"><thead><tr>"
		    "<th>Target</th>"
		    "<th>Verdict</th><th>STARTTLS</th><th>TLS</th>"
		    "<th>Certificate</th><th>SPF</th><th>DKIM</th>"
		    "<th>DMARC</th><th>MTA-STS</th><th>DANE</th><th>Cert expiry</th>"
		    "<th>Last run</th>"
		    "<th>Reason</th></tr></thead><tbody>\n");
		for (size_t i = 0; i < n; i++)
			status_row(b, &v[i], now);
		buf_puts(b, "</tbody></table></div>\n");
	}
	if (ctx != NULL)
		status_config_render(ctx, b);
	buf_puts(b, "</main></body></html>\n");
	free(v);
}

/* The target page: a key/value table at a time. */
static void
kv_open(struct buf *b)
{
	buf_puts(b, "<table class=\"kv\"><tbody>\n");
}

static void
kv_close(struct buf *b)
{
	buf_puts(b, "</tbody></table>\n");
}

static void
kv_text(struct buf *b, const char *k, const char *v)
{
	buf_printf(b, "<tr><th>%s</th><td>", k);
	html_escape(b, v);
	buf_puts(b, "</td></tr>\n");
}

__attribute__((format(printf, 3, 4)))
static void
kv_fmt(struct buf *b, const char *k, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	kv_text(b, k, text);
}

static void
kv_section(struct buf *b, const char *title)
{
	buf_printf(b, "<tr class=\"sec\"><th colspan=\"2\">%s</th></tr>\n",
	    title);
}

static void
kv_verdict(struct buf *b, const char *k, const struct verdict_info *vi)
{
	buf_printf(b, "<tr><th>%s</th><td>", k);
	badge(b, vi);
	buf_puts(b, " ");
	html_escape(b, vi->text);
	buf_puts(b, "</td></tr>\n");
}

static void
page_section(void *arg, const char *title)
{
	kv_section(arg, title);
}

static void
page_row(void *arg, const char *name, const char *text)
{
	kv_text(arg, name, text);
}

/* The NCSC-NL class of each check, in the guideline's words, with what it
 * rests on. */
static void
ratings_html(struct buf *b, const struct endpoint_result *ep)
{
	struct endpoint_rating r;

	rating_endpoint(&ep->out->tls, endpoint_audit(ep), &r);
	if (r.worst == TLS_CLASS_UNKNOWN)
		return;
	kv_section(b, "Ratings (NCSC-NL TLS guidelines)");
	kv_fmt(b, "Worst", "%s", tls_class_words(r.worst));
	for (int c = 0; c < RATE__COUNT; c++) {
		if (r.check[c].cls == TLS_CLASS_UNKNOWN)
			continue;
		kv_fmt(b, rating_check_title((enum rating_check)c), "%s: %s%s",
		    tls_class_words(r.check[c].cls), r.check[c].reason,
		    rating_check_in_worst((enum rating_check)c) ? "" :
		    " (a notice)");
	}
}

static void
endpoint_html(struct buf *b, const struct check_result *r,
    const struct endpoint_result *ep, double now)
{
	const struct probe_outcome *o = ep->out;
	struct facts_page page = { page_section, page_row, b };
	char text[512], when[64];

	buf_puts(b, "<div class=\"ep\"><h3>");
	badge_v(b, o->success ? V_PASS : V_FAIL);
	html_escape(b, ep->host);
	if (ep->address[0] && strcmp(ep->address, ep->host) != 0) {
		buf_puts(b, " <span class=\"mut\">");
		html_escape(b, ep->address);
		buf_puts(b, "</span>");
	}
	buf_printf(b, " <span class=\"mut\">port %u \xc2\xb7 %s</span></h3>\n",
	    ep->port, protocol_name(ep->protocol));
	kv_open(b);
	kv_section(b, "Session");
	if (!o->success) {
		failure_words(ep, text, sizeof(text));
		kv_text(b, "Failure", text);
		kv_fmt(b, "Step, reason and cause", "%s, %s, %s%s%s",
		    probe_step_name(o->fail_step), probe_reason_name(o->reason),
		    probe_cause_name(o->cause), probe_outcome_alert(o) ? " " : "",
		    probe_outcome_alert(o) ? probe_outcome_alert(o) : "");
		if (o->detail[0])
			kv_text(b, "Detail", o->detail);
	}
	fmt_time(ep->finished, when, sizeof(when));
	fmt_ago(now - ep->finished, text, sizeof(text));
	kv_fmt(b, "Probed", "%s (%s), %.3f s", when, text, o->total_s);
	facts_rows(r, ep, now, &page);
	if (endpoint_audit(ep)->ran)
		ratings_html(b, ep);
	kv_close(b);
	buf_puts(b, "</div>\n");
}

static void
pre(struct buf *b, const char *s)
{
	buf_puts(b, "<pre><code>");
	html_escape(b, s ? s : "");
	buf_puts(b, "</code></pre>");
}

/* The domain's sections (web/facts_domain.c): a key/value table each. */
static void
dom_open(void *arg, const char *title)
{
	buf_printf(arg, "<h2>%s</h2>\n", title);
	kv_open(arg);
}

static void
dom_close(void *arg)
{
	kv_close(arg);
}

static void
dom_row(void *arg, const struct fact_cell *c)
{
	struct buf *b = arg;

	buf_puts(b, "<tr><th>");
	if (c->name_escape)
		html_escape(b, c->name);
	else
		buf_puts(b, c->name);
	buf_puts(b, "</th><td>");
	if (c->pre)
		pre(b, c->text);
	else
		html_escape(b, c->text);
	if (c->note != NULL) {
		buf_puts(b, "<br><span class=\"mut\">");
		html_escape(b, c->note);
		buf_puts(b, "</span>");
	}
	buf_puts(b, "</td></tr>\n");
}

int
target_page_render(const struct result_store *s, const char *name,
    struct buf *b)
{
	const struct published_target *t = result_store_find(s, name);
	const struct check_result *r;
	struct domfacts_page dom = { dom_open, dom_close, dom_row, b };
	struct target_view v;
	double now = wall_time();
	char text[128], when[64];

	if (t == NULL)
		return -1;
	r = t->result;
	target_view_make(t, now, &v);
	snprintf(text, sizeof(text), "%s \xc2\xb7 mailsec_exporter", t->key);
	page_head(b, text);
	buf_puts(b, "<header><h1>");
	html_escape(b, t->key);
	buf_puts(b, "</h1><p class=\"sum\">");
	badge_v(b, v.overall);
	buf_printf(b, "<span>%s \xc2\xb7 <a href=\"/\">all targets</a> "
	    "\xc2\xb7 <a href=\"/api/v1/status/", t->cfg->kind == TARGET_DOMAIN ?
	    "domain" : "endpoint");
	url_escape(b, t->key);
	buf_puts(b, "\">JSON</a></span></p></header>\n<main>\n");

	buf_puts(b, "<h2>Verdicts</h2>\n");
	kv_open(b);
	if (v.reason[0])
		kv_text(b, "Reason", v.reason);
	kv_verdict(b, "STARTTLS", &v.starttls);
	kv_verdict(b, "TLS", &v.tls);
	kv_verdict(b, "Certificate", &v.cert);
	kv_verdict(b, "SPF", &v.spf);
	kv_verdict(b, "DKIM", &v.dkim);
	kv_verdict(b, "DMARC", &v.dmarc);
	kv_verdict(b, "MTA-STS", &v.mta_sts);
	kv_verdict(b, "DANE", &v.dane);
	kv_verdict(b, "MX hygiene", &v.mx_hygiene);
	kv_verdict(b, "TLS rating", &v.rating);
	if (r != NULL) {
		fmt_time(r->finished, when, sizeof(when));
		fmt_ago(now - r->finished, text, sizeof(text));
		kv_fmt(b, "Last run", "%s (%s), took %.2f s", when, text,
		    r->duration_s);
	} else
		kv_text(b, "Last run", "not yet");
	kv_close(b);

	if (r != NULL)
		domfacts_rows(&dom_table, r, DOM_HEAD, &dom);
	if (r != NULL) {
		buf_printf(b, "<h2>Endpoints (%u)</h2>\n", r->n_eps);
		for (size_t i = 0; i < r->n_eps; i++)
			endpoint_html(b, r, &r->eps[i], now);
		domfacts_rows(&dom_table, r, DOM_TAIL, &dom);
	}
	buf_puts(b, "</main></body></html>\n");
	return 0;
}
