#include "daemon/check.h"

#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/ctx.h"
#include "base/log.h"
#include "daemon/sched.h"
#include "web/probe.h"
#include "web/report.h"
#include "web/results.h"
#include "web/status.h"

#define CONFIG_NAME	"check"		/* the config text's name in messages */

static void
check_usage(FILE *f)
{
	fprintf(f,
	    "usage: mailsec_exporter check [options] DOMAIN|HOST:PORT...\n"
	    "  Checks each mail domain (its MX hosts on port 25, SPF, DKIM,\n"
	    "  DMARC) or endpoint (HOST:PORT, an address: port 25) once and\n"
	    "  prints what passes, what to fix.  Ports pick the protocol:\n"
	    "  25, 587 SMTP STARTTLS; 465 SMTPS; 143 IMAP; 993 IMAPS;\n"
	    "  110 POP3; 995 POP3S.\n"
	    "  --resolver ADDR[:PORT]  DNS server to ask (repeatable; default:\n"
	    "                          /etc/resolv.conf)\n"
	    "  --ca-file FILE          CAs to verify certificates with (default\n"
	    "                          %s)\n"
	    "  --trust-anchor FILE     DNSSEC trust anchors (default\n"
	    "                          /usr/share/dns/root.key)\n"
	    "  --dnssec-forwarder ADDR[@PORT]  validate answers fetched from\n"
	    "                          this server instead of recursing\n"
	    "  --dkim-selector SEL     a DKIM selector to check (repeatable)\n"
	    "  --timeout DURATION      per probe, e.g. 10s (the default), 500ms\n"
	    "  --json                  the JSON API's document instead of the\n"
	    "                          report (doc/api.md)\n"
	    "  --log-level LEVEL       logs on stderr (default error)\n"
	    "  exit status: 0 all pass, 1 warnings, 2 failures, 3 could not\n"
	    "  check (bad arguments, resolver unusable, every lookup failed)\n",
	    DEFAULT_CA_FILE);
}

/* A value that goes into a config line: inih must read back what we wrote
 * (no line breaks, no comment sign, no blanks at the ends). */
static int
config_safe(const char *s, int list_item, const char **why)
{
	size_t n = strlen(s);

	if (n == 0) {
		*why = "empty";
		return -1;
	}
	if (n > 1024) {
		*why = "longer than 1024 bytes";
		return -1;
	}
	if (s[0] == ' ' || s[n - 1] == ' ') {
		*why = "blank at the start or the end";
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == ';' ||
		    s[i] == '#' || (list_item && s[i] == ',')) {
			*why = list_item ? "control character, ';', '#' or ','" :
			    "control character, ';' or '#'";
			return -1;
		}
	return 0;
}

/* One line of the config text, and where it came from. */
__attribute__((format(printf, 5, 6)))
static void
add_line(struct buf *out, char ***origins, size_t *n, const char *origin,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(out, fmt, ap);
	va_end(ap);
	buf_putc(out, '\n');
	*origins = xreallocarray(*origins, *n + 1, sizeof(**origins));
	(*origins)[(*n)++] = origin ? xstrdup(origin) : NULL;
}

static char *
origin_of(const char *opt, const char *value)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%s %s", opt, value);
	return b.data;
}

static void
emit_value(struct buf *out, char ***origins, size_t *n, const char *opt,
    const char *key, const char *value)
{
	char *o = origin_of(opt, value);

	add_line(out, origins, n, o, "%s = %s", key, value);
	free(o);
}

int
check_config_text(const struct check_args *a, struct buf *out,
    char ***origins, size_t *n, const char **bad, const char **why)
{
	struct probe_target pt;
	struct buf selectors;
	char *sel_origin;

	*origins = NULL;
	*n = 0;
#define SAFE(v, l) do { if (config_safe((v), (l), why) == -1) { \
	*bad = (v); return -1; } } while (0)
	add_line(out, origins, n, NULL, "[exporter]");
	add_line(out, origins, n, NULL, "log_level = %s",
	    a->log_level ? a->log_level : "error");
	if (a->n_resolvers > 0) {
		struct buf list;
		char *o;

		buf_init(&list);
		for (size_t i = 0; i < a->n_resolvers; i++) {
			if (config_safe(a->resolvers[i], 1, why) == -1) {
				*bad = a->resolvers[i];
				buf_free(&list);
				return -1;
			}
			buf_printf(&list, "%s%s", i ? ", " : "",
			    a->resolvers[i]);
		}
		o = origin_of("--resolver", list.data);
		add_line(out, origins, n, o, "resolver = %s", list.data);
		free(o);
		buf_free(&list);
	}
	if (a->ca_file) {
		SAFE(a->ca_file, 0);
		emit_value(out, origins, n, "--ca-file", "ca_file", a->ca_file);
	}
	if (a->trust_anchor) {
		SAFE(a->trust_anchor, 0);
		emit_value(out, origins, n, "--trust-anchor",
		    "dnssec_trust_anchor_file", a->trust_anchor);
	}
	if (a->dnssec_forwarder) {
		SAFE(a->dnssec_forwarder, 0);
		emit_value(out, origins, n, "--dnssec-forwarder",
		    "dnssec_forwarder", a->dnssec_forwarder);
	}
	if (a->timeout) {
		SAFE(a->timeout, 0);
		emit_value(out, origins, n, "--timeout", "timeout", a->timeout);
	}
	buf_init(&selectors);
	for (size_t i = 0; i < a->n_selectors; i++) {
		if (config_safe(a->selectors[i], 1, why) == -1) {
			*bad = a->selectors[i];
			buf_free(&selectors);
			return -1;
		}
		buf_printf(&selectors, "%s%s", i ? ", " : "", a->selectors[i]);
	}
	sel_origin = a->n_selectors ? origin_of("--dkim-selector",
	    selectors.data) : NULL;
	for (size_t i = 0; i < a->n_targets; i++) {
		const char *t = a->targets[i];
		enum protocol proto;
		char *o;

		if (probe_target_parse(t, strlen(t), TARGET_ENDPOINT, &pt,
		    why) == -1) {
			*bad = t;
			goto fail;
		}
		o = origin_of("target", t);
		if (pt.port == 0 && pt.family == 0) {
			add_line(out, origins, n, o, "[domain %s]", pt.host);
			if (sel_origin)
				add_line(out, origins, n, sel_origin,
				    "dkim_selectors = %s", selectors.data);
			free(o);
			continue;
		}
		if (pt.port == 0)
			pt.port = protocol_default_port(PROTO_SMTP);
		if (protocol_for_port(pt.port, &proto) == -1) {
			free(o);
			*bad = t;
			*why = "no protocol for this port (25, 587: smtp; 465: "
			    "smtps; 143: imap; 993: imaps; 110: pop3; 995: "
			    "pop3s)";
			goto fail;
		}
		add_line(out, origins, n, o, pt.family == AF_INET6 ?
		    "[endpoint [%s]:%u]" : "[endpoint %s:%u]", pt.host,
		    (unsigned)pt.port);
		free(o);
	}
#undef SAFE
	free(sel_origin);
	buf_free(&selectors);
	return 0;
fail:
	free(sel_origin);
	buf_free(&selectors);
	return -1;
}

/* "check:3: resolver: bad" -> "--resolver X: bad": a config message said
 * in the words of the command line. */
static void
print_config_error(const char *msg, char *const *origins, size_t n)
{
	const char *p = msg + strlen(CONFIG_NAME ":");
	unsigned long line = 0;
	char *end;

	if (strncmp(msg, CONFIG_NAME ":", strlen(CONFIG_NAME ":")) != 0) {
		fprintf(stderr, "mailsec_exporter check: %s\n", msg);
		return;
	}
	if (*p >= '0' && *p <= '9') {
		line = strtoul(p, &end, 10);
		p = *end == ':' ? end + 1 : end;
	}
	while (*p == ' ')
		p++;
	if (line >= 1 && line <= n && origins[line - 1] != NULL) {
		const char *colon = strstr(p, ": ");

		/* the key's name again ("resolver: ...") says nothing more */
		if (colon && (size_t)(colon - p) < 24 && memchr(p, ' ',
		    (size_t)(colon - p)) == NULL && strncmp(p, "bad", 3) != 0)
			p = colon + 2;
		fprintf(stderr, "mailsec_exporter check: %s: %s\n",
		    origins[line - 1], p);
	} else
		fprintf(stderr, "mailsec_exporter check: %s\n", p);
}

/* --- progress, on a terminal's stderr -------------------------------------- */

struct progress {
	int		 on;
	size_t		 done, total;
};

static void
progress_show(struct progress *pg, const char *last)
{
	if (!pg->on)
		return;
	fprintf(stderr, "\r\033[Kchecking: %zu of %zu done%s%s", pg->done,
	    pg->total, last ? ", last " : "", last ? last : "");
	fflush(stderr);
}

static void
progress_check_done(const struct check *c, void *arg)
{
	struct progress *pg = arg;

	pg->done++;
	progress_show(pg, c->key);
}

static void
progress_end(struct progress *pg)
{
	if (pg->on)
		fputs("\r\033[K", stderr);
}

static void
stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ctx *ctx = arg;

	(void)sig;
	(void)what;
	event_base_loopbreak(ctx->base);
}

int
check_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "resolver", required_argument, NULL, 'r' },
		{ "ca-file", required_argument, NULL, 'a' },
		{ "trust-anchor", required_argument, NULL, 'T' },
		{ "dnssec-forwarder", required_argument, NULL, 'F' },
		{ "dkim-selector", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct check_args a = { 0 };
	struct config_errors errs = { 0 };
	struct report_opts ro = { 0 };
	struct progress pg = { 0 };
	const char *bad = NULL, *why = NULL;
	char **origins = NULL, err[256];
	size_t n_origins = 0, n;
	const struct published_target *ts;
	struct config *cfg;
	enum log_level level;
	int json = 0, ch, rc, ready;
	struct ctx ctx;
	struct buf text, out;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (a.n_resolvers == ARRAY_LEN(a.resolvers)) {
				fprintf(stderr, "mailsec_exporter check: at most "
				    "%zu --resolver\n", ARRAY_LEN(a.resolvers));
				return REPORT_UNCHECKED;
			}
			a.resolvers[a.n_resolvers++] = optarg;
			break;
		case 'a':
			a.ca_file = optarg;
			break;
		case 'T':
			a.trust_anchor = optarg;
			break;
		case 'F':
			a.dnssec_forwarder = optarg;
			break;
		case 's':
			if (a.n_selectors == ARRAY_LEN(a.selectors)) {
				fprintf(stderr, "mailsec_exporter check: at most "
				    "%zu --dkim-selector\n",
				    ARRAY_LEN(a.selectors));
				return REPORT_UNCHECKED;
			}
			a.selectors[a.n_selectors++] = optarg;
			break;
		case 't':
			a.timeout = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'l':
			if (log_level_parse(optarg, &level) == -1) {
				fprintf(stderr, "mailsec_exporter check: bad "
				    "--log-level %s\n", optarg);
				return REPORT_UNCHECKED;
			}
			a.log_level = optarg;
			break;
		case 'h':
			check_usage(stdout);
			return 0;
		default:
			check_usage(stderr);
			return REPORT_UNCHECKED;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "mailsec_exporter check: name a domain or "
		    "HOST:PORT to check\n");
		check_usage(stderr);
		return REPORT_UNCHECKED;
	}
	a.targets = argv + optind;
	a.n_targets = (size_t)(argc - optind);

	buf_init(&text);
	rc = check_config_text(&a, &text, &origins, &n_origins, &bad, &why);
	if (rc == -1)
		fprintf(stderr, "mailsec_exporter check: \"%s\": %s\n", bad, why);
	else if ((cfg = config_load_mem(CONFIG_NAME, text.data, text.len,
	    &errs)) == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			print_config_error(errs.msgs[i], origins, n_origins);
		rc = -1;
	}
	config_errors_free(&errs);
	for (size_t i = 0; i < n_origins; i++)
		free(origins[i]);
	free(origins);
	buf_free(&text);
	if (rc == -1)
		return REPORT_UNCHECKED;

	log_set_level(cfg->log_level);
	signal(SIGPIPE, SIG_IGN);
	if (ctx_open(&ctx, cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "mailsec_exporter check: %s\n", err);
		return REPORT_UNCHECKED;
	}
	ctx.config_path = CONFIG_NAME;
	ctx.ev_sigterm = evsignal_new(ctx.base, SIGTERM, stop_cb, &ctx);
	ctx.ev_sigint = evsignal_new(ctx.base, SIGINT, stop_cb, &ctx);
	event_add(ctx.ev_sigterm, NULL);
	event_add(ctx.ev_sigint, NULL);
	pg.on = isatty(STDERR_FILENO);
	pg.total = cfg->n_targets;
	ctx.first_run_cb = progress_check_done;
	ctx.first_run_arg = &pg;
	result_store_subscribe(&ctx);
	progress_show(&pg, NULL);
	ctx_run_once(&ctx);
	progress_end(&pg);

	/* the report is of what was published, as the daemon's pages */
	ts = result_store_targets(ctx.results, &n);
	ready = result_store_ready(ctx.results);
	buf_init(&out);
	if (json)
		status_json_render(ctx.results, NULL, &out);
	else {
		ro.colour = report_colour_wanted(isatty(STDOUT_FILENO),
		    getenv("NO_COLOR"));
		report_render(ts, n, wall_time(), &ro, &out);
	}
	rc = (int)report_exit_status(ts, n, ready, wall_time());
	if (rc == REPORT_UNCHECKED && ready)
		fprintf(stderr, "mailsec_exporter check: could not check: no "
		    "usable DNS answer for any target (resolver: %s)\n",
		    ctx.cfg->resolver ? ctx.cfg->resolver :
		    "/etc/resolv.conf");
	else if (!ready)
		fprintf(stderr, "mailsec_exporter check: interrupted before "
		    "every check ended\n");
	if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	    fflush(stdout) != 0)
		rc = REPORT_UNCHECKED;
	buf_free(&out);
	ctx_free(&ctx);
	return rc;
}
