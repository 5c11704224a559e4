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
#include "daemon/util.h"
#include "tests/unit/unit.h"

struct held {
	dns_answer_cb	 cb;
	void		*arg;
	char		 name[300];
};

struct script {
	int		 answer_now;	/* answer inside send() */
	struct held	 held[16];
	size_t		 n_held;
	size_t		 sent;
	int		 in_start;	/* records_start() is running */
	int		 done_calls;
	int		 done_in_start;
	struct records_result *res;
};

static void
scripted_send(void *send_arg, const char *name, int type, dns_answer_cb cb,
    void *cb_arg, uint64_t *sent_ms)
{
	struct script *s = send_arg;

	(void)type;
	s->sent++;
	if (sent_ms)
		*sent_ms = now_ms();
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
start(struct event_base *base, struct script *s)
{
	static char *const sel[] = { "s1", "s2" };
	struct records_params p;
	struct records_job *job;

	memset(&p, 0, sizeof(p));
	p.base = base;
	p.domain = "example.org";
	p.selectors = sel;
	p.n_selectors = 2;
	p.send = scripted_send;
	p.send_arg = s;
	s->in_start = 1;
	job = records_start(NULL, &p, done_cb, s);
	s->in_start = 0;
	return job;
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

	/* Cancelled after all answers came inside records_start(). */
	memset(&s, 0, sizeof(s));
	s.answer_now = 1;
	records_cancel(start(base, &s));
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(s.done_calls, 0);

	event_base_free(base);
	return unit_done("test_records");
}
