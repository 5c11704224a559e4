/* `mailsec_exporter audit-config --postfix DIR --dovecot FILE`: see
 * audit_config.h. */
#include "daemon/audit_config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "collectors/cfgaudit.h"
#include "base/log.h"
#include "base/escape.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: mailsec_exporter audit-config [--postfix DIR] [--dovecot FILE]\n"
	    "                        [--postconf PATH|none] [--doveconf PATH|none]\n"
	    "                        [--timeout SECONDS] [--json]\n"
	    "  --postfix DIR      a Postfix config directory (main.cf, master.cf)\n"
	    "  --dovecot FILE     a dovecot.conf\n"
	    "  --postconf PATH    postconf(1) to use; none: read the files only\n"
	    "  --doveconf PATH    doveconf(1) to use; none: read the files only\n"
	    "  --timeout SECONDS  limit for each tool run (default 10)\n"
	    "  --json             one JSON document for scripts\n"
	    "Exit status: 0 no critical finding, 1 a critical finding, 2 a config\n"
	    "could not be read or bad usage.\n");
}

static void
json_str(struct buf *b, const char *s)
{
	json_escape(b, s, s ? strlen(s) : 0);
}

void
cfg_report_json(struct buf *b, const struct cfg_report *r)
{
	unsigned n[CFG_SEV__COUNT];

	cfg_report_counts(r, n);
	buf_puts(b, "{\"server\":");
	json_str(b, cfg_server_name(r->server));
	buf_puts(b, ",\"instance\":");
	json_str(b, r->instance);
	buf_puts(b, ",\"path\":");
	json_str(b, r->path);
	buf_printf(b, ",\"read_success\":%s,\"method\":",
	    r->read_ok ? "true" : "false");
	json_str(b, r->method);
	buf_puts(b, ",\"version\":");
	json_str(b, r->version[0] ? r->version : NULL);
	buf_puts(b, ",\"tool_error\":");
	json_str(b, r->tool_error);
	buf_printf(b, ",\"counts\":{\"critical\":%u,\"warning\":%u,\"info\":%u}",
	    n[CFG_CRITICAL], n[CFG_WARNING], n[CFG_INFO]);
	buf_puts(b, ",\"findings\":[");
	for (size_t i = 0; i < r->n_f; i++) {
		const struct cfg_finding *f = &r->f[i];

		buf_puts(b, i ? ",{\"check\":" : "{\"check\":");
		json_str(b, cfg_check_name(f->check));
		buf_puts(b, ",\"severity\":");
		json_str(b, cfg_severity_name(f->sev));
		buf_puts(b, ",\"service\":");
		json_str(b, f->service);
		buf_puts(b, ",\"setting\":");
		json_str(b, f->setting);
		buf_puts(b, ",\"file\":");
		json_str(b, f->file);
		buf_printf(b, ",\"line\":%u,\"detail\":", f->line);
		json_str(b, f->detail);
		buf_puts(b, ",\"advice\":");
		json_str(b, f->advice);
		buf_puts(b, ",\"why\":");
		json_str(b, cfg_check_why(f->check));
		buf_putc(b, '}');
	}
	buf_puts(b, "],\"certificates\":[");
	for (size_t i = 0; i < r->n_certs; i++) {
		buf_puts(b, i ? ",{\"file\":" : "{\"file\":");
		json_str(b, r->certs[i].file);
		buf_printf(b, ",\"not_after\":%.0f}", r->certs[i].not_after);
	}
	buf_puts(b, "],\"errors\":[");
	for (size_t i = 0; i < r->n_errors; i++) {
		if (i)
			buf_putc(b, ',');
		json_str(b, r->errors[i]);
	}
	buf_puts(b, "]}");
}

/* Text for a person: the files are hostile, so other bytes are \xNN. */
static void
put_clean(FILE *f, const char *s)
{
	char esc[4096];

	if (s != NULL)
		fputs(text_escape(esc, sizeof(esc), s, strlen(s)), f);
}

static void
print_report(FILE *f, const struct cfg_report *r)
{
	unsigned n[CFG_SEV__COUNT];

	cfg_report_counts(r, n);
	fprintf(f, "%s ", cfg_server_name(r->server));
	put_clean(f, r->path);
	fprintf(f, ": read with %s%s%s; %u critical, %u warning, %u info\n",
	    r->method, r->version[0] ? ", version " : "", r->version,
	    n[CFG_CRITICAL], n[CFG_WARNING], n[CFG_INFO]);
	if (r->tool_error) {
		fputs("  note: ", f);
		put_clean(f, r->tool_error);
		fputc('\n', f);
	}
	if (!r->read_ok)
		fputs("  the configuration could not be read\n", f);
	for (int sev = 0; sev < CFG_SEV__COUNT; sev++) {
		if (n[sev] == 0)
			continue;
		fprintf(f, "\n  %s (%u)\n", sev == CFG_CRITICAL ? "CRITICAL" :
		    sev == CFG_WARNING ? "WARNING" : "INFO", n[sev]);
		for (size_t i = 0; i < r->n_f; i++) {
			const struct cfg_finding *x = &r->f[i];

			if ((int)x->sev != sev)
				continue;
			fprintf(f, "  - %s [%s] ", cfg_check_name(x->check),
			    x->service);
			put_clean(f, x->setting);
			if (x->file) {
				fputs(" at ", f);
				put_clean(f, x->file);
				fprintf(f, ":%u", x->line);
			} else if (*x->setting)
				fputs(" (default)", f);
			fputs("\n      ", f);
			put_clean(f, x->detail);
			fputs("\n      why: ", f);
			put_clean(f, cfg_check_why(x->check));
			fputs("\n      fix: ", f);
			put_clean(f, x->advice);
			fputc('\n', f);
		}
	}
	fputc('\n', f);
}

struct cli_run {
	struct cfg_report *r[2];
	unsigned	 pending;
};

static void
cli_done(struct cfg_report *r, void *arg)
{
	struct cli_run *c = arg;

	c->r[r->server] = r;
	c->pending--;
}

int
audit_config_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "postfix", required_argument, NULL, 'p' },
		{ "dovecot", required_argument, NULL, 'd' },
		{ "postconf", required_argument, NULL, 'P' },
		{ "doveconf", required_argument, NULL, 'D' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *postfix = NULL, *dovecot = NULL, *postconf = NULL,
	    *doveconf = NULL, *err;
	struct cli_run run = { { NULL, NULL }, 0 };
	struct event_base *base;
	uint64_t timeout = 10;
	int json = 0, ch, rc = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': postfix = optarg; break;
		case 'd': dovecot = optarg; break;
		case 'P': postconf = optarg; break;
		case 'D': doveconf = optarg; break;
		case 'j': json = 1; break;
		case 't':
			if (parse_uint(optarg, 1, 600, &timeout, &err) == -1) {
				fprintf(stderr, "mailsec_exporter: --timeout: %s "
				    "(1-600)\n", err);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (postfix == NULL && dovecot == NULL)) {
		usage(stderr);
		return 2;
	}
	log_set_level(LOG_ERROR);
	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "mailsec_exporter: no event loop\n");
		return 2;
	}
	for (int s = 0; s < 2; s++) {
		const char *path = s == CFG_POSTFIX ? postfix : dovecot;
		struct cfgaudit_params p = {
			.server = (enum cfg_server)s,
			.instance = "cli",
			.path = path,
			.tool = s == CFG_POSTFIX ? postconf : doveconf,
			.timeout_ms = (unsigned)timeout * 1000,
		};

		if (path == NULL)
			continue;
		run.pending++;
		cfgaudit_start(base, &p, cli_done, &run);
	}
	while (run.pending > 0 && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
	event_base_free(base);
	if (json) {
		struct buf b;
		int first = 1;

		buf_init(&b);
		buf_puts(&b, "{\"configs\":[");
		for (int s = 0; s < 2; s++)
			if (run.r[s]) {
				if (!first)
					buf_putc(&b, ',');
				first = 0;
				cfg_report_json(&b, run.r[s]);
			}
		buf_puts(&b, "]}\n");
		fwrite(b.data, 1, b.len, stdout);
		buf_free(&b);
	}
	for (int s = 0; s < 2; s++) {
		unsigned n[CFG_SEV__COUNT];

		if (run.r[s] == NULL)
			continue;
		if (!json)
			print_report(stdout, run.r[s]);
		cfg_report_counts(run.r[s], n);
		if (!run.r[s]->read_ok)
			rc = 2;
		else if (n[CFG_CRITICAL] && rc == 0)
			rc = 1;
		cfg_report_free(run.r[s]);
	}
	return rc;
}
