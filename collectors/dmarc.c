#include "collectors/dmarc.h"

#include "base/ostr.h"

#include <libpsl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOMAIN_MAX	253	/* presentation form, no trailing dot */
#define LABEL_MAX	63
#define VERSION_FLAGS	TXT_VERSION_TAG_NOCASE	/* "v" is a quoted string */

static void
d_fail(struct dmarc_record *d, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Keeps the first problem: reason is one metric label.  Fields set later
 * still count, so the record describes what receivers would apply. */
static void
d_fail(struct dmarc_record *d, const char *reason, const char *fmt, ...)
{
	va_list ap;
	char msg[DMARC_MESSAGE_MAX];

	d->valid = 0;
	if (d->reason != NULL)
		return;
	d->reason = reason;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ostr_set(&d->message, ostr_cut(msg, sizeof(msg)));
}

static int
is_hex(int c)
{
	return ascii_is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

/* Values shown in messages are VALCHARs already; only their length needs
 * bounding. */
#define SHOW(p, len)	(int)((len) > 48 ? 48 : (len)), (p)

const char *
dmarc_policy_name(enum dmarc_policy policy)
{
	switch (policy) {
	case DMARC_POLICY_NONE:
		return "none";
	case DMARC_POLICY_QUARANTINE:
		return "quarantine";
	case DMARC_POLICY_REJECT:
		return "reject";
	case DMARC_POLICY_UNSET:
		break;
	}
	return "unset";
}

static enum dmarc_policy
policy_parse(const struct txt_tag *tag)
{
	if (txt_span_eq(tag->value, tag->value_len, "none", 1))
		return DMARC_POLICY_NONE;
	if (txt_span_eq(tag->value, tag->value_len, "quarantine", 1))
		return DMARC_POLICY_QUARANTINE;
	if (txt_span_eq(tag->value, tag->value_len, "reject", 1))
		return DMARC_POLICY_REJECT;
	return DMARC_POLICY_UNSET;
}

/* 1*DIGIT (at most max_digits of them) up to max: no sign, no blanks, no
 * exponent. */
static int
digits_parse(const char *p, size_t len, size_t max_digits, uint64_t max,
    uint64_t *out)
{
	char digits[24];
	const char *err;

	if (len == 0 || len > max_digits || len >= sizeof(digits))
		return -1;
	memcpy(digits, p, len);
	digits[len] = '\0';
	return parse_uint(digits, 0, max, out, &err);
}

/* A host name in LDH form, with or without one trailing dot. */
static int
hostname_ok(const char *s, size_t len)
{
	size_t label = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMAIN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!ascii_is_alpha(c) && !ascii_is_digit(c) && c != '-')
			return 0;
		if (label == 0 && c == '-')
			return 0;
		if (++label > LABEL_MAX)
			return 0;
	}
	return s[len - 1] != '-';
}

static char *
hostname_dup(const char *s, size_t len)
{
	char *h;

	if (len > 0 && s[len - 1] == '.')
		len--;
	h = xstrndup(s, len);
	for (char *c = h; *c; c++)
		*c = (char)ascii_lower((unsigned char)*c);
	return h;
}

/* RFC 3986: unreserved, reserved and pct-encoded. */
static int
uri_chars_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= len)
				return 0;
			if (!is_hex((unsigned char)s[i + 1]) ||
			    !is_hex((unsigned char)s[i + 2]))
				return 0;
			i += 2;
			continue;
		}
		if (ascii_is_alpha(c) || ascii_is_digit(c) ||
		    strchr("-._~:/?#[]@!$&'()*+,;=", c) != NULL)
			continue;
		return 0;
	}
	return 1;
}

/* "!" 1*DIGIT [ "k" / "m" / "g" / "t" ]; units are powers of two (6.2). */
static int
size_parse(const char *p, size_t len, uint64_t *bytes)
{
	unsigned shift = 0;
	uint64_t n;

	if (len > 0 && !ascii_is_digit((unsigned char)p[len - 1])) {
		switch (ascii_lower((unsigned char)p[len - 1])) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		case 't': shift = 40; break;
		default: return -1;
		}
		len--;
	}
	if (digits_parse(p, len, 19, UINT64_MAX >> shift, &n) == -1 || n == 0)
		return -1;
	*bytes = n << shift;
	return 0;
}

/* One dmarc-uri.  Fills u (uri, domain) or explains in why. */
static int
uri_parse(const char *s, size_t len, struct dmarc_uri *u, char *why,
    size_t whylen)
{
	const char *bang, *rest, *end, *host, *host_end, *at;
	size_t slen;

	memset(u, 0, sizeof(*u));
	/* "!" in a URI must be %21 (6.2), so the last one starts the size. */
	for (bang = s + len; bang > s && bang[-1] != '!'; bang--)
		;
	if (bang > s) {
		if (size_parse(bang, (size_t)(s + len - bang),
		    &u->max_bytes) == -1) {
			snprintf(why, whylen, "bad size limit \"!%.*s\"",
			    SHOW(bang, (size_t)(s + len - bang)));
			return -1;
		}
		len = (size_t)(bang - 1 - s);
	}
	end = s + len;
	for (slen = 0; slen < len && (ascii_is_alpha((unsigned char)s[slen]) ||
	    (slen > 0 && (ascii_is_digit((unsigned char)s[slen]) ||
	    s[slen] == '+' || s[slen] == '-' || s[slen] == '.'))); slen++)
		;
	if (slen == 0 || slen == len || s[slen] != ':') {
		snprintf(why, whylen, "\"%.*s\" has no scheme (mailto: "
		    "missing?)", SHOW(s, len));
		return -1;
	}
	rest = s + slen + 1;
	if (rest == end || !uri_chars_ok(rest, (size_t)(end - rest))) {
		snprintf(why, whylen, "\"%.*s\" is not a URI", SHOW(s, len));
		return -1;
	}
	if (txt_span_eq(s, slen, "mailto", 1)) {
		u->mailto = 1;
		for (host_end = rest; host_end < end && *host_end != '?';
		    host_end++)
			;
		for (at = host_end; at > rest && at[-1] != '@'; at--)
			;
		if (at == rest || at - 1 == rest) {
			snprintf(why, whylen, "\"%.*s\" has no address",
			    SHOW(s, len));
			return -1;
		}
		host = at;
		if (!hostname_ok(host, (size_t)(host_end - host))) {
			snprintf(why, whylen, "\"%.*s\": bad mail domain",
			    SHOW(s, len));
			return -1;
		}
		u->domain = hostname_dup(host, (size_t)(host_end - host));
	} else if (end - rest > 2 && rest[0] == '/' && rest[1] == '/') {
		/* 7.1 applies to any URI's host, e.g. https. */
		host = rest + 2;
		for (host_end = host; host_end < end &&
		    strchr("/?#", *host_end) == NULL; host_end++)
			;
		for (at = host_end; at > host && at[-1] != '@'; at--)
			;
		host = at;
		for (at = host; at < host_end && *at != ':'; at++)
			;
		host_end = at;
		if (hostname_ok(host, (size_t)(host_end - host)))
			u->domain = hostname_dup(host,
			    (size_t)(host_end - host));
	}
	u->uri = xstrndup(s, len);
	return 0;
}

static void
uri_list_free(struct dmarc_uri *uris, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(uris[i].uri);
		free(uris[i].domain);
	}
	free(uris);
}

/* rua=/ruf=: dmarc-uri *(*WSP "," *WSP dmarc-uri).  Bad URIs are
 * reported and skipped, the good ones kept. */
static void
uri_list_parse(struct dmarc_record *d, const struct txt_tag *tag,
    struct dmarc_uri **uris, unsigned *n)
{
	struct txt_list list;
	struct dmarc_uri u;
	const char *item;
	size_t len, cap = 0;
	char why[160];
	int r;

	txt_list_init(&list, tag->value, tag->value_len, ',');
	if (tag->value_len == 0)
		d_fail(d, "bad_uri", "%.*s= is empty", SHOW(tag->name,
		    tag->name_len));
	while ((r = txt_list_next(&list, &item, &len)) != 0) {
		if (r == -1) {
			d_fail(d, "bad_uri", "%.*s= has an empty URI",
			    SHOW(tag->name, tag->name_len));
			continue;
		}
		if (uri_parse(item, len, &u, why, sizeof(why)) == -1) {
			d_fail(d, "bad_uri", "%.*s=: %s", SHOW(tag->name,
			    tag->name_len), why);
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 2;
			*uris = xreallocarray(*uris, cap, sizeof(**uris));
		}
		(*uris)[(*n)++] = u;
	}
}

/* fo=: 0, 1, d, s separated by ":". */
static void
fo_parse(struct dmarc_record *d, const struct txt_tag *tag)
{
	struct txt_list list;
	const char *item;
	size_t len;
	unsigned fo = 0;
	int r;

	txt_list_init(&list, tag->value, tag->value_len, ':');
	while ((r = txt_list_next(&list, &item, &len)) != 0) {
		if (r == 1 && len == 1) {
			switch (ascii_lower((unsigned char)*item)) {
			case '0': fo |= DMARC_FO_0; continue;
			case '1': fo |= DMARC_FO_1; continue;
			case 'd': fo |= DMARC_FO_D; continue;
			case 's': fo |= DMARC_FO_S; continue;
			}
		}
		d_fail(d, "bad_fo", "fo=%.*s: options are 0, 1, d, s "
		    "separated by ':'", SHOW(tag->value, tag->value_len));
		return;
	}
	if (fo == 0) {
		d_fail(d, "bad_fo", "fo= is empty");
		return;
	}
	d->fo = (unsigned char)fo;
}

/* rf=: only afrf is registered. */
static void
rf_parse(struct dmarc_record *d, const struct txt_tag *tag)
{
	struct txt_list list;
	const char *item;
	size_t len;
	int r, n = 0;

	txt_list_init(&list, tag->value, tag->value_len, ':');
	while ((r = txt_list_next(&list, &item, &len)) != 0) {
		if (r == -1 || !txt_span_eq(item, len, "afrf", 1)) {
			d_fail(d, "bad_rf", "rf=%.*s: the only report format "
			    "is afrf", SHOW(tag->value, tag->value_len));
			return;
		}
		n++;
	}
	if (n == 0)
		d_fail(d, "bad_rf", "rf= is empty");
}

static int
one_of(const struct txt_tag *tag, const char *chars, char *out)
{
	if (tag->value_len != 1 || tag->value[0] == '\0' ||
	    strchr(chars, ascii_lower((unsigned char)tag->value[0])) == NULL)
		return -1;
	*out = (char)ascii_lower((unsigned char)tag->value[0]);
	return 0;
}

static void
record_init(struct dmarc_record *d)
{
	memset(d, 0, sizeof(*d));
	d->message = ostr_empty;
	d->policy = d->subdomain_policy = d->nonexistent_policy =
	    DMARC_POLICY_UNSET;
	d->pct = 100;
	d->adkim = d->aspf = 'r';
	d->fo = DMARC_FO_0;
	d->ri = DMARC_DEFAULT_RI;
	d->psd = 'u';
}

/* The tags RFC 7489, RFC 9091 and DMARCbis define. */
enum known_tag {
	TAG_V, TAG_P, TAG_SP, TAG_NP, TAG_PCT, TAG_ADKIM, TAG_ASPF, TAG_FO,
	TAG_RF, TAG_RI, TAG_RUA, TAG_RUF, TAG_PSD, TAG_T, TAG__COUNT
};

static const char *const known_tags[TAG__COUNT] = {
	[TAG_V] = "v", [TAG_P] = "p", [TAG_SP] = "sp", [TAG_NP] = "np",
	[TAG_PCT] = "pct", [TAG_ADKIM] = "adkim", [TAG_ASPF] = "aspf",
	[TAG_FO] = "fo", [TAG_RF] = "rf", [TAG_RI] = "ri", [TAG_RUA] = "rua",
	[TAG_RUF] = "ruf", [TAG_PSD] = "psd", [TAG_T] = "t",
};

static void
unknown_add(struct dmarc_record *d, const struct txt_tag *tag, size_t *cap)
{
	if (d->n_unknown_tags == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		d->unknown_tags = xreallocarray(d->unknown_tags, *cap,
		    sizeof(*d->unknown_tags));
	}
	d->unknown_tags[d->n_unknown_tags++] = xstrndup(tag->name,
	    tag->name_len);
}

static void
policy_apply(struct dmarc_record *d, const struct txt_tag *tag,
    signed char *out, signed char *set)
{
	enum dmarc_policy pol;

	if ((pol = policy_parse(tag)) == DMARC_POLICY_UNSET) {
		d_fail(d, "bad_policy", "%.*s=%.*s: must be none, quarantine "
		    "or reject", SHOW(tag->name, tag->name_len),
		    SHOW(tag->value, tag->value_len));
		return;
	}
	*out = (signed char)pol;
	*set = 1;
}

struct parse_state {
	int	seen[TAG__COUNT];	/* a repeated tag is already an error
					 * ("duplicate_tag"): the first wins */
	signed char p_ok;
	int	sp_bad;
	size_t	cap_unknown;
};

static void
tag_apply(struct dmarc_record *d, const struct txt_tag *tag,
    struct parse_state *st)
{
	enum known_tag which;
	uint64_t n;
	char c;

	for (which = 0; which < TAG__COUNT; which++)
		if (txt_tag_name_is(tag, known_tags[which], 1))
			break;
	if (which == TAG__COUNT) {
		/* Unknown tags MUST be ignored (6.3), but are worth showing. */
		unknown_add(d, tag, &st->cap_unknown);
		return;
	}
	if (st->seen[which]++)
		return;
	switch (which) {
	case TAG_V:
	case TAG__COUNT:
		break;
	case TAG_P:
		policy_apply(d, tag, &d->policy, &st->p_ok);
		break;
	case TAG_SP:
		policy_apply(d, tag, &d->subdomain_policy, &d->sp_set);
		st->sp_bad = !d->sp_set;
		break;
	case TAG_NP:
		policy_apply(d, tag, &d->nonexistent_policy, &d->np_set);
		break;
	case TAG_PCT:
		if (digits_parse(tag->value, tag->value_len, 3, 100, &n) == -1)
			d_fail(d, "bad_pct", "pct=%.*s: must be an integer "
			    "from 0 to 100", SHOW(tag->value, tag->value_len));
		else
			d->pct = (signed char)n;
		break;
	case TAG_ADKIM:
	case TAG_ASPF:
		if (one_of(tag, "rs", &c) == -1)
			d_fail(d, "bad_alignment", "%s=%.*s: must be r or s",
			    known_tags[which], SHOW(tag->value,
			    tag->value_len));
		else if (which == TAG_ADKIM)
			d->adkim = c;
		else
			d->aspf = c;
		break;
	case TAG_FO:
		fo_parse(d, tag);
		break;
	case TAG_RF:
		rf_parse(d, tag);
		break;
	case TAG_RI:
		if (digits_parse(tag->value, tag->value_len, 10, UINT32_MAX,
		    &n) == -1)
			d_fail(d, "bad_ri", "ri=%.*s: must be seconds, at "
			    "most %u", SHOW(tag->value, tag->value_len),
			    (unsigned)UINT32_MAX);
		else
			d->ri = (uint32_t)n;
		break;
	case TAG_RUA:
		uri_list_parse(d, tag, &d->rua, &d->n_rua);
		break;
	case TAG_RUF:
		uri_list_parse(d, tag, &d->ruf, &d->n_ruf);
		break;
	case TAG_PSD:
		if (one_of(tag, "ynu", &c) == -1)
			d_fail(d, "bad_psd", "psd=%.*s: must be y, n or u",
			    SHOW(tag->value, tag->value_len));
		else
			d->psd = c;
		break;
	case TAG_T:
		if (one_of(tag, "yn", &c) == -1)
			d_fail(d, "bad_t", "t=%.*s: must be y or n",
			    SHOW(tag->value, tag->value_len));
		else
			d->testing = c == 'y';
		break;
	}
}

/* Why a record that looks like DMARC is not: receivers drop it silently.
 * rec is a TXT_VERSION_NEAR match. */
static const char *
near_miss_hint(const char *rec, size_t len)
{
	const char *p = rec, *end = rec + len;

	if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		return "nothing may come before v=DMARC1";
	for (p++; *p == ' ' || *p == '\t'; p++)	/* past "v" */
		;
	for (p++; *p == ' ' || *p == '\t'; p++)	/* past "=" */
		;
	if (end - p >= 6 && memcmp(p, "DMARC1", 6) == 0)
		return "v=DMARC1 must be followed by ';' or the end";
	return "the version is case-sensitive: v=DMARC1";
}

void
dmarc_parse(const char *rec, size_t len, struct dmarc_record *d)
{
	struct txt_taglist tags = { 0 };
	struct parse_state st;
	const char *reason;
	char msg[DMARC_MESSAGE_MAX];

	record_init(d);
	d->present = 1;
	if (rec == NULL)
		rec = "", len = 0;
	if (len > TXT_RECORD_MAX) {
		d_fail(d, "too_long", "record of %zu bytes (limit %d)", len,
		    TXT_RECORD_MAX);
		return;
	}
	/* 6.6.3: a record not starting with v=DMARC1 is not DMARC at all. */
	switch (txt_version_match(rec, len, "v", "DMARC1", VERSION_FLAGS)) {
	case TXT_VERSION_EXACT:
		break;
	case TXT_VERSION_NEAR:
		d_fail(d, "bad_version", "%s", near_miss_hint(rec, len));
		return;
	case TXT_VERSION_OTHER:
		if (len == 0)
			d_fail(d, "bad_version", "empty record");
		else if (memmem(rec, len, "DMARC1", 6) != NULL)
			d_fail(d, "bad_version", "v=DMARC1 must be the first "
			    "tag");
		else
			d_fail(d, "bad_version", "record does not start with "
			    "v=DMARC1");
		return;
	}
	d->is_dmarc = 1;

	/* 6.3: errors give way to defaults, the good tags still count. */
	if (txt_taglist_parse(rec, len, TXT_TAGS_NOCASE | TXT_TAGS_RECOVER,
	    &tags, &reason, msg, sizeof(msg)) == -1) {
		d->reason = reason;
		d->message = ostr_cut(msg, sizeof(msg));
	}
	memset(&st, 0, sizeof(st));
	for (size_t i = 1; i < tags.n; i++)
		tag_apply(d, &tags.tags[i], &st);
	txt_taglist_free(&tags);

	if (!st.seen[TAG_P])
		d_fail(d, "missing_policy", "no p= tag (required)");
	if (!st.p_ok || st.sp_bad) {
		/* 6.6.3 step 6: a usable rua makes it p=none, else no
		 * DMARC processing. */
		if (d->n_rua > 0) {
			d->policy = DMARC_POLICY_NONE;
			d->policy_implied = 1;
		} else
			d->policy = DMARC_POLICY_UNSET;
		d->subdomain_policy = d->nonexistent_policy = d->policy;
		d->sp_set = d->np_set = 0;
	} else {
		if (!d->sp_set)
			d->subdomain_policy = d->policy;
		if (!d->np_set)
			d->nonexistent_policy = d->subdomain_policy;
	}
	d->valid = d->reason == NULL;
}

void
dmarc_record_drop_lists(struct dmarc_record *d)
{
	if (d->rua != NULL)
		uri_list_free(d->rua, d->n_rua);
	if (d->ruf != NULL)
		uri_list_free(d->ruf, d->n_ruf);
	if (d->unknown_tags != NULL)
		for (size_t i = 0; i < d->n_unknown_tags; i++)
			free(d->unknown_tags[i]);
	free(d->unknown_tags);
	d->rua = d->ruf = NULL;
	d->unknown_tags = NULL;
}

void
dmarc_record_free(struct dmarc_record *d)
{
	dmarc_record_drop_lists(d);
	ostr_free(d->message);
	record_init(d);
	d->present = 0;
}

void
dmarc_select(const struct txt_records *recs, struct dmarc_record *d)
{
	struct txt_selection sel;
	const struct txt_record *r;
	char inner[DMARC_MESSAGE_MAX];

	txt_select(recs, "v", "DMARC1", VERSION_FLAGS, &sel);
	if (sel.n_exact == 0 && sel.n_near == 0) {
		record_init(d);
		d_fail(d, "no_record", "no TXT record starts with v=DMARC1");
		return;
	}
	r = &recs->recs[sel.n_exact ? sel.first_exact : sel.first_near];
	if (r->too_long) {
		record_init(d);
		d->present = 1;
		d_fail(d, "too_long", "record longer than %d bytes",
		    TXT_RECORD_MAX);
	} else
		dmarc_parse(r->text.data, r->text.len, d);
	d->selected = (unsigned)(r - recs->recs);
	d->near_miss = sel.n_exact == 0;
	if (r->too_long)
		return;
	if (sel.n_exact > 1) {
		/* 6.6.3 step 5: then no DMARC processing at all. */
		snprintf(inner, sizeof(inner), "%s", d->message);
		d->multiple_records = 1;
		d->valid = 0;
		d->reason = "multiple_records";
		ostr_set(&d->message, ostr_printf(DMARC_MESSAGE_MAX, "%zu "
		    "records start with v=DMARC1; receivers ignore them all; "
		    "the first: %.160s", sel.n_exact, inner[0] ? inner :
		    "valid"));
	}
}

/* Lowercases name into out without one trailing dot. */
static int
name_normalize(const char *name, char *out, size_t outlen)
{
	size_t len;

	if (name == NULL)
		return -1;
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMAIN_MAX || len >= outlen)
		return -1;
	for (size_t i = 0, label = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c == 0x7f)
			return -1;
		if (c == '.' && label == 0)
			return -1;
		label = c == '.' ? 0 : label + 1;
		if (label > LABEL_MAX)
			return -1;
		out[i] = (char)ascii_lower(c);
	}
	out[len] = '\0';
	return 0;
}

int
org_domain(const char *name, char *out, size_t outlen)
{
	char lower[DOMAIN_MAX + 1];
	const char *reg;
	size_t len;

	if (name_normalize(name, lower, sizeof(lower)) == -1)
		return -1;
	/* psl_builtin() is libpsl's compiled-in list: no state of ours. */
	if ((reg = psl_registrable_domain(psl_builtin(), lower)) == NULL)
		return -1;
	len = strlen(reg);
	if (len >= outlen)
		return -1;
	memcpy(out, reg, len + 1);
	return 0;
}

/* The organisational domain, or the name itself when it has none (a
 * public suffix publishing DMARC, RFC 9091). */
static int
org_or_self(const char *name, char *out, size_t outlen)
{
	if (org_domain(name, out, outlen) == 0)
		return 0;
	return name_normalize(name, out, outlen);
}

int
dmarc_destination_is_external(const char *policy_domain,
    const char *dest_domain)
{
	char a[DOMAIN_MAX + 1], b[DOMAIN_MAX + 1];

	if (org_or_self(policy_domain, a, sizeof(a)) == -1 ||
	    org_or_self(dest_domain, b, sizeof(b)) == -1)
		return -1;
	return strcmp(a, b) != 0;
}

int
dmarc_report_auth_name(const char *policy_domain, const char *dest_domain,
    char *out, size_t outlen)
{
	char a[DOMAIN_MAX + 1], b[DOMAIN_MAX + 1];
	int n;

	if (name_normalize(policy_domain, a, sizeof(a)) == -1 ||
	    name_normalize(dest_domain, b, sizeof(b)) == -1)
		return -1;
	n = snprintf(out, outlen, "%s._report._dmarc.%s", a, b);
	if (n < 0 || (size_t)n >= outlen || n > DOMAIN_MAX)
		return -1;
	return 0;
}

int
dmarc_report_auth_ok(const struct txt_records *recs)
{
	struct txt_selection sel;

	txt_select(recs, "v", "DMARC1", VERSION_FLAGS, &sel);
	return sel.n_exact > 0;
}
