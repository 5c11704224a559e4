/* The outputs' store of published results (web/results.c) and the
 * outputs that read it (the status page, the JSON API, the `check`
 * report), fed publish events alone: no struct check, no struct ctx, no
 * scheduler. */
#include <stdlib.h>
#include <string.h>

#include "daemon/publish.h"
#include "daemon/result.h"
#include "web/report.h"
#include "web/results.h"
#include "web/status.h"
#include "unit.h"

static struct target_cfg dom_cfg = { .kind = TARGET_DOMAIN,
    .name = "example.org", .records = 0 };
static struct target_cfg ep_cfg = { .kind = TARGET_ENDPOINT,
    .name = "mx.example", .port = 25, .protocol = PROTO_SMTP };

/* An endpoint that answered: STARTTLS, TLS 1.3, a verified certificate. */
static struct check_result *
endpoint_result(void)
{
	struct check_result *r = check_result_new(&ep_cfg, "mx.example:25");
	struct tls_facts *tf;

	check_result_add_endpoint(r, "mx.example", "192.0.2.1", 25,
	    PROTO_SMTP);
	endpoint_outcome_edit(&r->eps[0])->success = 1;
	endpoint_outcome_edit(&r->eps[0])->starttls_offered = 1;
	tf = &endpoint_outcome_edit(&r->eps[0])->tls;
	tf->done = tf->have_cert = tf->verified = tf->hostname_match = 1;
	snprintf(tf->version, sizeof(tf->version), "TLSv1.3");
	tf->not_after = wall_time() + 90 * 86400.0;
	tf->chain_earliest_not_after = tf->not_after;
	r->started = wall_time() - 61;
	r->finished = wall_time() - 60;
	r->duration_s = 1.0;
	r->success = check_result_success(r);
	return r;
}

/* A domain whose MX lookup said NXDOMAIN. */
static struct check_result *
domain_result(void)
{
	struct check_result *r = check_result_new(&dom_cfg, "example.org");

	r->mx_result = DNS_NXDOMAIN;
	r->finished = wall_time() - 30;
	r->success = 0;
	return r;
}

static void
publish(struct result_store *s, enum publish_kind kind, size_t index,
    const struct check_result *r)
{
	struct publish_event ev = { .kind = kind, .index = index,
	    .result = r };

	result_store_publish(s, &ev);
}

static void
retarget(struct result_store *s, const struct published_target *ts, size_t n)
{
	struct publish_event ev = { .kind = PUBLISH_TARGETS, .targets = ts,
	    .n = n };

	result_store_publish(s, &ev);
}

static char *
json_of(const struct result_store *s, const char *name)
{
	struct buf b;

	buf_init(&b);
	if (status_json_render(s, name, &b) == -1) {
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

static char *
page_of(const struct result_store *s)
{
	struct buf b;

	buf_init(&b);
	status_page_render(s, NULL, &b);
	return b.data;
}

static void
check_store(void)
{
	struct result_store *s = result_store_new();
	struct published_target ts[2] = {
		{ .key = "example.org", .cfg = &dom_cfg },
		{ .key = "mx.example:25", .cfg = &ep_cfg },
	};
	struct check_result *ep = endpoint_result(), *ep2 = endpoint_result();
	struct check_result *dom = domain_result();
	const struct published_target *t;
	size_t n;
	char *out;

	/* nothing published yet: no targets, not ready */
	CHECK_INT(result_store_count(s), 0);
	CHECK_INT(result_store_ready(s), 0);
	publish(s, PUBLISH_RESULT, 0, ep);	/* for no target: ignored */
	CHECK_INT(result_store_count(s), 0);

	/* the start: two targets, none run */
	retarget(s, ts, 2);
	CHECK_INT(result_store_count(s), 2);
	CHECK_INT(result_store_ready(s), 0);
	CHECK(result_store_find(s, "nope") == NULL);
	t = result_store_find(s, "mx.example:25");
	CHECK(t != NULL && t->result == NULL && !t->running);
	out = json_of(s, NULL);
	CHECK(strstr(out, "\"ready\":false") != NULL);
	CHECK(strstr(out, "\"counts\":{\"pass\":0,\"pending\":2,\"warn\":0,"
	    "\"fail\":0}") != NULL);
	free(out);
	out = page_of(s);
	CHECK(strstr(out, "2 targets \xc2\xb7 first round running") != NULL);
	CHECK(strstr(out, "<td data-label=\"Last run\">not yet</td>") != NULL);
	free(out);

	/* a run starts: running, and its old result (none) stays */
	publish(s, PUBLISH_RUN_STARTED, 1, NULL);
	t = result_store_find(s, "mx.example:25");
	CHECK(t->running && t->result == NULL);
	out = json_of(s, "mx.example:25");
	CHECK(strstr(out, "\"running\":true,\"last_run\":null") != NULL);
	free(out);

	/* its result: the pages show it, running no more */
	publish(s, PUBLISH_RESULT, 1, ep);
	t = result_store_find(s, "mx.example:25");
	CHECK(!t->running && t->result == ep);
	CHECK_INT(result_store_ready(s), 0);	/* the domain is still due */
	out = json_of(s, "mx.example:25");
	CHECK(strstr(out, "\"name\":\"mx.example:25\",\"kind\":\"endpoint\","
	    "\"verdict\":\"pass\"") != NULL);
	CHECK(strstr(out, "\"running\":false,\"last_run\":{") != NULL);
	CHECK(strstr(out, "\"duration_seconds\":1,\"success\":true}") != NULL);
	free(out);

	/* the last of the first round: ready; a new run shows on the row */
	publish(s, PUBLISH_RESULT, 0, dom);
	CHECK_INT(result_store_ready(s), 1);
	publish(s, PUBLISH_RUN_STARTED, 1, NULL);
	out = page_of(s);
	CHECK(strstr(out, "2 targets \xc2\xb7 first round done") != NULL);
	CHECK(strstr(out, "1 min ago</span><small>running now</small>") !=
	    NULL);
	CHECK(strstr(out, "the domain does not exist") != NULL);
	/* worst first: the failing domain above the passing endpoint */
	CHECK(strstr(out, "/target/example.org") <
	    strstr(out, "/target/mx.example%3A25"));
	free(out);
	out = json_of(s, NULL);
	CHECK(strstr(out, "\"ready\":true") != NULL);
	CHECK(strstr(out, "\"counts\":{\"pass\":1,\"pending\":0,\"warn\":0,"
	    "\"fail\":1}") != NULL);
	free(out);

	/* the next result replaces the last; the store frees neither (the
	 * scheduler owns them: ASan tells a double free) */
	publish(s, PUBLISH_RESULT, 1, ep2);
	CHECK(result_store_find(s, "mx.example:25")->result == ep2);

	/* the `check` report reads the same entries */
	{
		const struct published_target *all = result_store_targets(s, &n);
		struct report_opts o = { 0 };
		struct buf b;

		CHECK_INT(n, 2);
		buf_init(&b);
		report_render(all, n, wall_time(), &o, &b);
		CHECK(strstr(b.data, "example.org: fail\n") != NULL);
		CHECK(strstr(b.data, "mx.example:25: pass\n") != NULL);
		CHECK(strstr(b.data, "2 targets: 1 pass, 0 warn, 1 fail\n") !=
		    NULL);
		CHECK_INT(report_exit_status(all, n, result_store_ready(s),
		    wall_time()), REPORT_FAIL);
		buf_free(&b);
	}

	/* a reload: one target gone, one new, not run; ready stays */
	ts[0] = (struct published_target){ .key = "mx.example:25",
	    .cfg = &ep_cfg, .result = ep2, .running = 1 };
	ts[1] = (struct published_target){ .key = "new.example",
	    .cfg = &dom_cfg };
	retarget(s, ts, 2);
	CHECK(result_store_find(s, "example.org") == NULL);
	CHECK(result_store_targets(s, &n)[0].result == ep2 &&
	    result_store_targets(s, &n)[0].running);
	CHECK(result_store_find(s, "new.example")->result == NULL);
	CHECK_INT(result_store_ready(s), 1);
	out = json_of(s, "new.example");
	CHECK(strstr(out, "\"verdict\":\"pending\"") != NULL);
	free(out);
	CHECK(json_of(s, "example.org") == NULL);

	/* the shutdown: nothing */
	retarget(s, NULL, 0);
	CHECK_INT(result_store_count(s), 0);
	out = page_of(s);
	CHECK(strstr(out, "No targets configured") != NULL);
	free(out);

	result_store_free(s);
	check_result_free(ep);
	check_result_free(ep2);
	check_result_free(dom);
}

int
main(void)
{
	check_store();
	return unit_done("test_results");
}
