#include "collectors/audit.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "daemon/util.h"

static const struct {
	const char	*name;		/* OpenSSL's spelling, as SSL_get_version */
	int		 version;
} tls_versions[TLSV__COUNT] = {
	[TLSV_1_0] = { "TLSv1", TLS1_VERSION },
	[TLSV_1_1] = { "TLSv1.1", TLS1_1_VERSION },
	[TLSV_1_2] = { "TLSv1.2", TLS1_2_VERSION },
	[TLSV_1_3] = { "TLSv1.3", TLS1_3_VERSION },
};

static const struct {
	const char	*name;
	const char	*ciphers;	/* OpenSSL cipher list of the class */
} weak_classes[WEAK__COUNT] = {
	[WEAK_NULL] = { "null", "eNULL:@SECLEVEL=0" },
	[WEAK_ANON] = { "anon", "aNULL:!eNULL:@SECLEVEL=0" },
	[WEAK_EXPORT] = { "export", "EXPORT:@SECLEVEL=0" },
	[WEAK_DES] = { "des", "DES:!3DES:@SECLEVEL=0" },
	[WEAK_3DES] = { "3des", "3DES:@SECLEVEL=0" },
	[WEAK_RC4] = { "rc4", "RC4:@SECLEVEL=0" },
	[WEAK_MD5] = { "md5", "MD5:@SECLEVEL=0" },
	[WEAK_STATIC_RSA] = { "static_rsa", "kRSA:@SECLEVEL=0" },
};

/* Order test: suites most servers have, strongest first. */
#define ORDER_LIST "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:" \
	"DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:" \
	"AES256-GCM-SHA384:AES128-GCM-SHA256:AES128-SHA"

const char *
tls_ver_name(enum tls_ver v)
{
	return (unsigned)v < TLSV__COUNT ? tls_versions[v].name : "unknown";
}

const char *
weak_class_name(enum weak_class c)
{
	return (unsigned)c < WEAK__COUNT ? weak_classes[c].name : "unknown";
}

static int
weak_class_probe(enum weak_class c)
{
	SSL_CTX *ctx;
	int ok;

	if ((unsigned)c >= WEAK__COUNT ||
	    (ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return 0;
	SSL_CTX_set_security_level(ctx, 0);
	ok = SSL_CTX_set_cipher_list(ctx, weak_classes[c].ciphers) == 1;
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return ok;
}

unsigned
weak_classes_testable(void)
{
	unsigned mask = 0;

	for (unsigned c = 0; c < WEAK__COUNT; c++)
		if (weak_class_probe((enum weak_class)c))
			mask |= 1u << c;
	return mask;
}

void
tls_audit_init(struct tls_audit *a)
{
	memset(a, 0, sizeof(*a));
	memset(a->version_accepted, -1, sizeof(a->version_accepted));
	memset(a->weak_accepted, -1, sizeof(a->weak_accepted));
	a->dhe_bits = -1;
	a->server_cipher_order = -1;
	a->secure_renegotiation = -1;
	a->starttls_injection = -1;
}

static void
skip_untestable(struct audit_cursor *cur)
{
	while (cur->step == AUDIT_WEAK && cur->index < WEAK__COUNT &&
	    !(cur->testable & (1u << cur->index)))
		cur->index++;
	if (cur->step == AUDIT_WEAK && cur->index >= WEAK__COUNT) {
		cur->step = AUDIT_DHE;
		cur->index = 0;
	}
}

void
audit_begin(struct audit_cursor *cur, unsigned testable)
{
	memset(cur, 0, sizeof(*cur));
	cur->step = AUDIT_VERSION;
	cur->testable = testable;
	cur->started_ms = now_ms();
}

void
audit_test_injection(struct audit_cursor *cur)
{
	cur->step = AUDIT_INJECTION;
	cur->index = 0;
}

/* ORDER_LIST reversed, for the second order handshake. */
static void
reverse_list(const char *list, char *out, size_t outlen)
{
	const char *end = list + strlen(list), *p = end;
	size_t o = 0;

	out[0] = '\0';
	while (p > list) {
		const char *start = p;

		while (start > list && start[-1] != ':')
			start--;
		o += (size_t)snprintf(out + o, o < outlen ? outlen - o : 0, "%s%.*s",
		    o ? ":" : "", (int)(p - start), start);
		p = start > list ? start - 1 : list;
	}
}

void
audit_params(struct audit_cursor *cur, struct probe_params *p)
{
	p->tls_min = p->tls_max = 0;
	p->cipher_list = NULL;
	p->starttls_inject = 0;
	switch (cur->step) {
	case AUDIT_INJECTION:	/* the default handshake: it is known to work */
		p->starttls_inject = 1;
		break;
	case AUDIT_VERSION:
		p->tls_min = p->tls_max = tls_versions[cur->index].version;
		p->cipher_list = "ALL:COMPLEMENTOFALL:@SECLEVEL=0";
		break;
	case AUDIT_WEAK:
		/* TLS 1.3 suites are not affected by a cipher list: keep them
		 * out so that only the class can succeed. */
		p->tls_max = TLS1_2_VERSION;
		p->cipher_list = weak_classes[cur->index].ciphers;
		break;
	case AUDIT_DHE:
		p->tls_max = TLS1_2_VERSION;
		p->cipher_list = "kDHE:@SECLEVEL=0";
		break;
	case AUDIT_ORDER_A:
		p->tls_max = p->tls_min = TLS1_2_VERSION;
		p->cipher_list = ORDER_LIST ":@SECLEVEL=0";
		break;
	case AUDIT_ORDER_B:
		p->tls_max = p->tls_min = TLS1_2_VERSION;
		reverse_list(ORDER_LIST, cur->cipher_list, sizeof(cur->cipher_list));
		p->cipher_list = cur->cipher_list;
		break;
	case AUDIT_ORDER_C:
		p->tls_max = p->tls_min = TLS1_2_VERSION;
		p->cipher_list = cur->cipher_list;	/* set by audit_record */
		break;
	case AUDIT_DONE:
		break;
	}
}

/* Did this handshake get through?  1 yes, 0 refused by the TLS layer, -1
 * failed before TLS (unknown). */
static int
accepted(const struct probe_outcome *out)
{
	if (out->tls.done)
		return 1;
	if (out->reason == REASON_TLS)
		return 0;
	return -1;
}

/* The injection test's verdict.  The session tells it when TLS came up;
 * when the server accepted STARTTLS and then ended the session at the
 * handshake instead (Dovecot closes on data pipelined after STARTTLS), or
 * answered the NOOP in clear text before it, it did not run the command
 * inside TLS: not vulnerable.  The default handshake is known to work
 * with this server: the probe before the audit made it. */
static int
injection_verdict(const struct probe_outcome *out)
{
	if (out->starttls_injection >= 0)
		return out->starttls_injection;
	if (!out->tls.done && out->fail_step == STEP_TLS_HANDSHAKE &&
	    (out->reason == REASON_CONN || out->reason == REASON_TLS ||
	    out->reason == REASON_PROTO))
		return 0;
	return -1;
}

int
audit_record(struct audit_cursor *cur, struct tls_audit *a,
    const struct probe_outcome *out)
{
	int ok = accepted(out);

	a->ran = 1;
	a->handshakes++;
	switch (cur->step) {
	case AUDIT_INJECTION:
		a->starttls_injection = (signed char)injection_verdict(out);
		cur->step = AUDIT_VERSION;
		break;
	case AUDIT_VERSION:
		a->version_accepted[cur->index] = (signed char)ok;
		if (ok == 1 && cur->index <= TLSV_1_2)
			a->secure_renegotiation =
			    (signed char)out->tls.secure_renegotiation;
		if (++cur->index == TLSV__COUNT) {
			cur->step = AUDIT_WEAK;
			cur->index = 0;
		}
		break;
	case AUDIT_WEAK:
		a->weak_accepted[cur->index] = (signed char)ok;
		cur->index++;
		break;
	case AUDIT_DHE:
		if (ok == 1)
			a->dhe_bits = out->tls.kex_bits;
		else if (ok == 0)
			a->dhe_bits = 0;
		cur->step = AUDIT_ORDER_A;
		/* Order needs TLS 1.2: without it there is nothing to learn. */
		if (a->version_accepted[TLSV_1_2] != 1)
			cur->step = AUDIT_DONE;
		break;
	case AUDIT_ORDER_A:
		if (ok != 1) {
			cur->step = AUDIT_DONE;
			break;
		}
		snprintf(a->order_a, sizeof(a->order_a), "%s", out->tls.cipher);
		cur->step = AUDIT_ORDER_B;
		break;
	case AUDIT_ORDER_B:
		if (ok != 1) {
			cur->step = AUDIT_DONE;
			break;
		}
		snprintf(a->order_b, sizeof(a->order_b), "%s", out->tls.cipher);
		if (strcmp(a->order_a, a->order_b) != 0) {
			a->server_cipher_order = 0;	/* it followed us */
			cur->step = AUDIT_DONE;
			break;
		}
		/* Same choice both ways: the server's order, unless that
		 * suite is the only one it has in our list. */
		snprintf(cur->cipher_list, sizeof(cur->cipher_list),
		    ORDER_LIST ":!%s:@SECLEVEL=0", a->order_a);
		cur->step = AUDIT_ORDER_C;
		break;
	case AUDIT_ORDER_C:
		/* Another suite was there, yet the server chose the same one
		 * whatever our order: it enforces its own.  Refused: that was
		 * its only suite, and the order cannot be told. */
		if (ok == 1)
			a->server_cipher_order = 1;
		cur->step = AUDIT_DONE;
		break;
	case AUDIT_DONE:
		break;
	}
	skip_untestable(cur);
	if (cur->step == AUDIT_DONE) {
		a->finished = wall_time();
		a->duration_s = (double)(now_ms() - cur->started_ms) / 1000.0;
		return 0;
	}
	return 1;
}
