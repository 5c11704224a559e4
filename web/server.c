#include "web/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/escape.h"
#include "web/gzip.h"
#include "web/metrics.h"
#include "web/metrics_gzip.h"
#include "web/probe.h"
#include "web/results.h"
#include "web/web.h"

#define HTML "text/html; charset=utf-8"
#define JSON "application/json; charset=utf-8"
/* The pages use inline CSS, no script, no outside resource. */
#define CSP "default-src 'none'; style-src 'unsafe-inline'; img-src data:; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* --- held requests -------------------------------------------------------- */

struct web_req *
web_req_new(struct web *w, struct http_req *req, enum web_req_kind kind)
{
	struct web_req *wr = xcalloc(1, sizeof(*wr));

	wr->w = w;
	wr->req = req;
	wr->kind = kind;
	LIST_INSERT_HEAD(&w->held, wr, link);
	return wr;
}

void
web_req_free(struct web_req *wr)
{
	LIST_REMOVE(wr, link);
	if (wr->kind == WREQ_PROBE)
		wr->w->probes_active--;
	log_capture_stop(wr->log_cap);
	free(wr->key);
	free(wr);
}

void
web_respond_text(struct http_req *req, unsigned status, const char *text)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, text);
	http_req_respond(req, status, "text/plain; charset=utf-8", &b);
}

struct web *
web_new(struct ctx *ctx)
{
	struct web *w = xcalloc(1, sizeof(*w));

	w->ctx = ctx;
	LIST_INIT(&w->held);
	return w;
}

void
web_free(struct web *w)
{
	struct web_req *wr;
	struct http_req *req;

	if (w == NULL)
		return;
	while ((wr = LIST_FIRST(&w->held)) != NULL) {
		req = wr->req;
		if (wr->kind == WREQ_AUTH)
			auth_cancel(w->auth, wr->auth);
		else
			adhoc_free(wr->adhoc);
		web_req_free(wr);
		web_respond_text(req, 503, "shutting down\n");
	}
	metrics_gzip_drop(&w->metrics_gzip);
	auth_free(w->auth);
	free(w);
}

/* --- routes ------------------------------------------------------------------ */

static void
respond_page(struct http_req *req, unsigned status, struct buf *b)
{
	http_req_set_header(req, "Content-Security-Policy", CSP);
	http_req_set_header(req, "Referrer-Policy", "no-referrer");
	http_req_set_header(req, "X-Frame-Options", "DENY");
	http_req_respond(req, status, HTML, b);
}

static void
respond_json_error(struct http_req *req, unsigned status, const char *msg)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "{\"error\":");
	json_escape(&b, msg, strlen(msg));
	buf_puts(&b, "}\n");
	http_req_respond(req, status, JSON, &b);
}

/* The rest of path after prefix, or NULL. */
static const char *
path_after(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 ? path + n : NULL;
}

static size_t
metrics_stream_read_cb(void *arg, char *buf, size_t room)
{
	return metrics_stream_read(arg, buf, room);
}

static void
metrics_stream_free_cb(void *arg)
{
	metrics_stream_free(arg);
}

/* The exposition as it is now, as a stream. */
static int
metrics_src_new(void *arg, struct http_stream *st)
{
	struct metrics_stream *ms = metrics_stream_new(arg);

	*st = (struct http_stream){ metrics_stream_size(ms),
	    metrics_stream_read_cb, metrics_stream_free_cb, ms };
	return 0;
}

/* POST /-/reload, as Prometheus has it: off unless --web.enable-lifecycle;
 * the same reload as SIGHUP, answered when it is done. */
static void
lifecycle_reload(struct ctx *ctx, struct http_req *req)
{
	const char *m = http_req_method(req);

	if (strcmp(m, "POST") != 0 && strcmp(m, "PUT") != 0) {
		http_req_set_header(req, "Allow", "POST, PUT");
		web_respond_text(req, 405, "method not allowed: POST "
		    "/-/reload\n");
		return;
	}
	if (!ctx->enable_lifecycle || ctx->reload == NULL) {
		web_respond_text(req, 403, "Lifecycle API is not enabled "
		    "(--web.enable-lifecycle)\n");
		return;
	}
	ctx->reload(ctx);
	if (ctx->reload_ok)
		web_respond_text(req, 200, "OK\n");
	else
		web_respond_text(req, 500, "reload failed: the config has "
		    "errors (see the log); the previous one keeps running\n");
}

static void
route_request(struct web *w, struct http_req *req)
{
	struct ctx *ctx = w->ctx;
	const char *path = http_req_path(req), *name;
	struct buf b;

	buf_init(&b);
	if (strcmp(path, "/-/reload") == 0) {
		lifecycle_reload(ctx, req);
	} else if (strcmp(path, "/metrics") == 0) {
		struct http_stream st;

		http_req_set_header(req, "Vary", "Accept-Encoding");
		if (gzip_accepted(http_req_header(req, "Accept-Encoding"))) {
			/* Scrapes share one compression of the checks'
			 * results until one of them changes. */
			if (metrics_gzip_stream(ctx, &w->metrics_gzip,
			    &st) == -1) {
				web_respond_text(req, 500, "gzip unavailable\n");
				buf_free(&b);
				return;
			}
			http_req_set_header(req, "Content-Encoding", "gzip");
		} else
			metrics_src_new(ctx, &st);
		http_req_respond_stream(req, 200, EXPO_CONTENT_TYPE, &st);
	} else if (strcmp(path, "/probe") == 0) {
		probe_handle(w, req);
	} else if (strcmp(path, "/") == 0) {
		status_page_render(ctx->results, ctx, &b);
		respond_page(req, 200, &b);
	} else if ((name = path_after(path, "/target/")) != NULL) {
		/* MHD has percent-decoded the path already. */
		if (target_page_render(ctx->results, name, &b) == 0)
			respond_page(req, 200, &b);
		else
			web_respond_text(req, 404, "no such target\n");
	} else if (strcmp(path, "/api/v1/status") == 0) {
		status_json_render(ctx->results, NULL, &b);
		http_req_respond(req, 200, JSON, &b);
	} else if ((name = path_after(path, "/api/v1/status/")) != NULL) {
		if (status_json_render(ctx->results, name, &b) == 0)
			http_req_respond(req, 200, JSON, &b);
		else
			respond_json_error(req, 404, "no such target");
	} else if (strcmp(path, "/-/healthy") == 0) {
		web_respond_text(req, 200, "OK\n");
	} else if (strcmp(path, "/-/ready") == 0) {
		if (result_store_ready(ctx->results))
			web_respond_text(req, 200, "OK\n");
		else
			web_respond_text(req, 503,
			    "first round of checks not done\n");
	} else
		web_respond_text(req, 404, "not found\n");
	buf_free(&b);
}

/* --- authentication ---------------------------------------------------------- */

static void
deny(struct http_req *req)
{
	http_req_set_header(req, "WWW-Authenticate",
	    "Basic realm=\"" AUTH_REALM "\", charset=\"UTF-8\"");
	web_respond_text(req, 401, "authentication required\n");
}

static void
auth_done(int ok, void *arg)
{
	struct web_req *wr = arg;
	struct web *w = wr->w;
	struct http_req *req = wr->req;

	web_req_free(wr);
	if (!ok) {
		char q[128];

		log_info("auth_failed", "path=%s",
		    log_quote(q, sizeof(q), http_req_path(req)));
		deny(req);
		return;
	}
	route_request(w, req);
}

static void
auth_client_gone(struct http_req *req, void *arg)
{
	struct web_req *wr = arg;

	auth_cancel(wr->w->auth, wr->auth);
	web_req_free(wr);
	web_respond_text(req, 503, "the client went away\n");
}

void
server_handle(struct http_req *req, void *arg)
{
	struct web *w = arg;
	const struct config *cfg = w->ctx->cfg;
	struct web_req *wr;
	struct auth_job *job;
	char err[128];

	if (cfg->n_auth_users == 0) {
		route_request(w, req);
		return;
	}
	if (w->auth == NULL &&
	    (w->auth = auth_new(w->ctx->base, err, sizeof(err))) == NULL) {
		char q[LOG_QUOTE_MAX];

		log_error("auth_unavailable", "msg=%s", log_quote(q, sizeof(q), err));
		web_respond_text(req, 500, "authentication unavailable\n");
		return;
	}
	wr = web_req_new(w, req, WREQ_AUTH);
	switch (auth_check(w->auth, cfg->auth_users, cfg->n_auth_users,
	    http_req_header(req, "Authorization"), http_req_client(req),
	    auth_done, wr, &job)) {
	case AUTH_OK:
		web_req_free(wr);
		route_request(w, req);
		return;
	case AUTH_PENDING:
		wr->auth = job;
		http_req_on_close(req, auth_client_gone, wr);
		return;
	case AUTH_BUSY:
		web_req_free(wr);
		http_req_set_header(req, "Retry-After", "1");
		web_respond_text(req, 503, "too many logins in progress\n");
		return;
	case AUTH_DENIED:
	default:
		web_req_free(wr);
		deny(req);
		return;
	}
}
