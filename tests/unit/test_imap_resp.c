/* The IMAP line reader: RFC 9051 / 3501 examples, real greetings, and
 * hostile input with the exact error each gets. */
#include <stdlib.h>
#include <string.h>

#include "collectors/imap_resp.h"
#include "base/util.h"
#include "tests/unit/unit.h"

static int
parse(struct imap_line *l, const char *line, const char *tag)
{
	return imap_line_parse(l, line, strlen(line), tag);
}

/* line must fail with err (tag "a1" unless greeting). */
static void
check_error(int lineno, const char *line, size_t len, int greeting,
    const char *err)
{
	struct imap_line l;
	int rc = imap_line_parse(&l, line, len, greeting ? NULL : "a1");

	unit_checks++;
	if (rc != -1 || strcmp(l.err, err) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: rc %d err \"%s\", expected \"%s\"\n",
		    __FILE__, lineno, rc, rc == -1 ? l.err : "", err);
	}
}
#define BAD(line, err) check_error(__LINE__, line, strlen(line), 0, err)
#define BAD_GREETING(line, err) \
	check_error(__LINE__, line, strlen(line), 1, err)
#define BAD_BYTES(line, err) \
	check_error(__LINE__, line, sizeof(line) - 1, 0, err)

static void
test_greetings(void)
{
	struct imap_line l;

	/* RFC 9051 7.1.1, 7.1.4, 7.1.5 */
	CHECK_INT(parse(&l, "* OK IMAP4rev2 server ready", NULL), 0);
	CHECK_INT(l.kind, IMAP_LINE_STATUS);
	CHECK_INT(l.cond, IMAP_COND_OK);
	CHECK_STR(l.text, "IMAP4rev2 server ready");
	CHECK_STR(l.code, "");
	CHECK(!l.has_caps);
	CHECK_INT(parse(&l, "* PREAUTH IMAP4rev2 server logged in as Smith",
	    NULL), 0);
	CHECK_INT(l.cond, IMAP_COND_PREAUTH);
	CHECK_STR(l.text, "IMAP4rev2 server logged in as Smith");
	CHECK_INT(parse(&l, "* BYE Autologout; idle for too long", NULL), 0);
	CHECK_INT(l.cond, IMAP_COND_BYE);
	CHECK_STR(l.text, "Autologout; idle for too long");

	/* Dovecot's greeting carries the capabilities. */
	CHECK_INT(parse(&l, "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS "
	    "ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED] Dovecot (Debian) "
	    "ready.", NULL), 0);
	CHECK_INT(l.cond, IMAP_COND_OK);
	CHECK(l.has_caps);
	CHECK_STR(l.code, "CAPABILITY");
	CHECK_INT(l.caps.n, 9);
	CHECK(l.caps.imap4rev1);
	CHECK(!l.caps.imap4rev2);
	CHECK(l.caps.starttls);
	CHECK(l.caps.logindisabled);
	CHECK(!l.caps.auth);
	CHECK_STR(l.text, "Dovecot (Debian) ready.");
	/* Status words and atoms are case-insensitive. */
	CHECK_INT(parse(&l, "* ok [capability imap4REV2 starttls auth=plain] "
	    "hi", NULL), 0);
	CHECK(l.caps.imap4rev2 && l.caps.starttls && l.caps.auth_plain);
	CHECK_STR(l.caps.auth_mechs, "plain");
	/* RFC 9051 makes the text optional; a bare "* OK" is tolerated. */
	CHECK_INT(parse(&l, "* OK ", NULL), 0);
	CHECK_STR(l.text, "");
	CHECK_INT(parse(&l, "* OK", NULL), 0);
	CHECK_INT(parse(&l, "* OK [CAPABILITY IMAP4rev1 STARTTLS]", NULL), 0);
	CHECK(l.caps.starttls);
	/* Another response code, with its argument. */
	CHECK_INT(parse(&l, "* OK [ALERT] System shutdown in 10 minutes", NULL),
	    0);
	CHECK_STR(l.code, "ALERT");
	CHECK(!l.has_caps);
	CHECK_STR(l.text, "System shutdown in 10 minutes");
	CHECK_INT(parse(&l, "* OK [UIDVALIDITY 3857529045] UIDs valid", NULL),
	    0);
	CHECK_STR(l.code, "UIDVALIDITY");
	/* 8-bit text (RFC 9051 allows UTF-8) and a tab are text. */
	CHECK_INT(parse(&l, "* OK Bienvenue \xc3\xa0 bord\tici", NULL), 0);
	/* The text is cut, not refused. */
	{
		char line[600];

		memset(line, 'x', sizeof(line) - 1);
		memcpy(line, "* OK ", 5);
		line[sizeof(line) - 1] = '\0';
		CHECK_INT(parse(&l, line, NULL), 0);
		CHECK_INT(strlen(l.text), sizeof(l.text) - 1);
	}

	/* Only a greeting is a greeting. */
	BAD_GREETING("* NO go away", "not a greeting (* OK, * PREAUTH or "
	    "* BYE)");
	BAD_GREETING("* BAD", "not a greeting (* OK, * PREAUTH or * BYE)");
	BAD_GREETING("* CAPABILITY IMAP4rev1", "not a greeting (* OK, "
	    "* PREAUTH or * BYE)");
	BAD_GREETING("* 3 EXISTS", "not a greeting (* OK, * PREAUTH or "
	    "* BYE)");
	BAD_GREETING("a1 OK hi", "not a greeting (* OK, * PREAUTH or * BYE)");
	BAD_GREETING("+ go ahead", "not a greeting (* OK, * PREAUTH or "
	    "* BYE)");
	BAD_GREETING("220 mail.example.org ESMTP", "not a greeting (* OK, "
	    "* PREAUTH or * BYE)");
	BAD_GREETING("+OK POP3 ready", "not a greeting (* OK, * PREAUTH or "
	    "* BYE)");
	BAD_GREETING("* OKAY", "not a greeting (* OK, * PREAUTH or * BYE)");
	BAD_GREETING("*OK", "malformed untagged response");
	BAD_GREETING("*", "malformed untagged response");
	BAD_GREETING("* ", "not a greeting (* OK, * PREAUTH or * BYE)");
}

static void
test_capability(void)
{
	struct imap_line l;

	/* RFC 9051 6.1.1 and 6.2.1 */
	CHECK_INT(parse(&l, "* CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI "
	    "LOGINDISABLED", "a1"), 0);
	CHECK_INT(l.kind, IMAP_LINE_CAPABILITY);
	CHECK(l.has_caps);
	CHECK_INT(l.caps.n, 4);
	CHECK(l.caps.imap4rev2 && l.caps.starttls && l.caps.logindisabled);
	CHECK(l.caps.auth && !l.caps.auth_plain && !l.caps.auth_login);
	CHECK_STR(l.caps.auth_mechs, "GSSAPI");
	CHECK_INT(parse(&l, "* CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN "
	    "AUTH=LOGIN AUTH=SCRAM-SHA-256 SASL-IR", "a1"), 0);
	CHECK(l.caps.imap4rev1 && l.caps.imap4rev2);
	CHECK(l.caps.auth_plain && l.caps.auth_login);
	CHECK(!l.caps.starttls && !l.caps.logindisabled);
	CHECK_STR(l.caps.auth_mechs, "PLAIN LOGIN SCRAM-SHA-256");
	/* Atoms that only start like a known one are other atoms. */
	CHECK_INT(parse(&l, "* CAPABILITY IMAP4rev1 STARTTLSX XLOGINDISABLED "
	    "AUTH= AUTH", "a1"), 0);
	CHECK(!l.caps.starttls && !l.caps.logindisabled && !l.caps.auth);
	/* One trailing blank is tolerated. */
	CHECK_INT(parse(&l, "* CAPABILITY IMAP4rev1 STARTTLS ", "a1"), 0);
	CHECK_INT(l.caps.n, 2);
	/* The list of mechanisms keeps whole names only. */
	{
		struct buf b;

		buf_init(&b);
		buf_puts(&b, "* CAPABILITY IMAP4rev1");
		for (int i = 0; i < 20; i++)
			buf_printf(&b, " AUTH=MECHANISM-%02d", i);
		CHECK_INT(parse(&l, b.data, "a1"), 0);
		CHECK_INT(l.caps.n, 21);
		CHECK(strlen(l.caps.auth_mechs) < sizeof(l.caps.auth_mechs));
		CHECK(strncmp(l.caps.auth_mechs, "MECHANISM-00 MECHANISM-01",
		    25) == 0);
		CHECK(l.caps.auth_mechs[strlen(l.caps.auth_mechs) - 3] == '-');
		buf_free(&b);
	}
	/* The completion may carry the list as its response code. */
	CHECK_INT(parse(&l, "a1 OK [CAPABILITY IMAP4rev1 STARTTLS] done", "a1"),
	    0);
	CHECK_INT(l.kind, IMAP_LINE_TAGGED);
	CHECK(l.has_caps && l.caps.starttls);

	BAD("* CAPABILITY", "empty capability list");
	BAD("* CAPABILITY ", "empty capability list");
	BAD("* CAPABILITY IMAP4rev1  STARTTLS", "empty capability");
	BAD("* CAPABILITY IMAP4rev1 (STARTTLS)", "bad capability");
	BAD("* CAPABILITY IMAP4rev1 STARTTLS\t", "bad capability");
	BAD("* CAPABILITY IMAP4rev1 \"STARTTLS\"", "bad capability");
	BAD("* CAPABILITY IMAP4rev1 ST*RTTLS", "bad capability");
	BAD("* CAPABILITY IMAP4rev1 \xc3\xa9", "bad capability");
	BAD("* OK [CAPABILITY] hi", "empty capability list");
	BAD("* OK [CAPABILITY ] hi", "bad response code");
	BAD("* OK [CAPABILITY IMAP4rev1  STARTTLS] hi", "empty capability");
	BAD_GREETING("* OK [CAPABILITY IMAP4rev1 {5}] hi", "bad capability");
}

static void
test_tagged(void)
{
	struct imap_line l;

	/* RFC 9051 6.2.1 */
	CHECK_INT(parse(&l, "a002 OK Begin TLS negotiation now", "a002"), 0);
	CHECK_INT(l.kind, IMAP_LINE_TAGGED);
	CHECK_INT(l.cond, IMAP_COND_OK);
	CHECK_STR(l.text, "Begin TLS negotiation now");
	CHECK_INT(parse(&l, "a1 NO [UNAVAILABLE] TLS not available", "a1"), 0);
	CHECK_INT(l.cond, IMAP_COND_NO);
	CHECK_STR(l.code, "UNAVAILABLE");
	CHECK_INT(parse(&l, "a1 BAD Command unknown", "a1"), 0);
	CHECK_INT(l.cond, IMAP_COND_BAD);
	CHECK_INT(parse(&l, "a1 ok", "a1"), 0);
	CHECK_INT(l.cond, IMAP_COND_OK);
	/* Untagged lines while a command runs. */
	CHECK_INT(parse(&l, "* OK [ALERT] hello", "a1"), 0);
	CHECK_INT(l.kind, IMAP_LINE_STATUS);
	CHECK_INT(parse(&l, "* NO disk almost full", "a1"), 0);
	CHECK_INT(l.cond, IMAP_COND_NO);
	CHECK_INT(parse(&l, "* BYE IMAP4rev2 Server logging out", "a3"), 0);
	CHECK_INT(l.cond, IMAP_COND_BYE);
	CHECK_INT(parse(&l, "* 3 EXISTS", "a1"), 0);
	CHECK_INT(l.kind, IMAP_LINE_DATA);
	CHECK_INT(parse(&l, "* ID (\"name\" \"Dovecot\")", "a1"), 0);
	CHECK_INT(l.kind, IMAP_LINE_DATA);
	CHECK_INT(parse(&l, "+ Ready for additional command text", "a1"), 0);
	CHECK_INT(l.kind, IMAP_LINE_CONTINUE);
	CHECK_STR(l.text, "Ready for additional command text");
	CHECK_INT(parse(&l, "+", "a1"), 0);
	CHECK_INT(l.kind, IMAP_LINE_CONTINUE);
	CHECK_INT(parse(&l, "+ ", "a1"), 0);

	/* Tags. */
	BAD("a2 OK STARTTLS completed", "unexpected tag");
	BAD("A1 OK wrong case", "unexpected tag");
	BAD("a10 OK longer", "unexpected tag");
	BAD("a OK shorter", "unexpected tag");
	BAD(" OK hello", "missing tag");
	BAD("  a1 OK", "missing tag");
	BAD("a(1 OK", "malformed tag");
	BAD("a+1 OK", "malformed tag");
	BAD("a%1 OK", "malformed tag");
	BAD("\"a1\" OK", "malformed tag");
	BAD("a\xc3\xa9" "1 OK", "malformed tag");
	BAD("a1", "no status after the tag");
	BAD("a1 ", "tagged status is not OK, NO or BAD");
	BAD("a1 YES done", "tagged status is not OK, NO or BAD");
	BAD("a1 OKAY done", "tagged status is not OK, NO or BAD");
	BAD("a1 BYE done", "tagged status is not OK, NO or BAD");
	BAD("a1 PREAUTH done", "tagged status is not OK, NO or BAD");
	BAD("OK done", "unexpected tag");

	/* Response codes. */
	BAD("a1 OK [ALERT hello", "unterminated response code");
	BAD("* OK [CAPABILITY IMAP4rev1 STARTTLS", "unterminated response code");
	BAD("* OK [", "unterminated response code");
	BAD("a1 OK [] done", "bad response code");
	BAD("a1 OK [ ALERT] done", "bad response code");
	BAD("a1 OK [ALERT ] done", "bad response code");
	BAD("a1 OK [AL(ERT] done", "bad response code");
	BAD("a1 OK [ALERT]done", "no space after the response code");

	/* Others. */
	BAD("* PREAUTH hello", "PREAUTH after the greeting");
	BAD("+go", "malformed continuation request");
	BAD("*OK", "malformed untagged response");
	BAD("* (1) EXISTS", "malformed untagged response");
	BAD("* ", "malformed untagged response");
}

static void
test_hostile(void)
{
	struct imap_line l;
	struct buf b;
	char *big;

	BAD("", "empty line");
	BAD_GREETING("", "empty line");
	/* NULs and control characters anywhere. */
	BAD_BYTES("* OK hi\0there", "nul byte in line");
	BAD_BYTES("\0", "nul byte in line");
	BAD_BYTES("a1 OK\0", "nul byte in line");
	BAD("* OK hi\rthere", "control character in line");
	BAD("* OK hi\x1b[31mred", "control character in line");
	BAD("* OK del\x7f", "control character in line");
	BAD("* CAPABILITY IMAP4rev1\x01STARTTLS", "control character in line");
	check_error(__LINE__, "* OK hi\n* OK again", 18, 1,
	    "control character in line");
	/* Literals have no place before login. */
	BAD("* OK {5}", "literal before login");
	BAD_GREETING("* OK hello {12}", "literal before login");
	BAD("a1 OK {0}", "literal before login");
	BAD("* ID (\"name\" {7}", "literal before login");
	BAD("* 1 FETCH (BODY[] {1048576}", "literal before login");
	BAD("* OK {5+}", "literal before login");
	BAD("+ {5}", "literal before login");
	/* Braces that are not a literal are text. */
	CHECK_INT(parse(&l, "* OK {x}", NULL), 0);
	CHECK_INT(parse(&l, "* OK {}", NULL), 0);
	CHECK_INT(parse(&l, "* OK {5} ready", NULL), 0);
	CHECK_INT(parse(&l, "* OK 5}", NULL), 0);
	/* A 1 MB line. */
	big = malloc(1 << 20);
	memset(big, 'x', 1 << 20);
	memcpy(big, "* OK ", 5);
	check_error(__LINE__, big, 1 << 20, 1, "line too long");
	CHECK_INT(imap_line_parse(&l, big, IMAP_LINE_MAX, NULL), 0);
	check_error(__LINE__, big, IMAP_LINE_MAX + 1, 1, "line too long");
	free(big);
	/* 10000 capabilities in one line; the bound is 128. */
	buf_init(&b);
	buf_puts(&b, "* CAPABILITY IMAP4rev1");
	for (int i = 1; i < 10000; i++)
		buf_puts(&b, " X");
	check_error(__LINE__, b.data, b.len, 0, "line too long");
	buf_reset(&b);
	buf_puts(&b, "* CAPABILITY IMAP4rev1");
	for (int i = 1; i < IMAP_CAPS_MAX; i++)
		buf_puts(&b, " X");
	CHECK_INT(imap_line_parse(&l, b.data, b.len, "a1"), 0);
	CHECK_INT(l.caps.n, IMAP_CAPS_MAX);
	buf_puts(&b, " STARTTLS");
	check_error(__LINE__, b.data, b.len, 0, "too many capabilities");
	buf_reset(&b);
	buf_puts(&b, "* OK [CAPABILITY IMAP4rev1");
	for (int i = 0; i < IMAP_CAPS_MAX; i++)
		buf_puts(&b, " X");
	buf_puts(&b, "] hi");
	check_error(__LINE__, b.data, b.len, 1, "too many capabilities");
	buf_free(&b);
	/* A long tag is only compared. */
	BAD("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    " OK", "unexpected tag");
}

int
main(void)
{
	test_greetings();
	test_capability();
	test_tagged();
	test_hostile();
	return unit_done("test_imap_resp");
}
