/* Validated lookups through libunbound's event API (dnssec.h).
 *
 * libunbound calls back from inside ub_resolve_event() for what it has at
 * once (local data, its cache): such an answer is copied and handed over
 * from a zero timer, so callers see one rule, "never from inside".  Every
 * lookup also has its own timer: when it fires first the query is
 * cancelled in unbound and answered DNSSEC_TIMEOUT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unbound.h>
#include <unbound-event.h>

#include "collectors/dns.h"
#include "collectors/dnssec.h"
#include "base/log.h"
#include "base/util.h"

struct dnssec {
	struct event_base *base;
	struct ub_ctx	*ub;		/* made by the first lookup (ub_setup) */
	char		*ta_file;	/* the params, kept for ub_setup */
	char		*forwarder;	/* or NULL */
	char		**local_zones;	/* "name transparent", NULL-ended */
	unsigned	 timeout_ms;
	unsigned	 in_flight;
	struct dnssec_query *queries;	/* every query not yet released */
	unsigned long	 asked[DNS_REC__COUNT];
};

struct dnssec_query {
	struct dnssec	*v;
	struct dnssec_query *prev, *next;
	int		 async_id;	/* 0: none in unbound */
	int		 starting;	/* inside ub_resolve_event() */
	struct event	*timer;		/* the timeout, then the handover */
	dnssec_cb	 cb;
	void		*arg;
	uint64_t	 started_ms;
	char		*name;
	/* an answer kept for the handover */
	struct dnssec_answer kept;
	unsigned char	*kept_packet;
	char		*kept_why;
};

static const char *const status_names[DNSSEC__COUNT] = {
	[DNSSEC_SECURE] = "secure",
	[DNSSEC_INSECURE] = "insecure",
	[DNSSEC_BOGUS] = "bogus",
	[DNSSEC_SERVFAIL] = "servfail",
	[DNSSEC_TIMEOUT] = "timeout",
	[DNSSEC_ERROR] = "error",
	[DNSSEC_BUDGET] = "dns_budget",
};
_Static_assert(ARRAY_LEN(status_names) == DNSSEC__COUNT, "a name per status");

const char *
dnssec_status_name(enum dnssec_status s)
{
	return (unsigned)s < DNSSEC__COUNT ? status_names[s] : "unknown";
}

static void
query_release(struct dnssec_query *q)
{
	struct dnssec *v = q->v;

	if (q->timer != NULL)
		event_free(q->timer);
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		v->queries = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	v->in_flight--;
	free(q->kept_packet);
	free(q->kept_why);
	free(q->name);
	free(q);
}

static void
query_deliver(struct dnssec_query *q, const struct dnssec_answer *a)
{
	q->cb(q->arg, a);
	query_release(q);
}

static enum dnssec_status
status_of(int rcode, int sec)
{
	if (rcode != 0 && rcode != 3)	/* 3: NXDOMAIN, an answer */
		return sec == 1 ? DNSSEC_BOGUS : DNSSEC_SERVFAIL;
	switch (sec) {
	case 2:
		return DNSSEC_SECURE;
	case 1:
		return DNSSEC_BOGUS;
	default:
		return DNSSEC_INSECURE;
	}
}

/* libunbound's callback. */
static void
ub_answered(void *arg, int rcode, void *packet, int len, int sec,
    char *why_bogus, int was_ratelimited)
{
	struct dnssec_query *q = arg;
	struct dnssec_answer a;

	(void)was_ratelimited;
	q->async_id = 0;
	memset(&a, 0, sizeof(a));
	a.status = status_of(rcode, sec);
	a.rcode = rcode;
	a.why_bogus = why_bogus != NULL ? why_bogus : "";
	a.duration_s = (double)(now_ms() - q->started_ms) / 1000.0;
	if (rcode == 0 || rcode == 3) {
		a.packet = packet;
		a.len = len;
	}
	/* A SERVFAIL on a signed name is often a bogus answer unbound threw
	 * away: its why_bogus says so. */
	if (a.status == DNSSEC_SERVFAIL && why_bogus != NULL && *why_bogus)
		a.status = DNSSEC_BOGUS;
	/* ... unless it says the trust anchor's own keys could not be had:
	 * then the validator reached no server (an offline host, a blocked
	 * path to the root), and no signature was shown to be wrong. */
	if (a.status == DNSSEC_BOGUS && why_bogus != NULL &&
	    strstr(why_bogus, "no DNSKEY rrset for trust anchor") != NULL)
		a.status = DNSSEC_SERVFAIL;
	log_debug("dnssec_answer", "name=%s status=%s rcode=%d", q->name,
	    dnssec_status_name(a.status), rcode);
	if (!q->starting) {
		query_deliver(q, &a);
		return;
	}
	/* From inside ub_resolve_event(): keep a copy, hand it over from
	 * the loop (the timer, rearmed at zero). */
	q->kept = a;
	if (a.packet != NULL && a.len > 0) {
		q->kept_packet = xmalloc((size_t)a.len);
		memcpy(q->kept_packet, a.packet, (size_t)a.len);
		q->kept.packet = q->kept_packet;
	}
	q->kept_why = xstrdup(a.why_bogus);
	q->kept.why_bogus = q->kept_why;
	q->kept.status = a.status;
}

static void
timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct dnssec_query *q = arg;
	struct dnssec_answer a;

	(void)fd;
	(void)what;
	if (q->kept_why != NULL) {	/* a kept answer's handover */
		query_deliver(q, &q->kept);
		return;
	}
	if (q->async_id != 0) {
		ub_cancel(q->v->ub, q->async_id);
		q->async_id = 0;
	}
	memset(&a, 0, sizeof(a));
	a.status = DNSSEC_TIMEOUT;
	a.rcode = 2;
	a.why_bogus = "";
	a.duration_s = (double)(now_ms() - q->started_ms) / 1000.0;
	log_debug("dnssec_answer", "name=%s status=timeout", q->name);
	query_deliver(q, &a);
}

static struct dnssec_query *
query_new(struct dnssec *v, const char *name, dnssec_cb cb, void *arg)
{
	struct dnssec_query *q = xcalloc(1, sizeof(*q));

	q->v = v;
	q->cb = cb;
	q->arg = arg;
	q->name = xstrdup(name);
	q->started_ms = now_ms();
	q->next = v->queries;
	if (v->queries != NULL)
		v->queries->prev = q;
	v->queries = q;
	v->in_flight++;
	if ((q->timer = evtimer_new(v->base, timer_fired, q)) == NULL) {
		log_error("dnssec_oom", "msg=\"no timer\"");
		abort();
	}
	return q;
}

/* libunbound's context is made by the first lookup, not with the
 * validator: a run that validates nothing (endpoint checks only) never
 * builds unbound's configuration and module environment (~0.3 MiB of heap
 * and ~0.5 MiB of libunbound's pages, make bench).  The config has checked
 * the trust anchor file and the forwarder's address already; what fails
 * here is a lookup's DNSSEC_ERROR, with why. */
static int
ub_setup(struct dnssec *v, char *err, size_t errlen)
{
	int rc;

	if ((v->ub = ub_ctx_create_event(v->base)) == NULL) {
		snprintf(err, errlen, "cannot create the DNSSEC validator");
		return -1;
	}
	/* Quiet, no files of its own, nothing from the system's config. */
	(void)ub_ctx_set_option(v->ub, "verbosity:", "0");
	(void)ub_ctx_set_option(v->ub, "use-syslog:", "no");
	/* A round of many domains asks thousands of names at once (MX, A,
	 * AAAA, TLSA per MX host and port, SOA/DNSKEY per zone): past
	 * num-queries-per-thread unbound drops the oldest, which come back
	 * as timeouts.  (The sockets, outgoing-range, are 4096 with libevent.) */
	(void)ub_ctx_set_option(v->ub, "num-queries-per-thread:", "8192");
	for (size_t i = 0; v->local_zones[i] != NULL; i++)
		(void)ub_ctx_set_option(v->ub, "local-zone:", v->local_zones[i]);
	if ((rc = ub_ctx_add_ta_file(v->ub, v->ta_file)) != 0)
		snprintf(err, errlen, "trust anchor %s: %s", v->ta_file,
		    ub_strerror(rc));
	else if (v->forwarder != NULL &&
	    (rc = ub_ctx_set_fwd(v->ub, v->forwarder)) != 0)
		snprintf(err, errlen, "dnssec_forwarder %s: %s", v->forwarder,
		    ub_strerror(rc));
	if (rc != 0) {
		ub_ctx_delete(v->ub);
		v->ub = NULL;
		return -1;
	}
	return 0;
}

struct dnssec_query *
dnssec_answer_later(struct dnssec *v, const char *name,
    enum dnssec_status status, dnssec_cb cb, void *arg)
{
	struct dnssec_query *q = query_new(v, name, cb, arg);
	struct timeval zero = { 0, 0 };

	q->kept.status = status;
	q->kept.rcode = 2;
	q->kept_why = xstrdup("");
	q->kept.why_bogus = q->kept_why;
	evtimer_add(q->timer, &zero);
	return q;
}

char dnssec_why_none[1];

void
dnssec_why_set(char **dst, const struct dnssec_answer *a)
{
	dnssec_why_free(*dst);
	*dst = a != NULL && a->status == DNSSEC_BOGUS && a->why_bogus != NULL &&
	    a->why_bogus[0] != '\0' ? xstrdup(a->why_bogus) : dnssec_why_none;
}

void
dnssec_why_free(char *why)
{
	if (why != dnssec_why_none)
		free(why);
}

size_t
dnssec_why_bytes(const char *why)
{
	return why == NULL || why == dnssec_why_none ? 0 : strlen(why) + 1;
}

struct dnssec_query *
dnssec_resolve(struct dnssec *v, const char *name, int type, dnssec_cb cb,
    void *arg)
{
	struct dnssec_query *q = query_new(v, name, cb, arg);
	struct timeval tv = { v->timeout_ms / 1000,
	    (v->timeout_ms % 1000) * 1000 };
	char why[512] = "";
	int rc = 0;

	v->asked[dns_record_of(name, type)]++;
	if (v->ub == NULL && ub_setup(v, why, sizeof(why)) == -1) {
		rc = -1;
	} else {
		q->starting = 1;
		rc = ub_resolve_event(v->ub, name, type, 1, q, ub_answered,
		    &q->async_id);
		q->starting = 0;
		if (rc != 0)
			snprintf(why, sizeof(why), "%s", ub_strerror(rc));
	}
	if (rc != 0) {
		q->async_id = 0;
		q->kept.status = DNSSEC_ERROR;
		q->kept.rcode = 2;
		q->kept_why = xstrdup(why);
		q->kept.why_bogus = q->kept_why;
	}
	if (q->kept_why != NULL) {	/* answered already: hand it over */
		tv.tv_sec = 0;
		tv.tv_usec = 0;
	}
	evtimer_add(q->timer, &tv);
	return q;
}

void
dnssec_cancel(struct dnssec_query *q)
{
	if (q->async_id != 0)
		ub_cancel(q->v->ub, q->async_id);
	query_release(q);
}

void *
dnssec_send(struct dnssec *v, const struct dnssec_sender *s,
    const char *name, int type, dnssec_cb cb, void *arg)
{
	if (s != NULL && s->send != NULL)
		return s->send(s->arg, name, type, cb, arg);
	return dnssec_resolve(v, name, type, cb, arg);
}

void
dnssec_send_cancel(const struct dnssec_sender *s, void *handle)
{
	if (s != NULL && s->send != NULL)
		s->cancel(s->arg, handle);
	else
		dnssec_cancel(handle);
}

unsigned
dnssec_in_flight(const struct dnssec *v)
{
	return v->in_flight;
}

struct dnssec *
dnssec_new(struct event_base *base, const struct dnssec_params *p, char *err,
    size_t errlen)
{
	struct dnssec *v = xcalloc(1, sizeof(*v));
	size_t n = 0;

	(void)err;
	(void)errlen;
	v->base = base;
	v->timeout_ms = p->timeout_ms ? p->timeout_ms : 5000;
	v->ta_file = xstrdup(p->trust_anchor_file);
	v->forwarder = p->forwarder != NULL ? xstrdup(p->forwarder) : NULL;
	while (p->insecure_local_zones != NULL &&
	    p->insecure_local_zones[n] != NULL)
		n++;
	v->local_zones = xcalloc(n + 1, sizeof(*v->local_zones));
	for (size_t i = 0; i < n; i++) {
		char val[300];

		snprintf(val, sizeof(val), "%s transparent",
		    p->insecure_local_zones[i]);
		v->local_zones[i] = xstrdup(val);
	}
	return v;
}

void
dnssec_free(struct dnssec *v)
{
	if (v == NULL)
		return;
	while (v->queries != NULL)
		dnssec_cancel(v->queries);
	if (v->ub != NULL)
		ub_ctx_delete(v->ub);
	for (size_t i = 0; v->local_zones[i] != NULL; i++)
		free(v->local_zones[i]);
	free(v->local_zones);
	free(v->ta_file);
	free(v->forwarder);
	free(v);
}

unsigned long
dnssec_queries(const struct dnssec *v, unsigned record)
{
	return v != NULL && record < DNS_REC__COUNT ? v->asked[record] : 0;
}
