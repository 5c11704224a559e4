/* The configuration file (inih), validated completely before use: every
 * error is collected as "file:line: message" and none is fatal on its own,
 * so a user sees all of them at once. */
#ifndef MAILSEC_CONFIG_H
#define MAILSEC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "collectors/protocol.h"
#include "base/addr.h"
#include "base/log.h"

enum target_kind {
	TARGET_DOMAIN,		/* [domain NAME]: MX hosts resolved, each probed */
	TARGET_ENDPOINT,	/* [endpoint HOST:PORT]: probed as given */
};

#define MAX_PORTS 8
#define MAX_HOSTS 8
#define MAX_SELECTORS 16
#define MAX_SPF_EXPECT 16
#define MAX_LIST 16	/* the longest list key */

/* ip_protocol: which address families of a host are probed.  The DNS is
 * asked for both either way (MX hygiene counts AAAA addresses). */
enum ip_protocol {
	IP_PROTOCOL_BOTH,	/* the default */
	IP_PROTOCOL_IP4,
	IP_PROTOCOL_IP6,
};
/* 1 if an address of family (AF_INET, AF_INET6) is probed under p. */
int ip_protocol_allows(enum ip_protocol p, int family);

struct target_cfg {
	enum target_kind kind;
	char		*name;		/* domain, or endpoint host */
	uint16_t	 port;		/* endpoint only */
	enum protocol	 protocol;	/* endpoint only */
	uint16_t	 smtp_ports[MAX_PORTS];	/* domain only: on every MX */
	size_t		 n_smtp_ports;
	/* The lists below are arrays of exactly their n_ entries (NULL when
	 * none; at most MAX_HOSTS, MAX_SELECTORS, MAX_SPF_EXPECT): a config of
	 * 10,000 domains held ~3.5 MB of empty fixed arrays before. */
	/* domain only: IMAP and POP3 hosts are named, not found in DNS */
	char		**imap_hosts;
	size_t		 n_imap_hosts;
	uint16_t	 imap_ports[MAX_PORTS];	/* default 143, 993 */
	size_t		 n_imap_ports;
	char		**pop3_hosts;
	size_t		 n_pop3_hosts;
	uint16_t	 pop3_ports[MAX_PORTS];	/* default 110, 995 */
	size_t		 n_pop3_ports;
	uint64_t	 interval_ms;	/* 0: the exporter's */
	uint64_t	 timeout_ms;	/* 0: the exporter's */
	int		 audit;		/* -1: the exporter's, 0 off, 1 on */
	uint64_t	 audit_interval_ms;	/* 0: the exporter's */
	/* domain only: the mail authentication records (SPF, DKIM, DMARC) */
	int		 records;	/* 1 on (default), 0 off */
	char		**dkim_selectors;
	size_t		 n_dkim_selectors;
	char		**spf_expect_pass;	/* canonical IPs */
	size_t		 n_spf_expect_pass;
	/* domain only: MTA-STS and TLS-RPT; -1: the exporter's, 0 off, 1 on */
	int		 mta_sts;
	int		 tls_rpt;
	/* domain only: DANE on the MX hosts (with dnssec on); 1 on, 0 off */
	int		 dane;
	enum ip_protocol ip_protocol;
	unsigned	 line;		/* where the section starts */
};

#define MAX_RESOLVERS 4
#define MAX_CAA_ISSUERS 16
#define CAA_ISSUER_PATTERN_MAX 64

/* caa_issuers: a CA's CAA domain name and a text its certificates' issuer
 * names hold ("letsencrypt.org" and "Let's Encrypt"). */
struct caa_issuer {
	char		*domain;	/* lowercase */
	char		*pattern;	/* a case-sensitive substring */
};

/* [module NAME]: how /probe?module=NAME probes the target it is given.  t
 * holds kind, protocol (endpoint), smtp_ports, dkim_selectors and records
 * (domain), timeout_ms and audit (0 unless set); t.name is NULL. */
struct module_cfg {
	char		*name;
	struct target_cfg t;
	unsigned	 line;
};

/* One entry of probe_allow. */
enum allow_kind {
	ALLOW_NAME,		/* "mail.example.net": that name only */
	ALLOW_SUFFIX,		/* "*.example.org": names below it */
	ALLOW_CIDR,		/* "192.0.2.0/24", "2001:db8::/32", or one address */
};

struct allow_entry {
	enum allow_kind	 kind;
	char		*name;		/* NAME: the name; SUFFIX: ".example.org" */
	struct cidr	 cidr;		/* CIDR: the network, host bits zero */
};

/* Parses one probe_allow entry (lowercased, made canonical) into e; -1
 * with *why on error.  e->name is allocated. */
int allow_entry_parse(const char *s, struct allow_entry *e, const char **why);

/* One of basic_auth_users: a name and its bcrypt hash. */
struct auth_user {
	char		*name;
	char		*hash;
};

#define DEFAULT_PROBE_TIMEOUT_OFFSET_MS 500
#define DEFAULT_PROBE_MAX_CONCURRENT 64
/* RFC 7208's worst case, every answer shared through the cache: the SPF
 * TXT, then 10 DNS-mechanism terms (4.6.4), each an mx: naming 10 hosts
 * whose A and AAAA records are asked (10 per mechanism and family):
 * 1 + 10 * (1 + 2 * 10) = 211 (void lookups are among these); the MX and 16
 * MX hosts' A and AAAA, 33; 8 IMAP and 8 POP3 hosts, 32; DMARC at the
 * domain and the organisational domain, 2, and 10 external rua domains;
 * 16 DKIM selectors; MTA-STS TXT, its policy host's A and AAAA, TLS-RPT,
 * 4; the MX hygiene of 16 MX hosts (CNAME, CAA up the tree, PTR and the
 * PTR names' addresses: about 8 each), 128.  436 in all, rounded up. */
#define DEFAULT_DNS_BUDGET_PER_DOMAIN 640
#define DNS_BUDGET_MAX 100000
/* MTA-STS policy fetches handed to libcurl at once (the others wait for a
 * slot): one in flight holds ~100 KB; at 10,000 domains and 256 checks in
 * flight ~150 were at once, 16 MB of the `--once` peak. */
#define DEFAULT_MTA_STS_MAX_IN_FLIGHT 32
#define MTA_STS_MAX_IN_FLIGHT_MAX 4096
#define MAX_PROBE_ALLOW 256
#define MAX_PROBE_ALLOW_PORTS 64
#define MAX_AUTH_USERS 64
#define MODULE_NAME_MAX 64

/* exporter-toolkit's client_auth_type (Go's tls.ClientAuthType). */
enum tls_client_auth {
	TLS_CLIENT_AUTH_NONE,		/* NoClientCert */
	TLS_CLIENT_AUTH_REQUEST,	/* RequestClientCert */
	TLS_CLIENT_AUTH_REQUIRE_ANY,	/* RequireAnyClientCert */
	TLS_CLIENT_AUTH_VERIFY_IF_GIVEN, /* VerifyClientCertIfGiven */
	TLS_CLIENT_AUTH_REQUIRE_VERIFY, /* RequireAndVerifyClientCert */
	TLS_CLIENT_AUTH__COUNT
};

const char *tls_client_auth_name(enum tls_client_auth a);
/* exporter-toolkit's spelling (and its old RequireClientCert); 0 or -1. */
int tls_client_auth_parse(const char *s, enum tls_client_auth *out);
/* Whether the mode checks the certificate against client_ca_file. */
int tls_client_auth_verifies(enum tls_client_auth a);

struct config {
	char		*path;
	char		*listen_host;	/* "127.0.0.1", "::1", "0.0.0.0" */
	uint16_t	 listen_port;
	uint64_t	 interval_ms;
	uint64_t	 timeout_ms;
	unsigned	 concurrency;
	char		*ca_file;
	char		*resolver;	/* NULL: resolv.conf; else "ip:port,ip" */
	enum log_level	 log_level;
	char		*ehlo_name;	/* name we give in EHLO */
	char		*user;		/* run as this user after binding */
	int		 audit;		/* the TLS audit: 1 on (default), 0 off */
	uint64_t	 audit_interval_ms;	/* default 1h */
	char		*state_file;	/* change detection's state, or NULL */
	uint64_t	 weakened_hold_ms;	/* mailsec_policy_weakened, 7d */
	int		 mta_sts;	/* MTA-STS: 1 on (default), 0 off */
	unsigned	 mta_sts_max_in_flight;	/* policy fetches at once */
	int		 tls_rpt;	/* TLS-RPT: 1 on (default), 0 off */
	int		 dnssec;	/* validate DNSSEC: 1 on (default), 0 off */
	/* One handshake per server (address, port, protocol, SNI name,
	 * timeout) serves every check that probes it within its interval:
	 * 1 on (default), 0 off (daemon/share.h). */
	int		 share;
	char		*dnssec_trust_anchor_file;
	char		*dnssec_forwarder;	/* "ip:port", "[v6]:port", or NULL */
	/* The DNS answer cache (collectors/dnscache.h) and the per-domain
	 * budget of questions a round (daemon/dnsqueue.c). */
	uint64_t	 dns_cache_max_ttl_ms;		/* 0: off */
	uint64_t	 dns_cache_negative_max_ttl_ms;	/* 0: none */
	unsigned	 dns_cache_max_entries;
	unsigned	 dns_cache_max_bytes;
	unsigned	 dns_budget_per_domain;
	struct caa_issuer caa_issuers[MAX_CAA_ISSUERS];
	size_t		 n_caa_issuers;
	struct target_cfg *targets;
	size_t		 n_targets;
	/* The web listener: /probe and who may use it, HTTPS. */
	struct module_cfg *modules;
	size_t		 n_modules;
	struct allow_entry *probe_allow;	/* none: /probe is off */
	size_t		 n_probe_allow;
	struct cidr	*probe_allow_cidrs;	/* the CIDR entries again */
	size_t		 n_probe_allow_cidrs;
	uint16_t	 probe_allow_ports[MAX_PROBE_ALLOW_PORTS];
	size_t		 n_probe_allow_ports;	/* default: the mail ports */
	uint64_t	 probe_timeout_offset_ms;
	unsigned	 probe_max_concurrent;
	struct auth_user *auth_users;	/* none: no authentication */
	size_t		 n_auth_users;
	char		*tls_cert_file;	/* both or neither */
	char		*tls_key_file;
	char		*tls_cert_pem;	/* their contents, read and checked */
	char		*tls_key_pem;
	unsigned	 tls_min_version;	/* 12 (default) or 13 */
	/* web-config client_auth_type and client_ca_file (its contents,
	 * checked: certificates only). */
	enum tls_client_auth tls_client_auth;
	char		*tls_client_ca_file;
	char		*tls_client_ca_pem;
	/* The `address` label of endpoint series: the address (on), none
	 * (off: one series per host, port and protocol, the worst address's),
	 * or a short hash of it. */
	enum { ADDRESS_LABEL_ON, ADDRESS_LABEL_OFF, ADDRESS_LABEL_HASH }
			 address_label;
	struct cfgsrc_cfg *cfgsrcs;	/* [config ...] sections */
	size_t		 n_cfgsrcs;
};

/* [config postfix NAME], [config dovecot NAME]: a configuration audited
 * (collectors/cfgaudit.h), and the endpoints that serve it. */
#define MAX_CFG_ENDPOINTS 16
struct cfgsrc_cfg {
	int		 server;	/* enum cfg_server: 0 postfix, 1 dovecot */
	char		*name;
	char		*path;		/* config dir, or dovecot.conf */
	char		*tool;		/* postconf/doveconf, "none", NULL */
	uint64_t	 interval_ms;	/* 0: the exporter's */
	uint64_t	 timeout_ms;	/* 0: 10s */
	char		*endpoints[MAX_CFG_ENDPOINTS];	/* target keys */
	size_t		 n_endpoints;
	unsigned	 line;
};

/* The CA domain of caa_issuers whose pattern the issuer name holds (the
 * first that does), or NULL when none does: then it cannot be told. */
const char *config_caa_issuer_domain(const struct config *cfg,
    const char *issuer);

/* The module called name, or NULL. */
const struct module_cfg *config_module(const struct config *cfg,
    const char *name);

/* Error list: "file:line: message" strings in order of appearance, with
 * each one's line (0: none) and where its text starts, past the file, the
 * line and the key ("file:line: key: text"), for readers that name the
 * place their own way (the check command). */
struct config_errors {
	char	**msgs;
	unsigned *lines;
	size_t	 *text_at;
	size_t	  n;
};

#define DEFAULT_LISTEN_HOST "127.0.0.1"
#define DEFAULT_LISTEN_PORT 9925
#define DEFAULT_INTERVAL_MS (5 * 60 * 1000ULL)
#define DEFAULT_TIMEOUT_MS (10 * 1000ULL)
#define DEFAULT_CONCURRENCY 256
#define DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define DEFAULT_TRUST_ANCHOR_FILE "/usr/share/dns/root.key"
#define DEFAULT_AUDIT_INTERVAL_MS (60 * 60 * 1000ULL)
/* A larger file is refused ("file too large"). */
#define CONFIG_MAX_SIZE (1024 * 1024)

/* Loads and validates path.  Returns the config, or NULL with errs filled
 * (at least one message).  errs must start zeroed; free it with
 * config_errors_free. */
struct config *config_load(const char *path, struct config_errors *errs);
/* The same, with --web.config.file (exporter-toolkit's web-config.yml,
 * daemon/webcfg.h) read into the [exporter] keys it stands for. */
struct config *config_load_web(const char *path, const char *web_config,
    struct config_errors *errs);
/* The same from memory (tests, fuzzing): data need not be NUL-terminated and
 * may hold NUL bytes; name is the file name used in messages and cfg->path. */
struct config *config_load_mem(const char *name, const char *data,
    size_t len, struct config_errors *errs);
void config_free(struct config *cfg);
/* --web.listen-address: "127.0.0.1:9925", "[::1]:9925", or ":9925" (every
 * address; the file's listen key wants it spelt [::]:9925); *host is
 * allocated, numeric and canonical. */
int config_listen_parse(const char *v, char **host, uint16_t *port, char *err,
    size_t errlen);
void config_errors_free(struct config_errors *errs);

#endif
