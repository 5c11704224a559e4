/* The configuration audit: reads a Postfix or Dovecot configuration (with
 * postconf(1) / doveconf(1) when installed, the files otherwise), judges it
 * against one table of checks, and keeps what the cross-check with the
 * probes needs (the protocols each service allows, its certificate).  A
 * finding names the check, the service, the setting, file:line and the
 * line to write instead. */
#ifndef MAILSEC_CFGAUDIT_H
#define MAILSEC_CFGAUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "base/util.h"

enum cfg_server {
	CFG_POSTFIX,
	CFG_DOVECOT,
	CFG_SERVER__COUNT
};

enum cfg_severity {
	CFG_CRITICAL,
	CFG_WARNING,
	CFG_INFO,
	CFG_SEV__COUNT
};

/* Every check, once; its row in cfgaudit.c's table says the rest. */
enum cfg_check {
	CK_READ_ERROR,		/* a file or the tool's output did not parse */
	CK_PF_NO_STARTTLS,
	CK_PF_AUTH_WITHOUT_TLS,
	CK_PF_SUBMISSION_NO_ENCRYPT,
	CK_PF_SMTPS_NO_WRAPPER,
	CK_PF_PROTO_SSL,
	CK_PF_PROTO_LEGACY_TLS,
	CK_PF_PROTO_NO_TLS13,
	CK_PF_PROTO_NONE,
	CK_PF_SERVER_ORDER,
	CK_PF_DH_UNREADABLE,
	CK_PF_DH_SMALL,
	CK_PF_OUT_TLS_NONE,
	CK_PF_OUT_TLS_MAY,
	CK_PF_CA_MISSING,
	CK_PF_EXPANSION,
	CK_DC_SSL_OFF,
	CK_DC_CLEARTEXT_AUTH,
	CK_DC_PROTO_SSL,
	CK_DC_PROTO_LEGACY_TLS,
	CK_DC_OBSOLETE,
	CK_DC_SERVER_ORDER,
	CK_DC_CIPHERS_NAME_3DES,
	CK_DC_DH_UNREADABLE,
	CK_DC_DH_SMALL,
	CK_CIPHER_NONE,
	CK_CIPHER_NULL,
	CK_CIPHER_ANON,
	CK_CIPHER_RC4,
	CK_CIPHER_3DES,
	CK_CIPHER_STATIC_RSA,
	CK_CIPHER_CBC,
	CK_CIPHER_SHA1,
	CK_CERT_UNREADABLE,
	CK_CERT_KEY_UNREADABLE,
	CK_CERT_KEY_MISMATCH,
	CK_CERT_EXPIRED,
	CK_CERT_EXPIRING,
	CK_CERT_SELF_SIGNED,
	CK_CERT_KEY_SMALL,
	CK_CERT_CHAIN_ORDER,
	CK__COUNT
};

const char *cfg_server_name(enum cfg_server s);
const char *cfg_severity_name(enum cfg_severity s);
const char *cfg_check_name(enum cfg_check c);
/* Why the check matters, in words (doc/config-audit.md has the same). */
const char *cfg_check_why(enum cfg_check c);

struct cfg_finding {
	enum cfg_check	 check;
	enum cfg_severity sev;
	char		*service;	/* "smtp/inet", "imap", "all" */
	char		*setting;
	char		*file;		/* NULL: a built-in default */
	unsigned	 line;
	char		*detail;	/* what was found */
	char		*advice;	/* the line to write */
};

/* TLS versions as bits: what a service allows. */
enum cfg_tlsv { CFG_SSLV2, CFG_SSLV3, CFG_TLSV1, CFG_TLSV1_1, CFG_TLSV1_2,
	CFG_TLSV1_3, CFG_TLSV__COUNT };
const char *cfg_tlsv_name(enum cfg_tlsv v);

/* What one service of the config is, for the cross-check. */
struct cfg_view {
	char		*service;
	char		*address;	/* "" any */
	uint16_t	 port;		/* 0: any port of the protocol */
	char		 protocol[8];	/* "smtp", "imap", "pop3" */
	unsigned	 versions;	/* 1 << enum cfg_tlsv allowed */
	int		 tls;		/* STARTTLS offered / TLS on */
	int		 implicit;	/* implicit TLS (smtps, imaps, pop3s) */
	char		 cert_fp[65];	/* SHA-256 of its certificate, "" */
	char		*cert_file;
};

struct cfg_cert {
	char		*file;
	double		 not_after;
};

struct cfg_report {
	enum cfg_server	 server;
	char		*instance;
	char		*path;
	int		 read_ok;	/* the config was read */
	char		 method[16];	/* "postconf", "doveconf", "files" */
	char		 version[32];	/* of the server, "" unknown */
	char		*tool_error;	/* why the tool was not used, or NULL */
	struct cfg_finding *f;
	size_t		 n_f;
	struct cfg_cert	*certs;
	size_t		 n_certs;
	struct cfg_view	*views;
	size_t		 n_views;
	char		**errors;	/* read errors, "file:line: ..." */
	size_t		 n_errors;
	double		 finished;	/* wall clock */
	double		 duration_s;
};

void cfg_report_free(struct cfg_report *r);
/* Counts by severity. */
void cfg_report_counts(const struct cfg_report *r, unsigned n[CFG_SEV__COUNT]);

struct pf_conf;
struct dc_conf;
/* The judgement of a read configuration, into r (findings, certs, views). */
void cfgaudit_judge_postfix(const struct pf_conf *c, struct cfg_report *r);
void cfgaudit_judge_dovecot(const struct dc_conf *files,
    const struct dc_conf *eff, struct cfg_report *r);

/* What a cipher string really enables with this OpenSSL: a bit per class
 * (1 << (check - CK_CIPHER_NULL)), the number of suites, and a few names of
 * each class. */
struct cipher_classes {
	unsigned	 mask;
	unsigned	 n_suites;
	unsigned	 count[CK_CIPHER_SHA1 - CK_CIPHER_NULL + 1];
	char		 examples[CK_CIPHER_SHA1 - CK_CIPHER_NULL + 1][96];
	int		 valid;		/* OpenSSL accepted the string */
};
void cipher_classify(const char *list, struct cipher_classes *cc);

/* One audit run, asynchronous: the tools run as children on base, the
 * files are read, the result comes once through cb, from the loop (never
 * inside cfgaudit_start); cb owns the report, the job frees itself. */
struct cfgaudit_params {
	enum cfg_server	 server;
	const char	*instance;
	const char	*path;		/* Postfix config dir, dovecot.conf */
	const char	*tool;		/* postconf/doveconf path; NULL: the
					 * usual places; "none": files only */
	unsigned	 timeout_ms;	/* each tool run */
};
typedef void (*cfgaudit_cb)(struct cfg_report *r, void *arg);
struct cfgaudit_job;
struct cfgaudit_job *cfgaudit_start(struct event_base *base,
    const struct cfgaudit_params *p, cfgaudit_cb cb, void *arg);
void cfgaudit_cancel(struct cfgaudit_job *j);

#endif
