/* web/httptls.c: the served certificate replaced while running, a broken
 * replacement refused (the old one stays), the same one again a no-op. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "web/httptls.h"

static const char cert_a[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBcDCCARWgAwIBAgIUcjdPRZSZNUyQlnyXRKsWtBz3trQwCgYIKoZIzj0EAwIw\n"
	"DDEKMAgGA1UEAwwBYTAgFw0yNjEyMDMxNDAzMzJaGA8yMTI2MTEwOTE0MDMzMlow\n"
	"DDEKMAgGA1UEAwwBYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABAEmZn0J5NzX\n"
	"IF+5Ro5laaF3oiksCcg9ilcpwRzyRa96/rcjSbcr708Khj6lu4dC/Fp5vtQN2MY+\n"
	"WsrTVZyhn1ujUzBRMB0GA1UdDgQWBBQTUYNwXJCOzK7cIVG0r9NoMflL3DAfBgNV\n"
	"HSMEGDAWgBQTUYNwXJCOzK7cIVG0r9NoMflL3DAPBgNVHRMBAf8EBTADAQH/MAoG\n"
	"CCqGSM49BAMCA0kAMEYCIQDqwhj+VVPfpip2eQ1csuo/Hg3ude+ndz8divAWNEvC\n"
	"GgIhAJsXRXqCMZ5OWOmXW4ZTG2k8XS5qqN9IUP83sD70omkq\n"
	"-----END CERTIFICATE-----\n";

static const char key_a[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZnQcRywYwT7FTe6q\n"
	"4AS5LJ9yh+qYjdqMlT38IOMIMG6hRANCAAQBJmZ9CeTc1yBfuUaOZWmhd6IpLAnI\n"
	"PYpXKcEc8kWvev63I0m3K+9PCoY+pbuHQvxaeb7UDdjGPlrK01WcoZ9b\n"
	"-----END PRIVATE KEY-----\n";

static const char cert_b[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBbzCCARWgAwIBAgIURHFhXk2FXGgaNPRkgOQbK77PAjowCgYIKoZIzj0EAwIw\n"
	"DDEKMAgGA1UEAwwBYjAgFw0yNjEyMDMxNDAzMzJaGA8yMTI2MTEwOTE0MDMzMlow\n"
	"DDEKMAgGA1UEAwwBYjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABK8KBZHQHv2o\n"
	"y7v2OP9F90s+ujxN0Q8yG/nmUQ52UvFd12gDwN4QXg+kt4aGnKgBtc+5Kffgr1Pl\n"
	"XlJXZQO/Ky2jUzBRMB0GA1UdDgQWBBQPnPpAXATqexx/EzI6xy2CUAMkPjAfBgNV\n"
	"HSMEGDAWgBQPnPpAXATqexx/EzI6xy2CUAMkPjAPBgNVHRMBAf8EBTADAQH/MAoG\n"
	"CCqGSM49BAMCA0gAMEUCIQDBWmZOgprUfdBj/ASt5QvebfXPyYmcPOpdSAj5ZFh9\n"
	"FAIgXYjisKnlSC3l1BOfumMWcgATNgweT6MvowQJ5f/yKtY=\n"
	"-----END CERTIFICATE-----\n";

static const char key_b[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgkidpc8IHsAhLami/\n"
	"nOt4a/Jyh4nf7sW4bpMKUab5HCWhRANCAASvCgWR0B79qMu79jj/RfdLPro8TdEP\n"
	"Mhv55lEOdlLxXddoA8DeEF4PpLeGhpyoAbXPuSn34K9T5V5SV2UDvyst\n"
	"-----END PRIVATE KEY-----\n";

int
main(void)
{
	struct httptls *t;
	char err[256], *cut;

	CHECK(httptls_new("junk", key_a, TLS_CLIENT_AUTH_NONE, 60, err,
	    sizeof(err)) == NULL);
	CHECK(strncmp(err, "certificate: ", 13) == 0);
	CHECK(httptls_new(cert_a, "junk", TLS_CLIENT_AUTH_NONE, 60, err,
	    sizeof(err)) == NULL);
	CHECK(strncmp(err, "key: ", 5) == 0);
	t = httptls_new(cert_a, key_a, TLS_CLIENT_AUTH_REQUIRE_VERIFY, 60,
	    err, sizeof(err));
	CHECK(t != NULL);
	if (t == NULL)
		return unit_done("test_httptls");
	CHECK_INT(httptls_generation(t), 0);
	/* the same again: nothing to do */
	CHECK_INT(httptls_set_cert(t, cert_a, key_a, err, sizeof(err)), 0);
	CHECK_INT(httptls_generation(t), 0);
	/* a broken or cut replacement: refused, the old one stays */
	CHECK_INT(httptls_set_cert(t, "", key_b, err, sizeof(err)), -1);
	cut = strdup(cert_b);
	cut[strlen(cut) / 2] = '\0';
	CHECK_INT(httptls_set_cert(t, cut, key_b, err, sizeof(err)), -1);
	free(cut);
	CHECK_INT(httptls_set_cert(t, cert_b, "-----BEGIN PRIVATE KEY-----\n",
	    err, sizeof(err)), -1);
	CHECK_INT(httptls_generation(t), 0);
	/* rotations: the replaced ones are kept for handshakes in flight,
	 * and freed with the rest (ASan checks) */
	CHECK_INT(httptls_set_cert(t, cert_b, key_b, err, sizeof(err)), 0);
	CHECK_INT(httptls_generation(t), 1);
	CHECK_INT(httptls_set_cert(t, cert_a, key_a, err, sizeof(err)), 0);
	CHECK_INT(httptls_generation(t), 2);
	httptls_free(t);
	httptls_free(NULL);
	return unit_done("test_httptls");
}
