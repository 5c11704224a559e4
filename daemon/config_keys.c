/* The configuration file's keys: the tables of sections and keys, and the
 * setter of each key, which checks its value (daemon/config_check.c) and
 * stores it.  The reader (daemon/config.c) calls them. */
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

static void
set_listen(struct parse *p, const char *v)
{
	uint16_t port;
	char *host, err[160];

	if (conf_listen_parse(v, &host, &port, err, sizeof(err)) == -1) {
		conf_key_error(p, "%s", err);
		return;
	}
	free(p->cfg->listen_host);
	p->cfg->listen_host = host;
	p->cfg->listen_port = port;
}

static void
set_interval(struct parse *p, const char *v)
{
	conf_get_interval(p, v, &p->cfg->interval_ms);
}

static void
set_timeout(struct parse *p, const char *v)
{
	conf_get_timeout(p, v, &p->cfg->timeout_ms);
}

static void
set_concurrency(struct parse *p, const char *v)
{
	conf_get_count(p, v, &p->cfg->concurrency);
}

/* A path that must be readable now (a reload reads it again). */
static void
get_readable_path(struct parse *p, const char *v, char **field)
{
	if (*v == '\0') {
		conf_key_error(p, "empty path");
		return;
	}
	if (conf_check_readable(v) == -1) {
		conf_key_error(p, "%s: %s", conf_show(v).s, strerror(errno));
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
	while ((item = conf_next_item(&rest)) != NULL) {
		if (*item == '\0') {
			conf_key_error(p, "empty entry in list");
			break;
		}
		if (++n > MAX_RESOLVERS) {
			conf_key_error(p, "more than %d servers", MAX_RESOLVERS);
			break;
		}
		if (conf_add_resolver(item, &out, &why) == -1) {
			conf_key_error(p, "\"%s\": %s", conf_show(item).s, why);
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
		conf_key_error(p, "unknown level \"%s\" (use debug, info, warn or "
		    "error)", conf_show(v).s);
}

static void
set_ehlo_name(struct parse *p, const char *v)
{
	const char *why;

	if (conf_check_name(v, false, &why) == -1) {
		conf_key_error(p, "%s", why);
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
		conf_key_error(p, "bad user name");
		return;
	}
	for (; *c; c++)
		if (!ascii_is_alnum(*c) && *c != '_' && *c != '-' && *c != '.') {
			conf_key_error(p, "bad user name \"%s\"", conf_show(v).s);
			return;
		}
	if (getpwnam(v) == NULL) {
		conf_key_error(p, "no such user \"%s\"", conf_show(v).s);
		return;
	}
	free(p->cfg->user);
	p->cfg->user = xstrdup(v);
}

/* [exporter] keys of the web listener: /probe, authentication, HTTPS. */

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
	while ((item = conf_next_item(&rest)) != NULL) {
		if (*item == '\0') {
			conf_key_error(p, "empty entry in list");
			break;
		}
		if (cfg->n_probe_allow == MAX_PROBE_ALLOW) {
			conf_key_error(p, "more than %d entries", MAX_PROBE_ALLOW);
			break;
		}
		if (allow_entry_parse(item, &e, &why) == -1) {
			conf_key_error(p, "\"%s\": %s", conf_show(item).s, why);
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

	while ((item = conf_next_item(&rest)) != NULL) {
		if (*item == '\0') {
			conf_key_error(p, "empty entry in list");
			break;
		}
		if (addr_parse_port(item, &port, &err) == -1) {
			conf_key_error(p, "\"%s\": %s", conf_show(item).s, err);
			break;
		}
		if (conf_has_port(ports, n, port)) {
			conf_key_error(p, "duplicate port %u", (unsigned)port);
			break;
		}
		if (n == MAX_PROBE_ALLOW_PORTS) {
			conf_key_error(p, "more than %d ports", MAX_PROBE_ALLOW_PORTS);
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
	conf_get_duration(p, v, 0, 60 * 1000, 0,
	    &p->cfg->probe_timeout_offset_ms);
}

static void
set_probe_max_concurrent(struct parse *p, const char *v)
{
	conf_get_count(p, v, &p->cfg->probe_max_concurrent);
}

static void
set_basic_auth_users(struct parse *p, const char *v)
{
	struct config *cfg = p->cfg;
	char *list = xstrdup(v), *rest = list, *item, *colon;
	bool bad;

	while ((item = conf_next_item(&rest)) != NULL) {
		if (*item == '\0') {
			conf_key_error(p, "empty entry in list");
			break;
		}
		colon = strchr(item, ':');
		if (colon == NULL || colon == item) {
			conf_key_error(p, "\"%s\": expected NAME:BCRYPT_HASH",
			    conf_show(item).s);
			break;
		}
		*colon = '\0';
		bad = strlen(item) > 64;
		for (const char *c = item; *c; c++)
			if (!ascii_is_alnum(*c) && strchr("._@+-", *c) == NULL)
				bad = true;
		if (bad) {
			conf_key_error(p, "user \"%s\": use 1 to 64 letters, digits, "
			    "'.', '_', '@', '+', '-'", conf_show(item).s);
			break;
		}
		if (!conf_is_bcrypt_hash(colon + 1)) {
			conf_key_error(p, "user %s: not a bcrypt hash (\"$2b$12$\" and "
			    "53 more characters: make one with mailsec_exporter "
			    "--hash-password)", item);
			break;
		}
		bad = false;
		for (size_t i = 0; i < cfg->n_auth_users; i++)
			if (strcmp(cfg->auth_users[i].name, item) == 0)
				bad = true;
		if (bad) {
			conf_key_error(p, "duplicate user %s", item);
			break;
		}
		if (cfg->n_auth_users == MAX_AUTH_USERS) {
			conf_key_error(p, "more than %d users", MAX_AUTH_USERS);
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

static void
set_tls_cert_file(struct parse *p, const char *v)
{
	p->tls_cert_line = p->line;
	free(p->cfg->tls_cert_pem);
	free(p->cfg->tls_cert_file);
	p->cfg->tls_cert_file = NULL;
	if ((p->cfg->tls_cert_pem = conf_read_pem(p, v)) != NULL)
		p->cfg->tls_cert_file = xstrdup(v);
}

static void
set_tls_key_file(struct parse *p, const char *v)
{
	p->tls_key_line = p->line;
	conf_free_secret(&p->cfg->tls_key_pem);
	free(p->cfg->tls_key_file);
	p->cfg->tls_key_file = NULL;
	if ((p->cfg->tls_key_pem = conf_read_pem(p, v)) != NULL)
		p->cfg->tls_key_file = xstrdup(v);
}

static void
set_module_kind(struct parse *p, const char *v)
{
	struct target_cfg *t = cur_target(p);

	if (strcmp(v, "domain") == 0)
		t->kind = TARGET_DOMAIN;
	else if (strcmp(v, "endpoint") == 0)
		t->kind = TARGET_ENDPOINT;
	else {
		conf_key_error(p, "\"%s\" is not domain or endpoint", conf_show(v).s);
		return;
	}
	p->module_kind_set = true;
}

/* [domain] and [endpoint] keys. */

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

	while ((item = conf_next_item(&rest)) != NULL) {
		if (*item == '\0') {
			conf_key_error(p, "empty entry in list");
			break;
		}
		if (parse_uint(item, 1, 65535, &port, &err) == -1) {
			conf_key_error(p, "\"%s\": %s", conf_show(item).s, err);
			break;
		}
		if (!conf_has_port(allowed, n_allowed, (uint16_t)port)) {
			conf_key_error(p, "port %u is not %s", (unsigned)port, words);
			break;
		}
		if (conf_has_port(ports, n, (uint16_t)port)) {
			conf_key_error(p, "duplicate port %u", (unsigned)port);
			break;
		}
		if (n == MAX_PORTS) {
			conf_key_error(p, "more than %d ports", MAX_PORTS);
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

/* A comma-separated list of at most max items, each made canonical by
 * normalize, no duplicates.  The target keeps it only when the whole list
 * is good. */
static void
set_list(struct parse *p, const char *v, char ***out, size_t *n_out,
    size_t max, int (*normalize)(char **, const char **), const char *what)
{
	char *items[MAX_LIST];
	char *list = xstrdup(v), *rest = list, *item, *h;
	const char *why;
	size_t n = 0;

	while ((item = conf_next_item(&rest)) != NULL) {
		if (*item == '\0') {
			conf_key_error(p, "empty entry in list");
			break;
		}
		h = xstrdup(item);
		if (normalize(&h, &why) == -1) {
			conf_key_error(p, "\"%s\": %s", conf_show(item).s, why);
			free(h);
			break;
		}
		for (size_t i = 0; i < n && h != NULL; i++)
			if (strcmp(items[i], h) == 0) {
				conf_key_error(p, "duplicate %s %s", what, h);
				free(h);
				h = NULL;
			}
		if (h == NULL)
			break;
		if (n == max) {
			conf_key_error(p, "more than %zu %ss", max, what);
			free(h);
			break;
		}
		items[n++] = h;
	}
	free(list);
	if (item != NULL) {
		conf_free_hosts(items, &n);
		return;
	}
	conf_free_list(out, n_out);
	if (n > 0) {
		*out = xreallocarray(NULL, n, sizeof(items[0]));
		memcpy(*out, items, n * sizeof(items[0]));
	}
	*n_out = n;
}

static void
set_hosts(struct parse *p, const char *v, char ***out, size_t *n_out)
{
	set_list(p, v, out, n_out, MAX_HOSTS, conf_normalize_host, "host");
}

static void
set_dkim_selectors(struct parse *p, const char *v)
{
	struct target_cfg *t = cur_target(p);

	set_list(p, v, &t->dkim_selectors, &t->n_dkim_selectors, MAX_SELECTORS,
	    conf_normalize_selector, "selector");
}

static void
set_spf_expect_pass(struct parse *p, const char *v)
{
	struct target_cfg *t = cur_target(p);

	set_list(p, v, &t->spf_expect_pass, &t->n_spf_expect_pass,
	    MAX_SPF_EXPECT, conf_normalize_address, "address");
}

static void
set_imap_hosts(struct parse *p, const char *v)
{
	struct target_cfg *t = cur_target(p);

	set_hosts(p, v, &t->imap_hosts, &t->n_imap_hosts);
}

static void
set_pop3_hosts(struct parse *p, const char *v)
{
	struct target_cfg *t = cur_target(p);

	set_hosts(p, v, &t->pop3_hosts, &t->n_pop3_hosts);
}

static void
set_audit(struct parse *p, const char *v)
{
	conf_get_switch(p, v, &p->cfg->audit);
}

static void
set_audit_interval(struct parse *p, const char *v)
{
	conf_get_audit_interval(p, v, &p->cfg->audit_interval_ms);
}

/* Change detection (daemon/changes.c).  The state file need not exist:
 * it is made at the first change; its directory is the user's to give. */
static void
set_state_file(struct parse *p, const char *v)
{
	if (*v == '\0' || strlen(v) >= 4096) {
		conf_key_error(p, "%s", "must be a path");
		return;
	}
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			conf_key_error(p, "%s", "control character in the path");
			return;
		}
	free(p->cfg->state_file);
	p->cfg->state_file = xstrdup(v);
}

static void
set_weakened_hold(struct parse *p, const char *v)
{
	conf_get_duration(p, v, WEAKENED_HOLD_MIN_MS, UINT64_MAX, 0,
	    &p->cfg->weakened_hold_ms);
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
		conf_key_error(p, "\"%s\": on, off or hash", conf_show(v).s);
}

static void
set_target_audit(struct parse *p, const char *v)
{
	conf_get_switch(p, v, &cur_target(p)->audit);
}

static void
set_target_records(struct parse *p, const char *v)
{
	conf_get_switch(p, v, &cur_target(p)->records);
}

static void
set_mta_sts(struct parse *p, const char *v)
{
	conf_get_switch(p, v, &p->cfg->mta_sts);
}

static void
set_mta_sts_max_in_flight(struct parse *p, const char *v)
{
	conf_get_bounded(p, v, 1, MTA_STS_MAX_IN_FLIGHT_MAX,
	    &p->cfg->mta_sts_max_in_flight);
}

static void
set_share(struct parse *p, const char *v)
{
	conf_get_switch(p, v, &p->cfg->share);
}

static void
set_tls_rpt(struct parse *p, const char *v)
{
	conf_get_switch(p, v, &p->cfg->tls_rpt);
}

static void
set_dns_cache_max_ttl(struct parse *p, const char *v)
{
	conf_get_ttl_cap(p, v, &p->cfg->dns_cache_max_ttl_ms);
}

static void
set_dns_cache_negative_max_ttl(struct parse *p, const char *v)
{
	conf_get_ttl_cap(p, v, &p->cfg->dns_cache_negative_max_ttl_ms);
}

static void
set_dns_cache_max_entries(struct parse *p, const char *v)
{
	conf_get_bounded(p, v, 0, 10000000, &p->cfg->dns_cache_max_entries);
}

static void
set_dns_cache_max_bytes(struct parse *p, const char *v)
{
	conf_get_bounded(p, v, 0, 1024u * 1024 * 1024,
	    &p->cfg->dns_cache_max_bytes);
}

static void
set_dns_budget_per_domain(struct parse *p, const char *v)
{
	conf_get_bounded(p, v, 1, DNS_BUDGET_MAX, &p->cfg->dns_budget_per_domain);
}

static void
set_dnssec(struct parse *p, const char *v)
{
	conf_get_switch(p, v, &p->cfg->dnssec);
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
	else if (conf_add_resolver(v, &out, &why) == 0) {
		free(p->cfg->dnssec_forwarder);
		p->cfg->dnssec_forwarder = out.data;
		return;
	}
	conf_key_error(p, "%s: %s", conf_show(v).s, why);
	buf_free(&out);
}

static void
set_target_mta_sts(struct parse *p, const char *v)
{
	conf_get_switch(p, v, &cur_target(p)->mta_sts);
}

static void
set_target_tls_rpt(struct parse *p, const char *v)
{
	conf_get_switch(p, v, &cur_target(p)->tls_rpt);
}

static void
set_target_dane(struct parse *p, const char *v)
{
	conf_get_switch(p, v, &cur_target(p)->dane);
}

void
conf_caa_issuers_clear(struct config *cfg)
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

	conf_caa_issuers_clear(cfg);
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
			conf_key_error(p, "\"%.*s\": want CA-DOMAIN=ISSUER-TEXT",
			    (int)(len > 80 ? 80 : len), conf_show(s).s);
			conf_caa_issuers_clear(cfg);
			return;
		}
		if (cfg->n_caa_issuers == MAX_CAA_ISSUERS) {
			conf_key_error(p, "at most %d entries", MAX_CAA_ISSUERS);
			conf_caa_issuers_clear(cfg);
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
			conf_key_error(p, "%s: not a CA domain name", conf_show(dom).s);
			free(dom);
			free(pat);
			conf_caa_issuers_clear(cfg);
			return;
		}
		len = strlen(pat);
		for (size_t i = 0; i < len; i++)
			if (pat[i] < 0x20 || pat[i] > 0x7e)
				len = 0;
		if (len == 0 || len > CAA_ISSUER_PATTERN_MAX) {
			conf_key_error(p, "%s: the issuer text must be 1-%d printable "
			    "characters", conf_show(dom).s, CAA_ISSUER_PATTERN_MAX);
			free(dom);
			free(pat);
			conf_caa_issuers_clear(cfg);
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
		conf_key_error(p, "\"%s\": ip4, ip6 or both", conf_show(v).s);
}

static void
set_target_audit_interval(struct parse *p, const char *v)
{
	conf_get_audit_interval(p, v, &cur_target(p)->audit_interval_ms);
}

static void
set_protocol(struct parse *p, const char *v)
{
	p->protocol_set = true;	/* even if bad: one error is enough */
	if (protocol_parse(v, &cur_target(p)->protocol) == -1)
		conf_key_error(p, "unknown protocol \"%s\" (use " PROTOCOL_LIST ")",
		    conf_show(v).s);
}

static void
set_target_interval(struct parse *p, const char *v)
{
	conf_get_interval(p, v, &cur_target(p)->interval_ms);
}

static void
set_target_timeout(struct parse *p, const char *v)
{
	conf_get_timeout(p, v, &cur_target(p)->timeout_ms);
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
		conf_error_at(p, p->line, "duplicate section [exporter] (first at "
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
	if (conf_normalize_dns_name(name, &why) == -1)
		goto bad;
	start_target(p, TARGET_DOMAIN, name, 0);
	return;
bad:
	conf_error_at(p, p->line, "bad domain \"%s\": %s", conf_show(arg).s, why);
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
		conf_error_at(p, p->line, "bad endpoint \"%s\": %s", conf_show(arg).s,
		    why);
		start_target(p, TARGET_ENDPOINT, NULL, 0);
		return;
	}
	if (arg[0] == '[') {
		if (conf_normalize_ip(&host, AF_INET6) == -1) {
			why = "not an ipv6 address in brackets";
			goto bad;
		}
	} else if (conf_normalize_ip(&host, AF_INET) == -1 &&
	    conf_normalize_dns_name(host, &why) == -1)
		goto bad;
	start_target(p, TARGET_ENDPOINT, host, port);
	return;
bad:
	conf_error_at(p, p->line, "bad endpoint \"%s\": %s", conf_show(arg).s, why);
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
		conf_error_at(p, t->line, "port %u has no default protocol: set "
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
		conf_error_at(p, ports_line, "%s without %s", ports_key, hosts_key);
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
		if (!ascii_is_alnum(*c) && *c != '-' && *c != '_' && *c != '.')
			why = "bad character (use letters, digits, '-', '_', "
			    "'.')";
	if (why != NULL)
		conf_error_at(p, p->line, "bad module name \"%s\": %s", conf_show(arg).s,
		    why);
	for (size_t i = 0; why == NULL && i < cfg->n_modules; i++)
		if (strcmp(cfg->modules[i].name, arg) == 0) {
			conf_error_at(p, p->line, "duplicate section [module %s] "
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
		conf_error_at(p, p->sec_line, "%s: kind is required (domain or "
		    "endpoint)", p->sec_label.data);
		return;
	}
	if (!p->module_kind_set)
		return;		/* a bad kind, said already */
	if (t->kind == TARGET_DOMAIN) {
		if ((line = key_line(p, "protocol")) != 0)
			conf_error_at(p, line, "protocol: only for kind = endpoint");
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(domain_only); i++)
		if ((line = key_line(p, domain_only[i])) != 0)
			conf_error_at(p, line, "%s: only for kind = domain",
			    domain_only[i]);
	if (!key_line(p, "protocol"))
		conf_error_at(p, p->sec_line, "%s: kind = endpoint needs protocol "
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
	{ "mta_sts_max_in_flight", set_mta_sts_max_in_flight },
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
		conf_key_error(p, "must be an absolute path");
		return;
	}
	if (strlen(v) > 1024) {
		conf_key_error(p, "path longer than 1024 bytes");
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
		conf_key_error(p, "an absolute path, or none (read the files)");
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

	if (conf_get_duration(p, v, AUDIT_INTERVAL_MIN_MS, UINT64_MAX, 0,
	    &ms) == 0 && c != NULL)
		c->interval_ms = ms;
}

static void
set_cfgsrc_timeout(struct parse *p, const char *v)
{
	struct cfgsrc_cfg *c = cur_cfgsrc(p);
	uint64_t ms;

	if (conf_get_timeout(p, v, &ms) == 0 && c != NULL)
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

	while ((item = conf_next_item(&rest)) != NULL) {
		struct buf key;

		if (addr_parse_host_port(item, &host, &port, &why) == -1) {
			conf_key_error(p, "\"%s\": %s", conf_show(item).s, why);
			break;
		}
		if (conf_normalize_host(&host, &why) == -1) {
			conf_key_error(p, "\"%s\": %s", conf_show(item).s, why);
			free(host);
			break;
		}
		if (n == MAX_CFG_ENDPOINTS) {
			conf_key_error(p, "more than %d endpoints", MAX_CFG_ENDPOINTS);
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
		conf_free_hosts(eps, &n);
		return;
	}
	conf_free_hosts(c->endpoints, &c->n_endpoints);
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
		conf_error_at(p, p->line, "[config %s]: use [config postfix NAME] or "
		    "[config dovecot NAME]", conf_show(arg).s);
		return;
	}
	if (*name == '\0' || strlen(name) > MODULE_NAME_MAX) {
		conf_error_at(p, p->line, "[config %s]: a name of 1 to 64 characters "
		    "is needed", conf_show(arg).s);
		return;
	}
	for (const char *ch = name; *ch; ch++)
		if (!ascii_is_alnum(*ch) && *ch != '-' && *ch != '_' && *ch != '.') {
			conf_error_at(p, p->line, "bad config name \"%s\" (use "
			    "letters, digits, '-', '_', '.')", conf_show(name).s);
			return;
		}
	for (size_t i = 0; i < cfg->n_cfgsrcs; i++)
		if (cfg->cfgsrcs[i].server == server &&
		    strcmp(cfg->cfgsrcs[i].name, name) == 0) {
			conf_error_at(p, p->line, "duplicate section [config %s] "
			    "(first at line %u)", conf_show(arg).s,
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
		conf_error_at(p, p->sec_line, "%s: path is required (the Postfix "
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

const struct section_def config_sections[] = {
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
const size_t config_n_sections = ARRAY_LEN(config_sections);

/* List keys that may be given on several lines, their values adding up:
 * a line holds 197 bytes, too few for a long list. */
bool
conf_key_repeats(key_fn set)
{
	return set == set_probe_allow || set == set_basic_auth_users;
}

/* The defaults that depend on the machine, once the file is read. */
void
conf_apply_machine_defaults(struct parse *p)
{
	struct config *cfg = p->cfg;
	char host[256];
	const char *why;

	p->at_end = true;
	if (cfg->ca_file == NULL) {
		if (conf_check_readable(DEFAULT_CA_FILE) == -1)
			conf_error_at(p, 0, "ca_file: default %s: %s",
			    DEFAULT_CA_FILE, strerror(errno));
		cfg->ca_file = xstrdup(DEFAULT_CA_FILE);
	}
	if (cfg->dnssec && cfg->dnssec_trust_anchor_file == NULL) {
		if (conf_check_readable(DEFAULT_TRUST_ANCHOR_FILE) == -1)
			conf_error_at(p, 0, "dnssec_trust_anchor_file: default %s: %s"
			    " (install dns-root-data, or set dnssec = off)",
			    DEFAULT_TRUST_ANCHOR_FILE, strerror(errno));
		cfg->dnssec_trust_anchor_file =
		    xstrdup(DEFAULT_TRUST_ANCHOR_FILE);
	}
	if (cfg->ehlo_name == NULL) {
		if (gethostname(host, sizeof(host)) == -1)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		cfg->ehlo_name = xstrdup(conf_check_name(host, false, &why) == 0 ?
		    host : "localhost");
	}
	conf_check_duplicates(p);
	{
		const char *file = p->file;

		if (p->tls_file != NULL)
			p->file = p->tls_file;
		conf_check_tls_files(p);
		p->file = file;
	}
}

/* --web.config.file: its keys through the setters of the [exporter] keys
 * that say the same, with their checks; one of the two per setting. */
void
conf_apply_web_entry(struct parse *p, const struct webcfg_entry *e,
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
			conf_key_error(p, "%s sets tls_cert_file and tls_key_file "
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
			conf_key_error(p, "%s: TLS 1.0 and 1.1 are not offered (RFC "
			    "8996): TLS12 or TLS13", e->value);
		else
			conf_key_error(p, "\"%s\": TLS12 or TLS13", conf_show(e->value).s);
		break;
	case WC_CLIENT_AUTH:
		p->key = "client_auth_type";
		p->client_auth_line = e->line;
		if (tls_client_auth_parse(e->value, &cfg->tls_client_auth) == -1)
			conf_key_error(p, "\"%s\": NoClientCert, RequestClientCert, "
			    "RequireAnyClientCert, VerifyClientCertIfGiven or "
			    "RequireAndVerifyClientCert", conf_show(e->value).s);
		break;
	case WC_CLIENT_CA:
		p->key = "client_ca_file";
		p->client_ca_line = e->line;
		if ((cfg->tls_client_ca_pem = conf_read_pem(p, e->value)) != NULL) {
			cfg->tls_client_ca_file = xstrdup(e->value);
			conf_check_client_ca(p);
		}
		break;
	case WC_USER:
		p->key = "basic_auth_users";
		if (cfg->n_auth_users > 0 && !p->web_users) {
			conf_key_error(p, "%s sets basic_auth_users already: use one "
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
