/* libFuzzer: TXT joining fed as c-ares would (record_start chunks) and as
 * an ares_txt_ext list, which must agree; then version matching, tag-lists
 * and value lists over every record.
 * Input: chunks of [flags][len][len bytes]; flags bit 0 is record_start. */
#include <ares.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/txt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk_list(const char *value, size_t len, int sep)
{
	struct txt_list list;
	const char *item;
	size_t n;
	int r;

	txt_list_init(&list, value, len, sep);
	while ((r = txt_list_next(&list, &item, &n)) == 1)
		if (item < value || item + n > value + len)
			abort();
}

static void
check_record(const struct txt_record *r)
{
	struct txt_taglist tags = { 0 };
	const char *reason;
	char msg[128];

	if (r->text.len > TXT_RECORD_MAX || r->text.data == NULL ||
	    r->text.data[r->text.len] != '\0')
		abort();
	if (r->contains_nul != (memchr(r->text.data, '\0', r->text.len) !=
	    NULL))
		abort();
	(void)txt_version_match(r->text.data, r->text.len, "v", "DMARC1",
	    TXT_VERSION_TAG_NOCASE);
	(void)txt_version_match(r->text.data, r->text.len, "v", "spf1",
	    TXT_VERSION_TAG_NOCASE | TXT_VERSION_VALUE_NOCASE |
	    TXT_VERSION_SPACE_END);
	for (int flags = 0; flags <= TXT_TAGS_NOCASE; flags++) {
		if (txt_taglist_parse(r->text.data, r->text.len, flags, &tags,
		    &reason, msg, sizeof(msg)) == -1 && reason == NULL)
			abort();
		for (size_t i = 0; i < tags.n; i++) {
			const struct txt_tag *t = &tags.tags[i];

			if (t->name_len == 0 || t->name < r->text.data ||
			    t->value + t->value_len >
			    r->text.data + r->text.len)
				abort();
			walk_list(t->value, t->value_len, ':');
			walk_list(t->value, t->value_len, ',');
		}
	}
	txt_taglist_free(&tags);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct txt_records a, b;
	struct txt_chunk *chunks;
	struct ares_txt_ext *ext, *head = NULL, **tail = &head;
	struct txt_selection sel;
	size_t n = 0, off = 0;

	chunks = calloc(size / 2 + 1, sizeof(*chunks));
	ext = calloc(size / 2 + 1, sizeof(*ext));
	if (chunks == NULL || ext == NULL)
		abort();
	while (off + 2 <= size) {
		size_t len = data[off + 1];

		if (len > size - off - 2)
			len = size - off - 2;
		chunks[n].ptr = data + off + 2;
		chunks[n].len = len;
		chunks[n].record_start = data[off] & 1;
		ext[n].txt = (unsigned char *)(uintptr_t)(data + off + 2);
		ext[n].length = len;
		ext[n].record_start = data[off] & 1;
		*tail = &ext[n];
		tail = &ext[n].next;
		n++;
		off += 2 + len;
	}
	txt_records_init(&a);
	txt_records_init(&b);
	txt_join_chunks(&a, chunks, n);
	txt_join_ares(&b, head);
	if (a.n != b.n)
		abort();
	for (size_t i = 0; i < a.n; i++) {
		if (a.recs[i].text.len != b.recs[i].text.len ||
		    memcmp(a.recs[i].text.data, b.recs[i].text.data,
		    a.recs[i].text.len) != 0)
			abort();
		check_record(&a.recs[i]);
	}
	txt_select(&a, "v", "DMARC1", TXT_VERSION_TAG_NOCASE, &sel);
	if (sel.n_exact + sel.n_near > a.n)
		abort();
	txt_records_free(&a);
	txt_records_free(&b);
	free(chunks);
	free(ext);
	return 0;
}
