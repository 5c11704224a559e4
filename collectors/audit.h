/* The TLS audit: extra handshakes, each pinned to one protocol version or
 * one class of weak cipher suites, that tell what a server still accepts.
 * Each variant is a whole probe session (STARTTLS included) with its own
 * TLS settings; the variants of one endpoint run one after another. */
#ifndef MAILSEC_AUDIT_H
#define MAILSEC_AUDIT_H

#include "collectors/probe.h"
#include "collectors/rating.h"

enum tls_ver {
	TLSV_1_0,
	TLSV_1_1,
	TLSV_1_2,
	TLSV_1_3,
	TLSV__COUNT
};

enum weak_class {
	WEAK_NULL,
	WEAK_ANON,
	WEAK_EXPORT,
	WEAK_DES,
	WEAK_3DES,
	WEAK_RC4,
	WEAK_MD5,
	WEAK_STATIC_RSA,
	WEAK__COUNT
};

/* The handshakes of an audit, in the order they run. */
enum audit_step {
	AUDIT_INJECTION,	/* STARTTLS with a NOOP in the same write
				 * (audit_test_injection) */
	AUDIT_VERSION,		/* one per enum tls_ver */
	AUDIT_WEAK,		/* one per testable weak class */
	AUDIT_DHE,		/* DHE suites only: the group size */
	AUDIT_ORDER_A,		/* cipher order: our list */
	AUDIT_ORDER_B,		/* the same list reversed */
	AUDIT_ORDER_C,		/* the chosen suite left out */
	AUDIT_CLASS,		/* one per suite class and version family
				 * not yet proven (the ratings) */
	AUDIT_GROUP,		/* one per key exchange group not yet proven */
	AUDIT_RATE_ORDER,	/* phase-out suites first, then sufficient */
	AUDIT_DONE,
};

/* What the audit found for one endpoint; -1 means not learnt.  A result
 * holds one made by tls_audit_new(), shared by reference count with every
 * endpoint it serves (share = on, and carried over between audits). */
struct tls_audit {
	unsigned	 refs;		/* holders (tls_audit_new) */
	int		 ran;
	double		 finished;	/* wall clock */
	double		 duration_s;
	unsigned	 handshakes;
	signed char	 version_accepted[TLSV__COUNT];
	signed char	 weak_accepted[WEAK__COUNT];
	int		 dhe_bits;		/* -1 unknown, 0 no DHE */
	signed char	 server_cipher_order;
	signed char	 secure_renegotiation;
	signed char	 starttls_injection;	/* CVE-2011-0411 and kin */
	char		 order_a[64];		/* suite chosen from list A */
	char		 order_b[64];
	/* What the ratings need (rating.c).  Suite classes accepted, by
	 * version family: [0] TLS <= 1.2, [1] TLS 1.3. */
	signed char	 suites[2][TLS_CLASS__COUNT];
	char		 class_example[TLS_CLASS__COUNT][64];	/* first seen */
	signed char	 group_accepted[GROUP__COUNT];
	int		 dh_custom_bits;	/* a TLS <= 1.2 DHE group that is no
						 * RFC 7919 group: its size; 0 */
	/* 1 the server chose a sufficient suite over phase-out ones offered
	 * first, 0 it chose a phase-out one (order_violation), -2 not
	 * applicable, -1 not learnt. */
	signed char	 cipher_order_kept;
	char		 order_violation[64];
	signed char	 extms;			/* in TLS 1.2; -1 not learnt */
	signed char	 compression;		/* -1 not learnt (untestable) */
};

/* Where the audit is: the next handshake to run. */
struct audit_cursor {
	enum audit_step	 step;
	unsigned	 index;		/* version or weak class */
	unsigned	 testable;	/* weak classes this OpenSSL offers */
	uint64_t	 started_ms;
	char		 cipher_list[2048];
	char		 tls13_suites[160];
	char		 group[48];
	unsigned	 pinned;		/* enum tls_ver of class probes */
	unsigned	 unknown_classes[2];	/* bit per class: a try failed
						 * before TLS or was impossible */
};

const char *tls_ver_name(enum tls_ver v);
const char *weak_class_name(enum weak_class c);
/* The weak classes (bit 1 << class) this OpenSSL build can offer at all;
 * computed once at start: it builds a context per class. */
unsigned weak_classes_testable(void);

void tls_audit_init(struct tls_audit *a);
/* A new audit as tls_audit_init() makes it, held once. */
struct tls_audit *tls_audit_new(void);
/* One more holder of a (NULL fine); a. */
struct tls_audit *tls_audit_hold(struct tls_audit *a);
/* A holder lets go of a (NULL fine); the last frees it. */
void tls_audit_drop(struct tls_audit *a);
/* No audit, as readers see it: as tls_audit_init() leaves one. */
const struct tls_audit *tls_audit_none(void);
/* Takes in what a finished handshake proves (suite class, group, EMS):
 * the main probe's before the audit begins, each audit handshake's. */
void tls_audit_learn(struct tls_audit *a, const struct tls_facts *t);
/* 1 a suite of class c is accepted (any version), 0 none, -1 not known. */
int tls_audit_class_accepted(const struct tls_audit *a, int c);
/* Positions the cursor on the first handshake. */
void audit_begin(struct audit_cursor *cur, unsigned testable);
/* The endpoint upgrades with STARTTLS: the audit tests the injection flaw
 * first (call after audit_begin). */
void audit_test_injection(struct audit_cursor *cur);
/* Fills p's TLS variant for the cursor's handshake. */
void audit_params(struct audit_cursor *cur, struct probe_params *p);
/* Records the outcome of the cursor's handshake, then moves the cursor on
 * (skipping what is pointless).  Returns 0 when the audit is over. */
int audit_record(struct audit_cursor *cur, struct tls_audit *a,
    const struct probe_outcome *out);

#endif
