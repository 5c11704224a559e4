/* Dovecot configuration as Dovecot reads it: "key = value", quoted values,
 * "<file" values, sections ("protocol imap {", "local 192.0.2.1 {",
 * "service imap-login {" ...), "!include" and "!include_try" with globs
 * relative to the including file, conf.d.  Or the output of
 * `doveconf -c FILE -n`, which is the same syntax.  Hostile input: sizes,
 * depth and file counts are bounded, an include loop is an error, and
 * every problem is reported with its file:line. */
#ifndef MAILSEC_DOVECONF_H
#define MAILSEC_DOVECONF_H

#include <stddef.h>

#include "base/util.h"

#define DC_FILE_MAX	(4u * 1024 * 1024)
#define DC_TOTAL_MAX	(16u * 1024 * 1024)	/* all files of one config */
#define DC_LINE_MAX	(64u * 1024)
#define DC_SETTINGS_MAX	8192
#define DC_FILES_MAX	256
#define DC_INCLUDE_DEPTH 16
#define DC_BLOCK_DEPTH	16
#define DC_ERRORS_MAX	64

struct dc_setting {
	char		*key;
	char		*value;		/* unquoted; "<file" keeps its '<' */
	char		*block;		/* "" top level; "protocol imap",
					 * "local 127.0.0.1/protocol imap",
					 * "service imap-login/inet_listener imaps" */
	const char	*file;		/* one of dc_conf.files */
	unsigned	 line;
};

struct dc_conf {
	struct dc_setting *s;		/* in file order */
	size_t		 n_s;
	char		**files;	/* every file read, for file:line */
	size_t		 n_files;
	size_t		 total;		/* bytes read */
	int		 no_includes;	/* fuzzing: ignore !include */
	char		 version[32];	/* from doveconf's first line */
	struct errlist	 errs;		/* "file:line: message" */
	/* the include stack (real paths), for loops */
	char		*stack[DC_INCLUDE_DEPTH + 1];
	unsigned	 depth;
};

void dc_conf_init(struct dc_conf *c);
void dc_conf_free(struct dc_conf *c);
/* Reads path and what it includes; returns the errors added.  A missing
 * or unreadable top file is an error. */
size_t dc_parse_file(struct dc_conf *c, const char *path);
/* The same from memory; name gives file:line and the directory includes
 * are relative to. */
size_t dc_parse_mem(struct dc_conf *c, const char *name, const char *data,
    size_t len);

/* The setting key in exactly block (""), the last one set; or NULL. */
const struct dc_setting *dc_get(const struct dc_conf *c, const char *key,
    const char *block);
/* The value that applies to a connection of protocol (may be NULL) to the
 * local address local (may be NULL): the most specific filter block that
 * sets key, else the top level; NULL if unset anywhere that applies. */
const struct dc_setting *dc_effective(const struct dc_conf *c,
    const char *key, const char *protocol, const char *local);
/* 1 if block is a filter block (protocol, local, remote, nested) or "". */
int dc_is_filter_block(const char *block);

#endif
