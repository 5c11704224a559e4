#include "collectors/dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netdb.h>

#include "collectors/dnscache.h"
#include "base/log.h"
#include "base/util.h"

/* One watched c-ares socket. */
struct dns_sock {
	struct dns_sock	*next;
	struct dns	*d;
	ares_socket_t	 fd;
	struct event	*ev;
	short		 what;
};

/* The test resolver mode (MAILSEC_TEST_DNS, doc/hostile.md): answers that
 * complete inside dns_query(), as c-ares gives them on a failed send
 * (EMFILE, ENOMEM) and, from 1.23, on every cache hit.  Off unless the
 * variable is set. */
#define DNS_TEST_CACHE	64

struct dns_test_answer {
	char		*name;
	int		 type;
	int		 status;
	unsigned char	*abuf;
	int		 alen;
	uint64_t	 at_ms;
};

struct dns_test {
	int		 on;
	unsigned	 ttl_ms;	/* how long an answer is served again */
	unsigned	 fail_every;	/* every Nth query fails inside; 0: none */
	unsigned	 block_every;	/* every Nth is run to its end inside */
	unsigned	 in_answer;	/* inside an answer's callback */
	unsigned	 timeout_ms, tries;	/* the channel's, for those */
	unsigned long	 queries, hits, fails, blocked;
	struct dns_test_answer cache[DNS_TEST_CACHE];
	size_t		 next;		/* the slot written next */
};

/* One asker of a question: the first sent it, the others joined. */
struct dns_waiter {
	struct dns_waiter *next;
	dns_answer_cb	 cb;
	void		*arg;
};

/* A question in flight, found by (name, type) while it is: the askers of
 * the same question wait for its one answer (coalescing). */
#define DNS_FLIGHT_BUCKETS	256
/* A key holds any name of the wire's 253 characters (and its final dot). */
#define DNS_KEY_MAX		256

struct dns_flight {
	struct dns_flight *hnext;
	struct dns	*d;
	uint32_t	 hash;
	int		 type;
	struct dns_waiter *waiters, **wtail;
	char		 name[];	/* the key: lower case, no final dot */
};

/* A cached answer on its way to its asker, from the loop. */
struct dns_ready {
	struct dns_ready *next;
	dns_answer_cb	 cb;
	void		*arg;
	int		 status;
	int		 alen;
	unsigned char	 abuf[];
};

struct dns {
	struct event_base *base;
	ares_channel	 channel;
	struct event	*timer;
	struct dns_sock	*socks;
	unsigned	 in_flight;
	struct dns_test	 test;
	struct dnscache	*cache;
	struct dns_flight *flights[DNS_FLIGHT_BUCKETS];
	struct dns_ready *ready, **ready_tail;
	struct event	*ready_ev;
	int		 closing;
	char		*servers;	/* as last set */
	struct dns_stats stats;
};

static void dns_rearm_timer(struct dns *d);

static void
dns_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_sock *ds = arg;
	struct dns *d = ds->d;

	ares_process_fd(d->channel,
	    (what & EV_READ) ? (ares_socket_t)fd : ARES_SOCKET_BAD,
	    (what & EV_WRITE) ? (ares_socket_t)fd : ARES_SOCKET_BAD);
	dns_rearm_timer(d);
}

static void
dns_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns *d = arg;

	(void)fd;
	(void)what;
	ares_process_fd(d->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_rearm_timer(d);
}

static void
dns_rearm_timer(struct dns *d)
{
	struct timeval max = { 1, 0 }, tv, *next;

	if (d->in_flight == 0) {
		evtimer_del(d->timer);
		return;
	}
	next = ares_timeout(d->channel, &max, &tv);
	evtimer_add(d->timer, next);
}

/* c-ares tells us which sockets to watch for what. */
static void
dns_sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns *d = data;
	struct dns_sock **pp, *ds;
	short what = (short)((readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));

	for (pp = &d->socks; (ds = *pp) != NULL; pp = &ds->next)
		if (ds->fd == fd)
			break;
	if (what == 0) {
		if (ds) {
			*pp = ds->next;
			event_free(ds->ev);
			free(ds);
		}
		return;
	}
	if (ds == NULL) {
		ds = xcalloc(1, sizeof(*ds));
		ds->d = d;
		ds->fd = fd;
		ds->next = d->socks;
		d->socks = ds;
	} else if (ds->what == what)
		return;
	else
		event_free(ds->ev);
	ds->what = what;
	ds->ev = event_new(d->base, fd, what | EV_PERSIST, dns_sock_cb, ds);
	event_add(ds->ev, NULL);
}

/* "sync[,ttl=MS][,every=N][,fail=N]". */
static int
dns_test_setup(struct dns_test *t, const char *spec, char *err, size_t errlen)
{
	char *copy, *tok, *save = NULL;
	const char *why = NULL;
	uint64_t v;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	if (spec == NULL || *spec == '\0')
		return 0;
	copy = xstrdup(spec);
	t->ttl_ms = 1000;
	t->block_every = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL && rc == 0;
	    tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "sync") == 0)
			t->on = 1;
		else if (strncmp(tok, "ttl=", 4) == 0 &&
		    parse_uint(tok + 4, 1, 3600000, &v, &why) == 0)
			t->ttl_ms = (unsigned)v;
		else if (strncmp(tok, "fail=", 5) == 0 &&
		    parse_uint(tok + 5, 1, 1000000, &v, &why) == 0)
			t->fail_every = (unsigned)v;
		else if (strncmp(tok, "every=", 6) == 0 &&
		    parse_uint(tok + 6, 0, 1000000, &v, &why) == 0)
			t->block_every = (unsigned)v;
		else
			rc = -1;
	}
	if (rc == 0 && !t->on)
		rc = -1;
	if (rc == -1)
		snprintf(err, errlen, "MAILSEC_TEST_DNS=%s: expected "
		    "sync[,ttl=MS][,every=N][,fail=N]%s%s", spec, why ? ": " : "",
		    why ? why : "");
	else
		log_warn("dns_test_mode", "msg=\"answers may complete inside "
		    "the call (MAILSEC_TEST_DNS)\" ttl_ms=%u every=%u "
		    "fail_every=%u", t->ttl_ms, t->block_every, t->fail_every);
	free(copy);
	return rc;
}

static void
dns_test_clear(struct dns_test *t)
{
	for (size_t i = 0; i < DNS_TEST_CACHE; i++) {
		free(t->cache[i].name);
		free(t->cache[i].abuf);
	}
	memset(t->cache, 0, sizeof(t->cache));
}

/* What c-ares 1.23 caches: answers, and the name or type not existing. */
static void
dns_test_store(struct dns_test *t, const char *name, int type, int status,
    const unsigned char *abuf, int alen)
{
	struct dns_test_answer *a;

	if (status != ARES_SUCCESS && status != ARES_ENOTFOUND &&
	    status != ARES_ENODATA)
		return;
	a = &t->cache[t->next];
	t->next = (t->next + 1) % DNS_TEST_CACHE;
	free(a->name);
	free(a->abuf);
	a->name = xstrdup(name);
	a->type = type;
	a->status = status;
	a->alen = abuf != NULL && alen > 0 ? alen : 0;
	a->abuf = a->alen > 0 ? xmalloc((size_t)a->alen) : NULL;
	if (a->alen > 0)
		memcpy(a->abuf, abuf, (size_t)a->alen);
	a->at_ms = now_ms();
}

/* A question is waited for inside the call this long at most; a slower
 * one (a timeout under test) is sent again on the shared channel, so that
 * the loop is not held for the resolver's timeouts. */
#define DNS_TEST_BLOCK_MS	50

struct dns_test_wait {
	int		 abandoned;
	int		 done;
	int		 status;
	unsigned char	*abuf;
	int		 alen;
};

static void
dns_test_wait_cb(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct dns_test_wait *w = arg;

	(void)timeouts;
	if (w->abandoned)
		return;
	w->done = 1;
	w->status = status;
	if (abuf != NULL && alen > 0) {
		w->abuf = xmalloc((size_t)alen);
		memcpy(w->abuf, abuf, (size_t)alen);
		w->alen = alen;
	}
}

/* Runs one query to its end on a channel of its own, with the servers and
 * limits of the shared one, for DNS_TEST_BLOCK_MS at most: the loop waits
 * (a test mode only).  w->done says whether the answer came. */
static void
dns_test_block(struct dns *d, const char *name, int type,
    struct dns_test_wait *w)
{
	struct ares_addr_port_node *servers = NULL;
	struct ares_options opts;
	ares_channel ch;
	uint64_t until = now_ms() + DNS_TEST_BLOCK_MS;

	memset(&opts, 0, sizeof(opts));
	opts.timeout = (int)d->test.timeout_ms;
	opts.tries = (int)d->test.tries;
	opts.flags = ARES_FLAG_EDNS | ARES_FLAG_NOCHECKRESP;
	opts.ednspsz = 1232;
	if (ares_init_options(&ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ) != ARES_SUCCESS) {
		w->done = 1;
		w->status = ARES_ENOMEM;
		return;
	}
	if (ares_get_servers_ports(d->channel, &servers) == ARES_SUCCESS) {
		ares_set_servers_ports(ch, servers);
		ares_free_data(servers);
	}
	ares_query(ch, name, ns_c_in, type, dns_test_wait_cb, w);
	while (!w->done && now_ms() < until) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd pfd[ARES_GETSOCK_MAXNUM];
		struct timeval max = { 1, 0 }, tv, *next;
		/* The bits by hand: ARES_GETSOCK_WRITABLE shifts an int by 31. */
		unsigned bits = (unsigned)ares_getsock(ch, socks,
		    ARES_GETSOCK_MAXNUM);
		nfds_t n = 0;

		for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = (short)((((bits >> i) & 1) ? POLLIN : 0) |
			    (((bits >> (i + ARES_GETSOCK_MAXNUM)) & 1) ?
			    POLLOUT : 0));

			if (ev == 0)
				continue;
			pfd[n].fd = socks[i];
			pfd[n].events = ev;
			pfd[n++].revents = 0;
		}
		next = ares_timeout(ch, &max, &tv);
		if (poll(pfd, n, (int)(next->tv_sec * 1000 +
		    next->tv_usec / 1000) + 1 < DNS_TEST_BLOCK_MS ?
		    (int)(next->tv_sec * 1000 + next->tv_usec / 1000) + 1 :
		    DNS_TEST_BLOCK_MS) <= 0) {
			ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (nfds_t i = 0; i < n && !w->done; i++)
			if (pfd[i].revents != 0)
				ares_process_fd(ch, (pfd[i].revents &
				    (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd :
				    ARES_SOCKET_BAD, (pfd[i].revents & POLLOUT) ?
				    pfd[i].fd : ARES_SOCKET_BAD);
	}
	w->abandoned = !w->done;
	ares_destroy(ch);
}

/* Answers inside the call when the test mode says so; 1 if it did.  The
 * answer is copied first: what the callback asks may overwrite its slot. */
static int
dns_test_answer_now(struct dns *d, const char *name, int type,
    dns_answer_cb cb, void *arg)
{
	struct dns_test *t = &d->test;
	struct dns_test_answer *a = NULL;
	unsigned char *abuf = NULL;
	uint64_t now = now_ms();
	int status, alen;

	if (!t->on)
		return 0;
	t->queries++;
	if (t->fail_every > 0 && t->queries % t->fail_every == 0) {
		t->fails++;
		cb(arg, ARES_ECONNREFUSED, NULL, 0);
		return 1;
	}
	for (size_t i = 0; i < DNS_TEST_CACHE && a == NULL; i++)
		if (t->cache[i].name != NULL && t->cache[i].type == type &&
		    now - t->cache[i].at_ms <= t->ttl_ms &&
		    strcasecmp(t->cache[i].name, name) == 0)
			a = &t->cache[i];
	/* Every other question an answer's handler asks, and every Nth
	 * question besides, is answered inside the call that asks it: the
	 * others come from the loop, so that handlers run both ways. */
	if (a == NULL && ((t->in_answer > 0 && t->queries % 2 == 1) ||
	    (t->block_every > 0 && t->queries % t->block_every == 0))) {
		struct dns_test_wait w = { 0, 0, 0, NULL, 0 };

		d->stats.queries[dns_record_of(name, type)]++;
		dns_test_block(d, name, type, &w);
		if (!w.done)
			return 0;
		t->blocked++;
		dns_test_store(t, name, type, w.status, w.abuf, w.alen);
		dnscache_put(d->cache, name, type, ns_c_in, w.status, w.abuf,
		    w.alen);
		cb(arg, w.status, w.abuf, w.alen);
		free(w.abuf);
		return 1;
	}
	if (a == NULL)
		return 0;
	t->hits++;
	status = a->status;
	alen = a->alen;
	if (alen > 0) {
		abuf = xmalloc((size_t)alen);
		memcpy(abuf, a->abuf, (size_t)alen);
	}
	cb(arg, status, abuf, alen);
	free(abuf);
	return 1;
}

static const struct dnscache_params dns_cache_defaults = {
	DNSCACHE_DEFAULT_MAX_TTL_S, DNSCACHE_DEFAULT_NEG_MAX_TTL_S,
	DNSCACHE_DEFAULT_MAX_ENTRIES, DNSCACHE_DEFAULT_MAX_BYTES, NULL, NULL,
};

/* The cached answers due, in the order they were asked for; those that
 * their callbacks ask for come in the next pass. */
static void
dns_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns *d = arg;
	struct dns_ready *r, *batch = d->ready;

	(void)fd;
	(void)what;
	d->ready = NULL;
	d->ready_tail = &d->ready;
	while ((r = batch) != NULL) {
		batch = r->next;
		r->cb(r->arg, r->status, r->alen > 0 ? r->abuf : NULL, r->alen);
		free(r);
	}
}

struct dns *
dns_new(struct event_base *base, const char *servers, unsigned timeout_ms,
    unsigned tries, char *err, size_t errlen)
{
	struct dns *d = xcalloc(1, sizeof(*d));
	struct ares_options opts;
	int r, mask;

	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = dns_sock_state_cb;
	opts.sock_state_cb_data = d;
	opts.timeout = (int)timeout_ms;
	opts.tries = (int)tries;
	/* NOCHECKRESP: c-ares 1.18 otherwise retries a SERVFAIL or REFUSED
	 * answer and, once the tries are spent, reports ARES_ECONNREFUSED
	 * ("could not contact DNS servers"), so the rcode label could never
	 * say servfail or refused.  The answer is final instead (no failover
	 * to a second resolver on those two rcodes; timeouts still fail over). */
	opts.flags = ARES_FLAG_EDNS | ARES_FLAG_NOCHECKRESP;
	opts.ednspsz = 1232;
	mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ;
	d->base = base;
	if ((r = ares_init_options(&d->channel, &opts, mask)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares init: %s", ares_strerror(r));
		free(d);
		return NULL;
	}
	d->timer = evtimer_new(base, dns_timer_cb, d);
	d->ready_ev = event_new(base, -1, 0, dns_ready_cb, d);
	d->ready_tail = &d->ready;
	d->cache = dnscache_new(&dns_cache_defaults);
	if (dns_test_setup(&d->test, getenv("MAILSEC_TEST_DNS"), err,
	    errlen) == -1) {
		dns_free(d);
		return NULL;
	}
	d->test.timeout_ms = timeout_ms;
	d->test.tries = tries;
	if (servers && dns_set_servers(d, servers, err, errlen) == -1) {
		dns_free(d);
		return NULL;
	}
	return d;
}

int
dns_set_servers(struct dns *d, const char *servers, char *err, size_t errlen)
{
	int r;

	if (servers == NULL)
		return 0;
	if ((r = ares_set_servers_ports_csv(d->channel, servers)) != ARES_SUCCESS) {
		snprintf(err, errlen, "resolver %s: %s", servers,
		    ares_strerror(r));
		return -1;
	}
	/* Answers of other servers are not theirs. */
	if (d->servers == NULL || strcmp(d->servers, servers) != 0) {
		dnscache_clear(d->cache);
		free(d->servers);
		d->servers = xstrdup(servers);
	}
	return 0;
}

void
dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	d->closing = 1;
	/* Runs every pending callback with ARES_EDESTRUCTION; the cached
	 * answers not delivered yet end the same way. */
	ares_destroy(d->channel);
	while (d->ready != NULL) {
		struct dns_ready *r = d->ready;

		d->ready = r->next;
		r->cb(r->arg, ARES_EDESTRUCTION, NULL, 0);
		free(r);
	}
	event_free(d->ready_ev);
	dnscache_free(d->cache);
	free(d->servers);
	if (d->test.on) {
		log_info("dns_test_summary", "queries=%lu answered_inside=%lu "
		    "cached=%lu failed_inside=%lu", d->test.queries,
		    d->test.hits + d->test.blocked + d->test.fails,
		    d->test.hits, d->test.fails);
		dns_test_clear(&d->test);
	}
	while (d->socks) {
		struct dns_sock *ds = d->socks;

		d->socks = ds->next;
		event_free(ds->ev);
		free(ds);
	}
	event_free(d->timer);
	free(d);
}

unsigned
dns_in_flight(const struct dns *d)
{
	return d->in_flight;
}

static uint32_t
flight_hash(const char *key, size_t len, int type)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	return (h ^ (uint32_t)(type & 0xffff)) * 16777619u;
}

static struct dns_flight *
flight_find(struct dns *d, const char *key, uint32_t h, int type)
{
	struct dns_flight *f;

	for (f = d->flights[h % DNS_FLIGHT_BUCKETS]; f != NULL; f = f->hnext)
		if (f->hash == h && f->type == type && strcmp(f->name, key) == 0)
			return f;
	return NULL;
}

static void
flight_unlink(struct dns *d, struct dns_flight *f)
{
	struct dns_flight **pp = &d->flights[f->hash % DNS_FLIGHT_BUCKETS];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
}

/* The one answer, to every asker in turn.  The flight is out of the table
 * first: an asker's callback that asks the same again gets the cache, or a
 * new flight. */
static void
dns_query_done(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct dns_flight *f = arg;
	struct dns *d = f->d;
	struct dns_waiter *w;

	(void)timeouts;
	d->in_flight--;
	flight_unlink(d, f);
	if (status != ARES_EDESTRUCTION && f->name[0] != '\0') {
		dnscache_put(d->cache, f->name, f->type, ns_c_in, status, abuf,
		    alen);
		if (d->test.on)
			dns_test_store(&d->test, f->name, f->type, status, abuf,
			    alen);
	}
	d->test.in_answer++;
	while ((w = f->waiters) != NULL) {
		f->waiters = w->next;
		w->cb(w->arg, status, abuf, alen);
		free(w);
	}
	d->test.in_answer--;
	free(f);
}

static void
dns_waiter_add(struct dns_flight *f, dns_answer_cb cb, void *arg)
{
	struct dns_waiter *w = xcalloc(1, sizeof(*w));

	w->cb = cb;
	w->arg = arg;
	*f->wtail = w;
	f->wtail = &w->next;
}

/* A cached answer, copied (the cache may change before it is used): from
 * the loop, or inside the call in the test mode. */
static void
dns_answer_cached(struct dns *d, dns_answer_cb cb, void *arg, int status,
    const unsigned char *abuf, int alen)
{
	struct dns_ready *r = xmalloc(sizeof(*r) + (size_t)(alen > 0 ? alen : 0));

	r->next = NULL;
	r->cb = cb;
	r->arg = arg;
	r->status = status;
	r->alen = alen > 0 ? alen : 0;
	if (r->alen > 0)
		memcpy(r->abuf, abuf, (size_t)r->alen);
	if (d->test.on) {
		cb(arg, r->status, r->alen > 0 ? r->abuf : NULL, r->alen);
		free(r);
		return;
	}
	*d->ready_tail = r;
	d->ready_tail = &r->next;
	event_active(d->ready_ev, EV_TIMEOUT, 0);
}

int
dns_answerable(struct dns *d, const char *name, int type)
{
	char key[DNS_KEY_MAX];
	size_t len = dnscache_key_name(name, key, sizeof(key));

	if (len == SIZE_MAX)
		return 0;
	return dnscache_has(d->cache, key, type, ns_c_in) ||
	    flight_find(d, key, flight_hash(key, len, type), type) != NULL;
}

enum dns_asked
dns_query(struct dns *d, const char *name, int type, dns_answer_cb cb,
    void *arg)
{
	char key[DNS_KEY_MAX];
	struct dns_flight *f;
	const unsigned char *abuf;
	size_t len;
	uint32_t h;
	int status, alen;

	if (d->closing) {
		cb(arg, ARES_EDESTRUCTION, NULL, 0);
		return DNS_ASKED_TEST;
	}
	if ((len = dnscache_key_name(name, key, sizeof(key))) == SIZE_MAX) {
		/* Longer than any name: c-ares refuses it, as before. */
		len = 0;
		key[0] = '\0';
	} else if (dnscache_get(d->cache, key, type, ns_c_in, &status, &abuf,
	    &alen)) {
		d->stats.hits++;
		dns_answer_cached(d, cb, arg, status, abuf, alen);
		return DNS_ASKED_CACHED;
	}
	h = flight_hash(key, len, type);
	if (len > 0 && (f = flight_find(d, key, h, type)) != NULL) {
		d->stats.joined++;
		dns_waiter_add(f, cb, arg);
		return DNS_ASKED_JOINED;
	}
	/* Behind the cache and the flights: what the test mode sends is
	 * counted and cached as any question. */
	if (dns_test_answer_now(d, name, type, cb, arg))
		return DNS_ASKED_TEST;
	f = xcalloc(1, sizeof(*f) + len + 1);
	memcpy(f->name, key, len + 1);
	f->d = d;
	f->hash = h;
	f->type = type;
	f->wtail = &f->waiters;
	dns_waiter_add(f, cb, arg);
	f->hnext = d->flights[h % DNS_FLIGHT_BUCKETS];
	d->flights[h % DNS_FLIGHT_BUCKETS] = f;
	d->stats.queries[dns_record_of(name, type)]++;
	d->in_flight++;
	/* The caller's spelling: the key only finds the flight. */
	ares_query(d->channel, name, ns_c_in, type, dns_query_done, f);
	dns_rearm_timer(d);
	return DNS_ASKED_SENT;
}

void
dns_set_cache(struct dns *d, const struct dnscache_params *p)
{
	dnscache_set_params(d->cache, p);
}

void
dns_drop_cache(struct dns *d)
{
	dnscache_clear(d->cache);
}

void
dns_get_stats(const struct dns *d, struct dns_stats *st)
{
	*st = d->stats;
	st->entries = dnscache_entries(d->cache);
	st->bytes = dnscache_bytes(d->cache);
	st->evictions = dnscache_evictions(d->cache);
}

/* "_dmarc.x" and the like: name starts with the label, or has it at a
 * label boundary after a selector ("s._domainkey.x"). */
static int
has_label(const char *name, const char *label, int first)
{
	size_t n = strlen(label);

	if (strncasecmp(name, label, n) == 0 && name[n] == '.')
		return 1;
	if (first)
		return 0;
	for (const char *p = strchr(name, '.'); p != NULL; p = strchr(p + 1, '.'))
		if (strncasecmp(p + 1, label, n) == 0 && p[1 + n] == '.')
			return 1;
	return 0;
}

enum dns_record
dns_record_of(const char *name, int type)
{
	switch (type) {
	case ns_t_mx:
		return DNS_REC_MX;
	case ns_t_a:
		return DNS_REC_A;
	case ns_t_aaaa:
		return DNS_REC_AAAA;
	case ns_t_tlsa:
		return DNS_REC_TLSA;
	case ns_t_ptr:
		return DNS_REC_PTR;
	case ns_t_caa:
		return DNS_REC_CAA;
	case ns_t_cname:
		return DNS_REC_CNAME;
	case ns_t_dnskey:
		return DNS_REC_DNSKEY;
	case ns_t_ds:
		return DNS_REC_DS;
	case ns_t_txt:
		if (has_label(name, "_dmarc", 1))
			return DNS_REC_DMARC;
		if (has_label(name, "_mta-sts", 1))
			return DNS_REC_MTA_STS;
		if (strncasecmp(name, "_smtp._tls.", 11) == 0)
			return DNS_REC_TLS_RPT;
		if (has_label(name, "_domainkey", 0))
			return DNS_REC_DKIM;
		return DNS_REC_SPF;
	default:
		return DNS_REC_OTHER;
	}
}

static const char *const dns_record_names[DNS_REC__COUNT] = {
	[DNS_REC_MX] = "mx",
	[DNS_REC_A] = "a",
	[DNS_REC_AAAA] = "aaaa",
	[DNS_REC_SPF] = "spf",
	[DNS_REC_DMARC] = "dmarc",
	[DNS_REC_DKIM] = "dkim",
	[DNS_REC_MTA_STS] = "mta_sts",
	[DNS_REC_TLS_RPT] = "tls_rpt",
	[DNS_REC_TLSA] = "tlsa",
	[DNS_REC_PTR] = "ptr",
	[DNS_REC_CAA] = "caa",
	[DNS_REC_CNAME] = "cname",
	[DNS_REC_DNSKEY] = "dnskey",
	[DNS_REC_DS] = "ds",
	[DNS_REC_OTHER] = "other",
};
_Static_assert(sizeof(dns_record_names) / sizeof(dns_record_names[0]) ==
    DNS_REC__COUNT, "a name for every record");

const char *
dns_record_name(enum dns_record r)
{
	return (unsigned)r < DNS_REC__COUNT ? dns_record_names[r] : "other";
}

enum dns_result
dns_classify(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return DNS_OK;
	case ARES_ENOTFOUND:
		return DNS_NXDOMAIN;
	case ARES_ENODATA:
		return DNS_NODATA;
	case ARES_ESERVFAIL:
		return DNS_SERVFAIL;
	case ARES_EREFUSED:
		return DNS_REFUSED;
	case ARES_ETIMEOUT:
		return DNS_TIMEOUT;
	case DNS_STATUS_BUDGET:
		return DNS_BUDGET;
	default:
		return DNS_ERROR;
	}
}

int
dns_answered(enum dns_result r)
{
	return r == DNS_OK || r == DNS_NODATA || r == DNS_NXDOMAIN;
}

static const char *const dns_result_names[DNS__COUNT] = {
	[DNS_OK] = "noerror",
	[DNS_NXDOMAIN] = "nxdomain",
	[DNS_NODATA] = "nodata",
	[DNS_SERVFAIL] = "servfail",
	[DNS_REFUSED] = "refused",
	[DNS_TIMEOUT] = "timeout",
	[DNS_ERROR] = "error",
	[DNS_BUDGET] = "dns_budget",
};

const char *
dns_result_name(enum dns_result r)
{
	return (unsigned)r < DNS__COUNT ? dns_result_names[r] : "error";
}

enum dns_result
dns_parse_mx(const unsigned char *abuf, int alen, struct dns_mx **mx,
    size_t *n)
{
	struct ares_mx_reply *head = NULL, *m;
	size_t count = 0, i = 0;
	int r;

	*mx = NULL;
	*n = 0;
	if ((r = ares_parse_mx_reply(abuf, alen, &head)) != ARES_SUCCESS)
		return dns_classify(r);
	for (m = head; m; m = m->next)
		count++;
	if (count == 0) {
		ares_free_data(head);
		return DNS_NODATA;
	}
	*mx = xcalloc(count, sizeof(**mx));
	for (m = head; m; m = m->next, i++) {
		size_t len = strlen(m->host);

		/* Names are compared and labelled without the root dot. */
		if (len > 0 && m->host[len - 1] == '.')
			len--;
		(*mx)[i].host = ascii_lower_str(xstrndup(m->host, len));
		(*mx)[i].preference = m->priority;
	}
	*n = count;
	ares_free_data(head);
	return DNS_OK;
}

void
dns_mx_free(struct dns_mx *mx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(mx[i].host);
	free(mx);
}

int
dns_mx_host_seen(const struct dns_mx *mx, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(mx[j].host, mx[i].host) == 0)
			return 1;
	return 0;
}

/* Adds name (without its final dot) unless it is listed already. */
static void
names_add_once(char **names, size_t *n, const char *name)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < *n; i++)
		if (strlen(names[i]) == len && strncasecmp(names[i], name,
		    len) == 0)
			return;
	names[(*n)++] = xstrndup(name, len);
}

enum dns_result
dns_parse_ptr(const unsigned char *abuf, int alen, char ***names, size_t *n)
{
	struct hostent *he = NULL;
	size_t count = 0;
	int r;

	*names = NULL;
	*n = 0;
	if ((r = ares_parse_ptr_reply(abuf, alen, NULL, 0, AF_INET, &he)) !=
	    ARES_SUCCESS) {
		if (he != NULL)
			ares_free_hostent(he);
		return dns_classify(r);
	}
	if (he == NULL)
		return DNS_NODATA;
	for (char **al = he->h_aliases; al && *al; al++)
		count++;
	*names = xcalloc(count + 1, sizeof(**names));
	for (size_t i = 0; i < count; i++)
		names_add_once(*names, n, he->h_aliases[i]);
	/* h_name is one of the aliases, unless some c-ares lists none. */
	if (*n == 0 && he->h_name != NULL && he->h_name[0] != '\0')
		names_add_once(*names, n, he->h_name);
	ares_free_hostent(he);
	if (*n == 0) {
		free(*names);
		*names = NULL;
		return DNS_NODATA;
	}
	return DNS_OK;
}

void
dns_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

enum dns_result
dns_parse_addrs(int type, const unsigned char *abuf, int alen,
    struct dns_addr **addrs, size_t *n)
{
	enum { MAXADDRS = 64 };
	struct ares_addrttl t4[MAXADDRS];
	struct ares_addr6ttl t6[MAXADDRS];
	int naddr = MAXADDRS, r;

	r = type == ns_t_a ?
	    ares_parse_a_reply(abuf, alen, NULL, t4, &naddr) :
	    ares_parse_aaaa_reply(abuf, alen, NULL, t6, &naddr);
	if (r != ARES_SUCCESS)
		return dns_classify(r);
	if (naddr == 0)
		return DNS_NODATA;
	*addrs = xreallocarray(*addrs, *n + (size_t)naddr, sizeof(**addrs));
	for (int i = 0; i < naddr; i++) {
		struct dns_addr *a = &(*addrs)[(*n)++];

		memset(a, 0, sizeof(*a));
		if (type == ns_t_a) {
			a->family = AF_INET;
			a->u.v4 = t4[i].ipaddr;
			a->ttl = (unsigned)t4[i].ttl;
		} else {
			a->family = AF_INET6;
			memcpy(&a->u.v6, &t6[i].ip6addr, sizeof(a->u.v6));
			a->ttl = (unsigned)t6[i].ttl;
		}
	}
	return DNS_OK;
}

/* The length of the (possibly compressed) name at p in the message, or -1. */
static long
wire_name_len(const unsigned char *p, const unsigned char *abuf, int alen)
{
	char *name = NULL;
	long len = 0;

	if (ares_expand_name(p, abuf, alen, &name, &len) != ARES_SUCCESS)
		return -1;
	ares_free_string(name);
	return len;
}

int
dns_each_rdata(const unsigned char *abuf, int alen, int type, dns_rdata_fn fn,
    void *arg)
{
	const unsigned char *p, *end;
	unsigned qd, an;
	int n = 0;

	if (abuf == NULL || alen < 12)
		return -1;
	end = abuf + alen;
	qd = (unsigned)abuf[4] << 8 | abuf[5];
	an = (unsigned)abuf[6] << 8 | abuf[7];
	p = abuf + 12;
	for (unsigned i = 0; i < qd; i++) {
		long nl = wire_name_len(p, abuf, alen);

		if (nl < 0 || nl > end - p || end - p - nl < 4)
			return -1;
		p += nl + 4;
	}
	for (unsigned i = 0; i < an; i++) {
		long nl = wire_name_len(p, abuf, alen);
		unsigned rtype, rdlen;

		if (nl < 0 || nl > end - p || end - p - nl < 10)
			return -1;
		p += nl;
		rtype = (unsigned)p[0] << 8 | p[1];
		rdlen = (unsigned)p[8] << 8 | p[9];
		p += 10;
		if (rdlen > (size_t)(end - p))
			return -1;
		if ((int)rtype == type) {
			if (fn != NULL)
				fn(arg, p, rdlen);
			n++;
		}
		p += rdlen;
	}
	return n;
}
