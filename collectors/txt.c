#include "collectors/txt.h"
#include "collectors/dns.h"

#include <ares.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
is_alnumpunc(int c)
{
	return ascii_is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* RFC 6376 VALCHAR: printable ASCII except ";". */
static int
is_valchar(int c)
{
	return c >= 0x21 && c <= 0x7e && c != ';';
}

static int
bytes_eq(const char *a, const char *b, size_t n, int nocase)
{
	for (size_t i = 0; i < n; i++) {
		int ca = (unsigned char)a[i], cb = (unsigned char)b[i];

		if (nocase) {
			ca = ascii_lower(ca);
			cb = ascii_lower(cb);
		}
		if (ca != cb)
			return 0;
	}
	return 1;
}

void
txt_records_init(struct txt_records *recs)
{
	recs->recs = NULL;
	recs->n = recs->cap = 0;
}

void
txt_records_free(struct txt_records *recs)
{
	for (size_t i = 0; i < recs->n; i++)
		buf_free(&recs->recs[i].text);
	free(recs->recs);
	txt_records_init(recs);
}

void
txt_records_add(struct txt_records *recs, const void *ptr, size_t len,
    int record_start)
{
	struct txt_record *r;
	size_t room;

	if (record_start || recs->n == 0) {
		if (recs->n == recs->cap) {
			recs->cap = recs->cap ? recs->cap * 2 : 4;
			recs->recs = xreallocarray(recs->recs, recs->cap,
			    sizeof(*recs->recs));
		}
		r = &recs->recs[recs->n++];
		buf_init(&r->text);
		buf_append(&r->text, "", 0);	/* data is never NULL */
		r->contains_nul = 0;
		r->too_long = 0;
	} else
		r = &recs->recs[recs->n - 1];

	if (len == 0 || r->too_long)
		return;
	room = TXT_RECORD_MAX - r->text.len;
	if (len > room) {
		len = room;
		r->too_long = 1;
	}
	if (memchr(ptr, '\0', len) != NULL)
		r->contains_nul = 1;
	buf_append(&r->text, ptr, len);
}

void
txt_join_chunks(struct txt_records *recs, const struct txt_chunk *chunks,
    size_t n)
{
	for (size_t i = 0; i < n; i++)
		txt_records_add(recs, chunks[i].ptr, chunks[i].len,
		    chunks[i].record_start);
}

void
txt_join_ares(struct txt_records *recs, const struct ares_txt_ext *list)
{
	for (; list != NULL; list = list->next)
		txt_records_add(recs, list->txt, list->length,
		    list->record_start);
}

/* Matches tag *WSP "=" *WSP value at p; returns the end of value or NULL. */
static const char *
match_version(const char *p, const char *end, const char *tag,
    const char *value, int tag_nocase, int value_nocase)
{
	size_t tlen = strlen(tag), vlen = strlen(value);

	if ((size_t)(end - p) < tlen || !bytes_eq(p, tag, tlen, tag_nocase))
		return NULL;
	p += tlen;
	while (p < end && ascii_is_wsp(*p))
		p++;
	if (p == end || *p != '=')
		return NULL;
	p++;
	while (p < end && ascii_is_wsp(*p))
		p++;
	if ((size_t)(end - p) < vlen || !bytes_eq(p, value, vlen, value_nocase))
		return NULL;
	return p + vlen;
}

enum txt_version
txt_version_match(const char *rec, size_t len, const char *tag,
    const char *value, int flags)
{
	const char *p, *end;

	if (rec == NULL)
		rec = "", len = 0;
	end = rec + len;
	p = match_version(rec, end, tag, value, flags & TXT_VERSION_TAG_NOCASE,
	    flags & TXT_VERSION_VALUE_NOCASE);
	if (p != NULL) {
		if (flags & TXT_VERSION_SPACE_END) {
			if (p == end || *p == ' ')
				return TXT_VERSION_EXACT;
		} else {
			while (p < end && ascii_is_wsp(*p))
				p++;
			if (p == end || *p == ';')
				return TXT_VERSION_EXACT;
		}
	}
	/* Near misses are worth reporting: receivers drop them silently. */
	for (p = rec; p < end && (ascii_is_wsp(*p) || *p == '\r' || *p == '\n'); p++)
		;
	if (match_version(p, end, tag, value, 1, 1) != NULL)
		return TXT_VERSION_NEAR;
	return TXT_VERSION_OTHER;
}

void
txt_select(const struct txt_records *recs, const char *tag, const char *value,
    int flags, struct txt_selection *sel)
{
	memset(sel, 0, sizeof(*sel));
	for (size_t i = 0; i < recs->n; i++) {
		const struct txt_record *r = &recs->recs[i];

		switch (txt_version_match(r->text.data, r->text.len, tag, value,
		    flags)) {
		case TXT_VERSION_EXACT:
			if (sel->n_exact++ == 0)
				sel->first_exact = i;
			break;
		case TXT_VERSION_NEAR:
			if (sel->n_near++ == 0)
				sel->first_near = i;
			break;
		case TXT_VERSION_OTHER:
			break;
		}
	}
}

size_t
txt_fws_len(const char *p, const char *end)
{
	const char *start = p;

	while (p < end) {
		if (ascii_is_wsp(*p))
			p++;
		else if (end - p >= 3 && p[0] == '\r' && p[1] == '\n' &&
		    ascii_is_wsp(p[2]))
			p += 3;
		else
			break;
	}
	return (size_t)(p - start);
}

static int
taglist_error(const char **reason, const char *why, char *msg, size_t msglen,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
taglist_error(const char **reason, const char *why, char *msg, size_t msglen,
    const char *fmt, ...)
{
	va_list ap;

	*reason = why;
	if (msg != NULL && msglen > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void
taglist_push(struct txt_taglist *list, const struct txt_tag *tag)
{
	if (list->n == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 16;
		list->tags = xreallocarray(list->tags, list->cap,
		    sizeof(*list->tags));
	}
	list->tags[list->n++] = *tag;
}

/* Sorting by name, then position, puts duplicates next to each other. */
static int
tag_cmp(const struct txt_tag *a, const struct txt_tag *b, int nocase)
{
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;

	for (size_t i = 0; i < n; i++) {
		int ca = (unsigned char)a->name[i], cb = (unsigned char)b->name[i];

		if (nocase) {
			ca = ascii_lower(ca);
			cb = ascii_lower(cb);
		}
		if (ca != cb)
			return ca - cb;
	}
	if (a->name_len != b->name_len)
		return a->name_len < b->name_len ? -1 : 1;
	if (a->offset != b->offset)
		return a->offset < b->offset ? -1 : 1;
	return 0;
}

static int
tag_cmp_case(const void *a, const void *b)
{
	return tag_cmp(*(const struct txt_tag *const *)a,
	    *(const struct txt_tag *const *)b, 0);
}

static int
tag_cmp_nocase(const void *a, const void *b)
{
	return tag_cmp(*(const struct txt_tag *const *)a,
	    *(const struct txt_tag *const *)b, 1);
}

/* Finds the earliest repeated tag; O(n log n) so 10000 tags stay cheap. */
static const struct txt_tag *
find_duplicate(const struct txt_taglist *list, int nocase,
    const struct txt_tag **first)
{
	const struct txt_tag **sorted, *dup = NULL;

	if (list->n < 2)
		return NULL;
	sorted = xreallocarray(NULL, list->n, sizeof(*sorted));
	for (size_t i = 0; i < list->n; i++)
		sorted[i] = &list->tags[i];
	qsort(sorted, list->n, sizeof(*sorted),
	    nocase ? tag_cmp_nocase : tag_cmp_case);
	for (size_t i = 1; i < list->n; i++) {
		const struct txt_tag *a = sorted[i - 1], *b = sorted[i];

		if (a->name_len != b->name_len ||
		    !bytes_eq(a->name, b->name, a->name_len, nocase))
			continue;
		if (dup == NULL || b->offset < dup->offset) {
			dup = b;
			*first = a;
		}
	}
	free(sorted);
	return dup;
}

/* One tag-spec at *pp.  Returns 0 with *pp after its value (at ";" or the
 * end), or -1 with the problem in msg and *pp at the offending byte. */
static int
tag_spec_parse(const char **pp, const char *end, const char *rec,
    struct txt_tag *tag, char *msg, size_t msglen)
{
	const char *p = *pp, *value_end;
	const char *reason;
	size_t n;
	int r = -1;

	tag->offset = (size_t)(p - rec);
	if (*p == ';') {
		taglist_error(&reason, "syntax", msg, msglen,
		    "empty tag at offset %zu", tag->offset);
		goto out;
	}
	if (!ascii_is_alpha((unsigned char)*p)) {
		taglist_error(&reason, "syntax", msg, msglen,
		    "expected a tag name at offset %zu, got byte 0x%02x",
		    tag->offset, (unsigned char)*p);
		goto out;
	}
	tag->name = p;
	while (p < end && is_alnumpunc((unsigned char)*p))
		p++;
	tag->name_len = (size_t)(p - tag->name);
	p += txt_fws_len(p, end);
	if (p == end || *p != '=') {
		taglist_error(&reason, "syntax", msg, msglen,
		    "tag \"%.*s\" at offset %zu has no '='",
		    (int)(tag->name_len > 32 ? 32 : tag->name_len), tag->name,
		    tag->offset);
		goto out;
	}
	p++;
	p += txt_fws_len(p, end);
	tag->value = value_end = p;
	while (p < end && *p != ';') {
		if (is_valchar((unsigned char)*p)) {
			value_end = ++p;
			continue;
		}
		if ((n = txt_fws_len(p, end)) == 0) {
			taglist_error(&reason, "syntax", msg, msglen,
			    "tag \"%.*s\": byte 0x%02x at offset %zu is not "
			    "allowed in a value",
			    (int)(tag->name_len > 32 ? 32 : tag->name_len),
			    tag->name, (unsigned char)*p, (size_t)(p - rec));
			goto out;
		}
		p += n;
	}
	tag->value_len = (size_t)(value_end - tag->value);
	r = 0;
out:
	*pp = p;
	return r;
}

int
txt_taglist_parse(const char *rec, size_t len, int flags,
    struct txt_taglist *list, const char **reason, char *msg, size_t msglen)
{
	const int nocase = flags & TXT_TAGS_NOCASE;
	const char *p, *end;
	const struct txt_tag *dup, *first = NULL;
	struct txt_tag tag;
	int bad = 0;

	list->n = 0;
	if (rec == NULL)
		rec = "", len = 0;
	p = rec;
	end = rec + len;
	p += txt_fws_len(p, end);
	while (p < end) {
		/* Only the first problem is described. */
		if (tag_spec_parse(&p, end, rec, &tag, bad ? NULL : msg,
		    bad ? 0 : msglen) == 0)
			taglist_push(list, &tag);
		else {
			bad = 1;
			if (!(flags & TXT_TAGS_RECOVER))
				break;
			while (p < end && *p != ';')
				p++;
		}
		if (p == end)
			break;
		p++;
		p += txt_fws_len(p, end);
	}
	if (bad) {
		*reason = "syntax";
		return -1;
	}
	if ((dup = find_duplicate(list, nocase, &first)) != NULL)
		return taglist_error(reason, "duplicate_tag", msg, msglen,
		    "tag \"%.*s\" at offset %zu repeats the one at offset %zu",
		    (int)(dup->name_len > 32 ? 32 : dup->name_len), dup->name,
		    dup->offset, first->offset);
	return 0;
}

void
txt_taglist_free(struct txt_taglist *list)
{
	free(list->tags);
	list->tags = NULL;
	list->n = list->cap = 0;
}

int
txt_span_eq(const char *p, size_t len, const char *s, int nocase)
{
	return strlen(s) == len && bytes_eq(p, s, len, nocase);
}

int
txt_tag_name_is(const struct txt_tag *tag, const char *s, int nocase)
{
	return txt_span_eq(tag->name, tag->name_len, s, nocase);
}

const struct txt_tag *
txt_taglist_get(const struct txt_taglist *list, const char *name, int flags)
{
	for (size_t i = 0; i < list->n; i++)
		if (txt_tag_name_is(&list->tags[i], name,
		    flags & TXT_TAGS_NOCASE))
			return &list->tags[i];
	return NULL;
}

void
txt_list_init(struct txt_list *list, const char *value, size_t len, int sep)
{
	if (value == NULL)
		value = "", len = 0;
	list->p = value;
	list->end = value + len;
	list->sep = sep;
	list->need_item = 0;
}

int
txt_list_next(struct txt_list *list, const char **item, size_t *len)
{
	const char *start, *stop;

	if (list->p == list->end) {
		if (list->need_item) {
			list->need_item = 0;
			return -1;
		}
		return 0;
	}
	start = list->p + txt_fws_len(list->p, list->end);
	stop = start;
	while (stop < list->end && *stop != list->sep)
		stop++;
	list->p = stop;
	list->need_item = 0;
	if (list->p < list->end) {
		list->p++;
		list->need_item = 1;
	}
	while (stop > start && (ascii_is_wsp(stop[-1]) || stop[-1] == '\r' ||
	    stop[-1] == '\n'))
		stop--;
	*item = start;
	*len = (size_t)(stop - start);
	return *len == 0 ? -1 : 1;
}

int
txt_parse_answer(int status, const unsigned char *abuf, int alen,
    struct txt_records *recs)
{
	struct ares_txt_ext *list = NULL;
	int r;

	if (status != ARES_SUCCESS)
		return dns_classify(status);
	if ((r = ares_parse_txt_reply_ext(abuf, alen, &list)) != ARES_SUCCESS)
		return dns_classify(r);
	txt_join_ares(recs, list);
	ares_free_data(list);
	return recs->n > 0 ? DNS_OK : DNS_NODATA;
}

char *
txt_printable_copy(const struct txt_record *rec)
{
	const struct buf *b = &rec->text;
	char *s = xstrndup(b->data ? b->data : "", b->len);

	for (size_t i = 0; i < b->len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			s[i] = '?';
	return s;
}
