/* POP3 probe session (pop3 110, pop3s 995): greeting, CAPA, STLS, TLS
 * handshake, inspection, QUIT.  The state machine in the style of
 * session.h and smtp.c: an entry action per state, one line handler.
 *
 *   pop3:  connect > greeting > capa > stls > tls_handshake > quit
 *   pop3s: connect > tls_implicit > greeting > quit
 *
 * A server that answers CAPA with -ERR predates RFC 2449 but may still do
 * STLS: it is tried anyway, and its answer says whether STARTTLS is
 * offered. */
#include "collectors/pop3.h"

#include <stdlib.h>

#include "collectors/pop3_resp.h"
#include "collectors/session.h"
#include "base/util.h"

enum pop3_state {
	POP3_INIT,
	POP3_CONNECT,
	POP3_TLS_IMPLICIT,	/* pop3s: TLS before the greeting */
	POP3_GREETING,
	POP3_CAPA,
	POP3_STLS,
	POP3_TLS_HANDSHAKE,
	POP3_QUIT,
	POP3__COUNT
};

static const char *const pop3_state_names[POP3__COUNT] = {
	[POP3_INIT] = "init",
	[POP3_CONNECT] = "connect",
	[POP3_TLS_IMPLICIT] = "tls_implicit",
	[POP3_GREETING] = "greeting",
	[POP3_CAPA] = "capa",
	[POP3_STLS] = "stls",
	[POP3_TLS_HANDSHAKE] = "tls_handshake",
	[POP3_QUIT] = "quit",
};

/* The steps of SMTP, so that `phase` and `step` mean the same everywhere. */
static const enum probe_step pop3_state_step[POP3__COUNT] = {
	[POP3_INIT] = STEP_CONNECT,
	[POP3_CONNECT] = STEP_CONNECT,
	[POP3_TLS_IMPLICIT] = STEP_TLS_HANDSHAKE,
	[POP3_GREETING] = STEP_BANNER,
	[POP3_CAPA] = STEP_EHLO,
	[POP3_STLS] = STEP_STARTTLS,
	[POP3_TLS_HANDSHAKE] = STEP_TLS_HANDSHAKE,
	[POP3_QUIT] = STEP_QUIT,
};

struct pop3_proto {
	struct pop3_resp resp;
	int		 no_capa;	/* CAPA got -ERR: STLS tried blind */
	unsigned	 quit_responses;	/* read in quit */
};

/* The injection test's second command: harmless, changes no state. */
#define POP3_INJECTED	"NOOP"


static void
pop3_enter(struct session *s, unsigned st)
{
	struct pop3_proto *pp = s->proto;

	pop3_resp_reset(&pp->resp, st == POP3_CAPA);
	switch ((enum pop3_state)st) {
	case POP3_TLS_IMPLICIT:
	case POP3_TLS_HANDSHAKE:
		session_start_tls(s);
		break;
	case POP3_CAPA:
		session_send(s, "CAPA");
		break;
	case POP3_STLS:
		if (s->p.starttls_inject)	/* one write: see probe.h */
			session_send(s, "STLS\r\n%s", POP3_INJECTED);
		else
			session_send(s, "STLS");
		break;
	case POP3_QUIT:
		session_send(s, "QUIT");
		break;
	case POP3_INIT:
	case POP3_CONNECT:
	case POP3_GREETING:	/* the server speaks first */
	case POP3__COUNT:
		break;
	}
}

/* A response that breaks the protocol.  After the goodbye the outcome is
 * already known: it stands, as after a timeout or a close there. */
static void
pop3_broken(struct session *s, const char *what)
{
	if (s->state == POP3_QUIT)
		session_done(s);
	else
		session_fail(s, REASON_PROTO, "%s", what);
}

static void
pop3_capa(struct session *s, const struct pop3_resp *r)
{
	struct pop3_proto *pp = s->proto;
	struct pop3_caps caps;

	if (!r->ok) {
		pp->no_capa = 1;
		session_enter(s, POP3_STLS);
		return;
	}
	if (pop3_capa_parse(r, &caps) == -1) {
		pop3_broken(s, caps.err);
		return;
	}
	s->out.starttls_offered = caps.stls;
	/* Any of these sends a password, or what stands for one, in clear
	 * text before STLS (RFC 2595 4). */
	s->out.plaintext_auth_offered = caps.user || caps.sasl;
	if (!caps.stls) {
		session_refuse(s, REASON_STARTTLS_MISSING, "%s",
		    "STLS not in the CAPA response");
		return;
	}
	session_enter(s, POP3_STLS);
}

/* A response in quit.  POP3 responses carry no tag: in the injection test
 * a sound server sends one response inside TLS (QUIT's) and closes; a
 * second one means the first answered the command sent in clear text with
 * STLS.  One response and then the close (or the goodbye's timeout) is
 * sound. */
static void
pop3_quit_response(struct session *s)
{
	struct pop3_proto *pp = s->proto;

	if (!s->inject_check) {
		session_done(s);
		return;
	}
	if (++pp->quit_responses == 1) {
		s->out.starttls_injection = 0;
		pop3_resp_reset(&pp->resp, 0);
		return;
	}
	s->out.starttls_injection = 1;
	session_done(s);
}

/* A complete response in the current state. */
static void
pop3_response(struct session *s, const struct pop3_resp *r)
{
	struct pop3_proto *pp = s->proto;

	switch ((enum pop3_state)s->state) {
	case POP3_GREETING:
		if (!r->ok) {
			session_refuse(s, REASON_RESP, "greeting: -ERR %s",
			    r->text);
			return;
		}
		if (session_tls_active(s)) {	/* pop3s */
			s->out.success = 1;
			session_enter(s, POP3_QUIT);
		} else
			session_enter(s, POP3_CAPA);
		return;
	case POP3_CAPA:
		pop3_capa(s, r);
		return;
	case POP3_STLS:
		if (pp->no_capa)
			s->out.starttls_offered = r->ok;
		if (!r->ok) {
			if (pp->no_capa)
				session_refuse(s, REASON_STARTTLS_MISSING,
				    "no CAPA, and STLS refused: -ERR %s",
				    r->text);
			else
				session_refuse(s, REASON_RESP,
				    "STLS refused: -ERR %s", r->text);
			return;
		}
		session_enter(s, POP3_TLS_HANDSHAKE);
		return;
	case POP3_QUIT:
		pop3_quit_response(s);
		return;
	case POP3_INIT:
	case POP3_CONNECT:
	case POP3_TLS_IMPLICIT:
	case POP3_TLS_HANDSHAKE:
	case POP3__COUNT:
		break;
	}
	pop3_broken(s, "unexpected response");
}

static void
pop3_line(struct session *s, char *line, size_t len)
{
	struct pop3_proto *pp = s->proto;

	switch (pop3_resp_feed(&pp->resp, line, len)) {
	case POP3_RESP_MORE:
		return;
	case POP3_RESP_ERROR:
		pop3_broken(s, pp->resp.err);
		return;
	case POP3_RESP_DONE:
		pop3_response(s, &pp->resp);
		return;
	}
}

static const struct session_ops pop3_ops = {
	.name = "pop3",
	.state_names = pop3_state_names,
	.state_step = pop3_state_step,
	.n_states = POP3__COUNT,
	.st_init = POP3_INIT,
	.st_connect = POP3_CONNECT,
	.st_tls_implicit = POP3_TLS_IMPLICIT,
	.st_greeting = POP3_GREETING,
	.st_quit = POP3_QUIT,
	.enter = pop3_enter,
	.line = pop3_line,
};

static void
pop3_proto_free(void *proto)
{
	struct pop3_proto *pp = proto;

	pop3_resp_free(&pp->resp);
	free(pp);
}

struct session *
pop3_probe_start(struct event_base *base, const struct probe_params *p,
    probe_done_cb cb, void *arg)
{
	struct pop3_proto *pp = xcalloc(1, sizeof(*pp));

	pop3_resp_init(&pp->resp, p->maxlines);
	return session_start(base, p, &pop3_ops, pp, pop3_proto_free, cb, arg);
}
