/* The checks of the configuration file's values: names, numbers,
 * durations, lists, addresses, PEM files and key matching, bcrypt hashes,
 * accounts.  The setters (daemon/config_keys.c) call them. */
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


/* The host-name rule is base/addr.c's: a DNS name from the file (a
 * target, a host) may hold '_', a host name of ours (EHLO, probe_allow)
 * may not. */
int
conf_check_name(const char *s, bool underscore, const char **why)
{
	return addr_name_check(s, underscore ? ADDR_NAME_UNDERSCORE : 0, why);
}

/* A DNS name from the file, made canonical in place: lowercase, no
 * trailing dot. */
int
conf_normalize_dns_name(char *s, const char **why)
{
	return addr_name_normalize(s, ADDR_NAME_UNDERSCORE, why);
}

/* A numeric address of family af, rewritten in its canonical form. */
int
conf_normalize_ip(char **host, int af)
{
	struct addr a;
	char text[INET6_ADDRSTRLEN];

	if (addr_parse_ip(*host, &a) == -1 || a.family != af)
		return -1;
	free(*host);
	*host = xstrdup(addr_text(&a, text, sizeof(text)));
	return 0;
}

/* A bound in words, in its largest whole unit: "1d", "10m", "100ms"; 0 as
 * "0 (off)" where the key says 0 turns it off. */
static void
duration_bound_text(uint64_t ms, int zero_off, char *buf, size_t len)
{
	static const struct { uint64_t ms; const char *unit; } units[] = {
		{ 86400000, "d" }, { 3600000, "h" }, { 60000, "m" },
		{ 1000, "s" }, { 1, "ms" },
	};

	if (ms == 0) {
		snprintf(buf, len, "%s", zero_off ? "0 (off)" : "0");
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ms % units[i].ms == 0) {
			snprintf(buf, len, "%llu%s",
			    (unsigned long long)(ms / units[i].ms), units[i].unit);
			return;
		}
}

/* The range's words come from the bounds themselves (UINT64_MAX: none
 * above), so the message cannot drift from the check. */
int
conf_get_duration(struct parse *p, const char *v, uint64_t min, uint64_t max,
    int flags, uint64_t *out)
{
	const char *err;
	uint64_t ms;

	if (parse_duration_ms(v, &ms, &err) == -1) {
		conf_key_error(p, "%s", err);
		return -1;
	}
	if (ms < min || ms > max) {
		char lo[32], hi[32];

		duration_bound_text(min, flags & CONF_DURATION_ZERO_OFF, lo,
		    sizeof(lo));
		duration_bound_text(max, 0, hi, sizeof(hi));
		if (max == UINT64_MAX)
			conf_key_error(p, "must be at least %s", lo);
		else
			conf_key_error(p, "must be between %s and %s", lo, hi);
		return -1;
	}
	*out = ms;
	return 0;
}

int
conf_get_interval(struct parse *p, const char *v, uint64_t *out)
{
	return conf_get_duration(p, v, INTERVAL_MIN_MS, UINT64_MAX, 0, out);
}

int
conf_get_timeout(struct parse *p, const char *v, uint64_t *out)
{
	return conf_get_duration(p, v, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS, 0, out);
}

/* Splits a comma-separated list in place: the next item, trimmed, or NULL
 * at the end.  *rest starts at the whole list. */
char *
conf_next_item(char **rest)
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
int
conf_add_resolver(const char *item, struct buf *out, const char **why)
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
	if (conf_normalize_ip(&host, af) == -1) {
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

int
conf_listen_parse(const char *v, char **host, uint16_t *port, char *err,
    size_t errlen)
{
	const char *why;

	if (addr_parse_host_port(v, host, port, &why) == -1) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (conf_normalize_ip(host, v[0] == '[' ? AF_INET6 : AF_INET) == -1) {
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
		r = conf_listen_parse(all, host, port, err, errlen);
		free(all);
		return r;
	}
	return conf_listen_parse(v, host, port, err, errlen);
}

/* A count of probes, 1 to CONCURRENCY_MAX. */
void
conf_get_count(struct parse *p, const char *v, unsigned *out)
{
	const char *err;
	uint64_t n;

	if (parse_uint(v, 1, CONCURRENCY_MAX, &n, &err) == -1) {
		conf_key_error(p, "%s (1-%d)", err, CONCURRENCY_MAX);
		return;
	}
	*out = (unsigned)n;
}

/* 0 if path names a readable file, else -1 with errno set. */
int
conf_check_readable(const char *path)
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

void
conf_allow_entry_free(struct allow_entry *e)
{
	free(e->name);
	e->name = NULL;
}

/* "$2a$", "$2b$" or "$2y$", a two-digit cost 04-31, '$', and 53 characters
 * of bcrypt's base64: 22 of salt, 31 of hash. */
bool
conf_is_bcrypt_hash(const char *h)
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
		if (!ascii_is_alnum(h[i]) && h[i] != '.' && h[i] != '/')
			return false;
	return true;
}

#define PEM_MAX_SIZE (1024 * 1024)

/* The whole of a PEM file, NUL-terminated, or NULL after a conf_key_error. */
char *
conf_read_pem(struct parse *p, const char *path)
{
	struct stat st;
	struct buf b;
	int fd, r, err;

	if (*path == '\0') {
		conf_key_error(p, "empty path");
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		conf_key_error(p, "%s: %s", conf_show(path).s, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		conf_key_error(p, "%s: %s", conf_show(path).s, strerror(EISDIR));
		close(fd);
		return NULL;
	}
	buf_init(&b);
	r = read_fd_all(fd, PEM_MAX_SIZE, &b);
	err = errno;
	close(fd);
	if (r == -1)
		conf_key_error(p, "%s: %s", conf_show(path).s, strerror(err));
	else if (b.len > PEM_MAX_SIZE)
		conf_key_error(p, "%s: file too large (max %d KiB)", conf_show(path).s,
		    PEM_MAX_SIZE / 1024);
	else if (b.len == 0 || memchr(b.data, '\0', b.len) != NULL)
		conf_key_error(p, "%s: not a PEM file", conf_show(path).s);
	else
		return b.data;
	if (b.data)
		OPENSSL_cleanse(b.data, b.len);
	buf_free(&b);
	return NULL;
}

void
conf_free_secret(char **s)
{
	if (*s != NULL)
		OPENSSL_cleanse(*s, strlen(*s));
	free(*s);
	*s = NULL;
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
void
conf_check_client_ca(struct parse *p)
{
	const char *pem = p->cfg->tls_client_ca_pem;
	BIO *bio = BIO_new_mem_buf(pem, -1);
	unsigned n = 0;
	X509 *x;

	while (bio != NULL &&
	    (x = PEM_read_bio_X509(bio, NULL, pem_no_passphrase, NULL)) != NULL) {
		X509_free(x);
		n++;
	}
	BIO_free(bio);
	ERR_clear_error();
	if (n == 0)
		conf_key_error(p, "%s: no PEM certificate in it",
		    conf_show(p->cfg->tls_client_ca_file).s);
}

/* Both files or neither; the certificate and the key parse, and match. */
void
conf_check_tls_files(struct parse *p)
{
	struct config *cfg = p->cfg;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	BIO *bio;

	if (p->tls_cert_line && !p->tls_key_line) {
		conf_error_at(p, p->tls_cert_line, "tls_cert_file: needs "
		    "tls_key_file too");
		return;
	}
	if (p->tls_key_line && !p->tls_cert_line) {
		conf_error_at(p, p->tls_key_line, "tls_key_file: needs "
		    "tls_cert_file too");
		return;
	}
	if (cfg->tls_cert_pem == NULL || cfg->tls_key_pem == NULL)
		return;		/* not set, or unreadable: said already */
	if ((bio = BIO_new_mem_buf(cfg->tls_cert_pem, -1)) != NULL) {
		cert = PEM_read_bio_X509(bio, NULL, pem_no_passphrase, NULL);
		BIO_free(bio);
	}
	if (cert == NULL)
		conf_error_at(p, p->tls_cert_line, "tls_cert_file: %s: no PEM "
		    "certificate in it", conf_show(cfg->tls_cert_file).s);
	if ((bio = BIO_new_mem_buf(cfg->tls_key_pem, -1)) != NULL) {
		key = PEM_read_bio_PrivateKey(bio, NULL, pem_no_passphrase, NULL);
		BIO_free(bio);
	}
	if (key == NULL)
		conf_error_at(p, p->tls_key_line, "tls_key_file: %s: no PEM private "
		    "key in it (a key with a passphrase is not supported)",
		    conf_show(cfg->tls_key_file).s);
	if (cert != NULL && key != NULL && X509_check_private_key(cert, key) != 1)
		conf_error_at(p, p->tls_key_line, "tls_key_file: %s: the key does "
		    "not match the certificate of tls_cert_file",
		    conf_show(cfg->tls_key_file).s);
	X509_free(cert);
	EVP_PKEY_free(key);
	ERR_clear_error();
}

bool
conf_has_port(const uint16_t *v, size_t n, uint16_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* A host as the file names it: an ip address, made canonical, or a DNS
 * name, lowercased.  *h is replaced when rewritten. */
int
conf_normalize_host(char **h, const char **why)
{
	if (strchr(*h, ':') != NULL) {
		if (conf_normalize_ip(h, AF_INET6) == -1) {
			*why = "not an ipv6 address";
			return -1;
		}
		return 0;
	}
	if (conf_normalize_ip(h, AF_INET) == 0)
		return 0;
	return conf_normalize_dns_name(*h, why);
}

void
conf_free_hosts(char **hosts, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free(hosts[i]);
		hosts[i] = NULL;
	}
	*n = 0;
}

void
conf_free_list(char ***list, size_t *n)
{
	conf_free_hosts(*list, n);
	free(*list);
	*list = NULL;
}

/* An IP address, v4 or v6, made canonical. */
int
conf_normalize_address(char **h, const char **why)
{
	if (conf_normalize_ip(h, strchr(*h, ':') ? AF_INET6 : AF_INET) == -1) {
		*why = "not an ip address";
		return -1;
	}
	return 0;
}

/* A DKIM selector: dot-separated labels of letters, digits, '-' and '_';
 * all-digit labels are common ("20230601"). */
int
conf_normalize_selector(char **h, const char **why)
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
		if (!ascii_is_alnum(*c) && *c != '-' && *c != '_') {
			*why = "bad character (use letters, digits, '-', '_', '.')";
			return -1;
		}
		label++;
	}
}

/* on/off, and the usual spellings of both; any case. */
int
conf_get_switch(struct parse *p, const char *v, int *out)
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
	conf_key_error(p, "\"%s\" is not on or off", conf_show(v).s);
	return -1;
}

int
conf_get_audit_interval(struct parse *p, const char *v, uint64_t *out)
{
	return conf_get_duration(p, v, AUDIT_INTERVAL_MIN_MS, UINT64_MAX, 0,
	    out);
}

/* Whole seconds, 0 to DNSCACHE_MAX_TTL_LIMIT_S: a TTL cap. */
void
conf_get_ttl_cap(struct parse *p, const char *v, uint64_t *out)
{
	if (conf_get_duration(p, v, 0, (uint64_t)DNSCACHE_MAX_TTL_LIMIT_S * 1000,
	    CONF_DURATION_ZERO_OFF, out) == 0 && *out % 1000 != 0) {
		conf_key_error(p, "must be whole seconds");
		*out = 0;
	}
}

void
conf_get_bounded(struct parse *p, const char *v, uint64_t min, uint64_t max,
    unsigned *out)
{
	const char *err;
	uint64_t n;

	if (parse_uint(v, min, max, &n, &err) == -1) {
		conf_key_error(p, "%s (%llu-%llu)", err, (unsigned long long)min,
		    (unsigned long long)max);
		return;
	}
	*out = (unsigned)n;
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

void
conf_check_duplicates(struct parse *p)
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
			conf_error_at(p, t->line, "duplicate section [domain %s] "
			    "(first at line %u)", t->name, first->line);
		else
			conf_error_at(p, t->line, "duplicate section [endpoint "
			    "%s%s%s:%u] (first at line %u)",
			    strchr(t->name, ':') ? "[" : "", t->name,
			    strchr(t->name, ':') ? "]" : "", (unsigned)t->port,
			    first->line);
	}
	free(v);
}

/* client_auth_type and client_ca_file together, as exporter-toolkit
 * pairs them; over HTTPS only. */
void
conf_check_client_auth(struct parse *p)
{
	struct config *cfg = p->cfg;
	enum tls_client_auth a = cfg->tls_client_auth;

	p->key = "client_auth_type";
	if (a != TLS_CLIENT_AUTH_NONE && cfg->tls_cert_file == NULL &&
	    !p->tls_cert_line)
		conf_error_at(p, p->client_auth_line, "client_auth_type: %s needs "
		    "HTTPS (cert_file and key_file)", tls_client_auth_name(a));
	else if (tls_client_auth_verifies(a) && !p->client_ca_line)
		conf_error_at(p, p->client_auth_line, "client_auth_type: %s needs "
		    "client_ca_file (the CA the client certificates chain to)",
		    tls_client_auth_name(a));
	else if (p->client_ca_line && a == TLS_CLIENT_AUTH_NONE)
		conf_error_at(p, p->client_ca_line, "client_ca_file: set without a "
		    "client_auth_type that asks for client certificates");
}
