/* The result model, the publish hook and the endpoint fact table, fed
 * with results alone: no struct check, no scheduler. */
#include <stdlib.h>
#include <string.h>

#include "daemon/ctx.h"
#include "daemon/publish.h"
#include "daemon/result.h"
#include "web/facts.h"
#include "web/metrics.h"
#include "unit.h"

static struct check_result *
endpoint_result_make(void)
{
	struct target_cfg t;
	struct check_result *r;
	struct endpoint_result *ep;
	struct tls_facts *tf;

	memset(&t, 0, sizeof(t));
	t.kind = TARGET_ENDPOINT;
	t.name = "mx.example";
	t.port = 25;
	t.protocol = PROTO_SMTP;
	r = check_result_new(&t, "mx.example:25");
	check_result_add_endpoint(r, "mx.example", "192.0.2.1", 25, PROTO_SMTP);
	ep = &r->eps[0];
	endpoint_outcome_edit(ep)->success = 1;
	endpoint_outcome_edit(ep)->starttls_offered = 1;
	tf = &endpoint_outcome_edit(ep)->tls;
	tf->done = tf->have_cert = tf->verified = tf->hostname_match = 1;
	snprintf(tf->version, sizeof(tf->version), "TLSv1.3");
	probe_str_printf(&tf->cipher, 256, "TLS_AES_128_GCM_SHA256");
	probe_str_printf(&tf->subject, 256, "CN=mx.example");
	probe_str_printf(&tf->issuer, 256, "CN=CA");
	probe_str_printf(&tf->serial, 256, "01");
	probe_str_printf(&tf->fingerprint_sha256, 256, "ab");
	snprintf(tf->key_type, sizeof(tf->key_type), "RSA");
	tf->key_bits = 2048;
	tf->chain_len = 2;
	tf->chain_not_after[0] = 1900000000;
	tf->chain_not_after[1] = 2000000000;
	r->success = check_result_success(r);
	return r;
}

static void
check_table(void)
{
	for (size_t i = 0; i < n_ep_facts; i++) {
		const struct ep_fact *f = &ep_facts[i];

		CHECK(f->group < EPG__COUNT);
		CHECK(f->family <= F__COUNT);
		/* a string or an entry of a set needs its label's name */
		if (f->family != F__COUNT && (f->type == FT_STR ||
		    f->type == FT_SET || f->type == FT_LIST))
			CHECK(f->label != NULL);
		CHECK(f->read != NULL || f->ctype != C_NONE);
		for (size_t k = 0; k < i; k++) {
			if (f->key && ep_facts[k].key &&
			    ep_facts[k].group == f->group)
				CHECK(strcmp(f->key, ep_facts[k].key) != 0);
			if (f->row && ep_facts[k].row &&
			    ep_facts[k].group == f->group)
				CHECK(strcmp(f->row, ep_facts[k].row) != 0);
		}
	}
}

struct rows {
	struct buf b;
};

static void
rows_section(void *arg, const char *title)
{
	buf_printf(&((struct rows *)arg)->b, "[%s]\n", title);
}

static void
rows_row(void *arg, const char *name, const char *text)
{
	buf_printf(&((struct rows *)arg)->b, "%s=%s\n", name, text);
}

static void
check_outputs(void)
{
	struct check_result *r = endpoint_result_make();
	struct rows rows;
	struct facts_page page = { rows_section, rows_row, &rows };
	struct expo e;
	struct buf m, jb;
	struct json j;

	/* /metrics: from the result alone */
	expo_init(&e);
	metrics_add_result(&e, r, ADDRESS_LABEL_ON);
	buf_init(&m);
	expo_render(&e, &m);
	CHECK(strstr(m.data, "\nmailsec_check_success{target=\"mx.example:25\","
	    "kind=\"endpoint\"} 1\n") != NULL);
#define L "domain=\"\",host=\"mx.example\",address=\"192.0.2.1\",port=\"25\"," \
	"protocol=\"smtp\""
	CHECK(strstr(m.data, "\nmailsec_starttls_offered{" L "} 1\n") != NULL);
	/* a run of one family's facts is one sample */
	CHECK(strstr(m.data, "\nmailsec_cert_info{" L ",subject=\"CN=mx.example\","
	    "issuer=\"CN=CA\",serial=\"01\",fingerprint_sha256=\"ab\"} 1\n") !=
	    NULL);
	CHECK(strstr(m.data, "\nmailsec_cert_key_size{" L ",key_type=\"RSA\"} "
	    "2048\n") != NULL);
	CHECK(strstr(m.data, "{" L ",depth=\"1\"} 2000000000\n") != NULL);
	/* not learnt: no sample; not known: none either */
	CHECK(strstr(m.data, "mailsec_plaintext_auth_offered") == NULL);
	CHECK(strstr(m.data, "mailsec_cert_verify_error_info") == NULL);
	CHECK(strstr(m.data, "mailsec_tls_kex_bits") == NULL);
	CHECK(strstr(m.data, "mailsec_tls_audit") == NULL);
	CHECK(strstr(m.data, "mailsec_dane") == NULL);

	/* JSON: null for what is not learnt, raw kex_bits */
	buf_init(&jb);
	json_init(&j, &jb);
	json_obj_open(&j);
	facts_json(&j, r, &r->eps[0]);
	json_obj_close(&j);
	CHECK(strstr(jb.data, "\"starttls_offered\":true,"
	    "\"plaintext_auth_offered\":null,\"tls\":{\"version\":\"TLSv1.3\","
	    "\"cipher\":\"TLS_AES_128_GCM_SHA256\",\"kex_group\":null,"
	    "\"kex_bits\":0}") != NULL);
	CHECK(strstr(jb.data, "\"verify_error\":null") != NULL);
	CHECK(strstr(jb.data, "\"chain_not_after\":[1900000000,2000000000]") !=
	    NULL);
	CHECK(strstr(jb.data, "\"audit\":null,\"dane\":null}") != NULL);

	/* the page: sections, rows in table order, composed rows */
	buf_init(&rows.b);
	facts_rows(r, &r->eps[0], 1800000000, &page);
	CHECK(strstr(rows.b.data, "STARTTLS offered=yes\n"
	    "Password before TLS=not learnt\n[TLS]\n"
	    "Negotiated=TLSv1.3, TLS_AES_128_GCM_SHA256\n[Certificate]\n"
	    "Subject=CN=mx.example\n") != NULL);
	CHECK(strstr(rows.b.data, "Key=RSA, 2048 bits\n") != NULL);
	CHECK(strstr(rows.b.data, "Valid for the host name=yes (mx.example)\n")
	    != NULL);
	CHECK(strstr(rows.b.data, "[TLS audit]\nRun=not run\n") != NULL);
	CHECK(strstr(rows.b.data, "Verification error") == NULL);
	CHECK(strstr(rows.b.data, "Key exchange") == NULL);

	/* the audit, once it ran */
	r->eps[0].audit = tls_audit_new();
	r->eps[0].audit->ran = 1;
	r->eps[0].audit->version_accepted[TLSV_1_2] = 1;
	r->eps[0].audit->version_accepted[TLSV_1_0] = 0;
	r->eps[0].audit->dhe_bits = 0;
	expo_reset(&e);
	metrics_add_result(&e, r, ADDRESS_LABEL_ON);
	buf_reset(&m);
	expo_render(&e, &m);
	CHECK(strstr(m.data, "\nmailsec_tls_version_accepted{" L ",version="
	    "\"TLSv1\"} 0\n") != NULL);
	CHECK(strstr(m.data, "\nmailsec_tls_dhe_size{" L "} 0\n") != NULL);
	buf_reset(&rows.b);
	facts_rows(r, &r->eps[0], 1800000000, &page);
	CHECK(strstr(rows.b.data, "DHE=not accepted\n") != NULL);
	CHECK(strstr(rows.b.data, "Weak ciphers accepted=none\n") != NULL);
	CHECK(strstr(rows.b.data, "Server picks the cipher=not learnt\n") !=
	    NULL);

	buf_free(&rows.b);
	buf_free(&jb);
	buf_free(&m);
	expo_free(&e);
	check_result_free(r);
}

struct seen {
	int		 results, targets;
	size_t		 last_index, last_n;
	const struct check_result *last;
	int		 released;
};

static void
seen_cb(void *arg, const struct publish_event *ev)
{
	struct seen *s = arg;

	if (ev->kind == PUBLISH_RESULT) {
		s->results++;
		s->last_index = ev->index;
		s->last = ev->result;
	} else if (ev->kind == PUBLISH_TARGETS) {
		s->targets++;
		s->last_n = ev->n;
	}
}

static void
seen_release(void *arg)
{
	((struct seen *)arg)->released++;
}

/* The hook: every subscriber told, in order; the cache re-renders a
 * result when told, and only then. */
static void
check_publish(void)
{
	struct check_result *r = endpoint_result_make(), *r2;
	struct published_target list[1];
	struct seen s;
	struct ctx ctx;
	struct buf out;

	memset(&s, 0, sizeof(s));
	memset(&ctx, 0, sizeof(ctx));
	CHECK_INT(publish_subscribe(&ctx, seen_cb, seen_release, &s), 0);
	metrics_cache_subscribe(&ctx);
	for (int i = 2; i < PUBLISH_MAX_SUBSCRIBERS; i++)
		CHECK_INT(publish_subscribe(&ctx, seen_cb, NULL, &s), 0);
	CHECK_INT(publish_subscribe(&ctx, seen_cb, NULL, &s), -1);

	/* one target, not run yet */
	list[0] = (struct published_target){ .key = "mx.example:25" };
	{
		struct publish_event ev = { .kind = PUBLISH_TARGETS,
		    .targets = list, .n = 1 };

		for (size_t i = 0; i < ctx.n_subs; i++)
			ctx.subs[i].cb(ctx.subs[i].arg, &ev);
	}
	buf_init(&out);
	metrics_render(&ctx, &out);
	CHECK(strstr(out.data, "mailsec_probe_success") == NULL);
	publish_result(&ctx, 0, r);
	CHECK_INT(s.results, PUBLISH_MAX_SUBSCRIBERS - 1);
	CHECK(s.last == r);
	buf_reset(&out);
	metrics_render(&ctx, &out);
	CHECK(strstr(out.data, "mailsec_probe_success{") != NULL);
	/* changed in place and not published: the cache keeps its text */
	endpoint_outcome_edit(&r->eps[0])->tls.key_bits = 4096;
	buf_reset(&out);
	metrics_render(&ctx, &out);
	CHECK(strstr(out.data, "key_type=\"RSA\"} 2048\n") != NULL);
	/* a new result, published: rendered */
	r2 = endpoint_result_make();
	endpoint_outcome_edit(&r2->eps[0])->tls.key_bits = 3072;
	publish_result(&ctx, 0, r2);
	check_result_free(r);
	buf_reset(&out);
	metrics_render(&ctx, &out);
	CHECK(strstr(out.data, "key_type=\"RSA\"} 3072\n") != NULL);
	publish_release_all(&ctx);
	CHECK_INT(s.released, 1);
	CHECK(ctx.metrics_cache == NULL);
	CHECK_INT(ctx.n_subs, 0);
	buf_free(&out);
	check_result_free(r2);
}

/* One probe's outcome shared by the endpoints it serves: one block, the
 * same text at each, and counted once over its holders. */
static void
check_shared_outcome(void)
{
	struct target_cfg t = { .kind = TARGET_DOMAIN, .name = "example.org" };
	struct check_result *r = check_result_new(&t, "example.org");
	struct probe_outcome own, init;
	const struct probe_outcome *a;
	size_t eps = 0, block, bytes[RESULT_PART__COUNT] = { 0 };

	probe_outcome_init(&init);
	CHECK(memcmp(&init, &probe_outcome_none, sizeof(init)) == 0);
	probe_outcome_init(&own);
	own.success = 1;
	probe_str_set(&own.tls.subject, "CN=mx.example.org", TLS_NAME_MAX);
	probe_str_set(&own.banner_name, "mx.example.org", SMTP_NAME_MAX);
	own.tls.chain_len = 2;
	own.tls.chain_crypto = xcalloc(2, sizeof(*own.tls.chain_crypto));
	own.tls.chain_crypto[1].key_bits = 4096;
	own.tls.dane = xcalloc(1, sizeof(*own.tls.dane));
	own.tls.dane->checked = 1;
	probe_str_set(&own.tls.dane->error, "no match", TLS_VERIFY_ERROR_MAX);
	a = probe_outcome_share(&own);
	block = a->block->size;
	CHECK(block == sizeof(struct probe_block) + sizeof(own) +
	    sizeof(*own.tls.dane) + 2 * sizeof(*own.tls.chain_crypto) +
	    sizeof("CN=mx.example.org") + sizeof("mx.example.org") +
	    sizeof("no match"));
	probe_outcome_free(&own);
	CHECK_STR(a->tls.subject, "CN=mx.example.org");
	CHECK_STR(a->banner_name, "mx.example.org");
	CHECK(a->detail == probe_str_empty);
	CHECK_INT(a->tls.chain_crypto[1].key_bits, 4096);
	CHECK_STR(tls_dane(&a->tls)->error, "no match");
	CHECK(probe_outcome_share(a) == a);	/* held once more */
	for (int i = 0; i < 3; i++)
		check_result_add_endpoint(r, "mx.example.org", "192.0.2.1", 25,
		    PROTO_SMTP);
	endpoint_set_outcome(&r->eps[0], a);
	endpoint_set_outcome(&r->eps[1], a);
	endpoint_set_outcome(&r->eps[2], probe_outcome_hold(a));
	CHECK_INT(a->block->refs, 3);
	CHECK(tls_dane(&probe_outcome_none.tls)->checked == 0);
	/* the three endpoints count the block once between them */
	check_result_bytes(r, bytes);
	eps = bytes[RESULT_PART_ENDPOINTS];
	CHECK(bytes[RESULT_PART_RESULT] >= sizeof(*r));
	CHECK_INT(bytes[RESULT_PART_RECORDS], 0);	/* none run */
	CHECK_STR(result_part_name(RESULT_PART_MX_HYGIENE), "mx_hygiene");
	CHECK_STR(result_part_name(RESULT_PART__COUNT), "unknown");
	CHECK(eps <= 3 * (sizeof(r->eps[0]) + sizeof("mx.example.org") +
	    sizeof("192.0.2.1")) + block && eps + 3 > 3 * (sizeof(r->eps[0]) +
	    sizeof("mx.example.org") + sizeof("192.0.2.1")) + block);
	/* a failure of the scheduler's: a block of its own */
	endpoint_fail(&r->eps[2], STEP_CONNECT, REASON_TIMEOUT, CAUSE_NO_SLOT,
	    "still waiting for %s", "a free probe slot");
	CHECK_INT(a->block->refs, 2);
	CHECK_STR(r->eps[2].out->detail, "still waiting for a free probe slot");
	CHECK_INT(r->eps[2].out->cause, CAUSE_NO_SLOT);
	CHECK_INT(r->eps[2].out->tls_alert, -1);
	CHECK_INT(r->eps[2].out->block->refs, 1);
	/* written in place: a copy of the shared one, owned, the same one
	 * again on the next edit; the shared block loses a holder */
	{
		struct probe_outcome *w = endpoint_outcome_edit(&r->eps[1]);

		CHECK(w != a);
		CHECK(probe_outcome_owned(w) == w);
		CHECK(probe_outcome_owned(a) == NULL);
		CHECK(probe_outcome_owned(&probe_outcome_none) == NULL);
		CHECK_INT(a->block->refs, 1);
		CHECK_STR(w->tls.subject, "CN=mx.example.org");
		probe_str_set(&w->tls.subject, "CN=other", 256);
		CHECK(endpoint_outcome_edit(&r->eps[1]) == w);
		CHECK_STR(r->eps[1].out->tls.subject, "CN=other");
		CHECK_STR(a->tls.subject, "CN=mx.example.org");
		/* shared again: a block of its own, the owned one freed */
		endpoint_set_outcome(&r->eps[1], probe_outcome_share(w));
		CHECK(probe_outcome_owned(r->eps[1].out) == NULL);
		CHECK_INT(r->eps[1].out->block->refs, 1);
		CHECK_STR(r->eps[1].out->tls.subject, "CN=other");
	}
	/* an audit shared the same way */
	r->eps[0].audit = tls_audit_new();
	r->eps[1].audit = tls_audit_hold(r->eps[0].audit);
	CHECK_INT(r->eps[1].audit->refs, 2);
	CHECK(endpoint_audit(&r->eps[2]) == tls_audit_none());
	CHECK_INT(endpoint_audit(&r->eps[2])->ran, 0);
	CHECK_INT(endpoint_audit(&r->eps[2])->dhe_bits, -1);
	check_result_free(r);
}

int
main(void)
{
	check_table();
	check_outputs();
	check_publish();
	check_shared_outcome();
	return unit_done("test_facts");
}
