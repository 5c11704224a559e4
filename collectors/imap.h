/* IMAP probe session (imap 143 with STARTTLS, imaps 993 with implicit TLS).
 *
 * States and the probe step (the `phase` label) each is charged to, so that
 * the phases read the same for every protocol:
 *   greeting -> banner, capability -> ehlo, starttls -> starttls,
 *   tls_handshake and tls_implicit -> tls_handshake, logout -> quit.
 *
 * Outcome: starttls_offered is the STARTTLS capability (1 on imaps);
 * plaintext_auth_offered is 1 unless LOGINDISABLED is advertised before
 * TLS, since the LOGIN command is always there otherwise (left -1 on
 * imaps, where nothing is sent in clear). */
#ifndef MAILSEC_IMAP_H
#define MAILSEC_IMAP_H

#include "collectors/session.h"

/* Starts a probe; cb runs exactly once, from the loop, unless the session
 * is cancelled first (session_cancel). */
struct session *imap_probe_start(struct event_base *base,
    const struct probe_params *p, probe_done_cb cb, void *arg);

#endif
