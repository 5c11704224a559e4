/* What every protocol session state machine shares: the connection, the
 * probe's deadline, phase timing, the outcome, STARTTLS and the end of the
 * session.  A protocol supplies its states (names, the step each is charged
 * to), an entry action per state and one handler for the lines it reads;
 * see smtp.c, imap.c, pop3.c. */
#ifndef MAILSEC_SESSION_H
#define MAILSEC_SESSION_H

#include "collectors/io.h"
#include "collectors/probe.h"

struct session;

struct session_ops {
	const char		*name;		/* "smtp": log events */
	const char *const	*state_names;
	const enum probe_step	*state_step;
	unsigned		 n_states;
	unsigned		 st_init;	/* before connecting */
	unsigned		 st_connect;	/* TCP connect under way */
	unsigned		 st_tls_implicit; /* TLS before the server speaks */
	unsigned		 st_greeting;	/* the server speaks first */
	unsigned		 st_quit;	/* the polite goodbye */
	/* Entry action of a state.  The session itself goes on from connect
	 * (to tls_implicit when the protocol has no STARTTLS, else to
	 * greeting) and from TLS up (tls_implicit: greeting; else the probe
	 * has succeeded: quit). */
	void	(*enter)(struct session *s, unsigned state);
	/* One input line, without its CRLF; NUL-terminated, may hold NULs. */
	void	(*line)(struct session *s, char *line, size_t len);
};

struct session {
	const struct session_ops *ops;
	void			*proto;		/* the protocol's own state */
	void			(*proto_free)(void *);
	struct probe_params	 p;
	struct tlsa_set		 dane_tlsa;	/* p.dane_tlsa points here */
	char			*ehlo_name;	/* our copies: p's point here */
	char			*dane_base;
	char			*dane_names[2];
	probe_done_cb		 cb;
	void			*cb_arg;
	struct io		*io;
	struct event		*ev_start;
	unsigned		 state;
	uint64_t		 started_ms;
	uint64_t		 state_ms;
	int			 busy;		/* inside a callback of ours */
	int			 finished;	/* outcome reported */
	int			 inject_check;	/* in TLS after an injected
						 * STARTTLS: what answers it */
	struct probe_outcome	 out;
};

/* Starts a session; the first state is entered from the loop, so cb never
 * runs inside this call.  proto is freed with proto_free at the end. */
struct session *session_start(struct event_base *base,
    const struct probe_params *p, const struct session_ops *ops, void *proto,
    void (*proto_free)(void *), probe_done_cb cb, void *arg);
/* Drops a session without calling its callback. */
void session_cancel(struct session *s);

void session_enter(struct session *s, unsigned state);
/* Ends the session now with a failure (the peer is not worth a goodbye). */
void session_fail(struct session *s, enum probe_reason reason,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Records a failure, then says goodbye (enters st_quit). */
void session_refuse(struct session *s, enum probe_reason reason,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Ends the session with the outcome as it stands. */
void session_done(struct session *s);
/* Starts the TLS handshake; fails the session if the peer already sent
 * bytes that would be read as plain text (the STARTTLS injection flaw). */
void session_start_tls(struct session *s);
int session_tls_active(const struct session *s);
/* The step the session is in now (for a deadline imposed from outside). */
enum probe_step session_step(const struct session *s);
/* Sends a command line (CRLF added). */
void session_send(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
