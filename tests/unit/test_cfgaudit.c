/* The configuration audit: the Postfix and Dovecot readers (hostile input
 * included), expansion loops, the cipher classification by OpenSSL, the
 * certificate checks, the judgement of the seed's settings, the child
 * process runner (time limit, output cap, no shell), and the [config]
 * sections. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "collectors/cfgaudit.h"
#include "collectors/doveconf.h"
#include "collectors/postconf.h"
#include "collectors/subproc.h"
#include "daemon/config.h"
#include "base/util.h"
#include "tests/unit/unit.h"

static char tmpdir[64];

static void
write_file(const char *name, const char *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL || fwrite(data, 1, len, f) != len) {
		perror(path);
		exit(2);
	}
	fclose(f);
}

static int
has_error(char **errs, size_t n, const char *needle)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(errs[i], needle))
			return 1;
	return 0;
}

static const struct cfg_finding *
find(const struct cfg_report *r, enum cfg_check ck, const char *service)
{
	for (size_t i = 0; i < r->n_f; i++)
		if (r->f[i].check == ck && (service == NULL ||
		    strcmp(r->f[i].service, service) == 0))
			return &r->f[i];
	return NULL;
}

static void
test_main_cf(void)
{
	struct pf_conf c;
	struct buf v;
	struct pf_where w;
	const char *text =
	    "# comment\n"
	    "a = one\n"
	    "b = $a two\n"
	    "  three\n"
	    "   # a comment inside the continuation\n"
	    "    four\n"
	    "c = ${a}${b?X}${nothing:Y}${nothing?Z}$$lit $(a)\n"
	    "d = x\n"
	    "d = y\n"
	    "  leading = blank\n"
	    "junk line\n"
	    "bad-name = 1\n";

	pf_conf_init(&c, "main.cf", "master.cf");
	CHECK_INT(pf_parse_main(&c, text, strlen(text)), 2);
	CHECK(has_error(c.errs.msg, c.errs.n, "main.cf:11: not \"name = value\""));
	CHECK(has_error(c.errs.msg, c.errs.n, "main.cf:12: not \"name = value\""));
	buf_init(&v);
	CHECK_INT(pf_value(&c, NULL, "b", &v, &w), 0);
	CHECK_STR(v.data, "one two three four");
	CHECK_INT(w.line, 3);
	CHECK_INT(pf_value(&c, NULL, "c", &v, &w), 0);
	CHECK_STR(v.data, "oneXY$lit one");
	CHECK_INT(pf_value(&c, NULL, "d", &v, &w), 0);
	CHECK_STR(v.data, "y leading = blank");	/* a continuation */
	CHECK_INT(w.line, 9);
	/* absent: the built-in default, expanded */
	CHECK_INT(pf_value(&c, NULL, "smtpd_tls_protocols", &v, &w), 0);
	CHECK_STR(v.data, ">=TLSv1");
	CHECK_INT(w.line, 0);
	CHECK_INT(pf_value(&c, NULL, "no_such_parameter", &v, &w), 0);
	CHECK_STR(v.data, "");
	buf_free(&v);
	pf_conf_free(&c);
}

static void
test_expansion_loops(void)
{
	struct pf_conf c;
	struct buf v, big;
	const char *loop = "a = $b\nb = ${a}\nself = x $self\n"
	    "d0 = $d1 $d1\n";

	pf_conf_init(&c, "main.cf", "master.cf");
	pf_parse_main(&c, loop, strlen(loop));
	buf_init(&v);
	CHECK_INT(pf_value(&c, NULL, "a", &v, NULL), -1);
	CHECK(strstr(v.data, "expansion loop: $a -> $b -> $a") != NULL);
	CHECK_INT(pf_value(&c, NULL, "self", &v, NULL), -1);
	CHECK(strstr(v.data, "loop") != NULL);
	pf_conf_free(&c);
	/* Doubling at each level: 2^30 bytes unless cut off. */
	buf_init(&big);
	for (int i = 0; i < 30; i++)
		buf_printf(&big, "d%d = $d%d $d%d\n", i, i + 1, i + 1);
	buf_puts(&big, "d30 = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
	pf_conf_init(&c, "main.cf", "master.cf");
	pf_parse_main(&c, big.data, big.len);
	CHECK_INT(pf_value(&c, NULL, "d0", &v, NULL), -1);
	CHECK(strstr(v.data, "longer than") != NULL);
	pf_conf_free(&c);
	/* 40 deep, no loop: the depth limit. */
	buf_reset(&big);
	for (int i = 0; i < 40; i++)
		buf_printf(&big, "e%d = $e%d\n", i, i + 1);
	pf_conf_init(&c, "main.cf", "master.cf");
	pf_parse_main(&c, big.data, big.len);
	CHECK_INT(pf_value(&c, NULL, "e0", &v, NULL), -1);
	CHECK(strstr(v.data, "nested more than") != NULL);
	pf_conf_free(&c);
	buf_free(&big);
	buf_free(&v);
}

static void
test_hostile_main_cf(void)
{
	struct pf_conf c;
	size_t n = 10u * 1024 * 1024;
	char *big = xmalloc(n);

	/* 10 MB: refused whole. */
	memset(big, 'a', n);
	pf_conf_init(&c, "main.cf", "master.cf");
	CHECK_INT(pf_parse_main(&c, big, n), 1);
	CHECK(has_error(c.errs.msg, c.errs.n, "file too large"));
	pf_conf_free(&c);
	/* A 1 MB line, then a good one. */
	memcpy(big, "x = ", 4);
	big[1024 * 1024] = '\n';
	memcpy(big + 1024 * 1024 + 1, "y = 1\n", 6);
	pf_conf_init(&c, "main.cf", "master.cf");
	CHECK_INT(pf_parse_main(&c, big, 1024 * 1024 + 7), 1);
	CHECK(has_error(c.errs.msg, c.errs.n, "main.cf:1: line longer than 64 KiB"));
	CHECK_INT(c.n_p, 1);
	pf_conf_free(&c);
	/* Binary junk: errors, bounded, no crash. */
	srand(7);
	for (size_t i = 0; i < 200000; i++)
		big[i] = (char)(rand() & 0xff);
	pf_conf_init(&c, "main.cf", "master.cf");
	pf_parse_main(&c, big, 200000);
	CHECK(c.errs.n <= PF_ERRORS_MAX);
	CHECK(c.errs.n + c.errs.dropped > 0);
	pf_parse_master(&c, big, 200000);
	pf_conf_free(&c);
	free(big);
}

static void
test_master_cf(void)
{
	struct pf_conf c;
	struct buf v;
	struct pf_where w;
	const char *main_cf = "smtpd_tls_security_level = may\n"
	    "x = $smtpd_tls_security_level\n";
	const char *master =
	    "# service type private unpriv chroot wakeup maxproc command\n"
	    "smtp      inet  n       -       y       -       -       smtpd\n"
	    "submission inet n       -       y       -       -       smtpd\n"
	    "  -o syslog_name=postfix/submission\n"
	    "  -o smtpd_tls_security_level=encrypt\n"
	    "  -o { smtpd_tls_protocols = >=TLSv1.2 }\n"
	    "smtps inet n - y - - smtpd -o smtpd_tls_wrappermode=yes\n"
	    "short inet n -\n"
	    "bad inet n - y - - smtpd -o novalue\n";

	pf_conf_init(&c, "main.cf", "master.cf");
	pf_parse_main(&c, main_cf, strlen(main_cf));
	CHECK_INT(pf_parse_master(&c, master, strlen(master)), 2);
	CHECK(has_error(c.errs.msg, c.errs.n, "master.cf:8: a service needs 8"));
	CHECK(has_error(c.errs.msg, c.errs.n, "master.cf:9: -o novalue"));
	CHECK_INT(c.n_s, 4);
	CHECK_STR(c.s[1].name, "submission");
	CHECK_INT(c.s[1].n_o, 3);
	buf_init(&v);
	CHECK_INT(pf_value(&c, &c.s[1], "smtpd_tls_security_level", &v, &w), 0);
	CHECK_STR(v.data, "encrypt");
	CHECK(w.is_override);
	CHECK_INT(w.line, 3);
	CHECK_INT(pf_value(&c, &c.s[1], "smtpd_tls_protocols", &v, &w), 0);
	CHECK_STR(v.data, ">=TLSv1.2");
	/* $name in main.cf seen from a service: its override */
	CHECK_INT(pf_value(&c, &c.s[1], "x", &v, &w), 0);
	CHECK_STR(v.data, "encrypt");
	CHECK_INT(pf_value(&c, &c.s[0], "x", &v, &w), 0);
	CHECK_STR(v.data, "may");
	CHECK_INT(pf_value(&c, &c.s[2], "smtpd_tls_wrappermode", &v, &w), 0);
	CHECK_STR(v.data, "yes");
	buf_free(&v);
	pf_conf_free(&c);
}

static void
test_postconf_output(void)
{
	struct pf_conf c;
	const char *why = NULL;
	const char *good = "mail_version = 3.7.11\nsmtpd_tls_protocols = >=TLSv1.2\n"
	    "empty =\n";
	const char *junk = "\x01\x02\x03 garbage\n";

	pf_conf_init(&c, "main.cf", "master.cf");
	CHECK_INT(pf_parse_postconf(&c, good, strlen(good), &why), 0);
	CHECK_STR(c.version, "3.7.11");
	CHECK(c.use_eff);
	CHECK_INT(pf_parse_postconf(&c, junk, strlen(junk), &why), -1);
	CHECK(why && strstr(why, "not postconf output"));
	CHECK(!c.use_eff || c.n_eff == 0);
	CHECK_INT(pf_parse_postconf(&c, "", 0, &why), -1);
	CHECK_INT(pf_parse_postconf(&c, "a\0b = c\n", 8, &why), -1);
	pf_conf_free(&c);
}

static void
test_dovecot(void)
{
	struct dc_conf c;
	const struct dc_setting *s;
	char path[256];
	const char *text =
	    "ssl = yes\n"
	    "ssl_cipher_list = \"ALL:!aNULL\" # comment\n"
	    "ssl_cert = </etc/ssl/a.pem\n"
	    "protocol imap {\n"
	    "  ssl_min_protocol = TLSv1\n"
	    "}\n"
	    "local 192.0.2.1 {\n"
	    "  protocol pop3 {\n"
	    "    ssl_min_protocol = TLSv1.3\n"
	    "  }\n"
	    "}\n"
	    "service imap-login {\n"
	    "  inet_listener imaps {\n"
	    "    port = 993\n"
	    "  }\n"
	    "}\n"
	    "}\n"
	    "bad = \"unterminated\n"
	    "what is this\n"
	    "open {\n";

	dc_conf_init(&c);
	c.no_includes = 1;
	CHECK_INT(dc_parse_mem(&c, "d.conf", text, strlen(text)), 4);
	CHECK(has_error(c.errs.msg, c.errs.n, "d.conf:17: '}' without a section"));
	CHECK(has_error(c.errs.msg, c.errs.n, "d.conf:18: bad: missing closing quote"));
	CHECK(has_error(c.errs.msg, c.errs.n, "d.conf:19: expected"));
	CHECK(has_error(c.errs.msg, c.errs.n, "not closed at the end"));
	s = dc_get(&c, "ssl_cipher_list", "");
	CHECK(s && strcmp(s->value, "ALL:!aNULL") == 0);
	s = dc_get(&c, "ssl_cert", "");
	CHECK(s && strcmp(s->value, "</etc/ssl/a.pem") == 0);
	s = dc_effective(&c, "ssl_min_protocol", "imap", NULL);
	CHECK(s && strcmp(s->value, "TLSv1") == 0 && s->line == 5);
	s = dc_effective(&c, "ssl_min_protocol", "pop3", "192.0.2.1");
	CHECK(s && strcmp(s->value, "TLSv1.3") == 0);
	CHECK(dc_effective(&c, "ssl_min_protocol", "pop3", NULL) == NULL);
	s = dc_get(&c, "port", "service imap-login/inet_listener imaps");
	CHECK(s && strcmp(s->value, "993") == 0);
	CHECK(!dc_is_filter_block("service imap-login"));
	CHECK(dc_is_filter_block("local 192.0.2.1/protocol pop3"));
	dc_conf_free(&c);

	/* Includes: conf.d glob, !include_try of a missing file, a loop, a
	 * missing !include, a directory, a FIFO. */
	snprintf(path, sizeof(path), "%s/conf.d", tmpdir);
	mkdir(path, 0755);
	write_file("conf.d/10-ssl.conf", "ssl_min_protocol = TLSv1.1\n", 27);
	write_file("conf.d/20-loop.conf", "!include ../dovecot.conf\n", 25);
	{
		const char *top = "!include conf.d/*.conf\n"
		    "!include_try nothere.conf\n!include missing.conf\n"
		    "!include conf.d\n!include fifo\nssl = yes\n";

		write_file("dovecot.conf", top, strlen(top));
	}
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	mkfifo(path, 0600);
	snprintf(path, sizeof(path), "%s/dovecot.conf", tmpdir);
	dc_conf_init(&c);
	dc_parse_file(&c, path);
	s = dc_get(&c, "ssl_min_protocol", "");
	CHECK(s && strstr(s->file, "10-ssl.conf") && s->line == 1);
	CHECK(has_error(c.errs.msg, c.errs.n, "include loop"));
	CHECK(has_error(c.errs.msg, c.errs.n, "missing.conf: No such file"));
	CHECK(has_error(c.errs.msg, c.errs.n, "Is a directory"));
	CHECK(has_error(c.errs.msg, c.errs.n, "not a regular file"));
	CHECK(!has_error(c.errs.msg, c.errs.n, "nothere"));
	CHECK(dc_get(&c, "ssl", "") != NULL);
	dc_conf_free(&c);
	/* A missing top file. */
	dc_conf_init(&c);
	CHECK_INT(dc_parse_file(&c, "/nonexistent/dovecot.conf"), 1);
	dc_conf_free(&c);
}

static void
test_ciphers(void)
{
	struct cipher_classes cc;

	cipher_classify("eNULL", &cc);
	CHECK(cc.valid && (cc.mask & (1u << (CK_CIPHER_NULL - CK_CIPHER_NULL))));
	cipher_classify("aNULL", &cc);
	CHECK(cc.valid && (cc.mask & (1u << (CK_CIPHER_ANON - CK_CIPHER_NULL))));
	cipher_classify("AES128-SHA", &cc);
	CHECK(cc.valid && cc.n_suites == 1);
	CHECK(cc.mask & (1u << (CK_CIPHER_STATIC_RSA - CK_CIPHER_NULL)));
	CHECK(cc.mask & (1u << (CK_CIPHER_CBC - CK_CIPHER_NULL)));
	CHECK(cc.mask & (1u << (CK_CIPHER_SHA1 - CK_CIPHER_NULL)));
	cipher_classify("ECDHE-RSA-AES128-GCM-SHA256", &cc);
	CHECK(cc.valid && cc.n_suites == 1 && cc.mask == 0);
	/* Words are not judged: a name this OpenSSL lacks enables nothing. */
	cipher_classify("DES-CBC3-SHA", &cc);
	CHECK(!cc.valid || cc.n_suites == 0 ||
	    (cc.mask & (1u << (CK_CIPHER_3DES - CK_CIPHER_NULL))));
	cipher_classify("no-such-suite", &cc);
	CHECK(!cc.valid);
}

/* A self-signed certificate with a key of bits, valid from now+from_days
 * to now+to_days, written as NAME.pem and NAME.key. */
static void
make_cert(const char *name, int bits, long from_days, long to_days)
{
	EVP_PKEY *k = EVP_RSA_gen((unsigned)bits);
	X509 *x = X509_new();
	char path[256];
	FILE *f;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"mail.test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, k, EVP_sha256());
	snprintf(path, sizeof(path), "%s/%s.pem", tmpdir, name);
	f = fopen(path, "w");
	PEM_write_X509(f, x);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s.key", tmpdir, name);
	f = fopen(path, "w");
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

static struct cfg_report *
judge_pf(const char *main_cf, const char *master)
{
	struct cfg_report *r = xcalloc(1, sizeof(*r));
	struct pf_conf c;

	r->server = CFG_POSTFIX;
	r->instance = xstrdup("t");
	r->path = xstrdup(tmpdir);
	pf_conf_init(&c, "main.cf", "master.cf");
	pf_parse_main(&c, main_cf, strlen(main_cf));
	if (master)
		pf_parse_master(&c, master, strlen(master));
	else
		pf_default_services(&c);
	cfgaudit_judge_postfix(&c, r);
	pf_conf_free(&c);
	return r;
}

static void
test_judge_postfix(void)
{
	struct cfg_report *r;
	const struct cfg_finding *f;
	struct buf m;
	const char *master = "smtp inet n - n - - smtpd\n"
	    "submission inet n - n - - smtpd\n"
	    "smtps inet n - n - - smtpd\n"
	    "smtp unix - - n - - smtp\n";

	make_cert("small", 1024, -1, 5);
	make_cert("other", 2048, -10, -1);
	buf_init(&m);
	buf_printf(&m, "smtpd_tls_cert_file = %s/small.pem\n"
	    "smtpd_tls_key_file = %s/other.key\n"
	    "smtpd_tls_security_level = may\n"
	    "smtpd_sasl_auth_enable = yes\n"
	    "smtpd_tls_protocols = !SSLv2, !SSLv3, TLSv1, TLSv1.1, TLSv1.2\n"
	    "smtpd_tls_dh1024_param_file = %s/missing.pem\n"
	    "smtp_tls_security_level = none\n"
	    "smtpd_tls_ciphers = low\ntls_low_cipherlist = eNULL:aNULL:ALL\n",
	    tmpdir, tmpdir, tmpdir);
	r = judge_pf(m.data, master);
	CHECK(find(r, CK_PF_SUBMISSION_NO_ENCRYPT, "submission/inet") != NULL);
	CHECK(find(r, CK_PF_SMTPS_NO_WRAPPER, "smtps/inet") != NULL);
	CHECK(find(r, CK_PF_AUTH_WITHOUT_TLS, "smtp/inet") != NULL);
	CHECK(find(r, CK_PF_OUT_TLS_NONE, "smtp/unix") != NULL);
	CHECK(find(r, CK_PF_DH_UNREADABLE, "all") != NULL);
	f = find(r, CK_PF_PROTO_NO_TLS13, "smtp/inet");
	CHECK(f != NULL && f->line == 5 &&
	    strcmp(f->advice, "main.cf: smtpd_tls_protocols = >=TLSv1.2") == 0);
	CHECK(find(r, CK_PF_PROTO_LEGACY_TLS, "smtp/inet") != NULL);
	CHECK(find(r, CK_CIPHER_NULL, "smtp/inet") != NULL);
	f = find(r, CK_CIPHER_ANON, "smtp/inet");
	CHECK(f != NULL && f->sev == CFG_INFO);		/* port 25 */
	f = find(r, CK_CIPHER_ANON, "submission/inet");
	CHECK(f != NULL && f->sev == CFG_WARNING);
	CHECK(find(r, CK_CERT_KEY_MISMATCH, NULL) != NULL);
	CHECK(find(r, CK_CERT_KEY_SMALL, NULL) != NULL);
	CHECK(find(r, CK_CERT_EXPIRING, NULL) != NULL);
	f = find(r, CK_CERT_SELF_SIGNED, "smtp/inet");
	CHECK(f != NULL && f->sev == CFG_INFO);
	f = find(r, CK_CERT_SELF_SIGNED, "submission/inet");
	CHECK(f != NULL && f->sev == CFG_WARNING);
	CHECK_INT(r->n_certs, 1);
	CHECK(r->n_certs == 1 && r->certs[0].not_after > wall_time());
	cfg_report_free(r);

	/* An expired certificate, a missing one, and an expansion loop. */
	buf_reset(&m);
	buf_printf(&m, "smtpd_tls_security_level = may\n"
	    "smtpd_tls_cert_file = %s/other.pem\n"
	    "smtp_tls_security_level = $loop\nloop = $smtp_tls_security_level\n",
	    tmpdir);
	r = judge_pf(m.data, NULL);
	CHECK(find(r, CK_CERT_EXPIRED, NULL) != NULL);
	CHECK(find(r, CK_PF_EXPANSION, "smtp/unix") != NULL);
	cfg_report_free(r);
	r = judge_pf("smtpd_tls_security_level = may\n"
	    "smtpd_tls_cert_file = /nonexistent.pem\n", NULL);
	CHECK(find(r, CK_CERT_UNREADABLE, NULL) != NULL);
	cfg_report_free(r);
	/* No TLS at all on port 25. */
	r = judge_pf("smtp_tls_security_level = dane\n", NULL);
	CHECK(find(r, CK_PF_NO_STARTTLS, "smtp/inet") != NULL);
	CHECK(find(r, CK_PF_OUT_TLS_MAY, NULL) == NULL);
	cfg_report_free(r);
	buf_free(&m);
}

static void
test_judge_dovecot(void)
{
	struct cfg_report *r = xcalloc(1, sizeof(*r));
	struct dc_conf c;
	struct buf t;

	buf_init(&t);
	buf_printf(&t, "ssl = yes\nssl_cert = <%s/small.pem\n"
	    "ssl_key = <%s/small.key\nssl_dh = <%s/nope.pem\n"
	    "disable_plaintext_auth = no\n"
	    "ssl_protocols = !SSLv2 !SSLv3\nssl_dh_parameters_length = 4096\n"
	    "ssl_cipher_list = ECDHE-RSA-AES128-GCM-SHA256:DES-CBC3-SHA:!DSS\n"
	    "protocol pop3 {\n  ssl_min_protocol = SSLv3\n}\n"
	    "local 192.0.2.9 {\n  ssl = no\n}\n", tmpdir, tmpdir, tmpdir);
	r->server = CFG_DOVECOT;
	r->instance = xstrdup("t");
	r->path = xstrdup("d.conf");
	dc_conf_init(&c);
	c.no_includes = 1;
	dc_parse_mem(&c, "d.conf", t.data, t.len);
	cfgaudit_judge_dovecot(&c, NULL, r);
	CHECK(find(r, CK_DC_CLEARTEXT_AUTH, "all") != NULL);
	CHECK(find(r, CK_DC_OBSOLETE, "all") != NULL);
	CHECK(find(r, CK_DC_PROTO_SSL, "protocol pop3") != NULL);
	CHECK(find(r, CK_DC_SSL_OFF, "local 192.0.2.9") != NULL);
	CHECK(find(r, CK_DC_DH_UNREADABLE, "all") != NULL);
	CHECK(find(r, CK_DC_SERVER_ORDER, "all") != NULL);
	CHECK(find(r, CK_CERT_SELF_SIGNED, "all") != NULL);
	/* This OpenSSL has no 3DES: the list asks for it all the same. */
	CHECK(find(r, CK_DC_CIPHERS_NAME_3DES, "all") != NULL ||
	    find(r, CK_CIPHER_3DES, "all") != NULL);
	CHECK(find(r, CK_DC_PROTO_LEGACY_TLS, "all") == NULL);	/* default */
	cfg_report_free(r);
	dc_conf_free(&c);
	buf_free(&t);
}

static void
test_subproc(void)
{
	struct subproc_outcome o;
	const char *echo[] = { "/bin/echo", "a;b $(x)", NULL };
	const char *sleep_[] = { "/bin/sleep", "10", NULL };
	const char *cat[] = { "/bin/cat", "/dev/zero", NULL };
	const char *rel[] = { "echo", NULL };
	const char *none[] = { "/nonexistent/tool", NULL };
	struct subproc_params p = { echo, 5000, 1024 };
	uint64_t t0;

	subproc_run_sync(&p, &o);
	CHECK_INT(o.result, SUBPROC_OK);
	CHECK_STR(o.out.data, "a;b $(x)\n");	/* no shell in between */
	subproc_outcome_free(&o);
	p.argv = sleep_;
	p.timeout_ms = 300;
	t0 = now_ms();
	subproc_run_sync(&p, &o);
	CHECK_INT(o.result, SUBPROC_TIMEOUT);
	CHECK(now_ms() - t0 < 3000);
	subproc_outcome_free(&o);
	p.argv = cat;
	p.timeout_ms = 5000;
	subproc_run_sync(&p, &o);
	CHECK_INT(o.result, SUBPROC_TOO_MUCH);
	CHECK(o.out.len <= 1024 + 16384);
	subproc_outcome_free(&o);
	p.argv = rel;
	subproc_run_sync(&p, &o);
	CHECK_INT(o.result, SUBPROC_SPAWN);
	subproc_outcome_free(&o);
	p.argv = none;
	subproc_run_sync(&p, &o);
	CHECK_INT(o.result, SUBPROC_EXIT);
	CHECK(o.status != 0);	/* 127 (valgrind: its own code) */
	subproc_outcome_free(&o);
}

static void
test_config_sections(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg;
	const char *good = "[config postfix main]\npath = /etc/postfix\n"
	    "endpoints = 127.0.0.1:25, [::1]:587, Mail.Example.ORG:465\n"
	    "interval = 10m\ntool = none\n"
	    "[config dovecot imap]\npath = /etc/dovecot/dovecot.conf\n";
	const char *bad = "[config exim x]\npath = /x\n"
	    "[config postfix]\n"
	    "[config postfix a]\npath = relative\nendpoints = nope\n"
	    "[config postfix a]\npath = /x\n"
	    "[config dovecot b]\ninterval = 5s\n";

	cfg = config_load_mem("t.ini", good, strlen(good), &errs);
	CHECK(cfg != NULL);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	if (cfg) {
		CHECK_INT(cfg->n_cfgsrcs, 2);
		CHECK_STR(cfg->cfgsrcs[0].path, "/etc/postfix");
		CHECK_INT(cfg->cfgsrcs[0].n_endpoints, 3);
		CHECK_STR(cfg->cfgsrcs[0].endpoints[1], "[::1]:587");
		CHECK_STR(cfg->cfgsrcs[0].endpoints[2], "mail.example.org:465");
		CHECK_INT(cfg->cfgsrcs[0].interval_ms, 600000);
		CHECK_STR(cfg->cfgsrcs[0].tool, "none");
		CHECK_INT(cfg->cfgsrcs[1].server, 1);
	}
	config_free(cfg);
	config_errors_free(&errs);
	cfg = config_load_mem("t.ini", bad, strlen(bad), &errs);
	CHECK(cfg == NULL);
	CHECK(has_error(errs.msgs, errs.n, "t.ini:1: [config exim x]: use"));
	CHECK(has_error(errs.msgs, errs.n, "t.ini:3: [config postfix]: a name"));
	CHECK(has_error(errs.msgs, errs.n, "t.ini:5: path: must be an absolute"));
	CHECK(has_error(errs.msgs, errs.n, "t.ini:6: endpoints: \"nope\""));
	CHECK(has_error(errs.msgs, errs.n, "t.ini:7: duplicate section"));
	CHECK(has_error(errs.msgs, errs.n, "t.ini:10: interval: must be at least 1m"));
	CHECK(has_error(errs.msgs, errs.n, "t.ini:9: [config dovecot b]: path is required"));
	config_errors_free(&errs);
}

int
main(void)
{
	char cmd[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_cfgaudit.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_main_cf();
	test_expansion_loops();
	test_hostile_main_cf();
	test_master_cf();
	test_postconf_output();
	test_dovecot();
	test_ciphers();
	test_judge_postfix();
	test_judge_dovecot();
	test_subproc();
	test_config_sections();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return unit_done("test_cfgaudit");
}
