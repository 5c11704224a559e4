/* probe_start(): starts the session state machine that speaks p->protocol
 * (smtp.c, imap.c, pop3.c).  The protocol table itself is protocol.c. */
#ifndef MAILSEC_PROBE_START_H
#define MAILSEC_PROBE_START_H

#include "collectors/session.h"

struct session *probe_start(struct event_base *base,
    const struct probe_params *p, probe_done_cb cb, void *arg);

#endif
