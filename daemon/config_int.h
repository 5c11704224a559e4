/* The config parse's own header, shared by its three files and by nobody
 * else: daemon/config.c (the reader, the error list, load and free),
 * daemon/config_keys.c (the key and section tables and their setters) and
 * daemon/config_check.c (the checks of values).  The API is daemon/config.h. */
#ifndef MAILSEC_CONFIG_INT_H
#define MAILSEC_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "base/util.h"

struct webcfg_entry;

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
#define SHOWN_MAX		80	/* file text quoted in a message, escaped */
#define PROTOCOL_LIST	"smtp, submission, smtps, imap, imaps, pop3 or pop3s"

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
	unsigned	 line;		/* 0: about the whole file */
	size_t		 text_at;	/* where in msg the text starts, after
					 * "file:line: " and the key's "key: " */
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
	const char	*key;		/* the key being set, for conf_key_error */
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

/* The sections, in daemon/config_keys.c. */
extern const struct section_def config_sections[];
extern const size_t config_n_sections;

/* The reader and the error list (daemon/config.c). */
struct shown conf_show(const char *s);
void conf_error_at(struct parse *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void conf_key_error(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The key tables and setters (daemon/config_keys.c). */
void conf_caa_issuers_clear(struct config *cfg);
bool conf_key_repeats(key_fn set);
void conf_apply_machine_defaults(struct parse *p);
void conf_apply_web_entry(struct parse *p, const struct webcfg_entry *e,
    const char *ini);

/* The checks of values (daemon/config_check.c). */
int conf_check_name(const char *s, bool underscore, const char **why);
int conf_normalize_dns_name(char *s, const char **why);
int conf_normalize_ip(char **host, int af);
/* A duration from min to max ms (UINT64_MAX: no upper bound); the error
 * names the range.  CONF_DURATION_ZERO_OFF: 0 is shown as "0 (off)". */
#define CONF_DURATION_ZERO_OFF	1
int conf_get_duration(struct parse *p, const char *v, uint64_t min, uint64_t max,
    int flags, uint64_t *out);
int conf_get_interval(struct parse *p, const char *v, uint64_t *out);
int conf_get_timeout(struct parse *p, const char *v, uint64_t *out);
char *conf_next_item(char **rest);
int conf_add_resolver(const char *item, struct buf *out, const char **why);
int conf_listen_parse(const char *v, char **host, uint16_t *port, char *err,
    size_t errlen);
void conf_get_count(struct parse *p, const char *v, unsigned *out);
int conf_check_readable(const char *path);
void conf_allow_entry_free(struct allow_entry *e);
bool conf_is_bcrypt_hash(const char *h);
char *conf_read_pem(struct parse *p, const char *path);
void conf_free_secret(char **s);
void conf_check_client_ca(struct parse *p);
void conf_check_tls_files(struct parse *p);
bool conf_has_port(const uint16_t *v, size_t n, uint16_t x);
int conf_normalize_host(char **h, const char **why);
void conf_free_hosts(char **hosts, size_t *n);
/* Frees a list of a target (its strings and the array) and empties it. */
void conf_free_list(char ***list, size_t *n);
int conf_normalize_address(char **h, const char **why);
int conf_normalize_selector(char **h, const char **why);
int conf_get_switch(struct parse *p, const char *v, int *out);
int conf_get_audit_interval(struct parse *p, const char *v, uint64_t *out);
void conf_get_ttl_cap(struct parse *p, const char *v, uint64_t *out);
void conf_get_bounded(struct parse *p, const char *v, uint64_t min, uint64_t max,
    unsigned *out);
void conf_check_duplicates(struct parse *p);
void conf_check_client_auth(struct parse *p);

#endif
