/* POP3 probe session (pop3 110 with STLS, pop3s 995 with implicit TLS).
 *
 * States and the probe step (the `phase` label) each is charged to, so that
 * the phases read the same for every protocol:
 *   greeting -> banner, capa -> ehlo, stls -> starttls,
 *   tls_handshake and tls_implicit -> tls_handshake, quit -> quit.
 *
 * Outcome: starttls_offered is STLS in the CAPA response (1 on pop3s);
 * plaintext_auth_offered is 1 when CAPA lists USER or SASL with any
 * mechanism before TLS (RFC 2595 4 asks servers not to).  A server that
 * answers CAPA with -ERR predates RFC 2449: STLS is tried anyway, its answer
 * decides starttls_offered, and plaintext_auth_offered stays -1. */
#ifndef MAILSEC_POP3_H
#define MAILSEC_POP3_H

#include "collectors/session.h"

/* Starts a probe; cb runs exactly once, from the loop, unless the session
 * is cancelled first (session_cancel). */
struct session *pop3_probe_start(struct event_base *base,
    const struct probe_params *p, probe_done_cb cb, void *arg);

#endif
