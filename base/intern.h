/* Interning of results: equal blocks built by different checks (the MX
 * hygiene of every domain on the same two MX hosts, answered alike) are
 * kept once, refcounted, each holder counting its share of the bytes.  A
 * block embeds a struct intern_node; its type gives the hash and the
 * equality.  A pool starts zeroed; a block leaves it with its last holder
 * (intern_remove), or all at once with the pool (intern_pool_free: the
 * blocks still held stay valid, outside any pool).  One thread only. */
#ifndef MAILSEC_INTERN_H
#define MAILSEC_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct intern_pool;

struct intern_node {
	struct intern_node *next;	/* hash chain */
	struct intern_pool *pool;	/* NULL: in none */
	uint64_t	 hash;
	unsigned	 refs;		/* holders; 0 is one (never interned) */
};

struct intern_pool {
	struct intern_node **buckets;
	size_t		 n_buckets;	/* a power of two, or 0 */
	size_t		 n;
};

typedef int (*intern_equal_fn)(const struct intern_node *a,
    const struct intern_node *b);

/* The block of type whose member node n is (const kept as given). */
#define INTERN_BLOCK(n, type) \
	((type *)(void *)((char *)(n) - offsetof(type, node)))
#define INTERN_BLOCK_CONST(n, type) \
	((const type *)(const void *)((const char *)(n) - offsetof(type, node)))

/* The block of pool equal to like (whose hash is hash), or NULL. */
struct intern_node *intern_find(const struct intern_pool *pool,
    uint64_t hash, const struct intern_node *like, intern_equal_fn equal);
/* Puts node (not in a pool) into pool under hash, with one holder. */
void intern_insert(struct intern_pool *pool, struct intern_node *node,
    uint64_t hash);
/* One holder more of node. */
void intern_hold(struct intern_node *node);
/* One holder less: 1 when it was the last (the caller frees the block,
 * now out of its pool), else 0. */
int intern_release(struct intern_node *node);
/* Holders of node: at least 1. */
unsigned intern_holders(const struct intern_node *node);
/* Empties the pool; the blocks it held stay valid, in no pool. */
void intern_pool_free(struct intern_pool *pool);

/* FNV-1a over len bytes, continued from h (start from INTERN_HASH_INIT);
 * a NULL string hashes as "". */
#define INTERN_HASH_INIT	UINT64_C(0xcbf29ce484222325)
uint64_t intern_hash_bytes(uint64_t h, const void *p, size_t len);
uint64_t intern_hash_str(uint64_t h, const char *s);

#endif
