/* The TLS audit's sequence of handshakes and how outcomes are read. */
#include <string.h>

#include "collectors/audit.h"
#include "tests/unit/unit.h"

/* The outcomes here are copied by value and never freed: their text fields
 * point into this ring of static buffers (an outcome's own strings would
 * be leaks). */
static char *
text(const char *s)
{
	static char ring[64][64];
	static unsigned k;
	char *slot = ring[k++ % 64];

	snprintf(slot, sizeof(ring[0]), "%s", s);
	return slot;
}

static struct probe_outcome
outcome(int tls_done, enum probe_reason reason, const char *cipher)
{
	struct probe_outcome o;

	probe_outcome_init(&o);
	o.tls.done = tls_done;
	o.success = tls_done;
	o.reason = reason;
	o.tls.cipher = text(cipher);
	o.tls.secure_renegotiation = 1;
	o.tls.kex_bits = 2048;
	return o;
}

static struct probe_outcome
outcome_kex(const char *version, const char *cipher, const char *group)
{
	struct probe_outcome o = outcome(1, REASON_NONE, cipher);

	snprintf(o.tls.version, sizeof(o.tls.version), "%s", version);
	o.tls.kex_group = text(group);
	return o;
}

/* A legacy server: TLS 1.0-1.2, no 1.3, anon refused, static RSA on,
 * DHE 1024, its own cipher order, x25519 and P-256 only, a phase-out suite
 * preferred to the sufficient ones. */
static struct probe_outcome
legacy(const struct audit_cursor *cur)
{
	switch (cur->step) {
	case AUDIT_VERSION:
		return cur->index == TLSV_1_3 ? outcome(0, REASON_TLS, "") :
		    outcome_kex(tls_ver_name(cur->index), "AES128-SHA", "");
	case AUDIT_WEAK:
		return cur->index == WEAK_STATIC_RSA ?
		    outcome(1, REASON_NONE, "AES128-SHA") :
		    outcome(0, REASON_TLS, "");
	case AUDIT_DHE: {
		struct probe_outcome o = outcome(1, REASON_NONE,
		    "DHE-RSA-AES128-SHA");

		o.tls.kex_bits = 1024;
		o.tls.kex_group = text("DH");
		return o;
	}
	case AUDIT_ORDER_A:
	case AUDIT_ORDER_B:
	case AUDIT_ORDER_C:
		return outcome_kex("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384",
		    "secp256r1");
	case AUDIT_CLASS:
	case AUDIT_RATE_ORDER:
		return outcome_kex("TLSv1.2", "ECDHE-RSA-AES128-SHA256",
		    "secp256r1");
	case AUDIT_GROUP:
		return cur->index == GROUP_X25519 ? outcome_kex("TLSv1.2",
		    "ECDHE-RSA-AES256-GCM-SHA384", "x25519") :
		    outcome(0, REASON_TLS, "");
	default:
		return outcome(0, REASON_CONN, "");
	}
}

static void
test_legacy(void)
{
	struct audit_cursor cur;
	struct tls_audit a;
	struct probe_params p;
	unsigned n = 0;
	unsigned testable = (1u << WEAK_NULL) | (1u << WEAK_ANON) |
	    (1u << WEAK_STATIC_RSA);

	tls_audit_init(&a);
	audit_begin(&cur, testable);
	for (;;) {
		struct probe_outcome o;

		memset(&p, 0, sizeof(p));
		audit_params(&cur, &p);
		if (cur.step == AUDIT_VERSION) {
			CHECK(p.tls_min == p.tls_max);
			CHECK(p.tls_min != 0);
		}
		if (cur.step == AUDIT_WEAK) {
			/* only testable classes are tried, never with 1.3 */
			CHECK(testable & (1u << cur.index));
			CHECK_INT(p.tls_max, TLS1_2_VERSION);
		}
		if (cur.step == AUDIT_ORDER_B)
			CHECK(strncmp(p.cipher_list, "AES128-SHA:AES128-GCM", 21) == 0);
		if (cur.step == AUDIT_ORDER_C)
			CHECK(strstr(p.cipher_list, ":!ECDHE-RSA-AES256-GCM-SHA384") != NULL);
		if (cur.step == AUDIT_CLASS) {
			/* pinned to the highest version below 1.3 */
			CHECK_INT(p.tls_min, TLS1_2_VERSION);
			CHECK_INT(p.tls_max, TLS1_2_VERSION);
			CHECK(strstr(p.cipher_list, "ECDHE-RSA-AES128-SHA256") != NULL);
		}
		if (cur.step == AUDIT_GROUP) {
			CHECK(p.groups != NULL);
			CHECK(cur.index != GROUP_SECP256R1);	/* proven */
			CHECK(kex_group_versions(cur.index) != GROUPV_TLS13);
		}
		if (cur.step == AUDIT_RATE_ORDER)
			CHECK(strncmp(p.cipher_list, "ECDHE-ECDSA-CAMELLIA256", 23) == 0);
		o = legacy(&cur);
		n++;
		if (!audit_record(&cur, &a, &o) || n > 40)
			break;
	}
	/* 4 versions + 3 weak + dhe + 3 order, then the ratings': the
	 * phase-out class (sufficient and insufficient are proven), 8 groups
	 * (4 any-version, 4 TLS 1.2 only; P-256 is proven, no FFDHE without
	 * TLS 1.3) and the order of phase-out against sufficient. */
	CHECK_INT(n, 11 + 1 + 8 + 1);
	CHECK_INT(a.handshakes, 21);
	CHECK_INT(tls_audit_class_accepted(&a, TLS_CLASS_GOOD), 0);
	CHECK_INT(tls_audit_class_accepted(&a, TLS_CLASS_SUFFICIENT), 1);
	CHECK_INT(tls_audit_class_accepted(&a, TLS_CLASS_PHASE_OUT), 1);
	CHECK_INT(tls_audit_class_accepted(&a, TLS_CLASS_INSUFFICIENT), 1);
	CHECK_INT(a.group_accepted[GROUP_X25519], 1);
	CHECK_INT(a.group_accepted[GROUP_SECP256R1], 1);
	CHECK_INT(a.group_accepted[GROUP_X448], 0);
	CHECK_INT(a.group_accepted[GROUP_FFDHE2048], -1);
	CHECK_INT(a.dh_custom_bits, 1024);
	CHECK_INT(a.cipher_order_kept, 0);
	CHECK_STR(a.order_violation, "ECDHE-RSA-AES128-SHA256");
	CHECK_INT(a.extms, 0);
	{
		struct endpoint_rating r;

		rating_endpoint(NULL, &a, &r);
		CHECK_INT(r.check[RATE_VERSION].cls, TLS_CLASS_INSUFFICIENT);
		CHECK_INT(r.check[RATE_CIPHER].cls, TLS_CLASS_INSUFFICIENT);
		CHECK_INT(r.check[RATE_KEX].cls, TLS_CLASS_INSUFFICIENT);
		CHECK(strstr(r.check[RATE_KEX].reason, "DH-1024") != NULL);
		CHECK_INT(r.check[RATE_CIPHER_ORDER].cls, TLS_CLASS_INSUFFICIENT);
		CHECK_INT(r.check[RATE_RENEGOTIATION].cls, TLS_CLASS_GOOD);
		CHECK_INT(r.check[RATE_EXTENDED_MASTER_SECRET].cls,
		    TLS_CLASS_INSUFFICIENT);
		CHECK_INT(r.check[RATE_COMPRESSION].cls, TLS_CLASS_UNKNOWN);
		CHECK_INT(r.check[RATE_CERT_KEY].cls, TLS_CLASS_UNKNOWN);
		CHECK_INT(r.worst, TLS_CLASS_INSUFFICIENT);
		CHECK_INT(r.worst_check, RATE_VERSION);
	}
	CHECK_INT(a.version_accepted[TLSV_1_0], 1);
	CHECK_INT(a.version_accepted[TLSV_1_1], 1);
	CHECK_INT(a.version_accepted[TLSV_1_2], 1);
	CHECK_INT(a.version_accepted[TLSV_1_3], 0);
	CHECK_INT(a.weak_accepted[WEAK_NULL], 0);
	CHECK_INT(a.weak_accepted[WEAK_ANON], 0);
	CHECK_INT(a.weak_accepted[WEAK_STATIC_RSA], 1);
	CHECK_INT(a.weak_accepted[WEAK_3DES], -1);	/* not testable */
	CHECK_INT(a.dhe_bits, 1024);
	CHECK_INT(a.server_cipher_order, 1);
	CHECK_INT(a.secure_renegotiation, 1);
	CHECK(a.ran);
}

/* TLS 1.3 only: no order test, weak classes refused, connection trouble
 * in one handshake leaves that answer unknown. */
static void
test_modern(void)
{
	struct audit_cursor cur;
	struct tls_audit a;
	struct probe_params p;
	unsigned n = 0;

	tls_audit_init(&a);
	audit_begin(&cur, 1u << WEAK_NULL);
	for (;;) {
		struct probe_outcome o;

		audit_params(&cur, &p);
		if (cur.step == AUDIT_VERSION && cur.index == TLSV_1_3)
			o = outcome_kex("TLSv1.3", "TLS_AES_256_GCM_SHA384",
			    "x25519");
		else if (cur.step == AUDIT_GROUP && cur.index == GROUP_SECP256R1)
			o = outcome_kex("TLSv1.3", "TLS_AES_256_GCM_SHA384",
			    "secp256r1");
		else if (cur.step == AUDIT_VERSION && cur.index == TLSV_1_0)
			o = outcome(0, REASON_TIMEOUT, "");
		else
			o = outcome(0, REASON_TLS, "");
		n++;
		if (!audit_record(&cur, &a, &o) || n > 40)
			break;
	}
	/* 4 versions, null, dhe; TLS 1.3 sufficient and insufficient
	 * classes (good is proven); the groups but x25519 (proven) and those
	 * of TLS 1.2 only: 4 ECDHE, ffdhe2048 and one for ffdhe3072-8192. */
	CHECK_INT(n, 6 + 2 + 4 + 2);
	CHECK_INT(a.group_accepted[GROUP_FFDHE8192], 0);
	CHECK_INT(a.suites[1][TLS_CLASS_GOOD], 1);
	CHECK_INT(a.suites[1][TLS_CLASS_SUFFICIENT], 0);
	CHECK_INT(a.suites[0][TLS_CLASS_PHASE_OUT], -1);	/* TLS 1.0 timed out */
	CHECK_INT(a.group_accepted[GROUP_X25519], 1);
	CHECK_INT(a.group_accepted[GROUP_SECP256R1], 1);
	CHECK_INT(a.group_accepted[GROUP_FFDHE2048], 0);
	CHECK_INT(a.group_accepted[GROUP_BRAINPOOLP256R1], -1);
	CHECK_INT(a.cipher_order_kept, -1);
	CHECK_INT(a.version_accepted[TLSV_1_0], -1);
	CHECK_INT(a.version_accepted[TLSV_1_3], 1);
	CHECK_INT(a.dhe_bits, 0);
	CHECK_INT(a.server_cipher_order, -1);
	CHECK_INT(a.secure_renegotiation, -1);
}

/* Client order followed: B picks another suite. */
static void
test_client_order(void)
{
	struct audit_cursor cur;
	struct tls_audit a;
	struct probe_params p;
	unsigned n = 0;

	tls_audit_init(&a);
	audit_begin(&cur, 0);
	for (;;) {
		struct probe_outcome o;

		audit_params(&cur, &p);
		if (cur.step == AUDIT_ORDER_A)
			o = outcome(1, REASON_NONE, "ECDHE-RSA-AES256-GCM-SHA384");
		else if (cur.step == AUDIT_ORDER_B)
			o = outcome(1, REASON_NONE, "AES128-SHA");
		else
			o = outcome(1, REASON_NONE, "X");
		n++;
		if (!audit_record(&cur, &a, &o) || n > 40)
			break;
	}
	CHECK_INT(a.server_cipher_order, 0);
	/* 4 versions, dhe, 2 order; 3 TLS 1.3 classes and the phase-out one
	 * ("X" is insufficient; A proved sufficient), 9 ECDHE groups,
	 * ffdhe2048, one handshake for ffdhe3072-8192 */
	CHECK_INT(n, 4 + 1 + 2 + 4 + 11);
	CHECK_INT(a.cipher_order_kept, -2);
}

/* One suite only: order C refused, the order stays unknown. */
static void
test_single_suite(void)
{
	struct audit_cursor cur;
	struct tls_audit a;
	struct probe_params p;

	tls_audit_init(&a);
	audit_begin(&cur, 0);
	for (int n = 0; n < 40; n++) {
		struct probe_outcome o;

		audit_params(&cur, &p);
		o = cur.step == AUDIT_ORDER_C ? outcome(0, REASON_TLS, "") :
		    outcome(1, REASON_NONE, "AES128-SHA");
		if (!audit_record(&cur, &a, &o))
			break;
	}
	CHECK_INT(a.server_cipher_order, -1);
}

/* The injection test: first on a STARTTLS endpoint, only there the NOOP
 * variant, and how its outcomes read. */
static int
injection_run(struct probe_outcome o)
{
	struct audit_cursor cur;
	struct tls_audit a;
	struct probe_params p;

	tls_audit_init(&a);
	audit_begin(&cur, 0);
	audit_test_injection(&cur);
	CHECK_INT(cur.step, AUDIT_INJECTION);
	memset(&p, 0, sizeof(p));
	audit_params(&cur, &p);
	CHECK_INT(p.starttls_inject, 1);
	CHECK_INT(p.tls_min, 0);
	CHECK(p.cipher_list == NULL);
	CHECK_INT(audit_record(&cur, &a, &o), 1);
	CHECK_INT(cur.step, AUDIT_VERSION);
	audit_params(&cur, &p);
	CHECK_INT(p.starttls_inject, 0);	/* the NOOP only once */
	return a.starttls_injection;
}

static void
test_injection(void)
{
	struct probe_outcome o = outcome(1, REASON_NONE, "TLS_AES_256_GCM_SHA384");
	struct audit_cursor cur;
	struct tls_audit a;

	o.starttls_injection = 1;
	CHECK_INT(injection_run(o), 1);
	o.starttls_injection = 0;
	CHECK_INT(injection_run(o), 0);
	/* TLS up but the goodbye told nothing (a timeout in quit) */
	o.starttls_injection = -1;
	CHECK_INT(injection_run(o), -1);
	/* STARTTLS accepted, then the server closed instead of the handshake
	 * (Dovecot's defence), or answered in clear text first: sound */
	o = outcome(0, REASON_CONN, "");
	o.fail_step = STEP_TLS_HANDSHAKE;
	CHECK_INT(injection_run(o), 0);
	o.reason = REASON_PROTO;
	CHECK_INT(injection_run(o), 0);
	/* failed before STARTTLS was through: not learnt */
	o.fail_step = STEP_STARTTLS;
	o.reason = REASON_RESP;
	CHECK_INT(injection_run(o), -1);
	o.fail_step = STEP_BANNER;
	o.reason = REASON_TIMEOUT;
	CHECK_INT(injection_run(o), -1);
	/* without audit_test_injection (implicit TLS) it never runs */
	tls_audit_init(&a);
	audit_begin(&cur, 0);
	CHECK_INT(cur.step, AUDIT_VERSION);
	CHECK_INT(a.starttls_injection, -1);
}

int
main(void)
{
	unsigned mask = weak_classes_testable();

	/* Debian 12's OpenSSL 3.0 has NULL, anon and static RSA, and MD5
	 * only as NULL-MD5; no EXPORT, DES, 3DES or RC4 at all. */
	CHECK(mask & (1u << WEAK_NULL));
	CHECK(mask & (1u << WEAK_ANON));
	CHECK(mask & (1u << WEAK_STATIC_RSA));
	CHECK(!(mask & (1u << WEAK_3DES)));
	CHECK(!(mask & (1u << WEAK_RC4)));
	CHECK_STR(tls_ver_name(TLSV_1_0), "TLSv1");
	CHECK_STR(tls_ver_name(TLSV_1_3), "TLSv1.3");
	CHECK_STR(weak_class_name(WEAK_STATIC_RSA), "static_rsa");
	test_legacy();
	test_modern();
	test_client_order();
	test_single_suite();
	test_injection();
	return unit_done("test_audit");
}
