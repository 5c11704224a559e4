/* The verdict policy: every target gets a verdict per check, pass / warn
 * / fail (n/a where it does not apply), and the worst is its own.  The
 * status page, the JSON API and the `check` report all read it here. */
#ifndef MAILSEC_VERDICT_H
#define MAILSEC_VERDICT_H

#include "daemon/ctx.h"
#include "daemon/sched.h"
#include "daemon/util.h"

/* In order of severity: the worst of a target's is its verdict. */
enum verdict {
	V_NA,		/* does not apply, or nothing learnt */
	V_PASS,
	V_PENDING,	/* not run yet */
	V_WARN,
	V_FAIL,
};

const char *verdict_name(enum verdict v);

struct verdict_info {
	enum verdict	 v;
	char		 text[200];	/* plain words */
};

/* Everything a row shows, computed from a check's last result. */
struct target_view {
	const struct check *c;
	enum verdict	 overall;
	struct verdict_info starttls, tls, cert, spf, dkim, dmarc;
	char		 reason[640];	/* the first trouble, in plain words */
	double		 cert_expiry;	/* earliest certificate expiry, 0: none */
};

void target_view_make(const struct check *c, double now,
    struct target_view *v);
/* SPF, DKIM and DMARC of a domain's last result (n/a for endpoints, and
 * while records are off or not fetched). */
void verdict_records(const struct check *c, struct verdict_info *spf,
    struct verdict_info *dkim, struct verdict_info *dmarc);
/* A failed probe in plain words ("connection refused", "STARTTLS is not
 * offered (EHLO)"). */
void failure_words(const struct endpoint_result *ep, char *out, size_t len);

#endif
