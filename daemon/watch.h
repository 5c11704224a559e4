/* Reload when the config changes: inotify on the loop.  The directories of
 * the watched files are watched, not the files, so that an editor's
 * rename-over and Kubernetes' ConfigMap update (a new ..data symlink) are
 * seen; events come in bursts and are coalesced: cb runs once, a short
 * while after the last one. */
#ifndef MAILSEC_WATCH_H
#define MAILSEC_WATCH_H

#include <stddef.h>

#include <event2/event.h>

struct config_watch;

/* paths: the files (the config, the web config); NULL entries skipped. */
struct config_watch *config_watch_start(struct event_base *base,
    const char *const *paths, size_t n, void (*cb)(void *arg), void *arg,
    char *err, size_t errlen);
void config_watch_free(struct config_watch *w);

/* Whether an event about name in a watched directory concerns file base:
 * the file itself, or Kubernetes' ..data.  (For the tests.) */
int config_watch_concerns(const char *name, size_t len, const char *base);

#endif
