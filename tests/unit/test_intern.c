/* base/intern.c (pools of equal blocks) and its first user, the MX
 * hygiene results (mxhyg_result_intern): equal results of two domains are
 * one block that owns its names (the domains' own strings are gone before
 * it is read: ASan and valgrind runs), different ones stay apart, and the
 * holders' shares of the bytes add up to the block. */
#include <stdlib.h>
#include <string.h>

#include "base/intern.h"
#include "base/util.h"
#include "collectors/danelookup.h"
#include "collectors/mxhyg.h"
#include "tests/unit/unit.h"

struct item {
	struct intern_node node;
	int		 value;
};

static int
items_equal(const struct intern_node *a, const struct intern_node *b)
{
	return INTERN_BLOCK_CONST(a, struct item)->value ==
	    INTERN_BLOCK_CONST(b, struct item)->value;
}

/* A hash that collides on purpose: chains, not luck, tell them apart. */
static uint64_t
item_hash(int value)
{
	return (uint64_t)(value % 7);
}

static void
test_pool(void)
{
	struct intern_pool pool;
	struct item items[300], like;
	struct intern_node *n;

	memset(&pool, 0, sizeof(pool));
	memset(items, 0, sizeof(items));
	like.value = 5;
	CHECK(intern_find(&pool, item_hash(5), &like.node, items_equal) == NULL);
	for (int i = 0; i < 300; i++) {	/* grows past 64 buckets */
		items[i].value = i;
		intern_insert(&pool, &items[i].node, item_hash(i));
	}
	CHECK_INT(pool.n, 300);
	CHECK(pool.n_buckets >= 256);
	for (int i = 0; i < 300; i += 37) {
		like.value = i;
		n = intern_find(&pool, item_hash(i), &like.node, items_equal);
		CHECK(n == &items[i].node);
	}
	/* held twice: the first release keeps it in the pool */
	intern_hold(&items[5].node);
	CHECK_INT(intern_holders(&items[5].node), 2);
	CHECK_INT(intern_release(&items[5].node), 0);
	like.value = 5;
	CHECK(intern_find(&pool, item_hash(5), &like.node, items_equal) ==
	    &items[5].node);
	CHECK_INT(intern_release(&items[5].node), 1);	/* the last */
	CHECK(intern_find(&pool, item_hash(5), &like.node, items_equal) == NULL);
	CHECK_INT(pool.n, 299);
	/* the others of its chain are still found */
	like.value = 12;
	CHECK(intern_find(&pool, item_hash(12), &like.node, items_equal) ==
	    &items[12].node);
	/* a pool freed with blocks still held: they stay valid, in none */
	intern_hold(&items[12].node);
	intern_pool_free(&pool);
	CHECK(items[12].node.pool == NULL);
	CHECK_INT(pool.n, 0);
	CHECK_INT(intern_release(&items[12].node), 0);
	CHECK_INT(intern_release(&items[12].node), 1);
	/* a block never interned is its only holder */
	memset(&like, 0, sizeof(like));
	CHECK_INT(intern_holders(&like.node), 1);
	CHECK_INT(intern_release(&like.node), 1);
	/* the string hash keeps the boundaries */
	CHECK(intern_hash_str(intern_hash_str(INTERN_HASH_INIT, "ab"), "c") !=
	    intern_hash_str(intern_hash_str(INTERN_HASH_INIT, "a"), "bc"));
	CHECK(intern_hash_str(INTERN_HASH_INIT, NULL) ==
	    intern_hash_str(INTERN_HASH_INIT, ""));
}

/* A finished MX hygiene result of two MX hosts, one address each, its
 * names borrowed from names[] (as a job's borrow the check result's). */
static struct mxhyg_result *
hygiene(char names[4][32], int ptr_match)
{
	struct mxhyg_result *r = xcalloc(1, sizeof(*r));

	r->n_hosts = 2;
	r->hosts = xcalloc(2, sizeof(*r->hosts));
	r->n_addrs = 2;
	r->addrs = xcalloc(2, sizeof(*r->addrs));
	for (int i = 0; i < 2; i++) {
		r->hosts[i].host = names[i];
		r->hosts[i].caa_name = names[i] + 4;	/* "mx1.example.net" */
		r->hosts[i].caa_present = 0;
		r->hosts[i].cname = 0;
		r->hosts[i].n_v4 = 1;
		r->addrs[i].host = names[i];
		r->addrs[i].address = names[2 + i];
		r->addrs[i].family = 4;
		r->addrs[i].match = ptr_match;
		r->addrs[i].matched = -1;
		r->addrs[i].n_ptr_names = 1;
		r->addrs[i].ptr_names = xcalloc(1, sizeof(char *));
		r->addrs[i].ptr_names[0] = xstrdup(names[i]);
	}
	r->n_findings = 1;
	r->findings = xcalloc(1, sizeof(*r->findings));
	r->findings[0].reason = MX_ERR_CNAME;
	r->findings[0].host = names[1];
	return r;
}

static void
names_fill(char names[4][32])
{
	strcpy(names[0], "srv.mx1.example.net");
	strcpy(names[1], "srv.mx2.example.net");
	strcpy(names[2], "192.0.2.1");
	strcpy(names[3], "192.0.2.2");
}

static void
test_mxhyg(void)
{
	struct intern_pool pool;
	char a_names[4][32], b_names[4][32], c_names[4][32];
	struct mxhyg_result *a, *b, *c, *ia, *ib, *ic;
	size_t whole;

	memset(&pool, 0, sizeof(pool));
	names_fill(a_names);
	names_fill(b_names);
	names_fill(c_names);
	a = hygiene(a_names, 1);
	b = hygiene(b_names, 1);
	c = hygiene(c_names, 0);	/* a PTR that does not match */
	ia = mxhyg_result_intern(&pool, a);
	CHECK(ia == a);
	whole = mxhyg_result_bytes(ia);
	ib = mxhyg_result_intern(&pool, b);	/* b freed */
	CHECK(ib == ia);
	ic = mxhyg_result_intern(&pool, c);
	CHECK(ic != ia);
	CHECK_INT(pool.n, 2);
	/* the block owns its names: the domains' strings are gone */
	memset(a_names, 'x', sizeof(a_names));
	memset(b_names, 'y', sizeof(b_names));
	memset(c_names, 'z', sizeof(c_names));
	CHECK_STR(ia->hosts[1].host, "srv.mx2.example.net");
	CHECK_STR(ia->hosts[1].caa_name, "mx2.example.net");
	CHECK_STR(ia->addrs[0].address, "192.0.2.1");
	CHECK_STR(ia->findings[0].host, "srv.mx2.example.net");
	CHECK(mxhyg_host_find(ia, "SRV.mx1.example.net") == &ia->hosts[0]);
	CHECK_INT(mxhyg_smtp_name_matches(ic, "other.example", "192.0.2.2",
	    "srv.mx2.example.net"), 1);
	/* two holders: each counts half */
	CHECK_INT(intern_holders(&ia->node), 2);
	CHECK(mxhyg_result_bytes(ia) * 2 <= whole &&
	    mxhyg_result_bytes(ia) * 2 + 2 > whole);
	/* let go in any order; the last holder frees it */
	mxhyg_result_free(ia);
	CHECK_INT(pool.n, 2);
	CHECK_STR(ib->hosts[0].host, "srv.mx1.example.net");
	mxhyg_result_free(ib);
	CHECK_INT(pool.n, 1);
	intern_pool_free(&pool);
	mxhyg_result_free(ic);	/* outlived its pool */
	mxhyg_result_free(NULL);
}

/* A DANE lookup of host on port 25 with one record of rdata. */
static struct danelookup_result *
lookup(const char *host, enum dnssec_status mx, const unsigned char *rdata,
    size_t len)
{
	static const uint16_t port25[] = { 25 };
	struct danelookup_result *r = danelookup_result_new(host, port25, 1);

	r->mx_status = mx;
	r->addr_status = DNSSEC_SECURE;
	r->ports[0].tlsa_status = DNSSEC_SECURE;
	CHECK_INT(tlsa_add_rdata(&r->ports[0].tlsa, rdata, len), 0);
	r->ports[0].applicable = 1;
	return r;
}

static void
test_dane(void)
{
	static const unsigned char rec1[] = { 3, 1, 1, 0xaa, 0xbb, 0xcc },
	    rec2[] = { 3, 1, 1, 0xaa, 0xbb, 0xcd };
	struct intern_pool pool;
	char host_a[32], host_b[32], host_c[32], host_d[32];
	struct danelookup_result *a, *b, *c, *d;

	memset(&pool, 0, sizeof(pool));
	strcpy(host_a, "mx.example.net");
	strcpy(host_b, "mx.example.net");
	strcpy(host_c, "mx.example.net");
	strcpy(host_d, "mx.example.net");
	a = danelookup_result_intern(&pool, lookup(host_a, DNSSEC_SECURE,
	    rec1, sizeof(rec1)));
	/* what a probe matched is its scratch: not compared */
	a->ports[0].tlsa.recs[0].match = DANE_MATCHES;
	b = danelookup_result_intern(&pool, lookup(host_b, DNSSEC_SECURE,
	    rec1, sizeof(rec1)));
	CHECK(b == a);
	/* another record, or the domain's MX validated otherwise: apart */
	c = danelookup_result_intern(&pool, lookup(host_c, DNSSEC_SECURE,
	    rec2, sizeof(rec2)));
	d = danelookup_result_intern(&pool, lookup(host_d, DNSSEC_INSECURE,
	    rec1, sizeof(rec1)));
	CHECK(c != a && d != a && c != d);
	CHECK_INT(pool.n, 3);
	memset(host_a, 'x', sizeof(host_a));	/* the block's host is its own */
	memset(host_b, 'y', sizeof(host_b));
	CHECK_STR(a->host, "mx.example.net");
	CHECK(danelookup_usable(a, 25) == &a->ports[0].tlsa);
	CHECK_INT(intern_holders(&a->node), 2);
	danelookup_result_free(a);
	danelookup_result_free(c);
	CHECK_INT(pool.n, 2);
	CHECK_STR(b->host, "mx.example.net");
	danelookup_result_free(b);
	intern_pool_free(&pool);
	danelookup_result_free(d);
}

int
main(void)
{
	test_pool();
	test_mxhyg();
	test_dane();
	return unit_done("test_intern");
}
