/* SPF (RFC 7208): parser, macro expansion, and check_host() as an explicit
 * state machine.  Nothing here does I/O or blocks; see spf.h. */
#include "collectors/spf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/addr.h"
#include "base/escape.h"

#define MACRO_LETTERS	"slodiphcrtv"
#define MACRO_DELIMS	".-+,/_="
#define MACRO_BIT(c)	(1u << ((c) - 'a'))
#define POSTMASTER	"postmaster"
/* A safety net under the real bounds (terms, depth, lookups): a walk visits
 * at most ~200 records of at most 512 terms. */
#define SPF_MAX_STEPS	(1ul << 20)

/* ---- Small helpers ---------------------------------------------------- */

static void set_error(struct spf_error *, const char *, size_t, const char *,
    ...) __attribute__((format(printf, 4, 5)));

static void
set_error(struct spf_error *err, const char *reason, size_t offset,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->reason = reason;
	err->offset = offset;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* ---- Name tables ------------------------------------------------------ */

static const char *const kind_names[] = {
	[SPF_ALL] = "all",
	[SPF_INCLUDE] = "include",
	[SPF_A] = "a",
	[SPF_MX] = "mx",
	[SPF_PTR] = "ptr",
	[SPF_IP4] = "ip4",
	[SPF_IP6] = "ip6",
	[SPF_EXISTS] = "exists",
	[SPF_REDIRECT] = "redirect",
	[SPF_EXP] = "exp",
	[SPF_UNKNOWN_MODIFIER] = "unknown_modifier",
};

static const char *const result_names[] = {
	[SPF_RESULT_NONE] = "none",
	[SPF_RESULT_NEUTRAL] = "neutral",
	[SPF_RESULT_PASS] = "pass",
	[SPF_RESULT_FAIL] = "fail",
	[SPF_RESULT_SOFTFAIL] = "softfail",
	[SPF_RESULT_TEMPERROR] = "temperror",
	[SPF_RESULT_PERMERROR] = "permerror",
};

static const char *const qtype_names[] = {
	[SPF_QTYPE_TXT] = "TXT",
	[SPF_QTYPE_A] = "A",
	[SPF_QTYPE_AAAA] = "AAAA",
	[SPF_QTYPE_MX] = "MX",
	[SPF_QTYPE_PTR] = "PTR",
};

static const char qualifier_chars[] = {
	[SPF_QUAL_PASS] = '+',
	[SPF_QUAL_FAIL] = '-',
	[SPF_QUAL_SOFTFAIL] = '~',
	[SPF_QUAL_NEUTRAL] = '?',
};

const char *
spf_kind_name(enum spf_kind kind)
{
	if ((size_t)kind >= ARRAY_LEN(kind_names) || kind_names[kind] == NULL)
		return "unknown";
	return kind_names[kind];
}

char
spf_qualifier_char(enum spf_qualifier qualifier)
{
	if ((size_t)qualifier >= ARRAY_LEN(qualifier_chars))
		return '?';
	return qualifier_chars[qualifier];
}

const char *
spf_result_name(enum spf_result_code code)
{
	if ((size_t)code >= ARRAY_LEN(result_names) ||
	    result_names[code] == NULL)
		return "unknown";
	return result_names[code];
}

const char *
spf_qtype_name(enum spf_qtype type)
{
	if ((size_t)type >= ARRAY_LEN(qtype_names) || qtype_names[type] == NULL)
		return "unknown";
	return qtype_names[type];
}

/* ---- Macro syntax (RFC 7208 7.1) -------------------------------------- */

struct macro {
	char		letter;		/* lower case; or '%', '_', '-' */
	int		url_escape;	/* the letter was upper case */
	unsigned	keep;		/* right-hand parts to keep; 0: all */
	int		reverse;
	char		delims[8];	/* as given, NUL-terminated; "": "." */
};

/* Parses the macro-expand starting at s[i] == '%'.  Returns the index just
 * past it, or 0 with *why set. */
static size_t
parse_macro(const char *s, size_t len, size_t i, struct macro *m,
    const char **why)
{
	unsigned long value = 0;
	size_t j, ndelims = 0;
	int c, has_digits = 0;

	memset(m, 0, sizeof(*m));
	if (i + 1 >= len) {
		*why = "'%' at the end";
		return 0;
	}
	c = (unsigned char)s[i + 1];
	if (c == '%' || c == '_' || c == '-') {
		m->letter = (char)c;
		return i + 2;
	}
	if (c != '{') {
		*why = "'%' must be followed by '{', '%', '_' or '-'";
		return 0;
	}
	j = i + 2;
	c = j < len ? ascii_lower((unsigned char)s[j]) : 0;
	if (c == 0 || strchr(MACRO_LETTERS, c) == NULL) {
		*why = "unknown macro letter";
		return 0;
	}
	m->letter = (char)c;
	m->url_escape = s[j] >= 'A' && s[j] <= 'Z';
	for (j++; j < len && ascii_is_digit(s[j]); j++) {
		has_digits = 1;
		/* Saturate: more parts than a name can have means "all". */
		if (value < 1000)
			value = value * 10 + (unsigned long)(s[j] - '0');
	}
	if (has_digits && value == 0) {
		*why = "a macro's digit transformer must be at least 1";
		return 0;
	}
	m->keep = (unsigned)value;
	if (j < len && (s[j] == 'r' || s[j] == 'R')) {
		m->reverse = 1;
		j++;
	}
	for (; j < len && s[j] != '\0' && strchr(MACRO_DELIMS, s[j]); j++)
		if (ndelims < sizeof(m->delims) - 1 &&
		    strchr(m->delims, s[j]) == NULL)
			m->delims[ndelims++] = s[j];
	if (j >= len || s[j] != '}') {
		*why = "malformed macro, expected '}'";
		return 0;
	}
	return j + 1;
}

#define MS_CRT		0x1	/* c, r and t allowed (explanations) */
#define MS_BLANKS	0x2	/* spaces allowed (explain-string) */

/* Checks a macro-string.  *tail: where the literal text after the last
 * macro-expand starts; *letters: a bit per macro letter used. */
static int
scan_macro_string(const char *s, size_t len, int flags, size_t *tail,
    uint32_t *letters, size_t *bad_at, const char **why)
{
	struct macro m;
	size_t i = 0, next;
	int c;

	*tail = 0;
	while (i < len) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if ((next = parse_macro(s, len, i, &m, why)) == 0) {
				*bad_at = i;
				return -1;
			}
			if (!(flags & MS_CRT) && (m.letter == 'c' ||
			    m.letter == 'r' || m.letter == 't')) {
				*why = "macros c, r and t are only allowed in "
				    "explanations";
				*bad_at = i;
				return -1;
			}
			if (ascii_is_alpha(m.letter))
				*letters |= MACRO_BIT(m.letter);
			i = *tail = next;
			continue;
		}
		if ((c < 0x21 || c > 0x7e) && !(c == ' ' && (flags & MS_BLANKS))) {
			*why = "character not allowed in a macro-string";
			*bad_at = i;
			return -1;
		}
		i++;
	}
	return 0;
}

/* toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static int
valid_toplabel(const char *s, size_t len)
{
	int has_alpha = 0, has_hyphen = 0;
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (ascii_is_alpha(s[i]))
			has_alpha = 1;
		else if (s[i] == '-')
			has_hyphen = 1;
		else if (!ascii_is_digit(s[i]))
			return 0;
	}
	if (has_hyphen)
		return ascii_is_alnum(s[0]) && ascii_is_alnum(s[len - 1]);
	return has_alpha;
}

/* domain-spec = macro-string domain-end
 * domain-end  = ( "." toplabel [ "." ] ) / macro-expand */
static int
check_domain_spec(const char *s, size_t len, uint32_t *letters,
    const char **reason, const char **why)
{
	size_t tail, end, dot, bad_at;

	if (len == 0) {
		*reason = "bad_domain";
		*why = "empty domain-spec";
		return -1;
	}
	if (scan_macro_string(s, len, 0, &tail, letters, &bad_at, why) == -1) {
		*reason = "bad_macro";
		return -1;
	}
	if (tail == len)
		return 0;
	end = len;
	if (s[end - 1] == '.')
		end--;
	/* The dot before the top label must be literal text, not a macro. */
	for (dot = end; dot > tail && s[dot - 1] != '.'; dot--)
		;
	if (dot == tail) {
		*reason = "bad_domain";
		*why = "a domain-spec must end in '.' and a top-level label, "
		    "or in a macro";
		return -1;
	}
	if (!valid_toplabel(s + dot, end - dot)) {
		*reason = "bad_domain";
		*why = "invalid top-level label";
		return -1;
	}
	return 0;
}

/* ---- Parser (RFC 7208 4.6 and 12) ------------------------------------- */

/* ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT), and likewise for ip6:
 * digits only, no leading zero, within range. */
static int
parse_prefix(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned value = 0;
	size_t i;

	if (len == 0 || len > 3 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (!ascii_is_digit(s[i]))
			return -1;
		value = value * 10 + (unsigned)(s[i] - '0');
	}
	if (value > max)
		return -1;
	*out = value;
	return 0;
}

/* Splits the dual-cidr-length off the end of an a/mx argument, so that a
 * '/' inside the domain-spec (a legal macro-literal) is left alone. */
static int
split_dual_cidr(const char *s, size_t *len, struct spf_term *t,
    const char **why)
{
	size_t n = *len, d;

	for (d = n; d > 0 && ascii_is_digit(s[d - 1]); d--)
		;
	if (d < n && d >= 2 && s[d - 1] == '/' && s[d - 2] == '/') {
		if (parse_prefix(s + d, n - d, 128, &t->cidr6) == -1) {
			*why = "IPv6 prefix length must be 0..128 without "
			    "leading zeros";
			return -1;
		}
		n = d - 2;
	}
	for (d = n; d > 0 && ascii_is_digit(s[d - 1]); d--)
		;
	if (d < n && d >= 1 && s[d - 1] == '/') {
		if (parse_prefix(s + d, n - d, 32, &t->cidr4) == -1) {
			*why = "IPv4 prefix length must be 0..32 without "
			    "leading zeros";
			return -1;
		}
		n = d - 1;
	}
	if (n > 0 && s[n - 1] == '/') {
		*why = "malformed prefix length";
		return -1;
	}
	*len = n;
	return 0;
}

/* ip4 and ip6: "address[/prefix]", the address strictly as inet_pton()
 * reads it (dotted quad without leading zeros for IPv4). */
static int
parse_network(const char *s, size_t len, struct spf_term *t,
    const char **reason, const char **why)
{
	char text[INET6_ADDRSTRLEN];
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len, i;
	int v6 = t->kind == SPF_IP6;

	*reason = v6 ? "bad_ip6" : "bad_ip4";
	if (alen == 0 || alen >= sizeof(text)) {
		*why = v6 ? "missing or overlong IPv6 address" :
		    "missing or overlong IPv4 address";
		return -1;
	}
	for (i = 0; i < alen; i++) {
		if (v6 ? !(ascii_is_digit(s[i]) || s[i] == ':' || s[i] == '.' ||
		    (ascii_lower(s[i]) >= 'a' && ascii_lower(s[i]) <= 'f')) :
		    !(ascii_is_digit(s[i]) || s[i] == '.')) {
			*why = "invalid character in address";
			return -1;
		}
	}
	memcpy(text, s, alen);
	text[alen] = '\0';
	t->family = v6 ? AF_INET6 : AF_INET;
	if (inet_pton(t->family, text, t->addr) != 1) {
		*why = v6 ? "not an IPv6 address" :
		    "not a dotted-quad IPv4 address";
		return -1;
	}
	if (slash != NULL) {
		*reason = "bad_cidr";
		if (parse_prefix(slash + 1, len - alen - 1, v6 ? 128 : 32,
		    v6 ? &t->cidr6 : &t->cidr4) == -1) {
			*why = v6 ? "IPv6 prefix length must be 0..128 "
			    "without leading zeros" : "IPv4 prefix length "
			    "must be 0..32 without leading zeros";
			return -1;
		}
	}
	return 0;
}

static int
term_error(struct spf_error *err, const char *reason, const char *s,
    size_t len, size_t offset, const char *why)
{
	set_error(err, reason, offset, "term \"%.*s%s\" at offset %zu: %s",
	    (int)(len > 64 ? 64 : len), s, len > 64 ? "..." : "", offset, why);
	return -1;
}

static int
parse_modifier(struct spf_record *rec, struct spf_term *t, const char *s,
    size_t len, size_t namelen, struct spf_error *err)
{
	const char *value = s + namelen + 1, *reason, *why;
	size_t vlen = len - namelen - 1, tail, bad_at;
	const char **slot;

	if (ascii_span_ieq(s, namelen, "redirect") || ascii_span_ieq(s, namelen, "exp")) {
		t->kind = namelen == 3 ? SPF_EXP : SPF_REDIRECT;
		slot = t->kind == SPF_EXP ? &rec->exp : &rec->redirect;
		if (*slot != NULL)
			return term_error(err, "duplicate_modifier", s, len,
			    t->offset, "modifier given twice (RFC 7208 6)");
		if (check_domain_spec(value, vlen, &t->macros, &reason,
		    &why) == -1)
			return term_error(err, reason, s, len, t->offset, why);
		t->domain_spec = xstrndup(value, vlen);
		*slot = t->domain_spec;
		return 0;
	}
	/* Unknown modifiers are ignored, but must still be well formed. */
	if (scan_macro_string(value, vlen, MS_CRT, &tail, &t->macros, &bad_at,
	    &why) == -1)
		return term_error(err, "bad_macro", s, len, t->offset, why);
	t->kind = SPF_UNKNOWN_MODIFIER;
	t->name = xstrndup(s, namelen);
	t->value = xstrndup(value, vlen);
	return 0;
}

static int
parse_term(struct spf_record *rec, struct spf_term *t, const char *s,
    size_t len, struct spf_error *err)
{
	const char *rest, *reason, *why;
	size_t i = 0, namelen, rlen, m;

	/* name "=" ...: a modifier (name = ALPHA *(ALPHA/DIGIT/-/_/.)). */
	if (ascii_is_alpha(s[0])) {
		for (namelen = 1; namelen < len && (ascii_is_alnum(s[namelen]) ||
		    s[namelen] == '-' || s[namelen] == '_' ||
		    s[namelen] == '.'); namelen++)
			;
		if (namelen < len && s[namelen] == '=')
			return parse_modifier(rec, t, s, len, namelen, err);
	}

	t->qualifier = SPF_QUAL_PASS;
	for (m = 0; m < ARRAY_LEN(qualifier_chars); m++)
		if (s[0] == qualifier_chars[m]) {
			t->qualifier = (enum spf_qualifier)m;
			i = 1;
		}
	for (namelen = 0; i + namelen < len && ascii_is_alnum(s[i + namelen]);
	    namelen++)
		;
	/* The mechanisms are the kinds all to exists, named by kind_names;
	 * ABNF literals are case-insensitive. */
	for (m = SPF_ALL; m <= SPF_EXISTS; m++)
		if (ascii_span_ieq(s + i, namelen, kind_names[m]))
			break;
	if (m > SPF_EXISTS) {
		if (namelen == 0)
			return term_error(err, "syntax", s, len, t->offset,
			    "expected a mechanism or a modifier");
		if (i == 1 && i + namelen < len && s[i + namelen] == '=')
			return term_error(err, "syntax", s, len, t->offset,
			    "a modifier takes no qualifier");
		return term_error(err, "unknown_mechanism", s, len, t->offset,
		    "unknown mechanism");
	}
	t->kind = (enum spf_kind)m;
	rest = s + i + namelen;
	rlen = len - i - namelen;

	switch (t->kind) {
	case SPF_ALL:
		if (rlen != 0)
			return term_error(err, "syntax", s, len, t->offset,
			    "\"all\" takes no argument");
		return 0;
	case SPF_IP4:
	case SPF_IP6:
		if (rlen == 0 || rest[0] != ':')
			return term_error(err, t->kind == SPF_IP4 ? "bad_ip4" :
			    "bad_ip6", s, len, t->offset,
			    "expected ':' and an address");
		if (parse_network(rest + 1, rlen - 1, t, &reason, &why) == -1)
			return term_error(err, reason, s, len, t->offset, why);
		return 0;
	case SPF_A:
	case SPF_MX:
		if (split_dual_cidr(rest, &rlen, t, &why) == -1)
			return term_error(err, "bad_cidr", s, len, t->offset,
			    why);
		break;
	default:
		break;
	}
	/* What is left: nothing, or ":" domain-spec. */
	if (rlen == 0) {
		if (t->kind == SPF_INCLUDE || t->kind == SPF_EXISTS)
			return term_error(err, "syntax", s, len, t->offset,
			    "expected ':' and a domain-spec");
		return 0;
	}
	if (rest[0] != ':')
		return term_error(err, rest[0] == '/' ? "bad_cidr" : "syntax",
		    s, len, t->offset, rest[0] == '/' ?
		    "this mechanism takes no prefix length here" :
		    "expected ':' after the mechanism name");
	if (check_domain_spec(rest + 1, rlen - 1, &t->macros, &reason,
	    &why) == -1)
		return term_error(err, reason, s, len, t->offset, why);
	t->domain_spec = xstrndup(rest + 1, rlen - 1);
	return 0;
}

int
spf_is_record(const char *txt, size_t len)
{
	return txt != NULL && len >= 6 && strncasecmp(txt, "v=spf1", 6) == 0 &&
	    (len == 6 || txt[6] == ' ');
}

int
spf_parse(const char *record, size_t len, struct spf_record **out,
    struct spf_error *err)
{
	struct spf_record *rec;
	size_t i, pos, start, cap = 0;
	int c;

	*out = NULL;
	if (record == NULL)
		len = 0;
	if (len > SPF_MAX_RECORD_LEN) {
		set_error(err, "too_long", 0, "record is %zu bytes, at most %d "
		    "are accepted", len, SPF_MAX_RECORD_LEN);
		return -1;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)record[i];
		if (c < 0x20 || c > 0x7e) {
			set_error(err, "bad_char", i, "byte 0x%02x at offset "
			    "%zu: only printable ASCII and spaces are allowed",
			    (unsigned)c, i);
			return -1;
		}
	}
	if (!spf_is_record(record, len)) {
		set_error(err, "bad_version", 0, "record \"%.*s\" does not "
		    "start with \"v=spf1\" followed by a space or its end",
		    (int)(len > 16 ? 16 : len), record ? record : "");
		return -1;
	}

	rec = xcalloc(1, sizeof(*rec));
	for (pos = 6; pos < len; ) {
		while (pos < len && record[pos] == ' ')
			pos++;
		if (pos == len)
			break;
		for (start = pos; pos < len && record[pos] != ' '; pos++)
			;
		if (rec->nterms == SPF_MAX_TERMS) {
			set_error(err, "too_many_terms", start, "more than %d "
			    "terms (at offset %zu)", SPF_MAX_TERMS, start);
			spf_record_free(rec);
			return -1;
		}
		if (rec->nterms == cap) {
			cap = cap ? cap * 2 : 8;
			rec->terms = xreallocarray(rec->terms, cap,
			    sizeof(*rec->terms));
		}
		memset(&rec->terms[rec->nterms], 0, sizeof(*rec->terms));
		rec->terms[rec->nterms].offset = start;
		rec->terms[rec->nterms].cidr4 = 32;
		rec->terms[rec->nterms].cidr6 = 128;
		rec->terms[rec->nterms].text = xstrndup(record + start,
		    pos - start);
		/* Counted before parsing so that free sees partial terms. */
		rec->nterms++;
		if (parse_term(rec, &rec->terms[rec->nterms - 1], record + start,
		    pos - start, err) == -1) {
			spf_record_free(rec);
			return -1;
		}
	}

	/* Pointers into terms only now that the array stopped moving. */
	for (i = 0; i < rec->nterms; i++) {
		switch (rec->terms[i].kind) {
		case SPF_ALL:
			if (rec->all == NULL)
				rec->all = &rec->terms[i];
			break;
		case SPF_PTR:
			rec->uses_ptr = 1;
			rec->dns_terms++;
			break;
		case SPF_INCLUDE:
		case SPF_A:
		case SPF_MX:
		case SPF_EXISTS:
			rec->dns_terms++;
			break;
		default:
			break;
		}
	}
	if (rec->redirect != NULL && rec->all == NULL)
		rec->dns_terms++;
	*out = rec;
	return 0;
}

void
spf_record_free(struct spf_record *rec)
{
	size_t i;

	if (rec == NULL)
		return;
	for (i = 0; i < rec->nterms; i++) {
		free(rec->terms[i].text);
		free(rec->terms[i].domain_spec);
		free(rec->terms[i].name);
		free(rec->terms[i].value);
	}
	free(rec->terms);
	free(rec);
}

int
spf_select(const char *const *txts, const size_t *lens, size_t n,
    size_t *index, struct spf_error *err)
{
	size_t i, found = 0;

	for (i = 0; i < n; i++) {
		if (txts == NULL || txts[i] == NULL)
			continue;
		if (!spf_is_record(txts[i], lens ? lens[i] : strlen(txts[i])))
			continue;
		if (found++ == 0)
			*index = i;
	}
	if (found == 0) {
		set_error(err, "none", 0, "none of %zu TXT records starts "
		    "with \"v=spf1\"", n);
		return SPF_SELECT_NONE;
	}
	if (found > 1) {
		set_error(err, "multiple_records", 0, "%zu TXT records start "
		    "with \"v=spf1\" (RFC 7208 4.5)", found);
		return SPF_SELECT_MULTIPLE;
	}
	return SPF_SELECT_ONE;
}

/* ---- Addresses -------------------------------------------------------- */

/* The address rules are base/addr.c's; an spf_ip is an addr. */
static void
ip_set(struct spf_ip *ip, const struct addr *a)
{
	ip->family = a->family;
	memcpy(ip->addr, a->a, sizeof(ip->addr));
}

static struct addr
ip_get(const struct spf_ip *ip)
{
	struct addr a = { .family = ip->family };

	memcpy(a.a, ip->addr, sizeof(a.a));
	return a;
}

/* ::ffff:a.b.c.d is an IPv4 client seen by an IPv6 socket. */
static void
ip_unmap(struct spf_ip *ip)
{
	struct addr a = ip_get(ip);

	addr_unmap(&a);
	ip_set(ip, &a);
}

int
spf_ip_parse(const char *text, struct spf_ip *ip)
{
	struct addr a;

	memset(ip, 0, sizeof(*ip));
	if (addr_parse_ip(text, &a) == -1)
		return -1;
	addr_unmap(&a);
	ip_set(ip, &a);
	return 0;
}

int
spf_ip_from_sockaddr(const struct sockaddr *sa, struct spf_ip *ip)
{
	struct addr a;

	memset(ip, 0, sizeof(*ip));
	if (addr_from_sockaddr(sa, &a) == -1)
		return -1;
	ip_set(ip, &a);
	return 0;
}

static int
ip_in_network(const struct spf_ip *ip, int family, const uint8_t *net,
    unsigned prefix)
{
	struct addr a = ip_get(ip);
	struct cidr c = { .net = { .family = family }, .prefix = prefix };

	memcpy(c.net.a, net, family == AF_INET ? 4 : 16);
	return addr_in_cidr(&a, &c);
}

static int
ip_equal(const struct spf_ip *a, const struct spf_ip *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr,
	    a->family == AF_INET ? 4 : 16) == 0;
}

/* %{i}: dotted quad, or 32 dot-separated nibbles for IPv6 (RFC 7208 7.3). */
static void
ip_macro_text(const struct spf_ip *ip, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	if (ip->family != AF_INET6) {
		buf_printf(out, "%u.%u.%u.%u", ip->addr[0], ip->addr[1],
		    ip->addr[2], ip->addr[3]);
		return;
	}
	for (i = 0; i < 16; i++) {
		buf_putc(out, hex[ip->addr[i] >> 4]);
		buf_putc(out, '.');
		buf_putc(out, hex[ip->addr[i] & 0xf]);
		if (i < 15)
			buf_putc(out, '.');
	}
}

/* The name a PTR query for ip goes to. */
static void
ip_reverse_name(const struct spf_ip *ip, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	if (ip->family != AF_INET6) {
		buf_printf(out, "%u.%u.%u.%u.in-addr.arpa", ip->addr[3],
		    ip->addr[2], ip->addr[1], ip->addr[0]);
		return;
	}
	for (i = 15; i >= 0; i--) {
		buf_putc(out, hex[ip->addr[i] & 0xf]);
		buf_putc(out, '.');
		buf_putc(out, hex[ip->addr[i] >> 4]);
		buf_putc(out, '.');
	}
	buf_puts(out, "ip6.arpa");
}

/* ---- Macro expansion (RFC 7208 7.3) ----------------------------------- */

/* <sender> split into local-part and domain; "postmaster" stands in for a
 * missing local-part (RFC 7208 4.3). */
static void
sender_parts(const struct spf_macro_ctx *ctx, const char **local,
    size_t *llen, const char **domain, size_t *dlen)
{
	const char *s = ctx->sender, *at = NULL;

	*local = POSTMASTER;
	*llen = strlen(POSTMASTER);
	*domain = ctx->domain ? ctx->domain : "";
	if (s == NULL || *s == '\0')
		goto done;
	if ((at = strrchr(s, '@')) == NULL) {
		*domain = s;
		goto done;
	}
	if (at > s) {
		*local = s;
		*llen = (size_t)(at - s);
	}
	if (at[1] != '\0')
		*domain = at + 1;
done:
	*dlen = strlen(*domain);
}

static void
macro_value(const struct spf_macro_ctx *ctx, int letter, struct buf *out)
{
	char text[INET6_ADDRSTRLEN];
	const char *local, *domain;
	size_t llen, dlen;

	sender_parts(ctx, &local, &llen, &domain, &dlen);
	switch (letter) {
	case 's':
		buf_append(out, local, llen);
		buf_putc(out, '@');
		buf_append(out, domain, dlen);
		break;
	case 'l':
		buf_append(out, local, llen);
		break;
	case 'o':
		buf_append(out, domain, dlen);
		break;
	case 'd':
		buf_puts(out, ctx->domain ? ctx->domain : "");
		break;
	case 'i':
		ip_macro_text(&ctx->ip, out);
		break;
	case 'p':
		buf_puts(out, ctx->validated_name ? ctx->validated_name :
		    "unknown");
		break;
	case 'v':
		buf_puts(out, ctx->ip.family == AF_INET6 ? "ip6" : "in-addr");
		break;
	case 'h':
		buf_puts(out, ctx->helo ? ctx->helo : "unknown");
		break;
	case 'c':
		if (inet_ntop(ctx->ip.family == AF_INET6 ? AF_INET6 : AF_INET,
		    ctx->ip.addr, text, sizeof(text)) != NULL)
			buf_puts(out, text);
		break;
	case 'r':
		buf_puts(out, ctx->receiver ? ctx->receiver : "unknown");
		break;
	case 't':
		buf_printf(out, "%lld", ctx->timestamp);
		break;
	}
}

/* Splits value on the delimiters, optionally reverses, keeps the
 * right-hand parts and joins them with '.'. */
static void
macro_transform(const char *value, size_t len, const struct macro *m,
    struct buf *out)
{
	const char *delims = m->delims[0] ? m->delims : ".";
	size_t *starts, nparts = 1, i, k, first, idx, end;

	for (i = 0; i < len; i++)
		if (strchr(delims, value[i]) != NULL && value[i] != '\0')
			nparts++;
	/* starts[k] is where part k begins; part k ends one before
	 * starts[k + 1]. */
	starts = xreallocarray(NULL, nparts + 1, sizeof(*starts));
	starts[0] = 0;
	for (i = 0, k = 1; i < len; i++)
		if (strchr(delims, value[i]) != NULL && value[i] != '\0')
			starts[k++] = i + 1;
	starts[nparts] = len + 1;
	first = m->keep != 0 && m->keep < nparts ? nparts - m->keep : 0;
	for (k = first; k < nparts; k++) {
		idx = m->reverse ? nparts - 1 - k : k;
		end = starts[idx + 1] - 1;
		buf_append(out, value + starts[idx], end - starts[idx]);
		if (k + 1 < nparts)
			buf_putc(out, '.');
	}
	free(starts);
}

/* A name over 253 bytes loses labels on the left until it fits. */
static void
truncate_domain(struct buf *b)
{
	char *dot;
	size_t cut;

	while (b->len > SPF_MAX_NAME_LEN) {
		if ((dot = memchr(b->data, '.', b->len)) == NULL)
			return;
		cut = (size_t)(dot - b->data) + 1;
		memmove(b->data, b->data + cut, b->len - cut + 1);
		b->len -= cut;
	}
}

int
spf_expand(const char *macro_string, const struct spf_macro_ctx *ctx,
    struct buf *out, struct spf_error *err)
{
	struct buf value, transformed;
	struct macro m;
	const char *why;
	size_t i = 0, len, next;
	int c;

	buf_reset(out);
	buf_append(out, "", 0);
	if (macro_string == NULL) {
		set_error(err, "bad_macro", 0, "no macro-string");
		return -1;
	}
	len = strlen(macro_string);
	buf_init(&value);
	buf_init(&transformed);
	while (i < len) {
		c = (unsigned char)macro_string[i];
		if (c != '%') {
			if ((c < 0x21 || c > 0x7e) &&
			    !(c == ' ' && ctx->explanation)) {
				why = "character not allowed in a macro-string";
				goto bad;
			}
			buf_putc(out, (char)c);
			i++;
			continue;
		}
		if ((next = parse_macro(macro_string, len, i, &m, &why)) == 0)
			goto bad;
		switch (m.letter) {
		case '%':
			buf_putc(out, '%');
			break;
		case '_':
			buf_putc(out, ' ');
			break;
		case '-':
			buf_puts(out, "%20");
			break;
		default:
			if (!ctx->explanation && (m.letter == 'c' ||
			    m.letter == 'r' || m.letter == 't')) {
				why = "macros c, r and t are only allowed in "
				    "explanations";
				goto bad;
			}
			buf_reset(&value);
			buf_reset(&transformed);
			macro_value(ctx, m.letter, &value);
			macro_transform(value.data ? value.data : "", value.len,
			    &m, &transformed);
			if (m.url_escape)
				/* upper case: URL-escaped, all but RFC
				 * 3986 unreserved */
				url_escape_n(out, transformed.data,
				    transformed.len);
			else
				buf_append(out, transformed.data,
				    transformed.len);
			break;
		}
		i = next;
	}
	buf_free(&value);
	buf_free(&transformed);
	if (!ctx->explanation)
		truncate_domain(out);
	return 0;
bad:
	set_error(err, "bad_macro", i, "macro-string \"%.64s\" at offset "
	    "%zu: %s", macro_string, i, why);
	buf_free(&value);
	buf_free(&transformed);
	buf_reset(out);
	return -1;
}

/* ---- check_host() (RFC 7208 4 and 5) ---------------------------------- */

/* Where the evaluator is.  The caller only ever sees it in a WAIT state
 * (a question is pending) or DONE; NEXT_TERM is the internal loop. */
enum spf_state {
	ST_INIT,
	ST_NEXT_TERM,		/* evaluate the top frame's current term */
	ST_WAIT_TXT,		/* the top frame's record */
	ST_WAIT_A,		/* "a": addresses of the target */
	ST_WAIT_MX,		/* "mx": the exchangers of the target */
	ST_WAIT_MX_ADDR,	/* "mx": addresses of one exchanger */
	ST_WAIT_EXISTS,		/* "exists": any A record */
	ST_WAIT_PTR,		/* ptr or %{p}: names of <ip> */
	ST_WAIT_PTR_ADDR,	/* ptr or %{p}: addresses of one name */
	ST_DONE,
};

static const char *const state_names[] = {
	[ST_INIT] = "init",
	[ST_NEXT_TERM] = "next_term",
	[ST_WAIT_TXT] = "wait_txt",
	[ST_WAIT_A] = "wait_a",
	[ST_WAIT_MX] = "wait_mx",
	[ST_WAIT_MX_ADDR] = "wait_mx_addr",
	[ST_WAIT_EXISTS] = "wait_exists",
	[ST_WAIT_PTR] = "wait_ptr",
	[ST_WAIT_PTR_ADDR] = "wait_ptr_addr",
	[ST_DONE] = "done",
};

enum frame_kind {
	FRAME_TOP,
	FRAME_INCLUDE,
	FRAME_REDIRECT,
};

/* One check_host() invocation: the top one, or an include or redirect. */
struct spf_frame {
	enum frame_kind		 kind;
	char			*domain;	/* its <domain>, no final dot */
	struct spf_record	*rec;		/* NULL until the TXT arrives */
	size_t			 next;		/* current term; nterms: redirect */
	int			 charged;	/* current term counted already */
};

struct spf_eval {
	enum spf_state		 state;
	struct spf_limits	 limits;
	int			 walk;
	struct spf_ip		 ip;
	char			*domain;
	char			*sender;
	char			*helo;

	struct spf_frame	 frames[SPF_MAX_DEPTH];
	size_t			 depth;

	struct buf		 target;	/* current term's target name */
	char			**mx_names;	/* exchangers being resolved */
	size_t			 mx_count, mx_next;

	/* PTR validation depends on <ip> alone: done once, shared by every
	 * ptr term and %{p} (RFC 7208 5.5). */
	int			 ptr_done, ptr_void;
	char			**ptr_names;
	size_t			 ptr_count, ptr_next;
	char			**validated;
	size_t			 nvalidated;

	int			 answer_locally; /* the pending name is invalid */
	const char		*limit_reason;	/* walk: first limit crossed */
	char			 limit_message[160];
	struct buf		 qname;
	struct spf_query	 query;
	struct spf_result	 result;
	unsigned long		 steps;
};

static void conclude(struct spf_eval *, enum spf_result_code, const char *,
    const char *, ...) __attribute__((format(printf, 4, 5)));
static void set_message(struct spf_eval *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static int over_limit(struct spf_eval *, const char *, int, const char *,
    ...) __attribute__((format(printf, 4, 5)));

static void
set_message(struct spf_eval *ev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ev->result.message, sizeof(ev->result.message), fmt, ap);
	va_end(ap);
}

/* Ends the evaluation.  fmt NULL keeps the message set on the way.  A walk
 * that crossed a limit reports it unless something worse happened. */
static void
conclude(struct spf_eval *ev, enum spf_result_code code, const char *reason,
    const char *fmt, ...)
{
	va_list ap;

	if (ev->walk && ev->limit_reason != NULL &&
	    code != SPF_RESULT_TEMPERROR && code != SPF_RESULT_PERMERROR) {
		code = SPF_RESULT_PERMERROR;
		reason = ev->limit_reason;
		set_message(ev, "%s", ev->limit_message);
	} else if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(ev->result.message, sizeof(ev->result.message), fmt,
		    ap);
		va_end(ap);
	}
	ev->result.code = code;
	ev->result.reason = reason;
	ev->state = ST_DONE;
}

static void
free_names(char ***names, size_t *count)
{
	size_t i;

	for (i = 0; i < *count; i++)
		free((*names)[i]);
	free(*names);
	*names = NULL;
	*count = 0;
}

/* 1 when name is among names[0..count), ignoring case. */
static int
name_listed(char *const *names, size_t count, const char *name)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcasecmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* Copies the distinct host names of an answer in answer order, at most
 * max, dropping a final dot: a name listed twice is checked once and does
 * not push a later one past the limit. */
static void
copy_names(const struct spf_answer *ans, size_t max, char ***names,
    size_t *count)
{
	size_t i, len;
	char *name;

	*names = xreallocarray(NULL, max ? max : 1, sizeof(**names));
	*count = 0;
	for (i = 0; i < ans->nstrings && *count < max; i++) {
		if (ans->strings == NULL || ans->strings[i] == NULL)
			continue;
		len = ans->lens ? ans->lens[i] : strlen(ans->strings[i]);
		if (len > 0 && ans->strings[i][len - 1] == '.')
			len--;
		name = xstrndup(ans->strings[i], len);
		if (name_listed(*names, *count, name))
			free(name);
		else
			(*names)[(*count)++] = name;
	}
}

/* A name that can go into a query: labels of 1..63 bytes, at most 253
 * bytes, no NUL, no final dot (it was stripped). */
static int
valid_name(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > SPF_MAX_NAME_LEN || strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (++label > 63)
			return 0;
	}
	return 1;
}

/* name is domain or one of its subdomains, ignoring case. */
static int
in_domain(const char *name, const char *domain)
{
	size_t nlen = strlen(name), dlen = strlen(domain);

	if (nlen == dlen)
		return strcasecmp(name, domain) == 0;
	return nlen > dlen && name[nlen - dlen - 1] == '.' &&
	    strcasecmp(name + nlen - dlen, domain) == 0;
}

static enum spf_qtype
addr_qtype(const struct spf_eval *ev)
{
	return ev->ip.family == AF_INET6 ? SPF_QTYPE_AAAA : SPF_QTYPE_A;
}

static struct spf_frame *
top_frame(struct spf_eval *ev)
{
	return &ev->frames[ev->depth - 1];
}

static const struct spf_term *
redirect_term(const struct spf_record *rec)
{
	size_t i;

	for (i = 0; i < rec->nterms; i++)
		if (rec->terms[i].kind == SPF_REDIRECT)
			return &rec->terms[i];
	return NULL;
}

/* The term a frame is on; past the last term it is the redirect. */
static const struct spf_term *
current_term(const struct spf_frame *f)
{
	if (f->next < f->rec->nterms)
		return &f->rec->terms[f->next];
	return redirect_term(f->rec);
}

static void
next_term(struct spf_frame *f)
{
	f->next++;
	f->charged = 0;
}

/* Hands a question to the caller.  A name that cannot be asked (empty
 * label, over 253 bytes) is answered NXDOMAIN here, as a resolver would. */
static void
send_question(struct spf_eval *ev, enum spf_state wait, const char *name,
    enum spf_qtype type)
{
	size_t len = strlen(name);

	buf_reset(&ev->qname);
	buf_append(&ev->qname, name, len);
	if (len > 0 && ev->qname.data[len - 1] == '.')
		ev->qname.data[--ev->qname.len] = '\0';
	ev->query.name = ev->qname.data;
	ev->query.type = type;
	ev->state = wait;
	if (!valid_name(ev->qname.data, ev->qname.len)) {
		ev->answer_locally = 1;
		return;
	}
	ev->result.dns_queries++;
}

/* In check_host() a crossed limit ends the evaluation; a walk notes the
 * first one and goes on, unless hard_stop. */
static int
over_limit(struct spf_eval *ev, const char *reason, int hard_stop,
    const char *fmt, ...)
{
	char message[sizeof(ev->limit_message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (!ev->walk) {
		conclude(ev, SPF_RESULT_PERMERROR, reason, "%s", message);
		return -1;
	}
	if (ev->limit_reason == NULL) {
		ev->limit_reason = reason;
		memcpy(ev->limit_message, message, sizeof(message));
	}
	if (hard_stop) {
		conclude(ev, SPF_RESULT_PERMERROR, ev->limit_reason,
		    "%s; walk stopped after %u DNS-querying terms",
		    ev->limit_message, ev->result.dns_lookups);
		return -1;
	}
	return 0;
}

/* One more DNS-querying term (RFC 7208 4.6.4). */
static int
charge_lookup(struct spf_eval *ev, const struct spf_frame *f,
    const struct spf_term *t)
{
	unsigned n = ++ev->result.dns_lookups;

	if (n <= ev->limits.dns_lookups)
		return 0;
	return over_limit(ev, "too_many_dns_lookups",
	    n > SPF_WALK_MAX_LOOKUPS, "more than %u DNS-querying terms: "
	    "number %u is %.64s in %.64s", ev->limits.dns_lookups, n, t->text,
	    f->domain);
}

/* One more term whose lookup found nothing (RFC 7208 4.6.4). */
static int
charge_void(struct spf_eval *ev)
{
	unsigned n = ++ev->result.void_lookups;

	if (n <= ev->limits.void_lookups)
		return 0;
	return over_limit(ev, "too_many_void_lookups", 0, "more than %u void "
	    "lookups: number %u is %s %.64s", ev->limits.void_lookups, n,
	    spf_qtype_name(ev->query.type),
	    ev->query.name ? ev->query.name : "?");
}

static enum spf_result_code
qualifier_result(enum spf_qualifier q)
{
	switch (q) {
	case SPF_QUAL_FAIL:
		return SPF_RESULT_FAIL;
	case SPF_QUAL_SOFTFAIL:
		return SPF_RESULT_SOFTFAIL;
	case SPF_QUAL_NEUTRAL:
		return SPF_RESULT_NEUTRAL;
	default:
		return SPF_RESULT_PASS;
	}
}

static void
push_frame(struct spf_eval *ev, enum frame_kind kind, const char *domain)
{
	struct spf_frame *f = &ev->frames[ev->depth++];

	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->domain = xstrdup(domain);
	if (ev->depth - 1 > ev->result.max_depth)
		ev->result.max_depth = (unsigned)(ev->depth - 1);
	send_question(ev, ST_WAIT_TXT, f->domain, SPF_QTYPE_TXT);
}

static void
pop_frame(struct spf_eval *ev)
{
	struct spf_frame *f = top_frame(ev);

	free(f->domain);
	spf_record_free(f->rec);
	memset(f, 0, sizeof(*f));
	ev->depth--;
}

/* The top frame's check_host() returned code: hand it to whoever invoked
 * it (RFC 7208 5.2 for include, 6.1 for redirect).  code is never an
 * error: temperror and permerror end everything at once through conclude(). */
static void
frame_result(struct spf_eval *ev, enum spf_result_code code,
    const char *reason)
{
	char domain[SPF_MAX_NAME_LEN + 1];
	enum frame_kind kind;
	struct spf_frame *f;

	for (;;) {
		if (ev->depth == 1) {
			conclude(ev, code, reason, NULL);
			return;
		}
		kind = top_frame(ev)->kind;
		snprintf(domain, sizeof(domain), "%s", top_frame(ev)->domain);
		pop_frame(ev);
		if (code == SPF_RESULT_NONE) {
			if (kind == FRAME_REDIRECT)
				conclude(ev, SPF_RESULT_PERMERROR,
				    "redirect_target_missing", "redirect=%s: "
				    "no SPF record (%s)", domain, reason);
			else
				conclude(ev, SPF_RESULT_PERMERROR,
				    "include_target_missing", "include:%s: "
				    "no SPF record (%s)", domain, reason);
			return;
		}
		if (kind == FRAME_REDIRECT)
			continue;	/* it is the redirecting record's result */
		f = top_frame(ev);
		if (code == SPF_RESULT_PASS) {
			code = qualifier_result(current_term(f)->qualifier);
			reason = "match";
			continue;
		}
		next_term(f);	/* fail, softfail, neutral: no match */
		ev->state = ST_NEXT_TERM;
		return;
	}
}

static void
matched(struct spf_eval *ev, const struct spf_frame *f,
    const struct spf_term *t)
{
	set_message(ev, "matched %.100s in %.100s", t->text, f->domain);
	frame_result(ev, qualifier_result(t->qualifier), "match");
}

static void
dns_failed(struct spf_eval *ev, enum spf_dns_status status)
{
	conclude(ev, SPF_RESULT_TEMPERROR, status == SPF_DNS_TIMEOUT ?
	    "dns_timeout" : status == SPF_DNS_BUDGET ? "dns_budget" :
	    "dns_servfail", "%s %s: %s",
	    spf_qtype_name(ev->query.type), ev->query.name,
	    status == SPF_DNS_TIMEOUT ? "timed out" : status == SPF_DNS_BUDGET ?
	    "not asked: dns_budget_per_domain spent" : "server failure");
}

/* For %{p}: a validated name in <domain> if there is one, else any. */
static const char *
pick_validated(const struct spf_eval *ev, const char *domain)
{
	size_t i;

	for (i = 0; i < ev->nvalidated; i++)
		if (in_domain(ev->validated[i], domain))
			return ev->validated[i];
	return ev->nvalidated ? ev->validated[0] : NULL;
}

/* <target-name>: the expanded domain-spec, or the frame's <domain>. */
static int
expand_target(struct spf_eval *ev, const struct spf_frame *f,
    const struct spf_term *t)
{
	struct spf_macro_ctx ctx;
	struct spf_error err;

	if (t->domain_spec == NULL) {
		buf_reset(&ev->target);
		buf_puts(&ev->target, f->domain);
		return 0;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.sender = ev->sender;
	ctx.domain = f->domain;
	ctx.ip = ev->ip;
	ctx.helo = ev->helo;
	ctx.validated_name = pick_validated(ev, f->domain);
	if (spf_expand(t->domain_spec, &ctx, &ev->target, &err) == -1) {
		conclude(ev, SPF_RESULT_PERMERROR, err.reason,
		    "%.64s in %.64s: "
		    "%s", t->text, f->domain, err.message);
		return -1;
	}
	if (ev->target.len > 0 && ev->target.data[ev->target.len - 1] == '.')
		ev->target.data[--ev->target.len] = '\0';
	return 0;
}

static void
ptr_next(struct spf_eval *ev)
{
	if (ev->ptr_next < ev->ptr_count) {
		send_question(ev, ST_WAIT_PTR_ADDR, ev->ptr_names[ev->ptr_next],
		    addr_qtype(ev));
		return;
	}
	ev->ptr_done = 1;
	ev->state = ST_NEXT_TERM;	/* back to the term that needed it */
}

static void
ptr_start(struct spf_eval *ev)
{
	struct buf name;

	if (ev->walk) {		/* no address to reverse */
		ev->ptr_done = 1;
		ev->state = ST_NEXT_TERM;
		return;
	}
	buf_init(&name);
	ip_reverse_name(&ev->ip, &name);
	send_question(ev, ST_WAIT_PTR, name.data, SPF_QTYPE_PTR);
	buf_free(&name);
}

/* The ptr mechanism once the validated names are known. */
static void
ptr_decide(struct spf_eval *ev, struct spf_frame *f, const struct spf_term *t)
{
	size_t i;

	if (ev->ptr_void && charge_void(ev) == -1)
		return;
	for (i = 0; !ev->walk && i < ev->nvalidated; i++) {
		if (in_domain(ev->validated[i], ev->target.data)) {
			matched(ev, f, t);
			return;
		}
	}
	next_term(f);
}

static void
follow(struct spf_eval *ev, const struct spf_term *t)
{
	const char *target = ev->target.data;
	size_t i;

	for (i = 0; i < ev->depth; i++) {
		if (strcasecmp(ev->frames[i].domain, target) == 0) {
			conclude(ev, SPF_RESULT_PERMERROR,
			    t->kind == SPF_INCLUDE ?
			    "include_loop" : "redirect_loop", "%.64s in %.64s "
			    "loops back to %.64s", t->text,
			    top_frame(ev)->domain, target);
			return;
		}
	}
	if (ev->depth == SPF_MAX_DEPTH) {
		conclude(ev, SPF_RESULT_PERMERROR, "too_deep",
		    "%.64s in %.64s: "
		    "more than %d nested records", t->text,
		    top_frame(ev)->domain, SPF_MAX_DEPTH - 1);
		return;
	}
	push_frame(ev, t->kind == SPF_INCLUDE ? FRAME_INCLUDE : FRAME_REDIRECT,
	    target);
}

/* Evaluates the top frame's current term, up to its first question. */
static void
step_term(struct spf_eval *ev)
{
	struct spf_frame *f = top_frame(ev);
	const struct spf_record *rec = f->rec;
	const struct spf_term *t;

	if (f->next >= rec->nterms) {
		/* redirect only when nothing matched and there is no "all"
		 * anywhere in the record (RFC 7208 6.1) */
		if (rec->redirect == NULL || rec->all != NULL) {
			set_message(ev, "nothing matched in %.200s", f->domain);
			frame_result(ev, SPF_RESULT_NEUTRAL, "default");
			return;
		}
	}
	t = current_term(f);

	switch (t->kind) {
	case SPF_ALL:
		matched(ev, f, t);
		return;
	case SPF_IP4:
	case SPF_IP6:
		if (!ev->walk && ip_in_network(&ev->ip, t->family, t->addr,
		    t->kind == SPF_IP4 ? t->cidr4 : t->cidr6))
			matched(ev, f, t);
		else
			next_term(f);
		return;
	case SPF_REDIRECT:
		if (f->next < rec->nterms) {	/* only acted on at the end */
			next_term(f);
			return;
		}
		break;
	case SPF_EXP:
	case SPF_UNKNOWN_MODIFIER:
		next_term(f);
		return;
	default:
		break;
	}

	/* include, a, mx, ptr, exists, redirect: they query the DNS.  The
	 * term may come back here after a PTR detour: charge it once. */
	if (!f->charged) {
		f->charged = 1;
		if (charge_lookup(ev, f, t) == -1)
			return;
	}
	if ((t->kind == SPF_PTR || (t->macros & MACRO_BIT('p'))) &&
	    !ev->ptr_done) {
		ptr_start(ev);
		return;
	}
	if (expand_target(ev, f, t) == -1)
		return;
	switch (t->kind) {
	case SPF_INCLUDE:
	case SPF_REDIRECT:
		follow(ev, t);
		return;
	case SPF_A:
		send_question(ev, ST_WAIT_A, ev->target.data, addr_qtype(ev));
		return;
	case SPF_MX:
		send_question(ev, ST_WAIT_MX, ev->target.data, SPF_QTYPE_MX);
		return;
	case SPF_EXISTS:
		/* exists always asks for A, whatever <ip> is (RFC 7208 5.7) */
		send_question(ev, ST_WAIT_EXISTS, ev->target.data, SPF_QTYPE_A);
		return;
	case SPF_PTR:
		ptr_decide(ev, f, t);
		return;
	default:
		conclude(ev, SPF_RESULT_PERMERROR, "internal",
		    "unexpected term "
		    "%.64s", t->text);
		return;
	}
}

enum answer_class { ANSWER_ERROR, ANSWER_VOID, ANSWER_DATA };

/* "Void" is NXDOMAIN or NOERROR with nothing (RFC 7208 4.6.4). */
static enum answer_class
classify(const struct spf_answer *ans, int want_addrs)
{
	switch (ans->status) {
	case SPF_DNS_OK:
		if (want_addrs ? ans->naddrs == 0 || ans->addrs == NULL :
		    ans->nstrings == 0 || ans->strings == NULL)
			return ANSWER_VOID;
		return ANSWER_DATA;
	case SPF_DNS_NXDOMAIN:
	case SPF_DNS_NODATA:
		return ANSWER_VOID;
	default:
		return ANSWER_ERROR;
	}
}

/* The top frame is the top record or reached from it by redirects only:
 * its "all" is the one check_host() of the top domain ends on. */
static int
in_top_chain(const struct spf_eval *ev)
{
	size_t i;

	for (i = 1; i < ev->depth; i++)
		if (ev->frames[i].kind != FRAME_REDIRECT)
			return 0;
	return 1;
}

static void
on_txt(struct spf_eval *ev, const struct spf_answer *ans)
{
	struct spf_frame *f = top_frame(ev);
	struct spf_record *rec;
	struct spf_error err;
	size_t idx = 0, len;

	switch (classify(ans, 0)) {
	case ANSWER_ERROR:
		dns_failed(ev, ans->status);
		return;
	case ANSWER_VOID:
		if (f->kind != FRAME_TOP && charge_void(ev) == -1)
			return;
		set_message(ev, "%.200s: %s", f->domain,
		    ans->status == SPF_DNS_NXDOMAIN ? "no such domain" :
		    "no TXT records");
		frame_result(ev, SPF_RESULT_NONE,
		    ans->status == SPF_DNS_NXDOMAIN ? "nxdomain" :
		    "no_spf_record");
		return;
	case ANSWER_DATA:
		break;
	}
	switch (spf_select(ans->strings, ans->lens, ans->nstrings, &idx,
	    &err)) {
	case SPF_SELECT_NONE:
		set_message(ev, "%.200s: %s", f->domain, err.message);
		frame_result(ev, SPF_RESULT_NONE, "no_spf_record");
		return;
	case SPF_SELECT_MULTIPLE:
		conclude(ev, SPF_RESULT_PERMERROR, err.reason, "%.200s: %s",
		    f->domain, err.message);
		return;
	}
	len = ans->lens ? ans->lens[idx] : strlen(ans->strings[idx]);
	if (spf_parse(ans->strings[idx], len, &rec, &err) == -1) {
		conclude(ev, SPF_RESULT_PERMERROR, err.reason, "%.64s: %s",
		    f->domain, err.message);
		return;
	}
	f->rec = rec;
	if (in_top_chain(ev))
		ev->result.all_qualifier = rec->all != NULL ?
		    (int)rec->all->qualifier : rec->redirect != NULL ?
		    SPF_ALL_UNKNOWN : SPF_ALL_NONE;
	ev->state = ST_NEXT_TERM;
}

/* Compares <ip> with the addresses of an "a" target or an exchanger. */
static int
addrs_match(const struct spf_eval *ev, const struct spf_answer *ans,
    const struct spf_term *t)
{
	size_t i;

	for (i = 0; !ev->walk && i < ans->naddrs; i++)
		if (ip_in_network(&ev->ip, ans->addrs[i].family,
		    ans->addrs[i].addr, ans->addrs[i].family == AF_INET ?
		    t->cidr4 : t->cidr6))
			return 1;
	return 0;
}

static void
mx_next(struct spf_eval *ev)
{
	if (ev->mx_next < ev->mx_count) {
		send_question(ev, ST_WAIT_MX_ADDR, ev->mx_names[ev->mx_next],
		    addr_qtype(ev));
		return;
	}
	free_names(&ev->mx_names, &ev->mx_count);
	next_term(top_frame(ev));
	ev->state = ST_NEXT_TERM;
}

static void
on_answer(struct spf_eval *ev, const struct spf_answer *ans)
{
	struct spf_frame *f = top_frame(ev);
	const struct spf_term *t = f->rec ? current_term(f) : NULL;
	enum answer_class class;
	size_t i;

	switch (ev->state) {
	case ST_WAIT_TXT:
		on_txt(ev, ans);
		return;

	case ST_WAIT_A:
	case ST_WAIT_EXISTS:
		class = classify(ans, 1);
		if (class == ANSWER_ERROR) {
			dns_failed(ev, ans->status);
			return;
		}
		ev->state = ST_NEXT_TERM;
		if (class == ANSWER_VOID) {
			if (charge_void(ev) == 0)
				next_term(f);
			return;
		}
		/* Any A record makes exists match (RFC 7208 5.7). */
		if (!ev->walk && (t->kind == SPF_EXISTS ||
		    addrs_match(ev, ans, t)))
			matched(ev, f, t);
		else
			next_term(f);
		return;

	case ST_WAIT_MX:
		class = classify(ans, 0);
		if (class == ANSWER_ERROR) {
			dns_failed(ev, ans->status);
			return;
		}
		ev->state = ST_NEXT_TERM;
		if (class == ANSWER_VOID) {
			if (charge_void(ev) == 0)
				next_term(f);
			return;
		}
		/* More than 10 exchangers is a permerror (RFC 7208 4.6.4). */
		if (ans->nstrings > ev->limits.names && over_limit(ev,
		    "too_many_mx_names", 0, "%.64s has %zu MX records, more "
		    "than %u", ev->query.name, ans->nstrings,
		    ev->limits.names) == -1)
			return;
		copy_names(ans, ev->limits.names, &ev->mx_names,
		    &ev->mx_count);
		ev->mx_next = 0;
		mx_next(ev);
		return;

	case ST_WAIT_MX_ADDR:
		class = classify(ans, 1);
		if (class == ANSWER_ERROR) {
			dns_failed(ev, ans->status);
			return;
		}
		if (class == ANSWER_DATA && addrs_match(ev, ans, t)) {
			free_names(&ev->mx_names, &ev->mx_count);
			ev->state = ST_NEXT_TERM;
			matched(ev, f, t);
			return;
		}
		ev->mx_next++;
		mx_next(ev);
		return;

	case ST_WAIT_PTR:
		/* A failed PTR lookup only makes ptr not match (5.5). */
		class = classify(ans, 0);
		if (class == ANSWER_DATA) {
			copy_names(ans, ev->limits.names, &ev->ptr_names,
			    &ev->ptr_count);
		} else if (class == ANSWER_VOID)
			ev->ptr_void = 1;
		ev->ptr_next = 0;
		ptr_next(ev);
		return;

	case ST_WAIT_PTR_ADDR:
		/* Errors skip the name (5.5); a name is validated when one of
		 * its addresses is <ip>. */
		if (classify(ans, 1) == ANSWER_DATA) {
			for (i = 0; i < ans->naddrs; i++) {
				if (ip_equal(&ans->addrs[i], &ev->ip)) {
					ev->validated = xreallocarray(
					    ev->validated, ev->nvalidated + 1,
					    sizeof(*ev->validated));
					ev->validated[ev->nvalidated++] =
					    xstrdup(ev->ptr_names[ev->ptr_next]);
					break;
				}
			}
		}
		ev->ptr_next++;
		ptr_next(ev);
		return;

	default:
		return;
	}
}

/* Runs until a question is pending or the result is known. */
static enum spf_step
run_to_question(struct spf_eval *ev)
{
	struct spf_answer nxdomain;

	for (;;) {
		if (ev->state == ST_DONE)
			return SPF_STEP_DONE;
		if (++ev->steps > SPF_MAX_STEPS) {
			conclude(ev, SPF_RESULT_PERMERROR, "internal",
			    "evaluation did not end after %lu steps",
			    SPF_MAX_STEPS);
			continue;
		}
		if (ev->state == ST_NEXT_TERM) {
			step_term(ev);
			continue;
		}
		if (ev->answer_locally) {
			ev->answer_locally = 0;
			memset(&nxdomain, 0, sizeof(nxdomain));
			nxdomain.status = SPF_DNS_NXDOMAIN;
			on_answer(ev, &nxdomain);
			continue;
		}
		return SPF_STEP_QUERY;
	}
}

static struct spf_eval *
eval_new(const char *domain, const struct spf_limits *limits)
{
	struct spf_eval *ev = xcalloc(1, sizeof(*ev));
	size_t len;

	ev->state = ST_INIT;
	/* Clamped so that no configuration makes the work unbounded. */
	ev->limits.dns_lookups = limits && limits->dns_lookups ?
	    limits->dns_lookups : 10;
	if (ev->limits.dns_lookups > SPF_WALK_MAX_LOOKUPS)
		ev->limits.dns_lookups = SPF_WALK_MAX_LOOKUPS;
	ev->limits.void_lookups = limits && limits->void_lookups ?
	    limits->void_lookups : 2;
	if (ev->limits.void_lookups > SPF_WALK_MAX_LOOKUPS)
		ev->limits.void_lookups = SPF_WALK_MAX_LOOKUPS;
	ev->limits.names = limits && limits->names ? limits->names : 10;
	if (ev->limits.names > 100)
		ev->limits.names = 100;
	ev->result.all_qualifier = SPF_ALL_UNKNOWN;
	ev->domain = xstrdup(domain ? domain : "");
	len = strlen(ev->domain);
	if (len > 0 && ev->domain[len - 1] == '.')
		ev->domain[len - 1] = '\0';
	buf_init(&ev->target);
	buf_init(&ev->qname);
	return ev;
}

struct spf_eval *
spf_eval_new(const char *domain, const struct spf_ip *ip, const char *sender,
    const char *helo, const struct spf_limits *limits)
{
	struct spf_eval *ev = eval_new(domain, limits);
	struct buf b;

	ev->ip.family = AF_INET;
	if (ip != NULL) {
		ev->ip = *ip;
		if (ev->ip.family != AF_INET6)
			ev->ip.family = AF_INET;
		ip_unmap(&ev->ip);
	}
	if (sender != NULL && *sender != '\0')
		ev->sender = xstrdup(sender);
	else {
		/* No MAIL FROM: postmaster@<domain> (RFC 7208 2.4). */
		buf_init(&b);
		buf_printf(&b, POSTMASTER "@%s", ev->domain);
		ev->sender = b.data;
	}
	if (helo != NULL)
		ev->helo = xstrdup(helo);
	return ev;
}

struct spf_eval *
spf_eval_new_walk(const char *domain, int family,
    const struct spf_limits *limits)
{
	struct spf_ip unspecified;
	struct spf_eval *ev;

	memset(&unspecified, 0, sizeof(unspecified));
	unspecified.family = family == AF_INET6 ? AF_INET6 : AF_INET;
	ev = spf_eval_new(domain, &unspecified, NULL, NULL, limits);
	ev->walk = 1;
	return ev;
}

enum spf_step
spf_eval_start(struct spf_eval *ev)
{
	const char *d = ev->domain;
	size_t i;

	if (ev->state != ST_INIT)
		return ev->state == ST_DONE ? SPF_STEP_DONE :
		    run_to_question(ev);
	/* A malformed or single-label <domain> gives "none" (4.3). */
	for (i = 0; d[i] != '\0'; i++)
		if ((unsigned char)d[i] < 0x21 || (unsigned char)d[i] > 0x7e)
			break;
	if (d[i] != '\0' || !valid_name(d, strlen(d)) ||
	    strchr(d, '.') == NULL) {
		conclude(ev, SPF_RESULT_NONE, "bad_domain", "malformed domain "
		    "\"%.64s\"", d);
		return SPF_STEP_DONE;
	}
	push_frame(ev, FRAME_TOP, d);
	return run_to_question(ev);
}

enum spf_step
spf_eval_resume(struct spf_eval *ev, const struct spf_answer *answer)
{
	struct spf_answer timeout;

	switch (ev->state) {
	case ST_INIT:
		return spf_eval_start(ev);
	case ST_DONE:
		return SPF_STEP_DONE;
	case ST_NEXT_TERM:
		return run_to_question(ev);
	default:
		break;
	}
	if (answer == NULL) {
		memset(&timeout, 0, sizeof(timeout));
		timeout.status = SPF_DNS_TIMEOUT;
		answer = &timeout;
	}
	on_answer(ev, answer);
	return run_to_question(ev);
}

const struct spf_query *
spf_eval_query(const struct spf_eval *ev)
{
	if (ev->state == ST_INIT || ev->state == ST_NEXT_TERM ||
	    ev->state == ST_DONE)
		return NULL;
	return &ev->query;
}

const struct spf_result *
spf_eval_result(const struct spf_eval *ev)
{
	return &ev->result;
}

const struct spf_record *
spf_eval_record(const struct spf_eval *ev)
{
	return ev->depth > 0 ? ev->frames[0].rec : NULL;
}

const char *
spf_eval_state_name(const struct spf_eval *ev)
{
	if ((size_t)ev->state >= ARRAY_LEN(state_names))
		return "unknown";
	return state_names[ev->state];
}

void
spf_eval_free(struct spf_eval *ev)
{
	if (ev == NULL)
		return;
	while (ev->depth > 0)
		pop_frame(ev);
	free_names(&ev->mx_names, &ev->mx_count);
	free_names(&ev->ptr_names, &ev->ptr_count);
	free_names(&ev->validated, &ev->nvalidated);
	buf_free(&ev->target);
	buf_free(&ev->qname);
	free(ev->domain);
	free(ev->sender);
	free(ev->helo);
	free(ev);
}
