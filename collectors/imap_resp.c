#include "collectors/imap_resp.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"

static const struct {
	const char	*name;
	enum imap_cond	 cond;
} conds[] = {
	{ "OK", IMAP_COND_OK },
	{ "NO", IMAP_COND_NO },
	{ "BAD", IMAP_COND_BAD },
	{ "PREAUTH", IMAP_COND_PREAUTH },
	{ "BYE", IMAP_COND_BYE },
};

const char *
imap_cond_name(enum imap_cond c)
{
	for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++)
		if (conds[i].cond == c)
			return conds[i].name;
	return "?";
}

static int
line_error(struct imap_line *l, const char *msg)
{
	snprintf(l->err, sizeof(l->err), "%s", msg);
	return -1;
}

/* ATOM-CHAR: a CHAR but SP, CTL and "(" ")" "{" "%" "*" '"' "\" "]". */
static int
is_atom_char(char ch)
{
	unsigned char c = (unsigned char)ch;

	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\]", c) == NULL;
}

/* A tag is ASTRING-CHARs (ATOM-CHAR or "]") but "+". */
static int
is_tag_char(char c)
{
	return (is_atom_char(c) || c == ']') && c != '+';
}

/* The length of the word w (case-insensitive, as all ABNF strings) at p
 * when a SP or the end follows it; else 0. */
static size_t
word_is(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(end - p) < n || strncasecmp(p, w, n) != 0)
		return 0;
	if (p + n < end && p[n] != ' ')
		return 0;
	return n;
}

/* Reads a condition word at *pp, then skips it and its SP. */
static int
cond_parse(const char **pp, const char *end, enum imap_cond *c)
{
	size_t n;

	for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++)
		if ((n = word_is(*pp, end, conds[i].name)) > 0) {
			*c = conds[i].cond;
			*pp += n;
			if (*pp < end)
				(*pp)++;
			return 0;
		}
	return -1;
}

static void
copy_cut(char *dst, size_t size, const char *p, const char *end)
{
	size_t n = (size_t)(end - p);

	if (n >= size)
		n = size - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static void
cap_note(struct imap_caps *c, const char *a, size_t n)
{
	if (ascii_span_ieq(a, n, "IMAP4rev1"))
		c->imap4rev1 = 1;
	else if (ascii_span_ieq(a, n, "IMAP4rev2"))
		c->imap4rev2 = 1;
	else if (ascii_span_ieq(a, n, "STARTTLS"))
		c->starttls = 1;
	else if (ascii_span_ieq(a, n, "LOGINDISABLED"))
		c->logindisabled = 1;
	else if (n > 5 && strncasecmp(a, "AUTH=", 5) == 0) {
		a += 5;
		n -= 5;
		c->auth = 1;
		if (ascii_span_ieq(a, n, "PLAIN"))
			c->auth_plain = 1;
		else if (ascii_span_ieq(a, n, "LOGIN"))
			c->auth_login = 1;
		word_list_add(c->auth_mechs, sizeof(c->auth_mechs), a, n);
	}
}

/* capability *(SP capability), from p to end. */
static int
cap_list(struct imap_line *l, const char *p, const char *end)
{
	struct imap_caps *c = &l->caps;

	memset(c, 0, sizeof(*c));
	l->has_caps = 1;
	/* One trailing blank is tolerated: real servers send it. */
	if (end > p && end[-1] == ' ')
		end--;
	if (p == end)
		return line_error(l, "empty capability list");
	for (;;) {
		const char *a = p;

		for (; p < end && *p != ' '; p++)
			if (!is_atom_char(*p))
				return line_error(l, "bad capability");
		if (p == a)
			return line_error(l, "empty capability");
		if (c->n == IMAP_CAPS_MAX)
			return line_error(l, "too many capabilities");
		c->n++;
		cap_note(c, a, (size_t)(p - a));
		if (p == end)
			return 0;
		p++;
	}
}

/* resp-text = ["[" resp-text-code "]" SP] [text]; a code at the very end
 * of the line, without SP and text, is tolerated. */
static int
resp_text(struct imap_line *l, const char *p, const char *end)
{
	if (p < end && *p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p)), *a;

		if (close == NULL)
			return line_error(l, "unterminated response code");
		for (a = ++p; a < close && is_atom_char(*a); a++)
			;
		/* atom [SP 1*<TEXT-CHAR except "]">] */
		if (a == p || (a < close && (*a != ' ' || a + 1 == close)))
			return line_error(l, "bad response code");
		copy_cut(l->code, sizeof(l->code), p, a);
		if (ascii_span_ieq(p, (size_t)(a - p), "CAPABILITY")) {
			if (a == close)
				return line_error(l, "empty capability list");
			if (cap_list(l, a + 1, close) == -1)
				return -1;
		}
		p = close + 1;
		if (p < end) {
			if (*p != ' ')
				return line_error(l,
				    "no space after the response code");
			p++;
		}
	}
	copy_cut(l->text, sizeof(l->text), p, end);
	return 0;
}

/* "{n}" or "{n+}" at the end of the line announces a literal. */
static int
ends_in_literal(const char *p, const char *end)
{
	const char *q = end;

	if (q == p || *--q != '}')
		return 0;
	if (q > p && q[-1] == '+')
		q--;
	if (q == p || q[-1] < '0' || q[-1] > '9')
		return 0;
	while (q > p && q[-1] >= '0' && q[-1] <= '9')
		q--;
	return q > p && q[-1] == '{';
}

static int
untagged(struct imap_line *l, const char *p, const char *end,
    const char *tag)
{
	const char *a;
	size_t n;

	if (p == end || *p != ' ')
		return line_error(l, "malformed untagged response");
	p++;
	if (cond_parse(&p, end, &l->cond) == 0) {
		if (tag == NULL && l->cond != IMAP_COND_OK &&
		    l->cond != IMAP_COND_PREAUTH && l->cond != IMAP_COND_BYE)
			return line_error(l, "not a greeting (* OK, * PREAUTH "
			    "or * BYE)");
		if (tag != NULL && l->cond == IMAP_COND_PREAUTH)
			return line_error(l, "PREAUTH after the greeting");
		l->kind = IMAP_LINE_STATUS;
		return resp_text(l, p, end);
	}
	if (tag == NULL)
		return line_error(l, "not a greeting (* OK, * PREAUTH or * BYE)");
	if ((n = word_is(p, end, "CAPABILITY")) > 0) {
		l->kind = IMAP_LINE_CAPABILITY;
		p += n;
		if (p == end)
			return line_error(l, "empty capability list");
		return cap_list(l, p + 1, end);
	}
	/* Other data ("* 3 EXISTS", "* ID ..."): a number or an atom, then
	 * anything; a probe does not use it. */
	for (a = p; a < end && *a != ' '; a++)
		if (!is_atom_char(*a))
			return line_error(l, "malformed untagged response");
	if (a == p)
		return line_error(l, "malformed untagged response");
	l->kind = IMAP_LINE_DATA;
	copy_cut(l->text, sizeof(l->text), p, end);
	return 0;
}

int
imap_line_parse(struct imap_line *l, const char *line, size_t len,
    const char *tag)
{
	const char *p = line, *end = line + len, *a;

	memset(l, 0, sizeof(*l));
	if (len == 0)
		return line_error(l, "empty line");
	if (len > IMAP_LINE_MAX)
		return line_error(l, "line too long");
	if (memchr(line, '\0', len) != NULL)
		return line_error(l, "nul byte in line");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return line_error(l, "control character in line");
	}
	/* Nothing a probe asks for is answered with a literal; reading one
	 * would mean taking the next bytes as data, whatever they are. */
	if (ends_in_literal(p, end))
		return line_error(l, "literal before login");

	if (*p == '*')
		return untagged(l, p + 1, end, tag);
	if (tag == NULL)
		return line_error(l, "not a greeting (* OK, * PREAUTH or * BYE)");
	if (*p == '+') {
		if (++p < end && *p++ != ' ')
			return line_error(l, "malformed continuation request");
		l->kind = IMAP_LINE_CONTINUE;
		copy_cut(l->text, sizeof(l->text), p, end);
		return 0;
	}
	if (*p == ' ')
		return line_error(l, "missing tag");
	for (a = p; a < end && *a != ' '; a++)
		if (!is_tag_char(*a))
			return line_error(l, "malformed tag");
	if ((size_t)(a - p) != strlen(tag) || memcmp(p, tag, strlen(tag)) != 0)
		return line_error(l, "unexpected tag");
	if (a == end)
		return line_error(l, "no status after the tag");
	p = a + 1;
	if (cond_parse(&p, end, &l->cond) == -1 || l->cond == IMAP_COND_BYE ||
	    l->cond == IMAP_COND_PREAUTH)
		return line_error(l, "tagged status is not OK, NO or BAD");
	l->kind = IMAP_LINE_TAGGED;
	return resp_text(l, p, end);
}
