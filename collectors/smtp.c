/* One SMTP probe session as an explicit state machine.  Each state has an
 * entry action (smtp_enter_state) and every reply goes through one handler
 * (smtp_response); transitions are logged by name. */
#include "collectors/smtp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/io.h"
#include "collectors/smtp_reply.h"
#include "daemon/log.h"
#include "daemon/util.h"

#define QUIT_WAIT_MS 2000

enum smtp_state {
	SMTP_INIT,
	SMTP_CONNECT,
	SMTP_TLS_IMPLICIT,	/* smtps: TLS before the banner */
	SMTP_BANNER,
	SMTP_EHLO,
	SMTP_STARTTLS,
	SMTP_TLS_HANDSHAKE,
	SMTP_QUIT,
	SMTP_DONE,
	SMTP__COUNT
};

static const char *const smtp_state_names[SMTP__COUNT] = {
	[SMTP_INIT] = "init",
	[SMTP_CONNECT] = "connect",
	[SMTP_TLS_IMPLICIT] = "tls_implicit",
	[SMTP_BANNER] = "banner",
	[SMTP_EHLO] = "ehlo",
	[SMTP_STARTTLS] = "starttls",
	[SMTP_TLS_HANDSHAKE] = "tls_handshake",
	[SMTP_QUIT] = "quit",
	[SMTP_DONE] = "done",
};

/* The step (phase label) each state's time is charged to. */
static const enum probe_step smtp_state_step[SMTP__COUNT] = {
	[SMTP_INIT] = STEP_CONNECT,
	[SMTP_CONNECT] = STEP_CONNECT,
	[SMTP_TLS_IMPLICIT] = STEP_TLS_HANDSHAKE,
	[SMTP_BANNER] = STEP_BANNER,
	[SMTP_EHLO] = STEP_EHLO,
	[SMTP_STARTTLS] = STEP_STARTTLS,
	[SMTP_TLS_HANDSHAKE] = STEP_TLS_HANDSHAKE,
	[SMTP_QUIT] = STEP_QUIT,
	[SMTP_DONE] = STEP_QUIT,
};

struct smtp_session {
	struct event_base	*base;
	struct probe_params	 p;
	probe_done_cb		 cb;
	void			*cb_arg;
	struct io		*io;
	struct event		*ev_start;
	enum smtp_state		 state;
	uint64_t		 started_ms;
	uint64_t		 state_ms;	/* when the current state began */
	struct smtp_reply	 reply;
	struct smtp_ehlo	 ehlo;
	struct probe_outcome	 out;
};

static void smtp_enter_state(struct smtp_session *s, enum smtp_state st);
static void smtp_failed(struct smtp_session *s, enum probe_reason reason,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void smtp_io(struct io *io, enum io_event ev, void *arg);

static unsigned
smtp_time_left(const struct smtp_session *s)
{
	uint64_t spent = now_ms() - s->started_ms;

	return spent >= s->p.timeout_ms ? 1 : (unsigned)(s->p.timeout_ms - spent);
}

static void
smtp_charge_phase(struct smtp_session *s)
{
	enum probe_step step = smtp_state_step[s->state];

	if (s->state == SMTP_INIT || s->state == SMTP_DONE)
		return;
	s->out.phase_s[step] += (double)(now_ms() - s->state_ms) / 1000.0;
	s->out.phase_mask |= 1u << step;
}

/* Ends the session: reports the outcome, then frees everything.  Callers
 * return right after. */
static void
smtp_done(struct smtp_session *s)
{
	smtp_charge_phase(s);
	s->out.total_s = (double)(now_ms() - s->started_ms) / 1000.0;
	log_debug("smtp_state", "%s from=%s to=done success=%d", s->p.log_id,
	    smtp_state_names[s->state], s->out.success);
	s->state = SMTP_DONE;
	s->cb(&s->out, s->cb_arg);
	smtp_session_cancel(s);
}

static void
smtp_failed(struct smtp_session *s, enum probe_reason reason,
    const char *fmt, ...)
{
	char detail[sizeof(s->out.detail)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	probe_fail(&s->out, smtp_state_step[s->state], reason, "%s", detail);
	log_debug("smtp_failed", "%s state=%s reason=%s", s->p.log_id,
	    smtp_state_names[s->state], probe_reason_name(reason));
	smtp_done(s);
}

/* A refusal ends the session politely: the outcome is set, then QUIT. */
static void __attribute__((format(printf, 3, 4)))
smtp_refused(struct smtp_session *s, enum probe_reason reason,
    const char *fmt, ...)
{
	char detail[sizeof(s->out.detail)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	probe_fail(&s->out, smtp_state_step[s->state], reason, "%s", detail);
	log_debug("smtp_refused", "%s state=%s reason=%s", s->p.log_id,
	    smtp_state_names[s->state], probe_reason_name(reason));
	smtp_enter_state(s, SMTP_QUIT);
}

static void
smtp_enter_state(struct smtp_session *s, enum smtp_state st)
{
	SSL *ssl;

	smtp_charge_phase(s);
	log_debug("smtp_state", "%s from=%s to=%s", s->p.log_id,
	    smtp_state_names[s->state], smtp_state_names[st]);
	s->state = st;
	s->state_ms = now_ms();
	/* The outcome is known before QUIT: do not wait long for the 221. */
	io_set_timeout(s->io, st == SMTP_QUIT && smtp_time_left(s) > QUIT_WAIT_MS ?
	    QUIT_WAIT_MS : smtp_time_left(s));
	smtp_reply_reset(&s->reply);

	switch (st) {
	case SMTP_CONNECT:
		if (io_connect(s->io, (struct sockaddr *)&s->p.addr,
		    s->p.addrlen) == -1)
			smtp_failed(s, REASON_CONN, "%s", io_error(s->io));
		break;
	case SMTP_TLS_IMPLICIT:
	case SMTP_TLS_HANDSHAKE:
		/* Bytes already buffered would be plain text smuggled in
		 * before TLS (the STARTTLS injection flaw). */
		if (io_datalen(s->io) > 0) {
			smtp_failed(s, REASON_PROTO, "%s",
			    "server sent data before the TLS handshake");
			break;
		}
		if ((ssl = probe_ssl_new(s->p.ssl_ctx, s->p.servername)) == NULL) {
			smtp_failed(s, REASON_INTERNAL, "%s", "SSL_new failed");
			break;
		}
		io_start_tls(s->io, ssl);
		break;
	case SMTP_BANNER:
		break;		/* the server speaks first */
	case SMTP_EHLO:
		io_printf(s->io, "EHLO %s\r\n", s->p.ehlo_name);
		break;
	case SMTP_STARTTLS:
		io_printf(s->io, "STARTTLS\r\n");
		break;
	case SMTP_QUIT:
		io_printf(s->io, "QUIT\r\n");
		break;
	case SMTP_INIT:
	case SMTP_DONE:
	case SMTP__COUNT:
		break;
	}
}

/* A complete reply in the current state. */
static void
smtp_response(struct smtp_session *s)
{
	const struct smtp_reply *r = &s->reply;
	char first[120];

	snprintf(first, sizeof(first), "%d %.*s", r->code,
	    (int)strcspn(r->text.data ? r->text.data : "", "\n"),
	    r->text.data ? r->text.data : "");

	switch (s->state) {
	case SMTP_BANNER:
		if (r->code != 220) {
			smtp_refused(s, REASON_RESP, "banner: %s", first);
			return;
		}
		smtp_enter_state(s, SMTP_EHLO);
		return;
	case SMTP_EHLO:
		if (r->code != 250) {
			smtp_refused(s, REASON_RESP, "EHLO refused: %s", first);
			return;
		}
		if (io_ssl(s->io)) {	/* smtps: nothing more to learn */
			s->out.success = 1;
			smtp_enter_state(s, SMTP_QUIT);
			return;
		}
		smtp_ehlo_parse(r, &s->ehlo);
		s->out.starttls_offered = s->ehlo.starttls;
		if (!s->ehlo.starttls) {
			smtp_refused(s, REASON_STARTTLS_MISSING, "%s",
			    "STARTTLS not in the EHLO reply");
			return;
		}
		smtp_enter_state(s, SMTP_STARTTLS);
		return;
	case SMTP_STARTTLS:
		if (r->code != 220) {
			smtp_refused(s, REASON_RESP, "STARTTLS refused: %s", first);
			return;
		}
		smtp_enter_state(s, SMTP_TLS_HANDSHAKE);
		return;
	case SMTP_QUIT:
		smtp_done(s);
		return;
	default:
		smtp_failed(s, REASON_PROTO, "unexpected reply: %s", first);
		return;
	}
}

static void
smtp_read_replies(struct smtp_session *s)
{
	enum smtp_state st = s->state;
	char *line;
	size_t len;
	int toolong;

	while ((line = io_getline(s->io, s->p.linemax, &len, &toolong))) {
		switch (smtp_reply_feed(&s->reply, line, len)) {
		case REPLY_MORE:
			continue;
		case REPLY_ERROR:
			smtp_failed(s, REASON_PROTO, "%s", s->reply.err);
			return;
		case REPLY_DONE:
			smtp_response(s);
			/* A new state wants its own reply; it reads on the
			 * next event.  Pipelined junk stays buffered and is
			 * caught before TLS. */
			return;
		}
		(void)st;
	}
	if (toolong)
		smtp_failed(s, REASON_PROTO, "%s", "reply line too long");
}

static void
smtp_io(struct io *io, enum io_event ev, void *arg)
{
	struct smtp_session *s = arg;

	(void)io;
	switch (ev) {
	case IO_CONNECTED:
		if (s->p.protocol == PROTO_SMTPS) {
			s->out.starttls_offered = 1;
			smtp_enter_state(s, SMTP_TLS_IMPLICIT);
		} else
			smtp_enter_state(s, SMTP_BANNER);
		return;
	case IO_TLSREADY:
		tls_inspect(io_ssl(s->io), s->p.servername, &s->out.tls);
		if (s->state == SMTP_TLS_IMPLICIT) {
			smtp_enter_state(s, SMTP_BANNER);
			return;
		}
		s->out.success = 1;
		smtp_enter_state(s, SMTP_QUIT);
		return;
	case IO_DATAIN:
		if (s->state == SMTP_TLS_HANDSHAKE ||
		    s->state == SMTP_TLS_IMPLICIT || s->state == SMTP_CONNECT)
			return;
		smtp_read_replies(s);
		return;
	case IO_LOWAT:
		return;
	case IO_DISCONNECTED:
		if (s->state == SMTP_QUIT) {
			smtp_done(s);
			return;
		}
		smtp_failed(s, REASON_CONN, "%s", "connection closed by server");
		return;
	case IO_TIMEOUT:
		if (s->state == SMTP_QUIT) {	/* the result is already in */
			smtp_done(s);
			return;
		}
		smtp_failed(s, REASON_TIMEOUT, "no progress in time during %s",
		    smtp_state_names[s->state]);
		return;
	case IO_ERROR:
		if (s->state == SMTP_QUIT) {
			smtp_done(s);
			return;
		}
		smtp_failed(s, REASON_CONN, "%s", io_error(s->io));
		return;
	case IO_TLSERROR:
		if (s->state == SMTP_QUIT) {
			smtp_done(s);
			return;
		}
		smtp_failed(s, REASON_TLS, "%s", io_error(s->io));
		return;
	}
}

/* The first step runs from the loop so that the callback never fires
 * inside smtp_probe_start(). */
static void
smtp_start_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	smtp_enter_state(arg, SMTP_CONNECT);
}

struct smtp_session *
smtp_probe_start(struct event_base *base, const struct probe_params *p,
    probe_done_cb cb, void *arg)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));
	struct timeval now = { 0, 0 };

	s->base = base;
	s->p = *p;
	s->cb = cb;
	s->cb_arg = arg;
	s->started_ms = now_ms();
	s->state = SMTP_INIT;
	probe_outcome_init(&s->out);
	smtp_reply_init(&s->reply, p->maxlines);
	s->io = io_new(base, smtp_io, s);
	s->ev_start = evtimer_new(base, smtp_start_cb, s);
	evtimer_add(s->ev_start, &now);
	return s;
}

void
smtp_session_cancel(struct smtp_session *s)
{
	if (s == NULL)
		return;
	io_free(s->io);
	event_free(s->ev_start);
	smtp_reply_free(&s->reply);
	free(s);
}
