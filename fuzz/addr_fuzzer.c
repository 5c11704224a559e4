/* libFuzzer target for base/addr.c: the first byte picks the parser
 * (IP, CIDR, host name with or without '_', port, host:port), the rest is
 * its input.  Invariants: an accepted IP prints and parses back to itself;
 * an accepted CIDR has no bits past its prefix and holds its own network;
 * the special-range verdict is the same with the address unmapped, a
 * special address is refused with an empty list and a reason, and allowed
 * by its own range listed; an accepted name is within the length limits
 * and normalizing it twice changes nothing; a port is 1-65535. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_ip(const char *s)
{
	struct addr a, b, emb;
	struct cidr r, er;
	char text[64], why[256];
	const char *what;

	if (addr_parse_ip(s, &a) == -1)
		return;
	if (addr_parse_ip(addr_text(&a, text, sizeof(text)), &b) == -1 ||
	    memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	addr_unmap(&a);
	what = addr_special(&a, &r, &emb, &er);
	if (what == NULL) {
		if (addr_special_refused(&a, NULL, 0, why, sizeof(why)) != NULL)
			abort();
		return;
	}
	if (!addr_in_cidr(&a, &r) || (emb.family != 0 && !addr_in_cidr(&emb,
	    &er)))
		abort();
	if (addr_special_refused(&a, NULL, 0, why, sizeof(why)) == NULL ||
	    why[0] == '\0')
		abort();
	if (addr_special_refused(&a, &r, 1, why, sizeof(why)) != NULL)
		abort();
}

static void
check_cidr(const char *s)
{
	struct cidr c;
	const char *why = NULL;
	unsigned max;

	if (addr_parse_cidr(s, &c, &why) == -1) {
		if (why == NULL || *why == '\0')
			abort();
		return;
	}
	max = c.net.family == AF_INET ? 32 : 128;
	if (c.prefix > max || !addr_in_cidr(&c.net, &c))
		abort();
	for (unsigned bit = c.prefix; bit < max; bit++)
		if (c.net.a[bit / 8] & (0x80 >> (bit % 8)))
			abort();
}

static void
check_name(const char *s, unsigned flags)
{
	char buf[512], again[512];
	const char *why = NULL;
	size_t n = strlen(s);

	if (n >= sizeof(buf))
		return;
	memcpy(buf, s, n + 1);
	if (addr_name_normalize(buf, flags, &why) == -1) {
		if (why == NULL || *why == '\0')
			abort();
		return;
	}
	if (strlen(buf) == 0 || strlen(buf) > ADDR_NAME_MAX)
		abort();
	memcpy(again, buf, strlen(buf) + 1);
	if (addr_name_normalize(again, flags, &why) == -1 ||
	    strcmp(again, buf) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	const char *why;
	uint16_t port;
	char *host = NULL;

	if (size < 1 || size > 1024)
		return 0;
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 6) {
	case 0:
		check_ip(s);
		break;
	case 1:
		check_cidr(s);
		break;
	case 2:
		check_name(s, 0);
		break;
	case 3:
		check_name(s, ADDR_NAME_UNDERSCORE);
		break;
	case 4:
		if (addr_parse_port(s, &port, &why) == 0 && port == 0)
			abort();
		break;
	default:
		if (addr_parse_host_port(s, &host, &port, &why) == 0 &&
		    (port == 0 || host == NULL || *host == '\0'))
			abort();
		free(host);
		break;
	}
	free(s);
	return 0;
}
