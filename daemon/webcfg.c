#include "daemon/webcfg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "base/util.h"

/* The keys of exporter-toolkit this file understands, where they sit. */
static const struct {
	const char	*name;
	enum webcfg_key	 key;
} tls_keys[] = {
	{ "cert_file", WC_CERT_FILE },
	{ "key_file", WC_KEY_FILE },
	{ "client_auth_type", WC_CLIENT_AUTH },
	{ "client_ca_file", WC_CLIENT_CA },
	{ "min_version", WC_MIN_VERSION },
};

/* exporter-toolkit keys known but not offered here: said so, not "unknown". */
static const char *const tls_unsupported[] = {
	"cert", "key", "client_ca", "max_version", "cipher_suites",
	"curve_preferences", "prefer_server_cipher_suites", "client_allowed_sans",
};

static const char *const key_names[] = {
	[WC_CERT_FILE] = "tls_cert_file",
	[WC_KEY_FILE] = "tls_key_file",
	[WC_CLIENT_AUTH] = "tls_client_auth",
	[WC_CLIENT_CA] = "tls_client_ca_file",
	[WC_MIN_VERSION] = "tls_min_version",
	[WC_USER] = "basic_auth_users",
};

const char *
webcfg_key_name(enum webcfg_key k)
{
	return key_names[k];
}

struct yparse {
	yaml_parser_t	 parser;
	yaml_event_t	 ev;
	int		 have_ev;
	char		*err;
	size_t		 errlen;
	unsigned	*line;
	struct webcfg	*out;
	size_t		 n_users;
};

static int
yaml_error(struct yparse *y, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
yaml_error(struct yparse *y, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(y->err, y->errlen, fmt, ap);
	va_end(ap);
	*y->line = line;
	return -1;
}

/* The next event in y->ev; -1 on a YAML syntax error. */
static int
next_event(struct yparse *y)
{
	if (y->have_ev)
		yaml_event_delete(&y->ev);
	y->have_ev = 0;
	if (!yaml_parser_parse(&y->parser, &y->ev))
		return yaml_error(y, (unsigned)y->parser.problem_mark.line + 1,
		    "yaml: %s", y->parser.problem ? y->parser.problem :
		    "syntax error");
	y->have_ev = 1;
	if (y->ev.type == YAML_ALIAS_EVENT)
		return yaml_error(y, (unsigned)y->ev.start_mark.line + 1,
		    "yaml aliases are not allowed here");
	return 0;
}

static unsigned
ev_line(const struct yparse *y)
{
	return (unsigned)y->ev.start_mark.line + 1;
}

/* A scalar's text, checked: no NUL, bounded.  NULL after yaml_error(). */
static char *
scalar_text(struct yparse *y, const char *what)
{
	const char *v = (const char *)y->ev.data.scalar.value;
	size_t len = y->ev.data.scalar.length;

	if (len > WEBCFG_MAX_SCALAR) {
		yaml_error(y, ev_line(y), "%s: longer than %d bytes", what,
		    WEBCFG_MAX_SCALAR);
		return NULL;
	}
	if (memchr(v, '\0', len) != NULL) {
		yaml_error(y, ev_line(y), "%s: a NUL byte in the value", what);
		return NULL;
	}
	return xstrndup(v, len);
}

/* `key:`, `key: ~`, `key: null`: no value. */
static int
scalar_is_null(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return ev->data.scalar.length == 0 || strcmp(v, "~") == 0 ||
	    strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	    strcmp(v, "NULL") == 0;
}

static void
add_entry(struct yparse *y, enum webcfg_key k, char *name, char *value,
    unsigned line)
{
	struct webcfg *w = y->out;

	w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
	w->v[w->n++] = (struct webcfg_entry){ k, name, value, line };
}

/* Reads the keys of a mapping (its MAPPING_START is y->ev) with cb for
 * each key (the key's text, its line; y->ev is then the key's scalar and
 * cb reads the value).  A key twice is an error. */
typedef int (*map_key_cb)(struct yparse *y, const char *key, unsigned line);

static int
read_map(struct yparse *y, const char *where, map_key_cb cb)
{
	char **seen = NULL;
	size_t n_seen = 0;
	int rc = -1;

	for (;;) {
		char *key;
		unsigned line;

		if (next_event(y) == -1)
			goto out;
		if (y->ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (y->ev.type != YAML_SCALAR_EVENT) {
			yaml_error(y, ev_line(y), "%s: a key must be a plain name",
			    where);
			goto out;
		}
		if ((key = scalar_text(y, where)) == NULL)
			goto out;
		line = ev_line(y);
		for (size_t i = 0; i < n_seen; i++)
			if (strcmp(seen[i], key) == 0) {
				yaml_error(y, line, "%s: %s given twice", where, key);
				free(key);
				goto out;
			}
		seen = xreallocarray(seen, n_seen + 1, sizeof(*seen));
		seen[n_seen++] = key;
		if (cb(y, key, line) == -1)
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n_seen; i++)
		free(seen[i]);
	free(seen);
	return rc;
}

/* The value of a key that must be a scalar: its text, or NULL for no
 * value (*failed tells an error apart). */
static char *
read_scalar_value(struct yparse *y, const char *key, int *failed)
{
	*failed = 0;
	if (next_event(y) == -1) {
		*failed = 1;
		return NULL;
	}
	if (y->ev.type != YAML_SCALAR_EVENT) {
		*failed = 1;
		yaml_error(y, ev_line(y), "%s: expected a single value", key);
		return NULL;
	}
	if (scalar_is_null(&y->ev))
		return NULL;
	{
		char *v = scalar_text(y, key);

		if (v == NULL)
			*failed = 1;
		return v;
	}
}

static int
tls_key_cb(struct yparse *y, const char *key, unsigned line)
{
	char *v;
	int failed;

	for (size_t i = 0; i < ARRAY_LEN(tls_keys); i++) {
		if (strcmp(key, tls_keys[i].name) != 0)
			continue;
		v = read_scalar_value(y, key, &failed);
		if (failed)
			return -1;
		if (v != NULL)
			add_entry(y, tls_keys[i].key, NULL, v, line);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_LEN(tls_unsupported); i++)
		if (strcmp(key, tls_unsupported[i]) == 0)
			return yaml_error(y, line, "tls_server_config: %s is not "
			    "supported by mailsec_exporter (supported: "
			    "cert_file, key_file, client_auth_type, "
			    "client_ca_file, min_version)", key);
	return yaml_error(y, line, "tls_server_config: unknown key %s", key);
}

static int
user_cb(struct yparse *y, const char *key, unsigned line)
{
	char *v;
	int failed;

	if (y->n_users++ == WEBCFG_MAX_USERS)
		return yaml_error(y, line, "basic_auth_users: more than %d users",
		    WEBCFG_MAX_USERS);
	v = read_scalar_value(y, key, &failed);
	if (failed)
		return -1;
	if (v == NULL)
		return yaml_error(y, line, "basic_auth_users: %s: no hash", key);
	add_entry(y, WC_USER, xstrdup(key), v, line);
	return 0;
}

/* A section's value: a mapping read with cb, or empty (null). */
static int
read_section(struct yparse *y, const char *key, map_key_cb cb)
{
	if (next_event(y) == -1)
		return -1;
	if (y->ev.type == YAML_SCALAR_EVENT && scalar_is_null(&y->ev))
		return 0;
	if (y->ev.type != YAML_MAPPING_START_EVENT)
		return yaml_error(y, ev_line(y), "%s: expected a mapping of keys",
		    key);
	return read_map(y, key, cb);
}

static int
top_key_cb(struct yparse *y, const char *key, unsigned line)
{
	if (strcmp(key, "tls_server_config") == 0)
		return read_section(y, key, tls_key_cb);
	if (strcmp(key, "basic_auth_users") == 0)
		return read_section(y, key, user_cb);
	if (strcmp(key, "http_server_config") == 0)
		return yaml_error(y, line, "http_server_config is not supported by "
		    "mailsec_exporter (supported: tls_server_config, "
		    "basic_auth_users)");
	return yaml_error(y, line, "unknown key %s (supported: tls_server_config, "
	    "basic_auth_users)", key);
}

static int
parse_stream(struct yparse *y)
{
	if (next_event(y) == -1 || next_event(y) == -1)	/* stream, document start */
		return -1;
	if (y->ev.type == YAML_STREAM_END_EVENT)
		return 0;			/* an empty file */
	if (next_event(y) == -1)
		return -1;
	if (y->ev.type == YAML_SCALAR_EVENT && scalar_is_null(&y->ev)) {
		/* an empty document */
	} else if (y->ev.type != YAML_MAPPING_START_EVENT)
		return yaml_error(y, ev_line(y), "expected a mapping of keys at the "
		    "top");
	else if (read_map(y, "web config", top_key_cb) == -1)
		return -1;
	if (next_event(y) == -1)			/* document end */
		return -1;
	if (next_event(y) == -1)
		return -1;
	if (y->ev.type != YAML_STREAM_END_EVENT)
		return yaml_error(y, ev_line(y), "more than one yaml document");
	return 0;
}

int
webcfg_parse(const char *data, size_t len, struct webcfg *out, char *err,
    size_t errlen, unsigned *line)
{
	struct yparse y;
	int rc;

	memset(out, 0, sizeof(*out));
	*line = 0;
	if (len > WEBCFG_MAX_SIZE) {
		snprintf(err, errlen, "file too large (max %d KiB)",
		    WEBCFG_MAX_SIZE / 1024);
		return -1;
	}
	memset(&y, 0, sizeof(y));
	y.err = err;
	y.errlen = errlen;
	y.line = line;
	y.out = out;
	if (!yaml_parser_initialize(&y.parser)) {
		snprintf(err, errlen, "yaml: out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)data,
	    len);
	rc = parse_stream(&y);
	if (y.have_ev)
		yaml_event_delete(&y.ev);
	yaml_parser_delete(&y.parser);
	if (rc == -1)
		webcfg_free(out);
	return rc;
}

void
webcfg_free(struct webcfg *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].name);
		if (w->v[i].value != NULL)
			explicit_bzero(w->v[i].value, strlen(w->v[i].value));
		free(w->v[i].value);
	}
	free(w->v);
	w->v = NULL;
	w->n = 0;
}
