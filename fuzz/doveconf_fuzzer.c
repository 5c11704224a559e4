/* libFuzzer target for the Dovecot config reader (and doveconf -n output,
 * the same syntax).  Includes are off: the input is one file.  Every
 * setting's most specific value is looked up for a few protocol and local
 * address contexts; errors stay bounded and sections balanced. */
#include "collectors/doveconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const protos[] = { NULL, "imap", "pop3" };
	static const char *const locals[] = { NULL, "127.0.0.1", "::1" };
	struct dc_conf c;

	dc_conf_init(&c);
	c.no_includes = 1;
	dc_parse_mem(&c, "dovecot.conf", (const char *)data, size);
	if (c.errs.n > DC_ERRORS_MAX || c.n_s > DC_SETTINGS_MAX)
		abort();
	for (size_t i = 0; i < c.n_s && i < 64; i++) {
		const struct dc_setting *s = &c.s[i];

		if (s->key == NULL || s->value == NULL || s->block == NULL)
			abort();
		dc_is_filter_block(s->block);
		if (dc_get(&c, s->key, s->block) == NULL)
			abort();	/* it is there */
		for (size_t p = 0; p < 3; p++)
			for (size_t l = 0; l < 3; l++)
				dc_effective(&c, s->key, protos[p], locals[l]);
	}
	dc_conf_free(&c);
	return 0;
}
