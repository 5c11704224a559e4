/* The state file of change detection (state_file): the last known hash of
 * every published thing, when it last changed, the facts weakening is told
 * from, and the weakenings still held.  A line format, read by a strict
 * parser (every byte checked, bounded), written whole to a temporary file,
 * fsync'd and renamed over the old one, so that a crash leaves the old
 * file or the new one, never a torn one.
 *
 *   mailsec_exporter state 1
 *   r DOMAIN RECORD HASH CHANGED F0 F1 F2
 *   w WHAT SINCE                      (a weakening of the r line before)
 *   end N                             (N r lines: a cut file is corrupt)
 *
 * DOMAIN is "-" for a target without a domain ([endpoint]); DOMAIN, RECORD
 * and WHAT are 1-255 bytes of [A-Za-z0-9._:*-]; HASH is 12 lowercase hex
 * digits (48 bits); CHANGED and SINCE are whole seconds since the epoch;
 * F0-F2 signed decimals within +-2^53. */
#ifndef MAILSEC_STATEFILE_H
#define MAILSEC_STATEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

#define CHANGE_FACTS		3
#define CHANGE_WEAK_MAX		4
#define CHANGE_NAME_MAX		255
/* The table's bound scales with the targets: ~9 entries a domain are
 * usual (MX set, SPF, DMARC, DKIM keys, MTA-STS, a TLSA set and a
 * certificate per MX host), 32 leave room for more; never below 100,000,
 * never above 4,000,000.  The file may be STATEFILE_BYTES_PER_ENTRY bytes
 * an entry (16.8 MB at 100,000: a line is ~80 bytes). */
#define STATEFILE_ENTRIES_MAX		100000	/* the least bound */
#define STATEFILE_ENTRIES_PER_TARGET	32
#define STATEFILE_ENTRIES_LIMIT		4000000
#define STATEFILE_BYTES_PER_ENTRY	168
size_t statefile_entries_max(size_t n_targets);

struct change_weak {
	char	 what[CHANGE_NAME_MAX + 1];
	double	 since;			/* wall clock */
};

/* An entry holds its names at their length (one allocation: domain, NUL,
 * record, NUL; never NULL) and its weakening slots only once it has one:
 * at 10,000 domains the table has ~100,000 entries, and fixed 256-byte
 * names and four weakening slots in each were 1.6 KB an entry (160 MB). */
struct change_entry {
	char	*domain;		/* "" without one */
	char	*record;		/* "spf", "dkim:sel", ...: in domain's
					 * allocation */
	uint64_t hash;			/* the first 48 bits of a SHA-256 */
	double	 changed;		/* wall clock: last change, or first sight */
	int64_t	 facts[CHANGE_FACTS];	/* see daemon/changes.c */
	struct change_weak *weak;	/* CHANGE_WEAK_MAX slots once the first
					 * is added (change_entry_weak_add);
					 * NULL before */
	size_t	 n_weak;
	int	 seen;			/* observed since the start (not saved) */
};

struct change_table {
	struct change_entry *e;
	size_t	 n;
	size_t	 cap;
	size_t	 max;		/* entries at most (statefile_entries_max);
				 * 0: STATEFILE_ENTRIES_MAX */
	/* An open-addressing index of e by (domain, record): entry i + 1,
	 * 0 empty; its size a power of two, at least twice n.  A round of
	 * 10,000 domains looks up ~100,000 entries once each: a scan of
	 * the table per lookup made that quadratic. */
	uint32_t *slot;
	size_t	 n_slots;
};

/* Frees the entries (max stays). */
void change_table_free(struct change_table *t);
/* t->max, or STATEFILE_ENTRIES_MAX when 0. */
size_t change_table_max(const struct change_table *t);
/* The entry of (domain, record), or NULL. */
struct change_entry *change_table_find(struct change_table *t,
    const char *domain, const char *record);
/* The entry of (domain, record), made (hash 0, zero facts) if new; NULL
 * when the table is full or a name is not a valid token. */
struct change_entry *change_table_get(struct change_table *t,
    const char *domain, const char *record, int *created);
/* A new weakening slot of e (its what "", since 0), or NULL when e holds
 * CHANGE_WEAK_MAX. */
struct change_weak *change_entry_weak_add(struct change_entry *e);
/* Whether s is a valid DOMAIN/RECORD/WHAT token ("" is, for DOMAIN). */
int statefile_token_ok(const char *s, int empty_ok);

/* Parses text[0..len) into t (emptied first), within t's bound: at most
 * change_table_max(t) entries in STATEFILE_BYTES_PER_ENTRY bytes each.  0, or -1 with a message
 * naming the line in err; t is then empty. */
int statefile_parse(const char *text, size_t len, struct change_table *t,
    char *err, size_t errlen);
/* The file's text for t, appended to b. */
void statefile_format(const struct change_table *t, struct buf *b);
/* Writes t to path atomically: path.tmp, fsync, rename, fsync of the
 * directory.  0, or -1 with err.  The test hook MAILSEC_TEST_STATE_SLOW_MS
 * makes it pause that long between its write() calls (one per line). */
int statefile_write(const char *path, const struct change_table *t,
    char *err, size_t errlen);
/* Reads path into t.  1 read, 0 no file (t empty), -1 unreadable or
 * corrupt (t empty, err says why). */
int statefile_read(const char *path, struct change_table *t, char *err,
    size_t errlen);

#endif
