#include "base/escape.h"

#include <string.h>

size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return 0;	/* continuation byte, C0, C1, F5-FF */
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD */

void
html_escapen(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;
	uint32_t cp;

	while (i < n) {
		switch (p[i]) {
		case '<': buf_puts(b, "&lt;"); i++; continue;
		case '>': buf_puts(b, "&gt;"); i++; continue;
		case '&': buf_puts(b, "&amp;"); i++; continue;
		case '"': buf_puts(b, "&quot;"); i++; continue;
		case '\'': buf_puts(b, "&#39;"); i++; continue;
		default: break;
		}
		len = utf8_next(p + i, n - i, &cp);
		if (len == 0 || (cp < 0x20 && cp != '\t' && cp != '\n') ||
		    (cp >= 0x7f && cp < 0xa0)) {
			buf_puts(b, REPLACEMENT);
			i += len ? len : 1;
			continue;
		}
		buf_append(b, p + i, len);
		i += len;
	}
}

void
html_escape(struct buf *b, const char *s)
{
	if (s != NULL)
		html_escapen(b, s, strlen(s));
}

void
json_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;
	uint32_t cp;

	if (s == NULL) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '"');
	while (i < n) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': buf_puts(b, "\\n"); break;
			case '\r': buf_puts(b, "\\r"); break;
			case '\t': buf_puts(b, "\\t"); break;
			case '\b': buf_puts(b, "\\b"); break;
			case '\f': buf_puts(b, "\\f"); break;
			default:
				buf_puts(b, "\\u00");
				buf_putc(b, hex[c >> 4]);
				buf_putc(b, hex[c & 15]);
			}
			i++;
			continue;
		}
		len = utf8_next(p + i, n - i, &cp);
		if (len == 0) {
			buf_puts(b, "\\ufffd");
			i++;
		} else if (cp == 0x2028 || cp == 0x2029) {
			buf_puts(b, cp == 0x2028 ? "\\u2028" : "\\u2029");
			i += len;
		} else {
			buf_append(b, p + i, len);
			i += len;
		}
	}
	buf_putc(b, '"');
}

void
url_escape_n(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len; i++) {
		if ((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '.' ||
		    p[i] == '_' || p[i] == '~')
			buf_putc(b, (char)p[i]);
		else {
			buf_putc(b, '%');
			buf_putc(b, hex[p[i] >> 4]);
			buf_putc(b, hex[p[i] & 15]);
		}
	}
}

void
url_escape(struct buf *b, const char *s)
{
	url_escape_n(b, s, strlen(s));
}
