/* The configuration file.  inih splits "key = value" lines and strips inline
 * comments; the reader we put in front of it does everything that is about
 * whole lines: numbering, the length limit, NUL bytes, section headers and
 * syntax errors.  So every problem in a file is reported, each with its line,
 * in one pass, and inih never sees a line it could misread (no multi-line
 * continuations, no over-long lines, no truncated section names: inih keeps
 * only 49 bytes of a section name, so we track sections ourselves). */
#include "daemon/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "collectors/dnscache.h"
#include "daemon/addr.h"
#include "daemon/util.h"
#include "daemon/webcfg.h"

#define INTERVAL_MIN_MS		1000
#define AUDIT_INTERVAL_MIN_MS	(60 * 1000)
#define WEAKENED_HOLD_MIN_MS	(60 * 1000)
#define DEFAULT_WEAKENED_HOLD_MS	(7 * 86400 * 1000ULL)
#define TIMEOUT_MIN_MS		100
#define TIMEOUT_MAX_MS		(10 * 60 * 1000)
#define CONCURRENCY_MAX		10000
#define MAX_SECTION_KEYS	64
#define DNS_NAME_MAX		253
#define DNS_LABEL_MAX		63
#define SHOWN_MAX		80	/* file text quoted in a message */
#define PROTOCOL_LIST	"smtp, submission, smtps, imap, imaps, pop3 or pop3s"

/* Protocols. */

static const char *const protocol_names[PROTO__COUNT] = {
	[PROTO_SMTP] = "smtp",
	[PROTO_SUBMISSION] = "submission",
	[PROTO_SMTPS] = "smtps",
	[PROTO_IMAP] = "imap",
	[PROTO_IMAPS] = "imaps",
	[PROTO_POP3] = "pop3",
	[PROTO_POP3S] = "pop3s",
};

static const uint16_t protocol_ports[PROTO__COUNT] = {
	[PROTO_SMTP] = 25,
	[PROTO_SUBMISSION] = 587,
	[PROTO_SMTPS] = 465,
	[PROTO_IMAP] = 143,
	[PROTO_IMAPS] = 993,
	[PROTO_POP3] = 110,
	[PROTO_POP3S] = 995,
};

const char *
protocol_name(enum protocol p)
{
	return (unsigned)p < PROTO__COUNT ? protocol_names[p] : "unknown";
}

int
protocol_parse(const char *s, enum protocol *out)
{
	for (size_t i = 0; i < PROTO__COUNT; i++)
		if (strcmp(s, protocol_names[i]) == 0) {
			*out = (enum protocol)i;
			return 0;
		}
	return -1;
}

uint16_t
protocol_default_port(enum protocol p)
{
	return (unsigned)p < PROTO__COUNT ? protocol_ports[p] : 0;
}

int
protocol_starttls(enum protocol p)
{
	return p == PROTO_SMTP || p == PROTO_SUBMISSION || p == PROTO_IMAP ||
	    p == PROTO_POP3;
}

int
protocol_for_port(uint16_t port, enum protocol *out)
{
	for (size_t i = 0; i < PROTO__COUNT; i++)
		if (protocol_ports[i] == port) {
			*out = (enum protocol)i;
			return 0;
		}
	return -1;
}

/* The parse. */

struct parse;
typedef void (*key_fn)(struct parse *p, const char *value);

struct key_def {
	const char	*name;
	key_fn		 set;
};

struct section_def {
	const char		*name;		/* the word after '[' */
	bool			 has_arg;	/* [domain NAME], [endpoint HOST:PORT] */
	const struct key_def	*keys;
	size_t			 n_keys;
	void			(*open)(struct parse *p, const char *arg);
	void			(*close)(struct parse *p);
};

struct perr {
	char		*msg;		/* "file:line: text" */
	unsigned	 order;		/* line; messages without one sort first
					 * (file errors) or last (final checks) */
	size_t		 seq;
};

struct parse {
	const char	*file;		/* name in messages */
	struct config	*cfg;
	size_t		 targets_cap;

	/* The reader's input. */
	const char	*data;
	size_t		 len, pos;
	unsigned	 line;

	/* The current section: sec_line 0 before the first one; sec NULL in
	 * an unknown or malformed one (its keys are skipped, unreported). */
	const struct section_def *sec;
	unsigned	 sec_line;
	struct buf	 sec_label;	/* "[domain example.org]" for messages */
	unsigned	 seen[MAX_SECTION_KEYS];	/* line of each key, 0: unset */
	const char	*key;		/* the key being set, for key_error */
	bool		 use_scratch;	/* a target with a bad header: its keys
					 * are checked, the target dropped */
	struct target_cfg scratch;
	bool		 protocol_set;
	bool		 in_module;	/* the current target is a [module]'s */
	bool		 module_kind_set;
	unsigned	 tls_cert_line, tls_key_line;
	unsigned	 client_auth_line, client_ca_line;	/* web config */
	const char	*tls_file;	/* the file that set them, if not this */
	unsigned	 exporter_line;
	bool		 at_end;
	bool		 web_users;	/* basic_auth_users from the web config */

	struct perr	*errs;
	size_t		 n_errs, errs_cap;
};

/* Text from the file as a message shows it: printable ASCII only, cut. */
struct shown {
	char s[SHOWN_MAX + 4];
};

static struct shown
show(const char *s)
{
	struct shown r;
	size_t o = 0;

	for (; *s && o < SHOWN_MAX; s++)
		r.s[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (*s) {
		memcpy(r.s + o, "...", 3);
		o += 3;
	}
	r.s[o] = '\0';
	return r;
}

static void
verror(struct parse *p, unsigned line, const char *key, const char *fmt,
    va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
verror(struct parse *p, unsigned line, const char *key, const char *fmt,
    va_list ap)
{
	struct perr *e;
	struct buf b;

	buf_init(&b);
	if (line)
		buf_printf(&b, "%s:%u: ", p->file, line);
	else
		buf_printf(&b, "%s: ", p->file);
	if (key)
		buf_printf(&b, "%s: ", key);
	buf_vprintf(&b, fmt, ap);
	if (p->n_errs == p->errs_cap) {
		p->errs_cap = p->errs_cap ? p->errs_cap * 2 : 8;
		p->errs = xreallocarray(p->errs, p->errs_cap, sizeof(*p->errs));
	}
	e = &p->errs[p->n_errs];
	e->msg = b.data;
	e->order = line ? line : p->at_end ? UINT_MAX : 0;
	e->seq = p->n_errs++;
}

/* An error at a line (0: about the whole file). */
static void
error_at(struct parse *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
error_at(struct parse *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(p, line, NULL, fmt, ap);
	va_end(ap);
}

/* An error about the value of the key being set: "file:line: key: ...". */
static void
key_error(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
key_error(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(p, p->line, p->key, fmt, ap);
	va_end(ap);
}

static int
perr_cmp(const void *a, const void *b)
{
	const struct perr *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Value checkers. */

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* The host-name rule is daemon/addr.c's: a DNS name from the file (a
 * target, a host) may hold '_', a host name of ours (EHLO, probe_allow)
 * may not. */
static int
check_name(const char *s, bool underscore, const char **why)
{
	return addr_name_check(s, underscore ? ADDR_NAME_UNDERSCORE : 0, why);
}

/* A DNS name from the file, made canonical in place: lowercase, no
 * trailing dot. */
static int
normalize_dns_name(char *s, const char **why)
{
	return addr_name_normalize(s, ADDR_NAME_UNDERSCORE, why);
}

/* A numeric address of family af, rewritten in its canonical form. */
static int
normalize_ip(char **host, int af)
{
	struct addr a;
	char text[INET6_ADDRSTRLEN];

	if (addr_parse_ip(*host, &a) == -1 || a.family != af)
		return -1;
	free(*host);
	*host = xstrdup(addr_text(&a, text, sizeof(text)));
	return 0;
}

static int
get_duration(struct parse *p, const char *v, uint64_t min, uint64_t max,
    const char *range, uint64_t *out)
{
	const char *err;
	uint64_t ms;

	if (parse_duration_ms(v, &ms, &err) == -1) {
		key_error(p, "%s", err);
		return -1;
	}
	if (ms < min || ms > max) {
		key_error(p, "%s", range);
		return -1;
	}
	*out = ms;
	return 0;
}

static int
get_interval(struct parse *p, const char *v, uint64_t *out)
{
	return get_duration(p, v, INTERVAL_MIN_MS, UINT64_MAX,
	    "must be at least 1s", out);
}

static int
get_timeout(struct parse *p, const char *v, uint64_t *out)
{
	return get_duration(p, v, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS,
	    "must be between 100ms and 10m", out);
}

/* Splits a comma-separated list in place: the next item, trimmed, or NULL
 * at the end.  *rest starts at the whole list. */
static char *
next_item(char **rest)
{
	char *item = *rest, *comma;

	if (item == NULL)
		return NULL;
	comma = strchr(item, ',');
	if (comma) {
		*comma = '\0';
		*rest = comma + 1;
	} else
		*rest = NULL;
	return str_trim(item);
}

/* One resolver: "ip", "ip:port", "v6", "[v6]" or "[v6]:port", appended to
 * out as c-ares wants it: "ip:port" or "[v6]:port". */
static int
add_resolver(const char *item, struct buf *out, const char **why)
{
	size_t len = strlen(item);
	const char *colon = strchr(item, ':');
	uint16_t port = 53;
	char *host;
	int af;

	if (item[0] == '[' && item[len - 1] == ']')
		host = xstrndup(item + 1, len - 2);
	else if (item[0] == '[' || (colon && strchr(colon + 1, ':') == NULL)) {
		if (addr_parse_host_port(item, &host, &port, why) == -1)
			return -1;
	} else	/* an address without a port, maybe IPv6 */
		host = xstrdup(item);
	af = strchr(host, ':') ? AF_INET6 : AF_INET;
	if (item[0] == '[' && af != AF_INET6) {
		*why = "only ipv6 addresses go in brackets";
		free(host);
		return -1;
	}
	if (normalize_ip(&host, af) == -1) {
		*why = "not a numeric ip address";
		free(host);
		return -1;
	}
	if (out->len)
		buf_putc(out, ',');
	if (af == AF_INET6)
		buf_printf(out, "[%s]:%u", host, (unsigned)port);
	else
		buf_printf(out, "%s:%u", host, (unsigned)port);
	free(host);
	return 0;
}

static struct target_cfg *
cur_target(struct parse *p)
{
	if (p->use_scratch)
		return &p->scratch;
	if (p->in_module)
		return &p->cfg->modules[p->cfg->n_modules - 1].t;
	return &p->cfg->targets[p->cfg->n_targets - 1];
}

/* [exporter] keys. */

static int
listen_parse(const char *v, char **host, uint16_t *port, char *err,
    size_t errlen)
{
	const char *why;

	if (addr_parse_host_port(v, host, port, &why) == -1) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (normalize_ip(host, v[0] == '[' ? AF_INET6 : AF_INET) == -1) {
		snprintf(err, errlen, "not a numeric ip address (e.g. "
		    "127.0.0.1:%u, [::1]:%u)", DEFAULT_LISTEN_PORT,
		    DEFAULT_LISTEN_PORT);
		free(*host);
		*host = NULL;
		return -1;
	}
	return 0;
}

int
config_listen_parse(const char *v, char **host, uint16_t *port, char *err,
    size_t errlen)
{
	/* ":9925", as the Prometheus exporters spell every address. */
	if (v[0] == ':' && v[1] != ':') {
		char *all = xmalloc(strlen(v) + 5);
		int r;

		memcpy(all, "[::]", 4);
		strcpy(all + 4, v);
		r = listen_parse(all, host, port, err, errlen);
		free(all);
		return r;
	}
	return listen_parse(v, host, port, err, errlen);
}

static void
set_listen(struct parse *p, const char *v)
{
	uint16_t port;
	char *host, err[160];

	if (listen_parse(v, &host, &port, err, sizeof(err)) == -1) {
		key_error(p, "%s", err);
		return;
	}
	free(p->cfg->listen_host);
	p->cfg->listen_host = host;
	p->cfg->listen_port = port;
}

static void
set_interval(struct parse *p, const char *v)
{
	get_interval(p, v, &p->cfg->interval_ms);
}

static void
set_timeout(struct parse *p, const char *v)
{
	get_timeout(p, v, &p->cfg->timeout_ms);
}

/* A count of probes, 1 to CONCURRENCY_MAX. */
static void
get_count(struct parse *p, const char *v, unsigned *out)
{
	const char *err;
	uint64_t n;

	if (parse_uint(v, 1, CONCURRENCY_MAX, &n, &err) == -1) {
		key_error(p, "%s (1-%d)", err, CONCURRENCY_MAX);
		return;
	}
	*out = (unsigned)n;
}

static void
set_concurrency(struct parse *p, const char *v)
{
	get_count(p, v, &p->cfg->concurrency);
}

/* 0 if path names a readable file, else -1 with errno set. */
static int
check_readable(const char *path)
{
	struct stat st;

	if (access(path, R_OK) == -1 || stat(path, &st) == -1)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	return 0;
}

/* A path that must be readable now (a reload reads it again). */
static void
get_readable_path(struct parse *p, const char *v, char **field)
{
	if (*v == '\0') {
		key_error(p, "empty path");
		return;
	}
	if (check_readable(v) == -1) {
		key_error(p, "%s: %s", show(v).s, strerror(errno));
		return;
	}
	free(*field);
	*field = xstrdup(v);
}

static void
set_ca_file(struct parse *p, const char *v)
{
	get_readable_path(p, v, &p->cfg->ca_file);
}

static void
set_resolver(struct parse *p, const char *v)
{
	char *list = xstrdup(v), *rest = list, *item;
	const char *why;
	size_t n = 0;
	struct buf out;

	buf_init(&out);
	while ((item = next_item(&rest)) != NULL) {
		if (*item == '\0') {
			key_error(p, "empty entry in list");
			break;
		}
		if (++n > MAX_RESOLVERS) {
			key_error(p, "more than %d servers", MAX_RESOLVERS);
			break;
		}
		if (add_resolver(item, &out, &why) == -1) {
			key_error(p, "\"%s\": %s", show(item).s, why);
			break;
		}
	}
	free(list);
	if (item != NULL) {
		buf_free(&out);
		return;
	}
	free(p->cfg->resolver);
	p->cfg->resolver = out.data;
}

static void
set_log_level(struct parse *p, const char *v)
{
	if (log_level_parse(v, &p->cfg->log_level) == -1)
		key_error(p, "unknown level \"%s\" (use debug, info, warn or "
		    "error)", show(v).s);
}

static void
set_ehlo_name(struct parse *p, const char *v)
{
	const char *why;

	if (check_name(v, false, &why) == -1) {
		key_error(p, "%s", why);
		return;
	}
	free(p->cfg->ehlo_name);
	p->cfg->ehlo_name = xstrdup(v);
}

/* The account to run as after binding, when started as root.  It must
 * exist now, so a typo is a config error and not a failed start later. */
static void
set_user(struct parse *p, const char *v)
{
	const char *c = v;

	if (*c == '\0' || strlen(v) > 32) {
		key_error(p, "bad user name");
		return;
	}
	for (; *c; c++)
		if (!is_alnum(*c) && *c != '_' && *c != '-' && *c != '.') {
			key_error(p, "bad user name \"%s\"", show(v).s);
			return;
		}
	if (getpwnam(v) == NULL) {
		key_error(p, "no such user \"%s\"", show(v).s);
		return;
	}
	free(p->cfg->user);
	p->cfg->user = xstrdup(v);
}

/* [exporter] keys of the web listener: /probe, authentication, HTTPS. */

int
allow_entry_parse(const char *s, struct allow_entry *e, const char **why)
{
	struct addr ip;
	size_t len = strlen(s);
	char *name;

	memset(e, 0, sizeof(*e));
	if (len == 0) {
		*why = "empty entry";
		return -1;
	}
	if (len > DNS_NAME_MAX + 2) {
		*why = "entry too long";
		return -1;
	}
	if (strchr(s, '/') != NULL || strchr(s, ':') != NULL ||
	    addr_parse_ip(s, &ip) == 0) {
		e->kind = ALLOW_CIDR;
		return addr_parse_cidr(s, &e->cidr, why);
	}
	e->kind = ALLOW_NAME;
	if (s[0] == '*' && s[1] == '.') {
		e->kind = ALLOW_SUFFIX;
		s += 2;
	}
	if (strchr(s, '*') != NULL) {
		*why = "a wildcard is only \"*.\" in front of a domain";
		return -1;
	}
	name = xstrdup(s);
	if (addr_name_normalize(name, 0, why) == -1) {
		free(name);
		return -1;
	}
	len = strlen(name);
	if (e->kind == ALLOW_SUFFIX) {
		e->name = xmalloc(len + 2);
		e->name[0] = '.';
		memcpy(e->name + 1, name, len + 1);
		free(name);
	} else
		e->name = name;
	return 0;
}

static void
allow_entry_free(struct allow_entry *e)
{
	free(e->name);
	e->name = NULL;
}

static void
set_probe_allow(struct parse *p, const char *v)
{
	struct config *cfg = p->cfg;
	char *list, *rest, *item;
	struct allow_entry e;
	const char *why;

	if (*v == '\0')		/* an empty list: /probe stays off */
		return;
	list = rest = xstrdup(v);
	while ((item = next_item(&rest)) != NULL) {
		if (*item == '\0') {
			key_error(p, "empty entry in list");
			break;
		}
		if (cfg->n_probe_allow == MAX_PROBE_ALLOW) {
			key_error(p, "more than %d entries", MAX_PROBE_ALLOW);
			break;
		}
		if (allow_entry_parse(item, &e, &why) == -1) {
			key_error(p, "\"%s\": %s", show(item).s, why);
			break;
		}
		cfg->probe_allow = xreallocarray(cfg->probe_allow,
		    cfg->n_probe_allow + 1, sizeof(*cfg->probe_allow));
		cfg->probe_allow[cfg->n_probe_allow++] = e;
		if (e.kind == ALLOW_CIDR) {
			cfg->probe_allow_cidrs = xreallocarray(
			    cfg->probe_allow_cidrs, cfg->n_probe_allow_cidrs + 1,
			    sizeof(*cfg->probe_allow_cidrs));
			cfg->probe_allow_cidrs[cfg->n_probe_allow_cidrs++] = e.cidr;
		}
	}
	free(list);
}

static bool has_port(const uint16_t *v, size_t n, uint16_t x);

/* The ports /probe may connect to (a target's, a module's): any of
 * 1-65535, without duplicates; the whole list or nothing. */
static void
set_probe_allow_ports(struct parse *p, const char *v)
{
	uint16_t ports[MAX_PROBE_ALLOW_PORTS];
	char *list = xstrdup(v), *rest = list, *item;
	const char *err;
	size_t n = 0;
	uint16_t port;

	while ((item = next_item(&rest)) != NULL) {
		if (*item == '\0') {
			key_error(p, "empty entry in list");
			break;
		}
		if (addr_parse_port(item, &port, &err) == -1) {
			key_error(p, "\"%s\": %s", show(item).s, err);
			break;
		}
		if (has_port(ports, n, port)) {
			key_error(p, "duplicate port %u", (unsigned)port);
			break;
		}
		if (n == MAX_PROBE_ALLOW_PORTS) {
			key_error(p, "more than %d ports", MAX_PROBE_ALLOW_PORTS);
			break;
		}
		ports[n++] = port;
	}
	free(list);
	if (item != NULL)
		return;
	memcpy(p->cfg->probe_allow_ports, ports, n * sizeof(ports[0]));
	p->cfg->n_probe_allow_ports = n;
}

static void
set_probe_timeout_offset(struct parse *p, const char *v)
{
	get_duration(p, v, 0, 60 * 1000, "must be between 0 and 1m",
	    &p->cfg->probe_timeout_offset_ms);
}

static void
set_probe_max_concurrent(struct parse *p, const char *v)
{
	get_count(p, v, &p->cfg->probe_max_concurrent);
}

/* "$2a$", "$2b$" or "$2y$", a two-digit cost 04-31, '$', and 53 characters
 * of bcrypt's base64: 22 of salt, 31 of hash. */
static bool
is_bcrypt_hash(const char *h)
{
	unsigned cost;

	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' ||
	    (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') || h[3] != '$' ||
	    h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' ||
	    h[6] != '$')
		return false;
	cost = (unsigned)(h[4] - '0') * 10 + (unsigned)(h[5] - '0');
	if (cost < 4 || cost > 31)
		return false;
	for (size_t i = 7; i < 60; i++)
		if (!is_alnum(h[i]) && h[i] != '.' && h[i] != '/')
			return false;
	return true;
}

static void
set_basic_auth_users(struct parse *p, const char *v)
{
	struct config *cfg = p->cfg;
	char *list = xstrdup(v), *rest = list, *item, *colon;
	bool bad;

	while ((item = next_item(&rest)) != NULL) {
		if (*item == '\0') {
			key_error(p, "empty entry in list");
			break;
		}
		colon = strchr(item, ':');
		if (colon == NULL || colon == item) {
			key_error(p, "\"%s\": expected NAME:BCRYPT_HASH",
			    show(item).s);
			break;
		}
		*colon = '\0';
		bad = strlen(item) > 64;
		for (const char *c = item; *c; c++)
			if (!is_alnum(*c) && strchr("._@+-", *c) == NULL)
				bad = true;
		if (bad) {
			key_error(p, "user \"%s\": use 1 to 64 letters, digits, "
			    "'.', '_', '@', '+', '-'", show(item).s);
			break;
		}
		if (!is_bcrypt_hash(colon + 1)) {
			key_error(p, "user %s: not a bcrypt hash (\"$2b$12$\" and "
			    "53 more characters: make one with mailsec_exporter "
			    "--hash-password)", item);
			break;
		}
		bad = false;
		for (size_t i = 0; i < cfg->n_auth_users; i++)
			if (strcmp(cfg->auth_users[i].name, item) == 0)
				bad = true;
		if (bad) {
			key_error(p, "duplicate user %s", item);
			break;
		}
		if (cfg->n_auth_users == MAX_AUTH_USERS) {
			key_error(p, "more than %d users", MAX_AUTH_USERS);
			break;
		}
		cfg->auth_users = xreallocarray(cfg->auth_users,
		    cfg->n_auth_users + 1, sizeof(*cfg->auth_users));
		cfg->auth_users[cfg->n_auth_users].name = xstrdup(item);
		cfg->auth_users[cfg->n_auth_users].hash = xstrdup(colon + 1);
		cfg->n_auth_users++;
	}
	free(list);
}

#define PEM_MAX_SIZE (1024 * 1024)

/* The whole of a PEM file, NUL-terminated, or NULL after a key_error. */
static char *
read_pem(struct parse *p, const char *path)
{
	struct stat st;
	struct buf b;
	int fd, r, err;

	if (*path == '\0') {
		key_error(p, "empty path");
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		key_error(p, "%s: %s", show(path).s, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		key_error(p, "%s: %s", show(path).s, strerror(EISDIR));
		close(fd);
		return NULL;
	}
	buf_init(&b);
	r = read_fd_all(fd, PEM_MAX_SIZE, &b);
	err = errno;
	close(fd);
	if (r == -1)
		key_error(p, "%s: %s", show(path).s, strerror(err));
	else if (b.len > PEM_MAX_SIZE)
		key_error(p, "%s: file too large (max %d KiB)", show(path).s,
		    PEM_MAX_SIZE / 1024);
	else if (b.len == 0 || memchr(b.data, '\0', b.len) != NULL)
		key_error(p, "%s: not a PEM file", show(path).s);
	else
		return b.data;
	if (b.data)
		OPENSSL_cleanse(b.data, b.len);
	buf_free(&b);
	return NULL;
}

static void
free_secret(char **s)
{
	if (*s != NULL)
		OPENSSL_cleanse(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

static void
set_tls_cert_file(struct parse *p, const char *v)
{
	p->tls_cert_line = p->line;
	free(p->cfg->tls_cert_pem);
	free(p->cfg->tls_cert_file);
	p->cfg->tls_cert_file = NULL;
	if ((p->cfg->tls_cert_pem = read_pem(p, v)) != NULL)
		p->cfg->tls_cert_file = xstrdup(v);
}

static void
set_tls_key_file(struct parse *p, const char *v)
{
	p->tls_key_line = p->line;
	free_secret(&p->cfg->tls_key_pem);
	free(p->cfg->tls_key_file);
	p->cfg->tls_key_file = NULL;
	if ((p->cfg->tls_key_pem = read_pem(p, v)) != NULL)
		p->cfg->tls_key_file = xstrdup(v);
}

static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static const char *const client_auth_names[TLS_CLIENT_AUTH__COUNT] = {
	[TLS_CLIENT_AUTH_NONE] = "NoClientCert",
	[TLS_CLIENT_AUTH_REQUEST] = "RequestClientCert",
	[TLS_CLIENT_AUTH_REQUIRE_ANY] = "RequireAnyClientCert",
	[TLS_CLIENT_AUTH_VERIFY_IF_GIVEN] = "VerifyClientCertIfGiven",
	[TLS_CLIENT_AUTH_REQUIRE_VERIFY] = "RequireAndVerifyClientCert",
};

const char *
tls_client_auth_name(enum tls_client_auth a)
{
	return a < TLS_CLIENT_AUTH__COUNT ? client_auth_names[a] : "?";
}

int
tls_client_auth_parse(const char *s, enum tls_client_auth *out)
{
	for (int i = 0; i < TLS_CLIENT_AUTH__COUNT; i++)
		if (strcmp(s, client_auth_names[i]) == 0) {
			*out = (enum tls_client_auth)i;
			return 0;
		}
	/* exporter-toolkit keeps this older name for RequireAnyClientCert. */
	if (strcmp(s, "RequireClientCert") == 0) {
		*out = TLS_CLIENT_AUTH_REQUIRE_ANY;
		return 0;
	}
	return -1;
}

int
tls_client_auth_verifies(enum tls_client_auth a)
{
	return a == TLS_CLIENT_AUTH_VERIFY_IF_GIVEN ||
	    a == TLS_CLIENT_AUTH_REQUIRE_VERIFY;
}

/* client_ca_file: PEM certificates, at least one, nothing else. */
static void
check_client_ca(struct parse *p)
{
	const char *pem = p->cfg->tls_client_ca_pem;
	BIO *bio = BIO_new_mem_buf(pem, -1);
	unsigned n = 0;
	X509 *x;

	while (bio != NULL &&
	    (x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) != NULL) {
		X509_free(x);
		n++;
	}
	BIO_free(bio);
	ERR_clear_error();
	if (n == 0)
		key_error(p, "%s: no PEM certificate in it",
		    show(p->cfg->tls_client_ca_file).s);
}

/* Both files or neither; the certificate and the key parse, and match. */
static void
check_tls_files(struct parse *p)
{
	struct config *cfg = p->cfg;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	BIO *bio;

	if (p->tls_cert_line && !p->tls_key_line) {
		error_at(p, p->tls_cert_line, "tls_cert_file: needs "
		    "tls_key_file too");
		return;
	}
	if (p->tls_key_line && !p->tls_cert_line) {
		error_at(p, p->tls_key_line, "tls_key_file: needs "
		    "tls_cert_file too");
		return;
	}
	if (cfg->tls_cert_pem == NULL || cfg->tls_key_pem == NULL)
		return;		/* not set, or unreadable: said already */
	if ((bio = BIO_new_mem_buf(cfg->tls_cert_pem, -1)) != NULL) {
		cert = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
		BIO_free(bio);
	}
	if (cert == NULL)
		error_at(p, p->tls_cert_line, "tls_cert_file: %s: no PEM "
		    "certificate in it", show(cfg->tls_cert_file).s);
	if ((bio = BIO_new_mem_buf(cfg->tls_key_pem, -1)) != NULL) {
		key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
		BIO_free(bio);
	}
	if (key == NULL)
		error_at(p, p->tls_key_line, "tls_key_file: %s: no PEM private "
		    "key in it (a key with a passphrase is not supported)",
		    show(cfg->tls_key_file).s);
	if (cert != NULL && key != NULL && X509_check_private_key(cert, key) != 1)
		error_at(p, p->tls_key_line, "tls_key_file: %s: the key does "
		    "not match the certificate of tls_cert_file",
		    show(cfg->tls_key_file).s);
	X509_free(cert);
	EVP_PKEY_free(key);
	ERR_clear_error();
}

/* [module NAME] keys. */

static void
set_module_kind(struct parse *p, const char *v)
{
	struct target_cfg *t = cur_target(p);

	if (strcmp(v, "domain") == 0)
		t->kind = TARGET_DOMAIN;
	else if (strcmp(v, "endpoint") == 0)
		t->kind = TARGET_ENDPOINT;
	else {
		key_error(p, "\"%s\" is not domain or endpoint", show(v).s);
		return;
	}
	p->module_kind_set = true;
}

/* [domain] and [endpoint] keys. */

static bool
has_port(const uint16_t *v, size_t n, uint16_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* A comma-separated list of ports, each one of allowed (named in words
 * for the message), without duplicates.  The target keeps it only when the
 * whole list is good. */
static void
set_ports(struct parse *p, const char *v, const uint16_t *allowed,
    size_t n_allowed, const char *words, uint16_t *out, size_t *n_out)
{
	uint16_t ports[MAX_PORTS];
	char *list = xstrdup(v), *rest = list, *item;
	const char *err;
	size_t n = 0;
	uint64_t port;

	while ((item = next_item(&rest)) != NULL) {
		if (*item == '\0') {
			key_error(p, "empty entry in list");
			break;
		}
		if (parse_uint(item, 1, 65535, &port, &err) == -1) {
			key_error(p, "\"%s\": %s", show(item).s, err);
			break;
		}
		if (!has_port(allowed, n_allowed, (uint16_t)port)) {
			key_error(p, "port %u is not %s", (unsigned)port, words);
			break;
		}
		if (has_port(ports, n, (uint16_t)port)) {
			key_error(p, "duplicate port %u", (unsigned)port);
			break;
		}
		if (n == MAX_PORTS) {
			key_error(p, "more than %d ports", MAX_PORTS);
			break;
		}
		ports[n++] = (uint16_t)port;
	}
	free(list);
	if (item != NULL)
		return;
	memcpy(out, ports, n * sizeof(ports[0]));
	*n_out = n;
}

/* probe_allow_ports when not set: SMTP, submissions, submission, POP3,
 * IMAP, IMAPS, POP3S. */
static const uint16_t default_probe_allow_ports[] = {
	25, 465, 587, 110, 143, 993, 995
};

/* The ports are listed here, not taken from protocol_for_port(), which
 * knows the IMAP and POP3 ports too. */
static const uint16_t smtp_port_set[] = { 25, 465, 587 };
static const uint16_t imap_port_set[] = { 143, 993 };
static const uint16_t pop3_port_set[] = { 110, 995 };

static void
set_smtp_ports(struct parse *p, const char *v)
{
	struct target_cfg *t = cur_target(p);

	set_ports(p, v, smtp_port_set, ARRAY_LEN(smtp_port_set),
	    "25, 465 or 587", t->smtp_ports, &t->n_smtp_ports);
}

static void
set_imap_ports(struct parse *p, const char *v)
{
	struct target_cfg *t = cur_target(p);

	set_ports(p, v, imap_port_set, ARRAY_LEN(imap_port_set),
	    "143 or 993", t->imap_ports, &t->n_imap_ports);
}

static void
set_pop3_ports(struct parse *p, const char *v)
{
	struct target_cfg *t = cur_target(p);

	set_ports(p, v, pop3_port_set, ARRAY_LEN(pop3_port_set),
	    "110 or 995", t->pop3_ports, &t->n_pop3_ports);
}

/* A host as the file names it: an ip address, made canonical, or a DNS
 * name, lowercased.  *h is replaced when rewritten. */
static int
normalize_host(char **h, const char **why)
{
	if (strchr(*h, ':') != NULL) {
		if (normalize_ip(h, AF_INET6) == -1) {
			*why = "not an ipv6 address";
			return -1;
		}
		return 0;
	}
	if (normalize_ip(h, AF_INET) == 0)
		return 0;
	return normalize_dns_name(*h, why);
}

static void
free_hosts(char **hosts, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free(hosts[i]);
		hosts[i] = NULL;
	}
	*n = 0;
}

/* An IP address, v4 or v6, made canonical. */
static int
normalize_address(char **h, const char **why)
{
	if (normalize_ip(h, strchr(*h, ':') ? AF_INET6 : AF_INET) == -1) {
		*why = "not an ip address";
		return -1;
	}
	return 0;
}

/* A DKIM selector: dot-separated labels of letters, digits, '-' and '_';
 * all-digit labels are common ("20230601"). */
static int
normalize_selector(char **h, const char **why)
{
	size_t label = 0, len = strlen(*h);

	if (len == 0 || len > DNS_NAME_MAX - 12) {
		*why = "selector empty or too long";
		return -1;
	}
	for (char *c = *h;; c++) {
		if (*c == '.' || *c == '\0') {
			if (label == 0 || label > DNS_LABEL_MAX) {
				*why = "empty or overlong label";
				return -1;
			}
			if (*c == '\0')
				return 0;
			label = 0;
			continue;
		}
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
		if (!is_alnum(*c) && *c != '-' && *c != '_') {
			*why = "bad character (use letters, digits, '-', '_', '.')";
			return -1;
		}
		label++;
	}
}

/* A comma-separated list of at most max items, each made canonical by
 * normalize, no duplicates.  The target keeps it only when the whole list
 * is good. */
static void
set_list(struct parse *p, const char *v, char **out, size_t *n_out,
    size_t max, int (*normalize)(char **, const char **), const char *what)
{
	char *items[MAX_LIST];
	char *list = xstrdup(v), *rest = list, *item, *h;
	const char *why;
	size_t n = 0;

	while ((item = next_item(&rest)) != NULL) {
		if (*item == '\0') {
			key_error(p, "empty entry in list");
			break;
		}
		h = xstrdup(item);
		if (normalize(&h, &why) == -1) {
			key_error(p, "\"%s\": %s", show(item).s, why);
			free(h);
			break;
		}
		for (size_t i = 0; i < n && h != NULL; i++)
			if (strcmp(items[i], h) == 0) {
				key_error(p, "duplicate %s %s", what, h);
				free(h);
				h = NULL;
			}
		if (h == NULL)
			break;
		if (n == max) {
			key_error(p, "more than %zu %ss", max, what);
			free(h);
			break;
		}
		items[n++] = h;
	}
	free(list);
	if (item != NULL) {
		free_hosts(items, &n);
		return;
	}
	free_hosts(out, n_out);
	memcpy(out, items, n * sizeof(items[0]));
	*n_out = n;
}

static void
set_hosts(struct parse *p, const char *v, char **out, size_t *n_out)
{
	set_list(p, v, out, n_out, MAX_HOSTS, normalize_host, "host");
}

static void
set_dkim_selectors(struct parse *p, const char *v)
{
	struct target_cfg *t = cur_target(p);

	set_list(p, v, t->dkim_selectors, &t->n_dkim_selectors, MAX_SELECTORS,
	    normalize_selector, "selector");
}

static void
set_spf_expect_pass(struct parse *p, const char *v)
{
	struct target_cfg *t = cur_target(p);

	set_list(p, v, t->spf_expect_pass, &t->n_spf_expect_pass,
	    MAX_SPF_EXPECT, normalize_address, "address");
}

static void
set_imap_hosts(struct parse *p, const char *v)
{
	struct target_cfg *t = cur_target(p);

	set_hosts(p, v, t->imap_hosts, &t->n_imap_hosts);
}

static void
set_pop3_hosts(struct parse *p, const char *v)
{
	struct target_cfg *t = cur_target(p);

	set_hosts(p, v, t->pop3_hosts, &t->n_pop3_hosts);
}

/* on/off, and the usual spellings of both; any case. */
static int
get_switch(struct parse *p, const char *v, int *out)
{
	static const char *const on[] = { "on", "yes", "true", "1" };
	static const char *const off[] = { "off", "no", "false", "0" };

	for (size_t i = 0; i < ARRAY_LEN(on); i++) {
		if (str_ieq(v, on[i])) {
			*out = 1;
			return 0;
		}
		if (str_ieq(v, off[i])) {
			*out = 0;
			return 0;
		}
	}
	key_error(p, "\"%s\" is not on or off", show(v).s);
	return -1;
}

static int
get_audit_interval(struct parse *p, const char *v, uint64_t *out)
{
	return get_duration(p, v, AUDIT_INTERVAL_MIN_MS, UINT64_MAX,
	    "must be at least 1m", out);
}

static void
set_audit(struct parse *p, const char *v)
{
	get_switch(p, v, &p->cfg->audit);
}

static void
set_audit_interval(struct parse *p, const char *v)
{
	get_audit_interval(p, v, &p->cfg->audit_interval_ms);
}

/* Change detection (daemon/changes.c).  The state file need not exist:
 * it is made at the first change; its directory is the user's to give. */
static void
set_state_file(struct parse *p, const char *v)
{
	if (*v == '\0' || strlen(v) >= 4096) {
		key_error(p, "%s", "must be a path");
		return;
	}
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			key_error(p, "%s", "control character in the path");
			return;
		}
	free(p->cfg->state_file);
	p->cfg->state_file = xstrdup(v);
}

static void
set_weakened_hold(struct parse *p, const char *v)
{
	get_duration(p, v, WEAKENED_HOLD_MIN_MS, UINT64_MAX,
	    "must be at least 1m", &p->cfg->weakened_hold_ms);
}

static void
set_address_label(struct parse *p, const char *v)
{
	if (strcmp(v, "on") == 0)
		p->cfg->address_label = ADDRESS_LABEL_ON;
	else if (strcmp(v, "off") == 0)
		p->cfg->address_label = ADDRESS_LABEL_OFF;
	else if (strcmp(v, "hash") == 0)
		p->cfg->address_label = ADDRESS_LABEL_HASH;
	else
		key_error(p, "\"%s\": on, off or hash", show(v).s);
}

static void
set_target_audit(struct parse *p, const char *v)
{
	get_switch(p, v, &cur_target(p)->audit);
}

static void
set_target_records(struct parse *p, const char *v)
{
	get_switch(p, v, &cur_target(p)->records);
}

static void
set_mta_sts(struct parse *p, const char *v)
{
	get_switch(p, v, &p->cfg->mta_sts);
}

static void
set_share(struct parse *p, const char *v)
{
	get_switch(p, v, &p->cfg->share);
}

static void
set_tls_rpt(struct parse *p, const char *v)
{
	get_switch(p, v, &p->cfg->tls_rpt);
}

/* Whole seconds, 0 to DNSCACHE_MAX_TTL_LIMIT_S: a TTL cap. */
static void
get_ttl_cap(struct parse *p, const char *v, uint64_t *out)
{
	if (get_duration(p, v, 0, (uint64_t)DNSCACHE_MAX_TTL_LIMIT_S * 1000,
	    "must be between 0 (off) and 1d", out) == 0 && *out % 1000 != 0) {
		key_error(p, "must be whole seconds");
		*out = 0;
	}
}

static void
set_dns_cache_max_ttl(struct parse *p, const char *v)
{
	get_ttl_cap(p, v, &p->cfg->dns_cache_max_ttl_ms);
}

static void
set_dns_cache_negative_max_ttl(struct parse *p, const char *v)
{
	get_ttl_cap(p, v, &p->cfg->dns_cache_negative_max_ttl_ms);
}

static void
get_bounded(struct parse *p, const char *v, uint64_t min, uint64_t max,
    unsigned *out)
{
	const char *err;
	uint64_t n;

	if (parse_uint(v, min, max, &n, &err) == -1) {
		key_error(p, "%s (%llu-%llu)", err, (unsigned long long)min,
		    (unsigned long long)max);
		return;
	}
	*out = (unsigned)n;
}

static void
set_dns_cache_max_entries(struct parse *p, const char *v)
{
	get_bounded(p, v, 0, 10000000, &p->cfg->dns_cache_max_entries);
}

static void
set_dns_cache_max_bytes(struct parse *p, const char *v)
{
	get_bounded(p, v, 0, 1024u * 1024 * 1024,
	    &p->cfg->dns_cache_max_bytes);
}

static void
set_dns_budget_per_domain(struct parse *p, const char *v)
{
	get_bounded(p, v, 1, DNS_BUDGET_MAX, &p->cfg->dns_budget_per_domain);
}

static void
set_dnssec(struct parse *p, const char *v)
{
	get_switch(p, v, &p->cfg->dnssec);
}

static void
set_dnssec_trust_anchor_file(struct parse *p, const char *v)
{
	get_readable_path(p, v, &p->cfg->dnssec_trust_anchor_file);
}

static void
set_dnssec_forwarder(struct parse *p, const char *v)
{
	struct buf out;
	const char *why = NULL;

	buf_init(&out);
	if (strchr(v, ',') != NULL)
		why = "one address only";
	else if (add_resolver(v, &out, &why) == 0) {
		free(p->cfg->dnssec_forwarder);
		p->cfg->dnssec_forwarder = out.data;
		return;
	}
	key_error(p, "%s: %s", show(v).s, why);
	buf_free(&out);
}

static void
set_target_mta_sts(struct parse *p, const char *v)
{
	get_switch(p, v, &cur_target(p)->mta_sts);
}

static void
set_target_tls_rpt(struct parse *p, const char *v)
{
	get_switch(p, v, &cur_target(p)->tls_rpt);
}

static void
set_target_dane(struct parse *p, const char *v)
{
	get_switch(p, v, &cur_target(p)->dane);
}

static void
caa_issuers_clear(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_caa_issuers; i++) {
		free(cfg->caa_issuers[i].domain);
		free(cfg->caa_issuers[i].pattern);
	}
	cfg->n_caa_issuers = 0;
}

/* "DOMAIN=PATTERN, DOMAIN=PATTERN": the pattern is printable ASCII
 * without ',' (inner spaces kept), 1-64 bytes. */
static void
set_caa_issuers(struct parse *p, const char *v)
{
	struct config *cfg = p->cfg;
	const char *s = v;

	caa_issuers_clear(cfg);
	while (*s) {
		const char *end = strchr(s, ','), *eq, *why;
		size_t len;
		char *dom, *pat;

		if (end == NULL)
			end = s + strlen(s);
		while (s < end && *s == ' ')
			s++;
		len = (size_t)(end - s);
		while (len > 0 && s[len - 1] == ' ')
			len--;
		eq = memchr(s, '=', len);
		if (eq == NULL || eq == s || eq == s + len - 1) {
			key_error(p, "\"%.*s\": want CA-DOMAIN=ISSUER-TEXT",
			    (int)(len > 80 ? 80 : len), show(s).s);
			caa_issuers_clear(cfg);
			return;
		}
		if (cfg->n_caa_issuers == MAX_CAA_ISSUERS) {
			key_error(p, "at most %d entries", MAX_CAA_ISSUERS);
			caa_issuers_clear(cfg);
			return;
		}
		{	/* blanks around '=' are not part of either */
			const char *de = eq, *ps = eq + 1;

			while (de > s && de[-1] == ' ')
				de--;
			while (ps < s + len && *ps == ' ')
				ps++;
			dom = xstrndup(s, (size_t)(de - s));
			pat = xstrndup(ps, (size_t)(s + len - ps));
		}
		if (addr_name_normalize(dom, 0, &why) == -1 ||
		    strchr(dom, '.') == NULL) {
			key_error(p, "%s: not a CA domain name", show(dom).s);
			free(dom);
			free(pat);
			caa_issuers_clear(cfg);
			return;
		}
		len = strlen(pat);
		for (size_t i = 0; i < len; i++)
			if (pat[i] < 0x20 || pat[i] > 0x7e)
				len = 0;
		if (len == 0 || len > CAA_ISSUER_PATTERN_MAX) {
			key_error(p, "%s: the issuer text must be 1-%d printable "
			    "characters", show(dom).s, CAA_ISSUER_PATTERN_MAX);
			free(dom);
			free(pat);
			caa_issuers_clear(cfg);
			return;
		}
		cfg->caa_issuers[cfg->n_caa_issuers].domain = dom;
		cfg->caa_issuers[cfg->n_caa_issuers++].pattern = pat;
		s = *end ? end + 1 : end;
	}
}

const char *
config_caa_issuer_domain(const struct config *cfg, const char *issuer)
{
	for (size_t i = 0; cfg != NULL && i < cfg->n_caa_issuers; i++)
		if (strstr(issuer, cfg->caa_issuers[i].pattern) != NULL)
			return cfg->caa_issuers[i].domain;
	return NULL;
}

int
ip_protocol_allows(enum ip_protocol p, int family)
{
	switch (p) {
	case IP_PROTOCOL_IP4:
		return family == AF_INET;
	case IP_PROTOCOL_IP6:
		return family == AF_INET6;
	case IP_PROTOCOL_BOTH:
	default:
		return 1;
	}
}

static void
set_target_ip_protocol(struct parse *p, const char *v)
{
	if (strcmp(v, "both") == 0)
		cur_target(p)->ip_protocol = IP_PROTOCOL_BOTH;
	else if (strcmp(v, "ip4") == 0)
		cur_target(p)->ip_protocol = IP_PROTOCOL_IP4;
	else if (strcmp(v, "ip6") == 0)
		cur_target(p)->ip_protocol = IP_PROTOCOL_IP6;
	else
		key_error(p, "\"%s\": ip4, ip6 or both", show(v).s);
}

static void
set_target_audit_interval(struct parse *p, const char *v)
{
	get_audit_interval(p, v, &cur_target(p)->audit_interval_ms);
}

static void
set_protocol(struct parse *p, const char *v)
{
	p->protocol_set = true;	/* even if bad: one error is enough */
	if (protocol_parse(v, &cur_target(p)->protocol) == -1)
		key_error(p, "unknown protocol \"%s\" (use " PROTOCOL_LIST ")",
		    show(v).s);
}

static void
set_target_interval(struct parse *p, const char *v)
{
	get_interval(p, v, &cur_target(p)->interval_ms);
}

static void
set_target_timeout(struct parse *p, const char *v)
{
	get_timeout(p, v, &cur_target(p)->timeout_ms);
}

/* Sections. */

/* Starts a target: appended to the config, or a scratch one when its
 * header is bad (name NULL) so that its keys are still checked. */
static void
start_target(struct parse *p, enum target_kind kind, char *name,
    uint16_t port)
{
	struct config *cfg = p->cfg;
	struct target_cfg *t;

	p->use_scratch = name == NULL;
	if (p->use_scratch)
		t = &p->scratch;
	else {
		if (cfg->n_targets == p->targets_cap) {
			p->targets_cap = p->targets_cap ? p->targets_cap * 2 : 8;
			cfg->targets = xreallocarray(cfg->targets,
			    p->targets_cap, sizeof(*cfg->targets));
		}
		t = &cfg->targets[cfg->n_targets++];
	}
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->name = name;
	t->port = port;
	t->line = p->line;
	t->audit = -1;
	t->records = 1;
	t->mta_sts = -1;
	t->tls_rpt = -1;
	t->dane = 1;
	if (kind == TARGET_DOMAIN) {
		t->smtp_ports[0] = protocol_default_port(PROTO_SMTP);
		t->n_smtp_ports = 1;
	}
	p->protocol_set = false;
}

static void
open_exporter(struct parse *p, const char *arg)
{
	(void)arg;
	if (p->exporter_line)
		error_at(p, p->line, "duplicate section [exporter] (first at "
		    "line %u)", p->exporter_line);
	else
		p->exporter_line = p->line;
}

static void
open_domain(struct parse *p, const char *arg)
{
	char *name = xstrdup(arg);
	struct addr ip;
	const char *why;

	if (addr_parse_ip(name, &ip) == 0) {
		why = "an ip address is not a mail domain (use [endpoint])";
		goto bad;
	}
	if (normalize_dns_name(name, &why) == -1)
		goto bad;
	start_target(p, TARGET_DOMAIN, name, 0);
	return;
bad:
	error_at(p, p->line, "bad domain \"%s\": %s", show(arg).s, why);
	free(name);
	start_target(p, TARGET_DOMAIN, NULL, 0);
}

static void
open_endpoint(struct parse *p, const char *arg)
{
	const char *why;
	uint16_t port;
	char *host;

	if (addr_parse_host_port(arg, &host, &port, &why) == -1) {
		error_at(p, p->line, "bad endpoint \"%s\": %s", show(arg).s,
		    why);
		start_target(p, TARGET_ENDPOINT, NULL, 0);
		return;
	}
	if (arg[0] == '[') {
		if (normalize_ip(&host, AF_INET6) == -1) {
			why = "not an ipv6 address in brackets";
			goto bad;
		}
	} else if (normalize_ip(&host, AF_INET) == -1 &&
	    normalize_dns_name(host, &why) == -1)
		goto bad;
	start_target(p, TARGET_ENDPOINT, host, port);
	return;
bad:
	error_at(p, p->line, "bad endpoint \"%s\": %s", show(arg).s, why);
	free(host);
	start_target(p, TARGET_ENDPOINT, NULL, 0);
}

static void
close_endpoint(struct parse *p)
{
	struct target_cfg *t = cur_target(p);

	if (p->use_scratch || p->protocol_set)
		return;
	if (protocol_for_port(t->port, &t->protocol) == -1)
		error_at(p, t->line, "port %u has no default protocol: set "
		    "protocol (" PROTOCOL_LIST ")", (unsigned)t->port);
}

/* The line of a key of the current section, 0 if it was not set. */
static unsigned
key_line(struct parse *p, const char *name)
{
	for (size_t i = 0; i < p->sec->n_keys; i++)
		if (strcmp(p->sec->keys[i].name, name) == 0)
			return p->seen[i];
	return 0;
}

/* Ports without hosts are a mistake; hosts without ports get them all. */
static void
close_mail_hosts(struct parse *p, const char *hosts_key,
    const char *ports_key, size_t n_hosts, const uint16_t *all,
    size_t n_all, uint16_t *ports, size_t *n_ports)
{
	unsigned ports_line = key_line(p, ports_key);

	if (ports_line && !key_line(p, hosts_key))
		error_at(p, ports_line, "%s without %s", ports_key, hosts_key);
	if (!ports_line && n_hosts > 0) {
		memcpy(ports, all, n_all * sizeof(all[0]));
		*n_ports = n_all;
	}
}

static void
close_domain(struct parse *p)
{
	struct target_cfg *t = cur_target(p);

	close_mail_hosts(p, "imap_hosts", "imap_ports", t->n_imap_hosts,
	    imap_port_set, ARRAY_LEN(imap_port_set), t->imap_ports,
	    &t->n_imap_ports);
	close_mail_hosts(p, "pop3_hosts", "pop3_ports", t->n_pop3_hosts,
	    pop3_port_set, ARRAY_LEN(pop3_port_set), t->pop3_ports,
	    &t->n_pop3_ports);
}

/* A module's target: the defaults of a /probe run. */
static void
module_target_init(struct target_cfg *t, unsigned line)
{
	memset(t, 0, sizeof(*t));
	t->kind = TARGET_ENDPOINT;	/* until kind says */
	t->line = line;
	t->audit = 0;			/* ~11 handshakes: only when asked */
	t->records = 1;
	t->mta_sts = -1;
	t->tls_rpt = -1;
	t->dane = 1;
	t->smtp_ports[0] = protocol_default_port(PROTO_SMTP);
	t->n_smtp_ports = 1;
}

static void
open_module(struct parse *p, const char *arg)
{
	struct config *cfg = p->cfg;
	const char *why = NULL;
	struct module_cfg *m;

	if (strlen(arg) > MODULE_NAME_MAX)
		why = "longer than 64 characters";
	for (const char *c = arg; *c && why == NULL; c++)
		if (!is_alnum(*c) && *c != '-' && *c != '_' && *c != '.')
			why = "bad character (use letters, digits, '-', '_', "
			    "'.')";
	if (why != NULL)
		error_at(p, p->line, "bad module name \"%s\": %s", show(arg).s,
		    why);
	for (size_t i = 0; why == NULL && i < cfg->n_modules; i++)
		if (strcmp(cfg->modules[i].name, arg) == 0) {
			error_at(p, p->line, "duplicate section [module %s] "
			    "(first at line %u)", arg, cfg->modules[i].line);
			why = "";
		}
	p->module_kind_set = false;
	if (why != NULL) {	/* its keys are checked, the module dropped */
		p->use_scratch = true;
		module_target_init(&p->scratch, p->line);
		return;
	}
	cfg->modules = xreallocarray(cfg->modules, cfg->n_modules + 1,
	    sizeof(*cfg->modules));
	m = &cfg->modules[cfg->n_modules++];
	m->name = xstrdup(arg);
	m->line = p->line;
	module_target_init(&m->t, p->line);
	p->in_module = true;
}

static void
close_module(struct parse *p)
{
	static const char *const domain_only[] = { "smtp_ports",
	    "dkim_selectors", "records", "mta_sts", "tls_rpt", "dane" };
	const struct target_cfg *t = cur_target(p);
	unsigned line;

	if (!key_line(p, "kind")) {
		error_at(p, p->sec_line, "%s: kind is required (domain or "
		    "endpoint)", p->sec_label.data);
		return;
	}
	if (!p->module_kind_set)
		return;		/* a bad kind, said already */
	if (t->kind == TARGET_DOMAIN) {
		if ((line = key_line(p, "protocol")) != 0)
			error_at(p, line, "protocol: only for kind = endpoint");
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(domain_only); i++)
		if ((line = key_line(p, domain_only[i])) != 0)
			error_at(p, line, "%s: only for kind = domain",
			    domain_only[i]);
	if (!key_line(p, "protocol"))
		error_at(p, p->sec_line, "%s: kind = endpoint needs protocol "
		    "(" PROTOCOL_LIST ")", p->sec_label.data);
}

static const struct key_def exporter_keys[] = {
	{ "listen", set_listen },
	{ "interval", set_interval },
	{ "timeout", set_timeout },
	{ "concurrency", set_concurrency },
	{ "ca_file", set_ca_file },
	{ "resolver", set_resolver },
	{ "log_level", set_log_level },
	{ "ehlo_name", set_ehlo_name },
	{ "user", set_user },
	{ "audit", set_audit },
	{ "audit_interval", set_audit_interval },
	{ "state_file", set_state_file },
	{ "weakened_hold", set_weakened_hold },
	{ "probe_allow", set_probe_allow },
	{ "probe_allow_ports", set_probe_allow_ports },
	{ "probe_timeout_offset", set_probe_timeout_offset },
	{ "probe_max_concurrent", set_probe_max_concurrent },
	{ "basic_auth_users", set_basic_auth_users },
	{ "tls_cert_file", set_tls_cert_file },
	{ "tls_key_file", set_tls_key_file },
	{ "address_label", set_address_label },
	{ "share", set_share },
	{ "mta_sts", set_mta_sts },
	{ "tls_rpt", set_tls_rpt },
	{ "dnssec", set_dnssec },
	{ "dnssec_trust_anchor_file", set_dnssec_trust_anchor_file },
	{ "dnssec_forwarder", set_dnssec_forwarder },
	{ "dns_cache_max_ttl", set_dns_cache_max_ttl },
	{ "dns_cache_negative_max_ttl", set_dns_cache_negative_max_ttl },
	{ "dns_cache_max_entries", set_dns_cache_max_entries },
	{ "dns_cache_max_bytes", set_dns_cache_max_bytes },
	{ "dns_budget_per_domain", set_dns_budget_per_domain },
	{ "caa_issuers", set_caa_issuers },
};

static const struct key_def domain_keys[] = {
	{ "smtp_ports", set_smtp_ports },
	{ "imap_hosts", set_imap_hosts },
	{ "imap_ports", set_imap_ports },
	{ "pop3_hosts", set_pop3_hosts },
	{ "pop3_ports", set_pop3_ports },
	{ "interval", set_target_interval },
	{ "timeout", set_target_timeout },
	{ "audit", set_target_audit },
	{ "audit_interval", set_target_audit_interval },
	{ "records", set_target_records },
	{ "dkim_selectors", set_dkim_selectors },
	{ "spf_expect_pass", set_spf_expect_pass },
	{ "mta_sts", set_target_mta_sts },
	{ "tls_rpt", set_target_tls_rpt },
	{ "dane", set_target_dane },
	{ "ip_protocol", set_target_ip_protocol },
};

static const struct key_def endpoint_keys[] = {
	{ "protocol", set_protocol },
	{ "interval", set_target_interval },
	{ "timeout", set_target_timeout },
	{ "audit", set_target_audit },
	{ "audit_interval", set_target_audit_interval },
	{ "ip_protocol", set_target_ip_protocol },
};

static const struct key_def module_keys[] = {
	{ "kind", set_module_kind },
	{ "protocol", set_protocol },
	{ "smtp_ports", set_smtp_ports },
	{ "dkim_selectors", set_dkim_selectors },
	{ "records", set_target_records },
	{ "timeout", set_target_timeout },
	{ "audit", set_target_audit },
	{ "mta_sts", set_target_mta_sts },
	{ "tls_rpt", set_target_tls_rpt },
	{ "dane", set_target_dane },
	{ "ip_protocol", set_target_ip_protocol },
};

/* [config postfix NAME] and [config dovecot NAME]. */

/* The section being read, or NULL in a bad one (its keys are checked,
 * nothing is kept). */
static struct cfgsrc_cfg *
cur_cfgsrc(struct parse *p)
{
	if (p->use_scratch || p->cfg->n_cfgsrcs == 0)
		return NULL;
	return &p->cfg->cfgsrcs[p->cfg->n_cfgsrcs - 1];
}

static void
set_cfgsrc_path(struct parse *p, const char *v)
{
	struct cfgsrc_cfg *c = cur_cfgsrc(p);

	if (*v != '/') {
		key_error(p, "must be an absolute path");
		return;
	}
	if (strlen(v) > 1024) {
		key_error(p, "path longer than 1024 bytes");
		return;
	}
	if (c == NULL)
		return;
	free(c->path);
	c->path = xstrdup(v);
}

static void
set_cfgsrc_tool(struct parse *p, const char *v)
{
	struct cfgsrc_cfg *c = cur_cfgsrc(p);

	if (strcmp(v, "none") != 0 && *v != '/') {
		key_error(p, "an absolute path, or none (read the files)");
		return;
	}
	if (c == NULL)
		return;
	free(c->tool);
	c->tool = xstrdup(v);
}

static void
set_cfgsrc_interval(struct parse *p, const char *v)
{
	struct cfgsrc_cfg *c = cur_cfgsrc(p);
	uint64_t ms;

	if (get_duration(p, v, AUDIT_INTERVAL_MIN_MS, UINT64_MAX,
	    "must be at least 1m", &ms) == 0 && c != NULL)
		c->interval_ms = ms;
}

static void
set_cfgsrc_timeout(struct parse *p, const char *v)
{
	struct cfgsrc_cfg *c = cur_cfgsrc(p);
	uint64_t ms;

	if (get_timeout(p, v, &ms) == 0 && c != NULL)
		c->timeout_ms = ms;
}

/* HOST:PORT list, each made the `target` key of its [endpoint]; kept only
 * when the whole list is good. */
static void
set_cfgsrc_endpoints(struct parse *p, const char *v)
{
	struct cfgsrc_cfg *c = cur_cfgsrc(p);
	char *list = xstrdup(v), *rest = list, *item, *host;
	char *eps[MAX_CFG_ENDPOINTS];
	const char *why;
	uint16_t port;
	size_t n = 0;

	while ((item = next_item(&rest)) != NULL) {
		struct buf key;

		if (addr_parse_host_port(item, &host, &port, &why) == -1) {
			key_error(p, "\"%s\": %s", show(item).s, why);
			break;
		}
		if (normalize_host(&host, &why) == -1) {
			key_error(p, "\"%s\": %s", show(item).s, why);
			free(host);
			break;
		}
		if (n == MAX_CFG_ENDPOINTS) {
			key_error(p, "more than %d endpoints", MAX_CFG_ENDPOINTS);
			free(host);
			break;
		}
		buf_init(&key);
		if (strchr(host, ':'))
			buf_printf(&key, "[%s]:%u", host, (unsigned)port);
		else
			buf_printf(&key, "%s:%u", host, (unsigned)port);
		free(host);
		eps[n++] = key.data;
	}
	free(list);
	if (item != NULL || c == NULL) {
		free_hosts(eps, &n);
		return;
	}
	free_hosts(c->endpoints, &c->n_endpoints);
	memcpy(c->endpoints, eps, n * sizeof(eps[0]));
	c->n_endpoints = n;
}

static void
open_cfgsrc(struct parse *p, const char *arg)
{
	struct config *cfg = p->cfg;
	size_t wl = strcspn(arg, " \t");
	const char *name = arg + wl;
	struct cfgsrc_cfg *c;
	int server = -1;

	while (*name == ' ' || *name == '\t')
		name++;
	if (wl == 7 && strncmp(arg, "postfix", 7) == 0)
		server = 0;
	else if (wl == 7 && strncmp(arg, "dovecot", 7) == 0)
		server = 1;
	p->use_scratch = true;
	if (server == -1) {
		error_at(p, p->line, "[config %s]: use [config postfix NAME] or "
		    "[config dovecot NAME]", show(arg).s);
		return;
	}
	if (*name == '\0' || strlen(name) > MODULE_NAME_MAX) {
		error_at(p, p->line, "[config %s]: a name of 1 to 64 characters "
		    "is needed", show(arg).s);
		return;
	}
	for (const char *ch = name; *ch; ch++)
		if (!is_alnum(*ch) && *ch != '-' && *ch != '_' && *ch != '.') {
			error_at(p, p->line, "bad config name \"%s\" (use "
			    "letters, digits, '-', '_', '.')", show(name).s);
			return;
		}
	for (size_t i = 0; i < cfg->n_cfgsrcs; i++)
		if (cfg->cfgsrcs[i].server == server &&
		    strcmp(cfg->cfgsrcs[i].name, name) == 0) {
			error_at(p, p->line, "duplicate section [config %s] "
			    "(first at line %u)", show(arg).s,
			    cfg->cfgsrcs[i].line);
			return;
		}
	p->use_scratch = false;
	cfg->cfgsrcs = xreallocarray(cfg->cfgsrcs, cfg->n_cfgsrcs + 1,
	    sizeof(*cfg->cfgsrcs));
	c = &cfg->cfgsrcs[cfg->n_cfgsrcs++];
	memset(c, 0, sizeof(*c));
	c->server = server;
	c->name = xstrdup(name);
	c->line = p->line;
}

static void
close_cfgsrc(struct parse *p)
{
	if (p->use_scratch)
		return;
	if (!key_line(p, "path"))
		error_at(p, p->sec_line, "%s: path is required (the Postfix "
		    "config directory, or dovecot.conf)", p->sec_label.data);
}

static const struct key_def cfgsrc_keys[] = {
	{ "path", set_cfgsrc_path },
	{ "tool", set_cfgsrc_tool },
	{ "interval", set_cfgsrc_interval },
	{ "timeout", set_cfgsrc_timeout },
	{ "endpoints", set_cfgsrc_endpoints },
};

_Static_assert(ARRAY_LEN(module_keys) <= MAX_SECTION_KEYS &&
    ARRAY_LEN(exporter_keys) <= MAX_SECTION_KEYS &&
    ARRAY_LEN(domain_keys) <= MAX_SECTION_KEYS &&
    ARRAY_LEN(endpoint_keys) <= MAX_SECTION_KEYS, "raise MAX_SECTION_KEYS");

static const struct section_def sections[] = {
	{ "exporter", false, exporter_keys, ARRAY_LEN(exporter_keys),
	    open_exporter, NULL },
	{ "domain", true, domain_keys, ARRAY_LEN(domain_keys),
	    open_domain, close_domain },
	{ "endpoint", true, endpoint_keys, ARRAY_LEN(endpoint_keys),
	    open_endpoint, close_endpoint },
	{ "module", true, module_keys, ARRAY_LEN(module_keys),
	    open_module, close_module },
	{ "config", true, cfgsrc_keys, ARRAY_LEN(cfgsrc_keys),
	    open_cfgsrc, close_cfgsrc },
};

static void
close_section(struct parse *p)
{
	if (p->sec && p->sec->close)
		p->sec->close(p);
	if (p->use_scratch) {	/* its keys were checked; drop what they set */
		free_hosts(p->scratch.imap_hosts, &p->scratch.n_imap_hosts);
		free_hosts(p->scratch.pop3_hosts, &p->scratch.n_pop3_hosts);
		free_hosts(p->scratch.dkim_selectors,
		    &p->scratch.n_dkim_selectors);
		free_hosts(p->scratch.spf_expect_pass,
		    &p->scratch.n_spf_expect_pass);
	}
	p->use_scratch = false;
	p->in_module = false;
	p->sec = NULL;
}

/* The ']' matching s[0] == '[', brackets nesting ("[endpoint [::1]:25]"),
 * or NULL. */
static const char *
closing_bracket(const char *s, size_t n)
{
	size_t depth = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] == '[')
			depth++;
		else if (s[i] == ']' && --depth == 0)
			return s + i;
	return NULL;
}

/* A "[...]" line (s[0] == '['), n bytes, trailing blanks included. */
static void
section_line(struct parse *p, const char *s, size_t n)
{
	const struct section_def *def = NULL;
	const char *close = closing_bracket(s, n), *c;
	char *copy, *inner, *arg;
	size_t wlen;

	close_section(p);
	p->sec_line = p->line;	/* even when malformed: skip its keys */
	memset(p->seen, 0, sizeof(p->seen));
	if (close == NULL) {
		error_at(p, p->line, "syntax error: missing ']'");
		return;
	}
	for (c = close + 1; c < s + n && is_blank(*c); c++)
		;
	if (c < s + n && *c != ';') {
		error_at(p, p->line, "syntax error: text after ']'");
		return;
	}
	copy = xstrndup(s + 1, (size_t)(close - s - 1));
	inner = str_trim(copy);
	wlen = strcspn(inner, " \t");
	arg = str_trim(inner + wlen);
	for (size_t i = 0; i < ARRAY_LEN(sections); i++)
		if (strlen(sections[i].name) == wlen &&
		    memcmp(sections[i].name, inner, wlen) == 0 &&
		    sections[i].has_arg == (*arg != '\0'))
			def = &sections[i];
	buf_reset(&p->sec_label);
	buf_printf(&p->sec_label, "[%s]", show(inner).s);
	if (def == NULL)
		error_at(p, p->line, "unknown section %s (use [exporter], "
		    "[domain NAME] or [endpoint HOST:PORT])", p->sec_label.data);
	else {
		p->sec = def;
		def->open(p, arg);
	}
	free(copy);
}

/* Checks a "key = value" line; 0 if inih may have it. */
static int
check_key_line(struct parse *p, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);
	size_t klen;

	if (eq == NULL) {
		error_at(p, p->line, "syntax error: expected \"key = value\" "
		    "or \"[section]\"");
		return -1;
	}
	for (klen = (size_t)(eq - s); klen > 0 && is_blank(s[klen - 1]); klen--)
		;
	if (klen == 0) {
		error_at(p, p->line, "syntax error: missing key before '='");
		return -1;
	}
	for (size_t i = 0; i < klen; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-') {
			char *key = xstrndup(s, klen);

			error_at(p, p->line, "syntax error: bad key \"%s\"",
			    show(key).s);
			free(key);
			return -1;
		}
	return 0;
}

/* inih's reader: hands over one line of the input per call, as inih may
 * see it; a line we reject (or a comment, or a section header, which we
 * handle here) becomes an empty line. */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	const char *s, *nl;
	size_t n, max;

	if (p->pos >= p->len || num < 2)
		return NULL;
	s = p->data + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	n = nl ? (size_t)(nl - s) : p->len - p->pos;
	p->pos += nl ? n + 1 : n;
	p->line++;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	str[0] = '\n';
	str[1] = '\0';
	/* inih needs room for "\r\n\0" after the longest line. */
	max = num > 3 ? (size_t)num - 3 : 0;
	if (n > max) {
		error_at(p, p->line, "line too long (max %zu bytes)", max);
		return str;
	}
	if (memchr(s, '\0', n) != NULL) {
		error_at(p, p->line, "nul byte in line");
		return str;
	}
	if (p->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		n -= 3;
	}
	/* Leading blanks would make inih continue the previous value. */
	while (n > 0 && is_blank(*s)) {
		s++;
		n--;
	}
	if (n == 0 || *s == ';' || *s == '#')
		return str;
	if (*s == '[') {
		section_line(p, s, n);
		return str;
	}
	if (check_key_line(p, s, n) == 0) {
		memcpy(str, s, n);
		str[n] = '\n';
		str[n + 1] = '\0';
	}
	return str;
}

/* List keys that may be given on several lines, their values adding up:
 * a line holds 197 bytes, too few for a long list. */
static bool
key_repeats(key_fn set)
{
	return set == set_probe_allow || set == set_basic_auth_users;
}

/* inih's handler; its section argument is not used: see the top. */
static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	size_t i;

	(void)section;
	if (p->sec_line == 0) {
		error_at(p, p->line, "%s: key before any section", name);
		return 1;
	}
	if (p->sec == NULL)
		return 1;
	for (i = 0; i < p->sec->n_keys; i++)
		if (strcmp(p->sec->keys[i].name, name) == 0)
			break;
	if (i == p->sec->n_keys) {
		error_at(p, p->line, "unknown key \"%s\" in %s", name,
		    p->sec_label.data);
		return 1;
	}
	if (p->seen[i] && !key_repeats(p->sec->keys[i].set)) {
		error_at(p, p->line, "%s: duplicate key (first at line %u)",
		    name, p->seen[i]);
		return 1;
	}
	p->seen[i] = p->line;
	p->key = name;
	p->sec->keys[i].set(p, value);
	p->key = NULL;
	return 1;
}

static int
target_cmp(const void *a, const void *b)
{
	const struct target_cfg *x = *(const struct target_cfg *const *)a;
	const struct target_cfg *y = *(const struct target_cfg *const *)b;
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static void
check_duplicates(struct parse *p)
{
	const struct config *cfg = p->cfg;
	const struct target_cfg **v, *first;

	if (cfg->n_targets < 2)
		return;
	v = xreallocarray(NULL, cfg->n_targets, sizeof(*v));
	for (size_t i = 0; i < cfg->n_targets; i++)
		v[i] = &cfg->targets[i];
	qsort(v, cfg->n_targets, sizeof(*v), target_cmp);
	first = v[0];
	for (size_t i = 1; i < cfg->n_targets; i++) {
		const struct target_cfg *t = v[i];

		if (t->kind != first->kind || t->port != first->port ||
		    strcmp(t->name, first->name) != 0) {
			first = t;
			continue;
		}
		if (t->kind == TARGET_DOMAIN)
			error_at(p, t->line, "duplicate section [domain %s] "
			    "(first at line %u)", t->name, first->line);
		else
			error_at(p, t->line, "duplicate section [endpoint "
			    "%s%s%s:%u] (first at line %u)",
			    strchr(t->name, ':') ? "[" : "", t->name,
			    strchr(t->name, ':') ? "]" : "", (unsigned)t->port,
			    first->line);
	}
	free(v);
}

/* The defaults that depend on the machine, once the file is read. */
static void
apply_machine_defaults(struct parse *p)
{
	struct config *cfg = p->cfg;
	char host[256];
	const char *why;

	p->at_end = true;
	if (cfg->ca_file == NULL) {
		if (check_readable(DEFAULT_CA_FILE) == -1)
			error_at(p, 0, "ca_file: default %s: %s",
			    DEFAULT_CA_FILE, strerror(errno));
		cfg->ca_file = xstrdup(DEFAULT_CA_FILE);
	}
	if (cfg->dnssec && cfg->dnssec_trust_anchor_file == NULL) {
		if (check_readable(DEFAULT_TRUST_ANCHOR_FILE) == -1)
			error_at(p, 0, "dnssec_trust_anchor_file: default %s: %s"
			    " (install dns-root-data, or set dnssec = off)",
			    DEFAULT_TRUST_ANCHOR_FILE, strerror(errno));
		cfg->dnssec_trust_anchor_file =
		    xstrdup(DEFAULT_TRUST_ANCHOR_FILE);
	}
	if (cfg->ehlo_name == NULL) {
		if (gethostname(host, sizeof(host)) == -1)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		cfg->ehlo_name = xstrdup(check_name(host, false, &why) == 0 ?
		    host : "localhost");
	}
	check_duplicates(p);
	{
		const char *file = p->file;

		if (p->tls_file != NULL)
			p->file = p->tls_file;
		check_tls_files(p);
		p->file = file;
	}
}

static void
push_msg(struct config_errors *errs, char *msg)
{
	errs->msgs = xreallocarray(errs->msgs, errs->n + 1,
	    sizeof(*errs->msgs));
	errs->msgs[errs->n++] = msg;
}

static void
push_error(struct config_errors *errs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
push_error(struct config_errors *errs, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	push_msg(errs, b.data);
}

/* --web.config.file: its keys through the setters of the [exporter] keys
 * that say the same, with their checks; one of the two per setting. */
static void
apply_web_entry(struct parse *p, const struct webcfg_entry *e,
    const char *ini)
{
	struct config *cfg = p->cfg;
	char *pair;

	p->line = e->line;
	switch (e->key) {
	case WC_CERT_FILE:
	case WC_KEY_FILE:
		p->key = e->key == WC_CERT_FILE ? "cert_file" : "key_file";
		if (p->tls_file == NULL && (p->tls_cert_line || p->tls_key_line)) {
			key_error(p, "%s sets tls_cert_file and tls_key_file "
			    "already: use one of the two", ini);
			return;
		}
		if (e->key == WC_CERT_FILE)
			set_tls_cert_file(p, e->value);
		else
			set_tls_key_file(p, e->value);
		p->tls_file = p->file;
		break;
	case WC_MIN_VERSION:
		p->key = "min_version";
		if (strcmp(e->value, "TLS12") == 0)
			cfg->tls_min_version = 12;
		else if (strcmp(e->value, "TLS13") == 0)
			cfg->tls_min_version = 13;
		else if (strcmp(e->value, "TLS10") == 0 ||
		    strcmp(e->value, "TLS11") == 0)
			key_error(p, "%s: TLS 1.0 and 1.1 are not offered (RFC "
			    "8996): TLS12 or TLS13", e->value);
		else
			key_error(p, "\"%s\": TLS12 or TLS13", show(e->value).s);
		break;
	case WC_CLIENT_AUTH:
		p->key = "client_auth_type";
		p->client_auth_line = e->line;
		if (tls_client_auth_parse(e->value, &cfg->tls_client_auth) == -1)
			key_error(p, "\"%s\": NoClientCert, RequestClientCert, "
			    "RequireAnyClientCert, VerifyClientCertIfGiven or "
			    "RequireAndVerifyClientCert", show(e->value).s);
		break;
	case WC_CLIENT_CA:
		p->key = "client_ca_file";
		p->client_ca_line = e->line;
		if ((cfg->tls_client_ca_pem = read_pem(p, e->value)) != NULL) {
			cfg->tls_client_ca_file = xstrdup(e->value);
			check_client_ca(p);
		}
		break;
	case WC_USER:
		p->key = "basic_auth_users";
		if (cfg->n_auth_users > 0 && !p->web_users) {
			key_error(p, "%s sets basic_auth_users already: use one "
			    "of the two", ini);
			return;
		}
		p->web_users = true;
		pair = xmalloc(strlen(e->name) + strlen(e->value) + 2);
		sprintf(pair, "%s:%s", e->name, e->value);
		set_basic_auth_users(p, pair);
		explicit_bzero(pair, strlen(pair));
		free(pair);
		break;
	}
}

/* client_auth_type and client_ca_file together, as exporter-toolkit
 * pairs them; over HTTPS only. */
static void
check_client_auth(struct parse *p)
{
	struct config *cfg = p->cfg;
	enum tls_client_auth a = cfg->tls_client_auth;

	p->key = "client_auth_type";
	if (a != TLS_CLIENT_AUTH_NONE && cfg->tls_cert_file == NULL &&
	    !p->tls_cert_line)
		error_at(p, p->client_auth_line, "client_auth_type: %s needs "
		    "HTTPS (cert_file and key_file)", tls_client_auth_name(a));
	else if (tls_client_auth_verifies(a) && !p->client_ca_line)
		error_at(p, p->client_auth_line, "client_auth_type: %s needs "
		    "client_ca_file (the CA the client certificates chain to)",
		    tls_client_auth_name(a));
	else if (p->client_ca_line && a == TLS_CLIENT_AUTH_NONE)
		error_at(p, p->client_ca_line, "client_ca_file: set without a "
		    "client_auth_type that asks for client certificates");
}

static void
apply_web_config(struct parse *p, const char *path)
{
	const char *ini = p->file;
	struct webcfg w;
	struct buf b;
	char err[256];
	unsigned line;
	int fd, r = -1, e = 0;

	p->file = path;
	p->key = NULL;
	buf_init(&b);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd != -1) {
		r = read_fd_all(fd, WEBCFG_MAX_SIZE, &b);
		e = errno;
		close(fd);
	} else
		e = errno;
	if (r == -1)
		error_at(p, 0, "cannot read: %s", strerror(e));
	else if (webcfg_parse(b.data ? b.data : "", b.len, &w, err,
	    sizeof(err), &line) == -1)
		error_at(p, line, "%s", err);
	else {
		for (size_t i = 0; i < w.n; i++)
			apply_web_entry(p, &w.v[i], ini);
		webcfg_free(&w);
		check_client_auth(p);
	}
	if (b.data)
		OPENSSL_cleanse(b.data, b.len);
	buf_free(&b);
	p->key = NULL;
	p->file = ini;
}

static struct config *
load_mem(const char *name, const char *data, size_t len,
    const char *web_config, struct config_errors *errs);

struct config *
config_load_mem(const char *name, const char *data, size_t len,
    struct config_errors *errs)
{
	return load_mem(name, data, len, NULL, errs);
}

static struct config *
load_mem(const char *name, const char *data, size_t len,
    const char *web_config, struct config_errors *errs)
{
	struct parse p;
	struct config *cfg;
	int rc;

	if (len > CONFIG_MAX_SIZE) {
		push_error(errs, "%s: file too large (max %d KiB)", name,
		    CONFIG_MAX_SIZE / 1024);
		return NULL;
	}
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->path = xstrdup(name);
	cfg->listen_host = xstrdup(DEFAULT_LISTEN_HOST);
	cfg->listen_port = DEFAULT_LISTEN_PORT;
	cfg->interval_ms = DEFAULT_INTERVAL_MS;
	cfg->timeout_ms = DEFAULT_TIMEOUT_MS;
	cfg->concurrency = DEFAULT_CONCURRENCY;
	cfg->log_level = LOG_INFO;
	cfg->audit = 1;
	cfg->audit_interval_ms = DEFAULT_AUDIT_INTERVAL_MS;
	cfg->weakened_hold_ms = DEFAULT_WEAKENED_HOLD_MS;
	cfg->mta_sts = 1;
	cfg->tls_rpt = 1;
	cfg->dnssec = 1;
	cfg->share = 1;
	cfg->dns_cache_max_ttl_ms = (uint64_t)DNSCACHE_DEFAULT_MAX_TTL_S * 1000;
	cfg->dns_cache_negative_max_ttl_ms =
	    (uint64_t)DNSCACHE_DEFAULT_NEG_MAX_TTL_S * 1000;
	cfg->dns_cache_max_entries = DNSCACHE_DEFAULT_MAX_ENTRIES;
	cfg->dns_cache_max_bytes = DNSCACHE_DEFAULT_MAX_BYTES;
	cfg->dns_budget_per_domain = DEFAULT_DNS_BUDGET_PER_DOMAIN;
	cfg->probe_timeout_offset_ms = DEFAULT_PROBE_TIMEOUT_OFFSET_MS;
	cfg->probe_max_concurrent = DEFAULT_PROBE_MAX_CONCURRENT;
	memcpy(cfg->probe_allow_ports, default_probe_allow_ports,
	    sizeof(default_probe_allow_ports));
	cfg->n_probe_allow_ports = ARRAY_LEN(default_probe_allow_ports);

	memset(&p, 0, sizeof(p));
	p.file = name;
	p.cfg = cfg;
	p.data = data;
	p.len = len;
	buf_init(&p.sec_label);

	rc = ini_parse_stream(read_line, &p, on_key, &p);
	close_section(&p);
	/* Not expected: the reader lets through only lines inih accepts. */
	if (rc != 0 && p.n_errs == 0)
		error_at(&p, rc > 0 ? (unsigned)rc : 0, "syntax error");
	if (web_config != NULL)
		apply_web_config(&p, web_config);
	apply_machine_defaults(&p);
	buf_free(&p.sec_label);

	if (p.n_errs > 1)
		qsort(p.errs, p.n_errs, sizeof(*p.errs), perr_cmp);
	for (size_t i = 0; i < p.n_errs; i++)
		push_msg(errs, p.errs[i].msg);
	free(p.errs);
	if (p.n_errs) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct config *
config_load(const char *path, struct config_errors *errs)
{
	return config_load_web(path, NULL, errs);
}

struct config *
config_load_web(const char *path, const char *web_config,
    struct config_errors *errs)
{
	struct config *cfg;
	struct buf b;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		push_error(errs, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	buf_init(&b);
	if (read_fd_all(fd, CONFIG_MAX_SIZE, &b) == -1) {
		push_error(errs, "%s: cannot read: %s", path, strerror(errno));
		close(fd);
		buf_free(&b);
		return NULL;
	}
	close(fd);
	cfg = load_mem(path, b.data, b.len, web_config, errs);
	buf_free(&b);
	return cfg;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->n_targets; i++) {
		struct target_cfg *t = &cfg->targets[i];

		free(t->name);
		free_hosts(t->imap_hosts, &t->n_imap_hosts);
		free_hosts(t->pop3_hosts, &t->n_pop3_hosts);
		free_hosts(t->dkim_selectors, &t->n_dkim_selectors);
		free_hosts(t->spf_expect_pass, &t->n_spf_expect_pass);
	}
	free(cfg->targets);
	for (size_t i = 0; i < cfg->n_modules; i++) {
		struct module_cfg *m = &cfg->modules[i];

		free(m->name);
		free_hosts(m->t.dkim_selectors, &m->t.n_dkim_selectors);
	}
	free(cfg->modules);
	for (size_t i = 0; i < cfg->n_cfgsrcs; i++) {
		struct cfgsrc_cfg *c = &cfg->cfgsrcs[i];

		free(c->name);
		free(c->path);
		free(c->tool);
		free_hosts(c->endpoints, &c->n_endpoints);
	}
	free(cfg->cfgsrcs);
	for (size_t i = 0; i < cfg->n_probe_allow; i++)
		allow_entry_free(&cfg->probe_allow[i]);
	free(cfg->probe_allow);
	free(cfg->probe_allow_cidrs);
	for (size_t i = 0; i < cfg->n_auth_users; i++) {
		free(cfg->auth_users[i].name);
		free(cfg->auth_users[i].hash);
	}
	free(cfg->auth_users);
	free(cfg->tls_cert_file);
	free(cfg->tls_key_file);
	free(cfg->tls_cert_pem);
	free_secret(&cfg->tls_key_pem);
	free(cfg->tls_client_ca_file);
	free(cfg->tls_client_ca_pem);
	free(cfg->path);
	free(cfg->listen_host);
	free(cfg->ca_file);
	free(cfg->state_file);
	free(cfg->resolver);
	free(cfg->dnssec_trust_anchor_file);
	free(cfg->dnssec_forwarder);
	caa_issuers_clear(cfg);
	free(cfg->ehlo_name);
	free(cfg->user);
	free(cfg);
}

const struct module_cfg *
config_module(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_modules; i++)
		if (strcmp(cfg->modules[i].name, name) == 0)
			return &cfg->modules[i];
	return NULL;
}

void
config_errors_free(struct config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msgs[i]);
	free(errs->msgs);
	errs->msgs = NULL;
	errs->n = 0;
}
