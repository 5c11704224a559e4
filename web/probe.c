#include "web/probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/log.h"
#include "daemon/adhoc.h"
#include "web/metrics.h"
#include "web/web.h"

/* --- parsing ------------------------------------------------------------ */

int
probe_target_parse(const char *s, size_t len, enum target_kind kind,
    struct probe_target *t, const char **why)
{
	char buf[PROBE_TARGET_MAX + 1], *host, *port = NULL, *close;
	size_t colons = 0;

	memset(t, 0, sizeof(*t));
	if (s == NULL || len == 0) {
		*why = "empty target";
		return -1;
	}
	if (len > PROBE_TARGET_MAX) {
		*why = "target longer than 300 bytes";
		return -1;
	}
	if (memchr(s, '\0', len) != NULL) {
		*why = "NUL byte in target";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == ':' || c == '[' || c == ']')) {
			*why = "bad character in target (use letters, digits, "
			    "'-', '.', and ':' '[' ']' for ports and IPv6)";
			return -1;
		}
		colons += c == ':';
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	host = buf;
	if (buf[0] == '[') {
		if ((close = strchr(buf, ']')) == NULL) {
			*why = "missing ']'";
			return -1;
		}
		*close = '\0';
		host = buf + 1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0') {
			*why = "text after ']' (use [address]:port)";
			return -1;
		}
		if (strchr(host, '[') != NULL || (port && strpbrk(port, "[]"))) {
			*why = "brackets go around an IPv6 address only";
			return -1;
		}
		if (inet_pton(AF_INET6, host, t->addr) != 1) {
			*why = "not an IPv6 address in brackets";
			return -1;
		}
		t->family = AF_INET6;
	} else if (strpbrk(buf, "[]") != NULL) {
		*why = "brackets go around an IPv6 address only";
		return -1;
	} else if (colons >= 2) {
		if (inet_pton(AF_INET6, buf, t->addr) != 1) {
			*why = "not an IPv6 address (write [address]:port)";
			return -1;
		}
		t->family = AF_INET6;
	} else {
		if (colons == 1) {
			port = strchr(buf, ':');
			*port++ = '\0';
		}
		if (*host == '\0') {
			*why = "empty host";
			return -1;
		}
		if (inet_pton(AF_INET, host, t->addr) == 1)
			t->family = AF_INET;
		else if (addr_name_normalize(host, 0, why) == -1) {
			if (*host == '\0')
				*why = "empty host";
			return -1;
		}
	}
	if (port != NULL) {
		if (kind == TARGET_DOMAIN) {
			*why = "a domain target takes no port";
			return -1;
		}
		if (addr_parse_port(port, &t->port, why) == -1)
			return -1;
	}
	if (t->family != 0) {
		if (kind == TARGET_DOMAIN) {
			*why = "an ip address is not a mail domain";
			return -1;
		}
		struct addr ip = { .family = t->family };

		inet_ntop(t->family, t->addr, t->host, sizeof(t->host));
		/* ::ffff:a.b.c.d reaches a.b.c.d: judged as that. */
		memcpy(ip.a, t->addr, sizeof(ip.a));
		addr_unmap(&ip);
		t->family = ip.family;
		memcpy(t->addr, ip.a, sizeof(t->addr));
	} else {
		size_t hl = strlen(host);	/* at most 253 */

		if (hl >= sizeof(t->host)) {
			*why = "name longer than 253 characters";
			return -1;
		}
		memcpy(t->host, host, hl + 1);
	}
	return 0;
}

int
probe_timeout_parse(const char *s, uint64_t *ms, const char **why)
{
	uint64_t whole = 0, frac = 0;
	size_t i = 0, n = 0, f = 0;

	if (s == NULL || *s == '\0') {
		*why = "empty";
		return -1;
	}
	for (; s[i] >= '0' && s[i] <= '9'; i++, n++)
		if (n < 7)
			whole = whole * 10 + (uint64_t)(s[i] - '0');
	if (n == 0 || n > 6) {
		*why = n ? "too large" : "not a number of seconds";
		return -1;
	}
	if (s[i] == '.') {
		for (i++; s[i] >= '0' && s[i] <= '9'; i++, f++)
			if (f < 3)
				frac = frac * 10 + (uint64_t)(s[i] - '0');
		if (f == 0 || f > 9) {
			*why = "not a number of seconds";
			return -1;
		}
		for (size_t k = f; k < 3; k++)
			frac *= 10;
	}
	if (s[i] != '\0') {
		*why = "not a number of seconds";
		return -1;
	}
	*ms = whole * 1000 + frac;
	if (*ms == 0) {
		*why = "must be more than 0";
		return -1;
	}
	return 0;
}

uint64_t
probe_timeout_effective(int have_header, uint64_t header_ms,
    uint64_t offset_ms, uint64_t cap_ms)
{
	uint64_t t = cap_ms;

	if (have_header) {
		t = header_ms > offset_ms ? header_ms - offset_ms : 0;
		if (t > cap_ms)
			t = cap_ms;
	}
	return t < PROBE_TIMEOUT_MIN_MS ? PROBE_TIMEOUT_MIN_MS : t;
}

/* --- the allow-list ------------------------------------------------------- */

int
probe_allowed(const struct allow_entry *list, size_t n,
    const struct probe_target *t, char *why, size_t whylen)
{
	struct addr ip = { .family = t->family };
	char reason[256];
	size_t hl = strlen(t->host);

	if (n == 0) {
		snprintf(why, whylen, "probing is off: probe_allow is empty");
		return 0;
	}
	if (t->family == 0) {
		for (size_t i = 0; i < n; i++) {
			const struct allow_entry *e = &list[i];
			size_t el;

			if (e->kind == ALLOW_NAME && strcmp(e->name, t->host) == 0)
				return 1;
			if (e->kind != ALLOW_SUFFIX)
				continue;
			el = strlen(e->name);	/* ".example.org" */
			if (hl > el && strcmp(t->host + hl - el, e->name) == 0)
				return 1;
		}
		snprintf(why, whylen, "target %s is not in probe_allow", t->host);
		return 0;
	}
	memcpy(ip.a, t->addr, sizeof(ip.a));
	for (size_t i = 0; i < n; i++) {
		const struct allow_entry *e = &list[i];

		/* A special address needs an entry inside its range, so that
		 * 0.0.0.0/0 or ::/0 does not open loopback and the LAN. */
		if (e->kind == ALLOW_CIDR && addr_in_cidr(&ip, &e->cidr) &&
		    addr_special_refused(&ip, &e->cidr, 1, reason,
		    sizeof(reason)) == NULL)
			return 1;
	}
	if (addr_special_refused(&ip, NULL, 0, reason, sizeof(reason)) != NULL)
		snprintf(why, whylen, "target %s", reason);
	else
		snprintf(why, whylen, "target %s is not in probe_allow", t->host);
	return 0;
}

int
probe_port_allowed(const struct config *cfg, uint16_t port, char *why,
    size_t whylen)
{
	for (size_t i = 0; i < cfg->n_probe_allow_ports; i++)
		if (cfg->probe_allow_ports[i] == port)
			return 1;
	snprintf(why, whylen, "port %u is not in probe_allow_ports",
	    (unsigned)port);
	return 0;
}

/* --- the request ------------------------------------------------------------ */

/* The endpoints the check was not allowed to connect to, one line each:
 * the body of a 403.  0 when there were none. */
static int
probe_refusals(const struct check_result *res, struct buf *b)
{
	int n = 0;

	for (size_t i = 0; res != NULL && i < res->n_eps; i++) {
		const struct endpoint_result *ep = &res->eps[i];

		if (ep->out->reason != REASON_NOT_ALLOWED)
			continue;
		if (n++ == 0)
			buf_printf(b, "refused: /probe may not connect there\n");
		if (n > 16)
			continue;	/* a domain of many MX: enough said */
		buf_printf(b, "%s [%s]:%u: %s\n", ep->host, ep->address,
		    (unsigned)ep->port, ep->out->detail);
	}
	if (n > 16)
		buf_printf(b, "(%d endpoints refused in all)\n", n);
	return n;
}

static void
probe_answer(struct web_req *wr)
{
	const struct check_result *r = wr->result;
	struct http_req *req = wr->req;
	struct expo e;
	struct buf b;
	char q[256];

	buf_init(&b);
	if (probe_refusals(r, &b) > 0) {
		log_warn("probe_refused", "target=%s msg=\"an address or port "
		    "outside probe_allow: answered 403\"",
		    log_quote(q, sizeof(q), r->target.key));
		adhoc_free(wr->adhoc);
		wr->adhoc = NULL;
		wr->result = NULL;
		web_req_free(wr);
		http_req_respond(req, 403, "text/plain; charset=utf-8", &b);
		return;
	}
	expo_init(&e);
	/* The whole check, unlabelled, as blackbox's probe_success and
	 * probe_duration_seconds: rules and dashboards written for those
	 * work on these. */
	expo_add(&e, F_PROBE_SUCCESS, NULL, r->success, NULL);
	expo_add(&e, F_PROBE_DURATION, NULL, r->duration_s, NULL);
	metrics_add_result(&e, r, metrics_address_mode(wr->w->ctx));
	expo_add(&e, F_PROBE_TIMEOUT, NULL, (double)wr->timeout_ms / 1000.0,
	    NULL);
	log_info("probe_done", "target=%s success=%d duration_s=%.3f%s",
	    log_quote(q, sizeof(q), r->target.key), r->success,
	    r->duration_s, r->timed_out ? " timed_out=1" : "");
	if (wr->log_cap != NULL) {
		size_t len;
		const char *text = log_capture_text(wr->log_cap, &len);

		buf_puts(&b, "Logs for the probe:\n");
		buf_append(&b, text, len);
		buf_puts(&b, "\nMetrics that would have been returned:\n");
	}
	expo_render(&e, &b);
	expo_free(&e);
	adhoc_free(wr->adhoc);
	wr->adhoc = NULL;
	wr->result = NULL;
	if (wr->log_cap != NULL) {
		web_req_free(wr);
		http_req_respond(req, 200, "text/plain; charset=utf-8", &b);
		return;
	}
	web_req_free(wr);
	http_req_respond(req, 200, EXPO_CONTENT_TYPE, &b);
}

static void
probe_done(void *arg, const struct check_result *r)
{
	struct web_req *wr = arg;

	wr->result = r;
	if (wr->starting) {	/* came back inside adhoc_start() */
		wr->done_early = 1;
		return;
	}
	probe_answer(wr);
}

/* The client closed before the answer: stop the check now. */
static void
probe_client_gone(struct http_req *req, void *arg)
{
	struct web_req *wr = arg;
	char q[256];

	log_info("probe_cancelled", "target=%s msg=\"the client went away\"",
	    log_quote(q, sizeof(q), wr->key));
	adhoc_free(wr->adhoc);
	wr->adhoc = NULL;
	web_req_free(wr);
	web_respond_text(req, 503, "the client went away\n");
}

/* debug=true (blackbox_exporter's spelling): the answer is the probe's log
 * and the metrics it would have returned, as text.  1, 0, or -1 for a
 * value other than true or false, or the argument given twice. */
static int
probe_debug_arg(struct http_req *req, const char **why)
{
	const char *v;
	size_t len;
	unsigned n = http_req_arg_n(req, "debug", &v, &len);

	if (n == 0)
		return 0;
	if (n > 1) {
		*why = "given twice";
		return -1;
	}
	if (len == 4 && memcmp(v, "true", 4) == 0)
		return 1;
	if (len == 5 && memcmp(v, "false", 5) == 0)
		return 0;
	*why = "want true or false";
	return -1;
}

void
probe_handle(struct web *w, struct http_req *req)
{
	struct ctx *ctx = w->ctx;
	const struct config *cfg = ctx->cfg;
	const struct module_cfg *m;
	struct probe_target pt;
	char qh[256], qm[128], qm2[LOG_QUOTE_MAX];
	struct target_cfg t;
	struct web_req *wr;
	const char *tv, *mv, *hdr, *why;
	char msg[512], name[80];
	size_t tlen, mlen;
	unsigned nt, nm;
	uint64_t header_ms = 0, cap, timeout;
	int debug;

	if (cfg->n_probe_allow == 0) {
		web_respond_text(req, 403, "probing is off: set probe_allow in "
		    "[exporter]\n");
		return;
	}
	nt = http_req_arg_n(req, "target", &tv, &tlen);
	nm = http_req_arg_n(req, "module", &mv, &mlen);
	if (nt == 0 || nm == 0) {
		web_respond_text(req, 400, nt == 0 ?
		    "missing target (/probe?target=HOST[:PORT]&module=NAME)\n" :
		    "missing module (/probe?target=HOST[:PORT]&module=NAME)\n");
		return;
	}
	if (nt > 1 || nm > 1) {
		web_respond_text(req, 400, nt > 1 ? "target given twice\n" :
		    "module given twice\n");
		return;
	}
	if (mlen != strlen(mv) || (m = config_module(cfg, mv)) == NULL) {
		text_escape(name, sizeof(name), mv, mlen);
		snprintf(msg, sizeof(msg), "unknown module \"%s\"\n", name);
		web_respond_text(req, 400, msg);
		return;
	}
	if ((debug = probe_debug_arg(req, &why)) == -1) {
		snprintf(msg, sizeof(msg), "bad debug: %s\n", why);
		web_respond_text(req, 400, msg);
		return;
	}
	if (probe_target_parse(tv, tlen, m->t.kind, &pt, &why) == -1) {
		snprintf(msg, sizeof(msg), "bad target: %s\n", why);
		web_respond_text(req, 400, msg);
		return;
	}
	if (!probe_allowed(cfg->probe_allow, cfg->n_probe_allow, &pt, msg,
	    sizeof(msg) - 1)) {
		strcat(msg, "\n");
		web_respond_text(req, 403, msg);
		return;
	}
	if (m->t.kind == TARGET_ENDPOINT && !probe_port_allowed(cfg,
	    pt.port ? pt.port : protocol_default_port(m->t.protocol), msg,
	    sizeof(msg) - 1)) {
		log_warn("probe_refused", "target=%s reason=not_allowed msg=%s",
		    log_quote(qh, sizeof(qh), pt.host),
		    log_quote(qm2, sizeof(qm2), msg));
		strcat(msg, "\n");
		web_respond_text(req, 403, msg);
		return;
	}
	hdr = http_req_header(req, PROBE_TIMEOUT_HEADER);
	if (hdr != NULL && probe_timeout_parse(hdr, &header_ms, &why) == -1) {
		snprintf(msg, sizeof(msg), "bad " PROBE_TIMEOUT_HEADER ": %s\n",
		    why);
		web_respond_text(req, 400, msg);
		return;
	}
	if (w->probes_active >= cfg->probe_max_concurrent) {
		snprintf(msg, sizeof(msg), "too many probes running "
		    "(probe_max_concurrent = %u)\n", cfg->probe_max_concurrent);
		http_req_set_header(req, "Retry-After", "1");
		web_respond_text(req, 503, msg);
		return;
	}
	cap = m->t.timeout_ms ? m->t.timeout_ms : cfg->timeout_ms;
	timeout = probe_timeout_effective(hdr != NULL, header_ms,
	    cfg->probe_timeout_offset_ms, cap);

	/* The check copies all of it: the module may go with a reload. */
	t = m->t;
	t.name = pt.host;
	t.port = 0;
	if (t.kind == TARGET_ENDPOINT)
		t.port = pt.port ? pt.port : protocol_default_port(t.protocol);
	t.timeout_ms = timeout;
	t.interval_ms = 0;

	wr = web_req_new(w, req, WREQ_PROBE);
	wr->timeout_ms = timeout;
	wr->key = target_key(&t);
	w->probes_active++;
	if (debug)
		wr->log_cap = log_capture_start(pt.host, wr->key);
	log_info("probe_start", "target=%s port=%u module=%s timeout_ms=%llu",
	    log_quote(qh, sizeof(qh), pt.host), (unsigned)t.port,
	    log_quote(qm, sizeof(qm), m->name), (unsigned long long)timeout);
	wr->starting = 1;
	wr->adhoc = adhoc_start(ctx, &t, timeout, probe_done, wr);
	wr->starting = 0;
	if (wr->done_early) {
		probe_answer(wr);
		return;
	}
	http_req_on_close(req, probe_client_gone, wr);
}
