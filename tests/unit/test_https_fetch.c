/* The fetch engine hands at most max_active transfers to curl at once
 * (https_fetch.h): the others wait, in the order started, and their time
 * counts from their start, not from the wait.  The peer is a loopback
 * socket that listens and never accepts: the kernel completes the TCP
 * handshake, curl sends its ClientHello, and every transfer ends at its
 * timeout (FETCH_TIMEOUT), which is what lets the test see the slots. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dlfcn.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "collectors/curl_lib.h"
#include "collectors/https_fetch.h"
#include "tests/unit/unit.h"

#define N_FETCH		9
#define SLOTS		3
#define TIMEOUT_MS	300

struct run {
	struct event_base *base;
	int		 lfd;		/* the listener that never accepts */
	struct fetch_engine *e;
	struct fetch	*f[N_FETCH + 1];
	int		 done[N_FETCH + 1];
	double		 duration[N_FETCH + 1];
	enum fetch_class cls[N_FETCH + 1];
	int		 order[N_FETCH + 1];
	int		 n_done;
	unsigned	 max_active_seen;
	int		 in_start;	/* a callback inside fetch_start() */
	int		 starting;
	struct fetch_params p;
	int		 restart_from;	/* index whose callback starts #N_FETCH */
};

struct slot {
	struct run	*r;
	int		 i;
};

static struct slot slots[N_FETCH + 1];

static void fetched(const struct fetch_result *res, void *arg);

static struct fetch *
start(struct run *r, int i)
{
	struct fetch *f;

	slots[i].r = r;
	slots[i].i = i;
	r->starting = 1;
	f = fetch_start(r->e, &r->p, fetched, &slots[i]);
	r->starting = 0;
	return f;
}

static void
fetched(const struct fetch_result *res, void *arg)
{
	struct slot *s = arg;
	struct run *r = s->r;

	if (r->starting)
		r->in_start = 1;
	r->done[s->i]++;
	r->duration[s->i] = res->duration_s;
	r->cls[s->i] = res->cls;
	r->order[r->n_done++] = s->i;
	/* the one ending is still counted until its callback returns */
	if (fetch_engine_active(r->e) > r->max_active_seen)
		r->max_active_seen = fetch_engine_active(r->e);
	if (s->i == r->restart_from)
		r->f[N_FETCH] = start(r, N_FETCH);
}

static int
listener(uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 64) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		perror("listener");
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* r set up: a loop, a listener, an engine of n_slots slots and fetches
 * of timeout_ms to the listener (run_free). */
static void
run_init(struct run *r, unsigned n_slots, unsigned timeout_ms)
{
	static const char *const addrs[] = { "127.0.0.1" };
	uint16_t port = 0;
	char err[256] = "";

	memset(r, 0, sizeof(*r));
	r->base = event_base_new();
	r->lfd = listener(&port);
	CHECK(r->lfd != -1);
	r->e = fetch_engine_new(r->base, n_slots, err, sizeof(err));
	r->p.host = "mta-sts.example.test";
	r->p.port = port;
	r->p.path = "/.well-known/mta-sts.txt";
	r->p.addresses = addrs;
	r->p.n_addresses = 1;
	r->p.timeout_ms = timeout_ms;
	r->p.max_body = 65536;
	r->restart_from = -1;
}

/* The engine (if not freed already), the listener, the loop. */
static void
run_free(struct run *r)
{
	fetch_engine_free(r->e);
	close(r->lfd);
	event_base_free(r->base);
}

static void
test_slots(void)
{
	struct run r;
	int i;

	run_init(&r, SLOTS, TIMEOUT_MS);
	r.restart_from = 1;
	for (i = 0; i < N_FETCH; i++)
		r.f[i] = start(&r, i);
	CHECK_INT(fetch_engine_in_flight(r.e), N_FETCH);
	CHECK_INT(fetch_engine_active(r.e), SLOTS);
	/* A waiting one cancelled never calls back and takes no slot; an
	 * active one cancelled gives its slot to the next waiting (#3). */
	fetch_cancel(r.f[5]);
	fetch_cancel(r.f[0]);
	CHECK_INT(fetch_engine_in_flight(r.e), N_FETCH - 2);
	CHECK_INT(fetch_engine_active(r.e), SLOTS);
	while (r.n_done < N_FETCH - 2 + 1 &&
	    event_base_loop(r.base, EVLOOP_ONCE) == 0)
		;
	CHECK_INT(r.in_start, 0);
	CHECK_INT(r.done[0], 0);
	CHECK_INT(r.done[5], 0);
	for (i = 1; i <= N_FETCH; i++) {
		if (i == 5)
			continue;
		CHECK_INT(r.done[i], 1);
		CHECK_INT(r.cls[i], FETCH_TIMEOUT);
		CHECK(r.duration[i] >= TIMEOUT_MS / 1000.0 * 0.9);
	}
	/* 8 and 9 waited two rounds of 300 ms for a slot: their time counts
	 * from their own start, so less than two rounds shows */
	CHECK(r.duration[8] < TIMEOUT_MS / 1000.0 * 2);
	CHECK(r.duration[N_FETCH] < TIMEOUT_MS / 1000.0 * 2);
	CHECK(r.max_active_seen <= SLOTS);
	CHECK(r.max_active_seen >= 1);
	/* in the order started: 1 and 2 had slots, 3 took 0's; the one the
	 * callback of 1 started comes after those already waiting */
	CHECK_INT(r.order[0] == 1 || r.order[0] == 2 || r.order[0] == 3, 1);
	CHECK_INT(r.order[N_FETCH - 2], N_FETCH);
	CHECK_INT(fetch_engine_in_flight(r.e), 0);
	CHECK_INT(fetch_engine_active(r.e), 0);
	run_free(&r);
}

/* A higher bound starts those waiting at once; freeing the engine with
 * fetches waiting calls none back and starts none. */
static void
test_raise_and_free(void)
{
	struct run r;
	int i;

	run_init(&r, 1, 5000);
	for (i = 0; i < 4; i++)
		r.f[i] = start(&r, i);
	CHECK_INT(fetch_engine_active(r.e), 1);
	fetch_engine_set_max_active(r.e, 3);
	CHECK_INT(fetch_engine_active(r.e), 3);
	fetch_engine_set_max_active(r.e, 0);	/* at least 1; none stopped */
	CHECK_INT(fetch_engine_active(r.e), 3);
	event_base_loop(r.base, EVLOOP_NONBLOCK);
	CHECK_INT(r.n_done, 0);
	fetch_engine_free(r.e);
	r.e = NULL;
	CHECK_INT(r.n_done, 0);
	run_free(&r);
}

/* A /probe's fetch (urgent) waits ahead of the scheduled ones, and in
 * order among the urgent: with one slot, A runs, then U1, U2, then B, C. */
static void
test_urgent_first(void)
{
	struct run r;
	int i;

	run_init(&r, 1, 100);
	for (i = 0; i < 5; i++) {	/* 0 A, 1 B, 2 C, 3 U1, 4 U2 */
		r.p.urgent = i >= 3;
		r.f[i] = start(&r, i);
	}
	CHECK_INT(fetch_engine_active(r.e), 1);
	while (r.n_done < 5 && event_base_loop(r.base, EVLOOP_ONCE) == 0)
		;
	CHECK_INT(r.order[0], 0);
	CHECK_INT(r.order[1], 3);
	CHECK_INT(r.order[2], 4);
	CHECK_INT(r.order[3], 1);
	CHECK_INT(r.order[4], 2);
	run_free(&r);
}

/* Whether libcurl is loaded in this process. */
static int
curl_lib_loaded(void)
{
	void *h = dlopen(CURL_LIB_SONAME, RTLD_NOW | RTLD_NOLOAD);

	if (h == NULL)
		return 0;
	dlclose(h);	/* the reference NOLOAD took */
	return 1;
}

/* libcurl is mapped by the first fetch, not by the engine: an exporter
 * that fetches nothing does not load it (collectors/curl_lib.h). */
static void
test_curl_loaded_by_first_fetch(void)
{
	struct run r;

	CHECK_INT(curl_lib_loaded(), 0);
	run_init(&r, 1, 100);
	CHECK_INT(curl_lib_loaded(), 0);
	r.f[0] = start(&r, 0);
	CHECK_INT(curl_lib_loaded(), 1);
	while (r.n_done < 1 && event_base_loop(r.base, EVLOOP_ONCE) == 0)
		;
	CHECK_INT(r.cls[0], FETCH_TIMEOUT);
	run_free(&r);
}

int
main(void)
{
	test_curl_loaded_by_first_fetch();
	test_slots();
	test_raise_and_free();
	test_urgent_first();
	return unit_done("test_https_fetch");
}
