/* Which session state machine speaks which protocol. */
#include "collectors/protocols.h"

#include "collectors/smtp.h"

struct session *
probe_start(struct event_base *base, const struct probe_params *p,
    probe_done_cb cb, void *arg)
{
	switch (p->protocol) {
	case PROTO_SMTP:
	case PROTO_SUBMISSION:
	case PROTO_SMTPS:
	default:
		return smtp_probe_start(base, p, cb, arg);
	}
}
