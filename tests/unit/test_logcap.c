/* base/log.c: the /probe?debug=true capture (lines picked by their
 * target=, every level, only while it lasts). */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "tests/unit/unit.h"

int
main(void)
{
	struct log_capture *c;
	const char *text;
	size_t len;

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
	return unit_done("test_logcap");
}
