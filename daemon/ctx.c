/* The context's life: the loop, the TLS client context and the resolver
 * made from a config, one round of every check (--once, `check`), and
 * everything freed. */
#include "daemon/ctx.h"

#include <stdio.h>
#include <string.h>

#include "collectors/audit.h"
#include "collectors/dnscache.h"
#include "daemon/cfgwatch.h"
#include "daemon/sched.h"
#include "base/log.h"
#include "daemon/publish.h"
#include "base/util.h"
#include "daemon/watch.h"

#define DNS_TRIES 2

static unsigned
dns_timeout_ms(const struct config *cfg)
{
	/* A lookup must fit in a probe's budget: c-ares doubles the timeout
	 * on each retry (t, 2t, ...), so DNS_TRIES tries of one server take
	 * (2^DNS_TRIES - 1) t.  The first try gets at most 5 s. */
	uint64_t t = cfg->timeout_ms / ((1u << DNS_TRIES) - 1);

	return (unsigned)(t > 5000 ? 5000 : t < 200 ? 200 : t);
}

/* The DNSSEC validator: through dnssec_forwarder, else through the first
 * configured resolver (so a test's or a site's DNS is the one asked), else
 * recursing from the root itself.  unbound spells "ip@port". */
static struct dnssec *
validator_new(struct ctx *ctx, char *err, size_t errlen)
{
	static const char *const test_zones[] = { "test.", NULL };
	const struct config *cfg = ctx->cfg;
	const char *fwd = cfg->dnssec_forwarder ? cfg->dnssec_forwarder :
	    cfg->resolver;
	struct dnssec_params dp;
	char at[128] = "";
	struct dnssec *v;

	if (fwd != NULL) {
		size_t n = strcspn(fwd, ",");
		const char *colon;

		if (n >= 80)
			n = 79;
		memcpy(at, fwd, n);
		at[n] = '\0';
		if ((colon = strrchr(at, ':')) != NULL) {
			char host[80];	/* n < 80: it fits, and at holds it
					 * with "@port" */
			size_t hl = (size_t)(colon - at);

			memcpy(host, at, hl);
			host[hl] = '\0';
			if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
				host[hl - 1] = '\0';
				memmove(host, host + 1, hl - 1);
			}
			snprintf(at, sizeof(at), "%s@%s", host, colon + 1);
		}
	}
	memset(&dp, 0, sizeof(dp));
	dp.trust_anchor_file = cfg->dnssec_trust_anchor_file;
	dp.forwarder = fwd != NULL ? at : NULL;
	dp.timeout_ms = (unsigned)cfg->timeout_ms;
	/* Names under test. (RFC 6761) reach a forwarder, never the root. */
	dp.insecure_local_zones = fwd != NULL ? test_zones : NULL;
	v = dnssec_new(ctx->base, &dp, err, errlen);
	if (v != NULL)
		log_info("dnssec", "trust_anchor=%s forwarder=%s",
		    dp.trust_anchor_file, dp.forwarder ? dp.forwarder : "none");
	return v;
}

void
ctx_apply_dns_cache(struct ctx *ctx)
{
	const struct config *cfg = ctx->cfg;
	struct dnscache_params p;

	memset(&p, 0, sizeof(p));
	p.max_ttl_s = (unsigned)(cfg->dns_cache_max_ttl_ms / 1000);
	p.neg_max_ttl_s = (unsigned)(cfg->dns_cache_negative_max_ttl_ms / 1000);
	p.max_entries = cfg->dns_cache_max_entries;
	p.max_bytes = cfg->dns_cache_max_bytes;
	dns_set_cache(ctx->dns, &p);
}

int
ctx_open(struct ctx *ctx, struct config *cfg, char *err, size_t errlen)
{
	struct event_config *ecfg;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ctx->start_time = wall_time();
	TAILQ_INIT(&ctx->queue);
	TAILQ_INIT(&ctx->adhoc);
	TAILQ_INIT(&ctx->runs_waiting);
	TAILQ_INIT(&ctx->dns_waiting);
	/* Scrapes and signals before probe I/O (io.c puts probes at the
	 * lowest priority), yet probes are not starved: the loop looks
	 * again for higher priorities every 16 callbacks. */
	ecfg = event_config_new();
	event_config_set_max_dispatch_interval(ecfg, NULL, 16, 2);
	ctx->base = event_base_new_with_config(ecfg);
	event_config_free(ecfg);
	if (ctx->base == NULL || event_base_priority_init(ctx->base, 3) == -1) {
		snprintf(err, errlen, "event loop set-up failed");
		ctx_free(ctx);
		return -1;
	}
	ctx->ssl_ctx = probe_ssl_ctx_new(cfg->ca_file, err, errlen);
	if (ctx->ssl_ctx == NULL ||
	    (ctx->dns = dns_new(ctx->base, cfg->resolver, dns_timeout_ms(cfg),
	    DNS_TRIES, err, errlen)) == NULL ||
	    (ctx->fetch = fetch_engine_new(ctx->base,
	    cfg->mta_sts_max_in_flight, err, errlen)) == NULL ||
	    (cfg->dnssec &&
	    (ctx->dnssec = validator_new(ctx, err, errlen)) == NULL)) {
		ctx_free(ctx);
		return -1;
	}
	ctx_apply_dns_cache(ctx);
	ctx->reload_ok = 1;
	ctx->reload_ok_time = wall_time();
	ctx->weak_testable = weak_classes_testable();
	changes_init(&ctx->changes, cfg->state_file,
	    (double)cfg->weakened_hold_ms / 1000.0, cfg->n_targets);
	return 0;
}

void
ctx_run_once(struct ctx *ctx)
{
	ctx->once = 1;
	sched_apply_config(ctx);
	sched_run_all_now(ctx);
	/* loopbreak is forgotten by a loop not yet running: check first. */
	if (!ctx->ready)
		event_base_dispatch(ctx->base);
}

void
ctx_once_drop_caches(struct ctx *ctx)
{
	if (ctx->once && ctx->dns != NULL)
		dns_drop_cache(ctx->dns);
}

void
ctx_free(struct ctx *ctx)
{
	cfgwatch_free(ctx);
	sched_shutdown(ctx);
	dns_free(ctx->dns);	/* runs the callbacks of detached runs */
	fetch_engine_free(ctx->fetch);
	dnssec_free(ctx->dnssec);
	if (ctx->ev_sigterm)
		event_free(ctx->ev_sigterm);
	if (ctx->ev_sigint)
		event_free(ctx->ev_sigint);
	if (ctx->ev_sighup)
		event_free(ctx->ev_sighup);
	if (ctx->ev_trim)
		event_free(ctx->ev_trim);
	if (ctx->ev_admit)
		event_free(ctx->ev_admit);
	config_watch_free(ctx->config_watch);
	SSL_CTX_free(ctx->ssl_ctx);
	publish_release_all(ctx);
	changes_free(&ctx->changes);
	config_free(ctx->cfg);
	if (ctx->base)
		event_base_free(ctx->base);
	memset(ctx, 0, sizeof(*ctx));
}
