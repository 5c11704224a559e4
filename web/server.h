/* The exporter's HTTP routes: /metrics, the status page, health. */
#ifndef MAILSEC_SERVER_H
#define MAILSEC_SERVER_H

#include "daemon/ctx.h"
#include "web/http.h"

/* The http_handler_cb of the listener; arg is the ctx. */
void server_handle(struct http_req *req, void *arg);
/* A minimal status page: one row per target and endpoint. */
void status_page_render(const struct ctx *ctx, struct buf *out);

#endif
