/* Starts the probe session of p->protocol. */
#ifndef MAILSEC_PROTOCOLS_H
#define MAILSEC_PROTOCOLS_H

#include "collectors/session.h"

struct session *probe_start(struct event_base *base,
    const struct probe_params *p, probe_done_cb cb, void *arg);

#endif
