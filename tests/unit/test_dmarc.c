/* DMARC records: RFC 7489 appendix B, published forms, hostile input, and
 * the external destination helpers. */
#include <stdlib.h>

#include "collectors/dmarc.h"
#include "tests/unit/unit.h"

#define CHUNK(s, start)	{ (const unsigned char *)(s), sizeof(s) - 1, (start) }

static void
parse(const char *rec, struct dmarc_record *d)
{
	dmarc_parse(rec, strlen(rec), d);
}

/* Parses and returns the reason ("ok" when valid). */
static const char *
reason_of(const char *rec)
{
	static char reason[64];	/* test-only scratch */
	struct dmarc_record d;

	parse(rec, &d);
	snprintf(reason, sizeof(reason), "%s", d.valid != (d.reason == NULL) ?
	    "valid/reason disagree" : d.valid ? "ok" : d.reason);
	dmarc_record_free(&d);
	return reason;
}

static void
test_published(void)
{
	struct dmarc_record d;

	/* As published at _dmarc.example.com, byte for byte. */
	parse("v=DMARC1;p=none;sp=quarantine;pct=100;"
	    "rua=mailto:dmarcreports@example.com", &d);
	CHECK(d.present && d.is_dmarc && d.valid);
	CHECK(d.reason == NULL);
	CHECK_STR(d.message, "");
	CHECK_INT(d.policy, DMARC_POLICY_NONE);
	CHECK_INT(d.subdomain_policy, DMARC_POLICY_QUARANTINE);
	CHECK(d.sp_set && !d.np_set);
	CHECK_INT(d.nonexistent_policy, DMARC_POLICY_QUARANTINE);
	CHECK_INT(d.pct, 100);
	CHECK_INT(d.adkim, 'r');
	CHECK_INT(d.aspf, 'r');
	CHECK_INT(d.fo, DMARC_FO_0);
	CHECK_INT(d.ri, 86400);
	CHECK_INT(d.psd, 'u');
	CHECK_INT(d.n_rua, 1);
	CHECK_STR(d.rua[0].uri, "mailto:dmarcreports@example.com");
	CHECK_STR(d.rua[0].domain, "example.com");
	CHECK(d.rua[0].mailto);
	CHECK_INT(d.rua[0].max_bytes, 0);
	CHECK_INT(d.n_ruf, 0);
	CHECK_INT(d.n_unknown_tags, 0);
	CHECK(!d.policy_implied && !d.multiple_records);
	dmarc_record_free(&d);
	CHECK(d.rua == NULL && d.n_rua == 0);
	dmarc_record_free(&d);	/* twice is harmless */
}

static void
test_rfc7489_appendix_b(void)
{
	const struct txt_chunk b24[] = {
		CHUNK("v=DMARC1; p=quarantine; ", 1),
		CHUNK("rua=mailto:dmarc-feedback@example.com,", 0),
		CHUNK("mailto:tld-test@thirdparty.example.net!10m; ", 0),
		CHUNK("pct=25", 0),
	};
	struct txt_records recs;
	struct dmarc_record d;

	/* B.2.1 */
	parse("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com", &d);
	CHECK(d.valid);
	CHECK_INT(d.policy, DMARC_POLICY_NONE);
	CHECK_INT(d.subdomain_policy, DMARC_POLICY_NONE);
	CHECK_STR(d.rua[0].domain, "example.com");
	dmarc_record_free(&d);

	/* B.2.2 */
	parse("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; "
	    "ruf=mailto:auth-reports@example.com", &d);
	CHECK(d.valid);
	CHECK_INT(d.n_ruf, 1);
	CHECK_STR(d.ruf[0].domain, "example.com");
	dmarc_record_free(&d);

	/* B.2.3, and the third party's authorisation record. */
	parse("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; "
	    "ruf=mailto:auth-reports@thirdparty.example.net", &d);
	CHECK(d.valid);
	CHECK_STR(d.ruf[0].domain, "thirdparty.example.net");
	CHECK_INT(dmarc_destination_is_external("example.com",
	    d.ruf[0].domain), 1);
	CHECK_INT(dmarc_destination_is_external("example.com",
	    d.rua[0].domain), 0);
	dmarc_record_free(&d);

	/* B.2.4, in the strings the RFC's zone file uses. */
	txt_records_init(&recs);
	txt_join_chunks(&recs, b24, ARRAY_LEN(b24));
	dmarc_select(&recs, &d);
	CHECK(d.valid);
	CHECK_INT(d.policy, DMARC_POLICY_QUARANTINE);
	CHECK_INT(d.subdomain_policy, DMARC_POLICY_QUARANTINE);
	CHECK_INT(d.pct, 25);
	CHECK_INT(d.n_rua, 2);
	CHECK_STR(d.rua[0].uri, "mailto:dmarc-feedback@example.com");
	CHECK_STR(d.rua[1].uri, "mailto:tld-test@thirdparty.example.net");
	CHECK_STR(d.rua[1].domain, "thirdparty.example.net");
	CHECK_INT(d.rua[1].max_bytes, 10 * 1024 * 1024);
	dmarc_record_free(&d);
	txt_records_free(&recs);

	/* DMARCbis B.2.5 uses t=y instead of pct. */
	parse("v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,"
	    "mailto:tld-test@thirdparty.example.net; t=y", &d);
	CHECK(d.valid && d.testing);
	CHECK_INT(d.n_unknown_tags, 0);
	dmarc_record_free(&d);
}

static void
test_tags(void)
{
	struct dmarc_record d;

	/* Values and names are case-insensitive, the version is not. */
	parse("V=DMARC1; P=REJECT; SP=Quarantine; ADKIM=S; Aspf=s; "
	    "NP=none; FO=D:s; RF=AFRF; RI=3600; PSD=Y", &d);
	CHECK(d.valid);
	CHECK_INT(d.policy, DMARC_POLICY_REJECT);
	CHECK_INT(d.subdomain_policy, DMARC_POLICY_QUARANTINE);
	CHECK_INT(d.nonexistent_policy, DMARC_POLICY_NONE);
	CHECK_INT(d.adkim, 's');
	CHECK_INT(d.aspf, 's');
	CHECK_INT(d.fo, DMARC_FO_D | DMARC_FO_S);
	CHECK_INT(d.ri, 3600);
	CHECK_INT(d.psd, 'y');
	dmarc_record_free(&d);

	/* np defaults to sp, then to p (RFC 9091 4.1). */
	parse("v=DMARC1; p=reject", &d);
	CHECK_INT(d.subdomain_policy, DMARC_POLICY_REJECT);
	CHECK_INT(d.nonexistent_policy, DMARC_POLICY_REJECT);
	dmarc_record_free(&d);
	parse("v=DMARC1; p=reject; np=quarantine", &d);
	CHECK_INT(d.subdomain_policy, DMARC_POLICY_REJECT);
	CHECK_INT(d.nonexistent_policy, DMARC_POLICY_QUARANTINE);
	dmarc_record_free(&d);

	/* Whitespace the ABNF allows. */
	CHECK_STR(reason_of("v = DMARC1 ;\tp = none ; pct = 50 ; fo = 1 : d ;"),
	    "ok");
	CHECK_STR(reason_of("v=DMARC1"), "missing_policy");
	CHECK_STR(reason_of("v=DMARC1;"), "missing_policy");

	CHECK_STR(reason_of("v=DMARC1; p=bogus"), "bad_policy");
	CHECK_STR(reason_of("v=DMARC1; p="), "bad_policy");
	CHECK_STR(reason_of("v=DMARC1; p=none; sp=all"), "bad_policy");
	CHECK_STR(reason_of("v=DMARC1; p=none; np=maybe"), "bad_policy");
	CHECK_STR(reason_of("v=DMARC1; p=reject quarantine"), "bad_policy");
	CHECK_STR(reason_of("v=DMARC1; p=none; pct=0"), "ok");
	CHECK_STR(reason_of("v=DMARC1; p=none; pct=007"), "ok");
	CHECK_STR(reason_of("v=DMARC1; p=none; pct=101"), "bad_pct");
	CHECK_STR(reason_of("v=DMARC1; p=none; pct=-1"), "bad_pct");
	CHECK_STR(reason_of("v=DMARC1; p=none; pct=+5"), "bad_pct");
	CHECK_STR(reason_of("v=DMARC1; p=none; pct=1e2"), "bad_pct");
	CHECK_STR(reason_of("v=DMARC1; p=none; pct=0100"), "bad_pct");
	CHECK_STR(reason_of("v=DMARC1; p=none; pct=50%"), "bad_pct");
	CHECK_STR(reason_of("v=DMARC1; p=none; pct="), "bad_pct");
	CHECK_STR(reason_of("v=DMARC1; p=none; pct=5 0"), "bad_pct");
	CHECK_STR(reason_of("v=DMARC1; p=none; adkim=x"), "bad_alignment");
	CHECK_STR(reason_of("v=DMARC1; p=none; aspf=relaxed"), "bad_alignment");
	CHECK_STR(reason_of("v=DMARC1; p=none; fo=0:1:d:s"), "ok");
	CHECK_STR(reason_of("v=DMARC1; p=none; fo=2"), "bad_fo");
	CHECK_STR(reason_of("v=DMARC1; p=none; fo=1:"), "bad_fo");
	CHECK_STR(reason_of("v=DMARC1; p=none; fo=1,d"), "bad_fo");
	CHECK_STR(reason_of("v=DMARC1; p=none; fo="), "bad_fo");
	CHECK_STR(reason_of("v=DMARC1; p=none; rf=afrf"), "ok");
	CHECK_STR(reason_of("v=DMARC1; p=none; rf=iodef"), "bad_rf");
	CHECK_STR(reason_of("v=DMARC1; p=none; rf="), "bad_rf");
	CHECK_STR(reason_of("v=DMARC1; p=none; ri=4294967295"), "ok");
	CHECK_STR(reason_of("v=DMARC1; p=none; ri=4294967296"), "bad_ri");
	CHECK_STR(reason_of("v=DMARC1; p=none; ri=-1"), "bad_ri");
	CHECK_STR(reason_of("v=DMARC1; p=none; ri=1d"), "bad_ri");
	CHECK_STR(reason_of("v=DMARC1; p=none; psd=x"), "bad_psd");
	CHECK_STR(reason_of("v=DMARC1; p=none; t=yes"), "bad_t");

	/* The first problem is named; later tags still apply. */
	parse("v=DMARC1; p=reject; pct=101; adkim=x; sp=none", &d);
	CHECK_STR(d.reason, "bad_pct");
	CHECK_STR(d.message, "pct=101: must be an integer from 0 to 100");
	CHECK_INT(d.pct, 100);
	CHECK_INT(d.policy, DMARC_POLICY_REJECT);
	CHECK_INT(d.subdomain_policy, DMARC_POLICY_NONE);
	CHECK(d.is_dmarc && !d.valid);
	dmarc_record_free(&d);

	/* Unknown tags are ignored but listed. */
	parse("v=DMARC1; p=none; foo=bar; x_y=; rua=mailto:a@example.com", &d);
	CHECK(d.valid);
	CHECK_INT(d.n_unknown_tags, 2);
	CHECK_STR(d.unknown_tags[0], "foo");
	CHECK_STR(d.unknown_tags[1], "x_y");
	dmarc_record_free(&d);
}

static void
test_missing_policy(void)
{
	struct dmarc_record d;

	/* 6.6.3 step 6: no valid p but a valid rua acts as p=none. */
	parse("v=DMARC1; rua=mailto:a@example.com", &d);
	CHECK_STR(d.reason, "missing_policy");
	CHECK(d.policy_implied);
	CHECK_INT(d.policy, DMARC_POLICY_NONE);
	CHECK_INT(d.subdomain_policy, DMARC_POLICY_NONE);
	CHECK_INT(d.nonexistent_policy, DMARC_POLICY_NONE);
	dmarc_record_free(&d);

	parse("v=DMARC1; p=bogus; rua=mailto:a@example.com", &d);
	CHECK_STR(d.reason, "bad_policy");
	CHECK(d.policy_implied);
	CHECK_INT(d.policy, DMARC_POLICY_NONE);
	dmarc_record_free(&d);

	/* A bad sp voids p as well. */
	parse("v=DMARC1; p=reject; sp=bogus; rua=mailto:a@example.com", &d);
	CHECK_STR(d.reason, "bad_policy");
	CHECK(d.policy_implied);
	CHECK_INT(d.policy, DMARC_POLICY_NONE);
	CHECK_INT(d.subdomain_policy, DMARC_POLICY_NONE);
	dmarc_record_free(&d);

	/* Without a usable rua: no DMARC processing. */
	parse("v=DMARC1; sp=reject", &d);
	CHECK_STR(d.reason, "missing_policy");
	CHECK(!d.policy_implied);
	CHECK_INT(d.policy, DMARC_POLICY_UNSET);
	CHECK_INT(d.subdomain_policy, DMARC_POLICY_UNSET);
	CHECK_INT(d.nonexistent_policy, DMARC_POLICY_UNSET);
	dmarc_record_free(&d);
	parse("v=DMARC1; p=bogus; rua=dmarc@example.com", &d);
	CHECK_STR(d.reason, "bad_policy");
	CHECK_INT(d.policy, DMARC_POLICY_UNSET);
	dmarc_record_free(&d);
}

static void
test_uris(void)
{
	struct dmarc_record d;

	parse("v=DMARC1; p=none; rua=mailto:a@b.Example.COM. ,\t"
	    "mailto:x%2By@example.net!1k, mailto:r@example.org?subject=dmarc!5G,"
	    "https://reports.example.org:8443/dmarc!20; ruf=mailto:f@x.example",
	    &d);
	CHECK(d.valid);
	CHECK_INT(d.n_rua, 4);
	CHECK_STR(d.rua[0].uri, "mailto:a@b.Example.COM.");
	CHECK_STR(d.rua[0].domain, "b.example.com");
	CHECK_STR(d.rua[1].domain, "example.net");
	CHECK_INT(d.rua[1].max_bytes, 1024);
	CHECK_STR(d.rua[2].uri, "mailto:r@example.org?subject=dmarc");
	CHECK_STR(d.rua[2].domain, "example.org");
	CHECK_INT(d.rua[2].max_bytes, 5ULL << 30);
	CHECK(!d.rua[3].mailto);
	CHECK_STR(d.rua[3].domain, "reports.example.org");
	CHECK_INT(d.rua[3].max_bytes, 20);
	CHECK_STR(d.ruf[0].domain, "x.example");
	dmarc_record_free(&d);

	/* The classic: rua without mailto:. */
	parse("v=DMARC1; p=reject; rua=dmarc@example.com", &d);
	CHECK_STR(d.reason, "bad_uri");
	CHECK_STR(d.message, "rua=: \"dmarc@example.com\" has no scheme "
	    "(mailto: missing?)");
	CHECK_INT(d.n_rua, 0);
	CHECK_INT(d.policy, DMARC_POLICY_REJECT);
	dmarc_record_free(&d);

	/* A bad URI is skipped, the good ones kept. */
	parse("v=DMARC1; p=none; rua=mailto:a@example.com,", &d);
	CHECK_STR(d.reason, "bad_uri");
	CHECK_INT(d.n_rua, 1);
	dmarc_record_free(&d);

	CHECK_STR(reason_of("v=DMARC1; p=none; rua="), "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:"), "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:@example.com"),
	    "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:example.com"),
	    "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:a@"), "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:a@exa mple.com"),
	    "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:a@-x.com"),
	    "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:a@x..com"),
	    "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:a@[192.0.2.1]"),
	    "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:a@x.com!10x"),
	    "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:a@x.com!"),
	    "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:a@x.com!0"),
	    "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:a@x.com!k"),
	    "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; "
	    "rua=mailto:a@x.com!99999999999999999999t"), "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:a%zz@x.com"),
	    "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:a@x.com%"),
	    "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=:a@x.com"), "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=1mailto:a@x.com"),
	    "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:a@x.com!16777216t"),
	    "bad_uri");
	CHECK_STR(reason_of("v=DMARC1; p=none; rua=mailto:a@x.com!16777215t"),
	    "ok");
}

static void
test_hostile(void)
{
	/* Tag names are case-insensitive here: no upper case. */
	const char alnum[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	struct dmarc_record d;
	struct buf b;
	char *big;

	CHECK_STR(reason_of(""), "bad_version");
	CHECK_STR(reason_of(";;;"), "bad_version");
	CHECK_STR(reason_of("v=DMARC1;;;"), "syntax");
	CHECK_STR(reason_of("v=DMARC1; p=none;;"), "syntax");
	CHECK_STR(reason_of("p=none; v=DMARC1"), "bad_version");
	CHECK_STR(reason_of("v=spf1 -all"), "bad_version");

	/* 6.3: the version "MUST match precisely", and the ABNF spells it
	 * with %x, i.e. case-sensitive. */
	parse("v=dmarc1; p=reject", &d);
	CHECK_STR(d.reason, "bad_version");
	CHECK_STR(d.message, "the version is case-sensitive: v=DMARC1");
	CHECK(d.present && !d.is_dmarc);
	CHECK_INT(d.policy, DMARC_POLICY_UNSET);
	dmarc_record_free(&d);
	parse(" v=DMARC1; p=reject", &d);
	CHECK_STR(d.message, "nothing may come before v=DMARC1");
	dmarc_record_free(&d);
	parse("v=DMARC1 p=reject", &d);
	CHECK_STR(d.message, "v=DMARC1 must be followed by ';' or the end");
	dmarc_record_free(&d);
	parse("p=reject; v=DMARC1", &d);
	CHECK_STR(d.message, "v=DMARC1 must be the first tag");
	dmarc_record_free(&d);
	CHECK_STR(reason_of("v=DMARC2; p=none"), "bad_version");
	CHECK_STR(reason_of("v=DMARC; p=none"), "bad_version");

	/* Syntax errors lose the bad tag only (6.3). */
	dmarc_parse("v=DMARC1; p=reject; rua=mailto:a@example.com\0; sp=none",
	    54, &d);
	CHECK_STR(d.reason, "syntax");
	CHECK_STR(d.message, "tag \"rua\": byte 0x00 at offset 44 is not "
	    "allowed in a value");
	CHECK(d.is_dmarc && !d.valid);
	CHECK_INT(d.policy, DMARC_POLICY_REJECT);
	CHECK_INT(d.subdomain_policy, DMARC_POLICY_NONE);
	CHECK_INT(d.n_rua, 0);
	dmarc_record_free(&d);
	parse("v=DMARC1;; p=reject; 9=x; sp none; pct=5", &d);
	CHECK_STR(d.reason, "syntax");
	CHECK_STR(d.message, "empty tag at offset 9");
	CHECK_INT(d.policy, DMARC_POLICY_REJECT);
	CHECK_INT(d.subdomain_policy, DMARC_POLICY_REJECT);
	CHECK_INT(d.pct, 5);
	dmarc_record_free(&d);
	dmarc_parse("v=DMARC1\0", 9, &d);
	CHECK_STR(d.reason, "bad_version");
	dmarc_record_free(&d);
	dmarc_parse(NULL, 0, &d);
	CHECK_STR(d.reason, "bad_version");
	dmarc_record_free(&d);

	/* Duplicates: an error, the first one stands. */
	parse("v=DMARC1; p=none; p=reject", &d);
	CHECK_STR(d.reason, "duplicate_tag");
	CHECK_INT(d.policy, DMARC_POLICY_NONE);
	dmarc_record_free(&d);
	CHECK_STR(reason_of("v=DMARC1; p=none; P=reject"), "duplicate_tag");
	CHECK_STR(reason_of("v=DMARC1; v=DMARC1; p=none"), "duplicate_tag");
	CHECK_STR(reason_of("v=DMARC1; p=none; x=1; x=2"), "duplicate_tag");

	big = xmalloc(1 << 20);
	memset(big, 'a', 1 << 20);
	memcpy(big, "v=DMARC1; p=none; x=", 20);
	dmarc_parse(big, 1 << 20, &d);
	CHECK_STR(d.reason, "too_long");
	CHECK(d.present);
	dmarc_record_free(&d);
	dmarc_parse(big, TXT_RECORD_MAX, &d);
	CHECK(d.valid);
	CHECK_INT(d.n_unknown_tags, 1);
	dmarc_record_free(&d);
	free(big);

	buf_init(&b);
	buf_puts(&b, "v=DMARC1; p=reject");
	for (int i = 0; i < 10000; i++)
		buf_printf(&b, ";x%c%c%c=", 'a' + i % 26, alnum[i / 26 % 36],
		    alnum[i / 26 / 36 % 36]);
	CHECK(b.len <= TXT_RECORD_MAX);
	dmarc_parse(b.data, b.len, &d);
	CHECK(d.valid);
	CHECK_INT(d.n_unknown_tags, 10000);
	CHECK_STR(d.unknown_tags[9999], "xpoa");
	dmarc_record_free(&d);
	buf_reset(&b);
	buf_puts(&b, "v=DMARC1; p=reject");
	for (int i = 0; i < 10000; i++)
		buf_puts(&b, ";pct=1");
	dmarc_parse(b.data, b.len, &d);
	CHECK_STR(d.reason, "duplicate_tag");
	CHECK_INT(d.pct, 1);
	dmarc_record_free(&d);
	buf_free(&b);
}

static void
test_select(void)
{
	const struct txt_chunk mixed[] = {
		CHUNK("v=spf1 -all", 1),
		CHUNK("some-verification=123", 1),
		CHUNK("v=DMARC1; p=reject", 1),
	};
	const struct txt_chunk two[] = {
		CHUNK("v=DMARC1; p=reject", 1),
		CHUNK("v=DMARC1; p=none", 1),
	};
	const struct txt_chunk near[] = {
		CHUNK("v=spf1 -all", 1),
		CHUNK("v=dmarc1; p=reject", 1),
	};
	struct txt_records recs;
	struct dmarc_record d;

	txt_records_init(&recs);
	dmarc_select(&recs, &d);
	CHECK(!d.present && !d.valid);
	CHECK_STR(d.reason, "no_record");
	CHECK_INT(d.policy, DMARC_POLICY_UNSET);
	dmarc_record_free(&d);

	txt_join_chunks(&recs, mixed, 2);
	dmarc_select(&recs, &d);
	CHECK_STR(d.reason, "no_record");
	dmarc_record_free(&d);
	txt_records_free(&recs);

	txt_join_chunks(&recs, mixed, ARRAY_LEN(mixed));
	dmarc_select(&recs, &d);
	CHECK(d.valid);
	CHECK_INT(d.policy, DMARC_POLICY_REJECT);
	CHECK_INT(d.selected, 2);	/* the record shown is this one */
	CHECK_INT(d.near_miss, 0);
	dmarc_record_free(&d);
	txt_records_free(&recs);

	/* 6.6.3 step 5: two records, no policy applies. */
	txt_join_chunks(&recs, two, ARRAY_LEN(two));
	dmarc_select(&recs, &d);
	CHECK(d.present && d.multiple_records && !d.valid);
	CHECK_STR(d.reason, "multiple_records");
	CHECK_STR(d.message, "2 records start with v=DMARC1; receivers ignore "
	    "them all; the first: valid");
	CHECK_INT(d.policy, DMARC_POLICY_REJECT);
	dmarc_record_free(&d);
	txt_records_free(&recs);

	/* A near miss is shown rather than reported missing. */
	txt_join_chunks(&recs, near, ARRAY_LEN(near));
	dmarc_select(&recs, &d);
	CHECK(d.present && !d.is_dmarc);
	CHECK_STR(d.reason, "bad_version");
	CHECK_INT(d.near_miss, 1);
	CHECK_INT(d.selected, 1);
	dmarc_record_free(&d);
	txt_records_free(&recs);

	/* a near miss beside an exact record is not one: the exact wins */
	{
		const struct txt_chunk both[] = {
			CHUNK(" v=DMARC1; p=none", 1),
			CHUNK("v=DMARC1; p=quarantine", 1),
		};

		txt_join_chunks(&recs, both, ARRAY_LEN(both));
		dmarc_select(&recs, &d);
		CHECK(d.valid && !d.near_miss);
		CHECK_INT(d.selected, 1);
		CHECK_INT(d.policy, DMARC_POLICY_QUARANTINE);
		dmarc_record_free(&d);
		txt_records_free(&recs);
	}
}

static void
test_org_domain(void)
{
	char out[256];

	CHECK_INT(org_domain("mail.example.co.uk", out, sizeof(out)), 0);
	CHECK_STR(out, "example.co.uk");
	CHECK_INT(org_domain("a.b.example.com", out, sizeof(out)), 0);
	CHECK_STR(out, "example.com");
	CHECK_INT(org_domain("example.com", out, sizeof(out)), 0);
	CHECK_STR(out, "example.com");
	CHECK_INT(org_domain("MAIL.Example.COM.", out, sizeof(out)), 0);
	CHECK_STR(out, "example.com");
	CHECK_INT(org_domain("co.uk", out, sizeof(out)), -1);
	CHECK_INT(org_domain("com", out, sizeof(out)), -1);
	CHECK_INT(org_domain("", out, sizeof(out)), -1);
	CHECK_INT(org_domain(".", out, sizeof(out)), -1);
	CHECK_INT(org_domain("a..example.com", out, sizeof(out)), -1);
	CHECK_INT(org_domain("a b.example.com", out, sizeof(out)), -1);
	CHECK_INT(org_domain(NULL, out, sizeof(out)), -1);
	CHECK_INT(org_domain("a.example.com", out, 11), -1);
	CHECK_INT(org_domain("a.example.com", out, 12), 0);
	CHECK_STR(out, "example.com");
}

static void
test_external(void)
{
	const struct txt_chunk auth[] = {
		CHUNK("v=spf1 -all", 1),
		CHUNK("v=DMARC1", 1),
	};
	const struct txt_chunk noauth[] = {
		CHUNK("v=dmarc1", 1),
		CHUNK("V=DMARC10", 1),
		CHUNK("p=none; v=DMARC1", 1),
	};
	struct txt_records recs;
	char name[300], longname[260];

	CHECK_INT(dmarc_destination_is_external("example.com",
	    "thirdparty.example.net"), 1);
	CHECK_INT(dmarc_destination_is_external("example.com",
	    "mail.example.com"), 0);
	CHECK_INT(dmarc_destination_is_external("sub.example.co.uk",
	    "Reports.EXAMPLE.co.uk."), 0);
	CHECK_INT(dmarc_destination_is_external("example.co.uk",
	    "example.org.uk"), 1);
	/* A public suffix stands for itself. */
	CHECK_INT(dmarc_destination_is_external("gov.uk", "gov.uk"), 0);
	CHECK_INT(dmarc_destination_is_external("example.com", ""), -1);

	CHECK_INT(dmarc_report_auth_name("example.com",
	    "thirdparty.example.net", name, sizeof(name)), 0);
	CHECK_STR(name, "example.com._report._dmarc.thirdparty.example.net");
	CHECK_INT(dmarc_report_auth_name("Example.COM.",
	    "ThirdParty.example.NET.", name, sizeof(name)), 0);
	CHECK_STR(name, "example.com._report._dmarc.thirdparty.example.net");
	CHECK_INT(dmarc_report_auth_name("example.com",
	    "thirdparty.example.net", name, 20), -1);
	/* 226 bytes, 253 with "._report._dmarc.example.net". */
	for (int i = 0; i < 3; i++) {
		memset(longname + i * 61, 'a', 60);
		longname[i * 61 + 60] = '.';
	}
	memset(longname + 183, 'b', 39);
	strcpy(longname + 222, ".com");
	CHECK_INT(strlen(longname), 226);
	CHECK_INT(dmarc_report_auth_name(longname, "example.net", name,
	    sizeof(name)), 0);
	CHECK_INT(strlen(name), 253);
	CHECK_INT(dmarc_report_auth_name(longname, "example.net.", name,
	    sizeof(name)), 0);
	CHECK_INT(dmarc_report_auth_name(longname, "sub.example.net", name,
	    sizeof(name)), -1);
	/* A label over 63 bytes is no name. */
	memset(longname, 'a', 64);
	strcpy(longname + 64, ".com");
	CHECK_INT(dmarc_report_auth_name(longname, "example.net", name,
	    sizeof(name)), -1);
	CHECK_INT(org_domain(longname, name, sizeof(name)), -1);

	txt_records_init(&recs);
	CHECK_INT(dmarc_report_auth_ok(&recs), 0);
	txt_join_chunks(&recs, noauth, ARRAY_LEN(noauth));
	CHECK_INT(dmarc_report_auth_ok(&recs), 0);
	txt_join_chunks(&recs, auth, ARRAY_LEN(auth));
	CHECK_INT(dmarc_report_auth_ok(&recs), 1);
	txt_records_free(&recs);
	txt_records_add(&recs, "v=DMARC1; rua=mailto:x@example.net", 34, 1);
	CHECK_INT(dmarc_report_auth_ok(&recs), 1);
	txt_records_free(&recs);
}

static void
test_policy_names(void)
{
	CHECK_STR(dmarc_policy_name(DMARC_POLICY_NONE), "none");
	CHECK_STR(dmarc_policy_name(DMARC_POLICY_QUARANTINE), "quarantine");
	CHECK_STR(dmarc_policy_name(DMARC_POLICY_REJECT), "reject");
	CHECK_STR(dmarc_policy_name(DMARC_POLICY_UNSET), "unset");
}

int
main(void)
{
	test_published();
	test_rfc7489_appendix_b();
	test_tags();
	test_missing_policy();
	test_uris();
	test_hostile();
	test_select();
	test_org_domain();
	test_external();
	test_policy_names();
	return unit_done("test_dmarc");
}
