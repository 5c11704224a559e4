/* libFuzzer: logfmt_to_json over any bytes; the output must be ASCII
 * without control characters and one object. */
#include <stdint.h>
#include <stdlib.h>

#include "base/logfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b;

	buf_init(&b);
	logfmt_to_json((const char *)data, size, &b);
	if (b.len < 2 || b.data[0] != '{' || b.data[b.len - 1] != '}')
		abort();
	for (size_t i = 0; i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 || (unsigned char)b.data[i] > 0x7e)
			abort();
	buf_free(&b);
	return 0;
}
