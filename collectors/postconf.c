/* Postfix main.cf and master.cf: see postconf.h.  The syntax is Postfix's
 * (postconf(5), master(5)): a logical line starts with non-blank text and
 * continues on lines that start with a blank; lines whose first non-blank
 * character is '#' are comments, even inside a continuation. */
#include "collectors/postconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The defaults of the parameters the audit reads (Postfix 3.7, the same in
 * 3.6 to 3.9 for these), used when postconf(1) is not there. */
static const struct {
	const char *name, *value;
} defaults[] = {
	{ "data_directory", "/var/lib/postfix" },
	{ "config_directory", "/etc/postfix" },
	{ "smtpd_tls_security_level", "" },
	{ "smtpd_use_tls", "no" },
	{ "smtpd_enforce_tls", "no" },
	{ "smtpd_tls_auth_only", "no" },
	{ "smtpd_sasl_auth_enable", "no" },
	{ "smtpd_tls_wrappermode", "no" },
	{ "smtpd_tls_protocols", ">=TLSv1" },
	{ "smtpd_tls_mandatory_protocols", ">=TLSv1" },
	{ "smtpd_tls_ciphers", "medium" },
	{ "smtpd_tls_mandatory_ciphers", "medium" },
	{ "smtpd_tls_exclude_ciphers", "" },
	{ "smtpd_tls_mandatory_exclude_ciphers", "" },
	{ "smtpd_tls_dh1024_param_file", "" },
	{ "smtpd_tls_cert_file", "" },
	{ "smtpd_tls_key_file", "$smtpd_tls_cert_file" },
	{ "smtpd_tls_eccert_file", "" },
	{ "smtpd_tls_eckey_file", "$smtpd_tls_eccert_file" },
	{ "smtpd_tls_chain_files", "" },
	{ "smtp_tls_security_level", "" },
	{ "smtp_use_tls", "no" },
	{ "smtp_enforce_tls", "no" },
	{ "smtp_tls_protocols", ">=TLSv1" },
	{ "smtp_tls_mandatory_protocols", ">=TLSv1" },
	{ "smtp_tls_ciphers", "medium" },
	{ "smtp_tls_mandatory_ciphers", "medium" },
	{ "smtp_tls_exclude_ciphers", "" },
	{ "smtp_tls_mandatory_exclude_ciphers", "" },
	{ "smtp_tls_CApath", "" },
	{ "smtp_tls_CAfile", "" },
	{ "smtp_dns_support_level", "" },
	{ "tls_preempt_cipherlist", "no" },
	{ "tls_high_cipherlist", "aNULL:-aNULL:HIGH:@STRENGTH" },
	{ "tls_medium_cipherlist", "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH" },
	{ "tls_low_cipherlist", "aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH" },
	{ "tls_export_cipherlist",
	    "aNULL:-aNULL:HIGH:MEDIUM:LOW:EXPORT:+RC4:@STRENGTH" },
	{ "tls_null_cipherlist", "eNULL:!aNULL" },
};

const char *
pf_default(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(defaults); i++)
		if (strcmp(defaults[i].name, name) == 0)
			return defaults[i].value;
	return NULL;
}

int
pf_bool(const char *v)
{
	if (str_ieq(v, "yes") || str_ieq(v, "true") || strcmp(v, "1") == 0)
		return 1;
	if (str_ieq(v, "no") || str_ieq(v, "false") || strcmp(v, "0") == 0)
		return 0;
	return -1;
}

void
pf_conf_init(struct pf_conf *c, const char *main_file, const char *master_file)
{
	memset(c, 0, sizeof(*c));
	c->main_file = xstrdup(main_file);
	c->master_file = xstrdup(master_file);
}

static void
params_free(struct pf_param *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
}

static void
services_free(struct pf_conf *c)
{
	for (size_t i = 0; i < c->n_s; i++) {
		free(c->s[i].name);
		free(c->s[i].type);
		free(c->s[i].command);
		params_free(c->s[i].o, c->s[i].n_o);
	}
	free(c->s);
	c->s = NULL;
	c->n_s = 0;
}

void
pf_conf_free(struct pf_conf *c)
{
	params_free(c->p, c->n_p);
	params_free(c->eff, c->n_eff);
	services_free(c);
	errlist_free(&c->errs);
	free(c->main_file);
	free(c->master_file);
	memset(c, 0, sizeof(*c));
}

static void
pf_error(struct pf_conf *c, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
pf_error(struct pf_conf *c, const char *file, unsigned line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlist_vadd(&c->errs, PF_ERRORS_MAX, file, line, fmt, ap);
	va_end(ap);
}

static int
is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_';
}

/* The logical-line reader shared by both files. */
struct lines {
	const char	*data;
	size_t		 len, pos;
	unsigned	 line;		/* of the physical line last read */
};

/* The next logical line into out (blanks of continuations folded to one
 * space), its first physical line in *start.  0 at the end.  A line with a
 * NUL byte or over PF_LINE_MAX is reported and skipped (returns 2). */
static int
next_logical(struct pf_conf *c, const char *file, struct lines *l,
    struct buf *out, unsigned *start)
{
	int bad = 0;

	buf_reset(out);
	*start = 0;
	while (l->pos < l->len) {
		const char *s = l->data + l->pos, *nl;
		size_t n, b;

		nl = memchr(s, '\n', l->len - l->pos);
		n = nl ? (size_t)(nl - s) : l->len - l->pos;
		/* Peek: a continuation belongs to the line being built. */
		for (b = 0; b < n && ascii_is_blank(s[b]); b++)
			;
		if (*start && (b == 0 && n > 0))
			break;		/* a new logical line: leave it */
		l->pos += nl ? n + 1 : n;
		l->line++;
		if (b == n || s[b] == '#')
			continue;	/* blank or comment */
		if (*start == 0 && b > 0) {
			pf_error(c, file, l->line, "text starts with a blank "
			    "but continues nothing");
			continue;
		}
		if (*start == 0)
			*start = l->line;
		if (memchr(s, '\0', n) != NULL) {
			if (!bad)
				pf_error(c, file, l->line, "nul byte in line");
			bad = 1;
			continue;
		}
		if (out->len + n + 1 > PF_LINE_MAX) {
			if (!bad)
				pf_error(c, file, *start, "line longer than "
				    "%u KiB", PF_LINE_MAX / 1024);
			bad = 1;
			continue;
		}
		if (b > 0)
			buf_putc(out, ' ');
		while (n > b && ascii_is_blank(s[n - 1]))
			n--;
		buf_append(out, s + b, n - b);
	}
	if (*start == 0)
		return 0;
	return bad ? 2 : 1;
}

static void
param_set(struct pf_param **v, size_t *n, const char *name, size_t nlen,
    const char *value, unsigned line)
{
	for (size_t i = 0; i < *n; i++)
		if (strlen((*v)[i].name) == nlen &&
		    memcmp((*v)[i].name, name, nlen) == 0) {
			free((*v)[i].value);
			(*v)[i].value = xstrdup(value);
			(*v)[i].line = line;
			return;
		}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].name = xstrndup(name, nlen);
	(*v)[*n].value = xstrdup(value);
	(*v)[*n].line = line;
	(*n)++;
}

/* "name = value" in s; -1 if it is not one. */
static int
split_assignment(const char *s, size_t *nlen, const char **value)
{
	const char *eq = strchr(s, '=');
	size_t k;

	if (eq == NULL)
		return -1;
	for (k = (size_t)(eq - s); k > 0 && ascii_is_blank(s[k - 1]); k--)
		;
	if (k == 0)
		return -1;
	for (size_t i = 0; i < k; i++)
		if (!is_name_char(s[i]))
			return -1;
	for (eq++; ascii_is_blank(*eq); eq++)
		;
	*nlen = k;
	*value = eq;
	return 0;
}

/* 1, with the error added, when a file is larger than the readers take. */
static int
file_too_large(struct pf_conf *c, const char *file, size_t len)
{
	if (len <= PF_FILE_MAX)
		return 0;
	pf_error(c, file, 0, "file too large (max %u MiB)",
	    PF_FILE_MAX / (1024 * 1024));
	return 1;
}

size_t
pf_parse_main(struct pf_conf *c, const char *data, size_t len)
{
	struct lines l = { data, len, 0, 0 };
	size_t errs = errlist_count(&c->errs);
	struct buf line;
	unsigned start;
	int r;

	if (file_too_large(c, c->main_file, len))
		return 1;
	buf_init(&line);
	while ((r = next_logical(c, c->main_file, &l, &line, &start)) != 0) {
		const char *value;
		size_t nlen;
		char sh[64];

		if (r == 2)
			continue;
		if (split_assignment(line.data, &nlen, &value) == -1) {
			pf_error(c, c->main_file, start, "not \"name = value\": "
			    "\"%s\"", text_escape(sh, sizeof(sh), line.data, line.len));
			continue;
		}
		if (c->n_p >= PF_PARAMS_MAX) {
			pf_error(c, c->main_file, start, "more than %u "
			    "parameters", PF_PARAMS_MAX);
			break;
		}
		param_set(&c->p, &c->n_p, line.data, nlen, value, start);
	}
	buf_free(&line);
	return errlist_count(&c->errs) - errs;
}

/* master.cf fields: blank-separated words; "{ ... }" is one word (Postfix
 * 3.0), its braces removed and its inside trimmed. */
static char *
next_word(char **p)
{
	char *s = *p, *w;

	while (ascii_is_blank(*s))
		s++;
	if (*s == '\0')
		return NULL;
	if (*s == '{') {
		char *end = strchr(s, '}');

		if (end == NULL)
			return NULL;
		*end = '\0';
		*p = end + 1;
		return str_trim(s + 1);
	}
	w = s;
	while (*s && !ascii_is_blank(*s))
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

size_t
pf_parse_master(struct pf_conf *c, const char *data, size_t len)
{
	struct lines l = { data, len, 0, 0 };
	size_t errs = errlist_count(&c->errs);
	struct buf line;
	unsigned start;
	int r;

	if (file_too_large(c, c->master_file, len))
		return 1;
	c->have_master = 1;
	buf_init(&line);
	while ((r = next_logical(c, c->master_file, &l, &line, &start)) != 0) {
		char *f[8], *rest = line.data, *w;
		struct pf_service *s;
		int nf = 0;

		if (r == 2)
			continue;
		while (nf < 8 && (w = next_word(&rest)) != NULL)
			f[nf++] = w;
		if (nf < 8) {
			pf_error(c, c->master_file, start, "a service needs 8 "
			    "fields (service type private unpriv chroot wakeup "
			    "maxproc command)");
			continue;
		}
		if (c->n_s >= PF_SERVICES_MAX) {
			pf_error(c, c->master_file, start, "more than %u "
			    "services", PF_SERVICES_MAX);
			break;
		}
		c->s = xreallocarray(c->s, c->n_s + 1, sizeof(*c->s));
		s = &c->s[c->n_s++];
		memset(s, 0, sizeof(*s));
		s->name = xstrdup(f[0]);
		s->type = xstrdup(f[1]);
		s->command = xstrdup(f[7]);
		s->line = start;
		while ((w = next_word(&rest)) != NULL) {
			const char *value;
			size_t nlen;
			char sh[64];

			if (strcmp(w, "-o") == 0) {
				if ((w = next_word(&rest)) == NULL) {
					pf_error(c, c->master_file, start,
					    "-o without name=value");
					break;
				}
			} else if (strncmp(w, "-o", 2) == 0)
				w += 2;
			else
				continue;	/* another argument */
			if (split_assignment(w, &nlen, &value) == -1) {
				pf_error(c, c->master_file, start, "-o %s: not "
				    "name=value", text_escape(sh, sizeof(sh), w, strlen(w)));
				continue;
			}
			if (s->n_o >= PF_OVERRIDES_MAX) {
				pf_error(c, c->master_file, start, "more than "
				    "%u -o overrides", PF_OVERRIDES_MAX);
				break;
			}
			param_set(&s->o, &s->n_o, w, nlen, value, start);
		}
	}
	buf_free(&line);
	return errlist_count(&c->errs) - errs;
}

void
pf_default_services(struct pf_conf *c)
{
	static const char *const svc[][3] = {
		{ "smtp", "inet", "smtpd" },
		{ "smtp", "unix", "smtp" },
	};

	services_free(c);
	for (size_t i = 0; i < ARRAY_LEN(svc); i++) {
		c->s = xreallocarray(c->s, c->n_s + 1, sizeof(*c->s));
		memset(&c->s[c->n_s], 0, sizeof(c->s[0]));
		c->s[c->n_s].name = xstrdup(svc[i][0]);
		c->s[c->n_s].type = xstrdup(svc[i][1]);
		c->s[c->n_s].command = xstrdup(svc[i][2]);
		c->n_s++;
	}
}

/* One "name = value" line of postconf output into v; -1 if malformed. */
static int
postconf_lines(const char *data, size_t len, int (*each)(void *, char *,
    const char *), void *arg, const char **why)
{
	size_t pos = 0, n = 0;
	struct buf line;
	int rc = 0;

	if (len > PF_FILE_MAX) {
		*why = "output too large";
		return -1;
	}
	buf_init(&line);
	while (pos < len && rc == 0) {
		const char *s = data + pos, *nl = memchr(s, '\n', len - pos);
		size_t k = nl ? (size_t)(nl - s) : len - pos;
		const char *eq;

		pos += nl ? k + 1 : k;
		if (k == 0)
			continue;
		if (memchr(s, '\0', k) != NULL || k > PF_LINE_MAX ||
		    ++n > 2 * PF_PARAMS_MAX) {
			*why = "not postconf output (binary, or too many or too "
			    "long lines)";
			rc = -1;
			break;
		}
		buf_reset(&line);
		buf_append(&line, s, k);
		if ((eq = strstr(line.data, " = ")) == NULL &&
		    (k < 2 || strcmp(line.data + k - 2, " =") != 0)) {
			*why = "not postconf output (a line is not "
			    "\"name = value\")";
			rc = -1;
			break;
		}
		if (eq == NULL) {
			line.data[k - 2] = '\0';
			eq = "";
		} else {
			line.data[eq - line.data] = '\0';
			eq += 3;
		}
		if (each(arg, line.data, eq) == -1) {
			*why = "not postconf output (a bad parameter name)";
			rc = -1;
		}
	}
	buf_free(&line);
	return rc;
}

static int
add_eff(void *arg, char *name, const char *value)
{
	struct pf_conf *c = arg;

	for (const char *s = name; *s; s++)
		if (!is_name_char(*s))
			return -1;
	if (*name == '\0')
		return -1;
	param_set(&c->eff, &c->n_eff, name, strlen(name), value, 0);
	return 0;
}

int
pf_parse_postconf(struct pf_conf *c, const char *data, size_t len,
    const char **why)
{
	params_free(c->eff, c->n_eff);
	c->eff = NULL;
	c->n_eff = 0;
	if (postconf_lines(data, len, add_eff, c, why) == -1 || c->n_eff == 0) {
		if (c->n_eff == 0 && len == 0)
			*why = "not postconf output (no parameters)";
		params_free(c->eff, c->n_eff);
		c->eff = NULL;
		c->n_eff = 0;
		return -1;
	}
	c->use_eff = 1;
	for (size_t i = 0; i < c->n_eff; i++)
		if (strcmp(c->eff[i].name, "mail_version") == 0)
			snprintf(c->version, sizeof(c->version), "%s",
			    c->eff[i].value);
	return 0;
}

static int
add_override(void *arg, char *name, const char *value)
{
	struct pf_conf *c = arg;
	char *type, *param;

	/* "service/type/parameter"; the service may hold no '/'. */
	if ((type = strchr(name, '/')) == NULL ||
	    (param = strchr(type + 1, '/')) == NULL)
		return -1;
	*type++ = '\0';
	*param++ = '\0';
	for (const char *s = param; *s; s++)
		if (!is_name_char(*s))
			return -1;
	for (size_t i = 0; i < c->n_s; i++) {
		struct pf_service *s = &c->s[i];

		if (strcmp(s->name, name) != 0 || strcmp(s->type, type) != 0)
			continue;
		for (size_t j = 0; j < s->n_o; j++)
			if (strcmp(s->o[j].name, param) == 0) {
				free(s->o[j].value);
				s->o[j].value = xstrdup(value);
				return 0;
			}
		if (s->n_o < PF_OVERRIDES_MAX)
			param_set(&s->o, &s->n_o, param, strlen(param), value,
			    s->line);
		return 0;
	}
	return 0;	/* a service our reading of master.cf lacks */
}

int
pf_parse_postconf_P(struct pf_conf *c, const char *data, size_t len,
    const char **why)
{
	return postconf_lines(data, len, add_override, c, why);
}

/* Expansion. */

struct expand {
	const struct pf_conf *c;
	const struct pf_service *svc;
	const char	*stack[PF_EXPAND_DEPTH];
	unsigned	 depth;
	struct buf	*err;
	int		 failed;
};

/* The raw value of name and where it is set; NULL if nowhere. */
static const char *
raw_value(const struct pf_conf *c, const struct pf_service *svc,
    const char *name, size_t nlen, struct pf_where *w)
{
	struct pf_where dummy;

	if (w == NULL)
		w = &dummy;
	memset(w, 0, sizeof(*w));
	if (svc != NULL)
		for (size_t i = 0; i < svc->n_o; i++)
			if (strlen(svc->o[i].name) == nlen &&
			    memcmp(svc->o[i].name, name, nlen) == 0) {
				w->file = c->master_file;
				w->line = svc->line;
				w->is_override = 1;
				return svc->o[i].value;
			}
	for (size_t i = 0; i < c->n_p; i++)
		if (strlen(c->p[i].name) == nlen &&
		    memcmp(c->p[i].name, name, nlen) == 0) {
			w->file = c->main_file;
			w->line = c->p[i].line;
			if (!c->use_eff)
				return c->p[i].value;
			break;
		}
	if (c->use_eff) {
		for (size_t i = 0; i < c->n_eff; i++)
			if (strlen(c->eff[i].name) == nlen &&
			    memcmp(c->eff[i].name, name, nlen) == 0)
				return c->eff[i].value;
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_LEN(defaults); i++)
		if (strlen(defaults[i].name) == nlen &&
		    memcmp(defaults[i].name, name, nlen) == 0)
			return defaults[i].value;
	return NULL;
}

static void expand_into(struct expand *x, const char *s, size_t n,
    struct buf *out);

static void
expand_fail(struct expand *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
expand_fail(struct expand *x, const char *fmt, ...)
{
	va_list ap;

	if (x->failed)
		return;
	x->failed = 1;
	buf_reset(x->err);
	va_start(ap, fmt);
	buf_vprintf(x->err, fmt, ap);
	va_end(ap);
}

/* $name's value, expanded, appended to out. */
static void
expand_name(struct expand *x, const char *name, size_t nlen, struct buf *out)
{
	struct pf_where w;
	const char *v;
	char *own;

	for (unsigned i = 0; i < x->depth; i++)
		if (strlen(x->stack[i]) == nlen &&
		    memcmp(x->stack[i], name, nlen) == 0) {
			struct buf chain;

			buf_init(&chain);
			for (unsigned j = i; j < x->depth; j++)
				buf_printf(&chain, "$%s -> ", x->stack[j]);
			buf_printf(&chain, "$%.*s", (int)nlen, name);
			expand_fail(x, "expansion loop: %s", chain.data);
			buf_free(&chain);
			return;
		}
	if (x->depth >= PF_EXPAND_DEPTH) {
		expand_fail(x, "expansion nested more than %u deep",
		    PF_EXPAND_DEPTH);
		return;
	}
	/* $name in a service's value sees its -o values first. */
	v = raw_value(x->c, x->svc, name, nlen, &w);
	if (v == NULL)
		return;		/* undefined: empty, as Postfix does */
	if (x->c->use_eff && !w.is_override) {
		buf_puts(out, v);	/* postconf -x expanded it already */
		return;
	}
	own = xstrndup(name, nlen);
	x->stack[x->depth++] = own;
	expand_into(x, v, strlen(v), out);
	x->depth--;
	free(own);
}

static void
expand_into(struct expand *x, const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n && !x->failed; i++) {
		size_t j, nlen;
		const char *name;

		if (out->len > PF_EXPAND_MAX) {
			expand_fail(x, "expanded value longer than %u KiB",
			    PF_EXPAND_MAX / 1024);
			return;
		}
		if (s[i] != '$' || i + 1 >= n) {
			buf_putc(out, s[i]);
			continue;
		}
		if (s[i + 1] == '$') {
			buf_putc(out, '$');
			i++;
			continue;
		}
		if (s[i + 1] == '{' || s[i + 1] == '(') {
			char close = s[i + 1] == '{' ? '}' : ')';
			size_t depth = 1, end;
			const char *op;

			for (end = i + 2; end < n; end++) {
				if (s[end] == s[i + 1])
					depth++;
				else if (s[end] == close && --depth == 0)
					break;
			}
			if (end >= n) {
				expand_fail(x, "missing '%c' in \"$%c\"", close,
				    s[i + 1]);
				return;
			}
			name = s + i + 2;
			for (j = 0; name + j < s + end && is_name_char(name[j]);
			    j++)
				;
			nlen = j;
			op = name + j;
			if (nlen == 0) {
				expand_fail(x, "empty name in \"$%c\"", s[i + 1]);
				return;
			}
			if (op == s + end)
				expand_name(x, name, nlen, out);
			else if (*op == '?' || *op == ':') {
				/* ${name?text}: text if name is non-empty;
				 * ${name:text}: text if it is empty. */
				struct buf v;
				int nonempty;

				buf_init(&v);
				expand_name(x, name, nlen, &v);
				nonempty = v.len > 0;
				buf_free(&v);
				if ((*op == '?') == nonempty)
					expand_into(x, op + 1,
					    (size_t)(s + end - op - 1), out);
			} else {
				expand_fail(x, "bad character after $%c%.*s",
				    s[i + 1], (int)nlen, name);
				return;
			}
			i = end;
			continue;
		}
		name = s + i + 1;
		for (j = 0; i + 1 + j < n && is_name_char(name[j]); j++)
			;
		if (j == 0) {
			buf_putc(out, '$');	/* a lone '$' stays */
			continue;
		}
		expand_name(x, name, j, out);
		i += j;
	}
}

int
pf_value(const struct pf_conf *c, const struct pf_service *svc,
    const char *name, struct buf *out, struct pf_where *where)
{
	struct expand x;
	struct pf_where w;
	const char *v;

	buf_reset(out);
	buf_reserve(out, 1);
	out->data[0] = '\0';
	v = raw_value(c, svc, name, strlen(name), &w);
	if (where)
		*where = w;
	if (v == NULL)
		return 0;
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.svc = svc;
	x.err = out;
	x.stack[x.depth++] = name;
	if (c->use_eff && !w.is_override) {
		buf_puts(out, v);
		return 0;
	}
	{
		struct buf tmp;

		buf_init(&tmp);
		expand_into(&x, v, strlen(v), &tmp);
		if (!x.failed) {
			buf_reset(out);
			buf_append(out, tmp.data ? tmp.data : "", tmp.len);
		}
		buf_free(&tmp);
	}
	return x.failed ? -1 : 0;
}
