/* The configuration audit: the table of checks and the judgement of a
 * Postfix or Dovecot configuration.  See cfgaudit.h and doc/config-audit.md.
 * The advice of a row is the value to write; cfgaudit composes the whole
 * line from the setting and where it was set (main.cf, a master.cf -o, a
 * Dovecot file and block).  Cipher strings are judged by what this OpenSSL
 * enables for them, certificates and DH parameters by reading them with
 * OpenSSL. */
#include "collectors/cfgaudit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "collectors/doveconf.h"
#include "collectors/postconf.h"
#include "collectors/subproc.h"
#include "base/log.h"

#define EXPIRING_S	(14 * 86400.0)
#define CERT_CHAIN_MAX	16

enum fix_kind {
	FIX_SET,	/* write setting = value where it is (or main.cf) */
	FIX_SERVICE,	/* a master.cf -o on the service */
	FIX_REMOVE,	/* delete the line; value says what instead */
	FIX_TEXT,	/* value is the advice as is */
};

struct check_def {
	const char	*name;		/* the `check` label */
	enum cfg_severity sev;		/* the usual severity */
	enum fix_kind	 fix;
	const char	*fix_setting;	/* NULL: the judged setting */
	const char	*value;		/* the value to write (or the words) */
	const char	*value_old;	/* for Postfix < 3.6, NULL: the same */
	const char	*why;
};

static const struct check_def checks[CK__COUNT] = {
	[CK_READ_ERROR] = { "read_error", CFG_WARNING, FIX_TEXT, NULL,
	    "fix the line named (postfix check / doveconf -n show the same)",
	    NULL, "a line the server may read differently than intended" },
	[CK_PF_NO_STARTTLS] = { "no_starttls", CFG_CRITICAL, FIX_SET,
	    "smtpd_tls_security_level", "may", NULL,
	    "the SMTP server offers no STARTTLS: all mail arrives in clear" },
	[CK_PF_AUTH_WITHOUT_TLS] = { "auth_without_tls", CFG_CRITICAL, FIX_SET,
	    "smtpd_tls_auth_only", "yes", NULL,
	    "SASL is on and AUTH is offered before STARTTLS: passwords can "
	    "cross the network in clear" },
	[CK_PF_SUBMISSION_NO_ENCRYPT] = { "submission_no_encrypt", CFG_CRITICAL,
	    FIX_SERVICE, "smtpd_tls_security_level", "encrypt", NULL,
	    "the submission port does not require TLS: clients may send "
	    "credentials and mail in clear, or be downgraded" },
	[CK_PF_SMTPS_NO_WRAPPER] = { "smtps_no_wrapper", CFG_CRITICAL,
	    FIX_SERVICE, "smtpd_tls_wrappermode", "yes", NULL,
	    "port 465 without wrapper mode speaks plain SMTP where clients "
	    "expect TLS at once" },
	[CK_PF_PROTO_SSL] = { "protocols_ssl", CFG_CRITICAL, FIX_SET, NULL,
	    ">=TLSv1.2", "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1",
	    "SSLv2 and SSLv3 are broken (DROWN, POODLE)" },
	[CK_PF_PROTO_LEGACY_TLS] = { "protocols_legacy_tls", CFG_WARNING,
	    FIX_SET, NULL, ">=TLSv1.2", "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1",
	    "TLS 1.0 and 1.1 are deprecated (RFC 8996)" },
	[CK_PF_PROTO_NO_TLS13] = { "protocols_no_tls13", CFG_WARNING, FIX_SET,
	    NULL, ">=TLSv1.2", "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1",
	    "an explicit list of protocols leaves TLS 1.3 out: it is never "
	    "negotiated" },
	[CK_PF_PROTO_NONE] = { "protocols_none", CFG_CRITICAL, FIX_SET, NULL,
	    ">=TLSv1.2", "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1",
	    "no protocol is left: every TLS handshake fails" },
	[CK_PF_SERVER_ORDER] = { "server_cipher_order", CFG_INFO, FIX_SET,
	    "tls_preempt_cipherlist", "yes", NULL,
	    "the client's cipher preference is used, not the server's" },
	[CK_PF_DH_UNREADABLE] = { "dh_params_unreadable", CFG_WARNING, FIX_TEXT,
	    NULL, "remove smtpd_tls_dh1024_param_file (Postfix >= 3.1 has "
	    "built-in 2048-bit parameters), or point it at a readable file "
	    "from `openssl dhparam -out FILE 2048`", NULL,
	    "Postfix cannot load the DH parameter file and falls back, or "
	    "disables DHE suites" },
	[CK_PF_DH_SMALL] = { "dh_params_small", CFG_WARNING, FIX_TEXT, NULL,
	    "generate 2048-bit parameters: openssl dhparam -out FILE 2048", NULL,
	    "DH groups under 2048 bits can be broken (Logjam)" },
	[CK_PF_OUT_TLS_NONE] = { "outbound_tls_none", CFG_CRITICAL, FIX_SET,
	    "smtp_tls_security_level", "may", NULL,
	    "the SMTP client never uses TLS: all outgoing mail goes in clear" },
	[CK_PF_OUT_TLS_MAY] = { "outbound_tls_opportunistic", CFG_WARNING,
	    FIX_TEXT, NULL, "smtp_tls_security_level = dane and "
	    "smtp_dns_support_level = dnssec (with a validating resolver)",
	    NULL, "opportunistic TLS is downgraded by anyone who strips "
	    "STARTTLS; DANE makes it verified where the peer publishes TLSA" },
	[CK_PF_CA_MISSING] = { "ca_path_missing", CFG_WARNING, FIX_TEXT, NULL,
	    "point it at an existing directory or file, e.g. "
	    "/etc/ssl/certs (or remove it)", NULL,
	    "a CA file or directory that does not exist: no peer certificate "
	    "can be verified" },
	[CK_PF_EXPANSION] = { "expansion_error", CFG_CRITICAL, FIX_TEXT, NULL,
	    "fix the $name references of this parameter", NULL,
	    "the value cannot be expanded (a $name loop or runaway growth): "
	    "Postfix refuses it" },
	[CK_DC_SSL_OFF] = { "ssl_off", CFG_CRITICAL, FIX_SET, "ssl", "yes",
	    NULL, "IMAP and POP3 without TLS: passwords and mail in clear" },
	[CK_DC_CLEARTEXT_AUTH] = { "cleartext_auth", CFG_CRITICAL, FIX_SET,
	    "disable_plaintext_auth", "yes", NULL,
	    "plain-text login is allowed before TLS: passwords in clear" },
	[CK_DC_PROTO_SSL] = { "protocols_ssl", CFG_CRITICAL, FIX_SET,
	    "ssl_min_protocol", "TLSv1.2", NULL,
	    "SSLv3 is broken (POODLE)" },
	[CK_DC_PROTO_LEGACY_TLS] = { "protocols_legacy_tls", CFG_WARNING,
	    FIX_SET, "ssl_min_protocol", "TLSv1.2", NULL,
	    "TLS 1.0 and 1.1 are deprecated (RFC 8996)" },
	[CK_DC_OBSOLETE] = { "obsolete_setting", CFG_WARNING, FIX_REMOVE, NULL,
	    NULL, NULL, "Dovecot 2.3 ignores this setting (doveconf warns) "
	    "and runs with its defaults: the admin thinks it applies" },
	[CK_DC_SERVER_ORDER] = { "server_cipher_order", CFG_INFO, FIX_SET,
	    "ssl_prefer_server_ciphers", "yes", NULL,
	    "the client's cipher preference is used, not the server's" },
	[CK_DC_CIPHERS_NAME_3DES] = { "cipher_list_names_3des", CFG_WARNING,
	    FIX_SET, "ssl_cipher_list",
	    "ALL:!kRSA:!SRP:!kDHd:!DSS:!aNULL:!eNULL:!EXPORT:!DES:!3DES:!MD5:"
	    "!PSK:!RC4:!ADH:!LOW@STRENGTH", NULL,
	    "the list asks for 3DES suites (Sweet32): an OpenSSL that has them "
	    "enables them" },
	[CK_DC_DH_UNREADABLE] = { "dh_params_unreadable", CFG_WARNING,
	    FIX_TEXT, NULL, "ssl_dh = </usr/share/dovecot/dh.pem (or a file "
	    "from `openssl dhparam -out FILE 2048`)", NULL,
	    "Dovecot cannot load its DH parameters: DHE suites fail" },
	[CK_DC_DH_SMALL] = { "dh_params_small", CFG_WARNING, FIX_TEXT, NULL,
	    "generate 2048-bit parameters: openssl dhparam -out FILE 2048", NULL,
	    "DH groups under 2048 bits can be broken (Logjam)" },
	[CK_CIPHER_NONE] = { "ciphers_none", CFG_CRITICAL, FIX_TEXT, NULL,
	    "use a cipher list this OpenSSL knows (the server's default)",
	    NULL, "the cipher string enables no TLS 1.2 suite at all" },
	[CK_CIPHER_NULL] = { "ciphers_null", CFG_CRITICAL, FIX_TEXT, NULL,
	    "exclude eNULL (add !eNULL)", NULL,
	    "NULL suites encrypt nothing" },
	[CK_CIPHER_ANON] = { "ciphers_anonymous", CFG_WARNING, FIX_TEXT, NULL,
	    "exclude aNULL (add !aNULL)", NULL,
	    "anonymous suites authenticate no server: a man in the middle is "
	    "not noticed" },
	[CK_CIPHER_RC4] = { "ciphers_rc4", CFG_CRITICAL, FIX_TEXT, NULL,
	    "exclude RC4 (add !RC4)", NULL, "RC4 is broken (RFC 7465)" },
	[CK_CIPHER_3DES] = { "ciphers_3des", CFG_CRITICAL, FIX_TEXT, NULL,
	    "exclude 3DES (add !3DES)", NULL,
	    "3DES has 64-bit blocks (Sweet32)" },
	[CK_CIPHER_STATIC_RSA] = { "ciphers_static_rsa", CFG_WARNING, FIX_TEXT,
	    NULL, "exclude kRSA (add !kRSA): ECDHE and DHE suites only", NULL,
	    "static RSA key exchange has no forward secrecy" },
	[CK_CIPHER_CBC] = { "ciphers_cbc", CFG_INFO, FIX_TEXT, NULL,
	    "prefer AEAD suites (AES-GCM, CHACHA20-POLY1305); CBC suites may "
	    "stay for old clients", NULL,
	    "CBC suites with MAC-then-encrypt had padding oracles (Lucky13)" },
	[CK_CIPHER_SHA1] = { "ciphers_sha1", CFG_INFO, FIX_TEXT, NULL,
	    "prefer suites with SHA-256/384 or AEAD; SHA-1 suites may stay for "
	    "old clients", NULL, "suites with a SHA-1 MAC are legacy" },
	[CK_CERT_UNREADABLE] = { "cert_unreadable", CFG_CRITICAL, FIX_TEXT,
	    NULL, "point it at a readable PEM certificate (leaf first, then "
	    "the intermediates)", NULL,
	    "the server cannot load its certificate: TLS fails or is off" },
	[CK_CERT_KEY_UNREADABLE] = { "key_unreadable", CFG_CRITICAL, FIX_TEXT,
	    NULL, "point it at the readable PEM private key of the "
	    "certificate (without a passphrase)", NULL,
	    "the server cannot load its private key: TLS fails or is off" },
	[CK_CERT_KEY_MISMATCH] = { "key_mismatch", CFG_CRITICAL, FIX_TEXT, NULL,
	    "name the key that belongs to the certificate (compare `openssl "
	    "x509 -pubkey` and `openssl pkey -pubout`)", NULL,
	    "the key is not the certificate's: every handshake fails" },
	[CK_CERT_EXPIRED] = { "cert_expired", CFG_CRITICAL, FIX_TEXT, NULL,
	    "renew the certificate and reload the server", NULL,
	    "an expired certificate fails verification everywhere" },
	[CK_CERT_EXPIRING] = { "cert_expiring", CFG_WARNING, FIX_TEXT, NULL,
	    "renew the certificate and reload the server", NULL,
	    "the certificate expires within 14 days" },
	[CK_CERT_SELF_SIGNED] = { "cert_self_signed", CFG_WARNING, FIX_TEXT,
	    NULL, "use a certificate from a CA (e.g. ACME/Let's Encrypt) for "
	    "the name clients connect to", NULL,
	    "a self-signed (snakeoil) certificate: clients cannot verify it. "
	    "Common and harmless on port 25, a problem where people log in" },
	[CK_CERT_KEY_SMALL] = { "cert_key_small", CFG_WARNING, FIX_TEXT, NULL,
	    "a new key of RSA 2048 bits or more, or EC P-256", NULL,
	    "a key under 2048 bits RSA (256 EC) is too weak" },
	[CK_CERT_CHAIN_ORDER] = { "cert_chain_order", CFG_WARNING, FIX_TEXT,
	    NULL, "put the leaf certificate first, then each issuer in turn",
	    NULL, "the chain file is out of order: strict clients reject it" },
};

_Static_assert(CK_CIPHER_SHA1 - CK_CIPHER_NULL + 1 == 7, "cipher classes");

static const char *const server_names[CFG_SERVER__COUNT] = {
	[CFG_POSTFIX] = "postfix",
	[CFG_DOVECOT] = "dovecot",
};

static const char *const severity_names[CFG_SEV__COUNT] = {
	[CFG_CRITICAL] = "critical",
	[CFG_WARNING] = "warning",
	[CFG_INFO] = "info",
};

static const char *const tlsv_names[CFG_TLSV__COUNT] = {
	[CFG_SSLV2] = "SSLv2",
	[CFG_SSLV3] = "SSLv3",
	[CFG_TLSV1] = "TLSv1",
	[CFG_TLSV1_1] = "TLSv1.1",
	[CFG_TLSV1_2] = "TLSv1.2",
	[CFG_TLSV1_3] = "TLSv1.3",
};

const char *
cfg_server_name(enum cfg_server s)
{
	return (unsigned)s < CFG_SERVER__COUNT ? server_names[s] : "unknown";
}

const char *
cfg_severity_name(enum cfg_severity s)
{
	return (unsigned)s < CFG_SEV__COUNT ? severity_names[s] : "unknown";
}

const char *
cfg_check_name(enum cfg_check c)
{
	return (unsigned)c < CK__COUNT ? checks[c].name : "unknown";
}

const char *
cfg_check_why(enum cfg_check c)
{
	return (unsigned)c < CK__COUNT ? checks[c].why : "";
}

const char *
cfg_tlsv_name(enum cfg_tlsv v)
{
	return (unsigned)v < CFG_TLSV__COUNT ? tlsv_names[v] : "unknown";
}

void
cfg_report_free(struct cfg_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_f; i++) {
		free(r->f[i].service);
		free(r->f[i].setting);
		free(r->f[i].file);
		free(r->f[i].detail);
		free(r->f[i].advice);
	}
	free(r->f);
	for (size_t i = 0; i < r->n_certs; i++)
		free(r->certs[i].file);
	free(r->certs);
	for (size_t i = 0; i < r->n_views; i++) {
		free(r->views[i].service);
		free(r->views[i].address);
		free(r->views[i].cert_file);
	}
	free(r->views);
	for (size_t i = 0; i < r->n_errors; i++)
		free(r->errors[i]);
	free(r->errors);
	free(r->instance);
	free(r->path);
	free(r->tool_error);
	free(r);
}

void
cfg_report_counts(const struct cfg_report *r, unsigned n[CFG_SEV__COUNT])
{
	memset(n, 0, CFG_SEV__COUNT * sizeof(n[0]));
	for (size_t i = 0; i < r->n_f; i++)
		n[r->f[i].sev]++;
}

/* Findings. */

/* Where a setting is, in words for the advice. */
struct place {
	const char	*file;		/* NULL: not set (a default) */
	unsigned	 line;
	const char	*block;		/* Dovecot block, "" or NULL: top */
	const char	*service;	/* Postfix master.cf service, or NULL */
	int		 is_override;
};

static void
add_finding(struct cfg_report *r, enum cfg_check ck, enum cfg_severity sev,
    const char *service, const char *setting, const struct place *pl,
    const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void
compose_advice(struct cfg_report *r, enum cfg_check ck, const char *setting,
    const struct place *pl, struct buf *a)
{
	const struct check_def *d = &checks[ck];
	const char *set = d->fix_setting ? d->fix_setting : setting;
	const char *value = d->value;

	if (d->value_old && r->server == CFG_POSTFIX && r->version[0] &&
	    strverscmp(r->version, "3.6") < 0)
		value = d->value_old;
	switch (d->fix) {
	case FIX_SET:
		if (r->server == CFG_DOVECOT) {
			if (pl && pl->file && (d->fix_setting == NULL ||
			    strcmp(d->fix_setting, setting) == 0))
				buf_printf(a, "%s:%u: ", pl->file, pl->line);
			else
				buf_printf(a, "dovecot.conf (or conf.d/10-ssl."
				    "conf): ");
			if (pl && pl->block && *pl->block)
				buf_printf(a, "in %s { }: ", pl->block);
			buf_printf(a, "%s = %s", set, value);
		} else if (pl && pl->is_override && pl->service)
			buf_printf(a, "master.cf, service %s: -o %s=%s",
			    pl->service, set, value);
		else
			buf_printf(a, "main.cf: %s = %s", set, value);
		break;
	case FIX_SERVICE:
		buf_printf(a, "master.cf, service %s: -o %s=%s",
		    pl && pl->service ? pl->service : "?", set, value);
		break;
	case FIX_REMOVE:
		buf_printf(a, "delete %s", setting);
		if (pl && pl->file)
			buf_printf(a, " (%s:%u)", pl->file, pl->line);
		if (strcmp(setting, "ssl_protocols") == 0)
			buf_puts(a, "; write ssl_min_protocol = TLSv1.2");
		else if (strcmp(setting, "ssl_dh_parameters_length") == 0)
			buf_puts(a, "; DH parameters come from ssl_dh = "
			    "</usr/share/dovecot/dh.pem");
		break;
	case FIX_TEXT:
		buf_puts(a, value);
		break;
	}
}

static void
add_finding(struct cfg_report *r, enum cfg_check ck, enum cfg_severity sev,
    const char *service, const char *setting, const struct place *pl,
    const char *fmt, ...)
{
	struct cfg_finding *f;
	struct buf d, a;
	va_list ap;

	buf_init(&d);
	buf_init(&a);
	va_start(ap, fmt);
	buf_vprintf(&d, fmt, ap);
	va_end(ap);
	compose_advice(r, ck, setting, pl, &a);
	r->f = xreallocarray(r->f, r->n_f + 1, sizeof(*r->f));
	f = &r->f[r->n_f++];
	f->check = ck;
	f->sev = sev;
	f->service = xstrdup(service);
	f->setting = xstrdup(setting);
	f->file = pl && pl->file ? xstrdup(pl->file) : NULL;
	f->line = pl && pl->file ? pl->line : 0;
	f->detail = d.data;
	f->advice = a.data;
}

static void
report_error(struct cfg_report *r, const char *msg)
{
	r->errors = xreallocarray(r->errors, r->n_errors + 1,
	    sizeof(*r->errors));
	r->errors[r->n_errors++] = xstrdup(msg);
}

/* Ciphers. */

void
cipher_classify(const char *list, struct cipher_classes *cc)
{
	STACK_OF(SSL_CIPHER) *sk;
	SSL_CTX *ctx;

	memset(cc, 0, sizeof(*cc));
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return;
	/* Postfix sets level 0 itself; at level 0 we see all the string
	 * names. */
	SSL_CTX_set_security_level(ctx, 0);
	if (SSL_CTX_set_cipher_list(ctx, list) != 1) {
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return;
	}
	cc->valid = 1;
	sk = SSL_CTX_get_ciphers(ctx);
	for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
		int kx = SSL_CIPHER_get_kx_nid(c), au = SSL_CIPHER_get_auth_nid(c);
		int ci = SSL_CIPHER_get_cipher_nid(c);
		int md = SSL_CIPHER_get_digest_nid(c);
		unsigned cls = 0;

		if (strcmp(SSL_CIPHER_get_version(c), "TLSv1.3") == 0)
			continue;	/* TLS 1.3 suites: a separate setting */
		/* PSK and SRP suites need secrets no mail server has set. */
		if (kx == NID_kx_psk || kx == NID_kx_rsa_psk ||
		    kx == NID_kx_ecdhe_psk || kx == NID_kx_dhe_psk ||
		    kx == NID_kx_srp)
			continue;
		cc->n_suites++;
		if (ci == NID_undef)
			cls |= 1u << (CK_CIPHER_NULL - CK_CIPHER_NULL);
		if (au == NID_auth_null)
			cls |= 1u << (CK_CIPHER_ANON - CK_CIPHER_NULL);
		if (ci == NID_rc4 || ci == NID_rc4_40)
			cls |= 1u << (CK_CIPHER_RC4 - CK_CIPHER_NULL);
		if (ci == NID_des_ede3_cbc)
			cls |= 1u << (CK_CIPHER_3DES - CK_CIPHER_NULL);
		if (kx == NID_kx_rsa)
			cls |= 1u << (CK_CIPHER_STATIC_RSA - CK_CIPHER_NULL);
		if (ci != NID_undef && ci != NID_rc4 && !SSL_CIPHER_is_aead(c))
			cls |= 1u << (CK_CIPHER_CBC - CK_CIPHER_NULL);
		if (md == NID_sha1)
			cls |= 1u << (CK_CIPHER_SHA1 - CK_CIPHER_NULL);
		cc->mask |= cls;
		for (unsigned k = 0; k < ARRAY_LEN(cc->count); k++) {
			char *ex = cc->examples[k];
			size_t used = strlen(ex);
			const char *nm = SSL_CIPHER_get_name(c);

			if (!(cls & (1u << k)))
				continue;
			cc->count[k]++;
			if (cc->count[k] <= 3 &&
			    used + strlen(nm) + 3 < sizeof(cc->examples[k]))
				snprintf(ex + used, sizeof(cc->examples[k]) - used,
				    "%s%s", used ? ", " : "", nm);
		}
	}
	SSL_CTX_free(ctx);
}

/* Findings for what a cipher string enables. */
/* The words that exclude a class, in a Postfix exclusion list (and, with
 * '!' before each, in an OpenSSL string). */
static const char *const class_exclude[] = {
	"eNULL", "aNULL", "RC4", "3DES", "kRSA", "SHA1, SHA256, SHA384", "SHA1",
};

/* The exact line that excludes class k: Postfix appends to its exclusion
 * setting (excl, now excl_value), Dovecot to the string. */
static char *
cipher_advice(unsigned k, const char *excl, const char *excl_value,
    const struct place *pl, const char *list)
{
	struct buf a;

	buf_init(&a);
	if (excl != NULL) {
		if (pl && pl->is_override && pl->service)
			buf_printf(&a, "master.cf, service %s: -o %s={ %s%s%s }",
			    pl->service, excl, excl_value, *excl_value ? ", " : "",
			    class_exclude[k]);
		else
			buf_printf(&a, "main.cf: %s = %s%s%s", excl, excl_value,
			    *excl_value ? ", " : "", class_exclude[k]);
		return a.data;
	}
	if (pl && pl->file)
		buf_printf(&a, "%s:%u: ", pl->file, pl->line);
	buf_printf(&a, "ssl_cipher_list = %s", list);
	for (const char *w = class_exclude[k]; *w;) {
		size_t n = strcspn(w, ", ");

		buf_printf(&a, ":!%.*s", (int)n, w);
		w += n;
		w += strspn(w, ", ");
	}
	return a.data;
}

static void
judge_ciphers(struct cfg_report *r, const char *service, const char *setting,
    const struct place *pl, const char *list, int port25, const char *excl,
    const char *excl_value)
{
	struct cipher_classes cc;

	cipher_classify(list, &cc);
	if (!cc.valid || cc.n_suites == 0) {
		add_finding(r, CK_CIPHER_NONE, CFG_CRITICAL, service, setting, pl,
		    "OpenSSL %s enables no TLS 1.2 suite for \"%.200s\"",
		    OpenSSL_version(OPENSSL_VERSION_STRING), list);
		return;
	}
	for (enum cfg_check ck = CK_CIPHER_NULL; ck <= CK_CIPHER_SHA1; ck++) {
		unsigned k = ck - CK_CIPHER_NULL;
		enum cfg_severity sev = checks[ck].sev;

		if (!(cc.mask & (1u << k)))
			continue;
		/* Anonymous suites on port 25 are no worse than the
		 * unauthenticated TLS opportunistic SMTP is anyway. */
		if (ck == CK_CIPHER_ANON && port25)
			sev = CFG_INFO;
		add_finding(r, ck, sev, service, setting, pl,
		    "%u of the %u suites OpenSSL %s enables for it, e.g. %s",
		    cc.count[k], cc.n_suites,
		    OpenSSL_version(OPENSSL_VERSION_STRING), cc.examples[k]);
		free(r->f[r->n_f - 1].advice);
		r->f[r->n_f - 1].advice = cipher_advice(k, excl, excl_value, pl,
		    list);
	}
}

/* Files read with OpenSSL. */

/* A readable regular file: 0, else -1 with errno. */
static int
file_readable(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	if (access(path, R_OK) == -1)
		return -1;
	return 0;
}

static BIO *
open_pem(const char *path, const char **why)
{
	struct stat st;
	BIO *b;

	if (file_readable(path) == -1) {
		*why = strerror(errno);
		return NULL;
	}
	if (stat(path, &st) == 0 && st.st_size > 1024 * 1024) {
		*why = "larger than 1 MiB";
		return NULL;
	}
	if ((b = BIO_new_file(path, "r")) == NULL)
		*why = "cannot open";
	return b;
}

static void
judge_dh(struct cfg_report *r, const char *service, const char *setting,
    const struct place *pl, const char *path, enum cfg_check unreadable,
    enum cfg_check small)
{
	const char *why = NULL;
	EVP_PKEY *pk = NULL;
	BIO *b;
	int bits;

	if ((b = open_pem(path, &why)) != NULL) {
		pk = PEM_read_bio_Parameters(b, NULL);
		BIO_free(b);
		if (pk == NULL)
			why = "no PEM DH parameters in it";
	}
	ERR_clear_error();
	if (pk == NULL) {
		add_finding(r, unreadable, checks[unreadable].sev, service,
		    setting, pl, "%s: %s", path, why);
		return;
	}
	bits = EVP_PKEY_get_bits(pk);
	if (bits < 2048)
		add_finding(r, small, checks[small].sev, service, setting, pl,
		    "%s: %d-bit DH parameters", path, bits);
	EVP_PKEY_free(pk);
}

static void
add_cert_expiry(struct cfg_report *r, const char *file, double not_after)
{
	for (size_t i = 0; i < r->n_certs; i++)
		if (strcmp(r->certs[i].file, file) == 0)
			return;
	r->certs = xreallocarray(r->certs, r->n_certs + 1, sizeof(*r->certs));
	r->certs[r->n_certs].file = xstrdup(file);
	r->certs[r->n_certs].not_after = not_after;
	r->n_certs++;
}

static double
asn1_time_epoch(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (double)timegm(&tm);
}

/* Judges a certificate and its key, once per file (self-signed once per
 * service); fp gets its SHA-256 fingerprint ("" if unreadable). */
static void
judge_cert(struct cfg_report *r, const char *service, int port25,
    const char *cert_setting, const struct place *cpl, const char *cert_file,
    const char *key_setting, const struct place *kpl, const char *key_file,
    char fp[65])
{
	X509 *chain[CERT_CHAIN_MAX];
	unsigned n = 0, mdlen;
	unsigned char md[EVP_MAX_MD_SIZE];
	const char *why = NULL;
	EVP_PKEY *key = NULL, *pub;
	int seen = 0;
	BIO *b;

	fp[0] = '\0';
	for (size_t i = 0; i < r->n_f; i++)
		if (r->f[i].check >= CK_CERT_UNREADABLE &&
		    r->f[i].check != CK_CERT_SELF_SIGNED && r->f[i].detail &&
		    strncmp(r->f[i].detail, cert_file, strlen(cert_file)) == 0)
			seen = 1;
	for (size_t i = 0; i < r->n_certs; i++)
		if (strcmp(r->certs[i].file, cert_file) == 0)
			seen = 1;
	if ((b = open_pem(cert_file, &why)) != NULL) {
		X509 *x;

		while (n < CERT_CHAIN_MAX &&
		    (x = PEM_read_bio_X509(b, NULL, pem_no_passphrase, NULL)) != NULL)
			chain[n++] = x;
		BIO_free(b);
		ERR_clear_error();
		if (n == 0)
			why = "no PEM certificate in it";
	}
	if (n == 0) {
		if (!seen)
			add_finding(r, CK_CERT_UNREADABLE, CFG_CRITICAL, service,
			    cert_setting, cpl, "%s: %s", cert_file, why);
		return;
	}
	if (X509_digest(chain[0], EVP_sha256(), md, &mdlen) == 1)
		for (unsigned i = 0; i < mdlen && i < 32; i++)
			snprintf(fp + 2 * i, 3, "%02x", md[i]);
	if (!seen) {
		double na = asn1_time_epoch(X509_get0_notAfter(chain[0]));
		double now = wall_time();
		int bits;

		add_cert_expiry(r, cert_file, na);
		if (na < now)
			add_finding(r, CK_CERT_EXPIRED, CFG_CRITICAL, service,
			    cert_setting, cpl, "%s: expired %.0f days ago",
			    cert_file, (now - na) / 86400);
		else if (na - now < EXPIRING_S)
			add_finding(r, CK_CERT_EXPIRING, CFG_WARNING, service,
			    cert_setting, cpl, "%s: expires in %.1f days",
			    cert_file, (na - now) / 86400);
		pub = X509_get0_pubkey(chain[0]);
		bits = pub ? EVP_PKEY_get_bits(pub) : 0;
		if (pub && ((EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC &&
		    bits < 256) || ((EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA ||
		    EVP_PKEY_get_base_id(pub) == EVP_PKEY_DSA) && bits < 2048)))
			add_finding(r, CK_CERT_KEY_SMALL, CFG_WARNING, service,
			    cert_setting, cpl, "%s: %d-bit %s key", cert_file,
			    bits, OBJ_nid2sn(EVP_PKEY_get_base_id(pub)));
		for (unsigned i = 0; i + 1 < n; i++)
			if (X509_check_issued(chain[i + 1], chain[i]) !=
			    X509_V_OK) {
				add_finding(r, CK_CERT_CHAIN_ORDER, CFG_WARNING,
				    service, cert_setting, cpl, "%s: certificate "
				    "%u is not issued by certificate %u after it",
				    cert_file, i + 1, i + 2);
				break;
			}
		/* The key: a separate file or in the same one. */
		why = NULL;
		if ((b = open_pem(key_file, &why)) != NULL) {
			key = PEM_read_bio_PrivateKey(b, NULL, pem_no_passphrase,
			    NULL);
			BIO_free(b);
			if (key == NULL)
				why = "no PEM private key in it (or one with a "
				    "passphrase)";
		}
		ERR_clear_error();
		if (key == NULL)
			add_finding(r, CK_CERT_KEY_UNREADABLE, CFG_CRITICAL,
			    service, key_setting, kpl, "%s: %s", key_file, why);
		else if (X509_check_private_key(chain[0], key) != 1)
			add_finding(r, CK_CERT_KEY_MISMATCH, CFG_CRITICAL,
			    service, key_setting, kpl, "%s does not match "
			    "the certificate in %s", key_file, cert_file);
		EVP_PKEY_free(key);
		ERR_clear_error();
	}
	if (n == 1 && X509_check_issued(chain[0], chain[0]) == X509_V_OK)
		add_finding(r, CK_CERT_SELF_SIGNED, port25 ? CFG_INFO :
		    CFG_WARNING, service, cert_setting, cpl,
		    "%s is self-signed (%s)", cert_file, port25 ?
		    "port 25: senders rarely verify" :
		    "clients that log in cannot verify it");
	for (unsigned i = 0; i < n; i++)
		X509_free(chain[i]);
}

/* TLS versions. */

static int
tlsv_parse(const char *s, size_t n, enum cfg_tlsv *v)
{
	for (unsigned i = 0; i < CFG_TLSV__COUNT; i++)
		if (strlen(tlsv_names[i]) == n &&
		    strncasecmp(tlsv_names[i], s, n) == 0) {
			*v = (enum cfg_tlsv)i;
			return 0;
		}
	return -1;
}

#define ALL_VERSIONS ((1u << CFG_TLSV__COUNT) - 1)

/* A Postfix protocol list: "!SSLv2, !SSLv3", "TLSv1.2 TLSv1.3",
 * ">=TLSv1.2", "<=TLSv1.2".  Names listed without '!' are the only ones;
 * -1 on a word that is none of these. */
static int
pf_protocols(const char *s, unsigned *mask, int *explicit_list)
{
	unsigned inc = 0, exc = 0, lo = 0, hi = CFG_TLSV__COUNT - 1;
	const char *p = s;

	*explicit_list = 0;
	while (*p) {
		size_t n;
		enum cfg_tlsv v;
		int op = 0;

		p += strspn(p, " \t,:");
		n = strcspn(p, " \t,:");
		if (n == 0)
			break;
		if (*p == '!')
			op = '!';
		else if (n > 2 && (p[0] == '>' || p[0] == '<') && p[1] == '=')
			op = p[0];
		if (tlsv_parse(p + (op == '!' ? 1 : op ? 2 : 0),
		    n - (op == '!' ? 1 : op ? 2 : 0), &v) == -1)
			return -1;
		if (op == '!')
			exc |= 1u << v;
		else if (op == '>')
			lo = v;
		else if (op == '<')
			hi = v;
		else
			inc |= 1u << v;
		p += n;
	}
	*mask = inc ? inc : ALL_VERSIONS;
	*explicit_list = inc != 0;
	*mask &= ~exc;
	for (unsigned v = 0; v < CFG_TLSV__COUNT; v++)
		if (v < lo || v > hi)
			*mask &= ~(1u << v);
	/* Postfix never enables SSLv2 (and OpenSSL 3 has neither). */
	*mask &= ~(1u << CFG_SSLV2);
	return 0;
}

static void
names_of(unsigned mask, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (unsigned v = 0; v < CFG_TLSV__COUNT; v++)
		if (mask & (1u << v))
			o += (size_t)snprintf(out + o, o < size ? size - o : 0,
			    "%s%s", o ? ", " : "", tlsv_names[v]);
	if (o == 0)
		snprintf(out, size, "none");
}

static void
judge_versions(struct cfg_report *r, const char *service, const char *setting,
    const struct place *pl, unsigned mask, int explicit_list,
    enum cfg_check ck_ssl, enum cfg_check ck_legacy, enum cfg_check ck_no13,
    enum cfg_check ck_none)
{
	char names[96];

	names_of(mask, names, sizeof(names));
	if (mask == 0 && ck_none != CK__COUNT) {
		add_finding(r, ck_none, CFG_CRITICAL, service, setting, pl,
		    "allows no protocol");
		return;
	}
	if (mask & ((1u << CFG_SSLV2) | (1u << CFG_SSLV3)))
		add_finding(r, ck_ssl, CFG_CRITICAL, service, setting, pl,
		    "allows %s", names);
	if (mask & ((1u << CFG_TLSV1) | (1u << CFG_TLSV1_1)))
		add_finding(r, ck_legacy, CFG_WARNING, service, setting, pl,
		    "allows %s", names);
	if (ck_no13 != CK__COUNT && explicit_list &&
	    !(mask & (1u << CFG_TLSV1_3)))
		add_finding(r, ck_no13, CFG_WARNING, service, setting, pl,
		    "the explicit list allows %s: TLSv1.3 is left out", names);
}

/* Postfix. */

struct pf_ctx {
	const struct pf_conf *c;
	struct cfg_report *r;
	struct buf v;
};

/* The value of name for svc into px->v (empty on an expansion error,
 * which becomes a finding); pl filled. */
static const char *
pfv(struct pf_ctx *px, const struct pf_service *svc, const char *svcname,
    const char *name, struct place *pl)
{
	struct pf_where w;

	memset(pl, 0, sizeof(*pl));
	if (pf_value(px->c, svc, name, &px->v, &w) == -1) {
		struct place epl = { w.file, w.line, NULL, svcname,
		    w.is_override };

		add_finding(px->r, CK_PF_EXPANSION, CFG_CRITICAL, svcname
		    ? svcname : "all", name, &epl, "%s", px->v.data);
		buf_reset(&px->v);
		buf_reserve(&px->v, 1);
		px->v.data[0] = '\0';
	}
	pl->file = w.file;
	pl->line = w.line;
	pl->service = svcname;
	pl->is_override = w.is_override;
	return px->v.data;
}

static char *
pfv_dup(struct pf_ctx *px, const struct pf_service *svc, const char *svcname,
    const char *name, struct place *pl)
{
	return xstrdup(pfv(px, svc, svcname, name, pl));
}

/* "may", "encrypt", ... from the level and the older yes/no switches. */
static char *
pf_level(struct pf_ctx *px, const struct pf_service *svc, const char *svcname,
    const char *prefix, struct place *pl)
{
	char name[64];
	struct place p2;
	char *level;

	snprintf(name, sizeof(name), "%s_tls_security_level", prefix);
	level = pfv_dup(px, svc, svcname, name, pl);
	if (*level)
		return level;
	free(level);
	snprintf(name, sizeof(name), "%s_enforce_tls", prefix);
	if (pf_bool(pfv(px, svc, svcname, name, &p2)) == 1)
		return xstrdup("encrypt");
	snprintf(name, sizeof(name), "%s_use_tls", prefix);
	if (pf_bool(pfv(px, svc, svcname, name, &p2)) == 1)
		return xstrdup("may");
	return xstrdup("none");
}

/* The cipher string Postfix builds: the grade's list, then each
 * exclusion as ":!X". */
static void
pf_cipher_string(struct pf_ctx *px, const struct pf_service *svc,
    const char *svcname, const char *prefix, int mandatory, struct buf *out,
    char *setting, size_t setting_len, struct place *pl)
{
	char name[64], *grade;
	struct place gpl, epl;

	snprintf(setting, setting_len, "%s_tls_%sciphers", prefix,
	    mandatory ? "mandatory_" : "");
	grade = pfv_dup(px, svc, svcname, setting, &gpl);
	*pl = gpl;
	snprintf(name, sizeof(name), "tls_%s_cipherlist", grade);
	buf_reset(out);
	buf_puts(out, pfv(px, svc, svcname, name, &epl));
	free(grade);
	for (int m = 0; m <= mandatory; m++) {
		char *ex, *p, *w;

		snprintf(name, sizeof(name), "%s_tls_%sexclude_ciphers",
		    prefix, m ? "mandatory_" : "");
		ex = pfv_dup(px, svc, svcname, name, &epl);
		for (p = ex; (w = strsep(&p, " \t,:")) != NULL;)
			if (*w)
				buf_printf(out, ":!%s", w);
		free(ex);
	}
}

/* The cipher list of the server (prefix "smtpd") or the client ("smtp")
 * side, as Postfix builds it, judged against the exclusion setting the
 * advice names; setting and pl say where the grade is set. */
static void
pf_judge_ciphers(struct pf_ctx *px, const struct pf_service *svc,
    const char *svcname, const char *prefix, int mandatory, int port25,
    char *setting, size_t setting_len, struct place *pl)
{
	struct buf ciphers;
	struct place xpl;
	char excl[64], *xv;

	buf_init(&ciphers);
	pf_cipher_string(px, svc, svcname, prefix, mandatory, &ciphers,
	    setting, setting_len, pl);
	snprintf(excl, sizeof(excl), "%s_tls_%sexclude_ciphers", prefix,
	    mandatory ? "mandatory_" : "");
	xv = pfv_dup(px, svc, svcname, excl, &xpl);
	judge_ciphers(px->r, svcname, setting, &xpl, ciphers.data, port25,
	    excl, xv);
	free(xv);
	buf_free(&ciphers);
}

static int
port_of_service(const char *name, uint16_t *port, char *addr, size_t alen)
{
	const char *colon = strrchr(name, ':');
	const char *pn = colon ? colon + 1 : name;
	uint64_t v;
	const char *err;

	addr[0] = '\0';
	if (colon && (size_t)(colon - name) < alen) {
		memcpy(addr, name, (size_t)(colon - name));
		addr[colon - name] = '\0';
		if (addr[0] == '[') {
			memmove(addr, addr + 1, strlen(addr));
			if (*addr && addr[strlen(addr) - 1] == ']')
				addr[strlen(addr) - 1] = '\0';
		}
	}
	if (strcmp(pn, "smtp") == 0)
		*port = 25;
	else if (strcmp(pn, "submission") == 0)
		*port = 587;
	else if (strcmp(pn, "smtps") == 0 || strcmp(pn, "submissions") == 0)
		*port = 465;
	else if (parse_uint(pn, 1, 65535, &v, &err) == 0)
		*port = (uint16_t)v;
	else
		return -1;
	return 0;
}

static struct cfg_view *
add_view(struct cfg_report *r, const char *service, const char *addr,
    uint16_t port, const char *protocol)
{
	struct cfg_view *v;

	r->views = xreallocarray(r->views, r->n_views + 1, sizeof(*r->views));
	v = &r->views[r->n_views++];
	memset(v, 0, sizeof(*v));
	v->service = xstrdup(service);
	v->address = xstrdup(addr ? addr : "");
	v->port = port;
	snprintf(v->protocol, sizeof(v->protocol), "%s", protocol);
	return v;
}

static void
judge_pf_inbound(struct pf_ctx *px, const struct pf_service *svc)
{
	struct cfg_report *r = px->r;
	char svcname[160], addr[64], setting[64], *level, *cert, *key;
	struct place lpl, pl, cpl, kpl;
	unsigned mask;
	int wrapper, mandatory, expl, sasl, auth_only, port25;
	uint16_t port = 0;
	struct cfg_view *view;

	snprintf(svcname, sizeof(svcname), "%s/%s", svc->name, svc->type);
	if (port_of_service(svc->name, &port, addr, sizeof(addr)) == -1)
		return;		/* a service name we cannot place */
	port25 = port == 25;
	level = pf_level(px, svc, svcname, "smtpd", &lpl);
	wrapper = pf_bool(pfv(px, svc, svcname, "smtpd_tls_wrappermode",
	    &pl)) == 1;
	if (port == 465 && !wrapper)
		add_finding(r, CK_PF_SMTPS_NO_WRAPPER, CFG_CRITICAL, svcname,
		    "smtpd_tls_wrappermode", &(struct place){ pl.file, pl.line,
		    NULL, svcname, pl.is_override }, "port 465 speaks plain "
		    "SMTP (smtpd_tls_wrappermode = no)");
	if (port == 587 && strcmp(level, "encrypt") != 0 && !wrapper)
		add_finding(r, CK_PF_SUBMISSION_NO_ENCRYPT, CFG_CRITICAL, svcname,
		    "smtpd_tls_security_level", &lpl, "smtpd_tls_security_level "
		    "is \"%s\" on the submission port", level);
	else if (strcmp(level, "none") == 0 && !wrapper)
		add_finding(r, CK_PF_NO_STARTTLS, CFG_CRITICAL, svcname,
		    "smtpd_tls_security_level", &lpl, "no STARTTLS: "
		    "smtpd_tls_security_level is none");
	sasl = pf_bool(pfv(px, svc, svcname, "smtpd_sasl_auth_enable",
	    &pl)) == 1;
	auth_only = pf_bool(pfv(px, svc, svcname, "smtpd_tls_auth_only",
	    &pl)) == 1;
	if (sasl && !auth_only && strcmp(level, "encrypt") != 0 && !wrapper)
		add_finding(r, CK_PF_AUTH_WITHOUT_TLS, CFG_CRITICAL, svcname,
		    "smtpd_tls_auth_only", &pl, "SASL is on and "
		    "smtpd_tls_auth_only is not yes");
	view = add_view(r, svcname, addr, port, "smtp");
	view->implicit = wrapper;
	view->tls = wrapper || strcmp(level, "none") != 0;
	if (!view->tls) {
		free(level);
		return;
	}
	mandatory = strcmp(level, "encrypt") == 0;
	snprintf(setting, sizeof(setting), "smtpd_tls_%sprotocols",
	    mandatory ? "mandatory_" : "");
	if (pf_protocols(pfv(px, svc, svcname, setting, &pl), &mask,
	    &expl) == -1) {
		add_finding(r, CK_READ_ERROR, CFG_WARNING, svcname, setting, &pl,
		    "cannot read the protocol list \"%.100s\"", px->v.data);
		mask = ALL_VERSIONS & ~(1u << CFG_SSLV2);
		expl = 0;
	} else
		judge_versions(r, svcname, setting, &pl, mask, expl,
		    CK_PF_PROTO_SSL, CK_PF_PROTO_LEGACY_TLS, CK_PF_PROTO_NO_TLS13,
		    CK_PF_PROTO_NONE);
	view->versions = mask;
	pf_judge_ciphers(px, svc, svcname, "smtpd", mandatory, port25, setting,
	    sizeof(setting), &pl);
	cert = pfv_dup(px, svc, svcname, "smtpd_tls_cert_file", &cpl);
	key = pfv_dup(px, svc, svcname, "smtpd_tls_key_file", &kpl);
	if (*key == '\0') {
		free(key);
		key = xstrdup(cert);
	}
	if (*cert) {
		judge_cert(r, svcname, port25, "smtpd_tls_cert_file", &cpl, cert,
		    "smtpd_tls_key_file", &kpl, key, view->cert_fp);
		view->cert_file = xstrdup(cert);
	} else {
		char *chain = pfv_dup(px, svc, svcname, "smtpd_tls_chain_files",
		    &cpl);
		char *first = strtok(chain, " \t,");

		if (first != NULL) {
			judge_cert(r, svcname, port25, "smtpd_tls_chain_files",
			    &cpl, first, "smtpd_tls_chain_files", &cpl, first,
			    view->cert_fp);
			view->cert_file = xstrdup(first);
		} else
			add_finding(r, CK_CERT_UNREADABLE, CFG_CRITICAL, svcname,
			    "smtpd_tls_cert_file", &cpl, "TLS is on but no "
			    "certificate is set (smtpd_tls_cert_file, "
			    "smtpd_tls_chain_files)");
		free(chain);
	}
	free(cert);
	free(key);
	/* A second (ECDSA) certificate, when set. */
	cert = pfv_dup(px, svc, svcname, "smtpd_tls_eccert_file", &cpl);
	key = pfv_dup(px, svc, svcname, "smtpd_tls_eckey_file", &kpl);
	if (*cert) {
		char fp[65];

		judge_cert(r, svcname, port25, "smtpd_tls_eccert_file", &cpl,
		    cert, "smtpd_tls_eckey_file", &kpl, *key ? key : cert, fp);
	}
	free(cert);
	free(key);
	free(level);
}

static void
judge_pf_outbound(struct pf_ctx *px, const struct pf_service *svc)
{
	struct cfg_report *r = px->r;
	char svcname[160], setting[64], *level;
	struct place lpl, pl;
	unsigned mask;
	int expl, mandatory;
	static const char *const ca[] = { "smtp_tls_CApath", "smtp_tls_CAfile" };

	if (svc)
		snprintf(svcname, sizeof(svcname), "%s/%s", svc->name,
		    svc->type);
	else
		snprintf(svcname, sizeof(svcname), "smtp/unix");
	level = pf_level(px, svc, svcname, "smtp", &lpl);
	if (strcmp(level, "none") == 0) {
		add_finding(r, CK_PF_OUT_TLS_NONE, CFG_CRITICAL, svcname,
		    "smtp_tls_security_level", &lpl, "the SMTP client never "
		    "uses TLS");
		free(level);
		return;
	}
	if (strcmp(level, "may") == 0)
		add_finding(r, CK_PF_OUT_TLS_MAY, CFG_WARNING, svcname,
		    "smtp_tls_security_level", &lpl, "smtp_tls_security_level "
		    "= may: TLS when offered, unauthenticated");
	mandatory = strcmp(level, "may") != 0;
	snprintf(setting, sizeof(setting), "smtp_tls_%sprotocols",
	    mandatory ? "mandatory_" : "");
	if (pf_protocols(pfv(px, svc, svcname, setting, &pl), &mask,
	    &expl) == -1)
		add_finding(r, CK_READ_ERROR, CFG_WARNING, svcname, setting, &pl,
		    "cannot read the protocol list \"%.100s\"", px->v.data);
	else
		judge_versions(r, svcname, setting, &pl, mask, expl,
		    CK_PF_PROTO_SSL, CK_PF_PROTO_LEGACY_TLS, CK_PF_PROTO_NO_TLS13,
		    CK_PF_PROTO_NONE);
	pf_judge_ciphers(px, svc, svcname, "smtp", mandatory, 1, setting,
	    sizeof(setting), &pl);
	for (size_t i = 0; i < ARRAY_LEN(ca); i++) {
		const char *v = pfv(px, svc, svcname, ca[i], &pl);
		struct stat st;

		if (*v && stat(v, &st) == -1)
			add_finding(r, CK_PF_CA_MISSING, CFG_WARNING, svcname,
			    ca[i], &pl, "%s: %s", v, strerror(errno));
	}
	free(level);
}

void
cfgaudit_judge_postfix(const struct pf_conf *c, struct cfg_report *r)
{
	struct pf_ctx px = { c, r, { NULL, 0, 0 } };
	const struct pf_service *client = NULL;
	struct place pl;
	const char *v;

	buf_init(&px.v);
	if (!r->version[0] && c->version[0])
		snprintf(r->version, sizeof(r->version), "%s", c->version);
	v = pfv(&px, NULL, "all", "tls_preempt_cipherlist", &pl);
	if (pf_bool(v) != 1)
		add_finding(r, CK_PF_SERVER_ORDER, CFG_INFO, "all",
		    "tls_preempt_cipherlist", &pl, "tls_preempt_cipherlist = %s",
		    *v ? v : "no");
	v = pfv(&px, NULL, "all", "smtpd_tls_dh1024_param_file", &pl);
	if (*v) {
		char *path = xstrdup(v);

		judge_dh(r, "all", "smtpd_tls_dh1024_param_file", &pl, path,
		    CK_PF_DH_UNREADABLE, CK_PF_DH_SMALL);
		free(path);
	}
	for (size_t i = 0; i < c->n_s; i++) {
		const struct pf_service *s = &c->s[i];

		if (strcmp(s->type, "inet") == 0 &&
		    strcmp(s->command, "smtpd") == 0)
			judge_pf_inbound(&px, s);
		else if (client == NULL && strcmp(s->type, "unix") == 0 &&
		    strcmp(s->command, "smtp") == 0 &&
		    strcmp(s->name, "smtp") == 0)
			client = s;
	}
	judge_pf_outbound(&px, client);
	buf_free(&px.v);
}

/* Dovecot. */

/* The setting a finding points at: the file's line where doveconf's
 * value came from (same key and block), else the value's own. */
static void
dc_place(const struct dc_conf *files, const struct dc_setting *s,
    struct place *pl)
{
	const struct dc_setting *f = s ? dc_get(files, s->key, s->block) : NULL;

	memset(pl, 0, sizeof(*pl));
	if (f == NULL)
		f = s;
	if (f && files && f->file && f->line) {
		pl->file = f->file;
		pl->line = f->line;
	}
	pl->block = s ? s->block : "";
}

static const char *
dc_service(const char *block)
{
	return *block ? block : "all";
}

/* A "<file" value's path, blanks around it dropped; the setting itself
 * stays as it is (it is the parser's, and const here). */
static void
dc_filepath(const char *v, char *out, size_t size)
{
	size_t len;

	if (v[0] != '<') {
		snprintf(out, size, "%s", v);
		return;
	}
	v += 1 + strspn(v + 1, " \t");
	len = strlen(v);
	while (len > 0 && strchr(" \t\r\n", v[len - 1]) != NULL)
		len--;
	snprintf(out, size, "%.*s", (int)len, v);
}

static int
dc_min_version(const char *v, unsigned *mask)
{
	static const struct { const char *name; enum cfg_tlsv v; } mins[] = {
		{ "ANY", CFG_SSLV3 }, { "SSLv3", CFG_SSLV3 },
		{ "TLSv1", CFG_TLSV1 }, { "TLSv1.1", CFG_TLSV1_1 },
		{ "TLSv1.2", CFG_TLSV1_2 }, { "TLSv1.3", CFG_TLSV1_3 },
		{ "LATEST", CFG_TLSV1_3 },
	};

	for (size_t i = 0; i < ARRAY_LEN(mins); i++)
		if (strcmp(v, mins[i].name) == 0) {
			*mask = ALL_VERSIONS & ~((1u << mins[i].v) - 1);
			return 0;
		}
	return -1;
}

static int
dc_yes(const char *v)
{
	return pf_bool(v);
}

void
cfgaudit_judge_dovecot(const struct dc_conf *files, const struct dc_conf *eff,
    struct cfg_report *r)
{
	static const char *const obsolete[] = { "ssl_protocols",
	    "ssl_dh_parameters_length", "ssl_parameters_regenerate" };
	static const char *const protos[] = { "imap", "pop3" };
	const struct dc_conf *c = eff ? eff : files;
	struct place pl;
	char path[1024];

	if (!r->version[0] && eff && eff->version[0])
		snprintf(r->version, sizeof(r->version), "%s", eff->version);
	/* Obsolete settings: only the files have them (doveconf drops
	 * them). */
	for (size_t i = 0; i < files->n_s; i++) {
		const struct dc_setting *s = &files->s[i];

		for (size_t k = 0; k < ARRAY_LEN(obsolete); k++)
			if (strcmp(s->key, obsolete[k]) == 0) {
				struct place opl = { s->file, s->line, s->block,
				    NULL, 0 };

				add_finding(r, CK_DC_OBSOLETE, CFG_WARNING,
				    dc_service(s->block), s->key, &opl,
				    "%s = %.100s is ignored by Dovecot %s", s->key,
				    s->value, r->version[0] ? r->version : "2.3");
			}
	}
	/* Every place a judged setting is set, and the top-level default
	 * where it is not. */
	for (size_t i = 0; i <= c->n_s; i++) {
		const struct dc_setting *s = i < c->n_s ? &c->s[i] : NULL;
		struct dc_setting def = { NULL, NULL, (char *)"", NULL, 0 };
		unsigned mask;

		if (s && !dc_is_filter_block(s->block))
			continue;
		if (s && dc_get(c, s->key, s->block) != s)
			continue;	/* a later one wins */
		if (s == NULL) {
			/* Defaults of Dovecot 2.3 for what is unset. */
			static const char *const d[][2] = {
				{ "ssl", "yes" },
				{ "ssl_min_protocol", "TLSv1.2" },
				{ "ssl_prefer_server_ciphers", "no" },
				{ "disable_plaintext_auth", "yes" },
				{ "ssl_cipher_list", "ALL:!kRSA:!SRP:!kDHd:!DSS:"
				    "!aNULL:!eNULL:!EXPORT:!DES:!3DES:!MD5:!PSK:"
				    "!RC4:!ADH:!LOW@STRENGTH" },
			};

			for (size_t k = 0; k < ARRAY_LEN(d); k++) {
				if (dc_get(c, d[k][0], "") != NULL)
					continue;
				def.key = (char *)d[k][0];
				def.value = (char *)d[k][1];
				memset(&pl, 0, sizeof(pl));
				pl.block = "";
				if (strcmp(d[k][0], "ssl_prefer_server_ciphers")
				    == 0)
					add_finding(r, CK_DC_SERVER_ORDER,
					    CFG_INFO, "all", def.key, &pl,
					    "ssl_prefer_server_ciphers = no "
					    "(the default)");
				else if (strcmp(d[k][0], "ssl_cipher_list") == 0)
					judge_ciphers(r, "all", def.key, &pl,
					    def.value, 0, NULL, NULL);
			}
			break;
		}
		dc_place(files, s, &pl);
		if (strcmp(s->key, "ssl") == 0 && strcmp(s->value, "no") == 0)
			add_finding(r, CK_DC_SSL_OFF, CFG_CRITICAL,
			    dc_service(s->block), s->key, &pl, "ssl = no");
		else if ((strcmp(s->key, "disable_plaintext_auth") == 0 &&
		    dc_yes(s->value) == 0) ||
		    (strcmp(s->key, "auth_allow_cleartext") == 0 &&
		    dc_yes(s->value) == 1)) {
			const struct dc_setting *ssl = dc_effective(c, "ssl",
			    NULL, NULL);

			if (ssl == NULL || strcmp(ssl->value, "required") != 0)
				add_finding(r, CK_DC_CLEARTEXT_AUTH,
				    CFG_CRITICAL, dc_service(s->block), s->key,
				    &pl, "%s = %s", s->key, s->value);
		} else if (strcmp(s->key, "ssl_min_protocol") == 0) {
			if (dc_min_version(s->value, &mask) == -1)
				add_finding(r, CK_READ_ERROR, CFG_WARNING,
				    dc_service(s->block), s->key, &pl,
				    "unknown protocol \"%.40s\"", s->value);
			else
				judge_versions(r, dc_service(s->block), s->key,
				    &pl, mask, 0, CK_DC_PROTO_SSL,
				    CK_DC_PROTO_LEGACY_TLS, CK__COUNT,
				    CK__COUNT);
		} else if (strcmp(s->key, "ssl_cipher_list") == 0) {
			struct cipher_classes cc;
			const char *p = s->value;
			int asks = 0;

			/* Does the text name 3DES suites (not as "!..."/"-...")? */
			while (*p) {
				size_t n = strcspn(p, ":, ");

				if (n && p[0] != '!' && p[0] != '-' &&
				    (memmem(p, n, "DES-CBC3", 8) ||
				    memmem(p, n, "3DES", 4)))
					asks = 1;
				p += n;
				p += strspn(p, ":, ");
			}
			cipher_classify(s->value, &cc);
			if (asks && !(cc.mask & (1u << (CK_CIPHER_3DES -
			    CK_CIPHER_NULL))))
				add_finding(r, CK_DC_CIPHERS_NAME_3DES,
				    CFG_WARNING, dc_service(s->block), s->key,
				    &pl, "the list names 3DES suites; OpenSSL %s "
				    "here has none, a server built with another "
				    "OpenSSL enables them",
				    OpenSSL_version(OPENSSL_VERSION_STRING));
			judge_ciphers(r, dc_service(s->block), s->key, &pl,
			    s->value, 0, NULL, NULL);
		} else if (strcmp(s->key, "ssl_prefer_server_ciphers") == 0 &&
		    dc_yes(s->value) != 1)
			add_finding(r, CK_DC_SERVER_ORDER, CFG_INFO,
			    dc_service(s->block), s->key, &pl, "%s = %s",
			    s->key, s->value);
		else if (strcmp(s->key, "ssl_dh") == 0 && *s->value) {
			dc_filepath(s->value, path, sizeof(path));
			judge_dh(r, dc_service(s->block), s->key, &pl, path,
			    CK_DC_DH_UNREADABLE, CK_DC_DH_SMALL);
		}
	}
	/* Certificates, and the views for the cross-check: each protocol,
	 * at the top level and in each local block. */
	for (size_t pi = 0; pi < ARRAY_LEN(protos); pi++) {
		const char *locals[32];
		size_t nl = 0;

		locals[nl++] = NULL;
		for (size_t i = 0; i < c->n_s && nl < ARRAY_LEN(locals); i++)
			if (strncmp(c->s[i].block, "local ", 6) == 0) {
				int dup = 0;

				for (size_t k = 1; k < nl; k++)
					if (strncmp(locals[k], c->s[i].block + 6,
					    strcspn(c->s[i].block + 6, "/")) == 0)
						dup = 1;
				if (!dup)
					locals[nl++] = c->s[i].block + 6;
			}
		for (size_t li = 0; li < nl; li++) {
			char addr[64] = "", svc[96], key_path[1024];
			const struct dc_setting *ssl, *cert, *key, *minp;
			struct place kpl;
			struct cfg_view *view;
			unsigned mask = ALL_VERSIONS & ~((1u << CFG_TLSV1_2) - 1);

			if (locals[li]) {
				size_t al = strcspn(locals[li], "/ ");

				snprintf(addr, sizeof(addr), "%.*s", (int)al,
				    locals[li]);
			}
			snprintf(svc, sizeof(svc), "%s%s%s", protos[pi],
			    *addr ? " local " : "", addr);
			ssl = dc_effective(c, "ssl", protos[pi], *addr ? addr :
			    NULL);
			minp = dc_effective(c, "ssl_min_protocol", protos[pi],
			    *addr ? addr : NULL);
			if (minp)
				dc_min_version(minp->value, &mask);
			view = add_view(r, svc, addr, 0, protos[pi]);
			view->versions = mask;
			view->tls = ssl == NULL || strcmp(ssl->value, "no") != 0;
			if (!view->tls)
				continue;
			cert = dc_effective(c, "ssl_cert", protos[pi],
			    *addr ? addr : NULL);
			key = dc_effective(files, "ssl_key", protos[pi],
			    *addr ? addr : NULL);
			if (cert == NULL || *cert->value == '\0') {
				if (li == 0 && pi == 0) {
					memset(&pl, 0, sizeof(pl));
					add_finding(r, CK_CERT_UNREADABLE,
					    CFG_CRITICAL, "all", "ssl_cert", &pl,
					    "ssl is on but ssl_cert is not set");
				}
				continue;
			}
			dc_place(files, cert, &pl);
			dc_place(files, key, &kpl);
			dc_filepath(cert->value, path, sizeof(path));
			dc_filepath(key ? key->value : "", key_path,
			    sizeof(key_path));
			judge_cert(r, dc_service(cert->block), 0, "ssl_cert",
			    &pl, path, "ssl_key", &kpl, key_path, view->cert_fp);
			view->cert_file = xstrdup(path);
		}
	}
	/* A self-signed finding per block is enough: drop repeats. */
	for (size_t i = 0; i < r->n_f; i++)
		for (size_t k = i + 1; k < r->n_f; k++)
			if (r->f[k].check == r->f[i].check &&
			    strcmp(r->f[k].service, r->f[i].service) == 0 &&
			    strcmp(r->f[k].setting, r->f[i].setting) == 0 &&
			    r->f[k].line == r->f[i].line) {
				free(r->f[k].service);
				free(r->f[k].setting);
				free(r->f[k].file);
				free(r->f[k].detail);
				free(r->f[k].advice);
				memmove(&r->f[k], &r->f[k + 1],
				    (r->n_f - k - 1) * sizeof(r->f[0]));
				r->n_f--;
				k--;
			}
}

/* The run: a state machine.  Each step's entry action starts its work;
 * a tool's completion (which may come inside subproc_start) only records
 * the outcome and activates ev_step, so steps never nest. */

enum job_state {
	JOB_READ_FILES,		/* main.cf + master.cf, or dovecot.conf */
	JOB_TOOL_MAIN,		/* postconf -x, or doveconf -n */
	JOB_TOOL_SERVICES,	/* postconf -P -x */
	JOB_JUDGE,
	JOB_DONE,
	JOB__COUNT
};

static const char *const job_state_names[JOB__COUNT] = {
	[JOB_READ_FILES] = "read_files",
	[JOB_TOOL_MAIN] = "tool_main",
	[JOB_TOOL_SERVICES] = "tool_services",
	[JOB_JUDGE] = "judge",
	[JOB_DONE] = "done",
};

#define TOOL_OUTPUT_MAX	(2u * 1024 * 1024)
#define TOOL_TIMEOUT_MS	10000

struct cfgaudit_job {
	struct event_base *base;
	enum job_state	 state;
	enum cfg_server	 server;
	char		*path;
	char		*tool;		/* absolute path, or NULL: files only */
	unsigned	 timeout_ms;
	struct cfg_report *r;
	struct pf_conf	 pf;
	struct dc_conf	 dcf, dce;
	int		 have_dce;
	int		 files_ok;
	struct subproc	*sp;
	struct subproc_outcome out;	/* the last tool's, copied */
	int		 out_ready;
	struct event	*ev_step;
	uint64_t	 started_ms;
	cfgaudit_cb	 cb;
	void		*arg;
};

static void job_enter(struct cfgaudit_job *j, enum job_state st);
static void read_postfix_files(struct cfgaudit_job *j);
static void job_free(struct cfgaudit_job *j);

static void
tool_failed(struct cfgaudit_job *j, const char *what)
{
	struct buf b;
	char qi[256], qm[LOG_QUOTE_MAX];

	buf_init(&b);
	buf_printf(&b, "%s: %s; read the files directly", j->tool, what);
	log_warn("config_tool_failed", "server=%s instance=%s msg=%s",
	    cfg_server_name(j->server), log_quote(qi, sizeof(qi),
	    j->r->instance), log_quote(qm, sizeof(qm), b.data));
	free(j->r->tool_error);
	j->r->tool_error = b.data;
	if (j->server == CFG_POSTFIX) {
		/* Values from the files alone: read them again afresh. */
		pf_conf_free(&j->pf);
		read_postfix_files(j);
	} else if (j->have_dce) {
		dc_conf_free(&j->dce);
		j->have_dce = 0;
	}
	free(j->tool);
	j->tool = NULL;
}

static void
tool_done(const struct subproc_outcome *o, void *arg)
{
	struct cfgaudit_job *j = arg;

	j->sp = NULL;
	subproc_outcome_free(&j->out);
	j->out.result = o->result;
	j->out.status = o->status;
	memcpy(j->out.detail, o->detail, sizeof(j->out.detail));
	buf_init(&j->out.out);
	buf_init(&j->out.err);
	buf_append(&j->out.out, o->out.data ? o->out.data : "", o->out.len);
	buf_append(&j->out.err, o->err.data ? o->err.data : "", o->err.len);
	j->out_ready = 1;
	event_active(j->ev_step, EV_TIMEOUT, 0);
}

static void
run_tool(struct cfgaudit_job *j, const char *const *argv)
{
	struct subproc_params sp = {
		.argv = argv,
		.timeout_ms = j->timeout_ms,
		.max_output = TOOL_OUTPUT_MAX,
	};

	j->out_ready = 0;
	j->sp = subproc_start(j->base, &sp, tool_done, j);
}

/* The tool's outcome for the step just ended: 0 if it ran well. */
static int
tool_ok(struct cfgaudit_job *j)
{
	if (j->out.result != SUBPROC_OK) {
		char what[sizeof(j->out.detail) + 2 + 128], err[128];
		const char *e = j->out.err.data ? j->out.err.data : "";
		size_t el = strcspn(e, "\n");

		text_escape(err, sizeof(err), e, el);
		snprintf(what, sizeof(what), "%s%s%s", j->out.detail,
		    el ? ": " : "", err);
		tool_failed(j, what);
		return -1;
	}
	return 0;
}

static void
read_postfix_files(struct cfgaudit_job *j)
{
	struct buf main_path, master_path, data;
	const char *why;

	buf_init(&main_path);
	buf_init(&master_path);
	buf_printf(&main_path, "%s/main.cf", j->path);
	buf_printf(&master_path, "%s/master.cf", j->path);
	pf_conf_init(&j->pf, main_path.data, master_path.data);
	buf_init(&data);
	if (read_file_all(main_path.data, PF_FILE_MAX, &data, &why) == -1) {
		struct buf e;

		buf_init(&e);
		buf_printf(&e, "%s: %s", main_path.data, why);
		report_error(j->r, e.data);
		buf_free(&e);
	} else {
		pf_parse_main(&j->pf, data.data ? data.data : "", data.len);
		j->files_ok = data.len <= PF_FILE_MAX;
	}
	buf_reset(&data);
	if (read_file_all(master_path.data, PF_FILE_MAX, &data, &why) == -1) {
		struct buf e;

		buf_init(&e);
		buf_printf(&e, "%s: %s (the default services are assumed)",
		    master_path.data, why);
		report_error(j->r, e.data);
		buf_free(&e);
		pf_default_services(&j->pf);
	} else
		pf_parse_master(&j->pf, data.data ? data.data : "", data.len);
	buf_free(&data);
	buf_free(&main_path);
	buf_free(&master_path);
}

static const char *
find_tool(enum cfg_server server)
{
	static const char *const pf[] = { "/usr/sbin/postconf",
	    "/usr/local/sbin/postconf", "/usr/bin/postconf" };
	static const char *const dc[] = { "/usr/bin/doveconf",
	    "/usr/local/bin/doveconf", "/usr/sbin/doveconf" };
	const char *const *v = server == CFG_POSTFIX ? pf : dc;

	for (size_t i = 0; i < 3; i++)
		if (access(v[i], X_OK) == 0)
			return v[i];
	return NULL;
}

static void
job_finish(struct cfgaudit_job *j)
{
	struct cfg_report *r = j->r;

	r->finished = wall_time();
	r->duration_s = (double)(now_ms() - j->started_ms) / 1000.0;
	j->r = NULL;
	log_info("config_audit_done", "server=%s instance=%s method=%s "
	    "read_ok=%d findings=%zu errors=%zu", cfg_server_name(r->server),
	    r->instance, r->method, r->read_ok, r->n_f, r->n_errors);
	j->cb(r, j->arg);
}

static void
job_enter(struct cfgaudit_job *j, enum job_state st)
{
	log_debug("config_audit_state", "instance=%s from=%s to=%s",
	    j->r ? j->r->instance : "?", job_state_names[j->state],
	    job_state_names[st]);
	j->state = st;
	switch (st) {
	case JOB_READ_FILES:
		if (j->server == CFG_POSTFIX)
			read_postfix_files(j);
		else {
			dc_conf_init(&j->dcf);
			dc_parse_file(&j->dcf, j->path);
			j->files_ok = j->dcf.n_files > 0;
		}
		job_enter(j, j->tool && j->files_ok ? JOB_TOOL_MAIN : JOB_JUDGE);
		return;
	case JOB_TOOL_MAIN:
		if (j->server == CFG_POSTFIX) {
			const char *argv[] = { j->tool, "-c", j->path, "-x",
			    NULL };

			run_tool(j, argv);
		} else {
			const char *argv[] = { j->tool, "-c", j->path, "-n",
			    NULL };

			run_tool(j, argv);
		}
		return;
	case JOB_TOOL_SERVICES: {
		const char *argv[] = { j->tool, "-c", j->path, "-P", "-x",
		    NULL };

		run_tool(j, argv);
		return;
	}
	case JOB_JUDGE:
		j->r->read_ok = j->files_ok;
		snprintf(j->r->method, sizeof(j->r->method), "%s",
		    j->tool == NULL ? "files" : j->server == CFG_POSTFIX ?
		    "postconf" : "doveconf");
		if (j->server == CFG_POSTFIX) {
			for (size_t i = 0; i < j->pf.errs.n; i++)
				report_error(j->r, j->pf.errs.msg[i]);
			if (j->files_ok)
				cfgaudit_judge_postfix(&j->pf, j->r);
		} else {
			for (size_t i = 0; i < j->dcf.errs.n; i++)
				report_error(j->r, j->dcf.errs.msg[i]);
			if (j->files_ok)
				cfgaudit_judge_dovecot(&j->dcf, j->have_dce ?
				    &j->dce : NULL, j->r);
		}
		for (size_t i = 0; i < j->r->n_errors; i++) {
			struct place pl = { NULL, 0, NULL, NULL, 0 };

			add_finding(j->r, CK_READ_ERROR, CFG_WARNING, "all",
			    "", &pl, "%s", j->r->errors[i]);
		}
		job_enter(j, JOB_DONE);
		return;
	case JOB_DONE:
		/* The callback comes from the loop, never inside
		 * cfgaudit_start(). */
		event_active(j->ev_step, EV_TIMEOUT, 0);
		return;
	case JOB__COUNT:
		break;
	}
}

/* The one response handler: a tool finished. */
static void
step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cfgaudit_job *j = arg;
	const char *why = NULL;

	(void)fd;
	(void)what;
	if (j->state == JOB_DONE) {
		job_finish(j);
		job_free(j);
		return;
	}
	if (!j->out_ready)
		return;
	j->out_ready = 0;
	switch (j->state) {
	case JOB_TOOL_MAIN:
		if (tool_ok(j) == -1)
			break;
		if (j->server == CFG_POSTFIX) {
			if (pf_parse_postconf(&j->pf, j->out.out.data,
			    j->out.out.len, &why) == -1) {
				tool_failed(j, why);
				break;
			}
			job_enter(j, JOB_TOOL_SERVICES);
			return;
		}
		dc_conf_init(&j->dce);
		j->dce.no_includes = 1;
		j->have_dce = 1;
		if (dc_parse_mem(&j->dce, "doveconf -n", j->out.out.data,
		    j->out.out.len) > 0 || j->dce.version[0] == '\0') {
			tool_failed(j, "output is not doveconf -n's");
			break;
		}
		snprintf(j->r->version, sizeof(j->r->version), "%s",
		    j->dce.version);
		break;
	case JOB_TOOL_SERVICES:
		if (tool_ok(j) == -1)
			break;
		if (pf_parse_postconf_P(&j->pf, j->out.out.data,
		    j->out.out.len, &why) == -1)
			tool_failed(j, why);
		break;
	default:
		return;
	}
	job_enter(j, JOB_JUDGE);
}

struct cfgaudit_job *
cfgaudit_start(struct event_base *base, const struct cfgaudit_params *p,
    cfgaudit_cb cb, void *arg)
{
	struct cfgaudit_job *j = xcalloc(1, sizeof(*j));
	const char *tool = p->tool;

	j->base = base;
	j->server = p->server;
	j->path = xstrdup(p->path);
	j->timeout_ms = p->timeout_ms ? p->timeout_ms : TOOL_TIMEOUT_MS;
	j->cb = cb;
	j->arg = arg;
	j->started_ms = now_ms();
	if (tool == NULL)
		tool = find_tool(p->server);
	else if (strcmp(tool, "none") == 0)
		tool = NULL;
	j->tool = tool ? xstrdup(tool) : NULL;
	j->r = xcalloc(1, sizeof(*j->r));
	j->r->server = p->server;
	j->r->instance = xstrdup(p->instance);
	j->r->path = xstrdup(p->path);
	j->ev_step = event_new(base, -1, 0, step_cb, j);
	j->state = JOB_READ_FILES;
	/* Files first (small, local), then the tool: all from the loop. */
	job_enter(j, JOB_READ_FILES);
	return j;
}

void
cfgaudit_cancel(struct cfgaudit_job *j)
{
	if (j == NULL)
		return;
	job_free(j);
}

static void
job_free(struct cfgaudit_job *j)
{
	subproc_cancel(j->sp);
	if (j->ev_step)
		event_free(j->ev_step);
	if (j->server == CFG_POSTFIX)
		pf_conf_free(&j->pf);
	else {
		dc_conf_free(&j->dcf);
		if (j->have_dce)
			dc_conf_free(&j->dce);
	}
	subproc_outcome_free(&j->out);
	cfg_report_free(j->r);
	free(j->path);
	free(j->tool);
	free(j);
}
