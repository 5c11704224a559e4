/* base/ostr.c: texts at their exact length, cut where the fixed buffer
 * they replace would cut them, and shared texts with their holders'
 * shares. */
#include <stdlib.h>
#include <string.h>

#include "base/ostr.h"
#include "base/util.h"
#include "unit.h"

static void
test_cut(void)
{
	char big[301], buf[256], *s;

	memset(big, 'x', 300);
	big[300] = '\0';
	/* a 300-byte text in a char[256]: 255 bytes, as snprintf left it */
	s = ostr_cut(big, 256);
	memcpy(buf, big, 255);
	buf[255] = '\0';
	CHECK_INT(strlen(s), 255);
	CHECK_STR(s, buf);
	CHECK_INT(ostr_bytes(s), 256);
	ostr_free(s);
	s = ostr_printf(256, "%s and more", big);
	CHECK_STR(s, buf);
	ostr_free(s);
	/* shorter texts whole, at their length */
	s = ostr_cut("short", 256);
	CHECK_STR(s, "short");
	CHECK_INT(ostr_bytes(s), 6);
	ostr_set(&s, ostr_printf(8, "%d-%s", 42, "abcdefgh"));
	CHECK_STR(s, "42-abcd");
	/* the empty text costs nothing and is never freed */
	ostr_set(&s, ostr_cut("", 256));
	CHECK(s == ostr_empty);
	CHECK_INT(ostr_bytes(s), 0);
	CHECK(ostr_cut(NULL, 256) == ostr_empty);
	CHECK(ostr_cut("x", 1) == ostr_empty);
	CHECK(ostr_printf(256, "%s", "") == ostr_empty);
	CHECK_INT(ostr_bytes(NULL), 0);
	ostr_free(s);
	ostr_free(NULL);
	/* a bound past the formatting buffer */
	memset(big, 'y', 300);
	s = ostr_printf(2000, "%s%s", big, big);
	CHECK_INT(strlen(s), 600);
	ostr_free(s);
}

static void
test_share(void)
{
	char *held[1000], *other;
	size_t sum = 0, n0 = ostr_shared_count();

	CHECK(ostr_share(NULL) == NULL);
	for (size_t i = 0; i < 1000; i++)
		held[i] = ostr_share(xstrdup("v=DKIM1; k=rsa; p=AAAA"));
	for (size_t i = 1; i < 1000; i++)
		CHECK(held[i] == held[0]);
	CHECK_INT(ostr_shared_count(), n0 + 1);
	/* the shares add up to the copy, rounded up: never less */
	for (size_t i = 0; i < 1000; i++)
		sum += ostr_share_bytes(held[i]);
	CHECK(sum >= 23);
	CHECK(sum <= 23 + 64 + 1000);
	other = ostr_share(xstrdup("v=DKIM1; k=ed25519; p=BBBB"));
	CHECK(other != held[0]);
	CHECK_STR(other, "v=DKIM1; k=ed25519; p=BBBB");
	CHECK_INT(ostr_shared_count(), n0 + 2);
	CHECK(ostr_share_bytes(other) > strlen(other));
	ostr_unshare(other);
	for (size_t i = 0; i < 999; i++)
		ostr_unshare(held[i]);
	CHECK_STR(held[999], "v=DKIM1; k=rsa; p=AAAA");
	CHECK_INT(ostr_shared_count(), n0 + 1);
	ostr_unshare(held[999]);
	CHECK_INT(ostr_shared_count(), n0);
	ostr_unshare(NULL);
	CHECK_INT(ostr_share_bytes(NULL), 0);
	/* many texts: the table grows, each found again */
	for (size_t i = 0; i < 1000; i++) {
		char t[32];

		snprintf(t, sizeof(t), "text %zu", i);
		held[i] = ostr_share(xstrdup(t));
	}
	CHECK_INT(ostr_shared_count(), n0 + 1000);
	for (size_t i = 0; i < 1000; i++) {
		char t[32];

		snprintf(t, sizeof(t), "text %zu", i);
		other = ostr_share(xstrdup(t));
		CHECK(other == held[i]);
		ostr_unshare(other);
	}
	for (size_t i = 0; i < 1000; i++)
		ostr_unshare(held[i]);
	CHECK_INT(ostr_shared_count(), n0);
}

int
main(void)
{
	test_cut();
	test_share();
	return unit_done("test_ostr");
}
