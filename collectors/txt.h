/* TXT record helpers shared by the DKIM, DMARC (and SPF) collectors: joining
 * the character-strings of each record, picking records by their version
 * tag, and splitting the "tag=value; ..." lists of RFC 6376 section 3.2.
 * Pure functions over bytes: no DNS here. */
#ifndef MAILSEC_TXT_H
#define MAILSEC_TXT_H

#include <stddef.h>

#include "base/util.h"

/* A record longer than this is cut there and flagged too_long.  One DNS
 * message cannot carry more, so only a hostile feed gets near it. */
#define TXT_RECORD_MAX	(64 * 1024)

/* One TXT record: its strings joined with no separator (RFC 6376 3.6.2.2,
 * RFC 7208 3.3).  text.len is the length; text.data is NUL-terminated for
 * convenience but may hold NULs itself, hence contains_nul. */
struct txt_record {
	struct buf	 text;
	int		 contains_nul;
	int		 too_long;	/* cut at TXT_RECORD_MAX */
};

struct txt_records {
	struct txt_record *recs;
	size_t		   n;
	size_t		   cap;
};

/* One character-string, as c-ares hands them out: record_start marks the
 * first string of each record. */
struct txt_chunk {
	const unsigned char	*ptr;
	size_t			 len;
	int			 record_start;
};

struct ares_txt_ext;

void txt_records_init(struct txt_records *recs);
void txt_records_free(struct txt_records *recs);
/* Appends one string; a string without record_start continues the last
 * record (or starts one when there is none yet). */
void txt_records_add(struct txt_records *recs, const void *ptr, size_t len,
    int record_start);
/* Both join into recs, which must be initialised; they append. */
void txt_join_chunks(struct txt_records *recs, const struct txt_chunk *chunks,
    size_t n);
void txt_join_ares(struct txt_records *recs, const struct ares_txt_ext *list);

/* A raw TXT answer (an ARES_* status and the DNS message) joined into
 * recs, which must be initialised.  Returns DNS_OK (enum dns_result) only
 * when the answer parsed and held a record, else the failure class. */
int txt_parse_answer(int status, const unsigned char *abuf, int alen,
    struct txt_records *recs);
/* A copy of a record for display: controls and DEL become '?'. */
char *txt_printable_copy(const struct txt_record *rec);

/* How a record's first tag compares with a version tag such as v=DMARC1. */
enum txt_version {
	TXT_VERSION_OTHER,	/* an unrelated record */
	TXT_VERSION_NEAR,	/* meant to be one, but not exact: "v=dmarc1",
				 * " v=DMARC1", "v=DMARC1,p=none", "v=DMARC10" */
	TXT_VERSION_EXACT,
};

#define TXT_VERSION_TAG_NOCASE	 0x01	/* "V=" counts as "v=" */
#define TXT_VERSION_VALUE_NOCASE 0x02	/* "spf1" counts as "SPF1" */
#define TXT_VERSION_SPACE_END	 0x04	/* value ends at SP or end (SPF);
					 * default: *WSP then ";" or end */

/* Exact means: the record starts with tag, then *WSP "=" *WSP value and the
 * value's end; nothing may precede the tag. */
enum txt_version txt_version_match(const char *rec, size_t len,
    const char *tag, const char *value, int flags);

struct txt_selection {
	size_t	n_exact;
	size_t	first_exact;	/* index into recs; valid when n_exact */
	size_t	n_near;
	size_t	first_near;	/* valid when n_near */
};

void txt_select(const struct txt_records *recs, const char *tag,
    const char *value, int flags, struct txt_selection *sel);

/* One tag=value of a tag-list.  Pointers go into the parsed record. */
struct txt_tag {
	const char	*name;
	size_t		 name_len;
	const char	*value;		/* FWS trimmed at both ends; may be "" */
	size_t		 value_len;
	size_t		 offset;	/* of the name, for messages */
};

struct txt_taglist {
	struct txt_tag	*tags;
	size_t		 n;
	size_t		 cap;
};

#define TXT_TAGS_NOCASE	0x01	/* tag names compare case-insensitively */
#define TXT_TAGS_RECOVER 0x02	/* after a bad tag-spec, go on at the next
				 * ";" as DMARC receivers do (RFC 7489 6.3) */

/* Splits rec per RFC 6376 3.2:
 *	tag-list = tag-spec *( ";" tag-spec ) [ ";" ]
 *	tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 * with tag-name ALPHA *(ALPHA / DIGIT / "_") and values of VALCHARs
 * (%x21-3A / %x3C-7E) with FWS only between them.  FWS after the trailing
 * ";" is accepted too (real records end in "; ").  An empty or blank record
 * gives no tags and no error.
 * list must start zeroed; it is reused (emptied) on each call.
 * Returns 0, or -1 with *reason "syntax" or "duplicate_tag" and a message
 * about the first problem.  On a syntax error list holds the good tags
 * before it (all of them with TXT_TAGS_RECOVER); on a duplicate, all. */
int txt_taglist_parse(const char *rec, size_t len, int flags,
    struct txt_taglist *list, const char **reason, char *msg, size_t msglen);
void txt_taglist_free(struct txt_taglist *list);
/* The tag called name, or NULL. */
const struct txt_tag *txt_taglist_get(const struct txt_taglist *list,
    const char *name, int flags);
/* Whether a tag's name or value equals s (exactly, or ignoring ASCII case). */
int txt_tag_name_is(const struct txt_tag *tag, const char *s, int nocase);
int txt_span_eq(const char *p, size_t len, const char *s, int nocase);

/* Walks a list inside a tag value, "sha1:sha256" or "mailto:a, mailto:b":
 * items separated by sep, FWS around them trimmed. */
struct txt_list {
	const char	*p;
	const char	*end;
	int		 sep;
	int		 need_item;	/* a separator was just passed */
};

void txt_list_init(struct txt_list *list, const char *value, size_t len,
    int sep);
/* Returns 1 with the next item, 0 at the end (an empty value is an empty
 * list), -1 on an empty item ("a::b", "a:", ":a"). */
int txt_list_next(struct txt_list *list, const char **item, size_t *len);

/* FWS per RFC 6376: WSP, or CRLF followed by WSP.  Returns the bytes at p
 * that are FWS (0 if none). */
size_t txt_fws_len(const char *p, const char *end);

#endif
