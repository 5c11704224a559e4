/* The status page's "configuration" section: one table per audited
 * Postfix or Dovecot configuration (daemon/cfgwatch.c), its findings by
 * severity with file:line and the advice, and the drift of its endpoints. */
#include "web/status_config.h"

#include <stdio.h>
#include <string.h>

#include "collectors/cfgaudit.h"
#include "daemon/cfgwatch.h"
#include "base/escape.h"

void
status_config_render(const struct ctx *ctx, struct buf *b)
{
	const struct cfg_report *r;

	for (size_t i = 0; (r = cfgwatch_report(ctx, i)) != NULL; i++) {
		unsigned n[CFG_SEV__COUNT];
		const struct cfgsrc_cfg *c = NULL;

		for (size_t k = 0; k < ctx->cfg->n_cfgsrcs; k++)
			if (ctx->cfg->cfgsrcs[k].server == (int)r->server &&
			    strcmp(ctx->cfg->cfgsrcs[k].name, r->instance) == 0)
				c = &ctx->cfg->cfgsrcs[k];
		cfg_report_counts(r, n);
		buf_printf(b, "<section class=\"configuration\"><h2>"
		    "Configuration: %s ", cfg_server_name(r->server));
		html_escape(b, r->instance);
		buf_puts(b, "</h2><p>");
		html_escape(b, r->path);
		buf_printf(b, " \xc2\xb7 read %s with %s", r->read_ok ? "ok" :
		    "FAILED", r->method);
		if (r->version[0]) {
			buf_puts(b, " ");
			html_escape(b, r->version);
		}
		buf_printf(b, " \xc2\xb7 <span class=\"b fail\">%u critical</span>"
		    "<span class=\"b warn\">%u warning</span>"
		    "<span class=\"b pass\">%u info</span>", n[CFG_CRITICAL],
		    n[CFG_WARNING], n[CFG_INFO]);
		if (r->tool_error) {
			buf_puts(b, " \xc2\xb7 ");
			html_escape(b, r->tool_error);
		}
		buf_puts(b, "</p>\n<div class=\"tw\"><table class=\"t\"><thead>"
		    "<tr><th>Severity</th><th>Check</th><th>Service</th>"
		    "<th>Setting</th><th>Where</th><th>Finding</th>"
		    "<th>Advice</th></tr></thead><tbody>\n");
		for (int s = 0; s < CFG_SEV__COUNT; s++)
			for (size_t k = 0; k < r->n_f; k++) {
				const struct cfg_finding *f = &r->f[k];
				char line[16];

				if ((int)f->sev != s)
					continue;
				buf_printf(b, "<tr><td><span class=\"b %s\">%s"
				    "</span></td><td>%s</td><td>", s ==
				    CFG_CRITICAL ? "fail" : s == CFG_WARNING ?
				    "warn" : "pass", cfg_severity_name(f->sev),
				    cfg_check_name(f->check));
				html_escape(b, f->service);
				buf_puts(b, "</td><td>");
				html_escape(b, f->setting);
				buf_puts(b, "</td><td>");
				if (f->file) {
					html_escape(b, f->file);
					snprintf(line, sizeof(line), ":%u", f->line);
					buf_puts(b, line);
				} else
					buf_puts(b, "default");
				buf_puts(b, "</td><td>");
				html_escape(b, f->detail);
				buf_puts(b, "</td><td><code>");
				html_escape(b, f->advice);
				buf_puts(b, "</code></td></tr>\n");
			}
		buf_puts(b, "</tbody></table></div>\n");
		for (size_t k = 0; c && k < c->n_endpoints; k++) {
			int d[DRIFT__COUNT];

			cfgwatch_drift(ctx, r, c->endpoints[k], d);
			buf_puts(b, "<p>Drift ");
			html_escape(b, c->endpoints[k]);
			buf_puts(b, ":");
			for (int x = 0; x < DRIFT__COUNT; x++)
				buf_printf(b, " %s %s", drift_check_name(
				    (enum drift_check)x), d[x] == -1 ?
				    "unknown" : d[x] ? "<b>DIFFERS</b>" :
				    "matches");
			buf_puts(b, "</p>\n");
		}
		buf_puts(b, "</section>\n");
	}
}
