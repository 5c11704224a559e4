/* libFuzzer: CAA answers (the whole input as a DNS message), single RDATA
 * and issue values, then the set judged. */
#include <stdint.h>
#include <string.h>

#include <ares.h>

#include "collectors/caa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct caa_set set;
	struct caa_record rec;
	char issuer[254];
	unsigned n;

	memset(&set, 0, sizeof(set));
	if (size <= 65535)
		(void)caa_parse_answer(ARES_SUCCESS, data, (int)size, &set);
	(void)caa_set_allows(&set, "letsencrypt.org");
	caa_set_free(&set);
	if (caa_parse_rdata(data, size, &rec) == CAA_OK &&
	    strlen(rec.issuer) > 253)
		__builtin_trap();
	if (caa_parse_issue_value((const char *)data, size, issuer, &n) ==
	    CAA_OK && strlen(issuer) > 253)
		__builtin_trap();
	memset(&set, 0, sizeof(set));
	caa_set_add(&set, data, size);
	(void)caa_set_has_tag(&set, CAA_TAG_ISSUE);
	caa_set_free(&set);
	return 0;
}
