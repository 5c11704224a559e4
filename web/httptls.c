#include "web/httptls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "base/log.h"
#include "base/util.h"

/* A leaf and its intermediates; more is a mistake in the file. */
#define HTTPTLS_MAX_CHAIN	16

/* One certificate (with its chain) and key, as GnuTLS serves them. */
struct cred {
	gnutls_pcert_st	 pcert[HTTPTLS_MAX_CHAIN];
	unsigned	 n_pcert;
	gnutls_privkey_t key;
	char		*cert_pem, *key_pem;	/* what it was made from */
	uint64_t	 retired_ms;		/* when replaced */
	struct cred	*next;			/* on the retired list */
};

struct httptls {
	struct cred		*cur;
	struct cred		*retired;	/* replaced, maybe still in a handshake */
	enum tls_client_auth	 auth;
	uint64_t		 retire_ms;
	unsigned		 generation;
};

static void
cred_free(struct cred *c)
{
	if (c == NULL)
		return;
	for (unsigned i = 0; i < c->n_pcert; i++)
		gnutls_pcert_deinit(&c->pcert[i]);
	if (c->key != NULL)
		gnutls_privkey_deinit(c->key);
	if (c->key_pem != NULL)
		explicit_bzero(c->key_pem, strlen(c->key_pem));
	free(c->key_pem);
	free(c->cert_pem);
	free(c);
}

static struct cred *
cred_new(const char *cert_pem, const char *key_pem, char *err, size_t errlen)
{
	struct cred *c = xcalloc(1, sizeof(*c));
	gnutls_datum_t d;
	unsigned n = HTTPTLS_MAX_CHAIN;
	int r;

	d.data = (unsigned char *)(uintptr_t)cert_pem;
	d.size = (unsigned)strlen(cert_pem);
	r = gnutls_pcert_list_import_x509_raw(c->pcert, &n, &d,
	    GNUTLS_X509_FMT_PEM, GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	if (r < 0 || n == 0) {
		snprintf(err, errlen, "certificate: %s", r < 0 ?
		    gnutls_strerror(r) : "no certificate in it");
		free(c);
		return NULL;
	}
	c->n_pcert = n;
	d.data = (unsigned char *)(uintptr_t)key_pem;
	d.size = (unsigned)strlen(key_pem);
	if ((r = gnutls_privkey_init(&c->key)) < 0 ||
	    (r = gnutls_privkey_import_x509_raw(c->key, &d,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		snprintf(err, errlen, "key: %s", gnutls_strerror(r));
		cred_free(c);
		return NULL;
	}
	c->cert_pem = xstrdup(cert_pem);
	c->key_pem = xstrdup(key_pem);
	return c;
}

/* Frees the replaced credentials no handshake can still be using. */
static void
retired_sweep(struct httptls *t, uint64_t now, int all)
{
	struct cred **pp = &t->retired, *c;

	while ((c = *pp) != NULL) {
		if (all || now - c->retired_ms >= t->retire_ms) {
			*pp = c->next;
			cred_free(c);
		} else
			pp = &c->next;
	}
}

struct httptls *
httptls_new(const char *cert_pem, const char *key_pem,
    enum tls_client_auth auth, unsigned retire_s, char *err, size_t errlen)
{
	struct httptls *t = xcalloc(1, sizeof(*t));

	if ((t->cur = cred_new(cert_pem, key_pem, err, errlen)) == NULL) {
		free(t);
		return NULL;
	}
	t->auth = auth;
	t->retire_ms = (uint64_t)retire_s * 1000;
	return t;
}

void
httptls_free(struct httptls *t)
{
	if (t == NULL)
		return;
	retired_sweep(t, 0, 1);
	cred_free(t->cur);
	free(t);
}

int
httptls_set_cert(struct httptls *t, const char *cert_pem, const char *key_pem,
    char *err, size_t errlen)
{
	struct cred *c;
	uint64_t now = now_ms();

	retired_sweep(t, now, 0);
	if (strcmp(cert_pem, t->cur->cert_pem) == 0 &&
	    strcmp(key_pem, t->cur->key_pem) == 0)
		return 0;
	if ((c = cred_new(cert_pem, key_pem, err, errlen)) == NULL)
		return -1;
	/* A handshake under way may hold pointers into the old one. */
	t->cur->retired_ms = now;
	t->cur->next = t->retired;
	t->retired = t->cur;
	t->cur = c;
	t->generation++;
	return 0;
}

unsigned
httptls_generation(const struct httptls *t)
{
	return t->generation;
}

/* gnutls_certificate_retrieve_function2: the current certificate. */
static int
retrieve_cb(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
    int n_req_ca_dn, const gnutls_pk_algorithm_t *pk_algos, int n_pk_algos,
    gnutls_pcert_st **pcert, unsigned int *n_pcert, gnutls_privkey_t *key)
{
	struct httptls *t = gnutls_session_get_ptr(session);

	(void)req_ca_dn;
	(void)n_req_ca_dn;
	(void)pk_algos;
	(void)n_pk_algos;
	if (t == NULL)
		return -1;
	*pcert = t->cur->pcert;
	*n_pcert = t->cur->n_pcert;
	*key = t->cur->key;
	return 0;
}

void *
httptls_cert_callback(void)
{
	gnutls_certificate_retrieve_function2 *f = retrieve_cb;

	return (void *)(uintptr_t)f;
}

/* gnutls_certificate_verify_function: after the client's Certificate
 * message; non-zero fails the handshake (a bad_certificate alert). */
static int
verify_cb(gnutls_session_t session)
{
	struct httptls *t = gnutls_session_get_ptr(session);
	unsigned n = 0, status = 0;
	gnutls_datum_t out = { NULL, 0 };
	char q[LOG_QUOTE_MAX];
	int r;

	if (t == NULL)
		return -1;
	if (gnutls_certificate_get_peers(session, &n) == NULL || n == 0) {
		if (t->auth == TLS_CLIENT_AUTH_VERIFY_IF_GIVEN)
			return 0;
		log_info("tls_client_rejected", "reason=no_certificate");
		return -1;
	}
	r = gnutls_certificate_verify_peers2(session, &status);
	if (r == 0 && status == 0)
		return 0;
	if (r < 0)
		log_info("tls_client_rejected", "reason=verify_error msg=%s",
		    log_quote(q, sizeof(q), gnutls_strerror(r)));
	else if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) == 0) {
		log_info("tls_client_rejected", "reason=untrusted msg=%s",
		    log_quote(q, sizeof(q), (const char *)out.data));
		gnutls_free(out.data);
	} else
		log_info("tls_client_rejected", "reason=untrusted");
	return -1;
}

void
httptls_session_start(struct httptls *t, void *session)
{
	gnutls_session_t s = session;

	gnutls_session_set_ptr(s, t);
	switch (t->auth) {
	case TLS_CLIENT_AUTH_NONE:
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_IGNORE);
		break;
	case TLS_CLIENT_AUTH_REQUEST:
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
		break;
	case TLS_CLIENT_AUTH_REQUIRE_ANY:
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
		break;
	case TLS_CLIENT_AUTH_VERIFY_IF_GIVEN:
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
		gnutls_session_set_verify_function(s, verify_cb);
		break;
	case TLS_CLIENT_AUTH_REQUIRE_VERIFY:
	default:
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
		gnutls_session_set_verify_function(s, verify_cb);
		break;
	}
}
