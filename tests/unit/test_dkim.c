/* DKIM key records: RFC examples, keys made here, hostile input. */
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "collectors/dkim.h"
#include "tests/unit/unit.h"

/* RFC 6376 appendix C, the "brisbane" selector. */
#define RFC6376_KEY \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkM" \
	"oGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/R" \
	"tdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToI" \
	"MmPSPDdQPNUYckcQ2QIDAQAB"
/* RFC 8463 appendix A.2. */
#define RFC8463_ED25519 "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define RFC8463_RSA \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR" \
	"iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/b" \
	"yYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKr" \
	"M3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K" \
	"4w3QIDAQAB"

/* The keys start zeroed; each parse frees what the last one left. */
static void
kparse(const char *rec, size_t len, struct dkim_key *key)
{
	dkim_key_free(key);
	dkim_key_parse(rec, len, key);
}

static void
kselect(const struct txt_records *recs, struct dkim_key *key)
{
	dkim_key_free(key);
	dkim_key_select(recs, key);
}

static void
parse(const char *rec, struct dkim_key *key)
{
	kparse(rec, strlen(rec), key);
}

/* Parses and returns the reason ("ok" when valid). */
static const char *
reason_of(const char *rec)
{
	static struct dkim_key key;	/* test-only scratch */

	parse(rec, &key);
	if (key.valid != (key.reason == NULL))
		return "valid/reason disagree";
	return key.valid ? "ok" : key.reason;
}

static char *
b64(const unsigned char *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

static char *
record_with(const char *prefix, const char *p)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%sp=%s", prefix, p);
	return b.data;
}

static void
test_rfc_examples(void)
{
	struct dkim_key key = { 0 };

	parse("v=DKIM1; p=" RFC6376_KEY, &key);
	CHECK(key.present);
	CHECK(key.valid);
	CHECK(key.reason == NULL);
	CHECK_STR(key.message, "");
	CHECK_STR(dkim_key_type_name(key.key_type), "rsa");
	CHECK_STR(dkim_key_format_name(key.key_format), "spki");
	CHECK_INT(key.key_bits, 1024);
	CHECK(key.weak_key);
	CHECK(!key.revoked && !key.testing && !key.sha1_only);

	parse("v=DKIM1; k=ed25519; p=" RFC8463_ED25519, &key);
	CHECK(key.valid);
	CHECK_STR(dkim_key_type_name(key.key_type), "ed25519");
	CHECK_STR(dkim_key_format_name(key.key_format), "raw");
	CHECK_INT(key.key_bits, 256);
	CHECK(!key.weak_key);

	parse("v=DKIM1; k=rsa; p=" RFC8463_RSA, &key);
	CHECK(key.valid);
	CHECK_INT(key.key_bits, 1024);

	/* v= is optional; a note with FWS; unknown tags are ignored. */
	parse("k=rsa; n=a note\r\n about it; g=*; x=1; p=" RFC6376_KEY, &key);
	CHECK(key.valid);
	dkim_key_free(&key);
}

static void
test_generated_rsa(void)
{
	static const struct {
		unsigned	 bits;
		const char	*reason;
		int		 weak;
	} cases[] = {
		{ 512, "key_too_short", 0 },
		{ 1024, "ok", 1 },
		{ 2048, "ok", 0 },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		EVP_PKEY *pkey = EVP_RSA_gen(cases[i].bits);
		unsigned char *spki = NULL, *pkcs1 = NULL;
		char *spki64, *pkcs164, *rec;
		int spki_len, pkcs1_len;
		struct dkim_key key = { 0 };

		CHECK(pkey != NULL);
		if (pkey == NULL)
			continue;
		spki_len = i2d_PUBKEY(pkey, &spki);
		pkcs1_len = i2d_PublicKey(pkey, &pkcs1);
		CHECK(spki_len > 0 && pkcs1_len > 0);
		spki64 = b64(spki, (size_t)spki_len);
		pkcs164 = b64(pkcs1, (size_t)pkcs1_len);

		rec = record_with("v=DKIM1; k=rsa; ", spki64);
		parse(rec, &key);
		CHECK_STR(key.valid ? "ok" : key.reason, cases[i].reason);
		CHECK_INT(key.key_bits, cases[i].bits);
		CHECK_STR(dkim_key_format_name(key.key_format), "spki");
		CHECK_INT(key.weak_key, cases[i].weak);
		free(rec);

		rec = record_with("v=DKIM1; ", pkcs164);
		parse(rec, &key);
		CHECK_STR(key.valid ? "ok" : key.reason, cases[i].reason);
		CHECK_INT(key.key_bits, cases[i].bits);
		CHECK_STR(dkim_key_format_name(key.key_format), "rsapublickey");
		free(rec);

		/* Truncated DER, and DER with garbage after it. */
		free(spki64);
		spki64 = b64(spki, (size_t)spki_len - 6);
		rec = record_with("", spki64);
		CHECK_STR(reason_of(rec), "bad_key");
		free(rec);
		free(spki64);
		spki = OPENSSL_realloc(spki, (size_t)spki_len + 3);
		memcpy(spki + spki_len, "\x05\x00\x00", 3);
		spki64 = b64(spki, (size_t)spki_len + 3);
		rec = record_with("", spki64);
		parse(rec, &key);
		CHECK_STR(key.reason, "bad_key");
		CHECK_STR(key.message, "3 bytes of garbage after the key");
		free(rec);

		/* An RSA key under k=ed25519. */
		rec = record_with("k=ed25519; ", pkcs164);
		CHECK_STR(reason_of(rec), "bad_ed25519_key");
		free(rec);

		free(spki64);
		free(pkcs164);
		OPENSSL_free(spki);
		OPENSSL_free(pkcs1);
		EVP_PKEY_free(pkey);
		dkim_key_free(&key);
	}
}

static void
test_key_type_mismatch(void)
{
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	unsigned char *der = NULL;
	char *der64, *rec;
	struct dkim_key key = { 0 };
	int len;

	CHECK(ec != NULL && ed != NULL);
	len = i2d_PUBKEY(ec, &der);
	der64 = b64(der, (size_t)len);
	rec = record_with("k=rsa; ", der64);
	parse(rec, &key);
	CHECK_STR(key.reason, "bad_key");
	CHECK_STR(key.message, "p= holds a key of type EC, k= says rsa");
	free(rec);
	free(der64);
	OPENSSL_free(der);

	/* Ed25519 published as SubjectPublicKeyInfo: a common mistake. */
	der = NULL;
	len = i2d_PUBKEY(ed, &der);
	CHECK_INT(len, 44);
	der64 = b64(der, (size_t)len);
	rec = record_with("v=DKIM1; k=ed25519; ", der64);
	parse(rec, &key);
	CHECK_STR(key.reason, "bad_ed25519_key");
	CHECK(strstr(key.message, "SubjectPublicKeyInfo") != NULL);
	free(rec);
	free(der64);
	/* Its raw 32 bytes are right. */
	der64 = b64(der + 12, 32);
	rec = record_with("v=DKIM1; k=ed25519; ", der64);
	CHECK_STR(reason_of(rec), "ok");
	free(rec);
	/* And without k= they are read as RSA. */
	rec = record_with("v=DKIM1; ", der64);
	parse(rec, &key);
	CHECK_STR(key.reason, "bad_key");
	CHECK_STR(key.message, "p= is 32 bytes, not an RSA key: k=ed25519 "
	    "missing?");
	free(rec);
	free(der64);
	OPENSSL_free(der);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ed);
	dkim_key_free(&key);
}

static void
test_tags(void)
{
	struct dkim_key key = { 0 };

	/* v= */
	CHECK_STR(reason_of("k=rsa; v=DKIM1; p=" RFC6376_KEY), "bad_version");
	CHECK_STR(reason_of("v=DKIM2; p=" RFC6376_KEY), "bad_version");
	CHECK_STR(reason_of("v=dkim1; p=" RFC6376_KEY), "bad_version");
	CHECK_STR(reason_of("v=; p=" RFC6376_KEY), "bad_version");
	CHECK_STR(reason_of(" v = DKIM1 ; p=" RFC6376_KEY " ; "), "ok");
	/* k= */
	CHECK_STR(reason_of("v=DKIM1; k=dsa; p=" RFC6376_KEY),
	    "unknown_key_type");
	CHECK_STR(reason_of("v=DKIM1; k=; p=" RFC6376_KEY), "unknown_key_type");
	CHECK_STR(reason_of("v=DKIM1; k=RSA; p=" RFC6376_KEY), "ok");
	/* h= */
	/* sha1 only: RFC 8301 verifiers refuse rsa-sha1, so the key verifies
	 * nothing; the key itself is still described. */
	parse("v=DKIM1; h=sha1; p=" RFC6376_KEY, &key);
	CHECK(!key.valid);
	CHECK(key.sha1_only);
	CHECK_STR(key.reason, "sha1_only");
	CHECK(strstr(key.message, "RFC 8301") != NULL);
	CHECK_INT(key.key_bits, 1024);
	CHECK_STR(reason_of("v=DKIM1; h=SHA1:md5; p=" RFC6376_KEY),
	    "sha1_only");
	CHECK_STR(reason_of("v=DKIM1; k=ed25519; h=sha1; p=" RFC8463_ED25519),
	    "sha1_only");
	parse("v=DKIM1; h=sha1 : sha256; p=" RFC6376_KEY, &key);
	CHECK(key.valid && !key.sha1_only);
	parse("v=DKIM1; h=sha256:sha3; p=" RFC6376_KEY, &key);
	CHECK(key.valid && !key.sha1_only);
	CHECK_STR(reason_of("v=DKIM1; h=sha512; p=" RFC6376_KEY),
	    "no_usable_hash");
	CHECK_STR(reason_of("v=DKIM1; h=; p=" RFC6376_KEY), "no_usable_hash");
	CHECK_STR(reason_of("v=DKIM1; h=sha256:; p=" RFC6376_KEY), "syntax");
	/* s= */
	CHECK_STR(reason_of("s=email; p=" RFC6376_KEY), "ok");
	CHECK_STR(reason_of("s=*; p=" RFC6376_KEY), "ok");
	CHECK_STR(reason_of("s=tlsrpt:email; p=" RFC6376_KEY), "ok");
	CHECK_STR(reason_of("s=tlsrpt; p=" RFC6376_KEY), "not_for_email");
	/* t= */
	parse("t=y:s; p=" RFC6376_KEY, &key);
	CHECK(key.valid && key.testing && key.strict);
	parse("t=y:x; p=" RFC6376_KEY, &key);
	CHECK(key.valid && key.testing && !key.strict);
	parse("t=s; p=" RFC6376_KEY, &key);
	CHECK(key.valid && !key.testing && key.strict);
	/* p= */
	parse("v=DKIM1; k=rsa; p=", &key);
	CHECK(!key.valid && key.revoked);
	CHECK_STR(key.reason, "revoked");
	CHECK_STR(reason_of("v=DKIM1; p= ;"), "revoked");
	CHECK_STR(reason_of("v=DKIM1; k=ed25519; p="), "revoked");
	CHECK_STR(reason_of("v=DKIM1; k=rsa"), "missing_p");
	/* 3.2: names are case-sensitive, so P= is an unknown tag. */
	CHECK_STR(reason_of("v=DKIM1; P=" RFC6376_KEY), "missing_p");
	CHECK_STR(reason_of("v=DKIM1; p=" RFC6376_KEY "; p="),
	    "duplicate_tag");
	CHECK_STR(reason_of("k=rsa; k=rsa; p=" RFC6376_KEY), "duplicate_tag");
	dkim_key_free(&key);
}

static void
test_base64(void)
{
	struct dkim_key key = { 0 };

	/* FWS anywhere inside p= is fine (base64string). */
	parse("v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkM "
	    "oGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/R\r\n\t"
	    "tdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToI  "
	    "MmPSPDdQPNUYckcQ2QIDAQAB", &key);
	CHECK(key.valid);
	CHECK_INT(key.key_bits, 1024);
	parse("k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo =",
	    &key);
	CHECK(key.valid);

	CHECK_STR(reason_of("p=MIGf$MA0G"), "bad_base64");
	CHECK_STR(reason_of("p=MIGfMA0G-_"), "bad_base64");
	CHECK_STR(reason_of("p=abc"), "bad_base64");	/* no padding */
	CHECK_STR(reason_of("p=abcde==="), "bad_base64");
	CHECK_STR(reason_of("p=ab=c"), "bad_base64");
	CHECK_STR(reason_of("p=abc=="), "bad_base64");
	CHECK_STR(reason_of("p=a==="), "bad_base64");
	CHECK_STR(reason_of("p=="), "bad_base64");
	parse("p=MIGf\x01MA0G", &key);		/* caught by the tag-list */
	CHECK_STR(key.reason, "syntax");
	CHECK_STR(reason_of("p=AAAA"), "bad_key");
	CHECK_STR(reason_of("p=AA=="), "bad_key");
	CHECK_STR(reason_of("k=ed25519; p=AAAA"), "bad_ed25519_key");
	/* 31 and 33 bytes. */
	CHECK_STR(reason_of("k=ed25519; "
	    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUQ=="),
	    "bad_ed25519_key");
	CHECK_STR(reason_of("k=ed25519; "
	    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURoA"),
	    "bad_ed25519_key");
	dkim_key_free(&key);
}

static void
test_hostile(void)
{
	const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	struct dkim_key key = { 0 };
	struct buf b;
	char *big;

	CHECK_STR(reason_of(""), "missing_p");
	parse("", &key);
	CHECK_STR(key.message, "empty record");
	CHECK_STR(reason_of("   "), "missing_p");
	CHECK_STR(reason_of(";;;"), "syntax");
	CHECK_STR(reason_of(";"), "syntax");
	CHECK_STR(reason_of("v=DKIM1;; p=" RFC6376_KEY), "syntax");
	CHECK_STR(reason_of("v=DKIM1 p=" RFC6376_KEY), "bad_version");
	CHECK_STR(reason_of("garbage"), "syntax");
	kparse(NULL, 0, &key);
	CHECK_STR(key.reason, "missing_p");

	/* NULs: len counts, not strlen. */
	kparse("v=DKIM1; p=\0" RFC6376_KEY, 12 + strlen(RFC6376_KEY),
	    &key);
	CHECK_STR(key.reason, "syntax");
	CHECK_STR(key.message, "tag \"p\": byte 0x00 at offset 11 is not "
	    "allowed in a value");
	kparse("v=DKIM1; p=" RFC6376_KEY "\0", 12 + strlen(RFC6376_KEY),
	    &key);
	CHECK_STR(key.reason, "syntax");

	/* 1 MB. */
	big = xmalloc(1 << 20);
	memset(big, 'a', 1 << 20);
	memcpy(big, "p=", 2);
	kparse(big, 1 << 20, &key);
	CHECK_STR(key.reason, "too_long");
	CHECK(key.present);
	/* Just under the limit, all base64: decodes, is no key. */
	kparse(big, TXT_RECORD_MAX - 2, &key);
	CHECK_STR(key.reason, "bad_key");
	free(big);

	/* 10000 distinct tags are fine (unknown ones are ignored)... */
	buf_init(&b);
	for (int i = 0; i < 10000; i++)
		buf_printf(&b, "%c%c%c=;", 'a' + i % 26, alnum[i / 26 % 62],
		    alnum[i / 26 / 62 % 62]);
	buf_puts(&b, "p=" RFC6376_KEY);
	CHECK(b.len <= TXT_RECORD_MAX);
	kparse(b.data, b.len, &key);
	CHECK(key.valid);
	/* ...10000 of the same one are not. */
	buf_reset(&b);
	for (int i = 0; i < 10000; i++)
		buf_puts(&b, "t=y;");
	kparse(b.data, b.len, &key);
	CHECK_STR(key.reason, "duplicate_tag");
	buf_free(&b);
	dkim_key_free(&key);
}

#define CHUNK(s, start)	{ (const unsigned char *)(s), sizeof(s) - 1, (start) }

static void
test_select(void)
{
	const struct txt_chunk one[] = {
		CHUNK("v=DKIM1; k=ed25519; ", 1),
		CHUNK("p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", 0),
	};
	const struct txt_chunk two[] = {
		CHUNK("v=DKIM1; p=" RFC6376_KEY, 1),
		CHUNK("v=DKIM1; p=", 1),
	};
	struct txt_records recs;
	struct dkim_key key = { 0 };
	unsigned char piece[200];

	txt_records_init(&recs);
	kselect(&recs, &key);
	CHECK(!key.present && !key.valid);
	CHECK_STR(key.reason, "no_record");

	txt_join_chunks(&recs, one, ARRAY_LEN(one));
	kselect(&recs, &key);
	CHECK(key.present && key.valid);
	CHECK_STR(dkim_key_type_name(key.key_type), "ed25519");
	txt_records_free(&recs);

	/* 3.6.2.2: several records are undefined; the first is still shown. */
	txt_join_chunks(&recs, two, ARRAY_LEN(two));
	kselect(&recs, &key);
	CHECK(key.present && !key.valid && key.multiple_records);
	CHECK_STR(key.reason, "multiple_records");
	CHECK_STR(key.message, "2 TXT records at the selector; the first: "
	    "valid");
	CHECK_INT(key.key_bits, 1024);
	CHECK_STR(dkim_key_type_name(key.key_type), "rsa");
	txt_records_free(&recs);

	memset(piece, 'A', sizeof(piece));
	txt_records_add(&recs, "p=", 2, 1);
	for (int i = 0; i < 400; i++)
		txt_records_add(&recs, piece, sizeof(piece), 0);
	kselect(&recs, &key);
	CHECK_STR(key.reason, "too_long");
	CHECK(key.present);
	txt_records_free(&recs);
	dkim_key_free(&key);
}

int
main(void)
{
	test_rfc_examples();
	test_generated_rsa();
	test_key_type_mismatch();
	test_tags();
	test_base64();
	test_hostile();
	test_select();
	return unit_done("test_dkim");
}
