/* daemon/log.c: log_quote (non-ASCII escaped, never lost, always bounded)
 * and the /probe?debug=true capture (lines picked by their target=). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/log.h"
#include "tests/unit/unit.h"

int
main(void)
{
	char q[64];
	struct log_capture *c;
	const char *text;
	size_t len;

	CHECK_STR(log_quote(q, sizeof(q), "plain"), "plain");
	CHECK_STR(log_quote(q, sizeof(q), ""), "\"\"");
	CHECK_STR(log_quote(q, sizeof(q), NULL), "\"\"");
	CHECK_STR(log_quote(q, sizeof(q), "a b"), "\"a b\"");
	CHECK_STR(log_quote(q, sizeof(q), "a\"b\\c"), "\"a\\\"b\\\\c\"");
	CHECK_STR(log_quote(q, sizeof(q), "k=v"), "\"k=v\"");
	/* non-ASCII and control bytes: \xNN, quoted, not '?' */
	CHECK_STR(log_quote(q, sizeof(q), "caf\xc3\xa9"), "\"caf\\xc3\\xa9\"");
	CHECK_STR(log_quote(q, sizeof(q), "a\nb\x7f"), "\"a\\x0ab\\x7f\"");
	/* every small buffer: terminated inside it, quotes balanced */
	for (unsigned size = 3; size < 20; size++) {
		char b[20];

		memset(b, 'Z', sizeof(b));
		log_quote(b, size, "\xff\xfe a\"\\ \x01 long value");
		CHECK(memchr(b, '\0', size) != NULL);
		CHECK(b[0] == '"' && b[strlen(b) - 1] == '"' && strlen(b) >= 2);
		for (unsigned i = size; i < sizeof(b); i++)
			CHECK(b[i] == 'Z');
	}
	CHECK_STR(log_quote(q, 2, "x"), "");

	/* capture: only the target's lines, every level, while it lasts */
	log_set_level(LOG_ERROR);
	c = log_capture_start("a.example", "a.example:25");
	CHECK(log_enabled(LOG_DEBUG));
	log_debug("probe_start", "target=a.example port=25");
	log_info("probe_done", "target=a.example:25 success=1");
	log_info("other", "target=b.example");
	log_info("prefix", "target=a.example.evil");
	log_info("no_target", "msg=x");
	text = log_capture_text(c, &len);
	CHECK(strstr(text, "level=debug event=probe_start target=a.example port=25\n") != NULL);
	CHECK(strstr(text, "event=probe_done target=a.example:25 success=1\n") != NULL);
	CHECK(strstr(text, "b.example") == NULL);
	CHECK(strstr(text, "evil") == NULL);
	CHECK(strstr(text, "no_target") == NULL);
	CHECK_INT(len, strlen(text));
	log_capture_stop(c);
	CHECK(!log_enabled(LOG_DEBUG));
	log_capture_stop(NULL);
	return unit_done("test_log");
}
