/* libFuzzer: SMTP replies line by line, then the EHLO keywords. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "collectors/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct smtp_reply r;
	struct smtp_ehlo e;

	smtp_reply_init(&r, 100);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		enum reply_status st;

		if (n > 0 && p[n - 1] == '\r')
			n--;
		st = smtp_reply_feed(&r, p, n);
		if (st == REPLY_DONE) {
			smtp_ehlo_parse(&r, &e);
			smtp_reply_reset(&r);
		} else if (st == REPLY_ERROR)
			smtp_reply_reset(&r);
		p = nl ? nl + 1 : end;
	}
	smtp_reply_free(&r);
	return 0;
}
