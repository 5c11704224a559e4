/* collectors/records.c over a scripted zone: each question is answered
 * with a real DNS message built here (header, question, answers), so the
 * c-ares parsers, the SPF evaluator and the DMARC fallback run as they do
 * against a server.  The cases are the verdicts the records job got wrong:
 * a temperror taken for a permerror, the all of a redirect= target, the
 * DMARC record shown and its near misses, check_host() without a usable
 * record, and the PTR names c-ares lists twice. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "base/ostr.h"
#include "collectors/records.h"
#include "daemon/publish.h"
#include "daemon/result.h"
#include "web/metrics.h"
#include "web/report.h"
#include "web/results.h"
#include "web/status.h"
#include "base/util.h"
#include "tests/unit/unit.h"

/* data: TXT text, PTR/MX target, A/AAAA address; "!timeout", "!servfail"
 * answer the question with that status instead. */
struct zrr {
	const char	*name;
	int		 type;
	const char	*data;
};

struct zone {
	const struct zrr *rrs;
	size_t		 n;
	struct buf	 log;		/* "TYPE name\n" per question */
};

static void
put16(struct buf *b, unsigned v)
{
	buf_putc(b, (char)(v >> 8));
	buf_putc(b, (char)(v & 0xff));
}

static void
put_name(struct buf *b, const char *name)
{
	const char *p = name, *dot;

	while (*p) {
		size_t len;

		dot = strchr(p, '.');
		len = dot ? (size_t)(dot - p) : strlen(p);
		buf_putc(b, (char)len);
		buf_append(b, p, len);
		p += len;
		if (*p == '.')
			p++;
	}
	buf_putc(b, 0);
}

/* rdata of one record, into b (its length first). */
static void
put_rdata(struct buf *b, int type, const char *data)
{
	struct buf r;
	unsigned char a[16];
	size_t len;

	buf_init(&r);
	buf_append(&r, "", 0);
	switch (type) {
	case ns_t_txt:
		/* strings of at most 255 bytes, joined again by the reader */
		for (len = strlen(data); ; ) {
			size_t n = len > 255 ? 255 : len;

			buf_putc(&r, (char)n);
			buf_append(&r, data, n);
			data += n;
			len -= n;
			if (len == 0)
				break;
		}
		break;
	case ns_t_a:
		inet_pton(AF_INET, data, a);
		buf_append(&r, (const char *)a, 4);
		break;
	case ns_t_aaaa:
		inet_pton(AF_INET6, data, a);
		buf_append(&r, (const char *)a, 16);
		break;
	case ns_t_mx:
		put16(&r, 10);
		put_name(&r, data);
		break;
	default:
		put_name(&r, data);
		break;
	}
	put16(b, (unsigned)r.len);
	buf_append(b, r.data, r.len);
	buf_free(&r);
}

/* The answer to (name, type): status, and the message in *msg. */
static int
zone_answer(const struct zone *z, const char *name, int type, struct buf *msg)
{
	size_t n = 0, i;
	int exists = 0;

	for (i = 0; i < z->n; i++) {
		if (strcasecmp(z->rrs[i].name, name) != 0)
			continue;
		exists = 1;
		if (z->rrs[i].type != type)
			continue;
		if (strcmp(z->rrs[i].data, "!timeout") == 0)
			return ARES_ETIMEOUT;
		if (strcmp(z->rrs[i].data, "!servfail") == 0)
			return ARES_ESERVFAIL;
		n++;
	}
	put16(msg, 0x1234);
	put16(msg, exists || n ? 0x8180 : 0x8183);	/* NOERROR, NXDOMAIN */
	put16(msg, 1);
	put16(msg, (unsigned)n);
	put16(msg, 0);
	put16(msg, 0);
	put_name(msg, name);
	put16(msg, (unsigned)type);
	put16(msg, ns_c_in);
	for (i = 0; i < z->n; i++) {
		if (strcasecmp(z->rrs[i].name, name) != 0 ||
		    z->rrs[i].type != type)
			continue;
		put16(msg, 0xc00c);	/* the question's name */
		put16(msg, (unsigned)type);
		put16(msg, ns_c_in);
		put16(msg, 0);
		put16(msg, 300);
		put_rdata(msg, type, z->rrs[i].data);
	}
	if (n > 0)
		return ARES_SUCCESS;
	return exists ? ARES_ENODATA : ARES_ENOTFOUND;
}

static const char *
type_name(int type)
{
	switch (type) {
	case ns_t_txt: return "TXT";
	case ns_t_a: return "A";
	case ns_t_aaaa: return "AAAA";
	case ns_t_mx: return "MX";
	case ns_t_ptr: return "PTR";
	default: return "?";
	}
}

/* Answers inside the call, as c-ares does on a cache hit. */
static void
zone_send(void *send_arg, const char *name, int type, dns_answer_cb cb,
    void *cb_arg, uint64_t *sent_ms)
{
	struct zone *z = send_arg;
	struct buf msg;
	int status;

	if (sent_ms)
		*sent_ms = now_ms();
	buf_printf(&z->log, "%s %s\n", type_name(type), name);
	buf_init(&msg);
	status = zone_answer(z, name, type, &msg);
	cb(cb_arg, status, status == ARES_ETIMEOUT ? NULL :
	    (const unsigned char *)msg.data, status == ARES_ETIMEOUT ? 0 :
	    (int)msg.len);
	buf_free(&msg);
}

static void
done_cb(struct records_result *res, void *arg)
{
	*(struct records_result **)arg = res;
}

/* DKIM selectors asked by run_zone(). */
static char *const *zone_selectors;
static size_t n_zone_selectors;
/* The domain's MX addresses run_zone() gives. */
static char *const *zone_mx;
static size_t n_zone_mx;

static struct records_result *
run_zone(const char *domain, const struct zrr *rrs, size_t n,
    char *const *expect, size_t n_expect, struct buf *log)
{
	struct event_base *base = event_base_new();
	struct records_result *res = NULL;
	struct records_params p;
	struct zone z;

	z.rrs = rrs;
	z.n = n;
	buf_init(&z.log);
	memset(&p, 0, sizeof(p));
	p.base = base;
	p.domain = domain;
	p.send = zone_send;
	p.send_arg = &z;
	p.selectors = zone_selectors;
	p.n_selectors = n_zone_selectors;
	p.expect_pass = expect;
	p.n_expect_pass = n_expect;
	p.mx_addresses = zone_mx;
	p.n_mx_addresses = n_zone_mx;
	CHECK(records_start(NULL, &p, done_cb, &res) != NULL);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(res != NULL);
	event_base_free(base);
	if (log != NULL) {
		buf_reset(log);
		buf_append(log, z.log.data ? z.log.data : "", z.log.len);
	}
	buf_free(&z.log);
	return res;
}

static enum spf_result_code
check_code(const struct records_result *res, const char *address)
{
	for (size_t i = 0; i < res->n_spf_checks; i++)
		if (strcmp(res->spf_checks[i].address, address) == 0)
			return res->spf_checks[i].code;
	return (enum spf_result_code)-1;
}

#define RUN(domain, rrs, expect, log) run_zone(domain, rrs, ARRAY_LEN(rrs), \
	expect, ARRAY_LEN(expect), log)

static char *const one_addr[] = { "192.0.2.5" };

/* Item 5: one include timing out is a temperror: validity unknown, not 0. */
static void
test_spf_temperror(void)
{
	static const struct zrr rrs[] = {
		{ "t.test", ns_t_txt, "v=spf1 include:slow.t.test -all" },
		{ "slow.t.test", ns_t_txt, "!timeout" },
		{ "_dmarc.t.test", ns_t_txt, "v=DMARC1; p=reject" },
	};
	static const struct zrr perm[] = {
		{ "t.test", ns_t_txt, "v=spf1 include:gone.t.test -all" },
	};
	static const struct zrr top[] = {
		{ "t.test", ns_t_txt, "!servfail" },
	};
	struct records_result *res = RUN("t.test", rrs, one_addr, NULL);

	CHECK_INT(res->spf_present, 1);
	CHECK_INT(res->spf_temperror, 1);
	CHECK_INT(records_spf_valid(res), -1);
	CHECK_STR(res->spf_reason, "dns_timeout");
	CHECK_INT(check_code(res, "192.0.2.5"), SPF_RESULT_TEMPERROR);
	records_result_free(res);
	/* the control: a permerror stays invalid */
	res = RUN("t.test", perm, one_addr, NULL);
	CHECK_INT(res->spf_temperror, 0);
	CHECK_INT(records_spf_valid(res), 0);
	CHECK_STR(res->spf_reason, "include_target_missing");
	records_result_free(res);
	/* the domain's own TXT failing is a temperror too */
	res = RUN("t.test", top, one_addr, NULL);
	CHECK_INT(res->spf_present, 0);
	CHECK_INT(res->spf_temperror, 1);
	CHECK_INT(records_spf_valid(res), -1);
	records_result_free(res);
}

/* Item 7: the all comes from the record redirect= leads to. */
static void
test_spf_redirect_all(void)
{
	static const struct zrr rrs[] = {
		{ "r.test", ns_t_txt, "v=spf1 redirect=_spf.r.test" },
		{ "_spf.r.test", ns_t_txt, "v=spf1 redirect=_spf2.r.test" },
		{ "_spf2.r.test", ns_t_txt, "v=spf1 ip4:192.0.2.0/24 -all" },
	};
	static const struct zrr inc[] = {
		/* an include's all is not the domain's */
		{ "r.test", ns_t_txt, "v=spf1 include:_spf.r.test" },
		{ "_spf.r.test", ns_t_txt, "v=spf1 ip4:192.0.2.0/24 -all" },
	};
	struct records_result *res = RUN("r.test", rrs, one_addr, NULL);

	CHECK_INT(records_spf_valid(res), 1);
	CHECK_INT(res->spf_all, SPF_QUAL_FAIL);
	CHECK_INT(res->spf_redirect, 1);
	CHECK_INT(res->spf_dns_lookups, 2);
	CHECK_INT(check_code(res, "192.0.2.5"), SPF_RESULT_PASS);
	records_result_free(res);
	res = RUN("r.test", inc, one_addr, NULL);
	CHECK_INT(res->spf_all, SPF_ALL_NONE);
	records_result_free(res);
}

/* Item 15: without a usable record check_host() still has an answer. */
static void
test_spf_checks_without_record(void)
{
	static const struct zrr none[] = {
		{ "n.test", ns_t_txt, "google-site-verification=abc" },
	};
	static const struct zrr two[] = {
		{ "n.test", ns_t_txt, "v=spf1 -all" },
		{ "n.test", ns_t_txt, "v=spf1 ip4:192.0.2.5 -all" },
	};
	static const struct zrr bad[] = {
		{ "n.test", ns_t_txt, "v=spf1 ip4:192.0.2.300 -all" },
	};
	static const struct zrr slow[] = {
		{ "n.test", ns_t_txt, "!timeout" },
	};
	static const struct zrr nx[] = {
		{ "other.test", ns_t_txt, "v=spf1 -all" },
	};
	struct records_result *res;

	res = RUN("n.test", none, one_addr, NULL);
	CHECK_INT(res->n_spf_checks, 1);
	CHECK_INT(check_code(res, "192.0.2.5"), SPF_RESULT_NONE);
	CHECK_STR(res->spf_reason, "no_record");
	records_result_free(res);
	res = RUN("n.test", nx, one_addr, NULL);
	CHECK_INT(check_code(res, "192.0.2.5"), SPF_RESULT_NONE);
	records_result_free(res);
	res = RUN("n.test", two, one_addr, NULL);
	CHECK_INT(check_code(res, "192.0.2.5"), SPF_RESULT_PERMERROR);
	CHECK_STR(res->spf_reason, "multiple_records");
	records_result_free(res);
	res = RUN("n.test", bad, one_addr, NULL);
	CHECK_INT(check_code(res, "192.0.2.5"), SPF_RESULT_PERMERROR);
	CHECK_STR(res->spf_reason, "bad_ip4");
	records_result_free(res);
	res = RUN("n.test", slow, one_addr, NULL);
	CHECK_INT(check_code(res, "192.0.2.5"), SPF_RESULT_TEMPERROR);
	records_result_free(res);
}

/* Item 12: c-ares lists every PTR target in h_aliases and the last again
 * in h_name.  Eleven targets, only the tenth validates: the first ten in
 * answer order must be checked, each once. */
static void
test_spf_ptr_names(void)
{
	static const struct zrr rrs[] = {
		{ "p.test", ns_t_txt, "v=spf1 ptr:p.test -all" },
		{ "5.2.0.192.in-addr.arpa", ns_t_ptr, "h1.p.test" },
		{ "5.2.0.192.in-addr.arpa", ns_t_ptr, "h2.p.test" },
		{ "5.2.0.192.in-addr.arpa", ns_t_ptr, "h3.p.test" },
		{ "5.2.0.192.in-addr.arpa", ns_t_ptr, "h4.p.test" },
		{ "5.2.0.192.in-addr.arpa", ns_t_ptr, "h5.p.test" },
		{ "5.2.0.192.in-addr.arpa", ns_t_ptr, "h6.p.test" },
		{ "5.2.0.192.in-addr.arpa", ns_t_ptr, "h7.p.test" },
		{ "5.2.0.192.in-addr.arpa", ns_t_ptr, "h8.p.test" },
		{ "5.2.0.192.in-addr.arpa", ns_t_ptr, "h9.p.test" },
		{ "5.2.0.192.in-addr.arpa", ns_t_ptr, "h10.p.test" },
		{ "5.2.0.192.in-addr.arpa", ns_t_ptr, "h11.p.test" },
		{ "h10.p.test", ns_t_a, "192.0.2.5" },
		{ "h11.p.test", ns_t_a, "192.0.2.5" },
	};
	struct buf log;
	struct records_result *res;
	const char *p;
	int h1 = 0;

	buf_init(&log);
	res = RUN("p.test", rrs, one_addr, &log);
	CHECK_INT(check_code(res, "192.0.2.5"), SPF_RESULT_PASS);
	for (p = log.data; p && (p = strstr(p, "A h1.p.test\n")) != NULL; p++)
		h1++;
	CHECK_INT(h1, 1);
	CHECK(strstr(log.data, "A h10.p.test\n") != NULL);
	CHECK(strstr(log.data, "A h11.p.test\n") == NULL);
	records_result_free(res);
	buf_free(&log);
}

/* Items 10 and 11: a near miss at the subdomain does not hide the
 * organisational domain's record; the record shown is the one selected. */
static void
test_dmarc_selection(void)
{
	static const struct zrr token_first[] = {
		{ "_dmarc.d.test", ns_t_txt, "some-verification=token" },
		{ "_dmarc.d.test", ns_t_txt, "v=DMARC1; p=reject" },
	};
	static const struct zrr near[] = {
		{ "_dmarc.sub.example.org", ns_t_txt, "v=dmarc1; p=none" },
		{ "_dmarc.example.org", ns_t_txt, "other=1" },
		{ "_dmarc.example.org", ns_t_txt,
		    "v=DMARC1; p=reject; sp=none" },
	};
	static const struct zrr space[] = {
		{ "_dmarc.sub.example.org", ns_t_txt, " v=DMARC1; p=reject" },
	};
	static const struct zrr org_near[] = {
		{ "_dmarc.example.org", ns_t_txt, "v=dmarc1; p=reject" },
	};
	static char *const none[] = { NULL };
	struct records_result *res;

	res = run_zone("d.test", token_first, 2, none, 0, NULL);
	CHECK_STR(res->dmarc_raw, "v=DMARC1; p=reject");
	CHECK_INT(records_dmarc_policy(res), DMARC_POLICY_REJECT);
	records_result_free(res);

	res = run_zone("sub.example.org", near, ARRAY_LEN(near), none, 0, NULL);
	CHECK_INT(res->dmarc_from_org, 1);
	CHECK_INT(res->dmarc_near_miss, 1);
	CHECK(strstr(res->dmarc_near_miss_message, "case-sensitive") != NULL);
	CHECK_STR(res->dmarc_domain, "example.org");
	CHECK_STR(res->dmarc_raw, "v=DMARC1; p=reject; sp=none");
	CHECK_INT(res->dmarc.valid, 1);
	/* receivers apply sp to the subdomain */
	CHECK_INT(records_dmarc_policy(res), DMARC_POLICY_NONE);
	records_result_free(res);

	/* a leading space; the org domain has no record */
	res = run_zone("sub.example.org", space, 1, none, 0, NULL);
	CHECK_INT(res->dmarc_from_org, 1);
	CHECK_INT(res->dmarc_near_miss, 1);
	CHECK_INT(res->dmarc.present, 0);
	CHECK_STR(res->dmarc.reason, "no_record");
	CHECK(res->dmarc_raw == NULL);
	CHECK_INT(records_dmarc_policy(res), DMARC_POLICY_UNSET);
	records_result_free(res);

	/* at the organisational domain there is nothing to fall back to */
	res = run_zone("example.org", org_near, 1, none, 0, NULL);
	CHECK_INT(res->dmarc_from_org, 0);
	CHECK_INT(res->dmarc_near_miss, 1);
	CHECK_INT(res->dmarc.present, 1);
	CHECK_INT(res->dmarc.valid, 0);
	CHECK_STR(res->dmarc.reason, "bad_version");
	CHECK_STR(res->dmarc_raw, "v=dmarc1; p=reject");
	records_result_free(res);
}

/* The class of item 5 for DKIM and DMARC: a failed lookup is not "no
 * record". */
static void
test_failed_lookups(void)
{
	static const struct zrr rrs[] = {
		{ "f.test", ns_t_txt, "v=spf1 -all" },
		{ "s1._domainkey.f.test", ns_t_txt, "!servfail" },
		{ "_dmarc.f.test", ns_t_txt, "!timeout" },
	};
	static const struct zrr org[] = {
		{ "_dmarc.example.org", ns_t_txt, "!servfail" },
	};
	static char *const sel[] = { "s1", "s2" };
	static char *const none[] = { NULL };
	struct records_result *res;

	zone_selectors = sel;
	n_zone_selectors = 2;
	res = run_zone("f.test", rrs, ARRAY_LEN(rrs), none, 0, NULL);
	zone_selectors = NULL;
	n_zone_selectors = 0;
	CHECK_INT(res->n_dkim, 2);
	CHECK_STR(res->dkim[0].key.reason, "dns_error");
	CHECK(strstr(res->dkim[0].key.message, "servfail") != NULL);
	CHECK_STR(res->dkim[1].key.reason, "no_record");	/* NXDOMAIN */
	CHECK_INT(res->dmarc_failure, DNS_TIMEOUT);
	CHECK_STR(res->dmarc.reason, "dns_error");
	CHECK_INT(res->dmarc_from_org, 0);	/* no fallback on a failure */
	records_result_free(res);
	/* the organisational domain's lookup failing counts the same */
	res = run_zone("sub.example.org", org, 1, none, 0, NULL);
	CHECK_INT(res->dmarc_from_org, 1);
	CHECK_INT(res->dmarc_failure, DNS_SERVFAIL);
	CHECK_STR(res->dmarc.reason, "dns_error");
	records_result_free(res);
}

/* Hostile texts keep the bounds the fixed buffers had, stored at their
 * length: a 253-byte domain whole, a message cut where it was, and the
 * bytes counted are the texts'. */
static void
test_text_bounds(void)
{
	char name[254], dmarc[300], rec[400], expect[300];
	struct zrr rrs[2];
	struct records_result *res;
	struct spf_record *sr = NULL;
	struct spf_error err;
	size_t base;

	memset(name, 'a', 63);
	name[63] = '.';
	memset(name + 64, 'b', 63);
	name[127] = '.';
	memset(name + 128, 'c', 63);
	name[191] = '.';
	memset(name + 192, 'd', 61);
	name[253] = '\0';
	CHECK_INT(strlen(name), 253);
	/* a record whose problem quotes 300 bytes of it */
	snprintf(rec, sizeof(rec), "v=spf1 ip4:%0300d -all", 1);
	snprintf(dmarc, sizeof(dmarc), "_dmarc.%s", name);
	rrs[0] = (struct zrr){ name, ns_t_txt, rec };
	rrs[1] = (struct zrr){ dmarc, ns_t_txt, "!servfail" };
	res = run_zone(name, rrs, 2, NULL, 0, NULL);
	CHECK_STR(res->dmarc_domain, name);
	CHECK_INT(res->dmarc_failure, DNS_SERVFAIL);
	snprintf(expect, sizeof(expect), "lookup at %.200s failed: servfail",
	    name);
	CHECK_STR(res->dmarc.message, expect);
	CHECK_INT(res->spf_valid, 0);
	memset(&err, 0, sizeof(err));
	CHECK_INT(spf_parse(rec, strlen(rec), &sr, &err), -1);
	CHECK_STR(res->spf_message, err.message);
	CHECK(strlen(res->spf_message) > 0 && strlen(res->spf_message) <= 255);
	/* the bytes are the texts', at their length */
	base = records_result_bytes(res);
	CHECK(base >= sizeof(*res) + strlen(name) + 1 + strlen(rec) + 1 +
	    strlen(expect) + 1 + strlen(err.message) + 1);
	ostr_set(&res->spf_message, ostr_empty);
	CHECK_INT(records_result_bytes(res), base - strlen(err.message) - 1);
	records_result_free(res);
}

/* --- the outputs of rich results -----------------------------------------
 * SPF with includes and check_host() of MX and configured addresses, two
 * DKIM selectors (a good key and a broken one), DMARC with rua and ruf
 * destinations (internal, external authorised and not), a near miss
 * falling back to the organisational domain, and texts at their bounds:
 * the metrics, the JSON, the target page and the check report of each.
 * MAILSEC_SNAPSHOT=FILE writes them there, to hold two builds' against
 * each other (the records structs' layout must not show). */

#define ZONE_KEY \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkM" \
	"oGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/R" \
	"tdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToI" \
	"MmPSPDdQPNUYckcQ2QIDAQAB"

static const struct zrr rich_rrs[] = {
	{ "example.com", ns_t_txt, "v=spf1 include:_a.example.com "
	    "include:_spf.example.net mx ?all" },
	{ "example.com", ns_t_mx, "mx.example.com" },
	{ "mx.example.com", ns_t_a, "192.0.2.25" },
	{ "_a.example.com", ns_t_txt, "v=spf1 ip4:192.0.2.0/25 "
	    "ip6:2001:db8::/32 -all" },
	{ "_spf.example.net", ns_t_txt, "v=spf1 ip4:198.51.100.0/24 ~all" },
	{ "s1._domainkey.example.com", ns_t_txt, "v=DKIM1; k=rsa; p="
	    ZONE_KEY },
	{ "s2._domainkey.example.com", ns_t_txt, "v=DKIM1; k=rsa; h=sha1; "
	    "t=y; p=" ZONE_KEY },
	{ "_dmarc.example.com", ns_t_txt, "v=DMARC1; p=quarantine; sp=reject; "
	    "pct=50; adkim=s; fo=1:d; ri=3600; xnote=hi; "
	    "rua=mailto:agg@example.com,mailto:dmarc@reports.example.net!10m,"
	    "mailto:other@elsewhere.example.org; "
	    "ruf=mailto:forensic@reports.example.net" },
	{ "example.com._report._dmarc.reports.example.net", ns_t_txt,
	    "v=DMARC1" },
	/* a near miss at the subdomain, the organisation's record applies */
	{ "sub.example.com", ns_t_txt, "v=spf1 redirect=_a.example.com" },
	{ "_dmarc.sub.example.com", ns_t_txt, "v=dmarc1; p=none" },
	{ "s1._domainkey.sub.example.com", ns_t_txt, "!servfail" },
	{ "s2._domainkey.sub.example.com", ns_t_txt, "v=DKIM1; p=" },
	/* hostile: a record whose problem is told in more than 255 bytes */
	{ "long.example.com", ns_t_txt, "v=spf1 include:"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
	    "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
	    "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd "
	    "foo=%{z} ip4:300.1.1.1 -all" },
	{ "_dmarc.long.example.com", ns_t_txt, "v=DMARC1; p=maybe; "
	    "rua=mailto:x@" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
};

static struct check_result *
rich_result(const char *domain, double when)
{
	static char *const sels[] = { "s1", "s2" };
	static char *const expect[] = { "192.0.2.5", "2001:db8::7" };
	static char *const mx[] = { "192.0.2.25", "203.0.113.9" };
	struct records_result *res;
	struct target_cfg t;
	struct check_result *r;

	zone_selectors = sels;
	n_zone_selectors = ARRAY_LEN(sels);
	zone_mx = mx;
	n_zone_mx = ARRAY_LEN(mx);
	res = run_zone(domain, rich_rrs, ARRAY_LEN(rich_rrs), expect,
	    ARRAY_LEN(expect), NULL);
	zone_selectors = zone_mx = NULL;
	n_zone_selectors = n_zone_mx = 0;
	/* the clock's readings, fixed */
	res->finished = when;
	res->spf_lookup.duration_s = 0.125;
	res->dmarc_lookup.duration_s = 0.25;
	for (size_t i = 0; i < res->n_dkim; i++)
		res->dkim[i].lookup.duration_s = 0.0625 * (double)(i + 1);
	for (size_t i = 0; i < res->n_dmarc_dests; i++)
		res->dmarc_dests[i].lookup.duration_s = 0.5;
	memset(&t, 0, sizeof(t));
	t.kind = TARGET_DOMAIN;
	t.name = (char *)domain;
	t.records = 1;
	r = check_result_new(&t, domain);
	r->started = r->finished = when;
	r->success = 1;
	r->mx_result = DNS_OK;
	r->records = res;
	return r;
}

static void
test_render_snapshot(void)
{
	static const char *const domains[] = { "example.com",
	    "sub.example.com", "long.example.com" };
	const char *path = getenv("MAILSEC_SNAPSHOT");
	FILE *f = path ? fopen(path, "w") : NULL;
	const double when = 1700000000.0;

	for (size_t d = 0; d < ARRAY_LEN(domains); d++) {
		struct check_result *r = rich_result(domains[d], when);
		struct target_cfg t;
		struct published_target pt;
		struct publish_event ev = { .kind = PUBLISH_TARGETS,
		    .targets = &pt, .n = 1 };
		struct report_opts o = { .colour = 0 };
		struct result_store *rs;
		struct buf m, j, pg, rep;
		struct expo e;
		const char *part;

		buf_init(&m);
		buf_init(&j);
		buf_init(&pg);
		buf_init(&rep);
		for (int mode = ADDRESS_LABEL_ON; mode <= ADDRESS_LABEL_HASH;
		    mode++) {
			expo_init(&e);
			metrics_add_result(&e, r, mode);
			expo_render(&e, &m);
			expo_free(&e);
		}
		memset(&t, 0, sizeof(t));
		t.kind = TARGET_DOMAIN;
		t.name = (char *)domains[d];
		t.records = 1;
		pt = (struct published_target){ .key = domains[d], .cfg = &t,
		    .result = r };
		rs = result_store_new();
		result_store_publish(rs, &ev);
		CHECK_INT(status_json_render(rs, domains[d], &j), 0);
		CHECK_INT(target_page_render(rs, domains[d], &pg), 0);
		result_store_free(rs);
		report_render(&pt, 1, when + 60, &o, &rep);
		CHECK(m.len > 0 && j.len > 0 && pg.len > 0 && rep.len > 0);
		part = pg.data ? strstr(pg.data, "<h2>") : NULL;
		if (f != NULL)
			fprintf(f, "=== %s metrics\n%s=== json\n%s\n=== page\n"
			    "%s\n=== report\n%s", domains[d], m.data, j.data,
			    part ? part : "", rep.data);
		buf_free(&m);
		buf_free(&j);
		buf_free(&pg);
		buf_free(&rep);
		check_result_free(r);
	}
	if (f != NULL)
		fclose(f);
}

int
main(void)
{
	test_spf_temperror();
	test_spf_redirect_all();
	test_spf_checks_without_record();
	test_spf_ptr_names();
	test_dmarc_selection();
	test_failed_lookups();
	test_text_bounds();
	test_render_snapshot();
	return unit_done("test_records_zone");
}
