#include "web/facts.h"

#include <stdio.h>
#include <string.h>

#include "collectors/rating.h"
#include "collectors/audit.h"
#include "web/fmt.h"

#define EP(field)	offsetof(struct endpoint_result, field)
/* a field of the endpoint's outcome (FACT_IN_OUTCOME), of its audit
 * (FACT_IN_AUDIT) */
#define OUT(field)	.at = offsetof(struct probe_outcome, field),	\
			.flags = FACT_IN_OUTCOME
#define AU(field)	.at = offsetof(struct tls_audit, field),		\
			.flags = FACT_IN_AUDIT
#define TLS(s)		(&(s)->ep->out->tls)
#define AUDIT(s)	endpoint_audit((s)->ep)

/* --- where the groups stand ------------------------------------------------ */

static int
known_always(const struct fact_src *s)
{
	(void)s;
	return 1;
}

static int
known_tls(const struct fact_src *s)
{
	return TLS(s)->done;
}

static int
known_cert(const struct fact_src *s)
{
	return TLS(s)->have_cert;
}

static int
known_audit(const struct fact_src *s)
{
	return AUDIT(s)->ran;
}

/* DANE is looked up for an MX host on each SMTP port. */
static const struct dane_port *
dane_port(const struct fact_src *s)
{
	if (s->r == NULL || (s->ep->protocol != PROTO_SMTP &&
	    s->ep->protocol != PROTO_SUBMISSION &&
	    s->ep->protocol != PROTO_SMTPS))
		return NULL;
	return danelookup_port(check_result_dane(s->r, s->ep->host),
	    s->ep->port);
}

static int
known_dane(const struct fact_src *s)
{
	return dane_port(s) != NULL;
}

static const struct group_def {
	const char	*json;		/* its object's key */
	int		 json_inline;	/* members of the endpoint's object */
	int		 page;		/* on the target page */
	const char	*section;	/* its section; NULL: the frame's */
	int		 section_always;	/* even when not known ... */
	const char	*absent_row;	/* ... with this row */
	const char	*absent_text;
	int		(*known)(const struct fact_src *s);
} groups[EPG__COUNT] = {
	[EPG_SESSION] = { NULL, 1, 1, NULL, 0, NULL, NULL, known_always },
	[EPG_TLS] = { "tls", 0, 1, "TLS", 0, NULL, NULL, known_tls },
	[EPG_CERT] = { "certificate", 0, 1, "Certificate", 0, NULL, NULL,
	    known_cert },
	[EPG_AUDIT] = { "audit", 0, 1, "TLS audit", 1, "Run", "not run",
	    known_audit },
	[EPG_DANE] = { "dane", 0, 1, "DANE", 0, NULL, NULL, known_dane },
};

/* --- readers of derived facts ---------------------------------------------- */

static void
read_verify_error(const struct fact_src *s, struct fact_value *v)
{
	v->known = !TLS(s)->verified;
	v->str = TLS(s)->verify_error;
}

static void
read_kex_bits(const struct fact_src *s, struct fact_value *v)
{
	v->known = TLS(s)->kex_group[0] != '\0';
	v->num = TLS(s)->kex_bits;
}

static void
read_ocsp_status(const struct fact_src *s, struct fact_value *v)
{
	v->known = TLS(s)->ocsp_stapled;
	v->str = TLS(s)->ocsp_status;
}

static void
read_chain_not_after(const struct fact_src *s, struct fact_value *v)
{
	const struct tls_facts *t = TLS(s);

	v->known = 1;
	v->n = t->chain_len < CHAIN_MAX ? t->chain_len : CHAIN_MAX;
	v->nums = t->chain_not_after;
}

static const char *
version_name(size_t i)
{
	return tls_ver_name((enum tls_ver)i);
}

static const char *
weak_name(size_t i)
{
	return weak_class_name((enum weak_class)i);
}

static void
read_versions(const struct fact_src *s, struct fact_value *v)
{
	v->known = 1;
	v->n = TLSV__COUNT;
	v->tris = AUDIT(s)->version_accepted;
	v->name = version_name;
}

static void
read_weak(const struct fact_src *s, struct fact_value *v)
{
	v->known = 1;
	v->n = WEAK__COUNT;
	v->tris = AUDIT(s)->weak_accepted;
	v->name = weak_name;
}

static const char *
group_name(size_t i)
{
	return kex_group_name((enum kex_group)i);
}

static const char *
class_name(size_t i)
{
	return tls_class_name((int)i);
}

static const char *
rating_name(size_t i)
{
	return rating_check_name((enum rating_check)i);
}

static void
read_groups(const struct fact_src *s, struct fact_value *v)
{
	v->known = 1;
	v->n = GROUP__COUNT;
	v->tris = AUDIT(s)->group_accepted;
	v->name = group_name;
}

static void
read_classes(const struct fact_src *s, struct fact_value *v)
{
	v->known = 1;
	v->n = TLS_CLASS__COUNT;
	v->tris = s->ep->cipher_class_accepted;
	v->name = class_name;
}

/* The classes are 0..3: a "tri" per check that is never 1-bounded; the
 * JSON and the page have their own words (ratings in web/status.c). */
static void
read_ratings(const struct fact_src *s, struct fact_value *v)
{
	v->known = s->ep->rating_worst >= 0;
	v->n = RATE__COUNT;
	v->tris = s->ep->rating;
	v->name = rating_name;
}

static const char *
smtp_name_kind(size_t i)
{
	return i == 0 ? "banner" : "ehlo";
}

static void
/* Why DANE does not apply (the lookup's reason), else why the handshake
 * did not authenticate by it. */
read_smtp_names(const struct fact_src *s, struct fact_value *v)
{
	v->known = s->ep->smtp_name_match[0] >= 0 ||
	    s->ep->smtp_name_match[1] >= 0;
	v->n = 2;
	v->tris = s->ep->smtp_name_match;
	v->name = smtp_name_kind;
}

static void
read_dane_applicable(const struct fact_src *s, struct fact_value *v)
{
	v->known = 1;
	v->num = dane_port(s)->applicable;
}

static void
read_dane_reason(const struct fact_src *s, struct fact_value *v)
{
	enum dane_reason why = danelookup_verdict(dane_port(s),
	    tls_dane(&s->ep->out->tls));

	v->known = why != DANE_REASON_NONE;
	v->str = dane_reason_name(why);
}

/* Where DANE applies: whether the probe's own handshake authenticated by
 * it (0 too when TLS never came up). */
static void
read_dane_valid(const struct fact_src *s, struct fact_value *v)
{
	const struct dane_facts *f = tls_dane(&s->ep->out->tls);

	v->known = dane_port(s)->applicable;
	v->num = f->checked && f->valid;
}

static void
read_dane_rollover(const struct fact_src *s, struct fact_value *v)
{
	const struct dane_facts *f = tls_dane(&s->ep->out->tls);

	v->known = dane_port(s)->applicable && f->checked;
	v->num = f->rollover_ready;
}

static void
read_dane_base(const struct fact_src *s, struct fact_value *v)
{
	v->known = 1;
	v->str = danelookup_port_base(check_result_dane(s->r, s->ep->host),
	    dane_port(s));
}

static void
read_dane_dnssec(const struct fact_src *s, struct fact_value *v)
{
	v->known = 1;
	v->str = dnssec_status_name(dane_port(s)->tlsa_status);
}

static void
read_dane_why_bogus(const struct fact_src *s, struct fact_value *v)
{
	v->known = dane_port(s)->why_bogus[0] != '\0';
	v->str = dane_port(s)->why_bogus;
}

/* --- the page's words where a row says more than one value ----------------- */

static void
words_negotiated(const struct fact_src *s, char *out, size_t len)
{
	snprintf(out, len, "%s, %s", TLS(s)->version, TLS(s)->cipher);
}

static void
words_kex(const struct fact_src *s, char *out, size_t len)
{
	snprintf(out, len, "%s, %d bits", TLS(s)->kex_group, TLS(s)->kex_bits);
}

static void
words_valid(const struct fact_src *s, char *out, size_t len)
{
	char nb[64], na[64], days[64];

	fmt_time(TLS(s)->not_before, nb, sizeof(nb));
	fmt_time(TLS(s)->not_after, na, sizeof(na));
	fmt_days(TLS(s)->not_after, s->now, days, sizeof(days));
	snprintf(out, len, "%s to %s (%s)", nb, na, days);
}

static void
words_hostname(const struct fact_src *s, char *out, size_t len)
{
	snprintf(out, len, "%s (%s)", TLS(s)->hostname_match ? "yes" : "no",
	    s->ep->host);
}

static void
words_key(const struct fact_src *s, char *out, size_t len)
{
	snprintf(out, len, "%s, %d bits", TLS(s)->key_type, TLS(s)->key_bits);
}

static void
words_signature(const struct fact_src *s, char *out, size_t len)
{
	snprintf(out, len, "%s%s", TLS(s)->sig_alg,
	    TLS(s)->sig_weak ? " (weak)" : "");
}

static void
words_chain(const struct fact_src *s, char *out, size_t len)
{
	const struct tls_facts *t = TLS(s);
	char text[512];

	text[0] = '\0';
	for (unsigned d = 0; d < t->chain_len && d < CHAIN_MAX; d++) {
		char one[64];

		fmt_time(t->chain_not_after[d], one, sizeof(one));
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    "%s%u: %s", d ? "; " : "", d, one);
	}
	snprintf(out, len, "%u certificate%s; expiry by depth: %s",
	    t->chain_len, t->chain_len == 1 ? "" : "s", text);
}

static void
words_ocsp(const struct fact_src *s, char *out, size_t len)
{
	snprintf(out, len, "%s", TLS(s)->ocsp_stapled ? TLS(s)->ocsp_status :
	    "no");
}

static void
words_audit_run(const struct fact_src *s, char *out, size_t len)
{
	char when[64];

	fmt_time(AUDIT(s)->finished, when, sizeof(when));
	snprintf(out, len, "%s, %u handshakes, %.2f s", when,
	    AUDIT(s)->handshakes, AUDIT(s)->duration_s);
}

static void
words_versions(const struct fact_src *s, char *out, size_t len)
{
	const struct tls_audit *a = AUDIT(s);

	out[0] = '\0';
	for (int v = 0; v < TLSV__COUNT; v++)
		if (a->version_accepted[v] >= 0)
			snprintf(out + strlen(out), len - strlen(out),
			    "%s%s %s", out[0] ? ", " : "",
			    tls_ver_name((enum tls_ver)v),
			    a->version_accepted[v] ? "yes" : "no");
}

static void
words_weak(const struct fact_src *s, char *out, size_t len)
{
	const struct tls_audit *a = AUDIT(s);

	out[0] = '\0';
	for (int c = 0; c < WEAK__COUNT; c++)
		if (a->weak_accepted[c] == 1)
			snprintf(out + strlen(out), len - strlen(out), "%s%s",
			    out[0] ? ", " : "",
			    weak_class_name((enum weak_class)c));
	if (out[0] == '\0')
		snprintf(out, len, "none");
}

static void
words_dhe(const struct fact_src *s, char *out, size_t len)
{
	if (AUDIT(s)->dhe_bits == 0)
		snprintf(out, len, "not accepted");
	else
		snprintf(out, len, "accepted, %d-bit group",
		    AUDIT(s)->dhe_bits);
}

static void
words_injection(const struct fact_src *s, char *out, size_t len)
{
	snprintf(out, len, "%s", AUDIT(s)->starttls_injection ? "vulnerable: "
	    "answers a command sent in clear text inside TLS (CVE-2011-0411)" :
	    "not vulnerable");
}

/* --- the table --------------------------------------------------------------
 * In the order of the JSON (doc/api.md), which is the page's order too.
 * Each fact: its group, JSON key, type, metric family (and the label it
 * gives that family's sample), its page row, how it reads (a field:
 * .at .ctype .known, or .read), the row's words when the value's own
 * will not do, and the verdict it feeds.  See web/facts.h. */

const struct ep_fact ep_facts[] = {
	/* the dialogue */
	{ .group = EPG_SESSION, .key = "starttls_offered", .type = FT_TRI,
	    .family = F_STARTTLS_OFFERED,
	    .row = "STARTTLS offered", OUT(starttls_offered),
	    .ctype = C_INT, .known = K_NONNEG, .feeds = FEEDS_STARTTLS },
	{ .group = EPG_SESSION, .key = "plaintext_auth_offered",
	    .type = FT_TRI, .family = F_PLAINTEXT_AUTH,
	    .row = "Password before TLS",
	    OUT(plaintext_auth_offered), .ctype = C_INT,
	    .known = K_NONNEG },
	/* the handshake */
	{ .group = EPG_TLS, .key = "version", .type = FT_STR,
	    .family = F_TLS_VERSION_INFO, .label = "version",
	    .row = "Negotiated", OUT(tls.version), .ctype = C_CHARS,
	    .known = K_ALWAYS, .words = words_negotiated, .feeds = FEEDS_TLS },
	{ .group = EPG_TLS, .key = "cipher", .type = FT_STR,
	    .family = F_TLS_CIPHER_INFO, .label = "cipher",
	    OUT(tls.cipher), .ctype = C_STRP, .known = K_ALWAYS,
	    .feeds = FEEDS_TLS },
	{ .group = EPG_TLS, .key = "kex_group", .type = FT_STR,
	    .family = F_TLS_KEX_INFO, .label = "group",
	    .row = "Key exchange", OUT(tls.kex_group),
	    .ctype = C_STRP, .known = K_NONEMPTY, .words = words_kex },
	{ .group = EPG_TLS, .key = "kex_bits", .type = FT_INT,
	    .family = F_TLS_KEX_BITS,
	    .read = read_kex_bits, .flags = FACT_JSON_RAW },
	/* the certificate */
	{ .group = EPG_CERT, .key = "subject", .type = FT_STR,
	    .family = F_CERT_INFO, .label = "subject", .row = "Subject",
	    OUT(tls.subject), .ctype = C_STRP, .known = K_ALWAYS },
	{ .group = EPG_CERT, .key = "issuer", .type = FT_STR,
	    .family = F_CERT_INFO, .label = "issuer", .row = "Issuer",
	    OUT(tls.issuer), .ctype = C_STRP, .known = K_ALWAYS },
	{ .group = EPG_CERT, .key = "serial", .type = FT_STR,
	    .family = F_CERT_INFO, .label = "serial", .row = "Serial",
	    OUT(tls.serial), .ctype = C_STRP, .known = K_ALWAYS },
	{ .group = EPG_CERT, .key = "fingerprint_sha256", .type = FT_STR,
	    .family = F_CERT_INFO, .label = "fingerprint_sha256",
	    .row = "SHA-256 fingerprint",
	    OUT(tls.fingerprint_sha256), .ctype = C_STRP,
	    .known = K_ALWAYS },
	{ .group = EPG_CERT, .key = "not_before", .type = FT_TIME,
	    .family = F_CERT_NOT_BEFORE, .row = "Valid",
	    OUT(tls.not_before), .ctype = C_DOUBLE,
	    .known = K_ALWAYS, .words = words_valid, .feeds = FEEDS_CERT },
	{ .group = EPG_CERT, .key = "not_after", .type = FT_TIME,
	    .family = F_CERT_NOT_AFTER,
	    OUT(tls.not_after), .ctype = C_DOUBLE,
	    .known = K_ALWAYS, .feeds = FEEDS_CERT },
	{ .group = EPG_CERT, .key = "chain_earliest_not_after",
	    .type = FT_TIME, .family = F_CERT_CHAIN_EARLIEST_NOT_AFTER,
	    .label = NULL,
	    OUT(tls.chain_earliest_not_after), .ctype = C_DOUBLE,
	    .known = K_ALWAYS, .feeds = FEEDS_CERT },
	{ .group = EPG_CERT, .key = "presented_chain_earliest_not_after",
	    .type = FT_TIME,
	    .family = F_CERT_PRESENTED_CHAIN_EARLIEST_NOT_AFTER,
	    .label = NULL,
	    OUT(tls.presented_chain_earliest_not_after),
	    .ctype = C_DOUBLE, .known = K_ALWAYS },
	{ .group = EPG_CERT, .key = "verified", .type = FT_BOOL,
	    .family = F_CERT_VERIFIED,
	    .row = "Chain verified", OUT(tls.verified),
	    .ctype = C_INT, .known = K_ALWAYS, .feeds = FEEDS_CERT },
	{ .group = EPG_CERT, .key = "verify_error", .type = FT_STR,
	    .family = F_CERT_VERIFY_ERROR_INFO, .label = "error",
	    .row = "Verification error", .read = read_verify_error,
	    .feeds = FEEDS_CERT },
	{ .group = EPG_CERT, .key = "hostname_match", .type = FT_BOOL,
	    .family = F_CERT_HOSTNAME_MATCH,
	    .row = "Valid for the host name",
	    OUT(tls.hostname_match), .ctype = C_INT,
	    .known = K_ALWAYS, .words = words_hostname, .feeds = FEEDS_CERT },
	{ .group = EPG_CERT, .key = "key_type", .type = FT_STR,
	    .family = F_CERT_KEY_BITS, .label = "key_type", .row = "Key",
	    OUT(tls.key_type), .ctype = C_CHARS, .known = K_ALWAYS,
	    .words = words_key },
	{ .group = EPG_CERT, .key = "key_bits", .type = FT_INT,
	    .family = F_CERT_KEY_BITS,
	    OUT(tls.key_bits), .ctype = C_INT, .known = K_ALWAYS },
	{ .group = EPG_CERT, .key = "signature_algorithm", .type = FT_STR,
	    .family = F_CERT_SIG_INFO, .label = "algorithm",
	    .row = "Signature", OUT(tls.sig_alg), .ctype = C_STRP,
	    .known = K_ALWAYS, .words = words_signature },
	{ .group = EPG_CERT, .key = "signature_weak", .type = FT_BOOL,
	    .family = F_CERT_SIG_WEAK,
	    OUT(tls.sig_weak), .ctype = C_INT, .known = K_ALWAYS },
	{ .group = EPG_CERT, .key = "self_signed", .type = FT_BOOL,
	    .family = F_CERT_SELF_SIGNED,
	    .row = "Self-signed", OUT(tls.self_signed),
	    .ctype = C_INT, .known = K_ALWAYS },
	{ .group = EPG_CERT, .key = "chain_length", .type = FT_INT,
	    .family = F_CERT_CHAIN_LENGTH, .row = "Chain",
	    OUT(tls.chain_len), .ctype = C_UINT, .known = K_ALWAYS,
	    .words = words_chain },
	{ .group = EPG_CERT, .key = "chain_not_after", .type = FT_LIST,
	    .family = F_CERT_CHAIN_NOT_AFTER, .label = "depth",
	    .read = read_chain_not_after },
	{ .group = EPG_CERT, .key = "ocsp_stapled", .type = FT_BOOL,
	    .family = F_CERT_OCSP_STAPLED,
	    .row = "OCSP stapled", OUT(tls.ocsp_stapled),
	    .ctype = C_INT, .known = K_ALWAYS, .words = words_ocsp },
	{ .group = EPG_CERT, .key = "ocsp_status", .type = FT_STR,
	    .family = F_CERT_OCSP_STATUS_INFO, .label = "status",
	    .row = NULL, .read = read_ocsp_status },
	/* the TLS audit */
	{ .group = EPG_AUDIT, .key = "finished", .type = FT_TIME,
	    .family = F_AUDIT_TIMESTAMP, .row = "Run",
	    AU(finished), .ctype = C_DOUBLE, .known = K_ALWAYS,
	    .words = words_audit_run },
	{ .group = EPG_AUDIT, .key = "duration_seconds", .type = FT_NUM,
	    .family = F_AUDIT_DURATION,
	    AU(duration_s), .ctype = C_DOUBLE, .known = K_ALWAYS },
	{ .group = EPG_AUDIT, .key = "handshakes", .type = FT_INT,
	    .family = F_AUDIT_HANDSHAKES,
	    AU(handshakes), .ctype = C_UINT, .known = K_ALWAYS },
	{ .group = EPG_AUDIT, .key = "versions_accepted", .type = FT_SET,
	    .family = F_TLS_VERSION_ACCEPTED, .label = "version",
	    .row = "Versions accepted", .read = read_versions,
	    .words = words_versions, .feeds = FEEDS_TLS },
	{ .group = EPG_AUDIT, .key = "weak_ciphers_accepted", .type = FT_SET,
	    .family = F_TLS_WEAK_CIPHER, .label = "class",
	    .row = "Weak ciphers accepted", .read = read_weak,
	    .words = words_weak, .feeds = FEEDS_TLS },
	{ .group = EPG_AUDIT, .key = "dhe_bits", .type = FT_INT,
	    .family = F_TLS_DHE_BITS, .row = "DHE",
	    AU(dhe_bits), .ctype = C_INT, .known = K_NONNEG,
	    .words = words_dhe },
	{ .group = EPG_AUDIT, .key = "server_cipher_order", .type = FT_TRI,
	    .family = F_TLS_SERVER_ORDER,
	    .row = "Server picks the cipher",
	    AU(server_cipher_order), .ctype = C_SCHAR,
	    .known = K_NONNEG },
	{ .group = EPG_AUDIT, .key = "secure_renegotiation", .type = FT_TRI,
	    .family = F_TLS_SECURE_RENEG,
	    .row = "Secure renegotiation",
	    AU(secure_renegotiation), .ctype = C_SCHAR,
	    .known = K_NONNEG },
	{ .group = EPG_AUDIT, .key = "starttls_injection", .type = FT_TRI,
	    .family = F_STARTTLS_INJECTION,
	    .row = "STARTTLS command injection",
	    AU(starttls_injection), .ctype = C_SCHAR,
	    .known = K_NONNEG, .words = words_injection },
	/* what the ratings learn (doc/ratings.md) */
	{ .group = EPG_AUDIT, .key = "groups_accepted", .type = FT_SET,
	    .family = F_TLS_GROUP_ACCEPTED, .label = "group",
	    .read = read_groups },
	{ .group = EPG_AUDIT, .key = "cipher_classes_accepted", .type = FT_SET,
	    .family = F_TLS_CIPHER_CLASS_ACCEPTED, .label = "class",
	    .read = read_classes },
	/* the ratings: metrics here; the JSON's "ratings" and the page's
	 * section come from rating_endpoint() in web/status.c */
	{ .group = EPG_AUDIT, .key = NULL, .type = FT_SET,
	    .family = F_TLS_RATING, .label = "check", .read = read_ratings },
	{ .group = EPG_AUDIT, .key = NULL, .type = FT_INT,
	    .family = F_TLS_RATING_WORST,
	    .at = EP(rating_worst), .ctype = C_SCHAR, .known = K_NONNEG },
	/* MX hygiene (doc/mx-hygiene.md): metrics only, the verdict tells
	 * the page and the JSON */
	{ .group = EPG_SESSION, .key = NULL, .type = FT_SET,
	    .family = F_SMTP_BANNER_NAME_MATCH, .label = "name",
	    .read = read_smtp_names },
	{ .group = EPG_CERT, .key = NULL, .type = FT_STR,
	    .family = F_CAA_ISSUER_ALLOWED, .label = "ca",
	    .at = EP(caa_ca), .ctype = C_STRP, .known = K_NONEMPTY },
	{ .group = EPG_CERT, .key = NULL, .type = FT_TRI,
	    .family = F_CAA_ISSUER_ALLOWED,
	    .at = EP(caa_issuer_allowed), .ctype = C_SCHAR, .known = K_NONNEG },
	/* DANE (doc/dane.md); mailsec_dane_tlsa_records, four labels an
	 * entry, is written in web/metrics.c */
	{ .group = EPG_DANE, .key = "tlsa_base", .type = FT_STR,
	    .family = F__COUNT, .row = "TLSA at the name",
	    .read = read_dane_base },
	{ .group = EPG_DANE, .key = "tlsa_dnssec", .type = FT_STR,
	    .family = F__COUNT, .row = "TLSA lookup",
	    .read = read_dane_dnssec },
	{ .group = EPG_DANE, .key = "why_bogus", .type = FT_STR,
	    .family = F__COUNT, .row = "Why bogus",
	    .read = read_dane_why_bogus },
	{ .group = EPG_DANE, .key = "applicable", .type = FT_BOOL,
	    .family = F_DANE_APPLICABLE, .row = "Applies",
	    .read = read_dane_applicable },
	{ .group = EPG_DANE, .key = "valid", .type = FT_BOOL,
	    .family = F_DANE_VALID, .row = "Valid",
	    .read = read_dane_valid },
	{ .group = EPG_DANE, .key = "rollover_ready", .type = FT_BOOL,
	    .family = F_DANE_ROLLOVER_READY, .row = "Rollover ready",
	    .read = read_dane_rollover },
	{ .group = EPG_DANE, .key = "reason", .type = FT_STR,
	    .family = F_DANE_ERROR_INFO, .label = "reason", .row = "Reason",
	    .read = read_dane_reason },
};

const size_t n_ep_facts = sizeof(ep_facts) / sizeof(ep_facts[0]);

/* --- reading ----------------------------------------------------------------- */

void
fact_value_clear(struct fact_value *v)
{
	memset(v, 0, offsetof(struct fact_value, text));
	v->text[0] = '\0';
}

void
fact_read_field(const void *base, size_t at, enum fact_ctype ctype,
    enum fact_known known, struct fact_value *v)
{
	const unsigned char *p = (const unsigned char *)base + at;

	switch (ctype) {
	case C_INT:
		v->num = *(const int *)(const void *)p;
		break;
	case C_UINT:
		v->num = *(const unsigned *)(const void *)p;
		break;
	case C_SCHAR:
		v->num = *(const signed char *)(const void *)p;
		break;
	case C_DOUBLE:
		v->num = *(const double *)(const void *)p;
		break;
	case C_LONG:
		v->num = (double)*(const long *)(const void *)p;
		break;
	case C_SIZE:
		v->num = (double)*(const size_t *)(const void *)p;
		break;
	case C_CHARS:
		v->str = (const char *)p;
		break;
	case C_STRP:
		v->str = *(const char *const *)(const void *)p;
		break;
	case C_LOOKUP:
		v->lookup = (const struct dns_lookup_info *)(const void *)p;
		break;
	case C_NONE:
		break;
	}
	switch (known) {
	case K_ALWAYS:
		v->known = 1;
		break;
	case K_NONNEG:
		v->known = v->num >= 0;
		break;
	case K_NONEMPTY:
		v->known = v->str != NULL && v->str[0] != '\0';
		break;
	case K_NONNULL:
		v->known = v->str != NULL;
		break;
	}
}

void
fact_read(const struct ep_fact *f, const struct fact_src *s,
    struct fact_value *v)
{
	const void *base = s->ep;

	fact_value_clear(v);
	if (f->read != NULL) {
		f->read(s, v);
		return;
	}
	if (f->flags & FACT_IN_OUTCOME)
		base = s->ep->out;
	else if (f->flags & FACT_IN_AUDIT)
		base = AUDIT(s);
	fact_read_field(base, f->at, f->ctype, f->known, v);
}

static void
src_init(struct fact_src *s, const struct check_result *r,
    const struct endpoint_result *ep, double now)
{
	s->r = r;
	s->ep = ep;
	s->now = now;
}

/* --- /metrics ---------------------------------------------------------------- */

static void
expo_entries(struct expo *e, const struct buf *labels, const struct ep_fact *f,
    const struct fact_value *v)
{
	for (size_t i = 0; i < v->n; i++) {
		const char *pair[2] = { f->label, NULL };
		char index[24];

		if (f->type == FT_SET) {
			if (v->tris[i] < 0)
				continue;
			pair[1] = v->name(i);
			expo_add_pairs(e, f->family, labels, v->tris[i], pair, 1);
		} else {
			snprintf(index, sizeof(index), "%zu", i);
			pair[1] = index;
			expo_add_pairs(e, f->family, labels, v->nums[i], pair, 1);
		}
	}
}

void
facts_expo(struct expo *e, const struct buf *labels,
    const struct check_result *r, const struct endpoint_result *ep)
{
	int known[EPG__COUNT];
	struct fact_src s;
	size_t i = 0;

	src_init(&s, r, ep, 0);
	for (int g = 0; g < EPG__COUNT; g++)
		known[g] = groups[g].known(&s);
	while (i < n_ep_facts) {
		const struct ep_fact *f = &ep_facts[i];
		const char *pairs[2 * EXPO_PAIRS_MAX];
		size_t end = i + 1, n_pairs = 0;
		double value = 1;
		int all_known = 1;
		struct fact_value v;

		/* --once asks a band of families at a time: skip the
		 * reads of the others */
		if (f->family == F__COUNT || !known[f->group] ||
		    !EXPO_KEEPS(e, f->family)) {
			i++;
			continue;
		}
		if (f->type == FT_SET || f->type == FT_LIST) {
			fact_read(f, &s, &v);
			if (v.known)
				expo_entries(e, labels, f, &v);
			i++;
			continue;
		}
		/* one sample of the run of facts of this family */
		while (end < n_ep_facts && ep_facts[end].family == f->family &&
		    ep_facts[end].group == f->group)
			end++;
		for (size_t k = i; k < end && all_known; k++) {
			fact_read(&ep_facts[k], &s, &v);
			if (!v.known)
				all_known = 0;
			else if (ep_facts[k].type == FT_STR) {
				pairs[2 * n_pairs] = ep_facts[k].label;
				pairs[2 * n_pairs + 1] = v.str;
				n_pairs++;
			} else
				value = v.num;
		}
		if (all_known)
			expo_add_pairs(e, f->family, labels, value, pairs,
			    n_pairs);
		i = end;
	}
}

/* --- JSON -------------------------------------------------------------------- */

void
fact_json(struct json *j, const char *key, enum fact_type type, int raw,
    const struct fact_value *v)
{
	raw = v->known || raw;
	switch (type) {
	case FT_BOOL:
		if (v->known)
			json_kbool(j, key, v->num != 0);
		else
			json_kstr(j, key, NULL);
		break;
	case FT_TRI:
		json_ktri(j, key, v->known ? (int)v->num : -1);
		break;
	case FT_INT:
		if (raw)
			json_kint(j, key, (long long)v->num);
		else
			json_kstr(j, key, NULL);
		break;
	case FT_NUM:
	case FT_TIME:
		if (raw)
			json_knum(j, key, v->num);
		else
			json_kstr(j, key, NULL);
		break;
	case FT_STR:
		json_kstr(j, key, v->known ? v->str : NULL);
		break;
	case FT_SET:
		json_key(j, key);
		json_obj_open(j);
		for (size_t i = 0; i < v->n; i++)
			json_ktri(j, v->name(i), v->tris[i]);
		json_obj_close(j);
		break;
	case FT_LIST:
		json_key(j, key);
		json_arr_open(j);
		for (size_t i = 0; i < v->n; i++)
			json_num(j, v->nums[i]);
		json_arr_close(j);
		break;
	case FT_STRS:
		json_key(j, key);
		json_arr_open(j);
		for (size_t i = 0; i < v->n; i++)
			json_str(j, v->strs[i]);
		json_arr_close(j);
		break;
	case FT_LOOKUP:
		json_kstr(j, key, dns_result_name(v->lookup->result));
		break;
	}
}

void
facts_json(struct json *j, const struct check_result *r,
    const struct endpoint_result *ep)
{
	struct fact_src s;

	src_init(&s, r, ep, 0);
	for (int g = 0; g < EPG__COUNT; g++) {
		const struct group_def *gd = &groups[g];
		int known;

		if (gd->json == NULL && !gd->json_inline)
			continue;
		known = gd->known(&s);
		if (!gd->json_inline) {
			json_key(j, gd->json);
			if (!known) {
				json_null(j);
				continue;
			}
			json_obj_open(j);
		}
		for (size_t i = 0; known && i < n_ep_facts; i++) {
			struct fact_value v;

			if (ep_facts[i].group != (enum ep_group)g ||
			    ep_facts[i].key == NULL)
				continue;
			fact_read(&ep_facts[i], &s, &v);
			fact_json(j, ep_facts[i].key, ep_facts[i].type,
			    (ep_facts[i].flags & FACT_JSON_RAW) != 0, &v);
		}
		if (!gd->json_inline)
			json_obj_close(j);
	}
}

/* --- the target page ----------------------------------------------------------- */

void
fact_text(enum fact_type type, const struct fact_value *v, char *out,
    size_t len)
{
	switch (type) {
	case FT_BOOL:
		snprintf(out, len, "%s", v->num != 0 ? "yes" : "no");
		break;
	case FT_TRI:
		snprintf(out, len, "%s", !v->known ? "not learnt" :
		    v->num != 0 ? "yes" : "no");
		break;
	case FT_INT:
		snprintf(out, len, "%.0f", v->num);
		break;
	case FT_NUM:
		snprintf(out, len, "%g", v->num);
		break;
	case FT_TIME:
		fmt_time(v->num, out, len);
		break;
	case FT_STR:
		snprintf(out, len, "%s", v->str ? v->str : "");
		break;
	case FT_LOOKUP:
		snprintf(out, len, "%s", dns_result_name(v->lookup->result));
		break;
	case FT_SET:
	case FT_LIST:
	case FT_STRS:
		out[0] = '\0';
		break;
	}
}

static void
row_words(const struct ep_fact *f, const struct fact_src *s,
    const struct fact_value *v, char *out, size_t len)
{
	if (f->words != NULL)
		f->words(s, out, len);
	else
		fact_text(f->type, v, out, len);
}

void
facts_rows(const struct check_result *r, const struct endpoint_result *ep,
    double now, const struct facts_page *page)
{
	struct fact_src s;
	char text[512];

	src_init(&s, r, ep, now);
	for (int g = 0; g < EPG__COUNT; g++) {
		const struct group_def *gd = &groups[g];
		int known = gd->known(&s);

		if (!gd->page || (!known && !gd->section_always))
			continue;
		if (gd->section != NULL)
			page->section(page->arg, gd->section);
		if (!known) {
			page->row(page->arg, gd->absent_row, gd->absent_text);
			continue;
		}
		for (size_t i = 0; i < n_ep_facts; i++) {
			const struct ep_fact *f = &ep_facts[i];
			struct fact_value v;

			if (f->group != (enum ep_group)g || f->row == NULL)
				continue;
			fact_read(f, &s, &v);
			if (!v.known && f->type != FT_TRI)
				continue;
			row_words(f, &s, &v, text, sizeof(text));
			page->row(page->arg, f->row, text);
		}
	}
}
