/* --web.config.file: exporter-toolkit's web-config.yml, read with libyaml,
 * strictly: a key it does not know is an error with its line.  The file
 * only says what the [exporter] keys tls_cert_file, tls_key_file,
 * tls_client_auth, tls_client_ca_file, tls_min_version and
 * basic_auth_users say; config.c applies it with their checks. */
#ifndef MAILSEC_WEBCFG_H
#define MAILSEC_WEBCFG_H

#include <stddef.h>

enum webcfg_key {
	WC_CERT_FILE,		/* tls_server_config.cert_file */
	WC_KEY_FILE,		/* tls_server_config.key_file */
	WC_CLIENT_AUTH,		/* tls_server_config.client_auth_type */
	WC_CLIENT_CA,		/* tls_server_config.client_ca_file */
	WC_MIN_VERSION,		/* tls_server_config.min_version */
	WC_USER,		/* basic_auth_users.NAME: hash */
};

struct webcfg_entry {
	enum webcfg_key	 key;
	char		*name;		/* WC_USER: the user */
	char		*value;
	unsigned	 line;
};

struct webcfg {
	struct webcfg_entry *v;
	size_t		 n;
};

#define WEBCFG_MAX_SIZE		(256 * 1024)
#define WEBCFG_MAX_SCALAR	4096
#define WEBCFG_MAX_USERS	64

/* 0, or -1 with a message and its line (0: the file as a whole) in
 * err/line.  Empty values (`key:`, `~`, `null`) are left out, as
 * exporter-toolkit does. */
int webcfg_parse(const char *data, size_t len, struct webcfg *out,
    char *err, size_t errlen, unsigned *line);
void webcfg_free(struct webcfg *w);
/* The [exporter] key that says the same, for messages. */
const char *webcfg_key_name(enum webcfg_key k);

#endif
