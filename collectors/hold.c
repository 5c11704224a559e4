#include "collectors/hold.h"

#include <stdlib.h>

#include "base/log.h"

void
job_hold_arm(struct event **ev, struct event_base *base,
    event_callback_fn cb, void *arg, const char *oom_event)
{
	static const struct timeval now = { 0, 0 };

	*ev = evtimer_new(base, cb, arg);
	if (*ev == NULL || evtimer_add(*ev, &now) == -1) {
		log_msg(LOG_ERROR, oom_event, "msg=\"no timer\"");
		abort();
	}
}

int
job_hold_drop(struct event **ev)
{
	if (*ev == NULL)
		return 0;
	event_free(*ev);
	*ev = NULL;
	return 1;
}
