/* The rating tables (collectors/rating.c): lookups, hostile and unknown
 * names, the cipher lists the audit builds from them, and the rating of
 * one endpoint. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "collectors/audit.h"
#include "collectors/rating.h"
#include "tests/unit/unit.h"
#include "web/verdict.h"

static void
test_lookups(void)
{
	CHECK_INT(rating_version_class("TLSv1.3"), TLS_CLASS_GOOD);
	CHECK_INT(rating_version_class("TLSv1.2"), TLS_CLASS_SUFFICIENT);
	CHECK_INT(rating_version_class("TLSv1.1"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_version_class("TLSv1"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_version_class("SSLv3"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_version_class("TLSv9.9"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_version_class(""), TLS_CLASS_UNKNOWN);
	CHECK_INT(rating_version_class(NULL), TLS_CLASS_UNKNOWN);

	CHECK_INT(rating_cipher_class("TLS_AES_256_GCM_SHA384"), TLS_CLASS_GOOD);
	CHECK_INT(rating_cipher_class("TLS_CHACHA20_POLY1305_SHA256"), TLS_CLASS_GOOD);
	CHECK_INT(rating_cipher_class("TLS_AES_128_GCM_SHA256"), TLS_CLASS_SUFFICIENT);
	CHECK_INT(rating_cipher_class("TLS_AES_128_CCM_8_SHA256"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cipher_class("ECDHE-RSA-AES256-GCM-SHA384"), TLS_CLASS_SUFFICIENT);
	CHECK_INT(rating_cipher_class("ECDHE-ECDSA-CHACHA20-POLY1305"), TLS_CLASS_SUFFICIENT);
	CHECK_INT(rating_cipher_class("ECDHE-RSA-AES128-SHA256"), TLS_CLASS_PHASE_OUT);
	CHECK_INT(rating_cipher_class("DHE-RSA-AES256-GCM-SHA384"), TLS_CLASS_PHASE_OUT);
	CHECK_INT(rating_cipher_class("ECDHE-ARIA128-GCM-SHA256"), TLS_CLASS_PHASE_OUT);
	/* CBC with SHA-1, static RSA, DSS, anon, NULL: not listed */
	CHECK_INT(rating_cipher_class("ECDHE-RSA-AES128-SHA"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cipher_class("AES256-GCM-SHA384"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cipher_class("DHE-DSS-AES256-GCM-SHA384"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cipher_class("ADH-AES256-GCM-SHA384"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cipher_class("NULL-MD5"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cipher_class("ECDHE-ECDSA-AES128-CCM8"), TLS_CLASS_INSUFFICIENT);
	/* hostile: case, spaces, prefixes are not the listed names */
	CHECK_INT(rating_cipher_class("tls_aes_256_gcm_sha384"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cipher_class("TLS_AES_256_GCM_SHA384 "), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cipher_class("TLS_AES_256"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cipher_class("\xff\xfe"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cipher_class(""), TLS_CLASS_UNKNOWN);
	CHECK_INT(rating_cipher_class(NULL), TLS_CLASS_UNKNOWN);
	CHECK(strstr(rating_cipher_ref("zzz"), "not in") != NULL);
	CHECK(strstr(rating_cipher_ref(NULL), "not in") != NULL);

	CHECK_INT(rating_group_class("x25519"), TLS_CLASS_GOOD);
	CHECK_INT(rating_group_class("X25519"), TLS_CLASS_GOOD);
	CHECK_INT(rating_group_class("secp256r1"), TLS_CLASS_GOOD);
	CHECK_INT(rating_group_class("prime256v1"), TLS_CLASS_GOOD);
	CHECK_INT(rating_group_class("brainpoolP512r1"), TLS_CLASS_GOOD);
	CHECK_INT(rating_group_class("secp224r1"), TLS_CLASS_PHASE_OUT);
	CHECK_INT(rating_group_class("ffdhe2048"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_group_class("ffdhe3072"), TLS_CLASS_PHASE_OUT);
	CHECK_INT(rating_group_class("ffdhe8192"), TLS_CLASS_PHASE_OUT);
	CHECK_INT(rating_group_class("DH"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_group_class("secp192r1"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_group_class("unknown"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_group_class(""), TLS_CLASS_UNKNOWN);
	CHECK_INT(rating_group_class(NULL), TLS_CLASS_UNKNOWN);
	CHECK_INT(kex_group_lookup("nope"), -1);
	CHECK_INT(kex_group_lookup(NULL), -1);
	CHECK_STR(kex_group_name(GROUP__COUNT), "unknown");
	CHECK_INT(kex_group_class((enum kex_group)-1), TLS_CLASS_UNKNOWN);

	CHECK_INT(rating_cert_key_class("RSA", 4096, ""), TLS_CLASS_GOOD);
	CHECK_INT(rating_cert_key_class("RSA", 3072, ""), TLS_CLASS_GOOD);
	CHECK_INT(rating_cert_key_class("RSA", 3071, ""), TLS_CLASS_PHASE_OUT);
	CHECK_INT(rating_cert_key_class("RSA", 2048, ""), TLS_CLASS_PHASE_OUT);
	CHECK_INT(rating_cert_key_class("RSA", 2047, ""), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cert_key_class("RSA", -1, NULL), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cert_key_class("RSA-PSS", 3072, ""), TLS_CLASS_GOOD);
	CHECK_INT(rating_cert_key_class("EC", 256, "prime256v1"), TLS_CLASS_GOOD);
	CHECK_INT(rating_cert_key_class("EC", 224, "secp224r1"), TLS_CLASS_PHASE_OUT);
	CHECK_INT(rating_cert_key_class("EC", 192, "prime192v1"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cert_key_class("EC", 256, NULL), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cert_key_class("ED25519", 253, ""), TLS_CLASS_GOOD);
	CHECK_INT(rating_cert_key_class("DSA", 3072, ""), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_cert_key_class("", 3072, ""), TLS_CLASS_UNKNOWN);
	CHECK_INT(rating_cert_key_class(NULL, 3072, ""), TLS_CLASS_UNKNOWN);

	CHECK_INT(rating_signature_class("SHA256", "RSA"), TLS_CLASS_GOOD);
	CHECK_INT(rating_signature_class("SHA384", "EC"), TLS_CLASS_GOOD);
	CHECK_INT(rating_signature_class("", "ED25519"), TLS_CLASS_GOOD);
	CHECK_INT(rating_signature_class("SHA256", "RSA-PSS"), TLS_CLASS_GOOD);
	CHECK_INT(rating_signature_class("SHA224", "RSA"), TLS_CLASS_PHASE_OUT);
	CHECK_INT(rating_signature_class("SHA1", "RSA"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_signature_class("MD5", "RSA"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_signature_class("SHA256", "DSA"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_signature_class("", "RSA"), TLS_CLASS_INSUFFICIENT);
	CHECK_INT(rating_signature_class("unknown", "RSA"), TLS_CLASS_UNKNOWN);
	CHECK_INT(rating_signature_class(NULL, "RSA"), TLS_CLASS_UNKNOWN);
	CHECK_INT(rating_signature_class("SHA256", NULL), TLS_CLASS_UNKNOWN);

	CHECK_STR(tls_class_name(TLS_CLASS_PHASE_OUT), "phase_out");
	CHECK_STR(tls_class_words(TLS_CLASS_PHASE_OUT), "phase out");
	CHECK_STR(tls_class_name(-1), "unknown");
	CHECK_STR(tls_class_name(4), "unknown");
	CHECK_STR(tls_class_words(99), "unknown");
	CHECK_STR(rating_check_name(RATE_EXTENDED_MASTER_SECRET),
	    "extended_master_secret");
	CHECK_STR(rating_check_name(RATE__COUNT), "unknown");
	CHECK(!rating_check_in_worst(RATE_OCSP_STAPLING));
	CHECK(rating_check_in_worst(RATE_VERSION));
	CHECK(!rating_check_in_worst(RATE__COUNT));
	for (int c = 0; c < RATE__COUNT; c++) {
		CHECK(strcmp(rating_check_name(c), "unknown") != 0);
		CHECK(rating_check_ref(c)[0] != '\0');
	}
}

/* Every list the audit offers is one this OpenSSL takes, and names only
 * the class it is for. */
static void
test_cipher_lists(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char buf[2048];

	SSL_CTX_set_security_level(ctx, 0);
	for (int c = 0; c < TLS_CLASS__COUNT; c++) {
		CHECK(rating_class_ciphers(c, 1, buf, sizeof(buf)));
		if (buf[0])
			CHECK(SSL_CTX_set_ciphersuites(ctx, buf) == 1);
		CHECK(rating_class_ciphers(c, 0, buf, sizeof(buf)));
		if (c == TLS_CLASS_GOOD) {
			CHECK_STR(buf, "");	/* no TLS 1.2 suite is good */
			continue;
		}
		CHECK(SSL_CTX_set_cipher_list(ctx, buf) == 1);
		{
			SSL *ssl = SSL_new(ctx);
			STACK_OF(SSL_CIPHER) *sk = SSL_get1_supported_ciphers(ssl);

			/* TLS <= 1.2 suites of the list all rate as the class */
			for (int i = 0; sk && i < sk_SSL_CIPHER_num(sk); i++) {
				const SSL_CIPHER *ci = sk_SSL_CIPHER_value(sk, i);

				/* OpenSSL names TLS 1.3 suites TLS_... */
				if (strncmp(SSL_CIPHER_get_name(ci), "TLS_", 4) == 0)
					continue;
				CHECK_INT(rating_cipher_class(SSL_CIPHER_get_name(ci)), c);
			}
			sk_SSL_CIPHER_free(sk);
			SSL_free(ssl);
		}
	}
	/* each name of the table is one OpenSSL knows (a list with one
	 * unknown name would still be taken) */
	for (int c = 0; c < TLS_CLASS__COUNT; c++)
		for (int tls13 = 0; tls13 < 2; tls13++) {
			char *tok, *save = NULL;

			if (!tls13 && c == TLS_CLASS_INSUFFICIENT)
				continue;
			rating_class_ciphers(c, tls13, buf, sizeof(buf));
			for (tok = strtok_r(buf, ":", &save); tok;
			    tok = strtok_r(NULL, ":", &save)) {
				char one[128];

				if (tok[0] == '@')
					continue;
				snprintf(one, sizeof(one), "%s:@SECLEVEL=0", tok);
				if (tls13)
					CHECK(SSL_CTX_set_ciphersuites(ctx, tok) == 1);
				else if (SSL_CTX_set_cipher_list(ctx, one) != 1)
					CHECK_STR(tok, "a name OpenSSL knows");
			}
		}
	CHECK(rating_class_ciphers(TLS_CLASS_GOOD, 1, buf, sizeof(buf)));
	CHECK_STR(buf, "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
	CHECK(rating_order_ciphers(buf, sizeof(buf)));
	CHECK(SSL_CTX_set_cipher_list(ctx, buf) == 1);
	/* too small a buffer: refused, never overrun */
	CHECK(!rating_class_ciphers(TLS_CLASS_PHASE_OUT, 0, buf, 10));
	CHECK(!rating_class_ciphers(TLS_CLASS_INSUFFICIENT, 0, buf, 1));
	CHECK(!rating_class_ciphers(TLS_CLASS_GOOD, 0, buf, 0));
	CHECK(!rating_order_ciphers(buf, 5));
	CHECK(rating_class_ciphers(7, 0, buf, sizeof(buf)));
	CHECK_STR(buf, "");
	/* every group of the table can be offered */
	for (int g = 0; g < GROUP__COUNT; g++)
		CHECK(SSL_CTX_set1_groups_list(ctx, kex_group_name(g)) == 1);
	ERR_clear_error();
	SSL_CTX_free(ctx);
}

static void
cert(struct tls_facts *t, unsigned d, const char *kt, int bits,
    const char *curve, const char *hash, const char *sk, int ss)
{
	struct cert_crypto *c = &t->chain_crypto[d];

	snprintf(c->key_type, sizeof(c->key_type), "%s", kt);
	c->key_bits = bits;
	snprintf(c->curve, sizeof(c->curve), "%s", curve);
	snprintf(c->sig_hash, sizeof(c->sig_hash), "%s", hash);
	snprintf(c->sig_key, sizeof(c->sig_key), "%s", sk);
	c->self_signed = ss;
	if (t->chain_len < d + 1)
		t->chain_len = d + 1;
}

static void
test_endpoint(void)
{
	struct tls_facts t;
	struct tls_audit a;
	struct endpoint_rating r;
	struct cert_crypto chain[CHAIN_MAX];

	/* A strict TLS 1.3-only server: all good. */
	memset(&t, 0, sizeof(t));
	memset(chain, 0, sizeof(chain));
	t.chain_crypto = chain;
	t.done = t.have_cert = 1;
	cert(&t, 0, "EC", 256, "prime256v1", "SHA256", "RSA", 0);
	cert(&t, 1, "RSA", 2048, "", "SHA1", "RSA", 1);	/* root: skipped */
	tls_audit_init(&a);
	a.ran = 1;
	a.version_accepted[TLSV_1_0] = a.version_accepted[TLSV_1_1] = 0;
	a.version_accepted[TLSV_1_2] = 0;
	a.version_accepted[TLSV_1_3] = 1;
	memset(a.suites, 0, sizeof(a.suites));
	a.suites[1][TLS_CLASS_GOOD] = 1;
	memset(a.group_accepted, 0, sizeof(a.group_accepted));
	a.group_accepted[GROUP_X25519] = a.group_accepted[GROUP_SECP256R1] = 1;
	a.cipher_order_kept = -2;
	rating_endpoint(&t, &a, &r);
	for (int c = 0; c < RATE__COUNT; c++)
		CHECK_INT(r.check[c].cls, TLS_CLASS_GOOD);
	CHECK_INT(r.worst, TLS_CLASS_GOOD);

	/* A 2048-bit intermediate makes cert_key phase out; SHA-224 on the
	 * leaf phase out; ffdhe3072 accepted too. */
	cert(&t, 1, "RSA", 2048, "", "SHA256", "RSA", 0);
	cert(&t, 0, "EC", 256, "prime256v1", "SHA224", "EC", 0);
	a.group_accepted[GROUP_FFDHE3072] = 1;
	rating_endpoint(&t, &a, &r);
	CHECK_INT(r.check[RATE_CERT_KEY].cls, TLS_CLASS_PHASE_OUT);
	CHECK(strstr(r.check[RATE_CERT_KEY].reason, "RSA-2048 at depth 1") != NULL);
	CHECK_INT(r.check[RATE_CERT_SIGNATURE].cls, TLS_CLASS_PHASE_OUT);
	CHECK_INT(r.check[RATE_KEX].cls, TLS_CLASS_PHASE_OUT);
	CHECK_INT(r.worst, TLS_CLASS_PHASE_OUT);
	CHECK_INT(r.worst_check, RATE_KEX);

	/* A stapled response that is not "good" is a notice only: not the
	 * worst.  No OCSP URL in the certificate: not applicable (good). */
	t.ocsp_stapled = 1;
	snprintf(t.ocsp_status, sizeof(t.ocsp_status), "revoked");
	rating_endpoint(&t, &a, &r);
	CHECK_INT(r.check[RATE_OCSP_STAPLING].cls, TLS_CLASS_PHASE_OUT);
	CHECK_INT(r.worst_check, RATE_KEX);
	t.ocsp_stapled = 0;
	t.ocsp_in_cert = 1;
	rating_endpoint(&t, &a, &r);
	CHECK_INT(r.check[RATE_OCSP_STAPLING].cls, TLS_CLASS_SUFFICIENT);

	/* No audit: the audit's checks are unknown, the certificate's are
	 * rated.  Nothing at all: every check unknown, no worst. */
	rating_endpoint(&t, NULL, &r);
	CHECK_INT(r.check[RATE_VERSION].cls, TLS_CLASS_UNKNOWN);
	CHECK_INT(r.check[RATE_CERT_KEY].cls, TLS_CLASS_PHASE_OUT);
	rating_endpoint(NULL, NULL, &r);
	CHECK_INT(r.worst, TLS_CLASS_UNKNOWN);
	for (int c = 0; c < RATE__COUNT; c++)
		CHECK_INT(r.check[c].cls, TLS_CLASS_UNKNOWN);

	/* Hostile facts: empty and garbage names, a chain length beyond
	 * CHAIN_MAX: defined classes, no overrun. */
	memset(&t, 0xff, sizeof(t));
	t.chain_crypto = chain;
	t.cipher = t.verify_error = t.sig_alg = t.kex_group = t.subject =
	    t.issuer = t.serial = t.fingerprint_sha256 =
	    probe_str_empty;
	t.done = t.have_cert = 1;
	t.chain_len = 1000;
	for (unsigned d = 0; d < CHAIN_MAX; d++) {
		memset(&t.chain_crypto[d], 'A', sizeof(t.chain_crypto[d]));
		t.chain_crypto[d].key_type[sizeof(t.chain_crypto[d].key_type) - 1] = 0;
		t.chain_crypto[d].curve[sizeof(t.chain_crypto[d].curve) - 1] = 0;
		t.chain_crypto[d].sig_hash[sizeof(t.chain_crypto[d].sig_hash) - 1] = 0;
		t.chain_crypto[d].sig_key[sizeof(t.chain_crypto[d].sig_key) - 1] = 0;
		t.chain_crypto[d].self_signed = 0;
	}
	t.ocsp_status[sizeof(t.ocsp_status) - 1] = 0;
	rating_endpoint(&t, NULL, &r);
	CHECK_INT(r.check[RATE_CERT_KEY].cls, TLS_CLASS_INSUFFICIENT);
	CHECK_INT(r.check[RATE_CERT_SIGNATURE].cls, TLS_CLASS_INSUFFICIENT);
}

/* The verdict policy over ratings: insufficient fails, phase out warns,
 * the rest passes; no audit, no verdict. */
static void
test_verdict(void)
{
	struct endpoint_result ep[2];
	struct verdict_info vi;
	char advice[300];

	memset(ep, 0, sizeof(ep));
	for (int i = 0; i < 2; i++) {
		ep[i].host = i ? "mx2.example" : "mx1.example";
		ep[i].address = probe_str_empty;
		ep[i].port = 25;
		ep[i].out = &probe_outcome_none;
		ep[i].audit = tls_audit_new();
	}
	verdict_rating(ep, 2, &vi);
	CHECK_INT(vi.v, V_NA);
	/* mx1 all good but TLS 1.2 accepted (sufficient) */
	ep[0].audit->ran = 1;
	ep[0].audit->version_accepted[TLSV_1_2] = 1;
	ep[0].audit->version_accepted[TLSV_1_3] = 1;
	ep[0].audit->version_accepted[TLSV_1_0] = 0;
	ep[0].audit->version_accepted[TLSV_1_1] = 0;
	verdict_rating(ep, 2, &vi);
	CHECK_INT(vi.v, V_PASS);
	CHECK(strncmp(vi.text, "sufficient", 10) == 0);
	/* mx2 accepts ffdhe3072: phase out, the worst of the two */
	ep[1].audit->ran = 1;
	ep[1].audit->group_accepted[GROUP_FFDHE3072] = 1;
	verdict_rating(ep, 2, &vi);
	CHECK_INT(vi.v, V_WARN);
	CHECK_INT(vi.why, FIND_TLS_RATING_PHASE_OUT);
	CHECK_STR(vi.about, "mx2.example");
	CHECK(strstr(vi.text, "key exchange groups") != NULL);
	CHECK(strstr(vi.text, "ffdhe3072") != NULL);
	verdict_advice(&vi, "example", NULL, 0, advice, sizeof(advice));
	CHECK(strstr(advice, "mx2.example") != NULL);
	ep[0].audit->version_accepted[TLSV_1_0] = 1;
	verdict_rating(ep, 2, &vi);
	CHECK_INT(vi.v, V_FAIL);
	CHECK_STR(finding_name(vi.why), "tls_rating_insufficient");
	CHECK(strstr(vi.text, "TLS version") != NULL);
	for (int i = 0; i < 2; i++)
		tls_audit_drop(ep[i].audit);
}

int
main(void)
{
	test_lookups();
	test_cipher_lists();
	test_endpoint();
	test_verdict();
	return unit_done("test_rating");
}
