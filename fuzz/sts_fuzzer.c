/* libFuzzer: MTA-STS policies and records, TLS-RPT records, the MX pattern
 * match.  The whole input is a policy, a record of each kind, and (split at
 * the first '\n') a pattern and a host; then split at '\n' into the records
 * of one answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_policy(const struct sts_policy *p)
{
	if (p->valid != (p->reason == STS_OK))
		abort();
	if (memchr(p->message, '\0', sizeof(p->message)) == NULL)
		abort();
	if (p->n_mx > STS_MX_PATTERNS_MAX)
		abort();
	if (p->valid && p->mode == STS_MODE_UNSET)
		abort();
	if (p->valid && p->mode != STS_MODE_NONE && p->n_mx == 0)
		abort();
	if (p->max_age > STS_MAX_AGE_MAX)
		abort();
	for (size_t i = 0; i < p->n_mx; i++) {
		for (const char *c = p->mx[i]; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				abort();
		/* a pattern matches the host it names, wildcards aside */
		if (p->mx[i][0] != '*' && !sts_mx_match(p->mx[i], p->mx[i]))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct sts_policy p;
	struct sts_record r;
	struct tlsrpt_record t;
	struct txt_records recs;
	const uint8_t *q = data, *end = data + size, *nl;

	sts_policy_parse(s, size, &p);
	check_policy(&p);
	sts_policy_free(&p);

	sts_record_parse(s, size, &r);
	if (r.valid != (r.reason == STS_OK) || (r.valid && r.id[0] == '\0') ||
	    strlen(r.id) > STS_ID_MAX)
		abort();
	tlsrpt_record_parse(s, size, &t);
	if (t.valid != (t.reason == STS_OK) || (t.valid && t.n_rua == 0) ||
	    t.n_rua != t.n_mailto + t.n_https || t.n_rua > STS_RUA_MAX)
		abort();

	if ((nl = memchr(data, '\n', size)) != NULL && size < 600) {
		char a[600], b[600];

		memcpy(a, data, (size_t)(nl - data));
		a[nl - data] = '\0';
		memcpy(b, nl + 1, (size_t)(end - nl - 1));
		b[end - nl - 1] = '\0';
		(void)sts_mx_match(a, b);
	}

	txt_records_init(&recs);
	while (q < end) {
		if ((nl = memchr(q, '\n', (size_t)(end - q))) == NULL)
			nl = end;
		txt_records_add(&recs, q, (size_t)(nl - q), 1);
		q = nl + (nl < end);
	}
	sts_record_select(&recs, &r);
	if (r.valid != (r.reason == STS_OK))
		abort();
	tlsrpt_record_select(&recs, &t);
	if (t.valid != (t.reason == STS_OK))
		abort();
	txt_records_free(&recs);
	return 0;
}
