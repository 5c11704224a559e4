/* DANE: TLSA records from DNS messages, matching against a real chain made
 * here with OpenSSL, usability, digest agility, rollover readiness, and
 * hostile messages. */
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "collectors/dane.h"
#include "base/util.h"
#include "tests/unit/unit.h"

static EVP_PKEY *
new_key(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static X509 *
new_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(x, key);
	X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
	X509_NAME_free(name);
	return x;
}

/* RDATA usage selector mtype data for x. */
static size_t
rdata_for(X509 *x, int usage, int selector, int mtype, unsigned char *out)
{
	unsigned char *der = NULL;
	int len = selector == 0 ? i2d_X509(x, &der) :
	    i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	unsigned int mdlen = 0;

	out[0] = (unsigned char)usage;
	out[1] = (unsigned char)selector;
	out[2] = (unsigned char)mtype;
	if (mtype == 0) {
		memcpy(out + 3, der, (size_t)len);
		mdlen = (unsigned)len;
	} else {
		EVP_Digest(der, (size_t)len, out + 3, &mdlen,
		    mtype == 1 ? EVP_sha256() : EVP_sha512(), NULL);
	}
	OPENSSL_free(der);
	return 3 + mdlen;
}

static X509 *ca, *leaf, *other;
static STACK_OF(X509) *chain;

static void
add(struct tlsa_set *s, X509 *x, int u, int sel, int m)
{
	unsigned char rd[4096];

	tlsa_add_rdata(s, rd, rdata_for(x, u, sel, m, rd));
}

static void
test_matching(void)
{
	struct tlsa_set s;
	struct dane_counts c;
	unsigned char junk[40] = { 3, 1, 1 };

	/* 3 1 1 of the leaf matches; of another key does not */
	tlsa_set_init(&s);
	add(&s, leaf, 3, 1, 1);
	add(&s, other, 3, 1, 1);
	CHECK_INT(dane_match_chain(&s, chain), 2);
	CHECK_INT(s.recs[0].match, DANE_MATCHES);
	CHECK_INT(s.recs[0].depth, 0);
	CHECK_INT(s.recs[1].match, DANE_NO_MATCH);
	/* a published next key: ready */
	CHECK(dane_rollover_ready(&s));
	tlsa_set_free(&s);

	/* a lone 3 1 1: not ready */
	tlsa_set_init(&s);
	add(&s, leaf, 3, 1, 1);
	dane_match_chain(&s, chain);
	CHECK(!dane_rollover_ready(&s));
	/* the same key under a second selector is not a next key */
	add(&s, leaf, 3, 0, 1);
	dane_match_chain(&s, chain);
	CHECK_INT(s.recs[1].match, DANE_MATCHES);
	CHECK(!dane_rollover_ready(&s));
	tlsa_set_free(&s);

	/* 3 0 0: the full certificate */
	tlsa_set_init(&s);
	add(&s, leaf, 3, 0, 0);
	dane_match_chain(&s, chain);
	CHECK_INT(s.recs[0].match, DANE_MATCHES);
	tlsa_set_free(&s);

	/* 2 0 1 of the CA the server presents: matches at depth 1, ready
	 * (a leaf change under the same CA survives) */
	tlsa_set_init(&s);
	add(&s, ca, 2, 0, 1);
	dane_match_chain(&s, chain);
	CHECK_INT(s.recs[0].match, DANE_MATCHES);
	CHECK_INT(s.recs[0].depth, 1);
	CHECK(dane_rollover_ready(&s));
	/* a TA record never matches the leaf, an EE record never the CA */
	add(&s, leaf, 2, 0, 1);
	add(&s, ca, 3, 0, 1);
	dane_match_chain(&s, chain);
	CHECK_INT(s.recs[1].match, DANE_NO_MATCH);
	CHECK_INT(s.recs[2].match, DANE_NO_MATCH);
	tlsa_set_free(&s);

	/* usages 0 and 1, unknown selector and type, a short digest */
	tlsa_set_init(&s);
	add(&s, leaf, 0, 1, 1);
	add(&s, leaf, 1, 1, 1);
	add(&s, leaf, 3, 2, 1);
	add(&s, leaf, 3, 1, 3);
	tlsa_add_rdata(&s, junk, 3 + 20);
	CHECK_INT(dane_match_chain(&s, chain), 0);
	dane_count(&s, &c);
	CHECK_INT(c.unusable, 5);
	CHECK_INT(c.usable, 0);
	for (size_t i = 0; i < s.n; i++) {
		CHECK_INT(s.recs[i].match, DANE_UNUSABLE);
		CHECK(s.recs[i].unusable_why != NULL);
	}
	CHECK(!dane_rollover_ready(&s));
	tlsa_set_free(&s);

	/* digest agility: a matching SHA-256 beside a wrong SHA-512 record
	 * is judged on the SHA-512 one (no match) */
	tlsa_set_init(&s);
	add(&s, leaf, 3, 1, 1);
	add(&s, other, 3, 1, 2);
	CHECK_INT(dane_match_chain(&s, chain), 1);
	CHECK_INT(s.recs[0].match, DANE_UNUSABLE);
	CHECK_INT(s.recs[1].match, DANE_NO_MATCH);
	dane_count(&s, &c);
	CHECK_INT(c.matching, 0);
	tlsa_set_free(&s);

	/* an empty chain matches nothing */
	tlsa_set_init(&s);
	add(&s, leaf, 3, 1, 1);
	CHECK_INT(dane_match_chain(&s, NULL), 1);
	CHECK_INT(s.recs[0].match, DANE_NO_MATCH);
	tlsa_set_free(&s);
}

/* A DNS answer: header, question _25._tcp.mx.example, then n TLSA RRs
 * whose names are compression pointers to the question. */
static size_t
message(unsigned char *m, size_t cap, unsigned n, const unsigned char *rd,
    size_t rdlen)
{
	static const unsigned char q[] = "\x03_25\x04_tcp\x02mx\x07" "example";
	size_t o = 0;

	memset(m, 0, 12);
	m[2] = 0x81; m[3] = 0x80;
	m[5] = 1;
	m[6] = (unsigned char)(n >> 8); m[7] = (unsigned char)n;
	o = 12;
	memcpy(m + o, q, sizeof(q));	/* with its final 0 */
	o += sizeof(q);
	m[o++] = 0; m[o++] = 52; m[o++] = 0; m[o++] = 1;
	for (unsigned i = 0; i < n && o + 12 + rdlen <= cap; i++) {
		m[o++] = 0xc0; m[o++] = 12;
		m[o++] = 0; m[o++] = 52; m[o++] = 0; m[o++] = 1;
		m[o++] = 0; m[o++] = 0; m[o++] = 1; m[o++] = 0x2c;
		m[o++] = (unsigned char)(rdlen >> 8); m[o++] = (unsigned char)rdlen;
		memcpy(m + o, rd, rdlen);
		o += rdlen;
	}
	return o;
}

static void
test_wire(void)
{
	static unsigned char m[65536];
	unsigned char rd[80];
	size_t rdlen = rdata_for(leaf, 3, 1, 1, rd), len;
	struct tlsa_set s;

	len = message(m, sizeof(m), 2, rd, rdlen);
	tlsa_set_init(&s);
	CHECK_INT(tlsa_parse_answer(m, len, &s), 0);
	CHECK_INT(s.n, 2);
	CHECK_INT(s.recs[0].usage, 3);
	CHECK_INT(s.recs[0].len, 32);
	CHECK(!s.malformed && !s.truncated);
	dane_match_chain(&s, chain);
	CHECK_INT(s.recs[0].match, DANE_MATCHES);
	tlsa_set_free(&s);

	/* 500 records: kept up to the cap */
	len = message(m, sizeof(m), 500, rd, rdlen);
	tlsa_set_init(&s);
	CHECK_INT(tlsa_parse_answer(m, len, &s), 0);
	CHECK_INT(s.n, DANE_TLSA_MAX);
	CHECK(s.truncated);
	tlsa_set_free(&s);

	/* every truncation of a good message: no crash, malformed or fewer */
	len = message(m, sizeof(m), 2, rd, rdlen);
	for (size_t cut = 0; cut < len; cut++) {
		tlsa_set_init(&s);
		if (tlsa_parse_answer(m, cut, &s) == 0)
			CHECK(s.n <= 2);
		else
			CHECK(s.malformed);
		tlsa_set_free(&s);
	}
	/* a name pointing at itself, and a label type that does not exist */
	len = message(m, sizeof(m), 1, rd, rdlen);
	m[12] = 0xc0; m[13] = 12;
	tlsa_set_init(&s);
	tlsa_parse_answer(m, len, &s);
	tlsa_set_free(&s);
	len = message(m, sizeof(m), 1, rd, rdlen);
	m[12] = 0x40;
	tlsa_set_init(&s);
	CHECK_INT(tlsa_parse_answer(m, len, &s), -1);
	tlsa_set_free(&s);
	/* rdata shorter than usage, selector, type */
	len = message(m, sizeof(m), 1, rd, 2);
	tlsa_set_init(&s);
	CHECK_INT(tlsa_parse_answer(m, len, &s), 0);
	CHECK_INT(s.n, 0);
	CHECK(s.malformed);
	tlsa_set_free(&s);
	CHECK_STR(dane_match_name(DANE_NO_MATCH), "no_match");
	CHECK_STR(dane_match_name(DANE_MATCH__COUNT), "unknown");
}

/* The tally behind mailsec_dane_tlsa_records: one row per type and fate,
 * in one order, bounded against a hostile set of many types. */
static void
test_tally(void)
{
	struct tlsa_set s, copy;
	struct dane_tally t;
	unsigned char rd[3 + 32];

	tlsa_set_init(&s);
	add(&s, other, 3, 1, 1);	/* no_match, listed first */
	add(&s, leaf, 3, 1, 1);
	add(&s, ca, 2, 0, 1);
	add(&s, leaf, 1, 1, 1);		/* unusable */
	dane_match_chain(&s, chain);
	dane_tally(&s, &t);
	CHECK_INT(t.n, 4);
	CHECK_INT(t.dropped, 0);
	CHECK_INT(t.rows[0].usage, 1);
	CHECK_INT(t.rows[0].match, DANE_UNUSABLE);
	CHECK_INT(t.rows[1].usage, 2);
	CHECK_INT(t.rows[1].match, DANE_MATCHES);
	CHECK_INT(t.rows[2].usage, 3);
	CHECK_INT(t.rows[2].match, DANE_MATCHES);
	CHECK_INT(t.rows[3].match, DANE_NO_MATCH);
	/* a deep copy: freeing the original leaves it whole */
	tlsa_set_copy(&copy, &s);
	tlsa_set_free(&s);
	dane_match_chain(&copy, chain);
	dane_tally(&copy, &t);
	CHECK_INT(t.n, 4);
	CHECK_INT(t.rows[2].count, 1);
	tlsa_set_free(&copy);
	/* 64 records of 64 types (hostile usages): 16 rows, the rest counted */
	tlsa_set_init(&s);
	memset(rd, 0, sizeof(rd));
	for (unsigned i = 0; i < 70; i++) {
		rd[0] = (unsigned char)(10 + i);
		CHECK_INT(tlsa_add_rdata(&s, rd, sizeof(rd)), 0);
	}
	CHECK_INT(s.n, DANE_TLSA_MAX);
	CHECK(s.truncated);
	CHECK_INT(dane_match_chain(&s, chain), 0);
	dane_tally(&s, &t);
	CHECK_INT(t.n, DANE_TALLY_MAX);
	CHECK_INT(t.dropped, DANE_TLSA_MAX - DANE_TALLY_MAX);
	tlsa_set_free(&s);
	tlsa_set_copy(&copy, &s);	/* an empty set copies */
	CHECK_INT(copy.n, 0);
	tlsa_set_free(&copy);
	CHECK_STR(dane_reason_name(DANE_REASON_TA_NOT_PRESENTED),
	    "ta_not_presented");
	CHECK_STR(dane_reason_name(DANE_REASON__COUNT), "unknown");
}

int
main(void)
{
	EVP_PKEY *cak = new_key(), *lk = new_key(), *ok = new_key();

	ca = new_cert("test CA", cak, NULL, NULL);
	leaf = new_cert("mx.example", lk, ca, cak);
	other = new_cert("next.example", ok, ca, cak);
	chain = sk_X509_new_null();
	sk_X509_push(chain, leaf);
	sk_X509_push(chain, ca);
	test_matching();
	test_wire();
	test_tally();
	sk_X509_free(chain);
	X509_free(ca);
	X509_free(leaf);
	X509_free(other);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(lk);
	EVP_PKEY_free(ok);
	return unit_done("test_dane");
}
