/* `mailsec_exporter check DOMAIN|HOST[:PORT]...`: every check once, with
 * no config file, and a report for people (web/report.c) or the JSON API's
 * document (--json).  The exit status is enum report_exit. */
#ifndef MAILSEC_CHECK_H
#define MAILSEC_CHECK_H

#include "daemon/config.h"
#include "base/util.h"

/* argv[0] is "check". */
int check_main(int argc, char **argv);

/* The config the arguments stand for, as config text (the config's own
 * parser then validates it: one set of rules).  Each line's origin (an
 * option and its value, or a target) goes in origins[line - 1], allocated;
 * -1 with *why (and the argument in *bad) if an argument cannot be put in
 * a config at all. */
struct check_args {
	const char	*resolvers[MAX_RESOLVERS];
	size_t		 n_resolvers;
	const char	*ca_file;
	const char	*trust_anchor;	/* dnssec_trust_anchor_file */
	const char	*dnssec_forwarder;
	const char	*selectors[MAX_SELECTORS];
	size_t		 n_selectors;
	const char	*timeout;
	const char	*log_level;
	char *const	*targets;
	size_t		 n_targets;
};

int check_config_text(const struct check_args *a, struct buf *out,
    char ***origins, size_t *n_origins, const char **bad, const char **why);

#endif
