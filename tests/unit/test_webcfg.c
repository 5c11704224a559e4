/* --web.config.file: exporter-toolkit's web-config.yml read strictly with
 * libyaml (webcfg_parse), and applied through the [exporter] keys it stands
 * for (config_load_web): hostile input, every error with its line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "base/util.h"
#include "daemon/webcfg.h"
#include "tests/unit/unit.h"

#define HASH "$2b$12$abcdefghijklmnopqrstuuCDEFGHIJKLMNOPQRSTUVWXYZ012345."

static int
parse(const char *text, struct webcfg *w, char *err, unsigned *line)
{
	return webcfg_parse(text, strlen(text), w, err, 256, line);
}

/* The error of text, as "LINE: message". */
static void
check_error(const char *text, const char *want)
{
	struct webcfg w;
	char err[256], got[300];
	unsigned line;

	if (parse(text, &w, err, &line) == 0) {
		CHECK(!"parsed, want an error");
		fprintf(stderr, "  input: %s\n  want: %s\n", text, want);
		webcfg_free(&w);
		return;
	}
	snprintf(got, sizeof(got), "%u: %s", line, err);
	CHECK_STR(got, want);
	CHECK(w.v == NULL && w.n == 0);
}

static char *
temp_file(const char *text)
{
	char *path = xstrdup("/tmp/test_webcfg.XXXXXX");
	int fd = mkstemp(path);

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("temp file");
		exit(2);
	}
	close(fd);
	return path;
}

/* config_load_web of an INI and a web config: the first error with both
 * temp paths shown as t.ini and web.yml, or "OK". */
static void
load_web(const char *ini, const char *yml, const char *want, size_t want_users)
{
	char *ipath = temp_file(ini), *wpath = temp_file(yml);
	struct config_errors errs = { 0 };
	struct config *cfg = config_load_web(ipath, wpath, &errs);
	char got[512];

	if (cfg != NULL) {
		snprintf(got, sizeof(got), "OK");
		CHECK_INT(cfg->n_auth_users, want_users);
	} else {
		const char *m = errs.n ? errs.msgs[0] : "(no message)";
		size_t o = 0;

		while (*m && o + 8 < sizeof(got)) {
			if (strncmp(m, ipath, strlen(ipath)) == 0) {
				memcpy(got + o, "t.ini", 5), o += 5;
				m += strlen(ipath);
			} else if (strncmp(m, wpath, strlen(wpath)) == 0) {
				memcpy(got + o, "web.yml", 7), o += 7;
				m += strlen(wpath);
			} else
				got[o++] = *m++;
		}
		got[o] = '\0';
	}
	CHECK_STR(got, want);
	config_free(cfg);
	config_errors_free(&errs);
	unlink(ipath);
	unlink(wpath);
	free(ipath);
	free(wpath);
}

int
main(void)
{
	struct webcfg w;
	char err[256], big[6000];
	unsigned line;

	/* the whole of what is understood */
	CHECK_INT(parse("# web-config.yml\n"
	    "tls_server_config:\n"
	    "  cert_file: /etc/x/tls.crt\n"
	    "  key_file: \"/etc/x/tls.key\"\n"
	    "  client_auth_type: NoClientCert\n"
	    "  min_version: TLS13\n"
	    "basic_auth_users:\n"
	    "  alice: '" HASH "'\n"
	    "  bob: " HASH "\n", &w, err, &line), 0);
	CHECK_INT(w.n, 6);
	if (w.n == 6) {
		CHECK_INT(w.v[0].key, WC_CERT_FILE);
		CHECK_STR(w.v[0].value, "/etc/x/tls.crt");
		CHECK_INT(w.v[0].line, 3);
		CHECK_INT(w.v[1].key, WC_KEY_FILE);
		CHECK_STR(w.v[1].value, "/etc/x/tls.key");
		CHECK_INT(w.v[3].key, WC_MIN_VERSION);
		CHECK_STR(w.v[3].value, "TLS13");
		CHECK_INT(w.v[4].key, WC_USER);
		CHECK_STR(w.v[4].name, "alice");
		CHECK_STR(w.v[4].value, HASH);
		CHECK_INT(w.v[5].line, 9);
	}
	webcfg_free(&w);
	/* empty: a file, a document, sections, values */
	CHECK_INT(parse("", &w, err, &line), 0);
	CHECK_INT(w.n, 0);
	CHECK_INT(parse("---\n...\n", &w, err, &line), 0);
	CHECK_INT(parse("tls_server_config:\nbasic_auth_users: ~\n", &w, err, &line), 0);
	CHECK_INT(w.n, 0);
	CHECK_INT(parse("tls_server_config:\n  cert_file:\n  key_file: null\n", &w, err, &line), 0);
	CHECK_INT(w.n, 0);

	/* strict: unknown and unsupported keys, with their lines */
	check_error("tls_server_config:\n  cert_file: a\n  certfile: b\n",
	    "3: tls_server_config: unknown key certfile");
	check_error("tls_config:\n  cert_file: a\n",
	    "1: unknown key tls_config (supported: tls_server_config, basic_auth_users)");
	check_error("http_server_config:\n  http2: false\n",
	    "1: http_server_config is not supported by mailsec_exporter (supported: tls_server_config, basic_auth_users)");
	check_error("tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
	    "2: tls_server_config: cipher_suites is not supported by mailsec_exporter "
	    "(supported: cert_file, key_file, client_auth_type, client_ca_file, min_version)");
	check_error("tls_server_config:\n  cert_file: a\n  cert_file: b\n",
	    "3: tls_server_config: cert_file given twice");
	check_error("basic_auth_users:\n  a: " HASH "\n  a: " HASH "\n",
	    "3: basic_auth_users: a given twice");
	check_error("tls_server_config: {}\ntls_server_config: {}\n",
	    "2: web config: tls_server_config given twice");
	/* shapes */
	check_error("- tls_server_config\n", "1: expected a mapping of keys at the top");
	check_error("just a line\n", "1: expected a mapping of keys at the top");
	check_error("tls_server_config: yes\n", "1: tls_server_config: expected a mapping of keys");
	check_error("tls_server_config:\n  cert_file: [a, b]\n",
	    "2: cert_file: expected a single value");
	check_error("tls_server_config:\n  cert_file: {a: b}\n",
	    "2: cert_file: expected a single value");
	check_error("basic_auth_users:\n  alice:\n", "2: basic_auth_users: alice: no hash");
	check_error("? [a, b]\n: c\n", "1: web config: a key must be a plain name");
	check_error("tls_server_config: {}\n---\nb: 2\n", "2: more than one yaml document");
	/* hostile: aliases (billion laughs), NUL, length, syntax */
	check_error("x: &a b\ntls_server_config:\n  cert_file: *a\n",
	    "1: unknown key x (supported: tls_server_config, basic_auth_users)");
	check_error("tls_server_config: &t\n  cert_file: a\nbasic_auth_users: *t\n",
	    "3: yaml aliases are not allowed here");
	check_error("tls_server_config:\n  cert_file: \"a\\0b\"\n",
	    "2: cert_file: a NUL byte in the value");
	memcpy(big, "tls_server_config:\n  cert_file: ", 32);
	memset(big + 32, 'a', 4200);
	strcpy(big + 32 + 4200, "\n");
	check_error(big, "2: cert_file: longer than 4096 bytes");
	check_error("tls_server_config:\n  cert_file: \"open\n", "3: yaml: found unexpected end of stream");
	check_error("tls_server_config:\n cert_file: a\n  key_file: b\n",
	    "3: yaml: mapping values are not allowed in this context");
	check_error("tls_server_config:\n  cert_file: b: c\n", "2: yaml: mapping values are not allowed in this context");
	check_error("\t- x\n", "1: yaml: found character that cannot start any token");
	{
		struct buf b;

		buf_init(&b);
		buf_puts(&b, "basic_auth_users:\n");
		for (int i = 0; i < 70; i++)
			buf_printf(&b, "  u%d: " HASH "\n", i);
		check_error(b.data, "66: basic_auth_users: more than 64 users");
		buf_free(&b);
	}
	CHECK_INT(webcfg_parse("x", WEBCFG_MAX_SIZE + 1, &w, err, sizeof(err), &line), -1);
	CHECK_STR(err, "file too large (max 256 KiB)");

	/* applied through config_load_web */
	load_web("[exporter]\n", "basic_auth_users:\n  alice: " HASH "\n  bob: " HASH "\n", "OK", 2);
	load_web("[exporter]\nbasic_auth_users = carol:" HASH "\n",
	    "basic_auth_users:\n  alice: " HASH "\n",
	    "web.yml:2: basic_auth_users: t.ini sets basic_auth_users already: use one of the two", 0);
	load_web("[exporter]\n", "basic_auth_users:\n  alice: secret\n",
	    "web.yml:2: basic_auth_users: user alice: not a bcrypt hash (\"$2b$12$\" and 53 more "
	    "characters: make one with mailsec_exporter --hash-password)", 0);
	load_web("[exporter]\n", "basic_auth_users:\n  \"al ice\": " HASH "\n",
	    "web.yml:2: basic_auth_users: user \"al ice\": use 1 to 64 letters, digits, '.', '_', '@', '+', '-'", 0);
	load_web("[exporter]\n", "tls_server_config:\n  min_version: TLS11\n",
	    "web.yml:2: min_version: TLS11: TLS 1.0 and 1.1 are not offered (RFC 8996): TLS12 or TLS13", 0);
	load_web("[exporter]\n", "tls_server_config:\n  min_version: tls1.2\n",
	    "web.yml:2: min_version: \"tls1.2\": TLS12 or TLS13", 0);
	/* client_auth_type: exporter-toolkit's five names (and its old
	 * RequireClientCert), exactly; paired with client_ca_file */
	load_web("[exporter]\n", "tls_server_config:\n  client_auth_type: NoClientCert\n", "OK", 0);
	load_web("[exporter]\n", "tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n",
	    "web.yml:2: client_auth_type: RequireAndVerifyClientCert needs HTTPS "
	    "(cert_file and key_file)", 0);
	load_web("[exporter]\n", "tls_server_config:\n  client_auth_type: requireandverifyclientcert\n",
	    "web.yml:2: client_auth_type: \"requireandverifyclientcert\": NoClientCert, "
	    "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or "
	    "RequireAndVerifyClientCert", 0);
	load_web("[exporter]\n", "tls_server_config:\n  client_auth_type: \"NoClientCert\\x01\"\n",
	    "web.yml:2: client_auth_type: \"NoClientCert\\x01\": NoClientCert, "
	    "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or "
	    "RequireAndVerifyClientCert", 0);
	load_web("[exporter]\n", "tls_server_config:\n  client_ca_file: /nonexistent/ca.crt\n",
	    "web.yml:2: client_ca_file: /nonexistent/ca.crt: No such file or directory", 0);
	load_web("[exporter]\n", "tls_server_config:\n  client_ca_file: /dev/null\n",
	    "web.yml:2: client_ca_file: /dev/null: not a PEM file", 0);
	{
		enum tls_client_auth a;

		CHECK_INT(tls_client_auth_parse("RequireClientCert", &a), 0);
		CHECK_INT(a, TLS_CLIENT_AUTH_REQUIRE_ANY);
		for (int i = 0; i < TLS_CLIENT_AUTH__COUNT; i++) {
			CHECK_INT(tls_client_auth_parse(tls_client_auth_name(
			    (enum tls_client_auth)i), &a), 0);
			CHECK_INT(a, i);
		}
		CHECK_INT(tls_client_auth_parse("", &a), -1);
		CHECK_INT(tls_client_auth_parse("NoClientCert ", &a), -1);
		CHECK_STR(tls_client_auth_name(TLS_CLIENT_AUTH__COUNT), "?");
		CHECK(!tls_client_auth_verifies(TLS_CLIENT_AUTH_REQUIRE_ANY));
		CHECK(tls_client_auth_verifies(TLS_CLIENT_AUTH_VERIFY_IF_GIVEN));
	}
	load_web("[exporter]\n", "tls_server_config:\n  cert_file: /nonexistent/tls.crt\n  key_file: /nonexistent/tls.key\n",
	    "web.yml:2: cert_file: /nonexistent/tls.crt: No such file or directory", 0);
	load_web("[exporter]\ntls_cert_file = /nonexistent/a\ntls_key_file = /nonexistent/b\n",
	    "tls_server_config:\n  cert_file: /nonexistent/tls.crt\n",
	    "t.ini:2: tls_cert_file: /nonexistent/a: No such file or directory", 0);
	load_web("[exporter]\n", "tls_server_config:\n  cert_file: /nonexistent/tls.crt\n",
	    "web.yml:2: cert_file: /nonexistent/tls.crt: No such file or directory", 0);
	load_web("[exporter]\n", "nope: 1\n",
	    "web.yml:1: unknown key nope (supported: tls_server_config, basic_auth_users)", 0);
	{
		struct config_errors errs = { 0 };
		char *ipath = temp_file("[exporter]\n");

		CHECK(config_load_web(ipath, "/nonexistent/web.yml", &errs) == NULL);
		CHECK(errs.n == 1 && strcmp(errs.msgs[0], "/nonexistent/web.yml: cannot read: "
		    "No such file or directory") == 0);
		config_errors_free(&errs);
		unlink(ipath);
		free(ipath);
	}
	return unit_done("test_webcfg");
}
