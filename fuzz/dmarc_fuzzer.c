/* libFuzzer: DMARC records, whole input as one record, then split at '\n'
 * into the records of one answer; every destination found goes through the
 * external-report helpers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/ostr.h"
#include "collectors/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_uris(const struct dmarc_uri *uris, size_t n)
{
	char org[256], name[256];

	for (size_t i = 0; i < n; i++) {
		if (uris[i].uri == NULL)
			abort();
		if (uris[i].mailto && uris[i].domain == NULL)
			abort();
		if (uris[i].domain == NULL)
			continue;
		for (const char *c = uris[i].domain; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				abort();
		(void)org_domain(uris[i].domain, org, sizeof(org));
		(void)dmarc_destination_is_external("example.com",
		    uris[i].domain);
		if (dmarc_report_auth_name("example.com", uris[i].domain, name,
		    sizeof(name)) == 0 && strlen(name) > 253)
			abort();
	}
}

static void
check(const struct dmarc_record *d)
{
	if (d->valid != (d->reason == NULL))
		abort();
	if (d->valid && !d->is_dmarc)
		abort();
	/* the message at its length, within the bound it always had */
	if (d->message == NULL || strlen(d->message) >= DMARC_MESSAGE_MAX ||
	    (d->message[0] == '\0') != (d->message == ostr_empty))
		abort();
	if (d->policy < DMARC_POLICY_UNSET || d->policy > DMARC_POLICY_REJECT)
		abort();
	if (d->valid && d->policy == DMARC_POLICY_UNSET)
		abort();
	if (d->pct > 100)
		abort();
	check_uris(d->rua, d->n_rua);
	check_uris(d->ruf, d->n_ruf);
	for (size_t i = 0; i < d->n_unknown_tags; i++)
		if (d->unknown_tags[i][0] == '\0')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct txt_records recs;
	struct dmarc_record d;
	const uint8_t *p = data, *end = data + size, *nl;

	dmarc_parse((const char *)data, size, &d);
	check(&d);
	dmarc_record_free(&d);

	txt_records_init(&recs);
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		txt_records_add(&recs, p, (size_t)(nl - p), 1);
		p = nl + (nl < end);
	}
	dmarc_select(&recs, &d);
	check(&d);
	dmarc_record_free(&d);
	(void)dmarc_report_auth_ok(&recs);
	txt_records_free(&recs);
	return 0;
}
