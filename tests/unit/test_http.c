/* web/http.c against real sockets: a tiny non-blocking HTTP client made of
 * libevent bufferevents runs on the same loop as the server, so raw,
 * malformed and oversized requests can be sent without threads. */
#include "web/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "base/util.h"
#include "tests/unit/unit.h"

#define TEXT "text/plain; charset=utf-8"
#define WAIT_MS 20000	/* per step; generous for valgrind */

static struct event_base *base;
static int magic;		/* its address is the handler's arg */

/* --- the handler under test ------------------------------------------ */

static int handler_calls;
static int handler_bad_arg;
static char last_method[16];
static struct http_req *held;	/* "/hold": answered by the test itself */
static int delayed_live;	/* "/async" requests not answered yet */

struct delayed {
	struct http_req	*req;
	struct event	*ev;
};

static void
respond_text(struct http_req *r, unsigned status, const char *text)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, text);
	http_req_respond(r, status, TEXT, &b);
	CHECK(b.data == NULL && b.len == 0);	/* taken */
}

static void
delayed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct delayed *d = arg;
	const char *n = http_req_arg(d->req, "n");
	struct buf b;

	(void)fd;
	(void)what;
	buf_init(&b);
	buf_printf(&b, "async %s\n", n ? n : "-");
	http_req_respond(d->req, 200, TEXT, &b);
	event_free(d->ev);
	free(d);
	delayed_live--;
}

static void
handler(struct http_req *r, void *arg)
{
	const char *path = http_req_path(r);

	handler_calls++;
	if (arg != &magic)
		handler_bad_arg++;
	snprintf(last_method, sizeof(last_method), "%s", http_req_method(r));
	if (strcmp(path, "/x") == 0) {
		respond_text(r, 200, "hello\n");
	} else if (strcmp(path, "/args") == 0) {
		const char *a = http_req_arg(r, "a"), *b = http_req_arg(r, "b");
		const char *hv = http_req_header(r, "X-Test");
		const char *hc = http_req_header(r, "x-test");	/* any case */
		const char *none = http_req_arg(r, "none");
		const char *nh = http_req_header(r, "X-None");
		struct buf body;

		buf_init(&body);
		buf_printf(&body, "a=%s b=%s h=%s hc=%s none=%s nh=%s\n",
		    a ? a : "(null)", b ? b : "(null)", hv ? hv : "(null)",
		    hc ? hc : "(null)", none ? none : "(null)",
		    nh ? nh : "(null)");
		http_req_respond(r, 200, "text/x-args", &body);
	} else if (strcmp(path, "/empty") == 0) {
		struct buf body;

		buf_init(&body);
		http_req_respond(r, 204, NULL, &body);
	} else if (strcmp(path, "/async") == 0) {
		struct delayed *d = xcalloc(1, sizeof(*d));
		struct timeval tv = { 0, 50 * 1000 };

		d->req = r;
		d->ev = evtimer_new(base, delayed_cb, d);
		evtimer_add(d->ev, &tv);
		delayed_live++;
	} else if (strcmp(path, "/hold") == 0) {
		CHECK(held == NULL);
		held = r;
	} else {
		respond_text(r, 404, "not found\n");
	}
}

/* --- the client ------------------------------------------------------- */

struct client {
	struct bufferevent	*bev;
	struct buf		 resp;
	int			 started;
	int			 done;	/* EOF, error or aborted */
	int			 error;
};

static void
client_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n = evbuffer_get_length(in);

	if (n == 0)
		return;
	buf_reserve(&c->resp, n);
	evbuffer_remove(in, c->resp.data + c->resp.len, n);
	c->resp.len += n;
	c->resp.data[c->resp.len] = '\0';
}

static void
client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	client_read(bev, c);
	if (what & BEV_EVENT_ERROR)
		c->error = 1;
	c->done = 1;
	bufferevent_free(bev);
	c->bev = NULL;
}

static void
client_start_af(struct client *c, int af, uint16_t port, const char *raw,
    size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	memset(c, 0, sizeof(*c));
	buf_init(&c->resp);
	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_loopback;
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*s4);
	}
	c->started = 1;
	c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, client_read, NULL, client_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (len)
		bufferevent_write(c->bev, raw, len);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&ss,
	    (int)sl) != 0) {
		/* bufferevent_socket_connect frees nothing; we do */
		bufferevent_free(c->bev);
		c->bev = NULL;
		c->done = c->error = 1;
	}
}

static void
client_start(struct client *c, uint16_t port, const char *raw)
{
	client_start_af(c, AF_INET, port, raw, strlen(raw));
}

/* Hangs up now, whatever the state. */
static void
client_abort(struct client *c)
{
	if (c->bev) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	c->done = 1;
}

static void
client_free(struct client *c)
{
	client_abort(c);
	buf_free(&c->resp);
}

/* --- running the loop, bounded ---------------------------------------- */

static int
loop_until(int (*cond)(void *), void *arg, unsigned ms)
{
	uint64_t deadline = now_ms() + ms;

	while (cond == NULL || !cond(arg)) {
		if (now_ms() >= deadline)
			return cond == NULL;
		event_base_loop(base, EVLOOP_ONCE);
	}
	return 1;
}

static void
settle(unsigned ms)
{
	loop_until(NULL, NULL, ms);
}

struct clients {
	struct client	*c;
	size_t		 n;
};

static int
all_done(void *arg)
{
	const struct clients *cs = arg;

	for (size_t i = 0; i < cs->n; i++)
		if (!cs->c[i].done)
			return 0;
	return 1;
}

static int
wait_client(struct client *c)
{
	struct clients cs = { c, 1 };
	int ok = loop_until(all_done, &cs, WAIT_MS);

	if (!ok)
		fprintf(stderr, "timed out waiting for a client\n");
	return ok;
}

static int
have_held(void *arg)
{
	(void)arg;
	return held != NULL;
}

/* --- reading responses ------------------------------------------------ */

/* The status line of the first response, "" when none. */
static const char *
status_line(const struct client *c, char *out, size_t outlen)
{
	const char *s = c->resp.data ? c->resp.data : "";
	const char *e = strstr(s, "\r\n");
	size_t n = e ? (size_t)(e - s) : 0;

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

/* A header of the first response, NULL when absent. */
static const char *
header(const struct client *c, const char *name, char *out, size_t outlen)
{
	const char *s = c->resp.data ? c->resp.data : "";
	const char *end = strstr(s, "\r\n\r\n");
	const char *line = strstr(s, "\r\n");
	size_t nl = strlen(name);

	if (end == NULL || line == NULL)
		return NULL;
	for (line += 2; line < end; line = strstr(line, "\r\n") + 2) {
		const char *eol = strstr(line, "\r\n");

		if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *v = line + nl + 1;
			size_t n;

			while (*v == ' ')
				v++;
			n = (size_t)(eol - v);
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return out;
		}
	}
	return NULL;
}

static const char *
body(const struct client *c)
{
	const char *s = c->resp.data ? c->resp.data : "";
	const char *end = strstr(s, "\r\n\r\n");

	return end ? end + 4 : NULL;
}

static int
count_str(const char *hay, const char *needle)
{
	int n = 0;

	if (hay == NULL)
		return 0;
	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* --- the cases -------------------------------------------------------- */

static void
test_start_errors(void)
{
	struct http_params p = { .host = "not-an-address", .port = 0 };
	char err[256] = "";
	struct http *h;

	CHECK(http_start(base, &p, handler, &magic, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not-an-address") != NULL);
	p.host = NULL;
	err[0] = '\0';
	CHECK(http_start(base, &p, handler, &magic, err, sizeof(err)) == NULL);
	CHECK(err[0] != '\0');

	/* The port is taken. */
	p.host = "127.0.0.1";
	h = http_start(base, &p, handler, &magic, err, sizeof(err));
	CHECK(h != NULL);
	if (h) {
		struct http *h2;

		p.port = http_port(h);
		err[0] = '\0';
		h2 = http_start(base, &p, handler, &magic, err, sizeof(err));
		CHECK(h2 == NULL);
		CHECK(strstr(err, "cannot listen") != NULL);
		http_stop(h2);
		http_stop(h);	/* nothing pending */
	}
	http_stop(NULL);
}

static void
test_get_head(uint16_t port)
{
	struct client c;
	char st[128], hv[256];
	int calls = handler_calls;

	client_start(&c, port,
	    "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	CHECK(wait_client(&c));
	CHECK_STR(status_line(&c, st, sizeof(st)), "HTTP/1.1 200 OK");
	CHECK_STR(header(&c, "Content-Type", hv, sizeof(hv)), TEXT);
	CHECK_STR(header(&c, "Cache-Control", hv, sizeof(hv)), "no-store");
	CHECK_STR(header(&c, "Content-Length", hv, sizeof(hv)), "6");
	CHECK_STR(body(&c), "hello\n");
	CHECK_INT(handler_calls, calls + 1);
	CHECK_STR(last_method, "GET");
	client_free(&c);

	client_start(&c, port,
	    "HEAD /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	CHECK(wait_client(&c));
	CHECK_STR(status_line(&c, st, sizeof(st)), "HTTP/1.1 200 OK");
	CHECK_STR(header(&c, "Content-Type", hv, sizeof(hv)), TEXT);
	CHECK_STR(header(&c, "Cache-Control", hv, sizeof(hv)), "no-store");
	CHECK_STR(body(&c), "");
	CHECK_INT(handler_calls, calls + 2);
	CHECK_STR(last_method, "HEAD");
	client_free(&c);

	/* HTTP/1.0, no Host, no Connection header: closed after the answer
	 * (which MHD labels with its own version). */
	client_start(&c, port, "GET /x HTTP/1.0\r\n\r\n");
	CHECK(wait_client(&c));
	CHECK_STR(status_line(&c, st, sizeof(st)), "HTTP/1.1 200 OK");
	CHECK_STR(body(&c), "hello\n");
	client_free(&c);

	/* An empty body and no content type: only Cache-Control is ours. */
	client_start(&c, port,
	    "GET /empty HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	CHECK(wait_client(&c));
	CHECK_STR(status_line(&c, st, sizeof(st)), "HTTP/1.1 204 No Content");
	CHECK(header(&c, "Content-Type", hv, sizeof(hv)) == NULL);
	CHECK_STR(header(&c, "Cache-Control", hv, sizeof(hv)), "no-store");
	CHECK_STR(body(&c), "");
	client_free(&c);

	/* Unknown path: the handler's own 404. */
	client_start(&c, port,
	    "GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	CHECK(wait_client(&c));
	CHECK_STR(status_line(&c, st, sizeof(st)), "HTTP/1.1 404 Not Found");
	CHECK_STR(body(&c), "not found\n");
	client_free(&c);
}

static void
test_methods_and_bodies(uint16_t port)
{
	static const char *const no_body[] = {
		("POST /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
		("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n"),
		("DELETE /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
		("OPTIONS * HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
	};
	static const char *const with_body[] = {
		("GET /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
		    "Connection: close\r\n\r\nhello"),
		("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n"
		    "Content-Type: application/x-www-form-urlencoded\r\n"
		    "Connection: close\r\n\r\na=1&b=2&c=3"),
		("GET /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
		    "Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
		/* announced but never sent: answered without waiting */
		("GET /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n"
		    "Connection: close\r\n\r\nabc"),
	};
	int calls = handler_calls;
	char st[128], hv[256];

	for (size_t i = 0; i < ARRAY_LEN(no_body); i++) {
		struct client c;

		client_start(&c, port, no_body[i]);
		CHECK(wait_client(&c));
		CHECK_STR(status_line(&c, st, sizeof(st)),
		    "HTTP/1.1 405 Method Not Allowed");
		CHECK_STR(header(&c, "Allow", hv, sizeof(hv)), "GET, HEAD");
		CHECK_STR(header(&c, "Content-Type", hv, sizeof(hv)), TEXT);
		CHECK_STR(header(&c, "Cache-Control", hv, sizeof(hv)),
		    "no-store");
		CHECK_STR(body(&c), "method not allowed\n");
		client_free(&c);
	}
	for (size_t i = 0; i < ARRAY_LEN(with_body); i++) {
		struct client c;

		client_start(&c, port, with_body[i]);
		CHECK(wait_client(&c));
		CHECK_STR(status_line(&c, st, sizeof(st)),
		    "HTTP/1.1 413 Content Too Large");
		CHECK_STR(header(&c, "Content-Type", hv, sizeof(hv)), TEXT);
		CHECK_STR(header(&c, "Cache-Control", hv, sizeof(hv)),
		    "no-store");
		CHECK_STR(header(&c, "Connection", hv, sizeof(hv)), "close");
		CHECK_STR(body(&c), "request body not accepted\n");
		client_free(&c);
	}
	CHECK_INT(handler_calls, calls);
}

static void
test_args_headers(uint16_t port)
{
	struct client c;
	char st[128], hv[256];

	client_start(&c, port,
	    "GET /args?a=1&b=x%20y HTTP/1.1\r\nHost: t\r\nX-Test: hi there\r\n"
	    "Connection: close\r\n\r\n");
	CHECK(wait_client(&c));
	CHECK_STR(status_line(&c, st, sizeof(st)), "HTTP/1.1 200 OK");
	CHECK_STR(header(&c, "Content-Type", hv, sizeof(hv)), "text/x-args");
	CHECK_STR(header(&c, "Cache-Control", hv, sizeof(hv)), "no-store");
	CHECK_STR(body(&c),
	    "a=1 b=x y h=hi there hc=hi there none=(null) nh=(null)\n");
	client_free(&c);
}

static void
test_async(uint16_t port)
{
	struct client c;
	char st[128], hv[256];
	uint64_t t0 = now_ms();

	client_start(&c, port,
	    "GET /async?n=7 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	CHECK(wait_client(&c));
	CHECK(now_ms() - t0 >= 45);
	CHECK_STR(status_line(&c, st, sizeof(st)), "HTTP/1.1 200 OK");
	CHECK_STR(header(&c, "Content-Type", hv, sizeof(hv)), TEXT);
	CHECK_STR(header(&c, "Cache-Control", hv, sizeof(hv)), "no-store");
	CHECK_STR(body(&c), "async 7\n");
	CHECK_INT(delayed_live, 0);
	client_free(&c);
}

/* Keep-alive: two pipelined requests, one sync and one async, then a third
 * closing the connection. */
static void
test_keepalive(uint16_t port)
{
	struct client c;
	char st[128];
	const char *b1, *b2;

	client_start(&c, port,
	    "GET /x HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /async?n=2 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "HEAD /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	CHECK(wait_client(&c));
	CHECK_STR(status_line(&c, st, sizeof(st)), "HTTP/1.1 200 OK");
	CHECK_INT(count_str(c.resp.data, "HTTP/1.1 200 OK\r\n"), 3);
	CHECK_INT(count_str(c.resp.data, "Cache-Control: no-store\r\n"), 3);
	b1 = strstr(c.resp.data ? c.resp.data : "", "hello\n");
	b2 = strstr(c.resp.data ? c.resp.data : "", "async 2\n");
	CHECK(b1 != NULL && b2 != NULL && b1 < b2);
	client_free(&c);
}

static void
test_disconnect_while_suspended(uint16_t port)
{
	struct client c, c2;
	char st[128];
	struct buf b;

	held = NULL;
	client_start(&c, port,
	    "GET /hold HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	CHECK(loop_until(have_held, NULL, WAIT_MS));
	client_abort(&c);	/* gone while its request is suspended */
	settle(30);
	if (held) {
		/* Answering now: a write to a closed peer, then freed. */
		CHECK_STR(http_req_path(held), "/hold");
		buf_init(&b);
		buf_puts(&b, "late\n");
		http_req_respond(held, 200, TEXT, &b);
		held = NULL;
	}
	settle(50);
	client_free(&c);

	/* A large late answer to a vanished client, too. */
	client_start(&c, port,
	    "GET /hold HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	CHECK(loop_until(have_held, NULL, WAIT_MS));
	client_abort(&c);
	settle(10);
	if (held) {
		buf_init(&b);
		for (int i = 0; i < 20000; i++)
			buf_puts(&b, "0123456789abcdef\n");
		http_req_respond(held, 200, TEXT, &b);
		held = NULL;
	}
	settle(50);
	client_free(&c);

	/* The server goes on. */
	client_start(&c2, port,
	    "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	CHECK(wait_client(&c2));
	CHECK_STR(status_line(&c2, st, sizeof(st)), "HTTP/1.1 200 OK");
	client_free(&c2);
}

static int
rejected_status(const char *st)
{
	return st[0] == '\0' || strncmp(st, "HTTP/1.1 431 ", 13) == 0 ||
	    strncmp(st, "HTTP/1.1 400 ", 13) == 0 ||
	    strncmp(st, "HTTP/1.1 413 ", 13) == 0 ||
	    strncmp(st, "HTTP/1.1 414 ", 13) == 0;
}

static void
test_oversized_and_malformed(uint16_t port)
{
	struct client c;
	struct buf req;
	char st[128];
	int calls = handler_calls;

	/* A 100 KB header. */
	buf_init(&req);
	buf_puts(&req, "GET /x HTTP/1.1\r\nHost: t\r\nX-Big: ");
	for (int i = 0; i < 100 * 1024; i++)
		buf_putc(&req, 'a');
	buf_puts(&req, "\r\nConnection: close\r\n\r\n");
	client_start_af(&c, AF_INET, port, req.data, req.len);
	CHECK(wait_client(&c));
	status_line(&c, st, sizeof(st));
	if (getenv("TEST_HTTP_VERBOSE"))
		fprintf(stderr, "100 KB header: \"%s\" error=%d\n", st, c.error);
	if (!rejected_status(st))
		fprintf(stderr, "100 KB header: got \"%s\"\n", st);
	CHECK(rejected_status(st));
	CHECK(strncmp(st, "HTTP/1.1 200", 12) != 0);
	client_free(&c);

	/* A 40 KB URL. */
	buf_reset(&req);
	buf_puts(&req, "GET /");
	for (int i = 0; i < 40 * 1024; i++)
		buf_putc(&req, 'u');
	buf_puts(&req, " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	client_start_af(&c, AF_INET, port, req.data, req.len);
	CHECK(wait_client(&c));
	status_line(&c, st, sizeof(st));
	if (getenv("TEST_HTTP_VERBOSE"))
		fprintf(stderr, "40 KB URL: \"%s\" error=%d\n", st, c.error);
	if (!rejected_status(st))
		fprintf(stderr, "40 KB URL: got \"%s\"\n", st);
	CHECK(rejected_status(st));
	client_free(&c);
	buf_free(&req);

	/* Not HTTP at all. */
	client_start(&c, port, "HELLO\r\n\r\n");
	CHECK(wait_client(&c));
	status_line(&c, st, sizeof(st));
	if (!rejected_status(st))
		fprintf(stderr, "garbage: got \"%s\"\n", st);
	CHECK(rejected_status(st));
	client_free(&c);

	/* HTTP/1.1 without Host: MHD 0.9.75 is lenient by default and lets it
	 * through; stricter versions answer 400. */
	client_start(&c, port, "GET /x HTTP/1.1\r\nConnection: close\r\n\r\n");
	CHECK(wait_client(&c));
	status_line(&c, st, sizeof(st));
	CHECK(strcmp(st, "HTTP/1.1 200 OK") == 0 ||
	    strcmp(st, "HTTP/1.1 400 Bad Request") == 0);
	if (strcmp(st, "HTTP/1.1 200 OK") == 0)
		calls++;
	client_free(&c);

	/* A header line without a colon. */
	client_start(&c, port,
	    "GET /x HTTP/1.1\r\nHost: t\r\nno colon here\r\n"
	    "Connection: close\r\n\r\n");
	CHECK(wait_client(&c));
	status_line(&c, st, sizeof(st));
	if (getenv("TEST_HTTP_VERBOSE"))
		fprintf(stderr, "no colon: \"%s\"\n", st);
	/* MHD may skip such a line (then it is a normal 200) or refuse. */
	CHECK(rejected_status(st) || strcmp(st, "HTTP/1.1 200 OK") == 0);
	if (strcmp(st, "HTTP/1.1 200 OK") == 0)
		calls++;
	client_free(&c);

	CHECK_INT(handler_calls, calls);
}

static void
test_concurrent(uint16_t port)
{
	enum { N = 50 };
	struct client cs[N];
	struct clients all = { cs, N };
	char req[128], want[32], st[128];
	int calls = handler_calls, ok = 0;

	for (int i = 0; i < N; i++) {
		snprintf(req, sizeof(req), "GET /async?n=%d HTTP/1.1\r\n"
		    "Host: t\r\nConnection: close\r\n\r\n", i);
		client_start(&cs[i], port, req);
	}
	CHECK(loop_until(all_done, &all, WAIT_MS));
	for (int i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "async %d\n", i);
		if (strcmp(status_line(&cs[i], st, sizeof(st)),
		    "HTTP/1.1 200 OK") == 0 && body(&cs[i]) != NULL &&
		    strcmp(body(&cs[i]), want) == 0)
			ok++;
		client_free(&cs[i]);
	}
	CHECK_INT(ok, N);
	CHECK_INT(handler_calls, calls + N);
	CHECK_INT(delayed_live, 0);
}

/* The idle timeout is enforced through the timer armed from
 * MHD_get_timeout(): a half-sent request is dropped after 1 s. */
static void
test_idle_timeout(void)
{
	struct http_params p = { .host = "127.0.0.1", .timeout_s = 1 };
	struct client c;
	char err[256];
	struct http *h;
	uint64_t t0;
	int calls = handler_calls;

	h = http_start(base, &p, handler, &magic, err, sizeof(err));
	CHECK(h != NULL);
	if (h == NULL)
		return;
	t0 = now_ms();
	client_start(&c, http_port(h), "GET /x HTTP/1.1\r\nHost: t\r\n");
	CHECK(wait_client(&c));
	CHECK(now_ms() - t0 >= 900);
	CHECK(now_ms() - t0 < 5000);
	CHECK(strncmp(c.resp.data ? c.resp.data : "", "HTTP/1.1 200", 12) != 0);
	CHECK_INT(handler_calls, calls);
	client_free(&c);
	http_stop(h);
}

static void
test_ipv6(void)
{
	static const char *const hosts[] = { "::1", "::" };

	for (size_t i = 0; i < ARRAY_LEN(hosts); i++) {
		struct http_params p = { .host = hosts[i] };
		struct client c;
		char err[256], st[128];
		struct http *h;

		h = http_start(base, &p, handler, &magic, err, sizeof(err));
		if (h == NULL) {
			fprintf(stderr, "skipping IPv6 %s: %s\n", hosts[i], err);
			continue;
		}
		CHECK(http_port(h) != 0);
		client_start_af(&c, AF_INET6, http_port(h),
		    "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
		    strlen("GET /x HTTP/1.1\r\nHost: t\r\n"
		    "Connection: close\r\n\r\n"));
		CHECK(wait_client(&c));
		CHECK_STR(status_line(&c, st, sizeof(st)), "HTTP/1.1 200 OK");
		client_free(&c);
		if (strcmp(hosts[i], "::") == 0) {
			/* Dual stack: IPv4 too. */
			client_start(&c, http_port(h), "GET /x HTTP/1.1\r\n"
			    "Host: t\r\nConnection: close\r\n\r\n");
			CHECK(wait_client(&c));
			CHECK_STR(status_line(&c, st, sizeof(st)),
			    "HTTP/1.1 200 OK");
			client_free(&c);
		}
		http_stop(h);
	}
}

static void
test_stop_with_pending(struct http *h, uint16_t port)
{
	struct client c, idle, after;
	char st[128], hv[256];
	struct buf b;

	held = NULL;
	client_start(&c, port,
	    "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n");	/* keep-alive */
	/* And a connection that never sends anything. */
	client_start(&idle, port, "");
	CHECK(loop_until(have_held, NULL, WAIT_MS));
	settle(10);

	http_stop(h);

	CHECK(wait_client(&c));
	CHECK(wait_client(&idle));
	CHECK_STR(status_line(&c, st, sizeof(st)),
	    "HTTP/1.1 503 Service Unavailable");
	CHECK_STR(header(&c, "Cache-Control", hv, sizeof(hv)), "no-store");
	CHECK_STR(header(&c, "Content-Type", hv, sizeof(hv)), TEXT);
	CHECK_STR(body(&c), "shutting down\n");
	CHECK_INT(idle.resp.len, 0);

	/* The handler still holds its request: still readable, and
	 * answering it now only frees it. */
	if (held) {
		CHECK_STR(http_req_path(held), "/hold");
		CHECK_STR(http_req_method(held), "GET");
		CHECK(http_req_arg(held, "a") == NULL);
		CHECK(http_req_header(held, "Host") == NULL);
		buf_init(&b);
		buf_puts(&b, "too late\n");
		http_req_respond(held, 200, TEXT, &b);
		CHECK(b.data == NULL);
		held = NULL;
	}
	client_free(&c);
	client_free(&idle);

	/* Nobody listens any more. */
	client_start(&after, port,
	    "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	CHECK(wait_client(&after));
	CHECK(after.error);
	CHECK_INT(after.resp.len, 0);
	client_free(&after);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int
main(void)
{
	struct http_params p = {
		.host = "127.0.0.1",
		.port = 0,
		.per_ip_connections = 64,	/* 50 concurrent clients */
	};
	struct event *tick;
	struct timeval tv = { 0, 20 * 1000 };
	char err[256] = "";
	struct http *h;
	uint16_t port;

	signal(SIGPIPE, SIG_IGN);
	alarm(600);	/* last resort: a hang fails instead */
	base = event_base_new();
	CHECK(base != NULL);
	if (base == NULL)
		return unit_done("test_http");
	/* Keeps EVLOOP_ONCE from blocking for long, so deadlines hold. */
	tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(tick, &tv);

	test_start_errors();

	h = http_start(base, &p, handler, &magic, err, sizeof(err));
	if (h == NULL)
		fprintf(stderr, "http_start: %s\n", err);
	CHECK(h != NULL);
	if (h != NULL) {
		port = http_port(h);
		CHECK(port != 0);
		test_get_head(port);
		test_methods_and_bodies(port);
		test_args_headers(port);
		test_async(port);
		test_keepalive(port);
		test_disconnect_while_suspended(port);
		test_oversized_and_malformed(port);
		test_concurrent(port);
		test_stop_with_pending(h, port);
	}
	test_idle_timeout();
	test_ipv6();
	CHECK_INT(handler_bad_arg, 0);
	CHECK_INT(delayed_live, 0);

	event_free(tick);
	event_base_free(base);
	libevent_global_shutdown();
	return unit_done("test_http");
}
