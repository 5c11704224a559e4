/* libFuzzer target for what /probe and the authentication read from a
 * request: ?target= (both module kinds) against an allow-list, ?module=
 * as a name, X-Prometheus-Scrape-Timeout-Seconds, and the Authorization
 * header.  The first byte picks the parser; the rest is its input.
 * Invariants: a parsed target is canonical (lowercase, printable, no
 * brackets, fits), a parsed timeout is positive, a parsed header gives
 * NUL-terminated strings that fit, and every escape writes valid output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "web/auth.h"
#include "base/escape.h"
#include "web/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct allow_entry allow[6];
static size_t n_allow;

static void
setup(void)
{
	static const char *const entries[] = { "*.example.org",
	    "mail.example.net", "192.0.2.0/24", "2001:db8::/32",
	    "127.0.10.80/32", "0.0.0.0/0" };
	const char *why;

	if (n_allow)
		return;
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		if (allow_entry_parse(entries[i], &allow[n_allow], &why) == 0)
			n_allow++;
}

static void
check_target(const char *s, size_t len, enum target_kind kind)
{
	struct probe_target t;
	const char *why;
	char msg[512];

	if (probe_target_parse(s, len, kind, &t, &why) == -1) {
		if (why == NULL || *why == '\0')
			abort();
		return;
	}
	if (t.host[0] == '\0' || strlen(t.host) > 253)
		abort();
	for (const char *c = t.host; *c; c++)
		if ((*c >= 'A' && *c <= 'Z') || *c < 0x21 || *c > 0x7e ||
		    *c == '[' || *c == ']')
			abort();
	if (kind == TARGET_DOMAIN && (t.family != 0 || t.port != 0))
		abort();
	if (probe_allowed(allow, n_allow, &t, msg, sizeof(msg)) == 0 &&
	    msg[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, user[AUTH_USER_MAX], pass[AUTH_PASS_MAX];
	struct allow_entry e;
	const char *why;
	struct buf b;
	uint64_t ms;

	if (size < 1)
		return 0;
	setup();
	s = malloc(size);
	if (s == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0:
		check_target(s, size - 1, TARGET_ENDPOINT);
		break;
	case 1:
		check_target(s, size - 1, TARGET_DOMAIN);
		break;
	case 2:
		if (probe_timeout_parse(s, &ms, &why) == 0 && ms == 0)
			abort();
		break;
	case 3:
		if (auth_parse_header(s, user, sizeof(user), pass,
		    sizeof(pass)) == 0 && (strlen(user) >= sizeof(user) ||
		    strlen(pass) >= sizeof(pass) || strchr(user, ':')))
			abort();
		break;
	default:
		if (allow_entry_parse(s, &e, &why) == 0)
			free(e.name);
		buf_init(&b);
		json_escape(&b, (const char *)data + 1, size - 1);
		html_escapen(&b, (const char *)data + 1, size - 1);
		url_escape(&b, s);
		buf_free(&b);
		break;
	}
	free(s);
	return 0;
}
