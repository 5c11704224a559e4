/* MTA-STS and TLS-RPT records and policies (RFC 8461, RFC 8460): the RFCs'
 * examples, every reason, and hostile input. */
#include <stdlib.h>

#include "collectors/sts.h"
#include "tests/unit/unit.h"

static const char *
record_reason(const char *rec)
{
	struct sts_record r;

	sts_record_parse(rec, strlen(rec), &r);
	sts_record_free(&r);
	if (r.valid != (r.reason == STS_OK))
		return "valid/reason disagree";
	return sts_reason_name(r.reason);
}

static void
test_record(void)
{
	struct sts_record r;

	sts_record_parse("v=STSv1; id=20160831085700Z;", 28, &r);	/* RFC 8461 */
	CHECK(r.valid);
	CHECK_STR(r.id, "20160831085700Z");
	CHECK(r.message == NULL);
	sts_record_free(&r);
	CHECK_STR(record_reason("v=STSv1; id=20160831085700Z"), "ok");
	CHECK_STR(record_reason("v=STSv1;id=abc"), "ok");
	CHECK_STR(record_reason("v=STSv1 ;\tid=abc ; "), "ok");
	/* extensions allowed, in any place */
	CHECK_STR(record_reason("v=STSv1; ext-1.x=y; id=abc; z_=1"), "ok");
	/* the first of a repeated id wins */
	sts_record_parse("v=STSv1; id=first; id=second", 28, &r);
	CHECK(r.valid);
	CHECK_STR(r.id, "first");
	sts_record_free(&r);
	/* id: 1-32 letters and digits */
	CHECK_STR(record_reason("v=STSv1; id=12345678901234567890123456789012"),
	    "ok");
	CHECK_STR(record_reason("v=STSv1; id=123456789012345678901234567890123"),
	    "bad_id");
	CHECK_STR(record_reason("v=STSv1; id="), "bad_id");
	CHECK_STR(record_reason("v=STSv1; id=a-b"), "bad_id");
	CHECK_STR(record_reason("v=STSv1; x=1"), "bad_id");
	CHECK_STR(record_reason("v=STSv1"), "bad_record");
	CHECK_STR(record_reason("v=STSv1;"), "bad_record");
	CHECK_STR(record_reason("v=STSv1 id=abc"), "bad_record");
	CHECK_STR(record_reason("v=STSv1; id=abc; bad"), "bad_record");
	CHECK_STR(record_reason("v=STSv1; id=abc; x="), "bad_record");
	CHECK_STR(record_reason("v=STSv1; id=abc; x=a=b"), "bad_record");
	CHECK_STR(record_reason("v=STSv1; id=abc; -x=1"), "bad_record");
	CHECK_STR(record_reason("v=stsv1; id=abc"), "bad_record");
	{
		static const char nul[] = "v=STSv1; id=a\0b";
		sts_record_parse(nul, sizeof(nul) - 1, &r);
	}
	CHECK_STR(sts_reason_name(r.reason), "bad_record");
	CHECK(r.id == NULL);
	CHECK_STR(sts_record_message(&r), "the record holds a NUL byte");
	sts_record_free(&r);
}

static void
add(struct txt_records *recs, const char *s)
{
	txt_records_add(recs, s, strlen(s), 1);
}

static void
test_record_select(void)
{
	struct txt_records recs;
	struct sts_record r;

	txt_records_init(&recs);
	sts_record_select(&recs, &r);
	CHECK_STR(sts_reason_name(r.reason), "no_record");
	CHECK(!r.present);
	/* no record holds nothing: its words come from the reason */
	CHECK(r.message == NULL && r.id == NULL);
	CHECK_STR(sts_record_message(&r), "no TXT record begins with v=STSv1");
	add(&recs, "google-site-verification=abc");
	add(&recs, "v=STSv10; id=x");
	sts_record_select(&recs, &r);
	CHECK_STR(sts_reason_name(r.reason), "no_record");
	add(&recs, "v=STSv1; id=one");
	sts_record_select(&recs, &r);
	CHECK(r.valid && r.present);
	CHECK_STR(r.id, "one");
	CHECK_INT(r.n_records, 1);
	sts_record_free(&r);
	add(&recs, "v=STSv1; id=two");
	sts_record_select(&recs, &r);
	CHECK_STR(sts_reason_name(r.reason), "multiple_records");
	CHECK_STR(sts_record_message(&r),
	    "2 records begin with v=STSv1: senders apply no policy");
	CHECK_INT(r.n_records, 2);
	CHECK(!r.valid);
	CHECK(r.id == NULL);
	sts_record_free(&r);
	txt_records_free(&recs);

	/* a split TXT: strings of one record joined */
	txt_records_init(&recs);
	txt_records_add(&recs, "v=STSv1; id=", 12, 1);
	txt_records_add(&recs, "abc123", 6, 0);
	sts_record_select(&recs, &r);
	CHECK(r.valid);
	CHECK_STR(r.id, "abc123");
	sts_record_free(&r);
	txt_records_free(&recs);
}

static const char *
policy_reason(const char *body)
{
	static char out[64];	/* test-only scratch */
	struct sts_policy p;

	sts_policy_parse(body, strlen(body), &p);
	snprintf(out, sizeof(out), "%s", p.valid != (p.reason == STS_OK) ?
	    "valid/reason disagree" : sts_reason_name(p.reason));
	sts_policy_free(&p);
	return out;
}

static void
test_policy(void)
{
	struct sts_policy p;
	const char *rfc = "version: STSv1\r\nmode: enforce\r\n"
	    "mx: mail.example.com\r\nmx: *.example.net\r\n"
	    "mx: backupmx.example.com\r\nmax_age: 604800\r\n";

	sts_policy_parse(rfc, strlen(rfc), &p);
	CHECK(p.valid);
	CHECK_INT(p.mode, STS_MODE_ENFORCE);
	CHECK_INT(p.max_age, 604800);
	CHECK_INT(p.n_mx, 3);
	CHECK_STR(p.mx[1], "*.example.net");
	CHECK(!p.repeated_key);
	sts_policy_free(&p);

	/* LF only, no final newline (erratum 6253) */
	CHECK_STR(policy_reason("version: STSv1\nmode: testing\nmx: a.example"
	    "\nmax_age: 86400"), "ok");
	CHECK_STR(policy_reason("version: STSv1\nmode: none\nmax_age: 0\n"),
	    "ok");
	CHECK_STR(policy_reason("version: STSv1\nmode: none\nmax_age: 31557600"),
	    "ok");
	CHECK_STR(policy_reason("version: STSv1\nmode: none\nmax_age: 31557601"),
	    "bad_max_age");
	CHECK_STR(policy_reason("version: STSv1\nmode: none\nmax_age: 99999999999"),
	    "bad_max_age");
	CHECK_STR(policy_reason("version: STSv1\nmode: none\nmax_age: -1"),
	    "bad_max_age");
	CHECK_STR(policy_reason("version: STSv1\nmode: none\n"), "bad_max_age");
	CHECK_STR(policy_reason("version: STSv1\nmode: enforce\nmax_age: 1\n"),
	    "bad_policy");	/* mx required */
	CHECK_STR(policy_reason("version: STSv2\nmode: none\nmax_age: 1\n"),
	    "bad_policy");
	CHECK_STR(policy_reason("mode: none\nmax_age: 1\n"), "bad_policy");
	CHECK_STR(policy_reason("version: STSv1\nmode: Enforce\nmx: a.b\n"
	    "max_age: 1\n"), "bad_policy");
	CHECK_STR(policy_reason("version: STSv1\nmax_age: 1\n"), "bad_policy");
	/* unknown keys ignored; trailing blanks and a final blank line fine */
	CHECK_STR(policy_reason("version: STSv1  \nfoo: bar baz\nmode:none\n"
	    "max_age:\t5\n\n"), "ok");
	CHECK_STR(policy_reason("version: STSv1\n\nmode: none\nmax_age: 5\n"),
	    "bad_policy");
	CHECK_STR(policy_reason("version: STSv1\nmode: none\nmax_age: 5\r\r\n"),
	    "bad_policy");
	CHECK_STR(policy_reason(" version: STSv1\nmode: none\nmax_age: 5\n"),
	    "bad_policy");
	CHECK_STR(policy_reason("version STSv1\nmode: none\nmax_age: 5\n"),
	    "bad_policy");
	CHECK_STR(policy_reason("<html>not a policy</html>"), "bad_policy");
	CHECK_STR(policy_reason(""), "bad_policy");
	/* mx syntax */
	CHECK_STR(policy_reason("version: STSv1\nmode: enforce\nmx: *.*.a.b\n"
	    "max_age: 5\n"), "bad_policy");
	CHECK_STR(policy_reason("version: STSv1\nmode: enforce\nmx: a..b\n"
	    "max_age: 5\n"), "bad_policy");
	CHECK_STR(policy_reason("version: STSv1\nmode: enforce\nmx: -a.b\n"
	    "max_age: 5\n"), "bad_policy");
	CHECK_STR(policy_reason("version: STSv1\nmode: enforce\nmx: a_b.c\n"
	    "max_age: 5\n"), "bad_policy");
	/* a repeated mode: the first wins, and it is noted */
	{
		static const char rep[] = "version: STSv1\nmode: enforce\n"
		    "mode: none\nmx: MAIL.Example.COM.\nmax_age: 5\n";
		sts_policy_parse(rep, sizeof(rep) - 1, &p);
	}
	CHECK(p.valid);
	CHECK_INT(p.mode, STS_MODE_ENFORCE);
	CHECK(p.repeated_key);
	CHECK_STR(p.mx[0], "mail.example.com");
	sts_policy_free(&p);
	/* NUL inside */
	{
		static const char nul[] = "version: STSv1\nmode: none\0\n"
		    "max_age: 5\n";
		sts_policy_parse(nul, sizeof(nul) - 1, &p);
	}
	CHECK_STR(sts_reason_name(p.reason), "bad_policy");
	sts_policy_free(&p);
}

static void
test_policy_hostile(void)
{
	struct sts_policy p;
	struct buf b;

	/* 65 mx lines: over the cap */
	buf_init(&b);
	buf_puts(&b, "version: STSv1\nmode: enforce\nmax_age: 5\n");
	for (int i = 0; i < 65; i++)
		buf_printf(&b, "mx: mx%d.example.com\n", i);
	sts_policy_parse(b.data, b.len, &p);
	CHECK_STR(sts_reason_name(p.reason), "bad_policy");
	CHECK_INT(p.n_mx, STS_MX_PATTERNS_MAX);
	sts_policy_free(&p);
	/* over 64 KiB */
	buf_reset(&b);
	while (b.len <= STS_POLICY_MAX)
		buf_puts(&b, "x-padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	sts_policy_parse(b.data, b.len, &p);
	CHECK_STR(sts_reason_name(p.reason), "too_large");
	sts_policy_free(&p);
	/* a long key name: over 32 characters is not a name */
	CHECK_STR(policy_reason("version: STSv1\nmode: none\nmax_age: 5\n"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: 1\n"), "bad_policy");
	buf_free(&b);
}

static void
test_mx_match(void)
{
	CHECK(sts_mx_match("mail.example.com", "mail.example.com"));
	CHECK(sts_mx_match("mail.example.com", "MAIL.Example.com."));
	CHECK(sts_mx_match("mail.example.com.", "mail.example.com"));
	CHECK(!sts_mx_match("mail.example.com", "mail.example.co"));
	CHECK(!sts_mx_match("mail.example.com", "xmail.example.com"));
	CHECK(sts_mx_match("*.example.com", "mx1.example.com"));
	CHECK(sts_mx_match("*.example.com", "MX1.EXAMPLE.COM."));
	CHECK(!sts_mx_match("*.example.com", "example.com"));
	CHECK(!sts_mx_match("*.example.com", "a.b.example.com"));
	CHECK(!sts_mx_match("*.example.com", ".example.com"));
	CHECK(!sts_mx_match("*.example.com", "mx1.example.com.evil"));
	CHECK(!sts_mx_match("*.example.com", "mx1example.com"));
	CHECK(!sts_mx_match("", "a"));
	CHECK(!sts_mx_match("a", ""));
}

static const char *
rpt_reason(const char *rec, size_t *n_rua)
{
	struct tlsrpt_record r;

	tlsrpt_record_parse(rec, strlen(rec), &r);
	tlsrpt_record_free(&r);
	if (n_rua != NULL)
		*n_rua = r.n_rua;
	if (r.valid != (r.reason == STS_OK))
		return "valid/reason disagree";
	return sts_reason_name(r.reason);
}

static void
test_tlsrpt(void)
{
	struct txt_records recs;
	struct tlsrpt_record r;
	size_t n;

	CHECK_STR(rpt_reason("v=TLSRPTv1;rua=mailto:reports@example.com", &n),
	    "ok");
	CHECK_INT(n, 1);
	CHECK_STR(rpt_reason("v=TLSRPTv1; rua=https://reporting.example.com/v1/"
	    "tlsrpt", &n), "ok");
	CHECK_INT(n, 1);
	CHECK_STR(rpt_reason("v=TLSRPTv1; rua=mailto:a@example.com , "
	    "https://r.example.net/x; ext=1", &n), "ok");
	CHECK_INT(n, 2);
	CHECK_STR(rpt_reason("v=TLSRPTv1; rua=http://r.example.com/", NULL),
	    "bad_rua");
	CHECK_STR(rpt_reason("v=TLSRPTv1; rua=mailto:a@b, ftp://x", NULL),
	    "bad_rua");
	CHECK_STR(rpt_reason("v=TLSRPTv1; rua=mailto:", NULL), "bad_rua");
	CHECK_STR(rpt_reason("v=TLSRPTv1; rua=mailto:nobody", NULL), "bad_rua");
	CHECK_STR(rpt_reason("v=TLSRPTv1; ext=1", NULL), "bad_rua");
	CHECK_STR(rpt_reason("v=TLSRPTv1", NULL), "bad_record");
	CHECK_STR(rpt_reason("v=TLSRPTv1; rua", NULL), "bad_record");
	CHECK_STR(rpt_reason("v=TLSRPTv1 rua=mailto:a@b", NULL), "bad_record");
	CHECK_STR(rpt_reason("v=tlsrptv1; rua=mailto:a@b", NULL), "bad_record");

	txt_records_init(&recs);
	tlsrpt_record_select(&recs, &r);
	CHECK_STR(sts_reason_name(r.reason), "no_record");
	add(&recs, "v=spf1 -all");
	add(&recs, "v=TLSRPTv1; rua=mailto:tls@example.com");
	tlsrpt_record_select(&recs, &r);
	CHECK(r.valid);
	CHECK_INT(r.n_mailto, 1);
	CHECK(r.message == NULL);
	tlsrpt_record_free(&r);
	add(&recs, "v=TLSRPTv1; rua=mailto:tls2@example.com");
	tlsrpt_record_select(&recs, &r);
	CHECK_STR(sts_reason_name(r.reason), "multiple_records");
	CHECK_STR(tlsrpt_record_message(&r),
	    "2 records begin with v=TLSRPTv1");
	tlsrpt_record_free(&r);
	txt_records_free(&recs);
}

/* The texts at their exact length, within the old bounds: a message cut
 * at STS_MESSAGE_MAX (159, what char[160] held), an id of 32, the mx
 * patterns in one block of exactly their size, counts at their caps. */
static void
test_bounds(void)
{
	struct sts_policy p;
	struct sts_record r;
	struct tlsrpt_record t;
	struct txt_records recs;
	struct buf b;
	char *msg = NULL, big[400];
	size_t want;

	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sts_message_set(&msg, big, STS_MESSAGE_MAX);
	CHECK_INT(strlen(msg), STS_MESSAGE_MAX);
	sts_message_set(&msg, big, 255);	/* the policy's 256 */
	CHECK_INT(strlen(msg), 255);
	sts_message_set(&msg, "", STS_MESSAGE_MAX);
	CHECK(msg == NULL);			/* empty holds nothing */
	sts_message_set(&msg, "short", STS_MESSAGE_MAX);
	CHECK_STR(msg, "short");
	free(msg);
	memset(&r, 0, sizeof(r));
	sts_record_set_reason(&r, STS_DNS, big);
	CHECK_INT(strlen(sts_record_message(&r)), STS_MESSAGE_MAX);
	sts_record_set_reason(&r, STS_DNS, "again");	/* replaces, no leak */
	CHECK_STR(sts_record_message(&r), "again");
	sts_record_free(&r);
	CHECK(r.message == NULL);
	memset(&t, 0, sizeof(t));
	tlsrpt_record_set_reason(&t, STS_DNS, big);
	CHECK_INT(strlen(tlsrpt_record_message(&t)), STS_MESSAGE_MAX);
	tlsrpt_record_free(&t);

	/* an id of exactly 32, held at its length */
	sts_record_parse("v=STSv1; id=12345678901234567890123456789012", 44, &r);
	CHECK(r.valid);
	CHECK_INT(strlen(r.id), STS_ID_MAX);
	sts_record_free(&r);
	/* the id is dropped when the record turns out bad after it */
	sts_record_parse("v=STSv1; id=abc; x=", 19, &r);
	CHECK(!r.valid && r.id == NULL);
	sts_record_free(&r);

	/* 64 mx patterns of 253 characters: one block, exactly sized */
	buf_init(&b);
	buf_puts(&b, "version: STSv1\nmode: enforce\nmax_age: 5\n");
	want = 0;
	for (int i = 0; i < STS_MX_PATTERNS_MAX; i++) {
		char host[254];

		snprintf(host, sizeof(host), "%03d", i);
		for (size_t k = 3; k < 253; k += 2)
			memcpy(host + k, ".A", 2);
		host[253] = '\0';
		buf_printf(&b, "mx: %s\n", host);
		want += sizeof(char *) + 254;
	}
	sts_policy_parse(b.data, b.len, &p);
	CHECK(p.valid);
	CHECK_INT(p.n_mx, STS_MX_PATTERNS_MAX);
	CHECK_INT(sts_policy_heap_bytes(&p), want);
	CHECK_INT(strlen(p.mx[63]), 253);
	CHECK(p.mx[63][4] == 'a');		/* lowercased in the block */
	CHECK((char *)p.mx[0] == (char *)(p.mx + STS_MX_PATTERNS_MAX));
	CHECK(sts_policy_covers(&p, p.mx[17]));
	sts_policy_free(&p);
	CHECK(p.mx == NULL && p.n_mx == 0 && p.message == NULL);
	/* an invalid policy keeps the patterns it read, and its message */
	{
		static const char two[] = "mx: a.example\nmx: *.b.example\n";
		sts_policy_parse(two, sizeof(two) - 1, &p);
	}
	CHECK(!p.valid);
	CHECK_INT(p.n_mx, 2);
	CHECK_STR(p.mx[1], "*.b.example");
	CHECK_STR(p.message, "no version field");
	CHECK_INT(sts_policy_heap_bytes(&p), 2 * sizeof(char *) + 10 + 12 +
	    sizeof("no version field"));
	sts_policy_free(&p);
	/* no mx at all: no block */
	{
		static const char none[] = "version: STSv1\nmode: none\n"
		    "max_age: 5\n";
		sts_policy_parse(none, sizeof(none) - 1, &p);
	}
	CHECK(p.valid && p.mx == NULL && p.message == NULL);
	CHECK_INT(sts_policy_heap_bytes(&p), 0);
	sts_policy_free(&p);
	buf_free(&b);

	/* 16 rua fit the signed char, the 17th is refused */
	buf_init(&b);
	buf_puts(&b, "v=TLSRPTv1; rua=");
	for (int i = 0; i < STS_RUA_MAX + 1; i++)
		buf_printf(&b, "%smailto:r%d@example.com", i ? "," : "", i);
	tlsrpt_record_parse(b.data, b.len, &t);
	CHECK_STR(sts_reason_name(t.reason), "bad_rua");
	CHECK_INT(t.n_rua, STS_RUA_MAX);
	CHECK_INT(t.n_mailto, STS_RUA_MAX);
	tlsrpt_record_free(&t);
	buf_free(&b);

	/* 1,001 records: the count stops at 1,000, the message says all */
	txt_records_init(&recs);
	for (int i = 0; i < 1001; i++)
		add(&recs, "v=STSv1; id=x");
	sts_record_select(&recs, &r);
	CHECK_INT(r.n_records, 1000);
	CHECK_STR(sts_record_message(&r),
	    "1001 records begin with v=STSv1: senders apply no policy");
	sts_record_free(&r);
	tlsrpt_record_select(&recs, &t);
	CHECK_STR(sts_reason_name(t.reason), "no_record");
	CHECK(t.message == NULL);
	CHECK_STR(tlsrpt_record_message(&t),
	    "no TXT record begins with v=TLSRPTv1");
	txt_records_free(&recs);
}

static void
test_names(void)
{
	for (int r = 0; r < STS_REASON_COUNT; r++)
		CHECK(strcmp(sts_reason_name((enum sts_reason)r), "unknown") != 0);
	CHECK_STR(sts_reason_name(STS_REASON_COUNT), "unknown");
	CHECK_STR(sts_mode_name(STS_MODE_ENFORCE), "enforce");
	CHECK_STR(sts_mode_name(STS_MODE_UNSET), "");
}

int
main(void)
{
	test_record();
	test_record_select();
	test_policy();
	test_policy_hostile();
	test_mx_match();
	test_tlsrpt();
	test_bounds();
	test_names();
	return unit_done("test_sts");
}
