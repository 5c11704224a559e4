#include "base/ostr.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

char ostr_empty[1];

char *
ostr_cut(const char *s, size_t size)
{
	size_t len;

	if (s == NULL || s[0] == '\0' || size <= 1)
		return ostr_empty;
	len = strnlen(s, size - 1);
	return xstrndup(s, len);
}

char *
ostr_printf(size_t size, const char *fmt, ...)
{
	char buf[1024], *big = NULL, *s;
	va_list ap;
	int n;

	if (size > sizeof(buf))
		big = xmalloc(size);
	va_start(ap, fmt);
	n = vsnprintf(big ? big : buf, big ? size : (size ? size : 1), fmt, ap);
	va_end(ap);
	if (n < 0)
		(big ? big : buf)[0] = '\0';
	s = ostr_cut(big ? big : buf, size);
	free(big);
	return s;
}

void
ostr_free(char *s)
{
	if (s != ostr_empty)
		free(s);
}

void
ostr_set(char **dst, char *s)
{
	ostr_free(*dst);
	*dst = s;
}

size_t
ostr_bytes(const char *s)
{
	return s == NULL || s == ostr_empty ? 0 : strlen(s) + 1;
}

/* --- shared strings ------------------------------------------------------ */

struct shared {
	struct shared	*next;		/* in its bucket */
	uint32_t	 refs;
	uint32_t	 hash;
	char		 text[];
};

static struct {
	struct shared	**buckets;
	size_t		 n_buckets;	/* a power of two, or 0 */
	size_t		 n;
} table;

static uint32_t
text_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct shared *
shared_of(const char *s)
{
	return (struct shared *)(void *)(s - offsetof(struct shared, text));
}

static void
table_grow(void)
{
	size_t n = table.n_buckets ? table.n_buckets * 2 : 64;
	struct shared **b = xcalloc(n, sizeof(*b));

	for (size_t i = 0; i < table.n_buckets; i++)
		for (struct shared *e = table.buckets[i], *next; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	free(table.buckets);
	table.buckets = b;
	table.n_buckets = n;
}

char *
ostr_share(char *s)
{
	struct shared *e;
	uint32_t h;
	size_t len;

	if (s == NULL)
		return NULL;
	h = text_hash(s);
	if (table.n_buckets)
		for (e = table.buckets[h & (table.n_buckets - 1)]; e;
		    e = e->next)
			if (e->hash == h && e->refs < UINT32_MAX &&
			    strcmp(e->text, s) == 0) {
				e->refs++;
				free(s);
				return e->text;
			}
	if (table.n >= table.n_buckets)
		table_grow();
	len = strlen(s);
	e = xmalloc(sizeof(*e) + len + 1);
	memcpy(e->text, s, len + 1);
	free(s);
	e->refs = 1;
	e->hash = h;
	e->next = table.buckets[h & (table.n_buckets - 1)];
	table.buckets[h & (table.n_buckets - 1)] = e;
	table.n++;
	return e->text;
}

void
ostr_unshare(char *s)
{
	struct shared *e, **pp;

	if (s == NULL)
		return;
	e = shared_of(s);
	if (--e->refs > 0)
		return;
	for (pp = &table.buckets[e->hash & (table.n_buckets - 1)]; *pp != e;
	    pp = &(*pp)->next)
		;
	*pp = e->next;
	free(e);
	if (--table.n == 0) {
		free(table.buckets);
		table.buckets = NULL;
		table.n_buckets = 0;
	}
}

size_t
ostr_share_bytes(const char *s)
{
	const struct shared *e;
	size_t size;

	if (s == NULL)
		return 0;
	e = shared_of(s);
	size = sizeof(*e) + strlen(s) + 1;
	return (size + e->refs - 1) / e->refs;
}

size_t
ostr_shared_count(void)
{
	return table.n;
}
