#include "web/json.h"

#include <math.h>
#include <string.h>

#include "base/escape.h"

void
json_init(struct json *j, struct buf *b)
{
	memset(j, 0, sizeof(*j));
	j->b = b;
}

/* Before any value: the comma that separates it from the one before. */
static void
value_start(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->depth > 0 && j->depth <= JSON_MAX_DEPTH) {
		uint64_t bit = 1ULL << (j->depth - 1);

		if (j->has_item & bit)
			buf_putc(j->b, ',');
		j->has_item |= bit;
	}
}

static void
open_level(struct json *j, char c)
{
	value_start(j);
	buf_putc(j->b, c);
	j->depth++;
	if (j->depth > JSON_MAX_DEPTH)
		j->overflow = 1;
	else
		j->has_item &= ~(1ULL << (j->depth - 1));
}

static void
close_level(struct json *j, char c)
{
	if (j->depth == 0)
		return;
	buf_putc(j->b, c);
	j->depth--;
}

void json_obj_open(struct json *j) { open_level(j, '{'); }
void json_obj_close(struct json *j) { close_level(j, '}'); }
void json_arr_open(struct json *j) { open_level(j, '['); }
void json_arr_close(struct json *j) { close_level(j, ']'); }

void
json_key(struct json *j, const char *k)
{
	value_start(j);
	json_escape(j->b, k, strlen(k));
	buf_putc(j->b, ':');
	j->after_key = 1;
}

void
json_strn(struct json *j, const char *s, size_t n)
{
	value_start(j);
	json_escape(j->b, s, n);
}

void
json_str(struct json *j, const char *s)
{
	json_strn(j, s, s ? strlen(s) : 0);
}

void
json_num(struct json *j, double v)
{
	value_start(j);
	if (!isfinite(v))
		buf_puts(j->b, "null");
	else
		buf_put_double(j->b, v);
}

void
json_int(struct json *j, long long v)
{
	value_start(j);
	buf_printf(j->b, "%lld", v);
}

void
json_bool(struct json *j, int v)
{
	value_start(j);
	buf_puts(j->b, v ? "true" : "false");
}

void
json_null(struct json *j)
{
	value_start(j);
	buf_puts(j->b, "null");
}

void
json_kstr(struct json *j, const char *k, const char *s)
{
	json_key(j, k);
	json_str(j, s);
}

void
json_knum(struct json *j, const char *k, double v)
{
	json_key(j, k);
	json_num(j, v);
}

void
json_kint(struct json *j, const char *k, long long v)
{
	json_key(j, k);
	json_int(j, v);
}

void
json_kbool(struct json *j, const char *k, int v)
{
	json_key(j, k);
	json_bool(j, v);
}

void
json_ktri(struct json *j, const char *k, int v)
{
	json_key(j, k);
	if (v < 0)
		json_null(j);
	else
		json_bool(j, v);
}
