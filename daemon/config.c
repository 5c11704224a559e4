/* The configuration file.  inih splits "key = value" lines and strips inline
 * comments; the reader we put in front of it does everything that is about
 * whole lines: numbering, the length limit, NUL bytes, section headers and
 * syntax errors.  So every problem in a file is reported, each with its line,
 * in one pass, and inih never sees a line it could misread (no multi-line
 * continuations, no over-long lines, no truncated section names: inih keeps
 * only 49 bytes of a section name, so we track sections ourselves). */
#include "daemon/config.h"
#include "daemon/config_int.h"

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
#include "base/addr.h"
#include "base/util.h"
#include "daemon/webcfg.h"


/* File text quoted in a message: cut, other bytes as \xNN (text_escape). */
struct shown
conf_show(const char *s)
{
	struct shown r;

	text_escape(r.s, sizeof(r.s), s, strlen(s));
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
	size_t text_at;

	buf_init(&b);
	if (line)
		buf_printf(&b, "%s:%u: ", p->file, line);
	else
		buf_printf(&b, "%s: ", p->file);
	if (key)
		buf_printf(&b, "%s: ", key);
	text_at = b.len;
	buf_vprintf(&b, fmt, ap);
	if (p->n_errs == p->errs_cap) {
		p->errs_cap = p->errs_cap ? p->errs_cap * 2 : 8;
		p->errs = xreallocarray(p->errs, p->errs_cap, sizeof(*p->errs));
	}
	e = &p->errs[p->n_errs];
	e->msg = b.data;
	e->line = line;
	e->text_at = text_at;
	e->order = line ? line : p->at_end ? UINT_MAX : 0;
	e->seq = p->n_errs++;
}

/* An error at a line (0: about the whole file). */
void
conf_error_at(struct parse *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(p, line, NULL, fmt, ap);
	va_end(ap);
}

/* An error about the value of the key being set: "file:line: key: ...". */
void
conf_key_error(struct parse *p, const char *fmt, ...)
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

static void
close_section(struct parse *p)
{
	if (p->sec && p->sec->close)
		p->sec->close(p);
	if (p->use_scratch) {	/* its keys were checked; drop what they set */
		conf_free_list(&p->scratch.imap_hosts,
		    &p->scratch.n_imap_hosts);
		conf_free_list(&p->scratch.pop3_hosts,
		    &p->scratch.n_pop3_hosts);
		conf_free_list(&p->scratch.dkim_selectors,
		    &p->scratch.n_dkim_selectors);
		conf_free_list(&p->scratch.spf_expect_pass,
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
		conf_error_at(p, p->line, "syntax error: missing ']'");
		return;
	}
	for (c = close + 1; c < s + n && ascii_is_blank(*c); c++)
		;
	if (c < s + n && *c != ';') {
		conf_error_at(p, p->line, "syntax error: text after ']'");
		return;
	}
	copy = xstrndup(s + 1, (size_t)(close - s - 1));
	inner = str_trim(copy);
	wlen = strcspn(inner, " \t");
	arg = str_trim(inner + wlen);
	for (size_t i = 0; i < config_n_sections; i++)
		if (strlen(config_sections[i].name) == wlen &&
		    memcmp(config_sections[i].name, inner, wlen) == 0 &&
		    config_sections[i].has_arg == (*arg != '\0'))
			def = &config_sections[i];
	buf_reset(&p->sec_label);
	buf_printf(&p->sec_label, "[%s]", conf_show(inner).s);
	if (def == NULL)
		conf_error_at(p, p->line, "unknown section %s (use [exporter], "
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
		conf_error_at(p, p->line, "syntax error: expected \"key = value\" "
		    "or \"[section]\"");
		return -1;
	}
	for (klen = (size_t)(eq - s); klen > 0 && ascii_is_blank(s[klen - 1]); klen--)
		;
	if (klen == 0) {
		conf_error_at(p, p->line, "syntax error: missing key before '='");
		return -1;
	}
	for (size_t i = 0; i < klen; i++)
		if (!ascii_is_alnum(s[i]) && s[i] != '_' && s[i] != '-') {
			char *key = xstrndup(s, klen);

			conf_error_at(p, p->line, "syntax error: bad key \"%s\"",
			    conf_show(key).s);
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
		conf_error_at(p, p->line, "line too long (max %zu bytes)", max);
		return str;
	}
	if (memchr(s, '\0', n) != NULL) {
		conf_error_at(p, p->line, "nul byte in line");
		return str;
	}
	if (p->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		n -= 3;
	}
	/* Leading blanks would make inih continue the previous value. */
	while (n > 0 && ascii_is_blank(*s)) {
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

/* inih's handler; its section argument is not used: see the top. */
static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	size_t i;

	(void)section;
	if (p->sec_line == 0) {
		conf_error_at(p, p->line, "%s: key before any section", name);
		return 1;
	}
	if (p->sec == NULL)
		return 1;
	for (i = 0; i < p->sec->n_keys; i++)
		if (strcmp(p->sec->keys[i].name, name) == 0)
			break;
	if (i == p->sec->n_keys) {
		conf_error_at(p, p->line, "unknown key \"%s\" in %s", name,
		    p->sec_label.data);
		return 1;
	}
	if (p->seen[i] && !conf_key_repeats(p->sec->keys[i].set)) {
		conf_error_at(p, p->line, "%s: duplicate key (first at line %u)",
		    name, p->seen[i]);
		return 1;
	}
	p->seen[i] = p->line;
	p->key = name;
	p->sec->keys[i].set(p, value);
	p->key = NULL;
	return 1;
}

static void
push_msg(struct config_errors *errs, char *msg, unsigned line, size_t text_at)
{
	errs->msgs = xreallocarray(errs->msgs, errs->n + 1,
	    sizeof(*errs->msgs));
	errs->lines = xreallocarray(errs->lines, errs->n + 1,
	    sizeof(*errs->lines));
	errs->text_at = xreallocarray(errs->text_at, errs->n + 1,
	    sizeof(*errs->text_at));
	errs->msgs[errs->n] = msg;
	errs->lines[errs->n] = line;
	errs->text_at[errs->n++] = text_at;
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
	push_msg(errs, b.data, 0, 0);
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
		conf_error_at(p, 0, "cannot read: %s", strerror(e));
	else if (webcfg_parse(b.data ? b.data : "", b.len, &w, err,
	    sizeof(err), &line) == -1)
		conf_error_at(p, line, "%s", err);
	else {
		for (size_t i = 0; i < w.n; i++)
			conf_apply_web_entry(p, &w.v[i], ini);
		webcfg_free(&w);
		conf_check_client_auth(p);
	}
	if (b.data)
		OPENSSL_cleanse(b.data, b.len);
	buf_free(&b);
	p->key = NULL;
	p->file = ini;
}

/* probe_allow_ports when not set: SMTP, submissions, submission, POP3,
 * IMAP, IMAPS, POP3S. */
static const uint16_t default_probe_allow_ports[] = {
	25, 465, 587, 110, 143, 993, 995
};

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
	cfg->mta_sts_max_in_flight = DEFAULT_MTA_STS_MAX_IN_FLIGHT;
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
		conf_error_at(&p, rc > 0 ? (unsigned)rc : 0, "syntax error");
	if (web_config != NULL)
		apply_web_config(&p, web_config);
	conf_apply_machine_defaults(&p);
	buf_free(&p.sec_label);
	/* The array grew by doubling; from here it is read only, at its
	 * length (10,000 domains left 6,384 unused slots, 2.3 MB). */
	if (cfg->n_targets > 0 && cfg->n_targets < p.targets_cap)
		cfg->targets = xreallocarray(cfg->targets, cfg->n_targets,
		    sizeof(*cfg->targets));

	if (p.n_errs > 1)
		qsort(p.errs, p.n_errs, sizeof(*p.errs), perr_cmp);
	for (size_t i = 0; i < p.n_errs; i++)
		push_msg(errs, p.errs[i].msg, p.errs[i].line,
		    p.errs[i].text_at);
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
		conf_free_list(&t->imap_hosts, &t->n_imap_hosts);
		conf_free_list(&t->pop3_hosts, &t->n_pop3_hosts);
		conf_free_list(&t->dkim_selectors, &t->n_dkim_selectors);
		conf_free_list(&t->spf_expect_pass, &t->n_spf_expect_pass);
	}
	free(cfg->targets);
	for (size_t i = 0; i < cfg->n_modules; i++) {
		struct module_cfg *m = &cfg->modules[i];

		free(m->name);
		conf_free_list(&m->t.dkim_selectors, &m->t.n_dkim_selectors);
	}
	free(cfg->modules);
	for (size_t i = 0; i < cfg->n_cfgsrcs; i++) {
		struct cfgsrc_cfg *c = &cfg->cfgsrcs[i];

		free(c->name);
		free(c->path);
		free(c->tool);
		conf_free_hosts(c->endpoints, &c->n_endpoints);
	}
	free(cfg->cfgsrcs);
	for (size_t i = 0; i < cfg->n_probe_allow; i++)
		conf_allow_entry_free(&cfg->probe_allow[i]);
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
	conf_free_secret(&cfg->tls_key_pem);
	free(cfg->tls_client_ca_file);
	free(cfg->tls_client_ca_pem);
	free(cfg->path);
	free(cfg->listen_host);
	free(cfg->ca_file);
	free(cfg->state_file);
	free(cfg->resolver);
	free(cfg->dnssec_trust_anchor_file);
	free(cfg->dnssec_forwarder);
	conf_caa_issuers_clear(cfg);
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
	free(errs->lines);
	free(errs->text_at);
	errs->msgs = NULL;
	errs->lines = NULL;
	errs->text_at = NULL;
	errs->n = 0;
}
