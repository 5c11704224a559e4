/* libFuzzer: webcfg_parse (web-config.yml through libyaml) over any bytes:
 * an error has a message, a success only entries it knows; a
 * client_auth_type value is one of exporter-toolkit's names or refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/webcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webcfg w;
	char err[256];
	unsigned line;

	if (webcfg_parse((const char *)data, size, &w, err, sizeof(err),
	    &line) == -1) {
		if (err[0] == '\0' || w.n != 0 || w.v != NULL)
			abort();
		return 0;
	}
	for (size_t i = 0; i < w.n; i++) {
		enum tls_client_auth a;

		if (w.v[i].value == NULL || strlen(w.v[i].value) > WEBCFG_MAX_SCALAR ||
		    (w.v[i].key == WC_USER) != (w.v[i].name != NULL))
			abort();
		if (w.v[i].key == WC_CLIENT_AUTH &&
		    tls_client_auth_parse(w.v[i].value, &a) == 0 &&
		    (a >= TLS_CLIENT_AUTH__COUNT ||
		    (strcmp(tls_client_auth_name(a), w.v[i].value) != 0 &&
		    strcmp(w.v[i].value, "RequireClientCert") != 0)))
			abort();
	}
	webcfg_free(&w);
	return 0;
}
