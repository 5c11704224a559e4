#include "web/gzip.h"

#include <string.h>
#include <strings.h>

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A qvalue: "0", "0.", "0.5", "1", "1.000" (RFC 9110 12.4.2); 1 when it is
 * above 0, 0 when it is 0, -1 when malformed.  *pp moves past it. */
static int
parse_q(const char **pp)
{
	const char *p = *pp;
	int nonzero = 0, digits = 0;

	if (*p != '0' && *p != '1')
		return -1;
	nonzero = *p == '1';
	p++;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9' && digits < 3) {
			if (*p != '0')
				nonzero = 1;
			p++;
			digits++;
		}
		if (*p >= '0' && *p <= '9')
			return -1;
		if (**pp == '1' && nonzero && digits) {
			/* 1.xxx must be 1.000 */
			for (const char *d = *pp + 2; d < p; d++)
				if (*d != '0')
					return -1;
		}
	}
	*pp = p;
	return nonzero;
}

int
gzip_accepted(const char *h)
{
	const char *p = h;
	int gzip = -1, star = -1;

	if (h == NULL || strlen(h) > 1024)
		return 0;
	for (;;) {
		const char *tok;
		size_t len;
		int q = 1;

		p = skip_ows(p);
		if (*p == ',') {		/* empty list elements are allowed */
			p++;
			continue;
		}
		if (*p == '\0')
			break;
		tok = p;
		while (is_tchar((unsigned char)*p))
			p++;
		len = (size_t)(p - tok);
		if (len == 0)
			return 0;
		p = skip_ows(p);
		while (*p == ';') {		/* parameters: only q counts */
			const char *name;

			p = skip_ows(p + 1);
			name = p;
			while (is_tchar((unsigned char)*p))
				p++;
			if (p == name || *p != '=')
				return 0;
			p++;
			if ((size_t)(p - name) == 2 && (name[0] == 'q' ||
			    name[0] == 'Q')) {
				if ((q = parse_q(&p)) == -1)
					return 0;
			} else {
				const char *v = p;

				while (is_tchar((unsigned char)*p))
					p++;
				if (p == v)
					return 0;
			}
			p = skip_ows(p);
		}
		if (*p != ',' && *p != '\0')
			return 0;
		if ((len == 4 && strncasecmp(tok, "gzip", 4) == 0) ||
		    (len == 6 && strncasecmp(tok, "x-gzip", 6) == 0))
			gzip = q;
		else if (len == 1 && *tok == '*')
			star = q;
	}
	return gzip != -1 ? gzip : star == 1;
}
