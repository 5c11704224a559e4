/* SMTP probe session (smtp 25, submission 587, smtps 465): banner, EHLO,
 * STARTTLS, TLS handshake, inspection, QUIT. */
#ifndef MAILSEC_SMTP_H
#define MAILSEC_SMTP_H

#include "collectors/probe.h"

struct smtp_session;

/* Starts a probe; cb runs exactly once, from the loop, unless the session
 * is cancelled first. */
struct smtp_session *smtp_probe_start(struct event_base *base,
    const struct probe_params *p, probe_done_cb cb, void *arg);
/* Drops a running session without calling its callback. */
void smtp_session_cancel(struct smtp_session *s);

#endif
