#include "collectors/dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netdb.h>

#include "daemon/log.h"
#include "daemon/util.h"

/* One watched c-ares socket. */
struct dns_sock {
	struct dns_sock	*next;
	struct dns	*d;
	ares_socket_t	 fd;
	struct event	*ev;
	short		 what;
};

struct dns {
	struct event_base *base;
	ares_channel	 channel;
	struct event	*timer;
	struct dns_sock	*socks;
	unsigned	 in_flight;
};

struct dns_query_ctx {
	struct dns	*d;
	dns_answer_cb	 cb;
	void		*arg;
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
	return 0;
}

void
dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	/* Runs every pending callback with ARES_EDESTRUCTION. */
	ares_destroy(d->channel);
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

static void
dns_query_done(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct dns_query_ctx *q = arg;

	(void)timeouts;
	q->d->in_flight--;
	q->cb(q->arg, status, abuf, alen);
	free(q);
}

void
dns_query(struct dns *d, const char *name, int type, dns_answer_cb cb,
    void *arg)
{
	struct dns_query_ctx *q = xmalloc(sizeof(*q));

	q->d = d;
	q->cb = cb;
	q->arg = arg;
	d->in_flight++;
	ares_query(d->channel, name, ns_c_in, type, dns_query_done, q);
	dns_rearm_timer(d);
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
		(*mx)[i].host = xstrndup(m->host, len);
		for (char *p = (*mx)[i].host; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
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
	int naddr = MAXADDRS, r;

	if (type == ns_t_a) {
		struct ares_addrttl tt[MAXADDRS];

		r = ares_parse_a_reply(abuf, alen, NULL, tt, &naddr);
		if (r != ARES_SUCCESS)
			return dns_classify(r);
		if (naddr == 0)
			return DNS_NODATA;
		*addrs = xreallocarray(*addrs, *n + (size_t)naddr, sizeof(**addrs));
		for (int i = 0; i < naddr; i++) {
			struct dns_addr *a = &(*addrs)[(*n)++];

			memset(a, 0, sizeof(*a));
			a->family = AF_INET;
			a->u.v4 = tt[i].ipaddr;
			a->ttl = (unsigned)tt[i].ttl;
		}
	} else {
		struct ares_addr6ttl tt[MAXADDRS];

		r = ares_parse_aaaa_reply(abuf, alen, NULL, tt, &naddr);
		if (r != ARES_SUCCESS)
			return dns_classify(r);
		if (naddr == 0)
			return DNS_NODATA;
		*addrs = xreallocarray(*addrs, *n + (size_t)naddr, sizeof(**addrs));
		for (int i = 0; i < naddr; i++) {
			struct dns_addr *a = &(*addrs)[(*n)++];

			memset(a, 0, sizeof(*a));
			a->family = AF_INET6;
			memcpy(&a->u.v6, &tt[i].ip6addr, sizeof(a->u.v6));
			a->ttl = (unsigned)tt[i].ttl;
		}
	}
	return DNS_OK;
}
