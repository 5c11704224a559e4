#include "collectors/dnscache.h"

#include <arpa/nameser.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <ares.h>

#include "base/util.h"

/* A name longer than this (the wire limit, as text without the root dot)
 * is not kept: no real question has one. */
#define DNSCACHE_NAME_MAX	253
/* More labels than this in one name (with compression pointers) is a loop
 * or garbage: the message is malformed. */
#define DNSCACHE_LABELS_MAX	128

struct dnscache_entry {
	struct dnscache_entry *hnext;		/* bucket chain */
	TAILQ_ENTRY(dnscache_entry) lru;	/* head: most recently used */
	uint32_t	 hash;
	int		 type, dnsclass;
	int		 status;
	uint64_t	 expires_ms;
	size_t		 bytes;			/* what it counts for */
	int		 alen;
	unsigned char	*abuf;
	char		 name[];		/* lower case, no final dot */
};

TAILQ_HEAD(dnscache_lru, dnscache_entry);

struct dnscache {
	struct dnscache_params p;
	struct dnscache_entry **buckets;
	size_t		 n_buckets;		/* a power of two */
	size_t		 entries, bytes;
	unsigned long	 evictions;
	struct dnscache_lru lru;
};

static const char *const dnscache_store_names[DNSCACHE__COUNT] = {
	[DNSCACHE_STORED] = "stored",
	[DNSCACHE_OFF] = "off",
	[DNSCACHE_UNCACHEABLE] = "uncacheable",
	[DNSCACHE_TTL_ZERO] = "ttl_zero",
	[DNSCACHE_NO_SOA] = "no_soa",
	[DNSCACHE_MALFORMED] = "malformed",
	[DNSCACHE_TOO_BIG] = "too_big",
};
_Static_assert(sizeof(dnscache_store_names) / sizeof(dnscache_store_names[0]) ==
    DNSCACHE__COUNT, "a name for every store result");

const char *
dnscache_store_name(enum dnscache_store s)
{
	return (unsigned)s < DNSCACHE__COUNT ? dnscache_store_names[s] : "?";
}

static uint64_t
dnscache_now(const struct dnscache *c)
{
	return c->p.clock ? c->p.clock(c->p.clock_arg) : now_ms();
}

size_t
dnscache_key_name(const char *name, char *out, size_t outlen)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len >= outlen)
		return SIZE_MAX;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)ascii_lower((unsigned char)name[i]);
	out[len] = '\0';
	return len;
}

/* FNV-1a over the name, the type and the class. */
static uint32_t
key_hash(const char *name, size_t len, int type, int dnsclass)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	h = (h ^ (uint32_t)(type & 0xffff)) * 16777619u;
	h = (h ^ (uint32_t)(dnsclass & 0xffff)) * 16777619u;
	return h;
}

struct dnscache *
dnscache_new(const struct dnscache_params *p)
{
	struct dnscache *c = xcalloc(1, sizeof(*c));

	c->p = *p;
	c->n_buckets = 64;
	c->buckets = xcalloc(c->n_buckets, sizeof(*c->buckets));
	TAILQ_INIT(&c->lru);
	return c;
}

static struct dnscache_entry **
bucket_of(struct dnscache *c, uint32_t hash)
{
	return &c->buckets[hash & (c->n_buckets - 1)];
}

static void
entry_remove(struct dnscache *c, struct dnscache_entry *e)
{
	struct dnscache_entry **pp;

	for (pp = bucket_of(c, e->hash); *pp != e; pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	TAILQ_REMOVE(&c->lru, e, lru);
	c->entries--;
	c->bytes -= e->bytes;
	free(e->abuf);
	free(e);
}

/* Doubles the table once there is more than one entry a bucket. */
static void
table_grow(struct dnscache *c)
{
	size_t n = c->n_buckets * 2;
	struct dnscache_entry **b, *e;

	if (c->entries <= c->n_buckets || n > ((size_t)1 << 24))
		return;
	b = xcalloc(n, sizeof(*b));
	for (size_t i = 0; i < c->n_buckets; i++)
		while ((e = c->buckets[i]) != NULL) {
			c->buckets[i] = e->hnext;
			e->hnext = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	free(c->buckets);
	c->buckets = b;
	c->n_buckets = n;
}

/* Drops least recently used entries until `extra` more bytes and one more
 * entry fit (extra 0, entries 0: until the bounds hold). */
static void
evict_for(struct dnscache *c, size_t extra, size_t more)
{
	struct dnscache_entry *e;

	while ((e = TAILQ_LAST(&c->lru, dnscache_lru)) != NULL &&
	    (c->entries + more > c->p.max_entries ||
	    c->bytes + extra > c->p.max_bytes)) {
		entry_remove(c, e);
		c->evictions++;
	}
}

void
dnscache_set_params(struct dnscache *c, const struct dnscache_params *p)
{
	c->p = *p;
	if (c->p.max_ttl_s == 0)
		dnscache_clear(c);
	evict_for(c, 0, 0);
}

void
dnscache_clear(struct dnscache *c)
{
	struct dnscache_entry *e;

	while ((e = TAILQ_FIRST(&c->lru)) != NULL)
		entry_remove(c, e);
}

void
dnscache_free(struct dnscache *c)
{
	if (c == NULL)
		return;
	dnscache_clear(c);
	free(c->buckets);
	free(c);
}

static struct dnscache_entry *
entry_find(struct dnscache *c, const char *name, int type, int dnsclass,
    int drop_expired)
{
	char key[DNSCACHE_NAME_MAX + 1];
	struct dnscache_entry *e;
	size_t len;
	uint32_t h;

	if ((len = dnscache_key_name(name, key, sizeof(key))) == SIZE_MAX)
		return NULL;
	h = key_hash(key, len, type, dnsclass);
	for (e = *bucket_of(c, h); e != NULL; e = e->hnext)
		if (e->hash == h && e->type == type && e->dnsclass == dnsclass &&
		    strcmp(e->name, key) == 0)
			break;
	if (e != NULL && dnscache_now(c) >= e->expires_ms) {
		if (drop_expired)
			entry_remove(c, e);
		return NULL;
	}
	return e;
}

int
dnscache_get(struct dnscache *c, const char *name, int type, int dnsclass,
    int *status, const unsigned char **abuf, int *alen)
{
	struct dnscache_entry *e = entry_find(c, name, type, dnsclass, 1);

	if (e == NULL)
		return 0;
	TAILQ_REMOVE(&c->lru, e, lru);
	TAILQ_INSERT_HEAD(&c->lru, e, lru);
	*status = e->status;
	*abuf = e->abuf;
	*alen = e->alen;
	return 1;
}

int
dnscache_has(struct dnscache *c, const char *name, int type, int dnsclass)
{
	return entry_find(c, name, type, dnsclass, 0) != NULL;
}

/* --- the TTL of a wire answer (RFC 1035 4.1, RFC 2181 8, RFC 2308 5) ---- */

struct wire {
	const unsigned char *p;
	size_t		 len, off;
};

static int
wire_u16(struct wire *w, unsigned *v)
{
	if (w->len - w->off < 2)
		return -1;
	*v = (unsigned)w->p[w->off] << 8 | w->p[w->off + 1];
	w->off += 2;
	return 0;
}

static int
wire_u32(struct wire *w, uint32_t *v)
{
	if (w->len - w->off < 4)
		return -1;
	*v = (uint32_t)w->p[w->off] << 24 | (uint32_t)w->p[w->off + 1] << 16 |
	    (uint32_t)w->p[w->off + 2] << 8 | w->p[w->off + 3];
	w->off += 4;
	return 0;
}

/* Steps over a name in place (a pointer ends it: it is not followed). */
static int
wire_skip_name(struct wire *w)
{
	for (unsigned labels = 0; labels < DNSCACHE_LABELS_MAX; labels++) {
		unsigned char l;

		if (w->off >= w->len)
			return -1;
		l = w->p[w->off];
		if (l == 0) {
			w->off++;
			return 0;
		}
		if ((l & 0xc0) == 0xc0) {
			if (w->len - w->off < 2)
				return -1;
			w->off += 2;
			return 0;
		}
		if ((l & 0xc0) != 0)
			return -1;	/* the reserved label types */
		if (w->len - w->off < (size_t)l + 1)
			return -1;
		w->off += (size_t)l + 1;
	}
	return -1;
}

struct wire_rr {
	unsigned	 type, dnsclass, rdlen;
	uint32_t	 ttl;
	size_t		 rdata;		/* offset */
};

static int
wire_rr(struct wire *w, struct wire_rr *rr)
{
	if (wire_skip_name(w) == -1 || wire_u16(w, &rr->type) == -1 ||
	    wire_u16(w, &rr->dnsclass) == -1 || wire_u32(w, &rr->ttl) == -1 ||
	    wire_u16(w, &rr->rdlen) == -1 || w->len - w->off < rr->rdlen)
		return -1;
	rr->rdata = w->off;
	w->off += rr->rdlen;
	/* RFC 2181 8: a TTL with the top bit set is read as 0. */
	if (rr->ttl > INT32_MAX)
		rr->ttl = 0;
	return 0;
}

enum dnscache_store
dnscache_answer_ttl(int status, const unsigned char *abuf, int alen,
    uint32_t *ttl)
{
	struct wire w;
	unsigned id, flags, qd, an, ns, ar;
	int negative = status == ARES_ENOTFOUND || status == ARES_ENODATA;
	uint32_t best = UINT32_MAX;

	*ttl = 0;
	if (status != ARES_SUCCESS && !negative)
		return DNSCACHE_UNCACHEABLE;
	if (abuf == NULL || alen < NS_HFIXEDSZ)
		return negative ? DNSCACHE_NO_SOA : DNSCACHE_MALFORMED;
	w.p = abuf;
	w.len = (size_t)alen;
	w.off = 0;
	if (wire_u16(&w, &id) == -1 || wire_u16(&w, &flags) == -1 ||
	    wire_u16(&w, &qd) == -1 || wire_u16(&w, &an) == -1 ||
	    wire_u16(&w, &ns) == -1 || wire_u16(&w, &ar) == -1)
		return DNSCACHE_MALFORMED;
	(void)id;
	(void)ar;
	if ((flags & 0x8000) == 0 || (flags & 0x0200) != 0 || qd != 1)
		return DNSCACHE_MALFORMED;	/* not a response, or TC */
	if (wire_skip_name(&w) == -1 || w.len - w.off < 4)
		return DNSCACHE_MALFORMED;
	w.off += 4;
	for (unsigned i = 0; i < an; i++) {
		struct wire_rr rr;

		if (wire_rr(&w, &rr) == -1)
			return DNSCACHE_MALFORMED;
		if (rr.ttl < best)
			best = rr.ttl;
	}
	if (!negative) {
		if (an == 0)
			return DNSCACHE_MALFORMED;
		*ttl = best;
		return best == 0 ? DNSCACHE_TTL_ZERO : DNSCACHE_STORED;
	}
	for (unsigned i = 0; i < ns; i++) {
		struct wire_rr rr;
		uint32_t minimum;
		struct wire rd;

		if (wire_rr(&w, &rr) == -1)
			return DNSCACHE_MALFORMED;
		if (rr.type != ns_t_soa)
			continue;
		/* MNAME, RNAME, then five 32-bit fields: MINIMUM last. */
		rd.p = abuf;
		rd.len = rr.rdata + rr.rdlen;
		rd.off = rr.rdata;
		if (wire_skip_name(&rd) == -1 || wire_skip_name(&rd) == -1 ||
		    rd.len - rd.off != 20)
			return DNSCACHE_MALFORMED;
		rd.off += 16;
		if (wire_u32(&rd, &minimum) == -1)
			return DNSCACHE_MALFORMED;
		if (minimum > INT32_MAX)
			minimum = 0;
		*ttl = rr.ttl < minimum ? rr.ttl : minimum;
		if (best < *ttl)
			*ttl = best;	/* a CNAME on the way */
		return *ttl == 0 ? DNSCACHE_TTL_ZERO : DNSCACHE_STORED;
	}
	return DNSCACHE_NO_SOA;
}

enum dnscache_store
dnscache_put(struct dnscache *c, const char *name, int type, int dnsclass,
    int status, const unsigned char *abuf, int alen)
{
	char key[DNSCACHE_NAME_MAX + 1];
	struct dnscache_entry *e, *old;
	enum dnscache_store s;
	uint32_t ttl, cap;
	size_t len, bytes;
	int negative = status == ARES_ENOTFOUND || status == ARES_ENODATA;

	cap = negative ? (c->p.neg_max_ttl_s < c->p.max_ttl_s ?
	    c->p.neg_max_ttl_s : c->p.max_ttl_s) : c->p.max_ttl_s;
	if (cap == 0)
		return DNSCACHE_OFF;
	if ((s = dnscache_answer_ttl(status, abuf, alen, &ttl)) !=
	    DNSCACHE_STORED)
		return s;
	if ((len = dnscache_key_name(name, key, sizeof(key))) == SIZE_MAX)
		return DNSCACHE_TOO_BIG;
	if (ttl > cap)
		ttl = cap;
	bytes = sizeof(*e) + len + 1 + (size_t)alen;
	if (bytes > c->p.max_bytes || c->p.max_entries == 0)
		return DNSCACHE_TOO_BIG;
	/* A newer answer replaces the one kept. */
	if ((old = entry_find(c, key, type, dnsclass, 1)) != NULL)
		entry_remove(c, old);
	evict_for(c, bytes, 1);
	e = xmalloc(sizeof(*e) + len + 1);
	memcpy(e->name, key, len + 1);
	e->hash = key_hash(key, len, type, dnsclass);
	e->type = type;
	e->dnsclass = dnsclass;
	e->status = status;
	e->expires_ms = dnscache_now(c) + (uint64_t)ttl * 1000;
	e->bytes = bytes;
	e->alen = alen;
	e->abuf = xmalloc((size_t)alen);
	memcpy(e->abuf, abuf, (size_t)alen);
	e->hnext = *bucket_of(c, e->hash);
	*bucket_of(c, e->hash) = e;
	TAILQ_INSERT_HEAD(&c->lru, e, lru);
	c->entries++;
	c->bytes += bytes;
	table_grow(c);
	return DNSCACHE_STORED;
}

size_t
dnscache_entries(const struct dnscache *c)
{
	return c->entries;
}

size_t
dnscache_bytes(const struct dnscache *c)
{
	return c->bytes;
}

unsigned long
dnscache_evictions(const struct dnscache *c)
{
	return c->evictions;
}
