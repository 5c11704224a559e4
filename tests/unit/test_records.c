/* collectors/records.c driven through a scripted sender (records_params'
 * send): the job's lifetime when answers come inside records_start()
 * (c-ares answers a failed send, or a cache hit, before dns_query()
 * returns), when they are held back and come later (the scheduler's
 * pacing), and when the job is cancelled with answers still to come. */
#include <arpa/nameser.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "collectors/records.h"
#include "base/util.h"
#include "tests/unit/unit.h"

struct held {
	dns_answer_cb	 cb;
	void		*arg;
	char		 name[300];
};

/* A scripted zone: TXT records by name; any other name is NXDOMAIN. */
struct zone_txt {
	const char	*name;
	const char	*text;
};

struct script {
	int		 answer_now;	/* answer inside send() */
	const struct zone_txt *zone;	/* answer_now from the zone, not a failure */
	struct held	 held[16];
	size_t		 n_held;
	size_t		 sent;
	int		 in_start;	/* records_start() is running */
	int		 done_calls;
	int		 done_in_start;
	struct records_result *res;
};

/* A DNS answer of one TXT record (RFC 1035 4.1), the question's name
 * compressed in the answer. */
static int
txt_answer(unsigned char *m, size_t cap, const char *name, const char *text)
{
	size_t o = 12, tl = strlen(text);
	const char *p = name;

	memset(m, 0, 12);
	m[2] = 0x81;
	m[3] = 0x80;		/* response, RD, RA, NOERROR */
	m[5] = 1;		/* QDCOUNT */
	m[7] = 1;		/* ANCOUNT */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		m[o++] = (unsigned char)l;
		memcpy(m + o, p, l);
		o += l;
		p += l + (dot ? 1 : 0);
	}
	m[o++] = 0;
	m[o++] = 0; m[o++] = ns_t_txt; m[o++] = 0; m[o++] = ns_c_in;
	m[o++] = 0xc0; m[o++] = 12;
	m[o++] = 0; m[o++] = ns_t_txt; m[o++] = 0; m[o++] = ns_c_in;
	m[o++] = 0; m[o++] = 0; m[o++] = 0x0e; m[o++] = 0x10;	/* TTL */
	m[o++] = 0; m[o++] = (unsigned char)(tl + 1);
	m[o++] = (unsigned char)tl;
	memcpy(m + o, text, tl);
	o += tl;
	(void)cap;
	return (int)o;
}

/* Answers one question from the zone, now. */
static void
zone_answer(const struct zone_txt *zone, const char *name, dns_answer_cb cb,
    void *cb_arg)
{
	unsigned char m[512];

	for (const struct zone_txt *z = zone; z->name != NULL; z++)
		if (strcmp(z->name, name) == 0) {
			cb(cb_arg, ARES_SUCCESS, m,
			    txt_answer(m, sizeof(m), name, z->text));
			return;
		}
	cb(cb_arg, ARES_ENOTFOUND, NULL, 0);
}

static void
scripted_send(void *send_arg, const char *name, int type, dns_answer_cb cb,
    void *cb_arg, uint64_t *sent_ms)
{
	struct script *s = send_arg;

	(void)type;
	s->sent++;
	if (sent_ms)
		*sent_ms = now_ms();
	if (s->answer_now && s->zone != NULL) {
		zone_answer(s->zone, name, cb, cb_arg);
		return;
	}
	if (s->answer_now) {
		cb(cb_arg, ARES_ECONNREFUSED, NULL, 0);
		return;
	}
	if (s->n_held < ARRAY_LEN(s->held)) {
		s->held[s->n_held].cb = cb;
		s->held[s->n_held].arg = cb_arg;
		snprintf(s->held[s->n_held].name, sizeof(s->held[0].name), "%s",
		    name);
		s->n_held++;
	}
}

static void
done_cb(struct records_result *res, void *arg)
{
	struct script *s = arg;

	s->done_calls++;
	if (s->in_start)
		s->done_in_start++;
	records_result_free(s->res);
	s->res = res;
}

static struct records_job *
start_domain(struct event_base *base, struct script *s, const char *domain)
{
	static char *const sel[] = { "s1", "s2" };
	struct records_params p;
	struct records_job *job;

	memset(&p, 0, sizeof(p));
	p.base = base;
	p.domain = domain;
	p.selectors = sel;
	p.n_selectors = 2;
	p.send = scripted_send;
	p.send_arg = s;
	s->in_start = 1;
	job = records_start(NULL, &p, done_cb, s);
	s->in_start = 0;
	return job;
}

static struct records_job *
start(struct event_base *base, struct script *s)
{
	return start_domain(base, s, "example.org");
}

/* Answers the held questions from the zone, the one for `last` last, and
 * that one with every question it leads to answered inside send(): the
 * job's last answer then ends the job inside the answer's own frame. */
static void
answer_last_inside(struct script *s, const char *last)
{
	struct held final = { NULL, NULL, "" };

	while (s->n_held > 0) {
		struct held h = s->held[--s->n_held];

		if (strcmp(h.name, last) == 0) {
			final = h;
			continue;
		}
		zone_answer(s->zone, h.name, h.cb, h.arg);
	}
	CHECK(final.cb != NULL);
	if (final.cb == NULL)
		return;
	s->answer_now = 1;
	zone_answer(s->zone, final.name, final.cb, final.arg);
}

/* The three paths where an answer's handler asks again (RFC 7489 6.6.3
 * fallback, RFC 7489 7.1 external destinations, the SPF walk), each with
 * the new question answered inside the call that sends it. */
static void
test_answer_inside_handler(struct event_base *base)
{
	static const struct zone_txt org_fallback[] = {
		{ "_dmarc.example.org", "v=DMARC1; p=reject; sp=none" },
		{ NULL, NULL },
	};
	static const struct zone_txt external_rua[] = {
		{ "_dmarc.example.org", "v=DMARC1; p=none; "
		    "rua=mailto:a@reports.example.net,mailto:b@other.example.com" },
		{ "example.org._report._dmarc.reports.example.net", "v=DMARC1" },
		{ NULL, NULL },
	};
	static const struct zone_txt spf_walk[] = {
		{ "example.org", "v=spf1 include:_spf.example.net "
		    "include:_spf2.example.net -all" },
		{ "_spf.example.net", "v=spf1 ip4:192.0.2.0/24 -all" },
		{ "_spf2.example.net", "v=spf1 include:_spf3.example.net -all" },
		{ "_spf3.example.net", "v=spf1 ip4:198.51.100.0/24 -all" },
		{ NULL, NULL },
	};
	struct script s;

	/* The subdomain has no record: the organisational domain's, asked
	 * from the handler, is answered inside. */
	memset(&s, 0, sizeof(s));
	s.zone = org_fallback;
	CHECK(start_domain(base, &s, "mail.example.org") != NULL);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.n_held, 4);
	answer_last_inside(&s, "_dmarc.mail.example.org");
	CHECK_INT(s.done_calls, 1);
	CHECK(s.res != NULL && s.res->dmarc_from_org &&
	    strcmp(s.res->dmarc_domain, "example.org") == 0);
	records_result_free(s.res);

	memset(&s, 0, sizeof(s));
	s.zone = external_rua;
	CHECK(start(base, &s) != NULL);
	event_base_loop(base, EVLOOP_NONBLOCK);
	answer_last_inside(&s, "_dmarc.example.org");
	CHECK_INT(s.done_calls, 1);
	CHECK(s.res != NULL && s.res->n_dmarc_dests == 2);
	CHECK(s.res != NULL && s.res->n_dmarc_dests == 2 &&
	    s.res->dmarc_dests[0].authorized == 1 &&
	    s.res->dmarc_dests[1].authorized == 0);
	records_result_free(s.res);

	memset(&s, 0, sizeof(s));
	s.zone = spf_walk;
	CHECK(start(base, &s) != NULL);
	event_base_loop(base, EVLOOP_NONBLOCK);
	answer_last_inside(&s, "example.org");
	CHECK_INT(s.done_calls, 1);
	CHECK(s.res != NULL && s.res->spf_valid && s.res->spf_dns_lookups == 3);
	records_result_free(s.res);

	/* The same, with every question from the first one answered inside
	 * records_start(): the job still reports once, from the loop. */
	memset(&s, 0, sizeof(s));
	s.zone = spf_walk;
	s.answer_now = 1;
	CHECK(start(base, &s) != NULL);
	CHECK_INT(s.done_calls, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 1);
	CHECK(s.res != NULL && s.res->spf_valid && s.res->spf_dns_lookups == 3);
	records_result_free(s.res);
}

static void
answer_held(struct script *s, int status)
{
	/* Answers may ask more (the SPF walk): take them one by one. */
	while (s->n_held > 0) {
		struct held h = s->held[--s->n_held];

		h.cb(h.arg, status, NULL, 0);
	}
}

int
main(void)
{
	struct event_base *base = event_base_new();
	struct script s;

	/* Every answer inside records_start(): the job still ends, once, on
	 * the next loop pass, never inside the call. */
	memset(&s, 0, sizeof(s));
	s.answer_now = 1;
	CHECK(start(base, &s) != NULL);
	CHECK_INT(s.sent, 4);		/* SPF, DMARC, two DKIM selectors */
	CHECK_INT(s.done_calls, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 1);
	CHECK_INT(s.done_in_start, 0);
	CHECK(s.res != NULL && s.res->spf_lookup.done &&
	    s.res->spf_lookup.result != DNS_OK);
	CHECK(s.res != NULL && s.res->n_dkim == 2 && s.res->dkim[1].lookup.done);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 1);
	records_result_free(s.res);

	/* Answers held back (paced) and given later. */
	memset(&s, 0, sizeof(s));
	CHECK(start(base, &s) != NULL);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 0);
	CHECK_INT(s.n_held, 4);
	answer_held(&s, ARES_ETIMEOUT);
	CHECK_INT(s.done_calls, 1);
	CHECK(s.res != NULL && s.res->dmarc_lookup.done &&
	    s.res->dmarc_lookup.result == DNS_TIMEOUT);
	records_result_free(s.res);

	/* Cancelled before the loop ran, with every answer still to come:
	 * no callback, and the job is freed with its last answer (ASan and
	 * valgrind see a leak otherwise). */
	memset(&s, 0, sizeof(s));
	records_cancel(start(base, &s));
	event_base_loop(base, EVLOOP_NONBLOCK);
	answer_held(&s, ARES_EDESTRUCTION);
	CHECK_INT(s.done_calls, 0);

	test_answer_inside_handler(base);

	/* Cancelled after all answers came inside records_start(). */
	memset(&s, 0, sizeof(s));
	s.answer_now = 1;
	records_cancel(start(base, &s));
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 0);

	event_base_free(base);
	return unit_done("test_records");
}
