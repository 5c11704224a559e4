/* libFuzzer: IMAP server lines as a probe reads them.  The first line is
 * read as the greeting, the others as answers to a command tagged "a1"
 * (or, when the first byte is odd, all as greetings). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "collectors/imap_resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	int greetings = size > 0 && (data[0] & 1);
	const char *tag = NULL;
	struct imap_line l;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (imap_line_parse(&l, p, n, tag) == 0) {
			/* What a caller reads must be terminated and sane. */
			if (strlen(l.text) >= sizeof(l.text) ||
			    strlen(l.code) >= sizeof(l.code) ||
			    strlen(l.caps.auth_mechs) >=
			    sizeof(l.caps.auth_mechs) ||
			    l.caps.n > IMAP_CAPS_MAX)
				__builtin_trap();
			if (tag == NULL && l.kind != IMAP_LINE_STATUS)
				__builtin_trap();
		} else if (l.err[0] == '\0')
			__builtin_trap();
		if (!greetings)
			tag = "a1";
		p = nl ? nl + 1 : end;
	}
	return 0;
}
