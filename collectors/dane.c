/* TLSA records and their matching (dane.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "collectors/dane.h"
#include "base/util.h"

#define TYPE_TLSA	52
#define CLASS_IN	1

static const char *const match_names[DANE_MATCH__COUNT] = {
	[DANE_MATCHES] = "matches",
	[DANE_NO_MATCH] = "no_match",
	[DANE_UNUSABLE] = "unusable",
};
_Static_assert(ARRAY_LEN(match_names) == DANE_MATCH__COUNT, "a name each");

static const char *const reason_names[DANE_REASON__COUNT] = {
	[DANE_REASON_NONE] = "none",
	[DANE_REASON_NO_TLSA] = "no_tlsa",
	[DANE_REASON_INSECURE] = "insecure",
	[DANE_REASON_BOGUS] = "bogus",
	[DANE_REASON_UNUSABLE] = "unusable",
	[DANE_REASON_NO_MATCH] = "no_match",
	[DANE_REASON_TA_NOT_PRESENTED] = "ta_not_presented",
	[DANE_REASON_NAME_MISMATCH] = "name_mismatch",
	[DANE_REASON_EXPIRED] = "expired",
	[DANE_REASON_DNS] = "dns",
};
_Static_assert(ARRAY_LEN(reason_names) == DANE_REASON__COUNT, "a name each");

const char *
dane_reason_name(enum dane_reason r)
{
	return (unsigned)r < DANE_REASON__COUNT ? reason_names[r] : "unknown";
}

const char *
dane_match_name(enum dane_match m)
{
	return (unsigned)m < DANE_MATCH__COUNT ? match_names[m] : "unknown";
}

void
tlsa_set_init(struct tlsa_set *s)
{
	memset(s, 0, sizeof(*s));
}

void
tlsa_set_free(struct tlsa_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->recs[i].data);
	free(s->recs);
	tlsa_set_init(s);
}

int
tlsa_set_equal(const struct tlsa_set *a, const struct tlsa_set *b)
{
	if (a->n != b->n || a->truncated != b->truncated ||
	    a->malformed != b->malformed)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct tlsa_record *x = &a->recs[i], *y = &b->recs[i];

		if (x->usage != y->usage || x->selector != y->selector ||
		    x->mtype != y->mtype || x->len != y->len ||
		    (x->data == NULL) != (y->data == NULL) ||
		    (x->len > 0 && x->data != NULL &&
		    memcmp(x->data, y->data, x->len) != 0))
			return 0;
	}
	return 1;
}

size_t
tlsa_set_bytes(const struct tlsa_set *s)
{
	size_t n = s->n * sizeof(*s->recs);

	for (size_t i = 0; i < s->n; i++)
		if (s->recs[i].data != NULL)
			n += s->recs[i].len;
	return n;
}

void
tlsa_set_copy(struct tlsa_set *dst, const struct tlsa_set *src)
{
	tlsa_set_init(dst);
	dst->truncated = src->truncated;
	dst->malformed = src->malformed;
	if (src->n == 0)
		return;
	dst->recs = xreallocarray(NULL, src->n, sizeof(*dst->recs));
	for (size_t i = 0; i < src->n; i++) {
		dst->recs[i] = src->recs[i];
		if (src->recs[i].data != NULL) {
			dst->recs[i].data = xmalloc(src->recs[i].len);
			memcpy(dst->recs[i].data, src->recs[i].data,
			    src->recs[i].len);
		}
	}
	dst->n = src->n;
}

int
tlsa_add_rdata(struct tlsa_set *s, const unsigned char *rdata, size_t len)
{
	struct tlsa_record *r;

	if (len < 3) {
		s->malformed = 1;
		return -1;
	}
	if (s->n == DANE_TLSA_MAX) {
		s->truncated = 1;
		return 0;
	}
	s->recs = xreallocarray(s->recs, s->n + 1, sizeof(*s->recs));
	r = &s->recs[s->n++];
	memset(r, 0, sizeof(*r));
	r->usage = rdata[0];
	r->selector = rdata[1];
	r->mtype = rdata[2];
	r->depth = -1;
	r->len = len - 3;
	if (r->len > 0 && r->len <= DANE_DATA_MAX) {
		r->data = xmalloc(r->len);
		memcpy(r->data, rdata + 3, r->len);
	}
	return 0;
}

/* --- the DNS message ------------------------------------------------------- */

/* Skips a possibly compressed name at *off; 0, or -1 when it runs past
 * the message or uses a label type that does not exist. */
static int
skip_name(const unsigned char *pkt, size_t len, size_t *off)
{
	size_t o = *off;

	for (unsigned labels = 0; labels < 128; labels++) {
		unsigned l;

		if (o >= len)
			return -1;
		l = pkt[o];
		if ((l & 0xc0) == 0xc0) {	/* a pointer ends the name */
			if (o + 2 > len)
				return -1;
			*off = o + 2;
			return 0;
		}
		if (l & 0xc0)
			return -1;		/* 0x40, 0x80: no such labels */
		o += 1 + l;
		if (l == 0) {
			*off = o;
			return 0;
		}
	}
	return -1;
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

int
tlsa_parse_answer(const unsigned char *pkt, size_t len, struct tlsa_set *s)
{
	size_t off = 12;
	unsigned qd, an;

	if (len < 12) {
		s->malformed = 1;
		return -1;
	}
	qd = get16(pkt + 4);
	an = get16(pkt + 6);
	for (unsigned i = 0; i < qd; i++) {
		if (skip_name(pkt, len, &off) == -1 || off + 4 > len) {
			s->malformed = 1;
			return -1;
		}
		off += 4;
	}
	for (unsigned i = 0; i < an; i++) {
		unsigned type, class, rdlen;

		if (skip_name(pkt, len, &off) == -1 || off + 10 > len) {
			s->malformed = 1;
			return -1;
		}
		type = get16(pkt + off);
		class = get16(pkt + off + 2);
		rdlen = get16(pkt + off + 8);
		off += 10;
		if (off + rdlen > len) {
			s->malformed = 1;
			return -1;
		}
		if (type == TYPE_TLSA && class == CLASS_IN)
			(void)tlsa_add_rdata(s, pkt + off, rdlen);
		off += rdlen;
	}
	return 0;
}

/* --- matching ---------------------------------------------------------------- */

static int
digest_len_ok(const struct tlsa_record *r)
{
	switch (r->mtype) {
	case 0:	return r->len > 0;
	case 1:	return r->len == 32;
	case 2:	return r->len == 64;
	default: return 0;
	}
}

/* RFC 7672 3.1, RFC 6698 2.1: what this client can use at all. */
static void
mark_usability(struct tlsa_set *s)
{
	int have512[4][2] = { { 0 } };

	for (size_t i = 0; i < s->n; i++) {
		struct tlsa_record *r = &s->recs[i];

		r->match = DANE_NO_MATCH;
		r->depth = -1;
		r->unusable_why = NULL;
		if (r->usage != DANE_TA && r->usage != DANE_EE)
			r->unusable_why = "usages 0 and 1 (PKIX) are not for SMTP";
		else if (r->selector > 1)
			r->unusable_why = "unknown selector";
		else if (r->mtype > 2)
			r->unusable_why = "unknown matching type";
		else if (!digest_len_ok(r))
			r->unusable_why = "association data of the wrong length";
		else if (r->data == NULL)
			r->unusable_why = "association data too long to keep";
		if (r->unusable_why != NULL)
			r->match = DANE_UNUSABLE;
		else if (r->mtype == 2)
			have512[r->usage][r->selector] = 1;
	}
	/* RFC 7671 section 9: the strongest digest of a usage and selector
	 * is the one used. */
	for (size_t i = 0; i < s->n; i++) {
		struct tlsa_record *r = &s->recs[i];

		if (r->match != DANE_UNUSABLE && r->mtype == 1 &&
		    have512[r->usage][r->selector]) {
			r->match = DANE_UNUSABLE;
			r->unusable_why = "SHA-256 outweighed by a SHA-512 record"
			    " (digest agility)";
		}
	}
}

/* The selected bytes of x: the whole certificate or its SPKI, DER. */
static unsigned char *
selected_der(X509 *x, int selector, int *len)
{
	unsigned char *der = NULL;

	*len = selector == 0 ? i2d_X509(x, &der) :
	    i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (*len <= 0) {
		OPENSSL_free(der);
		return NULL;
	}
	return der;
}

static int
record_matches(const struct tlsa_record *r, const unsigned char *der, int len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	switch (r->mtype) {
	case 0:
		return (size_t)len == r->len && memcmp(der, r->data, r->len) == 0;
	case 1:
		return EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(),
		    NULL) == 1 && mdlen == r->len &&
		    memcmp(md, r->data, r->len) == 0;
	case 2:
		return EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha512(),
		    NULL) == 1 && mdlen == r->len &&
		    memcmp(md, r->data, r->len) == 0;
	default:
		return 0;
	}
}

size_t
dane_match_chain(struct tlsa_set *s, STACK_OF(X509) *chain)
{
	int n = chain != NULL ? sk_X509_num(chain) : 0;
	size_t usable = 0;

	mark_usability(s);
	for (int d = 0; d < n; d++) {
		X509 *x = sk_X509_value(chain, d);
		unsigned char *der[2] = { NULL, NULL };
		int len[2] = { 0, 0 };

		for (int sel = 0; sel < 2; sel++)
			der[sel] = selected_der(x, sel, &len[sel]);
		for (size_t i = 0; i < s->n; i++) {
			struct tlsa_record *r = &s->recs[i];

			if (r->match != DANE_NO_MATCH)
				continue;	/* unusable, or matched already */
			if ((r->usage == DANE_EE) != (d == 0))
				continue;	/* EE: the leaf; TA: above it */
			if (der[r->selector] != NULL &&
			    record_matches(r, der[r->selector], len[r->selector])) {
				r->match = DANE_MATCHES;
				r->depth = d;
			}
		}
		OPENSSL_free(der[0]);
		OPENSSL_free(der[1]);
	}
	for (size_t i = 0; i < s->n; i++)
		usable += s->recs[i].match != DANE_UNUSABLE;
	return usable;
}

void
dane_count(const struct tlsa_set *s, struct dane_counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < s->n; i++) {
		switch (s->recs[i].match) {
		case DANE_MATCHES:
			c->matching++;
			c->usable++;
			break;
		case DANE_NO_MATCH:
			c->no_match++;
			c->usable++;
			break;
		case DANE_UNUSABLE:
		case DANE_MATCH__COUNT:
			c->unusable++;
			break;
		}
	}
}

int
dane_rollover_ready(const struct tlsa_set *s)
{
	int matches = 0, next_key = 0, ta_matches = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct tlsa_record *r = &s->recs[i];

		if (r->match == DANE_MATCHES) {
			matches = 1;
			ta_matches |= r->usage == DANE_TA;
		} else if (r->match == DANE_NO_MATCH) {
			/* usable and for a key not presented today: a
			 * published next key (one is enough, so duplicates
			 * of it change nothing) */
			next_key = 1;
		}
	}
	return matches && (next_key || ta_matches);
}

static int
tally_cmp(const struct dane_tally_row *a, const struct dane_tally_row *b)
{
	if (a->usage != b->usage)
		return a->usage < b->usage ? -1 : 1;
	if (a->selector != b->selector)
		return a->selector < b->selector ? -1 : 1;
	if (a->mtype != b->mtype)
		return a->mtype < b->mtype ? -1 : 1;
	return a->match < b->match ? -1 : a->match > b->match;
}

void
dane_tally(const struct tlsa_set *s, struct dane_tally *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < s->n; i++) {
		const struct tlsa_record *r = &s->recs[i];
		unsigned k;

		for (k = 0; k < t->n; k++)
			if (t->rows[k].usage == r->usage &&
			    t->rows[k].selector == r->selector &&
			    t->rows[k].mtype == r->mtype &&
			    t->rows[k].match == (uint8_t)r->match)
				break;
		if (k == t->n) {
			if (t->n == DANE_TALLY_MAX) {
				t->dropped++;
				continue;
			}
			t->rows[k].usage = r->usage;
			t->rows[k].selector = r->selector;
			t->rows[k].mtype = r->mtype;
			t->rows[k].match = (uint8_t)r->match;
			t->n++;
		}
		t->rows[k].count++;
	}
	/* In one order whatever the order of the RRset (it rotates). */
	for (unsigned i = 1; i < t->n; i++)
		for (unsigned j = i; j > 0 && tally_cmp(&t->rows[j - 1],
		    &t->rows[j]) > 0; j--) {
			struct dane_tally_row tmp = t->rows[j];

			t->rows[j] = t->rows[j - 1];
			t->rows[j - 1] = tmp;
		}
}
