#include "collectors/probe.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon/util.h"

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

void
probe_outcome_init(struct probe_outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->starttls_offered = -1;
	out->plaintext_auth_offered = -1;
	out->starttls_injection = -1;
}

void
probe_fail(struct probe_outcome *out, enum probe_step step,
    enum probe_reason reason, const char *fmt, ...)
{
	va_list ap;

	out->success = 0;
	out->fail_step = step;
	out->reason = reason;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
	va_end(ap);
	/* The detail may quote the peer: keep it printable. */
	for (char *p = out->detail; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}
