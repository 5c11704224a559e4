/* The mailsec_config_* samples: the last report of each configuration
 * audit (daemon/cfgwatch.c) and its drift cross-check. */
#include "web/config_metrics.h"

#include <string.h>

#include "collectors/cfgaudit.h"
#include "daemon/cfgwatch.h"

void
cfgwatch_metrics(struct expo *e, const struct ctx *ctx)
{
	size_t n_audits = cfgwatch_count(ctx);
	double last = 0;

	if (n_audits == 0)
		return;
	for (size_t i = 0; i < n_audits; i++) {
		const struct cfgsrc_cfg *c;
		int srv;
		const struct cfg_report *r = cfgwatch_at(ctx, i, &c, &srv);
		const char *server = cfg_server_name((enum cfg_server)srv);
		unsigned n[CFG_SEV__COUNT];

		if (r == NULL)
			continue;
		if (r->finished > last)
			last = r->finished;
		expo_add(e, F_CONFIG_READ_SUCCESS, NULL, r->read_ok, "server",
		    server, "instance", r->instance, NULL);
		cfg_report_counts(r, n);
		for (int s = 0; s < CFG_SEV__COUNT; s++)
			expo_add(e, F_CONFIG_FINDINGS, NULL, n[s], "server",
			    server, "instance", r->instance, "severity",
			    cfg_severity_name((enum cfg_severity)s), NULL);
		for (size_t k = 0; k < r->n_f; k++) {
			const struct cfg_finding *f = &r->f[k];
			int dup = 0;

			/* One sample per label set (read errors repeat). */
			for (size_t j = 0; j < k && !dup; j++)
				dup = r->f[j].check == f->check &&
				    strcmp(r->f[j].service, f->service) == 0 &&
				    strcmp(r->f[j].setting, f->setting) == 0 &&
				    r->f[j].sev == f->sev;
			if (dup)
				continue;
			expo_add(e, F_CONFIG_FINDING, NULL, 1, "server", server,
			    "instance", r->instance, "service", f->service,
			    "setting", f->setting, "check",
			    cfg_check_name(f->check), "severity",
			    cfg_severity_name(f->sev), NULL);
		}
		for (size_t k = 0; k < r->n_certs; k++)
			expo_add(e, F_CONFIG_CERT_NOT_AFTER, NULL,
			    r->certs[k].not_after, "server", server, "instance",
			    r->instance, "file", r->certs[k].file, NULL);
		for (size_t k = 0; c && k < c->n_endpoints; k++) {
			int d[DRIFT__COUNT];

			cfgwatch_drift(ctx, r, c->endpoints[k], d);
			for (int x = 0; x < DRIFT__COUNT; x++)
				if (d[x] != -1)
					expo_add(e, F_CONFIG_DRIFT, NULL, d[x],
					    "server", server, "instance",
					    r->instance, "endpoint",
					    c->endpoints[k], "check",
					    drift_check_name((enum drift_check)x),
					    NULL);
		}
	}
	if (last > 0)
		expo_add(e, F_CONFIG_LAST_RUN, NULL, last, NULL);
}
