/* The one context of the daemon: everything mutable lives here. */
#ifndef MAILSEC_CTX_H
#define MAILSEC_CTX_H

#include <stdint.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "base/intern.h"
#include "collectors/dns.h"
#include "collectors/probe.h"
#include "daemon/changes.h"
#include "daemon/config.h"
#include "daemon/publish.h"
#include "daemon/share.h"

struct cfgwatch;
struct check;
struct metrics_cache;
struct result_store;
struct probe_job;
TAILQ_HEAD(job_queue, probe_job);
TAILQ_HEAD(check_list, check);
struct sched_query;
TAILQ_HEAD(dns_queue, sched_query);

struct ctx {
	struct event_base *base;
	struct config	*cfg;
	const char	*config_path;
	SSL_CTX		*ssl_ctx;
	struct dns	*dns;
	struct fetch_engine *fetch;	/* HTTPS: MTA-STS policies */
	struct dnssec	*dnssec;	/* the validator, or NULL (dnssec = off) */
	struct http	*http;		/* the listener: main.c starts and stops it */

	struct check	**checks;
	size_t		 n_checks;
	size_t		 checks_pending_first;	/* not yet run once */
	struct check_list adhoc;	/* /probe checks running */
	struct check_list runs_waiting;	/* due, waiting for RUNS_MAX */
	unsigned	 runs_active;	/* scheduled runs in flight */
	struct event	*ev_admit;	/* starts waiting runs */
	struct job_queue queue;		/* probes waiting for a slot */
	struct share_table shares;	/* daemon/share.h (share = on) */
	/* The MX hosts' facts equal between domains, one block each
	 * (base/intern.h, share = on): MX hygiene, DANE lookups. */
	struct intern_pool mxhyg_pool;
	struct intern_pool dane_pool;
	struct dns_queue dns_waiting;	/* scheduler lookups not sent yet */
	unsigned	 dns_sent;	/* sent, not answered */
	int		 dns_pumping;
	int		 dns_pump_later;	/* a pump is due from the loop */
	unsigned long	 dns_budget_refused;	/* questions over a budget */
	unsigned	 fd_budget;	/* probes the open-files limit allows */
	int		 fd_budget_warned;
	struct metrics_cache *metrics_cache;	/* web/metrics.c */
	struct result_store *results;	/* web/results.c: the pages' */
	struct publish_sub subs[PUBLISH_MAX_SUBSCRIBERS]; /* daemon/publish.c */
	size_t		 n_subs;
	unsigned	 queued;
	unsigned	 in_flight;
	uint64_t	 last_trim_ms;	/* daemon/heaptrim.c */
	struct event	*ev_trim;
	struct cfgwatch	*cfgwatch;	/* daemon/cfgwatch.c */

	unsigned	 weak_testable;	/* weak_classes_testable() */
	struct changes	 changes;	/* change detection: fed published
					 * results (daemon/sched.c) */
	int		 once;		/* --once: stop after the first round */
	int		 ready;		/* every check ran once */
	int		 stopping;
	double		 start_time;

	uint64_t	 probes_total[PROTO__COUNT][2];	/* [proto][success] */
	uint64_t	 probes_shared[PROTO__COUNT];	/* of those: served by
							 * another check's probe */
	int		 reload_ok;
	double		 reload_ok_time;

	struct event	*ev_sigterm, *ev_sigint, *ev_sighup;
	/* The SIGHUP path, for POST /-/reload (with --web.enable-lifecycle)
	 * and a config change seen by daemon/watch.c. */
	void		(*reload)(struct ctx *ctx);
	int		 enable_lifecycle;
	struct config_watch *config_watch;

	/* Called when a check's first run ends (the `check` command's
	 * progress), or NULL. */
	void		(*first_run_cb)(const struct check *c, void *arg);
	void		*first_run_arg;
};

/* Makes ctx for cfg (which it owns from now on, even on error): the loop,
 * the TLS client context, the resolver.  -1 with err, ctx freed. */
int ctx_open(struct ctx *ctx, struct config *cfg, char *err, size_t errlen);
/* The DNS answer cache's bounds from ctx->cfg (at start and on a reload). */
void ctx_apply_dns_cache(struct ctx *ctx);
/* One round: every check of ctx->cfg once, now; back when all are done
 * (ctx->ready) or the loop was broken (a signal). */
void ctx_run_once(struct ctx *ctx);
/* After ctx_run_once, once the exporter's own samples are read: what only
 * a later round would ask again is dropped, before --once writes the
 * exposition (the DNS answer cache: ~27 MB at 10,000 domains). */
void ctx_once_drop_caches(struct ctx *ctx);
/* Stops and frees everything ctx holds, its config too. */
void ctx_free(struct ctx *ctx);

#endif
