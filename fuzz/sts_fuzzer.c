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
	if (p->message != NULL && (p->message[0] == '\0' ||
	    strlen(p->message) > STS_MESSAGE_MAX))
		abort();
	if (p->valid != (p->message == NULL))
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
		/* the strings follow the pointers, in order, in one block */
		if (p->mx[i] != (i == 0 ? (char *)(p->mx + p->n_mx) :
		    p->mx[i - 1] + strlen(p->mx[i - 1]) + 1))
			abort();
	}
	if ((p->n_mx == 0) != (p->mx == NULL))
		abort();
}

/* A message is NULL or 1 to STS_MESSAGE_MAX bytes, NULL exactly when
 * valid or no record; the id is there exactly when valid, 1 to 32
 * letters and digits. */
static void
check_message(const char *m)
{
	if (m != NULL && (m[0] == '\0' || strlen(m) > STS_MESSAGE_MAX))
		abort();
}

static void
check_record(const struct sts_record *r)
{
	if (r->valid != (r->reason == STS_OK) ||
	    r->valid != (r->id != NULL) ||
	    (r->valid || r->reason == STS_NO_RECORD) != (r->message == NULL))
		abort();
	check_message(r->message);
	if (r->id != NULL && (r->id[0] == '\0' || strlen(r->id) > STS_ID_MAX))
		abort();
}

static void
check_rpt(const struct tlsrpt_record *t)
{
	if (t->valid != (t->reason == STS_OK) || (t->valid && t->n_rua == 0) ||
	    t->n_rua != t->n_mailto + t->n_https || t->n_rua > STS_RUA_MAX ||
	    (t->valid || t->reason == STS_NO_RECORD) != (t->message == NULL))
		abort();
	check_message(t->message);
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
	check_record(&r);
	sts_record_free(&r);
	tlsrpt_record_parse(s, size, &t);
	check_rpt(&t);
	tlsrpt_record_free(&t);

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
	check_record(&r);
	sts_record_free(&r);
	tlsrpt_record_select(&recs, &t);
	check_rpt(&t);
	tlsrpt_record_free(&t);
	txt_records_free(&recs);
	return 0;
}
