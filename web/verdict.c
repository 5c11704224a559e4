/* The verdict policy: what is pass, warn or fail, and the plain words
 * for it.  One place, read by the status page, the JSON API and the
 * `check` report alike. */
#include "web/verdict.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "collectors/audit.h"
#include "collectors/records.h"

#define CERT_WARN_DAYS	21

static const char *const verdict_names[] = {
	[V_NA] = "n/a",
	[V_PASS] = "pass",
	[V_PENDING] = "pending",
	[V_WARN] = "warn",
	[V_FAIL] = "fail",
};

const char *
verdict_name(enum verdict v)
{
	return (unsigned)v < ARRAY_LEN(verdict_names) ? verdict_names[v] : "?";
}

__attribute__((format(printf, 3, 4)))
static void
set(struct verdict_info *vi, enum verdict v, const char *fmt, ...)
{
	va_list ap;

	vi->v = v;
	va_start(ap, fmt);
	vsnprintf(vi->text, sizeof(vi->text), fmt, ap);
	va_end(ap);
}

/* --- plain words -------------------------------------------------------- */

/* What the protocol calls its capability command and its STARTTLS. */
static const char *
capability_command(enum protocol p)
{
	switch (p) {
	case PROTO_IMAP:
	case PROTO_IMAPS:
		return "CAPABILITY";
	case PROTO_POP3:
	case PROTO_POP3S:
		return "CAPA";
	default:
		return "EHLO";
	}
}

static const char *
starttls_command(enum protocol p)
{
	return p == PROTO_POP3 || p == PROTO_POP3S ? "STLS" : "STARTTLS";
}

static const char *
step_words(enum probe_step s, enum protocol p)
{
	switch (s) {
	case STEP_RESOLVE: return "while resolving the host name";
	case STEP_CONNECT: return "while connecting";
	case STEP_BANNER: return "while waiting for the greeting";
	case STEP_EHLO:
		return p == PROTO_IMAP || p == PROTO_IMAPS ? "at CAPABILITY" :
		    p == PROTO_POP3 || p == PROTO_POP3S ? "at CAPA" : "at EHLO";
	case STEP_STARTTLS:
		return p == PROTO_POP3 || p == PROTO_POP3S ? "at STLS" :
		    "at STARTTLS";
	case STEP_TLS_HANDSHAKE: return "in the TLS handshake";
	case STEP_QUIT: return "at QUIT";
	default: return "";
	}
}

static int
contains(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

void
failure_words(const struct endpoint_result *ep, char *out, size_t len)
{
	const struct probe_outcome *o = &ep->out;
	const char *d = o->detail, *at = step_words(o->fail_step, ep->protocol);

	switch (o->reason) {
	case REASON_DNS:
		snprintf(out, len, "the host name does not resolve%s%s%s",
		    *d ? " (" : "", d, *d ? ")" : "");
		return;
	case REASON_CONN:
		if (o->fail_step == STEP_CONNECT) {
			if (contains(d, "refused"))
				snprintf(out, len, "connection refused");
			else if (contains(d, "no route"))
				snprintf(out, len, "no route to the host");
			else if (contains(d, "unreachable"))
				snprintf(out, len, "the network is unreachable");
			else if (contains(d, "reset"))
				snprintf(out, len, "the connection was reset");
			else
				snprintf(out, len, "cannot connect%s%s%s",
				    *d ? " (" : "", d, *d ? ")" : "");
		} else if (contains(d, "reset"))
			snprintf(out, len, "the server reset the connection %s",
			    at);
		else
			snprintf(out, len, "the server closed the connection %s",
			    at);
		return;
	case REASON_TIMEOUT:
		if (o->fail_step == STEP_CONNECT)
			snprintf(out, len, "the connection timed out%s%s%s",
			    contains(d, "slot") ? " (" : "",
			    contains(d, "slot") ? d : "",
			    contains(d, "slot") ? ")" : "");
		else
			snprintf(out, len, "no answer in time %s", at);
		return;
	case REASON_PROTO:
		snprintf(out, len, "the server broke the protocol %s%s%s%s", at,
		    *d ? " (" : "", d, *d ? ")" : "");
		return;
	case REASON_RESP:
		snprintf(out, len, "the server refused %s%s%s",
		    o->fail_step == STEP_STARTTLS ?
		    starttls_command(ep->protocol) :
		    o->fail_step == STEP_EHLO ? capability_command(ep->protocol) :
		    "to go on", *d ? ": " : "", d);
		return;
	case REASON_STARTTLS_MISSING:
		snprintf(out, len, "%s is not offered (%s)",
		    starttls_command(ep->protocol),
		    capability_command(ep->protocol));
		return;
	case REASON_TLS:
		snprintf(out, len, "the TLS handshake failed%s%s%s",
		    *d ? " (" : "", d, *d ? ")" : "");
		return;
	case REASON_INTERNAL:
		snprintf(out, len, "an internal error of the exporter%s%s%s",
		    *d ? " (" : "", d, *d ? ")" : "");
		return;
	default:
		snprintf(out, len, "%s", *d ? d : "failed");
		return;
	}
}

static const char *
dns_words(enum dns_result r)
{
	switch (r) {
	case DNS_NXDOMAIN: return "the domain does not exist (NXDOMAIN)";
	case DNS_NODATA: return "no MX records";
	case DNS_SERVFAIL: return "the DNS server failed (SERVFAIL)";
	case DNS_REFUSED: return "the DNS server refused (REFUSED)";
	case DNS_TIMEOUT: return "no DNS answer in time";
	default: return "the DNS lookup failed";
	}
}

/* "mx1.example.org (192.0.2.1) port 25", or "port 25" when the host is
 * the address. */
static void
endpoint_words(const struct endpoint_result *ep, char *out, size_t len)
{
	if (ep->address[0] == '\0')
		snprintf(out, len, "%s port %u", ep->host, ep->port);
	else if (strcmp(ep->host, ep->address) == 0)
		snprintf(out, len, "%s port %u", ep->address, ep->port);
	else
		snprintf(out, len, "%s (%s) port %u", ep->host, ep->address,
		    ep->port);
}

/* --- verdicts ------------------------------------------------------------- */

static void
verdict_starttls(const struct check_result *r, struct verdict_info *vi)
{
	size_t offered = 0, missing = 0, first = 0;

	for (size_t i = 0; i < r->n_eps; i++) {
		int s = r->eps[i].out.starttls_offered;

		if (s == 1)
			offered++;
		else if (s == 0 && missing++ == 0)
			first = i;
	}
	if (missing > 0) {
		char ep[300];

		endpoint_words(&r->eps[first], ep, sizeof(ep));
		set(vi, V_FAIL, "not offered by %s%s", ep,
		    missing > 1 ? " and others" : "");
	} else if (offered == 0)
		set(vi, V_NA, "not reached");
	else if (offered < r->n_eps)
		set(vi, V_PASS, "offered (%zu of %zu endpoints reached)",
		    offered, r->n_eps);
	else
		set(vi, V_PASS, "offered");
}

static void
verdict_tls(const struct check_result *r, struct verdict_info *vi)
{
	int old[TLSV__COUNT] = { 0 }, weak[WEAK__COUNT] = { 0 };
	size_t reached = 0, audited = 0;
	const char *best = NULL;
	char list[160] = "";
	int any_old = 0, any_weak = 0;

	for (size_t i = 0; i < r->n_eps; i++) {
		const struct endpoint_result *ep = &r->eps[i];
		const struct tls_facts *t = &ep->out.tls;

		if (t->done) {
			reached++;
			if (strcmp(t->version, "TLSv1") == 0)
				old[TLSV_1_0] = any_old = 1;
			else if (strcmp(t->version, "TLSv1.1") == 0)
				old[TLSV_1_1] = any_old = 1;
			if (best == NULL || strcmp(t->version, best) < 0)
				best = t->version;
		}
		if (!ep->audit.ran)
			continue;
		audited++;
		for (int v = TLSV_1_0; v <= TLSV_1_1; v++)
			if (ep->audit.version_accepted[v] == 1)
				old[v] = any_old = 1;
		/* Anonymous and static-RSA suites are no worse than plain
		 * text for opportunistic SMTP (Postfix offers them on
		 * purpose): the target page lists them, the verdict does not
		 * count them. */
		for (int c = 0; c < WEAK__COUNT; c++)
			if (ep->audit.weak_accepted[c] == 1 && c != WEAK_ANON &&
			    c != WEAK_STATIC_RSA)
				weak[c] = any_weak = 1;
	}
	if (any_old) {
		for (int v = TLSV_1_0; v <= TLSV_1_1; v++)
			if (old[v])
				snprintf(list + strlen(list), sizeof(list) -
				    strlen(list), "%s%s", list[0] ? ", " : "",
				    tls_ver_name((enum tls_ver)v));
		set(vi, V_FAIL, "accepts %s", list);
	} else if (any_weak) {
		for (int c = 0; c < WEAK__COUNT; c++)
			if (weak[c])
				snprintf(list + strlen(list), sizeof(list) -
				    strlen(list), "%s%s", list[0] ? ", " : "",
				    weak_class_name((enum weak_class)c));
		set(vi, V_WARN, "accepts weak ciphers: %s", list);
	} else if (audited > 0)
		set(vi, V_PASS, "TLSv1.2 and newer only (audited)");
	else if (reached > 0)
		set(vi, V_NA, "%s negotiated; not audited", best);
	else
		set(vi, V_NA, "not reached");
}

static void
verdict_cert(const struct check_result *r, double now, struct verdict_info *vi,
    double *earliest)
{
	double min_days = INFINITY;
	size_t seen = 0;

	*earliest = 0;
	set(vi, V_NA, "no certificate seen");
	for (size_t i = 0; i < r->n_eps; i++) {
		const struct tls_facts *t = &r->eps[i].out.tls;
		double exp, days;

		if (!t->have_cert)
			continue;
		seen++;
		exp = t->chain_earliest_not_after > 0 &&
		    t->chain_earliest_not_after < t->not_after ?
		    t->chain_earliest_not_after : t->not_after;
		if (*earliest == 0 || exp < *earliest)
			*earliest = exp;
		days = (t->not_after - now) / 86400.0;
		if (days < min_days)
			min_days = days;
		if (vi->v == V_FAIL)
			continue;
		if (t->not_after < now)
			set(vi, V_FAIL, "expired %.0f days ago", floor(-days));
		else if (exp < now)
			set(vi, V_FAIL, "a certificate of the chain expired");
		else if (!t->verified)
			set(vi, V_FAIL, "not verified: %s", t->verify_error[0] ?
			    t->verify_error : "unknown error");
		else if (!t->hostname_match)
			set(vi, V_FAIL, "not valid for %s", r->eps[i].host);
	}
	if (seen == 0 || vi->v == V_FAIL)
		return;
	if ((*earliest - now) / 86400.0 < CERT_WARN_DAYS)
		set(vi, V_WARN, "expires in %.0f days",
		    floor((*earliest - now) / 86400.0));
	else
		set(vi, V_PASS, "valid, %.0f days left", floor(min_days));
}

void
verdict_records(const struct check *c, struct verdict_info *spf,
    struct verdict_info *dkim, struct verdict_info *dmarc)
{
	const struct records_result *rr = c->last ? c->last->records : NULL;

	if (c->cfg->kind != TARGET_DOMAIN) {
		set(spf, V_NA, "not a domain");
		set(dkim, V_NA, "not a domain");
		set(dmarc, V_NA, "not a domain");
		return;
	}
	if (rr == NULL) {
		const char *why = !c->cfg->records ? "records = off" :
		    "not fetched yet";

		set(spf, V_NA, "%s", why);
		set(dkim, V_NA, "%s", why);
		set(dmarc, V_NA, "%s", why);
		return;
	}

	/* SPF */
	if (rr->spf_lookup.done && rr->spf_lookup.result != DNS_OK &&
	    rr->spf_lookup.result != DNS_NODATA &&
	    rr->spf_lookup.result != DNS_NXDOMAIN)
		set(spf, V_WARN, "lookup failed (%s)",
		    dns_result_name(rr->spf_lookup.result));
	else if (!rr->spf_present)
		set(spf, V_FAIL, "no SPF record");
	else if (!rr->spf_valid || rr->spf_reason != NULL)
		set(spf, V_FAIL, "invalid: %s", rr->spf_message[0] ?
		    rr->spf_message : rr->spf_reason ? rr->spf_reason : "error");
	else if (rr->spf_all == SPF_QUAL_PASS)
		set(spf, V_FAIL, "+all lets anyone send");
	else if (rr->spf_all < 0 || rr->spf_all == SPF_QUAL_NEUTRAL)
		set(spf, V_WARN, "ends without -all or ~all");
	else {
		set(spf, V_PASS, "valid, ends %call",
		    spf_qualifier_char((enum spf_qualifier)rr->spf_all));
		for (size_t i = 0; i < rr->n_spf_checks; i++)
			if (rr->spf_checks[i].code != SPF_RESULT_PASS) {
				set(spf, V_FAIL, "%s does not pass (%s)",
				    rr->spf_checks[i].address,
				    spf_result_name(rr->spf_checks[i].code));
				break;
			}
	}

	/* DKIM: the configured selectors only. */
	if (rr->n_dkim == 0)
		set(dkim, V_NA, "no dkim_selectors configured");
	else {
		set(dkim, V_PASS, "%zu key%s valid", rr->n_dkim,
		    rr->n_dkim > 1 ? "s" : "");
		for (size_t i = 0; i < rr->n_dkim; i++) {
			const struct dkim_selector_result *k = &rr->dkim[i];

			if (!k->key.present)
				set(dkim, V_FAIL, "selector %s: no key",
				    k->selector);
			else if (k->key.revoked)
				set(dkim, V_FAIL, "selector %s: key revoked",
				    k->selector);
			else if (!k->key.valid)
				set(dkim, V_FAIL, "selector %s: %s", k->selector,
				    k->key.message[0] ? k->key.message :
				    k->key.reason ? k->key.reason : "invalid");
			else if (dkim->v == V_PASS && k->key.weak_key)
				set(dkim, V_WARN, "selector %s: RSA key shorter "
				    "than 2048 bits", k->selector);
			else if (dkim->v == V_PASS && k->key.testing)
				set(dkim, V_WARN, "selector %s: testing mode (t=y)",
				    k->selector);
			if (dkim->v == V_FAIL)
				break;
		}
	}

	/* DMARC */
	{
		const struct dmarc_record *d = &rr->dmarc;

		if (rr->dmarc_lookup.done && rr->dmarc_lookup.result != DNS_OK &&
		    rr->dmarc_lookup.result != DNS_NODATA &&
		    rr->dmarc_lookup.result != DNS_NXDOMAIN && !d->present)
			set(dmarc, V_WARN, "lookup failed (%s)",
			    dns_result_name(rr->dmarc_lookup.result));
		else if (!d->present)
			set(dmarc, V_FAIL, "no DMARC record");
		else if (!d->valid)
			set(dmarc, V_FAIL, "invalid: %s", d->message[0] ?
			    d->message : d->reason ? d->reason : "error");
		else if (d->policy == DMARC_POLICY_NONE)
			set(dmarc, V_WARN, "p=none: monitoring only");
		else if (d->pct < 100)
			set(dmarc, V_WARN, "p=%s on %u%% of mail",
			    dmarc_policy_name(d->policy), d->pct);
		else
			set(dmarc, V_PASS, "p=%s", dmarc_policy_name(d->policy));
	}
}

static enum verdict
worst(enum verdict a, enum verdict b)
{
	return a > b ? a : b;
}

void
target_view_make(const struct check *c, double now, struct target_view *v)
{
	const struct check_result *r = c->last;
	const struct verdict_info *cols[6];
	size_t failed = 0, first = 0;

	memset(v, 0, sizeof(*v));
	v->c = c;
	if (r == NULL) {
		v->overall = V_PENDING;
		set(&v->starttls, V_PENDING, "not run yet");
		v->tls = v->cert = v->spf = v->dkim = v->dmarc = v->starttls;
		snprintf(v->reason, sizeof(v->reason), "not checked yet");
		return;
	}
	verdict_starttls(r, &v->starttls);
	verdict_tls(r, &v->tls);
	verdict_cert(r, now, &v->cert, &v->cert_expiry);
	verdict_records(c, &v->spf, &v->dkim, &v->dmarc);
	cols[0] = &v->starttls;
	cols[1] = &v->tls;
	cols[2] = &v->cert;
	cols[3] = &v->spf;
	cols[4] = &v->dkim;
	cols[5] = &v->dmarc;
	v->overall = r->success ? V_PASS : V_FAIL;
	for (size_t i = 0; i < ARRAY_LEN(cols); i++)
		v->overall = worst(v->overall, cols[i]->v);

	for (size_t i = 0; i < r->n_eps; i++)
		if (!r->eps[i].out.success && failed++ == 0)
			first = i;
	if (c->cfg->kind == TARGET_DOMAIN && r->mx_result != DNS_OK &&
	    !r->implicit_mx)
		snprintf(v->reason, sizeof(v->reason), "MX lookup: %s",
		    dns_words(r->mx_result));
	else if (failed > 0) {
		const struct endpoint_result *ep = &r->eps[first];
		char words[300], where[300];

		failure_words(ep, words, sizeof(words));
		if (c->cfg->kind == TARGET_ENDPOINT && r->n_eps == 1)
			snprintf(v->reason, sizeof(v->reason), "%s", words);
		else {
			endpoint_words(ep, where, sizeof(where));
			snprintf(v->reason, sizeof(v->reason), "%s: %s%s",
			    where, words, failed > 1 ? " (and more)" : "");
		}
	} else if (v->overall >= V_WARN) {
		static const char *const names[] = { "STARTTLS", "TLS",
		    "certificate", "SPF", "DKIM", "DMARC" };

		for (enum verdict want = V_FAIL; want >= V_WARN; want--)
			for (size_t i = 0; i < ARRAY_LEN(cols); i++)
				if (cols[i]->v == want && v->reason[0] == '\0')
					snprintf(v->reason, sizeof(v->reason),
					    "%s: %s", names[i], cols[i]->text);
	} else if (r->null_mx)
		snprintf(v->reason, sizeof(v->reason), "null MX: the domain "
		    "takes no mail");
}
