/* The DNSSEC jobs (zonestatus, danelookup) through a caller's sender, as
 * the scheduler paces them (dnssec.h, struct dnssec_sender): every
 * validated question goes through send and nothing straight to the
 * validator (there is none here), a cancel cancels every handle still
 * out, and a question the budget refused (DNSSEC_BUDGET) is a DNS
 * failure, never "insecure" or "no TLSA". */
#include <arpa/nameser.h>
#include <stdio.h>
#include <string.h>

#include "collectors/danelookup.h"
#include "collectors/zonestatus.h"
#include "tests/unit/unit.h"

struct fake_q {
	dnssec_cb	 cb;
	void		*arg;
	char		 name[300];
	int		 type;
	int		 done;		/* answered or cancelled */
};

struct fake {
	struct fake_q	 qs[32];
	size_t		 n;
	unsigned	 cancels;
};

static void *
fake_send(void *arg, const char *name, int type, dnssec_cb cb, void *cb_arg)
{
	struct fake *f = arg;
	struct fake_q *q = &f->qs[f->n++];

	q->cb = cb;
	q->arg = cb_arg;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->type = type;
	return q;
}

static void
fake_cancel(void *arg, void *handle)
{
	struct fake *f = arg;
	struct fake_q *q = handle;

	CHECK(!q->done);
	q->done = 1;
	f->cancels++;
}

/* What the queue does later, from the loop. */
static void
fake_answer(struct fake *f, size_t i, enum dnssec_status s)
{
	struct dnssec_answer a = { .status = s, .rcode = s == DNSSEC_SECURE ?
	    0 : 2, .why_bogus = "" };

	CHECK(!f->qs[i].done);
	f->qs[i].done = 1;
	f->qs[i].cb(f->qs[i].arg, &a);
}

static struct zonestatus_result *zone_res;
static unsigned zone_calls;

static void
zone_done(struct zonestatus_result *res, void *arg)
{
	(void)arg;
	zone_res = res;
	zone_calls++;
}

static void
test_zonestatus(void)
{
	struct fake f = { .n = 0 };
	struct dnssec_sender s = { fake_send, fake_cancel, &f };
	const char *names[] = { "sec.test", "mx.sec.test", "SEC.test" };
	struct zonestatus_job *job;

	job = zonestatus_start(NULL, &s, names, 3, zone_done, NULL);
	CHECK_INT(f.n, 2);			/* a duplicate asked once */
	CHECK_STR(f.qs[0].name, "sec.test");
	CHECK_INT(f.qs[0].type, ns_t_dnskey);
	CHECK_STR(f.qs[1].name, "mx.sec.test");
	CHECK_INT(zone_calls, 0);		/* never from inside start */
	fake_answer(&f, 0, DNSSEC_SECURE);
	CHECK_INT(zone_calls, 0);
	fake_answer(&f, 1, DNSSEC_BUDGET);
	CHECK_INT(zone_calls, 1);
	CHECK(zone_res != NULL && zone_res->n_names == 2);
	CHECK_STR(dnssec_status_name(zone_res->names[0].status), "secure");
	CHECK_STR(dnssec_status_name(zone_res->names[1].status), "dns_budget");
	zonestatus_result_free(zone_res);
	CHECK_INT(f.cancels, 0);

	/* cancelled with one answer in: the other handle is cancelled */
	memset(&f, 0, sizeof(f));
	zone_calls = 0;
	job = zonestatus_start(NULL, &s, names, 2, zone_done, NULL);
	fake_answer(&f, 1, DNSSEC_SECURE);
	zonestatus_cancel(job);
	CHECK_INT(f.cancels, 1);
	CHECK(f.qs[0].done);
	CHECK_INT(zone_calls, 0);
}

static struct danelookup_result *dane_res;
static unsigned dane_calls;

static void
dane_done(struct danelookup_result *res, void *arg)
{
	(void)arg;
	dane_res = res;
	dane_calls++;
}

static void
test_danelookup(void)
{
	struct fake f = { .n = 0 };
	uint16_t ports[] = { 25, 587 };
	struct danelookup_params p = {
		.domain = "d.sec.test", .host = "mx.sec.test", .ports = ports,
		.n_ports = 2, .send = { fake_send, fake_cancel, &f } };
	struct danelookup_job *job;

	job = danelookup_start(&p, dane_done, NULL);
	CHECK_INT(f.n, 5);			/* MX, A, AAAA, 2 TLSA */
	CHECK_STR(f.qs[0].name, "d.sec.test");
	CHECK_INT(f.qs[0].type, ns_t_mx);
	CHECK_STR(f.qs[1].name, "mx.sec.test");
	CHECK_INT(f.qs[2].type, ns_t_aaaa);
	CHECK_STR(f.qs[3].name, "_25._tcp.mx.sec.test");
	CHECK_STR(f.qs[4].name, "_587._tcp.mx.sec.test");
	CHECK_INT(f.qs[4].type, 52);
	fake_answer(&f, 0, DNSSEC_SECURE);
	fake_answer(&f, 1, DNSSEC_SECURE);
	fake_answer(&f, 2, DNSSEC_SECURE);
	CHECK_INT(dane_calls, 0);
	danelookup_cancel(job);			/* the two TLSA still out */
	CHECK_INT(f.cancels, 2);
	CHECK_INT(dane_calls, 0);

	/* the budget refused the TLSA questions: a DNS failure */
	memset(&f, 0, sizeof(f));
	job = danelookup_start(&p, dane_done, NULL);
	(void)job;
	for (size_t i = 0; i < 5; i++)
		fake_answer(&f, i, i < 3 ? DNSSEC_SECURE : DNSSEC_BUDGET);
	CHECK_INT(dane_calls, 1);
	CHECK(dane_res != NULL && dane_res->n_ports == 2);
	CHECK_INT(dane_res->ports[0].tlsa_status, DNSSEC_BUDGET);
	CHECK(!dane_res->ports[0].applicable);
	CHECK_STR(dane_reason_name(dane_res->ports[0].reason),
	    dane_reason_name(DANE_REASON_DNS));
	CHECK(danelookup_usable(dane_res, 25) == NULL);
	danelookup_result_free(dane_res);
	CHECK_INT(f.cancels, 0);
}

int
main(void)
{
	test_zonestatus();
	test_danelookup();
	return unit_done("test_dnssec_send");
}
