/* libFuzzer: TLSA answers (the whole input as a DNS message) and single
 * RDATA, then matched against a fixed one-certificate chain. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "collectors/dane.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static STACK_OF(X509) *
chain_once(void)
{
	static STACK_OF(X509) *chain;
	EVP_PKEY *k;
	X509 *x;

	if (chain != NULL)
		return chain;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	x = X509_new();
	X509_set_version(x, 2);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	chain = sk_X509_new_null();
	sk_X509_push(chain, x);
	return chain;
}

static void
check(struct tlsa_set *s)
{
	struct dane_counts c;

	if (s->n > DANE_TLSA_MAX)
		abort();
	(void)dane_match_chain(s, chain_once());
	dane_count(s, &c);
	if (c.usable + c.unusable != s->n || c.matching + c.no_match != c.usable)
		abort();
	(void)dane_rollover_ready(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsa_set s;

	tlsa_set_init(&s);
	(void)tlsa_parse_answer(data, size, &s);
	check(&s);
	tlsa_set_free(&s);
	tlsa_set_init(&s);
	(void)tlsa_add_rdata(&s, data, size);
	check(&s);
	tlsa_set_free(&s);
	return 0;
}
