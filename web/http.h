/* The HTTP listener: libmicrohttpd driven by the libevent loop (its epoll fd
 * is watched by the loop), so handlers run on the loop thread and read
 * results without locks.  Only GET and HEAD reach the handler. */
#ifndef MAILSEC_HTTP_H
#define MAILSEC_HTTP_H

#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "base/util.h"
#include "web/httptls.h"

struct http;
struct http_req;	/* one request; alive until http_req_respond() */

/* Called once per request.  It must call http_req_respond() exactly once,
 * now or later from the loop (the connection is suspended meanwhile). */
typedef void (*http_handler_cb)(struct http_req *req, void *arg);

struct http_params {
	const char	*host;		/* address to bind: "127.0.0.1", "::1", "0.0.0.0", "::" */
	uint16_t	 port;		/* 0: pick one (tests); see http_port() */
	unsigned	 max_connections;	/* 0: 256 */
	unsigned	 per_ip_connections;	/* 0: 32 */
	unsigned	 timeout_s;		/* idle connection timeout; 0: 30 */
	/* HTTPS when both are set: PEM text (copied), TLS 1.2 and 1.3 only. */
	const char	*tls_cert_pem;
	const char	*tls_key_pem;
	int		 tls13_only;	/* TLS 1.3 only (min_version TLS13) */
	/* Client certificates (web-config client_auth_type); the CA list
	 * (PEM, copied) they must chain to, needed by the verifying modes. */
	enum tls_client_auth client_auth;
	const char	*client_ca_pem;
	/* The one path where POST and PUT (without a body) reach the
	 * handler; everywhere else only GET and HEAD do. */
	const char	*post_path;
};

struct http *http_start(struct event_base *base, const struct http_params *p,
    http_handler_cb cb, void *arg, char *err, size_t errlen);
/* Stops listening; requests still pending are answered 503 and dropped.
 * Not from inside the handler.  A request the handler still holds stays
 * valid (http_req_arg/header then return NULL) and the handler must still
 * call http_req_respond() on it, which then only frees it. */
void http_stop(struct http *h);
uint16_t http_port(const struct http *h);
/* HTTPS: serve this certificate and key (PEM) from the next handshake on,
 * without a restart; -1 with a message (the old one stays) when GnuTLS does
 * not take them or the listener has no TLS. */
int http_set_tls_cert(struct http *h, const char *cert_pem,
    const char *key_pem, char *err, size_t errlen);
/* How many times http_set_tls_cert() replaced the certificate. */
unsigned http_tls_generation(const struct http *h);

const char *http_req_method(const struct http_req *r);
const char *http_req_path(const struct http_req *r);
/* Query argument or header value, NULL when absent.  The strings are
 * MHD's: valid until http_req_respond() or http_stop(). */
const char *http_req_arg(const struct http_req *r, const char *name);
/* The same with the decoded length (a value may hold NUL bytes: "%00");
 * returns how many times the argument was given, 0 when absent (*value
 * is then NULL).  With several, *value is the first. */
unsigned http_req_arg_n(const struct http_req *r, const char *name,
    const char **value, size_t *len);
const char *http_req_header(const struct http_req *r, const char *name);
/* The client's address (MHD's, valid like a header), or NULL. */
const struct sockaddr *http_req_client(const struct http_req *r);
/* Sends the response and releases the request.  body is taken (its memory
 * moves into the response; the buf is left empty). */
void http_req_respond(struct http_req *r, unsigned status,
    const char *content_type, struct buf *body);
/* A body produced while it is sent: read() fills buf with up to room
 * bytes (called as MHD's buffer empties, from the loop); exactly size
 * bytes in all.  free() is called once, sent or not. */
/* size when unknown: the body is sent chunked, and read() returning 0
 * ends it (with a known size, 0 before the end is an error). */
#define HTTP_STREAM_SIZE_UNKNOWN UINT64_MAX
struct http_stream {
	uint64_t	 size;
	size_t		(*read)(void *arg, char *buf, size_t room);
	void		(*free)(void *arg);
	void		*arg;
};
/* The same as http_req_respond() with a streamed body; src is copied,
 * its arg is the response's from here on. */
void http_req_respond_stream(struct http_req *r, unsigned status,
    const char *content_type, const struct http_stream *src);
/* Adds a header to the response to come (name and value are copied);
 * at most HTTP_MAX_HEADERS, the rest are dropped. */
#define HTTP_MAX_HEADERS 8
void http_req_set_header(struct http_req *r, const char *name,
    const char *value);

/* Called at most once, from the loop, when the client closes its
 * connection while the request waits for the user (after the handler
 * returned without answering).  The request stays valid; the user should
 * stop its work and answer it (http_req_respond), which then frees it.
 * Set it from the handler. */
typedef void (*http_close_cb)(struct http_req *r, void *arg);
void http_req_on_close(struct http_req *r, http_close_cb cb, void *arg);

#endif
