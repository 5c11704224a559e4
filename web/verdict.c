/* The verdict policy: what is pass, warn or fail, and the plain words
 * for it.  One place, read by the status page, the JSON API and the
 * `check` report alike. */
#include "web/verdict.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "collectors/audit.h"
#include "collectors/rating.h"
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
rate(struct verdict_info *vi, enum verdict v, const char *fmt, ...)
{
	va_list ap;

	vi->v = v;
	vi->why = FIND_NONE;
	vi->about = NULL;
	va_start(ap, fmt);
	vsnprintf(vi->text, sizeof(vi->text), fmt, ap);
	va_end(ap);
}

/* rate() for a verdict with a finding: what is wrong, as a class, and what
 * it is about (a DKIM selector, an address) when the domain or the
 * endpoint does not say. */
__attribute__((format(printf, 5, 6)))
static void
flag(struct verdict_info *vi, enum verdict v, enum finding why,
    const char *about, const char *fmt, ...)
{
	va_list ap;

	vi->v = v;
	vi->why = why;
	vi->about = about;
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

/* A failed connect() in words, by its cause (NULL: "cannot connect"). */
static const char *const connect_words[CAUSE__COUNT] = {
	[CAUSE_REFUSED] = "connection refused",
	[CAUSE_NO_ROUTE] = "no route to the host",
	[CAUSE_NET_UNREACHABLE] = "the network is unreachable",
	[CAUSE_RESET] = "the connection was reset",
	[CAUSE_TIMEOUT] = "the connection timed out",
};

/* Why a host name gave no address, in words (NULL: the reason's words). */
static const char *const resolve_words[CAUSE__COUNT] = {
	[CAUSE_NXDOMAIN] = "the host name does not exist (NXDOMAIN)",
	[CAUSE_NO_ADDRESS] = "the host name has no address (no A or AAAA "
	    "record)",
	[CAUSE_SERVFAIL] = "the DNS server failed the host name's lookup "
	    "(SERVFAIL)",
	[CAUSE_DNS_REFUSED] = "the DNS server refused the host name's lookup "
	    "(REFUSED)",
	[CAUSE_DNS_TIMEOUT] = "no DNS answer in time for the host name",
	[CAUSE_DNS_ERROR] = "the DNS lookup of the host name failed",
	[CAUSE_DNS_BUDGET] = "the host name was not looked up: the domain's "
	    "DNS budget is spent",
};

/* What a TLS alert means, by who sent it (NULL: its name says it); the
 * codes are RFC 8446's, as OpenSSL names them. */
static const char *
alert_words(int alert, int sent_by_us)
{
	switch (alert) {
	case SSL_AD_HANDSHAKE_FAILURE:
		return sent_by_us ? "the server chose what the exporter does "
		    "not offer" : "no cipher, version or key exchange in common";
	case SSL_AD_PROTOCOL_VERSION:
		return sent_by_us ? "the server chose a TLS version the "
		    "exporter does not offer" : "no TLS version in common";
	case SSL_AD_INSUFFICIENT_SECURITY:
		return "the server wants stronger ciphers than offered";
	case SSL_AD_UNRECOGNIZED_NAME:
		return "the server does not know the name sent (SNI)";
	case SSL_AD_CERTIFICATE_REQUIRED:
		return "the server wants a client certificate";
	case SSL_AD_INTERNAL_ERROR:
		return sent_by_us ? NULL : "an error inside the server";
	case SSL_AD_ILLEGAL_PARAMETER:
	case SSL_AD_DECODE_ERROR:
		return sent_by_us ? "the server's handshake was malformed" :
		    "the server found the handshake malformed";
	case SSL_AD_UNEXPECTED_MESSAGE:
		return sent_by_us ? "the server sent a message out of order" :
		    NULL;
	default:
		return NULL;
	}
}

static void
tls_failure_words(const struct probe_outcome *o, const char *at, char *out,
    size_t len)
{
	const char *d = o->detail, *w;

	switch (o->cause) {
	case CAUSE_ALERT_RECEIVED:
	case CAUSE_ALERT_SENT:
		w = alert_words(o->tls_alert, o->cause == CAUSE_ALERT_SENT);
		snprintf(out, len, "the %s ended %s%s with the alert %s%s%s%s",
		    o->cause == CAUSE_ALERT_SENT ? "exporter" : "server",
		    o->fail_step == STEP_TLS_HANDSHAKE ? "the TLS handshake" :
		    "TLS ", o->fail_step == STEP_TLS_HANDSHAKE ? "" : at,
		    tls_alert_name(o->tls_alert), w ? " (" : "", w ? w : "",
		    w ? ")" : "");
		return;
	case CAUSE_NOT_TLS:
		if (o->fail_step == STEP_TLS_HANDSHAKE)
			snprintf(out, len, "the server answered the TLS "
			    "handshake with something that is not TLS");
		else
			snprintf(out, len, "the server sent something that is "
			    "not TLS %s", at);
		return;
	case CAUSE_CLOSED:
		snprintf(out, len, "the server closed the connection %s", at);
		return;
	case CAUSE_RESET:
		snprintf(out, len, "the server reset the connection %s", at);
		return;
	default:
		snprintf(out, len, "the TLS handshake failed%s%s%s",
		    *d ? " (" : "", d, *d ? ")" : "");
		return;
	}
}

void
failure_words(const struct endpoint_result *ep, char *out, size_t len)
{
	const struct probe_outcome *o = ep->out;
	const char *d = o->detail, *at = step_words(o->fail_step, ep->protocol);
	int known = (unsigned)o->cause < CAUSE__COUNT;

	switch (o->reason) {
	case REASON_DNS:
		if (known && resolve_words[o->cause])
			snprintf(out, len, "%s", resolve_words[o->cause]);
		else
			snprintf(out, len, "the host name does not resolve%s%s%s",
			    *d ? " (" : "", d, *d ? ")" : "");
		return;
	case REASON_CONN:
		if (o->fail_step == STEP_CONNECT && known &&
		    connect_words[o->cause])
			snprintf(out, len, "%s", connect_words[o->cause]);
		else if (o->fail_step == STEP_CONNECT)
			snprintf(out, len, "cannot connect%s%s%s",
			    *d ? " (" : "", d, *d ? ")" : "");
		else if (o->cause == CAUSE_RESET)
			snprintf(out, len, "the server reset the connection %s",
			    at);
		else
			snprintf(out, len, "the server closed the connection %s",
			    at);
		return;
	case REASON_TIMEOUT:
		if (o->cause == CAUSE_NO_SLOT)
			snprintf(out, len, "the connection timed out (still "
			    "waiting for a free probe slot)");
		else if (o->cause == CAUSE_TLSA_WAIT)
			snprintf(out, len, "the deadline passed while the TLSA "
			    "lookup was still out");
		else if (o->fail_step == STEP_CONNECT)
			snprintf(out, len, "the connection timed out");
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
		tls_failure_words(o, at, out, len);
		return;
	case REASON_INTERNAL:
		snprintf(out, len, "an internal error of the exporter%s%s%s",
		    *d ? " (" : "", d, *d ? ")" : "");
		return;
	case REASON_NOT_ALLOWED:
		snprintf(out, len, "not probed: /probe may not connect there%s%s%s",
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
void
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
		int s = r->eps[i].out->starttls_offered;

		if (s == 1)
			offered++;
		else if (s == 0 && missing++ == 0)
			first = i;
	}
	if (missing > 0) {
		char ep[300];

		endpoint_words(&r->eps[first], ep, sizeof(ep));
		flag(vi, V_FAIL, FIND_STARTTLS_MISSING, r->eps[first].host,
		    "not offered by %s%s", ep, missing > 1 ? " and others" : "");
	} else if (offered == 0)
		rate(vi, V_NA, "not reached");
	else if (offered < r->n_eps)
		rate(vi, V_PASS, "offered (%zu of %u endpoints reached)",
		    offered, r->n_eps);
	else
		rate(vi, V_PASS, "offered");
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
		const struct tls_facts *t = &ep->out->tls;
		const struct tls_audit *a = endpoint_audit(ep);

		if (t->done) {
			reached++;
			if (strcmp(t->version, "TLSv1") == 0)
				old[TLSV_1_0] = any_old = 1;
			else if (strcmp(t->version, "TLSv1.1") == 0)
				old[TLSV_1_1] = any_old = 1;
			if (best == NULL || strcmp(t->version, best) < 0)
				best = t->version;
		}
		if (!a->ran)
			continue;
		audited++;
		for (int v = TLSV_1_0; v <= TLSV_1_1; v++)
			if (a->version_accepted[v] == 1)
				old[v] = any_old = 1;
		/* Anonymous and static-RSA suites are no worse than plain
		 * text for opportunistic SMTP (Postfix offers them on
		 * purpose): the target page lists them, the verdict does not
		 * count them. */
		for (int c = 0; c < WEAK__COUNT; c++)
			if (a->weak_accepted[c] == 1 && c != WEAK_ANON &&
			    c != WEAK_STATIC_RSA)
				weak[c] = any_weak = 1;
	}
	if (any_old) {
		for (int v = TLSV_1_0; v <= TLSV_1_1; v++)
			if (old[v])
				snprintf(list + strlen(list), sizeof(list) -
				    strlen(list), "%s%s", list[0] ? ", " : "",
				    tls_ver_name((enum tls_ver)v));
		flag(vi, V_FAIL, FIND_TLS_OLD_VERSION, NULL, "accepts %s", list);
	} else if (any_weak) {
		for (int c = 0; c < WEAK__COUNT; c++)
			if (weak[c])
				snprintf(list + strlen(list), sizeof(list) -
				    strlen(list), "%s%s", list[0] ? ", " : "",
				    weak_class_name((enum weak_class)c));
		flag(vi, V_WARN, FIND_TLS_WEAK_CIPHERS, NULL,
		    "accepts weak ciphers: %s", list);
	} else if (audited > 0)
		rate(vi, V_PASS, "TLSv1.2 and newer only (audited)");
	else if (reached > 0)
		rate(vi, V_NA, "%s negotiated; not audited", best);
	else
		rate(vi, V_NA, "not reached");
}

void
verdict_rating(const struct endpoint_result *eps, size_t n,
    struct verdict_info *vi)
{
	int worst = TLS_CLASS_UNKNOWN;
	const struct endpoint_result *at = NULL;
	struct endpoint_rating er, wr;
	char list[160] = "", where[300];

	for (size_t i = 0; i < n; i++) {
		if (!endpoint_audit(&eps[i])->ran)
			continue;
		rating_endpoint(&eps[i].out->tls, endpoint_audit(&eps[i]), &er);
		if (er.worst == TLS_CLASS_UNKNOWN ||
		    (worst != TLS_CLASS_UNKNOWN && er.worst >= worst))
			continue;
		worst = er.worst;
		at = &eps[i];
		wr = er;
	}
	if (at == NULL) {
		rate(vi, V_NA, "not rated (no audit)");
		return;
	}
	for (int c = 0; c < RATE__COUNT; c++)
		if (rating_check_in_worst((enum rating_check)c) &&
		    wr.check[c].cls == worst)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
			    "%s%s", list[0] ? ", " : "",
			    rating_check_title((enum rating_check)c));
	endpoint_words(at, where, sizeof(where));
	if (worst == TLS_CLASS_INSUFFICIENT)
		flag(vi, V_FAIL, FIND_TLS_RATING_INSUFFICIENT, at->host,
		    "insufficient (NCSC-NL): %s; %s: %s", list,
		    rating_check_name(wr.worst_check),
		    wr.check[wr.worst_check].reason);
	else if (worst == TLS_CLASS_PHASE_OUT)
		flag(vi, V_WARN, FIND_TLS_RATING_PHASE_OUT, at->host,
		    "phase out (NCSC-NL): %s; %s: %s", list,
		    rating_check_name(wr.worst_check),
		    wr.check[wr.worst_check].reason);
	else
		rate(vi, V_PASS, "%s (NCSC-NL)%s%s", tls_class_words(worst),
		    n > 1 ? ", worst at " : "", n > 1 ? where : "");
}

static void
verdict_cert(const struct check_result *r, double now, struct verdict_info *vi,
    double *earliest)
{
	double min_days = INFINITY;
	const char *soonest = NULL;
	size_t seen = 0;

	*earliest = 0;
	rate(vi, V_NA, "no certificate seen");
	for (size_t i = 0; i < r->n_eps; i++) {
		const struct tls_facts *t = &r->eps[i].out->tls;
		double exp, days;

		if (!t->have_cert)
			continue;
		seen++;
		exp = t->chain_earliest_not_after > 0 &&
		    t->chain_earliest_not_after < t->not_after ?
		    t->chain_earliest_not_after : t->not_after;
		if (*earliest == 0 || exp < *earliest) {
			*earliest = exp;
			soonest = r->eps[i].host;
		}
		days = (t->not_after - now) / 86400.0;
		if (days < min_days)
			min_days = days;
		if (vi->v == V_FAIL)
			continue;
		if (t->not_after < now)
			flag(vi, V_FAIL, FIND_CERT_EXPIRED, r->eps[i].host,
			    "expired %.0f days ago", floor(-days));
		else if (exp < now)
			flag(vi, V_FAIL, FIND_CERT_CHAIN_EXPIRED, r->eps[i].host,
			    "a certificate of the chain expired");
		else if (!t->verified)
			flag(vi, V_FAIL, FIND_CERT_UNTRUSTED, r->eps[i].host,
			    "not verified: %s", t->verify_error[0] ?
			    t->verify_error : "unknown error");
		else if (!t->hostname_match)
			flag(vi, V_FAIL, FIND_CERT_NAME, r->eps[i].host,
			    "not valid for %s",
			    r->eps[i].host);
	}
	if (seen == 0 || vi->v == V_FAIL)
		return;
	if ((*earliest - now) / 86400.0 < CERT_WARN_DAYS)
		flag(vi, V_WARN, FIND_CERT_EXPIRING, soonest,
		    "expires in %.0f days",
		    floor((*earliest - now) / 86400.0));
	else
		rate(vi, V_PASS, "valid, %.0f days left", floor(min_days));
}

void
verdict_records(const struct check_result *r, struct verdict_info *spf,
    struct verdict_info *dkim, struct verdict_info *dmarc)
{
	const struct records_result *rr = r->records;

	if (r->target.kind != TARGET_DOMAIN) {
		rate(spf, V_NA, "not a domain");
		rate(dkim, V_NA, "not a domain");
		rate(dmarc, V_NA, "not a domain");
		return;
	}
	if (rr == NULL) {
		const char *why = !r->target.records ? "records = off" :
		    "not fetched yet";

		rate(spf, V_NA, "%s", why);
		rate(dkim, V_NA, "%s", why);
		rate(dmarc, V_NA, "%s", why);
		return;
	}

	/* SPF */
	if (rr->spf_lookup.done && rr->spf_lookup.result != DNS_OK &&
	    rr->spf_lookup.result != DNS_NODATA &&
	    rr->spf_lookup.result != DNS_NXDOMAIN)
		flag(spf, V_WARN, FIND_DNS_LOOKUP, NULL, "lookup failed (%s)",
		    dns_result_name(rr->spf_lookup.result));
	else if (!rr->spf_present)
		flag(spf, V_FAIL, FIND_SPF_MISSING, NULL, "no SPF record");
	else if (records_spf_valid(rr) < 0)	/* temperror, not permerror */
		flag(spf, V_WARN, FIND_DNS_LOOKUP, NULL,
		    "temporary DNS error: %s", rr->spf_message[0] ?
		    rr->spf_message : rr->spf_reason ? rr->spf_reason : "error");
	else if (!rr->spf_valid || rr->spf_reason != NULL)
		flag(spf, V_FAIL, FIND_SPF_INVALID, NULL, "invalid: %s",
		    rr->spf_message[0] ?
		    rr->spf_message : rr->spf_reason ? rr->spf_reason : "error");
	else if (rr->spf_all == SPF_QUAL_PASS)
		flag(spf, V_FAIL, FIND_SPF_PLUS_ALL, NULL,
		    "+all lets anyone send");
	else if (rr->spf_all < 0 || rr->spf_all == SPF_QUAL_NEUTRAL)
		flag(spf, V_WARN, FIND_SPF_NO_ALL, NULL,
		    "ends without -all or ~all");
	else {
		rate(spf, V_PASS, "valid, ends %call",
		    spf_qualifier_char((enum spf_qualifier)rr->spf_all));
		for (size_t i = 0; i < rr->n_spf_checks; i++)
			if (rr->spf_checks[i].code == SPF_RESULT_TEMPERROR) {
				if (spf->v == V_PASS)
					flag(spf, V_WARN, FIND_DNS_LOOKUP, NULL,
					    "%s: temporary DNS error",
					    rr->spf_checks[i].address);
			} else if (rr->spf_checks[i].code != SPF_RESULT_PASS) {
				flag(spf, V_FAIL, FIND_SPF_NOT_PASSING,
				    rr->spf_checks[i].address,
				    "%s does not pass (%s)",
				    rr->spf_checks[i].address,
				    spf_result_name(rr->spf_checks[i].code));
				break;
			}
	}

	/* DKIM: the configured selectors only. */
	if (rr->n_dkim == 0)
		flag(dkim, V_NA, FIND_DKIM_NO_SELECTOR, NULL,
		    "no dkim_selectors configured");
	else {
		rate(dkim, V_PASS, "%u key%s valid", rr->n_dkim,
		    rr->n_dkim > 1 ? "s" : "");
		for (size_t i = 0; i < rr->n_dkim; i++) {
			const struct dkim_selector_result *k = &rr->dkim[i];

			if (k->lookup.done && !dns_answered(k->lookup.result)) {
				if (dkim->v == V_PASS)
					flag(dkim, V_WARN, FIND_DNS_LOOKUP,
					    k->selector, "selector %s: lookup "
					    "failed (%s)", k->selector,
					    dns_result_name(k->lookup.result));
			} else if (!k->key.present)
				flag(dkim, V_FAIL, FIND_DKIM_NO_KEY, k->selector,
				    "selector %s: no key",
				    k->selector);
			else if (k->key.revoked)
				flag(dkim, V_FAIL, FIND_DKIM_REVOKED, k->selector,
				    "selector %s: key revoked",
				    k->selector);
			else if (!k->key.valid)
				flag(dkim, V_FAIL, FIND_DKIM_INVALID, k->selector,
				    "selector %s: %s", k->selector,
				    k->key.message[0] ? k->key.message :
				    k->key.reason ? k->key.reason : "invalid");
			else if (dkim->v == V_PASS && k->key.weak_key)
				flag(dkim, V_WARN, FIND_DKIM_WEAK, k->selector,
				    "selector %s: RSA key shorter "
				    "than 2048 bits", k->selector);
			else if (dkim->v == V_PASS && k->key.testing)
				flag(dkim, V_WARN, FIND_DKIM_TESTING, k->selector,
				    "selector %s: testing mode (t=y)",
				    k->selector);
			if (dkim->v == V_FAIL)
				break;
		}
	}

	/* DMARC: the policy that applies (sp for a subdomain using its
	 * organisational domain's record). */
	{
		const struct dmarc_record *d = &rr->dmarc;
		enum dmarc_policy ap = records_dmarc_policy(rr);
		const char *tag = rr->dmarc_from_org && d->sp_set ? "sp" : "p";
		char from[300] = "";

		if (rr->dmarc_from_org)
			snprintf(from, sizeof(from), " (%s's record)",
			    rr->dmarc_domain);
		if (rr->dmarc_failure != DNS_OK && !d->present)
			flag(dmarc, V_WARN, FIND_DNS_LOOKUP, NULL,
			    "lookup failed (%s)",
			    dns_result_name(rr->dmarc_failure));
		else if (!d->present)
			flag(dmarc, V_FAIL, FIND_DMARC_MISSING, NULL,
			    "no DMARC record%s%s",
			    rr->dmarc_near_miss ? "; ignored: " : "",
			    rr->dmarc_near_miss ?
			    rr->dmarc_near_miss_message : "");
		else if (!d->valid)
			flag(dmarc, V_FAIL, FIND_DMARC_INVALID, NULL,
			    "invalid: %s", d->message[0] ?
			    d->message : d->reason ? d->reason : "error");
		else if (ap == DMARC_POLICY_NONE)
			flag(dmarc, V_WARN, FIND_DMARC_P_NONE, NULL,
			    "%s=none%s: monitoring only", tag, from);
		else if (d->pct < 100)
			flag(dmarc, V_WARN, FIND_DMARC_PCT, NULL,
			    "%s=%s%s on %u%% of mail", tag,
			    dmarc_policy_name(ap), from, d->pct);
		else
			rate(dmarc, V_PASS, "%s=%s%s", tag,
			    dmarc_policy_name(ap),
			    from);
		if (rr->dmarc_near_miss && dmarc->v == V_PASS)
			flag(dmarc, V_WARN, FIND_DMARC_INVALID, NULL,
			    "own record ignored: %s",
			    rr->dmarc_near_miss_message);
	}
}

/* DANE of one endpoint; see verdict.h. */
void
verdict_dane_endpoint(const struct check_result *r, size_t i,
    struct verdict_info *vi)
{
	const struct endpoint_result *ep = &r->eps[i];
	const struct dane_facts *f = tls_dane(&ep->out->tls);
	const struct dane_port *p = danelookup_port(check_result_dane(r,
	    ep->host), ep->port);
	enum dane_reason why;

	rate(vi, V_NA, "not checked");
	if (p == NULL || (ep->protocol != PROTO_SMTP &&
	    ep->protocol != PROTO_SUBMISSION && ep->protocol != PROTO_SMTPS))
		return;
	why = danelookup_verdict(p, f);
	switch (why) {
	case DANE_REASON_NONE:
		if (!p->applicable)
			return;
		if (!f->checked) {
			flag(vi, V_FAIL, FIND_DANE_MISMATCH, ep->host,
			    "mismatch: TLSA published, but no TLS session to "
			    "check it");
			return;
		}
		if (!f->rollover_ready) {
			flag(vi, V_WARN, FIND_DANE_ROLLOVER, ep->host,
			    "valid, but no record for a next key: a key "
			    "change breaks DANE");
			return;
		}
		rate(vi, V_PASS, "valid (DANE-%s at depth %d)",
		    f->depth > 0 ? "TA" : "EE", f->depth);
		return;
	case DANE_REASON_NO_TLSA:
		rate(vi, V_NA, "none: no TLSA records (securely denied)");
		return;
	case DANE_REASON_INSECURE:
		rate(vi, V_NA, "insecure: the zone is not signed, DANE does "
		    "not apply");
		return;
	case DANE_REASON_BOGUS:
		flag(vi, V_FAIL, FIND_DANE_BOGUS, ep->host, "bogus: %s",
		    p->why_bogus[0] ? p->why_bogus : "the DNSSEC chain of the "
		    "MX, address or TLSA lookup does not validate");
		return;
	case DANE_REASON_DNS:
		/* Not known either way (mailsec_dane_error_info{reason="dns"}
		 * tells, for an alert): often the exporter's own path to the
		 * DNS, not the domain. */
		flag(vi, V_NA, FIND_DNS_LOOKUP, ep->host, "unknown: the "
		    "validated TLSA, MX or address lookup failed (SERVFAIL or "
		    "timeout)");
		return;
	case DANE_REASON_UNUSABLE:
		flag(vi, V_WARN, FIND_DANE_UNUSABLE, ep->host, "unusable: "
		    "TLSA records, none usable for SMTP (usages 2 and 3 "
		    "only)");
		return;
	case DANE_REASON_NO_MATCH:
	case DANE_REASON_TA_NOT_PRESENTED:
	case DANE_REASON_NAME_MISMATCH:
	case DANE_REASON_EXPIRED:
		flag(vi, V_FAIL, FIND_DANE_MISMATCH, ep->host,
		    "mismatch (%s): %s", dane_reason_name(why),
		    f->error[0] ? f->error : "no TLSA record matches");
		return;
	case DANE_REASON__COUNT:
		break;
	}
}

/* The worst DANE verdict over the endpoints of r: a failure or warning
 * first, else valid where it applies, else why it does not apply
 * (insecure before none). */
static void
verdict_dane(const struct check_result *r, struct verdict_info *vi)
{
	struct verdict_info one, na;
	int valid = 0;

	rate(vi, V_NA, "not checked");
	rate(&na, V_NA, "not checked");
	for (size_t i = 0; i < r->n_eps; i++) {
		verdict_dane_endpoint(r, i, &one);
		if (one.v == V_PASS)
			valid++;
		else if (one.v > V_PASS && one.v > vi->v)
			*vi = one;
		else if (one.v == V_NA && strcmp(one.text, "not checked") != 0 &&
		    (strcmp(na.text, "not checked") == 0 ||
		    strncmp(one.text, "insecure", 8) == 0))
			na = one;
	}
	if (vi->v > V_PASS)
		return;
	if (valid > 0)
		rate(vi, V_PASS, "valid on %d endpoint%s", valid,
		    valid == 1 ? "" : "s");
	else
		*vi = na;
}

/* Whether a secure, usable TLSA set exists for an MX host of r. */
static int
mx_has_dane(const struct check_result *r)
{
	for (size_t i = 0; i < r->n_dane; i++)
		for (size_t j = 0; r->dane[i] != NULL &&
		    j < r->dane[i]->n_ports; j++)
			if (r->dane[i]->ports[j].applicable)
				return 1;
	return 0;
}

void
verdict_mta_sts(const struct check_result *r, double now,
    struct verdict_info *vi)
{
	const struct mtasts_result *m = r->mtasts;
	const struct sts_policy *p;
	const char *mode;
	double cert_not_after;

	rate(vi, V_NA, "not checked");
	if (r->target.kind != TARGET_DOMAIN || m == NULL || !m->sts_checked)
		return;
	p = mtasts_policy(m);
	cert_not_after = m->fetch != NULL ? m->fetch->cert_not_after : 0;
	if (m->record.reason == STS_DNS) {
		flag(vi, V_WARN, FIND_DNS_LOOKUP, NULL, "lookup failed: %s",
		    sts_record_message(&m->record));
		return;
	}
	if (!m->record.present) {
		flag(vi, V_NA, FIND_STS_NONE, NULL, "not published");
		return;
	}
	if (!m->record.valid) {
		flag(vi, V_FAIL, FIND_STS_BROKEN, NULL, "record %s: %s",
		    sts_reason_name(m->record.reason),
		    sts_record_message(&m->record));
		return;
	}
	if (mtasts_policy_reason(m) != STS_OK) {
		flag(vi, V_FAIL, FIND_STS_BROKEN, NULL, "policy %s: %s",
		    sts_reason_name(mtasts_policy_reason(m)),
		    mtasts_policy_message(m));
		return;
	}
	mode = sts_mode_name(p->mode);
	if (p->mode == STS_MODE_NONE) {
		flag(vi, V_WARN, FIND_STS_MODE_NONE, NULL,
		    "mode none: the policy is withdrawn");
		return;
	}
	for (size_t i = 0; i < r->n_mx; i++) {
		const char *host = r->mx[i].host;
		enum mtasts_mx v = mtasts_mx_verdict(m, host,
		    check_result_mx_certs_verified(r, host));

		if (v != MTASTS_MX_NOT_COVERED && v != MTASTS_MX_CERT_FAILS)
			continue;
		flag(vi, p->mode == STS_MODE_ENFORCE ? V_FAIL : V_WARN,
		    v == MTASTS_MX_NOT_COVERED ? FIND_STS_MX : FIND_STS_MX_CERT,
		    host, "%s: %s %s", mode, host,
		    v == MTASTS_MX_NOT_COVERED ? "matches no mx pattern" :
		    "serves a certificate that does not verify for its name");
		return;
	}
	if (cert_not_after > 0 && cert_not_after - now < 14 * 86400.0) {
		flag(vi, V_WARN, FIND_STS_CERT_EXPIRING, NULL,
		    "%s, but the certificate of mta-sts.%s expires in %.0f days",
		    mode, r->target.name, (cert_not_after - now) / 86400.0);
		return;
	}
	if (m->rpt_checked && !m->rpt.present) {
		flag(vi, V_WARN, FIND_TLSRPT_MISSING, NULL, "%s, but no TLS-RPT "
		    "record: nobody hears about delivery failures", mode);
		return;
	}
	if (m->rpt_checked && !m->rpt.valid) {
		flag(vi, V_WARN, FIND_TLSRPT_INVALID, NULL, "%s, but TLS-RPT %s:"
		    " %s", mode, sts_reason_name(m->rpt.reason),
		    tlsrpt_record_message(&m->rpt));
		return;
	}
	rate(vi, V_PASS, "%s, max_age %u s, %zu mx pattern%s%s", mode,
	    p->max_age, (size_t)p->n_mx, p->n_mx == 1 ? "" : "s",
	    mx_has_dane(r) ? "; DANE applies too and takes precedence for "
	    "senders that do DANE (RFC 8461 2)" : "");
}

/* The first SMTP endpoint whose banner or EHLO name is neither its MX
 * name nor a PTR name of its address, or SIZE_MAX. */
static size_t
smtp_name_mismatch(const struct check_result *r, const char **name)
{
	for (size_t i = 0; i < r->n_eps; i++) {
		const struct endpoint_result *ep = &r->eps[i];
		const struct probe_outcome *o = ep->out;

		if (ep->protocol != PROTO_SMTP && ep->protocol !=
		    PROTO_SUBMISSION && ep->protocol != PROTO_SMTPS)
			continue;
		if (o->banner_seen && !mxhyg_smtp_name_matches(r->mxhyg,
		    ep->host, ep->address, o->banner_name)) {
			*name = o->banner_name;
			return i;
		}
		if (o->ehlo_seen && !mxhyg_smtp_name_matches(r->mxhyg,
		    ep->host, ep->address, o->ehlo_name)) {
			*name = o->ehlo_name;
			return i;
		}
	}
	return SIZE_MAX;
}

void
verdict_mx_hygiene(const struct check_result *r, struct verdict_info *vi)
{
	const struct mxhyg_result *m = r ? r->mxhyg : NULL;
	size_t fcrdns = 0, caa = 0, bad;
	const char *name = "";

	rate(vi, V_NA, "not checked");
	if (r->target.kind != TARGET_DOMAIN || m == NULL)
		return;
	for (size_t i = 0; i < m->n_findings; i++) {
		const struct mx_finding *f = &m->findings[i];
		enum verdict v = f->reason == MX_ERR_NULL_MX_MIXED ||
		    f->reason == MX_ERR_IP_LITERAL ? V_FAIL : V_WARN;

		flag(vi, v, FIND_MX_RECORD_ERROR, f->host[0] ? f->host : NULL,
		    "%s%s%s", mx_error_name(f->reason), f->host[0] ? ": " : "",
		    f->host);
		return;
	}
	for (size_t i = 0; i < m->n_hosts; i++)
		if (m->hosts[i].caa != NULL && m->hosts[i].caa->error != CAA_OK) {
			flag(vi, V_WARN, FIND_CAA_INVALID, m->hosts[i].host,
			    "CAA of %s (at %s): %s", m->hosts[i].host,
			    m->hosts[i].caa_name,
			    caa_error_name(m->hosts[i].caa->error));
			return;
		} else if (m->hosts[i].caa_present == 1)
			caa++;
	for (size_t i = 0; i < m->n_addrs; i++) {
		if (m->addrs[i].match == 0) {
			flag(vi, V_WARN, FIND_MX_NO_FCRDNS, m->addrs[i].address,
			    "%s (%s): %s", m->addrs[i].address, m->addrs[i].host,
			    m->addrs[i].n_ptr_names ? "its PTR name does not "
			    "resolve back to it" : "no PTR record");
			return;
		}
		fcrdns += m->addrs[i].match == 1;
	}
	if ((bad = smtp_name_mismatch(r, &name)) != SIZE_MAX) {
		flag(vi, V_WARN, FIND_SMTP_NAME, r->eps[bad].host,
		    "%s (%s) calls itself %s%s", r->eps[bad].host,
		    r->eps[bad].address, name[0] ? name : "no host name",
		    name[0] ? ": neither its MX name nor a PTR name" : "");
		return;
	}
	rate(vi, V_PASS, "reverse DNS confirmed on %zu of %zu address%s; "
	    "CAA on %zu of %zu host%s", fcrdns, (size_t)m->n_addrs,
	    m->n_addrs == 1 ? "" : "es", caa, (size_t)m->n_hosts,
	    m->n_hosts == 1 ? "" : "s");
}

static enum verdict
worst(enum verdict a, enum verdict b)
{
	return a > b ? a : b;
}

void
target_view_make(const struct published_target *t, double now,
    struct target_view *v)
{
	const struct check_result *r = t->result;
	const struct verdict_info *cols[10];
	size_t failed = 0, first = 0;

	memset(v, 0, sizeof(*v));
	v->t = t;
	if (r == NULL) {
		v->overall = V_PENDING;
		rate(&v->starttls, V_PENDING, "not run yet");
		v->tls = v->cert = v->spf = v->dkim = v->dmarc = v->starttls;
		v->mta_sts = v->mx_hygiene = v->dane = v->rating = v->starttls;
		snprintf(v->reason, sizeof(v->reason), "not checked yet");
		return;
	}
	verdict_starttls(r, &v->starttls);
	verdict_tls(r, &v->tls);
	verdict_cert(r, now, &v->cert, &v->cert_expiry);
	verdict_records(r, &v->spf, &v->dkim, &v->dmarc);
	verdict_mta_sts(r, now, &v->mta_sts);
	verdict_mx_hygiene(r, &v->mx_hygiene);
	verdict_dane(r, &v->dane);
	verdict_rating(r->eps, r->n_eps, &v->rating);
	cols[0] = &v->starttls;
	cols[1] = &v->tls;
	cols[2] = &v->cert;
	cols[3] = &v->spf;
	cols[4] = &v->dkim;
	cols[5] = &v->dmarc;
	cols[6] = &v->mta_sts;
	cols[7] = &v->mx_hygiene;
	cols[8] = &v->dane;
	cols[9] = &v->rating;
	v->overall = r->success ? V_PASS : V_FAIL;
	for (size_t i = 0; i < ARRAY_LEN(cols); i++)
		v->overall = worst(v->overall, cols[i]->v);

	for (size_t i = 0; i < r->n_eps; i++)
		if (!r->eps[i].out->success && failed++ == 0)
			first = i;
	if (r->target.kind == TARGET_DOMAIN && r->mx_result != DNS_OK &&
	    !r->implicit_mx)
		snprintf(v->reason, sizeof(v->reason), "MX lookup: %s",
		    dns_words(r->mx_result));
	else if (failed > 0) {
		const struct endpoint_result *ep = &r->eps[first];
		char words[300], where[300];

		failure_words(ep, words, sizeof(words));
		if (r->target.kind == TARGET_ENDPOINT && r->n_eps == 1)
			snprintf(v->reason, sizeof(v->reason), "%s", words);
		else {
			endpoint_words(ep, where, sizeof(where));
			snprintf(v->reason, sizeof(v->reason), "%s: %s%s",
			    where, words, failed > 1 ? " (and more)" : "");
		}
	} else if (v->overall >= V_WARN) {
		static const char *const names[] = { "STARTTLS", "TLS",
		    "certificate", "SPF", "DKIM", "DMARC", "MTA-STS",
		    "MX hygiene", "DANE", "TLS rating" };
		_Static_assert(ARRAY_LEN(names) == ARRAY_LEN(cols),
		    "a name per column");

		for (enum verdict want = V_FAIL; want >= V_WARN; want--)
			for (size_t i = 0; i < ARRAY_LEN(cols); i++)
				if (cols[i]->v == want && v->reason[0] == '\0')
					snprintf(v->reason, sizeof(v->reason),
					    "%s: %s", names[i], cols[i]->text);
	} else if (r->null_mx)
		snprintf(v->reason, sizeof(v->reason), "null MX: the domain "
		    "takes no mail");
}

/* --- findings and advice --------------------------------------------------- */

static const char *const finding_names[] = {
	[FIND_NONE] = "none",
	[FIND_MX_NXDOMAIN] = "mx_nxdomain",
	[FIND_MX_LOOKUP] = "mx_lookup_failed",
	[FIND_MX_NONE] = "mx_missing",
	[FIND_UNRESOLVED] = "host_unresolved",
	[FIND_UNREACHABLE] = "unreachable",
	[FIND_TIMEOUT] = "timeout",
	[FIND_PEER_BROKE] = "dialogue_failed",
	[FIND_TLS_HANDSHAKE] = "tls_handshake_failed",
	[FIND_STARTTLS_MISSING] = "starttls_missing",
	[FIND_TLS_OLD_VERSION] = "tls_old_version",
	[FIND_TLS_WEAK_CIPHERS] = "tls_weak_ciphers",
	[FIND_TLS_RATING_INSUFFICIENT] = "tls_rating_insufficient",
	[FIND_TLS_RATING_PHASE_OUT] = "tls_rating_phase_out",
	[FIND_CERT_EXPIRED] = "cert_expired",
	[FIND_CERT_CHAIN_EXPIRED] = "cert_chain_expired",
	[FIND_CERT_UNTRUSTED] = "cert_untrusted",
	[FIND_CERT_NAME] = "cert_name_mismatch",
	[FIND_CERT_EXPIRING] = "cert_expiring",
	[FIND_DNS_LOOKUP] = "dns_lookup_failed",
	[FIND_SPF_MISSING] = "spf_missing",
	[FIND_SPF_INVALID] = "spf_invalid",
	[FIND_SPF_PLUS_ALL] = "spf_plus_all",
	[FIND_SPF_NO_ALL] = "spf_no_all",
	[FIND_SPF_NOT_PASSING] = "spf_not_passing",
	[FIND_DKIM_NO_SELECTOR] = "dkim_no_selector",
	[FIND_DKIM_NO_KEY] = "dkim_no_key",
	[FIND_DKIM_REVOKED] = "dkim_revoked",
	[FIND_DKIM_INVALID] = "dkim_invalid",
	[FIND_DKIM_WEAK] = "dkim_weak_key",
	[FIND_DKIM_TESTING] = "dkim_testing",
	[FIND_DMARC_MISSING] = "dmarc_missing",
	[FIND_DMARC_INVALID] = "dmarc_invalid",
	[FIND_DMARC_P_NONE] = "dmarc_p_none",
	[FIND_DMARC_PCT] = "dmarc_pct",
	[FIND_STS_NONE] = "mta_sts_missing",
	[FIND_STS_BROKEN] = "mta_sts_broken",
	[FIND_STS_MX] = "mta_sts_mx_not_covered",
	[FIND_STS_MX_CERT] = "mta_sts_mx_cert",
	[FIND_STS_MODE_NONE] = "mta_sts_mode_none",
	[FIND_STS_CERT_EXPIRING] = "mta_sts_cert_expiring",
	[FIND_TLSRPT_MISSING] = "tls_rpt_missing",
	[FIND_TLSRPT_INVALID] = "tls_rpt_invalid",
	[FIND_DANE_MISMATCH] = "dane_mismatch",
	[FIND_DANE_BOGUS] = "dane_bogus",
	[FIND_DANE_UNUSABLE] = "dane_unusable",
	[FIND_DANE_ROLLOVER] = "dane_rollover_not_ready",
	[FIND_MX_RECORD_ERROR] = "mx_record_error",
	[FIND_MX_NO_FCRDNS] = "mx_no_fcrdns",
	[FIND_CAA_INVALID] = "caa_invalid",
	[FIND_SMTP_NAME] = "smtp_name_mismatch",
};
_Static_assert(ARRAY_LEN(finding_names) == FIND__COUNT, "a name per finding");

const char *
finding_name(enum finding f)
{
	return (unsigned)f < ARRAY_LEN(finding_names) && finding_names[f] ?
	    finding_names[f] : "?";
}

/* The alert of deploy/prometheus/mixin that watches for each finding (its
 * runbook entry in doc/runbook.md has the same name); none for tips and
 * for findings no rule watches.  test_docs.sh checks that every name here
 * is a rule and has a runbook entry. */
static const char *const finding_alerts[FIND__COUNT] = {
	[FIND_MX_NXDOMAIN] = "MailsecDomainNotFound",
	[FIND_MX_LOOKUP] = "MailsecMXLookupFailing",
	[FIND_UNRESOLVED] = "MailsecProbeFailing",
	[FIND_UNREACHABLE] = "MailsecProbeFailing",
	[FIND_TIMEOUT] = "MailsecProbeFailing",
	[FIND_PEER_BROKE] = "MailsecProbeFailing",
	[FIND_TLS_HANDSHAKE] = "MailsecProbeFailing",
	[FIND_STARTTLS_MISSING] = "MailsecStartTLSMissing",
	[FIND_TLS_OLD_VERSION] = "MailsecTLSLegacyVersionAccepted",
	[FIND_TLS_WEAK_CIPHERS] = "MailsecTLSWeakCipherAccepted",
	[FIND_TLS_RATING_INSUFFICIENT] = "MailsecTLSRatedInsufficient",
	[FIND_CERT_EXPIRED] = "MailsecCertExpired",
	[FIND_CERT_UNTRUSTED] = "MailsecCertNotVerified",
	[FIND_CERT_NAME] = "MailsecCertHostnameMismatch",
	[FIND_CERT_EXPIRING] = "MailsecCertExpiringSoon",
	[FIND_DNS_LOOKUP] = "MailsecDNSLookupFailing",
	[FIND_SPF_MISSING] = "MailsecSPFMissing",
	[FIND_SPF_INVALID] = "MailsecSPFInvalid",
	[FIND_DKIM_REVOKED] = "MailsecDKIMKeyRevoked",
	[FIND_DKIM_INVALID] = "MailsecDKIMInvalid",
	[FIND_DKIM_WEAK] = "MailsecDKIMWeakKey",
	[FIND_DMARC_MISSING] = "MailsecDMARCMissing",
	[FIND_DMARC_INVALID] = "MailsecDMARCInvalid",
	[FIND_DMARC_P_NONE] = "MailsecDMARCPolicyNone",
	[FIND_STS_BROKEN] = "MailsecMtaStsPolicyBroken",
	[FIND_STS_CERT_EXPIRING] = "MailsecMtaStsCertExpiring",
	[FIND_DANE_MISMATCH] = "MailsecDANEMismatch",
	[FIND_DANE_BOGUS] = "MailsecDNSSECBogus",
	[FIND_DANE_ROLLOVER] = "MailsecDANERolloverNotReady",
	[FIND_MX_RECORD_ERROR] = "MailsecMXRecordError",
	[FIND_MX_NO_FCRDNS] = "MailsecMXReverseDNSMismatch",
};

const char *
finding_alert(enum finding f)
{
	return (unsigned)f < FIND__COUNT ? finding_alerts[f] : NULL;
}

void
verdict_advice(const struct verdict_info *vi, const char *domain,
    const char *host, unsigned port, char *out, size_t len)
{
	const char *d = domain ? domain : "the domain";
	const char *h = host ? host : vi->about ? vi->about : "the server";
	const char *a = vi->about ? vi->about : "";

	switch (vi->why) {
	case FIND_NONE:
		snprintf(out, len, "%s", "");
		return;
	case FIND_MX_NXDOMAIN:
		snprintf(out, len, "%s does not exist in the DNS: check the "
		    "spelling, or register and delegate it", d);
		return;
	case FIND_MX_LOOKUP:
		snprintf(out, len, "make %s's name servers answer: check the "
		    "delegation (dig +trace %s MX)", d, d);
		return;
	case FIND_MX_NONE:
		snprintf(out, len, "publish an MX record: %s MX 10 mail.%s "
		    "(or \"MX 0 .\" if it takes no mail)", d, d);
		return;
	case FIND_UNRESOLVED:
		snprintf(out, len, "publish an A or AAAA record for %s", h);
		return;
	case FIND_UNREACHABLE:
		snprintf(out, len, "make the mail server listen on %s port %u "
		    "and let the port through the firewall", h, port);
		return;
	case FIND_TIMEOUT:
		snprintf(out, len, "check that %s port %u is reachable (a "
		    "firewall that drops packets) and that the server answers "
		    "in time", h, port);
		return;
	case FIND_PEER_BROKE:
		snprintf(out, len, "read the mail server's log on %s: it broke "
		    "off or refused the dialogue", h);
		return;
	case FIND_TLS_HANDSHAKE:
		snprintf(out, len, "check the TLS set-up of %s port %u "
		    "(certificate, key, protocols) in the server's log", h,
		    port);
		return;
	case FIND_STARTTLS_MISSING:
		snprintf(out, len, "turn STARTTLS on with a certificate "
		    "(Postfix: smtpd_tls_security_level = may and "
		    "smtpd_tls_chain_files; Dovecot: ssl = yes)");
		return;
	case FIND_TLS_OLD_VERSION:
		snprintf(out, len, "turn TLS 1.0 and 1.1 off (Postfix: "
		    "smtpd_tls_protocols = >=TLSv1.2; Dovecot: "
		    "ssl_min_protocol = TLSv1.2)");
		return;
	case FIND_TLS_WEAK_CIPHERS:
		snprintf(out, len, "turn the weak cipher suites off (Postfix: "
		    "smtpd_tls_exclude_ciphers = eNULL, EXPORT, DES, 3DES, RC4, "
		    "MD5)");
		return;
	case FIND_TLS_RATING_INSUFFICIENT:
		snprintf(out, len, "on %s, turn off what the NCSC-NL TLS "
		    "guidelines rate insufficient (the endpoint's ratings name "
		    "it; doc/ratings.md has the tables)", h);
		return;
	case FIND_TLS_RATING_PHASE_OUT:
		snprintf(out, len, "on %s, plan to replace what the NCSC-NL TLS "
		    "guidelines rate phase out (the endpoint's ratings name it)",
		    h);
		return;
	case FIND_CERT_EXPIRED:
		snprintf(out, len, "renew the certificate of %s and reload the "
		    "server", h);
		return;
	case FIND_CERT_CHAIN_EXPIRED:
		snprintf(out, len, "serve the current intermediate certificates "
		    "of the CA with the certificate of %s", h);
		return;
	case FIND_CERT_UNTRUSTED:
		snprintf(out, len, "use a certificate of a trusted CA for %s and "
		    "serve it with its intermediates (the full chain file)", h);
		return;
	case FIND_CERT_NAME:
		snprintf(out, len, "get a certificate that names %s in its "
		    "subject alternative names", h);
		return;
	case FIND_CERT_EXPIRING:
		snprintf(out, len, "renew the certificate of %s now, and "
		    "automate renewal (certbot, acme.sh)", h);
		return;
	case FIND_DNS_LOOKUP:
		snprintf(out, len, "make %s's name servers answer TXT queries "
		    "(dig %s TXT), then check again", d, d);
		return;
	case FIND_SPF_MISSING:
		snprintf(out, len, "publish an SPF record: %s TXT \"v=spf1 mx "
		    "-all\"", d);
		return;
	case FIND_SPF_INVALID:
		snprintf(out, len, "fix the SPF record of %s: one TXT record "
		    "\"v=spf1 ... -all\", at most 10 DNS lookups", d);
		return;
	case FIND_SPF_PLUS_ALL:
		snprintf(out, len, "end the SPF record of %s with -all (or ~all) "
		    "instead of +all", d);
		return;
	case FIND_SPF_NO_ALL:
		snprintf(out, len, "end the SPF record of %s with -all (or ~all "
		    "while testing)", d);
		return;
	case FIND_SPF_NOT_PASSING:
		snprintf(out, len, "add %s to the SPF record of %s (ip4:, ip6: "
		    "or mx)", a, d);
		return;
	case FIND_DKIM_NO_SELECTOR:
		snprintf(out, len, "name the selector your mail is signed with "
		    "(s= of its DKIM-Signature): --dkim-selector SEL, or "
		    "dkim_selectors in the config");
		return;
	case FIND_DKIM_NO_KEY:
		snprintf(out, len, "publish the key: %s._domainkey.%s TXT "
		    "\"v=DKIM1; k=rsa; p=...\"", a, d);
		return;
	case FIND_DKIM_REVOKED:
		snprintf(out, len, "sign with a current selector; %s is revoked "
		    "(empty p=)", a);
		return;
	case FIND_DKIM_INVALID:
		snprintf(out, len, "publish a usable key: %s._domainkey.%s TXT "
		    "\"v=DKIM1; k=rsa; p=<a 2048-bit RSA public key, base64>\"",
		    a, d);
		return;
	case FIND_DKIM_WEAK:
		snprintf(out, len, "replace the key of selector %s with an RSA "
		    "key of 2048 bits or more", a);
		return;
	case FIND_DKIM_TESTING:
		snprintf(out, len, "remove t=y from %s._domainkey.%s once "
		    "signing works", a, d);
		return;
	case FIND_DMARC_MISSING:
		snprintf(out, len, "publish a DMARC record: _dmarc.%s TXT "
		    "\"v=DMARC1; p=quarantine; rua=mailto:...\"", d);
		return;
	case FIND_DMARC_INVALID:
		snprintf(out, len, "fix _dmarc.%s: TXT \"v=DMARC1; p=quarantine; "
		    "rua=mailto:...\"", d);
		return;
	case FIND_DMARC_P_NONE:
		snprintf(out, len, "once the reports show your mail passes, set "
		    "p=quarantine (then p=reject) in _dmarc.%s", d);
		return;
	case FIND_DMARC_PCT:
		snprintf(out, len, "remove pct= (or set pct=100) in _dmarc.%s",
		    d);
		return;
	case FIND_STS_NONE:
		snprintf(out, len, "to make senders require TLS: serve "
		    "https://mta-sts.%s/.well-known/mta-sts.txt (version: STSv1, "
		    "mode: testing, mx: ..., max_age: 604800) and publish "
		    "_mta-sts.%s TXT \"v=STSv1; id=1\" (doc/mta-sts.md)", d, d);
		return;
	case FIND_STS_BROKEN:
		snprintf(out, len, "fix the _mta-sts.%s record or the policy at "
		    "https://mta-sts.%s/.well-known/mta-sts.txt (text/plain, no "
		    "redirect, a valid certificate), then change the record's id",
		    d, d);
		return;
	case FIND_STS_MX:
		snprintf(out, len, "add \"mx: %s\" to the policy (a *. pattern "
		    "covers one label), then change the _mta-sts record's id", a);
		return;
	case FIND_STS_MX_CERT:
		snprintf(out, len, "give %s a certificate valid for its name from"
		    " a CA senders trust: in enforce mode they refuse it", a);
		return;
	case FIND_STS_MODE_NONE:
		snprintf(out, len, "if the withdrawal is over, set mode: testing "
		    "or enforce in the policy and change the record's id");
		return;
	case FIND_STS_CERT_EXPIRING:
		snprintf(out, len, "renew the certificate of mta-sts.%s", d);
		return;
	case FIND_TLSRPT_MISSING:
		snprintf(out, len, "publish _smtp._tls.%s TXT \"v=TLSRPTv1; "
		    "rua=mailto:tlsrpt@%s\"", d, d);
		return;
	case FIND_TLSRPT_INVALID:
		snprintf(out, len, "fix _smtp._tls.%s: one v=TLSRPTv1 record, rua "
		    "of mailto: or https: URIs", d);
		return;
	case FIND_DANE_MISMATCH:
		snprintf(out, len, "senders that do DANE will not deliver to %s:"
		    " publish TLSA records for the certificate %s serves now "
		    "(e.g. 3 1 1 of its key) at _%u._tcp.%s, or serve the "
		    "certificate they pin", h, h, port ? port : 25, h);
		return;
	case FIND_DANE_BOGUS:
		snprintf(out, len, "the DNSSEC signatures for %s do not validate"
		    ": re-sign the zone (expired signatures?) or fix the DS at "
		    "the parent; validating senders cannot reach %s at all", h,
		    d);
		return;
	case FIND_DANE_UNUSABLE:
		snprintf(out, len, "the TLSA records at _%u._tcp.%s are not "
		    "usable for SMTP: publish usage 3 (DANE-EE) or 2 (DANE-TA) "
		    "records, selector 0/1, matching type 1/2 (RFC 7672)",
		    port ? port : 25, h);
		return;
	case FIND_DANE_ROLLOVER:
		snprintf(out, len, "before the next key change of %s, publish a "
		    "TLSA record for the next key beside the current one (or a "
		    "2 x x record of the issuing CA) and wait two TTLs", h);
		return;
	case FIND_MX_RECORD_ERROR:
		snprintf(out, len, "fix %s's MX records: each MX names a host "
		    "(not an address, not a CNAME) with A or AAAA records, at "
		    "most 10 of them, and \"MX 0 .\" only alone "
		    "(doc/mx-hygiene.md)", d);
		return;
	case FIND_MX_NO_FCRDNS:
		snprintf(out, len, "have the PTR record of %s set to the MX "
		    "name (by whoever holds the address block), and that "
		    "name's A/AAAA record hold %s", a, a);
		return;
	case FIND_CAA_INVALID:
		snprintf(out, len, "fix the CAA records of %s: issue "
		    "\"ca.example\" or issue \";\" (RFC 8659 4.2), and no "
		    "critical flag on tags CAs do not know", h);
		return;
	case FIND_SMTP_NAME:
		snprintf(out, len, "set the SMTP server's host name (Postfix "
		    "myhostname) on %s to its MX name, the name its PTR record "
		    "gives", h);
		return;
	case FIND__COUNT:
		break;
	}
	snprintf(out, len, "%s", "");
}

/* --- per endpoint, and the MX ----------------------------------------- */

void
verdict_mx(const struct check_result *r, struct verdict_info *vi)
{
	char list[160] = "";

	if (r->mx_result == DNS_OK && r->null_mx) {
		rate(vi, V_PASS, "null MX: the domain takes no mail");
		return;
	}
	if (r->mx_result == DNS_OK) {
		for (size_t i = 0; i < r->n_mx; i++) {
			size_t n = strlen(list);

			snprintf(list + n, sizeof(list) - n, "%s%s (%u)",
			    i ? ", " : "", r->mx[i].host, r->mx[i].preference);
		}
		rate(vi, V_PASS, "%s", list);
		return;
	}
	if (r->implicit_mx) {
		rate(vi, V_PASS,
		    "no MX records: the domain's own address takes "
		    "mail");
		return;
	}
	flag(vi, V_FAIL, r->mx_result == DNS_NXDOMAIN ? FIND_MX_NXDOMAIN :
	    r->mx_result == DNS_NODATA ? FIND_MX_NONE : FIND_MX_LOOKUP, NULL,
	    "%s", dns_words(r->mx_result));
}

void
verdict_connection(const struct check_result *r, size_t i,
    struct verdict_info *vi)
{
	const struct endpoint_result *ep = &r->eps[i];
	char words[300];
	enum finding f;

	if (ep->out->success || ep->out->reason == REASON_STARTTLS_MISSING) {
		rate(vi, V_PASS, "reached, %.2f s", ep->out->total_s);
		return;
	}
	switch (ep->out->reason) {
	case REASON_DNS: f = FIND_UNRESOLVED; break;
	case REASON_CONN: f = FIND_UNREACHABLE; break;
	case REASON_TIMEOUT: f = FIND_TIMEOUT; break;
	case REASON_PROTO:
	case REASON_RESP: f = FIND_PEER_BROKE; break;
	case REASON_TLS: f = FIND_TLS_HANDSHAKE; break;
	default: f = FIND_NONE; break;
	}
	failure_words(ep, words, sizeof(words));
	flag(vi, V_FAIL, f, NULL, "%s", words);
}

void
verdict_endpoint(const struct check_result *r, size_t i, double now,
    struct verdict_info *starttls, struct verdict_info *tls,
    struct verdict_info *cert)
{
	struct check_result one = *r;
	double earliest;

	one.eps = &r->eps[i];
	one.n_eps = 1;
	verdict_starttls(&one, starttls);
	verdict_tls(&one, tls);
	verdict_cert(&one, now, cert, &earliest);
}
