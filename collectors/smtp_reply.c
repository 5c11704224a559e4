#include "collectors/smtp_reply.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/addr.h"
#include "base/util.h"

void
smtp_reply_init(struct smtp_reply *r, size_t maxlines)
{
	memset(r, 0, sizeof(*r));
	r->maxlines = maxlines ? maxlines : 64;
	buf_init(&r->text);
}

void
smtp_reply_reset(struct smtp_reply *r)
{
	r->code = 0;
	r->nlines = 0;
	r->err[0] = '\0';
	buf_reset(&r->text);
}

void
smtp_reply_free(struct smtp_reply *r)
{
	buf_free(&r->text);
}

static enum reply_status
reply_error(struct smtp_reply *r, const char *msg)
{
	snprintf(r->err, sizeof(r->err), "%s", msg);
	return REPLY_ERROR;
}

enum reply_status
smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len)
{
	int code;

	if (len < 3)
		return reply_error(r, "reply line shorter than a code");
	if (line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
	    line[2] < '0' || line[2] > '9')
		return reply_error(r, "reply code not in 200-559");
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return reply_error(r, "no space or dash after the reply code");
	for (size_t i = 3; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return reply_error(r, "control character in reply");
	}
	if (r->nlines > 0 && code != r->code)
		return reply_error(r, "reply code changed inside a reply");
	if (r->nlines >= r->maxlines)
		return reply_error(r, "too many lines in one reply");
	r->code = code;
	if (r->nlines > 0)
		buf_putc(&r->text, '\n');
	if (len > 4)
		buf_append(&r->text, line + 4, len - 4);
	r->nlines++;
	return (len > 3 && line[3] == '-') ? REPLY_MORE : REPLY_DONE;
}

void
smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ehlo *e)
{
	const char *p, *end, *nl;

	memset(e, 0, sizeof(*e));
	if (r->code != 250 || r->text.data == NULL)
		return;
	p = r->text.data;
	end = p + r->text.len;
	/* The first line is the server's greeting. */
	nl = memchr(p, '\n', (size_t)(end - p));
	p = nl ? nl + 1 : end;
	for (; p < end; p = nl ? nl + 1 : end) {
		const char *kw = p, *kwend;
		size_t n;

		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		for (kwend = kw; kwend < kw + n && *kwend != ' ' &&
		    *kwend != '='; kwend++)
			;
		if (ascii_span_ieq(kw, (size_t)(kwend - kw), "STARTTLS"))
			e->starttls = 1;
		else if (ascii_span_ieq(kw, (size_t)(kwend - kw), "PIPELINING"))
			e->pipelining = 1;
		else if (ascii_span_ieq(kw, (size_t)(kwend - kw), "SIZE"))
			e->size = 1;
		else if (ascii_span_ieq(kw, (size_t)(kwend - kw), "AUTH")) {
			size_t m = (size_t)(kw + n - kwend);

			e->auth = 1;
			if (m > 0 && e->auth_mechs[0] == '\0') {
				if (m - 1 >= sizeof(e->auth_mechs))
					m = sizeof(e->auth_mechs);
				memcpy(e->auth_mechs, kwend + 1, m - 1);
				e->auth_mechs[m - 1] = '\0';
			}
		}
	}
}

int
smtp_reply_domain(const struct smtp_reply *r, char *out, size_t outlen)
{
	const char *t = r->text.data, *why;
	size_t n;

	out[0] = '\0';
	if (t == NULL || outlen < 254)
		return -1;
	n = strcspn(t, " \n");
	if (n == 0 || n > 254 || memchr(t, '\0', n) != NULL ||
	    n > r->text.len)
		return -1;
	memcpy(out, t, n);
	out[n] = '\0';
	/* one dot: a name may be written absolute; a bare label is no name */
	if (addr_name_normalize(out, 0, &why) == -1 || strchr(out, '.') == NULL) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}
