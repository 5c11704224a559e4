/* The DNS answer cache (collectors/dnscache.c) with an injected clock: TTL
 * expiry, the TTL caps, negative caching (RFC 2308), what is never kept,
 * the entry and byte bounds and LRU eviction, hostile TTLs and messages;
 * then the c-ares path (collectors/dns.c) against a scripted UDP resolver
 * on a loopback port of its own: coalescing of identical questions in
 * flight, a hit delivered from the loop (never inside dns_query()), and
 * inside the call in the test mode (MAILSEC_TEST_DNS=sync). */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ares.h>
#include <event2/event.h>

#include "collectors/dns.h"
#include "collectors/dnscache.h"
#include "unit.h"

static uint64_t fake_now = 1000000;

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

/* --- building DNS messages ---------------------------------------------- */

struct msg {
	unsigned char	 b[4096];
	size_t		 len;
};

static void
put16(struct msg *m, unsigned v)
{
	m->b[m->len++] = (unsigned char)(v >> 8);
	m->b[m->len++] = (unsigned char)v;
}

static void
put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void
put_name(struct msg *m, const char *name)
{
	const char *p = name;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		m->b[m->len++] = (unsigned char)l;
		memcpy(m->b + m->len, p, l);
		m->len += l;
		p += l;
		if (*p == '.')
			p++;
	}
	m->b[m->len++] = 0;
}

/* A response header and the question; rcode, counts as given. */
static void
msg_start(struct msg *m, unsigned id, unsigned rcode, unsigned an,
    unsigned ns, const char *qname, int qtype)
{
	m->len = 0;
	put16(m, id);
	put16(m, 0x8180 | rcode);
	put16(m, 1);
	put16(m, an);
	put16(m, ns);
	put16(m, 0);
	put_name(m, qname);
	put16(m, (unsigned)qtype);
	put16(m, ns_c_in);
}

static void
msg_a(struct msg *m, uint32_t ttl, const char *addr)
{
	struct in_addr a;

	put16(m, 0xc00c);	/* the question's name */
	put16(m, ns_t_a);
	put16(m, ns_c_in);
	put32(m, ttl);
	put16(m, 4);
	inet_pton(AF_INET, addr, &a);
	memcpy(m->b + m->len, &a, 4);
	m->len += 4;
}

static void
msg_soa(struct msg *m, uint32_t ttl, uint32_t minimum)
{
	size_t rdlen_at;

	put16(m, 0xc00c);
	put16(m, ns_t_soa);
	put16(m, ns_c_in);
	put32(m, ttl);
	rdlen_at = m->len;
	put16(m, 0);
	put_name(m, "ns.test");
	put_name(m, "hostmaster.test");
	put32(m, 1);
	put32(m, 3600);
	put32(m, 600);
	put32(m, 86400);
	put32(m, minimum);
	m->b[rdlen_at] = (unsigned char)((m->len - rdlen_at - 2) >> 8);
	m->b[rdlen_at + 1] = (unsigned char)(m->len - rdlen_at - 2);
}

static struct dnscache *
cache_new(unsigned max_ttl, unsigned neg_max, size_t entries, size_t bytes)
{
	struct dnscache_params p = { max_ttl, neg_max, entries, bytes,
	    fake_clock, NULL };

	return dnscache_new(&p);
}

static int
hit(struct dnscache *c, const char *name, int type, int *status)
{
	const unsigned char *abuf;
	int alen, st = -1, r;

	r = dnscache_get(c, name, type, ns_c_in, &st, &abuf, &alen);
	if (status)
		*status = st;
	return r;
}

static void
test_ttl(void)
{
	struct dnscache *c = cache_new(3600, 900, 100, 1 << 20);
	struct msg m;
	int st;

	msg_start(&m, 1, 0, 2, 0, "a.test", ns_t_a);
	msg_a(&m, 300, "192.0.2.1");
	msg_a(&m, 60, "192.0.2.2");	/* the least TTL counts */
	CHECK_INT(dnscache_put(c, "a.test", ns_t_a, ns_c_in, ARES_SUCCESS, m.b,
	    (int)m.len), DNSCACHE_STORED);
	CHECK_INT(dnscache_entries(c), 1);
	CHECK(hit(c, "a.test", ns_t_a, &st));
	CHECK_INT(st, ARES_SUCCESS);
	/* Case and a final dot do not matter; the type and class do. */
	CHECK(hit(c, "A.Test.", ns_t_a, NULL));
	CHECK(!hit(c, "a.test", ns_t_aaaa, NULL));
	CHECK(!hit(c, "b.test", ns_t_a, NULL));
	CHECK(dnscache_has(c, "a.test", ns_t_a, ns_c_in));
	fake_now += 59999;
	CHECK(hit(c, "a.test", ns_t_a, NULL));
	fake_now += 1;			/* 60 s: gone */
	CHECK(!dnscache_has(c, "a.test", ns_t_a, ns_c_in));
	CHECK(!hit(c, "a.test", ns_t_a, NULL));
	CHECK_INT(dnscache_entries(c), 0);
	CHECK_INT(dnscache_bytes(c), 0);

	/* A hostile TTL of 2^31-1 is capped by max_ttl. */
	msg_start(&m, 1, 0, 1, 0, "big.test", ns_t_a);
	msg_a(&m, 2147483647u, "192.0.2.1");
	CHECK_INT(dnscache_put(c, "big.test", ns_t_a, ns_c_in, ARES_SUCCESS,
	    m.b, (int)m.len), DNSCACHE_STORED);
	fake_now += 3599 * 1000;
	CHECK(hit(c, "big.test", ns_t_a, NULL));
	fake_now += 1000;
	CHECK(!hit(c, "big.test", ns_t_a, NULL));
	/* TTL 0, and a TTL with the top bit set (RFC 2181 8: 0): never kept. */
	msg_start(&m, 1, 0, 1, 0, "zero.test", ns_t_a);
	msg_a(&m, 0, "192.0.2.1");
	CHECK_INT(dnscache_put(c, "zero.test", ns_t_a, ns_c_in, ARES_SUCCESS,
	    m.b, (int)m.len), DNSCACHE_TTL_ZERO);
	msg_start(&m, 1, 0, 1, 0, "neg.test", ns_t_a);
	msg_a(&m, 0x80000000u, "192.0.2.1");
	CHECK_INT(dnscache_put(c, "neg.test", ns_t_a, ns_c_in, ARES_SUCCESS,
	    m.b, (int)m.len), DNSCACHE_TTL_ZERO);
	msg_start(&m, 1, 0, 1, 0, "max.test", ns_t_a);
	msg_a(&m, 0xffffffffu, "192.0.2.1");
	CHECK_INT(dnscache_put(c, "max.test", ns_t_a, ns_c_in, ARES_SUCCESS,
	    m.b, (int)m.len), DNSCACHE_TTL_ZERO);
	CHECK_INT(dnscache_entries(c), 0);
	dnscache_free(c);

	/* max_ttl 0: the cache is off. */
	c = cache_new(0, 900, 100, 1 << 20);
	msg_start(&m, 1, 0, 1, 0, "a.test", ns_t_a);
	msg_a(&m, 300, "192.0.2.1");
	CHECK_INT(dnscache_put(c, "a.test", ns_t_a, ns_c_in, ARES_SUCCESS, m.b,
	    (int)m.len), DNSCACHE_OFF);
	CHECK(!hit(c, "a.test", ns_t_a, NULL));
	dnscache_free(c);
}

static void
test_negative(void)
{
	struct dnscache *c = cache_new(3600, 900, 100, 1 << 20);
	struct msg m;
	int st;

	/* NXDOMAIN: min(SOA TTL 600, MINIMUM 120) = 120 s. */
	msg_start(&m, 1, 3, 0, 1, "nx.test", ns_t_txt);
	msg_soa(&m, 600, 120);
	CHECK_INT(dnscache_put(c, "nx.test", ns_t_txt, ns_c_in, ARES_ENOTFOUND,
	    m.b, (int)m.len), DNSCACHE_STORED);
	CHECK(hit(c, "nx.test", ns_t_txt, &st));
	CHECK_INT(st, ARES_ENOTFOUND);
	fake_now += 119999;
	CHECK(hit(c, "nx.test", ns_t_txt, NULL));
	fake_now += 1;
	CHECK(!hit(c, "nx.test", ns_t_txt, NULL));
	/* NODATA: min(SOA TTL 30, MINIMUM 86400) = 30 s. */
	msg_start(&m, 1, 0, 0, 1, "nd.test", ns_t_aaaa);
	msg_soa(&m, 30, 86400);
	CHECK_INT(dnscache_put(c, "nd.test", ns_t_aaaa, ns_c_in, ARES_ENODATA,
	    m.b, (int)m.len), DNSCACHE_STORED);
	CHECK(hit(c, "nd.test", ns_t_aaaa, &st));
	CHECK_INT(st, ARES_ENODATA);
	fake_now += 30000;
	CHECK(!hit(c, "nd.test", ns_t_aaaa, NULL));
	/* Capped by neg_max_ttl (900 s), however long the SOA says. */
	msg_start(&m, 1, 3, 0, 1, "long.test", ns_t_txt);
	msg_soa(&m, 2147483647u, 2147483647u);
	CHECK_INT(dnscache_put(c, "long.test", ns_t_txt, ns_c_in,
	    ARES_ENOTFOUND, m.b, (int)m.len), DNSCACHE_STORED);
	fake_now += 899999;
	CHECK(hit(c, "long.test", ns_t_txt, NULL));
	fake_now += 1;
	CHECK(!hit(c, "long.test", ns_t_txt, NULL));
	/* Without an SOA: not kept (RFC 2308 5). */
	msg_start(&m, 1, 3, 0, 0, "nosoa.test", ns_t_txt);
	CHECK_INT(dnscache_put(c, "nosoa.test", ns_t_txt, ns_c_in,
	    ARES_ENOTFOUND, m.b, (int)m.len), DNSCACHE_NO_SOA);
	CHECK_INT(dnscache_put(c, "nosoa.test", ns_t_txt, ns_c_in,
	    ARES_ENOTFOUND, NULL, 0), DNSCACHE_NO_SOA);
	/* SOA MINIMUM 0: not kept. */
	msg_start(&m, 1, 3, 0, 1, "min0.test", ns_t_txt);
	msg_soa(&m, 300, 0);
	CHECK_INT(dnscache_put(c, "min0.test", ns_t_txt, ns_c_in,
	    ARES_ENOTFOUND, m.b, (int)m.len), DNSCACHE_TTL_ZERO);
	/* SERVFAIL, refused, timeouts, connection failures: never kept. */
	msg_start(&m, 1, 2, 0, 1, "sf.test", ns_t_txt);
	msg_soa(&m, 300, 300);
	CHECK_INT(dnscache_put(c, "sf.test", ns_t_txt, ns_c_in, ARES_ESERVFAIL,
	    m.b, (int)m.len), DNSCACHE_UNCACHEABLE);
	CHECK_INT(dnscache_put(c, "sf.test", ns_t_txt, ns_c_in, ARES_EREFUSED,
	    m.b, (int)m.len), DNSCACHE_UNCACHEABLE);
	CHECK_INT(dnscache_put(c, "sf.test", ns_t_txt, ns_c_in, ARES_ETIMEOUT,
	    NULL, 0), DNSCACHE_UNCACHEABLE);
	CHECK_INT(dnscache_put(c, "sf.test", ns_t_txt, ns_c_in,
	    ARES_ECONNREFUSED, NULL, 0), DNSCACHE_UNCACHEABLE);
	CHECK(!hit(c, "sf.test", ns_t_txt, NULL));
	CHECK_INT(dnscache_entries(c), 0);
	dnscache_free(c);

	/* neg_max_ttl 0: positive answers only. */
	c = cache_new(3600, 0, 100, 1 << 20);
	msg_start(&m, 1, 3, 0, 1, "nx.test", ns_t_txt);
	msg_soa(&m, 600, 120);
	CHECK_INT(dnscache_put(c, "nx.test", ns_t_txt, ns_c_in, ARES_ENOTFOUND,
	    m.b, (int)m.len), DNSCACHE_OFF);
	dnscache_free(c);
}

static void
test_hostile(void)
{
	struct dnscache *c = cache_new(3600, 900, 100, 1 << 20);
	struct msg m;
	uint32_t ttl;

	/* Every truncation of a good answer is refused, none is read past. */
	msg_start(&m, 1, 0, 1, 0, "a.test", ns_t_a);
	msg_a(&m, 300, "192.0.2.1");
	for (size_t n = 0; n < m.len; n++) {
		unsigned char *copy = malloc(n ? n : 1);

		memcpy(copy, m.b, n);
		CHECK(dnscache_answer_ttl(ARES_SUCCESS, copy, (int)n, &ttl) !=
		    DNSCACHE_STORED);
		free(copy);
	}
	CHECK_INT(dnscache_answer_ttl(ARES_SUCCESS, m.b, (int)m.len, &ttl),
	    DNSCACHE_STORED);
	CHECK_INT(ttl, 300);
	/* The TC bit: not kept. */
	m.b[2] |= 0x02;
	CHECK_INT(dnscache_answer_ttl(ARES_SUCCESS, m.b, (int)m.len, &ttl),
	    DNSCACHE_MALFORMED);
	m.b[2] &= (unsigned char)~0x02;
	/* A query, not a response. */
	m.b[2] &= 0x7f;
	CHECK_INT(dnscache_answer_ttl(ARES_SUCCESS, m.b, (int)m.len, &ttl),
	    DNSCACHE_MALFORMED);
	m.b[2] |= 0x80;
	/* More answers counted than present. */
	m.b[7] = 5;
	CHECK_INT(dnscache_answer_ttl(ARES_SUCCESS, m.b, (int)m.len, &ttl),
	    DNSCACHE_MALFORMED);
	/* A success with no answer at all. */
	msg_start(&m, 1, 0, 0, 0, "a.test", ns_t_a);
	CHECK_INT(dnscache_answer_ttl(ARES_SUCCESS, m.b, (int)m.len, &ttl),
	    DNSCACHE_MALFORMED);
	/* A label of a reserved type (0x40). */
	msg_start(&m, 1, 0, 1, 0, "a.test", ns_t_a);
	m.b[12] = 0x41;
	CHECK_INT(dnscache_answer_ttl(ARES_SUCCESS, m.b, (int)m.len, &ttl),
	    DNSCACHE_MALFORMED);
	/* An SOA whose RDATA is too short for its five numbers. */
	msg_start(&m, 1, 3, 0, 1, "nx.test", ns_t_txt);
	msg_soa(&m, 300, 300);
	{
		/* rdlen is 2 bytes before the rdata: cut 4 off the end. */
		size_t rd = 12 + 9 + 4 + 2 + 2 + 2 + 4;

		m.b[rd + 1] = (unsigned char)(m.b[rd + 1] - 4);
		m.len -= 4;
		CHECK_INT(dnscache_answer_ttl(ARES_ENOTFOUND, m.b, (int)m.len,
		    &ttl), DNSCACHE_MALFORMED);
	}
	/* A name longer than the wire allows is not a key. */
	{
		char name[400];

		memset(name, 'a', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		msg_start(&m, 1, 0, 1, 0, "a.test", ns_t_a);
		msg_a(&m, 300, "192.0.2.1");
		CHECK_INT(dnscache_put(c, name, ns_t_a, ns_c_in, ARES_SUCCESS,
		    m.b, (int)m.len), DNSCACHE_TOO_BIG);
		CHECK(!hit(c, name, ns_t_a, NULL));
	}
	CHECK_STR(dnscache_store_name(DNSCACHE_NO_SOA), "no_soa");
	dnscache_free(c);
}

static void
test_bounds(void)
{
	struct dnscache *c = cache_new(3600, 900, 3, 1 << 20);
	struct dnscache_params p;
	struct msg m;
	char name[32];
	size_t one;

	msg_start(&m, 1, 0, 1, 0, "x.test", ns_t_a);
	msg_a(&m, 300, "192.0.2.1");
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "h%d.test", i);
		CHECK_INT(dnscache_put(c, name, ns_t_a, ns_c_in, ARES_SUCCESS,
		    m.b, (int)m.len), DNSCACHE_STORED);
	}
	CHECK_INT(dnscache_entries(c), 3);
	one = dnscache_bytes(c) / 3;
	CHECK(one > m.len);
	/* h0 used: h1 is the least recently used, and goes for h3. */
	CHECK(hit(c, "h0.test", ns_t_a, NULL));
	CHECK_INT(dnscache_put(c, "h3.test", ns_t_a, ns_c_in, ARES_SUCCESS,
	    m.b, (int)m.len), DNSCACHE_STORED);
	CHECK_INT(dnscache_entries(c), 3);
	CHECK_INT(dnscache_evictions(c), 1);
	CHECK(!hit(c, "h1.test", ns_t_a, NULL));
	CHECK(hit(c, "h0.test", ns_t_a, NULL));
	CHECK(hit(c, "h2.test", ns_t_a, NULL));
	CHECK(hit(c, "h3.test", ns_t_a, NULL));
	/* The same key again replaces, and does not count twice. */
	CHECK_INT(dnscache_put(c, "H3.test.", ns_t_a, ns_c_in, ARES_SUCCESS,
	    m.b, (int)m.len), DNSCACHE_STORED);
	CHECK_INT(dnscache_entries(c), 3);
	CHECK_INT(dnscache_bytes(c), 3 * one);
	/* The byte bound: room for two; the LRU one (h0) goes. */
	p.max_ttl_s = 3600;
	p.neg_max_ttl_s = 900;
	p.max_entries = 100;
	p.max_bytes = 2 * one;
	p.clock = fake_clock;
	p.clock_arg = NULL;
	dnscache_set_params(c, &p);
	CHECK_INT(dnscache_entries(c), 2);
	CHECK(dnscache_bytes(c) <= 2 * one);
	CHECK(!hit(c, "h0.test", ns_t_a, NULL));
	/* An answer larger than the whole cache is not kept. */
	p.max_bytes = m.len;
	dnscache_set_params(c, &p);
	CHECK_INT(dnscache_entries(c), 0);
	CHECK_INT(dnscache_put(c, "h5.test", ns_t_a, ns_c_in, ARES_SUCCESS,
	    m.b, (int)m.len), DNSCACHE_TOO_BIG);
	/* Many entries: the table grows, every one is found. */
	p.max_bytes = 64u << 20;
	p.max_entries = 5000;
	dnscache_set_params(c, &p);
	for (int i = 0; i < 6000; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		dnscache_put(c, name, ns_t_a, ns_c_in, ARES_SUCCESS, m.b,
		    (int)m.len);
	}
	CHECK_INT(dnscache_entries(c), 5000);
	CHECK(!hit(c, "n999.test", ns_t_a, NULL));
	CHECK(hit(c, "n1000.test", ns_t_a, NULL));
	CHECK(hit(c, "n5999.test", ns_t_a, NULL));
	/* max_ttl 0 on a reload empties it. */
	p.max_ttl_s = 0;
	dnscache_set_params(c, &p);
	CHECK_INT(dnscache_entries(c), 0);
	CHECK_INT(dnscache_bytes(c), 0);
	dnscache_free(c);
}

static void
test_record_names(void)
{
	CHECK_STR(dns_record_name(dns_record_of("_dmarc.example.org", ns_t_txt)),
	    "dmarc");
	CHECK_STR(dns_record_name(dns_record_of("s1._domainkey.example.org",
	    ns_t_txt)), "dkim");
	CHECK_STR(dns_record_name(dns_record_of("_mta-sts.example.org",
	    ns_t_txt)), "mta_sts");
	CHECK_STR(dns_record_name(dns_record_of("_smtp._tls.example.org",
	    ns_t_txt)), "tls_rpt");
	CHECK_STR(dns_record_name(dns_record_of("_spf.example.org", ns_t_txt)),
	    "spf");
	CHECK_STR(dns_record_name(dns_record_of("x_dmarc.example.org",
	    ns_t_txt)), "spf");
	CHECK_STR(dns_record_name(dns_record_of("example.org", ns_t_mx)), "mx");
	CHECK_STR(dns_record_name(dns_record_of("example.org", ns_t_aaaa)),
	    "aaaa");
	CHECK_STR(dns_record_name(dns_record_of("_25._tcp.mx.example.org",
	    ns_t_tlsa)), "tlsa");
	CHECK_STR(dns_record_name(dns_record_of("example.org", ns_t_srv)),
	    "other");
	CHECK_STR(dns_result_name(dns_classify(DNS_STATUS_BUDGET)),
	    "dns_budget");
	CHECK(!dns_answered(DNS_BUDGET));
}

/* --- the c-ares path against a scripted resolver ------------------------ */

struct resolver {
	int		 fd;
	struct event	*ev;
	unsigned	 received;	/* questions */
	int		 hold;		/* keep questions unanswered */
	unsigned char	 held[512];
	size_t		 held_len;
	struct sockaddr_storage held_from;
	socklen_t	 held_fromlen;
	uint32_t	 ttl;
};

static void
resolver_answer(struct resolver *r, const unsigned char *q, size_t qlen,
    struct sockaddr *from, socklen_t fromlen)
{
	struct msg m;
	size_t qend = 12;

	/* Echo the question, answer one A record with the test's TTL. */
	while (qend < qlen && q[qend] != 0)
		qend += (size_t)q[qend] + 1;
	qend += 5;
	if (qend > qlen || qend > sizeof(m.b) - 32)
		return;
	memcpy(m.b, q, qend);
	m.b[2] = 0x81;
	m.b[3] = 0x80;
	m.b[6] = 0;
	m.b[7] = 1;
	m.b[8] = m.b[9] = m.b[10] = m.b[11] = 0;	/* no NS, no EDNS OPT */
	m.len = qend;
	msg_a(&m, r->ttl, "192.0.2.7");
	(void)sendto(r->fd, m.b, m.len, 0, from, fromlen);
}

static void
resolver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolver *r = arg;
	unsigned char q[512];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	ssize_t n;

	(void)what;
	n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fromlen);
	if (n < 12)
		return;
	r->received++;
	if (r->hold) {
		memcpy(r->held, q, (size_t)n);
		r->held_len = (size_t)n;
		r->held_from = from;
		r->held_fromlen = fromlen;
		return;
	}
	resolver_answer(r, q, (size_t)n, (struct sockaddr *)&from, fromlen);
}

static int
resolver_start(struct event_base *base, struct resolver *r, char *csv,
    size_t csvlen)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(r, 0, sizeof(*r));
	r->ttl = 300;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((r->fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(r->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(r->fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	evutil_make_socket_nonblocking(r->fd);
	r->ev = event_new(base, r->fd, EV_READ | EV_PERSIST, resolver_cb, r);
	event_add(r->ev, NULL);
	snprintf(csv, csvlen, "127.0.0.1:%u", ntohs(sin.sin_port));
	return 0;
}

static void
resolver_stop(struct resolver *r)
{
	event_free(r->ev);
	close(r->fd);
}

struct asker {
	int		 answers;
	int		 status;
	int		 inside;	/* set while dns_query() runs */
	int		 answered_inside;
	struct dns	*d;
	int		 ask_again;	/* from the callback: the same question */
	struct asker	*again;
};

static void
asker_cb(void *arg, int status, const unsigned char *abuf, int alen)
{
	struct asker *a = arg;
	struct dns_addr *addrs = NULL;
	size_t n = 0;

	a->answers++;
	a->status = status;
	if (a->inside)
		a->answered_inside++;
	if (status == ARES_SUCCESS) {
		CHECK_INT(dns_parse_addrs(ns_t_a, abuf, alen, &addrs, &n),
		    DNS_OK);
		CHECK_INT(n, 1);
		free(addrs);
	}
	if (a->ask_again && a->again != NULL) {
		a->ask_again = 0;
		a->again->inside = 1;
		dns_query(a->d, "one.test", ns_t_a, asker_cb, a->again);
		a->again->inside = 0;
	}
}

static enum dns_asked
ask(struct dns *d, const char *name, struct asker *a)
{
	enum dns_asked r;

	a->d = d;
	a->inside = 1;
	r = dns_query(d, name, ns_t_a, asker_cb, a);
	a->inside = 0;
	return r;
}

static void
run_until(struct event_base *base, int *flag, int want)
{
	for (int i = 0; i < 200 && *flag < want; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK),
		usleep(1000);
}

static void
test_dns_path(int sync_mode)
{
	struct event_base *base = event_base_new();
	struct resolver r;
	struct dns *d;
	struct dns_stats st;
	struct asker a1, a2, a3, a4, a5;
	char csv[64], err[256];

	memset(&a1, 0, sizeof(a1));
	a2 = a3 = a4 = a5 = a1;
	if (sync_mode)
		setenv("MAILSEC_TEST_DNS", "sync,ttl=1", 1);
	else
		unsetenv("MAILSEC_TEST_DNS");
	CHECK(resolver_start(base, &r, csv, sizeof(csv)) == 0);
	d = dns_new(base, csv, 2000, 1, err, sizeof(err));
	CHECK(d != NULL);
	if (d == NULL)
		return;
	/* Held: two identical questions (case, final dot) are one sent. */
	r.hold = 1;
	CHECK_INT(ask(d, "one.test", &a1), DNS_ASKED_SENT);
	CHECK_INT(ask(d, "ONE.test.", &a2), DNS_ASKED_JOINED);
	CHECK(dns_answerable(d, "one.test", ns_t_a));
	CHECK(!dns_answerable(d, "two.test", ns_t_a));
	run_until(base, (int *)&r.received, 1);
	CHECK_INT(r.received, 1);
	CHECK_INT(a1.answers + a2.answers, 0);
	r.hold = 0;
	resolver_answer(&r, r.held, r.held_len,
	    (struct sockaddr *)&r.held_from, r.held_fromlen);
	run_until(base, &a2.answers, 1);
	CHECK_INT(a1.answers, 1);
	CHECK_INT(a2.answers, 1);
	CHECK_INT(a1.status, ARES_SUCCESS);
	CHECK_INT(a2.status, ARES_SUCCESS);
	/* Cached: no question; from the loop, or inside in the test mode.
	 * (The test mode's own 1 ms cache has expired by now.) */
	usleep(3000);
	CHECK_INT(ask(d, "one.test", &a3), sync_mode ? DNS_ASKED_CACHED :
	    DNS_ASKED_CACHED);
	if (!sync_mode) {
		CHECK_INT(a3.answers, 0);	/* never inside the call */
		run_until(base, &a3.answers, 1);
	}
	CHECK_INT(a3.answers, 1);
	CHECK_INT(a3.answered_inside, sync_mode ? 1 : 0);
	CHECK_INT(a3.status, ARES_SUCCESS);
	CHECK_INT(r.received, 1);
	/* A callback asking the same again, answered from the cache. */
	a4.ask_again = 1;
	a4.again = &a5;
	ask(d, "one.test", &a4);
	run_until(base, &a5.answers, 1);
	CHECK_INT(a4.answers, 1);
	CHECK_INT(a5.answers, 1);
	CHECK_INT(a5.answered_inside, sync_mode ? 1 : 0);
	CHECK_INT(r.received, 1);
	dns_get_stats(d, &st);
	CHECK_INT(st.queries[DNS_REC_A], 1);
	CHECK_INT(st.joined, 1);
	CHECK_INT(st.entries, 1);
	CHECK(st.bytes > 0);
	/* A TTL of 0 is never kept: each question is sent. */
	r.ttl = 0;
	memset(&a1, 0, sizeof(a1));
	a2 = a1;
	CHECK_INT(ask(d, "zero.test", &a1), DNS_ASKED_SENT);
	run_until(base, &a1.answers, 1);
	usleep(3000);
	CHECK_INT(ask(d, "zero.test", &a2), DNS_ASKED_SENT);
	run_until(base, &a2.answers, 1);
	CHECK_INT(r.received, 3);
	/* Freed with a cached answer on its way: it ends, once. */
	memset(&a1, 0, sizeof(a1));
	ask(d, "one.test", &a1);
	dns_free(d);
	CHECK_INT(a1.answers, 1);
	CHECK_INT(a1.status, sync_mode ? ARES_SUCCESS : ARES_EDESTRUCTION);
	resolver_stop(&r);
	event_base_free(base);
	unsetenv("MAILSEC_TEST_DNS");
}

int
main(void)
{
	test_ttl();
	test_negative();
	test_hostile();
	test_bounds();
	test_record_names();
	test_dns_path(0);
	test_dns_path(1);
	return unit_done("test_dnscache");
}
