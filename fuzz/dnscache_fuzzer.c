/* libFuzzer: raw DNS messages through the answer cache's TTL reader
 * (dnscache_answer_ttl: RFC 1035 names and RRs, RFC 2308 SOA MINIMUM)
 * and the cache itself, with tiny bounds so that eviction runs too.  The
 * invariants dns.c relies on are checked: a stored TTL is 1..2^31-1, a hit
 * gives back the bytes stored, the bounds hold.
 *
 * Input: one byte choosing the status (answer, NXDOMAIN, NODATA, SERVFAIL),
 * then the DNS message as c-ares hands it to the query callback. */
#include <ares.h>
#include <arpa/nameser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/dnscache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fuzz_now = 1000;

static uint64_t
fuzz_clock(void *arg)
{
	(void)arg;
	return fuzz_now;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = { ARES_SUCCESS, ARES_ENOTFOUND,
	    ARES_ENODATA, ARES_ESERVFAIL };
	struct dnscache_params p = { 3600, 900, 4, 2048, fuzz_clock, NULL };
	struct dnscache *c;
	const unsigned char *abuf;
	enum dnscache_store s;
	uint32_t ttl;
	int status, got, alen;

	if (size < 1 || size > 65536)
		return 0;
	status = statuses[data[0] % 4];
	data++;
	size--;
	s = dnscache_answer_ttl(status, data, (int)size, &ttl);
	if (s >= DNSCACHE__COUNT)
		abort();
	if (s == DNSCACHE_STORED && (ttl == 0 || ttl > INT32_MAX))
		abort();
	if (s != DNSCACHE_STORED && ttl != 0)
		abort();
	c = dnscache_new(&p);
	for (int i = 0; i < 6; i++) {
		char name[16] = "n0.test";

		name[1] = (char)('0' + i);
		if (dnscache_put(c, name, ns_t_txt, ns_c_in, status, data,
		    (int)size) != s && s == DNSCACHE_STORED &&
		    size + 256 <= p.max_bytes)
			abort();
		if (dnscache_entries(c) > p.max_entries ||
		    dnscache_bytes(c) > p.max_bytes)
			abort();
		if (dnscache_get(c, name, ns_t_txt, ns_c_in, &got, &abuf,
		    &alen) && (got != status || alen != (int)size ||
		    memcmp(abuf, data, size)))
			abort();
	}
	fuzz_now += (uint64_t)ttl * 1000;	/* now expired */
	if (dnscache_get(c, "n5.test", ns_t_txt, ns_c_in, &got, &abuf,
	    &alen))
		abort();
	dnscache_free(c);
	return 0;
}
