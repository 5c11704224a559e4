#include "daemon/changes.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "collectors/sts.h"
#include "base/log.h"
#include "daemon/ctx.h"
#include "daemon/publish.h"
#include "daemon/result.h"

/* The records, the `record` label: a fixed name, or a prefix and the
 * selector, host or host:port it is about.  The facts each keeps:
 *
 *   mx                 -
 *   spf                F0 rank of the `all` receivers end on (3 -all,
 *                      2 ~all, 1 ?all or none or no record, 0 +all;
 *                      -1 not known)
 *   dmarc              F0 policy (2 reject, 1 quarantine, 0 none, -1 no
 *                      record), F1 pct (-1 no record)
 *   dkim:SELECTOR      -
 *   tlsa:HOST          F0 records in the set on port 25
 *   mta_sts_id         -
 *   mta_sts_policy     F0 mode (2 enforce, 1 testing, 0 none, -1 no record)
 *   cert:HOST:PORT     F0 smallest key (bits), F1 key types, F2 issuers
 *                      (hashes), over the host's addresses */
enum rec_kind {
	REC_MX,
	REC_SPF,
	REC_DMARC,
	REC_DKIM,
	REC_TLSA,
	REC_STS_ID,
	REC_STS_POLICY,
	REC_CERT,
};

static const char *const weakening_names[WEAKENED__COUNT] = {
	[WEAKENED_DMARC_POLICY] = "dmarc_policy",
	[WEAKENED_DMARC_PCT] = "dmarc_pct",
	[WEAKENED_SPF_ALL] = "spf_all",
	[WEAKENED_STS_MODE] = "mta_sts_mode",
	[WEAKENED_TLSA_REMOVED] = "tlsa_removed",
	[WEAKENED_CERT_KEY] = "cert_key_smaller",
	[WEAKENED_CERT_ISSUER] = "cert_issuer",
};

const char *
weakening_name(enum weakening w)
{
	return (unsigned)w < WEAKENED__COUNT ? weakening_names[w] : "unknown";
}

uint64_t
changes_hash(const void *data, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	uint64_t v = 0;

	SHA256(data, len, md);
	for (size_t i = 0; i < 6; i++)
		v = v << 8 | md[i];
	return v;
}

void
changes_configure(struct changes *ch, const char *state_file, double hold_s,
    size_t n_targets)
{
	size_t max = statefile_entries_max(n_targets);

	if (max != change_table_max(&ch->table))
		ch->full_logged = 0;
	ch->table.max = max;
	free(ch->state_file);
	ch->state_file = state_file ? xstrdup(state_file) : NULL;
	ch->hold_s = hold_s;
	ch->expire_at = 0;
}

void
changes_init(struct changes *ch, const char *state_file, double hold_s,
    size_t n_targets)
{
	char err[256];
	int r;

	memset(ch, 0, sizeof(*ch));
	changes_configure(ch, state_file, hold_s, n_targets);
	if (state_file == NULL)
		return;
	r = statefile_read(state_file, &ch->table, err, sizeof(err));
	if (r == 1)
		log_info("state_read", "path=\"%s\" records=%zu", state_file,
		    ch->table.n);
	else if (r == 0)
		log_info("state_read", "path=\"%s\" records=0 msg=\"no state "
		    "file yet\"", state_file);
	else {
		char q[LOG_QUOTE_MAX];

		log_warn("state_corrupt", "path=\"%s\" detail=%s msg=\"starting "
		    "without the last known hashes\"", state_file,
		    log_quote(q, sizeof(q), err));
	}
}

void
changes_free(struct changes *ch)
{
	change_table_free(&ch->table);
	free(ch->state_file);
	ch->state_file = NULL;
}

/* One thing of this round: its canonical bytes and facts. */
struct observed {
	enum rec_kind	 kind;
	char		 record[CHANGE_NAME_MAX + 1];
	struct buf	 text;
	int64_t		 facts[CHANGE_FACTS];
};

static void
add_weak(struct change_entry *e, enum weakening w, double now)
{
	const char *name = weakening_name(w);
	struct change_weak *slot;

	for (size_t i = 0; i < e->n_weak; i++)
		if (strcmp(e->weak[i].what, name) == 0) {
			e->weak[i].since = now;		/* again: held anew */
			return;
		}
	if ((slot = change_entry_weak_add(e)) == NULL)
		return;
	snprintf(slot->what, sizeof(slot->what), "%s", name);
	slot->since = now;
}

/* What a change from old to new facts weakened. */
static unsigned
weakenings(enum rec_kind kind, const int64_t *old, const int64_t *new)
{
	unsigned w = 0;

	switch (kind) {
	case REC_SPF:
		if (old[0] >= 0 && new[0] >= 0 && new[0] < old[0])
			w |= 1u << WEAKENED_SPF_ALL;
		break;
	case REC_DMARC:
		if (new[0] < old[0])
			w |= 1u << WEAKENED_DMARC_POLICY;
		if (old[1] >= 0 && new[1] >= 0 && new[1] < old[1])
			w |= 1u << WEAKENED_DMARC_PCT;
		break;
	case REC_TLSA:
		if (old[0] > 0 && new[0] == 0)
			w |= 1u << WEAKENED_TLSA_REMOVED;
		break;
	case REC_STS_POLICY:
		if (new[0] < old[0])
			w |= 1u << WEAKENED_STS_MODE;
		break;
	case REC_CERT:
		if (old[1] == new[1] && new[0] < old[0])
			w |= 1u << WEAKENED_CERT_KEY;
		if (old[2] != new[2])
			w |= 1u << WEAKENED_CERT_ISSUER;
		break;
	case REC_MX:
	case REC_DKIM:
	case REC_STS_ID:
		break;
	}
	return w;
}

static int
apply_observed(struct changes *ch, const char *domain, const struct observed *o,
    double now)
{
	struct change_entry *e;
	uint64_t h = changes_hash(o->text.data ? o->text.data : "", o->text.len);
	int created, dirty = 0;
	unsigned w;

	if ((e = change_table_get(&ch->table, domain, o->record, &created)) ==
	    NULL) {
		/* full, or a name no token can hold */
		if (ch->table.n >= change_table_max(&ch->table) &&
		    !ch->full_logged) {
			ch->full_logged = 1;
			log_warn("state_full", "records=%zu msg=\"the change "
			    "table is full: new records are not tracked\"",
			    ch->table.n);
		}
		return 0;
	}
	e->seen = 1;
	if (created) {
		e->hash = h;
		e->changed = now;
		memcpy(e->facts, o->facts, sizeof(e->facts));
		return 1;
	}
	if (e->hash != h) {
		char q[LOG_QUOTE_MAX];

		w = weakenings(o->kind, e->facts, o->facts);
		log_info("record_changed", "domain=%s record=%s weakened=%s",
		    log_quote(q, sizeof(q), domain), o->record, w ? "yes" : "no");
		for (unsigned i = 0; i < WEAKENED__COUNT; i++)
			if (w & (1u << i)) {
				add_weak(e, (enum weakening)i, now);
				if (now + ch->hold_s < ch->expire_at)
					ch->expire_at = now + ch->hold_s;
				log_warn("policy_weakened", "domain=%s record=%s "
				    "what=%s", q, o->record,
				    weakening_name((enum weakening)i));
			}
		e->hash = h;
		e->changed = now;
		dirty = 1;
	}
	if (memcmp(e->facts, o->facts, sizeof(e->facts)) != 0) {
		memcpy(e->facts, o->facts, sizeof(e->facts));
		dirty = 1;
	}
	return dirty;
}

/* Drops the weakenings held longer than the hold.  Runs after every
 * result, so it looks through the table only when one may be due
 * (ch->expire_at): a scan per result was quadratic in the domains. */
static int
expire(struct changes *ch, double now)
{
	int dirty = 0;
	double next = HUGE_VAL;

	if (now < ch->expire_at)
		return 0;
	for (size_t i = 0; i < ch->table.n; i++) {
		struct change_entry *e = &ch->table.e[i];

		for (size_t j = 0; j < e->n_weak;)
			if (now - e->weak[j].since >= ch->hold_s) {
				e->weak[j] = e->weak[--e->n_weak];
				dirty = 1;
			} else {
				if (e->weak[j].since + ch->hold_s < next)
					next = e->weak[j].since + ch->hold_s;
				j++;
			}
	}
	ch->expire_at = next;
	return dirty;
}

/* Collecting the things of a result. */

struct round {
	struct observed	*o;
	size_t		 n, cap;
};

static struct observed *
round_add(struct round *rd, enum rec_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct observed *
round_add(struct round *rd, enum rec_kind kind, const char *fmt, ...)
{
	struct observed *o;
	va_list ap;
	int n;

	if (rd->n == rd->cap) {
		rd->cap = rd->cap ? rd->cap * 2 : 16;
		rd->o = xreallocarray(rd->o, rd->cap, sizeof(*rd->o));
	}
	o = &rd->o[rd->n];
	memset(o, 0, sizeof(*o));
	va_start(ap, fmt);
	n = vsnprintf(o->record, sizeof(o->record), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(o->record) ||
	    !statefile_token_ok(o->record, 0))
		return NULL;	/* a host name no token holds: not tracked */
	o->kind = kind;
	buf_init(&o->text);
	rd->n++;
	return o;
}

static void
round_free(struct round *rd)
{
	for (size_t i = 0; i < rd->n; i++)
		buf_free(&rd->o[i].text);
	free(rd->o);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lines sorted and joined: a set's canonical text. */
static void
put_sorted(struct buf *out, char **lines, size_t n)
{
	qsort(lines, n, sizeof(*lines), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(lines[i], lines[i - 1]) == 0)
			continue;
		buf_puts(out, lines[i]);
		buf_putc(out, '\n');
	}
}

static void
free_lines(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

static char *
str_lower_dup(const char *s)
{
	return ascii_lower_str(xstrdup(s));
}

static void
collect_mx(struct round *rd, const struct check_result *r)
{
	struct observed *o;
	char **lines;

	if (!dns_answered(r->mx_result) || (o = round_add(rd, REC_MX, "mx")) ==
	    NULL)
		return;
	lines = xcalloc(r->n_mx + 1, sizeof(*lines));
	for (size_t i = 0; i < r->n_mx; i++) {
		char *h = str_lower_dup(r->mx[i].host ? r->mx[i].host : "");
		struct buf b;

		buf_init(&b);
		buf_printf(&b, "%u %s", r->mx[i].preference, h);
		lines[i] = xstrdup(b.data);
		buf_free(&b);
		free(h);
	}
	put_sorted(&o->text, lines, r->n_mx);
	free_lines(lines, r->n_mx);
}

static int64_t
spf_rank(int all)
{
	switch (all) {
	case SPF_QUAL_FAIL:
		return 3;
	case SPF_QUAL_SOFTFAIL:
		return 2;
	case SPF_QUAL_NEUTRAL:
	case SPF_ALL_NONE:
		return 1;
	case SPF_QUAL_PASS:
		return 0;
	default:
		return -1;
	}
}

static void
collect_records(struct round *rd, const struct records_result *rr)
{
	struct observed *o;

	if (rr == NULL)
		return;
	if (rr->spf_lookup.done && dns_answered(rr->spf_lookup.result) &&
	    !rr->spf_temperror && (o = round_add(rd, REC_SPF, "spf")) != NULL) {
		if (rr->spf_present && rr->spf_raw)
			buf_puts(&o->text, rr->spf_raw);
		o->facts[0] = rr->spf_present ? spf_rank(rr->spf_all) : 1;
	}
	if (rr->dmarc_lookup.done && rr->dmarc_failure == DNS_OK &&
	    (o = round_add(rd, REC_DMARC, "dmarc")) != NULL) {
		enum dmarc_policy p = records_dmarc_policy(rr);

		if (rr->dmarc_raw)
			buf_puts(&o->text, rr->dmarc_raw);
		o->facts[0] = (int64_t)p;
		o->facts[1] = p == DMARC_POLICY_UNSET ? -1 :
		    (int64_t)rr->dmarc.pct;
	}
	for (size_t i = 0; i < rr->n_dkim; i++) {
		const struct dkim_selector_result *d = &rr->dkim[i];

		if (!d->lookup.done || !dns_answered(d->lookup.result) ||
		    (o = round_add(rd, REC_DKIM, "dkim:%s", d->selector)) == NULL)
			continue;
		if (d->raw)
			buf_puts(&o->text, d->raw);
	}
}

static void
collect_dane(struct round *rd, const struct check_result *r)
{
	for (size_t i = 0; i < r->n_dane; i++) {
		const struct danelookup_result *d = r->dane[i];
		struct observed *o;

		if (d == NULL)
			continue;
		for (size_t p = 0; p < d->n_ports; p++) {
			const struct dane_port *dp = &d->ports[p];
			char **lines;

			if (dp->port != 25 || (dp->tlsa_status != DNSSEC_SECURE &&
			    dp->tlsa_status != DNSSEC_INSECURE))
				continue;
			if ((o = round_add(rd, REC_TLSA, "tlsa:%s", d->host)) ==
			    NULL)
				continue;
			lines = xcalloc(dp->tlsa.n + 1, sizeof(*lines));
			for (size_t k = 0; k < dp->tlsa.n; k++) {
				const struct tlsa_record *t = &dp->tlsa.recs[k];
				struct buf b;

				buf_init(&b);
				buf_printf(&b, "%u %u %u ", t->usage,
				    t->selector, t->mtype);
				for (size_t x = 0; x < t->len; x++)
					buf_printf(&b, "%02x", t->data[x]);
				lines[k] = xstrdup(b.data);
				buf_free(&b);
			}
			put_sorted(&o->text, lines, dp->tlsa.n);
			free_lines(lines, dp->tlsa.n);
			o->facts[0] = (int64_t)dp->tlsa.n;
		}
	}
}

static void
collect_mtasts(struct round *rd, const struct mtasts_result *m)
{
	struct observed *o;
	int known_absent;

	if (m == NULL || !m->sts_checked || !m->record_lookup.done ||
	    !dns_answered(m->record_lookup.result))
		return;
	if ((o = round_add(rd, REC_STS_ID, "mta_sts_id")) != NULL &&
	    m->record.valid)
		buf_puts(&o->text, m->record.id);
	known_absent = !m->record.present;
	if (!known_absent && mtasts_policy_reason(m) != STS_OK)
		return;		/* the policy could not be had: not known */
	if ((o = round_add(rd, REC_STS_POLICY, "mta_sts_policy")) == NULL)
		return;
	if (known_absent) {
		o->facts[0] = -1;
		return;
	}
	{
		const struct sts_policy *p = mtasts_policy(m);
		char **lines = xcalloc((size_t)p->n_mx + 1, sizeof(*lines));

		buf_printf(&o->text, "mode %s\nmax_age %u\n",
		    sts_mode_name(p->mode), (unsigned)p->max_age);
		for (size_t i = 0; i < p->n_mx; i++)
			lines[i] = xstrdup(p->mx[i]);
		put_sorted(&o->text, lines, p->n_mx);
		free_lines(lines, p->n_mx);
		o->facts[0] = (int64_t)p->mode;
	}
}

/* One record per host and port: the set of certificates its addresses
 * served (a pool behind one name may serve several). */
static void
collect_certs(struct round *rd, const struct check_result *r)
{
	for (size_t i = 0; i < r->n_eps; i++) {
		const struct endpoint_result *ep = &r->eps[i];
		char **fps, **types, **issuers;
		struct observed *o;
		size_t n = 0;
		int64_t min_bits = -1;
		int first = 1;
		struct buf tb, ib;

		for (size_t j = 0; j < i; j++)
			if (r->eps[j].port == ep->port &&
			    strcmp(r->eps[j].host, ep->host) == 0 &&
			    r->eps[j].out->tls.have_cert)
				first = 0;
		if (!first || !ep->out->tls.have_cert)
			continue;
		if ((o = round_add(rd, REC_CERT, "cert:%s:%u", ep->host,
		    (unsigned)ep->port)) == NULL)
			continue;
		fps = xcalloc(r->n_eps, sizeof(*fps));
		types = xcalloc(r->n_eps, sizeof(*types));
		issuers = xcalloc(r->n_eps, sizeof(*issuers));
		for (size_t j = i; j < r->n_eps; j++) {
			const struct tls_facts *t = &r->eps[j].out->tls;

			if (r->eps[j].port != ep->port || !t->have_cert ||
			    strcmp(r->eps[j].host, ep->host) != 0)
				continue;
			fps[n] = xstrdup(t->fingerprint_sha256);
			types[n] = xstrdup(t->key_type);
			issuers[n] = xstrdup(t->issuer);
			if (min_bits < 0 || t->key_bits < min_bits)
				min_bits = t->key_bits;
			n++;
		}
		put_sorted(&o->text, fps, n);
		buf_init(&tb);
		buf_init(&ib);
		put_sorted(&tb, types, n);
		put_sorted(&ib, issuers, n);
		o->facts[0] = min_bits;
		o->facts[1] = (int64_t)(changes_hash(tb.data, tb.len) >> 16);
		o->facts[2] = (int64_t)(changes_hash(ib.data, ib.len) >> 16);
		buf_free(&tb);
		buf_free(&ib);
		free_lines(fps, n);
		free_lines(types, n);
		free_lines(issuers, n);
	}
}

static void
changes_save(struct changes *ch)
{
	char err[512];

	if (ch->state_file == NULL) {
		ch->dirty = 0;
		return;
	}
	if (statefile_write(ch->state_file, &ch->table, err, sizeof(err)) == 0) {
		ch->dirty = 0;
		ch->writes++;
		log_debug("state_written", "path=\"%s\" records=%zu",
		    ch->state_file, ch->table.n);
	} else {
		char q[LOG_QUOTE_MAX];

		log_warn("state_write_failed", "detail=%s",
		    log_quote(q, sizeof(q), err));
	}
}

void
changes_observe(struct changes *ch, const char *domain,
    const struct check_result *r, double now)
{
	struct round rd = { 0 };
	int dirty = 0;

	/* Whole seconds, as the state file keeps them: a restart shows the
	 * same timestamps. */
	now = (double)(int64_t)now;
	if (!statefile_token_ok(domain, 1))
		return;
	if (domain[0] != '\0') {
		collect_mx(&rd, r);
		collect_records(&rd, r->records);
		collect_dane(&rd, r);
		collect_mtasts(&rd, r->mtasts);
	}
	collect_certs(&rd, r);
	for (size_t i = 0; i < rd.n; i++)
		dirty |= apply_observed(ch, domain, &rd.o[i], now);
	round_free(&rd);
	dirty |= expire(ch, now);
	if (dirty || ch->dirty)
		changes_save(ch);
}

void
changes_foreach(const struct changes *ch, double now, changes_entry_fn entry,
    changes_weak_fn weak, void *arg)
{
	for (size_t i = 0; i < ch->table.n; i++) {
		const struct change_entry *e = &ch->table.e[i];

		if (entry)
			entry(e, arg);
		for (size_t j = 0; weak && j < e->n_weak; j++)
			if (now - e->weak[j].since < ch->hold_s)
				weak(e, &e->weak[j], arg);
	}
}

/* The tracker's subscription: every published result of a configured
 * check (ad-hoc /probe results are not published). */
static void
changes_published(void *arg, const struct publish_event *ev)
{
	const struct check_result *r = ev->result;

	if (ev->kind != PUBLISH_RESULT || r == NULL)
		return;
	changes_observe(arg, r->target.kind == TARGET_DOMAIN ?
	    r->target.name : "", r, wall_time());
}

void
changes_subscribe(struct ctx *ctx)
{
	if (publish_subscribe(ctx, changes_published, NULL,
	    &ctx->changes) == -1)
		log_warn("changes_unsubscribed", "msg=\"too many result "
		    "subscribers: change detection is off\"");
}
