/* The HTTP listener: libmicrohttpd in "external polling" mode with epoll,
 * driven by the caller's libevent loop on a single thread.
 *
 * MHD keeps one epoll fd for its listen socket and every connection; the
 * loop watches that fd (a persistent EV_READ event) and calls MHD_run() when
 * it turns readable, and a timer re-armed from MHD_get_timeout() after every
 * run covers idle timeouts and data MHD already holds.
 *
 * Each request gets a struct http_req on the first call of the access
 * handler.  It has two owners: MHD (until the request-completed
 * notification) and, once handed to the user callback, the user (until
 * http_req_respond()).  It is freed when both have let go, so a client going
 * away, or http_stop(), while the user still holds a request leaves it
 * "orphaned": valid, and freed by the user's later http_req_respond(). */
#include "web/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "base/log.h"
#include "web/httptls.h"

#if MHD_VERSION < 0x00097100
#error "libmicrohttpd 0.9.71 or later is required (enum MHD_Result)"
#endif

#define HTTP_DEF_MAX_CONN	256
#define HTTP_DEF_PER_IP		32
#define HTTP_DEF_TIMEOUT_S	30
/* Bounds the request line plus headers (and MHD's per-connection state). */
#define HTTP_CONN_MEMORY	(32 * 1024)
/* MHD_run() passes http_stop() makes to flush the last responses. */
#define HTTP_STOP_FLUSH_RUNS	32
/* MHD reads a streamed body into a buffer of this size per response. */
#define HTTP_STREAM_BLOCK	(256 * 1024)
#define HTTP_TEXT		"text/plain; charset=utf-8"
/* GnuTLS priorities of the HTTPS listener: TLS 1.2 and 1.3 only. */
#define HTTP_TLS_PRIORITIES	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define HTTP_TLS13_PRIORITIES	"NORMAL:-VERS-ALL:+VERS-TLS1.3"

struct http_req {
	struct http		*h;	/* NULL once MHD is done with it */
	struct MHD_Connection	*conn;	/* NULL once MHD is done with it */
	char			*method;
	char			*path;
	struct MHD_Response	*resp;	/* decided but not queued yet */
	unsigned		 status;
	struct http_req		*prev, *next;	/* on h->pending while suspended */
	char			*hdr_name[HTTP_MAX_HEADERS];	/* extra headers */
	char			*hdr_value[HTTP_MAX_HEADERS];
	unsigned		 n_hdrs;
	http_close_cb		 close_cb;	/* the client went away */
	void			*close_arg;
	struct event		*close_ev;	/* EV_CLOSED while suspended */
	unsigned		 has_body:1;	/* the client sends (or sent) a body */
	unsigned		 handed:1;	/* given to the user callback */
	unsigned		 in_cb:1;	/* inside the user callback now */
	unsigned		 user_done:1;	/* http_req_respond() called */
	unsigned		 decided:1;	/* response chosen (resp may be NULL on OOM) */
	unsigned		 counted:1;	/* counted in h->nflush */
	unsigned		 suspended:1;
	unsigned		 mhd_done:1;	/* MHD released it */
};

struct http {
	struct event_base	*base;
	struct MHD_Daemon	*d;
	struct event		*io_ev;		/* MHD's epoll fd readable */
	struct event		*timer_ev;	/* MHD_get_timeout() */
	struct event		*kick_ev;	/* run soon after a resume */
	http_handler_cb		 cb;
	void			*arg;
	struct http_req		*pending;	/* suspended, waiting for the user */
	unsigned		 nflush;	/* responses decided, not completed */
	int			 stopping;
	struct httptls		*tls;		/* HTTPS: certificate, client policy */
	char			 last_err[256];	/* last MHD message, for start errors */
	const char		*post_path;	/* http_params' (a literal) */
};

/* --- requests --------------------------------------------------------- */

static void
req_free(struct http_req *r)
{
	if (r->resp)
		MHD_destroy_response(r->resp);
	if (r->close_ev)
		event_free(r->close_ev);
	for (unsigned i = 0; i < r->n_hdrs; i++) {
		free(r->hdr_name[i]);
		free(r->hdr_value[i]);
	}
	free(r->method);
	free(r->path);
	free(r);
}

static void
pending_unlink(struct http *h, struct http_req *r)
{
	if (r->close_ev) {
		event_free(r->close_ev);
		r->close_ev = NULL;
	}
	if (!r->suspended)
		return;
	if (r->prev)
		r->prev->next = r->next;
	else
		h->pending = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	r->suspended = 0;
}

static void
pending_link(struct http *h, struct http_req *r)
{
	r->prev = NULL;
	r->next = h->pending;
	if (h->pending)
		h->pending->prev = r;
	h->pending = r;
	r->suspended = 1;
}

/* Adds the headers every response carries. */
static struct MHD_Response *
response_headers(struct MHD_Response *resp, const char *content_type)
{
	if (resp == NULL)
		return NULL;
	if (content_type != NULL && *content_type != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	return resp;
}

/* body's memory moves into the response; NULL or empty means no body. */
static struct MHD_Response *
make_response(const char *content_type, struct buf *body)
{
	struct MHD_Response *resp;

	if (body != NULL && body->len > 0) {
		resp = MHD_create_response_from_buffer_with_free_callback(
		    body->len, body->data, free);
		if (resp != NULL)
			buf_init(body);		/* the response owns it now */
		else
			buf_free(body);
	} else {
		if (body != NULL)
			buf_free(body);
		resp = MHD_create_response_from_buffer(0, (void *)"",
		    MHD_RESPMEM_PERSISTENT);
	}
	return response_headers(resp, content_type);
}

static ssize_t
stream_read_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	const struct http_stream *st = cls;
	size_t n;

	(void)pos;
	n = st->read(st->arg, buf, max);
	if (n == 0 && st->size == HTTP_STREAM_SIZE_UNKNOWN)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return n > 0 ? (ssize_t)n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void
stream_free_cb(void *cls)
{
	struct http_stream *st = cls;

	st->free(st->arg);
	free(st);
}

/* The stream is the response's from here on, made or not. */
static struct MHD_Response *
make_stream_response(const char *content_type, const struct http_stream *src)
{
	struct http_stream *st = xmalloc(sizeof(*st));
	struct MHD_Response *resp;

	*st = *src;
	resp = MHD_create_response_from_callback(st->size ==
	    HTTP_STREAM_SIZE_UNKNOWN ? MHD_SIZE_UNKNOWN : st->size,
	    HTTP_STREAM_BLOCK,
	    stream_read_cb, st, stream_free_cb);
	if (resp == NULL)
		stream_free_cb(st);
	return response_headers(resp, content_type);
}

/* A small fixed plain-text response made here, not by the user. */
static struct MHD_Response *
make_simple(const char *text, int close_conn)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, HTTP_TEXT);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (close_conn)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	return resp;
}

static void
req_decide(struct http_req *r, unsigned status, struct MHD_Response *resp)
{
	r->resp = resp;
	r->status = status;
	r->decided = 1;
	if (!r->counted && r->h != NULL) {
		r->counted = 1;
		r->h->nflush++;
	}
}

/* Queues the decided response.  Only from the access handler. */
static enum MHD_Result
req_queue(struct http_req *r)
{
	enum MHD_Result ret;

	if (r->resp == NULL)
		return MHD_NO;		/* out of memory: close the connection */
	ret = MHD_queue_response(r->conn, r->status, r->resp);
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	return ret;
}

/* Answers at once with a fixed response, without the user callback. */
static enum MHD_Result
req_reject(struct http_req *r, unsigned status, const char *text,
    int close_conn, const char *allow)
{
	struct MHD_Response *resp = make_simple(text, close_conn);

	if (resp != NULL && allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	req_decide(r, status, resp);
	return req_queue(r);
}

/* Whether the request announces a body: any Content-Length but 0, or any
 * Transfer-Encoding (chunked). */
static int
announces_body(struct MHD_Connection *c)
{
	const char *cl, *te;

	te = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (te != NULL)
		return 1;
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl == NULL)
		return 0;
	while (*cl == '0')
		cl++;
	return *cl != '\0';
}

/* The client closed while its request waits for the user. */
static void
close_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_req *r = arg;
	http_close_cb cb = r->close_cb;

	(void)fd;
	(void)what;
	event_free(r->close_ev);
	r->close_ev = NULL;
	r->close_cb = NULL;
	if (cb != NULL && !r->user_done)
		cb(r, r->close_arg);
}

/* MHD does not look at a suspended connection: watch its socket for the
 * peer's FIN (EPOLLRDHUP) ourselves, where the loop's backend can. */
static void
close_watch_start(struct http *h, struct http_req *r)
{
	const union MHD_ConnectionInfo *ci;

	if (r->close_cb == NULL ||
	    !(event_base_get_features(h->base) & EV_FEATURE_EARLY_CLOSE))
		return;
	ci = MHD_get_connection_info(r->conn,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL || ci->connect_fd == MHD_INVALID_SOCKET)
		return;
	r->close_ev = event_new(h->base, ci->connect_fd, EV_CLOSED,
	    close_watch_cb, r);
	if (r->close_ev != NULL && event_add(r->close_ev, NULL) != 0) {
		event_free(r->close_ev);
		r->close_ev = NULL;
	}
}

/* --- MHD callbacks ---------------------------------------------------- */

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct http_req *r = *con_cls;

	(void)version;
	(void)upload_data;
	if (r == NULL) {
		/* First call: headers are in.  Set up the request state. */
		r = xcalloc(1, sizeof(*r));
		r->h = h;
		r->conn = conn;
		r->method = xstrdup(method ? method : "");
		r->path = xstrdup(url ? url : "");
		*con_cls = r;
		if (announces_body(conn)) {
			/* Answer before reading the body; MHD discards the
			 * rest and closes after the response. */
			r->has_body = 1;
			return req_reject(r, MHD_HTTP_CONTENT_TOO_LARGE,
			    "request body not accepted\n", 1, NULL);
		}
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		/* A body MHD found without our spotting it: swallow, 413. */
		r->has_body = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->decided)
		return req_queue(r);	/* resumed, or decided in the callback */
	if (r->handed)
		return MHD_YES;		/* still waiting for the user; not reached */
	if (r->has_body)
		return req_reject(r, MHD_HTTP_CONTENT_TOO_LARGE,
		    "request body not accepted\n", 1, NULL);
	if (strcmp(r->method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(r->method, MHD_HTTP_METHOD_HEAD) != 0 &&
	    !((strcmp(r->method, MHD_HTTP_METHOD_POST) == 0 ||
	    strcmp(r->method, MHD_HTTP_METHOD_PUT) == 0) &&
	    h->post_path != NULL && strcmp(r->path, h->post_path) == 0))
		return req_reject(r, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed\n", 0, "GET, HEAD");
	if (h->stopping)
		return req_reject(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "shutting down\n", 1, NULL);

	r->handed = 1;
	r->in_cb = 1;
	h->cb(r, h->arg);
	r->in_cb = 0;
	if (r->decided)
		return req_queue(r);
	/* Asynchronous: park the connection until http_req_respond(). */
	MHD_suspend_connection(conn);
	pending_link(h, r);
	close_watch_start(h, r);
	return MHD_YES;
}

static void
completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct http_req *r = *con_cls;

	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	*con_cls = NULL;
	pending_unlink(h, r);
	if (r->counted) {
		h->nflush--;
		r->counted = 0;
	}
	if (r->resp) {			/* decided but never queued */
		MHD_destroy_response(r->resp);
		r->resp = NULL;
	}
	r->mhd_done = 1;
	r->conn = NULL;
	r->h = NULL;
	if (!r->handed || r->user_done)
		req_free(r);
	/* else orphaned: the user frees it through http_req_respond() */
}

__attribute__((format(printf, 2, 0)))
static void
logger_cb(void *cls, const char *fmt, va_list ap)
{
	struct http *h = cls;
	char msg[sizeof(h->last_err)], q[sizeof(msg) + 64];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r' ||
	    msg[n - 1] == ' '))
		msg[--n] = '\0';
	snprintf(h->last_err, sizeof(h->last_err), "%s", msg);
	log_msg(LOG_WARN, "http_error", "msg=%s", log_quote(q, sizeof(q), msg));
}

/* --- loop glue -------------------------------------------------------- */

static void
rearm(struct http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;
	struct timeval tv;

	/* At most a second between runs even when MHD wants none: after an
	 * EMFILE on accept it resumes accepting only on a later MHD_run(),
	 * and with no connection open nothing else would call it. */
	if (MHD_get_timeout(h->d, &ms) != MHD_YES || ms > 1000)
		ms = 1000;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	evtimer_add(h->timer_ev, &tv);
}

static void
mhd_poll(struct http *h)
{
	MHD_run(h->d);
	rearm(h);
}

static void
loop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mhd_poll(arg);
}

/* --- public API ------------------------------------------------------- */

static void
http_free_tls(struct http *h)
{
	httptls_free(h->tls);
	h->tls = NULL;
}

/* Each new connection: its TLS session gets the client-certificate policy
 * and the certificate callback's context before its handshake starts. */
static void
notify_cb(void *cls, struct MHD_Connection *conn, void **socket_ctx,
    enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	const union MHD_ConnectionInfo *ci;

	(void)socket_ctx;
	if (code != MHD_CONNECTION_NOTIFY_STARTED || h->tls == NULL)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci != NULL && ci->tls_session != NULL)
		httptls_session_start(h->tls, ci->tls_session);
}

int
http_set_tls_cert(struct http *h, const char *cert_pem, const char *key_pem,
    char *err, size_t errlen)
{
	if (h->tls == NULL) {
		snprintf(err, errlen, "the listener was started without TLS");
		return -1;
	}
	return httptls_set_cert(h->tls, cert_pem, key_pem, err, errlen);
}

unsigned
http_tls_generation(const struct http *h)
{
	return h->tls != NULL ? httptls_generation(h->tls) : 0;
}

struct http *
http_start(struct event_base *base, const struct http_params *p,
    http_handler_cb cb, void *arg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct MHD_OptionItem tls_opts[6];
	const union MHD_DaemonInfo *info;
	unsigned flags, max_conn, per_ip, timeout_s;
	struct http *h;
	const char *host = p->host;

	if (host == NULL || *host == '\0') {
		snprintf(err, errlen, "http: no listen address");
		return NULL;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) != MHD_YES) {
		snprintf(err, errlen, "http: libmicrohttpd built without epoll");
		return NULL;
	}
	flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p->port);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p->port);
		if (strcmp(host, "::") == 0)
			flags |= MHD_USE_DUAL_STACK;
		else
			flags |= MHD_USE_IPv6;
	} else {
		snprintf(err, errlen, "http: %s is not an IPv4 or IPv6 address",
		    host);
		return NULL;
	}
	max_conn = p->max_connections ? p->max_connections : HTTP_DEF_MAX_CONN;
	per_ip = p->per_ip_connections ? p->per_ip_connections : HTTP_DEF_PER_IP;
	timeout_s = p->timeout_s ? p->timeout_s : HTTP_DEF_TIMEOUT_S;

	h = xcalloc(1, sizeof(*h));
	h->post_path = p->post_path;
	h->base = base;
	h->cb = cb;
	h->arg = arg;
	memset(tls_opts, 0, sizeof(tls_opts));
	tls_opts[0].option = MHD_OPTION_END;
	if (p->tls_cert_pem != NULL && p->tls_key_pem != NULL) {
		size_t i = 0;

		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(err, errlen, "http: libmicrohttpd built "
			    "without TLS: tls_cert_file cannot be used");
			free(h);
			return NULL;
		}
		if (tls_client_auth_verifies(p->client_auth) &&
		    p->client_ca_pem == NULL) {
			snprintf(err, errlen, "http: client_auth_type %s needs "
			    "client_ca_file", tls_client_auth_name(p->client_auth));
			free(h);
			return NULL;
		}
		/* Replaced connections live at most an idle timeout in a
		 * handshake; twice that, and the old certificate goes. */
		if ((h->tls = httptls_new(p->tls_cert_pem, p->tls_key_pem,
		    p->client_auth, 2 * timeout_s, err, errlen)) == NULL) {
			free(h);
			return NULL;
		}
		flags |= MHD_USE_TLS;
		tls_opts[i++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_CERT_CALLBACK, 0, httptls_cert_callback() };
		tls_opts[i++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_PRIORITIES, 0, p->tls13_only ?
		    (void *)HTTP_TLS13_PRIORITIES : (void *)HTTP_TLS_PRIORITIES };
		if (p->client_ca_pem != NULL)
			tls_opts[i++] = (struct MHD_OptionItem){
			    MHD_OPTION_HTTPS_MEM_TRUST, 0,
			    (void *)(uintptr_t)p->client_ca_pem };
		tls_opts[i++] = (struct MHD_OptionItem){
		    MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)(uintptr_t)notify_cb, h };
		tls_opts[i] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	}
	/* The logger first: MHD logs the options after it through it. */
	h->d = MHD_start_daemon(flags, p->port, NULL, NULL, access_cb, h,
	    MHD_OPTION_EXTERNAL_LOGGER, logger_cb, h,
	    MHD_OPTION_ARRAY, tls_opts,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, max_conn,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, h,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		snprintf(err, errlen, "http: cannot listen on %s port %u%s%s",
		    host, (unsigned)p->port, h->last_err[0] ? ": " : "",
		    h->last_err);
		http_free_tls(h);
		free(h);
		return NULL;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL || info->epoll_fd < 0) {
		snprintf(err, errlen, "http: no epoll fd from libmicrohttpd");
		MHD_stop_daemon(h->d);
		http_free_tls(h);
		free(h);
		return NULL;
	}
	h->io_ev = event_new(base, info->epoll_fd, EV_READ | EV_PERSIST,
	    loop_cb, h);
	h->timer_ev = evtimer_new(base, loop_cb, h);
	h->kick_ev = event_new(base, -1, 0, loop_cb, h);
	if (h->io_ev == NULL || h->timer_ev == NULL || h->kick_ev == NULL ||
	    event_add(h->io_ev, NULL) != 0) {
		snprintf(err, errlen, "http: cannot register with the event loop");
		http_stop(h);
		return NULL;
	}
	rearm(h);
	return h;
}

uint16_t
http_port(const struct http *h)
{
	const union MHD_DaemonInfo *info;

	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	return info ? info->port : 0;
}

void
http_stop(struct http *h)
{
	struct http_req *r;
	MHD_socket lsock;

	if (h == NULL)
		return;
	h->stopping = 1;
	lsock = MHD_quiesce_daemon(h->d);	/* accept nothing new */

	/* Answer what still waits for the user; MHD must not be stopped with
	 * suspended connections.  The user keeps its pointers: they are
	 * orphaned once MHD lets go, and freed by http_req_respond(). */
	while ((r = h->pending) != NULL) {
		pending_unlink(h, r);
		req_decide(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    make_simple("shutting down\n", 1));
		MHD_resume_connection(r->conn);
	}
	/* Give the responses decided so far a chance to go out; the sockets
	 * are non-blocking, so this is bounded. */
	for (int i = 0; i < HTTP_STOP_FLUSH_RUNS && h->nflush > 0; i++)
		MHD_run(h->d);

	if (h->io_ev)
		event_free(h->io_ev);
	if (h->timer_ev)
		event_free(h->timer_ev);
	if (h->kick_ev)
		event_free(h->kick_ev);
	MHD_stop_daemon(h->d);	/* completes every request left */
	if (lsock != MHD_INVALID_SOCKET)
		close(lsock);
	http_free_tls(h);
	free(h);
}

const char *
http_req_method(const struct http_req *r)
{
	return r->method;
}

const char *
http_req_path(const struct http_req *r)
{
	return r->path;
}

const char *
http_req_arg(const struct http_req *r, const char *name)
{
	if (r->conn == NULL)
		return NULL;
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct arg_count {
	const char	*name;
	const char	*value;
	size_t		 len;
	unsigned	 n;
};

static enum MHD_Result
arg_count_cb(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t key_size, const char *value, size_t value_size)
{
	struct arg_count *ac = cls;

	(void)kind;
	if (key == NULL || strlen(ac->name) != key_size ||
	    memcmp(ac->name, key, key_size) != 0)
		return MHD_YES;
	if (ac->n++ == 0) {
		ac->value = value ? value : "";
		ac->len = value ? value_size : 0;
	}
	return MHD_YES;
}

unsigned
http_req_arg_n(const struct http_req *r, const char *name,
    const char **value, size_t *len)
{
	struct arg_count ac = { name, NULL, 0, 0 };

	if (r->conn != NULL)
		MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND,
		    arg_count_cb, &ac);
	*value = ac.value;
	*len = ac.len;
	return ac.n;
}

void
http_req_set_header(struct http_req *r, const char *name, const char *value)
{
	if (r->n_hdrs == HTTP_MAX_HEADERS)
		return;
	r->hdr_name[r->n_hdrs] = xstrdup(name);
	r->hdr_value[r->n_hdrs] = xstrdup(value);
	r->n_hdrs++;
}

void
http_req_on_close(struct http_req *r, http_close_cb cb, void *arg)
{
	r->close_cb = cb;
	r->close_arg = arg;
}

const char *
http_req_header(const struct http_req *r, const char *name)
{
	if (r->conn == NULL)
		return NULL;
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const struct sockaddr *
http_req_client(const struct http_req *r)
{
	const union MHD_ConnectionInfo *ci;

	if (r->conn == NULL || (ci = MHD_get_connection_info(r->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS)) == NULL)
		return NULL;
	return ci->client_addr;
}

/* What the user answers: a buffer or a stream. */
struct answer {
	struct buf		*body;
	const struct http_stream *stream;
};

static void
answer_drop(const struct answer *a)
{
	if (a->body)
		buf_free(a->body);
	if (a->stream)
		a->stream->free(a->stream->arg);
}

static void
respond(struct http_req *r, unsigned status, const char *content_type,
    const struct answer *a)
{
	struct http *h = r->h;
	struct MHD_Response *resp;

	if (r->user_done || !r->handed) {
		log_msg(LOG_ERROR, "http_bug", "msg=\"request answered twice\"");
		answer_drop(a);
		return;
	}
	r->user_done = 1;
	if (r->mhd_done) {
		/* Orphaned: the client or the listener is gone. */
		answer_drop(a);
		req_free(r);
		return;
	}
	if (r->decided) {
		/* http_stop() answered it already; MHD still has it. */
		answer_drop(a);
		return;
	}
	resp = a->stream ? make_stream_response(content_type, a->stream) :
	    make_response(content_type, a->body);
	for (unsigned i = 0; resp != NULL && i < r->n_hdrs; i++)
		MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
	req_decide(r, status, resp);
	if (r->in_cb)
		return;		/* the access handler queues it on return */
	/* Suspended: resume, and have MHD run soon so that the next access
	 * handler call queues the response. */
	pending_unlink(h, r);
	MHD_resume_connection(r->conn);
	event_active(h->kick_ev, EV_TIMEOUT, 0);
}

void
http_req_respond(struct http_req *r, unsigned status,
    const char *content_type, struct buf *body)
{
	struct answer a = { body, NULL };

	respond(r, status, content_type, &a);
}

void
http_req_respond_stream(struct http_req *r, unsigned status,
    const char *content_type, const struct http_stream *src)
{
	struct answer a = { NULL, src };

	respond(r, status, content_type, &a);
}
