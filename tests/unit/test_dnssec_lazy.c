/* The validator makes libunbound's context at its first lookup (dnssec.c
 * ub_setup): making the validator asks nothing of libunbound, and a context
 * that cannot be set up (here: a trust anchor file that does not exist) is
 * that lookup's DNSSEC_ERROR with why, answered from the loop like any
 * other, never from inside dnssec_resolve(). */
#include <arpa/nameser.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "collectors/dnssec.h"
#include "tests/unit/unit.h"

struct got {
	int		 calls;
	enum dnssec_status status;
	char		 why[256];
};

static void
answered(void *arg, const struct dnssec_answer *a)
{
	struct got *g = arg;

	g->calls++;
	g->status = a->status;
	snprintf(g->why, sizeof(g->why), "%s", a->why_bogus ? a->why_bogus : "");
}

static void
test_setup_fails_at_first_lookup(void)
{
	struct event_base *base = event_base_new();
	struct dnssec_params p;
	struct dnssec *v;
	struct got g;
	char err[256] = "";

	memset(&p, 0, sizeof(p));
	memset(&g, 0, sizeof(g));
	p.trust_anchor_file = "/nonexistent/mailsec-test/trust-anchors";
	p.forwarder = "127.0.0.1@9";	/* never asked: set-up fails first */
	p.timeout_ms = 2000;
	v = dnssec_new(base, &p, err, sizeof(err));
	CHECK(v != NULL);
	CHECK_STR(err, "");
	CHECK_INT(dnssec_queries(v, 0) + dnssec_queries(v, 1), 0);
	(void)dnssec_resolve(v, "example.test.", ns_t_mx, answered, &g);
	CHECK_INT(g.calls, 0);		/* never from inside */
	event_base_loop(base, EVLOOP_ONCE);
	CHECK_INT(g.calls, 1);
	CHECK_INT(g.status, DNSSEC_ERROR);
	CHECK(g.why[0] != '\0');
	/* A second lookup fails the same way (unbound tries its set-up again). */
	memset(&g, 0, sizeof(g));
	(void)dnssec_resolve(v, "example.test.", ns_t_a, answered, &g);
	event_base_loop(base, EVLOOP_ONCE);
	CHECK_INT(g.calls, 1);
	CHECK_INT(g.status, DNSSEC_ERROR);
	dnssec_free(v);
	event_base_free(base);
}

static void
test_free_unused(void)
{
	struct event_base *base = event_base_new();
	static const char *const zones[] = { "test.", NULL };
	struct dnssec_params p;
	struct dnssec *v;
	char err[256] = "";

	memset(&p, 0, sizeof(p));
	p.trust_anchor_file = "/nonexistent/mailsec-test/trust-anchors";
	p.insecure_local_zones = zones;
	v = dnssec_new(base, &p, err, sizeof(err));
	CHECK(v != NULL);
	dnssec_free(v);		/* no context was made: nothing to delete */
	event_base_free(base);
}

int
main(void)
{
	test_setup_fails_at_first_lookup();
	test_free_unused();
	return unit_done("test_dnssec_lazy");
}
