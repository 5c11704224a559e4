/* The POP3 response reader and CAPA parser: RFC 1939 / 2449 / 2595
 * examples, real servers, and hostile input with the exact error each
 * gets. */
#include <stdlib.h>
#include <string.h>

#include "collectors/pop3_resp.h"
#include "tests/unit/unit.h"

/* Feeds lines separated by '\n' (no CRLF) and returns the last status. */
static enum pop3_status
feed(struct pop3_resp *r, int multiline, const char *lines)
{
	enum pop3_status st = POP3_RESP_MORE;
	const char *p = lines;

	pop3_resp_reset(r, multiline);
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		st = pop3_resp_feed(r, p, n);
		if (st != POP3_RESP_MORE || nl == NULL)
			return st;
		p = nl + 1;
	}
}

/* One line must fail with err. */
static void
check_error(int lineno, struct pop3_resp *r, int multiline, const char *lines,
    const char *err)
{
	enum pop3_status st = feed(r, multiline, lines);

	unit_checks++;
	if (st != POP3_RESP_ERROR || strcmp(r->err, err) != 0) {
		unit_failures++;
		fprintf(stderr, "%s:%d: status %d err \"%s\", expected \"%s\"\n",
		    __FILE__, lineno, st, r->err, err);
	}
}
#define BAD(r, ml, lines, err) check_error(__LINE__, r, ml, lines, err)

static void
test_status(void)
{
	struct pop3_resp r;

	pop3_resp_init(&r, 10);
	/* RFC 1939 4, 5 */
	CHECK_INT(feed(&r, 0, "+OK POP3 server ready "
	    "<1896.697170952@dbc.mtview.ca.us>"), POP3_RESP_DONE);
	CHECK_INT(r.ok, 1);
	CHECK_STR(r.text, "POP3 server ready <1896.697170952@dbc.mtview.ca.us>");
	CHECK_INT(feed(&r, 0, "-ERR never heard of mailbox name"),
	    POP3_RESP_DONE);
	CHECK_INT(r.ok, 0);
	CHECK_STR(r.text, "never heard of mailbox name");
	CHECK_INT(feed(&r, 0, "+OK"), POP3_RESP_DONE);
	CHECK_STR(r.text, "");
	CHECK_INT(feed(&r, 0, "-ERR"), POP3_RESP_DONE);
	CHECK_INT(r.ok, 0);
	/* RFC 2449 8: response codes are text here. */
	CHECK_INT(feed(&r, 0, "-ERR [IN-USE] Do you have another POP session "
	    "running?"), POP3_RESP_DONE);
	CHECK_STR(r.text, "[IN-USE] Do you have another POP session running?");
	/* RFC 2595 4 */
	CHECK_INT(feed(&r, 0, "+OK Begin TLS negotiation"), POP3_RESP_DONE);
	/* -ERR ends a multi-line response at once. */
	CHECK_INT(feed(&r, 1, "-ERR unknown command"), POP3_RESP_DONE);
	CHECK_INT(r.ok, 0);
	CHECK_INT(r.nlines, 0);
	/* 8-bit text and tabs are text; it is cut, not refused. */
	CHECK_INT(feed(&r, 0, "+OK Bienvenue \xc3\xa0 bord\tici"),
	    POP3_RESP_DONE);
	{
		char line[600];

		memset(line, 'x', sizeof(line) - 1);
		memcpy(line, "+OK ", 4);
		line[sizeof(line) - 1] = '\0';
		CHECK_INT(feed(&r, 0, line), POP3_RESP_DONE);
		CHECK_INT(strlen(r.text), sizeof(r.text) - 1);
	}

	BAD(&r, 0, "", "status is not +OK or -ERR");
	BAD(&r, 0, "+ok hello", "status is not +OK or -ERR");
	BAD(&r, 0, "-err", "status is not +OK or -ERR");
	BAD(&r, 0, "OK", "status is not +OK or -ERR");
	BAD(&r, 0, "+", "status is not +OK or -ERR");
	BAD(&r, 0, "+ base64==", "status is not +OK or -ERR");
	BAD(&r, 0, " +OK", "status is not +OK or -ERR");
	BAD(&r, 0, "* OK IMAP4rev1 ready", "status is not +OK or -ERR");
	BAD(&r, 0, "220 mail.example.org ESMTP", "status is not +OK or -ERR");
	BAD(&r, 0, "+OKAY", "malformed status");
	BAD(&r, 0, "-ERROR", "malformed status");
	BAD(&r, 0, "+OK\tready", "malformed status");
	/* A single-line response takes no more lines. */
	CHECK_INT(feed(&r, 0, "+OK"), POP3_RESP_DONE);
	CHECK_INT(pop3_resp_feed(&r, "more", 4), POP3_RESP_ERROR);
	CHECK_STR(r.err, "line after a complete response");
	CHECK_INT(feed(&r, 1, "+OK\nSTLS\n."), POP3_RESP_DONE);
	CHECK_INT(pop3_resp_feed(&r, "USER", 4), POP3_RESP_ERROR);
	CHECK_STR(r.err, "line after a complete response");
	CHECK_INT(r.nlines, 1);
	CHECK_INT(feed(&r, 1, "-ERR no"), POP3_RESP_DONE);
	CHECK_INT(pop3_resp_feed(&r, ".", 1), POP3_RESP_ERROR);
	CHECK_STR(r.err, "line after a complete response");
	pop3_resp_free(&r);
}

static void
test_capa(void)
{
	struct pop3_resp r;
	struct pop3_caps c;

	pop3_resp_init(&r, 20);
	/* RFC 2449 5 */
	CHECK_INT(feed(&r, 1, "+OK Capability list follows\nTOP\nUSER\n"
	    "SASL CRAM-MD5 KERBEROS_V4\nRESP-CODES\nLOGIN-DELAY 900\n"
	    "PIPELINING\nEXPIRE 60\nUIDL\nIMPLEMENTATION Shlemazle-Plotz-v302\n"
	    "."), POP3_RESP_DONE);
	CHECK_INT(r.ok, 1);
	CHECK_INT(r.nlines, 9);
	CHECK_INT(pop3_capa_parse(&r, &c), 0);
	CHECK_INT(c.n, 9);
	CHECK(c.top && c.user && c.sasl && c.pipelining && c.uidl);
	CHECK(!c.stls && !c.sasl_plain && !c.sasl_login);
	CHECK_STR(c.sasl_mechs, "CRAM-MD5 KERBEROS_V4");
	/* RFC 2595 4, and Dovecot before TLS. */
	CHECK_INT(feed(&r, 1, "+OK\nCAPA\nTOP\nUIDL\nRESP-CODES\nPIPELINING\n"
	    "AUTH-RESP-CODE\nSTLS\nSASL\n."), POP3_RESP_DONE);
	CHECK_INT(pop3_capa_parse(&r, &c), 0);
	CHECK(c.stls && !c.user && !c.sasl);
	CHECK_INT(feed(&r, 1, "+OK\nstls\nuser\nsasl plain Login\n."),
	    POP3_RESP_DONE);
	CHECK_INT(pop3_capa_parse(&r, &c), 0);
	CHECK(c.stls && c.user && c.sasl && c.sasl_plain && c.sasl_login);
	CHECK_STR(c.sasl_mechs, "plain Login");
	/* Tags that only start like a known one are other tags. */
	CHECK_INT(feed(&r, 1, "+OK\nSTLSX\nUSERS\nXSASL PLAIN\n."),
	    POP3_RESP_DONE);
	CHECK_INT(pop3_capa_parse(&r, &c), 0);
	CHECK(!c.stls && !c.user && !c.sasl);
	/* One trailing blank is tolerated. */
	CHECK_INT(feed(&r, 1, "+OK\nSTLS \nSASL PLAIN \n."), POP3_RESP_DONE);
	CHECK_INT(pop3_capa_parse(&r, &c), 0);
	CHECK(c.stls && c.sasl_plain);
	/* An empty list. */
	CHECK_INT(feed(&r, 1, "+OK\n."), POP3_RESP_DONE);
	CHECK_INT(r.nlines, 0);
	CHECK_INT(pop3_capa_parse(&r, &c), 0);
	CHECK_INT(c.n, 0);
	/* -ERR: nothing is learnt. */
	CHECK_INT(feed(&r, 1, "-ERR unknown command"), POP3_RESP_DONE);
	CHECK_INT(pop3_capa_parse(&r, &c), 0);
	CHECK_INT(c.n, 0);
	/* Dot-stuffing: a leading "." is dropped, ".." is ".". */
	CHECK_INT(feed(&r, 1, "+OK\n..STLS\n.USER\n..\n."), POP3_RESP_DONE);
	CHECK_INT(r.nlines, 3);
	CHECK_STR(r.body.data, ".STLS\nUSER\n.");
	CHECK_INT(pop3_capa_parse(&r, &c), 0);
	CHECK(!c.stls && c.user);
	/* "." followed by blanks is a line, not the end. */
	CHECK_INT(feed(&r, 1, "+OK\nSTLS\n. "), POP3_RESP_MORE);
	CHECK_INT(pop3_resp_feed(&r, ".", 1), POP3_RESP_DONE);
	CHECK_INT(r.nlines, 2);
	CHECK_INT(pop3_capa_parse(&r, &c), -1);
	CHECK_STR(c.err, "empty capability line");

	/* Bad lines. */
	CHECK_INT(feed(&r, 1, "+OK\nSTLS\n\n."), POP3_RESP_DONE);
	CHECK_INT(pop3_capa_parse(&r, &c), -1);
	CHECK_STR(c.err, "empty capability line");
	CHECK_INT(feed(&r, 1, "+OK\n STLS\n."), POP3_RESP_DONE);
	CHECK_INT(pop3_capa_parse(&r, &c), -1);
	CHECK_STR(c.err, "bad capability");
	CHECK_INT(feed(&r, 1, "+OK\nST\xc3\xa9LS\n."), POP3_RESP_DONE);
	CHECK_INT(pop3_capa_parse(&r, &c), -1);
	CHECK_STR(c.err, "bad capability");
	CHECK_INT(feed(&r, 1, "+OK\nSTLS\tX\n."), POP3_RESP_DONE);
	CHECK_INT(pop3_capa_parse(&r, &c), -1);
	CHECK_STR(c.err, "bad capability");
	CHECK_INT(feed(&r, 1, "+OK\nSASL PLAIN  LOGIN\n."), POP3_RESP_DONE);
	CHECK_INT(pop3_capa_parse(&r, &c), -1);
	CHECK_STR(c.err, "empty capability parameter");
	CHECK_INT(feed(&r, 1, "+OK\nSASL PL\xc3\xa9IN\n."), POP3_RESP_DONE);
	CHECK_INT(pop3_capa_parse(&r, &c), -1);
	CHECK_STR(c.err, "bad capability parameter");
	pop3_resp_free(&r);
}

static void
test_hostile(void)
{
	static const char nul1[] = "+OK hi\0there";
	static const char nul2[] = "STLS\0";
	struct pop3_resp r;
	struct buf b;
	char *big;

	pop3_resp_init(&r, 100);
	/* NULs and control characters, in the status line or after it. */
	pop3_resp_reset(&r, 0);
	CHECK_INT(pop3_resp_feed(&r, nul1, sizeof(nul1) - 1), POP3_RESP_ERROR);
	CHECK_STR(r.err, "nul byte in line");
	pop3_resp_reset(&r, 1);
	CHECK_INT(pop3_resp_feed(&r, "+OK", 3), POP3_RESP_MORE);
	CHECK_INT(pop3_resp_feed(&r, nul2, sizeof(nul2) - 1), POP3_RESP_ERROR);
	CHECK_STR(r.err, "nul byte in line");
	BAD(&r, 0, "+OK hi\rthere", "control character in line");
	BAD(&r, 0, "+OK \x1b[31mred", "control character in line");
	BAD(&r, 0, "-ERR del\x7f", "control character in line");
	BAD(&r, 1, "+OK\nSTLS\nUSER\x01\n.", "control character in line");
	/* A 1 MB line. */
	big = malloc(1 << 20);
	memset(big, 'x', 1 << 20);
	memcpy(big, "+OK ", 4);
	pop3_resp_reset(&r, 0);
	CHECK_INT(pop3_resp_feed(&r, big, 1 << 20), POP3_RESP_ERROR);
	CHECK_STR(r.err, "line too long");
	pop3_resp_reset(&r, 0);
	CHECK_INT(pop3_resp_feed(&r, big, POP3_LINE_MAX), POP3_RESP_DONE);
	pop3_resp_reset(&r, 1);
	CHECK_INT(pop3_resp_feed(&r, "+OK", 3), POP3_RESP_MORE);
	CHECK_INT(pop3_resp_feed(&r, big, POP3_LINE_MAX + 1), POP3_RESP_ERROR);
	CHECK_STR(r.err, "line too long");
	free(big);
	/* CAPA never terminated: the line bound stops it. */
	buf_init(&b);
	buf_puts(&b, "+OK");
	for (int i = 0; i < 100; i++)
		buf_puts(&b, "\nX-CAP");
	CHECK_INT(feed(&r, 1, b.data), POP3_RESP_MORE);
	CHECK_INT(r.nlines, 100);
	CHECK_INT(pop3_resp_feed(&r, "X-CAP", 5), POP3_RESP_ERROR);
	CHECK_STR(r.err, "too many lines in one response");
	/* 10000 lines: the same, at line 101. */
	buf_reset(&b);
	buf_puts(&b, "+OK");
	for (int i = 0; i < 10000; i++)
		buf_puts(&b, "\nUSER");
	buf_puts(&b, "\n.");
	BAD(&r, 1, b.data, "too many lines in one response");
	CHECK_INT(r.nlines, 100);
	/* Exactly the bound is fine. */
	buf_reset(&b);
	buf_puts(&b, "+OK");
	for (int i = 0; i < 100; i++)
		buf_puts(&b, "\n..X");
	buf_puts(&b, "\n.");
	CHECK_INT(feed(&r, 1, b.data), POP3_RESP_DONE);
	CHECK_INT(r.nlines, 100);
	CHECK_INT(r.body.len, 100 * 3 - 1);
	CHECK(r.body.data[0] == '.' && r.body.data[1] == 'X');
	buf_free(&b);
	/* A lone "." after a -ERR is a line too many. */
	CHECK_INT(feed(&r, 1, "-ERR"), POP3_RESP_DONE);
	CHECK_INT(pop3_resp_feed(&r, ".", 1), POP3_RESP_ERROR);
	CHECK_STR(r.err, "line after a complete response");
	/* Status lines are not dot-stuffed. */
	BAD(&r, 1, ".", "status is not +OK or -ERR");
	BAD(&r, 1, "..+OK", "status is not +OK or -ERR");
	pop3_resp_free(&r);
	/* maxlines 0 means the default. */
	pop3_resp_init(&r, 0);
	CHECK_INT(r.maxlines, 64);
	pop3_resp_free(&r);
}

int
main(void)
{
	test_status();
	test_capa();
	test_hostile();
	return unit_done("test_pop3_resp");
}
