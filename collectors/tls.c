/* TLS client context and the inspection of a finished handshake, shared by
 * every protocol. */
#include "collectors/probe.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/util.h"

SSL_CTX *
probe_ssl_ctx_new(const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "SSL_CTX_new failed");
		return NULL;
	}
	/* Level 0: a legacy server must still complete the handshake so that
	 * we can report what it offers instead of a bare failure. */
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* DANE is turned on per connection (probe_ssl_new) where a secure
	 * TLSA set exists; without SSL_dane_enable nothing changes. */
	if (SSL_CTX_dane_enable(ctx) <= 0) {
		snprintf(err, errlen, "SSL_CTX_dane_enable failed");
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* Every probe must see the full handshake and the certificate. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
	/* The record buffers (~34 KiB a connection) are freed whenever a
	 * connection has nothing buffered: with hundreds of probes in flight
	 * that is most of the memory they hold while they wait on the peer. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (ca_file && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		unsigned long e = ERR_get_error();

		snprintf(err, errlen, "cannot load ca_file %s: %s", ca_file,
		    e ? ERR_reason_error_string(e) : "unknown error");
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int
is_ip_literal(const char *s)
{
	unsigned char tmp[16];

	return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

/* The usable records of the set as OpenSSL's DANE records, the base
 * domain and the other names as reference identifiers for DANE-TA (DANE-EE
 * ignores names: RFC 7672 3.1.1).  0 with no usable record: then the
 * connection is left without DANE.  -1 on an OpenSSL failure. */
static int
dane_setup(SSL *ssl, const struct probe_params *p)
{
	int added = 0;

	if (dane_match_chain(p->dane_tlsa, NULL) == 0)
		return 0;
	if (p->dane_base == NULL || SSL_dane_enable(ssl, p->dane_base) <= 0)
		return -1;
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (size_t i = 0; i < ARRAY_LEN(p->dane_names); i++)
		if (p->dane_names[i] != NULL &&
		    SSL_add1_host(ssl, p->dane_names[i]) != 1)
			return -1;
	for (size_t i = 0; i < p->dane_tlsa->n; i++) {
		const struct tlsa_record *r = &p->dane_tlsa->recs[i];

		if (r->match == DANE_UNUSABLE)
			continue;
		/* > 0 added, 0 unusable to OpenSSL, < 0 an error */
		if (SSL_dane_tlsa_add(ssl, r->usage, r->selector, r->mtype,
		    r->data, r->len) > 0)
			added++;
	}
	ERR_clear_error();
	return added;
}

SSL *
probe_ssl_new(const struct probe_params *p)
{
	SSL *ssl = SSL_new(p->ssl_ctx);

	if (ssl == NULL)
		return NULL;
	if (p->servername && *p->servername && !is_ip_literal(p->servername))
		SSL_set_tlsext_host_name(ssl, p->servername);
	SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
	if ((p->tls_min && !SSL_set_min_proto_version(ssl, p->tls_min)) ||
	    (p->tls_max && !SSL_set_max_proto_version(ssl, p->tls_max)) ||
	    (p->cipher_list && !SSL_set_cipher_list(ssl, p->cipher_list)) ||
	    (p->tls13_suites && !SSL_set_ciphersuites(ssl, p->tls13_suites)) ||
	    (p->groups && !SSL_set1_groups_list(ssl, p->groups)) ||
	    (p->dane_tlsa != NULL && dane_setup(ssl, p) < 0)) {
		ERR_clear_error();
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

double
tls_asn1_time_epoch(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (double)timegm(&tm);
}

static void
name_string(X509_NAME *name, char *out, size_t outlen)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;

	out[0] = '\0';
	if (bio == NULL)
		return;
	if (X509_NAME_print_ex(bio, name, 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_get_mem_data(bio, &data);
		if (n < 0)
			n = 0;
		if ((size_t)n >= outlen) {
			n = (long)outlen - 1;
			/* Cut at a character boundary (the output is UTF-8):
			 * half a character in a label value makes the whole
			 * exposition invalid, and Prometheus drops the scrape. */
			while (n > 0 && ((unsigned char)data[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(bio);
}

static void
serial_string(X509 *x, char *out, size_t outlen)
{
	const ASN1_INTEGER *ai = X509_get0_serialNumber(x);
	size_t o = 0;

	/* The bytes as `openssl x509 -serial` prints them. */
	out[0] = '\0';
	if (ai == NULL)
		return;
	for (int i = 0; i < ai->length && o + 3 <= outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%02X", ai->data[i]);
	if (o == 0 && outlen > 2)
		snprintf(out, outlen, "00");
}

static int
hostname_matches(X509 *leaf, const char *name)
{
	if (name == NULL || *name == '\0')
		return 0;
	if (is_ip_literal(name))
		return X509_check_ip_asc(leaf, name, 0) == 1;
	return X509_check_host(leaf, name, strlen(name),
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
}

static void
key_facts(X509 *leaf, struct tls_facts *f)
{
	EVP_PKEY *pk = X509_get0_pubkey(leaf);
	const char *name;
	int md = NID_undef, pkey_nid = NID_undef;

	if (pk) {
		f->key_bits = EVP_PKEY_get_bits(pk);
		name = EVP_PKEY_get0_type_name(pk);	/* "RSA", "EC", "ED25519" */
		snprintf(f->key_type, sizeof(f->key_type), "%s",
		    name ? name : "unknown");
	}
	name = OBJ_nid2ln(X509_get_signature_nid(leaf));
	probe_str_set(&f->sig_alg, name ? name : "unknown", TLS_SIG_ALG_MAX);
	if (OBJ_find_sigid_algs(X509_get_signature_nid(leaf), &md, &pkey_nid))
		f->sig_weak = md == NID_sha1 || md == NID_md5 || md == NID_md2 ||
		    md == NID_md4;
	/* Self-signed as OpenSSL 3 flags it: its own issuer by name, its
	 * authority key id (if any) its own key id, and signed with an
	 * algorithm of its own key's type.  The signature is not checked. */
	f->self_signed = (X509_get_extension_flags(leaf) & EXFLAG_SS) != 0;
}

/* The leaf's issuer: from the verified path when it verifies, else the
 * presented certificate that issued it (by name and key id), or NULL. */
static X509 *
leaf_issuer(SSL *ssl, X509 *leaf, STACK_OF(X509) *verified_path)
{
	STACK_OF(X509) *chain = verified_path != NULL ? verified_path :
	    SSL_get_peer_cert_chain(ssl);

	for (int i = 0; chain && i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);

		if (X509_cmp(c, leaf) != 0 && X509_check_issued(c, leaf) ==
		    X509_V_OK)
			return c;
	}
	return NULL;
}

/* The leaf's status in a response: found by its CertID (SHA-1, as CAs and
 * OpenSSL make them, else SHA-256), never by position; -1 if absent. */
static int
ocsp_leaf_status(OCSP_BASICRESP *basic, X509 *leaf, X509 *issuer)
{
	const EVP_MD *mds[2] = { EVP_sha1(), EVP_sha256() };
	int status = -1, reason;

	for (size_t i = 0; i < 2 && status == -1 && issuer != NULL; i++) {
		OCSP_CERTID *id = OCSP_cert_to_id(mds[i], leaf, issuer);

		if (id != NULL && OCSP_resp_find_status(basic, id, &status,
		    &reason, NULL, NULL, NULL) != 1)
			status = -1;
		OCSP_CERTID_free(id);
	}
	return status;
}

/* The stapled OCSP response, as sent: its signature is not verified, so
 * it tells what the server staples, not a revocation verdict of ours. */
static void
ocsp_facts(SSL *ssl, X509 *leaf, X509 *issuer, struct tls_facts *f)
{
	const unsigned char *der, *p;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *basic;
	long len = SSL_get_tlsext_status_ocsp_resp(ssl, &der);
	int status;

	if (len <= 0 || der == NULL)
		return;
	f->ocsp_stapled = 1;
	snprintf(f->ocsp_status, sizeof(f->ocsp_status), "malformed");
	p = der;
	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, len)) == NULL) {
		ERR_clear_error();
		return;
	}
	if (OCSP_response_status(resp) == OCSP_RESPONSE_STATUS_SUCCESSFUL &&
	    (basic = OCSP_response_get1_basic(resp)) != NULL) {
		status = ocsp_leaf_status(basic, leaf, issuer);
		snprintf(f->ocsp_status, sizeof(f->ocsp_status), "%s",
		    status == V_OCSP_CERTSTATUS_GOOD ? "good" :
		    status == V_OCSP_CERTSTATUS_REVOKED ? "revoked" : "unknown");
		OCSP_BASICRESP_free(basic);
	}
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
}

static void
kex_facts(SSL *ssl, struct tls_facts *f)
{
	EVP_PKEY *tmp = NULL;
	const char *name = NULL;
	int nid, have_tmp = 0, is_dh = 0;

	if (SSL_get_peer_tmp_key(ssl, &tmp) == 1 && tmp != NULL) {
		have_tmp = 1;
		f->kex_bits = EVP_PKEY_get_bits(tmp);
		is_dh = EVP_PKEY_get_base_id(tmp) == EVP_PKEY_DH;
		EVP_PKEY_free(tmp);
	}
	/* The group by its TLS name: "x25519", "secp256r1", and in TLS 1.3
	 * also the finite-field ones, "ffdhe2048". */
	nid = SSL_get_negotiated_group(ssl);
	if (nid != NID_undef && nid != 0)
		name = SSL_group_to_name(ssl, nid);
	/* Finite-field DHE in TLS 1.2 negotiates no named group. */
	if (name == NULL && is_dh)
		name = "DH";
	if (name == NULL && have_tmp)
		name = "unknown";
	probe_str_set(&f->kex_group, name, TLS_KEX_GROUP_MAX);
	f->secure_renegotiation = SSL_version(ssl) >= TLS1_3_VERSION ? -1 :
	    SSL_get_secure_renegotiation_support(ssl) ? 1 : 0;
	f->extms = SSL_version(ssl) >= TLS1_3_VERSION ? -1 :
	    SSL_get_extms_support(ssl) == 1;
	f->compression = SSL_get_current_compression(ssl) != NULL;
}

/* The RFC 7919 name of a finite-field DH key's group: OpenSSL 3 knows the
 * named groups by their prime and generator. */
static void
dh_group_name(SSL *ssl, struct tls_facts *f)
{
	EVP_PKEY *tmp = NULL;
	size_t len = 0;

	if (SSL_get_peer_tmp_key(ssl, &tmp) != 1 || tmp == NULL)
		return;
	if (EVP_PKEY_get_base_id(tmp) != EVP_PKEY_DH ||
	    EVP_PKEY_get_utf8_string_param(tmp, OSSL_PKEY_PARAM_GROUP_NAME,
	    f->dh_group, sizeof(f->dh_group), &len) != 1)
		f->dh_group[0] = '\0';
	EVP_PKEY_free(tmp);
	ERR_clear_error();
}

/* Key and signature of one certificate, as the ratings judge them. */
static void
cert_crypto_facts(X509 *x, struct cert_crypto *c)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	const char *name;
	int md = NID_undef, pknid = NID_undef;
	size_t len = 0;

	if (pk) {
		c->key_bits = EVP_PKEY_get_bits(pk);
		name = EVP_PKEY_get0_type_name(pk);
		snprintf(c->key_type, sizeof(c->key_type), "%s",
		    name ? name : "unknown");
		if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
		    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
		    c->curve, sizeof(c->curve), &len) != 1)
			c->curve[0] = '\0';
	}
	/* X509_get_signature_info knows RSA-PSS's hash too. */
	if (X509_get_signature_info(x, &md, &pknid, NULL, NULL) == 1) {
		name = md != NID_undef ? OBJ_nid2sn(md) : "";
		snprintf(c->sig_hash, sizeof(c->sig_hash), "%s", name ? name : "");
		name = pknid == EVP_PKEY_RSA_PSS ? "RSA-PSS" :
		    pknid == EVP_PKEY_RSA ? "RSA" : pknid == EVP_PKEY_EC ? "EC" :
		    pknid == EVP_PKEY_DSA ? "DSA" : pknid == EVP_PKEY_ED25519 ?
		    "ED25519" : pknid == EVP_PKEY_ED448 ? "ED448" : "unknown";
		snprintf(c->sig_key, sizeof(c->sig_key), "%s", name);
	} else
		snprintf(c->sig_hash, sizeof(c->sig_hash), "unknown");
	c->self_signed = (X509_get_extension_flags(x) & EXFLAG_SS) != 0;
	ERR_clear_error();
}

/* The earliest expiry of a chain, at most `leaf` (the leaf's). */
static double
chain_earliest(STACK_OF(X509) *chain, double leaf)
{
	double earliest = leaf;

	for (int i = 0; chain && i < sk_X509_num(chain); i++) {
		double na = tls_asn1_time_epoch(X509_get0_notAfter(
		    sk_X509_value(chain, i)));

		if (na != 0 && na < earliest)
			earliest = na;
	}
	return earliest;
}

/* The PKIX verdict of a connection with DANE on: the handshake's own
 * verification was DANE's, so the presented chain is verified again here
 * as OpenSSL verifies it without DANE (the context's store, the server
 * purpose, no reference names: the name is checked apart).  Returns the
 * result; *path is the verified path (the caller frees it) or NULL. */
static long
pkix_verify_apart(SSL *ssl, X509 *leaf, STACK_OF(X509) **path)
{
	X509_STORE_CTX *xs = X509_STORE_CTX_new();
	long vr = X509_V_ERR_UNSPECIFIED;

	*path = NULL;
	if (xs == NULL)
		return vr;
	if (X509_STORE_CTX_init(xs, SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl)),
	    leaf, SSL_get_peer_cert_chain(ssl)) == 1 &&
	    X509_STORE_CTX_set_default(xs, "ssl_server") == 1) {
		if (X509_verify_cert(xs) == 1) {
			vr = X509_V_OK;
			*path = X509_STORE_CTX_get1_chain(xs);
		} else
			vr = X509_STORE_CTX_get_error(xs);
	}
	X509_STORE_CTX_free(xs);
	ERR_clear_error();
	return vr;
}

/* Why DANE did not authenticate, from OpenSSL's verdict and our own
 * record matching. */
static enum dane_reason
dane_failure(long vr, const struct tlsa_set *tlsa)
{
	int ta_only = 1;

	switch (vr) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
		return DANE_REASON_NAME_MISMATCH;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return DANE_REASON_EXPIRED;
	default:
		break;
	}
	for (size_t i = 0; i < tlsa->n; i++) {
		const struct tlsa_record *r = &tlsa->recs[i];

		if (r->match == DANE_MATCHES)
			return DANE_REASON_NO_MATCH;	/* matched, yet failed */
		if (r->match == DANE_NO_MATCH && r->usage != DANE_TA)
			ta_only = 0;
	}
	/* Nothing matched: with only DANE-TA records, the CA they pin was
	 * not in what the server sent. */
	return ta_only ? DANE_REASON_TA_NOT_PRESENTED : DANE_REASON_NO_MATCH;
}

/* DANE facts: each record against every presented certificate (ours, as
 * OpenSSL names only its first match), then the handshake's verdict. */
static void
dane_facts(SSL *ssl, struct tlsa_set *tlsa, struct dane_facts *d)
{
	EVP_PKEY *mspki = NULL;
	X509 *mcert = NULL;
	long vr;

	d->checked = 1;
	d->depth = -1;
	/* usable records: dane_setup() enabled DANE on this connection */
	d->enabled = dane_match_chain(tlsa, SSL_get_peer_cert_chain(ssl)) > 0;
	dane_tally(tlsa, &d->tally);
	d->rollover_ready = dane_rollover_ready(tlsa);
	if (!d->enabled) {
		d->reason = DANE_REASON_UNUSABLE;
		return;
	}
	vr = SSL_get_verify_result(ssl);
	d->depth = SSL_get0_dane_authority(ssl, &mcert, &mspki);
	d->valid = vr == X509_V_OK && d->depth >= 0;
	if (d->valid) {
		d->reason = DANE_REASON_NONE;
		return;
	}
	d->reason = dane_failure(vr, tlsa);
	probe_str_set(&d->error, vr == X509_V_OK ?
	    "no TLSA record authenticated the peer" :
	    X509_verify_cert_error_string(vr), TLS_VERIFY_ERROR_MAX);
}

void
tls_inspect(SSL *ssl, const char *servername, struct tlsa_set *tlsa,
    struct tls_facts *f)
{
	STACK_OF(X509) *chain, *apart = NULL, *verified_path = NULL;
	X509 *leaf;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	long vr;

	f->done = 1;
	snprintf(f->version, sizeof(f->version), "%s", SSL_get_version(ssl));
	probe_str_set(&f->cipher, SSL_get_cipher_name(ssl), TLS_CIPHER_MAX);
	kex_facts(ssl, f);
	dh_group_name(ssl, f);
	if ((leaf = SSL_get0_peer_certificate(ssl)) == NULL)
		return;
	f->have_cert = 1;
	key_facts(leaf, f);
	if (tlsa != NULL) {
		if (f->dane == NULL) {
			f->dane = xcalloc(1, sizeof(*f->dane));
			f->dane->error = probe_str_empty;
		}
		dane_facts(ssl, tlsa, f->dane);
	}
	if (tls_dane(f)->enabled) {
		vr = pkix_verify_apart(ssl, leaf, &apart);
		verified_path = apart;
	} else {
		vr = SSL_get_verify_result(ssl);
		if (vr == X509_V_OK)
			verified_path = SSL_get0_verified_chain(ssl);
	}
	f->verified = vr == X509_V_OK;
	ocsp_facts(ssl, leaf, leaf_issuer(ssl, leaf, verified_path), f);
	if (!f->verified)
		probe_str_set(&f->verify_error,
		    X509_verify_cert_error_string(vr), TLS_VERIFY_ERROR_MAX);
	f->hostname_match = hostname_matches(leaf, servername);
	f->not_before = tls_asn1_time_epoch(X509_get0_notBefore(leaf));
	f->not_after = tls_asn1_time_epoch(X509_get0_notAfter(leaf));
	{
		char name[TLS_NAME_MAX], serial[TLS_SERIAL_MAX];
		char fp[TLS_FINGERPRINT_MAX] = "";

		name_string(X509_get_subject_name(leaf), name, sizeof(name));
		probe_str_set(&f->subject, name, sizeof(name));
		name_string(X509_get_issuer_name(leaf), name, sizeof(name));
		probe_str_set(&f->issuer, name, sizeof(name));
		serial_string(leaf, serial, sizeof(serial));
		probe_str_set(&f->serial, serial, sizeof(serial));
		if (X509_digest(leaf, EVP_sha256(), md, &mdlen) == 1)
			for (unsigned i = 0; i < mdlen && i < 32; i++)
				snprintf(fp + 2 * i, 3, "%02x", md[i]);
		probe_str_set(&f->fingerprint_sha256, fp, sizeof(fp));
	}
	/* The chain as presented (client side: it includes the leaf). */
	f->chain_not_after[0] = f->not_after;
	chain = SSL_get_peer_cert_chain(ssl);
	f->chain_len = chain ? (unsigned)sk_X509_num(chain) : 1;
	free(f->chain_crypto);
	f->chain_crypto = xcalloc(f->chain_len == 0 ? 1 : f->chain_len <
	    CHAIN_MAX ? f->chain_len : CHAIN_MAX, sizeof(*f->chain_crypto));
	for (int i = 0; chain && i < sk_X509_num(chain) && i < CHAIN_MAX; i++) {
		f->chain_not_after[i] = tls_asn1_time_epoch(X509_get0_notAfter(
		    sk_X509_value(chain, i)));
		cert_crypto_facts(sk_X509_value(chain, i), &f->chain_crypto[i]);
	}
	if (chain == NULL)
		cert_crypto_facts(leaf, &f->chain_crypto[0]);
	{
		STACK_OF(OPENSSL_STRING) *ocsp = X509_get1_ocsp(leaf);

		f->ocsp_in_cert = ocsp != NULL && sk_OPENSSL_STRING_num(ocsp) > 0;
		X509_email_free(ocsp);
	}
	f->presented_chain_earliest_not_after = chain_earliest(chain,
	    f->not_after);
	/* What counts is the path OpenSSL built and verified: a server may
	 * send certificates it skips (an expired cross-sign). */
	f->chain_earliest_not_after = f->verified ?
	    chain_earliest(verified_path, f->not_after) :
	    f->presented_chain_earliest_not_after;
	sk_X509_pop_free(apart, X509_free);
}
