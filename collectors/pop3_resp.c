#include "collectors/pop3_resp.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"

void
pop3_resp_init(struct pop3_resp *r, size_t maxlines)
{
	memset(r, 0, sizeof(*r));
	r->maxlines = maxlines ? maxlines : 64;
	r->ok = -1;
	buf_init(&r->body);
}

void
pop3_resp_reset(struct pop3_resp *r, int multiline)
{
	r->multiline = multiline;
	r->ok = -1;
	r->nlines = 0;
	r->complete = 0;
	r->text[0] = '\0';
	r->err[0] = '\0';
	buf_reset(&r->body);
}

void
pop3_resp_free(struct pop3_resp *r)
{
	buf_free(&r->body);
}

static enum pop3_status
resp_error(struct pop3_resp *r, const char *msg)
{
	snprintf(r->err, sizeof(r->err), "%s", msg);
	return POP3_RESP_ERROR;
}

static enum pop3_status
status_line(struct pop3_resp *r, const char *line, size_t len)
{
	size_t n;

	/* RFC 1939 3: the indicators are sent in upper case. */
	if (len >= 3 && memcmp(line, "+OK", 3) == 0)
		n = 3;
	else if (len >= 4 && memcmp(line, "-ERR", 4) == 0)
		n = 4;
	else
		return resp_error(r, "status is not +OK or -ERR");
	if (len > n && line[n] != ' ')
		return resp_error(r, "malformed status");
	r->ok = n == 3;
	n += len > n;
	len -= n;
	if (len >= sizeof(r->text))
		len = sizeof(r->text) - 1;
	memcpy(r->text, line + n, len);
	r->text[len] = '\0';
	if (r->ok && r->multiline)
		return POP3_RESP_MORE;
	r->complete = 1;
	return POP3_RESP_DONE;
}

enum pop3_status
pop3_resp_feed(struct pop3_resp *r, const char *line, size_t len)
{
	if (len > POP3_LINE_MAX)
		return resp_error(r, "line too long");
	if (memchr(line, '\0', len) != NULL)
		return resp_error(r, "nul byte in line");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return resp_error(r, "control character in line");
	}
	if (r->complete)
		return resp_error(r, "line after a complete response");
	if (r->ok == -1)
		return status_line(r, line, len);
	/* RFC 1939 3: a lone "." ends it; a leading "." is stuffing. */
	if (len == 1 && line[0] == '.') {
		r->complete = 1;
		return POP3_RESP_DONE;
	}
	if (r->nlines >= r->maxlines)
		return resp_error(r, "too many lines in one response");
	if (len > 0 && line[0] == '.') {
		line++;
		len--;
	}
	if (r->nlines > 0)
		buf_putc(&r->body, '\n');
	buf_append(&r->body, line, len);
	r->nlines++;
	return POP3_RESP_MORE;
}

static int
capa_error(struct pop3_caps *c, const char *msg)
{
	snprintf(c->err, sizeof(c->err), "%s", msg);
	return -1;
}

/* One "SASL" parameter: a mechanism name. */
static void
sasl_mech(struct pop3_caps *c, const char *m, size_t n)
{
	c->sasl = 1;
	if (ascii_span_ieq(m, n, "PLAIN"))
		c->sasl_plain = 1;
	else if (ascii_span_ieq(m, n, "LOGIN"))
		c->sasl_login = 1;
	word_list_add(c->sasl_mechs, sizeof(c->sasl_mechs), m, n);
}

/* capability = capa-tag *(SP param); both are 1*cchar (%x21-7E here: the
 * status line checks left 8-bit bytes, which have no place in a tag). */
static int
capa_line(struct pop3_caps *c, const char *p, const char *end)
{
	const char *tag = p, *tagend;
	int sasl;

	/* One trailing blank is tolerated: real servers send it. */
	if (end > p && end[-1] == ' ')
		end--;
	if (p == end)
		return capa_error(c, "empty capability line");
	for (; p < end && *p != ' '; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return capa_error(c, "bad capability");
	if (p == tag)
		return capa_error(c, "bad capability");
	tagend = p;
	c->n++;
	if (ascii_span_ieq(tag, (size_t)(tagend - tag), "STLS"))
		c->stls = 1;
	else if (ascii_span_ieq(tag, (size_t)(tagend - tag), "USER"))
		c->user = 1;
	else if (ascii_span_ieq(tag, (size_t)(tagend - tag), "PIPELINING"))
		c->pipelining = 1;
	else if (ascii_span_ieq(tag, (size_t)(tagend - tag), "UIDL"))
		c->uidl = 1;
	else if (ascii_span_ieq(tag, (size_t)(tagend - tag), "TOP"))
		c->top = 1;
	sasl = ascii_span_ieq(tag, (size_t)(tagend - tag), "SASL");
	while (p < end) {
		const char *param = ++p;

		for (; p < end && *p != ' '; p++)
			if ((unsigned char)*p <= 0x20 ||
			    (unsigned char)*p >= 0x7f)
				return capa_error(c, "bad capability parameter");
		if (p == param)
			return capa_error(c, "empty capability parameter");
		if (sasl)
			sasl_mech(c, param, (size_t)(p - param));
	}
	return 0;
}

int
pop3_capa_parse(const struct pop3_resp *r, struct pop3_caps *c)
{
	const char *p, *end, *nl;

	memset(c, 0, sizeof(*c));
	if (r->ok != 1 || r->nlines == 0)
		return 0;
	p = r->body.data;
	end = p + r->body.len;
	for (;; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (capa_line(c, p, nl ? nl : end) == -1)
			return -1;
		if (nl == NULL)
			return 0;
	}
}
