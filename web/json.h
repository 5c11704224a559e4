/* A small streaming JSON writer: commas and nesting are tracked, strings
 * escaped (base/escape.h), non-finite numbers written as null. */
#ifndef MAILSEC_JSON_H
#define MAILSEC_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

#define JSON_MAX_DEPTH 32

struct json {
	struct buf	*b;
	unsigned	 depth;
	uint64_t	 has_item;	/* bit d: level d has an item already */
	int		 after_key;
	int		 overflow;	/* nested deeper than JSON_MAX_DEPTH */
};

void json_init(struct json *j, struct buf *b);
void json_obj_open(struct json *j);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j);
void json_arr_close(struct json *j);
/* A key inside an object; the value comes next. */
void json_key(struct json *j, const char *k);
void json_str(struct json *j, const char *s);	/* NULL: null */
void json_strn(struct json *j, const char *s, size_t n);
void json_num(struct json *j, double v);
void json_int(struct json *j, long long v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);

/* key + value in one call. */
void json_kstr(struct json *j, const char *k, const char *s);
void json_knum(struct json *j, const char *k, double v);
void json_kint(struct json *j, const char *k, long long v);
void json_kbool(struct json *j, const char *k, int v);
/* -1 (not learnt) as null, else a boolean. */
void json_ktri(struct json *j, const char *k, int v);

#endif
