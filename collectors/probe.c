#include "collectors/probe.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "collectors/io.h"

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
	[CAUSE_TLSA_WAIT] = "tlsa_wait",
	[CAUSE_NXDOMAIN] = "nxdomain",
	[CAUSE_NO_ADDRESS] = "no_address",
	[CAUSE_SERVFAIL] = "servfail",
	[CAUSE_DNS_REFUSED] = "dns_refused",
	[CAUSE_DNS_TIMEOUT] = "dns_timeout",
	[CAUSE_DNS_ERROR] = "dns_error",
	[CAUSE_DNS_BUDGET] = "dns_budget",
	[CAUSE_ALERT_RECEIVED] = "alert_received",
	[CAUSE_ALERT_SENT] = "alert_sent",
	[CAUSE_NOT_TLS] = "not_tls",
};
_Static_assert(ARRAY_LEN(cause_names) == CAUSE__COUNT, "a name each");

/* The TLS alerts of the IANA registry (RFC 8446 6, RFC 5246 7.2, RFC 6066,
 * RFC 7301, RFC 7507, RFC 9849), by code. */
static const char *const alert_names[256] = {
	[0] = "close_notify",
	[10] = "unexpected_message",
	[20] = "bad_record_mac",
	[21] = "decryption_failed",
	[22] = "record_overflow",
	[30] = "decompression_failure",
	[40] = "handshake_failure",
	[41] = "no_certificate",
	[42] = "bad_certificate",
	[43] = "unsupported_certificate",
	[44] = "certificate_revoked",
	[45] = "certificate_expired",
	[46] = "certificate_unknown",
	[47] = "illegal_parameter",
	[48] = "unknown_ca",
	[49] = "access_denied",
	[50] = "decode_error",
	[51] = "decrypt_error",
	[60] = "export_restriction",
	[70] = "protocol_version",
	[71] = "insufficient_security",
	[80] = "internal_error",
	[86] = "inappropriate_fallback",
	[90] = "user_canceled",
	[100] = "no_renegotiation",
	[109] = "missing_extension",
	[110] = "unsupported_extension",
	[111] = "certificate_unobtainable",
	[112] = "unrecognized_name",
	[113] = "bad_certificate_status_response",
	[114] = "bad_certificate_hash_value",
	[115] = "unknown_psk_identity",
	[116] = "certificate_required",
	[120] = "no_application_protocol",
	[121] = "ech_required",
};

const char *
tls_alert_name(int code)
{
	return code >= 0 && code < (int)ARRAY_LEN(alert_names) &&
	    alert_names[code] ? alert_names[code] : "unknown";
}

const char *
probe_outcome_alert(const struct probe_outcome *o)
{
	return o->cause == CAUSE_ALERT_RECEIVED || o->cause == CAUSE_ALERT_SENT ?
	    tls_alert_name(o->tls_alert) : NULL;
}

const char *
probe_cause_name(enum probe_cause c)
{
	return (unsigned)c < CAUSE__COUNT && cause_names[c] ? cause_names[c] :
	    "unknown";
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
	case ETIMEDOUT:
		return CAUSE_TIMEOUT;
	default:
		return CAUSE_SOCKET;
	}
}

/* How bad a lookup's result is for the name: a name that does not exist
 * says most, then a lookup that failed, then no records. */
static int
dns_rank(enum dns_result r)
{
	switch (r) {
	case DNS_NXDOMAIN: return 4;
	case DNS_SERVFAIL:
	case DNS_REFUSED:
	case DNS_TIMEOUT:
	case DNS_ERROR: return 3;
	case DNS_BUDGET: return 2;
	case DNS_NODATA: return 1;
	default: return 0;
	}
}

enum probe_cause
probe_cause_of_dns(enum dns_result a, enum dns_result aaaa)
{
	enum dns_result r = dns_rank(aaaa) > dns_rank(a) ? aaaa : a;

	switch (r) {
	case DNS_NXDOMAIN: return CAUSE_NXDOMAIN;
	case DNS_NODATA: return CAUSE_NO_ADDRESS;
	case DNS_SERVFAIL: return CAUSE_SERVFAIL;
	case DNS_REFUSED: return CAUSE_DNS_REFUSED;
	case DNS_TIMEOUT: return CAUSE_DNS_TIMEOUT;
	case DNS_ERROR: return CAUSE_DNS_ERROR;
	case DNS_BUDGET: return CAUSE_DNS_BUDGET;
	default: return CAUSE_NONE;
	}
}

enum probe_cause
probe_cause_of_tls(const struct io_tls_fail *f, int *alert)
{
	*alert = -1;
	if (f->not_tls)
		return CAUSE_NOT_TLS;
	if (f->alert_received >= 0) {
		*alert = f->alert_received;
		return CAUSE_ALERT_RECEIVED;
	}
	if (f->err != 0)
		return probe_cause_of_errno(f->err);
	if (f->eof)
		return CAUSE_CLOSED;
	if (f->alert_sent >= 0) {
		*alert = f->alert_sent;
		return CAUSE_ALERT_SENT;
	}
	return CAUSE_NONE;
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

static const struct dane_facts dane_not_checked = { .error = probe_str_empty };

const struct dane_facts *
tls_dane(const struct tls_facts *t)
{
	return t->dane != NULL ? t->dane : &dane_not_checked;
}

/* The text fields of an outcome, once (init, copy, free and the byte
 * count walk this table; the DANE error, in its own struct, beside). */
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

static size_t
str_heap_bytes(const char *s)
{
	return s == probe_str_empty ? 0 : strlen(s) + 1;
}

static char *
str_dup(const char *s)
{
	return s[0] == '\0' ? probe_str_empty : xstrdup(s);
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
	out->tls_alert = -1;
}

void
probe_outcome_free(struct probe_outcome *out)
{
	struct probe_block *block;

	for (size_t i = 0; i < N_OUTCOME_STRS; i++) {
		char **f = outcome_str(out, i);

		if (*f != probe_str_empty)
			free(*f);
	}
	free(out->tls.chain_crypto);
	if (out->tls.dane != NULL) {
		if (out->tls.dane->error != probe_str_empty)
			free(out->tls.dane->error);
		free(out->tls.dane);
	}
	block = out->block;	/* an owned one's header stays */
	probe_outcome_init(out);
	out->block = block;
}

void
probe_outcome_copy(struct probe_outcome *dst, const struct probe_outcome *src)
{
	size_t n = chain_crypto_count(&src->tls);
	struct probe_block *block;

	if (dst == src)
		return;
	probe_outcome_free(dst);
	block = dst->block;	/* dst's own header, if owned, stays */
	*dst = *src;
	dst->block = block;
	for (size_t i = 0; i < N_OUTCOME_STRS; i++)
		*outcome_str(dst, i) = str_dup(outcome_str_c(src, i));
	if (n > 0) {
		dst->tls.chain_crypto = xreallocarray(NULL, n,
		    sizeof(*dst->tls.chain_crypto));
		memcpy(dst->tls.chain_crypto, src->tls.chain_crypto,
		    n * sizeof(*dst->tls.chain_crypto));
	}
	if (src->tls.dane != NULL) {
		dst->tls.dane = xmalloc(sizeof(*dst->tls.dane));
		*dst->tls.dane = *src->tls.dane;
		dst->tls.dane->error = str_dup(src->tls.dane->error);
	}
}

size_t
probe_outcome_heap_bytes(const struct probe_outcome *out)
{
	size_t n = chain_crypto_count(&out->tls) *
	    sizeof(*out->tls.chain_crypto);

	for (size_t i = 0; i < N_OUTCOME_STRS; i++)
		n += str_heap_bytes(outcome_str_c(out, i));
	if (out->tls.dane != NULL)
		n += sizeof(*out->tls.dane) + str_heap_bytes(out->tls.dane->error);
	return n;
}

/* As probe_outcome_init() leaves one. */
const struct probe_outcome probe_outcome_none = {
	.tls_alert = -1,
	.detail = probe_str_empty,
	.starttls_offered = -1,
	.plaintext_auth_offered = -1,
	.starttls_injection = -1,
	.banner_name = probe_str_empty,
	.ehlo_name = probe_str_empty,
	.tls = {
		.cipher = probe_str_empty,
		.verify_error = probe_str_empty,
		.sig_alg = probe_str_empty,
		.kex_group = probe_str_empty,
		.subject = probe_str_empty,
		.issuer = probe_str_empty,
		.serial = probe_str_empty,
		.fingerprint_sha256 = probe_str_empty,
	},
};

static size_t
align_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

/* o is a shared block's (probe_outcome_share), not probe_outcome_new's
 * (size 0) nor one that is not on the heap (no block). */
static int
outcome_is_shared(const struct probe_outcome *o)
{
	return o->block != NULL && o->block->size > 0;
}

const struct probe_outcome *
probe_outcome_share(const struct probe_outcome *src)
{
	const struct dane_facts *d = src->tls.dane;
	size_t n_cc = chain_crypto_count(&src->tls);
	size_t at_out = align_up(sizeof(struct probe_block),
	    _Alignof(struct probe_outcome));
	size_t at_dane = align_up(at_out + sizeof(struct probe_outcome),
	    _Alignof(struct dane_facts));
	size_t at_cc = align_up(at_dane + (d != NULL ? sizeof(*d) : 0),
	    _Alignof(struct cert_crypto));
	size_t at_str = at_cc + n_cc * sizeof(struct cert_crypto);
	size_t size = at_str;
	struct probe_outcome *o;
	char *b, *p;

	if (outcome_is_shared(src) || src == &probe_outcome_none)
		return probe_outcome_hold(src);
	for (size_t i = 0; i < N_OUTCOME_STRS; i++)
		size += str_heap_bytes(outcome_str_c(src, i));
	if (d != NULL)
		size += str_heap_bytes(d->error);
	b = xmalloc(size);
	o = (struct probe_outcome *)(void *)(b + at_out);
	*o = *src;
	o->block = (struct probe_block *)(void *)b;
	o->block->refs = 1;
	o->block->size = size;
	o->block->self = o;
	if (d != NULL) {
		o->tls.dane = (struct dane_facts *)(void *)(b + at_dane);
		*o->tls.dane = *d;
	}
	if (n_cc > 0) {
		o->tls.chain_crypto = (struct cert_crypto *)(void *)(b + at_cc);
		memcpy(o->tls.chain_crypto, src->tls.chain_crypto,
		    n_cc * sizeof(struct cert_crypto));
	}
	p = b + at_str;
	for (size_t i = 0; i <= N_OUTCOME_STRS; i++) {
		char **f = i < N_OUTCOME_STRS ? outcome_str(o, i) :
		    d != NULL ? &o->tls.dane->error : NULL;
		size_t n;

		if (f == NULL || *f == probe_str_empty)
			continue;
		n = strlen(*f) + 1;
		memcpy(p, *f, n);
		*f = p;
		p += n;
	}
	return o;
}

const struct probe_outcome *
probe_outcome_hold(const struct probe_outcome *o)
{
	if (outcome_is_shared(o))
		o->block->refs++;
	return o;
}

/* probe_outcome_new's allocation. */
struct probe_owned {
	struct probe_block hdr;
	struct probe_outcome o;
};

struct probe_outcome *
probe_outcome_new(void)
{
	struct probe_owned *w = xmalloc(sizeof(*w));

	probe_outcome_init(&w->o);
	w->hdr.refs = 1;
	w->hdr.size = 0;
	w->hdr.self = &w->o;
	w->o.block = &w->hdr;
	return &w->o;
}

struct probe_outcome *
probe_outcome_owned(const struct probe_outcome *o)
{
	return o != NULL && o->block != NULL && o->block->size == 0 ?
	    o->block->self : NULL;
}

void
probe_outcome_drop(const struct probe_outcome *o)
{
	struct probe_outcome *own = probe_outcome_owned(o);

	if (own != NULL) {
		struct probe_block *hdr = own->block;

		probe_outcome_free(own);
		free(hdr);
	} else if (o != NULL && outcome_is_shared(o) && --o->block->refs == 0)
		free(o->block);
}

size_t
probe_outcome_shared_bytes(const struct probe_outcome *o)
{
	if (outcome_is_shared(o))
		return o->block->size / o->block->refs;
	if (probe_outcome_owned(o) != NULL)
		return sizeof(struct probe_owned) + probe_outcome_heap_bytes(o);
	return 0;			/* probe_outcome_none */
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
	out->tls_alert = -1;
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
