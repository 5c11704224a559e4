#include "web/server.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/sched.h"
#include "web/metrics.h"

static void
respond_text(struct http_req *req, unsigned status, const char *text)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, text);
	http_req_respond(req, status, "text/plain; charset=utf-8", &b);
}

static void
html_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '&': buf_puts(b, "&amp;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default: buf_putc(b, *s); break;
		}
	}
}

static void
cell(struct buf *b, const char *text)
{
	buf_puts(b, "<td>");
	html_escape(b, text);
	buf_puts(b, "</td>");
}

static void
endpoint_row(struct buf *b, const struct check *c,
    const struct endpoint_result *ep, double now)
{
	const struct probe_outcome *o = &ep->out;
	char port[8], days[32], why[300];

	snprintf(port, sizeof(port), "%u", ep->port);
	buf_printf(b, "<tr class=\"%s\">", o->success ? "pass" : "fail");
	buf_printf(b, "<td><span class=\"v\">%s</span></td>",
	    o->success ? "pass" : "fail");
	cell(b, c->key);
	cell(b, ep->host);
	cell(b, ep->address);
	cell(b, port);
	cell(b, protocol_name(ep->protocol));
	cell(b, o->tls.done ? o->tls.version : "-");
	if (o->tls.have_cert)
		snprintf(days, sizeof(days), "%.0f%s",
		    (o->tls.not_after - now) / 86400.0,
		    o->tls.verified ? "" : " (unverified)");
	else
		snprintf(days, sizeof(days), "-");
	cell(b, days);
	if (o->success)
		snprintf(why, sizeof(why), "%s",
		    o->tls.have_cert && !o->tls.verified ? o->tls.verify_error : "");
	else
		snprintf(why, sizeof(why), "%s: %s (%s)",
		    probe_step_name(o->fail_step), probe_reason_name(o->reason),
		    o->detail);
	cell(b, why);
	buf_puts(b, "</tr>\n");
}

void
status_page_render(const struct ctx *ctx, struct buf *b)
{
	double now = wall_time();

	buf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<title>mailsec_exporter</title><style>"
	    "body{font-family:system-ui,sans-serif;margin:1em}"
	    "table{border-collapse:collapse;width:100%}"
	    "td,th{border-bottom:1px solid #ccc;padding:.3em .5em;text-align:left}"
	    "tr.fail .v{background:#c62828;color:#fff;padding:0 .4em}"
	    "tr.pass .v{background:#2e7d32;color:#fff;padding:0 .4em}"
	    "</style></head><body><h1>mailsec_exporter</h1>\n");
	buf_printf(b, "<p>%zu targets, %s. <a href=\"/metrics\">metrics</a></p>\n",
	    ctx->n_checks, ctx->ready ? "first round done" : "first round running");
	buf_puts(b, "<table><thead><tr><th>state</th><th>target</th><th>host</th>"
	    "<th>address</th><th>port</th><th>protocol</th><th>TLS</th>"
	    "<th>cert days left</th><th>reason</th></tr></thead><tbody>\n");
	/* Failures first, so trouble is at the top. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ctx->n_checks; i++) {
			const struct check *c = ctx->checks[i];

			if (c->last == NULL) {
				if (pass == 1) {
					buf_puts(b, "<tr><td>pending</td>");
					cell(b, c->key);
					buf_puts(b, "<td colspan=\"7\"></td></tr>\n");
				}
				continue;
			}
			for (size_t j = 0; j < c->last->n_eps; j++)
				if (c->last->eps[j].out.success == pass)
					endpoint_row(b, c, &c->last->eps[j], now);
		}
	buf_puts(b, "</tbody></table></body></html>\n");
}

void
server_handle(struct http_req *req, void *arg)
{
	struct ctx *ctx = arg;
	const char *path = http_req_path(req);
	struct buf b;

	buf_init(&b);
	if (strcmp(path, "/metrics") == 0) {
		metrics_render(ctx, &b);
		http_req_respond(req, 200, EXPO_CONTENT_TYPE, &b);
	} else if (strcmp(path, "/") == 0) {
		status_page_render(ctx, &b);
		http_req_respond(req, 200, "text/html; charset=utf-8", &b);
	} else if (strcmp(path, "/-/healthy") == 0) {
		respond_text(req, 200, "OK\n");
	} else if (strcmp(path, "/-/ready") == 0) {
		if (ctx->ready)
			respond_text(req, 200, "OK\n");
		else
			respond_text(req, 503, "first round of checks not done\n");
	} else
		respond_text(req, 404, "not found\n");
	buf_free(&b);
}
