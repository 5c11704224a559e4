/* Postfix configuration: main.cf and master.cf as Postfix reads them
 * (comments, continuation lines, "$name"/"${name}"/"$(name)" expansion with
 * the conditional forms, loop detection, the built-in defaults of the
 * parameters we judge), or the output of `postconf -x` and `postconf -P -x`
 * when Postfix's own tool is there.  Everything in the files is hostile:
 * sizes and lengths are bounded and every problem is an error with its
 * file:line; parsing goes on after an error. */
#ifndef MAILSEC_POSTCONF_H
#define MAILSEC_POSTCONF_H

#include <stddef.h>

#include "base/util.h"

#define PF_FILE_MAX	(4u * 1024 * 1024)	/* main.cf, master.cf */
#define PF_LINE_MAX	(64u * 1024)		/* one logical line */
#define PF_PARAMS_MAX	4096
#define PF_SERVICES_MAX	512
#define PF_OVERRIDES_MAX 64
#define PF_EXPAND_MAX	(64u * 1024)		/* an expanded value */
#define PF_EXPAND_DEPTH	32
#define PF_ERRORS_MAX	64

struct pf_param {
	char		*name;
	char		*value;		/* as written (main.cf, -o) */
	unsigned	 line;		/* 0: from postconf output */
};

struct pf_service {
	char		*name;		/* "smtp", "submission", "127.0.0.1:25" */
	char		*type;		/* "inet", "unix", ... */
	char		*command;	/* "smtpd", "smtp", ... */
	unsigned	 line;
	struct pf_param	*o;		/* -o overrides, in order */
	size_t		 n_o;
};

struct pf_conf {
	char		*main_file;	/* paths, for file:line */
	char		*master_file;
	struct pf_param	*p;		/* main.cf; a later one wins */
	size_t		 n_p;
	struct pf_service *s;
	size_t		 n_s;
	int		 have_master;	/* master.cf was read */
	/* From `postconf -c DIR -x` (every parameter, expanded): when set, it
	 * gives the values; the files give only the lines. */
	struct pf_param	*eff;
	size_t		 n_eff;
	int		 use_eff;
	char		 version[32];	/* mail_version, "" if unknown */
	struct errlist	 errs;		/* "file:line: message" */
};

void pf_conf_init(struct pf_conf *c, const char *main_file,
    const char *master_file);
void pf_conf_free(struct pf_conf *c);

/* Parsers of one file's bytes (need not be NUL-terminated; may hold NUL).
 * Return the number of errors added. */
size_t pf_parse_main(struct pf_conf *c, const char *data, size_t len);
size_t pf_parse_master(struct pf_conf *c, const char *data, size_t len);
/* `postconf -x` output ("name = value" lines) into c->eff; `postconf -P -x`
 * ("service/type/name = value") into the services' overrides (values
 * replaced, lines kept).  -1 with *why when the output is not postconf's. */
int pf_parse_postconf(struct pf_conf *c, const char *data, size_t len,
    const char **why);
int pf_parse_postconf_P(struct pf_conf *c, const char *data, size_t len,
    const char **why);
/* The default master.cf services, when there is no master.cf. */
void pf_default_services(struct pf_conf *c);

/* Where a parameter's value comes from for a service (NULL: main.cf). */
struct pf_where {
	const char	*file;		/* main_file, master_file, or NULL */
	unsigned	 line;		/* 0: not set, the default applies */
	int		 is_override;
};

/* The effective value of name for svc (NULL: the main.cf level), expanded,
 * into out; where says what set it.  -1 with an error message in out when
 * the expansion loops or grows too large. */
int pf_value(const struct pf_conf *c, const struct pf_service *svc,
    const char *name, struct buf *out, struct pf_where *where);
/* The built-in default of a parameter we judge, or NULL. */
const char *pf_default(const char *name);
/* A yes/no parameter: 1, 0, or -1 when neither. */
int pf_bool(const char *v);

#endif
