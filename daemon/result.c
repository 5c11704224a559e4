#include "daemon/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"

struct check_result *
check_result_new(const struct target_cfg *t, const char *key)
{
	struct check_result *r = xcalloc(1, sizeof(*r));

	r->target.key = xstrdup(key);
	/* a domain's label is its name: one copy for both */
	r->target.name = strcmp(key, t->name) == 0 ? r->target.key :
	    xstrdup(t->name);
	r->target.kind = t->kind;
	r->target.port = t->port;
	r->target.protocol = t->protocol;
	r->target.records = t->records;
	return r;
}

void
check_result_free(struct check_result *r)
{
	if (r == NULL)
		return;
	if (r->target.name != r->target.key)
		free(r->target.name);
	free(r->target.key);
	for (size_t i = 0; i < r->n_eps; i++) {
		free(r->eps[i].host);
		if (r->eps[i].address != probe_str_empty)
			free(r->eps[i].address);
		probe_outcome_drop(r->eps[i].out);
		tls_audit_drop(r->eps[i].audit);
		if (r->eps[i].caa_ca != probe_str_empty)
			free(r->eps[i].caa_ca);
	}
	free(r->eps);
	dns_mx_free(r->mx, r->n_mx);
	records_result_free(r->records);
	mtasts_result_free(r->mtasts);
	zonestatus_result_free(r->zones);
	mxhyg_result_free(r->mxhyg);
	for (size_t i = 0; i < r->n_mx_addrs; i++)
		free(r->mx_addrs[i].address);
	free(r->mx_addrs);
	for (size_t i = 0; i < r->n_dane; i++)
		danelookup_result_free(r->dane[i]);
	free(r->dane);
	dns_names_free(r->names, r->n_names);
	free(r);
}

const char *
check_result_name(struct check_result *r, const char *name)
{
	if (strcmp(r->target.name, name) == 0)
		return r->target.name;
	for (size_t i = 0; i < r->n_mx; i++)
		if (strcmp(r->mx[i].host, name) == 0)
			return r->mx[i].host;
	for (size_t i = 0; i < r->n_names; i++)
		if (strcmp(r->names[i], name) == 0)
			return r->names[i];
	r->names = xreallocarray(r->names, r->n_names + 1, sizeof(*r->names));
	return r->names[r->n_names++] = xstrdup(name);
}

size_t
check_result_add_endpoint(struct check_result *r, const char *host,
    const char *address, uint16_t port, enum protocol proto)
{
	struct endpoint_result *ep;
	size_t alen = strnlen(address, INET6_ADDRSTRLEN - 1);

	r->eps = xreallocarray(r->eps, r->n_eps + 1, sizeof(*r->eps));
	ep = &r->eps[r->n_eps];
	memset(ep, 0, sizeof(*ep));
	ep->host = xstrdup(host);
	ep->address = alen == 0 ? probe_str_empty : xstrndup(address, alen);
	ep->port = port;
	ep->smtp_name_match[0] = ep->smtp_name_match[1] = -1;
	ep->caa_issuer_allowed = -1;
	ep->caa_ca = probe_str_empty;
	ep->protocol = proto;
	ep->out = &probe_outcome_none;
	ep->audit = NULL;
	memset(ep->rating, -1, sizeof(ep->rating));
	ep->rating_worst = -1;
	memset(ep->cipher_class_accepted, -1, sizeof(ep->cipher_class_accepted));
	return r->n_eps++;
}

static size_t
str_bytes(const char *s)
{
	return s == NULL || s == probe_str_empty ? 0 : strlen(s) + 1;
}

void
endpoint_set_outcome(struct endpoint_result *ep, const struct probe_outcome *o)
{
	probe_outcome_drop(ep->out);
	ep->out = o;
}

void
endpoint_fail(struct endpoint_result *ep, enum probe_step step,
    enum probe_reason reason, enum probe_cause cause, const char *fmt, ...)
{
	struct probe_outcome o;
	char detail[PROBE_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	probe_outcome_init(&o);
	probe_fail(&o, step, reason, "%s", detail);
	o.cause = cause;
	endpoint_set_outcome(ep, probe_outcome_share(&o));
	probe_outcome_free(&o);
}

struct probe_outcome *
endpoint_outcome_edit(struct endpoint_result *ep)
{
	struct probe_outcome *o = probe_outcome_owned(ep->out);

	if (o != NULL)
		return o;
	o = probe_outcome_new();
	probe_outcome_copy(o, ep->out);
	endpoint_set_outcome(ep, o);
	return o;
}

const struct tls_audit *
endpoint_audit(const struct endpoint_result *ep)
{
	return ep->audit != NULL ? ep->audit : tls_audit_none();
}

/* An endpoint's part of what it holds beyond its struct. */
static size_t
endpoint_heap_bytes(const struct endpoint_result *ep)
{
	return str_bytes(ep->host) + str_bytes(ep->address) +
	    str_bytes(ep->caa_ca) + probe_outcome_shared_bytes(ep->out) +
	    (ep->audit != NULL ? sizeof(*ep->audit) / ep->audit->refs : 0);
}

static const char *const result_part_names[RESULT_PART__COUNT] = {
	[RESULT_PART_ENDPOINTS] = "endpoints",
	[RESULT_PART_RESULT] = "result",
	[RESULT_PART_MX] = "mx",
	[RESULT_PART_RECORDS] = "records",
	[RESULT_PART_MTA_STS] = "mta_sts",
	[RESULT_PART_DANE] = "dane",
	[RESULT_PART_DNSSEC] = "dnssec",
	[RESULT_PART_MX_HYGIENE] = "mx_hygiene",
};
_Static_assert(ARRAY_LEN(result_part_names) == RESULT_PART__COUNT,
    "a name per part");

const char *
result_part_name(enum result_part part)
{
	return (unsigned)part < RESULT_PART__COUNT ?
	    result_part_names[part] : "unknown";
}

void
check_result_bytes(const struct check_result *r,
    size_t bytes[RESULT_PART__COUNT])
{
	size_t *b = bytes;

	b[RESULT_PART_RESULT] += sizeof(*r) + str_bytes(r->target.key) +
	    (r->target.name != r->target.key ? str_bytes(r->target.name) : 0) +
	    r->n_names * sizeof(*r->names);
	for (size_t i = 0; i < r->n_names; i++)
		b[RESULT_PART_RESULT] += str_bytes(r->names[i]);
	b[RESULT_PART_ENDPOINTS] += r->n_eps * sizeof(*r->eps);
	for (size_t i = 0; i < r->n_eps; i++)
		b[RESULT_PART_ENDPOINTS] += endpoint_heap_bytes(&r->eps[i]);
	/* the lists borrow their host names from the result, but the MX
	 * answer's are its own */
	b[RESULT_PART_MX] += r->n_mx * sizeof(*r->mx) +
	    r->n_mx_addrs * sizeof(*r->mx_addrs);
	for (size_t i = 0; i < r->n_mx; i++)
		b[RESULT_PART_MX] += str_bytes(r->mx[i].host);
	for (size_t i = 0; i < r->n_mx_addrs; i++)
		b[RESULT_PART_MX] += str_bytes(r->mx_addrs[i].address);
	b[RESULT_PART_RECORDS] += records_result_bytes(r->records);
	b[RESULT_PART_MTA_STS] += mtasts_result_bytes(r->mtasts);
	b[RESULT_PART_DANE] += r->n_dane * sizeof(*r->dane);
	for (size_t i = 0; i < r->n_dane; i++)
		b[RESULT_PART_DANE] += danelookup_result_bytes(r->dane[i]);
	b[RESULT_PART_DNSSEC] += zonestatus_result_bytes(r->zones);
	b[RESULT_PART_MX_HYGIENE] += mxhyg_result_bytes(r->mxhyg);
}

int
check_result_success(const struct check_result *r)
{
	if (r->target.kind == TARGET_DOMAIN && r->mx_result != DNS_OK &&
	    !r->implicit_mx)
		return 0;
	for (size_t i = 0; i < r->n_eps; i++)
		if (!r->eps[i].out->success)
			return 0;
	return 1;
}

void
check_result_rate_endpoints(struct check_result *r)
{
	for (size_t i = 0; i < r->n_eps; i++) {
		struct endpoint_result *ep = &r->eps[i];
		struct endpoint_rating er;

		memset(ep->rating, -1, sizeof(ep->rating));
		ep->rating_worst = -1;
		memset(ep->cipher_class_accepted, -1,
		    sizeof(ep->cipher_class_accepted));
		if (ep->audit == NULL || !ep->audit->ran)
			continue;
		rating_endpoint(&ep->out->tls, ep->audit, &er);
		for (int c = 0; c < RATE__COUNT; c++)
			ep->rating[c] = er.check[c].cls;
		ep->rating_worst = er.worst;
		for (int c = 0; c < TLS_CLASS__COUNT; c++)
			ep->cipher_class_accepted[c] =
			    (signed char)tls_audit_class_accepted(ep->audit, c);
	}
}

void
check_result_carry_audit(struct check_result *r,
    const struct check_result *prev)
{
	for (size_t i = 0; prev && i < r->n_eps; i++) {
		struct endpoint_result *ep = &r->eps[i];

		for (size_t j = 0; j < prev->n_eps; j++) {
			const struct endpoint_result *old = &prev->eps[j];

			if (old->audit != NULL && old->audit->ran &&
			    old->port == ep->port &&
			    old->protocol == ep->protocol &&
			    strcmp(old->address, ep->address) == 0 &&
			    strcmp(old->host, ep->host) == 0) {
				tls_audit_drop(ep->audit);
				ep->audit = tls_audit_hold(old->audit);
				break;
			}
		}
	}
}

int
check_result_mx_certs_verified(const struct check_result *r,
    const char *mx_host)
{
	int verdict = -1;

	for (size_t i = 0; i < r->n_eps; i++) {
		const struct endpoint_result *ep = &r->eps[i];
		const struct tls_facts *t = &ep->out->tls;

		if (ep->protocol != PROTO_SMTP || ep->port != 25 ||
		    strcasecmp(ep->host, mx_host) != 0)
			continue;
		if (ep->out->starttls_offered == 0)
			return 0;
		if (!t->have_cert)
			continue;	/* never reached TLS: no verdict */
		if (!t->verified || !t->hostname_match)
			return 0;
		verdict = 1;
	}
	return verdict;
}

const struct danelookup_result *
check_result_dane(const struct check_result *r, const char *host)
{
	for (size_t i = 0; i < r->n_dane; i++)
		if (r->dane[i] != NULL && strcasecmp(r->dane[i]->host, host) == 0)
			return r->dane[i];
	return NULL;
}

void
check_result_mx_hygiene_endpoints(struct check_result *r,
    const struct config *cfg)
{
	if (r->target.kind != TARGET_DOMAIN)
		return;
	for (size_t i = 0; i < r->n_eps; i++) {
		struct endpoint_result *ep = &r->eps[i];
		const struct probe_outcome *o = ep->out;
		const char *ca;

		if (ep->protocol != PROTO_SMTP && ep->protocol !=
		    PROTO_SUBMISSION && ep->protocol != PROTO_SMTPS)
			continue;
		if (o->banner_seen)
			ep->smtp_name_match[0] = (signed char)
			    mxhyg_smtp_name_matches(r->mxhyg, ep->host,
			    ep->address, o->banner_name);
		if (o->ehlo_seen)
			ep->smtp_name_match[1] = (signed char)
			    mxhyg_smtp_name_matches(r->mxhyg, ep->host,
			    ep->address, o->ehlo_name);
		if (!o->tls.have_cert ||
		    (ca = config_caa_issuer_domain(cfg, o->tls.issuer)) == NULL)
			continue;
		ep->caa_issuer_allowed = (signed char)mxhyg_caa_allows(r->mxhyg,
		    ep->host, ca);
		if (ep->caa_issuer_allowed >= 0)
			probe_str_set(&ep->caa_ca, ca, 254);
	}
}
