/* The HTTPS side of the listener (web/http.c): the certificate it serves,
 * which can be replaced while it runs (cert-manager rotation), and the
 * client-certificate policy of exporter-toolkit's client_auth_type, both
 * applied to each GnuTLS session libmicrohttpd creates.
 *
 * libmicrohttpd (Debian: GnuTLS) only ever asks for a client certificate
 * (GNUTLS_CERT_REQUEST, when given a trust list) and never verifies one; so
 * each session is set up here when MHD announces the connection: the request
 * mode (request or require) and a verify function that fails the handshake,
 * as exporter-toolkit does, when the certificate does not chain to
 * client_ca_file. */
#ifndef MAILSEC_HTTPTLS_H
#define MAILSEC_HTTPTLS_H

#include <stddef.h>

#include "daemon/config.h"

struct httptls;

/* cert_pem may hold the chain after the leaf; both are copied.  NULL with
 * a message on a certificate or key GnuTLS does not take.  retire_s: how
 * long a replaced certificate stays alive for handshakes in flight. */
struct httptls *httptls_new(const char *cert_pem, const char *key_pem,
    enum tls_client_auth auth, unsigned retire_s, char *err, size_t errlen);
void httptls_free(struct httptls *t);

/* The certificate served from the next handshake on; on -1 (with a
 * message) the current one stays.  0 also when nothing changed. */
int httptls_set_cert(struct httptls *t, const char *cert_pem,
    const char *key_pem, char *err, size_t errlen);
/* How many times the certificate was replaced (for the tests and logs). */
unsigned httptls_generation(const struct httptls *t);

/* A new session (a gnutls_session_t): the policy and the certificate
 * callback's context.  From MHD's connection-started notification. */
void httptls_session_start(struct httptls *t, void *session);
/* The function MHD_OPTION_HTTPS_CERT_CALLBACK takes
 * (gnutls_certificate_retrieve_function2). */
void *httptls_cert_callback(void);

#endif
