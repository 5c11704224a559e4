#include "daemon/watch.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

#define WATCH_MAX	6
#define SETTLE_MS	300	/* quiet time after the last event */

struct config_watch {
	int		 fd;
	struct event	*ev, *settle;
	size_t		 n;
	int		 wd[WATCH_MAX];
	char		*base[WATCH_MAX];	/* file name in its directory */
	void		(*cb)(void *);
	void		*arg;
};

int
config_watch_concerns(const char *name, size_t len, const char *base)
{
	size_t bl = strlen(base);

	if (len == bl && memcmp(name, base, bl) == 0)
		return 1;
	return len == 6 && memcmp(name, "..data", 6) == 0;
}

static void
settle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct config_watch *w = arg;

	(void)fd;
	(void)what;
	log_info("config_changed", "msg=\"reloading\"");
	w->cb(w->arg);
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct config_watch *w = arg;
	_Alignas(struct inotify_event) char buf[4096];
	int hit = 0;
	ssize_t r;

	(void)what;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		size_t off = 0;

		while (off + sizeof(struct inotify_event) <= (size_t)r) {
			const struct inotify_event *ie =
			    (const struct inotify_event *)(void *)(buf + off);
			size_t len = 0;

			if (ie->len > (size_t)r - off - sizeof(*ie))
				break;		/* cut short: not for us */
			if (ie->len)
				len = strnlen(ie->name, ie->len);
			for (size_t i = 0; i < w->n; i++)
				if (ie->wd == w->wd[i] && len &&
				    config_watch_concerns(ie->name, len,
				    w->base[i]))
					hit = 1;
			if (ie->mask & IN_Q_OVERFLOW)
				hit = 1;	/* events lost: look anyway */
			off += sizeof(*ie) + ie->len;
		}
	}
	if (hit) {
		struct timeval tv = { 0, SETTLE_MS * 1000 };

		evtimer_add(w->settle, &tv);	/* restarts it */
	}
}

struct config_watch *
config_watch_start(struct event_base *base, const char *const *paths,
    size_t n, void (*cb)(void *arg), void *arg, char *err, size_t errlen)
{
	struct config_watch *w = xcalloc(1, sizeof(*w));

	w->cb = cb;
	w->arg = arg;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd == -1) {
		snprintf(err, errlen, "inotify: %s", strerror(errno));
		free(w);
		return NULL;
	}
	for (size_t i = 0; i < n && w->n < WATCH_MAX; i++) {
		const char *p = paths[i], *slash;
		char *dir;

		if (p == NULL)
			continue;
		slash = strrchr(p, '/');
		dir = slash ? xstrndup(p, slash == p ? 1 : (size_t)(slash - p)) :
		    xstrdup(".");
		w->wd[w->n] = inotify_add_watch(w->fd, dir, IN_CLOSE_WRITE |
		    IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB);
		if (w->wd[w->n] == -1) {
			snprintf(err, errlen, "inotify: %s: %s", dir,
			    strerror(errno));
			free(dir);
			config_watch_free(w);
			return NULL;
		}
		free(dir);
		w->base[w->n++] = xstrdup(slash ? slash + 1 : p);
	}
	w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, read_cb, w);
	w->settle = evtimer_new(base, settle_cb, w);
	if (w->ev == NULL || w->settle == NULL || event_add(w->ev, NULL) == -1) {
		snprintf(err, errlen, "inotify: no event");
		config_watch_free(w);
		return NULL;
	}
	return w;
}

void
config_watch_free(struct config_watch *w)
{
	if (w == NULL)
		return;
	if (w->ev)
		event_free(w->ev);
	if (w->settle)
		event_free(w->settle);
	for (size_t i = 0; i < w->n; i++)
		free(w->base[i]);
	close(w->fd);
	free(w);
}
