/* TXT joining, version-tag selection, tag-list and list splitting. */
#include <ares.h>
#include <stdlib.h>

#include "collectors/txt.h"
#include "tests/unit/unit.h"

#define CHUNK(s, start)	{ (const unsigned char *)(s), sizeof(s) - 1, (start) }

static void
test_join(void)
{
	const struct txt_chunk chunks[] = {
		CHUNK("v=DMARC1; p=quar", 1),
		CHUNK("antine; ", 0),
		CHUNK("rua=mailto:a@example.com", 0),
		CHUNK("v=spf1 -all", 1),
		CHUNK("", 1),
		CHUNK("a\0b", 1),
	};
	struct txt_records recs;

	txt_records_init(&recs);
	txt_join_chunks(&recs, chunks, ARRAY_LEN(chunks));
	CHECK_INT(recs.n, 4);
	/* No separator between strings: RFC 6376 3.6.2.2, RFC 7208 3.3. */
	CHECK_STR(recs.recs[0].text.data,
	    "v=DMARC1; p=quarantine; rua=mailto:a@example.com");
	CHECK_INT(recs.recs[0].text.len, strlen(recs.recs[0].text.data));
	CHECK_STR(recs.recs[1].text.data, "v=spf1 -all");
	CHECK(recs.recs[2].text.data != NULL);
	CHECK_INT(recs.recs[2].text.len, 0);
	CHECK_INT(recs.recs[3].text.len, 3);
	CHECK(recs.recs[3].contains_nul);
	CHECK(memcmp(recs.recs[3].text.data, "a\0b", 3) == 0);
	CHECK(!recs.recs[0].contains_nul && !recs.recs[0].too_long);
	txt_records_free(&recs);
	CHECK_INT(recs.n, 0);
}

static void
test_join_continuation_first(void)
{
	/* A list that does not start with record_start still makes one. */
	const struct txt_chunk chunks[] = {
		CHUNK("abc", 0), CHUNK("def", 0), CHUNK("x", 1),
	};
	struct txt_records recs;

	txt_records_init(&recs);
	txt_join_chunks(&recs, chunks, ARRAY_LEN(chunks));
	CHECK_INT(recs.n, 2);
	CHECK_STR(recs.recs[0].text.data, "abcdef");
	CHECK_STR(recs.recs[1].text.data, "x");
	txt_records_free(&recs);
}

static void
test_join_bounded(void)
{
	unsigned char piece[255];
	struct txt_records recs;

	memset(piece, 'a', sizeof(piece));
	txt_records_init(&recs);
	txt_records_add(&recs, piece, sizeof(piece), 1);
	for (int i = 0; i < 400; i++)	/* 102000 bytes */
		txt_records_add(&recs, piece, sizeof(piece), 0);
	txt_records_add(&recs, "next", 4, 1);
	CHECK_INT(recs.n, 2);
	CHECK(recs.recs[0].too_long);
	CHECK_INT(recs.recs[0].text.len, TXT_RECORD_MAX);
	CHECK_STR(recs.recs[1].text.data, "next");
	CHECK(!recs.recs[1].too_long);
	txt_records_free(&recs);
}

static void
test_join_ares(void)
{
	struct ares_txt_ext c = { NULL, (unsigned char *)"v=spf1 -all", 11, 1 };
	struct ares_txt_ext b = { &c, (unsigned char *)"p=none", 6, 0 };
	struct ares_txt_ext a = { &b, (unsigned char *)"v=DMARC1; ", 10, 1 };
	struct txt_records recs;

	txt_records_init(&recs);
	txt_join_ares(&recs, &a);
	CHECK_INT(recs.n, 2);
	CHECK_STR(recs.recs[0].text.data, "v=DMARC1; p=none");
	CHECK_STR(recs.recs[1].text.data, "v=spf1 -all");
	txt_join_ares(&recs, NULL);
	CHECK_INT(recs.n, 2);
	txt_records_free(&recs);
}

static enum txt_version
dmarc_match(const char *s)
{
	return txt_version_match(s, strlen(s), "v", "DMARC1",
	    TXT_VERSION_TAG_NOCASE);
}

static enum txt_version
spf_match(const char *s)
{
	return txt_version_match(s, strlen(s), "v", "spf1",
	    TXT_VERSION_TAG_NOCASE | TXT_VERSION_VALUE_NOCASE |
	    TXT_VERSION_SPACE_END);
}

static void
test_version_match(void)
{
	CHECK_INT(dmarc_match("v=DMARC1"), TXT_VERSION_EXACT);
	CHECK_INT(dmarc_match("v=DMARC1;"), TXT_VERSION_EXACT);
	CHECK_INT(dmarc_match("v=DMARC1 ;"), TXT_VERSION_EXACT);
	CHECK_INT(dmarc_match("v=DMARC1; p=none"), TXT_VERSION_EXACT);
	CHECK_INT(dmarc_match("v = DMARC1\t; p=none"), TXT_VERSION_EXACT);
	CHECK_INT(dmarc_match("V=DMARC1; p=none"), TXT_VERSION_EXACT);
	CHECK_INT(dmarc_match("v=dmarc1; p=none"), TXT_VERSION_NEAR);
	CHECK_INT(dmarc_match(" v=DMARC1; p=none"), TXT_VERSION_NEAR);
	CHECK_INT(dmarc_match("v=DMARC1p=none"), TXT_VERSION_NEAR);
	CHECK_INT(dmarc_match("v=DMARC1, p=none"), TXT_VERSION_NEAR);
	CHECK_INT(dmarc_match("v=DMARC10"), TXT_VERSION_NEAR);
	CHECK_INT(dmarc_match("v=DMARC"), TXT_VERSION_OTHER);
	CHECK_INT(dmarc_match("v=spf1 -all"), TXT_VERSION_OTHER);
	CHECK_INT(dmarc_match("p=none; v=DMARC1"), TXT_VERSION_OTHER);
	CHECK_INT(dmarc_match(""), TXT_VERSION_OTHER);
	CHECK_INT(txt_version_match(NULL, 0, "v", "DMARC1", 0),
	    TXT_VERSION_OTHER);
	CHECK_INT(txt_version_match("V=DMARC1", 8, "v", "DMARC1", 0),
	    TXT_VERSION_NEAR);
	/* Only len bytes count, NULs included. */
	CHECK_INT(txt_version_match("v=DMARC1\0;", 10, "v", "DMARC1",
	    TXT_VERSION_TAG_NOCASE), TXT_VERSION_NEAR);
	CHECK_INT(txt_version_match("v=DMARC1 trailing", 8, "v", "DMARC1",
	    TXT_VERSION_TAG_NOCASE), TXT_VERSION_EXACT);

	CHECK_INT(spf_match("v=spf1 -all"), TXT_VERSION_EXACT);
	CHECK_INT(spf_match("v=spf1"), TXT_VERSION_EXACT);
	CHECK_INT(spf_match("V=SPF1 mx"), TXT_VERSION_EXACT);
	CHECK_INT(spf_match("v=spf10 -all"), TXT_VERSION_NEAR);
	CHECK_INT(spf_match("v=spf1;"), TXT_VERSION_NEAR);
}

static void
test_select(void)
{
	const struct txt_chunk chunks[] = {
		CHUNK("google-site-verification=abc", 1),
		CHUNK("v=dmarc1; p=none", 1),
		CHUNK("v=DMARC1; p=reject", 1),
		CHUNK("v=spf1 -all", 1),
		CHUNK("v=DMARC1; p=none", 1),
	};
	struct txt_records recs;
	struct txt_selection sel;

	txt_records_init(&recs);
	txt_select(&recs, "v", "DMARC1", TXT_VERSION_TAG_NOCASE, &sel);
	CHECK_INT(sel.n_exact, 0);
	CHECK_INT(sel.n_near, 0);
	txt_join_chunks(&recs, chunks, ARRAY_LEN(chunks));
	txt_select(&recs, "v", "DMARC1", TXT_VERSION_TAG_NOCASE, &sel);
	CHECK_INT(sel.n_exact, 2);
	CHECK_INT(sel.first_exact, 2);
	CHECK_INT(sel.n_near, 1);
	CHECK_INT(sel.first_near, 1);
	txt_records_free(&recs);
}

static int
split(const char *s, int flags, struct txt_taglist *list, const char **reason,
    char *msg, size_t msglen)
{
	return txt_taglist_parse(s, strlen(s), flags, list, reason, msg,
	    msglen);
}

static int
tag_is(const struct txt_taglist *list, size_t i, const char *name,
    const char *value)
{
	return i < list->n && txt_tag_name_is(&list->tags[i], name, 0) &&
	    txt_span_eq(list->tags[i].value, list->tags[i].value_len, value, 0);
}

#define TAG_IS(list, i, name, value)	CHECK(tag_is(&(list), (i), (name), (value)))

static void
test_taglist(void)
{
	struct txt_taglist list = { 0 };
	const char *reason = NULL;
	char msg[200];

	CHECK_INT(split("a=1; b = 2 ;c=3;", 0, &list, &reason, msg,
	    sizeof(msg)), 0);
	CHECK_INT(list.n, 3);
	TAG_IS(list, 0, "a", "1");
	TAG_IS(list, 1, "b", "2");
	TAG_IS(list, 2, "c", "3");
	CHECK_INT(list.tags[1].offset, 5);

	/* FWS inside a value stays, around it goes; "; " at the end is ok. */
	CHECK_INT(split(" n = two  words\r\n\tthree ; p=ab\r\n cd; ", 0, &list,
	    &reason, msg, sizeof(msg)), 0);
	CHECK_INT(list.n, 2);
	TAG_IS(list, 0, "n", "two  words\r\n\tthree");
	TAG_IS(list, 1, "p", "ab\r\n cd");
	CHECK(txt_taglist_get(&list, "p", 0) == &list.tags[1]);
	CHECK(txt_taglist_get(&list, "P", 0) == NULL);
	CHECK(txt_taglist_get(&list, "P", TXT_TAGS_NOCASE) == &list.tags[1]);

	CHECK_INT(split("a=", 0, &list, &reason, msg, sizeof(msg)), 0);
	TAG_IS(list, 0, "a", "");
	CHECK_INT(split("", 0, &list, &reason, msg, sizeof(msg)), 0);
	CHECK_INT(list.n, 0);
	CHECK_INT(split(" \t ", 0, &list, &reason, msg, sizeof(msg)), 0);
	CHECK_INT(list.n, 0);
	CHECK_INT(split("a_1=x=y", 0, &list, &reason, msg, sizeof(msg)), 0);
	TAG_IS(list, 0, "a_1", "x=y");

	CHECK_INT(split(";;;", 0, &list, &reason, msg, sizeof(msg)), -1);
	CHECK_STR(reason, "syntax");
	CHECK_INT(split("a=1;;b=2", 0, &list, &reason, msg, sizeof(msg)), -1);
	CHECK_STR(reason, "syntax");
	CHECK_INT(list.n, 1);	/* the tags before the error */
	CHECK_INT(split("a=1;", 0, &list, &reason, msg, sizeof(msg)), 0);
	CHECK_INT(split("a=1; ;", 0, &list, &reason, msg, sizeof(msg)), -1);
	CHECK_INT(split("=1", 0, &list, &reason, msg, sizeof(msg)), -1);
	CHECK_INT(split("1a=1", 0, &list, &reason, msg, sizeof(msg)), -1);
	CHECK_INT(split("a", 0, &list, &reason, msg, sizeof(msg)), -1);
	CHECK_STR(msg, "tag \"a\" at offset 0 has no '='");
	CHECK_INT(split("a b=1", 0, &list, &reason, msg, sizeof(msg)), -1);
	CHECK_INT(split("a-b=1", 0, &list, &reason, msg, sizeof(msg)), -1);
	CHECK_INT(split("a=\x01", 0, &list, &reason, msg, sizeof(msg)), -1);
	CHECK_INT(split("a=\xc3\xa9", 0, &list, &reason, msg, sizeof(msg)), -1);
	/* CRLF is FWS only when WSP follows. */
	CHECK_INT(split("a=1\r\nb=2", 0, &list, &reason, msg, sizeof(msg)), -1);
	CHECK_INT(split("a=1;\r\n b=2", 0, &list, &reason, msg, sizeof(msg)),
	    0);
	CHECK_INT(split("a=1\n", 0, &list, &reason, msg, sizeof(msg)), -1);
	CHECK_INT(txt_taglist_parse("a=1\0;b=2", 8, 0, &list, &reason, msg,
	    sizeof(msg)), -1);
	CHECK_STR(reason, "syntax");
	CHECK_STR(msg, "tag \"a\": byte 0x00 at offset 3 is not allowed in a "
	    "value");

	/* 3.2: tag names are case-sensitive, a repeat voids the list. */
	CHECK_INT(split("a=1; b=2; a=3", 0, &list, &reason, msg, sizeof(msg)),
	    -1);
	CHECK_STR(reason, "duplicate_tag");
	CHECK_STR(msg, "tag \"a\" at offset 10 repeats the one at offset 0");
	CHECK_INT(list.n, 3);
	CHECK_INT(split("a=1; A=2", 0, &list, &reason, msg, sizeof(msg)), 0);
	CHECK_INT(split("a=1; A=2", TXT_TAGS_NOCASE, &list, &reason, msg,
	    sizeof(msg)), -1);
	CHECK_STR(reason, "duplicate_tag");
	/* The earliest repeat is the one named. */
	CHECK_INT(split("b=1;a=1;a=2;b=2;b=3", 0, &list, &reason, msg,
	    sizeof(msg)), -1);
	CHECK_STR(msg, "tag \"a\" at offset 8 repeats the one at offset 4");
	/* Recovery goes on at the next ";", describing the first problem. */
	CHECK_INT(split("a=1;;b=2; c; d=\x7f; e=5", TXT_TAGS_RECOVER, &list,
	    &reason, msg, sizeof(msg)), -1);
	CHECK_STR(reason, "syntax");
	CHECK_STR(msg, "empty tag at offset 4");
	CHECK_INT(list.n, 3);
	TAG_IS(list, 0, "a", "1");
	TAG_IS(list, 1, "b", "2");
	TAG_IS(list, 2, "e", "5");
	CHECK_INT(split(";", TXT_TAGS_RECOVER, &list, &reason, msg,
	    sizeof(msg)), -1);
	CHECK_INT(list.n, 0);
	CHECK_INT(split("a=1; a=2", TXT_TAGS_RECOVER, &list, &reason, msg,
	    sizeof(msg)), -1);
	CHECK_STR(reason, "duplicate_tag");
	/* A NULL message buffer is fine. */
	CHECK_INT(split(";", 0, &list, &reason, NULL, 0), -1);
	txt_taglist_free(&list);
	CHECK(list.tags == NULL);
}

static void
test_many_tags(void)
{
	struct txt_taglist list = { 0 };
	struct buf b;
	const char *reason;
	char msg[200];

	buf_init(&b);
	for (int i = 0; i < 10000; i++)
		buf_printf(&b, "t%d=%d;", i, i);
	CHECK_INT(txt_taglist_parse(b.data, b.len, 0, &list, &reason, msg,
	    sizeof(msg)), 0);
	CHECK_INT(list.n, 10000);
	buf_puts(&b, "t5000=again");
	CHECK_INT(txt_taglist_parse(b.data, b.len, 0, &list, &reason, msg,
	    sizeof(msg)), -1);
	CHECK_STR(reason, "duplicate_tag");
	txt_taglist_free(&list);
	buf_free(&b);
}

static int
list_items(const char *s, int sep, char out[][16], size_t max)
{
	struct txt_list list;
	const char *item;
	size_t len, n = 0;
	int r;

	txt_list_init(&list, s, strlen(s), sep);
	while ((r = txt_list_next(&list, &item, &len)) != 0) {
		if (r == -1)
			return -1;
		if (n < max && len < 16) {
			memcpy(out[n], item, len);
			out[n][len] = '\0';
		}
		n++;
	}
	return (int)n;
}

static void
test_list(void)
{
	char items[4][16];

	CHECK_INT(list_items("sha1:sha256", ':', items, 4), 2);
	CHECK_STR(items[0], "sha1");
	CHECK_STR(items[1], "sha256");
	CHECK_INT(list_items(" a : b\r\n c ", ':', items, 4), 2);
	CHECK_STR(items[0], "a");
	CHECK_STR(items[1], "b\r\n c");
	CHECK_INT(list_items("one", ':', items, 4), 1);
	CHECK_INT(list_items("", ':', items, 4), 0);
	CHECK_INT(list_items("a::b", ':', items, 4), -1);
	CHECK_INT(list_items("a:", ':', items, 4), -1);
	CHECK_INT(list_items("a: ", ':', items, 4), -1);
	CHECK_INT(list_items(":a", ':', items, 4), -1);
	CHECK_INT(list_items("mailto:a@x, mailto:b@y", ',', items, 4), 2);
	CHECK_STR(items[1], "mailto:b@y");
}

int
main(void)
{
	test_join();
	test_join_continuation_first();
	test_join_bounded();
	test_join_ares();
	test_version_match();
	test_select();
	test_taglist();
	test_many_tags();
	test_list();
	return unit_done("test_txt");
}
