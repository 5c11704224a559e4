/* The `check` command: its report (verdict -> line, table-driven), colours
 * on and off, NO_COLOR, the exit status, and the arguments turned into
 * config text (hostile values refused, the rest checked by the config's
 * parser). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/audit.h"
#include "collectors/records.h"
#include "daemon/check.h"
#include "daemon/config.h"
#include "daemon/publish.h"
#include "web/report.h"
#include "web/verdict.h"
#include "unit.h"

/* A published target with a fabricated last result: no struct check, no
 * scheduler.  pub() is what the report reads. */
struct fake {
	char		*key;
	struct target_cfg cfg;
	struct check_result *last;
	struct published_target t;
};

static const struct published_target *
pub(struct fake *c)
{
	c->t = (struct published_target){ .key = c->key, .cfg = &c->cfg,
	    .result = c->last };
	return &c->t;
}

static struct fake *
fake_check(const char *key, enum target_kind kind, size_t n_eps)
{
	struct fake *c = xcalloc(1, sizeof(*c));
	struct check_result *r = xcalloc(1, sizeof(*r));

	c->key = xstrdup(key);
	c->cfg.kind = kind;
	c->cfg.name = c->key;
	c->cfg.protocol = PROTO_SMTP;
	c->cfg.records = 1;
	c->last = r;
	r->target.key = c->key;
	r->target.name = c->key;
	r->target.kind = kind;
	r->target.protocol = PROTO_SMTP;
	r->target.records = 1;
	r->success = 1;
	r->finished = wall_time();
	r->eps = xcalloc(n_eps ? n_eps : 1, sizeof(*r->eps));
	r->n_eps = n_eps;
	for (size_t i = 0; i < n_eps; i++) {
		struct endpoint_result *ep = &r->eps[i];
		struct tls_facts *t;

		ep->host = xstrdup("mx.example.org");
		{
			char a[INET6_ADDRSTRLEN];

			snprintf(a, sizeof(a), "192.0.2.%zu", i + 1);
			ep->address = xstrdup(a);
		}
		ep->port = 25;
		ep->protocol = PROTO_SMTP;
		ep->out = &probe_outcome_none;
		t = &endpoint_outcome_edit(ep)->tls;
		ep->caa_ca = probe_str_empty;
		ep->audit = tls_audit_new();
		/* a good endpoint: STARTTLS, TLS 1.3, a verified certificate */
		endpoint_outcome_edit(ep)->success = 1;
		endpoint_outcome_edit(ep)->starttls_offered = 1;
		endpoint_outcome_edit(ep)->total_s = 0.25;
		t->done = t->have_cert = t->verified = t->hostname_match = 1;
		snprintf(t->version, sizeof(t->version), "TLSv1.3");
		probe_str_printf(&t->cipher, 256, "TLS_AES_256_GCM_SHA384");
		probe_str_printf(&t->subject, 256, "CN=mx.example.org");
		probe_str_printf(&t->issuer, 256, "CN=Test CA");
		snprintf(t->key_type, sizeof(t->key_type), "RSA");
		probe_str_printf(&t->sig_alg, 256, "sha256WithRSAEncryption");
		t->key_bits = 2048;
		t->chain_len = 2;
		t->not_after = wall_time() + 90 * 86400.0 + 3600;
		t->chain_earliest_not_after = t->not_after;
	}
	if (kind == TARGET_DOMAIN) {
		struct records_result *rr = xcalloc(1, sizeof(*rr));

		r->mx = xcalloc(1, sizeof(*r->mx));
		r->mx[0].host = xstrdup("mx.example.org");
		r->mx[0].preference = 10;
		r->n_mx = 1;
		r->records = rr;
		rr->spf_lookup.done = 1;
		rr->spf_present = rr->spf_valid = 1;
		rr->spf_all = SPF_QUAL_FAIL;
		rr->dmarc_lookup.done = 1;
		rr->dmarc.present = rr->dmarc.valid = 1;
		rr->dmarc.policy = DMARC_POLICY_REJECT;
		rr->dmarc.pct = 100;
	}
	return c;
}

static void
fake_free(struct fake *c)
{
	struct check_result *r = c->last;

	for (size_t i = 0; i < r->n_eps; i++) {
		free(r->eps[i].host);
		if (r->eps[i].address != probe_str_empty)
			free(r->eps[i].address);
		endpoint_set_outcome(&r->eps[i], &probe_outcome_none);
		tls_audit_drop(r->eps[i].audit);
	}
	free(r->eps);
	dns_mx_free(r->mx, r->n_mx);
	if (r->records) {
		free(r->records->dkim);
		free(r->records);
	}
	free(r);
	free(c->key);
	free(c);
}

static char *
render(struct fake *c, int colour)
{
	struct report_opts o = { .colour = colour };
	struct buf b;

	buf_init(&b);
	report_render(pub(c), 1, wall_time(), &o, &b);
	return b.data;
}

/* The report of c holds line exactly (a whole line). */
static int
has_line(const char *report, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = report; (p = strstr(p, line)) != NULL; p++)
		if ((p == report || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

/* --- verdict -> line ---------------------------------------------------- */

typedef void (*breaker)(struct fake *c);

static void brk_none(struct fake *c) { (void)c; }
static void brk_no_dmarc(struct fake *c) { c->last->records->dmarc.present = 0; }
static void brk_p_none(struct fake *c)
{ c->last->records->dmarc.policy = DMARC_POLICY_NONE; }
static void brk_pct(struct fake *c) { c->last->records->dmarc.pct = 50; }
static void brk_no_spf(struct fake *c) { c->last->records->spf_present = 0; }
static void brk_plus_all(struct fake *c)
{ c->last->records->spf_all = SPF_QUAL_PASS; }
static void brk_no_all(struct fake *c) { c->last->records->spf_all = -1; }
static void brk_spf_timeout(struct fake *c)
{ c->last->records->spf_lookup.result = DNS_TIMEOUT; }
static void
brk_dkim_missing(struct fake *c)
{
	struct records_result *rr = c->last->records;

	rr->dkim = xcalloc(1, sizeof(*rr->dkim));
	rr->dkim[0].selector = (char *)"s1";
	rr->n_dkim = 1;
}
static void
brk_dkim_weak(struct fake *c)
{
	brk_dkim_missing(c);
	c->last->records->dkim[0].key.present = 1;
	c->last->records->dkim[0].key.valid = 1;
	c->last->records->dkim[0].key.weak_key = 1;
}
static void brk_no_starttls(struct fake *c)
{
	probe_fail(endpoint_outcome_edit(&c->last->eps[0]), STEP_EHLO, REASON_STARTTLS_MISSING,
	    "no STARTTLS");
	endpoint_outcome_edit(&c->last->eps[0])->starttls_offered = 0;
	endpoint_outcome_edit(&c->last->eps[0])->tls.done = 0;
	endpoint_outcome_edit(&c->last->eps[0])->tls.have_cert = 0;
}
static void brk_refused(struct fake *c)
{
	endpoint_set_outcome(&c->last->eps[0], &probe_outcome_none);
	probe_fail(endpoint_outcome_edit(&c->last->eps[0]), STEP_CONNECT, REASON_CONN,
	    "connect: Connection refused");
	endpoint_outcome_edit(&c->last->eps[0])->cause = CAUSE_REFUSED;
	c->last->success = 0;		/* as the scheduler has it */
}
static void brk_expired(struct fake *c)
{
	struct tls_facts *t = &endpoint_outcome_edit(&c->last->eps[0])->tls;

	t->not_after = wall_time() - 3 * 86400.0 - 60;
	t->chain_earliest_not_after = t->not_after;
	t->verified = 0;
	probe_str_printf(&t->verify_error, 256,
	    "certificate has expired");
}
static void brk_expiring(struct fake *c)
{
	struct tls_facts *t = &endpoint_outcome_edit(&c->last->eps[0])->tls;

	t->not_after = wall_time() + 5 * 86400.0 + 60;
	t->chain_earliest_not_after = t->not_after;
}
static void brk_name(struct fake *c) { endpoint_outcome_edit(&c->last->eps[0])->tls.hostname_match = 0; }
static void brk_old_tls(struct fake *c)
{
	c->last->eps[0].audit->ran = 1;
	c->last->eps[0].audit->version_accepted[TLSV_1_0] = 1;
	c->last->eps[0].audit->version_accepted[TLSV_1_3] = 1;
}
static void brk_nxdomain(struct fake *c)
{
	dns_mx_free(c->last->mx, c->last->n_mx);
	c->last->mx = NULL;
	c->last->n_mx = 0;
	c->last->n_eps = 0;
	c->last->mx_result = DNS_NXDOMAIN;
	c->last->success = 0;
}
static void brk_null_mx(struct fake *c)
{
	c->last->null_mx = 1;
	c->last->n_eps = 0;
}

static const struct {
	const char	*name;
	breaker		 brk;
	const char	*line;		/* exact */
	const char	*advice;	/* the line under it, or NULL: none */
	enum report_exit rc;
} cases[] = {
	{ "good", brk_none, "  DMARC        pass  p=reject", NULL, REPORT_PASS },
	{ "mx", brk_none, "  MX           pass  mx.example.org (10)", NULL,
	    REPORT_PASS },
	{ "endpoint", brk_none, "  mx.example.org (192.0.2.1) port 25, smtp",
	    NULL, REPORT_PASS },
	{ "tls", brk_none, "    STARTTLS     pass  offered", NULL, REPORT_PASS },
	{ "cert", brk_none, "    Certificate  pass  valid, 90 days left", NULL,
	    REPORT_PASS },
	{ "no dmarc", brk_no_dmarc, "  DMARC        fail  no DMARC record",
	    "               fix:  publish a DMARC record: _dmarc.example.org "
	    "TXT \"v=DMARC1; p=quarantine; rua=mailto:...\"", REPORT_FAIL },
	{ "p=none", brk_p_none, "  DMARC        warn  p=none: monitoring only",
	    "               fix:  once the reports show your mail passes, set "
	    "p=quarantine (then p=reject) in _dmarc.example.org", REPORT_WARN },
	{ "pct", brk_pct, "  DMARC        warn  p=reject on 50% of mail",
	    "               fix:  remove pct= (or set pct=100) in "
	    "_dmarc.example.org", REPORT_WARN },
	{ "no spf", brk_no_spf, "  SPF          fail  no SPF record",
	    "               fix:  publish an SPF record: example.org TXT "
	    "\"v=spf1 mx -all\"", REPORT_FAIL },
	{ "+all", brk_plus_all, "  SPF          fail  +all lets anyone send",
	    "               fix:  end the SPF record of example.org with -all "
	    "(or ~all) instead of +all", REPORT_FAIL },
	{ "no all", brk_no_all, "  SPF          warn  ends without -all or ~all",
	    "               fix:  end the SPF record of example.org with -all "
	    "(or ~all while testing)", REPORT_WARN },
	{ "spf lookup", brk_spf_timeout, "  SPF          warn  lookup failed "
	    "(timeout)", "               fix:  make example.org's name servers "
	    "answer TXT queries (dig example.org TXT), then check again",
	    REPORT_WARN },
	{ "dkim none", brk_none, "  DKIM         n/a   no dkim_selectors "
	    "configured", "               tip:  name the selector your mail is "
	    "signed with (s= of its DKIM-Signature): --dkim-selector SEL, or "
	    "dkim_selectors in the config", REPORT_PASS },
	{ "dkim missing", brk_dkim_missing, "  DKIM         fail  selector s1: "
	    "no key", "               fix:  publish the key: "
	    "s1._domainkey.example.org TXT \"v=DKIM1; k=rsa; p=...\"",
	    REPORT_FAIL },
	{ "dkim weak", brk_dkim_weak, "  DKIM         warn  selector s1: RSA "
	    "key shorter than 2048 bits", "               fix:  replace the key "
	    "of selector s1 with an RSA key of 2048 bits or more", REPORT_WARN },
	{ "no starttls", brk_no_starttls, "    STARTTLS     fail  not offered "
	    "by mx.example.org (192.0.2.1) port 25", "                 fix:  turn "
	    "STARTTLS on with a certificate (Postfix: smtpd_tls_security_level "
	    "= may and smtpd_tls_chain_files; Dovecot: ssl = yes)",
	    REPORT_FAIL },
	{ "refused", brk_refused, "    Connection   fail  connection refused",
	    "                 fix:  make the mail server listen on "
	    "mx.example.org port 25 and let the port through the firewall",
	    REPORT_FAIL },
	{ "expired", brk_expired, "    Certificate  fail  expired 3 days ago",
	    NULL, REPORT_FAIL },
	{ "expiring", brk_expiring, "    Certificate  warn  expires in 5 days",
	    NULL, REPORT_WARN },
	{ "name", brk_name, "    Certificate  fail  not valid for "
	    "mx.example.org", NULL, REPORT_FAIL },
	{ "old tls", brk_old_tls, "    TLS          fail  accepts TLSv1",
	    "                       negotiated TLSv1.3 TLS_AES_256_GCM_SHA384; "
	    "accepts TLSv1, TLSv1.3; no weak suites", REPORT_FAIL },
	{ "nxdomain", brk_nxdomain, "  MX           fail  the domain does not "
	    "exist (NXDOMAIN)", "               fix:  example.org does not exist "
	    "in the DNS: check the spelling, or register and delegate it",
	    REPORT_FAIL },
	{ "null mx", brk_null_mx, "  MX           pass  null MX: the domain "
	    "takes no mail", NULL, REPORT_PASS },
};

static void
check_lines(void)
{
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct fake *c = fake_check("example.org", TARGET_DOMAIN, 1);
		size_t n_eps = c->last->n_eps;
		char *out, *want;

		cases[i].brk(c);
		out = render(c, 0);
		unit_checks++;
		if (!has_line(out, cases[i].line)) {
			unit_failures++;
			fprintf(stderr, "case %s: no line \"%s\" in:\n%s\n",
			    cases[i].name, cases[i].line, out);
		}
		if (cases[i].advice) {
			want = xmalloc(strlen(cases[i].line) +
			    strlen(cases[i].advice) + 2);
			sprintf(want, "%s\n%s", cases[i].line, cases[i].advice);
			unit_checks++;
			if (strstr(out, want) == NULL) {
				unit_failures++;
				fprintf(stderr, "case %s: no \"%s\" under it "
				    "in:\n%s\n", cases[i].name, cases[i].advice,
				    out);
			}
			free(want);
		}
		/* no advice under a pass */
		if (cases[i].rc == REPORT_PASS)
			CHECK(strstr(out, "fix:") == NULL);
		CHECK(strchr(out, '\033') == NULL);
		unit_checks++;
		if (report_exit_status(pub(c), 1, 1, wall_time()) != cases[i].rc) {
			unit_failures++;
			fprintf(stderr, "case %s: exit %d, want %d\n",
			    cases[i].name, report_exit_status(pub(c), 1, 1,
			    wall_time()), cases[i].rc);
		}
		free(out);
		if (c->last->records && c->last->records->dkim)
			c->last->records->n_dkim = 0;
		c->last->n_eps = n_eps;
		fake_free(c);
	}
}

/* --- colour, NO_COLOR ----------------------------------------------------- */

static void
check_colour(void)
{
	struct fake *c = fake_check("example.org", TARGET_DOMAIN, 1);
	char *out;

	CHECK_INT(report_colour_wanted(1, NULL), 1);
	CHECK_INT(report_colour_wanted(1, ""), 1);	/* empty: not set */
	CHECK_INT(report_colour_wanted(1, "1"), 0);
	CHECK_INT(report_colour_wanted(1, "0"), 0);	/* any value */
	CHECK_INT(report_colour_wanted(0, NULL), 0);
	CHECK_INT(report_colour_wanted(0, ""), 0);

	brk_p_none(c);
	out = render(c, 1);
	CHECK(has_line(out, "  DMARC        \033[33mwarn\033[0m  p=none: "
	    "monitoring only"));
	CHECK(has_line(out, "  SPF          \033[32mpass\033[0m  valid, ends "
	    "-all"));
	CHECK(strstr(out, "\033[1mexample.org\033[0m: \033[33mwarn\033[0m\n") !=
	    NULL);
	CHECK(strstr(out, "\033[1mfix:\033[0m  once the reports") != NULL);
	free(out);
	out = render(c, 0);
	CHECK(strchr(out, '\033') == NULL);
	CHECK(has_line(out, "example.org: warn"));
	CHECK(has_line(out, "1 target: 0 pass, 1 warn, 0 fail"));
	free(out);
	fake_free(c);
}

/* --- exit status ------------------------------------------------------------ */

static void
check_exit(void)
{
	struct fake *good = fake_check("example.org", TARGET_DOMAIN, 1);
	struct fake *bad = fake_check("example.net", TARGET_DOMAIN, 0);
	struct fake *ep = fake_check("192.0.2.9:25", TARGET_ENDPOINT, 1);
	struct published_target two[2];
	struct check_result *saved;

	CHECK_INT(report_exit_status(pub(good), 1, 1, wall_time()), REPORT_PASS);
	CHECK_INT(report_exit_status(pub(good), 1, 0, wall_time()),
	    REPORT_UNCHECKED);			/* interrupted */
	CHECK_INT(report_exit_status(NULL, 0, 1, wall_time()),
	    REPORT_UNCHECKED);
	/* no DNS answer for MX: nothing learnt */
	dns_mx_free(bad->last->mx, bad->last->n_mx);
	bad->last->mx = NULL;
	bad->last->n_mx = 0;
	bad->last->success = 0;
	bad->last->mx_result = DNS_TIMEOUT;
	CHECK_INT(report_exit_status(pub(bad), 1, 1, wall_time()), REPORT_UNCHECKED);
	bad->last->mx_result = DNS_SERVFAIL;
	CHECK_INT(report_exit_status(pub(bad), 1, 1, wall_time()), REPORT_UNCHECKED);
	/* one target checked: its verdict decides */
	two[0] = *pub(good);
	two[1] = *pub(bad);
	CHECK_INT(report_exit_status(two, 2, 1, wall_time()), REPORT_FAIL);
	/* NXDOMAIN is an answer: a failure, not "could not check" */
	bad->last->mx_result = DNS_NXDOMAIN;
	CHECK_INT(report_exit_status(pub(bad), 1, 1, wall_time()), REPORT_FAIL);
	/* an endpoint whose name does not resolve */
	endpoint_set_outcome(&ep->last->eps[0], &probe_outcome_none);
	probe_fail(endpoint_outcome_edit(&ep->last->eps[0]), STEP_RESOLVE, REASON_DNS, "nx");
	free(ep->last->eps[0].address);
	ep->last->eps[0].address = probe_str_empty;
	CHECK_INT(report_exit_status(pub(ep), 1, 1, wall_time()), REPORT_UNCHECKED);
	/* not run at all */
	saved = good->last;
	good->last = NULL;
	CHECK_INT(report_exit_status(pub(good), 1, 1, wall_time()), REPORT_UNCHECKED);
	good->last = saved;
	fake_free(good);
	fake_free(bad);
	fake_free(ep);
}

/* --- arguments -> config text ------------------------------------------------ */

static int
args_text(const char *const *targets, size_t n, struct check_args *a,
    struct buf *out, const char **bad, const char **why)
{
	char **origins;
	size_t n_origins;
	int rc;

	a->targets = (char *const *)targets;
	a->n_targets = n;
	buf_reset(out);
	rc = check_config_text(a, out, &origins, &n_origins, bad, why);
	for (size_t i = 0; i < n_origins; i++)
		free(origins[i]);
	free(origins);
	return rc;
}

static void
check_args(void)
{
	static const char *const ok[] = { "Example.ORG", "192.0.2.1",
	    "mail.example.net:465", "[2001:db8::1]:993", "2001:db8::2" };
	static const char *const hostile[] = { "", "a;b", "a\nb", "a b",
	    "[x", "a:0", "a:65536", "a:25:25", "example.org:2525", "a#b",
	    "[192.0.2.1]:25", "a]b" };
	struct config_errors errs = { 0 };
	struct check_args a = { 0 };
	const char *bad, *why;
	struct config *cfg;
	struct buf b;

	buf_init(&b);
	a.resolvers[0] = "192.0.2.53";
	a.n_resolvers = 1;
	a.selectors[0] = "s1";
	a.selectors[1] = "s2";
	a.n_selectors = 2;
	a.timeout = "5s";
	CHECK_INT(args_text(ok, ARRAY_LEN(ok), &a, &b, &bad, &why), 0);
	cfg = config_load_mem("check", b.data, b.len, &errs);
	CHECK(cfg != NULL);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	if (cfg != NULL) {
		CHECK_INT(cfg->n_targets, 5);
		CHECK_INT(cfg->targets[0].kind, TARGET_DOMAIN);
		CHECK_STR(cfg->targets[0].name, "example.org");
		CHECK_INT(cfg->targets[0].n_dkim_selectors, 2);
		CHECK_INT(cfg->targets[1].kind, TARGET_ENDPOINT);
		CHECK_INT(cfg->targets[1].port, 25);
		CHECK_INT(cfg->targets[1].protocol, PROTO_SMTP);
		CHECK_INT(cfg->targets[2].protocol, PROTO_SMTPS);
		CHECK_INT(cfg->targets[3].protocol, PROTO_IMAPS);
		CHECK_STR(cfg->targets[3].name, "2001:db8::1");
		CHECK_INT(cfg->targets[4].port, 25);
		CHECK_STR(cfg->resolver, "192.0.2.53:53");
		CHECK_INT(cfg->timeout_ms, 5000);
		CHECK_INT(cfg->log_level, LOG_ERROR);
	}
	config_free(cfg);
	config_errors_free(&errs);

	for (size_t i = 0; i < ARRAY_LEN(hostile); i++) {
		const char *t[1] = { hostile[i] };

		bad = why = NULL;
		unit_checks++;
		if (args_text(t, 1, &a, &b, &bad, &why) != -1 || bad != t[0] ||
		    why == NULL) {
			unit_failures++;
			fprintf(stderr, "target \"%s\" accepted\n", hostile[i]);
		}
	}
	/* values that would change the config's meaning */
	{
		static const char *const vals[] = { "x\n[domain evil.test]",
		    "a ; b", "a#", " a", "a ", "", "a\r" };
		const char *t[1] = { "example.org" };

		for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
			struct check_args h = a;

			h.ca_file = vals[i];
			CHECK_INT(args_text(t, 1, &h, &b, &bad, &why), -1);
			h = a;
			h.selectors[0] = vals[i];
			CHECK_INT(args_text(t, 1, &h, &b, &bad, &why), -1);
			h = a;
			h.resolvers[0] = vals[i];
			CHECK_INT(args_text(t, 1, &h, &b, &bad, &why), -1);
		}
		a.selectors[0] = "a,b";		/* a list item holds no comma */
		CHECK_INT(args_text(t, 1, &a, &b, &bad, &why), -1);
		a.selectors[0] = "s1";
		a.ca_file = "/etc/a,b.pem";	/* a path may */
		CHECK_INT(args_text(t, 1, &a, &b, &bad, &why), 0);
	}
	buf_free(&b);
}

int
main(void)
{
	check_lines();
	check_colour();
	check_exit();
	check_args();
	return unit_done("test_report");
}
