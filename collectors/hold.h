/* The hold a job keeps on itself past its start(): one pending count,
 * released by a zero timer on the loop's next pass, so that no completion
 * that runs inside start() (a cache hit, a failed send) can finish and free
 * the job before its caller has the handle.  Used by records, mxhyg and
 * mtasts. */
#ifndef MAILSEC_HOLD_H
#define MAILSEC_HOLD_H

#include <event2/event.h>

/* Sets *ev to a zero timer calling cb(arg) on the next pass; aborts (with
 * oom_event logged) when libevent cannot make one. */
void job_hold_arm(struct event **ev, struct event_base *base,
    event_callback_fn cb, void *arg, const char *oom_event);
/* Frees the timer if it is still set: returns 1 if it was (the caller drops
 * the pending count the hold stood for), 0 if it had gone. */
int job_hold_drop(struct event **ev);

#endif
