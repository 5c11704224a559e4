/* libFuzzer target for the `check` command's arguments turned into config
 * text: one argument per line, "t:" a target, "r:" a resolver, "c:" a CA
 * file, "s:" a DKIM selector, "o:" a timeout.  What the arguments become
 * must read back as exactly those targets: no value can add a section or
 * a key, and every line has its origin. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/check.h"
#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 32

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errs = { 0 };
	struct check_args a = { 0 };
	char *copy, *line, *rest, *targets[MAX_ARGS], **origins = NULL;
	const char *bad = NULL, *why = NULL;
	size_t n_targets = 0, n_origins = 0, lines = 0;
	struct config *cfg;
	struct buf text;

	copy = malloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (rest = copy; (line = strsep(&rest, "\n")) != NULL;) {
		if (strlen(line) < 2 || line[1] != ':')
			continue;
		switch (line[0]) {
		case 't':
			if (n_targets < MAX_ARGS)
				targets[n_targets++] = line + 2;
			break;
		case 'r':
			if (a.n_resolvers < MAX_RESOLVERS)
				a.resolvers[a.n_resolvers++] = line + 2;
			break;
		case 'c':
			a.ca_file = line + 2;
			break;
		case 's':
			if (a.n_selectors < MAX_SELECTORS)
				a.selectors[a.n_selectors++] = line + 2;
			break;
		case 'o':
			a.timeout = line + 2;
			break;
		}
	}
	a.targets = targets;
	a.n_targets = n_targets;
	buf_init(&text);
	if (check_config_text(&a, &text, &origins, &n_origins, &bad,
	    &why) == 0) {
		for (size_t i = 0; i < text.len; i++)
			lines += text.data[i] == '\n';
		if (lines != n_origins || bad != NULL)
			abort();
		cfg = config_load_mem("check", text.data, text.len, &errs);
		if ((cfg == NULL) != (errs.n > 0))
			abort();
		for (size_t i = 0; i < errs.n; i++)
			if (strncmp(errs.msgs[i], "check:", 6) != 0)
				abort();
		if (cfg != NULL && cfg->n_targets != n_targets)
			abort();
		config_free(cfg);
	} else if (bad == NULL || why == NULL)
		abort();
	for (size_t i = 0; i < n_origins; i++)
		free(origins[i]);
	free(origins);
	config_errors_free(&errs);
	buf_free(&text);
	free(copy);
	return 0;
}
