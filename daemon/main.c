/* mailsec_exporter: watches the security of mail domains and servers and
 * exports what it finds as Prometheus metrics. */
#include <getopt.h>
#include <pwd.h>
#include <grp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "collectors/audit.h"
#include "collectors/dns.h"
#include "collectors/https_fetch.h"
#include "collectors/probe.h"
#include "daemon/check.h"
#include "daemon/audit_config.h"
#include "daemon/cfgwatch.h"
#include "daemon/config.h"
#include "daemon/ctx.h"
#include "base/log.h"
#include "daemon/sched.h"
#include "base/util.h"
#include "daemon/watch.h"
#include "web/auth.h"
#include "web/http.h"
#include "web/metrics.h"
#include "web/metrics_once.h"
#include "web/results.h"
#include "web/server.h"

#define DEFAULT_CONFIG "/etc/mailsec_exporter/exporter.ini"

/* Flags that override the file, kept for every (re)load. */
static const char *level_arg, *listen_arg, *web_config_arg;
static enum log_level level_flag;
static char *listen_host;
static uint16_t listen_port;

static void
flags_apply(struct config *cfg)
{
	if (level_arg)
		cfg->log_level = level_flag;
	if (listen_arg) {
		free(cfg->listen_host);
		cfg->listen_host = xstrdup(listen_host);
		cfg->listen_port = listen_port;
	}
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: mailsec_exporter [--config FILE] [--check-config] [--once]\n"
	    "                        [--log-level LEVEL] [--log.format FORMAT]\n"
	    "                        [--web.listen-address ADDR] [--web.config.file FILE]\n"
	    "                        [--web.enable-lifecycle] [--hash-password]\n"
	    "                        [--version] [--help]\n"
	    "       mailsec_exporter check [options] DOMAIN|HOST:PORT...\n"
	    "                        (check --help: a report for people)\n"
	    "       mailsec_exporter audit-config [--postfix DIR] [--dovecot FILE] [--json]\n"
	    "  --config FILE      configuration file (default %s);\n"
	    "                     also spelt --config.file\n"
	    "  --check-config     validate the configuration, print every error, exit;\n"
	    "                     also spelt --config.check\n"
	    "  --once             run every check once, print the metrics, exit\n"
	    "  --log-level LEVEL  debug, info, warn or error (overrides the file);\n"
	    "                     also spelt --log.level\n"
	    "  --log.format FORMAT  logfmt (key=value, the default) or json\n"
	    "  --web.listen-address ADDR  listen here, not at the file's listen\n"
	    "                     (127.0.0.1:9925, [::1]:9925, :9925)\n"
	    "  --web.config.file FILE  exporter-toolkit's web-config.yml: TLS and\n"
	    "                     basic auth, instead of the tls_* and basic_auth_users keys\n"
	    "  --web.enable-lifecycle  POST /-/reload reloads the config (as SIGHUP)\n"
	    "  --hash-password    read a password (one line) from standard input and\n"
	    "                     print its bcrypt hash, for basic_auth_users\n"
	    "  --version          print the version and exit\n",
	    DEFAULT_CONFIG);
}

#define PASSWORD_MAX 72	/* bcrypt uses no more */

/* --hash-password: one line from stdin (not echoed on a terminal), its
 * bcrypt hash on stdout. */
static int
hash_password(void)
{
	char line[PASSWORD_MAX + 3], *hash;
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO);
	size_t n;

	if (tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		fputs("Password: ", stderr);
	} else
		tty = 0;
	if (fgets(line, sizeof(line), stdin) == NULL)
		line[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputs("\n", stderr);
	}
	n = strlen(line);
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	else if (n > PASSWORD_MAX) {
		explicit_bzero(line, sizeof(line));
		fprintf(stderr, "mailsec_exporter: password longer than %d "
		    "bytes (bcrypt would ignore the rest)\n", PASSWORD_MAX);
		return 1;
	}
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (n == 0) {
		fprintf(stderr, "mailsec_exporter: empty password\n");
		return 1;
	}
	hash = auth_hash_password(line, AUTH_BCRYPT_COST);
	explicit_bzero(line, sizeof(line));
	if (hash == NULL) {
		fprintf(stderr, "mailsec_exporter: bcrypt failed\n");
		return 1;
	}
	printf("%s\n", hash);
	free(hash);
	return 0;
}

static struct config *
load_config(const char *path, int quiet_ok)
{
	struct config_errors errs = { 0 };
	struct config *cfg = config_load_web(path, web_config_arg, &errs);

	(void)quiet_ok;
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	config_errors_free(&errs);
	return cfg;
}

static int
same_text(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* A new certificate or key (cert-manager rotation): served from the next
 * handshake on.  -1 when the listener does not take it: the reload fails
 * and the old certificate stays. */
static int
reload_tls_cert(struct ctx *ctx, const struct config *cfg)
{
	char err[256], q[LOG_QUOTE_MAX];

	if (same_text(cfg->tls_cert_pem, ctx->cfg->tls_cert_pem) &&
	    same_text(cfg->tls_key_pem, ctx->cfg->tls_key_pem))
		return 0;
	if (ctx->http == NULL || cfg->tls_cert_pem == NULL ||
	    ctx->cfg->tls_cert_pem == NULL) {
		log_warn("reload_tls_unchanged", "msg=\"turning HTTPS on or "
		    "off takes a restart\"");
		return 0;
	}
	if (http_set_tls_cert(ctx->http, cfg->tls_cert_pem, cfg->tls_key_pem,
	    err, sizeof(err)) == -1) {
		log_error("reload_failed", "msg=%s keeping=previous",
		    log_quote(q, sizeof(q), err));
		return -1;
	}
	log_info("tls_cert_reloaded", "cert_file=%s generation=%u",
	    log_quote(q, sizeof(q), cfg->tls_cert_file),
	    http_tls_generation(ctx->http));
	return 0;
}

/* SIGHUP: a new config replaces the old one only when it is valid whole. */
static void
reload(struct ctx *ctx)
{
	struct config_errors errs = { 0 };
	struct config *cfg, *old;
	SSL_CTX *ssl_ctx;
	char err[256], q[LOG_QUOTE_MAX];

	log_info("reload", "config=%s", log_quote(q, sizeof(q), ctx->config_path));
	if ((cfg = config_load_web(ctx->config_path, web_config_arg,
	    &errs)) == NULL) {
		size_t nerr = errs.n;	/* config_errors_free() zeroes it */

		for (size_t i = 0; i < errs.n; i++)
			log_error("config_error", "msg=%s",
			    log_quote(q, sizeof(q), errs.msgs[i]));
		config_errors_free(&errs);
		ctx->reload_ok = 0;
		log_error("reload_failed", "errors=%zu keeping=previous", nerr);
		return;
	}
	config_errors_free(&errs);
	flags_apply(cfg);
	if ((ssl_ctx = probe_ssl_ctx_new(cfg->ca_file, err, sizeof(err))) == NULL ||
	    dns_set_servers(ctx->dns, cfg->resolver, err, sizeof(err)) == -1) {
		SSL_CTX_free(ssl_ctx);
		log_error("reload_failed", "msg=%s keeping=previous",
		    log_quote(q, sizeof(q), err));
		config_free(cfg);
		ctx->reload_ok = 0;
		return;
	}
	if (strcmp(cfg->listen_host, ctx->cfg->listen_host) != 0 ||
	    cfg->listen_port != ctx->cfg->listen_port)
		log_warn("reload_listen_unchanged",
		    "msg=\"a new listen address takes a restart\"");
	if (reload_tls_cert(ctx, cfg) == -1) {
		config_free(cfg);
		SSL_CTX_free(ssl_ctx);
		ctx->reload_ok = 0;
		return;
	}
	if (cfg->tls_client_auth != ctx->cfg->tls_client_auth ||
	    cfg->tls_min_version != ctx->cfg->tls_min_version ||
	    !same_text(cfg->tls_client_ca_pem, ctx->cfg->tls_client_ca_pem))
		log_warn("reload_tls_unchanged", "msg=\"a new client_auth_type, "
		    "client_ca_file or min_version takes a restart\"");
	if (ctx->cfg->resolver && cfg->resolver == NULL)
		log_warn("reload_resolver_unchanged",
		    "msg=\"going back to resolv.conf takes a restart\"");
	/* Running probes keep their own reference to the old context. */
	SSL_CTX_free(ctx->ssl_ctx);
	ctx->ssl_ctx = ssl_ctx;
	old = ctx->cfg;
	ctx->cfg = cfg;
	log_set_level(cfg->log_level);
	ctx_apply_dns_cache(ctx);
	fetch_engine_set_max_active(ctx->fetch, cfg->mta_sts_max_in_flight);
	changes_configure(&ctx->changes, cfg->state_file,
	    (double)cfg->weakened_hold_ms / 1000.0, cfg->n_targets);
	sched_apply_config(ctx);
	cfgwatch_apply(ctx);
	config_free(old);
	ctx->reload_ok = 1;
	ctx->reload_ok_time = wall_time();
	log_info("reload_done", "targets=%zu", ctx->n_checks);
}

static void
watch_reload_cb(void *arg)
{
	reload(arg);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ctx *ctx = arg;

	(void)what;
	if (sig == SIGHUP) {
		reload(ctx);
		return;
	}
	log_info("shutdown", "signal=%d", (int)sig);
	event_base_loopbreak(ctx->base);
}

/* Started as root with `user =`: give root up once the listener is bound.
 * Everything read later (the config on reload, the CA file) must be
 * readable by that user. */
static int
drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if (user == NULL)
		return 0;
	if (geteuid() != 0) {
		log_info("privileges", "user=%s msg=\"not root: nothing to drop\"",
		    user);
		return 0;
	}
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user %s: no such user", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1) {
		snprintf(err, errlen, "cannot become %s: %s", user,
		    strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) != -1) {
		snprintf(err, errlen, "could become root again after dropping");
		return -1;
	}
	log_info("privileges", "user=%s uid=%u gid=%u", user,
	    (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	return 0;
}

/* The listener goes before the context: it is the wiring's, as the web is
 * (after web_free(), which answers the requests the web still holds). */
static void
stop_listener(struct ctx *ctx)
{
	http_stop(ctx->http);
	ctx->http = NULL;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "config.file", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "config.check", no_argument, NULL, 'C' },
		{ "once", no_argument, NULL, '1' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "log.level", required_argument, NULL, 'l' },
		{ "log.format", required_argument, NULL, 'f' },
		{ "web.listen-address", required_argument, NULL, 'L' },
		{ "web.config.file", required_argument, NULL, 'W' },
		{ "web.enable-lifecycle", no_argument, NULL, 'E' },
		{ "version", no_argument, NULL, 'V' },
		{ "hash-password", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = DEFAULT_CONFIG, *format_arg = NULL;
	int check_only = 0, once = 0, enable_lifecycle = 0, ch, rc = 0;
	enum log_format format;
	struct web *web = NULL;
	struct config *cfg;
	struct ctx ctx;
	char err[256];

	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "audit-config") == 0)
		return audit_config_main(argc - 1, argv + 1);
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'C':
			check_only = 1;
			break;
		case '1':
			once = 1;
			break;
		case 'l':
			level_arg = optarg;
			break;
		case 'f':
			format_arg = optarg;
			break;
		case 'L':
			listen_arg = optarg;
			break;
		case 'W':
			web_config_arg = optarg;
			break;
		case 'E':
			enable_lifecycle = 1;
			break;
		case 'V':
			printf("mailsec_exporter %s (%s)\n", MAILSEC_VERSION,
			    OpenSSL_version(OPENSSL_VERSION));
			return 0;
		case 'P':
			return hash_password();
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (level_arg && log_level_parse(level_arg, &level_flag) == -1) {
		fprintf(stderr, "mailsec_exporter: bad --log-level %s\n", level_arg);
		return 2;
	}
	if (format_arg && log_format_parse(format_arg, &format) == -1) {
		fprintf(stderr, "mailsec_exporter: bad --log.format %s: logfmt "
		    "or json\n", format_arg);
		return 2;
	}
	if (format_arg)
		log_set_format(format);
	if (listen_arg && config_listen_parse(listen_arg, &listen_host,
	    &listen_port, err, sizeof(err)) == -1) {
		fprintf(stderr, "mailsec_exporter: bad --web.listen-address %s: "
		    "%s\n", listen_arg, err);
		return 2;
	}

	if ((cfg = load_config(config_path, check_only)) == NULL)
		return 1;
	flags_apply(cfg);
	if (check_only) {
		printf("%s: OK, %zu targets\n", config_path, cfg->n_targets);
		config_free(cfg);
		return 0;
	}
	log_set_level(cfg->log_level);
	signal(SIGPIPE, SIG_IGN);
	if (ctx_open(&ctx, cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "mailsec_exporter: %s\n", err);
		return 1;
	}
	ctx.config_path = config_path;
	ctx.once = once;
	metrics_cache_subscribe(&ctx);
	changes_subscribe(&ctx);
	result_store_subscribe(&ctx);

	if (!once) {
		struct http_params hp = {
			.host = ctx.cfg->listen_host,
			.port = ctx.cfg->listen_port,
			.tls_cert_pem = ctx.cfg->tls_cert_pem,
			.tls_key_pem = ctx.cfg->tls_key_pem,
			.tls13_only = ctx.cfg->tls_min_version == 13,
			.client_auth = ctx.cfg->tls_client_auth,
			.client_ca_pem = ctx.cfg->tls_client_ca_pem,
			.post_path = "/-/reload",
		};

		/* One Prometheus may hold probe_max_concurrent /probe
		 * connections at once, and scrape /metrics besides. */
		if (ctx.cfg->probe_max_concurrent + 16 > 32)
			hp.per_ip_connections = ctx.cfg->probe_max_concurrent + 16;
		if (hp.per_ip_connections > 256)
			hp.max_connections = hp.per_ip_connections;

		web = web_new(&ctx);
		ctx.http = http_start(ctx.base, &hp, server_handle, web, err,
		    sizeof(err));
		if (ctx.http == NULL) {
			fprintf(stderr, "mailsec_exporter: %s\n", err);
			web_free(web);
			ctx_free(&ctx);
			return 1;
		}
		if (drop_privileges(ctx.cfg->user, err, sizeof(err)) == -1) {
			fprintf(stderr, "mailsec_exporter: %s\n", err);
			web_free(web);
			stop_listener(&ctx);
			ctx_free(&ctx);
			return 1;
		}
		ctx.ev_sighup = evsignal_new(ctx.base, SIGHUP, signal_cb, &ctx);
		event_add(ctx.ev_sighup, NULL);
		ctx.reload = reload;
		ctx.enable_lifecycle = enable_lifecycle;
		{
			/* The certificate and key too: a rotated one is
			 * served without a restart. */
			const char *watched[] = { config_path, web_config_arg,
			    ctx.cfg->tls_cert_file, ctx.cfg->tls_key_file };

			ctx.config_watch = config_watch_start(ctx.base, watched,
			    ARRAY_LEN(watched), watch_reload_cb, &ctx, err,
			    sizeof(err));
			if (ctx.config_watch == NULL)
				log_warn("config_watch", "msg=\"%s: a change "
				    "takes a SIGHUP\"", err);
		}
		log_info("listening", "address=%s port=%u scheme=%s targets=%zu "
		    "modules=%zu probe=%s auth=%s", ctx.cfg->listen_host,
		    http_port(ctx.http), hp.tls_cert_pem ? "https" : "http",
		    ctx.cfg->n_targets, ctx.cfg->n_modules,
		    ctx.cfg->n_probe_allow ? "on" : "off",
		    ctx.cfg->n_auth_users ? "basic" : "none");
	}
	ctx.ev_sigterm = evsignal_new(ctx.base, SIGTERM, signal_cb, &ctx);
	ctx.ev_sigint = evsignal_new(ctx.base, SIGINT, signal_cb, &ctx);
	event_add(ctx.ev_sigterm, NULL);
	event_add(ctx.ev_sigint, NULL);

	if (once)
		ctx_run_once(&ctx);
	else {
		sched_apply_config(&ctx);
		cfgwatch_apply(&ctx);
		event_base_dispatch(ctx.base);
	}

	if (once) {
		/* Family by family, never whole: tens of MB for thousands
		 * of endpoints (web/metrics_once.c). */
		if (metrics_once_write(&ctx, stdout) == -1)
			rc = 1;
		if (fflush(stdout) != 0)
			rc = 1;
		if (!ctx.ready)
			rc = 1;		/* interrupted before the round ended */
	}
	web_free(web);		/* before the checks and the listener go */
	stop_listener(&ctx);
	ctx_free(&ctx);
	free(listen_host);
	return rc;
}
