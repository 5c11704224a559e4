/* libFuzzer target for the configuration parser: any bytes, parsed from
 * memory (no temp files), everything freed.  A config is returned exactly
 * when no error is, and every message names the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errs = { 0 };
	struct config *cfg;

	cfg = config_load_mem("fuzz.ini", (const char *)data, size, &errs);
	if ((cfg == NULL) != (errs.n > 0))
		abort();
	for (size_t i = 0; i < errs.n; i++)
		if (strncmp(errs.msgs[i], "fuzz.ini:", 9) != 0)
			abort();
	if (cfg != NULL) {
		for (size_t i = 0; i < cfg->n_targets; i++)
			if (cfg->targets[i].name == NULL ||
			    (cfg->targets[i].kind == TARGET_DOMAIN &&
			    cfg->targets[i].n_smtp_ports == 0))
				abort();
		if (cfg->listen_host == NULL || cfg->ca_file == NULL ||
		    cfg->ehlo_name == NULL)
			abort();
	}
	config_free(cfg);
	config_errors_free(&errs);
	return 0;
}
