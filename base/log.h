/* key=value logging with levels, to stderr.  The only process-wide state
 * besides the context: the level threshold, set once from the config. */
#ifndef MAILSEC_LOG_H
#define MAILSEC_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* logfmt (key=value, the default) or json: one object per line. */
enum log_format { LOG_FORMAT_LOGFMT, LOG_FORMAT_JSON };
void log_set_format(enum log_format format);
int log_format_parse(const char *s, enum log_format *out);
int log_enabled(enum log_level level);
int log_level_parse(const char *s, enum log_level *out);
/* log_msg(LOG_INFO, "probe_done", "host=%s reason=%s", ...): the event name
 * comes first, then the caller's key=value pairs. */
void log_msg(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The one quoting function for every value a peer, a DNS answer, an HTTP
 * request or a config file supplied: left bare when it is printable ASCII
 * without blanks, '"', '=' or '\\', else in double quotes with '"' and '\\'
 * escaped by a backslash and every control or non-ASCII byte as \xNN, so
 * that no value can end its quotes, forge a key or break the line.  Cut to
 * fit size (ending in "..."); the result lives in buf (size >= 8). */
#define LOG_QUOTE_MAX	1024	/* fits a 200-byte detail, every byte escaped */
const char *log_quote(char *buf, unsigned size, const char *value);

/* Copies every line (of any level) whose target= is name or key into a
 * buffer until stopped: /probe?debug=true's log. */
struct log_capture;
struct log_capture *log_capture_start(const char *name, const char *key);
const char *log_capture_text(const struct log_capture *c, size_t *len);
void log_capture_stop(struct log_capture *c);

#define log_debug(ev, ...) do { if (log_enabled(LOG_DEBUG)) \
	log_msg(LOG_DEBUG, ev, __VA_ARGS__); } while (0)
#define log_info(ev, ...)  log_msg(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...)  log_msg(LOG_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_msg(LOG_ERROR, ev, __VA_ARGS__)

#endif
