/* Change detection: the state file's strict parser on hostile input, its
 * atomic write, and the tracker telling a weakening from a change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/changes.h"
#include "daemon/result.h"
#include "tests/unit/unit.h"

#define HDR "mailsec_exporter state 1\n"

static int
parses(const char *text)
{
	struct change_table t = { 0 };
	char err[256] = "";
	int r = statefile_parse(text, strlen(text), &t, err, sizeof(err));

	if (r == -1) {
		CHECK(t.n == 0);
		CHECK(err[0] != '\0');
	}
	change_table_free(&t);
	return r == 0;
}

/* The table's index: every entry found again, by both names, across the
 * index's growths; names that differ only in where the domain ends are
 * told apart; a full table finds what it has and makes nothing more. */
static void
test_table_index(void)
{
	struct change_table t = { 0 };
	char d[64], r[64];
	int created, ok = 1;
	struct change_entry *e;

	for (unsigned i = 0; i < 5000; i++) {
		snprintf(d, sizeof(d), "d%u.example", i / 7);
		snprintf(r, sizeof(r), "dkim:s%u", i % 7);
		e = change_table_get(&t, d, r, &created);
		ok &= e != NULL && created && e == &t.e[i];
	}
	CHECK(ok);
	for (unsigned i = 0; i < 5000; i++) {
		snprintf(d, sizeof(d), "d%u.example", i / 7);
		snprintf(r, sizeof(r), "dkim:s%u", i % 7);
		e = change_table_get(&t, d, r, &created);
		ok &= e == &t.e[i] && !created && change_table_find(&t, d, r) == e;
	}
	CHECK(ok);
	CHECK(change_table_find(&t, "d1.example", "dkim:s8") == NULL);
	CHECK(change_table_find(&t, "d1.exampl", "edkim:s1") == NULL);
	CHECK(change_table_get(&t, "ab", "c", &created) != NULL && created);
	CHECK(change_table_get(&t, "a", "bc", &created) != NULL && created);
	CHECK(change_table_find(&t, "ab", "c") != change_table_find(&t, "a", "bc"));
	CHECK_INT(t.n, 5002);
	change_table_free(&t);
	CHECK(change_table_find(&t, "ab", "c") == NULL);
	for (unsigned i = 0; i < STATEFILE_ENTRIES_MAX; i++) {
		snprintf(r, sizeof(r), "r%u", i);
		ok &= change_table_get(&t, "x.example", r, &created) != NULL;
	}
	CHECK(ok);
	CHECK(change_table_get(&t, "x.example", "r7", &created) == &t.e[7] &&
	    !created);
	CHECK(change_table_get(&t, "x.example", "more", &created) == NULL);
	CHECK(change_table_find(&t, "x.example", "more") == NULL);
	CHECK_INT(t.n, STATEFILE_ENTRIES_MAX);
	change_table_free(&t);
}

/* The table's bound scales with the targets, and holds for the table, the
 * file's count and its size. */
static void
test_table_bound(void)
{
	struct change_table t = { 0 };
	struct buf b;
	char err[256], r[32];
	int created;

	CHECK_INT(statefile_entries_max(0), STATEFILE_ENTRIES_MAX);
	CHECK_INT(statefile_entries_max(3000), STATEFILE_ENTRIES_MAX);
	CHECK_INT(statefile_entries_max(10000), 320000);
	CHECK_INT(statefile_entries_max(125000), STATEFILE_ENTRIES_LIMIT);
	CHECK_INT(statefile_entries_max(SIZE_MAX), STATEFILE_ENTRIES_LIMIT);
	CHECK_INT(change_table_max(&t), STATEFILE_ENTRIES_MAX);
	t.max = 3;
	for (unsigned i = 0; i < 3; i++) {
		snprintf(r, sizeof(r), "r%u", i);
		CHECK(change_table_get(&t, "x.example", r, &created) != NULL);
	}
	CHECK(change_table_get(&t, "x.example", "r3", &created) == NULL);
	CHECK(change_table_get(&t, "x.example", "r1", &created) != NULL &&
	    !created);
	buf_init(&b);
	statefile_format(&t, &b);
	/* the same file reads back within 3, not within 2; max stays */
	CHECK_INT(statefile_parse(b.data, b.len, &t, err, sizeof(err)), 0);
	CHECK_INT(t.n, 3);
	t.max = 2;
	CHECK_INT(statefile_parse(b.data, b.len, &t, err, sizeof(err)), -1);
	CHECK(strstr(err, "too many records") != NULL);
	CHECK_INT(t.n, 0);
	CHECK_INT(t.max, 2);
	/* and no larger than 168 bytes an entry */
	t.max = 1;
	buf_reset(&b);
	buf_puts(&b, HDR);
	while (b.len <= STATEFILE_BYTES_PER_ENTRY)
		buf_puts(&b, "r x.example r0 0123456789ab 1 0 0 0\n");
	CHECK_INT(statefile_parse(b.data, b.len, &t, err, sizeof(err)), -1);
	CHECK(strstr(err, "larger than 168 bytes (1 entries)") != NULL);
	buf_free(&b);
	change_table_free(&t);
}

static void
test_parse_good(void)
{
	const char *text = HDR
	    "r example.org spf 0123456789ab 1796300000 3 0 0\n"
	    "w spf_all 1796300100\n"
	    "r - cert:mx.example.org:25 abcdefabcdef 1 2048 -12 9007199254740992\n"
	    "end 2\n";
	struct change_table t = { 0 };
	char err[256];
	struct buf b;

	CHECK_INT(statefile_parse(text, strlen(text), &t, err, sizeof(err)), 0);
	CHECK_INT(t.n, 2);
	CHECK_STR(t.e[0].domain, "example.org");
	CHECK_STR(t.e[0].record, "spf");
	CHECK(t.e[0].hash == 0x0123456789abULL);
	CHECK(t.e[0].changed == 1796300000.0);
	CHECK_INT(t.e[0].facts[0], 3);
	CHECK_INT(t.e[0].n_weak, 1);
	CHECK_STR(t.e[0].weak[0].what, "spf_all");
	CHECK_STR(t.e[1].domain, "");
	CHECK_INT(t.e[1].facts[1], -12);
	CHECK(t.e[1].facts[2] == (int64_t)1 << 53);
	/* canonical: formats back byte for byte */
	buf_init(&b);
	statefile_format(&t, &b);
	CHECK_STR(b.data, text);
	buf_free(&b);
	change_table_free(&t);
	CHECK(parses(HDR "end 0\n"));
}

static void
test_parse_hostile(void)
{
	static const char *const bad[] = {
		"",
		"\n",
		"mailsec_exporter state 2\nend 0\n",
		"mailsec_exporter state 1",		/* no newline */
		HDR,					/* no end */
		HDR "end 0",				/* cut: no newline */
		HDR "end 1\n",				/* count */
		HDR "end 0\nend 0\n",			/* after the end */
		HDR "end 0\nr a spf 000000000000 0 0 0 0\n",
		HDR "end\n",
		HDR "end 0 \n",				/* trailing space */
		HDR "end -1\n",
		HDR "x a b\nend 0\n",			/* kind */
		HDR "r a spf 000000000000 0 0 0\nend 1\n",	/* 2 facts */
		HDR "r a spf 000000000000 0 0 0 0 0\nend 1\n",	/* 4 facts */
		HDR "r a spf 00000000000 0 0 0 0\nend 1\n",	/* 11 digits */
		HDR "r a spf 0000000000000 0 0 0 0\nend 1\n",	/* 13 */
		HDR "r a spf 00000000000A 0 0 0 0\nend 1\n",	/* upper */
		HDR "r a spf 00000000000g 0 0 0 0\nend 1\n",
		HDR "r a spf 000000000000 -1 0 0 0\nend 1\n",	/* time sign */
		HDR "r a spf 000000000000 1099511627777 0 0 0\nend 1\n",
		HDR "r a spf 000000000000 0 9007199254740993 0 0\nend 1\n",
		HDR "r a spf 000000000000 0 -0 0 0\nend 1\n",
		HDR "r a spf 000000000000 0 +1 0 0\nend 1\n",
		HDR "r a spf 000000000000 0 01x 0 0\nend 1\n",
		HDR "r a spf 000000000000 0 99999999999999999999999 0 0\nend 1\n",
		HDR "r a  spf 000000000000 0 0 0 0\nend 1\n",	/* two spaces */
		HDR "r a sp\"f 000000000000 0 0 0 0\nend 1\n",	/* token */
		HDR "r a s{f 000000000000 0 0 0 0\nend 1\n",
		HDR "r a - 000000000000 0 0 0 0\nend 1\n",	/* record - */
		HDR "r a\tb spf 000000000000 0 0 0 0\nend 1\n",	/* control */
		HDR "r a\xc3\xa9 spf 000000000000 0 0 0 0\nend 1\n",
		HDR "r a spf 000000000000 0 0 0 0\r\nend 1\n",	/* CR */
		HDR "r a spf 000000000000 0 0 0 0\n"
		    "r a spf 000000000000 0 0 0 0\nend 2\n",	/* twice */
		HDR "w spf_all 0\nend 0\n",		/* w before r */
		HDR "r a spf 000000000000 0 0 0 0\nw x 0\nw x 1\nend 1\n",
		HDR "r a spf 000000000000 0 0 0 0\nw a 0\nw b 0\nw c 0\n"
		    "w d 0\nw e 0\nend 1\n",		/* 5 weakenings */
		HDR "r a spf 000000000000 0 0 0 0\nw x\nend 1\n",
		HDR "r a spf 000000000000 0 0 0 0\nw x 0 0\nend 1\n",
		/* one spelling per number (found by the fuzzer) */
		HDR "r a spf 000000000000 01 0 0 0\nend 1\n",
		HDR "r a spf 000000000000 0 00 0 0\nend 1\n",
		HDR "r a spf 000000000000 0 -01 0 0\nend 1\n",
		HDR "r a spf 000000000000 0 0 0 0\nw x 00\nend 1\n",
		HDR "end 00\n",
	};
	char big[300 + sizeof(HDR) + 64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parses(bad[i]);

		CHECK(!r);
		if (r)
			fprintf(stderr, "accepted bad[%zu]\n", i);
	}
	/* a name of 256 bytes */
	snprintf(big, sizeof(big), HDR "r %0256d spf 000000000000 0 0 0 0\nend 1\n", 0);
	CHECK(!parses(big));
	snprintf(big, sizeof(big), HDR "r %0255d spf 000000000000 0 0 0 0\nend 1\n", 0);
	CHECK(parses(big));
	/* NUL inside */
	{
		const char t[] = HDR "r a spf 000000000000 0 0 0 0\n\0end 1\n";
		struct change_table tb = { 0 };
		char err[128];

		CHECK_INT(statefile_parse(t, sizeof(t) - 1, &tb, err, sizeof(err)), -1);
	}
}

static void
test_write_read(void)
{
	char dir[] = "/tmp/test_changes.XXXXXX", path[256], tmp[300];
	struct change_table t = { 0 }, back = { 0 };
	struct change_entry *e;
	char err[256];
	int created;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	CHECK_INT(statefile_read(path, &back, err, sizeof(err)), 0);	/* none */
	e = change_table_get(&t, "example.org", "dmarc", &created);
	CHECK(e != NULL && created);
	e->hash = 42;
	e->changed = 1000;
	e->facts[0] = 2;
	CHECK(change_table_get(&t, "bad domain", "x", &created) == NULL);
	CHECK(change_table_get(&t, "a", "", &created) == NULL);
	CHECK_INT(statefile_write(path, &t, err, sizeof(err)), 0);
	CHECK(access(tmp, F_OK) != 0);		/* renamed away */
	CHECK_INT(statefile_read(path, &back, err, sizeof(err)), 1);
	CHECK_INT(back.n, 1);
	CHECK(back.e[0].hash == 42);
	change_table_free(&back);
	/* corrupt: -1, empty table */
	f = fopen(path, "w");
	fputs(HDR "r example.org dmarc 00000000002a 1000 2 0 0\n", f);
	fclose(f);
	CHECK_INT(statefile_read(path, &back, err, sizeof(err)), -1);
	CHECK_INT(back.n, 0);
	CHECK(strstr(err, "no end line") != NULL);
	/* a directory is not a state file */
	CHECK_INT(statefile_read(dir, &back, err, sizeof(err)), -1);
	/* the write fails where it cannot write: the old file stays */
	snprintf(tmp, sizeof(tmp), "%s/nodir/state", dir);
	CHECK_INT(statefile_write(tmp, &t, err, sizeof(err)), -1);
	unlink(path);
	rmdir(dir);
	change_table_free(&t);
}

/* A domain result with an SPF and a DMARC record. */
static void
fill(struct check_result *r, struct records_result *rr, const char *spf,
    int all, const char *dmarc, enum dmarc_policy p, unsigned pct)
{
	memset(r, 0, sizeof(*r));
	memset(rr, 0, sizeof(*rr));
	r->mx_result = DNS_NXDOMAIN;
	r->records = rr;
	rr->spf_lookup.done = 1;
	rr->spf_lookup.result = spf ? DNS_OK : DNS_NODATA;
	rr->spf_present = spf != NULL;
	rr->spf_raw = (char *)spf;
	rr->spf_all = all;
	rr->dmarc_lookup.done = 1;
	rr->dmarc_failure = DNS_OK;
	rr->dmarc_raw = (char *)dmarc;
	rr->dmarc.present = dmarc != NULL;
	rr->dmarc.policy = p;
	rr->dmarc.pct = pct;
}

struct seen {
	char	 weak[512];
	double	 spf_hash;
	int	 n;
};

static void
seen_entry(const struct change_entry *e, void *arg)
{
	struct seen *s = arg;

	s->n++;
	if (strcmp(e->record, "spf") == 0)
		s->spf_hash = (double)e->hash;
}

static void
seen_weak(const struct change_entry *e, const struct change_weak *w, void *arg)
{
	struct seen *s = arg;

	snprintf(s->weak + strlen(s->weak), sizeof(s->weak) - strlen(s->weak),
	    "%s/%s/%s ", e->domain, e->record, w->what);
}

static struct seen
look(const struct changes *ch, double now)
{
	struct seen s;

	memset(&s, 0, sizeof(s));
	changes_foreach(ch, now, seen_entry, seen_weak, &s);
	return s;
}

static void
test_tracker(void)
{
	struct changes ch;
	struct check_result r;
	struct records_result rr;
	struct seen s;
	const struct change_entry *e;

	changes_init(&ch, NULL, 3600, 0);
	fill(&r, &rr, "v=spf1 -all", SPF_QUAL_FAIL, "v=DMARC1; p=reject",
	    DMARC_POLICY_REJECT, 100);
	changes_observe(&ch, "example.org", &r, 1000);
	s = look(&ch, 1000);
	CHECK_INT(s.n, 3);		/* mx (none), spf, dmarc */
	CHECK_STR(s.weak, "");
	CHECK(s.spf_hash == (double)changes_hash("v=spf1 -all", 11));
	CHECK(s.spf_hash < 281474976710656.0);	/* 2^48 */
	/* the same again: nothing changes */
	changes_observe(&ch, "example.org", &r, 1100);
	e = change_table_find(&ch.table, "example.org", "spf");
	CHECK(e != NULL && e->changed == 1000);
	/* a change that is no weakening: an include added */
	fill(&r, &rr, "v=spf1 include:x.org -all", SPF_QUAL_FAIL,
	    "v=DMARC1; p=reject; rua=mailto:a@example.org", DMARC_POLICY_REJECT, 100);
	changes_observe(&ch, "example.org", &r, 1200);
	CHECK(e->changed == 1200);
	CHECK_STR(look(&ch, 1200).weak, "");
	/* -all to ~all, p=reject to quarantine with pct lowered */
	fill(&r, &rr, "v=spf1 include:x.org ~all", SPF_QUAL_SOFTFAIL,
	    "v=DMARC1; p=quarantine; pct=50", DMARC_POLICY_QUARANTINE, 50);
	changes_observe(&ch, "example.org", &r, 1300);
	CHECK_STR(look(&ch, 1300).weak, "example.org/spf/spf_all "
	    "example.org/dmarc/dmarc_policy example.org/dmarc/dmarc_pct ");
	/* strengthened again: the weakening is still held */
	fill(&r, &rr, "v=spf1 -all", SPF_QUAL_FAIL, "v=DMARC1; p=reject",
	    DMARC_POLICY_REJECT, 100);
	changes_observe(&ch, "example.org", &r, 1400);
	CHECK_STR(look(&ch, 1400).weak, "example.org/spf/spf_all "
	    "example.org/dmarc/dmarc_policy example.org/dmarc/dmarc_pct ");
	/* ... until the hold is over */
	CHECK_STR(look(&ch, 1300 + 3600).weak, "");
	changes_observe(&ch, "example.org", &r, 1300 + 3600);
	CHECK_INT(change_table_find(&ch.table, "example.org", "spf")->n_weak, 0);
	/* records gone: DMARC removed is a weakening, an SPF lookup that
	 * failed says nothing */
	fill(&r, &rr, NULL, SPF_ALL_NONE, NULL, DMARC_POLICY_UNSET, 100);
	rr.spf_lookup.result = DNS_SERVFAIL;
	changes_observe(&ch, "example.org", &r, 6000);
	CHECK_STR(look(&ch, 6000).weak, "example.org/dmarc/dmarc_policy ");
	CHECK(change_table_find(&ch.table, "example.org", "spf")->changed == 1400);
	/* SPF removed: -all to nothing */
	rr.spf_lookup.result = DNS_NODATA;
	changes_observe(&ch, "example.org", &r, 6100);
	CHECK_STR(look(&ch, 6100).weak, "example.org/spf/spf_all "
	    "example.org/dmarc/dmarc_policy ");
	changes_free(&ch);
}

static void
test_tracker_state(void)
{
	char dir[] = "/tmp/test_changes.XXXXXX", path[256];
	struct changes ch, ch2;
	struct check_result r;
	struct records_result rr;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/state", dir);
	changes_init(&ch, path, 3600, 0);		/* no file: fine */
	fill(&r, &rr, "v=spf1 -all", SPF_QUAL_FAIL, NULL, DMARC_POLICY_UNSET, 0);
	changes_observe(&ch, "example.org", &r, 1000);
	CHECK_INT(ch.writes, 1);
	changes_observe(&ch, "example.org", &r, 1001);
	CHECK_INT(ch.writes, 1);		/* nothing new: no write */
	/* a restart: the weakening is seen across it */
	changes_init(&ch2, path, 3600, 0);
	CHECK_INT(ch2.table.n, 3);
	fill(&r, &rr, "v=spf1 ?all", SPF_QUAL_NEUTRAL, NULL, DMARC_POLICY_UNSET, 0);
	changes_observe(&ch2, "example.org", &r, 2000);
	CHECK_STR(look(&ch2, 2000).weak, "example.org/spf/spf_all ");
	changes_free(&ch2);
	/* a corrupt file: a warning, an empty start */
	f = fopen(path, "w");
	fputs("garbage\n", f);
	fclose(f);
	changes_init(&ch2, path, 3600, 0);
	CHECK_INT(ch2.table.n, 0);
	changes_free(&ch2);
	changes_free(&ch);
	unlink(path);
	rmdir(dir);
}

/* TLSA, MTA-STS and certificate records of one domain result. */
static void
test_tracker_tls(void)
{
	struct changes ch;
	struct check_result r;
	struct danelookup_result *dp;
	const uint16_t port25 = 25;
	struct mtasts_result m;
	struct mtasts_fetch mf;
	struct endpoint_result eps[2];
	struct tlsa_record rec = { .usage = 3, .selector = 1, .mtype = 1 };
	unsigned char data[32] = { 0xab };
	char *mx[] = { "mx.example.org" };
	char id[3][9] = { "20261203", "20261204", "20261205" };

	memset(&r, 0, sizeof(r));
	dp = danelookup_result_new("mx.example.org", &port25, 1);
	memset(&m, 0, sizeof(m));
	memset(&mf, 0, sizeof(mf));
	memset(eps, 0, sizeof(eps));
	eps[0].out = &probe_outcome_none;
	eps[1].out = &probe_outcome_none;
	r.mx_result = DNS_SERVFAIL;		/* no mx record this round */
	r.dane = &dp;
	r.n_dane = 1;
	dp->ports[0].tlsa_status = DNSSEC_SECURE;
	rec.data = data;
	rec.len = sizeof(data);
	dp->ports[0].tlsa.recs = &rec;
	dp->ports[0].tlsa.n = 1;
	r.mtasts = &m;
	m.sts_checked = 1;
	m.record_lookup.done = 1;
	m.record_lookup.result = DNS_OK;
	m.record.present = m.record.valid = 1;
	m.record.id = id[0];
	m.fetch = &mf;
	m.fetch_attempted = 1;
	mf.policy.reason = STS_OK;
	mf.policy.mode = STS_MODE_ENFORCE;
	mf.policy.max_age = 86400;
	mf.policy.mx = mx;
	mf.policy.n_mx = 1;
	r.eps = eps;
	r.n_eps = 2;
	for (int i = 0; i < 2; i++) {
		eps[i].host = "mx.example.org";
		eps[i].port = 25;
		endpoint_outcome_edit(&eps[i])->tls.have_cert = 1;
		probe_str_printf(&endpoint_outcome_edit(&eps[i])->tls.fingerprint_sha256, 65, "%064d", i);
		snprintf(endpoint_outcome_edit(&eps[i])->tls.key_type, 16, "RSA");
		endpoint_outcome_edit(&eps[i])->tls.key_bits = 4096;
		probe_str_printf(&endpoint_outcome_edit(&eps[i])->tls.issuer, 256, "CN=CA one");
	}
	eps[0].address = probe_str_empty;
	eps[1].address = "2001:db8::1";

	changes_init(&ch, NULL, 3600, 0);
	changes_observe(&ch, "example.org", &r, 1000);
	CHECK_INT(look(&ch, 1000).n, 4);	/* tlsa, id, policy, one cert */
	CHECK(change_table_find(&ch.table, "example.org", "mx") == NULL);
	CHECK(change_table_find(&ch.table, "example.org",
	    "cert:mx.example.org:25") != NULL);
	/* a TLSA lookup that failed says nothing; mode testing, one address
	 * with a 2048-bit key from another CA */
	dp->ports[0].tlsa_status = DNSSEC_SERVFAIL;
	mf.policy.mode = STS_MODE_TESTING;
	endpoint_outcome_edit(&eps[1])->tls.key_bits = 2048;
	probe_str_printf(&endpoint_outcome_edit(&eps[1])->tls.fingerprint_sha256, 65, "%064d", 7);
	probe_str_printf(&endpoint_outcome_edit(&eps[1])->tls.issuer, 256, "CN=CA two");
	changes_observe(&ch, "example.org", &r, 1100);
	CHECK_STR(look(&ch, 1100).weak, "example.org/mta_sts_policy/mta_sts_mode "
	    "example.org/cert:mx.example.org:25/cert_key_smaller "
	    "example.org/cert:mx.example.org:25/cert_issuer ");
	/* the TLSA set emptied (validated): removed; the id alone changing
	 * is no weakening; an EC key is another type, not a smaller key */
	dp->ports[0].tlsa_status = DNSSEC_INSECURE;
	dp->ports[0].tlsa.n = 0;
	m.record.id = id[1];
	changes_free(&ch);
	changes_init(&ch, NULL, 3600, 0);
	changes_observe(&ch, "example.org", &r, 2000);
	dp->ports[0].tlsa.n = 1;
	changes_observe(&ch, "example.org", &r, 2001);
	dp->ports[0].tlsa.n = 0;
	snprintf(endpoint_outcome_edit(&eps[1])->tls.key_type, 16, "EC");
	endpoint_outcome_edit(&eps[1])->tls.key_bits = 256;
	probe_str_printf(&endpoint_outcome_edit(&eps[1])->tls.fingerprint_sha256, 65, "%064d", 8);
	m.record.id = id[2];
	changes_observe(&ch, "example.org", &r, 2002);
	CHECK_STR(look(&ch, 2002).weak, "example.org/tlsa:mx.example.org/tlsa_removed ");
	/* the MTA-STS record gone: the mode is lowered to none at all */
	m.record.present = m.record.valid = 0;
	mf.policy.reason = STS_OK + 1;	/* no policy fetched */
	changes_observe(&ch, "example.org", &r, 2003);
	CHECK_STR(look(&ch, 2003).weak, "example.org/tlsa:mx.example.org/tlsa_removed "
	    "example.org/mta_sts_policy/mta_sts_mode ");
	changes_free(&ch);
	endpoint_set_outcome(&eps[0], &probe_outcome_none);
	endpoint_set_outcome(&eps[1], &probe_outcome_none);
	tlsa_set_init(&dp->ports[0].tlsa);	/* the record is on the stack */
	danelookup_result_free(dp);
}

/* The table's index at thousands of entries, names at their length
 * (1 and 255 bytes, ones that share a prefix or differ only in where the
 * domain ends), the entry cap, and the weakening slots made on demand. */
static void
test_table_compact(void)
{
	struct change_table t = { 0 };
	struct change_entry *e;
	char d[CHANGE_NAME_MAX + 2], r[64];
	int created;
	size_t n = 0;

	for (int i = 0; i < 5000; i++) {
		snprintf(d, sizeof(d), "d%d.example", i);
		snprintf(r, sizeof(r), "dkim:s%d", i % 3);
		CHECK((e = change_table_get(&t, d, r, &created)) != NULL);
		CHECK_INT(created, 1);
		CHECK(e->weak == NULL);
		e->facts[0] = i;
		n++;
	}
	CHECK_INT(t.n, n);
	for (int i = 4999; i >= 0; i--) {
		snprintf(d, sizeof(d), "d%d.example", i);
		snprintf(r, sizeof(r), "dkim:s%d", i % 3);
		CHECK((e = change_table_find(&t, d, r)) != NULL);
		CHECK_STR(e->domain, d);
		CHECK_STR(e->record, r);
		CHECK_INT(e->facts[0], i);
		CHECK((e = change_table_get(&t, d, r, &created)) != NULL);
		CHECK_INT(created, 0);
		snprintf(r, sizeof(r), "dkim:s%d", i % 3 + 3);
		CHECK(change_table_find(&t, d, r) == NULL);
	}
	CHECK_INT(t.n, n);
	/* ("a", "b.c") and ("a.b", "c") are two entries */
	CHECK(change_table_get(&t, "a", "b.c", &created) != NULL && created);
	CHECK(change_table_get(&t, "a.b", "c", &created) != NULL && created);
	CHECK(change_table_get(&t, "", "c", &created) != NULL && created);
	CHECK_STR(change_table_find(&t, "a", "b.c")->record, "b.c");
	CHECK_STR(change_table_find(&t, "a.b", "c")->domain, "a.b");
	CHECK_STR(change_table_find(&t, "", "c")->domain, "");
	/* the longest names kept whole, one more refused */
	memset(d, 'x', CHANGE_NAME_MAX);
	d[CHANGE_NAME_MAX] = '\0';
	CHECK((e = change_table_get(&t, d, d, &created)) != NULL && created);
	CHECK_INT(strlen(e->domain), CHANGE_NAME_MAX);
	CHECK_STR(e->record, d);
	d[CHANGE_NAME_MAX] = 'x';
	d[CHANGE_NAME_MAX + 1] = '\0';
	CHECK(change_table_get(&t, d, "spf", &created) == NULL);
	CHECK(change_table_get(&t, "a", d, &created) == NULL);
	CHECK(change_table_get(&t, "a b", "spf", &created) == NULL);
	CHECK(change_table_get(&t, "a", "", &created) == NULL);
	/* weakenings: slots made at the first, at most CHANGE_WEAK_MAX */
	e = change_table_find(&t, "a", "b.c");
	for (int i = 0; i < CHANGE_WEAK_MAX; i++) {
		struct change_weak *w = change_entry_weak_add(e);

		CHECK(w != NULL && w->what[0] == '\0' && w->since == 0);
		snprintf(w->what, sizeof(w->what), "w%d", i);
	}
	CHECK(change_entry_weak_add(e) == NULL);
	CHECK_INT(e->n_weak, CHANGE_WEAK_MAX);
	CHECK_STR(e->weak[CHANGE_WEAK_MAX - 1].what, "w3");
	change_table_free(&t);
	CHECK_INT(t.n, 0);
	CHECK(change_table_find(&t, "a", "b.c") == NULL);
	/* the cap */
	for (size_t i = 0; i <= STATEFILE_ENTRIES_MAX; i++) {
		snprintf(d, sizeof(d), "%zu", i);
		e = change_table_get(&t, d, "spf", &created);
		CHECK(i < STATEFILE_ENTRIES_MAX ? e != NULL : e == NULL);
	}
	CHECK_INT(t.n, STATEFILE_ENTRIES_MAX);
	CHECK(change_table_find(&t, "99999", "spf") != NULL);
	change_table_free(&t);
}

int
main(void)
{
	test_table_index();
	test_table_bound();
	test_parse_good();
	test_parse_hostile();
	test_write_read();
	test_tracker();
	test_tracker_state();
	test_tracker_tls();
	test_table_compact();
	CHECK_STR(weakening_name(WEAKENED_TLSA_REMOVED), "tlsa_removed");
	CHECK_STR(weakening_name(WEAKENED__COUNT), "unknown");
	return unit_done("test_changes");
}
