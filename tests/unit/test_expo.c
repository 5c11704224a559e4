/* web/expo.c: label escaping, sample lines, rendering order, and the
 * number format of base/util.c's buf_put_double. */
#include "web/expo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>
#include <sys/wait.h>

#include "base/util.h"
#include "base/escape.h"
#include "tests/unit/unit.h"

static void
test_label_escaping(void)
{
	struct buf l;

	buf_init(&l);
	labels_add(&l, "a", "plain");
	CHECK_STR(l.data, "a=\"plain\"");
	labels_add(&l, "b", "back\\slash");
	CHECK_STR(l.data, "a=\"plain\",b=\"back\\\\slash\"");
	buf_reset(&l);
	labels_add(&l, "q", "say \"hi\"");
	CHECK_STR(l.data, "q=\"say \\\"hi\\\"\"");
	buf_reset(&l);
	labels_add(&l, "n", "two\nlines\n");
	CHECK_STR(l.data, "n=\"two\\nlines\\n\"");
	buf_reset(&l);
	/* All three, adjacent, at both ends. */
	labels_add(&l, "x", "\\\"\n");
	CHECK_STR(l.data, "x=\"\\\\\\\"\\n\"");
	buf_reset(&l);
	/* Other bytes pass through: tab, carriage return, UTF-8. */
	labels_add(&l, "t", "a\tb\rc \xc3\xa9");
	CHECK_STR(l.data, "t=\"a\tb\rc \xc3\xa9\"");
	buf_reset(&l);
	/* Empty and NULL values are empty strings. */
	labels_add(&l, "e", "");
	labels_add(&l, "z", NULL);
	CHECK_STR(l.data, "e=\"\",z=\"\"");
	buf_free(&l);
}

static void
test_samples(void)
{
	struct expo e;
	struct buf base, empty;

	expo_init(&e);
	buf_init(&base);
	buf_init(&empty);

	/* No labels at all. */
	expo_add(&e, F_TARGETS, NULL, 3, NULL);
	CHECK_STR(e.fam[F_TARGETS].data, "mailsec_exporter_targets 3\n");

	/* Only extra pairs; an empty base is as good as none. */
	expo_add(&e, F_PROBES_IN_FLIGHT, &empty, 1, "proto", "smtp", NULL);
	CHECK_STR(e.fam[F_PROBES_IN_FLIGHT].data,
	    "mailsec_exporter_probes_in_flight{proto=\"smtp\"} 1\n");

	/* Base only. */
	labels_add(&base, "target", "mx1.example.org:25");
	labels_add(&base, "proto", "smtp");
	expo_add(&e, F_PROBE_SUCCESS, &base, 1, NULL);
	/* Base plus pairs, the pairs escaped too. */
	expo_add(&e, F_PROBE_DURATION, &base, 0.25, "phase", "connect", NULL);
	expo_add(&e, F_PROBE_DURATION, &base, 1.5, "phase", "tls", "note",
	    "a\"b\\c\nd", NULL);
	CHECK_STR(e.fam[F_PROBE_SUCCESS].data,
	    "mailsec_probe_success{target=\"mx1.example.org:25\",proto=\"smtp\"} 1\n");
	CHECK_STR(e.fam[F_PROBE_DURATION].data,
	    "mailsec_probe_duration_seconds{target=\"mx1.example.org:25\","
	    "proto=\"smtp\",phase=\"connect\"} 0.25\n"
	    "mailsec_probe_duration_seconds{target=\"mx1.example.org:25\","
	    "proto=\"smtp\",phase=\"tls\",note=\"a\\\"b\\\\c\\nd\"} 1.5\n");

	/* A NULL pair value is an empty label value. */
	expo_add(&e, F_MX_INFO, NULL, 10, "exchange", NULL, NULL);
	CHECK_STR(e.fam[F_MX_INFO].data, "mailsec_mx_info{exchange=\"\"} 10\n");

	/* The base is not consumed. */
	CHECK_STR(base.data, "target=\"mx1.example.org:25\",proto=\"smtp\"");

	buf_free(&base);
	buf_free(&empty);
	expo_free(&e);
	for (size_t i = 0; i < F__COUNT; i++)
		CHECK(e.fam[i].data == NULL && e.fam[i].len == 0);
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		if (*s == '\n')
			n++;
	return n;
}

static void
test_render(void)
{
	struct expo e;
	struct buf out;
	const char *want;

	expo_init(&e);
	buf_init(&out);

	/* Nothing added: nothing rendered. */
	expo_render(&e, &out);
	CHECK_INT(out.len, 0);

	/* Added out of table order, and interleaved. */
	expo_add(&e, F_PROC_FDS, NULL, 12, NULL);
	expo_add(&e, F_PROBES_TOTAL, NULL, 7, "proto", "smtp", NULL);
	expo_add(&e, F_PROBE_SUCCESS, NULL, 0, "target", "b", NULL);
	expo_add(&e, F_PROBES_TOTAL, NULL, 2, "proto", "imap", NULL);
	expo_add(&e, F_PROBE_SUCCESS, NULL, 1, "target", "a", NULL);

	buf_puts(&out, "# preexisting\n");	/* render appends */
	expo_render(&e, &out);
	want =
	    "# preexisting\n"
	    "# HELP mailsec_probe_success 1 if the probe reached TLS and "
	    "finished its session, else 0 (unlabelled in a /probe answer: "
	    "the whole check).\n"
	    "# TYPE mailsec_probe_success gauge\n"
	    "mailsec_probe_success{target=\"b\"} 0\n"
	    "mailsec_probe_success{target=\"a\"} 1\n"
	    "# HELP mailsec_exporter_probes_total Probes finished since start, "
	    "by protocol.\n"
	    "# TYPE mailsec_exporter_probes_total counter\n"
	    "mailsec_exporter_probes_total{proto=\"smtp\"} 7\n"
	    "mailsec_exporter_probes_total{proto=\"imap\"} 2\n"
	    "# HELP process_open_fds Number of open file descriptors.\n"
	    "# TYPE process_open_fds gauge\n"
	    "process_open_fds 12\n";
	CHECK_STR(out.data, want);

	/* Families without samples are left out entirely. */
	CHECK(strstr(out.data, "mailsec_probe_duration_seconds") == NULL);
	CHECK(strstr(out.data, "process_max_fds") == NULL);
	CHECK_INT(count_lines(out.data), 12);

	buf_free(&out);
	expo_free(&e);
}

static void
test_family_table(void)
{
	for (size_t i = 0; i < F__COUNT; i++) {
		const struct family_def *f = family_get((enum family)i);

		CHECK(f->name != NULL && f->type != NULL && f->help != NULL);
		if (f->name == NULL || f->type == NULL || f->help == NULL)
			continue;
		CHECK(strcmp(f->type, "gauge") == 0 ||
		    strcmp(f->type, "counter") == 0);
		/* Counters end in _total, other families do not. */
		if (strcmp(f->type, "counter") == 0) {
			size_t n = strlen(f->name);

			CHECK(n > 6 && strcmp(f->name + n - 6, "_total") == 0);
		}
		/* Help text is one line without backslashes. */
		CHECK(strchr(f->help, '\n') == NULL);
		CHECK(strchr(f->help, '\\') == NULL);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(family_get((enum family)j)->name,
			    f->name) != 0);
	}
	CHECK_STR(family_get(F_PROC_CPU)->name, "process_cpu_seconds_total");
	CHECK_STR(family_get(F_PROC_CPU)->type, "counter");
}

static const char *
dbl(double v, struct buf *b)
{
	buf_reset(b);
	buf_put_double(b, v);
	return b->data;
}

/* s is one whole number, and its value is v to at least 15 significant
 * digits (%.15g is off by at most 5e-15 relative). */
static int
reads_back(const char *s, double v)
{
	char *end;
	double r;

	if (s == NULL || *s == '\0' || strchr(s, ' ') != NULL)
		return 0;
	r = strtod(s, &end);
	if (*end != '\0')
		return 0;
	if (r == v)
		return 1;
	return fabs(r - v) <= fabs(v) * 1e-14;
}

static void
test_put_double(void)
{
	struct buf b;

	buf_init(&b);
	/* Integers print without a fraction or exponent. */
	CHECK_STR(dbl(0, &b), "0");
	CHECK_STR(dbl(-0.0, &b), "0");
	CHECK_STR(dbl(1, &b), "1");
	CHECK_STR(dbl(42, &b), "42");
	CHECK_STR(dbl(-7, &b), "-7");
	CHECK_STR(dbl(1700000000, &b), "1700000000");
	CHECK_STR(dbl(1234567890123.0, &b), "1234567890123");
	CHECK_STR(dbl(999999999999999.0, &b), "999999999999999");
	/* Fractions. */
	CHECK_STR(dbl(0.5, &b), "0.5");
	CHECK_STR(dbl(0.25, &b), "0.25");
	CHECK_STR(dbl(-2.75, &b), "-2.75");
	CHECK_STR(dbl(1.5, &b), "1.5");
	/* Not exactly representable: printed with at least 15 significant
	 * digits, so it reads back to within 1e-14 relative. */
	CHECK(reads_back(dbl(0.1, &b), 0.1));
	CHECK(reads_back(dbl(1.0 / 3.0, &b), 1.0 / 3.0));
	CHECK(reads_back(dbl(123.456, &b), 123.456));
	CHECK(reads_back(dbl(1e-9, &b), 1e-9));
	CHECK(reads_back(dbl(1e15, &b), 1e15));
	CHECK(reads_back(dbl(1764375857.123, &b), 1764375857.123));
	CHECK(strchr(dbl(1764375857.123, &b), '.') != NULL);
	/* Special values as Prometheus spells them. */
	CHECK_STR(dbl(NAN, &b), "NaN");
	CHECK_STR(dbl(INFINITY, &b), "+Inf");
	CHECK_STR(dbl(-INFINITY, &b), "-Inf");
	/* Appends. */
	buf_reset(&b);
	buf_puts(&b, "v=");
	buf_put_double(&b, 3);
	CHECK_STR(b.data, "v=3");
	buf_free(&b);
}

/* Beyond the range of int64_t.  Run last: buf_put_double() must test the
 * magnitude before casting to int64_t, or this is undefined behaviour (and
 * clang's -fsanitize=undefined stops the binary here). */
/* What buf_put_double printed before it had fast paths. */
static const char *
dbl_reference(double v, char *tmp, size_t len)
{
	if (fabs(v) < 1e15 && v == (double)(int64_t)v) {
		snprintf(tmp, len, "%lld", (long long)v);
		return tmp;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, len, "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	return tmp;
}

/* Integers and milliseconds take a printf-free path; it prints what the
 * general one does. */
static void
test_put_double_fast(void)
{
	struct buf b;
	char ref[40];
	uint64_t x = 88172645463325252ULL;
	static const double edge[] = { 0.001, -0.001, 0.01, 0.1, 0.999, 1.001,
	    10.5, 100.25, 999999999999.999, -999999999999.999, 0.0005,
	    123456.789, 5e-324, 1e-7, 2.5e11, 1795919364.7946758,
	    1795919364.795, 0.1 + 0.2, 4503599627370495.5 };

	buf_init(&b);
	for (size_t i = 0; i < ARRAY_LEN(edge); i++)
		CHECK_STR(dbl(edge[i], &b), dbl_reference(edge[i], ref,
		    sizeof(ref)));
	for (int i = 0; i < 200000; i++) {
		double v;

		x ^= x << 13;	/* xorshift: the same numbers every run */
		x ^= x >> 7;
		x ^= x << 17;
		switch (i % 4) {
		case 0:	v = (double)(int64_t)(x % 2000000000000ULL) / 1e3; break;
		case 1:	v = (double)(x % 100000) / 1e3; break;
		case 2:	v = -(double)(x % 1000000000) / 1e3; break;
		default: v = (double)(x % 10000000000ULL) / 1e6; break;
		}
		unit_checks++;
		if (strcmp(dbl(v, &b), dbl_reference(v, ref, sizeof(ref))) != 0) {
			unit_failures++;
			fprintf(stderr, "%s:%d: %.17g printed %s, not %s\n",
			    __FILE__, __LINE__, v, b.data, ref);
			break;
		}
	}
	buf_free(&b);
}

static void
test_put_double_huge(void)
{
	struct buf b;

	buf_init(&b);
	CHECK_STR(dbl(1e20, &b), "1e+20");
	CHECK(reads_back(dbl(-1e300, &b), -1e300));
	CHECK(reads_back(dbl(18446744073709551616.0, &b),
	    18446744073709551616.0));
	CHECK(reads_back(dbl(-9.3e18, &b), -9.3e18));
	buf_free(&b);
}

/* Expands every family of a compact expo, in room-sized pieces. */
static void
expand_all(const struct expo *c, size_t room, struct buf *out)
{
	struct expo_bases b = { c->bases.data, c->base_off, c->n_bases };
	char *piece = xmalloc(room);

	for (size_t f = 0; f < F__COUNT; f++) {
		const struct buf *t = &c->fam[f];
		size_t pos = 0, before = out->len;

		while (pos < t->len) {
			size_t n = expo_expand((enum family)f, &b, t->data,
			    t->len, &pos, piece, room);

			if (n)
				buf_append(out, piece, n);
			else
				expo_expand_line((enum family)f, &b, t->data,
				    t->len, &pos, out);
		}
		CHECK_INT(out->len - before,
		    expo_expanded_len((enum family)f, &b, t->data, t->len));
	}
	free(piece);
}

/* The same samples added to a plain and a compact expo: expanded, the
 * compact one is the plain one byte for byte, whatever the piece size. */
static void
test_compact(void)
{
	struct expo plain, compact;
	struct buf want, got, base, other, empty;
	static const size_t rooms[] = { 1, 7, 64, 200, 1 << 16 };
	char v[16], *long1 = xmalloc(200), *long2 = xmalloc(40000);

	memset(long1, 'a', 199);
	long1[199] = '\0';
	memset(long2, '"', 39999);	/* escaped: twice as long */
	long2[39999] = '\0';
	expo_init(&plain);
	expo_init_compact(&compact);
	buf_init(&want);
	buf_init(&base);
	buf_init(&other);
	buf_init(&empty);
	labels_add(&base, "host", "mx.example");
	labels_add(&base, "address", "192.0.2.1");
	labels_add(&other, "host", "odd\"\\\nname\xff");
	for (int pass = 0; pass < 2; pass++) {
		struct expo *e = pass ? &compact : &plain;

		expo_add(e, F_TARGETS, NULL, 3, NULL);
		expo_add(e, F_PROBES_IN_FLIGHT, &empty, 1, "p", "smtp", NULL);
		expo_add(e, F_PROBE_SUCCESS, &base, 1, NULL);
		expo_add(e, F_PROBE_SUCCESS, &other, 0, NULL);
		expo_add(e, F_PROBE_DURATION, &base, 0.25, "phase", "tls\n", NULL);
		expo_add(e, F_PROBE_DURATION, &other, 1e-9, "phase", "x", NULL);
		/* Rests of 128 bytes and more take more length bytes. */
		expo_add(e, F_CERT_INFO, &base, 1, "subject", long1, NULL);
		expo_add(e, F_CERT_INFO, &other, 1, "subject", long2, NULL);
		expo_add(e, F_CERT_INFO, NULL, 1, "subject", long1, NULL);
		/* More label sets than tags: the rest go inline. */
		for (int i = 0; i < EXPO_BASES_MAX + 20; i++) {
			struct buf l;

			buf_init(&l);
			snprintf(v, sizeof(v), "h%d", i);
			labels_add(&l, "host", v);
			expo_add(e, F_CERT_VERIFIED, &l, i, NULL);
			expo_add(e, F_CERT_HOSTNAME_MATCH, &base, i, "k", v, NULL);
			buf_free(&l);
		}
	}
	CHECK_INT(compact.n_bases, EXPO_BASES_MAX);
	for (size_t f = 0; f < F__COUNT; f++)
		buf_append(&want, plain.fam[f].data, plain.fam[f].len);
	CHECK(want.len > 0);
	for (size_t r = 0; r < ARRAY_LEN(rooms); r++) {
		buf_init(&got);
		expand_all(&compact, rooms[r], &got);
		CHECK_INT(got.len, want.len);
		CHECK(got.len == want.len &&
		    memcmp(got.data, want.data, want.len) == 0);
		buf_free(&got);
	}
	/* Lines that share a label set take much less room. */
	CHECK(compact.fam[F_CERT_HOSTNAME_MATCH].len * 4 <
	    plain.fam[F_CERT_HOSTNAME_MATCH].len);
	/* Reset keeps nothing. */
	expo_reset(&compact);
	CHECK_INT(compact.n_bases, 0);
	CHECK_INT(compact.fam[F_TARGETS].len, 0);
	free(long1);
	free(long2);
	expo_free(&plain);
	expo_free(&compact);
	buf_free(&want);
	buf_free(&base);
	buf_free(&other);
	buf_free(&empty);
}

/* Whatever bytes a label value holds, the exposition is valid UTF-8: each
 * byte of an invalid sequence becomes U+FFFD, valid ones pass whole. */
static int
valid_utf8(const char *s, size_t n)
{
	size_t i = 0, len;
	uint32_t cp;

	while (i < n) {
		if ((len = utf8_next((const unsigned char *)s + i, n - i, &cp)) == 0)
			return 0;
		i += len;
	}
	return 1;
}

static void
test_label_utf8(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "caf\xc3\xa9", "caf\xc3\xa9" },			/* valid 2 bytes */
		{ "\xe2\x82\xac \xf0\x9f\x98\x80", "\xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "a\xff" "b", "a\xef\xbf\xbd" "b" },		/* never valid */
		{ "\x80", "\xef\xbf\xbd" },			/* lone continuation */
		{ "x\xc3", "x\xef\xbf\xbd" },			/* cut at the end */
		{ "\xc3\"", "\xef\xbf\xbd\\\"" },		/* cut by a quote */
		{ "\xe2\x82\n", "\xef\xbf\xbd\xef\xbf\xbd\\n" },	/* cut by a newline */
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong '/' */
		{ "\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* surrogate */
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* > U+10FFFF */
		{ "\xf8\x88\x80\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\\\xff\"", "\\\\\xef\xbf\xbd\\\"" },
	};
	struct expo e;
	struct buf l, out;
	char all[256], want[64];
	FILE *pc;
	int rc;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		buf_init(&l);
		labels_add(&l, "v", cases[i].in);
		snprintf(want, sizeof(want), "v=\"%s\"", cases[i].out);
		CHECK_STR(l.data, want);
		CHECK(valid_utf8(l.data, l.len));
		buf_free(&l);
	}
	/* Every byte value, and a random mess: valid UTF-8, and promtool
	 * takes the exposition. */
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	expo_init(&e);
	buf_init(&l);
	buf_init(&out);
	labels_add(&l, "host", all);
	expo_add(&e, F_PROBE_SUCCESS, &l, 1, NULL);
	srand(19);
	for (int n = 0; n < 200; n++) {
		char v[33];

		for (size_t j = 0; j + 1 < sizeof(v); j++)
			v[j] = (char)(1 + rand() % 255);
		v[sizeof(v) - 1] = '\0';
		expo_add(&e, F_CERT_INFO, &l, 1, "subject", v, "issuer", "x",
		    NULL);
	}
	expo_render(&e, &out);
	CHECK(valid_utf8(out.data, out.len));
	pc = popen("promtool check metrics >/dev/null 2>&1", "w");
	CHECK(pc != NULL);
	if (pc != NULL) {
		fwrite(out.data, 1, out.len, pc);
		rc = pclose(pc);
		CHECK(rc != -1 && WIFEXITED(rc));
		/* 0: clean; 1 would be lint only, 3 a parse error: the
		 * families are the exporter's own, so 0 (127: no promtool). */
		CHECK_INT(WEXITSTATUS(rc), 0);
	}
	buf_free(&out);
	buf_free(&l);
	expo_free(&e);
}

int
main(void)
{
	test_label_escaping();
	test_label_utf8();
	test_samples();
	test_render();
	test_family_table();
	test_put_double();
	test_put_double_huge();
	test_put_double_fast();
	test_compact();
	return unit_done("test_expo");
}
