#include "collectors/caa.h"

#include <arpa/nameser.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>

#include "collectors/dns.h"
#include "base/util.h"

static const char *const tag_names[CAA_TAG__COUNT] = {
	[CAA_TAG_ISSUE] = "issue",
	[CAA_TAG_ISSUEWILD] = "issuewild",
	[CAA_TAG_ISSUEMAIL] = "issuemail",
	[CAA_TAG_IODEF] = "iodef",
	[CAA_TAG_OTHER] = "other",
};
_Static_assert(sizeof(tag_names) / sizeof(tag_names[0]) == CAA_TAG__COUNT,
    "caa tag names");

static const char *const error_names[CAA_ERR__COUNT] = {
	[CAA_OK] = "ok",
	[CAA_ERR_SHORT] = "short_rdata",
	[CAA_ERR_TAG_LENGTH] = "bad_tag_length",
	[CAA_ERR_TAG_CHARS] = "bad_tag",
	[CAA_ERR_VALUE_LENGTH] = "value_too_long",
	[CAA_ERR_VALUE_SYNTAX] = "bad_value",
	[CAA_ERR_CRITICAL_UNKNOWN] = "critical_unknown_tag",
	[CAA_ERR_TOO_MANY] = "too_many_records",
};
_Static_assert(sizeof(error_names) / sizeof(error_names[0]) == CAA_ERR__COUNT,
    "caa error names");

const char *
caa_tag_name(enum caa_tag t)
{
	return (unsigned)t < CAA_TAG__COUNT ? tag_names[t] : "other";
}

const char *
caa_error_name(enum caa_error e)
{
	return (unsigned)e < CAA_ERR__COUNT ? error_names[e] : "bad_value";
}

/* label = (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT)): the length of the
 * label at p, 0 when there is none. */
static size_t
label_len(const char *p, const char *end)
{
	const char *q = p;

	if (q >= end || !ascii_is_alnum((unsigned char)*q))
		return 0;
	q++;
	for (;;) {
		const char *r = q;

		while (r < end && *r == '-')
			r++;
		if (r < end && ascii_is_alnum((unsigned char)*r))
			q = r + 1;
		else
			return (size_t)(q - p);
	}
}

static const char *
skip_wsp(const char *p, const char *end)
{
	while (p < end && ascii_is_wsp((unsigned char)*p))
		p++;
	return p;
}

/* parameter = tag *WSP "=" *WSP value; value = *(%x21-3A / %x3C-7E). */
static const char *
parse_parameter(const char *p, const char *end)
{
	size_t n = label_len(p, end);

	if (n == 0)
		return NULL;
	p = skip_wsp(p + n, end);
	if (p >= end || *p != '=')
		return NULL;
	p = skip_wsp(p + 1, end);
	while (p < end && (unsigned char)*p >= 0x21 && (unsigned char)*p <= 0x7e &&
	    *p != ';')
		p++;
	return p;
}

enum caa_error
caa_parse_issue_value(const char *v, size_t len, char *issuer,
    unsigned *n_params)
{
	const char *p = v, *end = v + len;
	size_t out = 0;

	issuer[0] = '\0';
	*n_params = 0;
	p = skip_wsp(p, end);
	/* issuer-domain-name = label *("." label) */
	if (p < end && *p != ';') {
		for (;;) {
			size_t n = label_len(p, end);

			if (n == 0 || n > 63 || out + n + 1 > 253)
				return CAA_ERR_VALUE_SYNTAX;
			for (size_t i = 0; i < n; i++)
				issuer[out++] = (char)((p[i] >= 'A' && p[i] <= 'Z') ?
				    p[i] - 'A' + 'a' : p[i]);
			p += n;
			if (p < end && *p == '.' && p + 1 < end &&
			    ascii_is_alnum((unsigned char)p[1])) {
				issuer[out++] = '.';
				p++;
				continue;
			}
			break;
		}
		issuer[out] = '\0';
		p = skip_wsp(p, end);
	}
	if (p == end)
		return CAA_OK;
	if (*p != ';')
		return CAA_ERR_VALUE_SYNTAX;
	p = skip_wsp(p + 1, end);
	if (p == end)
		return CAA_OK;
	/* parameters = (parameter *WSP ";" *WSP parameters) / parameter */
	for (;;) {
		if ((p = parse_parameter(p, end)) == NULL)
			return CAA_ERR_VALUE_SYNTAX;
		(*n_params)++;
		p = skip_wsp(p, end);
		if (p == end)
			return CAA_OK;
		if (*p != ';')
			return CAA_ERR_VALUE_SYNTAX;
		p = skip_wsp(p + 1, end);
		if (p == end)	/* a ';' must be followed by a parameter */
			return CAA_ERR_VALUE_SYNTAX;
	}
}

static enum caa_tag
tag_kind(const char *t)
{
	for (int i = 0; i < CAA_TAG_OTHER; i++)
		if (strcasecmp(t, tag_names[i]) == 0)
			return (enum caa_tag)i;
	return CAA_TAG_OTHER;
}

enum caa_error
caa_parse_rdata(const uint8_t *rdata, size_t len, struct caa_record *rec)
{
	size_t tlen, vlen;
	const char *value;

	memset(rec, 0, sizeof(*rec));
	if (rdata == NULL || len < 2)
		return CAA_ERR_SHORT;
	rec->flags = rdata[0];
	tlen = rdata[1];
	if (tlen == 0 || tlen > CAA_TAG_MAX || tlen > len - 2)
		return CAA_ERR_TAG_LENGTH;
	for (size_t i = 0; i < tlen; i++) {
		if (!ascii_is_alnum(rdata[2 + i]))
			return CAA_ERR_TAG_CHARS;
		rec->tag_text[i] = (char)rdata[2 + i];
	}
	rec->tag_text[tlen] = '\0';
	rec->tag = tag_kind(rec->tag_text);
	value = (const char *)rdata + 2 + tlen;
	vlen = len - 2 - tlen;
	if (vlen > CAA_VALUE_MAX)
		return CAA_ERR_VALUE_LENGTH;
	for (size_t i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)value[i];

		rec->value[i] = (c < 0x20 || c > 0x7e) ? '?' : (char)c;
	}
	rec->value[vlen] = '\0';
	switch (rec->tag) {
	case CAA_TAG_ISSUE:
	case CAA_TAG_ISSUEWILD:
	case CAA_TAG_ISSUEMAIL:
		return caa_parse_issue_value(value, vlen, rec->issuer,
		    &rec->n_params);
	case CAA_TAG_IODEF:
		return CAA_OK;
	case CAA_TAG_OTHER:
	default:
		return (rec->flags & CAA_FLAG_CRITICAL) ?
		    CAA_ERR_CRITICAL_UNKNOWN : CAA_OK;
	}
}

void
caa_set_add(struct caa_set *set, const uint8_t *rdata, size_t len)
{
	struct caa_record rec;
	enum caa_error e;

	if (set->n >= CAA_SET_MAX) {
		if (set->error == CAA_OK)
			set->error = CAA_ERR_TOO_MANY;
		return;
	}
	e = caa_parse_rdata(rdata, len, &rec);
	if (e != CAA_OK) {
		rec.issuer[0] = '\0';	/* a bad issue record authorises no CA */
		if (set->error == CAA_OK)
			set->error = e;
	}
	set->recs = xreallocarray(set->recs, set->n + 1, sizeof(*set->recs));
	set->recs[set->n++] = rec;
}

void
caa_set_free(struct caa_set *set)
{
	free(set->recs);
	memset(set, 0, sizeof(*set));
}

size_t
caa_set_bytes(const struct caa_set *set)
{
	return set->n * sizeof(*set->recs);
}

int
caa_set_equal(const struct caa_set *a, const struct caa_set *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (a->n != b->n || a->error != b->error)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct caa_record *x = &a->recs[i], *y = &b->recs[i];

		if (x->flags != y->flags || x->tag != y->tag ||
		    x->n_params != y->n_params ||
		    strcmp(x->tag_text, y->tag_text) != 0 ||
		    strcmp(x->issuer, y->issuer) != 0 ||
		    strcmp(x->value, y->value) != 0)
			return 0;
	}
	return 1;
}

static void
answer_rdata(void *arg, const unsigned char *rdata, size_t len)
{
	caa_set_add(arg, rdata, len);
}

int
caa_parse_answer(int status, const unsigned char *abuf, int alen,
    struct caa_set *set)
{
	int n;

	if (status != ARES_SUCCESS)
		return dns_classify(status);
	if ((n = dns_each_rdata(abuf, alen, T_CAA, answer_rdata, set)) < 0)
		return DNS_ERROR;
	return n == 0 ? DNS_NODATA : DNS_OK;
}

int
caa_set_has_tag(const struct caa_set *set, enum caa_tag t)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->recs[i].tag == t)
			return 1;
	return 0;
}

int
caa_set_allows(const struct caa_set *set, const char *ca_domain)
{
	int any_issue = 0;

	/* A critical tag the CA does not know forbids issuing (4.1). */
	for (size_t i = 0; i < set->n; i++)
		if ((set->recs[i].flags & CAA_FLAG_CRITICAL) &&
		    set->recs[i].tag == CAA_TAG_OTHER)
			return 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct caa_record *r = &set->recs[i];

		if (r->tag != CAA_TAG_ISSUE)
			continue;
		any_issue = 1;
		if (r->issuer[0] != '\0' && strcasecmp(r->issuer, ca_domain) == 0)
			return 1;
	}
	return !any_issue;
}
