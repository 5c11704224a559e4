/* collectors/mxexpand.c driven through a scripted sender fed with canned
 * DNS answers: the order of its callbacks (the MX set before the MX hosts,
 * a host as soon as its two answers are in), answers given inside send
 * (the scheduler's queue, c-ares on a failed send, the test mode), answers
 * held back and given later, hostile answers (a huge MX set, a CNAME loop,
 * names too long to ask) and cancelling mid-way, from outside and from
 * inside a callback. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "base/util.h"
#include "collectors/mxexpand.h"
#include "tests/unit/unit.h"

/* --- canned answers ------------------------------------------------------- */

struct msg {
	unsigned char	 b[65536];
	size_t		 o;
};

/* A name in wire form: labels split at dots, a label given as raw bytes
 * when it holds none. */
static void
put_name(struct msg *m, const char *name)
{
	const char *p = name;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		m->b[m->o++] = (unsigned char)l;
		memcpy(m->b + m->o, p, l);
		m->o += l;
		p += l + (dot ? 1 : 0);
	}
	m->b[m->o++] = 0;
}

static void
put16(struct msg *m, unsigned v)
{
	m->b[m->o++] = (unsigned char)(v >> 8);
	m->b[m->o++] = (unsigned char)v;
}

/* A response header and the question (RFC 1035 4.1). */
static void
msg_begin(struct msg *m, const char *qname, int qtype)
{
	memset(m->b, 0, 12);
	m->b[2] = 0x81;
	m->b[3] = 0x80;		/* response, RD, RA, NOERROR */
	m->b[5] = 1;		/* QDCOUNT */
	m->o = 12;
	put_name(m, qname);
	put16(m, (unsigned)qtype);
	put16(m, ns_c_in);
}

/* One answer record; rdata NULL: the rdata is the name rname (with the
 * 16-bit preference first for MX). */
static void
msg_rr(struct msg *m, const char *owner, int type, const void *rdata,
    size_t rdlen, unsigned pref, const char *rname)
{
	size_t len_at;
	unsigned an = ((unsigned)m->b[6] << 8 | m->b[7]) + 1;

	m->b[6] = (unsigned char)(an >> 8);
	m->b[7] = (unsigned char)an;
	put_name(m, owner);
	put16(m, (unsigned)type);
	put16(m, ns_c_in);
	put16(m, 0);
	put16(m, 3600);		/* TTL */
	len_at = m->o;
	m->o += 2;
	if (rdata != NULL) {
		memcpy(m->b + m->o, rdata, rdlen);
		m->o += rdlen;
	} else {
		if (type == ns_t_mx)
			put16(m, pref);
		put_name(m, rname);
	}
	m->b[len_at] = (unsigned char)((m->o - len_at - 2) >> 8);
	m->b[len_at + 1] = (unsigned char)(m->o - len_at - 2);
}

/* A zone answers a question into m: 1, or 0 for NXDOMAIN. */
typedef int (*zone_fn)(struct msg *m, const char *name, int type);

/* example.org: MX 20 mx2, 10 mx1, 30 mx1 (the same host twice), 40 "."
 * left out; mx1 has A and AAAA, mx2 only A, imap.example.org A;
 * nomx.example.org has no MX but an A; nullmx.example.org MX 0 ".". */
static int
zone_basic(struct msg *m, const char *name, int type)
{
	static const unsigned char a1[4] = { 192, 0, 2, 1 },
	    a2[4] = { 192, 0, 2, 2 }, a3[4] = { 192, 0, 2, 3 },
	    a4[4] = { 192, 0, 2, 4 },
	    aaaa1[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	msg_begin(m, name, type);
	if (strcmp(name, "example.org") == 0) {
		if (type == ns_t_mx) {
			msg_rr(m, name, ns_t_mx, NULL, 0, 20, "mx2.example.org");
			msg_rr(m, name, ns_t_mx, NULL, 0, 10, "mx1.example.org");
			msg_rr(m, name, ns_t_mx, NULL, 0, 30, "mx1.example.org");
		}
		return 1;
	}
	if (strcmp(name, "mx1.example.org") == 0) {
		if (type == ns_t_a)
			msg_rr(m, name, ns_t_a, a1, 4, 0, NULL);
		if (type == ns_t_aaaa)
			msg_rr(m, name, ns_t_aaaa, aaaa1, 16, 0, NULL);
		return 1;
	}
	if (strcmp(name, "mx2.example.org") == 0) {
		if (type == ns_t_a)
			msg_rr(m, name, ns_t_a, a2, 4, 0, NULL);
		return 1;
	}
	if (strcmp(name, "imap.example.org") == 0) {
		if (type == ns_t_a)
			msg_rr(m, name, ns_t_a, a3, 4, 0, NULL);
		return 1;
	}
	if (strcmp(name, "nomx.example.org") == 0) {
		if (type == ns_t_a)
			msg_rr(m, name, ns_t_a, a4, 4, 0, NULL);
		return 1;
	}
	if (strcmp(name, "nullmx.example.org") == 0) {
		if (type == ns_t_mx)
			msg_rr(m, name, ns_t_mx, NULL, 0, 0, "");
		return 1;
	}
	return 0;
}

/* big.example: 300 MX hosts, each with an A. */
#define BIG_MX	300
static int
zone_big(struct msg *m, const char *name, int type)
{
	static const unsigned char a[4] = { 198, 51, 100, 1 };

	msg_begin(m, name, type);
	if (strcmp(name, "big.example") == 0 && type == ns_t_mx) {
		for (unsigned i = 0; i < BIG_MX; i++) {
			char host[64];

			snprintf(host, sizeof(host), "mx%03u.big.example", i);
			msg_rr(m, name, ns_t_mx, NULL, 0, i, host);
		}
		return 1;
	}
	if (type == ns_t_a)
		msg_rr(m, name, ns_t_a, a, 4, 0, NULL);
	return 1;
}

/* loop.example: MX 10 a.loop.example, whose A and AAAA answers are a CNAME
 * loop (a -> b -> a) with no address; MX 20 a label of 63 bytes that are
 * not printable, three times: a name c-ares spells in 750 characters. */
static int
zone_hostile(struct msg *m, const char *name, int type)
{
	msg_begin(m, name, type);
	if (strcmp(name, "loop.example") == 0 && type == ns_t_mx) {
		unsigned char rd[2 + 3 * 64 + 1];
		size_t o = 0;

		rd[o++] = 0;
		rd[o++] = 20;
		for (int l = 0; l < 3; l++) {
			rd[o++] = 63;
			memset(rd + o, 0x01, 63);
			o += 63;
		}
		rd[o++] = 0;
		msg_rr(m, name, ns_t_mx, NULL, 0, 10, "a.loop.example");
		msg_rr(m, name, ns_t_mx, rd, o, 0, NULL);
		return 1;
	}
	if (strcmp(name, "a.loop.example") == 0) {
		msg_rr(m, "a.loop.example", ns_t_cname, NULL, 0, 0,
		    "b.loop.example");
		msg_rr(m, "b.loop.example", ns_t_cname, NULL, 0, 0,
		    "a.loop.example");
		return 1;
	}
	return 0;
}

/* --- the scripted sender -------------------------------------------------- */

struct held {
	dns_answer_cb	 cb;
	void		*arg;
	char		 name[1100];
	int		 type;
};

struct script {
	zone_fn		 zone;
	int		 answer_now;	/* answer inside send() */
	int		 status_now;	/* answer_now with this failure, if set */
	struct held	 held[64];
	size_t		 n_held;
	size_t		 sent;
	int		 in_start;
	struct mxexpand_job *job;
	int		 cancel_in_host;	/* cancel from the first host_cb */
	/* what came */
	int		 mx_calls, host_calls, done_calls, done_in_start;
	int		 mx_before_mxhost;	/* 0 until an MX host came */
	int		 mxhost_before_mx;
	struct mxexpand_mx mx;
	char		 mx_hosts[8][64];
	char		 hosts[32][80];
	enum mxexpand_role roles[32];
	size_t		 n_addrs[32], n_found[32];
	enum dns_result	 v4[32], v6[32];
	char		 first_addr[32][INET6_ADDRSTRLEN];
	struct mxexpand_result *res;
};

static void
zone_answer(struct script *s, const char *name, int type, dns_answer_cb cb,
    void *cb_arg)
{
	static struct msg m;

	if (s->zone(&m, name, type))
		cb(cb_arg, ARES_SUCCESS, m.b, (int)m.o);
	else
		cb(cb_arg, ARES_ENOTFOUND, NULL, 0);
}

static void
scripted_send(void *send_arg, const char *name, int type, dns_answer_cb cb,
    void *cb_arg, uint64_t *sent_ms)
{
	struct script *s = send_arg;

	s->sent++;
	if (sent_ms)
		*sent_ms = now_ms();
	if (s->answer_now && s->status_now) {
		cb(cb_arg, s->status_now, NULL, 0);
		return;
	}
	if (s->answer_now) {
		zone_answer(s, name, type, cb, cb_arg);
		return;
	}
	CHECK(s->n_held < ARRAY_LEN(s->held));
	if (s->n_held < ARRAY_LEN(s->held)) {
		struct held *h = &s->held[s->n_held++];

		h->cb = cb;
		h->arg = cb_arg;
		h->type = type;
		snprintf(h->name, sizeof(h->name), "%s", name);
	}
}

/* Answers the held questions from the zone, first asked first (the
 * answers may ask more: those are answered too). */
static void
answer_held(struct script *s)
{
	for (size_t i = 0; i < s->n_held; i++)
		zone_answer(s, s->held[i].name, s->held[i].type,
		    s->held[i].cb, s->held[i].arg);
	s->n_held = 0;
}

/* Answers the first n held questions only (what they ask stays held). */
static void
answer_first(struct script *s, size_t n)
{
	struct held now[8];

	CHECK(n <= s->n_held && n <= ARRAY_LEN(now));
	if (n > s->n_held || n > ARRAY_LEN(now))
		return;
	memcpy(now, s->held, n * sizeof(now[0]));
	memmove(s->held, s->held + n, (s->n_held - n) * sizeof(now[0]));
	s->n_held -= n;
	for (size_t i = 0; i < n; i++)
		zone_answer(s, now[i].name, now[i].type, now[i].cb, now[i].arg);
}

/* Ends the held questions with a status (EDESTRUCTION at shutdown). */
static void
fail_held(struct script *s, int status)
{
	size_t n = s->n_held;

	s->n_held = 0;
	for (size_t i = 0; i < n; i++)
		s->held[i].cb(s->held[i].arg, status, NULL, 0);
}

static void
on_mx(void *arg, const struct mxexpand_mx *m)
{
	struct script *s = arg;

	s->mx_calls++;
	s->mx = *m;
	s->mx.mx = NULL;	/* the job's: copied below */
	for (size_t i = 0; i < m->n_mx && i < ARRAY_LEN(s->mx_hosts); i++)
		snprintf(s->mx_hosts[i], sizeof(s->mx_hosts[i]), "%s",
		    m->mx[i].host);
}

static void
on_host(void *arg, const struct mxexpand_host *h)
{
	struct script *s = arg;
	size_t i = (size_t)s->host_calls++;

	if (h->role == MXEXPAND_MX && s->mx_calls == 0)
		s->mxhost_before_mx = 1;
	if (i >= ARRAY_LEN(s->hosts))
		return;
	snprintf(s->hosts[i], sizeof(s->hosts[i]), "%s", h->name);
	s->roles[i] = h->role;
	s->n_addrs[i] = h->n_addrs;
	s->n_found[i] = h->n_found;
	s->v4[i] = h->v4;
	s->v6[i] = h->v6;
	if (h->n_addrs > 0) {
		const struct sockaddr_storage *ss = &h->addrs[0].ss;

		CHECK_INT(ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6), h->addrs[0].len);
		inet_ntop(ss->ss_family, ss->ss_family == AF_INET ?
		    (const void *)&((const struct sockaddr_in *)ss)->sin_addr :
		    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr,
		    s->first_addr[i], sizeof(s->first_addr[i]));
	}
	if (s->cancel_in_host && s->job != NULL) {
		s->cancel_in_host = 0;
		mxexpand_cancel(s->job);
		s->job = NULL;
	}
}

static void
on_done(struct mxexpand_result *res, void *arg)
{
	struct script *s = arg;

	s->done_calls++;
	s->job = NULL;		/* freed after this */
	if (s->in_start)
		s->done_in_start++;
	mxexpand_result_free(s->res);
	s->res = res;
}

static const struct mxexpand_cbs cbs = { on_mx, on_host, on_done };

static struct mxexpand_job *
start(struct event_base *base, struct script *s, const char *domain,
    const struct mxexpand_name *hosts, size_t n_hosts, int v4, int v6)
{
	struct mxexpand_params p;

	memset(&p, 0, sizeof(p));
	p.base = base;
	p.domain = domain;
	p.hosts = hosts;
	p.n_hosts = n_hosts;
	p.v4 = v4;
	p.v6 = v6;
	p.send = scripted_send;
	p.send_arg = s;
	s->in_start = 1;
	s->job = mxexpand_start(&p, &cbs, s);
	s->in_start = 0;
	return s->job;
}

static void
script_init(struct script *s, zone_fn zone)
{
	memset(s, 0, sizeof(*s));
	s->zone = zone;
}

static void
script_free(struct script *s)
{
	mxexpand_result_free(s->res);
	s->res = NULL;
}

/* Index of host name in what came, or -1. */
static int
host_at(const struct script *s, const char *name)
{
	for (int i = 0; i < s->host_calls && i < (int)ARRAY_LEN(s->hosts); i++)
		if (strcmp(s->hosts[i], name) == 0)
			return i;
	return -1;
}

/* --- the tests ------------------------------------------------------------ */

static const struct mxexpand_name imap_host[] = {
	{ "imap.example.org", MXEXPAND_IMAP },
};

/* Answers held back and given later: the MX set comes sorted, before any
 * MX host; each host once; the families not probed are still counted, and
 * the MX hosts' addresses are all in the result; done from the loop. */
static void
test_held(struct event_base *base)
{
	struct script s;
	int i1, i2, im;

	script_init(&s, zone_basic);
	CHECK(start(base, &s, "example.org", imap_host, 1, 1, 0) != NULL);
	CHECK_INT(s.sent, 3);		/* MX, and the IMAP host's A, AAAA */
	CHECK_INT(s.mx_calls, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 0);	/* answers to come */
	answer_held(&s);		/* the MX answer asks two hosts more */
	CHECK_INT(s.mx_calls, 1);
	CHECK_INT(s.mx.result, DNS_OK);
	CHECK_INT(s.mx.n_mx, 3);
	CHECK_STR(s.mx_hosts[0], "mx1.example.org");	/* preference 10 */
	CHECK_STR(s.mx_hosts[1], "mx2.example.org");
	CHECK_STR(s.mx_hosts[2], "mx1.example.org");
	CHECK(!s.mx.null_mx && !s.mx.implicit_mx);
	CHECK(!s.mxhost_before_mx);
	CHECK_INT(s.n_held, 0);
	CHECK_INT(s.sent, 7);		/* mx1 once, mx2 */
	CHECK_INT(s.host_calls, 3);
	im = host_at(&s, "imap.example.org");
	i1 = host_at(&s, "mx1.example.org");
	i2 = host_at(&s, "mx2.example.org");
	CHECK(im >= 0 && i1 >= 0 && i2 >= 0);
	if (im >= 0 && i1 >= 0 && i2 >= 0) {
		CHECK_INT(s.roles[im], MXEXPAND_IMAP);
		CHECK_INT(s.roles[i1], MXEXPAND_MX);
		CHECK_INT(s.n_found[i1], 2);	/* A and AAAA */
		CHECK_INT(s.n_addrs[i1], 1);	/* IPv4 only */
		CHECK_STR(s.first_addr[i1], "192.0.2.1");
		CHECK_INT(s.v6[i1], DNS_OK);
		CHECK_INT(s.n_found[i2], 1);
		CHECK_INT(s.v6[i2], DNS_NODATA);
		CHECK_STR(s.first_addr[im], "192.0.2.3");
	}
	/* The hold went with the first loop pass: the last answer ends it. */
	CHECK_INT(s.done_calls, 1);
	CHECK_INT(s.done_in_start, 0);
	CHECK(s.res != NULL && s.res->n_mx_addrs == 3);	/* not the IMAP's */
	if (s.res != NULL && s.res->n_mx_addrs == 3) {
		int v6 = 0;

		for (size_t i = 0; i < 3; i++) {
			CHECK(strncmp(s.res->mx_addrs[i].host, "mx", 2) == 0);
			v6 |= strcmp(s.res->mx_addrs[i].address,
			    "2001:db8::1") == 0;
		}
		CHECK(v6);
	}
	script_free(&s);
}

/* Every answer inside send(): the MX set and every host inside
 * mxexpand_start(), the end never inside it. */
static void
test_inside(struct event_base *base)
{
	struct script s;

	script_init(&s, zone_basic);
	s.answer_now = 1;
	CHECK(start(base, &s, "example.org", imap_host, 1, 1, 1) != NULL);
	CHECK_INT(s.mx_calls, 1);
	CHECK_INT(s.host_calls, 3);
	CHECK(!s.mxhost_before_mx);
	CHECK_INT(s.done_calls, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 1);
	CHECK_INT(s.done_in_start, 0);
	CHECK(s.res != NULL && s.res->n_mx_addrs == 3);
	script_free(&s);

	/* A spent budget: every question ends at once with the scheduler's
	 * status, a failed lookup (never "no MX"). */
	script_init(&s, zone_basic);
	s.answer_now = 1;
	s.status_now = DNS_STATUS_BUDGET;
	start(base, &s, "example.org", imap_host, 1, 1, 1);
	CHECK_INT(s.mx_calls, 1);
	CHECK_INT(s.mx.result, DNS_BUDGET);
	CHECK(!s.mx.implicit_mx);
	CHECK_INT(s.host_calls, 1);	/* the IMAP host, unresolved */
	CHECK_INT(s.n_found[0], 0);
	CHECK_INT(s.v4[0], DNS_BUDGET);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 1);
	CHECK(s.res != NULL && s.res->n_mx_addrs == 0);
	script_free(&s);
}

/* No MX: the domain is its own MX host (RFC 5321 5.1); a null MX: no host
 * is asked (RFC 7505); a failed MX lookup: none either. */
static void
test_mx_kinds(struct event_base *base)
{
	struct script s;

	script_init(&s, zone_basic);
	s.answer_now = 1;
	start(base, &s, "nomx.example.org", NULL, 0, 1, 1);
	CHECK_INT(s.mx.result, DNS_NODATA);
	CHECK(s.mx.implicit_mx && !s.mx.null_mx);
	CHECK_INT(s.host_calls, 1);
	CHECK_STR(s.hosts[0], "nomx.example.org");
	CHECK_INT(s.roles[0], MXEXPAND_MX);
	CHECK_STR(s.first_addr[0], "192.0.2.4");
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 1);
	CHECK(s.res != NULL && s.res->n_mx_addrs == 1);
	script_free(&s);

	script_init(&s, zone_basic);
	s.answer_now = 1;
	start(base, &s, "nullmx.example.org", NULL, 0, 1, 1);
	CHECK_INT(s.mx.result, DNS_OK);
	CHECK(s.mx.null_mx);
	CHECK_INT(s.mx.n_mx, 1);
	CHECK_INT(s.sent, 1);
	CHECK_INT(s.host_calls, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 1);
	script_free(&s);

	script_init(&s, zone_basic);
	s.answer_now = 1;
	s.status_now = ARES_ESERVFAIL;
	start(base, &s, "example.org", NULL, 0, 1, 1);
	CHECK_INT(s.mx.result, DNS_SERVFAIL);
	CHECK_INT(s.mx.n_mx, 0);
	CHECK_INT(s.host_calls, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 1);
	script_free(&s);

	/* NXDOMAIN is no mail host at all: not implicit. */
	script_init(&s, zone_basic);
	s.answer_now = 1;
	start(base, &s, "nowhere.example.org", NULL, 0, 1, 1);
	CHECK_INT(s.mx.result, DNS_NXDOMAIN);
	CHECK(!s.mx.implicit_mx);
	CHECK_INT(s.host_calls, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 1);
	script_free(&s);
}

/* Literals and localhost are never asked; a literal is probed whatever
 * the families; no domain: no MX. */
static void
test_literals(struct event_base *base)
{
	static const struct mxexpand_name names[] = {
		{ "192.0.2.9", MXEXPAND_ENDPOINT },
		{ "2001:db8::9", MXEXPAND_ENDPOINT },
		{ "LocalHost.", MXEXPAND_IMAP },
	};
	struct script s;

	script_init(&s, zone_basic);
	start(base, &s, NULL, names, 3, 1, 0);
	CHECK_INT(s.sent, 0);
	CHECK_INT(s.mx_calls, 0);
	CHECK_INT(s.host_calls, 3);
	CHECK_STR(s.first_addr[0], "192.0.2.9");
	CHECK_INT(s.n_addrs[1], 1);	/* a literal: the families do not hold */
	CHECK_STR(s.first_addr[1], "2001:db8::9");
	CHECK_INT(s.n_found[2], 2);	/* 127.0.0.1 and ::1 */
	CHECK_INT(s.n_addrs[2], 1);	/* IPv4 only */
	CHECK_STR(s.first_addr[2], "127.0.0.1");
	CHECK_INT(s.done_calls, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 1);
	CHECK_INT(s.done_in_start, 0);
	CHECK(s.res != NULL && s.res->n_mx_addrs == 0);
	script_free(&s);

	/* Nothing to resolve at all. */
	script_init(&s, zone_basic);
	start(base, &s, NULL, NULL, 0, 1, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 1);
	script_free(&s);
}

/* A huge MX set: every record reaches the caller, only the first
 * MXEXPAND_MX_MAX hosts are asked. */
static void
test_huge_mx(struct event_base *base)
{
	struct script s;

	script_init(&s, zone_big);
	s.answer_now = 1;
	start(base, &s, "big.example", NULL, 0, 1, 1);
	CHECK_INT(s.mx.result, DNS_OK);
	CHECK_INT(s.mx.n_mx, BIG_MX);
	CHECK_INT(s.sent, 1 + 2 * MXEXPAND_MX_MAX);
	CHECK_INT(s.host_calls, MXEXPAND_MX_MAX);
	CHECK_STR(s.hosts[0], "mx000.big.example");
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 1);
	CHECK(s.res != NULL && s.res->n_mx_addrs == MXEXPAND_MX_MAX);
	script_free(&s);
}

/* A CNAME loop in the address answers: no address, the job ends; a name
 * longer than DNS allows (from the MX answer, or given) is not asked. */
static void
test_hostile_names(struct event_base *base)
{
	char longname[400];
	struct mxexpand_name given[1];
	struct script s;
	int ia;

	script_init(&s, zone_hostile);
	s.answer_now = 1;
	start(base, &s, "loop.example", NULL, 0, 1, 1);
	CHECK_INT(s.mx.result, DNS_OK);
	CHECK_INT(s.mx.n_mx, 2);
	CHECK_INT(s.sent, 3);		/* MX, A and AAAA of a.loop.example */
	CHECK_INT(s.host_calls, 2);
	ia = host_at(&s, "a.loop.example");
	CHECK(ia >= 0);
	if (ia >= 0) {
		CHECK_INT(s.n_found[ia], 0);
		CHECK(s.v4[ia] != DNS_OK && s.v6[ia] != DNS_OK);
	}
	for (int i = 0; i < s.host_calls; i++)
		if (i != ia) {
			CHECK_INT(s.n_found[i], 0);
			CHECK_INT(s.v4[i], DNS_ERROR);
		}
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 1);
	CHECK(s.res != NULL && s.res->n_mx_addrs == 0);
	script_free(&s);

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	for (size_t i = 60; i < sizeof(longname) - 1; i += 61)
		longname[i] = '.';
	given[0].name = longname;
	given[0].role = MXEXPAND_ENDPOINT;
	script_init(&s, zone_basic);
	start(base, &s, NULL, given, 1, 1, 1);
	CHECK_INT(s.sent, 0);
	CHECK_INT(s.host_calls, 1);
	CHECK_INT(s.n_found[0], 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 1);
	script_free(&s);
}

/* Cancelled with answers still to come: no callback any more, the job is
 * freed with its last answer (ASan sees a leak or a use after free
 * otherwise). */
static void
test_cancel(struct event_base *base)
{
	struct script s;

	/* Before the loop ran, every answer to come. */
	script_init(&s, zone_basic);
	mxexpand_cancel(start(base, &s, "example.org", imap_host, 1, 1, 1));
	event_base_loop(base, EVLOOP_NONBLOCK);
	fail_held(&s, ARES_EDESTRUCTION);
	CHECK_INT(s.mx_calls + s.host_calls + s.done_calls, 0);

	/* Mid-way: the MX answer in, its hosts' answers to come. */
	script_init(&s, zone_basic);
	start(base, &s, "example.org", NULL, 0, 1, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.n_held, 1);
	answer_first(&s, 1);
	CHECK_INT(s.mx_calls, 1);
	CHECK_INT(s.n_held, 4);
	answer_first(&s, 1);		/* mx1's A */
	mxexpand_cancel(s.job);
	answer_held(&s);
	CHECK_INT(s.host_calls, 0);
	CHECK_INT(s.done_calls, 0);

	/* From inside the first host's callback, answers inside send: the
	 * MX hosts still to ask are not asked. */
	script_init(&s, zone_basic);
	start(base, &s, "example.org", NULL, 0, 1, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	s.answer_now = 1;
	s.cancel_in_host = 1;
	answer_first(&s, 1);
	CHECK_INT(s.mx_calls, 1);
	CHECK_INT(s.host_calls, 1);
	CHECK_INT(s.sent, 3);		/* MX, mx1's A and AAAA: not mx2 */
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 0);

	/* All answers inside, then cancelled before the hold went. */
	script_init(&s, zone_basic);
	s.answer_now = 1;
	mxexpand_cancel(start(base, &s, "example.org", imap_host, 1, 1, 1));
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 0);
}

int
main(void)
{
	struct event_base *base = event_base_new();

	test_held(base);
	test_inside(base);
	test_mx_kinds(base);
	test_literals(base);
	test_huge_mx(base);
	test_hostile_names(base);
	test_cancel(base);
	CHECK_STR(mxexpand_role_name(MXEXPAND_POP3), "pop3");
	event_base_free(base);
	return unit_done("test_mxexpand");
}
