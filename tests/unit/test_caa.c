/* CAA RDATA and issue-value parsing (RFC 8659, RFC 9495), hostile inputs. */
#include <arpa/nameser.h>
#include <stdint.h>
#include <string.h>

#include <ares.h>

#include "collectors/caa.h"
#include "collectors/dns.h"
#include "tests/unit/unit.h"

static enum caa_error
rd(const char *tag, const char *value, uint8_t flags, struct caa_record *r)
{
	uint8_t buf[600];
	size_t tl = strlen(tag), vl = strlen(value);

	buf[0] = flags;
	buf[1] = (uint8_t)tl;
	memcpy(buf + 2, tag, tl);
	memcpy(buf + 2 + tl, value, vl);
	return caa_parse_rdata(buf, 2 + tl + vl, r);
}

static enum caa_error
iv(const char *v, char *issuer)
{
	unsigned n;

	return caa_parse_issue_value(v, strlen(v), issuer, &n);
}

static void
test_issue_values(void)
{
	char is[254];
	unsigned n;

	CHECK_INT(iv("letsencrypt.org", is), CAA_OK);
	CHECK_STR(is, "letsencrypt.org");
	CHECK_INT(iv("  LetsEncrypt.ORG  ", is), CAA_OK);
	CHECK_STR(is, "letsencrypt.org");
	CHECK_INT(iv(";", is), CAA_OK);
	CHECK_STR(is, "");
	CHECK_INT(iv("", is), CAA_OK);
	CHECK_STR(is, "");
	CHECK_INT(caa_parse_issue_value("ca.example; account=123; policy=ev",
	    34, is, &n), CAA_OK);
	CHECK_STR(is, "ca.example");
	CHECK_INT(n, 2);
	CHECK_INT(iv("ca.example;account = 1", is), CAA_OK);
	CHECK_INT(iv("ca.example; ", is), CAA_OK);
	CHECK_INT(iv("x--y.example", is), CAA_OK);
	/* hostile */
	CHECK_INT(iv("ca.example.", is), CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(iv(".ca.example", is), CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(iv("ca..example", is), CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(iv("-ca.example", is), CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(iv("ca-.example", is), CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(iv("ca_x.example", is), CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(iv("ca.example x", is), CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(iv("ca.example; a", is), CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(iv("ca.example; a=1;", is), CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(iv("ca.example; a=1 b=2", is), CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(iv("ca.example; =1", is), CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(iv("ca.example; a=\x7f", is), CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(caa_parse_issue_value("ca\0x", 4, is, &n),
	    CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(iv("ca.example\r\n", is), CAA_ERR_VALUE_SYNTAX);
	{	/* a label of 64 bytes, a name of 254 */
		char big[400];

		memset(big, 'a', 64);
		big[64] = '\0';
		CHECK_INT(iv(big, is), CAA_ERR_VALUE_SYNTAX);
		for (int i = 0; i < 4; i++) {
			memset(big + i * 64, 'a', 63);
			big[i * 64 + 63] = '.';
		}
		big[255] = '\0';
		CHECK_INT(iv(big, is), CAA_ERR_VALUE_SYNTAX);
		big[251] = '\0';	/* 4 x 63 - 1: 251 bytes, fits */
		CHECK_INT(iv(big, is), CAA_OK);
	}
}

static void
test_rdata(void)
{
	struct caa_record r;
	uint8_t b[300];

	CHECK_INT(rd("issue", "letsencrypt.org", 0, &r), CAA_OK);
	CHECK_INT(r.tag, CAA_TAG_ISSUE);
	CHECK_STR(r.issuer, "letsencrypt.org");
	CHECK_INT(rd("ISSUEWILD", ";", 0, &r), CAA_OK);
	CHECK_INT(r.tag, CAA_TAG_ISSUEWILD);
	CHECK_INT(rd("issuemail", "ca.example; a=b", 0, &r), CAA_OK);
	CHECK_INT(r.tag, CAA_TAG_ISSUEMAIL);
	CHECK_INT(rd("iodef", "mailto:x@example.org", 0, &r), CAA_OK);
	CHECK_INT(r.tag, CAA_TAG_IODEF);
	CHECK_INT(rd("contactemail", "x@example.org", 0, &r), CAA_OK);
	CHECK_INT(r.tag, CAA_TAG_OTHER);
	CHECK_INT(rd("tbs", "x", CAA_FLAG_CRITICAL, &r), CAA_ERR_CRITICAL_UNKNOWN);
	CHECK_INT(rd("issue", "ca.example", CAA_FLAG_CRITICAL, &r), CAA_OK);
	CHECK_INT(rd("issue", "bad value!", 0, &r), CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(rd("is-ue", "x", 0, &r), CAA_ERR_TAG_CHARS);
	CHECK_INT(rd("abcdefghijklmnop", "x", 0, &r), CAA_ERR_TAG_LENGTH);
	CHECK_INT(caa_parse_rdata(NULL, 0, &r), CAA_ERR_SHORT);
	b[0] = 0;
	CHECK_INT(caa_parse_rdata(b, 1, &r), CAA_ERR_SHORT);
	b[1] = 0;
	CHECK_INT(caa_parse_rdata(b, 2, &r), CAA_ERR_TAG_LENGTH);
	b[1] = 5;
	memcpy(b + 2, "issu", 4);
	CHECK_INT(caa_parse_rdata(b, 6, &r), CAA_ERR_TAG_LENGTH);
	b[1] = 5;
	memcpy(b + 2, "iss\0e", 5);
	CHECK_INT(caa_parse_rdata(b, 7, &r), CAA_ERR_TAG_CHARS);
	/* an empty value is an issue record naming no CA */
	b[1] = 5;
	memcpy(b + 2, "issue", 5);
	CHECK_INT(caa_parse_rdata(b, 7, &r), CAA_OK);
	CHECK_STR(r.issuer, "");
	memset(b + 7, 'a', 256);
	CHECK_INT(caa_parse_rdata(b, 7 + 256, &r), CAA_ERR_VALUE_LENGTH);
	/* control bytes are shown as '?' in the copy of an iodef value */
	CHECK_INT(rd("iodef", "a\x01z", 0, &r), CAA_OK);
	CHECK_STR(r.value, "a?z");
}

static void
add(struct caa_set *s, const char *tag, const char *value, uint8_t flags)
{
	uint8_t buf[600];
	size_t tl = strlen(tag), vl = strlen(value);

	buf[0] = flags;
	buf[1] = (uint8_t)tl;
	memcpy(buf + 2, tag, tl);
	memcpy(buf + 2 + tl, value, vl);
	caa_set_add(s, buf, 2 + tl + vl);
}

static void
test_set(void)
{
	struct caa_set s;

	memset(&s, 0, sizeof(s));
	CHECK_INT(caa_set_allows(&s, "letsencrypt.org"), 1);
	add(&s, "iodef", "mailto:a@b", 0);
	CHECK_INT(caa_set_allows(&s, "letsencrypt.org"), 1);
	add(&s, "issue", "letsencrypt.org", 0);
	add(&s, "issuewild", ";", 0);
	CHECK_INT(s.error, CAA_OK);
	CHECK_INT(caa_set_allows(&s, "letsencrypt.org"), 1);
	CHECK_INT(caa_set_allows(&s, "LetsEncrypt.org"), 1);
	CHECK_INT(caa_set_allows(&s, "sectigo.com"), 0);
	CHECK_INT(caa_set_has_tag(&s, CAA_TAG_ISSUEWILD), 1);
	CHECK_INT(caa_set_has_tag(&s, CAA_TAG_ISSUEMAIL), 0);

	caa_set_free(&s);
	add(&s, "issue", ";", 0);
	CHECK_INT(caa_set_allows(&s, "letsencrypt.org"), 0);

	caa_set_free(&s);	/* a bad issue record allows nobody */
	add(&s, "issue", "letsencrypt.org x", 0);
	CHECK_INT(s.error, CAA_ERR_VALUE_SYNTAX);
	CHECK_INT(caa_set_allows(&s, "letsencrypt.org"), 0);

	caa_set_free(&s);	/* critical unknown: nobody */
	add(&s, "issue", "letsencrypt.org", 0);
	add(&s, "future", "x", CAA_FLAG_CRITICAL);
	CHECK_INT(s.error, CAA_ERR_CRITICAL_UNKNOWN);
	CHECK_INT(caa_set_allows(&s, "letsencrypt.org"), 0);

	caa_set_free(&s);
	for (int i = 0; i < CAA_SET_MAX + 3; i++)
		add(&s, "issue", "ca.example", 0);
	CHECK_INT(s.n, CAA_SET_MAX);
	CHECK_INT(s.error, CAA_ERR_TOO_MANY);
	caa_set_free(&s);
}

/* A DNS message: header, question caa.test CAA, then the answers. */
static size_t
msg(uint8_t *m, unsigned an, const uint8_t *ans, size_t anlen)
{
	static const uint8_t hdr[] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0,
	    0, 0, 3, 'c', 'a', 'a', 4, 't', 'e', 's', 't', 0, 1, 1, 0, 1 };

	memcpy(m, hdr, sizeof(hdr));
	m[7] = (uint8_t)an;
	memcpy(m + sizeof(hdr), ans, anlen);
	return sizeof(hdr) + anlen;
}

static void
test_answer(void)
{
	uint8_t m[512];
	struct caa_set s;
	/* owner: pointer to the question name; CAA IN ttl 60, rdlen 0x17 */
	static const uint8_t one[] = { 0xc0, 12, 1, 1, 0, 1, 0, 0, 0, 60, 0, 22,
	    0, 5, 'i', 's', 's', 'u', 'e', 'l', 'e', 't', 's', 'e', 'n', 'c',
	    'r', 'y', 'p', 't', '.', 'o', 'r', 'g' };
	static const uint8_t cname[] = { 0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2,
	    0xc0, 12 };
	size_t len;

	memset(&s, 0, sizeof(s));
	len = msg(m, 1, one, sizeof(one));
	CHECK_INT(caa_parse_answer(ARES_SUCCESS, m, (int)len, &s), DNS_OK);
	CHECK_INT(s.n, 1);
	CHECK_STR(s.recs[0].issuer, "letsencrypt.org");
	/* the rdata length runs past the message */
	caa_set_free(&s);
	CHECK_INT(caa_parse_answer(ARES_SUCCESS, m, (int)len - 1, &s), DNS_ERROR);
	/* more answers announced than sent */
	caa_set_free(&s);
	len = msg(m, 2, one, sizeof(one));
	CHECK_INT(caa_parse_answer(ARES_SUCCESS, m, (int)len, &s), DNS_ERROR);
	/* a CNAME only: no CAA */
	caa_set_free(&s);
	len = msg(m, 1, cname, sizeof(cname));
	CHECK_INT(caa_parse_answer(ARES_SUCCESS, m, (int)len, &s), DNS_NODATA);
	CHECK_INT(dns_each_rdata(m, (int)len, T_CNAME, NULL, NULL), 1);
	/* a compression loop in the owner name */
	{
		static const uint8_t loop[] = { 0xc0, 26, 1, 1, 0, 1, 0, 0, 0, 60,
		    0, 0 };

		caa_set_free(&s);
		len = msg(m, 1, loop, sizeof(loop));
		CHECK_INT(caa_parse_answer(ARES_SUCCESS, m, (int)len, &s),
		    DNS_ERROR);
	}
	CHECK_INT(caa_parse_answer(ARES_ENOTFOUND, NULL, 0, &s), DNS_NXDOMAIN);
	CHECK_INT(caa_parse_answer(ARES_ESERVFAIL, NULL, 0, &s), DNS_SERVFAIL);
	CHECK_INT(dns_each_rdata(m, 5, T_CAA, NULL, NULL), -1);
	caa_set_free(&s);
}

int
main(void)
{
	test_issue_values();
	test_rdata();
	test_set();
	test_answer();
	return unit_done("caa");
}
