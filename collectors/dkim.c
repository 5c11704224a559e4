#include "collectors/dkim.h"

#include "base/ostr.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define ED25519_KEY_LEN	32

/* An Ed25519 SubjectPublicKeyInfo is this prefix and the raw key: people
 * publish it by mistake (`openssl pkey -pubout`), RFC 8463 wants the raw key. */
static const unsigned char ed25519_spki_prefix[] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};

static void
key_fail(struct dkim_key *key, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
key_fail(struct dkim_key *key, const char *reason, const char *fmt, ...)
{
	va_list ap;
	char msg[DKIM_MESSAGE_MAX];

	key->valid = 0;
	key->reason = reason;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ostr_set(&key->message, ostr_cut(msg, sizeof(msg)));
}

/* Strict base64 (RFC 4648 with "=" padding) with FWS allowed anywhere, as
 * RFC 6376's base64string allows.  Returns the decoded bytes (caller frees)
 * or NULL with why set. */
static unsigned char *
b64_decode(const char *s, size_t len, size_t *outlen, char *why, size_t whylen)
{
	const char *end = s + len;
	unsigned char *out;
	uint32_t acc = 0;
	size_t n = 0, digits = 0, pads = 0;
	int v;

	out = xmalloc(len / 4 * 3 + 3);
	while (s < end) {
		size_t fws = txt_fws_len(s, end);

		if (fws > 0) {
			s += fws;
			continue;
		}
		if (*s == '=') {
			pads++;
			s++;
			continue;
		}
		if ((v = base64_digit((unsigned char)*s)) == -1) {
			snprintf(why, whylen, "character '%c' is not base64",
			    *s);
			goto bad;
		}
		if (pads > 0) {
			snprintf(why, whylen, "data after '=' padding");
			goto bad;
		}
		acc = acc << 6 | (uint32_t)v;
		if (++digits % 4 == 0) {
			out[n++] = (unsigned char)(acc >> 16);
			out[n++] = (unsigned char)(acc >> 8);
			out[n++] = (unsigned char)acc;
			acc = 0;
		}
		s++;
	}
	if ((digits + pads) % 4 != 0 || pads > 2 || digits % 4 == 1 ||
	    (pads > 0 && 4 - digits % 4 != pads)) {
		snprintf(why, whylen, "%zu base64 digits and %zu '=': length "
		    "is not a multiple of 4", digits, pads);
		goto bad;
	}
	if (digits % 4 == 2)
		out[n++] = (unsigned char)(acc >> 4);
	else if (digits % 4 == 3) {
		out[n++] = (unsigned char)(acc >> 10);
		out[n++] = (unsigned char)(acc >> 2);
	}
	*outlen = n;
	return out;
bad:
	free(out);
	return NULL;
}

/* k=rsa: SubjectPublicKeyInfo is what RFC 6376 specifies, but a bare
 * RSAPublicKey is common and verifiers accept it, so both count. */
static void
rsa_key_check(struct dkim_key *key, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey;
	int type, bits;

	if ((pkey = d2i_PUBKEY(NULL, &p, (long)len)) != NULL) {
		key->key_format = DKIM_FORMAT_SPKI;
		type = EVP_PKEY_get_base_id(pkey);
		if (type != EVP_PKEY_RSA) {
			key_fail(key, "bad_key", "p= holds a key of type %s, "
			    "k= says rsa",
			    EVP_PKEY_get0_type_name(pkey) ?
			    EVP_PKEY_get0_type_name(pkey) : "non-RSA");
			goto out;
		}
	} else {
		ERR_clear_error();
		p = der;
		if ((pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p,
		    (long)len)) == NULL) {
			if (len == ED25519_KEY_LEN)
				key_fail(key, "bad_key", "p= is 32 bytes, not "
				    "an RSA key: k=ed25519 missing?");
			else
				key_fail(key, "bad_key", "p= (%zu bytes) is "
				    "neither an RSA SubjectPublicKeyInfo nor an "
				    "RSAPublicKey", len);
			goto out;
		}
		key->key_format = DKIM_FORMAT_RSAPUBLICKEY;
	}
	if (p != der + len) {
		key_fail(key, "bad_key", "%zu bytes of garbage after the key",
		    (size_t)(der + len - p));
		goto out;
	}
	if ((bits = EVP_PKEY_get_bits(pkey)) <= 0) {
		key_fail(key, "bad_key", "cannot tell the RSA key size");
		goto out;
	}
	key->key_bits = (unsigned)bits;
	if (bits < DKIM_RSA_MIN_BITS) {
		key_fail(key, "key_too_short", "RSA key of %d bits; RFC 8301 "
		    "makes keys under %d bits invalid", bits,
		    DKIM_RSA_MIN_BITS);
		goto out;
	}
	key->weak_key = bits < DKIM_RSA_GOOD_BITS;
	key->valid = 1;
out:
	EVP_PKEY_free(pkey);
	ERR_clear_error();
}

/* k=ed25519: RFC 8463 4.2, the bare 32-byte key, no ASN.1. */
static void
ed25519_key_check(struct dkim_key *key, const unsigned char *raw, size_t len)
{
	EVP_PKEY *pkey;

	if (len == sizeof(ed25519_spki_prefix) + ED25519_KEY_LEN &&
	    memcmp(raw, ed25519_spki_prefix, sizeof(ed25519_spki_prefix)) == 0) {
		key_fail(key, "bad_ed25519_key", "p= is a SubjectPublicKeyInfo; "
		    "RFC 8463 wants the bare 32-byte key (its last 32 bytes)");
		return;
	}
	if (len != ED25519_KEY_LEN) {
		key_fail(key, "bad_ed25519_key", "p= decodes to %zu bytes, an "
		    "Ed25519 key is %d", len, ED25519_KEY_LEN);
		return;
	}
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, len);
	if (pkey == NULL) {
		ERR_clear_error();
		key_fail(key, "bad_ed25519_key", "OpenSSL rejects the key");
		return;
	}
	EVP_PKEY_free(pkey);
	key->key_format = DKIM_FORMAT_RAW;
	/* The key size, not OpenSSL's 253 (the group order's). */
	key->key_bits = ED25519_KEY_LEN * 8;
	key->valid = 1;
}

static int
value_is(const struct txt_tag *tag, const char *s)
{
	return txt_span_eq(tag->value, tag->value_len, s, 0);
}

/* h=: RFC 6376 says unknown algorithms are ignored, so only a list with no
 * known one at all is fatal. */
static int
check_hashes(struct dkim_key *key, const struct txt_tag *tag)
{
	struct txt_list list;
	const char *item;
	size_t len;
	int r, sha1 = 0, sha256 = 0;

	txt_list_init(&list, tag->value, tag->value_len, ':');
	while ((r = txt_list_next(&list, &item, &len)) != 0) {
		if (r == -1) {
			key_fail(key, "syntax", "h= has an empty algorithm");
			return -1;
		}
		if (txt_span_eq(item, len, "sha1", 1))
			sha1 = 1;
		else if (txt_span_eq(item, len, "sha256", 1))
			sha256 = 1;
	}
	if (!sha1 && !sha256) {
		key_fail(key, "no_usable_hash", "h= names no known hash "
		    "algorithm (sha256)");
		return -1;
	}
	key->sha1_only = sha1 && !sha256;
	return 0;
}

/* s=: a record that does not list "email" or "*" is not for mail. */
static int
check_services(struct dkim_key *key, const struct txt_tag *tag)
{
	struct txt_list list;
	const char *item;
	size_t len;
	int r, email = 0;

	txt_list_init(&list, tag->value, tag->value_len, ':');
	while ((r = txt_list_next(&list, &item, &len)) != 0) {
		if (r == -1) {
			key_fail(key, "syntax", "s= has an empty service type");
			return -1;
		}
		if (txt_span_eq(item, len, "*", 0) ||
		    txt_span_eq(item, len, "email", 1))
			email = 1;
	}
	if (!email) {
		key_fail(key, "not_for_email", "s= lists neither \"email\" "
		    "nor \"*\": verifiers ignore the key");
		return -1;
	}
	return 0;
}

/* t=: flags y and s; unknown flags are ignored (3.6.1). */
static int
check_flags(struct dkim_key *key, const struct txt_tag *tag)
{
	struct txt_list list;
	const char *item;
	size_t len;
	int r;

	txt_list_init(&list, tag->value, tag->value_len, ':');
	while ((r = txt_list_next(&list, &item, &len)) != 0) {
		if (r == -1) {
			key_fail(key, "syntax", "t= has an empty flag");
			return -1;
		}
		if (txt_span_eq(item, len, "y", 1))
			key->testing = 1;
		else if (txt_span_eq(item, len, "s", 1))
			key->strict = 1;
	}
	return 0;
}

static void
key_reset(struct dkim_key *key)
{
	memset(key, 0, sizeof(*key));
	key->message = ostr_empty;
}

const char *
dkim_key_type_name(int type)
{
	switch (type) {
	case DKIM_KEY_RSA:
		return "rsa";
	case DKIM_KEY_ED25519:
		return "ed25519";
	default:
		return NULL;
	}
}

const char *
dkim_key_format_name(int format)
{
	switch (format) {
	case DKIM_FORMAT_SPKI:
		return "spki";
	case DKIM_FORMAT_RSAPUBLICKEY:
		return "rsapublickey";
	case DKIM_FORMAT_RAW:
		return "raw";
	default:
		return NULL;
	}
}

void
dkim_key_free(struct dkim_key *key)
{
	ostr_free(key->message);
	key_reset(key);
}

void
dkim_key_parse(const char *rec, size_t len, struct dkim_key *key)
{
	struct txt_taglist tags = { 0 };
	const struct txt_tag *v, *k, *h, *s, *t, *p;
	const char *reason;
	unsigned char *der = NULL;
	size_t derlen;
	char why[128], msg[DKIM_MESSAGE_MAX];

	key_reset(key);
	key->present = 1;
	if (len > TXT_RECORD_MAX) {
		key_fail(key, "too_long", "record of %zu bytes (limit %d)",
		    len, TXT_RECORD_MAX);
		return;
	}
	msg[0] = '\0';
	if (txt_taglist_parse(rec, len, 0, &tags, &reason, msg,
	    sizeof(msg)) == -1) {
		key->reason = reason;
		key->message = ostr_cut(msg, sizeof(msg));
		goto out;
	}

	/* 3.6.1: v= is optional, but when there it comes first. */
	if ((v = txt_taglist_get(&tags, "v", 0)) != NULL) {
		if (v != &tags.tags[0]) {
			key_fail(key, "bad_version", "v= must be the first tag");
			goto out;
		}
		if (!value_is(v, "DKIM1")) {
			key_fail(key, "bad_version", "v=%.*s, must be DKIM1",
			    (int)(v->value_len > 32 ? 32 : v->value_len),
			    v->value);
			goto out;
		}
	}

	k = txt_taglist_get(&tags, "k", 0);
	if (k == NULL || txt_span_eq(k->value, k->value_len, "rsa", 1))
		key->key_type = DKIM_KEY_RSA;
	else if (txt_span_eq(k->value, k->value_len, "ed25519", 1))
		key->key_type = DKIM_KEY_ED25519;
	else {
		key_fail(key, "unknown_key_type", "k=%.*s is not rsa or "
		    "ed25519", (int)(k->value_len > 32 ? 32 : k->value_len),
		    k->value);
		goto out;
	}

	if ((h = txt_taglist_get(&tags, "h", 0)) != NULL &&
	    check_hashes(key, h) == -1)
		goto out;
	if ((s = txt_taglist_get(&tags, "s", 0)) != NULL &&
	    check_services(key, s) == -1)
		goto out;
	if ((t = txt_taglist_get(&tags, "t", 0)) != NULL &&
	    check_flags(key, t) == -1)
		goto out;

	if ((p = txt_taglist_get(&tags, "p", 0)) == NULL) {
		key_fail(key, "missing_p", "%s", tags.n == 0 ?
		    "empty record" : "no p= tag");
		goto out;
	}
	if (p->value_len == 0) {
		key->revoked = 1;
		key_fail(key, "revoked", "p= is empty: the key is revoked");
		goto out;
	}
	if ((der = b64_decode(p->value, p->value_len, &derlen, why,
	    sizeof(why))) == NULL) {
		key_fail(key, "bad_base64", "p=: %s", why);
		goto out;
	}
	if (key->key_type == DKIM_KEY_RSA)
		rsa_key_check(key, der, derlen);
	else
		ed25519_key_check(key, der, derlen);
	/* RFC 8301 3.1: verifiers must not accept rsa-sha1 signatures, and
	 * Ed25519 is only ever used with sha256 (RFC 8463): a key limited to
	 * sha1 verifies nothing. */
	if (key->valid && key->sha1_only)
		key_fail(key, "sha1_only", "h= allows only sha1, and RFC 8301 "
		    "verifiers refuse rsa-sha1 signatures: add sha256 or drop "
		    "h=");
out:
	free(der);
	txt_taglist_free(&tags);
}

void
dkim_key_select(const struct txt_records *recs, struct dkim_key *key)
{
	const struct txt_record *first;
	char inner[DKIM_MESSAGE_MAX];

	if (recs->n == 0) {
		key_reset(key);
		key_fail(key, "no_record", "no TXT record at the selector");
		return;
	}
	first = &recs->recs[0];
	if (first->too_long) {
		key_reset(key);
		key->present = 1;
		key_fail(key, "too_long", "record longer than %d bytes",
		    TXT_RECORD_MAX);
	} else
		dkim_key_parse(first->text.data, first->text.len, key);
	if (recs->n > 1) {
		snprintf(inner, sizeof(inner), "%s", key->message);
		key->multiple_records = 1;
		key_fail(key, "multiple_records", "%zu TXT records at the "
		    "selector; the first: %s", recs->n,
		    key->reason ? inner : "valid");
	}
}
