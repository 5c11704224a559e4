/* libFuzzer target for the Postfix config reader.
 *
 * Input: main.cf, then (after a line "---") master.cf, then (after a second
 * "---") postconf -P output.  Both are parsed; then every parameter named in
 * main.cf and every -o override is expanded at the main.cf level and for
 * every service; the postconf(1) output parsers get the whole input too.
 * Expansion must end (loops and growth are errors), errors are bounded, and
 * values stay within PF_EXPAND_MAX. */
#include "collectors/postconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *
split(const char *p, const char *end, size_t *len)
{
	const char *s = p;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		if (nl == NULL)
			break;
		if ((size_t)(end - nl) >= 5 && memcmp(nl, "\n---\n", 5) == 0) {
			*len = (size_t)(nl - p);
			return nl + 5;
		}
		s = nl + 1;
	}
	*len = (size_t)(end - p);
	return end;
}

static void
expand_all(const struct pf_conf *c, const struct pf_service *svc)
{
	struct buf v;

	buf_init(&v);
	for (size_t i = 0; i < c->n_p; i++) {
		pf_value(c, svc, c->p[i].name, &v, NULL);
		if (v.len > PF_EXPAND_MAX + 4 * PF_LINE_MAX)
			abort();
	}
	if (svc)
		for (size_t i = 0; i < svc->n_o; i++)
			pf_value(c, svc, svc->o[i].name, &v, NULL);
	pf_value(c, svc, "smtpd_tls_key_file", &v, NULL);
	buf_free(&v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *m2, *m3;
	size_t l1, l2, l3;
	const char *why;
	struct pf_conf c;

	m2 = split(p, end, &l1);
	m3 = split(m2, end, &l2);
	l3 = (size_t)(end - m3);
	pf_conf_init(&c, "main.cf", "master.cf");
	pf_parse_main(&c, p, l1);
	pf_parse_master(&c, m2, l2);
	pf_parse_postconf_P(&c, m3, l3, &why);
	if (c.errs.n > PF_ERRORS_MAX)
		abort();
	expand_all(&c, NULL);
	for (size_t i = 0; i < c.n_s && i < 8; i++)
		expand_all(&c, &c.s[i]);
	if (pf_parse_postconf(&c, p, size, &why) == 0)
		expand_all(&c, c.n_s ? &c.s[0] : NULL);
	pf_conf_free(&c);
	return 0;
}
