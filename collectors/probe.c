#include "collectors/probe.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static const char *const step_names[STEP__COUNT] = {
	[STEP_RESOLVE] = "resolve",
	[STEP_CONNECT] = "connect",
	[STEP_BANNER] = "banner",
	[STEP_EHLO] = "ehlo",
	[STEP_STARTTLS] = "starttls",
	[STEP_TLS_HANDSHAKE] = "tls_handshake",
	[STEP_QUIT] = "quit",
};

static const char *const reason_names[REASON__COUNT] = {
	[REASON_NONE] = "none",
	[REASON_DNS] = "dns",
	[REASON_CONN] = "conn",
	[REASON_TIMEOUT] = "timeout",
	[REASON_PROTO] = "proto",
	[REASON_RESP] = "resp",
	[REASON_STARTTLS_MISSING] = "starttls_missing",
	[REASON_TLS] = "tls",
	[REASON_INTERNAL] = "internal",
	[REASON_NOT_ALLOWED] = "not_allowed",
};

static const char *const cause_names[CAUSE__COUNT] = {
	[CAUSE_NONE] = "none",
	[CAUSE_REFUSED] = "refused",
	[CAUSE_NO_ROUTE] = "no_route",
	[CAUSE_NET_UNREACHABLE] = "net_unreachable",
	[CAUSE_RESET] = "reset",
	[CAUSE_CLOSED] = "closed",
	[CAUSE_SOCKET] = "socket",
	[CAUSE_TIMEOUT] = "timeout",
	[CAUSE_NO_SLOT] = "no_slot",
};

const char *
probe_cause_name(enum probe_cause c)
{
	return (unsigned)c < CAUSE__COUNT ? cause_names[c] : "unknown";
}

enum probe_cause
probe_cause_of_errno(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return CAUSE_REFUSED;
	case EHOSTUNREACH:
		return CAUSE_NO_ROUTE;
	case ENETUNREACH:
		return CAUSE_NET_UNREACHABLE;
	case ECONNRESET:
	case ENETRESET:
		return CAUSE_RESET;
	case EPIPE:
		return CAUSE_CLOSED;
	default:
		return CAUSE_SOCKET;
	}
}

const char *
probe_step_name(enum probe_step s)
{
	return (unsigned)s < STEP__COUNT ? step_names[s] : "unknown";
}

const char *
probe_reason_name(enum probe_reason r)
{
	return (unsigned)r < REASON__COUNT ? reason_names[r] : "unknown";
}

char probe_str_empty[1];

/* The text fields of an outcome, once (init, copy, free and the byte
 * count walk this table). */
static const size_t outcome_strs[] = {
	offsetof(struct probe_outcome, detail),
	offsetof(struct probe_outcome, banner_name),
	offsetof(struct probe_outcome, ehlo_name),
	offsetof(struct probe_outcome, tls.cipher),
	offsetof(struct probe_outcome, tls.verify_error),
	offsetof(struct probe_outcome, tls.sig_alg),
	offsetof(struct probe_outcome, tls.kex_group),
	offsetof(struct probe_outcome, tls.subject),
	offsetof(struct probe_outcome, tls.issuer),
	offsetof(struct probe_outcome, tls.serial),
	offsetof(struct probe_outcome, tls.fingerprint_sha256),
	offsetof(struct probe_outcome, tls.dane.error),
};
#define N_OUTCOME_STRS	(sizeof(outcome_strs) / sizeof(outcome_strs[0]))

static char **
outcome_str(struct probe_outcome *o, size_t i)
{
	return (char **)(void *)((char *)o + outcome_strs[i]);
}

static const char *
outcome_str_c(const struct probe_outcome *o, size_t i)
{
	return *(char *const *)(const void *)((const char *)o +
	    outcome_strs[i]);
}

static size_t
chain_crypto_count(const struct tls_facts *t)
{
	if (t->chain_crypto == NULL)
		return 0;
	return t->chain_len == 0 ? 1 : t->chain_len < CHAIN_MAX ?
	    t->chain_len : CHAIN_MAX;
}

void
probe_outcome_init(struct probe_outcome *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < N_OUTCOME_STRS; i++)
		*outcome_str(out, i) = probe_str_empty;
	out->starttls_offered = -1;
	out->plaintext_auth_offered = -1;
	out->starttls_injection = -1;
}

void
probe_outcome_free(struct probe_outcome *out)
{
	for (size_t i = 0; i < N_OUTCOME_STRS; i++) {
		char **f = outcome_str(out, i);

		if (*f != probe_str_empty)
			free(*f);
	}
	free(out->tls.chain_crypto);
	probe_outcome_init(out);
}

void
probe_outcome_copy(struct probe_outcome *dst, const struct probe_outcome *src)
{
	size_t n = chain_crypto_count(&src->tls);

	if (dst == src)
		return;
	probe_outcome_free(dst);
	*dst = *src;
	for (size_t i = 0; i < N_OUTCOME_STRS; i++) {
		const char *v = outcome_str_c(src, i);

		*outcome_str(dst, i) = v[0] == '\0' ? probe_str_empty :
		    xstrdup(v);
	}
	if (n > 0) {
		dst->tls.chain_crypto = xreallocarray(NULL, n,
		    sizeof(*dst->tls.chain_crypto));
		memcpy(dst->tls.chain_crypto, src->tls.chain_crypto,
		    n * sizeof(*dst->tls.chain_crypto));
	}
}

size_t
probe_outcome_heap_bytes(const struct probe_outcome *out)
{
	size_t n = chain_crypto_count(&out->tls) *
	    sizeof(*out->tls.chain_crypto);

	for (size_t i = 0; i < N_OUTCOME_STRS; i++) {
		const char *v = outcome_str_c(out, i);

		if (v != probe_str_empty)
			n += strlen(v) + 1;
	}
	return n;
}

void
probe_str_set(char **field, const char *s, size_t max)
{
	size_t n = s == NULL || max == 0 ? 0 : strnlen(s, max - 1);

	if (n > 0 && n == max - 1 && s[n] != '\0')
		/* cut: at a character boundary (the text is UTF-8) */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	if (*field != NULL && *field != probe_str_empty)
		free(*field);
	*field = n == 0 ? probe_str_empty : xstrndup(s, n);
}

void
probe_str_printf(char **field, size_t max, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	probe_str_set(field, tmp, max < sizeof(tmp) ? max : sizeof(tmp));
}

void
probe_fail(struct probe_outcome *out, enum probe_step step,
    enum probe_reason reason, const char *fmt, ...)
{
	va_list ap;

	out->success = 0;
	out->fail_step = step;
	out->reason = reason;
	out->cause = CAUSE_NONE;
	va_start(ap, fmt);
	{
		char tmp[PROBE_DETAIL_MAX];

		vsnprintf(tmp, sizeof(tmp), fmt, ap);
		probe_str_set(&out->detail, tmp, sizeof(tmp));
	}
	va_end(ap);
	/* The detail may quote the peer: its bytes are kept, and each output
	 * escapes them (log_quote, the exposition's and the page's escapers),
	 * so a person sees \xNN where the peer sent non-ASCII, never '?'. */
}
