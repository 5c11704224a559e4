#include "web/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "collectors/audit.h"
#include "collectors/rating.h"
#include "collectors/records.h"
#include "web/verdict.h"

#define LABEL_WIDTH	12	/* "Certificate" and a blank */

/* Where a line of the report goes. */
enum scope {
	SCOPE_HEAD,		/* under the domain's name, before its hosts */
	SCOPE_ENDPOINT,		/* under each endpoint */
	SCOPE_RECORDS,		/* under the domain, after its hosts */
};

/* What a section's verdict is computed from. */
struct line_ctx {
	const struct published_target *t;
	const struct check_result *r;
	size_t		 ep;		/* SCOPE_ENDPOINT: the endpoint */
	double		 now;
};

/* Fills vi (and facts, a line of plain facts under the verdict, or "");
 * returns 0 when the section has nothing to say here (left out). */
typedef int (*section_fn)(const struct line_ctx *lc, struct verdict_info *vi,
    char *facts, size_t flen);

struct section {
	const char	*label;
	enum scope	 scope;
	section_fn	 fn;
};

/* --- facts, in plain words -------------------------------------------------- */

static int
is_domain(const struct line_ctx *lc)
{
	return lc->t->cfg->kind == TARGET_DOMAIN;
}

static const struct endpoint_result *
lc_ep(const struct line_ctx *lc)
{
	return &lc->r->eps[lc->ep];
}

/* Implicit TLS: no STARTTLS to offer.  No default: a new protocol must
 * be placed. */
static int
implicit_tls(enum protocol p)
{
	switch (p) {
	case PROTO_SMTPS:
	case PROTO_IMAPS:
	case PROTO_POP3S:
		return 1;
	case PROTO_SMTP:
	case PROTO_SUBMISSION:
	case PROTO_IMAP:
	case PROTO_POP3:
	case PROTO__COUNT:
		break;
	}
	return 0;
}

__attribute__((format(printf, 3, 4)))
static void
append(char *out, size_t len, const char *fmt, ...)
{
	size_t n = strlen(out);
	va_list ap;

	if (n >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(out + n, len - n, fmt, ap);
	va_end(ap);
}

static void
tls_facts_words(const struct endpoint_result *ep, char *out, size_t len)
{
	const struct tls_facts *t = &ep->out->tls;
	const struct tls_audit *a = endpoint_audit(ep);
	int weak = 0;

	out[0] = '\0';
	if (t->done)
		append(out, len, "negotiated %s %s%s%s%s", t->version,
		    t->cipher, t->kex_group[0] ? " (" : "", t->kex_group,
		    t->kex_group[0] ? ")" : "");
	if (!a->ran)
		return;
	for (int want = 1; want >= 0; want--) {
		int first = 1;

		for (int v = 0; v < TLSV__COUNT; v++) {
			if (a->version_accepted[v] != want)
				continue;
			append(out, len, "%s%s", first ? (want ? "; accepts " :
			    "; refuses ") : ", ", tls_ver_name((enum tls_ver)v));
			first = 0;
		}
	}
	for (int c = 0; c < WEAK__COUNT; c++)
		if (a->weak_accepted[c] == 1)
			append(out, len, "%s%s", weak++ ? ", " :
			    "; weak suites accepted: ",
			    weak_class_name((enum weak_class)c));
	if (weak == 0)
		append(out, len, "; no weak suites");
}

static void
cert_facts_words(const struct endpoint_result *ep, double now, char *out,
    size_t len)
{
	const struct tls_facts *t = &ep->out->tls;
	time_t exp = (time_t)t->not_after;
	double days = (t->not_after - now) / 86400.0;
	char date[32] = "?";
	struct tm tm;

	if (gmtime_r(&exp, &tm) != NULL)
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	out[0] = '\0';
	append(out, len, "%s, issued by %s; ", t->subject, t->issuer);
	/* whole days, as the verdict counts them */
	if (days >= 0)
		append(out, len, "expires %s (%.0f days); ", date, floor(days));
	else
		append(out, len, "expired %s (%.0f days ago); ", date,
		    floor(-days));
	append(out, len, "chain of %u, %s%s; ", t->chain_len,
	    t->verified ? "verified" : "not verified: ",
	    t->verified ? "" : t->verify_error);
	append(out, len, "%s %s; ", t->hostname_match ? "valid for" :
	    "not valid for", ep->host);
	append(out, len, "%s %d bits, %s%s%s", t->key_type, t->key_bits,
	    t->sig_alg, t->sig_weak ? " (weak)" : "",
	    t->self_signed ? ", self-signed" : "");
}

/* --- the sections ------------------------------------------------------ */

static int
sec_mx(const struct line_ctx *lc, struct verdict_info *vi, char *facts,
    size_t flen)
{
	(void)facts;
	(void)flen;
	if (!is_domain(lc))
		return 0;
	verdict_mx(lc->r, vi);
	return 1;
}

static int
sec_connection(const struct line_ctx *lc, struct verdict_info *vi,
    char *facts, size_t flen)
{
	(void)facts;
	(void)flen;
	verdict_connection(lc->r, lc->ep, vi);
	return 1;
}

static int
sec_starttls(const struct line_ctx *lc, struct verdict_info *vi,
    char *facts, size_t flen)
{
	const struct endpoint_result *ep = lc_ep(lc);
	struct verdict_info tls, cert;

	(void)facts;
	(void)flen;
	if (implicit_tls(ep->protocol) || ep->out->starttls_offered == -1)
		return 0;
	verdict_endpoint(lc->r, lc->ep, lc->now, vi, &tls, &cert);
	return 1;
}

static int
sec_tls(const struct line_ctx *lc, struct verdict_info *vi, char *facts,
    size_t flen)
{
	const struct endpoint_result *ep = lc_ep(lc);
	struct verdict_info starttls, cert;

	if (!ep->out->tls.done && !endpoint_audit(ep)->ran)
		return 0;
	verdict_endpoint(lc->r, lc->ep, lc->now, &starttls, vi, &cert);
	tls_facts_words(ep, facts, flen);
	return 1;
}

static int
sec_cert(const struct line_ctx *lc, struct verdict_info *vi, char *facts,
    size_t flen)
{
	const struct endpoint_result *ep = lc_ep(lc);
	struct verdict_info starttls, tls;

	if (!ep->out->tls.have_cert)
		return 0;
	verdict_endpoint(lc->r, lc->ep, lc->now, &starttls, &tls, vi);
	cert_facts_words(ep, lc->now, facts, flen);
	return 1;
}

static int
sec_dane(const struct line_ctx *lc, struct verdict_info *vi, char *facts,
    size_t flen)
{
	const struct endpoint_result *ep = lc_ep(lc);
	const struct dane_port *p = danelookup_port(check_result_dane(lc->r,
	    ep->host), ep->port);
	const struct dane_facts *f = tls_dane(&ep->out->tls);
	size_t o = 0;

	if (p == NULL)
		return 0;
	verdict_dane_endpoint(lc->r, lc->ep, vi);
	facts[0] = '\0';
	for (unsigned k = 0; f->checked && k < f->tally.n && o + 1 < flen; k++) {
		const struct dane_tally_row *t = &f->tally.rows[k];
		int n = snprintf(facts + o, flen - o, "%s%ux %u %u %u %s",
		    k ? ", " : "", t->count, t->usage, t->selector, t->mtype,
		    dane_match_name((enum dane_match)t->match));

		if (n < 0 || (size_t)n >= flen - o)
			break;
		o += (size_t)n;
	}
	return 1;
}

/* The NCSC-NL class of every check of the endpoint (audited endpoints). */
static int
sec_rating(const struct line_ctx *lc, struct verdict_info *vi, char *facts,
    size_t flen)
{
	const struct endpoint_result *ep = lc_ep(lc);
	struct endpoint_rating r;

	if (!endpoint_audit(ep)->ran)
		return 0;
	verdict_rating(ep, 1, vi);
	rating_endpoint(&ep->out->tls, endpoint_audit(ep), &r);
	facts[0] = '\0';
	for (int c = 0; c < RATE__COUNT; c++)
		if (r.check[c].cls != TLS_CLASS_UNKNOWN)
			append(facts, flen, "%s%s %s", facts[0] ? ", " : "",
			    rating_check_name((enum rating_check)c),
			    tls_class_words(r.check[c].cls));
	return 1;
}

/* The record sections: which of verdict_records()'s three. */
enum record_kind { REC_SPF, REC_DKIM, REC_DMARC };

static int
record_line(const struct line_ctx *lc, enum record_kind k,
    struct verdict_info *vi, char *facts, size_t flen)
{
	const struct records_result *rr = lc->r->records;
	struct verdict_info v[3];
	const char *raw = NULL;

	if (!is_domain(lc))
		return 0;
	verdict_records(lc->r, &v[REC_SPF], &v[REC_DKIM], &v[REC_DMARC]);
	*vi = v[k];
	if (rr != NULL)
		raw = k == REC_SPF ? rr->spf_raw : k == REC_DMARC ?
		    rr->dmarc_raw : NULL;
	if (raw != NULL)
		snprintf(facts, flen, "\"%s\"", raw);
	return 1;
}

static int
sec_spf(const struct line_ctx *lc, struct verdict_info *vi, char *facts,
    size_t flen)
{
	return record_line(lc, REC_SPF, vi, facts, flen);
}

static int
sec_dkim(const struct line_ctx *lc, struct verdict_info *vi, char *facts,
    size_t flen)
{
	return record_line(lc, REC_DKIM, vi, facts, flen);
}

static int
sec_dmarc(const struct line_ctx *lc, struct verdict_info *vi, char *facts,
    size_t flen)
{
	return record_line(lc, REC_DMARC, vi, facts, flen);
}

static int
sec_mta_sts(const struct line_ctx *lc, struct verdict_info *vi, char *facts,
    size_t flen)
{
	const struct mtasts_result *m = lc->r->mtasts;

	if (!is_domain(lc) || m == NULL || !m->sts_checked)
		return 0;
	verdict_mta_sts(lc->r, lc->now, vi);
	if (m->record_raw != NULL)
		snprintf(facts, flen, "\"%s\"", m->record_raw);
	return 1;
}

static int
sec_mx_hygiene(const struct line_ctx *lc, struct verdict_info *vi,
    char *facts, size_t flen)
{
	if (!is_domain(lc) || lc->r->mxhyg == NULL)
		return 0;
	verdict_mx_hygiene(lc->r, vi);
	(void)facts;
	(void)flen;
	return 1;
}

/* In the order a person reads them.  DANE (per endpoint) is one entry
 * when that check exists. */
static const struct section sections[] = {
	{ "MX", SCOPE_HEAD, sec_mx },
	{ "Connection", SCOPE_ENDPOINT, sec_connection },
	{ "STARTTLS", SCOPE_ENDPOINT, sec_starttls },
	{ "TLS", SCOPE_ENDPOINT, sec_tls },
	{ "Certificate", SCOPE_ENDPOINT, sec_cert },
	{ "DANE", SCOPE_ENDPOINT, sec_dane },
	{ "TLS rating", SCOPE_ENDPOINT, sec_rating },
	{ "SPF", SCOPE_RECORDS, sec_spf },
	{ "DKIM", SCOPE_RECORDS, sec_dkim },
	{ "DMARC", SCOPE_RECORDS, sec_dmarc },
	{ "MTA-STS", SCOPE_RECORDS, sec_mta_sts },
	{ "MX hygiene", SCOPE_RECORDS, sec_mx_hygiene },
};

/* --- rendering ---------------------------------------------------------- */

#define ANSI_RESET	"\033[0m"
#define ANSI_BOLD	"\033[1m"
#define ANSI_DIM	"\033[2m"

static const char *const verdict_colour[] = {
	[V_NA] = ANSI_DIM,
	[V_PASS] = "\033[32m",		/* green */
	[V_PENDING] = "\033[34m",	/* blue */
	[V_WARN] = "\033[33m",		/* yellow */
	[V_FAIL] = "\033[1;31m",	/* bold red */
};

int
report_colour_wanted(int stdout_is_tty, const char *no_color)
{
	return stdout_is_tty && (no_color == NULL || no_color[0] == '\0');
}

static void
put_styled(struct buf *b, const struct report_opts *o, const char *style,
    const char *text)
{
	if (o->colour)
		buf_printf(b, "%s%s%s", style, text, ANSI_RESET);
	else
		buf_puts(b, text);
}

/* "  Label        word  text", its facts and its advice under it. */
static void
put_line(struct buf *b, const struct report_opts *o, unsigned indent,
    const char *label, const struct verdict_info *vi, const char *facts,
    const char *advice)
{
	const char *word = verdict_name(vi->v);

	buf_printf(b, "%*s%-*s ", (int)indent, "", LABEL_WIDTH, label);
	put_styled(b, o, verdict_colour[vi->v], word);
	buf_printf(b, "%*s  %s\n", (int)(4 - strlen(word)), "", vi->text);
	if (facts[0]) {
		buf_printf(b, "%*s", (int)(indent + LABEL_WIDTH + 7), "");
		put_styled(b, o, ANSI_DIM, facts);
		buf_putc(b, '\n');
	}
	if (advice[0]) {
		/* n/a: nothing is wrong, the check could say more */
		buf_printf(b, "%*s", (int)(indent + LABEL_WIDTH + 1), "");
		put_styled(b, o, ANSI_BOLD, vi->v == V_NA ? "tip:" : "fix:");
		buf_printf(b, "  %s\n", advice);
	}
}

static void
put_scope(struct buf *b, const struct report_opts *o, const struct line_ctx *lc,
    enum scope scope, unsigned indent)
{
	const char *domain = is_domain(lc) ? lc->t->cfg->name : NULL;
	const char *host = NULL;
	unsigned port = 0;
	char facts[1024], advice[512];
	struct verdict_info vi;

	if (scope == SCOPE_ENDPOINT) {
		host = lc_ep(lc)->host;
		port = lc_ep(lc)->port;
	}
	for (size_t i = 0; i < ARRAY_LEN(sections); i++) {
		if (sections[i].scope != scope)
			continue;
		facts[0] = '\0';
		memset(&vi, 0, sizeof(vi));
		if (!sections[i].fn(lc, &vi, facts, sizeof(facts)))
			continue;
		advice[0] = '\0';
		if (vi.v >= V_WARN || vi.v == V_NA)
			verdict_advice(&vi, domain, host, port, advice,
			    sizeof(advice));
		put_line(b, o, indent, sections[i].label, &vi, facts, advice);
	}
}

static void
put_target(struct buf *b, const struct report_opts *o,
    const struct published_target *t, double now)
{
	const struct check_result *r = t->result;
	struct line_ctx lc = { .t = t, .r = r, .now = now };
	struct target_view tv;
	char where[320];

	target_view_make(t, now, &tv);
	if (o->colour)
		buf_printf(b, "%s%s%s: ", ANSI_BOLD, t->key, ANSI_RESET);
	else
		buf_printf(b, "%s: ", t->key);
	put_styled(b, o, verdict_colour[tv.overall], verdict_name(tv.overall));
	buf_putc(b, '\n');
	if (r == NULL) {
		buf_puts(b, "  not checked\n");
		return;
	}
	put_scope(b, o, &lc, SCOPE_HEAD, 2);
	for (size_t i = 0; i < r->n_eps; i++) {
		const struct endpoint_result *ep = &r->eps[i];

		lc.ep = i;
		endpoint_words(ep, where, sizeof(where));
		buf_printf(b, "  %s, %s\n", where, protocol_name(ep->protocol));
		put_scope(b, o, &lc, SCOPE_ENDPOINT, 4);
	}
	/* A domain that does not exist has no records either: said once. */
	if (!(is_domain(&lc) && r->mx_result == DNS_NXDOMAIN))
		put_scope(b, o, &lc, SCOPE_RECORDS, 2);
}

void
report_render(const struct published_target *ts, size_t n, double now,
    const struct report_opts *o, struct buf *out)
{
	size_t count[V_FAIL + 1] = { 0 };
	struct target_view tv;

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(out, '\n');
		put_target(out, o, &ts[i], now);
		target_view_make(&ts[i], now, &tv);
		count[tv.overall]++;
	}
	buf_printf(out, "\n%zu target%s: %zu pass, %zu warn, %zu fail", n,
	    n == 1 ? "" : "s", count[V_PASS] + count[V_NA], count[V_WARN],
	    count[V_FAIL]);
	if (count[V_PENDING] > 0)
		buf_printf(out, ", %zu not checked", count[V_PENDING]);
	buf_putc(out, '\n');
}

/* Nothing could be learnt about the target: its first lookup found no
 * usable answer (an NXDOMAIN is an answer). */
static int
unchecked(const struct published_target *t)
{
	const struct check_result *r = t->result;

	if (r == NULL || r->timed_out)
		return 1;
	if (t->cfg->kind == TARGET_DOMAIN)
		return r->n_eps == 0 && !r->implicit_mx &&
		    (r->mx_result == DNS_SERVFAIL ||
		    r->mx_result == DNS_REFUSED ||
		    r->mx_result == DNS_TIMEOUT || r->mx_result == DNS_ERROR);
	return r->n_eps > 0 && r->eps[0].out->reason == REASON_DNS &&
	    r->eps[0].address[0] == '\0';
}

enum report_exit
report_exit_status(const struct published_target *ts, size_t n, int ready,
    double now)
{
	enum verdict worst = V_NA;
	size_t not_checked = 0;
	struct target_view tv;

	if (!ready || n == 0)
		return REPORT_UNCHECKED;
	for (size_t i = 0; i < n; i++) {
		not_checked += unchecked(&ts[i]);
		target_view_make(&ts[i], now, &tv);
		if (tv.overall > worst)
			worst = tv.overall;
	}
	if (not_checked == n)
		return REPORT_UNCHECKED;
	return worst == V_FAIL || worst == V_PENDING ? REPORT_FAIL :
	    worst == V_WARN ? REPORT_WARN : REPORT_PASS;
}
