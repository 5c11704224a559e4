/* Which session state machine speaks which protocol: probe_start(). */
#include "collectors/probe_start.h"

#include <stdlib.h>

#include "collectors/imap.h"
#include "collectors/pop3.h"
#include "collectors/smtp.h"

struct session *
probe_start(struct event_base *base, const struct probe_params *p,
    probe_done_cb cb, void *arg)
{
	/* No default: the compiler names any protocol left out. */
	switch (p->protocol) {
	case PROTO_SMTP:
	case PROTO_SUBMISSION:
	case PROTO_SMTPS:
		return smtp_probe_start(base, p, cb, arg);
	case PROTO_IMAP:
	case PROTO_IMAPS:
		return imap_probe_start(base, p, cb, arg);
	case PROTO_POP3:
	case PROTO_POP3S:
		return pop3_probe_start(base, p, cb, arg);
	case PROTO__COUNT:
		break;
	}
	/* The config admits no other value: a caller's bug. */
	abort();
}
