/* Interning of results (see intern.h). */
#include "base/intern.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

uint64_t
intern_hash_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

uint64_t
intern_hash_str(uint64_t h, const char *s)
{
	/* the NUL too: "ab" + "c" is not "a" + "bc" */
	return s == NULL ? intern_hash_bytes(h, "", 1) :
	    intern_hash_bytes(h, s, strlen(s) + 1);
}

struct intern_node *
intern_find(const struct intern_pool *pool, uint64_t hash,
    const struct intern_node *like, intern_equal_fn equal)
{
	struct intern_node *n;

	if (pool->n_buckets == 0)
		return NULL;
	for (n = pool->buckets[hash & (pool->n_buckets - 1)]; n != NULL;
	    n = n->next)
		if (n->hash == hash && n->refs < UINT32_MAX && equal(n, like))
			return n;
	return NULL;
}

/* Twice the buckets once there are more blocks than buckets. */
static void
pool_grow(struct intern_pool *pool)
{
	size_t nb = pool->n_buckets ? pool->n_buckets * 2 : 64;
	struct intern_node **b = xcalloc(nb, sizeof(*b)), *n, *next;

	for (size_t i = 0; i < pool->n_buckets; i++)
		for (n = pool->buckets[i]; n != NULL; n = next) {
			next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	free(pool->buckets);
	pool->buckets = b;
	pool->n_buckets = nb;
}

void
intern_insert(struct intern_pool *pool, struct intern_node *node,
    uint64_t hash)
{
	struct intern_node **b;

	if (pool->n >= pool->n_buckets)
		pool_grow(pool);
	node->hash = hash;
	node->pool = pool;
	node->refs = 1;
	b = &pool->buckets[hash & (pool->n_buckets - 1)];
	node->next = *b;
	*b = node;
	pool->n++;
}

void
intern_hold(struct intern_node *node)
{
	node->refs = node->refs ? node->refs + 1 : 2;
}

unsigned
intern_holders(const struct intern_node *node)
{
	return node->refs ? node->refs : 1;
}

int
intern_release(struct intern_node *node)
{
	struct intern_pool *pool = node->pool;
	struct intern_node **pp;

	if (node->refs > 1) {
		node->refs--;
		return 0;
	}
	if (pool != NULL) {
		for (pp = &pool->buckets[node->hash & (pool->n_buckets - 1)];
		    *pp != node; pp = &(*pp)->next)
			;
		*pp = node->next;
		pool->n--;
		node->pool = NULL;
	}
	node->refs = 0;
	return 1;
}

void
intern_pool_free(struct intern_pool *pool)
{
	struct intern_node *n, *next;

	for (size_t i = 0; i < pool->n_buckets; i++)
		for (n = pool->buckets[i]; n != NULL; n = next) {
			next = n->next;
			n->next = NULL;
			n->pool = NULL;
		}
	free(pool->buckets);
	memset(pool, 0, sizeof(*pool));
}
