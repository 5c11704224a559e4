/* The web side's own state, shared by the routes (server.c) and /probe
 * (probe.c): requests answered later (authentication, probes) and the
 * count of probes running.  One per listener; lives on the loop thread. */
#ifndef MAILSEC_WEB_H
#define MAILSEC_WEB_H

#include <stdint.h>
#include <sys/queue.h>

#include "daemon/adhoc.h"
#include "daemon/ctx.h"
#include "web/auth.h"
#include "web/http.h"

enum web_req_kind {
	WREQ_AUTH,		/* a bcrypt verification on the worker */
	WREQ_PROBE,		/* an ad-hoc check for /probe */
};

/* A request held past its handler. */
struct web_req {
	struct web	*w;
	struct http_req	*req;
	enum web_req_kind kind;
	struct auth_job	*auth;		/* WREQ_AUTH */
	/* WREQ_PROBE: the check running (daemon/adhoc.h), its target's
	 * key, and once it is done its result (the check's) */
	struct adhoc	*adhoc;
	char		*key;
	const struct check_result *result;
	uint64_t	 timeout_ms;	/* WREQ_PROBE: the one used */
	int		 starting;	/* inside adhoc_start() */
	int		 done_early;	/* its result came during the start */
	struct log_capture *log_cap;	/* WREQ_PROBE with debug=true */
	LIST_ENTRY(web_req) link;
};

struct web {
	struct ctx	*ctx;
	struct auth	*auth;		/* made on the first need */
	unsigned	 probes_active;
	LIST_HEAD(, web_req) held;
	struct metrics_gz *metrics_gzip;	/* the current gzip /metrics */
};

struct web_req *web_req_new(struct web *w, struct http_req *req,
    enum web_req_kind kind);
void web_req_free(struct web_req *wr);
/* A one-line text/plain answer. */
void web_respond_text(struct http_req *req, unsigned status,
    const char *text);

#endif
