/* SMTP probe session (smtp 25, submission 587, smtps 465). */
#ifndef MAILSEC_SMTP_H
#define MAILSEC_SMTP_H

#include "collectors/session.h"

/* Starts a probe; cb runs exactly once, from the loop, unless the session
 * is cancelled first (session_cancel). */
struct session *smtp_probe_start(struct event_base *base,
    const struct probe_params *p, probe_done_cb cb, void *arg);

#endif
