/* A child process run from the loop: execve() with an argv (never a shell),
 * a minimal environment, stdin from /dev/null, stdout and stderr read
 * through non-blocking pipes on libevent, each capped, and a time limit
 * after which the child is killed.  The callback comes once, with what was
 * read and how it ended; it may come before subproc_start() returns (the
 * fork or exec failed), and it may free nothing: the runner frees itself
 * after the callback. */
#ifndef MAILSEC_SUBPROC_H
#define MAILSEC_SUBPROC_H

#include <stddef.h>

#include <event2/event.h>

#include "base/util.h"

enum subproc_result {
	SUBPROC_OK,		/* exited with status 0 */
	SUBPROC_EXIT,		/* exited with another status */
	SUBPROC_SIGNAL,		/* killed by a signal (not ours) */
	SUBPROC_TIMEOUT,	/* over the time limit: killed */
	SUBPROC_TOO_MUCH,	/* output over the cap: killed */
	SUBPROC_SPAWN,		/* pipe, fork or exec failed */
	SUBPROC__COUNT
};

const char *subproc_result_name(enum subproc_result r);

struct subproc_outcome {
	enum subproc_result result;
	int		 status;	/* exit status or signal number */
	struct buf	 out;		/* stdout, NUL-terminated */
	struct buf	 err;		/* stderr, NUL-terminated */
	char		 detail[160];	/* words for people */
};

typedef void (*subproc_cb)(const struct subproc_outcome *o, void *arg);

struct subproc_params {
	const char *const *argv;	/* argv[0] is the absolute path */
	unsigned	 timeout_ms;
	size_t		 max_output;	/* per stream */
};

struct subproc;
/* Starts the child; NULL if the callback already came (spawn failure). */
struct subproc *subproc_start(struct event_base *base,
    const struct subproc_params *p, subproc_cb cb, void *arg);
/* Kills the child and frees the runner; its callback will not come. */
void subproc_cancel(struct subproc *s);

/* Runs a child to its end on a private loop (the audit-config command). */
void subproc_run_sync(const struct subproc_params *p,
    struct subproc_outcome *o);
void subproc_outcome_free(struct subproc_outcome *o);

#endif
