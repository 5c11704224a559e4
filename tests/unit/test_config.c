/* Config loading: the example file, defaults, every error with its exact
 * "file:line: message", and hostile input.  Files are written to /tmp and
 * removed; messages are compared with the temp path shown as "t.ini". */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "base/util.h"
#include "tests/unit/unit.h"

struct result {
	struct config		*cfg;
	struct config_errors	 errs;
	char			 path[32];
	char			 msg[512];	/* err() output */
};

/* Loads len bytes of text through a temp file. */
static void
load_bytes(struct result *r, const char *text, size_t len)
{
	int fd;

	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "/tmp/test_config.XXXXXX");
	fd = mkstemp(r->path);
	if (fd == -1) {
		perror("mkstemp");
		exit(2);
	}
	if (write(fd, text, len) != (ssize_t)len) {
		perror("write");
		unlink(r->path);
		exit(2);
	}
	close(fd);
	r->cfg = config_load(r->path, &r->errs);
	unlink(r->path);
}

static void
load(struct result *r, const char *text)
{
	load_bytes(r, text, strlen(text));
}

static void
done(struct result *r)
{
	config_free(r->cfg);
	config_errors_free(&r->errs);
	CHECK(r->errs.msgs == NULL && r->errs.n == 0);
}

/* Error i, its temp path shown as "t.ini"; "(none)" past the end. */
static const char *
err(struct result *r, size_t i)
{
	size_t plen = strlen(r->path);
	const char *m;

	if (i >= r->errs.n)
		return "(none)";
	m = r->errs.msgs[i];
	if (strncmp(m, r->path, plen) == 0)
		snprintf(r->msg, sizeof(r->msg), "t.ini%s", m + plen);
	else
		snprintf(r->msg, sizeof(r->msg), "%s", m);
	return r->msg;
}

/* text must fail with exactly the messages given, in order. */
static void
check_errors(int line, const char *text, ...)
{
	const char *want[64];
	struct result r;
	size_t n = 0;
	bool ok;
	va_list ap;

	va_start(ap, text);
	while (n < ARRAY_LEN(want) && (want[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	load(&r, text);
	ok = r.cfg == NULL && r.errs.n == n;
	for (size_t i = 0; ok && i < n; i++)
		ok = strcmp(err(&r, i), want[i]) == 0;
	unit_checks++;
	if (!ok) {
		unit_failures++;
		fprintf(stderr, "%s:%d: expected %s%zu error(s):\n", __FILE__,
		    line, r.cfg ? "a failure, and " : "", n);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "    %s\n", want[i]);
		fprintf(stderr, "  got %zu:\n", r.errs.n);
		for (size_t i = 0; i < r.errs.n; i++)
			fprintf(stderr, "    %s\n", err(&r, i));
	}
	done(&r);
}
#define ERRORS(text, ...) check_errors(__LINE__, text, __VA_ARGS__, NULL)
#define ERROR1(text, msg) ERRORS(text, msg)

static void
check_protocols(void)
{
	enum protocol p;

	CHECK_STR(protocol_name(PROTO_SMTP), "smtp");
	CHECK_STR(protocol_name(PROTO_SUBMISSION), "submission");
	CHECK_STR(protocol_name(PROTO_SMTPS), "smtps");
	CHECK_STR(protocol_name(PROTO__COUNT), "unknown");
	CHECK_INT(protocol_default_port(PROTO_SMTP), 25);
	CHECK_INT(protocol_default_port(PROTO_SUBMISSION), 587);
	CHECK_INT(protocol_default_port(PROTO_SMTPS), 465);
	CHECK_INT(protocol_default_port(PROTO__COUNT), 0);
	CHECK(protocol_parse("submission", &p) == 0 && p == PROTO_SUBMISSION);
	CHECK(protocol_parse("smtps", &p) == 0 && p == PROTO_SMTPS);
	CHECK(protocol_parse("smtp", &p) == 0 && p == PROTO_SMTP);
	CHECK(protocol_parse("SMTP", &p) == -1);
	CHECK(protocol_parse("", &p) == -1);
	CHECK(protocol_for_port(25, &p) == 0 && p == PROTO_SMTP);
	CHECK(protocol_for_port(587, &p) == 0 && p == PROTO_SUBMISSION);
	CHECK(protocol_for_port(465, &p) == 0 && p == PROTO_SMTPS);
	CHECK_STR(protocol_name(PROTO_IMAP), "imap");
	CHECK_STR(protocol_name(PROTO_POP3S), "pop3s");
	CHECK(protocol_parse("imaps", &p) == 0 && p == PROTO_IMAPS);
	CHECK(protocol_parse("pop3", &p) == 0 && p == PROTO_POP3);
	CHECK(protocol_for_port(143, &p) == 0 && p == PROTO_IMAP);
	CHECK(protocol_for_port(993, &p) == 0 && p == PROTO_IMAPS);
	CHECK(protocol_for_port(110, &p) == 0 && p == PROTO_POP3);
	CHECK(protocol_for_port(995, &p) == 0 && p == PROTO_POP3S);
	CHECK(protocol_for_port(2525, &p) == -1);
	CHECK(protocol_for_port(0, &p) == -1);
}

static void
check_example(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg = config_load("exporter.ini.example", &errs);

	CHECK(cfg != NULL);
	CHECK_INT(errs.n, 0);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "example: %s\n", errs.msgs[i]);
	if (cfg) {
		CHECK_STR(cfg->path, "exporter.ini.example");
		CHECK_STR(cfg->listen_host, "127.0.0.1");
		CHECK_INT(cfg->listen_port, 9925);
		CHECK_INT(cfg->interval_ms, 300000);
		CHECK_INT(cfg->timeout_ms, 10000);
		CHECK_INT(cfg->concurrency, 256);
		CHECK_STR(cfg->ca_file, "/etc/ssl/certs/ca-certificates.crt");
		CHECK(cfg->resolver == NULL);
		CHECK_INT(cfg->log_level, LOG_INFO);
		CHECK_INT(cfg->audit, 1);
		CHECK_INT(cfg->audit_interval_ms, 3600000);
		/* The local mail server: 127.0.0.1 on 25, 587 and 993. */
		CHECK_INT(cfg->n_targets, 3);
		if (cfg->n_targets == 3) {
			static const struct { unsigned port; int proto; } want[] = {
				{ 25, PROTO_SMTP }, { 587, PROTO_SUBMISSION },
				{ 993, PROTO_IMAPS },
			};

			for (size_t i = 0; i < 3; i++) {
				const struct target_cfg *t = &cfg->targets[i];

				CHECK_INT(t->kind, TARGET_ENDPOINT);
				CHECK_STR(t->name, "127.0.0.1");
				CHECK_INT(t->port, want[i].port);
				CHECK_INT(t->protocol, want[i].proto);
				CHECK_INT(t->interval_ms, 0);
				CHECK_INT(t->timeout_ms, 0);
			}
		}
	}
	config_free(cfg);
	config_errors_free(&errs);
}

static void
check_defaults(void)
{
	char host[256];
	struct result r;

	load(&r, "");
	CHECK(r.cfg != NULL);
	CHECK_INT(r.errs.n, 0);
	if (r.cfg) {
		CHECK_STR(r.cfg->path, r.path);
		CHECK_STR(r.cfg->listen_host, DEFAULT_LISTEN_HOST);
		CHECK_INT(r.cfg->listen_port, DEFAULT_LISTEN_PORT);
		CHECK_INT(r.cfg->interval_ms, 5 * 60 * 1000);
		CHECK_INT(r.cfg->timeout_ms, 10 * 1000);
		CHECK_INT(r.cfg->concurrency, 256);
		CHECK_STR(r.cfg->ca_file, DEFAULT_CA_FILE);
		CHECK(r.cfg->resolver == NULL);
		CHECK_INT(r.cfg->log_level, LOG_INFO);
		CHECK(r.cfg->ehlo_name != NULL && r.cfg->ehlo_name[0] != '\0');
		/* The host name, or "localhost" when it is not one. */
		host[sizeof(host) - 1] = '\0';
		if (gethostname(host, sizeof(host) - 1) == -1)
			host[0] = '\0';
		CHECK(strcmp(r.cfg->ehlo_name, host) == 0 ||
		    strcmp(r.cfg->ehlo_name, "localhost") == 0);
		CHECK_INT(r.cfg->n_targets, 0);
	}
	done(&r);

	/* Sections without keys: a domain probes port 25; an endpoint on a
	 * well-known port speaks its protocol. */
	load(&r, "[exporter]\n[domain example.org]\n[endpoint a.example:587]\n"
	    "[endpoint b.example:465]\n[endpoint c.example:25]\n");
	CHECK(r.cfg != NULL);
	CHECK_INT(r.errs.n, 0);
	if (r.cfg && r.cfg->n_targets == 4) {
		struct target_cfg *t = r.cfg->targets;

		CHECK_INT(t[0].kind, TARGET_DOMAIN);
		CHECK_STR(t[0].name, "example.org");
		CHECK_INT(t[0].n_smtp_ports, 1);
		CHECK_INT(t[0].smtp_ports[0], 25);
		CHECK_INT(t[0].port, 0);
		CHECK_INT(t[0].line, 2);
		CHECK_INT(t[0].interval_ms, 0);
		CHECK_INT(t[0].timeout_ms, 0);
		CHECK_INT(t[1].kind, TARGET_ENDPOINT);
		CHECK_INT(t[1].protocol, PROTO_SUBMISSION);
		CHECK_INT(t[1].port, 587);
		CHECK_INT(t[1].line, 3);
		CHECK_INT(t[2].protocol, PROTO_SMTPS);
		CHECK_INT(t[3].protocol, PROTO_SMTP);
	} else
		CHECK(0);
	done(&r);
}

static void
check_full(void)
{
	struct result r;
	struct target_cfg *t;

	load(&r,
	    "\xef\xbb\xbf; every key set\r\n"
	    "# hash comment\n"
	    "[exporter] ; inline comment\n"
	    "listen = [::1]:9000\n"
	    "\tinterval=30s\n"
	    "  timeout   =   250ms   ; a comment\n"
	    "concurrency = 10000\n"
	    "ca_file = /etc/ssl/certs/ca-certificates.crt\r\n"
	    "resolver = 9.9.9.9:5353,[2001:DB8::1]:53, ::1 ,[::2]\n"
	    "log_level = DEBUG\n"
	    "ehlo_name = Probe-1.example.net\n"
	    "\n"
	    "[domain Example.ORG.]\n"
	    "smtp_ports = 587, 25,465\n"
	    "interval = 1h\n"
	    "timeout = 10m\n"
	    "[domain _dmarc-test.example.org]\n"
	    "  [endpoint [2001:DB8:0::5]:465]\n"
	    "timeout = 100ms\n"
	    "[endpoint Mail.Example.org.:2525]\n"
	    "protocol = submission\n"
	    "interval = 1\n"
	    "[endpoint 10.0.0.1:587]\n"
	    "protocol = smtps\n"
	    "[endpoint 10.0.0.2:587]\n"
	    "protocol = smtp ; a comment");	/* no final newline */
	CHECK(r.cfg != NULL);
	CHECK_INT(r.errs.n, 0);
	for (size_t i = 0; i < r.errs.n; i++)
		fprintf(stderr, "unexpected: %s\n", err(&r, i));
	if (r.cfg == NULL || r.cfg->n_targets != 6) {
		CHECK(0);
		done(&r);
		return;
	}
	CHECK_STR(r.cfg->listen_host, "::1");
	CHECK_INT(r.cfg->listen_port, 9000);
	CHECK_INT(r.cfg->interval_ms, 30000);
	CHECK_INT(r.cfg->timeout_ms, 250);
	CHECK_INT(r.cfg->concurrency, 10000);
	CHECK_STR(r.cfg->resolver,
	    "9.9.9.9:5353,[2001:db8::1]:53,[::1]:53,[::2]:53");
	CHECK_INT(r.cfg->log_level, LOG_DEBUG);
	CHECK_STR(r.cfg->ehlo_name, "Probe-1.example.net");
	t = r.cfg->targets;
	CHECK_INT(t[0].kind, TARGET_DOMAIN);
	CHECK_STR(t[0].name, "example.org");
	CHECK_INT(t[0].n_smtp_ports, 3);
	CHECK_INT(t[0].smtp_ports[0], 587);
	CHECK_INT(t[0].smtp_ports[1], 25);
	CHECK_INT(t[0].smtp_ports[2], 465);
	CHECK_INT(t[0].interval_ms, 3600000);
	CHECK_INT(t[0].timeout_ms, 600000);
	CHECK_INT(t[0].line, 13);
	CHECK_STR(t[1].name, "_dmarc-test.example.org");
	CHECK_INT(t[2].kind, TARGET_ENDPOINT);
	CHECK_STR(t[2].name, "2001:db8::5");
	CHECK_INT(t[2].port, 465);
	CHECK_INT(t[2].protocol, PROTO_SMTPS);
	CHECK_INT(t[2].timeout_ms, 100);
	CHECK_STR(t[3].name, "mail.example.org");
	CHECK_INT(t[3].port, 2525);
	CHECK_INT(t[3].protocol, PROTO_SUBMISSION);
	CHECK_INT(t[3].interval_ms, 1000);
	CHECK_INT(t[4].protocol, PROTO_SMTPS);
	CHECK_INT(t[5].protocol, PROTO_SMTP);
	CHECK_INT(t[5].line, 25);
	done(&r);

	load(&r, "[exporter]\nresolver = 1.1.1.1\n");
	CHECK(r.cfg != NULL && strcmp(r.cfg->resolver, "1.1.1.1:53") == 0);
	done(&r);
}

static void
check_file_errors(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg;
	struct result r;
	char *big;

	cfg = config_load("/nonexistent/mailsec.ini", &errs);
	CHECK(cfg == NULL);
	CHECK_INT(errs.n, 1);
	if (errs.n == 1)
		CHECK_STR(errs.msgs[0], "/nonexistent/mailsec.ini: cannot "
		    "open: No such file or directory");
	config_errors_free(&errs);

	cfg = config_load("/tmp", &errs);
	CHECK(cfg == NULL);
	CHECK_INT(errs.n, 1);
	if (errs.n == 1)
		CHECK_STR(errs.msgs[0], "/tmp: cannot read: Is a directory");
	config_errors_free(&errs);

	/* 1 MiB is fine (a comment), one byte more is not. */
	big = xmalloc(CONFIG_MAX_SIZE + 1);
	memset(big, '\n', CONFIG_MAX_SIZE + 1);
	load_bytes(&r, big, CONFIG_MAX_SIZE);
	CHECK(r.cfg != NULL);
	done(&r);
	load_bytes(&r, big, CONFIG_MAX_SIZE + 1);
	CHECK(r.cfg == NULL);
	CHECK_INT(r.errs.n, 1);
	CHECK_STR(err(&r, 0), "t.ini: file too large (max 1024 KiB)");
	done(&r);
	cfg = config_load_mem("m.ini", big, CONFIG_MAX_SIZE + 1, &errs);
	CHECK(cfg == NULL);
	CHECK_INT(errs.n, 1);
	if (errs.n == 1)
		CHECK_STR(errs.msgs[0], "m.ini: file too large (max 1024 KiB)");
	config_errors_free(&errs);
	free(big);

	/* From memory: not NUL-terminated; messages appended to errs. */
	cfg = config_load_mem("m.ini", "[exporter]\nconcurrency = 0xyz", 26,
	    &errs);
	CHECK(cfg == NULL);
	CHECK_INT(errs.n, 1);
	if (errs.n == 1)
		CHECK_STR(errs.msgs[0], "m.ini:2: concurrency: number too "
		    "small (1-10000)");
	cfg = config_load_mem("n.ini", "[foo]", 5, &errs);
	CHECK(cfg == NULL);
	CHECK_INT(errs.n, 2);
	if (errs.n == 2)
		CHECK_STR(errs.msgs[1], "n.ini:1: unknown section [foo] (use "
		    "[exporter], [domain NAME] or [endpoint HOST:PORT])");
	config_errors_free(&errs);
	cfg = config_load_mem("e.ini", NULL, 0, &errs);
	CHECK(cfg != NULL);
	CHECK_INT(errs.n, 0);
	config_free(cfg);
}

static void
check_structure_errors(void)
{
	/* Sections. */
	ERROR1("[foo]\n", "t.ini:1: unknown section [foo] (use [exporter], "
	    "[domain NAME] or [endpoint HOST:PORT])");
	ERROR1("\n[domain]\n", "t.ini:2: unknown section [domain] (use "
	    "[exporter], [domain NAME] or [endpoint HOST:PORT])");
	ERROR1("[ endpoint  ]\n", "t.ini:1: unknown section [endpoint] (use "
	    "[exporter], [domain NAME] or [endpoint HOST:PORT])");
	ERROR1("[exporter now]\n", "t.ini:1: unknown section [exporter now] "
	    "(use [exporter], [domain NAME] or [endpoint HOST:PORT])");
	ERROR1("[Exporter]\n", "t.ini:1: unknown section [Exporter] (use "
	    "[exporter], [domain NAME] or [endpoint HOST:PORT])");
	ERROR1("[]\n", "t.ini:1: unknown section [] (use [exporter], "
	    "[domain NAME] or [endpoint HOST:PORT])");
	/* The keys of an unknown section are not checked. */
	ERROR1("[foo]\nbar = 1\nlisten = x\n", "t.ini:1: unknown section "
	    "[foo] (use [exporter], [domain NAME] or [endpoint HOST:PORT])");
	ERROR1("[exporter]\n[exporter]\n", "t.ini:2: duplicate section "
	    "[exporter] (first at line 1)");
	ERROR1("[domain example.org]\n[domain b.example]\n"
	    "[domain Example.Org.]\n", "t.ini:3: duplicate section "
	    "[domain example.org] (first at line 1)");
	ERROR1("[endpoint mx.example.org:25]\n\n[endpoint MX.example.org:25]\n",
	    "t.ini:3: duplicate section [endpoint mx.example.org:25] (first "
	    "at line 1)");
	ERROR1("[endpoint [::1]:25]\n[endpoint [0:0::1]:25]\n",
	    "t.ini:2: duplicate section [endpoint [::1]:25] (first at line 1)");
	ERROR1("[endpoint 127.0.0.1:25]\n[endpoint 127.0.0.1:587]\n"
	    "[domain 127.0.0.1]\n", "t.ini:3: bad domain \"127.0.0.1\": an ip "
	    "address is not a mail domain (use [endpoint])");

	/* Syntax. */
	ERROR1("listen = 127.0.0.1:1\n", "t.ini:1: listen: key before any "
	    "section");
	ERROR1("[exporter]\nlisten\n", "t.ini:2: syntax error: expected "
	    "\"key = value\" or \"[section]\"");
	ERROR1("[exporter]\nlisten: 127.0.0.1:1\n", "t.ini:2: syntax error: "
	    "expected \"key = value\" or \"[section]\"");
	ERROR1("[exporter\n", "t.ini:1: syntax error: missing ']'");
	ERROR1("[exporter] x\n", "t.ini:1: syntax error: text after ']'");
	ERROR1("[exporter]\n = 5\n", "t.ini:2: syntax error: missing key "
	    "before '='");
	ERROR1("[exporter]\nlog level = info\n", "t.ini:2: syntax error: bad "
	    "key \"log level\"");
	ERROR1("[exporter]\nlisten:x = 1\n", "t.ini:2: syntax error: bad key "
	    "\"listen:x\"");
	ERROR1("[exporter]\nfoo ;= bar\n", "t.ini:2: syntax error: bad key "
	    "\"foo ;\"");

	/* Keys. */
	ERROR1("[exporter]\nlisten = 127.0.0.1:1\nfoo = 1\n",
	    "t.ini:3: unknown key \"foo\" in [exporter]");
	ERROR1("[domain example.org]\nprotocol = smtp\n",
	    "t.ini:2: unknown key \"protocol\" in [domain example.org]");
	ERROR1("[endpoint mx.example.org:25]\nsmtp_ports = 25\n",
	    "t.ini:2: unknown key \"smtp_ports\" in [endpoint "
	    "mx.example.org:25]");
	ERROR1("[exporter]\nListen = 127.0.0.1:1\n",
	    "t.ini:2: unknown key \"Listen\" in [exporter]");
	ERROR1("[exporter]\ninterval = 1m\n\ninterval = 2m\n",
	    "t.ini:4: interval: duplicate key (first at line 2)");
	ERROR1("[domain example.org]\ntimeout = 1s\ntimeout = x\n",
	    "t.ini:3: timeout: duplicate key (first at line 2)");
	/* The same key in another section is fine. */
	{
		struct result r;

		load(&r, "[domain a.example]\ninterval = 1m\n"
		    "[domain b.example]\ninterval = 2m\n");
		CHECK(r.cfg != NULL && r.cfg->n_targets == 2 &&
		    r.cfg->targets[1].interval_ms == 120000);
		done(&r);
	}
}

static void
check_value_errors(void)
{
	/* listen */
	ERROR1("[exporter]\nlisten = localhost:9925\n", "t.ini:2: listen: "
	    "not a numeric ip address (e.g. 127.0.0.1:9925, [::1]:9925)");
	ERROR1("[exporter]\nlisten = [127.0.0.1]:9925\n", "t.ini:2: listen: "
	    "not a numeric ip address (e.g. 127.0.0.1:9925, [::1]:9925)");
	ERROR1("[exporter]\nlisten = ::1:9925\n", "t.ini:2: listen: IPv6 "
	    "addresses must be written as [address]:port");
	ERROR1("[exporter]\nlisten = 127.0.0.1\n", "t.ini:2: listen: "
	    "expected host:port");
	ERROR1("[exporter]\nlisten = 127.0.0.1:0\n", "t.ini:2: listen: "
	    "bad port (1-65535)");
	ERROR1("[exporter]\nlisten = :9925\n", "t.ini:2: listen: empty host");
	ERROR1("[exporter]\nlisten =\n", "t.ini:2: listen: expected "
	    "host:port");

	/* durations */
	ERROR1("[exporter]\ninterval = 5 m\n", "t.ini:2: interval: bad "
	    "duration unit (use ms, s, m, h or d)");
	ERROR1("[exporter]\ninterval = 999ms\n", "t.ini:2: interval: must be "
	    "at least 1s");
	ERROR1("[exporter]\ninterval = 8d\n", "t.ini:2: interval: duration "
	    "longer than a week");
	ERROR1("[exporter]\ninterval =\n", "t.ini:2: interval: duration must "
	    "start with a number (e.g. 30s, 5m, 1h)");
	ERROR1("[exporter]\ntimeout = 99ms\n", "t.ini:2: timeout: must be "
	    "between 100ms and 10m");
	ERROR1("[exporter]\ntimeout = 601s\n", "t.ini:2: timeout: must be "
	    "between 100ms and 10m");
	ERROR1("[domain example.org]\ninterval = 0\n", "t.ini:2: interval: "
	    "must be at least 1s");
	ERROR1("[endpoint 1.2.3.4:25]\ntimeout = -1s\n", "t.ini:2: timeout: "
	    "duration must start with a number (e.g. 30s, 5m, 1h)");

	/* concurrency */
	ERROR1("[exporter]\nconcurrency = 0\n", "t.ini:2: concurrency: "
	    "number too small (1-10000)");
	ERROR1("[exporter]\nconcurrency = 10001\n", "t.ini:2: concurrency: "
	    "number too large (1-10000)");
	ERROR1("[exporter]\nconcurrency = ten\n", "t.ini:2: concurrency: "
	    "not a number (1-10000)");

	/* ca_file */
	ERROR1("[exporter]\nca_file = /nonexistent/ca.pem\n", "t.ini:2: "
	    "ca_file: /nonexistent/ca.pem: No such file or directory");
	ERROR1("[exporter]\nca_file = /tmp\n", "t.ini:2: ca_file: /tmp: Is a "
	    "directory");
	ERROR1("[exporter]\nca_file =\n", "t.ini:2: ca_file: empty path");

	/* resolver */
	ERROR1("[exporter]\nresolver = dns.google\n", "t.ini:2: resolver: "
	    "\"dns.google\": not a numeric ip address");
	ERROR1("[exporter]\nresolver = 1.1.1.1,,8.8.8.8\n", "t.ini:2: "
	    "resolver: empty entry in list");
	ERROR1("[exporter]\nresolver =\n", "t.ini:2: resolver: empty entry "
	    "in list");
	ERROR1("[exporter]\nresolver = 1.1.1.1:0\n", "t.ini:2: resolver: "
	    "\"1.1.1.1:0\": bad port (1-65535)");
	ERROR1("[exporter]\nresolver = [1.1.1.1]:53\n", "t.ini:2: resolver: "
	    "\"[1.1.1.1]:53\": only ipv6 addresses go in brackets");
	ERROR1("[exporter]\nresolver = [::1\n", "t.ini:2: resolver: \"[::1\": "
	    "expected [address]:port");
	ERROR1("[exporter]\nresolver = 1.1.1.1, 1.0.0.1, 8.8.8.8, 8.8.4.4, "
	    "9.9.9.9\n", "t.ini:2: resolver: more than 4 servers");
	ERROR1("[exporter]\nresolver = fe80::1%eth0\n", "t.ini:2: resolver: "
	    "\"fe80::1%eth0\": not a numeric ip address");
	ERROR1("[exporter]\nresolver = []\n", "t.ini:2: resolver: "
	    "\"[]\": only ipv6 addresses go in brackets");

	/* log_level, ehlo_name */
	ERROR1("[exporter]\nlog_level = verbose\n", "t.ini:2: log_level: "
	    "unknown level \"verbose\" (use debug, info, warn or error)");
	ERROR1("[exporter]\nehlo_name = my_host.example\n", "t.ini:2: "
	    "ehlo_name: bad character (use letters, digits, '-', '.')");
	ERROR1("[exporter]\nehlo_name = host..example\n", "t.ini:2: "
	    "ehlo_name: empty label");
	ERROR1("[exporter]\nehlo_name = 10.0.0.1\n", "t.ini:2: ehlo_name: "
	    "neither an ip address nor a name");
	ERROR1("[exporter]\nehlo_name =\n", "t.ini:2: ehlo_name: empty name");

	/* domains */
	ERROR1("[domain exa mple.org]\n", "t.ini:1: bad domain \"exa "
	    "mple.org\": bad character (use letters, digits, '-', '_', '.')");
	ERROR1("[domain example..org]\n", "t.ini:1: bad domain "
	    "\"example..org\": empty label");
	ERROR1("[domain .]\n", "t.ini:1: bad domain \".\": empty name");
	ERROR1("[domain "
	    "a123456789012345678901234567890123456789012345678901234567890123"
	    ".org]\n", "t.ini:1: bad domain \"a1234567890123456789012345678901"
	    "23456789012345678901234567890123.org\": label longer than 63 "
	    "characters");
	ERROR1("[domain [::1]]\n", "t.ini:1: bad domain \"[::1]\": bad "
	    "character (use letters, digits, '-', '_', '.')");
	ERROR1("[domain example.org]\nsmtp_ports = 25, 2525\n", "t.ini:2: "
	    "smtp_ports: port 2525 is not 25, 465 or 587");
	ERROR1("[domain example.org]\nsmtp_ports = 25,587,25\n", "t.ini:2: "
	    "smtp_ports: duplicate port 25");
	ERROR1("[domain example.org]\nsmtp_ports = 25,,587\n", "t.ini:2: "
	    "smtp_ports: empty entry in list");
	ERROR1("[domain example.org]\nsmtp_ports =\n", "t.ini:2: "
	    "smtp_ports: empty entry in list");
	ERROR1("[domain example.org]\nsmtp_ports = smtp\n", "t.ini:2: "
	    "smtp_ports: \"smtp\": not a number");
	ERROR1("[domain example.org]\nsmtp_ports = 70000\n", "t.ini:2: "
	    "smtp_ports: \"70000\": number too large");
	/* A section with a bad name still has its keys checked. */
	ERRORS("[domain bad!name]\nfoo = 1\ninterval = 1ms\n",
	    "t.ini:1: bad domain \"bad!name\": bad character (use letters, "
	    "digits, '-', '_', '.')",
	    "t.ini:2: unknown key \"foo\" in [domain bad!name]",
	    "t.ini:3: interval: must be at least 1s");
	ERRORS("[endpoint bad!name:2525]\nprotocol = smtp\ntimeout = 1h\n",
	    "t.ini:1: bad endpoint \"bad!name:2525\": bad character (use "
	    "letters, digits, '-', '_', '.')",
	    "t.ini:3: timeout: must be between 100ms and 10m");

	/* endpoints */
	ERROR1("[endpoint mail.example.org]\n", "t.ini:1: bad endpoint "
	    "\"mail.example.org\": expected host:port");
	ERROR1("[endpoint ::1:25]\n", "t.ini:1: bad endpoint \"::1:25\": IPv6 "
	    "addresses must be written as [address]:port");
	ERROR1("[endpoint [mail.example.org]:25]\n", "t.ini:1: bad endpoint "
	    "\"[mail.example.org]:25\": not an ipv6 address in brackets");
	ERROR1("[endpoint 1.2.3.999:25]\n", "t.ini:1: bad endpoint "
	    "\"1.2.3.999:25\": neither an ip address nor a name");
	ERROR1("[endpoint mail.example.org:65536]\n", "t.ini:1: bad endpoint "
	    "\"mail.example.org:65536\": bad port (1-65535)");
	ERROR1("[endpoint mail.example.org:2525]\n", "t.ini:1: port 2525 has "
	    "no default protocol: set protocol (smtp, submission, smtps, "
	    "imap, imaps, pop3 or pop3s)");
	ERROR1("[endpoint 10.0.0.1:587]\nprotocol = smtps;x\n", "t.ini:2: "
	    "protocol: unknown protocol \"smtps;x\" (use smtp, submission, "
	    "smtps, imap, imaps, pop3 or pop3s)");
	ERROR1("[endpoint mail.example.org:25]\nprotocol = lmtp\n", "t.ini:2: "
	    "protocol: unknown protocol \"lmtp\" (use smtp, submission, "
	    "smtps, imap, imaps, pop3 or pop3s)");
	/* Only the bad value, not the missing protocol, is reported. */
	ERROR1("[endpoint mail.example.org:26]\nprotocol = SMTP\n",
	    "t.ini:2: protocol: unknown protocol \"SMTP\" (use smtp, "
	    "submission, smtps, imap, imaps, pop3 or pop3s)");
}

/* IMAP and POP3 hosts of a domain, their ports, and the endpoint defaults
 * of their ports. */
static void
check_mail_hosts(void)
{
	struct result r;
	struct target_cfg *t;
	struct buf b;

	/* One domain in three lines: SMTP on its MX hosts, IMAP on a named
	 * host, on both IMAP ports by default; no POP3. */
	load(&r, "[domain example.org]\nsmtp_ports = 25, 587\n"
	    "imap_hosts = Mail.Example.ORG.\n");
	CHECK(r.cfg != NULL && r.cfg->n_targets == 1);
	if (r.cfg && r.cfg->n_targets == 1) {
		t = r.cfg->targets;
		CHECK_INT(t->n_smtp_ports, 2);
		CHECK_INT(t->n_imap_hosts, 1);
		CHECK_STR(t->imap_hosts[0], "mail.example.org");
		CHECK_INT(t->n_imap_ports, 2);
		CHECK_INT(t->imap_ports[0], 143);
		CHECK_INT(t->imap_ports[1], 993);
		CHECK_INT(t->n_pop3_hosts, 0);
		CHECK_INT(t->n_pop3_ports, 0);
		CHECK_INT(t->audit, -1);
		CHECK_INT(t->audit_interval_ms, 0);
	}
	done(&r);

	/* Every key; addresses are made canonical, names lowercased. */
	load(&r, "[domain example.org]\n"
	    "imap_hosts = imap.example.org, 192.0.2.1 ,2001:DB8:0::1,"
	    "mail.example.org,a.example,b.example,c.example,d.example\n"
	    "imap_ports = 993\n"
	    "pop3_hosts = POP.example.org\n"
	    "pop3_ports = 995, 110\n"
	    "[domain example.net]\n"
	    "pop3_hosts = mail.example.net\n");
	CHECK(r.cfg != NULL && r.cfg->n_targets == 2);
	for (size_t i = 0; i < r.errs.n; i++)
		fprintf(stderr, "unexpected: %s\n", err(&r, i));
	if (r.cfg && r.cfg->n_targets == 2) {
		t = r.cfg->targets;
		CHECK_INT(t->n_imap_hosts, 8);
		CHECK_STR(t->imap_hosts[0], "imap.example.org");
		CHECK_STR(t->imap_hosts[1], "192.0.2.1");
		CHECK_STR(t->imap_hosts[2], "2001:db8::1");
		CHECK_STR(t->imap_hosts[7], "d.example");
		CHECK_INT(t->n_imap_ports, 1);
		CHECK_INT(t->imap_ports[0], 993);
		CHECK_INT(t->n_pop3_hosts, 1);
		CHECK_STR(t->pop3_hosts[0], "pop.example.org");
		CHECK_INT(t->n_pop3_ports, 2);
		CHECK_INT(t->pop3_ports[0], 995);
		CHECK_INT(t->pop3_ports[1], 110);
		CHECK_INT(t->n_smtp_ports, 1);
		t++;
		CHECK_INT(t->n_imap_hosts, 0);
		CHECK_INT(t->n_imap_ports, 0);
		CHECK_INT(t->n_pop3_hosts, 1);
		CHECK_INT(t->n_pop3_ports, 2);
		CHECK_INT(t->pop3_ports[0], 110);
		CHECK_INT(t->pop3_ports[1], 995);
	}
	done(&r);

	/* Endpoints on the IMAP and POP3 ports speak their protocol. */
	load(&r, "[endpoint a.example:143]\n[endpoint a.example:993]\n"
	    "[endpoint a.example:110]\n[endpoint a.example:995]\n"
	    "[endpoint a.example:1143]\nprotocol = imap\n"
	    "[endpoint a.example:1995]\nprotocol = pop3s\n");
	CHECK(r.cfg != NULL && r.cfg->n_targets == 6);
	if (r.cfg && r.cfg->n_targets == 6) {
		t = r.cfg->targets;
		CHECK_INT(t[0].protocol, PROTO_IMAP);
		CHECK_INT(t[1].protocol, PROTO_IMAPS);
		CHECK_INT(t[2].protocol, PROTO_POP3);
		CHECK_INT(t[3].protocol, PROTO_POP3S);
		CHECK_INT(t[4].protocol, PROTO_IMAP);
		CHECK_INT(t[5].protocol, PROTO_POP3S);
	}
	done(&r);

	/* Ports: each list its own. */
	ERROR1("[domain example.org]\nsmtp_ports = 25, 143\n", "t.ini:2: "
	    "smtp_ports: port 143 is not 25, 465 or 587");
	ERROR1("[domain example.org]\nsmtp_ports = 995\n", "t.ini:2: "
	    "smtp_ports: port 995 is not 25, 465 or 587");
	ERROR1("[domain example.org]\nimap_hosts = a.example\n"
	    "imap_ports = 143, 110\n", "t.ini:3: imap_ports: port 110 is not "
	    "143 or 993");
	ERROR1("[domain example.org]\nimap_hosts = a.example\n"
	    "imap_ports = 25\n", "t.ini:3: imap_ports: port 25 is not 143 or "
	    "993");
	ERROR1("[domain example.org]\npop3_hosts = a.example\n"
	    "pop3_ports = 993\n", "t.ini:3: pop3_ports: port 993 is not 110 "
	    "or 995");
	ERROR1("[domain example.org]\nimap_hosts = a.example\n"
	    "imap_ports = 993, 993\n", "t.ini:3: imap_ports: duplicate port "
	    "993");
	ERROR1("[domain example.org]\npop3_hosts = a.example\n"
	    "pop3_ports = 110,\n", "t.ini:3: pop3_ports: empty entry in list");
	ERROR1("[domain example.org]\npop3_hosts = a.example\n"
	    "pop3_ports = pop3\n", "t.ini:3: pop3_ports: \"pop3\": not a "
	    "number");
	/* Ports without hosts, wherever the keys are. */
	ERROR1("[domain example.org]\nimap_ports = 143\n", "t.ini:2: "
	    "imap_ports without imap_hosts");
	ERROR1("[domain example.org]\npop3_ports = 995\n\n", "t.ini:2: "
	    "pop3_ports without pop3_hosts");
	ERRORS("[domain example.org]\nimap_ports = 993\npop3_ports = 110\n"
	    "[domain example.net]\npop3_ports = 110\npop3_hosts = a.example\n",
	    "t.ini:2: imap_ports without imap_hosts",
	    "t.ini:3: pop3_ports without pop3_hosts");
	/* Both errors of one section: the bad value and the missing hosts. */
	ERRORS("[domain example.org]\nimap_ports = 2\n",
	    "t.ini:2: imap_ports: port 2 is not 143 or 993",
	    "t.ini:2: imap_ports without imap_hosts");
	/* A bad host list is one error, not two. */
	ERROR1("[domain example.org]\nimap_hosts = a..b\nimap_ports = 143\n",
	    "t.ini:2: imap_hosts: \"a..b\": empty label");

	/* Hosts. */
	ERROR1("[domain example.org]\nimap_hosts = mail.example.org, "
	    "MAIL.example.org.\n", "t.ini:2: imap_hosts: duplicate host "
	    "mail.example.org");
	ERROR1("[domain example.org]\npop3_hosts = ::1, 0::1\n", "t.ini:2: "
	    "pop3_hosts: duplicate host ::1");
	ERROR1("[domain example.org]\nimap_hosts = a.example,,b.example\n",
	    "t.ini:2: imap_hosts: empty entry in list");
	ERROR1("[domain example.org]\nimap_hosts =\n", "t.ini:2: imap_hosts: "
	    "empty entry in list");
	ERROR1("[domain example.org]\nimap_hosts = a.example,\n", "t.ini:2: "
	    "imap_hosts: empty entry in list");
	ERROR1("[domain example.org]\nimap_hosts = bad!name\n", "t.ini:2: "
	    "imap_hosts: \"bad!name\": bad character (use letters, digits, "
	    "'-', '_', '.')");
	ERROR1("[domain example.org]\nimap_hosts = a.example b.example\n",
	    "t.ini:2: imap_hosts: \"a.example b.example\": bad character "
	    "(use letters, digits, '-', '_', '.')");
	ERROR1("[domain example.org]\npop3_hosts = 1.2.3.999\n", "t.ini:2: "
	    "pop3_hosts: \"1.2.3.999\": neither an ip address nor a name");
	ERROR1("[domain example.org]\npop3_hosts = 2001:db8::g\n", "t.ini:2: "
	    "pop3_hosts: \"2001:db8::g\": not an ipv6 address");
	ERROR1("[domain example.org]\npop3_hosts = [::1]\n", "t.ini:2: "
	    "pop3_hosts: \"[::1]\": not an ipv6 address");
	ERROR1("[domain example.org]\npop3_hosts = mail.example.org:995\n",
	    "t.ini:2: pop3_hosts: \"mail.example.org:995\": not an ipv6 "
	    "address");
	ERROR1("[domain example.org]\nimap_hosts = a.example\n"
	    "imap_hosts = b.example\n", "t.ini:3: imap_hosts: duplicate key "
	    "(first at line 2)");
	ERROR1("[endpoint mail.example.org:143]\nimap_hosts = a.example\n",
	    "t.ini:2: unknown key \"imap_hosts\" in [endpoint "
	    "mail.example.org:143]");
	/* MAX_HOSTS (8) and one more. */
	buf_init(&b);
	buf_puts(&b, "[domain example.org]\nimap_hosts = ");
	for (int i = 0; i < MAX_HOSTS + 1; i++)
		buf_printf(&b, "%sh%d.example", i ? "," : "", i);
	buf_puts(&b, "\n");
	ERROR1(b.data, "t.ini:2: imap_hosts: more than 8 hosts");
	buf_free(&b);
	/* Hosts of a section with a bad name are checked, then dropped
	 * (the sanitizers and valgrind see them freed). */
	ERRORS("[domain bad!name]\nimap_hosts = a.example, b.example\n"
	    "pop3_hosts = c.example\npop3_ports = 7\n",
	    "t.ini:1: bad domain \"bad!name\": bad character (use letters, "
	    "digits, '-', '_', '.')",
	    "t.ini:4: pop3_ports: port 7 is not 110 or 995");
	/* A good list in a file with an error elsewhere is freed too. */
	ERROR1("[domain example.org]\nimap_hosts = a.example, b.example\n"
	    "[exporter]\nbogus = 1\n", "t.ini:4: unknown key \"bogus\" in "
	    "[exporter]");
}

/* The TLS audit switches and intervals. */
static void
check_audit(void)
{
	static const char *const on[] = { "on", "yes", "true", "1", "ON",
	    "Yes", "TRUE" };
	static const char *const off[] = { "off", "no", "false", "0", "Off",
	    "NO", "False" };
	struct result r;
	char text[128];

	load(&r, "[exporter]\n[endpoint a.example:25]\n");
	CHECK(r.cfg != NULL);
	if (r.cfg) {
		CHECK_INT(r.cfg->audit, 1);
		CHECK_INT(r.cfg->audit_interval_ms, 3600000);
		CHECK_INT(r.cfg->targets[0].audit, -1);
		CHECK_INT(r.cfg->targets[0].audit_interval_ms, 0);
	}
	done(&r);

	load(&r, "[exporter]\naudit = off\naudit_interval = 1m\n"
	    "[domain example.org]\naudit = on\naudit_interval = 1d\n"
	    "[endpoint a.example:993]\naudit = no\naudit_interval = 90m\n"
	    "[endpoint b.example:995]\naudit_interval = 7d\n");
	CHECK(r.cfg != NULL && r.cfg->n_targets == 3);
	if (r.cfg && r.cfg->n_targets == 3) {
		struct target_cfg *t = r.cfg->targets;

		CHECK_INT(r.cfg->audit, 0);
		CHECK_INT(r.cfg->audit_interval_ms, 60000);
		CHECK_INT(t[0].audit, 1);
		CHECK_INT(t[0].audit_interval_ms, 86400000);
		CHECK_INT(t[1].audit, 0);
		CHECK_INT(t[1].audit_interval_ms, 5400000);
		CHECK_INT(t[2].audit, -1);
		CHECK_INT(t[2].audit_interval_ms, 7 * 86400000ULL);
	}
	done(&r);

	for (size_t i = 0; i < ARRAY_LEN(on); i++) {
		snprintf(text, sizeof(text), "[exporter]\naudit = %s\n"
		    "[domain example.org]\naudit = %s\n", off[i], on[i]);
		load(&r, text);
		CHECK(r.cfg != NULL && r.cfg->audit == 0 &&
		    r.cfg->targets[0].audit == 1);
		done(&r);
	}

	ERROR1("[exporter]\naudit = maybe\n", "t.ini:2: audit: \"maybe\" is "
	    "not on or off");
	ERROR1("[exporter]\naudit =\n", "t.ini:2: audit: \"\" is not on or "
	    "off");
	ERROR1("[exporter]\naudit = 2\n", "t.ini:2: audit: \"2\" is not on or "
	    "off");
	ERROR1("[exporter]\naudit = o n\n", "t.ini:2: audit: \"o n\" is not "
	    "on or off");
	ERROR1("[exporter]\naudit_interval = 59s\n", "t.ini:2: "
	    "audit_interval: must be at least 1m");
	ERROR1("[exporter]\naudit_interval = 8d\n", "t.ini:2: "
	    "audit_interval: duration longer than a week");
	ERROR1("[exporter]\naudit_interval =\n", "t.ini:2: audit_interval: "
	    "duration must start with a number (e.g. 30s, 5m, 1h)");
	ERROR1("[domain example.org]\naudit = enabled\n", "t.ini:2: audit: "
	    "\"enabled\" is not on or off");
	ERROR1("[endpoint a.example:25]\naudit_interval = 30s\n", "t.ini:2: "
	    "audit_interval: must be at least 1m");
	ERROR1("[domain example.org]\naudit = on\naudit = off\n", "t.ini:3: "
	    "audit: duplicate key (first at line 2)");
	/* change detection */
	load(&r, "[exporter]\n");
	CHECK(r.cfg != NULL && r.cfg->state_file == NULL);
	CHECK(r.cfg != NULL && r.cfg->weakened_hold_ms == 7 * 86400000ULL);
	done(&r);
	load(&r, "[exporter]\nstate_file = /var/lib/x/state\nweakened_hold = 36h\n");
	CHECK(r.cfg != NULL && strcmp(r.cfg->state_file, "/var/lib/x/state") == 0);
	CHECK(r.cfg != NULL && r.cfg->weakened_hold_ms == 36 * 3600000ULL);
	done(&r);
	ERROR1("[exporter]\nweakened_hold = 59s\n", "t.ini:2: "
	    "weakened_hold: must be at least 1m");
	ERROR1("[exporter]\nweakened_hold = 8d\n", "t.ini:2: "
	    "weakened_hold: duration longer than a week");
	ERROR1("[exporter]\nweakened_hold = -1d\n", "t.ini:2: "
	    "weakened_hold: duration must start with a number (e.g. 30s, 5m, 1h)");
	ERROR1("[exporter]\nweakened_hold = 1 d\n", "t.ini:2: "
	    "weakened_hold: bad duration unit (use ms, s, m, h or d)");
	ERROR1("[exporter]\nweakened_hold = 1w\n", "t.ini:2: "
	    "weakened_hold: bad duration unit (use ms, s, m, h or d)");
	ERROR1("[exporter]\nweakened_hold = 99999999999999999999999d\n", "t.ini:2: "
	    "weakened_hold: number too large");
	ERROR1("[exporter]\nweakened_hold =\n", "t.ini:2: weakened_hold: "
	    "duration must start with a number (e.g. 30s, 5m, 1h)");
	ERROR1("[domain example.org]\nweakened_hold = 1d\n", "t.ini:2: unknown "
	    "key \"weakened_hold\" in [domain example.org]");
	ERROR1("[exporter]\nstate_file =\n", "t.ini:2: state_file: must be a path");
	ERROR1("[exporter]\nstate_file = a\x01b\n", "t.ini:2: state_file: "
	    "control character in the path");
}

/* A file with many bad lines: every error, in line order. */
static void
check_all_errors(void)
{
	static const char *const want[] = {
		"t.ini:1: listen: key before any section",
		"t.ini:3: interval: bad duration unit (use ms, s, m, h or d)",
		"t.ini:4: unknown key \"bogus\" in [exporter]",
		"t.ini:5: syntax error: expected \"key = value\" or "
		    "\"[section]\"",
		"t.ini:6: interval: duplicate key (first at line 3)",
		"t.ini:7: port 2525 has no default protocol: set protocol "
		    "(smtp, submission, smtps, imap, imaps, pop3 or pop3s)",
		"t.ini:8: timeout: must be between 100ms and 10m",
		"t.ini:9: unknown key \"smtp_ports\" in "
		    "[endpoint mx.example:2525]",
		"t.ini:10: unknown section [bogus] (use [exporter], "
		    "[domain NAME] or [endpoint HOST:PORT])",
		"t.ini:12: bad domain \"a..b\": empty label",
		"t.ini:13: timeout: must be between 100ms and 10m",
		"t.ini:14: duplicate section [exporter] (first at line 2)",
		"t.ini:15: duplicate section [endpoint mx.example:2525] "
		    "(first at line 7)",
		"t.ini:16: unknown key \"log_level\" in "
		    "[endpoint MX.example.:2525]",
	};
	struct result r;

	load(&r,
	    "listen = 127.0.0.1:1\n"		/* 1 */
	    "[exporter]\n"
	    "interval = 5x\n"
	    "bogus = 1\n"
	    "what is this\n"			/* 5 */
	    "interval = 1m\n"
	    "[endpoint mx.example:2525]\n"
	    "timeout = 1h\n"
	    "smtp_ports = 26\n"
	    "[bogus]\n"				/* 10 */
	    "ignored = 1\n"
	    "[domain a..b]\n"
	    "timeout = 1ms\n"
	    "[exporter]\n"
	    "[endpoint MX.example.:2525]\n"	/* 15 */
	    "log_level = loud\n"
	    "protocol = smtp\n");
	CHECK(r.cfg == NULL);
	CHECK_INT(r.errs.n, ARRAY_LEN(want));
	for (size_t i = 0; i < ARRAY_LEN(want); i++)
		CHECK_STR(err(&r, i), want[i]);
	done(&r);
}

static void
check_hostile(void)
{
	static const char nul_text[] = "[exporter]\nlisten = 127.0.0.1:9\0\n"
	    "log_level = x\n\0\n";
	char *text;
	struct buf b;
	struct result r;

	/* A 10 KB line, between good lines: one error, the lines around it
	 * still parsed (a bad one after it is reported too). */
	buf_init(&b);
	buf_puts(&b, "[exporter]\nehlo_name = ");
	for (int i = 0; i < 10240; i++)
		buf_putc(&b, 'a');
	buf_puts(&b, "\nconcurrency = 0\n");
	load(&r, b.data);
	CHECK(r.cfg == NULL);
	CHECK_INT(r.errs.n, 2);
	CHECK_STR(err(&r, 0), "t.ini:2: line too long (max 197 bytes)");
	CHECK_STR(err(&r, 1), "t.ini:3: concurrency: number too small "
	    "(1-10000)");
	done(&r);
	/* The longest line accepted: 197 bytes, also with CRLF. */
	buf_reset(&b);
	buf_puts(&b, "[exporter]\n;");
	for (int i = 0; i < 196; i++)
		buf_putc(&b, 'c');
	buf_puts(&b, "\r\n;");
	for (int i = 0; i < 197; i++)
		buf_putc(&b, 'c');
	buf_puts(&b, "\n");
	load(&r, b.data);
	CHECK(r.cfg == NULL);
	CHECK_INT(r.errs.n, 1);
	CHECK_STR(err(&r, 0), "t.ini:3: line too long (max 197 bytes)");
	done(&r);
	buf_free(&b);

	/* NUL bytes. */
	load_bytes(&r, nul_text, sizeof(nul_text) - 1);
	CHECK(r.cfg == NULL);
	CHECK_INT(r.errs.n, 3);
	CHECK_STR(err(&r, 0), "t.ini:2: nul byte in line");
	CHECK_STR(err(&r, 1), "t.ini:3: log_level: unknown level \"x\" (use "
	    "debug, info, warn or error)");
	CHECK_STR(err(&r, 2), "t.ini:4: nul byte in line");
	done(&r);
	load_bytes(&r, "\0", 1);
	CHECK(r.cfg == NULL);
	CHECK_STR(err(&r, 0), "t.ini:1: nul byte in line");
	done(&r);

	ERROR1("[", "t.ini:1: syntax error: missing ']'");
	ERROR1("=", "t.ini:1: syntax error: missing key before '='");
	ERRORS("=\n=\n", "t.ini:1: syntax error: missing key before '='",
	    "t.ini:2: syntax error: missing key before '='");
	ERROR1("]\n", "t.ini:1: syntax error: expected \"key = value\" or "
	    "\"[section]\"");
	ERROR1("[exporter]\n\xff\xfe = \x80\n", "t.ini:2: syntax error: bad "
	    "key \"\\xff\\xfe\"");
	ERROR1("[\xc3\x28 \xff]\n", "t.ini:1: unknown section [\\xc3( \\xff] (use "
	    "[exporter], [domain NAME] or [endpoint HOST:PORT])");
	ERROR1("[domain \xe9xample.org]\n", "t.ini:1: bad domain "
	    "\"\\xe9xample.org\": bad character (use letters, digits, '-', '_', "
	    "'.')");
	ERROR1("[exporter]\nehlo_name = h\xc3\xa9.example\n", "t.ini:2: "
	    "ehlo_name: bad character (use letters, digits, '-', '.')");
	ERROR1("[exporter]\nlog_level = \x1b[31mred\n", "t.ini:2: log_level: "
	    "unknown level \"\\x1b[31mred\" (use debug, info, warn or error)");

	/* 1000 sections, all loaded; then with one duplicated at the end. */
	buf_init(&b);
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "[domain d%d.example]\ninterval = %ds\n", i,
		    i + 1);
	load(&r, b.data);
	CHECK(r.cfg != NULL);
	CHECK_INT(r.errs.n, 0);
	if (r.cfg) {
		CHECK_INT(r.cfg->n_targets, 1000);
		CHECK_STR(r.cfg->targets[999].name, "d999.example");
		CHECK_INT(r.cfg->targets[999].interval_ms, 1000000);
		CHECK_INT(r.cfg->targets[999].line, 1999);
	}
	done(&r);
	buf_puts(&b, "[domain d500.example]\n");
	load(&r, b.data);
	CHECK(r.cfg == NULL);
	CHECK_INT(r.errs.n, 1);
	CHECK_STR(err(&r, 0), "t.ini:2001: duplicate section "
	    "[domain d500.example] (first at line 1001)");
	done(&r);
	buf_free(&b);

	/* 1000 bad sections: 1000 errors. */
	text = xmalloc(1000 * 7);
	for (int i = 0; i < 1000; i++)
		memcpy(text + i * 7, "[x]\n[y\n", 7);
	load_bytes(&r, text, 1000 * 7);
	CHECK(r.cfg == NULL);
	CHECK_INT(r.errs.n, 2000);
	CHECK_STR(err(&r, 1999), "t.ini:2000: syntax error: missing ']'");
	done(&r);
	free(text);

	/* Continuation lines are not a thing: indented lines are lines. */
	ERROR1("[exporter]\nresolver = 1.1.1.1\n  8.8.8.8\n", "t.ini:3: "
	    "syntax error: expected \"key = value\" or \"[section]\"");
}

/* The mail authentication record keys of a domain. */
static void
check_records(void)
{
	struct result r;

	load(&r, "[domain a.example]\n"
	    "dkim_selectors = Mail, 20230601, s1.Sub_x\n"
	    "spf_expect_pass = 192.0.2.10, 2001:DB8:0::25\n"
	    "records = off\n"
	    "[domain b.example]\n");
	CHECK(r.cfg != NULL);
	if (r.cfg) {
		const struct target_cfg *t = &r.cfg->targets[0];

		CHECK_INT(t->n_dkim_selectors, 3);
		CHECK_STR(t->dkim_selectors[0], "mail");
		CHECK_STR(t->dkim_selectors[1], "20230601");
		CHECK_STR(t->dkim_selectors[2], "s1.sub_x");
		CHECK_INT(t->n_spf_expect_pass, 2);
		CHECK_STR(t->spf_expect_pass[1], "2001:db8::25");
		CHECK_INT(t->records, 0);
		CHECK_INT(r.cfg->targets[1].records, 1);
		CHECK_INT(r.cfg->targets[1].n_dkim_selectors, 0);
		/* the lists are exactly their entries: none is no array */
		CHECK(r.cfg->targets[1].dkim_selectors == NULL);
		CHECK(r.cfg->targets[1].spf_expect_pass == NULL);
		CHECK(r.cfg->targets[1].imap_hosts == NULL);
	}
	done(&r);
	/* each target's list is its own array, of its length (ASan and
	 * valgrind runs read past none and leak none) */
	load(&r, "[domain a.example]\n"
	    "imap_hosts = a.example, b.example, c.example\n"
	    "[domain b.example]\nimap_hosts = d.example\n");
	CHECK(r.cfg != NULL);
	if (r.cfg) {
		CHECK_INT(r.cfg->n_targets, 2);
		CHECK_INT(r.cfg->targets[0].n_imap_hosts, 3);
		CHECK_STR(r.cfg->targets[0].imap_hosts[2], "c.example");
		CHECK_INT(r.cfg->targets[1].n_imap_hosts, 1);
		CHECK_STR(r.cfg->targets[1].imap_hosts[0], "d.example");
	}
	done(&r);
	ERRORS("[domain a.example]\ndkim_selectors = a b\n"
	    "spf_expect_pass = 1.2.3\nrecords = maybe\n"
	    "dkim_selectors = x..y\n",
	    "t.ini:2: dkim_selectors: \"a b\": bad character (use letters, "
	    "digits, '-', '_', '.')",
	    "t.ini:3: spf_expect_pass: \"1.2.3\": not an ip address",
	    "t.ini:4: records: \"maybe\" is not on or off",
	    "t.ini:5: dkim_selectors: duplicate key (first at line 2)");
	ERROR1("[domain a.example]\ndkim_selectors = a, A\n",
	    "t.ini:2: dkim_selectors: duplicate selector a");
	ERROR1("[domain a.example]\ndkim_selectors = ,\n",
	    "t.ini:2: dkim_selectors: empty entry in list");
	ERROR1("[endpoint h.example:25]\ndkim_selectors = a\n",
	    "t.ini:2: unknown key \"dkim_selectors\" in [endpoint h.example:25]");
}

/* --- the web listener: [module], probe_*, basic_auth_users, tls_* ------ */

#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* A self-signed certificate and its key (and a second, unrelated key)
 * written to temp files for tls_cert_file / tls_key_file. */
struct tls_files {
	char cert[40], key[40], other[40];
};

static EVP_PKEY *
new_key(void)
{
	return EVP_EC_gen("P-256");
}

static void
write_pem(char *path, size_t len, int (*writer)(BIO *, void *), void *obj)
{
	BIO *bio;
	int fd;

	snprintf(path, len, "/tmp/test_tls.XXXXXX");
	fd = mkstemp(path);
	if (fd == -1) {
		perror("mkstemp");
		exit(2);
	}
	close(fd);
	bio = BIO_new_file(path, "w");
	if (bio == NULL || !writer(bio, obj)) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(2);
	}
	BIO_free(bio);
}

static int
write_cert(BIO *b, void *x)
{
	return PEM_write_bio_X509(b, x);
}

static int
write_key(BIO *b, void *k)
{
	return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

static void
tls_files_make(struct tls_files *f)
{
	EVP_PKEY *key = new_key(), *other = new_key();
	X509 *x = X509_new();
	X509_NAME *n;

	if (key == NULL || other == NULL || x == NULL) {
		fprintf(stderr, "cannot make a key\n");
		exit(2);
	}
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"test", -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_sign(x, key, EVP_sha256());
	write_pem(f->cert, sizeof(f->cert), write_cert, x);
	write_pem(f->key, sizeof(f->key), write_key, key);
	write_pem(f->other, sizeof(f->other), write_key, other);
	X509_free(x);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

static void
tls_files_remove(struct tls_files *f)
{
	unlink(f->cert);
	unlink(f->key);
	unlink(f->other);
}

#define HASH "$2b$04$abcdefghijklmnopqrstuu5Ys2ZvPh2PbfRQ5bx0jmIbkmGWtR9da"

/* ip_protocol: per domain, endpoint and module; a word, strictly. */
static void
check_ip_protocol(void)
{
	struct result r;

	load(&r, "[domain example.org]\nip_protocol = ip4\n"
	    "[endpoint mx.example.org:25]\nip_protocol = ip6\n"
	    "[domain b.example]\n"
	    "[module m]\nkind = domain\nip_protocol = both\n");
	CHECK(r.cfg != NULL);
	if (r.cfg && r.cfg->n_targets == 3) {
		CHECK_INT(r.cfg->targets[0].ip_protocol, IP_PROTOCOL_IP4);
		CHECK_INT(r.cfg->targets[1].ip_protocol, IP_PROTOCOL_IP6);
		CHECK_INT(r.cfg->targets[2].ip_protocol, IP_PROTOCOL_BOTH);
		CHECK(config_module(r.cfg, "m") != NULL &&
		    config_module(r.cfg, "m")->t.ip_protocol == IP_PROTOCOL_BOTH);
	}
	done(&r);
	ERROR1("[domain example.org]\nip_protocol = IP4\n",
	    "t.ini:2: ip_protocol: \"IP4\": ip4, ip6 or both");
	ERROR1("[domain example.org]\nip_protocol = ipv4\n",
	    "t.ini:2: ip_protocol: \"ipv4\": ip4, ip6 or both");
	ERROR1("[domain example.org]\nip_protocol =\n",
	    "t.ini:2: ip_protocol: \"\": ip4, ip6 or both");
	/* caa_issuers */
	load(&r, "[exporter]\ncaa_issuers = LetsEncrypt.org=Let's Encrypt, "
	    "sectigo.com = Sectigo Limited\n");
	CHECK(r.cfg != NULL);
	if (r.cfg != NULL) {
		CHECK_INT(r.cfg->n_caa_issuers, 2);
		CHECK_STR(config_caa_issuer_domain(r.cfg,
		    "C=US, O=Let's Encrypt, CN=R11"), "letsencrypt.org");
		CHECK_STR(config_caa_issuer_domain(r.cfg,
		    "C=GB, O=Sectigo Limited, CN=x"), "sectigo.com");
		CHECK(config_caa_issuer_domain(r.cfg, "CN=other") == NULL);
		CHECK(config_caa_issuer_domain(r.cfg, "O=let's encrypt") == NULL);
	}
	done(&r);
	ERROR1("[exporter]\ncaa_issuers = letsencrypt.org\n",
	    "t.ini:2: caa_issuers: \"letsencrypt.org\": want CA-DOMAIN=ISSUER-TEXT");
	ERROR1("[exporter]\ncaa_issuers = =x\n",
	    "t.ini:2: caa_issuers: \"=x\": want CA-DOMAIN=ISSUER-TEXT");
	ERROR1("[exporter]\ncaa_issuers = a.example=\n",
	    "t.ini:2: caa_issuers: \"a.example=\": want CA-DOMAIN=ISSUER-TEXT");
	ERROR1("[exporter]\ncaa_issuers = localca=x\n",
	    "t.ini:2: caa_issuers: localca: not a CA domain name");
	ERROR1("[exporter]\ncaa_issuers = bad_ca.example=x\n",
	    "t.ini:2: caa_issuers: bad_ca.example: not a CA domain name");
	ERROR1("[exporter]\ncaa_issuers = a.example=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "t.ini:2: caa_issuers: a.example: the issuer text must be 1-64 printable characters");
	ERROR1("[exporter]\ncaa_issuers = a.example=x\x01y\n",
	    "t.ini:2: caa_issuers: a.example: the issuer text must be 1-64 printable characters");
	CHECK_INT(ip_protocol_allows(IP_PROTOCOL_IP4, AF_INET), 1);
	CHECK_INT(ip_protocol_allows(IP_PROTOCOL_IP4, AF_INET6), 0);
	CHECK_INT(ip_protocol_allows(IP_PROTOCOL_IP6, AF_INET), 0);
	CHECK_INT(ip_protocol_allows(IP_PROTOCOL_BOTH, AF_INET6), 1);
}

static void
check_web_keys(void)
{
	struct tls_files f;
	struct result r;
	char text[1024], want[512];

	/* Defaults: /probe off, no users, no TLS. */
	load(&r, "[exporter]\n");
	CHECK(r.cfg != NULL);
	if (r.cfg) {
		CHECK_INT(r.cfg->n_probe_allow, 0);
		CHECK_INT(r.cfg->probe_timeout_offset_ms, 500);
		CHECK_INT(r.cfg->probe_max_concurrent, 64);
		CHECK_INT(r.cfg->n_auth_users, 0);
		CHECK_INT(r.cfg->n_modules, 0);
		CHECK(r.cfg->tls_cert_pem == NULL && r.cfg->tls_key_pem == NULL);
	}
	done(&r);

	/* probe_allow: names, suffixes, CIDRs, canonical; repeated lines add. */
	load(&r, "[exporter]\nprobe_allow = *.Example.ORG, mail.example.net., "
	    "192.0.2.0/24, 2001:DB8::/32\nprobe_allow = 198.51.100.7, "
	    "::ffff:10.1.0.0/112\nprobe_allow =\n"
	    "probe_timeout_offset = 0\nprobe_max_concurrent = 3\n");
	CHECK(r.cfg != NULL);
	if (r.cfg && r.cfg->n_probe_allow == 6) {
		const struct allow_entry *e = r.cfg->probe_allow;

		CHECK_INT(e[0].kind, ALLOW_SUFFIX);
		CHECK_STR(e[0].name, ".example.org");
		CHECK_INT(e[1].kind, ALLOW_NAME);
		CHECK_STR(e[1].name, "mail.example.net");
		CHECK_INT(e[2].kind, ALLOW_CIDR);
		CHECK_INT(e[2].cidr.net.family, AF_INET);
		CHECK_INT(e[2].cidr.prefix, 24);
		CHECK_INT(e[3].cidr.net.family, AF_INET6);
		CHECK_INT(e[3].cidr.prefix, 32);
		CHECK_INT(e[4].cidr.prefix, 32);
		CHECK_INT(e[5].cidr.net.family, AF_INET);	/* v4-mapped */
		CHECK_INT(e[5].cidr.prefix, 16);
		CHECK_INT(e[5].cidr.net.a[0], 10);
		CHECK_INT(e[5].cidr.net.a[1], 1);
		CHECK_INT(r.cfg->probe_timeout_offset_ms, 0);
		CHECK_INT(r.cfg->probe_max_concurrent, 3);
	} else
		CHECK_INT(r.cfg ? r.cfg->n_probe_allow : 0, 6);
	done(&r);

	/* probe_allow_ports: the mail ports by default, else the list; the
	 * CIDR entries of probe_allow are kept apart for the connect check */
	load(&r, "[exporter]\nprobe_allow = *.example.org, 127.0.0.0/8\n");
	CHECK(r.cfg != NULL);
	if (r.cfg) {
		static const uint16_t mail[] = { 25, 465, 587, 110, 143, 993,
		    995 };

		CHECK_INT(r.cfg->n_probe_allow_ports, ARRAY_LEN(mail));
		CHECK(memcmp(r.cfg->probe_allow_ports, mail, sizeof(mail)) == 0);
		CHECK_INT(r.cfg->n_probe_allow_cidrs, 1);
		CHECK_INT(r.cfg->probe_allow_cidrs[0].prefix, 8);
	}
	done(&r);
	load(&r, "[exporter]\nprobe_allow_ports = 2525, 25\n");
	CHECK(r.cfg != NULL && r.cfg->n_probe_allow_ports == 2 &&
	    r.cfg->probe_allow_ports[0] == 2525 &&
	    r.cfg->probe_allow_ports[1] == 25);
	done(&r);
	ERROR1("[exporter]\nprobe_allow_ports = 25, 25\n", "t.ini:2: "
	    "probe_allow_ports: duplicate port 25");
	ERROR1("[exporter]\nprobe_allow_ports = 0\n", "t.ini:2: "
	    "probe_allow_ports: \"0\": bad port (1-65535)");
	ERROR1("[exporter]\nprobe_allow_ports = 25,,587\n", "t.ini:2: "
	    "probe_allow_ports: empty entry in list");
	ERROR1("[exporter]\nprobe_allow_ports = smtp\n", "t.ini:2: "
	    "probe_allow_ports: \"smtp\": bad port (1-65535)");
	ERROR1("[exporter]\nprobe_allow_ports =\n", "t.ini:2: "
	    "probe_allow_ports: empty entry in list");

	ERROR1("[exporter]\nprobe_allow = 192.0.2.1/24\n", "t.ini:2: "
	    "probe_allow: \"192.0.2.1/24\": bits set past the prefix length "
	    "(write the network address)");
	ERROR1("[exporter]\nprobe_allow = 10.0.0.0/33\n", "t.ini:2: "
	    "probe_allow: \"10.0.0.0/33\": bad prefix length (0-32)");
	ERROR1("[exporter]\nprobe_allow = 2001:db8::/129\n", "t.ini:2: "
	    "probe_allow: \"2001:db8::/129\": bad prefix length (0-128)");
	ERROR1("[exporter]\nprobe_allow = 2001:db8::g/64\n", "t.ini:2: "
	    "probe_allow: \"2001:db8::g/64\": not an ipv6 address");
	ERROR1("[exporter]\nprobe_allow = 10.0.0/8\n", "t.ini:2: "
	    "probe_allow: \"10.0.0/8\": not an ip address");
	ERROR1("[exporter]\nprobe_allow = *\n", "t.ini:2: probe_allow: "
	    "\"*\": a wildcard is only \"*.\" in front of a domain");
	ERROR1("[exporter]\nprobe_allow = a.*.example.org\n", "t.ini:2: "
	    "probe_allow: \"a.*.example.org\": a wildcard is only \"*.\" in "
	    "front of a domain");
	ERROR1("[exporter]\nprobe_allow = *.\n", "t.ini:2: probe_allow: "
	    "\"*.\": empty name");
	ERROR1("[exporter]\nprobe_allow = a..b\n", "t.ini:2: probe_allow: "
	    "\"a..b\": empty label");
	ERROR1("[exporter]\nprobe_allow = mail_x.example\n", "t.ini:2: "
	    "probe_allow: \"mail_x.example\": bad character (use letters, "
	    "digits, '-', '.')");
	ERROR1("[exporter]\nprobe_allow = a.example, , b.example\n", "t.ini:2: "
	    "probe_allow: empty entry in list");
	ERROR1("[exporter]\nprobe_timeout_offset = 2m\n", "t.ini:2: "
	    "probe_timeout_offset: must be between 0 and 1m");
	ERROR1("[exporter]\nprobe_max_concurrent = 0\n", "t.ini:2: "
	    "probe_max_concurrent: number too small (1-10000)");
	ERROR1("[exporter]\nprobe_timeout_offset = 1s\nprobe_timeout_offset = "
	    "2s\n", "t.ini:3: probe_timeout_offset: duplicate key (first at "
	    "line 2)");

	/* basic_auth_users */
	load(&r, "[exporter]\nbasic_auth_users = prometheus:" HASH "\n"
	    "basic_auth_users = a.b@c:" HASH "\n");
	CHECK(r.cfg != NULL);
	if (r.cfg && r.cfg->n_auth_users == 2) {
		CHECK_STR(r.cfg->auth_users[0].name, "prometheus");
		CHECK_STR(r.cfg->auth_users[0].hash, HASH);
		CHECK_STR(r.cfg->auth_users[1].name, "a.b@c");
	} else
		CHECK(0);
	done(&r);
	ERROR1("[exporter]\nbasic_auth_users = prometheus\n", "t.ini:2: "
	    "basic_auth_users: \"prometheus\": expected NAME:BCRYPT_HASH");
	ERROR1("[exporter]\nbasic_auth_users = :" HASH "\n", "t.ini:2: "
	    "basic_auth_users: \":" HASH "\": expected NAME:BCRYPT_HASH");
	ERROR1("[exporter]\nbasic_auth_users = u:$1$abc$defg\n", "t.ini:2: "
	    "basic_auth_users: user u: not a bcrypt hash (\"$2b$12$\" and 53 "
	    "more characters: make one with mailsec_exporter "
	    "--hash-password)");
	ERROR1("[exporter]\nbasic_auth_users = u:$2b$03$abcdefghijklmnopqrstuu"
	    "5Ys2ZvPh2PbfRQ5bx0jmIbkmGWtR9da\n", "t.ini:2: basic_auth_users: "
	    "user u: not a bcrypt hash (\"$2b$12$\" and 53 more characters: "
	    "make one with mailsec_exporter --hash-password)");
	ERROR1("[exporter]\nbasic_auth_users = u v:" HASH "\n", "t.ini:2: "
	    "basic_auth_users: user \"u v\": use 1 to 64 letters, digits, '.', "
	    "'_', '@', '+', '-'");
	ERROR1("[exporter]\nbasic_auth_users = u:" HASH "\nbasic_auth_users = "
	    "u:" HASH "\n", "t.ini:3: basic_auth_users: duplicate user u");

	/* [module NAME] */
	load(&r, "[exporter]\n[module smtp]\nkind = endpoint\nprotocol = smtp\n"
	    "[module mx.v2]\nkind = domain\nsmtp_ports = 25, 587\n"
	    "dkim_selectors = s1\nrecords = off\ntimeout = 4s\naudit = on\n");
	CHECK(r.cfg != NULL);
	if (r.cfg && r.cfg->n_modules == 2) {
		const struct module_cfg *m = config_module(r.cfg, "smtp");

		CHECK(m != NULL && m->t.kind == TARGET_ENDPOINT &&
		    m->t.protocol == PROTO_SMTP && m->t.audit == 0 &&
		    m->t.timeout_ms == 0 && m->line == 2 && m->t.name == NULL);
		m = config_module(r.cfg, "mx.v2");
		CHECK(m != NULL && m->t.kind == TARGET_DOMAIN &&
		    m->t.n_smtp_ports == 2 && m->t.smtp_ports[1] == 587 &&
		    m->t.n_dkim_selectors == 1 && m->t.records == 0 &&
		    m->t.timeout_ms == 4000 && m->t.audit == 1);
		CHECK(config_module(r.cfg, "nope") == NULL);
		CHECK_INT(r.cfg->n_targets, 0);
	} else
		CHECK(0);
	done(&r);
	load(&r, "[module d]\nkind = domain\n");
	CHECK(r.cfg && r.cfg->n_modules == 1 &&
	    r.cfg->modules[0].t.n_smtp_ports == 1 &&
	    r.cfg->modules[0].t.smtp_ports[0] == 25 &&
	    r.cfg->modules[0].t.records == 1);
	done(&r);
	ERROR1("[module m]\nprotocol = smtp\n", "t.ini:1: [module m]: kind is "
	    "required (domain or endpoint)");
	ERROR1("[module m]\nkind = host\n", "t.ini:2: kind: \"host\" is not "
	    "domain or endpoint");
	ERROR1("[module m]\nkind = endpoint\n", "t.ini:1: [module m]: kind = "
	    "endpoint needs protocol (smtp, submission, smtps, imap, imaps, "
	    "pop3 or pop3s)");
	ERRORS("[module m]\nkind = endpoint\nprotocol = imaps\nsmtp_ports = 25\n"
	    "records = on\n", "t.ini:4: smtp_ports: only for kind = domain",
	    "t.ini:5: records: only for kind = domain");
	ERROR1("[module m]\nprotocol = smtp\nkind = domain\n", "t.ini:2: "
	    "protocol: only for kind = endpoint");
	ERROR1("[module m]\nkind = domain\nimap_hosts = a.example\n", "t.ini:3: "
	    "unknown key \"imap_hosts\" in [module m]");
	ERROR1("[module m/x]\nkind = domain\n", "t.ini:1: bad module name "
	    "\"m/x\": bad character (use letters, digits, '-', '_', '.')");
	ERRORS("[module m]\nkind = domain\n[module m]\nkind = bad\n",
	    "t.ini:3: duplicate section [module m] (first at line 1)",
	    "t.ini:4: kind: \"bad\" is not domain or endpoint");
	ERROR1("[module m]\nkind = domain\ndkim_selectors = a b\n", "t.ini:3: "
	    "dkim_selectors: \"a b\": bad character (use letters, digits, "
	    "'-', '_', '.')");
	ERROR1("[module]\n", "t.ini:1: unknown section [module] (use "
	    "[exporter], [domain NAME] or [endpoint HOST:PORT])");

	/* tls_cert_file, tls_key_file */
	tls_files_make(&f);
	snprintf(text, sizeof(text), "[exporter]\ntls_cert_file = %s\n"
	    "tls_key_file = %s\n", f.cert, f.key);
	load(&r, text);
	CHECK(r.cfg != NULL);
	if (r.cfg) {
		CHECK(r.cfg->tls_cert_pem != NULL &&
		    strstr(r.cfg->tls_cert_pem, "BEGIN CERTIFICATE") != NULL);
		CHECK(r.cfg->tls_key_pem != NULL &&
		    strstr(r.cfg->tls_key_pem, "PRIVATE KEY") != NULL);
		CHECK_STR(r.cfg->tls_cert_file, f.cert);
	}
	done(&r);
	snprintf(text, sizeof(text), "[exporter]\ntls_cert_file = %s\n", f.cert);
	ERROR1(text, "t.ini:2: tls_cert_file: needs tls_key_file too");
	snprintf(text, sizeof(text), "[exporter]\ntls_key_file = %s\n", f.key);
	ERROR1(text, "t.ini:2: tls_key_file: needs tls_cert_file too");
	snprintf(text, sizeof(text), "[exporter]\ntls_cert_file = %s\n"
	    "tls_key_file = %s\n", f.cert, f.other);
	snprintf(want, sizeof(want), "t.ini:3: tls_key_file: %s: the key does "
	    "not match the certificate of tls_cert_file", f.other);
	ERROR1(text, want);
	snprintf(text, sizeof(text), "[exporter]\ntls_cert_file = %s\n"
	    "tls_key_file = %s\n", f.key, f.cert);
	snprintf(want, 256, "t.ini:2: tls_cert_file: %s: no PEM "
	    "certificate in it", f.key);
	snprintf(want + 256, 256, "t.ini:3: tls_key_file: %s: no PEM private "
	    "key in it (a key with a passphrase is not supported)", f.cert);
	ERRORS(text, want, want + 256);
	ERRORS("[exporter]\ntls_cert_file = /nonexistent/c.pem\n"
	    "tls_key_file = /nonexistent/k.pem\n", "t.ini:2: tls_cert_file: "
	    "/nonexistent/c.pem: No such file or directory", "t.ini:3: "
	    "tls_key_file: /nonexistent/k.pem: No such file or directory");
	ERRORS("[exporter]\ntls_cert_file = /tmp\ntls_key_file = /tmp\n",
	    "t.ini:2: tls_cert_file: /tmp: Is a directory",
	    "t.ini:3: tls_key_file: /tmp: Is a directory");
	ERRORS("[exporter]\ntls_cert_file = /dev/null\ntls_key_file = "
	    "/dev/null\n", "t.ini:2: tls_cert_file: /dev/null: not a PEM file",
	    "t.ini:3: tls_key_file: /dev/null: not a PEM file");
	tls_files_remove(&f);
}

/* The DNS cache and budget keys: defaults, values, hostile values. */
static void
check_dns_keys(void)
{
	struct result r;

	load(&r, "[exporter]\n");
	CHECK(r.cfg != NULL);
	if (r.cfg) {
		CHECK_INT(r.cfg->dns_cache_max_ttl_ms, 3600000);
		CHECK_INT(r.cfg->dns_cache_negative_max_ttl_ms, 900000);
		CHECK_INT(r.cfg->dns_cache_max_entries, 100000);
		CHECK_INT(r.cfg->dns_cache_max_bytes, 33554432);
		CHECK_INT(r.cfg->dns_budget_per_domain, 640);
		CHECK_INT(r.cfg->mta_sts_max_in_flight, 32);
	}
	done(&r);
	load(&r, "[exporter]\ndns_cache_max_ttl = 0\n"
	    "dns_cache_negative_max_ttl = 1d\ndns_cache_max_entries = 0\n"
	    "dns_cache_max_bytes = 1073741824\ndns_budget_per_domain = 1\n"
	    "mta_sts_max_in_flight = 4096\n");
	CHECK(r.cfg != NULL);
	if (r.cfg) {
		CHECK_INT(r.cfg->dns_cache_max_ttl_ms, 0);
		CHECK_INT(r.cfg->dns_cache_negative_max_ttl_ms, 86400000);
		CHECK_INT(r.cfg->dns_cache_max_entries, 0);
		CHECK_INT(r.cfg->dns_cache_max_bytes, 1073741824);
		CHECK_INT(r.cfg->dns_budget_per_domain, 1);
		CHECK_INT(r.cfg->mta_sts_max_in_flight, 4096);
	}
	done(&r);
	ERROR1("[exporter]\ndns_cache_max_ttl = 1500ms\n",
	    "t.ini:2: dns_cache_max_ttl: must be whole seconds");
	ERROR1("[exporter]\ndns_cache_max_ttl = 2d\n",
	    "t.ini:2: dns_cache_max_ttl: must be between 0 (off) and 1d");
	ERROR1("[exporter]\ndns_cache_negative_max_ttl = -1s\n",
	    "t.ini:2: dns_cache_negative_max_ttl: duration must start with a "
	    "number (e.g. 30s, 5m, 1h)");
	ERROR1("[exporter]\ndns_cache_max_entries = 10000001\n",
	    "t.ini:2: dns_cache_max_entries: number too large (0-10000000)");
	ERROR1("[exporter]\ndns_cache_max_bytes = 1073741825\n",
	    "t.ini:2: dns_cache_max_bytes: number too large (0-1073741824)");
	ERROR1("[exporter]\ndns_cache_max_bytes = 99999999999999999999999\n",
	    "t.ini:2: dns_cache_max_bytes: number too large (0-1073741824)");
	ERROR1("[exporter]\nmta_sts_max_in_flight = 0\n",
	    "t.ini:2: mta_sts_max_in_flight: number too small (1-4096)");
	ERROR1("[exporter]\nmta_sts_max_in_flight = 4097\n",
	    "t.ini:2: mta_sts_max_in_flight: number too large (1-4096)");
	ERROR1("[exporter]\nmta_sts_max_in_flight = 3x\n",
	    "t.ini:2: mta_sts_max_in_flight: not a number (1-4096)");
	ERROR1("[exporter]\ndns_budget_per_domain = 0\n",
	    "t.ini:2: dns_budget_per_domain: number too small (1-100000)");
	ERROR1("[exporter]\ndns_budget_per_domain = 12abc\n",
	    "t.ini:2: dns_budget_per_domain: not a number (1-100000)");
	ERROR1("[exporter]\ndns_budget_per_domain =\n",
	    "t.ini:2: dns_budget_per_domain: empty number (1-100000)");
}

int
main(void)
{
	check_records();
	check_protocols();
	check_example();
	check_defaults();
	check_full();
	check_file_errors();
	check_structure_errors();
	check_value_errors();
	check_mail_hosts();
	check_audit();
	check_all_errors();
	check_hostile();
	check_web_keys();
	check_dns_keys();
	check_ip_protocol();
	return unit_done("test_config");
}
