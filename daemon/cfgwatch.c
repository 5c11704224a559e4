/* The daemon's configuration audits: see cfgwatch.h. */
#include "daemon/cfgwatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/audit.h"
#include "collectors/cfgaudit.h"
#include "base/log.h"
#include "daemon/sched.h"
#include "base/util.h"

struct cfgwatch_one {
	struct ctx	*ctx;
	int		 server;
	char		*name;
	struct cfgaudit_job *job;
	struct cfg_report *last;
	struct event	*timer;
};

struct cfgwatch {
	struct cfgwatch_one **v;
	size_t		 n;
};

static const char *const drift_names[DRIFT__COUNT] = {
	[DRIFT_VERSIONS] = "tls_versions",
	[DRIFT_CERT] = "certificate",
	[DRIFT_STARTTLS] = "starttls",
};

const char *
drift_check_name(enum drift_check d)
{
	return (unsigned)d < DRIFT__COUNT ? drift_names[d] : "unknown";
}

static const struct cfgsrc_cfg *
one_cfg(const struct cfgwatch_one *o)
{
	const struct config *cfg = o->ctx->cfg;

	for (size_t i = 0; i < cfg->n_cfgsrcs; i++)
		if (cfg->cfgsrcs[i].server == o->server &&
		    strcmp(cfg->cfgsrcs[i].name, o->name) == 0)
			return &cfg->cfgsrcs[i];
	return NULL;
}

static void arm_timer(struct cfgwatch_one *o, uint64_t ms);

static void
one_done(struct cfg_report *r, void *arg)
{
	struct cfgwatch_one *o = arg;
	const struct cfgsrc_cfg *c = one_cfg(o);

	o->job = NULL;
	cfg_report_free(o->last);
	o->last = r;
	arm_timer(o, c && c->interval_ms ? c->interval_ms : o->ctx->cfg->interval_ms);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cfgwatch_one *o = arg;
	const struct cfgsrc_cfg *c = one_cfg(o);
	struct cfgaudit_params p;

	(void)fd;
	(void)what;
	if (c == NULL || o->job != NULL)
		return;
	memset(&p, 0, sizeof(p));
	p.server = (enum cfg_server)c->server;
	p.instance = c->name;
	p.path = c->path;
	p.tool = c->tool;
	p.timeout_ms = c->timeout_ms ? (unsigned)c->timeout_ms : 10000;
	o->job = cfgaudit_start(o->ctx->base, &p, one_done, o);
}

static void
arm_timer(struct cfgwatch_one *o, uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(o->timer, &tv);
}

static void
one_free(struct cfgwatch_one *o)
{
	cfgaudit_cancel(o->job);
	cfg_report_free(o->last);
	if (o->timer)
		event_free(o->timer);
	free(o->name);
	free(o);
}

void
cfgwatch_apply(struct ctx *ctx)
{
	struct cfgwatch *old = ctx->cfgwatch, *w = xcalloc(1, sizeof(*w));
	const struct config *cfg = ctx->cfg;

	for (size_t i = 0; i < cfg->n_cfgsrcs; i++) {
		const struct cfgsrc_cfg *c = &cfg->cfgsrcs[i];
		struct cfgwatch_one *o = NULL;

		for (size_t k = 0; old && k < old->n; k++)
			if (old->v[k] && old->v[k]->server == c->server &&
			    strcmp(old->v[k]->name, c->name) == 0) {
				o = old->v[k];
				old->v[k] = NULL;
			}
		if (o == NULL) {
			o = xcalloc(1, sizeof(*o));
			o->ctx = ctx;
			o->server = c->server;
			o->name = xstrdup(c->name);
			o->timer = evtimer_new(ctx->base, timer_cb, o);
		}
		/* Run now (a changed section gets its new settings now). */
		if (o->job == NULL) {
			evtimer_del(o->timer);
			arm_timer(o, 0);
		}
		w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
		w->v[w->n++] = o;
	}
	if (old) {
		for (size_t k = 0; k < old->n; k++)
			if (old->v[k])
				one_free(old->v[k]);
		free(old->v);
		free(old);
	}
	ctx->cfgwatch = w;
}

void
cfgwatch_free(struct ctx *ctx)
{
	struct cfgwatch *w = ctx->cfgwatch;

	if (w == NULL)
		return;
	for (size_t k = 0; k < w->n; k++)
		one_free(w->v[k]);
	free(w->v);
	free(w);
	ctx->cfgwatch = NULL;
}

const struct cfg_report *
cfgwatch_report(const struct ctx *ctx, size_t i)
{
	const struct cfgwatch *w = ctx->cfgwatch;

	while (w && i < w->n) {
		if (w->v[i]->last)
			return w->v[i]->last;
		i++;	/* not run yet: the next one */
	}
	return NULL;
}

/* The check whose key is endpoint, with a result. */
static const struct endpoint_result *
endpoint_result(const struct ctx *ctx, const char *endpoint)
{
	for (size_t i = 0; i < ctx->n_checks; i++) {
		const struct check *c = ctx->checks[i];

		if (strcmp(c->key, endpoint) == 0 && c->last &&
		    c->last->n_eps > 0)
			return &c->last->eps[0];
	}
	return NULL;
}

/* The view of the config that serves address:port. */
static const struct cfg_view *
view_for(const struct cfg_report *r, const char *address, uint16_t port)
{
	const struct cfg_view *best = NULL;
	const char *proto = NULL;

	if (r->server == CFG_DOVECOT)
		proto = port == 143 || port == 993 ? "imap" :
		    port == 110 || port == 995 ? "pop3" : NULL;
	for (size_t i = 0; i < r->n_views; i++) {
		const struct cfg_view *v = &r->views[i];

		if (r->server == CFG_POSTFIX && v->port != port)
			continue;
		if (proto && strcmp(v->protocol, proto) != 0)
			continue;
		if (*v->address && strcmp(v->address, address) != 0)
			continue;
		if (best == NULL || (*v->address && !*best->address))
			best = v;
	}
	return best;
}

void
cfgwatch_drift(const struct ctx *ctx, const struct cfg_report *r,
    const char *endpoint, int out[DRIFT__COUNT])
{
	const struct endpoint_result *ep;
	const struct cfg_view *v;
	static const enum cfg_tlsv map[TLSV__COUNT] = {
		[TLSV_1_0] = CFG_TLSV1, [TLSV_1_1] = CFG_TLSV1_1,
		[TLSV_1_2] = CFG_TLSV1_2, [TLSV_1_3] = CFG_TLSV1_3,
	};
	int implicit;

	for (int d = 0; d < DRIFT__COUNT; d++)
		out[d] = -1;
	if ((ep = endpoint_result(ctx, endpoint)) == NULL ||
	    (v = view_for(r, ep->address, ep->port)) == NULL)
		return;
	implicit = ep->port == 465 || ep->port == 993 || ep->port == 995;
	if (!implicit && ep->out->starttls_offered != -1)
		out[DRIFT_STARTTLS] = (ep->out->starttls_offered == 1) != (v->tls != 0);
	if (endpoint_audit(ep)->ran && v->tls) {
		out[DRIFT_VERSIONS] = 0;
		for (int t = 0; t < TLSV__COUNT; t++) {
			int acc = endpoint_audit(ep)->version_accepted[t];
			int allowed = (v->versions >> map[t]) & 1;

			if (acc != -1 && acc != allowed)
				out[DRIFT_VERSIONS] = 1;
		}
	}
	if (ep->out->tls.have_cert && v->cert_fp[0])
		out[DRIFT_CERT] = strcmp(ep->out->tls.fingerprint_sha256,
		    v->cert_fp) != 0;
}

size_t
cfgwatch_count(const struct ctx *ctx)
{
	const struct cfgwatch *w = ctx->cfgwatch;

	return w ? w->n : 0;
}

const struct cfg_report *
cfgwatch_at(const struct ctx *ctx, size_t i, const struct cfgsrc_cfg **src,
    int *server)
{
	const struct cfgwatch *w = ctx->cfgwatch;

	*src = one_cfg(w->v[i]);
	*server = w->v[i]->server;
	return w->v[i]->last;
}
