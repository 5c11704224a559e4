/* libFuzzer: raw DNS messages, as a hostile resolver (or anything spoofing
 * one) could send them, through our wrappers around c-ares' parsers:
 * dns_parse_mx (mxexpand.c and the SPF mx mechanism), dns_parse_addrs for A
 * and AAAA (appending to one array, as host lookups do), the TXT path of
 * records.c (ares_parse_txt_reply_ext + txt_join_ares, then the version
 * selection the SPF, DKIM and DMARC collectors run) and the PTR path of the
 * SPF ptr mechanism.  The invariants the callers rely on are checked.
 *
 * Input: one DNS message, as c-ares hands it to the query callback. */
#include <ares.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collectors/dns.h"
#include "collectors/txt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_mx(const unsigned char *abuf, int alen)
{
	struct dns_mx *mx = (struct dns_mx *)1;
	size_t n = 99;
	enum dns_result r = dns_parse_mx(abuf, alen, &mx, &n);

	if (r >= DNS__COUNT)
		abort();
	if (r != DNS_OK) {
		if (mx != NULL || n != 0)
			abort();	/* callers free nothing on failure */
		return;
	}
	if (n == 0 || mx == NULL)
		abort();		/* an empty answer is NODATA */
	for (size_t i = 0; i < n; i++) {
		size_t len;

		if (mx[i].host == NULL || mx[i].preference > 0xffff)
			abort();
		len = strlen(mx[i].host);
		/* mxexpand.c compares names without the root dot, lowercased */
		if (len > 0 && mx[i].host[len - 1] == '.' &&
		    !(len > 1 && mx[i].host[len - 2] == '\\'))
			abort();
		for (size_t j = 0; j < len; j++)
			if (mx[i].host[j] >= 'A' && mx[i].host[j] <= 'Z')
				abort();
	}
	dns_mx_free(mx, n);
}

static void
check_addrs(const unsigned char *abuf, int alen)
{
	struct dns_addr *addrs = NULL;
	size_t n = 0, before;
	enum dns_result r;

	/* A then AAAA into one array, as mxexpand.c host_answer() does. */
	r = dns_parse_addrs(ns_t_a, abuf, alen, &addrs, &n);
	if (r >= DNS__COUNT || (r != DNS_OK && n != 0) || n > 64)
		abort();
	for (size_t i = 0; i < n; i++)
		if (addrs[i].family != AF_INET)
			abort();
	before = n;
	r = dns_parse_addrs(ns_t_aaaa, abuf, alen, &addrs, &n);
	if (r >= DNS__COUNT || (r != DNS_OK && n != before) || n - before > 64)
		abort();
	for (size_t i = before; i < n; i++)
		if (addrs[i].family != AF_INET6)
			abort();
	free(addrs);
}

/* records.c parse_txt(), then what the collectors do with the records. */
static void
check_txt(const unsigned char *abuf, int alen)
{
	struct ares_txt_ext *list = NULL;
	struct txt_records recs;
	struct txt_selection sel;
	size_t strings = 0, bytes = 0;
	int r;

	txt_records_init(&recs);
	r = ares_parse_txt_reply_ext(abuf, alen, &list);
	if (r != ARES_SUCCESS) {
		if (dns_classify(r) == DNS_OK)
			abort();
		if (list != NULL)
			ares_free_data(list);
		return;
	}
	for (const struct ares_txt_ext *l = list; l != NULL; l = l->next) {
		if (l->length > 255 || (l->length > 0 && l->txt == NULL))
			abort();
		strings++;
		bytes += l->length;
	}
	txt_join_ares(&recs, list);
	ares_free_data(list);
	if (strings > 0 && recs.n == 0)
		abort();
	for (size_t i = 0; i < recs.n; i++) {
		const struct txt_record *t = &recs.recs[i];

		if (t->text.data == NULL || t->text.len > TXT_RECORD_MAX ||
		    t->text.data[t->text.len] != '\0' || t->text.len > bytes)
			abort();
		if (t->contains_nul != (memchr(t->text.data, '\0',
		    t->text.len) != NULL))
			abort();
	}
	txt_select(&recs, "v", "spf1", TXT_VERSION_TAG_NOCASE |
	    TXT_VERSION_VALUE_NOCASE | TXT_VERSION_SPACE_END, &sel);
	txt_select(&recs, "v", "DMARC1", TXT_VERSION_TAG_NOCASE, &sel);
	txt_select(&recs, "v", "DKIM1", 0, &sel);
	if (sel.n_exact + sel.n_near > recs.n)
		abort();
	txt_records_free(&recs);
}

/* records.c, the SPF ptr mechanism: one list of distinct names. */
static void
check_ptr(const unsigned char *abuf, int alen)
{
	char **names = NULL;
	size_t n = 0;

	if (dns_parse_ptr(abuf, alen, &names, &n) == DNS_OK) {
		if (n == 0 || names == NULL)
			abort();
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(names[i]);

			if (len > 64 * 1024 || (len > 0 && names[i][len - 1] ==
			    '.'))
				abort();
			for (size_t j = 0; j < i; j++)
				if (strcasecmp(names[i], names[j]) == 0)
					abort();
		}
	} else if (names != NULL || n != 0)
		abort();
	dns_names_free(names, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *abuf;
	int alen;

	/* A DNS message over TCP is at most 65535 bytes; c-ares never hands
	 * out more. */
	if (size > 65535)
		return 0;
	alen = (int)size;
	/* An exact-size copy: a read past the end is caught by ASan. */
	abuf = malloc(size ? size : 1);
	if (abuf == NULL)
		abort();
	memcpy(abuf, data, size);
	check_mx(abuf, alen);
	check_addrs(abuf, alen);
	check_txt(abuf, alen);
	check_ptr(abuf, alen);
	free(abuf);
	return 0;
}
