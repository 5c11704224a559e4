/* MTA-STS and TLS-RPT records and the MTA-STS policy file (sts.h).
 *
 * The grammars, quoted from the RFCs so the code can be read against them:
 *
 * RFC 8461 3.1 (_mta-sts TXT):
 *	sts-text-record = sts-version 1*(sts-sep sts-field) [sts-sep]
 *	sts-field       = sts-id / sts-extension
 *	sts-version     = %s"v=STSv1"
 *	sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 *	sts-sep         = *WSP %x3B *WSP
 *	sts-extension   = sts-ext-name "=" sts-ext-value
 *	sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *	sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
 *
 * RFC 8461 3.2 (the policy, with erratum 6253's bare LF):
 *	sts-policy-record = sts-policy-field *WSP
 *	                    *(sts-policy-term sts-policy-field *WSP)
 *	                    [sts-policy-term]
 *	sts-policy-term   = LF / CRLF
 *	field             = name ":" *WSP value
 *	version STSv1; mode testing / enforce / none; max_age 1*10(DIGIT);
 *	mx ["*."] Domain; other names are extensions, ignored.
 *
 * RFC 8460 3 (_smtp._tls TXT):
 *	tlsrpt-record   = tlsrpt-version 1*(field-delim tlsrpt-field)
 *	                  [field-delim]
 *	field-delim     = *WSP ";" *WSP
 *	tlsrpt-version  = %s"v=TLSRPTv1"
 *	tlsrpt-rua      = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
 *	tlsrpt-uri      = URI, "mailto:" or "https:"
 *
 * Repeated fields: the first wins (the rule, and what most senders
 * do); the mx field of a policy repeats by design. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/sts.h"

static const char *const reason_names[STS_REASON_COUNT] = {
	[STS_OK] = "ok",
	[STS_NO_RECORD] = "no_record",
	[STS_MULTIPLE_RECORDS] = "multiple_records",
	[STS_BAD_RECORD] = "bad_record",
	[STS_BAD_ID] = "bad_id",
	[STS_DNS] = "dns",
	[STS_FETCH_CONN] = "fetch_conn",
	[STS_FETCH_TLS] = "fetch_tls",
	[STS_FETCH_CERT] = "fetch_cert",
	[STS_FETCH_STATUS] = "fetch_status",
	[STS_FETCH_REDIRECT] = "fetch_redirect",
	[STS_CONTENT_TYPE] = "content_type",
	[STS_TOO_LARGE] = "too_large",
	[STS_FETCH_PROTOCOL] = "fetch_protocol",
	[STS_FETCH_TIMEOUT] = "fetch_timeout",
	[STS_BAD_POLICY] = "bad_policy",
	[STS_BAD_MAX_AGE] = "bad_max_age",
	[STS_MX_NOT_COVERED] = "mx_not_covered",
	[STS_MX_NOT_COMPLIANT] = "mx_not_compliant",
	[STS_BAD_RUA] = "bad_rua",
	[STS_NOT_ALLOWED] = "not_allowed",
};
_Static_assert(ARRAY_LEN(reason_names) == STS_REASON_COUNT,
    "a name for every reason");

const char *
sts_reason_name(enum sts_reason r)
{
	if ((unsigned)r >= STS_REASON_COUNT || reason_names[r] == NULL)
		return "unknown";
	return reason_names[r];
}

const char *
sts_mode_name(enum sts_mode m)
{
	switch (m) {
	case STS_MODE_NONE:	return "none";
	case STS_MODE_TESTING:	return "testing";
	case STS_MODE_ENFORCE:	return "enforce";
	case STS_MODE_UNSET:	break;
	}
	return "";
}

/* --- characters -------------------------------------------------------- */

/* sts-ext-name / tlsrpt-ext-name / sts-policy-ext-name: the same rule. */
static size_t
ext_name_len(const char *p, const char *end)
{
	size_t n = 0;

	if (p >= end || !ascii_is_alnum((unsigned char)*p))
		return 0;
	for (n = 1; p + n < end && n < 32; n++) {
		int c = (unsigned char)p[n];
		if (!ascii_is_alnum(c) && c != '_' && c != '-' && c != '.')
			break;
	}
	return n;
}

/* sts-ext-value: %x21-3A / %x3C / %x3E-7E (no SP, ";", "=", controls). */
static int
is_ext_value_char(int c)
{
	return (c >= 0x21 && c <= 0x3a) || c == 0x3c || (c >= 0x3e && c <= 0x7e);
}

void
sts_message_set(char **msg, const char *text, size_t max)
{
	size_t n = strnlen(text, max);

	free(*msg);
	*msg = n > 0 ? xstrndup(text, n) : NULL;
}

static void
reason_replace(unsigned char *reason, char **msg, enum sts_reason r,
    const char *text)
{
	*reason = (unsigned char)r;
	sts_message_set(msg, text, STS_MESSAGE_MAX);
}

static void
set_reason(unsigned char *reason, char **msg, enum sts_reason r,
    const char *text)
{
	if (*reason == STS_OK)	/* the first problem is the one reported */
		reason_replace(reason, msg, r, text);
}

/* A record's words: its message, or for no record at all the sentence
 * none (held by nobody: most domains have no such record). */
static const char *
record_words(const char *msg, unsigned char reason, const char *none)
{
	if (msg != NULL)
		return msg;
	return reason == STS_NO_RECORD ? none : "";
}

/* Whether rec begins with the version tag: exactly, then the end, WSP or
 * ";" (RFC 8461 3.1: 'Records that do not begin with "v=STSv1;" are
 * discarded'; the ABNF lets WSP stand before the ";"). */
static int
starts_with_version(const char *rec, size_t len, const char *version)
{
	size_t vl = strlen(version);

	if (len < vl || memcmp(rec, version, vl) != 0)
		return 0;
	return len == vl || rec[vl] == ';' || ascii_is_wsp((unsigned char)rec[vl]);
}

/* Walks the field list after the version: 1*(sep field) [sep], sep = *WSP
 * ";" *WSP, field = name "=" value. */
struct field_walk {
	const char	*p;
	const char	*end;
	int		 fields;
};

/* Returns 1 with the next field's name and value, 0 at the end, -1 on a
 * syntax error. */
static int
field_next(struct field_walk *w, const char **name, size_t *name_len,
    const char **value, size_t *value_len)
{
	const char *p = w->p, *end = w->end;
	size_t n;

	while (p < end && ascii_is_wsp((unsigned char)*p))
		p++;
	if (p == end)
		return w->fields ? 0 : -1;	/* 1*(sep field) */
	if (*p != ';')
		return -1;
	p++;
	while (p < end && ascii_is_wsp((unsigned char)*p))
		p++;
	if (p == end)
		return w->fields ? 0 : -1;	/* a final sep */
	if ((n = ext_name_len(p, end)) == 0)
		return -1;
	*name = p;
	*name_len = n;
	p += n;
	if (p == end || *p != '=')
		return -1;
	p++;
	*value = p;
	while (p < end && *p != ';' && !ascii_is_wsp((unsigned char)*p))
		p++;
	*value_len = (size_t)(p - *value);
	w->p = p;
	w->fields++;
	return 1;
}

static int
span_is(const char *p, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(p, s, len) == 0;
}

/* --- the _mta-sts record ---------------------------------------------- */

static void
record_drop_id(struct sts_record *r)
{
	free(r->id);
	r->id = NULL;
}

const char *
sts_record_message(const struct sts_record *r)
{
	return record_words(r->message, r->reason,
	    "no TXT record begins with v=STSv1");
}

static void
record_bad(struct sts_record *r, enum sts_reason reason, const char *text)
{
	set_reason(&r->reason, &r->message, reason, text);
}

void
sts_record_set_reason(struct sts_record *r, enum sts_reason reason,
    const char *message)
{
	reason_replace(&r->reason, &r->message, reason, message);
}

void
sts_record_free(struct sts_record *r)
{
	record_drop_id(r);
	free(r->message);
	r->message = NULL;
}

void
sts_record_parse(const char *rec, size_t len, struct sts_record *r)
{
	struct field_walk w;
	const char *name, *value;
	size_t name_len, value_len;
	int rc, have_id = 0;

	memset(r, 0, sizeof(*r));
	r->present = 1;
	r->n_records = 1;
	if (memchr(rec, '\0', len) != NULL) {
		record_bad(r, STS_BAD_RECORD, "the record holds a NUL byte");
		return;
	}
	if (!starts_with_version(rec, len, "v=STSv1")) {
		record_bad(r, STS_BAD_RECORD, "does not begin with v=STSv1");
		return;
	}
	w.p = rec + 7;
	w.end = rec + len;
	w.fields = 0;
	while ((rc = field_next(&w, &name, &name_len, &value,
	    &value_len)) == 1) {
		int bad_value = value_len == 0;

		for (size_t i = 0; i < value_len; i++)
			if (!is_ext_value_char((unsigned char)value[i]))
				bad_value = 1;
		if (span_is(name, name_len, "id")) {
			if (have_id)
				continue;	/* the first wins */
			have_id = 1;
			if (value_len == 0 || value_len > STS_ID_MAX) {
				record_bad(r, STS_BAD_ID,
				    "id must be 1 to 32 letters or digits");
				continue;
			}
			for (size_t i = 0; i < value_len; i++)
				if (!ascii_is_alnum((unsigned char)value[i])) {
					record_bad(r, STS_BAD_ID,
					    "id must be letters and digits only");
					break;
				}
			if (r->reason == STS_OK)
				r->id = xstrndup(value, value_len);
		} else if (bad_value) {
			record_bad(r, STS_BAD_RECORD,
			    "an extension field has an empty or bad value");
		}
	}
	if (rc < 0)
		record_bad(r, STS_BAD_RECORD,
		    "the record does not follow RFC 8461's syntax");
	if (!have_id)
		record_bad(r, STS_BAD_ID, "the record has no id field");
	if (r->reason != STS_OK)
		record_drop_id(r);
	r->valid = r->reason == STS_OK;
}

/* How many records of one answer begin with the version; *first gets the
 * index of the first. */
static size_t
version_records(const struct txt_records *recs, const char *version,
    size_t *first)
{
	size_t n = 0;

	for (size_t i = 0; i < recs->n; i++)
		if (starts_with_version(recs->recs[i].text.data,
		    recs->recs[i].text.len, version) && n++ == 0)
			*first = i;
	return n;
}

void
sts_record_select(const struct txt_records *recs, struct sts_record *r)
{
	size_t first = 0, n = version_records(recs, "v=STSv1", &first);

	char msg[STS_MESSAGE_MAX + 1];

	if (n == 0) {
		/* the message is sts_record_message()'s: nothing held */
		memset(r, 0, sizeof(*r));
		r->reason = STS_NO_RECORD;
		return;
	}
	sts_record_parse(recs->recs[first].text.data,
	    recs->recs[first].text.len, r);
	if (recs->recs[first].too_long && r->reason == STS_OK)
		sts_record_set_reason(r, STS_BAD_RECORD, "record too long");
	r->n_records = (uint16_t)(n > 1000 ? 1000 : n);
	if (n > 1) {
		snprintf(msg, sizeof(msg),
		    "%zu records begin with v=STSv1: senders apply no policy", n);
		sts_record_set_reason(r, STS_MULTIPLE_RECORDS, msg);
	}
	r->valid = r->reason == STS_OK;
	if (!r->valid)
		record_drop_id(r);
}

/* --- the policy --------------------------------------------------------- */

/* RFC 5321 Domain: sub-domain *("." sub-domain), sub-domain = Let-dig
 * [Ldh-str]; at most 63 per label and 253 in all.  Returns 1 or 0. */
static int
domain_syntax_ok(const char *p, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)p[i];

		if (c == '.') {
			if (label == 0 || p[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!ascii_is_alnum(c) && !(c == '-' && label > 0))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && p[len - 1] != '-';
}

/* The value of a policy line: sts-policy-vchar [*(%x20 / vchar) vchar],
 * vchar %x21-7E or UTF-8 (bytes >= 0x80 accepted as such; controls, NUL
 * and DEL are not).  Trailing WSP was trimmed by the caller. */
static int
policy_value_ok(const char *p, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ' ' && i > 0)
			continue;
		if (c < 0x21 || c == 0x7f)
			return 0;
	}
	return 1;
}

static void
policy_bad(struct sts_policy *p, enum sts_reason r, const char *what)
{
	set_reason(&p->reason, &p->message, r, what);
}

/* A policy being parsed: the mx values found so far point into the body,
 * and are copied into one block at the end (policy_pack_mx). */
struct policy_parse {
	struct sts_policy *p;
	unsigned	 seen;		/* SEEN_* */
	const char	*mx[STS_MX_PATTERNS_MAX];
	size_t		 mx_len[STS_MX_PATTERNS_MAX];
};

static void
policy_add_mx(struct policy_parse *pp, const char *v, size_t len)
{
	struct sts_policy *p = pp->p;
	const char *d = v;
	size_t dlen = len;

	if (dlen >= 2 && d[0] == '*' && d[1] == '.') {
		d += 2;
		dlen -= 2;
	}
	if (dlen > 0 && d[dlen - 1] == '.')	/* a trailing dot is ignored */
		dlen--, len--;
	if (!domain_syntax_ok(d, dlen)) {
		policy_bad(p, STS_BAD_POLICY, "an mx value is not a host name"
		    " or *.name pattern");
		return;
	}
	if (p->n_mx == STS_MX_PATTERNS_MAX) {
		policy_bad(p, STS_BAD_POLICY, "more than 64 mx lines");
		return;
	}
	pp->mx[p->n_mx] = v;
	pp->mx_len[p->n_mx] = len;
	p->n_mx++;
}

/* The n_mx patterns: their pointers, then the strings, lowercased, in
 * one allocation of exactly their size. */
static void
policy_pack_mx(struct policy_parse *pp)
{
	struct sts_policy *p = pp->p;
	size_t size = p->n_mx * sizeof(char *);
	char *text;

	if (p->n_mx == 0)
		return;
	for (size_t i = 0; i < p->n_mx; i++)
		size += pp->mx_len[i] + 1;
	p->mx = xmalloc(size);
	text = (char *)(p->mx + p->n_mx);
	for (size_t i = 0; i < p->n_mx; i++) {
		memcpy(text, pp->mx[i], pp->mx_len[i]);
		text[pp->mx_len[i]] = '\0';
		p->mx[i] = ascii_lower_str(text);
		text += pp->mx_len[i] + 1;
	}
}

/* The fields a policy needs, as bits of a "seen" set. */
enum { SEEN_VERSION = 1, SEEN_MODE = 2, SEEN_MAX_AGE = 4 };

/* One "name: value" line (without its terminator). */
static void
policy_line(struct policy_parse *pp, const char *line, size_t len)
{
	struct sts_policy *p = pp->p;
	unsigned *seen = &pp->seen;
	const char *end = line + len, *v;
	size_t n, vlen;

	if ((n = ext_name_len(line, end)) == 0 || line + n == end ||
	    line[n] != ':') {
		policy_bad(p, STS_BAD_POLICY, "a line is not \"name: value\"");
		return;
	}
	v = line + n + 1;
	while (v < end && ascii_is_wsp((unsigned char)*v))
		v++;
	vlen = (size_t)(end - v);
	while (vlen > 0 && ascii_is_wsp((unsigned char)v[vlen - 1]))
		vlen--;
	if (!policy_value_ok(v, vlen)) {
		policy_bad(p, STS_BAD_POLICY, "a line has an empty or bad value");
		return;
	}
	if (span_is(line, n, "mx")) {
		policy_add_mx(pp, v, vlen);
		return;
	}
	if (span_is(line, n, "version")) {
		if (*seen & SEEN_VERSION) {
			p->repeated_key = 1;
			return;
		}
		*seen |= SEEN_VERSION;
		if (!span_is(v, vlen, "STSv1"))
			policy_bad(p, STS_BAD_POLICY, "version is not STSv1");
	} else if (span_is(line, n, "mode")) {
		if (*seen & SEEN_MODE) {
			p->repeated_key = 1;
			return;
		}
		*seen |= SEEN_MODE;
		if (span_is(v, vlen, "enforce"))
			p->mode = STS_MODE_ENFORCE;
		else if (span_is(v, vlen, "testing"))
			p->mode = STS_MODE_TESTING;
		else if (span_is(v, vlen, "none"))
			p->mode = STS_MODE_NONE;
		else
			policy_bad(p, STS_BAD_POLICY,
			    "mode is not enforce, testing or none");
	} else if (span_is(line, n, "max_age")) {
		uint64_t age = 0;

		if (*seen & SEEN_MAX_AGE) {
			p->repeated_key = 1;
			return;
		}
		*seen |= SEEN_MAX_AGE;
		if (vlen > 10) {
			policy_bad(p, STS_BAD_MAX_AGE,
			    "max_age has more than 10 digits");
			return;
		}
		for (size_t i = 0; i < vlen; i++) {
			if (v[i] < '0' || v[i] > '9') {
				policy_bad(p, STS_BAD_MAX_AGE,
				    "max_age is not a number");
				return;
			}
			age = age * 10 + (uint64_t)(v[i] - '0');
		}
		if (age > STS_MAX_AGE_MAX) {
			policy_bad(p, STS_BAD_MAX_AGE,
			    "max_age is over 31557600 seconds (a year)");
			return;
		}
		p->max_age = (uint32_t)age;
		p->max_age_set = 1;
	}
	/* anything else: an extension, ignored (3.2) */
}

void
sts_policy_parse(const char *body, size_t len, struct sts_policy *p)
{
	const char *line = body, *end = body + len;
	struct policy_parse pp;
	int blank = 0;

	memset(p, 0, sizeof(*p));
	pp.p = p;
	pp.seen = 0;
	p->mode = STS_MODE_UNSET;
	if (len > STS_POLICY_MAX) {
		policy_bad(p, STS_TOO_LARGE, "the policy is over 64 KiB");
		return;
	}
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl != NULL ? nl : end;

		if (nl != NULL && le > line && le[-1] == '\r')
			le--;			/* CRLF */
		if (le == line) {
			/* The ABNF has no empty line; a final one is common
			 * and harmless, one before more fields is not. */
			blank = 1;
		} else if (blank) {
			policy_bad(p, STS_BAD_POLICY,
			    "an empty line between fields");
		} else if (memchr(line, '\r', (size_t)(le - line)) != NULL ||
		    memchr(line, '\0', (size_t)(le - line)) != NULL) {
			policy_bad(p, STS_BAD_POLICY,
			    "a bare CR or a NUL byte in the policy");
		} else {
			policy_line(&pp, line, (size_t)(le - line));
		}
		line = nl != NULL ? nl + 1 : end;
	}
	policy_pack_mx(&pp);
	if (!(pp.seen & SEEN_VERSION))
		policy_bad(p, STS_BAD_POLICY, "no version field");
	if (!(pp.seen & SEEN_MODE))
		policy_bad(p, STS_BAD_POLICY, "no mode field");
	if (!(pp.seen & SEEN_MAX_AGE))
		policy_bad(p, STS_BAD_MAX_AGE, "no max_age field");
	if ((p->mode == STS_MODE_TESTING || p->mode == STS_MODE_ENFORCE) &&
	    p->n_mx == 0)
		policy_bad(p, STS_BAD_POLICY,
		    "no mx field (required unless mode is none)");
	p->valid = p->reason == STS_OK;
}

void
sts_policy_free(struct sts_policy *p)
{
	free(p->mx);		/* the pointers and the strings */
	p->mx = NULL;
	p->n_mx = 0;
	free(p->message);
	p->message = NULL;
}

size_t
sts_policy_heap_bytes(const struct sts_policy *p)
{
	size_t n = p->n_mx * sizeof(*p->mx);

	for (size_t i = 0; i < p->n_mx; i++)
		n += strlen(p->mx[i]) + 1;
	return n + (p->message != NULL ? strlen(p->message) + 1 : 0);
}

/* --- MX matching (4.1) -------------------------------------------------- */

static size_t
len_without_dot(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

static int
span_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return 0;
	}
	return 1;
}

int
sts_mx_match(const char *pattern, const char *host)
{
	size_t pl = len_without_dot(pattern), hl = len_without_dot(host);
	const char *dot;

	if (pl == 0 || hl == 0)
		return 0;
	if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* exactly one label, then "." and the rest */
		dot = memchr(host, '.', hl);
		if (dot == NULL || dot == host)
			return 0;
		if ((size_t)(host + hl - (dot + 1)) != pl - 2)
			return 0;
		return span_ieq(dot + 1, pattern + 2, pl - 2);
	}
	return pl == hl && span_ieq(pattern, host, pl);
}

int
sts_policy_covers(const struct sts_policy *p, const char *host)
{
	for (size_t i = 0; i < p->n_mx; i++)
		if (sts_mx_match(p->mx[i], host))
			return 1;
	return 0;
}

/* --- TLS-RPT ------------------------------------------------------------ */

const char *
tlsrpt_record_message(const struct tlsrpt_record *r)
{
	return record_words(r->message, r->reason,
	    "no TXT record begins with v=TLSRPTv1");
}

static void
rpt_bad(struct tlsrpt_record *r, enum sts_reason reason, const char *text)
{
	set_reason(&r->reason, &r->message, reason, text);
}

void
tlsrpt_record_set_reason(struct tlsrpt_record *r, enum sts_reason reason,
    const char *message)
{
	reason_replace(&r->reason, &r->message, reason, message);
}

void
tlsrpt_record_free(struct tlsrpt_record *r)
{
	free(r->message);
	r->message = NULL;
}

/* One tlsrpt-uri: "mailto:" addr-spec or "https:" "//" host..., of URI
 * characters; the list separators "," and ";" and WSP end it. */
static void
tlsrpt_uri(struct tlsrpt_record *r, const char *u, size_t len)
{
	size_t scheme = 0;
	int https = 0;

	if (len >= 7 && span_ieq(u, "mailto:", 7))
		scheme = 7;
	else if (len >= 8 && span_ieq(u, "https://", 8))
		scheme = 8, https = 1;
	if (scheme == 0) {
		rpt_bad(r, STS_BAD_RUA,
		    "a rua URI is neither mailto: nor https:");
		return;
	}
	if (len == scheme) {
		rpt_bad(r, STS_BAD_RUA,
		    "a rua URI has nothing after its scheme");
		return;
	}
	for (size_t i = scheme; i < len; i++) {
		unsigned char c = (unsigned char)u[i];

		if (c < 0x21 || c > 0x7e || c == '"' || c == '<' || c == '>') {
			rpt_bad(r, STS_BAD_RUA,
			    "a rua URI holds a character URIs cannot");
			return;
		}
	}
	if (!https && memchr(u + scheme, '@', len - scheme) == NULL) {
		rpt_bad(r, STS_BAD_RUA, "a mailto: rua has no address");
		return;
	}
	if (r->n_rua == STS_RUA_MAX) {
		rpt_bad(r, STS_BAD_RUA, "more than 16 rua URIs");
		return;
	}
	r->n_rua++;
	if (https)
		r->n_https++;
	else
		r->n_mailto++;
}

/* rua's value runs to ";" or the end, across "," with WSP around it:
 * field_next() stops at WSP, so the list is re-read here from the raw
 * text. */
static const char *
tlsrpt_rua_list(struct tlsrpt_record *r, const char *p, const char *end)
{
	for (;;) {
		const char *u = p;

		while (p < end && *p != ',' && *p != ';' &&
		    !ascii_is_wsp((unsigned char)*p))
			p++;
		tlsrpt_uri(r, u, (size_t)(p - u));
		while (p < end && ascii_is_wsp((unsigned char)*p))
			p++;
		if (p == end || *p != ',')
			return p;
		p++;
		while (p < end && ascii_is_wsp((unsigned char)*p))
			p++;
	}
}

void
tlsrpt_record_parse(const char *rec, size_t len, struct tlsrpt_record *r)
{
	const char *p, *end = rec + len;
	int have_rua = 0, fields = 0;

	memset(r, 0, sizeof(*r));
	r->present = 1;
	r->n_records = 1;
	if (memchr(rec, '\0', len) != NULL ||
	    !starts_with_version(rec, len, "v=TLSRPTv1")) {
		rpt_bad(r, STS_BAD_RECORD, memchr(rec, '\0', len) != NULL ?
		    "the record holds a NUL byte" :
		    "does not begin with v=TLSRPTv1");
		return;
	}
	p = rec + 10;
	for (;;) {
		size_t n;

		while (p < end && ascii_is_wsp((unsigned char)*p))
			p++;
		if (p == end)
			break;
		if (*p != ';')
			goto syntax;
		p++;
		while (p < end && ascii_is_wsp((unsigned char)*p))
			p++;
		if (p == end)
			break;
		if ((n = ext_name_len(p, end)) == 0 || p + n == end ||
		    p[n] != '=')
			goto syntax;
		fields++;
		if (span_is(p, n, "rua") && !have_rua) {
			have_rua = 1;
			p = tlsrpt_rua_list(r, p + n + 1, end);
			continue;
		}
		/* an extension (or a repeated rua: the first wins) */
		p += n + 1;
		if (p == end || !is_ext_value_char((unsigned char)*p))
			goto syntax;
		while (p < end && is_ext_value_char((unsigned char)*p))
			p++;
	}
	if (fields == 0)
		goto syntax;
	if (!have_rua)
		rpt_bad(r, STS_BAD_RUA, "the record has no rua field");
	r->valid = r->reason == STS_OK;
	return;
syntax:
	rpt_bad(r, STS_BAD_RECORD,
	    "the record does not follow RFC 8460's syntax");
	r->valid = 0;
}

void
tlsrpt_record_select(const struct txt_records *recs, struct tlsrpt_record *r)
{
	size_t first = 0, n = version_records(recs, "v=TLSRPTv1", &first);

	char msg[STS_MESSAGE_MAX + 1];

	if (n == 0) {
		/* the message is tlsrpt_record_message()'s: nothing held */
		memset(r, 0, sizeof(*r));
		r->reason = STS_NO_RECORD;
		return;
	}
	tlsrpt_record_parse(recs->recs[first].text.data,
	    recs->recs[first].text.len, r);
	r->n_records = (uint16_t)(n > 1000 ? 1000 : n);
	if (n > 1) {
		snprintf(msg, sizeof(msg), "%zu records begin with v=TLSRPTv1",
		    n);
		tlsrpt_record_set_reason(r, STS_MULTIPLE_RECORDS, msg);
	}
	r->valid = r->reason == STS_OK;
}
