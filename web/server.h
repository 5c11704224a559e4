/* The exporter's HTTP routes: /metrics, /probe, the status pages, the
 * JSON API, health; Basic authentication in front of all of them when
 * basic_auth_users is set. */
#ifndef MAILSEC_SERVER_H
#define MAILSEC_SERVER_H

#include "daemon/ctx.h"
#include "web/http.h"
#include "web/status.h"

struct web;

struct web *web_new(struct ctx *ctx);
/* Answers every request still held (503: probes and authentications in
 * progress are dropped) and stops the authentication worker.  Call it
 * before sched_shutdown() and http_stop(). */
void web_free(struct web *w);

/* The http_handler_cb of the listener; arg is the struct web. */
void server_handle(struct http_req *req, void *arg);

#endif
