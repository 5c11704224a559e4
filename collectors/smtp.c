/* SMTP probe session (smtp 25, submission 587, smtps 465): banner, EHLO,
 * STARTTLS, TLS handshake, inspection, QUIT.  The state machine in the
 * style of session.h: an entry action per state, one reply handler.
 *
 *   smtp, submission: connect > banner > ehlo > starttls > tls_handshake >
 *                     quit
 *   smtps:             connect > tls_implicit > banner > ehlo > quit
 *
 * banner wants 220, EHLO 250, STARTTLS 220; any other code is refused
 * (reason resp) and the session goes to quit.  An EHLO reply without
 * STARTTLS ends it there (reason starttls_missing; starttls_offered and
 * plaintext_auth_offered are read from that reply).  The handshake done,
 * the probe has succeeded and says QUIT; after QUIT a close or a broken
 * reply is the normal end.  A malformed reply (smtp_reply.c) is reason
 * proto in any state. */
#include "collectors/smtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/session.h"
#include "collectors/smtp_reply.h"
#include "base/util.h"

enum smtp_state {
	SMTP_INIT,
	SMTP_CONNECT,
	SMTP_TLS_IMPLICIT,	/* smtps: TLS before the banner */
	SMTP_BANNER,
	SMTP_EHLO,
	SMTP_STARTTLS,
	SMTP_TLS_HANDSHAKE,
	SMTP_QUIT,
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
};

static const enum probe_step smtp_state_step[SMTP__COUNT] = {
	[SMTP_INIT] = STEP_CONNECT,
	[SMTP_CONNECT] = STEP_CONNECT,
	[SMTP_TLS_IMPLICIT] = STEP_TLS_HANDSHAKE,
	[SMTP_BANNER] = STEP_BANNER,
	[SMTP_EHLO] = STEP_EHLO,
	[SMTP_STARTTLS] = STEP_STARTTLS,
	[SMTP_TLS_HANDSHAKE] = STEP_TLS_HANDSHAKE,
	[SMTP_QUIT] = STEP_QUIT,
};

struct smtp_proto {
	struct smtp_reply reply;
};

/* The injection test's second command: harmless, changes no state. */
#define SMTP_INJECTED	"NOOP"


static void
smtp_enter(struct session *s, unsigned st)
{
	struct smtp_proto *sp = s->proto;

	smtp_reply_reset(&sp->reply);
	switch ((enum smtp_state)st) {
	case SMTP_TLS_IMPLICIT:
	case SMTP_TLS_HANDSHAKE:
		session_start_tls(s);
		break;
	case SMTP_EHLO:
		session_send(s, "EHLO %s", s->p.ehlo_name);
		break;
	case SMTP_STARTTLS:
		if (s->p.starttls_inject)	/* one write: see probe.h */
			session_send(s, "STARTTLS\r\n%s", SMTP_INJECTED);
		else
			session_send(s, "STARTTLS");
		break;
	case SMTP_QUIT:
		session_send(s, "QUIT");
		break;
	case SMTP_INIT:
	case SMTP_CONNECT:
	case SMTP_BANNER:	/* the server speaks first */
	case SMTP__COUNT:
		break;
	}
}

/* A reply in quit.  In the injection test QUIT's 221 is the only reply a
 * sound server sends inside TLS; any other reply before it answers the
 * command sent in clear text with STARTTLS, and that is all to learn. */
static void
smtp_quit_reply(struct session *s, const struct smtp_reply *r)
{
	if (s->inject_check)
		s->out.starttls_injection = r->code != 221;
	session_done(s);
}

/* A complete reply in the current state. */
static void
smtp_response(struct session *s, const struct smtp_reply *r)
{
	struct smtp_ehlo ehlo;
	char first[120];

	snprintf(first, sizeof(first), "%d %.*s", r->code,
	    (int)strcspn(r->text.data ? r->text.data : "", "\n"),
	    r->text.data ? r->text.data : "");

	switch ((enum smtp_state)s->state) {
	case SMTP_BANNER:
		if (r->code != 220) {
			session_refuse(s, REASON_RESP, "banner: %s", first);
			return;
		}
		s->out.banner_seen = 1;
		{
			char name[SMTP_NAME_MAX] = "";

			(void)smtp_reply_domain(r, name, sizeof(name));
			probe_str_set(&s->out.banner_name, name, sizeof(name));
		}
		session_enter(s, SMTP_EHLO);
		return;
	case SMTP_EHLO:
		if (r->code != 250) {
			session_refuse(s, REASON_RESP, "EHLO refused: %s", first);
			return;
		}
		smtp_ehlo_parse(r, &ehlo);
		if (!s->out.ehlo_seen) {	/* the first, in plaintext */
			char name[SMTP_NAME_MAX] = "";

			s->out.ehlo_seen = 1;
			(void)smtp_reply_domain(r, name, sizeof(name));
			probe_str_set(&s->out.ehlo_name, name, sizeof(name));
		}
		if (session_tls_active(s)) {	/* smtps */
			s->out.success = 1;
			session_enter(s, SMTP_QUIT);
			return;
		}
		s->out.starttls_offered = ehlo.starttls;
		s->out.plaintext_auth_offered = ehlo.auth;
		if (!ehlo.starttls) {
			session_refuse(s, REASON_STARTTLS_MISSING, "%s",
			    "STARTTLS not in the EHLO reply");
			return;
		}
		session_enter(s, SMTP_STARTTLS);
		return;
	case SMTP_STARTTLS:
		if (r->code != 220) {
			session_refuse(s, REASON_RESP, "STARTTLS refused: %s",
			    first);
			return;
		}
		session_enter(s, SMTP_TLS_HANDSHAKE);
		return;
	case SMTP_QUIT:
		smtp_quit_reply(s, r);
		return;
	case SMTP_INIT:
	case SMTP_CONNECT:
	case SMTP_TLS_IMPLICIT:
	case SMTP_TLS_HANDSHAKE:
	case SMTP__COUNT:
		break;
	}
	session_fail(s, REASON_PROTO, "unexpected reply: %s", first);
}

static void
smtp_line(struct session *s, char *line, size_t len)
{
	struct smtp_proto *sp = s->proto;

	switch (smtp_reply_feed(&sp->reply, line, len)) {
	case REPLY_MORE:
		return;
	case REPLY_ERROR:
		session_fail(s, REASON_PROTO, "%s", sp->reply.err);
		return;
	case REPLY_DONE:
		smtp_response(s, &sp->reply);
		return;
	}
}

static const struct session_ops smtp_ops = {
	.name = "smtp",
	.state_names = smtp_state_names,
	.state_step = smtp_state_step,
	.n_states = SMTP__COUNT,
	.st_init = SMTP_INIT,
	.st_connect = SMTP_CONNECT,
	.st_tls_implicit = SMTP_TLS_IMPLICIT,
	.st_greeting = SMTP_BANNER,
	.st_quit = SMTP_QUIT,
	.enter = smtp_enter,
	.line = smtp_line,
};

static void
smtp_proto_free(void *proto)
{
	struct smtp_proto *sp = proto;

	smtp_reply_free(&sp->reply);
	free(sp);
}

struct session *
smtp_probe_start(struct event_base *base, const struct probe_params *p,
    probe_done_cb cb, void *arg)
{
	struct smtp_proto *sp = xcalloc(1, sizeof(*sp));

	smtp_reply_init(&sp->reply, p->maxlines);
	return session_start(base, p, &smtp_ops, sp, smtp_proto_free, cb, arg);
}
