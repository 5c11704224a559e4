#include "base/logfmt.h"

#include <string.h>

static int
is_key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static void
json_string(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	buf_putc(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf_putc(out, '\\');
			buf_putc(out, (char)c);
		} else if (c < 0x20 || c > 0x7e) {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4],
			    hex[c & 15] };

			buf_append(out, u, sizeof(u));
		} else
			buf_putc(out, (char)c);
	}
	buf_putc(out, '"');
}

/* A quoted value from s[0] == '"': its length with the quotes, the
 * unescaped text in val; 0 when the closing quote is missing. */
static size_t
quoted_value(const char *s, size_t len, struct buf *val)
{
	for (size_t i = 1; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len &&
		    (s[i + 1] == '"' || s[i + 1] == '\\')) {
			buf_putc(val, s[++i]);
			continue;
		}
		if (s[i] == '"')
			return i + 1;
		buf_putc(val, s[i]);
	}
	return 0;
}

void
logfmt_to_json(const char *line, size_t len, struct buf *out)
{
	struct buf val;
	size_t i = 0;
	int first = 1;

	buf_init(&val);
	buf_putc(out, '{');
	while (i < len) {
		size_t k = i, klen, vlen;

		while (i < len && line[i] == ' ')
			i++;
		if (i == len)
			break;
		k = i;
		while (i < len && is_key_char((unsigned char)line[i]))
			i++;
		klen = i - k;
		if (klen == 0 || i == len || line[i] != '=')
			goto unparsed;
		i++;
		buf_reset(&val);
		if (i < len && line[i] == '"') {
			vlen = quoted_value(line + i, len - i, &val);
			if (vlen == 0 || (i + vlen < len && line[i + vlen] != ' '))
				goto unparsed;
		} else {
			vlen = 0;
			while (i + vlen < len && line[i + vlen] != ' ')
				vlen++;
			buf_append(&val, line + i, vlen);
		}
		if (!first)
			buf_putc(out, ',');
		first = 0;
		json_string(out, line + k, klen);
		buf_putc(out, ':');
		json_string(out, val.data ? val.data : "", val.len);
		i += vlen;
		continue;
unparsed:
		if (!first)
			buf_putc(out, ',');
		json_string(out, "unparsed", 8);
		buf_putc(out, ':');
		json_string(out, line + k, len - k);
		break;
	}
	buf_putc(out, '}');
	buf_free(&val);
}
