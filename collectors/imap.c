/* IMAP probe session (imap 143, imaps 993): greeting, CAPABILITY, STARTTLS,
 * TLS handshake, inspection, LOGOUT.  The state machine in the style of
 * session.h and smtp.c: an entry action per state, one line handler.
 *
 *   imap:  connect > greeting > capability > starttls > tls_handshake > logout
 *   imaps: connect > tls_implicit > greeting > logout
 *
 * CAPABILITY is always asked, even when the greeting carried a CAPABILITY
 * response code (RFC 9051 7.1 lets a client skip it): the answer to the
 * command is the authoritative list, and every server then shows the same
 * phases.  A "* PREAUTH" greeting means an unauthenticated network client
 * got an authenticated session, where STARTTLS is no longer allowed: it is
 * refused (reason resp) on imap and imaps alike.  "* BYE" ends the session
 * (reason resp) in any state but logout. */
#include "collectors/imap.h"

#include <stdlib.h>

#include "collectors/imap_resp.h"
#include "collectors/session.h"
#include "base/util.h"

enum imap_state {
	IMAP_INIT,
	IMAP_CONNECT,
	IMAP_TLS_IMPLICIT,	/* imaps: TLS before the greeting */
	IMAP_GREETING,
	IMAP_CAPABILITY,
	IMAP_STARTTLS,
	IMAP_TLS_HANDSHAKE,
	IMAP_LOGOUT,
	IMAP__COUNT
};

static const char *const imap_state_names[IMAP__COUNT] = {
	[IMAP_INIT] = "init",
	[IMAP_CONNECT] = "connect",
	[IMAP_TLS_IMPLICIT] = "tls_implicit",
	[IMAP_GREETING] = "greeting",
	[IMAP_CAPABILITY] = "capability",
	[IMAP_STARTTLS] = "starttls",
	[IMAP_TLS_HANDSHAKE] = "tls_handshake",
	[IMAP_LOGOUT] = "logout",
};

/* The steps of SMTP, so that `phase` and `step` mean the same everywhere. */
static const enum probe_step imap_state_step[IMAP__COUNT] = {
	[IMAP_INIT] = STEP_CONNECT,
	[IMAP_CONNECT] = STEP_CONNECT,
	[IMAP_TLS_IMPLICIT] = STEP_TLS_HANDSHAKE,
	[IMAP_GREETING] = STEP_BANNER,
	[IMAP_CAPABILITY] = STEP_EHLO,
	[IMAP_STARTTLS] = STEP_STARTTLS,
	[IMAP_TLS_HANDSHAKE] = STEP_TLS_HANDSHAKE,
	[IMAP_LOGOUT] = STEP_QUIT,
};

/* The tag of the command each state sends; NULL: none, a greeting is
 * awaited (or no line at all). */
static const char *const imap_state_tag[IMAP__COUNT] = {
	[IMAP_CAPABILITY] = "a1",
	[IMAP_STARTTLS] = "a2",
	[IMAP_LOGOUT] = "a3",
};

/* The injection test's second command and its own tag: NOOP changes no
 * state. */
#define IMAP_INJECTED_TAG	"i1"
#define IMAP_INJECTED		IMAP_INJECTED_TAG " NOOP"

struct imap_proto {
	size_t		 nlines;	/* lines read in this state */
	int		 have_caps;
	struct imap_caps caps;
};

static void
imap_enter(struct session *s, unsigned st)
{
	struct imap_proto *ip = s->proto;

	ip->nlines = 0;
	switch ((enum imap_state)st) {
	case IMAP_TLS_IMPLICIT:
	case IMAP_TLS_HANDSHAKE:
		session_start_tls(s);
		break;
	case IMAP_CAPABILITY:
		ip->have_caps = 0;
		session_send(s, "%s CAPABILITY", imap_state_tag[st]);
		break;
	case IMAP_STARTTLS:
		if (s->p.starttls_inject)	/* one write: see probe.h */
			session_send(s, "%s STARTTLS\r\n%s", imap_state_tag[st],
			    IMAP_INJECTED);
		else
			session_send(s, "%s STARTTLS", imap_state_tag[st]);
		break;
	case IMAP_LOGOUT:
		session_send(s, "%s LOGOUT", imap_state_tag[st]);
		break;
	case IMAP_INIT:
	case IMAP_CONNECT:
	case IMAP_GREETING:	/* the server speaks first */
	case IMAP__COUNT:
		break;
	}
}

/* A line that breaks the protocol.  After the goodbye the outcome is
 * already known: it stands, as after a timeout or a close there. */
static void
imap_broken(struct session *s, const char *what)
{
	if (s->state == IMAP_LOGOUT)
		session_done(s);
	else
		session_fail(s, REASON_PROTO, "%s", what);
}

static void
imap_greeting(struct session *s, const struct imap_line *l)
{
	switch (l->cond) {
	case IMAP_COND_OK:
		if (session_tls_active(s)) {	/* imaps */
			s->out.success = 1;
			session_enter(s, IMAP_LOGOUT);
		} else
			session_enter(s, IMAP_CAPABILITY);
		return;
	case IMAP_COND_PREAUTH:
		session_refuse(s, REASON_RESP, "greeting: PREAUTH %s (already "
		    "authenticated, no STARTTLS possible)", l->text);
		return;
	case IMAP_COND_BYE:
		session_fail(s, REASON_RESP, "greeting: BYE %s", l->text);
		return;
	case IMAP_COND_NO:
	case IMAP_COND_BAD:
		break;
	}
	imap_broken(s, "not a greeting");	/* imap_line_parse() let it by */
}

/* The tagged completion of the command of the current state. */
static void
imap_tagged(struct session *s, const struct imap_line *l)
{
	struct imap_proto *ip = s->proto;
	const char *cond = imap_cond_name(l->cond);

	switch ((enum imap_state)s->state) {
	case IMAP_CAPABILITY:
		if (l->cond != IMAP_COND_OK) {
			session_refuse(s, REASON_RESP, "CAPABILITY refused: "
			    "%s %s", cond, l->text);
			return;
		}
		/* The list may come as the completion's response code. */
		if (!ip->have_caps && l->has_caps) {
			ip->caps = l->caps;
			ip->have_caps = 1;
		}
		if (!ip->have_caps) {
			session_fail(s, REASON_PROTO, "%s",
			    "no capability list in the CAPABILITY response");
			return;
		}
		s->out.starttls_offered = ip->caps.starttls;
		/* LOGIN works in clear text unless LOGINDISABLED says not
		 * (RFC 9051 6.2.3); AUTH= mechanisms do not change that. */
		s->out.plaintext_auth_offered = !ip->caps.logindisabled;
		if (!ip->caps.starttls) {
			session_refuse(s, REASON_STARTTLS_MISSING, "%s",
			    "STARTTLS not in the capabilities");
			return;
		}
		session_enter(s, IMAP_STARTTLS);
		return;
	case IMAP_STARTTLS:
		if (l->cond != IMAP_COND_OK) {
			session_refuse(s, REASON_RESP, "STARTTLS refused: %s %s",
			    cond, l->text);
			return;
		}
		session_enter(s, IMAP_TLS_HANDSHAKE);
		return;
	case IMAP_LOGOUT:
		if (s->inject_check && s->out.starttls_injection == -1)
			s->out.starttls_injection = 0;
		session_done(s);
		return;
	case IMAP_INIT:
	case IMAP_CONNECT:
	case IMAP_TLS_IMPLICIT:
	case IMAP_GREETING:
	case IMAP_TLS_HANDSHAKE:
	case IMAP__COUNT:
		break;
	}
	imap_broken(s, "unexpected tagged response");
}

static void
imap_line(struct session *s, char *line, size_t len)
{
	struct imap_proto *ip = s->proto;
	struct imap_line l;

	/* In the injection test, the completion of the command sent in clear
	 * text, read inside TLS: the flaw, and all there is to learn. */
	if (s->inject_check && s->state == IMAP_LOGOUT &&
	    imap_line_parse(&l, line, len, IMAP_INJECTED_TAG) == 0 &&
	    l.kind == IMAP_LINE_TAGGED) {
		s->out.starttls_injection = 1;
		session_done(s);
		return;
	}
	if (imap_line_parse(&l, line, len, imap_state_tag[s->state]) == -1) {
		imap_broken(s, l.err);
		return;
	}
	/* Untagged lines cost nothing to send: bound them. */
	if (++ip->nlines > (s->p.maxlines ? s->p.maxlines : 64)) {
		imap_broken(s, "too many lines in one response");
		return;
	}
	if (s->state == IMAP_GREETING) {
		imap_greeting(s, &l);
		return;
	}
	if (imap_state_tag[s->state] == NULL) {
		imap_broken(s, "unexpected line");
		return;
	}
	switch (l.kind) {
	case IMAP_LINE_TAGGED:
		imap_tagged(s, &l);
		return;
	case IMAP_LINE_STATUS:
		if (l.cond == IMAP_COND_BYE) {
			/* LOGOUT is answered with BYE, then the completion. */
			if (s->state != IMAP_LOGOUT)
				session_fail(s, REASON_RESP, "BYE %s", l.text);
			return;
		}
		if (l.has_caps && s->state == IMAP_CAPABILITY) {
			ip->caps = l.caps;
			ip->have_caps = 1;
		}
		return;		/* "* OK [ALERT] ...", "* NO ...": words */
	case IMAP_LINE_CAPABILITY:
		if (s->state == IMAP_CAPABILITY) {
			ip->caps = l.caps;
			ip->have_caps = 1;
		}
		return;
	case IMAP_LINE_DATA:
		return;
	case IMAP_LINE_CONTINUE:
		break;
	}
	imap_broken(s, "unexpected continuation request");
}

static const struct session_ops imap_ops = {
	.name = "imap",
	.state_names = imap_state_names,
	.state_step = imap_state_step,
	.n_states = IMAP__COUNT,
	.st_init = IMAP_INIT,
	.st_connect = IMAP_CONNECT,
	.st_tls_implicit = IMAP_TLS_IMPLICIT,
	.st_greeting = IMAP_GREETING,
	.st_quit = IMAP_LOGOUT,
	.enter = imap_enter,
	.line = imap_line,
};

struct session *
imap_probe_start(struct event_base *base, const struct probe_params *p,
    probe_done_cb cb, void *arg)
{
	struct imap_proto *ip = xcalloc(1, sizeof(*ip));

	return session_start(base, p, &imap_ops, ip, free, cb, arg);
}
