#include "collectors/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "base/util.h"

static const struct {
	const char	*name;		/* OpenSSL's spelling, as SSL_get_version */
	int		 version;
} tls_versions[TLSV__COUNT] = {
	[TLSV_1_0] = { "TLSv1", TLS1_VERSION },
	[TLSV_1_1] = { "TLSv1.1", TLS1_1_VERSION },
	[TLSV_1_2] = { "TLSv1.2", TLS1_2_VERSION },
	[TLSV_1_3] = { "TLSv1.3", TLS1_3_VERSION },
};

static const struct {
	const char	*name;
	const char	*ciphers;	/* OpenSSL cipher list of the class */
} weak_classes[WEAK__COUNT] = {
	[WEAK_NULL] = { "null", "eNULL:@SECLEVEL=0" },
	[WEAK_ANON] = { "anon", "aNULL:!eNULL:@SECLEVEL=0" },
	[WEAK_EXPORT] = { "export", "EXPORT:@SECLEVEL=0" },
	[WEAK_DES] = { "des", "DES:!3DES:@SECLEVEL=0" },
	[WEAK_3DES] = { "3des", "3DES:@SECLEVEL=0" },
	[WEAK_RC4] = { "rc4", "RC4:@SECLEVEL=0" },
	[WEAK_MD5] = { "md5", "MD5:@SECLEVEL=0" },
	[WEAK_STATIC_RSA] = { "static_rsa", "kRSA:@SECLEVEL=0" },
};

/* Order test: suites most servers have, strongest first. */
#define ORDER_LIST "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:" \
	"DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:" \
	"AES256-GCM-SHA384:AES128-GCM-SHA256:AES128-SHA"

const char *
tls_ver_name(enum tls_ver v)
{
	return (unsigned)v < TLSV__COUNT ? tls_versions[v].name : "unknown";
}

const char *
weak_class_name(enum weak_class c)
{
	return (unsigned)c < WEAK__COUNT ? weak_classes[c].name : "unknown";
}

static int
weak_class_probe(enum weak_class c)
{
	SSL_CTX *ctx;
	int ok;

	if ((unsigned)c >= WEAK__COUNT ||
	    (ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return 0;
	SSL_CTX_set_security_level(ctx, 0);
	ok = SSL_CTX_set_cipher_list(ctx, weak_classes[c].ciphers) == 1;
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return ok;
}

unsigned
weak_classes_testable(void)
{
	unsigned mask = 0;

	for (unsigned c = 0; c < WEAK__COUNT; c++)
		if (weak_class_probe((enum weak_class)c))
			mask |= 1u << c;
	return mask;
}

void
tls_audit_init(struct tls_audit *a)
{
	memset(a, 0, sizeof(*a));
	memset(a->version_accepted, -1, sizeof(a->version_accepted));
	memset(a->weak_accepted, -1, sizeof(a->weak_accepted));
	a->dhe_bits = -1;
	a->server_cipher_order = -1;
	a->secure_renegotiation = -1;
	a->starttls_injection = -1;
	memset(a->suites, -1, sizeof(a->suites));
	memset(a->group_accepted, -1, sizeof(a->group_accepted));
	a->cipher_order_kept = -1;
	a->extms = -1;
	a->compression = -1;
}

struct tls_audit *
tls_audit_new(void)
{
	struct tls_audit *a = xmalloc(sizeof(*a));

	tls_audit_init(a);
	a->refs = 1;
	return a;
}

struct tls_audit *
tls_audit_hold(struct tls_audit *a)
{
	if (a != NULL)
		a->refs++;
	return a;
}

void
tls_audit_drop(struct tls_audit *a)
{
	if (a != NULL && --a->refs == 0)
		free(a);
}

const struct tls_audit *
tls_audit_none(void)
{
	static struct tls_audit none;
	static int ready;

	if (!ready) {
		tls_audit_init(&none);
		ready = 1;
	}
	return &none;
}

void
tls_audit_learn(struct tls_audit *a, const struct tls_facts *t)
{
	int fam, cls, g;

	if (!t->done)
		return;
	fam = strcmp(t->version, "TLSv1.3") == 0;
	if ((cls = rating_cipher_class(t->cipher)) >= 0) {
		a->suites[fam][cls] = 1;
		if (a->class_example[cls][0] == '\0')
			snprintf(a->class_example[cls],
			    sizeof(a->class_example[cls]), "%s", t->cipher);
	}
	if ((g = kex_group_lookup(t->kex_group)) >= 0)
		a->group_accepted[g] = 1;
	else if (strcmp(t->kex_group, "DH") == 0) {
		/* TLS <= 1.2 DHE names no group: its prime tells. */
		if ((g = kex_group_lookup(t->dh_group)) >= 0)
			a->group_accepted[g] = 1;
		else if (t->kex_bits > 0)
			a->dh_custom_bits = t->kex_bits;
	}
	if (strcmp(t->version, "TLSv1.2") == 0 && a->extms != 1)
		a->extms = (signed char)(t->extms == 1);
	/* This client offers no compression (OpenSSL 3 without zlib methods),
	 * so a server can only be caught, never cleared. */
	if (t->compression)
		a->compression = 1;
}

int
tls_audit_class_accepted(const struct tls_audit *a, int c)
{
	if (c < 0 || c >= TLS_CLASS__COUNT)
		return -1;
	if (a->suites[0][c] == 1 || a->suites[1][c] == 1)
		return 1;
	if (a->suites[0][c] == -1 || a->suites[1][c] == -1)
		return -1;
	return 0;
}

/* The ratings' suite-class handshakes, in order: TLS 1.3 first, then the
 * highest TLS <= 1.2 version the server accepts (as internet.nl probes). */
static const struct {
	int	 cls;
	int	 tls13;
} class_probes[] = {
	{ TLS_CLASS_GOOD, 1 },
	{ TLS_CLASS_SUFFICIENT, 1 },
	{ TLS_CLASS_INSUFFICIENT, 1 },
	{ TLS_CLASS_PHASE_OUT, 0 },
	{ TLS_CLASS_SUFFICIENT, 0 },
	{ TLS_CLASS_INSUFFICIENT, 0 },
};
#define N_CLASS_PROBES (sizeof(class_probes) / sizeof(class_probes[0]))

/* The highest accepted version below TLS 1.3, or -1 (*unknown set if one
 * could not be tried). */
static int
highest_tls12(const struct tls_audit *a, int *unknown)
{
	*unknown = 0;
	for (int v = TLSV_1_2; v >= TLSV_1_0; v--) {
		if (a->version_accepted[v] == 1)
			return v;
		if (a->version_accepted[v] == -1)
			*unknown = 1;
	}
	return -1;
}

/* Whether class probe i still has something to learn; what it could not
 * learn without a handshake is recorded here. */
static int
class_probe_needed(struct audit_cursor *cur, struct tls_audit *a, unsigned i)
{
	int cls = class_probes[i].cls, fam = class_probes[i].tls13, unk, h;

	if (a->suites[fam][cls] == 1)
		return 0;
	if (fam) {
		if (a->version_accepted[TLSV_1_3] == 1)
			return 1;
		if (a->version_accepted[TLSV_1_3] == -1)
			cur->unknown_classes[fam] |= 1u << cls;
		return 0;
	}
	h = highest_tls12(a, &unk);
	if (h < 0 && unk)
		cur->unknown_classes[fam] |= 1u << cls;
	/* The sufficient and phase-out suites are all TLS 1.2 suites. */
	if (h < 0 || (cls != TLS_CLASS_INSUFFICIENT && h < TLSV_1_2))
		return 0;
	/* Sufficient is known from TLS 1.3: TLS 1.2's only matters for the
	 * cipher order, which needs phase-out suites. */
	if (cls == TLS_CLASS_SUFFICIENT && a->suites[1][cls] == 1 &&
	    a->suites[0][TLS_CLASS_PHASE_OUT] != 1)
		return 0;
	return 1;
}

/* ffdhe3072-8192: one class (phase out), and the costly groups (the
 * client's key share alone is ~0.1 s of CPU for ffdhe8192).  One
 * handshake offers them all; a refusal answers for each, an acceptance
 * names one, and the others cannot change the rating. */
static int
ffdhe_phase_out(unsigned g)
{
	return g >= GROUP_FFDHE3072 && g <= GROUP_FFDHE8192;
}

static int
ffdhe_phase_out_proven(const struct tls_audit *a)
{
	if (a->group_accepted[GROUP_FFDHE2048] == 1)
		return 1;	/* worse already: they cannot change kex */
	for (unsigned g = GROUP_FFDHE3072; g <= GROUP_FFDHE8192; g++)
		if (a->group_accepted[g] == 1)
			return 1;
	return 0;
}

static int
group_probe_needed(const struct tls_audit *a, unsigned g)
{
	int unk;

	if (a->group_accepted[g] == 1)
		return 0;
	if (ffdhe_phase_out(g) && (g != GROUP_FFDHE3072 ||
	    ffdhe_phase_out_proven(a)))
		return 0;
	switch (kex_group_versions((enum kex_group)g)) {
	case GROUPV_TLS13:
		return a->version_accepted[TLSV_1_3] == 1;
	case GROUPV_TLS12:
		return highest_tls12(a, &unk) >= 0;
	case GROUPV_ANY:
		break;
	}
	for (unsigned v = 0; v < TLSV__COUNT; v++)
		if (a->version_accepted[v] == 1)
			return 1;
	return 0;
}

/* What the class probes did not prove accepted and did not fail to try
 * is refused. */
static void
classes_settle(struct audit_cursor *cur, struct tls_audit *a)
{
	for (int fam = 0; fam < 2; fam++)
		for (int c = 0; c < TLS_CLASS__COUNT; c++)
			if (a->suites[fam][c] == -1 &&
			    !(cur->unknown_classes[fam] & (1u << c)))
				a->suites[fam][c] = 0;
}

/* Moves the cursor past the ratings' handshakes that have nothing to
 * learn. */
static void
skip_known(struct audit_cursor *cur, struct tls_audit *a)
{
	if (cur->step == AUDIT_CLASS) {
		while (cur->index < N_CLASS_PROBES &&
		    !class_probe_needed(cur, a, cur->index))
			cur->index++;
		if (cur->index < N_CLASS_PROBES)
			return;
		classes_settle(cur, a);
		cur->step = AUDIT_GROUP;
		cur->index = 0;
	}
	if (cur->step == AUDIT_GROUP) {
		while (cur->index < GROUP__COUNT &&
		    !group_probe_needed(a, cur->index))
			cur->index++;
		if (cur->index < GROUP__COUNT)
			return;
		cur->step = AUDIT_RATE_ORDER;
		cur->index = 0;
	}
	if (cur->step == AUDIT_RATE_ORDER) {
		/* internet.nl's test: each better TLS 1.2 suite preferred to
		 * the phase-out ones; nothing to compare is "not applicable". */
		if (a->suites[0][TLS_CLASS_PHASE_OUT] == 1 &&
		    a->suites[0][TLS_CLASS_SUFFICIENT] == 1 &&
		    a->version_accepted[TLSV_1_2] == 1)
			return;
		a->cipher_order_kept = a->suites[0][TLS_CLASS_PHASE_OUT] == -1 ||
		    a->suites[0][TLS_CLASS_SUFFICIENT] == -1 ? -1 : -2;
		cur->step = AUDIT_DONE;
	}
}

static void
skip_untestable(struct audit_cursor *cur)
{
	while (cur->step == AUDIT_WEAK && cur->index < WEAK__COUNT &&
	    !(cur->testable & (1u << cur->index)))
		cur->index++;
	if (cur->step == AUDIT_WEAK && cur->index >= WEAK__COUNT) {
		cur->step = AUDIT_DHE;
		cur->index = 0;
	}
}

void
audit_begin(struct audit_cursor *cur, unsigned testable)
{
	memset(cur, 0, sizeof(*cur));
	cur->step = AUDIT_VERSION;
	cur->testable = testable;
	cur->started_ms = now_ms();
}

void
audit_test_injection(struct audit_cursor *cur)
{
	cur->step = AUDIT_INJECTION;
	cur->index = 0;
}

/* ORDER_LIST reversed, for the second order handshake. */
static void
reverse_list(const char *list, char *out, size_t outlen)
{
	const char *end = list + strlen(list), *p = end;
	size_t o = 0;

	out[0] = '\0';
	while (p > list) {
		const char *start = p;

		while (start > list && start[-1] != ':')
			start--;
		o += (size_t)snprintf(out + o, o < outlen ? outlen - o : 0, "%s%.*s",
		    o ? ":" : "", (int)(p - start), start);
		p = start > list ? start - 1 : list;
	}
}

/* A suite-class handshake: only that class, TLS 1.3 or the highest
 * accepted version below it. */
static void
params_class(struct audit_cursor *cur, struct probe_params *p)
{
	int cls = class_probes[cur->index].cls;

	if (class_probes[cur->index].tls13) {
		p->tls_min = p->tls_max = TLS1_3_VERSION;
		rating_class_ciphers(cls, 1, cur->tls13_suites,
		    sizeof(cur->tls13_suites));
		p->tls13_suites = cur->tls13_suites;
		return;
	}
	p->tls_min = p->tls_max = tls_versions[cur->pinned].version;
	rating_class_ciphers(cls, 0, cur->cipher_list, sizeof(cur->cipher_list));
	p->cipher_list = cur->cipher_list;
}

void
audit_params(struct audit_cursor *cur, struct probe_params *p)
{
	p->tls_min = p->tls_max = 0;
	p->cipher_list = NULL;
	p->tls13_suites = NULL;
	p->groups = NULL;
	p->starttls_inject = 0;
	switch (cur->step) {
	case AUDIT_INJECTION:	/* the default handshake: it is known to work */
		p->starttls_inject = 1;
		break;
	case AUDIT_VERSION:
		p->tls_min = p->tls_max = tls_versions[cur->index].version;
		p->cipher_list = "ALL:COMPLEMENTOFALL:@SECLEVEL=0";
		break;
	case AUDIT_WEAK:
		/* TLS 1.3 suites are not affected by a cipher list: keep them
		 * out so that only the class can succeed. */
		p->tls_max = TLS1_2_VERSION;
		p->cipher_list = weak_classes[cur->index].ciphers;
		break;
	case AUDIT_DHE:
		p->tls_max = TLS1_2_VERSION;
		p->cipher_list = "kDHE:@SECLEVEL=0";
		break;
	case AUDIT_ORDER_A:
		p->tls_max = p->tls_min = TLS1_2_VERSION;
		p->cipher_list = ORDER_LIST ":@SECLEVEL=0";
		break;
	case AUDIT_ORDER_B:
		p->tls_max = p->tls_min = TLS1_2_VERSION;
		reverse_list(ORDER_LIST, cur->cipher_list, sizeof(cur->cipher_list));
		p->cipher_list = cur->cipher_list;
		break;
	case AUDIT_ORDER_C:
		p->tls_max = p->tls_min = TLS1_2_VERSION;
		p->cipher_list = cur->cipher_list;	/* set by audit_record */
		break;
	case AUDIT_CLASS:
		params_class(cur, p);
		break;
	case AUDIT_GROUP:
		snprintf(cur->group, sizeof(cur->group), "%s",
		    cur->index == GROUP_FFDHE3072 ?
		    "ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192" :
		    kex_group_name(cur->index));
		p->groups = cur->group;
		/* Key exchange by that group only: ECDHE suites in TLS <= 1.2. */
		p->cipher_list = "kECDHE:@SECLEVEL=0";
		switch (kex_group_versions(cur->index)) {
		case GROUPV_TLS13:
			p->tls_min = p->tls_max = TLS1_3_VERSION;
			break;
		case GROUPV_TLS12:
			p->tls_max = TLS1_2_VERSION;
			break;
		case GROUPV_ANY:
			break;
		}
		break;
	case AUDIT_RATE_ORDER:
		p->tls_min = p->tls_max = TLS1_2_VERSION;
		rating_order_ciphers(cur->cipher_list, sizeof(cur->cipher_list));
		p->cipher_list = cur->cipher_list;
		break;
	case AUDIT_DONE:
		break;
	}
}

/* The audit's own handshakes are over: on to the ratings' ones. */
static void
to_ratings(struct audit_cursor *cur)
{
	cur->step = AUDIT_CLASS;
	cur->index = 0;
}

/* Did this handshake get through?  1 yes, 0 refused by the TLS layer, -1
 * failed before TLS (unknown). */
static int
accepted(const struct probe_outcome *out)
{
	if (out->tls.done)
		return 1;
	if (out->reason == REASON_TLS)
		return 0;
	return -1;
}

/* The injection test's verdict.  The session tells it when TLS came up;
 * when the server accepted STARTTLS and then ended the session at the
 * handshake instead (Dovecot closes on data pipelined after STARTTLS), or
 * answered the NOOP in clear text before it, it did not run the command
 * inside TLS: not vulnerable.  The default handshake is known to work
 * with this server: the probe before the audit made it. */
static int
injection_verdict(const struct probe_outcome *out)
{
	if (out->starttls_injection >= 0)
		return out->starttls_injection;
	if (!out->tls.done && out->fail_step == STEP_TLS_HANDSHAKE &&
	    (out->reason == REASON_CONN || out->reason == REASON_TLS ||
	    out->reason == REASON_PROTO))
		return 0;
	return -1;
}

int
audit_record(struct audit_cursor *cur, struct tls_audit *a,
    const struct probe_outcome *out)
{
	int ok = accepted(out);

	a->ran = 1;
	a->handshakes++;
	tls_audit_learn(a, &out->tls);
	switch (cur->step) {
	case AUDIT_INJECTION:
		a->starttls_injection = (signed char)injection_verdict(out);
		cur->step = AUDIT_VERSION;
		break;
	case AUDIT_VERSION:
		a->version_accepted[cur->index] = (signed char)ok;
		if (ok == 1 && cur->index <= TLSV_1_2)
			a->secure_renegotiation =
			    (signed char)out->tls.secure_renegotiation;
		if (++cur->index == TLSV__COUNT) {
			cur->step = AUDIT_WEAK;
			cur->index = 0;
		}
		break;
	case AUDIT_WEAK:
		a->weak_accepted[cur->index] = (signed char)ok;
		cur->index++;
		break;
	case AUDIT_DHE:
		if (ok == 1)
			a->dhe_bits = out->tls.kex_bits;
		else if (ok == 0)
			a->dhe_bits = 0;
		cur->step = AUDIT_ORDER_A;
		/* Order needs TLS 1.2: without it there is nothing to learn. */
		if (a->version_accepted[TLSV_1_2] != 1)
			to_ratings(cur);
		break;
	case AUDIT_ORDER_A:
		if (ok != 1) {
			to_ratings(cur);
			break;
		}
		snprintf(a->order_a, sizeof(a->order_a), "%s", out->tls.cipher);
		cur->step = AUDIT_ORDER_B;
		break;
	case AUDIT_ORDER_B:
		if (ok != 1) {
			to_ratings(cur);
			break;
		}
		snprintf(a->order_b, sizeof(a->order_b), "%s", out->tls.cipher);
		if (strcmp(a->order_a, a->order_b) != 0) {
			a->server_cipher_order = 0;	/* it followed us */
			to_ratings(cur);
			break;
		}
		/* Same choice both ways: the server's order, unless that
		 * suite is the only one it has in our list. */
		snprintf(cur->cipher_list, sizeof(cur->cipher_list),
		    ORDER_LIST ":!%s:@SECLEVEL=0", a->order_a);
		cur->step = AUDIT_ORDER_C;
		break;
	case AUDIT_ORDER_C:
		/* Another suite was there, yet the server chose the same one
		 * whatever our order: it enforces its own.  Refused: that was
		 * its only suite, and the order cannot be told. */
		if (ok == 1)
			a->server_cipher_order = 1;
		to_ratings(cur);
		break;
	case AUDIT_CLASS: {
		int cls = class_probes[cur->index].cls;
		int fam = class_probes[cur->index].tls13;

		if (ok == -1)
			cur->unknown_classes[fam] |= 1u << cls;
		else if (a->suites[fam][cls] != 1)
			a->suites[fam][cls] = 0;
		cur->index++;
		break;
	}
	case AUDIT_GROUP:
		if (ok == 0 && cur->index == GROUP_FFDHE3072)
			for (unsigned g = GROUP_FFDHE3072; g <= GROUP_FFDHE8192; g++)
				a->group_accepted[g] = 0;
		else if (ok != -1 && a->group_accepted[cur->index] != 1 &&
		    !ffdhe_phase_out(cur->index))
			a->group_accepted[cur->index] = 0;
		cur->index++;
		break;
	case AUDIT_RATE_ORDER:
		a->cipher_order_kept = -1;
		if (ok == 1 && rating_cipher_class(out->tls.cipher) ==
		    TLS_CLASS_PHASE_OUT) {
			a->cipher_order_kept = 0;
			snprintf(a->order_violation, sizeof(a->order_violation),
			    "%s", out->tls.cipher);
		} else if (ok == 1)
			a->cipher_order_kept = 1;
		cur->step = AUDIT_DONE;
		break;
	case AUDIT_DONE:
		break;
	}
	skip_untestable(cur);
	if (cur->step == AUDIT_CLASS) {
		int unk, h = highest_tls12(a, &unk);

		cur->pinned = h < 0 ? TLSV_1_2 : (unsigned)h;
	}
	skip_known(cur, a);
	if (cur->step == AUDIT_DONE) {
		a->finished = wall_time();
		a->duration_s = (double)(now_ms() - cur->started_ms) / 1000.0;
		return 0;
	}
	return 1;
}
