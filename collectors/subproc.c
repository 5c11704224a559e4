/* The child process runner: see subproc.h. */
#include "collectors/subproc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"

#define REAP_POLL_MS 20

static const char *const result_names[SUBPROC__COUNT] = {
	[SUBPROC_OK] = "ok",
	[SUBPROC_EXIT] = "exit_status",
	[SUBPROC_SIGNAL] = "signal",
	[SUBPROC_TIMEOUT] = "timeout",
	[SUBPROC_TOO_MUCH] = "output_too_large",
	[SUBPROC_SPAWN] = "spawn_failed",
};

const char *
subproc_result_name(enum subproc_result r)
{
	return (unsigned)r < SUBPROC__COUNT ? result_names[r] : "unknown";
}

struct subproc {
	struct event_base *base;
	pid_t		 pid;
	int		 fd[2];		/* stdout, stderr; -1 once at EOF */
	struct event	*ev[2];
	struct event	*ev_timer;	/* the deadline, then the reaping */
	uint64_t	 deadline_ms;
	size_t		 max_output;
	int		 killed;	/* SUBPROC_TIMEOUT or _TOO_MUCH, 0 */
	subproc_cb	 cb;
	void		*arg;
	struct subproc_outcome o;
};

static void
set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl != -1)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static void
close_stream(struct subproc *s, int i)
{
	if (s->ev[i]) {
		event_free(s->ev[i]);
		s->ev[i] = NULL;
	}
	if (s->fd[i] != -1) {
		close(s->fd[i]);
		s->fd[i] = -1;
	}
}

static void
subproc_free(struct subproc *s)
{
	close_stream(s, 0);
	close_stream(s, 1);
	if (s->ev_timer)
		event_free(s->ev_timer);
	subproc_outcome_free(&s->o);
	free(s);
}

static void
kill_child(struct subproc *s, enum subproc_result why)
{
	if (s->pid > 0 && !s->killed) {
		kill(s->pid, SIGKILL);
		s->killed = (int)why;
	}
}

/* Both streams at EOF (or closed after a kill): wait for the exit. */
static void
report_exit(struct subproc *s, int status)
{
	struct subproc_outcome *o = &s->o;

	if (s->killed) {
		o->result = (enum subproc_result)s->killed;
		snprintf(o->detail, sizeof(o->detail), "%s",
		    s->killed == SUBPROC_TIMEOUT ? "did not finish in time: killed" :
		    "printed more than the output cap: killed");
	} else if (WIFEXITED(status)) {
		o->status = WEXITSTATUS(status);
		o->result = o->status == 0 ? SUBPROC_OK : SUBPROC_EXIT;
		snprintf(o->detail, sizeof(o->detail), "exit status %d",
		    o->status);
	} else {
		o->status = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		o->result = SUBPROC_SIGNAL;
		snprintf(o->detail, sizeof(o->detail), "killed by signal %d",
		    o->status);
	}
	log_debug("subproc_done", "pid=%ld result=%s status=%d",
	    (long)s->pid, subproc_result_name(o->result), o->status);
	s->pid = -1;
	s->cb(o, s->arg);
	subproc_free(s);
}

static void
try_reap(struct subproc *s)
{
	struct timeval tv = { 0, REAP_POLL_MS * 1000 };
	int status = 0;
	pid_t r;

	if (s->fd[0] != -1 || s->fd[1] != -1)
		return;
	r = waitpid(s->pid, &status, WNOHANG);
	if (r == s->pid || (r == -1 && errno == ECHILD)) {
		report_exit(s, r == s->pid ? status : 0);
		return;
	}
	if (!s->killed && now_ms() >= s->deadline_ms)
		kill_child(s, SUBPROC_TIMEOUT);
	evtimer_add(s->ev_timer, &tv);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct subproc *s = arg;

	(void)fd;
	(void)what;
	if (s->fd[0] != -1 || s->fd[1] != -1) {
		/* The deadline, with output still open. */
		kill_child(s, SUBPROC_TIMEOUT);
		close_stream(s, 0);
		close_stream(s, 1);
	}
	try_reap(s);
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct subproc *s = arg;
	int i = fd == s->fd[0] ? 0 : 1;
	struct buf *b = i == 0 ? &s->o.out : &s->o.err;
	ssize_t r;

	(void)what;
	for (;;) {
		buf_reserve(b, 16384);
		r = read(fd, b->data + b->len, 16384);
		if (r > 0) {
			b->len += (size_t)r;
			b->data[b->len] = '\0';
			if (b->len > s->max_output) {
				kill_child(s, SUBPROC_TOO_MUCH);
				close_stream(s, 0);
				close_stream(s, 1);
				break;
			}
			continue;
		}
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		close_stream(s, i);	/* EOF or error */
		break;
	}
	if (s->fd[0] == -1 && s->fd[1] == -1) {
		evtimer_del(s->ev_timer);
		try_reap(s);
	}
}

/* The child, between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn))
exec_child(const char *const *argv, int out, int err)
{
	static char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	    "LANG=C", "LC_ALL=C", NULL };
	int devnull = open("/dev/null", O_RDONLY);

	if (devnull == -1 || dup2(devnull, 0) == -1 || dup2(out, 1) == -1 ||
	    dup2(err, 2) == -1)
		_exit(126);
	/* Nothing else the daemon holds reaches the tool. */
	if (close_range(3, ~0U, 0) == -1)
		for (int fd = 3; fd < 65536; fd++)
			close(fd);
	signal(SIGPIPE, SIG_DFL);
	execve(argv[0], (char *const *)argv, env);
	_exit(127);
}

struct subproc *
subproc_start(struct event_base *base, const struct subproc_params *p,
    subproc_cb cb, void *arg)
{
	struct subproc *s = xcalloc(1, sizeof(*s));
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 };
	struct timeval tv;

	s->base = base;
	s->cb = cb;
	s->arg = arg;
	s->fd[0] = s->fd[1] = -1;
	s->pid = -1;
	s->max_output = p->max_output;
	buf_init(&s->o.out);
	buf_init(&s->o.err);
	buf_reserve(&s->o.out, 1);
	buf_reserve(&s->o.err, 1);
	if (p->argv == NULL || p->argv[0] == NULL || p->argv[0][0] != '/') {
		snprintf(s->o.detail, sizeof(s->o.detail), "not an absolute "
		    "path");
		goto fail;
	}
	if (pipe(po) == -1 || pipe(pe) == -1) {
		snprintf(s->o.detail, sizeof(s->o.detail), "pipe: %s",
		    strerror(errno));
		goto fail;
	}
	s->pid = fork();
	if (s->pid == -1) {
		snprintf(s->o.detail, sizeof(s->o.detail), "fork: %s",
		    strerror(errno));
		goto fail;
	}
	if (s->pid == 0)
		exec_child(p->argv, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	s->fd[0] = po[0];
	s->fd[1] = pe[0];
	set_nonblock_cloexec(s->fd[0]);
	set_nonblock_cloexec(s->fd[1]);
	log_debug("subproc_start", "pid=%ld path=%s", (long)s->pid, p->argv[0]);
	s->ev[0] = event_new(base, s->fd[0], EV_READ | EV_PERSIST, read_cb, s);
	s->ev[1] = event_new(base, s->fd[1], EV_READ | EV_PERSIST, read_cb, s);
	s->ev_timer = evtimer_new(base, timer_cb, s);
	s->deadline_ms = now_ms() + p->timeout_ms;
	tv.tv_sec = p->timeout_ms / 1000;
	tv.tv_usec = (p->timeout_ms % 1000) * 1000;
	event_add(s->ev[0], NULL);
	event_add(s->ev[1], NULL);
	evtimer_add(s->ev_timer, &tv);
	return s;
fail:
	for (int i = 0; i < 2; i++) {
		if (po[i] != -1)
			close(po[i]);
		if (pe[i] != -1)
			close(pe[i]);
	}
	s->o.result = SUBPROC_SPAWN;
	s->cb(&s->o, s->arg);
	subproc_free(s);
	return NULL;
}

void
subproc_cancel(struct subproc *s)
{
	int status;

	if (s == NULL)
		return;
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		/* SIGKILL cannot be caught: the wait is short. */
		waitpid(s->pid, &status, 0);
	}
	subproc_free(s);
}

struct sync_wait {
	struct subproc_outcome *o;
	int		 done;
};

static void
sync_done(const struct subproc_outcome *o, void *arg)
{
	struct sync_wait *w = arg;

	w->o->result = o->result;
	w->o->status = o->status;
	memcpy(w->o->detail, o->detail, sizeof(w->o->detail));
	buf_append(&w->o->out, o->out.data ? o->out.data : "", o->out.len);
	buf_append(&w->o->err, o->err.data ? o->err.data : "", o->err.len);
	w->done = 1;
}

void
subproc_run_sync(const struct subproc_params *p, struct subproc_outcome *o)
{
	struct event_base *base = event_base_new();
	struct sync_wait w = { o, 0 };

	memset(o, 0, sizeof(*o));
	buf_init(&o->out);
	buf_init(&o->err);
	buf_reserve(&o->out, 1);
	buf_reserve(&o->err, 1);
	if (base == NULL) {
		o->result = SUBPROC_SPAWN;
		snprintf(o->detail, sizeof(o->detail), "no event loop");
		return;
	}
	subproc_start(base, p, sync_done, &w);
	while (!w.done && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
	event_base_free(base);
}

void
subproc_outcome_free(struct subproc_outcome *o)
{
	buf_free(&o->out);
	buf_free(&o->err);
}
