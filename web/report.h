/* The `check` command's report: what a person reads in a terminal after
 * one round of every check.  Grouped as a person reads it: a domain's MX,
 * then per endpoint the connection, STARTTLS, TLS (the audit) and the
 * certificate, then the domain's records (SPF, DKIM, DMARC).  Every line
 * is a verdict word from web/verdict.c with its reason, and under a warn
 * or fail the advice of its finding.  The sections are one table: a new
 * check (DANE, MTA-STS) is one entry. */
#ifndef MAILSEC_REPORT_H
#define MAILSEC_REPORT_H

#include "daemon/publish.h"
#include "base/util.h"

struct report_opts {
	int	 colour;	/* ANSI colours on the verdict words */
};

/* Exit status of `check`. */
enum report_exit {
	REPORT_PASS = 0,	/* every verdict pass (or n/a) */
	REPORT_WARN = 1,	/* warnings, no failure */
	REPORT_FAIL = 2,	/* at least one failure */
	REPORT_UNCHECKED = 3,	/* could not check: bad arguments, no resolver,
				 * every lookup failed, interrupted */
};

/* Colours when standard output is a terminal and NO_COLOR (the
 * environment's value, or NULL) is unset or empty. */
int report_colour_wanted(int stdout_is_tty, const char *no_color);

/* The report of the published targets ts (in the order given), each
 * from its last result (web/results.h). */
void report_render(const struct published_target *ts, size_t n, double now,
    const struct report_opts *o, struct buf *out);

/* The exit status: ready is 0 when the round was cut short. */
enum report_exit report_exit_status(const struct published_target *ts,
    size_t n, int ready, double now);

#endif
