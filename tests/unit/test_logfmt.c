/* logfmt_to_json: our key=value lines as JSON, and hostile bytes in them. */
#include "base/logfmt.h"
#include "tests/unit/unit.h"

static void
check_json(const char *line, const char *want)
{
	struct buf b;

	buf_init(&b);
	logfmt_to_json(line, strlen(line), &b);
	CHECK_STR(b.data, want);
	buf_free(&b);
}

int
main(void)
{
	check_json("ts=2026-12-03T10:00:00.000Z level=info event=probe_done target=a.example:25 success=1",
	    "{\"ts\":\"2026-12-03T10:00:00.000Z\",\"level\":\"info\",\"event\":\"probe_done\","
	    "\"target\":\"a.example:25\",\"success\":\"1\"}");
	/* quoted values: blanks, escaped quotes and backslashes */
	check_json("event=x msg=\"a \\\"b\\\" c\\\\d\" n=2",
	    "{\"event\":\"x\",\"msg\":\"a \\\"b\\\" c\\\\d\",\"n\":\"2\"}");
	check_json("event=x empty= q=\"\"", "{\"event\":\"x\",\"empty\":\"\",\"q\":\"\"}");
	/* non-ASCII and control bytes: escaped, never '?' nor raw */
	check_json("event=x detail=\"caf\xc3\xa9\x01\x7f\"",
	    "{\"event\":\"x\",\"detail\":\"caf\\u00c3\\u00a9\\u0001\\u007f\"}");
	/* no '=', an unterminated quote, junk after a quote: kept whole */
	check_json("event=x what the", "{\"event\":\"x\",\"unparsed\":\"what the\"}");
	check_json("event=x m=\"open", "{\"event\":\"x\",\"unparsed\":\"m=\\\"open\"}");
	check_json("event=x m=\"a\"b c=1", "{\"event\":\"x\",\"unparsed\":\"m=\\\"a\\\"b c=1\"}");
	check_json("=v", "{\"unparsed\":\"=v\"}");
	check_json("k{=v", "{\"unparsed\":\"k{=v\"}");
	/* a quote in a bare value is escaped in the JSON */
	check_json("k=a\"b", "{\"k\":\"a\\\"b\"}");
	/* blanks only, nothing */
	check_json("   ", "{}");
	check_json("", "{}");
	/* a trailing backslash inside quotes does not read past the end */
	check_json("k=\"ab\\", "{\"unparsed\":\"k=\\\"ab\\\\\"}");
	{
		/* NUL bytes inside the length */
		struct buf b;
		const char in[] = "k=a\0b";

		buf_init(&b);
		logfmt_to_json(in, sizeof(in) - 1, &b);
		CHECK_STR(b.data, "{\"k\":\"a\\u0000b\"}");
		buf_free(&b);
	}
	return unit_done("test_logfmt");
}
