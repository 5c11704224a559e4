/* libFuzzer target for the SPF code.
 *
 * Input: the first line is a TXT record.  It is parsed; if it parses, every
 * domain-spec is expanded, then check_host() and a walk run against a fake
 * DNS that serves the record as the first TXT answer and every later answer
 * from the following lines:
 *
 *	<status byte><item>|<item>|...\n
 *
 * status byte % 8: 0-3 NOERROR, 4 NXDOMAIN, 5 NODATA, 6 SERVFAIL, 7 timeout.
 * Items are TXT strings, MX/PTR names, or addresses (text, or 4/16 raw
 * bytes).  When the lines run out, every answer is NXDOMAIN. */
#include "collectors/spf.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS	32
#define MAX_RESUMES	200000	/* far above any legitimate evaluation */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t	*p, *end;
};

static int
next_line(struct feed *f, const uint8_t **line, size_t *len)
{
	const uint8_t *nl;

	if (f->p >= f->end)
		return 0;
	nl = memchr(f->p, '\n', (size_t)(f->end - f->p));
	*line = f->p;
	*len = nl ? (size_t)(nl - f->p) : (size_t)(f->end - f->p);
	f->p = nl ? nl + 1 : f->end;
	return 1;
}

static enum spf_step
answer(struct spf_eval *ev, struct feed *f, const uint8_t *record,
    size_t record_len, int *record_served)
{
	static const enum spf_dns_status statuses[8] = { SPF_DNS_OK,
	    SPF_DNS_OK, SPF_DNS_OK, SPF_DNS_BUDGET, SPF_DNS_NXDOMAIN,
	    SPF_DNS_NODATA, SPF_DNS_SERVFAIL, SPF_DNS_TIMEOUT };
	const struct spf_query *q = spf_eval_query(ev);
	const char *strings[MAX_ITEMS];
	size_t lens[MAX_ITEMS], len, start, i, n = 0, na = 0;
	struct spf_ip addrs[MAX_ITEMS];
	struct spf_answer ans;
	const uint8_t *line;
	char text[64];

	if (q == NULL || q->name == NULL)
		abort();	/* a pending query must be there */
	memset(&ans, 0, sizeof(ans));
	ans.strings = strings;
	ans.lens = lens;
	ans.addrs = addrs;
	if (!*record_served && q->type == SPF_QTYPE_TXT) {
		*record_served = 1;
		strings[0] = (const char *)record;
		lens[0] = record_len;
		ans.nstrings = 1;
		return spf_eval_resume(ev, &ans);
	}
	if (!next_line(f, &line, &len)) {
		ans.status = SPF_DNS_NXDOMAIN;
		return spf_eval_resume(ev, &ans);
	}
	if (len == 0)
		return spf_eval_resume(ev, NULL);	/* timeout */
	ans.status = statuses[line[0] % 8];
	for (start = 1, i = 1; i <= len && n < MAX_ITEMS; i++) {
		if (i < len && line[i] != '|')
			continue;
		strings[n] = (const char *)line + start;
		lens[n++] = i - start;
		start = i + 1;
	}
	ans.nstrings = n;
	if (q->type == SPF_QTYPE_A || q->type == SPF_QTYPE_AAAA) {
		for (i = 0; i < n; i++) {
			memset(&addrs[na], 0, sizeof(addrs[na]));
			if (lens[i] == 4 || lens[i] == 16) {
				addrs[na].family = lens[i] == 4 ? AF_INET :
				    AF_INET6;
				memcpy(addrs[na].addr, strings[i], lens[i]);
				na++;
			} else if (lens[i] < sizeof(text)) {
				memcpy(text, strings[i], lens[i]);
				text[lens[i]] = '\0';
				if (spf_ip_parse(text, &addrs[na]) == 0)
					na++;
			}
		}
		ans.naddrs = na;
		ans.nstrings = 0;
	}
	return spf_eval_resume(ev, &ans);
}

static void
check_result(const struct spf_eval *ev, int walk)
{
	const struct spf_result *r = spf_eval_result(ev);

	if (r->reason == NULL || r->code > SPF_RESULT_PERMERROR ||
	    memchr(r->message, '\0', sizeof(r->message)) == NULL)
		abort();
	/* check_host() stops on the term that crosses the limit. */
	if (!walk && r->dns_lookups > 11)
		abort();
	if (r->dns_lookups > SPF_WALK_MAX_LOOKUPS + 1 ||
	    r->max_depth >= SPF_MAX_DEPTH)
		abort();
}

static void
evaluate(struct spf_eval *ev, const uint8_t *record, size_t record_len,
    const uint8_t *rest, size_t rest_len, int walk)
{
	struct feed f = { rest, rest + rest_len };
	enum spf_step step;
	int served = 0;
	unsigned n = 0;

	for (step = spf_eval_start(ev); step == SPF_STEP_QUERY;
	    step = answer(ev, &f, record, record_len, &served))
		if (++n > MAX_RESUMES)
			abort();	/* the evaluator must always end */
	if (spf_eval_query(ev) != NULL)
		abort();
	check_result(ev, walk);
}

static void
expand_all(const struct spf_record *rec, const uint8_t *raw, size_t len)
{
	struct spf_macro_ctx ctx;
	struct spf_error err;
	struct buf out;
	char *copy;
	size_t i;

	memset(&ctx, 0, sizeof(ctx));
	ctx.sender = "strong-bad@email.example.com";
	ctx.domain = "email.example.com";
	ctx.helo = "mx.example.org";
	spf_ip_parse("2001:db8::cb01", &ctx.ip);
	buf_init(&out);
	for (i = 0; rec != NULL && i < rec->nterms; i++) {
		if (rec->terms[i].domain_spec != NULL) {
			if (spf_expand(rec->terms[i].domain_spec, &ctx, &out,
			    &err) == -1)
				abort();	/* it parsed, so it expands */
			if (out.len > SPF_MAX_NAME_LEN &&
			    memchr(out.data, '.', out.len) != NULL)
				abort();	/* truncation left it long */
		}
		if (rec->terms[i].value != NULL) {
			ctx.explanation = 1;
			if (spf_expand(rec->terms[i].value, &ctx, &out,
			    &err) == -1)
				abort();
			ctx.explanation = 0;
		}
	}
	/* The raw line as a macro-string, in both modes: may fail, must not
	 * crash. */
	copy = xstrndup((const char *)raw, len);
	spf_expand(copy, &ctx, &out, &err);
	ctx.explanation = 1;
	ctx.ip.family = AF_INET;
	spf_expand(copy, &ctx, &out, &err);
	free(copy);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ips[] = { "192.0.2.1", "2001:db8::1",
	    "::ffff:10.0.0.1", "192.0.2.65" };
	const uint8_t *nl = memchr(data, '\n', size);
	size_t record_len = nl ? (size_t)(nl - data) : size;
	const uint8_t *rest = nl ? nl + 1 : data + size;
	size_t rest_len = (size_t)(data + size - rest), idx;
	struct spf_record *rec = NULL;
	const char *txt[1] = { (const char *)data };
	struct spf_error err;
	struct spf_eval *ev;
	struct spf_ip ip;

	spf_select(txt, &record_len, 1, &idx, &err);
	if (spf_parse((const char *)data, record_len, &rec, &err) == -1) {
		if (rec != NULL || err.reason == NULL)
			abort();
		expand_all(NULL, data, record_len);
		return 0;
	}
	expand_all(rec, data, record_len);
	spf_record_free(rec);

	spf_ip_parse(ips[size % 4], &ip);
	ev = spf_eval_new("example.com", &ip, "strong-bad@email.example.com",
	    "mx.example.org", NULL);
	evaluate(ev, data, record_len, rest, rest_len, 0);
	spf_eval_free(ev);

	ev = spf_eval_new_walk("example.com", size % 2 ? AF_INET6 : AF_INET,
	    NULL);
	evaluate(ev, data, record_len, rest, rest_len, 1);
	spf_eval_free(ev);
	return 0;
}
