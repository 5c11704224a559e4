#include "collectors/rating.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "collectors/audit.h"

/* The tables below are internet.nl's checks/tasks/tls/tls_constants.py
 * (internetstandards/Internet.nl cec0e01d), which encodes the NCSC-NL "ICT-
 * beveiligingsrichtlijnen voor TLS" (2025); the guideline section is given
 * per row.  doc/ratings.md prints them. */

static const char *const class_names[TLS_CLASS__COUNT] = {
	[TLS_CLASS_INSUFFICIENT] = "insufficient",
	[TLS_CLASS_PHASE_OUT] = "phase_out",
	[TLS_CLASS_SUFFICIENT] = "sufficient",
	[TLS_CLASS_GOOD] = "good",
};
static const char *const class_words[TLS_CLASS__COUNT] = {
	[TLS_CLASS_INSUFFICIENT] = "insufficient",
	[TLS_CLASS_PHASE_OUT] = "phase out",
	[TLS_CLASS_SUFFICIENT] = "sufficient",
	[TLS_CLASS_GOOD] = "good",
};

static const struct {
	const char	*name;
	const char	*title;
	const char	*ref;
	int		 in_worst;
} checks[RATE__COUNT] = {
	[RATE_VERSION] = { "version", "TLS version", "NCSC-NL 3.3.1", 1 },
	[RATE_CIPHER] = { "cipher", "cipher suites",
	    "NCSC-NL 3.3.3, 3.3.4, appendix B", 1 },
	[RATE_KEX] = { "kex", "key exchange groups",
	    "NCSC-NL 3.3.2.1 table 3, 3.3.3.1 table 7", 1 },
	[RATE_CERT_KEY] = { "cert_key", "certificate keys", "NCSC-NL 3.3.2.1", 1 },
	[RATE_CERT_SIGNATURE] = { "cert_signature", "certificate signatures",
	    "NCSC-NL 3.3.2, 3.3.5", 1 },
	[RATE_CIPHER_ORDER] = { "cipher_order", "cipher order",
	    "NCSC-NL 3.4.1 (order good > sufficient > phase out)", 1 },
	[RATE_RENEGOTIATION] = { "renegotiation", "secure renegotiation",
	    "NCSC-NL 3.4.2", 1 },
	[RATE_COMPRESSION] = { "compression", "TLS compression",
	    "NCSC-NL 3.4.3", 1 },
	[RATE_EXTENDED_MASTER_SECRET] = { "extended_master_secret",
	    "Extended Master Secret", "NCSC-NL 3.4.4 (RFC 7627)", 1 },
	[RATE_OCSP_STAPLING] = { "ocsp_stapling", "OCSP stapling",
	    "NCSC-NL 3.4.5 (a notice; internet.nl does not rate it for mail)",
	    0 },
};

/* NCSC 3.3.1: PROTOCOLS_GOOD, PROTOCOLS_SUFFICIENT (PROTOCOLS_PHASE_OUT is
 * empty); everything else, SSL 3.0 included, is insufficient. */
static const struct {
	const char	*name;		/* SSL_get_version's spelling */
	int		 cls;
} versions[] = {
	{ "TLSv1.3", TLS_CLASS_GOOD },
	{ "TLSv1.2", TLS_CLASS_SUFFICIENT },
	{ "TLSv1.1", TLS_CLASS_INSUFFICIENT },
	{ "TLSv1", TLS_CLASS_INSUFFICIENT },
	{ "SSLv3", TLS_CLASS_INSUFFICIENT },
};

/* NCSC appendix B (from 3.3.3, 3.3.4): CIPHERS_GOOD, CIPHERS_SUFFICIENT,
 * CIPHERS_PHASE_OUT, by OpenSSL name (the IANA name in the comment where
 * OpenSSL's differs in more than spelling).  "Anything not in these lists
 * is insufficient": static RSA, CBC with SHA-1, DHE-DSS, PSK, SRP,
 * anonymous, NULL, CCM_8, 3DES, RC4.  Suites OpenSSL 3.0 does not
 * implement (CAMELLIA-GCM, ARIA-CBC) cannot be offered nor negotiated and
 * are left out. */
static const struct {
	const char	*name;
	int		 cls;
	int		 tls13;
} suites[] = {
	{ "TLS_AES_256_GCM_SHA384", TLS_CLASS_GOOD, 1 },
	{ "TLS_CHACHA20_POLY1305_SHA256", TLS_CLASS_GOOD, 1 },
	{ "TLS_AES_128_GCM_SHA256", TLS_CLASS_SUFFICIENT, 1 },
	{ "TLS_AES_128_CCM_SHA256", TLS_CLASS_SUFFICIENT, 1 },
	/* TLS_1_3_PROBE_CIPHERS: the one TLS 1.3 suite not listed above. */
	{ "TLS_AES_128_CCM_8_SHA256", TLS_CLASS_INSUFFICIENT, 1 },
	{ "ECDHE-ECDSA-CHACHA20-POLY1305", TLS_CLASS_SUFFICIENT, 0 },
	{ "ECDHE-ECDSA-AES256-GCM-SHA384", TLS_CLASS_SUFFICIENT, 0 },
	{ "ECDHE-ECDSA-AES256-CCM", TLS_CLASS_SUFFICIENT, 0 },
	{ "ECDHE-ECDSA-AES128-GCM-SHA256", TLS_CLASS_SUFFICIENT, 0 },
	{ "ECDHE-ECDSA-AES128-CCM", TLS_CLASS_SUFFICIENT, 0 },
	{ "ECDHE-RSA-CHACHA20-POLY1305", TLS_CLASS_SUFFICIENT, 0 },
	{ "ECDHE-RSA-AES256-GCM-SHA384", TLS_CLASS_SUFFICIENT, 0 },
	{ "ECDHE-RSA-AES128-GCM-SHA256", TLS_CLASS_SUFFICIENT, 0 },
	{ "ECDHE-ECDSA-CAMELLIA256-SHA384", TLS_CLASS_PHASE_OUT, 0 },
	{ "ECDHE-ECDSA-CAMELLIA128-SHA256", TLS_CLASS_PHASE_OUT, 0 },
	{ "ECDHE-ECDSA-ARIA256-GCM-SHA384", TLS_CLASS_PHASE_OUT, 0 },
	{ "ECDHE-ECDSA-ARIA128-GCM-SHA256", TLS_CLASS_PHASE_OUT, 0 },
	{ "ECDHE-ECDSA-AES256-SHA384", TLS_CLASS_PHASE_OUT, 0 },
	{ "ECDHE-ECDSA-AES128-SHA256", TLS_CLASS_PHASE_OUT, 0 },
	{ "ECDHE-RSA-CAMELLIA256-SHA384", TLS_CLASS_PHASE_OUT, 0 },
	{ "ECDHE-RSA-CAMELLIA128-SHA256", TLS_CLASS_PHASE_OUT, 0 },
	/* TLS_ECDHE_RSA_WITH_ARIA_256/128_GCM_SHA384/256 */
	{ "ECDHE-ARIA256-GCM-SHA384", TLS_CLASS_PHASE_OUT, 0 },
	{ "ECDHE-ARIA128-GCM-SHA256", TLS_CLASS_PHASE_OUT, 0 },
	{ "ECDHE-RSA-AES256-SHA384", TLS_CLASS_PHASE_OUT, 0 },
	{ "ECDHE-RSA-AES128-SHA256", TLS_CLASS_PHASE_OUT, 0 },
	{ "DHE-RSA-CHACHA20-POLY1305", TLS_CLASS_PHASE_OUT, 0 },
	{ "DHE-RSA-CAMELLIA256-SHA256", TLS_CLASS_PHASE_OUT, 0 },
	{ "DHE-RSA-CAMELLIA128-SHA256", TLS_CLASS_PHASE_OUT, 0 },
	{ "DHE-RSA-ARIA256-GCM-SHA384", TLS_CLASS_PHASE_OUT, 0 },
	{ "DHE-RSA-ARIA128-GCM-SHA256", TLS_CLASS_PHASE_OUT, 0 },
	{ "DHE-RSA-AES256-GCM-SHA384", TLS_CLASS_PHASE_OUT, 0 },
	{ "DHE-RSA-AES256-CCM", TLS_CLASS_PHASE_OUT, 0 },
	{ "DHE-RSA-AES256-SHA256", TLS_CLASS_PHASE_OUT, 0 },
	{ "DHE-RSA-AES128-GCM-SHA256", TLS_CLASS_PHASE_OUT, 0 },
	{ "DHE-RSA-AES128-CCM", TLS_CLASS_PHASE_OUT, 0 },
	{ "DHE-RSA-AES128-SHA256", TLS_CLASS_PHASE_OUT, 0 },
};

/* NCSC 3.3.2.1 table 3 (FS_EC_GOOD, FS_EC_PHASE_OUT) and 3.3.3.1 table 7
 * (FFDHE_PHASE_OUT_PRIMES: ffdhe3072-8192); ffdhe2048, a DH group that is
 * no RFC 7919 group ("DH") and every other curve are insufficient. */
static const struct {
	const char	*name;		/* TLS name, as SSL_group_to_name */
	const char	*alias;		/* another spelling OpenSSL uses */
	int		 cls;
	enum group_versions v;
} groups[GROUP__COUNT] = {
	[GROUP_X25519] = { "x25519", "X25519", TLS_CLASS_GOOD, GROUPV_ANY },
	[GROUP_X448] = { "x448", "X448", TLS_CLASS_GOOD, GROUPV_ANY },
	[GROUP_SECP256R1] = { "secp256r1", "prime256v1", TLS_CLASS_GOOD,
	    GROUPV_ANY },
	[GROUP_SECP384R1] = { "secp384r1", "P-384", TLS_CLASS_GOOD, GROUPV_ANY },
	[GROUP_SECP521R1] = { "secp521r1", "P-521", TLS_CLASS_GOOD, GROUPV_ANY },
	[GROUP_BRAINPOOLP256R1] = { "brainpoolP256r1", NULL, TLS_CLASS_GOOD,
	    GROUPV_TLS12 },
	[GROUP_BRAINPOOLP384R1] = { "brainpoolP384r1", NULL, TLS_CLASS_GOOD,
	    GROUPV_TLS12 },
	[GROUP_BRAINPOOLP512R1] = { "brainpoolP512r1", NULL, TLS_CLASS_GOOD,
	    GROUPV_TLS12 },
	[GROUP_SECP224R1] = { "secp224r1", "P-224", TLS_CLASS_PHASE_OUT,
	    GROUPV_TLS12 },
	[GROUP_FFDHE2048] = { "ffdhe2048", NULL, TLS_CLASS_INSUFFICIENT,
	    GROUPV_TLS13 },
	[GROUP_FFDHE3072] = { "ffdhe3072", NULL, TLS_CLASS_PHASE_OUT,
	    GROUPV_TLS13 },
	[GROUP_FFDHE4096] = { "ffdhe4096", NULL, TLS_CLASS_PHASE_OUT,
	    GROUPV_TLS13 },
	[GROUP_FFDHE6144] = { "ffdhe6144", NULL, TLS_CLASS_PHASE_OUT,
	    GROUPV_TLS13 },
	[GROUP_FFDHE8192] = { "ffdhe8192", NULL, TLS_CLASS_PHASE_OUT,
	    GROUPV_TLS13 },
};

/* NCSC 3.3.2.1: CERT_EC_CURVES_GOOD, CERT_EC_CURVES_PHASE_OUT (OpenSSL's
 * curve names); any other curve is insufficient. */
static const struct {
	const char	*name;
	int		 cls;
} cert_curves[] = {
	{ "prime256v1", TLS_CLASS_GOOD },
	{ "secp384r1", TLS_CLASS_GOOD },
	{ "secp521r1", TLS_CLASS_GOOD },
	{ "brainpoolP256r1", TLS_CLASS_GOOD },
	{ "brainpoolP384r1", TLS_CLASS_GOOD },
	{ "brainpoolP512r1", TLS_CLASS_GOOD },
	{ "secp224r1", TLS_CLASS_PHASE_OUT },
};
/* NCSC 3.3.2.1: CERT_RSA_MIN_GOOD_KEY_SIZE, CERT_RSA_MIN_PHASE_OUT_KEY_SIZE. */
#define RSA_GOOD_BITS	  3072
#define RSA_PHASE_OUT_BITS 2048

/* NCSC 3.3.2 / 3.3.5: CERT_SIGALG_SUFFICIENT (rated good: internet.nl's
 * verdict when every certificate is in it) and CERT_SIGALG_PHASE_OUT, as
 * (hash, key); anything else (SHA-1, MD5, DSA) is insufficient. */
static const struct {
	const char	*hash;		/* OBJ_nid2sn: "SHA256"; "" intrinsic */
	const char	*key;		/* "RSA", "EC", "RSA-PSS", "ED25519" */
	int		 cls;
} sigalgs[] = {
	{ "SHA256", "RSA", TLS_CLASS_GOOD },
	{ "SHA384", "RSA", TLS_CLASS_GOOD },
	{ "SHA512", "RSA", TLS_CLASS_GOOD },
	{ "SHA256", "EC", TLS_CLASS_GOOD },
	{ "SHA384", "EC", TLS_CLASS_GOOD },
	{ "SHA512", "EC", TLS_CLASS_GOOD },
	{ "", "ED25519", TLS_CLASS_GOOD },
	{ "", "ED448", TLS_CLASS_GOOD },
	/* Not in internet.nl's list (one OID for every PSS hash): rated by
	 * the hash, as NCSC 3.3.5 rates hash functions.  See doc/ratings.md. */
	{ "SHA256", "RSA-PSS", TLS_CLASS_GOOD },
	{ "SHA384", "RSA-PSS", TLS_CLASS_GOOD },
	{ "SHA512", "RSA-PSS", TLS_CLASS_GOOD },
	{ "SHA224", "RSA", TLS_CLASS_PHASE_OUT },
	{ "SHA224", "EC", TLS_CLASS_PHASE_OUT },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
tls_class_name(int c)
{
	return c >= 0 && c < TLS_CLASS__COUNT ? class_names[c] : "unknown";
}

const char *
tls_class_words(int c)
{
	return c >= 0 && c < TLS_CLASS__COUNT ? class_words[c] : "unknown";
}

const char *
rating_check_name(enum rating_check c)
{
	return (unsigned)c < RATE__COUNT ? checks[c].name : "unknown";
}

const char *
rating_check_title(enum rating_check c)
{
	return (unsigned)c < RATE__COUNT ? checks[c].title : "unknown";
}

const char *
rating_check_ref(enum rating_check c)
{
	return (unsigned)c < RATE__COUNT ? checks[c].ref : "";
}

int
rating_check_in_worst(enum rating_check c)
{
	return (unsigned)c < RATE__COUNT && checks[c].in_worst;
}

int
rating_version_class(const char *name)
{
	if (name == NULL || *name == '\0')
		return TLS_CLASS_UNKNOWN;
	for (size_t i = 0; i < NELEM(versions); i++)
		if (strcmp(name, versions[i].name) == 0)
			return versions[i].cls;
	return TLS_CLASS_INSUFFICIENT;
}

static int
suite_index(const char *name)
{
	for (size_t i = 0; name && i < NELEM(suites); i++)
		if (strcmp(name, suites[i].name) == 0)
			return (int)i;
	return -1;
}

int
rating_cipher_class(const char *name)
{
	int i;

	if (name == NULL || *name == '\0')
		return TLS_CLASS_UNKNOWN;
	i = suite_index(name);
	return i >= 0 ? suites[i].cls : TLS_CLASS_INSUFFICIENT;
}

const char *
rating_cipher_ref(const char *name)
{
	int i = suite_index(name);

	if (i < 0)
		return "not in NCSC-NL appendix B";
	switch (suites[i].cls) {
	case TLS_CLASS_GOOD: return "NCSC-NL appendix B: good";
	case TLS_CLASS_SUFFICIENT: return "NCSC-NL appendix B: sufficient";
	case TLS_CLASS_PHASE_OUT: return "NCSC-NL appendix B: phase out";
	default: return "NCSC-NL appendix B: insufficient";
	}
}

int
kex_group_lookup(const char *name)
{
	if (name == NULL)
		return -1;
	for (int g = 0; g < GROUP__COUNT; g++)
		if (strcasecmp(name, groups[g].name) == 0 ||
		    (groups[g].alias && strcasecmp(name, groups[g].alias) == 0))
			return g;
	return -1;
}

int
rating_group_class(const char *name)
{
	int g;

	if (name == NULL || *name == '\0')
		return TLS_CLASS_UNKNOWN;
	g = kex_group_lookup(name);
	return g >= 0 ? groups[g].cls : TLS_CLASS_INSUFFICIENT;
}

const char *
kex_group_name(enum kex_group g)
{
	return (unsigned)g < GROUP__COUNT ? groups[g].name : "unknown";
}

int
kex_group_class(enum kex_group g)
{
	return (unsigned)g < GROUP__COUNT ? groups[g].cls : TLS_CLASS_UNKNOWN;
}

enum group_versions
kex_group_versions(enum kex_group g)
{
	return (unsigned)g < GROUP__COUNT ? groups[g].v : GROUPV_ANY;
}

int
rating_cert_key_class(const char *key_type, int bits, const char *curve)
{
	if (key_type == NULL || *key_type == '\0')
		return TLS_CLASS_UNKNOWN;
	/* CERT_CURVES_GOOD: Ed25519, Ed448 whatever their size. */
	if (strcmp(key_type, "ED25519") == 0 || strcmp(key_type, "ED448") == 0)
		return TLS_CLASS_GOOD;
	if (strcmp(key_type, "RSA") == 0 || strcmp(key_type, "RSA-PSS") == 0)
		return bits >= RSA_GOOD_BITS ? TLS_CLASS_GOOD :
		    bits >= RSA_PHASE_OUT_BITS ? TLS_CLASS_PHASE_OUT :
		    TLS_CLASS_INSUFFICIENT;
	if (strcmp(key_type, "EC") == 0) {
		for (size_t i = 0; curve && i < NELEM(cert_curves); i++)
			if (strcmp(curve, cert_curves[i].name) == 0)
				return cert_curves[i].cls;
		return TLS_CLASS_INSUFFICIENT;
	}
	return TLS_CLASS_INSUFFICIENT;	/* DSA, GOST, anything else */
}

int
rating_signature_class(const char *hash, const char *key)
{
	if (hash == NULL || key == NULL || *key == '\0' ||
	    strcmp(hash, "unknown") == 0)
		return TLS_CLASS_UNKNOWN;
	for (size_t i = 0; i < NELEM(sigalgs); i++)
		if (strcmp(hash, sigalgs[i].hash) == 0 &&
		    strcmp(key, sigalgs[i].key) == 0)
			return sigalgs[i].cls;
	return TLS_CLASS_INSUFFICIENT;
}

/* Appends s to out at *o; 0 if it did not fit. */
static int
append(char *out, size_t outlen, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (*o + n + 1 > outlen)
		return 0;
	memcpy(out + *o, s, n + 1);
	*o += n;
	return 1;
}

static int
append_class(char *out, size_t outlen, size_t *o, int cls, int tls13,
    const char *prefix)
{
	for (size_t i = 0; i < NELEM(suites); i++)
		if (suites[i].cls == cls && suites[i].tls13 == tls13 &&
		    (!(*o) || append(out, outlen, o, ":")) &&
		    (!append(out, outlen, o, prefix) ||
		    !append(out, outlen, o, suites[i].name)))
			return 0;
	return 1;
}

int
rating_class_ciphers(int cls, int tls13, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return 0;
	out[0] = '\0';
	if (cls < 0 || cls >= TLS_CLASS__COUNT)
		return 1;
	if (tls13)
		return append_class(out, outlen, &o, cls, 1, "");
	if (cls != TLS_CLASS_INSUFFICIENT)
		return append_class(out, outlen, &o, cls, 0, "") &&
		    (o == 0 || append(out, outlen, &o, ":@SECLEVEL=0"));
	/* Everything but the listed suites. */
	return append(out, outlen, &o, "ALL:COMPLEMENTOFALL") &&
	    append_class(out, outlen, &o, TLS_CLASS_SUFFICIENT, 0, "!") &&
	    append_class(out, outlen, &o, TLS_CLASS_PHASE_OUT, 0, "!") &&
	    append(out, outlen, &o, ":@SECLEVEL=0");
}

int
rating_order_ciphers(char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return 0;
	out[0] = '\0';
	return append_class(out, outlen, &o, TLS_CLASS_PHASE_OUT, 0, "") &&
	    append_class(out, outlen, &o, TLS_CLASS_SUFFICIENT, 0, "") &&
	    append(out, outlen, &o, ":@SECLEVEL=0");
}

/* --- rating one endpoint -------------------------------------------------- */

static void
rate_check(struct endpoint_rating *r, enum rating_check c, int cls,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
rate_check(struct endpoint_rating *r, enum rating_check c, int cls,
    const char *fmt, ...)
{
	va_list ap;

	r->check[c].cls = (signed char)cls;
	va_start(ap, fmt);
	vsnprintf(r->check[c].reason, sizeof(r->check[c].reason), fmt, ap);
	va_end(ap);
}

/* Adds word to a comma list in buf. */
static void
list_add(char *buf, size_t len, const char *word)
{
	size_t o = strlen(buf);

	snprintf(buf + o, o < len ? len - o : 0, "%s%s", o ? ", " : "", word);
}

static void
rate_version(const struct tls_audit *a, struct endpoint_rating *r)
{
	char acc[64] = "";
	int worst = TLS_CLASS_UNKNOWN, unknown = 0;

	for (unsigned v = 0; v < TLSV__COUNT; v++) {
		int cls = rating_version_class(tls_ver_name(v));

		if (a->version_accepted[v] == -1)
			unknown = 1;
		if (a->version_accepted[v] != 1)
			continue;
		list_add(acc, sizeof(acc), tls_ver_name(v));
		if (worst == TLS_CLASS_UNKNOWN || cls < worst)
			worst = cls;
	}
	if (worst == TLS_CLASS_UNKNOWN || (unknown && worst > 0))
		rate_check(r, RATE_VERSION, TLS_CLASS_UNKNOWN, "%s",
		    "not every version could be tried");
	else
		rate_check(r, RATE_VERSION, worst, "accepts %s", acc);
}

static void
rate_cipher(const struct tls_audit *a, struct endpoint_rating *r)
{
	int worst = TLS_CLASS_UNKNOWN;

	for (int c = 0; c < TLS_CLASS__COUNT; c++) {
		int acc = tls_audit_class_accepted(a, c);

		if (acc == 1) {
			worst = c;
			break;
		}
		if (acc == -1)
			break;	/* a worse class might be accepted */
	}
	if (worst == TLS_CLASS_UNKNOWN)
		rate_check(r, RATE_CIPHER, worst, "%s", "the suites could not all be tried");
	else
		rate_check(r, RATE_CIPHER, worst, "accepts %s suites (e.g. %s)",
		    tls_class_words(worst), a->class_example[worst][0] ?
		    a->class_example[worst] : "?");
}

static void
rate_kex(const struct tls_audit *a, struct endpoint_rating *r)
{
	char acc[128] = "";
	int worst = TLS_CLASS_UNKNOWN;

	for (int g = 0; g < GROUP__COUNT; g++) {
		if (a->group_accepted[g] != 1)
			continue;
		list_add(acc, sizeof(acc), groups[g].name);
		if (worst == TLS_CLASS_UNKNOWN || groups[g].cls < worst)
			worst = groups[g].cls;
	}
	if (a->dh_custom_bits > 0) {
		char w[32];

		snprintf(w, sizeof(w), "DH-%d (not RFC 7919)", a->dh_custom_bits);
		list_add(acc, sizeof(acc), w);
		worst = TLS_CLASS_INSUFFICIENT;
	}
	if (worst == TLS_CLASS_UNKNOWN)
		rate_check(r, RATE_KEX, worst, "%s", "no key exchange group learnt");
	else
		rate_check(r, RATE_KEX, worst, "accepts %s", acc);
}

static void
rate_cert(const struct tls_facts *t, struct endpoint_rating *r)
{
	int kworst = TLS_CLASS_UNKNOWN, sworst = TLS_CLASS_UNKNOWN;
	char kwhy[96] = "", swhy[96] = "";
	unsigned n = t->chain_len < CHAIN_MAX ? t->chain_len : CHAIN_MAX;

	if (!t->have_cert || t->chain_crypto == NULL)
		return;
	if (n == 0)
		n = 1;
	/* Every presented certificate but a root (internet.nl skips the
	 * roots it knows: a self-signed certificate above the leaf). */
	for (unsigned d = 0; d < n; d++) {
		const struct cert_crypto *c = &t->chain_crypto[d];
		int k, s;

		if (d > 0 && c->self_signed)
			continue;
		k = rating_cert_key_class(c->key_type, c->key_bits, c->curve);
		if (k != TLS_CLASS_UNKNOWN && (kworst == TLS_CLASS_UNKNOWN ||
		    k < kworst)) {
			kworst = k;
			snprintf(kwhy, sizeof(kwhy), "%s %s-%d%s%s at depth %u",
			    tls_class_words(k), c->key_type, c->key_bits,
			    c->curve[0] ? " " : "", c->curve, d);
		}
		s = rating_signature_class(c->sig_hash, c->sig_key);
		if (s != TLS_CLASS_UNKNOWN && (sworst == TLS_CLASS_UNKNOWN ||
		    s < sworst)) {
			sworst = s;
			snprintf(swhy, sizeof(swhy), "%s %s%s%s at depth %u",
			    tls_class_words(s), c->sig_hash[0] ? c->sig_hash :
			    "", c->sig_hash[0] ? " with " : "", c->sig_key, d);
		}
	}
	rate_check(r, RATE_CERT_KEY, kworst, "worst: %s", kwhy);
	rate_check(r, RATE_CERT_SIGNATURE, sworst, "worst: %s", swhy);
}

static void
rate_order(const struct tls_audit *a, struct endpoint_rating *r)
{
	if (a->cipher_order_kept == 1)
		rate_check(r, RATE_CIPHER_ORDER, TLS_CLASS_GOOD, "%s",
		    "prefers sufficient suites over phase-out ones");
	else if (a->cipher_order_kept == 0)
		rate_check(r, RATE_CIPHER_ORDER, TLS_CLASS_INSUFFICIENT,
		    "chose %s (phase out) over sufficient suites",
		    a->order_violation);
	else if (a->cipher_order_kept == -2)
		rate_check(r, RATE_CIPHER_ORDER, TLS_CLASS_GOOD, "%s",
		    "not applicable: no phase-out and better TLS 1.2 suites both");
}

static void
rate_session(const struct tls_audit *a, struct endpoint_rating *r)
{
	int only13 = a->version_accepted[TLSV_1_3] == 1 &&
	    a->version_accepted[TLSV_1_0] == 0 &&
	    a->version_accepted[TLSV_1_1] == 0 &&
	    a->version_accepted[TLSV_1_2] == 0;

	if (only13)
		rate_check(r, RATE_RENEGOTIATION, TLS_CLASS_GOOD, "%s",
		    "not applicable: TLS 1.3 only");
	else if (a->secure_renegotiation == 1)
		rate_check(r, RATE_RENEGOTIATION, TLS_CLASS_GOOD, "%s",
		    "secure renegotiation (RFC 5746) announced");
	else if (a->secure_renegotiation == 0)
		rate_check(r, RATE_RENEGOTIATION, TLS_CLASS_INSUFFICIENT, "%s",
		    "no secure renegotiation (RFC 5746)");
	if (a->compression == 1)
		rate_check(r, RATE_COMPRESSION, TLS_CLASS_INSUFFICIENT, "%s",
		    "TLS compression negotiated (CRIME)");
	else if (only13)
		rate_check(r, RATE_COMPRESSION, TLS_CLASS_GOOD, "%s",
		    "not applicable: TLS 1.3 only");
	else if (a->compression == 0)
		rate_check(r, RATE_COMPRESSION, TLS_CLASS_GOOD, "%s",
		    "no TLS compression");
	if (a->version_accepted[TLSV_1_2] == 0 &&
	    a->version_accepted[TLSV_1_3] != -1)
		rate_check(r, RATE_EXTENDED_MASTER_SECRET, TLS_CLASS_GOOD, "%s",
		    "not applicable: no TLS 1.2");
	else if (a->extms == 1)
		rate_check(r, RATE_EXTENDED_MASTER_SECRET, TLS_CLASS_GOOD, "%s",
		    "used in TLS 1.2");
	else if (a->extms == 0)
		rate_check(r, RATE_EXTENDED_MASTER_SECRET, TLS_CLASS_INSUFFICIENT, "%s",
		    "not supported in TLS 1.2 (RFC 7627)");
}

static void
rate_ocsp(const struct tls_facts *t, struct endpoint_rating *r)
{
	if (!t->have_cert)
		return;
	if (t->ocsp_stapled && strcmp(t->ocsp_status, "good") == 0)
		rate_check(r, RATE_OCSP_STAPLING, TLS_CLASS_GOOD, "%s",
		    "a response for the certificate is stapled");
	else if (t->ocsp_stapled)
		rate_check(r, RATE_OCSP_STAPLING, TLS_CLASS_PHASE_OUT,
		    "the stapled response says %s", t->ocsp_status);
	else if (!t->ocsp_in_cert)
		rate_check(r, RATE_OCSP_STAPLING, TLS_CLASS_GOOD, "%s",
		    "not applicable: the certificate names no OCSP responder");
	else
		rate_check(r, RATE_OCSP_STAPLING, TLS_CLASS_SUFFICIENT, "%s",
		    "no response stapled");
}

void
rating_endpoint(const struct tls_facts *t, const struct tls_audit *a,
    struct endpoint_rating *r)
{
	memset(r, 0, sizeof(*r));
	for (int c = 0; c < RATE__COUNT; c++)
		r->check[c].cls = TLS_CLASS_UNKNOWN;
	r->worst = TLS_CLASS_UNKNOWN;
	if (t != NULL && t->done) {
		rate_cert(t, r);
		rate_ocsp(t, r);
	}
	if (a != NULL && a->ran) {
		rate_version(a, r);
		rate_cipher(a, r);
		rate_kex(a, r);
		rate_order(a, r);
		rate_session(a, r);
	}
	for (int c = 0; c < RATE__COUNT; c++) {
		int cls = r->check[c].cls;

		if (cls == TLS_CLASS_UNKNOWN || !checks[c].in_worst)
			continue;
		if (r->worst == TLS_CLASS_UNKNOWN || cls < r->worst) {
			r->worst = (signed char)cls;
			r->worst_check = (enum rating_check)c;
		}
	}
}
