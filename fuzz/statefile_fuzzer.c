/* libFuzzer: the state file parser (daemon/statefile.c) on any bytes; what
 * parses must format back to the same text (the format is canonical), and
 * that text must parse again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/statefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct change_table t = { 0 }, t2 = { 0 };
	char err[256];
	struct buf b;

	if (statefile_parse((const char *)data, size, &t, err, sizeof(err)) == -1) {
		if (t.n != 0 || err[0] == '\0')
			abort();
		return 0;
	}
	buf_init(&b);
	statefile_format(&t, &b);
	if (b.len != size || memcmp(b.data, data, size) != 0)
		abort();
	if (statefile_parse(b.data, b.len, &t2, err, sizeof(err)) == -1 ||
	    t2.n != t.n)
		abort();
	buf_free(&b);
	change_table_free(&t);
	change_table_free(&t2);
	return 0;
}
