#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/logfmt.h"
#include "base/util.h"

static enum log_level log_threshold = LOG_INFO;
static enum log_format log_format = LOG_FORMAT_LOGFMT;
static void log_capture_line(const char *line, size_t len);
static size_t n_captures;

static const char *const level_names[] = {
	[LOG_DEBUG] = "debug",
	[LOG_INFO] = "info",
	[LOG_WARN] = "warn",
	[LOG_ERROR] = "error",
};

void
log_set_level(enum log_level level)
{
	log_threshold = level;
}

void
log_set_format(enum log_format format)
{
	log_format = format;
}

int
log_format_parse(const char *s, enum log_format *out)
{
	if (strcmp(s, "logfmt") == 0)
		*out = LOG_FORMAT_LOGFMT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}

int
log_enabled(enum log_level level)
{
	return level >= log_threshold || n_captures > 0;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

void
log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	char line[2048], ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;
	int n;

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "ts=%s.%03ldZ level=%s event=%s", ts,
	    now.tv_nsec / 1000000, level_names[level], event);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (fmt && *fmt && (size_t)n < sizeof(line) - 2) {
		line[n++] = ' ';
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	if (n_captures > 0)
		log_capture_line(line, strlen(line));
	/* One write per line so concurrent writers do not interleave. */
	if (level >= log_threshold && log_format == LOG_FORMAT_JSON) {
		struct buf j;

		buf_init(&j);
		logfmt_to_json(line, strlen(line), &j);
		fprintf(stderr, "%s\n", j.data);
		buf_free(&j);
	} else if (level >= log_threshold)
		fprintf(stderr, "%s\n", line);
}

/* The one quoting function for what a peer, a DNS answer, an HTTP request
 * or a config file says (log.h). */
const char *
log_quote(char *buf, unsigned size, const char *value)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	size_t o = 0, cap;
	int bare;

	if (size < 8) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
	}
	if (value == NULL)
		value = "";
	bare = *value != '\0' && strlen(value) < size;
	for (p = (const unsigned char *)value; bare && *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '=' ||
		    *p == '\\')
			bare = 0;
	if (bare) {
		memcpy(buf, value, strlen(value) + 1);
		return buf;
	}
	cap = size - 5;		/* then "...", the closing quote, the NUL */
	buf[o++] = '"';
	for (p = (const unsigned char *)value; *p; p++) {
		char esc[4];
		size_t n = 1;

		esc[0] = (char)*p;
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			n = 2;
		} else if (*p < ' ' || *p >= 0x7f) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[*p >> 4];
			esc[3] = hex[*p & 15];
			n = 4;
		}
		if (o + n > cap) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, esc, n);
		o += n;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* --- capture: the lines of one /probe?debug=true ------------------------- */

#define LOG_CAPTURE_MAX_BYTES	(256 * 1024)

struct log_capture {
	char		*name, *key;
	struct buf	 text;
	int		 truncated;
};

static struct log_capture **captures;

struct log_capture *
log_capture_start(const char *name, const char *key)
{
	struct log_capture *c = xcalloc(1, sizeof(*c));

	c->name = xstrdup(name);
	c->key = xstrdup(key ? key : name);
	buf_init(&c->text);
	captures = xreallocarray(captures, n_captures + 1, sizeof(*captures));
	captures[n_captures++] = c;
	return c;
}

const char *
log_capture_text(const struct log_capture *c, size_t *len)
{
	*len = c->text.len;
	return c->text.len ? c->text.data : "";
}

void
log_capture_stop(struct log_capture *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < n_captures; i++)
		if (captures[i] == c) {
			captures[i] = captures[--n_captures];
			break;
		}
	if (n_captures == 0) {
		free(captures);
		captures = NULL;
	}
	buf_free(&c->text);
	free(c->name);
	free(c->key);
	free(c);
}

/* A line is a capture's when its target= value is the capture's name or
 * key ("host" or "host:port"). */
static void
log_capture_line(const char *line, size_t len)
{
	const char *v = strstr(line, " target=");
	size_t vlen;

	if (v == NULL)
		return;
	v += sizeof(" target=") - 1;
	vlen = strcspn(v, " ");
	for (size_t i = 0; i < n_captures; i++) {
		struct log_capture *c = captures[i];

		if (!((strlen(c->name) == vlen && memcmp(v, c->name, vlen) == 0) ||
		    (strlen(c->key) == vlen && memcmp(v, c->key, vlen) == 0)))
			continue;
		if (c->text.len + len + 1 > LOG_CAPTURE_MAX_BYTES) {
			if (!c->truncated)
				buf_puts(&c->text, "(further lines left out)\n");
			c->truncated = 1;
			continue;
		}
		buf_append(&c->text, line, len);
		buf_putc(&c->text, '\n');
	}
}
