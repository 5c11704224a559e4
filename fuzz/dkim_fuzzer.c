/* libFuzzer: DKIM key records, whole input as one record, then split at
 * '\n' into the records of one answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/ostr.h"
#include "collectors/dkim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct dkim_key *key)
{
	if (key->valid != (key->reason == NULL))
		abort();
	/* the message at its length, within the bound it always had */
	if (key->message == NULL || strlen(key->message) >= DKIM_MESSAGE_MAX ||
	    (key->message[0] == '\0') != (key->message == ostr_empty))
		abort();
	if (key->valid && (dkim_key_type_name(key->key_type) == NULL ||
	    key->key_bits == 0 ||
	    dkim_key_format_name(key->key_format) == NULL))
		abort();
	if (key->valid && key->key_type == DKIM_KEY_RSA &&
	    key->key_bits < DKIM_RSA_MIN_BITS)
		abort();
	if (key->revoked && key->valid)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct txt_records recs;
	struct dkim_key key;
	const uint8_t *p = data, *end = data + size, *nl;

	dkim_key_parse((const char *)data, size, &key);
	check(&key);
	dkim_key_free(&key);

	txt_records_init(&recs);
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		txt_records_add(&recs, p, (size_t)(nl - p), 1);
		p = nl + (nl < end);
	}
	dkim_key_select(&recs, &key);
	check(&key);
	if (recs.n > 1 && (key.valid || !key.multiple_records))
		abort();
	dkim_key_free(&key);
	txt_records_free(&recs);
	return 0;
}
