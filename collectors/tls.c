/* TLS client context and the inspection of a finished handshake, shared by
 * every protocol. */
#include "collectors/probe.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "daemon/util.h"

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
	/* Every probe must see the full handshake and the certificate. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
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

SSL *
probe_ssl_new(SSL_CTX *ctx, const char *servername)
{
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL)
		return NULL;
	if (servername && *servername && !is_ip_literal(servername))
		SSL_set_tlsext_host_name(ssl, servername);
	return ssl;
}

static double
asn1_time_epoch(const ASN1_TIME *t)
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
		if ((size_t)n >= outlen)
			n = (long)outlen - 1;
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

void
tls_inspect(SSL *ssl, const char *servername, struct tls_facts *f)
{
	STACK_OF(X509) *chain;
	X509 *leaf;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	long vr;

	f->done = 1;
	snprintf(f->version, sizeof(f->version), "%s", SSL_get_version(ssl));
	snprintf(f->cipher, sizeof(f->cipher), "%s", SSL_get_cipher_name(ssl));
	if ((leaf = SSL_get0_peer_certificate(ssl)) == NULL)
		return;
	f->have_cert = 1;
	vr = SSL_get_verify_result(ssl);
	f->verified = vr == X509_V_OK;
	if (!f->verified)
		snprintf(f->verify_error, sizeof(f->verify_error), "%s",
		    X509_verify_cert_error_string(vr));
	f->hostname_match = hostname_matches(leaf, servername);
	f->not_before = asn1_time_epoch(X509_get0_notBefore(leaf));
	f->not_after = asn1_time_epoch(X509_get0_notAfter(leaf));
	name_string(X509_get_subject_name(leaf), f->subject, sizeof(f->subject));
	name_string(X509_get_issuer_name(leaf), f->issuer, sizeof(f->issuer));
	serial_string(leaf, f->serial, sizeof(f->serial));
	if (X509_digest(leaf, EVP_sha256(), md, &mdlen) == 1)
		for (unsigned i = 0; i < mdlen && i < 32; i++)
			snprintf(f->fingerprint_sha256 + 2 * i, 3, "%02x", md[i]);
	/* The chain as presented (client side: it includes the leaf). */
	f->chain_earliest_not_after = f->not_after;
	chain = SSL_get_peer_cert_chain(ssl);
	f->chain_len = chain ? (unsigned)sk_X509_num(chain) : 1;
	for (int i = 0; chain && i < sk_X509_num(chain); i++) {
		double na = asn1_time_epoch(X509_get0_notAfter(
		    sk_X509_value(chain, i)));

		if (na != 0 && na < f->chain_earliest_not_after)
			f->chain_earliest_not_after = na;
	}
}
