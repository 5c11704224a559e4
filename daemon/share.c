#include "daemon/share.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Sweeps also when the table doubled since the last sweep: MX hosts that
 * rotate their addresses must not grow it without bound. */
#define SHARE_SWEEP_SLACK	64

char *
share_key(const char *address, uint16_t port, const char *protocol,
    unsigned timeout_ms, const char *servername)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%s %u %s %u ", address, (unsigned)port, protocol,
	    timeout_ms);
	for (const char *p = servername; *p; p++)
		buf_putc(&b, (char)tolower((unsigned char)*p));
	return b.data;
}

static uint64_t
key_hash(const char *key)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return h;
}

struct probe_share *
share_find(const struct share_table *t, const char *key)
{
	struct probe_share *s;

	if (t->n_buckets == 0)
		return NULL;
	for (s = t->buckets[key_hash(key) % t->n_buckets]; s; s = s->next)
		if (strcmp(s->key, key) == 0)
			return s;
	return NULL;
}

static void
entry_free(struct probe_share *s)
{
	probe_outcome_drop(s->out);
	tls_audit_drop(s->audit);
	free(s->key);
	free(s);
}

static void
share_grow(struct share_table *t)
{
	size_t n = t->n_buckets ? t->n_buckets * 2 : 256;
	struct probe_share **b = xcalloc(n, sizeof(*b)), *s, *next;

	for (size_t i = 0; i < t->n_buckets; i++)
		for (s = t->buckets[i]; s; s = next) {
			size_t k = key_hash(s->key) % n;

			next = s->next;
			s->next = b[k];
			b[k] = s;
		}
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = n;
}

struct probe_share *
share_add(struct share_table *t, char *key, uint64_t now_ms)
{
	struct probe_share *s;
	size_t k;

	if (t->n >= t->n_after_sweep * 2 + SHARE_SWEEP_SLACK)
		share_sweep(t, now_ms);
	if (t->n >= t->n_buckets)
		share_grow(t);
	s = xcalloc(1, sizeof(*s));
	s->key = key;
	TAILQ_INIT(&s->followers);
	s->out = &probe_outcome_none;
	k = key_hash(key) % t->n_buckets;
	s->next = t->buckets[k];
	t->buckets[k] = s;
	t->n++;
	return s;
}

void
share_remove(struct share_table *t, struct probe_share *s)
{
	struct probe_share **pp = &t->buckets[key_hash(s->key) % t->n_buckets];

	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	t->n--;
	entry_free(s);
}

void
share_sweep(struct share_table *t, uint64_t now_ms)
{
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct probe_share **pp = &t->buckets[i], *s;

		while ((s = *pp) != NULL) {
			if (s->done && s->leader == NULL &&
			    TAILQ_EMPTY(&s->followers) &&
			    now_ms - s->done_ms >= s->keep_ms) {
				*pp = s->next;
				t->n--;
				entry_free(s);
			} else
				pp = &s->next;
		}
	}
	t->n_after_sweep = t->n;
}

void
share_table_free(struct share_table *t)
{
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct probe_share *s, *next;

		for (s = t->buckets[i]; s; s = next) {
			next = s->next;
			entry_free(s);
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}
