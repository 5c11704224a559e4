/* libFuzzer: gzip_accepted() over any Accept-Encoding value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/gzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	int r;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	r = gzip_accepted(s);
	if (r != 0 && r != 1)
		abort();
	free(s);
	return 0;
}
