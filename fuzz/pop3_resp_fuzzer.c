/* libFuzzer: POP3 responses line by line, then the CAPA parser.  The first
 * byte chooses single-line (even) or multi-line (odd) responses. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "collectors/pop3_resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	int multiline = size > 0 && (data[0] & 1);
	struct pop3_resp r;
	struct pop3_caps c;

	pop3_resp_init(&r, 64);
	pop3_resp_reset(&r, multiline);
	if (size > 0)
		p++;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		switch (pop3_resp_feed(&r, p, n)) {
		case POP3_RESP_MORE:
			if (r.nlines > r.maxlines)
				__builtin_trap();
			break;
		case POP3_RESP_DONE:
			if (pop3_capa_parse(&r, &c) == -1 && c.err[0] == '\0')
				__builtin_trap();
			if (strlen(c.sasl_mechs) >= sizeof(c.sasl_mechs))
				__builtin_trap();
			pop3_resp_reset(&r, multiline);
			break;
		case POP3_RESP_ERROR:
			if (r.err[0] == '\0')
				__builtin_trap();
			pop3_resp_reset(&r, multiline);
			break;
		}
		p = nl ? nl + 1 : end;
	}
	pop3_resp_free(&r);
	return 0;
}
