/* Dovecot configuration reader: see doveconf.h. */
#include "collectors/doveconf.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

void
dc_conf_init(struct dc_conf *c)
{
	memset(c, 0, sizeof(*c));
}

void
dc_conf_free(struct dc_conf *c)
{
	for (size_t i = 0; i < c->n_s; i++) {
		free(c->s[i].key);
		free(c->s[i].value);
		free(c->s[i].block);
	}
	free(c->s);
	for (size_t i = 0; i < c->n_files; i++)
		free(c->files[i]);
	free(c->files);
	errlist_free(&c->errs);
	for (unsigned i = 0; i < c->depth; i++)
		free(c->stack[i]);
	memset(c, 0, sizeof(*c));
}

static void
dc_error(struct dc_conf *c, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
dc_error(struct dc_conf *c, const char *file, unsigned line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlist_vadd(&c->errs, DC_ERRORS_MAX, file, line, fmt, ap);
	va_end(ap);
}

static int
is_key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.' ||
	    ch == '/';
}

static const char *
file_name(struct dc_conf *c, const char *name)
{
	c->files = xreallocarray(c->files, c->n_files + 1, sizeof(*c->files));
	c->files[c->n_files] = xstrdup(name);
	return c->files[c->n_files++];
}

/* A value as Dovecot takes it: a "quoted" or 'quoted' string unquoted
 * (backslash escapes), else up to a '#' comment, trimmed.  -1 on an
 * unterminated quote. */
static int
unquote(char *s, char **out)
{
	char q = *s, *w, *r;

	if (q != '"' && q != '\'') {
		char *hash = strchr(s, '#');

		/* '#' starts a comment only after a blank */
		while (hash && hash > s && !ascii_is_blank(hash[-1]))
			hash = strchr(hash + 1, '#');
		if (hash)
			*hash = '\0';
		*out = str_trim(s);
		return 0;
	}
	for (w = r = s + 1; *r && *r != q; r++) {
		if (*r == '\\' && r[1])
			r++;
		*w++ = *r;
	}
	if (*r != q)
		return -1;
	*w = '\0';
	*out = s + 1;
	return 0;
}

struct block_stack {
	char	*label[DC_BLOCK_DEPTH];
	unsigned n;
};

static char *
block_path(const struct block_stack *b)
{
	struct buf p;

	buf_init(&p);
	buf_reserve(&p, 1);
	p.data[0] = '\0';
	for (unsigned i = 0; i < b->n; i++) {
		if (i)
			buf_putc(&p, '/');
		buf_puts(&p, b->label[i]);
	}
	return p.data;
}

static void
add_setting(struct dc_conf *c, const char *key, const char *value,
    const struct block_stack *b, const char *file, unsigned line)
{
	struct dc_setting *s;

	c->s = xreallocarray(c->s, c->n_s + 1, sizeof(*c->s));
	s = &c->s[c->n_s++];
	s->key = xstrdup(key);
	s->value = xstrdup(value);
	s->block = block_path(b);
	s->file = file;
	s->line = line;
}

static void include_files(struct dc_conf *c, const char *file, unsigned line,
    const char *pattern, int try_only, struct block_stack *b);
static size_t parse_text(struct dc_conf *c, const char *file,
    const char *data, size_t len, struct block_stack *b);

static size_t
parse_text(struct dc_conf *c, const char *file, const char *data, size_t len,
    struct block_stack *b)
{
	size_t errs = errlist_count(&c->errs), pos = 0;
	unsigned line = 0, base = b->n;
	struct buf lb;

	buf_init(&lb);
	while (pos < len) {
		const char *s = data + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		char *t, *eq, *v;

		pos += nl ? n + 1 : n;
		line++;
		if (n > DC_LINE_MAX) {
			dc_error(c, file, line, "line longer than %u KiB",
			    DC_LINE_MAX / 1024);
			continue;
		}
		if (memchr(s, '\0', n) != NULL) {
			dc_error(c, file, line, "nul byte in line");
			continue;
		}
		buf_reset(&lb);
		buf_append(&lb, s, n);
		t = str_trim(lb.data);
		if (*t == '\0' || *t == '#')
			continue;
		if (strncmp(t, "!include_try", 12) == 0 && ascii_is_blank(t[12])) {
			include_files(c, file, line, str_trim(t + 12), 1, b);
			continue;
		}
		if (strncmp(t, "!include", 8) == 0 && ascii_is_blank(t[8])) {
			include_files(c, file, line, str_trim(t + 8), 0, b);
			continue;
		}
		if (strcmp(t, "}") == 0) {
			if (b->n <= base) {
				dc_error(c, file, line, "'}' without a section");
				continue;
			}
			free(b->label[--b->n]);
			continue;
		}
		if (c->n_s >= DC_SETTINGS_MAX) {
			dc_error(c, file, line, "more than %u settings",
			    DC_SETTINGS_MAX);
			break;
		}
		eq = strchr(t, '=');
		if (eq == NULL || (strchr(t, '{') && strchr(t, '{') < eq)) {
			/* "name [arg] {" */
			size_t tl = strlen(t);
			char *sp;

			if (tl < 2 || t[tl - 1] != '{') {
				dc_error(c, file, line, "expected \"key = "
				    "value\", \"section {\" or \"}\"");
				continue;
			}
			t[tl - 1] = '\0';
			t = str_trim(t);
			for (char *k = t; *k; k++)
				if (!is_key_char(*k) && !ascii_is_blank(*k) &&
				    *k != ':' && *k != '*' && *k != '[' &&
				    *k != ']' && *k != '"') {
					dc_error(c, file, line, "bad section "
					    "name");
					t = NULL;
					break;
				}
			if (t == NULL || *t == '\0')
				continue;
			if (b->n >= DC_BLOCK_DEPTH) {
				dc_error(c, file, line, "sections nested more "
				    "than %u deep", DC_BLOCK_DEPTH);
				continue;
			}
			/* one blank between the name and its argument */
			if ((sp = strpbrk(t, " \t")) != NULL) {
				*sp = '\0';
				b->label[b->n] = xmalloc(strlen(t) +
				    strlen(sp + 1) + 2);
				sprintf(b->label[b->n], "%s %s", t,
				    str_trim(sp + 1));
			} else
				b->label[b->n] = xstrdup(t);
			b->n++;
			continue;
		}
		*eq = '\0';
		t = str_trim(t);
		if (*t == '\0') {
			dc_error(c, file, line, "missing key before '='");
			continue;
		}
		for (char *k = t; *k; k++)
			if (!is_key_char(*k)) {
				dc_error(c, file, line, "bad key");
				t = NULL;
				break;
			}
		if (t == NULL)
			continue;
		if (unquote(str_trim(eq + 1), &v) == -1) {
			dc_error(c, file, line, "%s: missing closing quote", t);
			continue;
		}
		if (strncmp(v, "<<", 2) == 0) {
			dc_error(c, file, line, "%s: here-documents (<<) are "
			    "not read", t);
			continue;
		}
		add_setting(c, t, v, b, file, line);
	}
	if (b->n > base) {
		dc_error(c, file, line, "%u section%s not closed at the end "
		    "of the file", b->n - base, b->n - base > 1 ? "s" : "");
		while (b->n > base)
			free(b->label[--b->n]);
	}
	buf_free(&lb);
	return errlist_count(&c->errs) - errs;
}

/* Reads one whole file into b: -1 with *why. */
static int
read_file(struct dc_conf *c, const char *path, struct buf *b,
    const char **why)
{
	size_t left = c->total < DC_TOTAL_MAX ? DC_TOTAL_MAX - c->total : 0;

	/* stops once past either cap; which one is told below */
	if (read_file_all(path, left < DC_FILE_MAX ? left : DC_FILE_MAX, b,
	    why) == -1)
		return -1;
	if (b->len > DC_FILE_MAX) {
		*why = "file too large (max 4 MiB)";
		return -1;
	}
	if (c->total + b->len > DC_TOTAL_MAX) {
		*why = "the config's files are larger than 16 MiB together";
		return -1;
	}
	c->total += b->len;
	return 0;
}

/* Parses path (already resolved) unless it is open further up. */
static void
parse_path(struct dc_conf *c, const char *from, unsigned from_line,
    const char *path, int try_only, struct block_stack *b)
{
	char real[PATH_MAX];
	const char *why, *name;
	struct buf data;

	if (realpath(path, real) == NULL) {
		if (!try_only || errno != ENOENT)
			dc_error(c, from, from_line, "%s: %s", path,
			    strerror(errno));
		return;
	}
	for (unsigned i = 0; i < c->depth; i++)
		if (strcmp(c->stack[i], real) == 0) {
			dc_error(c, from, from_line, "include loop: %s includes "
			    "itself", path);
			return;
		}
	if (c->depth >= DC_INCLUDE_DEPTH) {
		dc_error(c, from, from_line, "includes nested more than %u "
		    "deep", DC_INCLUDE_DEPTH);
		return;
	}
	if (c->n_files >= DC_FILES_MAX) {
		dc_error(c, from, from_line, "more than %u files",
		    DC_FILES_MAX);
		return;
	}
	buf_init(&data);
	if (read_file(c, path, &data, &why) == -1) {
		dc_error(c, from, from_line, "%s: %s", path, why);
		buf_free(&data);
		return;
	}
	name = file_name(c, path);
	c->stack[c->depth++] = xstrdup(real);
	parse_text(c, name, data.data ? data.data : "", data.len, b);
	free(c->stack[--c->depth]);
	buf_free(&data);
}

static void
include_files(struct dc_conf *c, const char *file, unsigned line,
    const char *pattern, int try_only, struct block_stack *b)
{
	struct buf full;
	glob_t g;
	int r;

	if (c->no_includes)
		return;
	if (*pattern == '"' || *pattern == '\'') {
		char *p = xstrdup(pattern), *v;

		if (unquote(p, &v) == -1 || *v == '\0') {
			dc_error(c, file, line, "bad include path");
			free(p);
			return;
		}
		include_files(c, file, line, v, try_only, b);
		free(p);
		return;
	}
	buf_init(&full);
	if (pattern[0] != '/') {
		const char *slash = strrchr(file, '/');

		if (slash)
			buf_append(&full, file, (size_t)(slash - file + 1));
	}
	buf_puts(&full, pattern);
	memset(&g, 0, sizeof(g));
	r = glob(full.data, GLOB_ERR, NULL, &g);
	if (r == GLOB_NOMATCH) {
		if (!try_only && strpbrk(pattern, "*?[") == NULL)
			dc_error(c, file, line, "%s: %s", full.data,
			    strerror(ENOENT));
	} else if (r != 0)
		dc_error(c, file, line, "%s: cannot list", full.data);
	else
		for (size_t i = 0; i < g.gl_pathc; i++)
			parse_path(c, file, line, g.gl_pathv[i], try_only, b);
	globfree(&g);
	buf_free(&full);
}

size_t
dc_parse_mem(struct dc_conf *c, const char *name, const char *data,
    size_t len)
{
	struct block_stack b = { .n = 0 };
	size_t errs = errlist_count(&c->errs);
	const char *fname = file_name(c, name);

	if (len > DC_FILE_MAX) {
		dc_error(c, fname, 0, "file too large (max 4 MiB)");
		return 1;
	}
	/* doveconf -n starts with "# 2.3.19.1 (9b53102964): FILE" */
	if (len > 2 && data[0] == '#' && data[1] == ' ' && data[2] >= '0' &&
	    data[2] <= '9') {
		size_t k = 0;

		while (k + 1 < sizeof(c->version) && 2 + k < len &&
		    ((data[2 + k] >= '0' && data[2 + k] <= '9') ||
		    data[2 + k] == '.'))
			k++;
		memcpy(c->version, data + 2, k);
		c->version[k] = '\0';
	}
	parse_text(c, fname, data, len, &b);
	return errlist_count(&c->errs) - errs;
}

size_t
dc_parse_file(struct dc_conf *c, const char *path)
{
	struct block_stack b = { .n = 0 };
	size_t errs = errlist_count(&c->errs);

	parse_path(c, path, 0, path, 0, &b);
	return errlist_count(&c->errs) - errs;
}

const struct dc_setting *
dc_get(const struct dc_conf *c, const char *key, const char *block)
{
	for (size_t i = c->n_s; i-- > 0;)
		if (strcmp(c->s[i].key, key) == 0 &&
		    strcmp(c->s[i].block, block) == 0)
			return &c->s[i];
	return NULL;
}

int
dc_is_filter_block(const char *block)
{
	const char *p = block;

	while (*p) {
		if (strncmp(p, "protocol ", 9) != 0 &&
		    strncmp(p, "local ", 6) != 0 &&
		    strncmp(p, "remote ", 7) != 0)
			return 0;
		if ((p = strchr(p, '/')) == NULL)
			return 1;
		p++;
	}
	return 1;
}

/* How well a filter block applies: -1 not at all, else the number of
 * filters it has (more is more specific). */
static int
block_applies(const char *block, const char *protocol, const char *local)
{
	const char *p = block;
	int n = 0;

	if (*p == '\0')
		return 0;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (strncmp(p, "protocol ", 9) == 0) {
			if (protocol == NULL || len - 9 != strlen(protocol) ||
			    memcmp(p + 9, protocol, len - 9) != 0)
				return -1;
		} else if (strncmp(p, "local ", 6) == 0) {
			/* an address, or address/bits: exact address only */
			size_t al = len - 6;
			const char *slash = memchr(p + 6, '/', al);

			if (slash)
				al = (size_t)(slash - (p + 6));
			if (local == NULL || al != strlen(local) ||
			    memcmp(p + 6, local, al) != 0)
				return -1;
		} else
			return -1;	/* remote: not a fixed fact */
		n++;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return n;
}

const struct dc_setting *
dc_effective(const struct dc_conf *c, const char *key, const char *protocol,
    const char *local)
{
	const struct dc_setting *best = NULL;
	int best_n = -1;

	for (size_t i = 0; i < c->n_s; i++) {
		int n;

		if (strcmp(c->s[i].key, key) != 0)
			continue;
		if ((n = block_applies(c->s[i].block, protocol, local)) < 0)
			continue;
		if (n >= best_n) {
			best = &c->s[i];
			best_n = n;
		}
	}
	return best;
}
