#include "collectors/probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
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
	out->cause = CAUSE_NONE;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
	va_end(ap);
	/* The detail may quote the peer: its bytes are kept, and each output
	 * escapes them (log_quote, the exposition's and the page's escapers),
	 * so a person sees \xNN where the peer sent non-ASCII, never '?'. */
}
