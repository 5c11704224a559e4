/* Owned strings at their exact length: a text a fixed buffer char[size]
 * held is kept as a heap copy cut where snprintf into that buffer would
 * cut it, and the empty text as the shared ostr_empty (never freed), so
 * a result pays for the bytes it has, not for the bound.
 *
 * Shared strings: ostr_share() keeps one refcounted copy of equal texts
 * (a DKIM key record that 10,000 hosted domains publish), and each holder
 * counts its share of it (ostr_share_bytes), so that the shares of all
 * holders add up to what the copy takes.  One thread only. */
#ifndef MAILSEC_OSTR_H
#define MAILSEC_OSTR_H

#include <stddef.h>

extern char ostr_empty[];

/* s cut to size - 1 bytes; ostr_empty when that is empty (or s NULL). */
char *ostr_cut(const char *s, size_t size);
/* The text snprintf(buf, size, fmt, ...) would leave in buf. */
char *ostr_printf(size_t size, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees s unless NULL or ostr_empty. */
void ostr_free(char *s);
/* Frees *dst (ostr_free) and stores s. */
void ostr_set(char **dst, char *s);
/* Heap bytes s holds: strlen + 1, 0 for NULL and ostr_empty. */
size_t ostr_bytes(const char *s);

/* Takes s (malloc'd, or NULL) and returns the shared copy of its text,
 * freeing s when one is there already; NULL for NULL. */
char *ostr_share(char *s);
/* Drops a reference got from ostr_share() (NULL is fine). */
void ostr_unshare(char *s);
/* One holder's share of a shared string's bytes (its header included),
 * rounded up: the shares of its holders add up to at least its size. */
size_t ostr_share_bytes(const char *s);
/* Shared strings alive, for tests. */
size_t ostr_shared_count(void);

#endif
