#include "collectors/session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"

/* The outcome is known before the goodbye: do not wait long for it. */
#define QUIT_WAIT_MS 2000

static void session_io(struct io *io, enum io_event ev, void *arg);

static void
session_free(struct session *s)
{
	io_free(s->io);
	probe_outcome_free(&s->out);
	free(s->ehlo_name);	/* our copies: see session_start() */
	free(s->dane_base);
	for (size_t i = 0; i < ARRAY_LEN(s->dane_names); i++)
		free(s->dane_names[i]);
	tlsa_set_free(&s->dane_tlsa);
	SSL_CTX_free(s->p.ssl_ctx);
	event_free(s->ev_start);
	if (s->proto_free)
		s->proto_free(s->proto);
	free(s);
}

/* Frees a finished session once no callback of ours is on the stack. */
static void
session_leave(struct session *s)
{
	if (--s->busy == 0 && s->finished)
		session_free(s);
}

static unsigned
time_left(const struct session *s)
{
	uint64_t spent = now_ms() - s->started_ms;

	return spent >= s->p.timeout_ms ? 1 : (unsigned)(s->p.timeout_ms - spent);
}

static void
charge_phase(struct session *s)
{
	enum probe_step step;

	if (s->state == s->ops->st_init)
		return;
	step = s->ops->state_step[s->state];
	s->out.phase_s[step] += (double)(now_ms() - s->state_ms) / 1000.0;
	s->out.phase_mask |= 1u << step;
}

void
session_done(struct session *s)
{
	if (s->finished)
		return;
	charge_phase(s);
	s->out.total_s = (double)(now_ms() - s->started_ms) / 1000.0;
	log_debug("session_state", "%s proto=%s from=%s to=done success=%d",
	    s->p.log_id, s->ops->name, s->ops->state_names[s->state],
	    s->out.success);
	s->finished = 1;
	io_free(s->io);		/* deferred when called from its callback */
	s->io = NULL;
	s->cb(&s->out, s->cb_arg);
}

static void __attribute__((format(printf, 3, 0)))
vfail(struct session *s, enum probe_reason reason, const char *fmt,
    va_list ap)
{
	char detail[PROBE_DETAIL_MAX];

	vsnprintf(detail, sizeof(detail), fmt, ap);
	probe_fail(&s->out, s->ops->state_step[s->state], reason, "%s", detail);
	log_debug("session_failed", "%s proto=%s state=%s reason=%s",
	    s->p.log_id, s->ops->name, s->ops->state_names[s->state],
	    probe_reason_name(reason));
}

/* After the goodbye the outcome is in: a broken last reply does not turn
 * it into a failure. */
static void __attribute__((format(printf, 5, 0)))
vfail_done(struct session *s, enum probe_reason reason, enum probe_cause cause,
    int alert, const char *fmt, va_list ap)
{
	if (s->state != s->ops->st_quit) {
		vfail(s, reason, fmt, ap);
		s->out.cause = cause;
		s->out.tls_alert = alert;
	}
	session_done(s);
}

void
session_fail(struct session *s, enum probe_reason reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_done(s, reason, CAUSE_NONE, -1, fmt, ap);
	va_end(ap);
}

/* A failure of the connection itself, classified here: the cause. */
__attribute__((format(printf, 4, 5)))
static void
session_fail_cause(struct session *s, enum probe_reason reason,
    enum probe_cause cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_done(s, reason, cause, -1, fmt, ap);
	va_end(ap);
}

/* A TLS failure, its cause and alert as the TLS layer saw them. */
__attribute__((format(printf, 2, 3)))
static void
session_fail_tls(struct session *s, const char *fmt, ...)
{
	int alert;
	enum probe_cause cause = probe_cause_of_tls(io_tls_fail(s->io), &alert);
	va_list ap;

	va_start(ap, fmt);
	vfail_done(s, REASON_TLS, cause, alert, fmt, ap);
	va_end(ap);
}

void
session_refuse(struct session *s, enum probe_reason reason,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(s, reason, fmt, ap);
	va_end(ap);
	session_enter(s, s->ops->st_quit);
}

void
session_enter(struct session *s, unsigned state)
{
	unsigned left;

	if (s->finished)
		return;
	charge_phase(s);
	log_debug("session_state", "%s proto=%s from=%s to=%s", s->p.log_id,
	    s->ops->name, s->ops->state_names[s->state],
	    s->ops->state_names[state]);
	s->state = state;
	s->state_ms = now_ms();
	left = time_left(s);
	io_set_timeout(s->io, state == s->ops->st_quit && left > QUIT_WAIT_MS ?
	    QUIT_WAIT_MS : left);
	s->ops->enter(s, state);
}

void
session_start_tls(struct session *s)
{
	SSL *ssl;

	if (io_datalen(s->io) > 0) {
		session_fail(s, REASON_PROTO, "%s",
		    "server sent data before the TLS handshake");
		return;
	}
	if ((ssl = probe_ssl_new(&s->p)) == NULL) {
		session_fail(s, REASON_INTERNAL, "%s", "SSL_new failed");
		return;
	}
	io_start_tls(s->io, ssl);
}

enum probe_step
session_step(const struct session *s)
{
	return s->ops->state_step[s->state];
}

int
session_tls_active(const struct session *s)
{
	return s->io && io_ssl(s->io) != NULL;
}

void
session_send(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	io_vprintf(s->io, fmt, ap);
	va_end(ap);
	io_write(s->io, "\r\n", 2);
}

static void
read_lines(struct session *s)
{
	char *line;
	size_t len;
	int toolong = 0;

	/* Lines already buffered belong to the state we are in when they are
	 * read; a handshake stops the reading, and what is left then is
	 * caught by session_start_tls(). */
	while (!s->finished && !io_handshaking(s->io) &&
	    (line = io_getline(s->io, s->p.linemax, &len, &toolong)) != NULL)
		s->ops->line(s, line, len);
	if (!s->finished && toolong)
		session_fail(s, REASON_PROTO, "%s", "line too long");
}

/* TCP is up: implicit TLS first (smtps, imaps, pop3s), else the server's
 * first words. */
static void
session_connected(struct session *s)
{
	if (!protocol_starttls(s->p.protocol)) {
		s->out.starttls_offered = 1;
		session_enter(s, s->ops->st_tls_implicit);
	} else
		session_enter(s, s->ops->st_greeting);
}

/* TLS is up (its facts in s->out.tls): after implicit TLS the server
 * speaks; after STARTTLS the probe has succeeded and says goodbye, which
 * in the injection test also shows what answers the injected command. */
static void
session_tls_ready(struct session *s)
{
	if (s->state == s->ops->st_tls_implicit) {
		session_enter(s, s->ops->st_greeting);
		return;
	}
	s->out.success = 1;
	s->inject_check = s->p.starttls_inject;
	session_enter(s, s->ops->st_quit);
}

static void
session_io(struct io *io, enum io_event ev, void *arg)
{
	struct session *s = arg;
	const char *what = "";
	enum probe_cause cause = CAUSE_NONE;

	(void)io;
	s->busy++;
	switch (ev) {
	case IO_CONNECTED:
		session_connected(s);
		break;
	case IO_TLSREADY:
		tls_inspect(io_ssl(s->io), s->p.servername, s->p.dane_tlsa,
		    &s->out.tls);
		session_tls_ready(s);
		break;
	case IO_DATAIN:
		read_lines(s);
		break;
	case IO_LOWAT:
		break;
	case IO_DISCONNECTED:
		what = "connection closed by server";
		cause = CAUSE_CLOSED;
		goto ended;
	case IO_TIMEOUT:
		if (s->state == s->ops->st_quit)
			session_done(s);
		else
			session_fail_cause(s, REASON_TIMEOUT, CAUSE_TIMEOUT,
			    "no answer in time in %s",
			    s->ops->state_names[s->state]);
		break;
	case IO_ERROR:
		what = io_error(s->io);
		cause = probe_cause_of_errno(io_errno(s->io));
		goto ended;
	case IO_TLSERROR:
		if (s->state == s->ops->st_quit)
			session_done(s);
		else
			session_fail_tls(s, "%s", io_error(s->io));
		break;
	}
	session_leave(s);
	return;
ended:
	/* After the goodbye a close is the normal end. */
	if (s->state == s->ops->st_quit)
		session_done(s);
	else
		session_fail_cause(s, REASON_CONN, cause, "%s", what);
	session_leave(s);
}

static void
session_start_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	s->busy++;
	log_debug("session_state", "%s proto=%s from=%s to=%s", s->p.log_id,
	    s->ops->name, s->ops->state_names[s->state],
	    s->ops->state_names[s->ops->st_connect]);
	s->state = s->ops->st_connect;
	s->state_ms = now_ms();
	/* No socket at all (EMFILE, ENOBUFS) is our side's shortage, not the
	 * peer's: reason internal; a connect() refused at once is conn. */
	if (io_connect(s->io, (struct sockaddr *)&s->p.addr, s->p.addrlen) == -1)
		session_fail_cause(s, io_fd(s->io) == -1 ? REASON_INTERNAL :
		    REASON_CONN, probe_cause_of_errno(io_errno(s->io)), "%s",
		    io_error(s->io));
	session_leave(s);
}

struct session *
session_start(struct event_base *base, const struct probe_params *p,
    const struct session_ops *ops, void *proto, void (*proto_free)(void *),
    probe_done_cb cb, void *arg)
{
	struct session *s = xcalloc(1, sizeof(*s));
	struct timeval now = { 0, 0 };

	s->ops = ops;
	s->proto = proto;
	s->proto_free = proto_free;
	s->p = *p;
	/* A SIGHUP reload frees the config and the TLS context these point
	 * into while sessions still wait for a banner: the session keeps its
	 * own copy of the EHLO name and its own reference to the context. */
	s->ehlo_name = p->ehlo_name ? xstrdup(p->ehlo_name) : NULL;
	s->p.ehlo_name = s->ehlo_name;
	/* So are the TLSA set and its names, from a result that a new run
	 * replaces. */
	tlsa_set_init(&s->dane_tlsa);
	s->p.dane_tlsa = NULL;
	s->p.dane_base = NULL;
	for (size_t i = 0; i < ARRAY_LEN(s->p.dane_names); i++)
		s->p.dane_names[i] = NULL;
	if (p->dane_tlsa != NULL) {
		tlsa_set_copy(&s->dane_tlsa, p->dane_tlsa);
		s->p.dane_tlsa = &s->dane_tlsa;
		s->dane_base = p->dane_base ? xstrdup(p->dane_base) : NULL;
		s->p.dane_base = s->dane_base;
		for (size_t i = 0; i < ARRAY_LEN(s->p.dane_names); i++)
			if (p->dane_names[i] != NULL) {
				s->dane_names[i] = xstrdup(p->dane_names[i]);
				s->p.dane_names[i] = s->dane_names[i];
			}
	}
	if (p->ssl_ctx != NULL)
		SSL_CTX_up_ref(p->ssl_ctx);
	s->cb = cb;
	s->cb_arg = arg;
	s->state = ops->st_init;
	s->started_ms = s->state_ms = now_ms();
	probe_outcome_init(&s->out);
	s->io = io_new(base, session_io, s);
	io_set_timeout(s->io, p->timeout_ms);
	s->ev_start = evtimer_new(base, session_start_cb, s);
	evtimer_add(s->ev_start, &now);
	return s;
}

void
session_cancel(struct session *s)
{
	if (s == NULL)
		return;
	if (s->busy) {		/* from inside our own callback chain */
		if (!s->finished) {
			s->finished = 1;
			io_free(s->io);
			s->io = NULL;
		}
		return;
	}
	if (!s->finished)
		io_free(s->io);
	s->io = NULL;
	session_free(s);
}
