/* SPF parser, selection, macro expansion and check_host(), the evaluator
 * driven by an in-memory zone standing in for the DNS. */
#include "collectors/spf.h"
#include "tests/unit/unit.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <strings.h>

#define EXPECT(r, want_code, want_reason) do { int f_ = unit_failures; \
	CHECK_STR(spf_result_name((r).code), spf_result_name(want_code)); \
	CHECK_STR((r).reason, (want_reason)); \
	if (unit_failures != f_) \
		fprintf(stderr, "  message: %s\n", (r).message); } while (0)

/* ---- A fake DNS ------------------------------------------------------- */

/* data is a TXT string, an MX or PTR target, an address, or "!servfail",
 * "!timeout" (a status) or "!null" (resume with no answer at all). */
struct rr {
	char		*name;
	enum spf_qtype	 type;
	char		*data;
	size_t		 len;
};

struct zone {
	struct rr	*rrs;
	size_t		 count;
	unsigned	 asked;
	struct buf	 log;	/* "TYPE name\n" per question */
};

static void
zone_init(struct zone *z)
{
	memset(z, 0, sizeof(*z));
	buf_init(&z->log);
}

static void
zone_free(struct zone *z)
{
	size_t i;

	for (i = 0; i < z->count; i++) {
		free(z->rrs[i].name);
		free(z->rrs[i].data);
	}
	free(z->rrs);
	buf_free(&z->log);
	zone_init(z);
}

static void
zone_add_len(struct zone *z, const char *name, enum spf_qtype type,
    const char *data, size_t len)
{
	struct rr *rr;

	z->rrs = xreallocarray(z->rrs, z->count + 1, sizeof(*z->rrs));
	rr = &z->rrs[z->count++];
	rr->name = xstrdup(name);
	rr->type = type;
	rr->data = xmalloc(len + 1);
	memcpy(rr->data, data, len);
	rr->data[len] = '\0';
	rr->len = len;
}

static void
zone_add(struct zone *z, const char *name, enum spf_qtype type,
    const char *data)
{
	zone_add_len(z, name, type, data, strlen(data));
}

/* Answers the pending question from the zone and resumes. */
static enum spf_step
answer(struct zone *z, struct spf_eval *ev)
{
	const struct spf_query *q = spf_eval_query(ev);
	struct spf_answer ans;
	const char **strings;
	struct spf_ip *addrs;
	size_t *lens, i, ns = 0, na = 0;
	int name_exists = 0, no_answer = 0;
	enum spf_step step;

	memset(&ans, 0, sizeof(ans));
	ans.status = SPF_DNS_OK;
	z->asked++;
	buf_printf(&z->log, "%s %s\n", spf_qtype_name(q->type), q->name);
	strings = xreallocarray(NULL, z->count + 1, sizeof(*strings));
	lens = xreallocarray(NULL, z->count + 1, sizeof(*lens));
	addrs = xreallocarray(NULL, z->count + 1, sizeof(*addrs));
	for (i = 0; i < z->count; i++) {
		const struct rr *rr = &z->rrs[i];

		if (strcasecmp(rr->name, q->name) != 0)
			continue;
		name_exists = 1;
		if (rr->type != q->type)
			continue;
		if (strcmp(rr->data, "!servfail") == 0)
			ans.status = SPF_DNS_SERVFAIL;
		else if (strcmp(rr->data, "!timeout") == 0)
			ans.status = SPF_DNS_TIMEOUT;
		else if (strcmp(rr->data, "!null") == 0)
			no_answer = 1;
		else if (q->type == SPF_QTYPE_A || q->type == SPF_QTYPE_AAAA) {
			if (spf_ip_parse(rr->data, &addrs[na]) == 0)
				na++;
		} else {
			strings[ns] = rr->data;
			lens[ns++] = rr->len;
		}
	}
	if (ans.status == SPF_DNS_OK && ns == 0 && na == 0)
		ans.status = name_exists ? SPF_DNS_NODATA : SPF_DNS_NXDOMAIN;
	ans.strings = strings;
	ans.lens = lens;
	ans.nstrings = ns;
	ans.addrs = addrs;
	ans.naddrs = na;
	step = spf_eval_resume(ev, no_answer ? NULL : &ans);
	free(strings);
	free(lens);
	free(addrs);
	return step;
}

static struct spf_result
drive(struct zone *z, struct spf_eval *ev)
{
	enum spf_step step = spf_eval_start(ev);
	unsigned guard = 0;

	while (step == SPF_STEP_QUERY && guard++ < 100000)
		step = answer(z, ev);
	CHECK(step == SPF_STEP_DONE);
	CHECK_STR(spf_eval_state_name(ev), "done");
	CHECK(spf_eval_query(ev) == NULL);
	return *spf_eval_result(ev);
}

static struct spf_result
check_ip(struct zone *z, const char *domain, const char *ip,
    const char *sender)
{
	struct spf_result r;
	struct spf_eval *ev;
	struct spf_ip addr;
	unsigned before = z->asked;

	if (spf_ip_parse(ip, &addr) == -1) {
		fprintf(stderr, "bad test address %s\n", ip);
		abort();
	}
	ev = spf_eval_new(domain, &addr, sender, "mx.example.net", NULL);
	r = drive(z, ev);
	/* Every question the caller saw is counted, and only those. */
	CHECK_INT(r.dns_queries, z->asked - before);
	spf_eval_free(ev);
	return r;
}

static struct spf_result
walk(struct zone *z, const char *domain, int family)
{
	struct spf_result r;
	struct spf_eval *ev = spf_eval_new_walk(domain, family, NULL);

	r = drive(z, ev);
	spf_eval_free(ev);
	return r;
}

/* ---- Parser ----------------------------------------------------------- */

static const char *
parse_reason_len(const char *s, size_t len)
{
	struct spf_record *rec;
	struct spf_error err;

	if (spf_parse(s, len, &rec, &err) == 0) {
		spf_record_free(rec);
		return "ok";
	}
	CHECK(rec == NULL);
	CHECK(err.message[0] != '\0');
	return err.reason;
}

static const char *
parse_reason(const char *s)
{
	return parse_reason_len(s, strlen(s));
}

/* Parses "v=spf1 <term>" and returns the reason (or "ok"). */
static const char *
term_reason(const char *term)
{
	char record[512];

	snprintf(record, sizeof(record), "v=spf1 %s", term);
	return parse_reason(record);
}

static void
test_parse_version(void)
{
	struct spf_record *rec;
	struct spf_error err;

	CHECK_STR(parse_reason("v=spf1"), "ok");
	CHECK_STR(parse_reason("v=spf1 "), "ok");
	CHECK_STR(parse_reason("v=spf1 -all "), "ok");
	CHECK_STR(parse_reason("v=spf1  a   -all"), "ok");
	CHECK_STR(parse_reason("V=SPF1 MX -ALL"), "ok");
	CHECK_STR(parse_reason("v=spf10"), "bad_version");
	CHECK_STR(parse_reason("v=spf10 -all"), "bad_version");
	CHECK_STR(parse_reason("v=spf1x"), "bad_version");
	CHECK_STR(parse_reason("v=spf1-all"), "bad_version");
	CHECK_STR(parse_reason("v=spf"), "bad_version");
	CHECK_STR(parse_reason(""), "bad_version");
	CHECK_STR(parse_reason(" v=spf1 -all"), "bad_version");
	CHECK_STR(parse_reason("v = spf1"), "bad_version");
	CHECK_STR(parse_reason("spf2.0/pra -all"), "bad_version");
	CHECK_STR(parse_reason("v=spf2 -all"), "bad_version");
	CHECK(spf_parse(NULL, 0, &rec, &err) == -1);
	CHECK_STR(err.reason, "bad_version");

	CHECK(spf_parse("v=spf1", 6, &rec, &err) == 0);
	CHECK_INT(rec->nterms, 0);
	CHECK(rec->all == NULL);
	CHECK_INT(rec->dns_terms, 0);
	spf_record_free(rec);

	CHECK(spf_parse("V=SPF1 MX -ALL", 14, &rec, &err) == 0);
	CHECK_INT(rec->nterms, 2);
	CHECK_INT(rec->terms[0].kind, SPF_MX);
	CHECK_INT(rec->terms[1].kind, SPF_ALL);
	CHECK_INT(rec->terms[1].qualifier, SPF_QUAL_FAIL);
	CHECK(rec->all == &rec->terms[1]);
	spf_record_free(rec);
}

static void
test_parse_bytes(void)
{
	struct spf_record *rec;
	struct spf_error err;
	char *big;
	size_t n;

	/* NUL, tab, CR/LF, DEL, 8-bit: all refused, with their offset. */
	CHECK(spf_parse("v=spf1 a\0 -all", 14, &rec, &err) == -1);
	CHECK_STR(err.reason, "bad_char");
	CHECK_INT(err.offset, 8);
	CHECK(strstr(err.message, "0x00") != NULL);
	CHECK_STR(parse_reason("v=spf1\t-all"), "bad_char");
	CHECK_STR(parse_reason("v=spf1 -all\r\n"), "bad_char");
	CHECK_STR(parse_reason("v=spf1 -all\x7f"), "bad_char");
	CHECK_STR(parse_reason("v=spf1 include:\xc3\xa9.example.com"),
	    "bad_char");
	CHECK_STR(parse_reason_len("\0v=spf1", 7), "bad_char");

	/* Bounded length: 4096 is fine, 4097 and a megabyte are not. */
	n = 1 << 20;
	big = xmalloc(n + 1);
	memcpy(big, "v=spf1 x=", 9);
	memset(big + 9, 'a', n - 9);
	big[n] = '\0';
	CHECK_STR(parse_reason_len(big, SPF_MAX_RECORD_LEN), "ok");
	CHECK_STR(parse_reason_len(big, SPF_MAX_RECORD_LEN + 1), "too_long");
	CHECK(spf_parse(big, n, &rec, &err) == -1);
	CHECK_STR(err.reason, "too_long");
	CHECK(strstr(err.message, "1048576") != NULL);
	free(big);
}

static void
test_parse_many_terms(void)
{
	struct spf_record *rec;
	struct spf_error err;
	struct buf b;
	int i;

	/* 300 mechanisms parse (the RFC puts no limit on non-DNS terms). */
	buf_init(&b);
	buf_puts(&b, "v=spf1");
	for (i = 0; i < 300; i++)
		buf_printf(&b, " ip6:::%x", i);
	buf_puts(&b, " -all");
	CHECK(b.len < SPF_MAX_RECORD_LEN);
	CHECK(spf_parse(b.data, b.len, &rec, &err) == 0);
	CHECK_INT(rec->nterms, 301);
	CHECK_INT(rec->dns_terms, 0);
	CHECK(rec->all == &rec->terms[300]);
	CHECK_INT(rec->terms[299].addr[14], 1);
	CHECK_INT(rec->terms[299].addr[15], 43);
	spf_record_free(rec);

	/* 512 terms fit, 513 do not. */
	buf_reset(&b);
	buf_puts(&b, "v=spf1");
	for (i = 0; i < 512; i++)
		buf_puts(&b, " a");
	CHECK(spf_parse(b.data, b.len, &rec, &err) == 0);
	CHECK_INT(rec->nterms, 512);
	CHECK_INT(rec->dns_terms, 512);
	spf_record_free(rec);
	buf_puts(&b, " a");
	CHECK(spf_parse(b.data, b.len, &rec, &err) == -1);
	CHECK_STR(err.reason, "too_many_terms");
	CHECK_INT(err.offset, 6 + 512 * 2 + 1);
	buf_free(&b);
}

static void
test_parse_terms(void)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 1 };
	const char *text = "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::1 a ~all";
	struct spf_record *rec;
	struct spf_error err;
	const struct spf_term *t;

	CHECK(spf_parse(text, strlen(text), &rec, &err) == 0);
	CHECK_INT(rec->nterms, 4);
	t = &rec->terms[0];
	CHECK_INT(t->kind, SPF_IP4);
	CHECK_INT(t->qualifier, SPF_QUAL_PASS);
	CHECK_INT(t->offset, 7);
	CHECK_STR(t->text, "ip4:192.0.2.0/24");
	CHECK_INT(t->family, AF_INET);
	CHECK(memcmp(t->addr, "\xc0\x00\x02\x00", 4) == 0);
	CHECK_INT(t->cidr4, 24);
	t = &rec->terms[1];
	CHECK_INT(t->kind, SPF_IP6);
	CHECK_INT(t->offset, 24);
	CHECK_INT(t->family, AF_INET6);
	CHECK(memcmp(t->addr, v6, 16) == 0);
	CHECK_INT(t->cidr6, 128);
	t = &rec->terms[2];
	CHECK_INT(t->kind, SPF_A);
	CHECK_INT(t->offset, 40);
	CHECK(t->domain_spec == NULL);
	CHECK_INT(t->cidr4, 32);
	CHECK_INT(t->cidr6, 128);
	t = &rec->terms[3];
	CHECK_INT(t->kind, SPF_ALL);
	CHECK_INT(t->qualifier, SPF_QUAL_SOFTFAIL);
	CHECK_INT(t->offset, 42);
	CHECK(rec->all == t);
	CHECK_INT(spf_qualifier_char(rec->all->qualifier), '~');
	CHECK_INT(rec->dns_terms, 1);
	CHECK(!rec->uses_ptr);
	CHECK(rec->redirect == NULL && rec->exp == NULL);
	spf_record_free(rec);

	text = "v=spf1 ?ptr +include:_spf.example.com a:%{d}/24//64 "
	    "-mx:example.com//0 ~exists:%{ir}.%{l1r-}._spf.%{d} "
	    "REDIRECT=_r.example.com exp=explain.%{d} moo=%{c}x foo.bar-_=";
	CHECK(spf_parse(text, strlen(text), &rec, &err) == 0);
	CHECK_INT(rec->nterms, 9);
	CHECK_INT(rec->terms[0].kind, SPF_PTR);
	CHECK_INT(rec->terms[0].qualifier, SPF_QUAL_NEUTRAL);
	CHECK(rec->terms[0].domain_spec == NULL);
	CHECK_STR(rec->terms[1].domain_spec, "_spf.example.com");
	CHECK_STR(rec->terms[2].domain_spec, "%{d}");
	CHECK_INT(rec->terms[2].cidr4, 24);
	CHECK_INT(rec->terms[2].cidr6, 64);
	CHECK(rec->terms[2].macros == (1u << ('d' - 'a')));
	CHECK_INT(rec->terms[3].qualifier, SPF_QUAL_FAIL);
	CHECK_STR(rec->terms[3].domain_spec, "example.com");
	CHECK_INT(rec->terms[3].cidr4, 32);
	CHECK_INT(rec->terms[3].cidr6, 0);
	CHECK_INT(rec->terms[4].kind, SPF_EXISTS);
	CHECK_INT(rec->terms[4].qualifier, SPF_QUAL_SOFTFAIL);
	CHECK(rec->terms[4].macros == ((1u << ('i' - 'a')) |
	    (1u << ('l' - 'a')) | (1u << ('d' - 'a'))));
	CHECK_INT(rec->terms[5].kind, SPF_REDIRECT);
	CHECK_STR(rec->redirect, "_r.example.com");
	CHECK_INT(rec->terms[6].kind, SPF_EXP);
	CHECK_STR(rec->exp, "explain.%{d}");
	CHECK_INT(rec->terms[7].kind, SPF_UNKNOWN_MODIFIER);
	CHECK_STR(rec->terms[7].name, "moo");
	CHECK_STR(rec->terms[7].value, "%{c}x");
	CHECK_STR(rec->terms[8].name, "foo.bar-_");
	CHECK_STR(rec->terms[8].value, "");
	CHECK(rec->uses_ptr);
	CHECK(rec->all == NULL);
	CHECK_INT(rec->dns_terms, 6);	/* 5 mechanisms + redirect */
	CHECK_STR(spf_kind_name(rec->terms[7].kind), "unknown_modifier");
	spf_record_free(rec);

	/* With "all" the redirect is never followed, so it costs nothing. */
	text = "v=spf1 redirect=_r.example.com mx -all";
	CHECK(spf_parse(text, strlen(text), &rec, &err) == 0);
	CHECK_INT(rec->dns_terms, 1);
	CHECK_STR(rec->redirect, "_r.example.com");
	spf_record_free(rec);

	/* Every RFC 7208 example record parses. */
	CHECK_STR(parse_reason("v=spf1 +mx a:colo.example.com/28 -all"), "ok");
	CHECK_STR(parse_reason("v=spf1 a:A.EXAMPLE.COM -all"), "ok");
	CHECK_STR(parse_reason("v=spf1 +mx redirect=_spf.example.com"), "ok");
	CHECK_STR(parse_reason("v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all"),
	    "ok");
	CHECK_STR(parse_reason("v=spf1 mx -all exp=explain._spf.%{d}"), "ok");
	CHECK_STR(parse_reason("v=spf1 mx/30 mx:example.org/30 -all"), "ok");
	CHECK_STR(parse_reason("v=spf1 ip4:192.0.2.128/28 -all"), "ok");
	CHECK_STR(parse_reason("v=spf1 mx include:mobile-users._spf.%{d} "
	    "include:remote-users._spf.%{d} -all"), "ok");
	CHECK_STR(parse_reason("v=spf1 exists:_h.%{h}._l.%{l}._o.%{o}._i.%{i}"
	    "._spf.%{d} ?all"), "ok");
	CHECK_STR(parse_reason("v=spf1 mx redirect=%{l1r+}._at_.%{o}._spf.%{d}"),
	    "ok");
	CHECK_STR(parse_reason("v=spf1 mx exists:%{ir}.%{L1R+-}._spf.%{d} "
	    "-all"), "ok");
}

static void
test_parse_errors(void)
{
	struct spf_record *rec;
	struct spf_error err;
	const char *text;

	/* The message names the term and its offset. */
	text = "v=spf1 a -all a/33";
	CHECK(spf_parse(text, strlen(text), &rec, &err) == -1);
	CHECK_STR(err.reason, "bad_cidr");
	CHECK_INT(err.offset, 14);
	CHECK(strstr(err.message, "\"a/33\"") != NULL);
	CHECK(strstr(err.message, "offset 14") != NULL);

	/* Mechanisms and terms. */
	CHECK_STR(term_reason("foo"), "unknown_mechanism");
	CHECK_STR(term_reason("allx"), "unknown_mechanism");
	CHECK_STR(term_reason("1foo=bar"), "unknown_mechanism");
	CHECK_STR(term_reason("ip5:1.2.3.4"), "unknown_mechanism");
	CHECK_STR(term_reason("+"), "syntax");
	CHECK_STR(term_reason("-"), "syntax");
	CHECK_STR(term_reason("+-all"), "syntax");
	CHECK_STR(term_reason("=foo"), "syntax");
	CHECK_STR(term_reason(":a"), "syntax");
	CHECK_STR(term_reason("all:example.com"), "syntax");
	CHECK_STR(term_reason("all/24"), "syntax");
	CHECK_STR(term_reason("a-"), "syntax");
	CHECK_STR(term_reason("include"), "syntax");
	CHECK_STR(term_reason("exists"), "syntax");
	CHECK_STR(term_reason("+redirect=example.com"), "syntax");
	CHECK_STR(term_reason("-exp=example.com"), "syntax");

	/* Dual CIDR on a and mx. */
	CHECK_STR(term_reason("a/0"), "ok");
	CHECK_STR(term_reason("a/32"), "ok");
	CHECK_STR(term_reason("a//0"), "ok");
	CHECK_STR(term_reason("a//128"), "ok");
	CHECK_STR(term_reason("mx/24//64"), "ok");
	CHECK_STR(term_reason("mx:example.com/24//64"), "ok");
	CHECK_STR(term_reason("a/33"), "bad_cidr");
	CHECK_STR(term_reason("a/024"), "bad_cidr");
	CHECK_STR(term_reason("a/00"), "bad_cidr");
	CHECK_STR(term_reason("a/4294967320"), "bad_cidr");
	CHECK_STR(term_reason("a//129"), "bad_cidr");
	CHECK_STR(term_reason("a//064"), "bad_cidr");
	CHECK_STR(term_reason("a/"), "bad_cidr");
	CHECK_STR(term_reason("a//"), "bad_cidr");
	CHECK_STR(term_reason("a///64"), "bad_cidr");
	CHECK_STR(term_reason("a/24/"), "bad_cidr");
	CHECK_STR(term_reason("a/24/64"), "bad_cidr");
	CHECK_STR(term_reason("a//64/24"), "bad_cidr");
	CHECK_STR(term_reason("a/-1"), "bad_cidr");
	CHECK_STR(term_reason("a/1x"), "bad_cidr");
	CHECK_STR(term_reason("mx:example.com/"), "bad_cidr");
	CHECK_STR(term_reason("mx:example.com/33"), "bad_cidr");
	CHECK_STR(term_reason("ptr/24"), "bad_cidr");
	CHECK_STR(term_reason("a/24:example.com"), "bad_cidr");
	CHECK_STR(term_reason("mx:example.com/x"), "bad_domain");

	/* ip4. */
	CHECK_STR(term_reason("ip4:192.0.2.1"), "ok");
	CHECK_STR(term_reason("ip4:0.0.0.0/0"), "ok");
	CHECK_STR(term_reason("ip4:192.0.2.0/32"), "ok");
	CHECK_STR(term_reason("ip4:192.0.2.0/33"), "bad_cidr");
	CHECK_STR(term_reason("ip4:192.0.2.0/"), "bad_cidr");
	CHECK_STR(term_reason("ip4:192.0.2.0/08"), "bad_cidr");
	CHECK_STR(term_reason("ip4:192.0.2.0//24"), "bad_cidr");
	CHECK_STR(term_reason("ip4:192.0.2.0/24/"), "bad_cidr");
	CHECK_STR(term_reason("ip4:192.0.2.0/2x"), "bad_cidr");
	CHECK_STR(term_reason("ip4"), "bad_ip4");
	CHECK_STR(term_reason("ip4:"), "bad_ip4");
	CHECK_STR(term_reason("ip4:/24"), "bad_ip4");
	CHECK_STR(term_reason("ip4/24"), "bad_ip4");
	CHECK_STR(term_reason("ip4:192.0.2"), "bad_ip4");
	CHECK_STR(term_reason("ip4:192.0.2.256"), "bad_ip4");
	CHECK_STR(term_reason("ip4:192.0.02.1"), "bad_ip4");
	CHECK_STR(term_reason("ip4:1.2.3.4.5"), "bad_ip4");
	CHECK_STR(term_reason("ip4:1.2.3.4."), "bad_ip4");
	CHECK_STR(term_reason("ip4:0x7f.0.0.1"), "bad_ip4");
	CHECK_STR(term_reason("ip4:192.0.2.1a"), "bad_ip4");
	CHECK_STR(term_reason("ip4:2001:db8::1"), "bad_ip4");
	CHECK_STR(term_reason("ip4:1111111111111111.2.3.4"), "bad_ip4");
	CHECK_STR(term_reason("ip4:example.com"), "bad_ip4");

	/* ip6. */
	CHECK_STR(term_reason("ip6:::1"), "ok");
	CHECK_STR(term_reason("ip6:::/0"), "ok");
	CHECK_STR(term_reason("ip6:2001:DB8::/32"), "ok");
	CHECK_STR(term_reason("ip6:::ffff:192.0.2.1"), "ok");
	CHECK_STR(term_reason("ip6:1:2:3:4:5:6:7:8/128"), "ok");
	CHECK_STR(term_reason("ip6"), "bad_ip6");
	CHECK_STR(term_reason("ip6:"), "bad_ip6");
	CHECK_STR(term_reason("ip6:2001:db8:::1"), "bad_ip6");
	CHECK_STR(term_reason("ip6:12345::"), "bad_ip6");
	CHECK_STR(term_reason("ip6:fe80::1%eth0"), "bad_ip6");
	CHECK_STR(term_reason("ip6:192.0.2.1"), "bad_ip6");
	CHECK_STR(term_reason("ip6:g::1"), "bad_ip6");
	CHECK_STR(term_reason("ip6:1:2:3:4:5:6:7:8:9"), "bad_ip6");
	CHECK_STR(term_reason("ip6:[::1]"), "bad_ip6");
	CHECK_STR(term_reason("ip6:0000:0000:0000:0000:0000:0000:0000:0000:0"),
	    "bad_ip6");
	CHECK_STR(term_reason("ip6:::1/129"), "bad_cidr");
	CHECK_STR(term_reason("ip6:::1//64"), "bad_cidr");
	CHECK_STR(term_reason("ip6:::1/0128"), "bad_cidr");
	CHECK_STR(term_reason("ip6:::1/"), "bad_cidr");

	/* domain-spec. */
	CHECK_STR(term_reason("include:_spf.example.com"), "ok");
	CHECK_STR(term_reason("include:example.com."), "ok");
	CHECK_STR(term_reason("include:example.1-2"), "ok");
	CHECK_STR(term_reason("include:x.y-z"), "ok");
	CHECK_STR(term_reason("a:%{d}"), "ok");
	CHECK_STR(term_reason("a:%{d}.example.com"), "ok");
	CHECK_STR(term_reason("exists:%%.%_.%-"), "ok");
	CHECK_STR(term_reason("ptr:example.com"), "ok");
	CHECK_STR(term_reason("include:"), "bad_domain");
	CHECK_STR(term_reason("a:"), "bad_domain");
	CHECK_STR(term_reason("mx:"), "bad_domain");
	CHECK_STR(term_reason("ptr:"), "bad_domain");
	CHECK_STR(term_reason("include:example"), "bad_domain");
	CHECK_STR(term_reason("include:.com"), "ok");
	CHECK_STR(term_reason("include:example.123"), "bad_domain");
	CHECK_STR(term_reason("include:example.com.."), "bad_domain");
	CHECK_STR(term_reason("include:example.-com"), "bad_domain");
	CHECK_STR(term_reason("include:example.com-"), "bad_domain");
	CHECK_STR(term_reason("include:example.c_m"), "bad_domain");
	CHECK_STR(term_reason("include:example.com:80"), "bad_domain");
	CHECK_STR(term_reason("include:example.com/24"), "bad_domain");
	CHECK_STR(term_reason("a:%{d}."), "bad_domain");
	CHECK_STR(term_reason("a:%{d}com"), "bad_domain");
	CHECK_STR(term_reason("a:%{d}}"), "bad_domain");

	/* Macros. */
	CHECK_STR(term_reason("exists:%{ir}.%{v}._spf.%{d2}"), "ok");
	CHECK_STR(term_reason("exists:%{d128}.example.com"), "ok");
	CHECK_STR(term_reason("exists:%{dR}.example.com"), "ok");
	CHECK_STR(term_reason("exists:%{S}.example.com"), "ok");
	CHECK_STR(term_reason("exists:%{l.-+,/_=}.example.com"), "ok");
	CHECK_STR(term_reason("exists:%{p}.example.com"), "ok");
	CHECK_STR(term_reason("exists:%{h}.%{o}.example.com"), "ok");
	CHECK_STR(term_reason("exists:%{x}.example.com"), "bad_macro");
	CHECK_STR(term_reason("exists:%{}.example.com"), "bad_macro");
	CHECK_STR(term_reason("exists:%{d0}.example.com"), "bad_macro");
	CHECK_STR(term_reason("exists:%{d00}.example.com"), "bad_macro");
	CHECK_STR(term_reason("exists:%{d2r2}.example.com"), "bad_macro");
	CHECK_STR(term_reason("exists:%{rd}.example.com"), "bad_macro");
	CHECK_STR(term_reason("exists:%{d;}.example.com"), "bad_macro");
	CHECK_STR(term_reason("exists:%{d"), "bad_macro");
	CHECK_STR(term_reason("exists:%{"), "bad_macro");
	CHECK_STR(term_reason("exists:%{d.example.com"), "bad_macro");
	CHECK_STR(term_reason("exists:%.example.com"), "bad_macro");
	CHECK_STR(term_reason("exists:%x.example.com"), "bad_macro");
	CHECK_STR(term_reason("exists:example.com%"), "bad_macro");
	CHECK_STR(term_reason("exists:%(d).example.com"), "bad_macro");
	CHECK_STR(term_reason("exists:%{c}.example.com"), "bad_macro");
	CHECK_STR(term_reason("exists:%{r}.example.com"), "bad_macro");
	CHECK_STR(term_reason("exists:%{T}.example.com"), "bad_macro");
	CHECK_STR(term_reason("redirect=%{x}.example.com"), "bad_macro");
	CHECK_STR(term_reason("exp=%{c}.example.com"), "bad_macro");

	/* Modifiers. */
	CHECK_STR(term_reason("redirect=a.example.com redirect=b.example.com"),
	    "duplicate_modifier");
	CHECK_STR(term_reason("exp=a.example.com -all EXP=b.example.com"),
	    "duplicate_modifier");
	CHECK_STR(term_reason("redirect=a.example.com exp=b.example.com"),
	    "ok");
	CHECK_STR(term_reason("foo=1 foo=2"), "ok");
	CHECK_STR(term_reason("redirect="), "bad_domain");
	CHECK_STR(term_reason("redirect=example"), "bad_domain");
	CHECK_STR(term_reason("exp="), "bad_domain");
	CHECK_STR(term_reason("foo=%{t}"), "ok");
	CHECK_STR(term_reason("foo=%{x}"), "bad_macro");
	CHECK_STR(term_reason("foo=%"), "bad_macro");
	CHECK_STR(term_reason("foo=a=b"), "ok");
}

/* ---- Selection -------------------------------------------------------- */

static void
test_select(void)
{
	const char *one[] = { "google-site-verification=abc", "v=spf1 -all" };
	const char *none[] = { "v=spf10 -all", "v=spf1x", " v=spf1 a",
	    "spf2.0/pra -all", NULL };
	const char *two[] = { "v=spf1 a", "x", "V=SPF1 mx" };
	const char *nul[] = { "v=spf1\0 a" };
	const size_t nul_len[] = { 9 };
	const char *bare[] = { "v=spf1" };
	struct spf_error err;
	size_t idx = 99;

	CHECK_INT(spf_select(one, NULL, 2, &idx, &err), SPF_SELECT_ONE);
	CHECK_INT(idx, 1);
	CHECK_INT(spf_select(bare, NULL, 1, &idx, &err), SPF_SELECT_ONE);
	CHECK_INT(idx, 0);
	CHECK_INT(spf_select(none, NULL, 5, &idx, &err), SPF_SELECT_NONE);
	CHECK_STR(err.reason, "none");
	CHECK_INT(spf_select(NULL, NULL, 0, &idx, &err), SPF_SELECT_NONE);
	CHECK_INT(spf_select(two, NULL, 3, &idx, &err), SPF_SELECT_MULTIPLE);
	CHECK_STR(err.reason, "multiple_records");
	CHECK_INT(spf_select(nul, nul_len, 1, &idx, &err), SPF_SELECT_NONE);
	CHECK(spf_is_record("v=spf1", 6));
	CHECK(spf_is_record("V=Spf1 a", 8));
	CHECK(!spf_is_record("v=spf1", 5));
	CHECK(!spf_is_record("v=spf1\ta", 8));
}

/* ---- Macro expansion (RFC 7208 7.4) ----------------------------------- */

static const char *
expand(const char *ms, const struct spf_macro_ctx *ctx, struct buf *out)
{
	struct spf_error err;

	if (spf_expand(ms, ctx, out, &err) == -1)
		return err.reason;
	return out->data;
}

static void
test_expand_rfc(void)
{
	static const struct {
		const char *macro, *want;
	} v4[] = {
		{ "%{s}", "strong-bad@email.example.com" },
		{ "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" },
		{ "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" },
		{ "%{d2}", "example.com" },
		{ "%{d1}", "com" },
		{ "%{dr}", "com.example.email" },
		{ "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" },
		{ "%{l-}", "strong.bad" },
		{ "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" },
		{ "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		    "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		    "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net",
		    "example.com.trusted-domains.example.net" },
		/* Beyond section 7.4. */
		{ "%{i}", "192.0.2.3" },
		{ "%{d200}", "email.example.com" },
		{ "%{D}", "email.example.com" },
		{ "%{S}", "strong-bad%40email.example.com" },
		{ "%{L1R-}", "strong" },
		{ "%{h}", "mx.example.org" },
		{ "%{p}", "unknown" },
		{ "%%%_%-", "% %20" },
		{ "%{l-}-%{d1}", "strong.bad-com" },
	};
	struct spf_macro_ctx ctx;
	struct buf out;
	size_t i;

	buf_init(&out);
	memset(&ctx, 0, sizeof(ctx));
	ctx.sender = "strong-bad@email.example.com";
	ctx.domain = "email.example.com";
	ctx.helo = "mx.example.org";
	CHECK(spf_ip_parse("192.0.2.3", &ctx.ip) == 0);
	for (i = 0; i < ARRAY_LEN(v4); i++)
		CHECK_STR(expand(v4[i].macro, &ctx, &out), v4[i].want);

	CHECK(spf_ip_parse("2001:db8::cb01", &ctx.ip) == 0);
	CHECK_STR(expand("%{ir}.%{v}._spf.%{d2}", &ctx, &out),
	    "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
	    ".ip6._spf.example.com");
	CHECK_STR(expand("%{i}", &ctx, &out),
	    "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1");
	CHECK_STR(expand("%{v}", &ctx, &out), "ip6");

	/* c, r, t: explanations only. */
	CHECK_STR(expand("%{c}", &ctx, &out), "bad_macro");
	CHECK_STR(expand("%{r}", &ctx, &out), "bad_macro");
	CHECK_STR(expand("%{t}", &ctx, &out), "bad_macro");
	CHECK_INT(out.len, 0);
	ctx.explanation = 1;
	ctx.timestamp = 1700000000;
	CHECK_STR(expand("%{c} is not one of %{d}'s designated mail servers.",
	    &ctx, &out), "2001:db8::cb01 is not one of email.example.com's "
	    "designated mail servers.");
	CHECK_STR(expand("%{r} at %{t}", &ctx, &out), "unknown at 1700000000");
	ctx.receiver = "mx.receiver.example";
	CHECK_STR(expand("%{r}", &ctx, &out), "mx.receiver.example");
	CHECK(spf_ip_parse("192.0.2.3", &ctx.ip) == 0);
	CHECK_STR(expand("%{c}", &ctx, &out), "192.0.2.3");
	ctx.explanation = 0;

	/* Malformed macro-strings. */
	CHECK_STR(expand("%{x}", &ctx, &out), "bad_macro");
	CHECK_STR(expand("%{d0}", &ctx, &out), "bad_macro");
	CHECK_STR(expand("%", &ctx, &out), "bad_macro");
	CHECK_STR(expand("%{d", &ctx, &out), "bad_macro");
	CHECK_STR(expand("a b", &ctx, &out), "bad_macro");
	CHECK_STR(expand("\x01", &ctx, &out), "bad_macro");
	buf_free(&out);
}

static void
test_expand_sender(void)
{
	struct spf_macro_ctx ctx;
	struct buf out, want;
	int i;

	buf_init(&out);
	buf_init(&want);
	memset(&ctx, 0, sizeof(ctx));
	ctx.domain = "example.com";
	CHECK(spf_ip_parse("192.0.2.3", &ctx.ip) == 0);

	/* No local-part: "postmaster" (RFC 7208 4.3). */
	ctx.sender = "email.example.com";
	CHECK_STR(expand("%{s}", &ctx, &out), "postmaster@email.example.com");
	CHECK_STR(expand("%{l}", &ctx, &out), "postmaster");
	ctx.sender = "@email.example.com";
	CHECK_STR(expand("%{s}", &ctx, &out), "postmaster@email.example.com");
	ctx.sender = NULL;
	CHECK_STR(expand("%{s}", &ctx, &out), "postmaster@example.com");
	/* The last '@' splits. */
	ctx.sender = "\"a@b\"@example.org";
	CHECK_STR(expand("%{o}", &ctx, &out), "example.org");
	/* Several delimiters, and the parts rejoined with dots. */
	ctx.sender = "a+b-c@example.org";
	CHECK_STR(expand("%{l+-}", &ctx, &out), "a.b.c");
	CHECK_STR(expand("%{l1r+-}", &ctx, &out), "a");
	CHECK_STR(expand("%{l2+-}", &ctx, &out), "b.c");
	CHECK_STR(expand("%{l+}", &ctx, &out), "a.b-c");
	ctx.sender = "x..y@example.org";
	CHECK_STR(expand("%{lr}", &ctx, &out), "y..x");

	/* Over 253 bytes: labels drop off the left (RFC 7208 7.3). */
	buf_puts(&want, "long-");
	for (i = 0; i < 55; i++)
		buf_putc(&want, 'x');
	buf_puts(&want, "@example.org");
	ctx.sender = want.data;
	CHECK_STR(expand("%{l}.%{l}.%{l}.%{l}.%{l}.example.com", &ctx, &out),
	    "long-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx."
	    "long-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx."
	    "long-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx."
	    "example.com");
	CHECK(out.len <= 253);
	ctx.explanation = 1;
	CHECK(strlen(expand("%{l}.%{l}.%{l}.%{l}.%{l}.example.com", &ctx,
	    &out)) == 5 * 61 + 11);
	buf_free(&out);
	buf_free(&want);
}

/* ---- check_host() ----------------------------------------------------- */

/* RFC 7208 appendix A, with example.com's record given. */
static void
appendix_a_zone(struct zone *z, const char *example_com_spf)
{
	zone_init(z);
	if (example_com_spf != NULL)
		zone_add(z, "example.com", SPF_QTYPE_TXT, example_com_spf);
	zone_add(z, "example.com", SPF_QTYPE_MX, "mail-a.example.com");
	zone_add(z, "example.com", SPF_QTYPE_MX, "mail-b.example.com");
	zone_add(z, "example.com", SPF_QTYPE_A, "192.0.2.10");
	zone_add(z, "example.com", SPF_QTYPE_A, "192.0.2.11");
	zone_add(z, "amy.example.com", SPF_QTYPE_A, "192.0.2.65");
	zone_add(z, "bob.example.com", SPF_QTYPE_A, "192.0.2.66");
	zone_add(z, "mail-a.example.com", SPF_QTYPE_A, "192.0.2.129");
	zone_add(z, "mail-b.example.com", SPF_QTYPE_A, "192.0.2.130");
	zone_add(z, "www.example.com", SPF_QTYPE_A, "192.0.2.10");
	zone_add(z, "example.org", SPF_QTYPE_MX, "mail-c.example.org.");
	zone_add(z, "mail-c.example.org", SPF_QTYPE_A, "192.0.2.140");
	zone_add(z, "10.2.0.192.in-addr.arpa", SPF_QTYPE_PTR, "example.com.");
	zone_add(z, "11.2.0.192.in-addr.arpa", SPF_QTYPE_PTR, "example.com.");
	zone_add(z, "65.2.0.192.in-addr.arpa", SPF_QTYPE_PTR,
	    "amy.example.com.");
	zone_add(z, "66.2.0.192.in-addr.arpa", SPF_QTYPE_PTR,
	    "bob.example.com.");
	zone_add(z, "129.2.0.192.in-addr.arpa", SPF_QTYPE_PTR,
	    "mail-a.example.com.");
	zone_add(z, "130.2.0.192.in-addr.arpa", SPF_QTYPE_PTR,
	    "mail-b.example.com.");
	zone_add(z, "140.2.0.192.in-addr.arpa", SPF_QTYPE_PTR,
	    "mail-c.example.org.");
	/* a rogue reverse zone claiming something it is not */
	zone_add(z, "4.0.0.10.in-addr.arpa", SPF_QTYPE_PTR, "bob.example.com.");
}

static enum spf_result_code
appendix_a(const char *record, const char *ip)
{
	struct spf_result r;
	struct zone z;

	appendix_a_zone(&z, record);
	r = check_ip(&z, "example.com", ip, "user@example.com");
	zone_free(&z);
	if (r.code == SPF_RESULT_PERMERROR || r.code == SPF_RESULT_TEMPERROR)
		fprintf(stderr, "%s from %s: %s %s\n", record, ip,
		    r.reason, r.message);
	return r.code;
}

static void
test_appendix_a1(void)
{
	CHECK_INT(appendix_a("v=spf1 +all", "198.51.100.7"), SPF_RESULT_PASS);
	CHECK_INT(appendix_a("v=spf1 a -all", "192.0.2.10"), SPF_RESULT_PASS);
	CHECK_INT(appendix_a("v=spf1 a -all", "192.0.2.11"), SPF_RESULT_PASS);
	CHECK_INT(appendix_a("v=spf1 a -all", "192.0.2.65"), SPF_RESULT_FAIL);
	CHECK_INT(appendix_a("v=spf1 a:example.org -all", "192.0.2.10"),
	    SPF_RESULT_FAIL);
	CHECK_INT(appendix_a("v=spf1 mx -all", "192.0.2.129"), SPF_RESULT_PASS);
	CHECK_INT(appendix_a("v=spf1 mx -all", "192.0.2.130"), SPF_RESULT_PASS);
	CHECK_INT(appendix_a("v=spf1 mx -all", "192.0.2.10"), SPF_RESULT_FAIL);
	CHECK_INT(appendix_a("v=spf1 mx:example.org -all", "192.0.2.140"),
	    SPF_RESULT_PASS);
	CHECK_INT(appendix_a("v=spf1 mx mx:example.org -all", "192.0.2.129"),
	    SPF_RESULT_PASS);
	CHECK_INT(appendix_a("v=spf1 mx mx:example.org -all", "192.0.2.130"),
	    SPF_RESULT_PASS);
	CHECK_INT(appendix_a("v=spf1 mx mx:example.org -all", "192.0.2.140"),
	    SPF_RESULT_PASS);
	CHECK_INT(appendix_a("v=spf1 mx mx:example.org -all", "192.0.2.141"),
	    SPF_RESULT_FAIL);
	CHECK_INT(appendix_a("v=spf1 mx/30 mx:example.org/30 -all",
	    "192.0.2.128"), SPF_RESULT_PASS);
	CHECK_INT(appendix_a("v=spf1 mx/30 mx:example.org/30 -all",
	    "192.0.2.131"), SPF_RESULT_PASS);
	CHECK_INT(appendix_a("v=spf1 mx/30 mx:example.org/30 -all",
	    "192.0.2.140"), SPF_RESULT_PASS);
	CHECK_INT(appendix_a("v=spf1 mx/30 mx:example.org/30 -all",
	    "192.0.2.143"), SPF_RESULT_PASS);
	CHECK_INT(appendix_a("v=spf1 mx/30 mx:example.org/30 -all",
	    "192.0.2.132"), SPF_RESULT_FAIL);
	CHECK_INT(appendix_a("v=spf1 ptr -all", "192.0.2.65"), SPF_RESULT_PASS);
	CHECK_INT(appendix_a("v=spf1 ptr -all", "192.0.2.140"),
	    SPF_RESULT_FAIL);
	CHECK_INT(appendix_a("v=spf1 ptr -all", "10.0.0.4"), SPF_RESULT_FAIL);
	CHECK_INT(appendix_a("v=spf1 ip4:192.0.2.128/28 -all", "192.0.2.65"),
	    SPF_RESULT_FAIL);
	CHECK_INT(appendix_a("v=spf1 ip4:192.0.2.128/28 -all", "192.0.2.129"),
	    SPF_RESULT_PASS);
}

static void
test_appendix_a1_details(void)
{
	struct spf_result r;
	struct zone z;

	/* example.org has no A record: a void lookup, then -all. */
	appendix_a_zone(&z, "v=spf1 a:example.org -all");
	r = check_ip(&z, "example.com", "192.0.2.10", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.dns_lookups, 1);
	CHECK_INT(r.void_lookups, 1);
	CHECK(strstr(r.message, "-all") != NULL);
	zone_free(&z);

	/* mx: one MX query, then A for each exchanger until one matches. */
	appendix_a_zone(&z, "v=spf1 mx -all");
	r = check_ip(&z, "example.com", "192.0.2.130", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK_INT(r.dns_lookups, 1);
	CHECK_INT(r.dns_queries, 4);
	CHECK_STR(z.log.data, "TXT example.com\nMX example.com\n"
	    "A mail-a.example.com\nA mail-b.example.com\n");
	CHECK_STR(r.message, "matched mx in example.com");
	zone_free(&z);

	/* ptr: PTR, then A of each name to validate it. */
	appendix_a_zone(&z, "v=spf1 ptr -all");
	r = check_ip(&z, "example.com", "10.0.0.4", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_STR(z.log.data, "TXT example.com\nPTR 4.0.0.10.in-addr.arpa\n"
	    "A bob.example.com\n");
	zone_free(&z);

	/* IPv4-mapped IPv6 clients are IPv4 clients. */
	appendix_a_zone(&z, "v=spf1 a -all");
	r = check_ip(&z, "example.com", "::ffff:192.0.2.11", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK_STR(z.log.data, "TXT example.com\nA example.com\n");
	zone_free(&z);
}

static void
test_appendix_a2(void)
{
	struct spf_result r;
	struct zone z;

	appendix_a_zone(&z, "v=spf1 mx -all");
	zone_add(&z, "example.net", SPF_QTYPE_TXT, "v=spf1 a -all");
	zone_add(&z, "example.org", SPF_QTYPE_TXT,
	    "v=spf1 include:example.com include:example.net -all");
	zone_add(&z, "la.example.org", SPF_QTYPE_TXT,
	    "v=spf1 redirect=example.org");
	zone_add(&z, "ny.example.org", SPF_QTYPE_TXT,
	    "v=spf1 redirect=example.org");

	r = check_ip(&z, "la.example.org", "192.0.2.129", "a@la.example.org");
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK_INT(r.dns_lookups, 3);	/* redirect, include, mx */
	CHECK_INT(r.max_depth, 2);
	r = check_ip(&z, "ny.example.org", "192.0.2.200", "a@ny.example.org");
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.dns_lookups, 5);	/* + include, a */
	CHECK_INT(r.void_lookups, 1);	/* example.net has no A */
	zone_free(&z);
}

static void
test_appendix_a3(void)
{
	struct spf_result r;
	struct zone z;

	appendix_a_zone(&z, "v=spf1 mx include:mobile-users._spf.%{d} "
	    "include:remote-users._spf.%{d} -all");
	zone_add(&z, "mobile-users._spf.example.com", SPF_QTYPE_TXT,
	    "v=spf1 exists:%{l1r+}.%{d}");
	zone_add(&z, "remote-users._spf.example.com", SPF_QTYPE_TXT,
	    "v=spf1 exists:%{ir}.%{l1r+}.%{d}");
	zone_add(&z, "mary.mobile-users._spf.example.com", SPF_QTYPE_A,
	    "127.0.0.2");
	zone_add(&z, "fred.mobile-users._spf.example.com", SPF_QTYPE_A,
	    "127.0.0.2");
	zone_add(&z, "15.15.168.192.joel.remote-users._spf.example.com",
	    SPF_QTYPE_A, "127.0.0.2");
	zone_add(&z, "16.15.168.192.joel.remote-users._spf.example.com",
	    SPF_QTYPE_A, "127.0.0.2");

	r = check_ip(&z, "example.com", "198.51.100.1", "mary@example.com");
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK(strstr(r.message, "mobile-users") != NULL);
	r = check_ip(&z, "example.com", "198.51.100.1",
	    "fred+news@example.com");
	EXPECT(r, SPF_RESULT_PASS, "match");
	r = check_ip(&z, "example.com", "192.168.15.15", "joel@example.com");
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK_INT(r.void_lookups, 1);
	r = check_ip(&z, "example.com", "192.168.15.17", "joel@example.com");
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.void_lookups, 2);
	CHECK_INT(r.dns_lookups, 5);
	zone_free(&z);
}

static void
test_appendix_a4(void)
{
	struct spf_result r;
	struct zone z;

	/* The three character-strings of the RFC record, joined. */
	appendix_a_zone(&z, "v=spf1 -include:ip4._spf.%{d} "
	    "-include:ptr._spf.%{d} +all");
	zone_add(&z, "ip4._spf.example.com", SPF_QTYPE_TXT,
	    "v=spf1 -ip4:192.0.2.0/24 +all");
	zone_add(&z, "ptr._spf.example.com", SPF_QTYPE_TXT, "v=spf1 -ptr +all");
	r = check_ip(&z, "example.com", "10.0.0.1", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.dns_lookups, 1);
	CHECK_STR(r.message, "matched +all in ip4._spf.example.com");
	zone_free(&z);
}

static void
test_eval_basic(void)
{
	const struct spf_record *rec;
	struct spf_result r;
	struct spf_eval *ev;
	struct spf_ip ip;
	struct zone z;

	zone_init(&z);
	zone_add(&z, "example.net", SPF_QTYPE_TXT,
	    "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::1 a ~all");
	zone_add(&z, "example.net", SPF_QTYPE_TXT, "some-verification=1");
	zone_add(&z, "example.net", SPF_QTYPE_A, "198.51.100.5");
	zone_add(&z, "example.net", SPF_QTYPE_AAAA, "2001:db8::5");

	r = check_ip(&z, "example.net", "192.0.2.200", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK_INT(r.dns_lookups, 0);
	CHECK_INT(r.dns_queries, 1);
	CHECK_STR(r.message, "matched ip4:192.0.2.0/24 in example.net");
	r = check_ip(&z, "example.net", "2001:db8::1", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	r = check_ip(&z, "example.net", "::ffff:192.0.2.9", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	r = check_ip(&z, "example.net", "198.51.100.5", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK_INT(r.dns_lookups, 1);
	r = check_ip(&z, "example.net", "2001:db8::5", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	r = check_ip(&z, "example.net", "198.51.100.6", NULL);
	EXPECT(r, SPF_RESULT_SOFTFAIL, "match");
	CHECK_INT(r.dns_lookups, 1);
	CHECK_INT(r.void_lookups, 0);
	r = check_ip(&z, "example.net", "2001:db8::2", NULL);
	EXPECT(r, SPF_RESULT_SOFTFAIL, "match");
	/* Trailing dot and case do not matter. */
	r = check_ip(&z, "EXAMPLE.net.", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");

	/* The top record is there for the caller to inspect. */
	CHECK(spf_ip_parse("198.51.100.6", &ip) == 0);
	ev = spf_eval_new("example.net", &ip, NULL, NULL, NULL);
	CHECK(spf_eval_record(ev) == NULL);
	CHECK_STR(spf_eval_state_name(ev), "init");
	CHECK(spf_eval_query(ev) == NULL);
	CHECK_INT(spf_eval_start(ev), SPF_STEP_QUERY);
	CHECK_STR(spf_eval_state_name(ev), "wait_txt");
	CHECK_STR(spf_eval_query(ev)->name, "example.net");
	CHECK_INT(spf_eval_query(ev)->type, SPF_QTYPE_TXT);
	/* start again does not restart */
	CHECK_INT(spf_eval_start(ev), SPF_STEP_QUERY);
	r = drive(&z, ev);
	EXPECT(r, SPF_RESULT_SOFTFAIL, "match");
	rec = spf_eval_record(ev);
	CHECK(rec != NULL && rec->nterms == 4 && rec->dns_terms == 1);
	CHECK_INT(spf_eval_resume(ev, NULL), SPF_STEP_DONE);
	CHECK_INT(spf_eval_start(ev), SPF_STEP_DONE);
	spf_eval_free(ev);
	spf_eval_free(NULL);
	zone_free(&z);
}

static void
test_eval_none_and_errors(void)
{
	struct spf_result r;
	struct zone z;
	char label[80];

	zone_init(&z);
	zone_add(&z, "txt-only.example", SPF_QTYPE_TXT, "hello");
	zone_add(&z, "a-only.example", SPF_QTYPE_A, "192.0.2.1");
	zone_add(&z, "empty.example", SPF_QTYPE_TXT, "v=spf1");
	zone_add(&z, "two.example", SPF_QTYPE_TXT, "v=spf1 -all");
	zone_add(&z, "two.example", SPF_QTYPE_TXT, "v=spf1 +all");
	zone_add(&z, "broken.example", SPF_QTYPE_TXT, "v=spf1 a/33 -all");
	zone_add(&z, "spf10.example", SPF_QTYPE_TXT, "v=spf10 -all");
	zone_add(&z, "servfail.example", SPF_QTYPE_TXT, "!servfail");
	zone_add(&z, "timeout.example", SPF_QTYPE_TXT, "!timeout");
	zone_add(&z, "silent.example", SPF_QTYPE_TXT, "!null");
	zone_add_len(&z, "nul.example", SPF_QTYPE_TXT, "v=spf1 a\0 -all", 14);
	zone_add(&z, "after-all.example", SPF_QTYPE_TXT,
	    "v=spf1 -all a:x.example mx include:y.example");
	zone_add(&z, "exp.example", SPF_QTYPE_TXT,
	    "v=spf1 -all exp=explain.%{d} moo=cow");

	r = check_ip(&z, "nx.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_NONE, "nxdomain");
	r = check_ip(&z, "txt-only.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_NONE, "no_spf_record");
	r = check_ip(&z, "spf10.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_NONE, "no_spf_record");
	r = check_ip(&z, "a-only.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_NONE, "no_spf_record");
	CHECK_INT(r.void_lookups, 0);	/* the top TXT is not a term */
	r = check_ip(&z, "empty.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_NEUTRAL, "default");
	r = check_ip(&z, "two.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "multiple_records");
	r = check_ip(&z, "broken.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "bad_cidr");
	CHECK(strstr(r.message, "broken.example") != NULL);
	r = check_ip(&z, "servfail.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_TEMPERROR, "dns_servfail");
	r = check_ip(&z, "timeout.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_TEMPERROR, "dns_timeout");
	r = check_ip(&z, "silent.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_TEMPERROR, "dns_timeout");
	r = check_ip(&z, "nul.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "bad_char");
	/* Nothing after "all" is ever looked at; exp is not fetched. */
	r = check_ip(&z, "after-all.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.dns_lookups, 0);
	CHECK_INT(r.dns_queries, 1);
	r = check_ip(&z, "exp.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.dns_queries, 1);

	/* Malformed <domain>: none, without a single question. */
	r = check_ip(&z, "localhost", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_NONE, "bad_domain");
	CHECK_INT(r.dns_queries, 0);
	r = check_ip(&z, "exa..mple.com", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_NONE, "bad_domain");
	r = check_ip(&z, "", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_NONE, "bad_domain");
	r = check_ip(&z, ".", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_NONE, "bad_domain");
	r = check_ip(&z, "exa mple.com", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_NONE, "bad_domain");
	memset(label, 'a', 64);
	memcpy(label + 64, ".example", 9);
	r = check_ip(&z, label, "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_NONE, "bad_domain");
	zone_free(&z);
}

static void
test_eval_include_redirect(void)
{
	struct spf_result r;
	struct zone z;

	zone_init(&z);
#define T(name, txt) zone_add(&z, name, SPF_QTYPE_TXT, txt)
	T("pass.example", "v=spf1 +all");
	T("fail.example", "v=spf1 -all");
	T("neutral.example", "v=spf1");
	T("bad.example", "v=spf1 ip4:1.2.3");
	T("nospf.example", "hello");
	T("sf.example", "!servfail");
	T("list.example", "v=spf1 ip4:192.0.2.0/24 -all");
	T("t1.example", "v=spf1 include:pass.example -all");
	T("t2.example", "v=spf1 -include:pass.example +all");
	T("t3.example", "v=spf1 include:fail.example include:neutral.example "
	    "~all");
	T("t4.example", "v=spf1 include:nx.example -all");
	T("t5.example", "v=spf1 include:nospf.example -all");
	T("t6.example", "v=spf1 include:bad.example -all");
	T("t7.example", "v=spf1 include:sf.example -all");
	T("r1.example", "v=spf1 redirect=list.example");
	T("r2.example", "v=spf1 ?all redirect=list.example");
	T("r3.example", "v=spf1 redirect=list.example -all");
	T("r4.example", "v=spf1 redirect=nospf.example");
	T("r5.example", "v=spf1 redirect=nx.example");
	T("r6.example", "v=spf1 ip4:198.51.100.1 redirect=list.example");
	T("r7.example", "v=spf1 include:r1.example ?all");
	T("r8.example", "v=spf1 redirect=r1.example");
	T("loop1.example", "v=spf1 include:loop2.example -all");
	T("loop2.example", "v=spf1 include:LOOP1.example. -all");
	T("self.example", "v=spf1 include:self.example -all");
	T("rself.example", "v=spf1 redirect=rself.example");
	T("rloop1.example", "v=spf1 redirect=rloop2.example");
	T("rloop2.example", "v=spf1 include:rloop1.example");
	T("dup.example", "v=spf1 include:fail.example include:fail.example "
	    "-all");
#undef T

	r = check_ip(&z, "t1.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK_INT(r.max_depth, 1);
	CHECK_STR(r.message, "matched +all in pass.example");
	r = check_ip(&z, "t2.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	r = check_ip(&z, "t3.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_SOFTFAIL, "match");
	CHECK_INT(r.dns_lookups, 2);
	r = check_ip(&z, "t4.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "include_target_missing");
	CHECK_INT(r.void_lookups, 1);
	r = check_ip(&z, "t5.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "include_target_missing");
	CHECK(strstr(r.message, "nospf.example") != NULL);
	r = check_ip(&z, "t6.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "bad_ip4");
	CHECK(strstr(r.message, "bad.example") != NULL);
	r = check_ip(&z, "t7.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_TEMPERROR, "dns_servfail");

	r = check_ip(&z, "r1.example", "192.0.2.5", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK_INT(r.dns_lookups, 1);
	r = check_ip(&z, "r1.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	/* "all" anywhere: redirect ignored, never fetched. */
	r = check_ip(&z, "r2.example", "192.0.2.5", NULL);
	EXPECT(r, SPF_RESULT_NEUTRAL, "match");
	CHECK_INT(r.dns_lookups, 0);
	CHECK_INT(r.dns_queries, 1);
	r = check_ip(&z, "r3.example", "192.0.2.5", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.dns_queries, 1);
	r = check_ip(&z, "r4.example", "192.0.2.5", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "redirect_target_missing");
	r = check_ip(&z, "r5.example", "192.0.2.5", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "redirect_target_missing");
	/* A match before the end: no redirect. */
	r = check_ip(&z, "r6.example", "198.51.100.1", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK_INT(r.dns_queries, 1);
	/* An included redirect: the redirect's result is the include's. */
	r = check_ip(&z, "r7.example", "192.0.2.5", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	r = check_ip(&z, "r7.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_NEUTRAL, "match");
	CHECK_INT(r.dns_lookups, 2);
	r = check_ip(&z, "r8.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.max_depth, 2);

	r = check_ip(&z, "loop1.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "include_loop");
	CHECK_INT(r.dns_lookups, 2);
	r = check_ip(&z, "self.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "include_loop");
	CHECK_INT(r.dns_queries, 1);
	r = check_ip(&z, "rself.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "redirect_loop");
	r = check_ip(&z, "rloop1.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "include_loop");
	/* The same include twice is no loop. */
	r = check_ip(&z, "dup.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.dns_lookups, 2);
	zone_free(&z);
}

/* A record at top.example with n mechanisms of the given kind, each
 * aimed at its own name that answers (so no void lookups). */
static void
lookups_zone(struct zone *z, const char *kind, int n)
{
	struct buf b;
	char name[64];
	int i;

	zone_init(z);
	buf_init(&b);
	buf_puts(&b, "v=spf1");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "h%d.example", i);
		buf_printf(&b, " %s:%s", kind, name);
		zone_add(z, name, SPF_QTYPE_TXT, "v=spf1 -all");
		zone_add(z, name, SPF_QTYPE_A, "198.51.100.1");
		zone_add(z, name, SPF_QTYPE_MX, "mx.example");
	}
	zone_add(z, "mx.example", SPF_QTYPE_A, "198.51.100.2");
	buf_puts(&b, " -all");
	zone_add(z, "top.example", SPF_QTYPE_TXT, b.data);
	buf_free(&b);
}

static void
test_eval_limits(void)
{
	static const char *const kinds[] = { "include", "a", "mx", "exists" };
	struct spf_limits limits;
	struct spf_result r;
	struct spf_eval *ev;
	struct spf_ip ip;
	struct zone z;
	size_t k;

	for (k = 0; k < ARRAY_LEN(kinds); k++) {
		lookups_zone(&z, kinds[k], 10);
		r = check_ip(&z, "top.example", "203.0.113.1", NULL);
		if (strcmp(kinds[k], "exists") == 0)
			EXPECT(r, SPF_RESULT_PASS, "match");
		else
			EXPECT(r, SPF_RESULT_FAIL, "match");
		CHECK_INT(r.dns_lookups, strcmp(kinds[k], "exists") ? 10 : 1);
		zone_free(&z);
	}
	for (k = 0; k < 3; k++) {
		/* The 11th stops the evaluation, counted, never asked. */
		lookups_zone(&z, kinds[k], 11);
		r = check_ip(&z, "top.example", "203.0.113.1", NULL);
		EXPECT(r, SPF_RESULT_PERMERROR, "too_many_dns_lookups");
		CHECK_INT(r.dns_lookups, 11);
		CHECK(strstr(r.message, "h10.example") != NULL);
		CHECK(strstr(z.log.data, "h10.example") == NULL);
		CHECK(strstr(z.log.data, "h9.example") != NULL);
		zone_free(&z);
	}

	/* Counted across includes: 6 + 6 is over. */
	zone_init(&z);
	zone_add(&z, "top.example", SPF_QTYPE_TXT,
	    "v=spf1 include:x.example include:y.example -all");
	zone_add(&z, "x.example", SPF_QTYPE_TXT, "v=spf1 a a a a a ~all");
	zone_add(&z, "y.example", SPF_QTYPE_TXT, "v=spf1 a a a a a ~all");
	zone_add(&z, "x.example", SPF_QTYPE_A, "198.51.100.1");
	zone_add(&z, "y.example", SPF_QTYPE_A, "198.51.100.1");
	r = check_ip(&z, "top.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "too_many_dns_lookups");
	CHECK_INT(r.dns_lookups, 11);
	/* ...and a raised limit lets it through. */
	memset(&limits, 0, sizeof(limits));
	limits.dns_lookups = 12;
	CHECK(spf_ip_parse("203.0.113.1", &ip) == 0);
	ev = spf_eval_new("top.example", &ip, NULL, NULL, &limits);
	r = drive(&z, ev);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.dns_lookups, 12);
	spf_eval_free(ev);
	zone_free(&z);

	/* Void lookups: two are fine, the third is a permerror. */
	zone_init(&z);
	zone_add(&z, "v2.example", SPF_QTYPE_TXT,
	    "v=spf1 a:n1.example mx:n2.example -all");
	zone_add(&z, "v3.example", SPF_QTYPE_TXT,
	    "v=spf1 a:n1.example mx:n2.example exists:n3.example -all");
	zone_add(&z, "n2.example", SPF_QTYPE_TXT, "exists, but has no MX");
	r = check_ip(&z, "v2.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.void_lookups, 2);
	r = check_ip(&z, "v3.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "too_many_void_lookups");
	CHECK_INT(r.void_lookups, 3);
	CHECK_INT(r.dns_lookups, 3);
	zone_free(&z);
}

static void
test_eval_deep(void)
{
	struct spf_result r;
	struct zone z;
	char name[64], txt[128];
	int i;

	/* d0 -> d1 -> ... -> d20 */
	zone_init(&z);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "d%d.example", i);
		snprintf(txt, sizeof(txt), "v=spf1 include:d%d.example -all",
		    i + 1);
		zone_add(&z, name, SPF_QTYPE_TXT, txt);
	}
	zone_add(&z, "d20.example", SPF_QTYPE_TXT, "v=spf1 ?all");
	r = check_ip(&z, "d0.example", "203.0.113.1", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "too_many_dns_lookups");
	CHECK_INT(r.dns_lookups, 11);
	CHECK_INT(r.max_depth, 10);
	CHECK_INT(r.dns_queries, 11);

	/* A walk goes to the bottom and reports the whole cost. */
	r = walk(&z, "d0.example", AF_INET);
	EXPECT(r, SPF_RESULT_PERMERROR, "too_many_dns_lookups");
	CHECK_INT(r.dns_lookups, 20);
	CHECK_INT(r.max_depth, 20);
	CHECK_INT(r.dns_queries, 21);
	r = walk(&z, "d15.example", AF_INET);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.dns_lookups, 5);
	zone_free(&z);

	/* Deeper than the frame stack: too_deep, not a crash. */
	zone_init(&z);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "e%d.example", i);
		snprintf(txt, sizeof(txt), "v=spf1 include:e%d.example -all",
		    i + 1);
		zone_add(&z, name, SPF_QTYPE_TXT, txt);
	}
	r = walk(&z, "e0.example", AF_INET);
	EXPECT(r, SPF_RESULT_PERMERROR, "too_deep");
	CHECK_INT(r.max_depth, SPF_MAX_DEPTH - 1);
	zone_free(&z);

	/* An include loop in a walk still stops. */
	zone_init(&z);
	zone_add(&z, "w1.example", SPF_QTYPE_TXT, "v=spf1 include:w2.example");
	zone_add(&z, "w2.example", SPF_QTYPE_TXT, "v=spf1 redirect=w1.example");
	r = walk(&z, "w1.example", AF_INET);
	EXPECT(r, SPF_RESULT_PERMERROR, "redirect_loop");
	zone_free(&z);
}

static void
test_eval_walk(void)
{
	struct spf_result r;
	struct zone z;
	struct buf b;
	char name[64];
	int i;

	zone_init(&z);
	zone_add(&z, "top.example", SPF_QTYPE_TXT, "v=spf1 ip4:0.0.0.0/0 a "
	    "include:a.example include:b.example mx ptr exists:%{i}.x.example "
	    "-all");
	zone_add(&z, "top.example", SPF_QTYPE_A, "0.0.0.0");
	zone_add(&z, "top.example", SPF_QTYPE_MX, "mx1.example");
	zone_add(&z, "top.example", SPF_QTYPE_MX, "mx2.example");
	zone_add(&z, "mx1.example", SPF_QTYPE_A, "0.0.0.0");
	zone_add(&z, "mx2.example", SPF_QTYPE_A, "192.0.2.2");
	zone_add(&z, "a.example", SPF_QTYPE_TXT,
	    "v=spf1 include:c.example ~all");
	zone_add(&z, "b.example", SPF_QTYPE_TXT, "v=spf1 redirect=c.example");
	zone_add(&z, "c.example", SPF_QTYPE_TXT, "v=spf1 a:c.example -all");
	zone_add(&z, "c.example", SPF_QTYPE_AAAA, "2001:db8::1");
	zone_add(&z, "0.0.0.0.x.example", SPF_QTYPE_A, "127.0.0.2");

	/* Nothing matches, not even 0.0.0.0/0: every term is visited.
	 * a, include a (include c, a:c), include b (redirect c, a:c), mx,
	 * ptr, exists: 10 terms; a:c twice is void for A, once each. */
	r = walk(&z, "top.example", AF_INET);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.dns_lookups, 10);
	CHECK_INT(r.void_lookups, 2);
	CHECK_STR(r.message, "matched -all in top.example");
	CHECK(strstr(z.log.data, "PTR") == NULL);
	CHECK(strstr(z.log.data, "A mx2.example\n") != NULL);
	/* Over IPv6, a and mx ask for AAAA. */
	buf_reset(&z.log);
	r = walk(&z, "top.example", AF_INET6);
	CHECK_INT(r.dns_lookups, 10);
	CHECK(strstr(z.log.data, "AAAA mx2.example\n") != NULL);
	CHECK(strstr(z.log.data, "A 0.0.0.0.x.example\n") == NULL);
	CHECK(strstr(z.log.data, "A 0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.0.0.0.0.x.example\n") != NULL);
	zone_free(&z);

	/* An included +all ends the walk: nothing after it is ever
	 * evaluated by any receiver. */
	zone_init(&z);
	zone_add(&z, "top.example", SPF_QTYPE_TXT,
	    "v=spf1 include:open.example include:never.example -all");
	zone_add(&z, "open.example", SPF_QTYPE_TXT, "v=spf1 +all");
	r = walk(&z, "top.example", AF_INET);
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK_INT(r.dns_lookups, 1);
	zone_free(&z);

	/* 25 includes: the walk counts them all, the result says which
	 * limit was crossed first. */
	zone_init(&z);
	buf_init(&b);
	buf_puts(&b, "v=spf1");
	for (i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "i%d.example", i);
		buf_printf(&b, " include:%s", name);
		zone_add(&z, name, SPF_QTYPE_TXT, i < 3 ?
		    "v=spf1 a:void.example -all" : "v=spf1 -all");
	}
	buf_puts(&b, " -all");
	zone_add(&z, "top.example", SPF_QTYPE_TXT, b.data);
	r = walk(&z, "top.example", AF_INET);
	EXPECT(r, SPF_RESULT_PERMERROR, "too_many_void_lookups");
	CHECK_INT(r.dns_lookups, 28);
	CHECK_INT(r.void_lookups, 3);
	zone_free(&z);

	/* Past SPF_WALK_MAX_LOOKUPS the walk gives up. */
	zone_init(&z);
	buf_reset(&b);
	buf_puts(&b, "v=spf1");
	for (i = 0; i < 2 * SPF_WALK_MAX_LOOKUPS; i++)
		buf_puts(&b, " a");
	zone_add(&z, "top.example", SPF_QTYPE_TXT, b.data);
	zone_add(&z, "top.example", SPF_QTYPE_A, "192.0.2.1");
	r = walk(&z, "top.example", AF_INET);
	EXPECT(r, SPF_RESULT_PERMERROR, "too_many_dns_lookups");
	CHECK_INT(r.dns_lookups, SPF_WALK_MAX_LOOKUPS + 1);
	CHECK(strstr(r.message, "walk stopped") != NULL);
	buf_free(&b);
	zone_free(&z);
}

static void
test_eval_mx_ptr(void)
{
	struct spf_result r;
	struct zone z;
	char name[64];
	int i;

	zone_init(&z);
	zone_add(&z, "mx10.example", SPF_QTYPE_TXT, "v=spf1 mx -all");
	zone_add(&z, "mx11.example", SPF_QTYPE_TXT, "v=spf1 mx -all");
	for (i = 0; i < 11; i++) {
		snprintf(name, sizeof(name), "m%d.example", i);
		if (i < 10)
			zone_add(&z, "mx10.example", SPF_QTYPE_MX, name);
		zone_add(&z, "mx11.example", SPF_QTYPE_MX, name);
	}
	zone_add(&z, "m9.example", SPF_QTYPE_A, "192.0.2.9");
	zone_add(&z, "m5.example", SPF_QTYPE_A, "!servfail");
	r = check_ip(&z, "mx10.example", "192.0.2.9", NULL);
	EXPECT(r, SPF_RESULT_TEMPERROR, "dns_servfail");
	zone_free(&z);

	zone_init(&z);
	zone_add(&z, "mx10.example", SPF_QTYPE_TXT, "v=spf1 mx -all");
	zone_add(&z, "mx11.example", SPF_QTYPE_TXT, "v=spf1 mx -all");
	zone_add(&z, "null.example", SPF_QTYPE_TXT, "v=spf1 mx -all");
	zone_add(&z, "null.example", SPF_QTYPE_MX, ".");
	for (i = 0; i < 11; i++) {
		snprintf(name, sizeof(name), "m%d.example", i);
		if (i < 10)
			zone_add(&z, "mx10.example", SPF_QTYPE_MX, name);
		zone_add(&z, "mx11.example", SPF_QTYPE_MX, name);
	}
	zone_add(&z, "m9.example", SPF_QTYPE_A, "192.0.2.9");
	r = check_ip(&z, "mx10.example", "192.0.2.9", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK_INT(r.dns_queries, 12);
	CHECK_INT(r.void_lookups, 0);	/* only the MX query itself counts */
	r = check_ip(&z, "mx11.example", "192.0.2.9", NULL);
	EXPECT(r, SPF_RESULT_PERMERROR, "too_many_mx_names");
	/* Null MX (RFC 7505): "." is never asked for. */
	r = check_ip(&z, "null.example", "192.0.2.9", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.dns_queries, 2);
	zone_free(&z);

	/* PTR: only the first 10 names are validated; errors skip a name. */
	zone_init(&z);
	zone_add(&z, "p.example", SPF_QTYPE_TXT, "v=spf1 ptr -all");
	zone_add(&z, "q.example", SPF_QTYPE_TXT, "v=spf1 ptr:q.example -all");
	for (i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "n%d.p.example", i);
		zone_add(&z, "1.2.0.192.in-addr.arpa", SPF_QTYPE_PTR, name);
		zone_add(&z, name, SPF_QTYPE_A, i == 3 ? "!servfail" :
		    "198.51.100.1");
	}
	zone_add(&z, "n11.p.example", SPF_QTYPE_A, "192.0.2.1");
	zone_add(&z, "n3.p.example", SPF_QTYPE_A, "192.0.2.1");
	r = check_ip(&z, "p.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.dns_queries, 12);	/* TXT, PTR, 10 A */
	zone_add(&z, "n7.p.example", SPF_QTYPE_A, "192.0.2.1");
	r = check_ip(&z, "p.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	r = check_ip(&z, "q.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	/* A failed PTR lookup only makes ptr not match. */
	zone_add(&z, "2.2.0.192.in-addr.arpa", SPF_QTYPE_PTR, "!timeout");
	r = check_ip(&z, "p.example", "192.0.2.2", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.void_lookups, 0);
	/* No PTR at all is a void lookup. */
	r = check_ip(&z, "p.example", "192.0.2.3", NULL);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.void_lookups, 1);
	/* IPv6 reverse names. */
	buf_reset(&z.log);
	r = check_ip(&z, "p.example", "2001:db8::1", NULL);
	CHECK(strstr(z.log.data, "PTR 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"
	    ".0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa\n") != NULL);
	zone_free(&z);
}

/* A name listed twice in a PTR answer is validated once and does not push
 * a later name past the limit of 10 (c-ares repeats the last target). */
static void
test_eval_duplicate_names(void)
{
	struct spf_result r;
	struct zone z;
	char name[64];
	const char *p;
	int i, asked = 0;

	zone_init(&z);
	zone_add(&z, "p.example", SPF_QTYPE_TXT, "v=spf1 ptr -all");
	for (i = 1; i <= 10; i++) {
		snprintf(name, sizeof(name), "n%d.p.example", i);
		zone_add(&z, "1.2.0.192.in-addr.arpa", SPF_QTYPE_PTR, name);
		if (i == 1)	/* again, in another case */
			zone_add(&z, "1.2.0.192.in-addr.arpa", SPF_QTYPE_PTR,
			    "N1.p.example.");
		zone_add(&z, name, SPF_QTYPE_A, i == 10 ? "192.0.2.1" :
		    "198.51.100.1");
	}
	r = check_ip(&z, "p.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	for (p = z.log.data; (p = strcasestr(p, "A n1.p.example\n")) != NULL;
	    p++)
		asked++;
	CHECK_INT(asked, 1);
	zone_free(&z);

	/* mx: the same exchanger twice is resolved once */
	zone_init(&z);
	zone_add(&z, "m.example", SPF_QTYPE_TXT, "v=spf1 mx -all");
	zone_add(&z, "m.example", SPF_QTYPE_MX, "a.m.example");
	zone_add(&z, "m.example", SPF_QTYPE_MX, "a.m.example.");
	zone_add(&z, "m.example", SPF_QTYPE_MX, "b.m.example");
	zone_add(&z, "b.m.example", SPF_QTYPE_A, "192.0.2.1");
	r = check_ip(&z, "m.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK_INT(r.dns_queries, 4);	/* TXT, MX, A a, A b */
	zone_free(&z);
}

/* The all receivers end on comes through redirect= (RFC 7208 6.1), never
 * through include. */
static void
test_eval_final_all(void)
{
	struct spf_result r;
	struct zone z;

	zone_init(&z);
	zone_add(&z, "r.example", SPF_QTYPE_TXT, "v=spf1 redirect=_spf.r.example");
	zone_add(&z, "_spf.r.example", SPF_QTYPE_TXT,
	    "v=spf1 ip4:192.0.2.0/24 redirect=_spf2.r.example");
	zone_add(&z, "_spf2.r.example", SPF_QTYPE_TXT, "v=spf1 a ~all");
	zone_add(&z, "i.example", SPF_QTYPE_TXT, "v=spf1 include:_spf.i.example");
	zone_add(&z, "_spf.i.example", SPF_QTYPE_TXT, "v=spf1 -all");
	zone_add(&z, "a.example", SPF_QTYPE_TXT,
	    "v=spf1 -all redirect=_spf.i.example");
	zone_add(&z, "x.example", SPF_QTYPE_TXT, "v=spf1 redirect=gone.example");
	zone_add(&z, "n.example", SPF_QTYPE_TXT, "v=spf1 ip4:192.0.2.1");
	r = walk(&z, "r.example", AF_INET);
	EXPECT(r, SPF_RESULT_SOFTFAIL, "match");
	CHECK_INT(r.all_qualifier, SPF_QUAL_SOFTFAIL);
	r = walk(&z, "i.example", AF_INET);
	CHECK_INT(r.all_qualifier, SPF_ALL_NONE);
	/* with all present, redirect is never followed */
	r = walk(&z, "a.example", AF_INET);
	CHECK_INT(r.all_qualifier, SPF_QUAL_FAIL);
	r = walk(&z, "x.example", AF_INET);
	EXPECT(r, SPF_RESULT_PERMERROR, "redirect_target_missing");
	CHECK_INT(r.all_qualifier, SPF_ALL_UNKNOWN);
	r = walk(&z, "n.example", AF_INET);
	CHECK_INT(r.all_qualifier, SPF_ALL_NONE);
	/* check_host(): known once the redirect is followed */
	r = check_ip(&z, "r.example", "198.51.100.7", NULL);
	EXPECT(r, SPF_RESULT_SOFTFAIL, "match");
	CHECK_INT(r.all_qualifier, SPF_QUAL_SOFTFAIL);
	r = check_ip(&z, "r.example", "192.0.2.7", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK_INT(r.all_qualifier, SPF_ALL_UNKNOWN);
	zone_free(&z);
}

/* ---- Regression cases in the manner of the RFC 7208 test suite -------- */

/* Scenarios written for this evaluator after running it against the
 * public RFC 7208 test suite (203 of 203 passed): the ones that decide a
 * receiver's verdict and that the records job depends on.  Each zone
 * line is "name TYPE data". */
struct regress_case {
	const char	*id;
	const char	*zone[8];
	const char	*domain;
	const char	*ip;
	const char	*sender;
	enum spf_result_code want;
	const char	*reason;
};

static const struct regress_case regress_cases[] = {
	/* 4.4: a timeout on another type does not spoil the TXT answer */
	{ "a-timeout-txt-fine", { "t1.example TXT v=spf1 -all",
	    "t1.example A !timeout" }, "t1.example", "192.0.2.1", NULL,
	    SPF_RESULT_FAIL, "match" },
	{ "txt-timeout", { "t2.example TXT !timeout" }, "t2.example",
	    "192.0.2.1", NULL, SPF_RESULT_TEMPERROR, "dns_timeout" },
	/* 5.2: an include's temperror is the result, not "no match" */
	{ "include-temperror", { "t3.example TXT v=spf1 include:slow.t3.example "
	    "-all", "slow.t3.example TXT !timeout" }, "t3.example", "192.0.2.1",
	    NULL, SPF_RESULT_TEMPERROR, "dns_timeout" },
	{ "include-servfail", { "t4.example TXT v=spf1 include:bad.t4.example "
	    "~all", "bad.t4.example TXT !servfail" }, "t4.example", "192.0.2.1",
	    NULL, SPF_RESULT_TEMPERROR, "dns_servfail" },
	/* an include whose target says neutral or fail is no match */
	{ "include-fail-no-match", { "t5.example TXT v=spf1 include:f.t5.example "
	    "?all", "f.t5.example TXT v=spf1 -all" }, "t5.example", "192.0.2.1",
	    NULL, SPF_RESULT_NEUTRAL, "match" },
	/* 6.1: the redirect target decides, its all included */
	{ "redirect-all", { "t6.example TXT v=spf1 redirect=r.t6.example",
	    "r.t6.example TXT v=spf1 ip4:198.51.100.0/24 ~all" }, "t6.example",
	    "192.0.2.1", NULL, SPF_RESULT_SOFTFAIL, "match" },
	{ "redirect-none", { "t7.example TXT v=spf1 redirect=r.t7.example",
	    "r.t7.example TXT not spf" }, "t7.example", "192.0.2.1", NULL,
	    SPF_RESULT_PERMERROR, "redirect_target_missing" },
	/* 4.5: the version is case-insensitive, so these are two records */
	{ "two-records-case", { "t8.example TXT v=spf1 -all",
	    "t8.example TXT V=SpF1 +all" }, "t8.example", "192.0.2.1", NULL,
	    SPF_RESULT_PERMERROR, "multiple_records" },
	{ "version-no-space", { "t9.example TXT v=spf1mx -all" }, "t9.example",
	    "192.0.2.1", NULL, SPF_RESULT_NONE, "no_spf_record" },
	/* 4.3: a label over 63 bytes: none, no query */
	{ "long-label", { NULL }, "a234567890123456789012345678901234567890"
	    "123456789012345678901234.example", "192.0.2.1", NULL,
	    SPF_RESULT_NONE, "bad_domain" },
	/* 7.1: an all-numeric top label is an IP written as a name */
	{ "numeric-toplabel", { "t10.example TXT v=spf1 a:192.0.2.1 -all" },
	    "t10.example", "192.0.2.1", NULL, SPF_RESULT_PERMERROR,
	    "bad_domain" },
	{ "all-with-cidr", { "t11.example TXT v=spf1 -all/8" }, "t11.example",
	    "192.0.2.1", NULL, SPF_RESULT_PERMERROR, "syntax" },
	{ "ip4-leading-zero-cidr", { "t12.example TXT v=spf1 ip4:192.0.2.0/024 "
	    "-all" }, "t12.example", "192.0.2.1", NULL, SPF_RESULT_PERMERROR,
	    "bad_cidr" },
	/* 4.6.4: two void lookups are allowed, the third is a permerror */
	{ "void-two", { "t13.example TXT v=spf1 a:n1.t13.example "
	    "a:n2.t13.example ip4:192.0.2.1 -all" }, "t13.example", "192.0.2.1",
	    NULL, SPF_RESULT_PASS, "match" },
	{ "void-three", { "t14.example TXT v=spf1 a:n1.t14.example "
	    "a:n2.t14.example a:n3.t14.example ip4:192.0.2.1 -all" },
	    "t14.example", "192.0.2.1", NULL, SPF_RESULT_PERMERROR,
	    "too_many_void_lookups" },
	/* 5.7: exists asks for A whatever the client's family */
	{ "exists-v6-client", { "t15.example TXT v=spf1 exists:%{l}.t15.example "
	    "-all", "bob.t15.example A 127.0.0.2" }, "t15.example",
	    "2001:db8::1", "bob@t15.example", SPF_RESULT_PASS, "match" },
	/* 5.4: mx matches an address of an exchanger, with the cidr */
	{ "mx-cidr", { "t16.example TXT v=spf1 mx/24 -all",
	    "t16.example MX mail.t16.example", "mail.t16.example A 192.0.2.200" },
	    "t16.example", "192.0.2.1", NULL, SPF_RESULT_PASS, "match" },
	/* 4.6.4: include and redirect targets that loop back */
	{ "include-loop", { "t17.example TXT v=spf1 include:t17.example -all" },
	    "t17.example", "192.0.2.1", NULL, SPF_RESULT_PERMERROR,
	    "include_loop" },
};

static void
test_regress_rfc7208(void)
{
	size_t i, j;

	for (i = 0; i < ARRAY_LEN(regress_cases); i++) {
		const struct regress_case *c = &regress_cases[i];
		struct spf_result r;
		struct zone z;
		int f = unit_failures;

		zone_init(&z);
		for (j = 0; j < ARRAY_LEN(c->zone) && c->zone[j]; j++) {
			char name[256], type[8];
			const char *data;
			enum spf_qtype t;

			if (sscanf(c->zone[j], "%255s %7s", name, type) != 2)
				abort();
			data = strchr(strchr(c->zone[j], ' ') + 1, ' ') + 1;
			t = strcmp(type, "TXT") == 0 ? SPF_QTYPE_TXT :
			    strcmp(type, "A") == 0 ? SPF_QTYPE_A :
			    strcmp(type, "AAAA") == 0 ? SPF_QTYPE_AAAA :
			    strcmp(type, "MX") == 0 ? SPF_QTYPE_MX :
			    SPF_QTYPE_PTR;
			zone_add(&z, name, t, data);
		}
		r = check_ip(&z, c->domain, c->ip, c->sender);
		EXPECT(r, c->want, c->reason);
		if (unit_failures != f)
			fprintf(stderr, "  in case %s\n", c->id);
		zone_free(&z);
	}
}

static void
test_eval_dns_errors(void)
{
	struct spf_result r;
	struct zone z;

	zone_init(&z);
	zone_add(&z, "a.example", SPF_QTYPE_TXT, "v=spf1 a:sf.example -all");
	zone_add(&z, "e.example", SPF_QTYPE_TXT, "v=spf1 exists:to.example");
	zone_add(&z, "m.example", SPF_QTYPE_TXT, "v=spf1 mx:sf.example");
	zone_add(&z, "sf.example", SPF_QTYPE_A, "!servfail");
	zone_add(&z, "sf.example", SPF_QTYPE_MX, "!servfail");
	zone_add(&z, "to.example", SPF_QTYPE_A, "!timeout");
	r = check_ip(&z, "a.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_TEMPERROR, "dns_servfail");
	CHECK(strstr(r.message, "A sf.example") != NULL);
	r = check_ip(&z, "e.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_TEMPERROR, "dns_timeout");
	r = check_ip(&z, "m.example", "192.0.2.1", NULL);
	EXPECT(r, SPF_RESULT_TEMPERROR, "dns_servfail");
	zone_free(&z);
}

static void
test_eval_macros(void)
{
	struct spf_result r;
	struct zone z;
	struct buf sender;
	int i;

	zone_init(&z);
	zone_add(&z, "example.com", SPF_QTYPE_TXT,
	    "v=spf1 exists:%{ir}.%{l1r-}._spf.%{d} -all");
	zone_add(&z, "3.2.0.192.strong._spf.example.com", SPF_QTYPE_A,
	    "127.0.0.2");
	zone_add(&z, "p.example", SPF_QTYPE_TXT,
	    "v=spf1 exists:%{p}.ok.example -all");
	zone_add(&z, "65.2.0.192.in-addr.arpa", SPF_QTYPE_PTR,
	    "amy.example.com");
	zone_add(&z, "amy.example.com", SPF_QTYPE_A, "192.0.2.65");
	zone_add(&z, "amy.example.com.ok.example", SPF_QTYPE_A, "127.0.0.2");
	zone_add(&z, "unknown.ok.example", SPF_QTYPE_A, "127.0.0.3");
	zone_add(&z, "h.example", SPF_QTYPE_TXT,
	    "v=spf1 exists:%{h}.h.example -all");
	zone_add(&z, "mx.example.net.h.example", SPF_QTYPE_A, "127.0.0.2");
	zone_add(&z, "long.example", SPF_QTYPE_TXT,
	    "v=spf1 a:%{l}.long.example -all");

	r = check_ip(&z, "example.com", "192.0.2.3",
	    "strong-bad@email.example.com");
	EXPECT(r, SPF_RESULT_PASS, "match");
	r = check_ip(&z, "example.com", "192.0.2.4",
	    "strong-bad@email.example.com");
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.void_lookups, 1);

	/* %{p}: the validated name, looked up once. */
	buf_reset(&z.log);
	r = check_ip(&z, "p.example", "192.0.2.65", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");
	CHECK_STR(z.log.data, "TXT p.example\nPTR 65.2.0.192.in-addr.arpa\n"
	    "A amy.example.com\nA amy.example.com.ok.example\n");
	CHECK_INT(r.dns_lookups, 1);
	r = check_ip(&z, "p.example", "192.0.2.66", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");	/* unknown.ok.example */
	r = check_ip(&z, "h.example", "192.0.2.66", NULL);
	EXPECT(r, SPF_RESULT_PASS, "match");

	/* A target that cannot be a name (a 70-byte label) is answered
	 * NXDOMAIN without asking. */
	buf_init(&sender);
	for (i = 0; i < 70; i++)
		buf_putc(&sender, 'x');
	buf_puts(&sender, "@example.org");
	r = check_ip(&z, "long.example", "192.0.2.66", sender.data);
	EXPECT(r, SPF_RESULT_FAIL, "match");
	CHECK_INT(r.dns_queries, 1);
	CHECK_INT(r.void_lookups, 1);
	buf_free(&sender);
	zone_free(&z);
}

static void
test_ip_helpers(void)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	struct spf_ip ip;

	CHECK(spf_ip_parse("192.0.2.1", &ip) == 0 && ip.family == AF_INET);
	CHECK(spf_ip_parse("2001:db8::1", &ip) == 0 && ip.family == AF_INET6);
	CHECK(spf_ip_parse("::ffff:192.0.2.1", &ip) == 0 &&
	    ip.family == AF_INET && ip.addr[3] == 1);
	CHECK(spf_ip_parse("192.0.2", &ip) == -1);
	CHECK(spf_ip_parse(NULL, &ip) == -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "198.51.100.7", &sin.sin_addr);
	CHECK(spf_ip_from_sockaddr((struct sockaddr *)&sin, &ip) == 0);
	CHECK(ip.family == AF_INET && ip.addr[0] == 198 && ip.addr[3] == 7);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:198.51.100.8", &sin6.sin6_addr);
	CHECK(spf_ip_from_sockaddr((struct sockaddr *)&sin6, &ip) == 0);
	CHECK(ip.family == AF_INET && ip.addr[3] == 8);
	inet_pton(AF_INET6, "2001:db8::9", &sin6.sin6_addr);
	CHECK(spf_ip_from_sockaddr((struct sockaddr *)&sin6, &ip) == 0);
	CHECK(ip.family == AF_INET6 && ip.addr[15] == 9);
	CHECK_STR(spf_result_name(SPF_RESULT_SOFTFAIL), "softfail");
	CHECK_STR(spf_result_name((enum spf_result_code)99), "unknown");
	CHECK_STR(spf_qtype_name(SPF_QTYPE_AAAA), "AAAA");
	CHECK_STR(spf_kind_name(SPF_EXISTS), "exists");
}

int
main(void)
{
	test_parse_version();
	test_parse_bytes();
	test_parse_many_terms();
	test_parse_terms();
	test_parse_errors();
	test_select();
	test_expand_rfc();
	test_expand_sender();
	test_appendix_a1();
	test_appendix_a1_details();
	test_appendix_a2();
	test_appendix_a3();
	test_appendix_a4();
	test_eval_basic();
	test_eval_none_and_errors();
	test_eval_include_redirect();
	test_eval_limits();
	test_eval_deep();
	test_eval_walk();
	test_eval_mx_ptr();
	test_eval_duplicate_names();
	test_eval_final_all();
	test_regress_rfc7208();
	test_eval_dns_errors();
	test_eval_macros();
	test_ip_helpers();
	return unit_done("test_spf");
}
