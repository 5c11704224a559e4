/* The SMTP reply reader and EHLO keyword parser, with hostile input. */
#include <stdlib.h>
#include <string.h>

#include "collectors/smtp_reply.h"
#include "tests/unit/unit.h"

/* Feeds lines separated by '\n' (no CRLF) and returns the last status. */
static enum reply_status
feed(struct smtp_reply *r, const char *lines)
{
	enum reply_status st = REPLY_MORE;
	const char *p = lines;

	smtp_reply_reset(r);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		st = smtp_reply_feed(r, p, n);
		if (st != REPLY_MORE)
			return st;
		p += n + (nl ? 1 : 0);
	}
	return st;
}

static void
test_basic(void)
{
	struct smtp_reply r;

	smtp_reply_init(&r, 10);
	CHECK_INT(feed(&r, "220 mail.example.org ESMTP"), REPLY_DONE);
	CHECK_INT(r.code, 220);
	CHECK_STR(r.text.data, "mail.example.org ESMTP");
	/* a multi-line banner */
	CHECK_INT(feed(&r, "220-first\n220-second\n220 third"), REPLY_DONE);
	CHECK_INT(r.nlines, 3);
	CHECK_STR(r.text.data, "first\nsecond\nthird");
	/* a bare code ends the reply */
	CHECK_INT(feed(&r, "250"), REPLY_DONE);
	CHECK_INT(r.code, 250);
	/* continuation without its end */
	CHECK_INT(feed(&r, "250-a\n250-b"), REPLY_MORE);
	smtp_reply_free(&r);
}

static void
test_hostile(void)
{
	struct smtp_reply r;
	char *big;

	smtp_reply_init(&r, 5);
	CHECK_INT(feed(&r, "22"), REPLY_ERROR);
	CHECK_STR(r.err, "reply line shorter than a code");
	CHECK_INT(feed(&r, "abc hello"), REPLY_ERROR);
	CHECK_INT(feed(&r, "199 too low"), REPLY_ERROR);
	CHECK_INT(feed(&r, "600 too high"), REPLY_ERROR);
	CHECK_INT(feed(&r, "260 second digit"), REPLY_ERROR);
	CHECK_STR(r.err, "reply code not in 200-559");
	CHECK_INT(feed(&r, "220xhello"), REPLY_ERROR);
	CHECK_STR(r.err, "no space or dash after the reply code");
	CHECK_INT(feed(&r, "250-a\n251 b"), REPLY_ERROR);
	CHECK_STR(r.err, "reply code changed inside a reply");
	CHECK_INT(feed(&r, "250-1\n250-2\n250-3\n250-4\n250-5\n250 6"), REPLY_ERROR);
	CHECK_STR(r.err, "too many lines in one reply");
	/* NUL and control bytes inside the line */
	smtp_reply_reset(&r);
	CHECK_INT(smtp_reply_feed(&r, "220 a\0b", 7), REPLY_ERROR);
	CHECK_STR(r.err, "control character in reply");
	smtp_reply_reset(&r);
	CHECK_INT(smtp_reply_feed(&r, "220 a\rb", 7), REPLY_ERROR);
	smtp_reply_reset(&r);
	CHECK_INT(smtp_reply_feed(&r, "220 a\x1b[31m", 10), REPLY_ERROR);
	smtp_reply_reset(&r);
	CHECK_INT(smtp_reply_feed(&r, "220 tab\there", 12), REPLY_DONE);
	/* a 1 MB line is taken whole here: the I/O layer bounds lines first */
	big = malloc(1 << 20);
	memset(big, 'x', 1 << 20);
	memcpy(big, "220 ", 4);
	smtp_reply_reset(&r);
	CHECK_INT(smtp_reply_feed(&r, big, 1 << 20), REPLY_DONE);
	CHECK_INT(r.text.len, (1 << 20) - 4);
	big[1] = '\0';
	smtp_reply_reset(&r);
	CHECK_INT(smtp_reply_feed(&r, big, 1 << 20), REPLY_ERROR);
	free(big);
	smtp_reply_free(&r);
}

static void
test_domain(void)
{
	struct smtp_reply r;
	char d[254];

	smtp_reply_init(&r, 10);
	feed(&r, "220 MX1.Example.ORG. ESMTP Postfix");
	CHECK_INT(smtp_reply_domain(&r, d, sizeof(d)), 0);
	CHECK_STR(d, "mx1.example.org");
	feed(&r, "250-mx1.example.org\n250 STARTTLS");
	CHECK_INT(smtp_reply_domain(&r, d, sizeof(d)), 0);
	CHECK_STR(d, "mx1.example.org");
	/* hostile or not a name: an address literal, a bare label, empty,
	 * a leading space, a tab, bad characters, an overlong label, a NUL */
	feed(&r, "220 [192.0.2.1] ESMTP");
	CHECK_INT(smtp_reply_domain(&r, d, sizeof(d)), -1);
	CHECK_STR(d, "");
	feed(&r, "220 localhost ESMTP");
	CHECK_INT(smtp_reply_domain(&r, d, sizeof(d)), -1);
	feed(&r, "220");
	CHECK_INT(smtp_reply_domain(&r, d, sizeof(d)), -1);
	feed(&r, "220  mx.example.org");
	CHECK_INT(smtp_reply_domain(&r, d, sizeof(d)), -1);
	feed(&r, "220 mx.example.org\tESMTP");
	CHECK_INT(smtp_reply_domain(&r, d, sizeof(d)), -1);
	feed(&r, "220 mx_1.example.org ESMTP");
	CHECK_INT(smtp_reply_domain(&r, d, sizeof(d)), -1);
	feed(&r, "220 -mx.example.org ESMTP");
	CHECK_INT(smtp_reply_domain(&r, d, sizeof(d)), -1);
	feed(&r, "220 1.2.3.4 ESMTP");
	CHECK_INT(smtp_reply_domain(&r, d, sizeof(d)), -1);
	feed(&r, "220 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org x");
	CHECK_INT(smtp_reply_domain(&r, d, sizeof(d)), -1);
	{
		static const char nul[] = "220 mx\0evil.example.org x";

		smtp_reply_reset(&r);
		/* the reader refuses the line; were it kept, no name */
		CHECK(smtp_reply_feed(&r, nul, sizeof(nul) - 1) != REPLY_DONE ||
		    smtp_reply_domain(&r, d, sizeof(d)) == -1);
	}
	CHECK_INT(smtp_reply_domain(&r, d, 10), -1);
	smtp_reply_free(&r);
}

static void
test_ehlo(void)
{
	struct smtp_reply r;
	struct smtp_ehlo e;

	smtp_reply_init(&r, 100);
	CHECK_INT(feed(&r, "250-mail.example.org Hello\n250-PIPELINING\n"
	    "250-SIZE 10240000\n250-AUTH PLAIN LOGIN\n250-ENHANCEDSTATUSCODES\n"
	    "250 STARTTLS"), REPLY_DONE);
	smtp_ehlo_parse(&r, &e);
	CHECK(e.starttls);
	CHECK(e.pipelining);
	CHECK(e.size);
	CHECK(e.auth);
	CHECK_STR(e.auth_mechs, "PLAIN LOGIN");
	/* "250 " and "250-" lines alike; case-insensitive keywords */
	CHECK_INT(feed(&r, "250-host\n250 starttls"), REPLY_DONE);
	smtp_ehlo_parse(&r, &e);
	CHECK(e.starttls);
	/* the greeting line is not an extension */
	CHECK_INT(feed(&r, "250 STARTTLS"), REPLY_DONE);
	smtp_ehlo_parse(&r, &e);
	CHECK(!e.starttls);
	/* a keyword that only starts with STARTTLS is another keyword */
	CHECK_INT(feed(&r, "250-host\n250 STARTTLSX"), REPLY_DONE);
	smtp_ehlo_parse(&r, &e);
	CHECK(!e.starttls);
	/* old AUTH= form */
	CHECK_INT(feed(&r, "250-host\n250 AUTH=LOGIN"), REPLY_DONE);
	smtp_ehlo_parse(&r, &e);
	CHECK(e.auth);
	CHECK_STR(e.auth_mechs, "LOGIN");
	/* not a 250: nothing is learnt */
	CHECK_INT(feed(&r, "550-host\n550 STARTTLS"), REPLY_DONE);
	smtp_ehlo_parse(&r, &e);
	CHECK(!e.starttls);
	smtp_reply_free(&r);
}

int
main(void)
{
	test_basic();
	test_hostile();
	test_ehlo();
	test_domain();
	return unit_done("test_smtp_reply");
}
