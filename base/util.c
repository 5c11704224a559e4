#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void
oom(void)
{
	fputs("level=error event=out_of_memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		oom();
	p = realloc(p, nmemb * size > 0 ? nmemb * size : 1);
	if (p == NULL)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
buf_reserve(struct buf *b, size_t extra)
{
	size_t want;

	if (extra > SIZE_MAX - b->len - 1)
		oom();
	want = b->len + extra + 1;
	if (want <= b->cap)
		return;
	if (b->cap < 64)
		b->cap = 64;
	while (b->cap < want)
		b->cap = b->cap > SIZE_MAX / 2 ? want : b->cap * 2;
	b->data = xreallocarray(b->data, b->cap, 1);
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
errlist_vadd(struct errlist *e, size_t max, const char *file, unsigned line,
    const char *fmt, va_list ap)
{
	struct buf b;

	if (e->n >= max) {
		e->dropped++;
		return;
	}
	buf_init(&b);
	if (line)
		buf_printf(&b, "%s:%u: ", file, line);
	else
		buf_printf(&b, "%s: ", file);
	buf_vprintf(&b, fmt, ap);
	e->msg = xreallocarray(e->msg, e->n + 1, sizeof(*e->msg));
	e->msg[e->n++] = b.data;
}

size_t
errlist_count(const struct errlist *e)
{
	return e->n + e->dropped;
}

void
errlist_free(struct errlist *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = e->dropped = 0;
}

/* k / 10^decimals in plain decimal, no trailing zeros: a result has
 * dozens of numbers and printf() was most of the time taken to render it. */
static void
put_scaled(struct buf *b, long long k, int decimals)
{
	char tmp[32], *p = tmp + sizeof(tmp);
	unsigned long long u = k < 0 ? 0ULL - (unsigned long long)k :
	    (unsigned long long)k;
	int d = 0;

	while (decimals > 0 && u % 10 == 0) {	/* trailing zeros go */
		u /= 10;
		decimals--;
	}
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
		if (++d == decimals)
			*--p = '.';
	} while (u != 0 || d < decimals);
	if (d == decimals && decimals > 0)
		*--p = '0';			/* "0.003" */
	if (k < 0)
		*--p = '-';
	buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void
buf_put_double(struct buf *b, double v)
{
	char tmp[40];
	long long k;

	if (isnan(v))
		buf_puts(b, "NaN");
	else if (isinf(v))
		buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	else if (fabs(v) < 1e15 && v == (double)(int64_t)v)
		put_scaled(b, (long long)v, 0);
	else if (fabs(v) < 1e12 && (k = llround(v * 1e3), (double)k / 1e3 == v))
		/* Milliseconds (durations): k / 1000 printed as a decimal reads
		 * back as the double nearest to it, which is v, and no shorter
		 * form does, as "%.15g" would also find. */
		put_scaled(b, k, 3);
	else {
		/* The shortest form that reads back exactly. */
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
			if (strtod(tmp, NULL) == v)
				break;
		}
		buf_puts(b, tmp);
	}
}

int
base64_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    const char **err)
{
	uint64_t v = 0;
	const char *p;

	if (s == NULL || *s == '\0') {
		*err = "empty number";
		return -1;
	}
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9') {
			*err = "not a number";
			return -1;
		}
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) {
			*err = "number too large";
			return -1;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min) {
		*err = "number too small";
		return -1;
	}
	if (v > max) {
		*err = "number too large";
		return -1;
	}
	*out = v;
	return 0;
}

int
parse_duration_ms(const char *s, uint64_t *ms, const char **err)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 }, { "", 1000 },
	};
	const uint64_t week = 7 * 86400000ULL;
	char digits[24];
	size_t n;
	uint64_t v;

	if (s == NULL)
		s = "";
	for (n = 0; s[n] >= '0' && s[n] <= '9'; n++)
		;
	if (n == 0) {
		*err = "duration must start with a number (e.g. 30s, 5m, 1h)";
		return -1;
	}
	if (n >= sizeof(digits)) {
		*err = "duration too large";
		return -1;
	}
	memcpy(digits, s, n);
	digits[n] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(units); i++) {
		if (strcmp(s + n, units[i].unit) != 0)
			continue;
		if (parse_uint(digits, 0, week, &v, err) == -1)
			return -1;
		if (v > week / units[i].mult) {
			*err = "duration longer than a week";
			return -1;
		}
		*ms = v * units[i].mult;
		return 0;
	}
	*err = "bad duration unit (use ms, s, m, h or d)";
	return -1;
}

int
pem_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

double
wall_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
ascii_span_ieq(const char *p, size_t n, const char *w)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] == '\0' || ascii_lower((unsigned char)p[i]) !=
		    ascii_lower((unsigned char)w[i]))
			return 0;
	return w[n] == '\0';
}

void
word_list_add(char *list, size_t size, const char *w, size_t n)
{
	size_t have = strlen(list);

	if (have + (have > 0) + n >= size)
		return;
	if (have > 0)
		list[have++] = ' ';
	memcpy(list + have, w, n);
	list[have + n] = '\0';
}

char *
ascii_lower_str(char *s)
{
	for (char *c = s; *c; c++)
		*c = (char)ascii_lower((unsigned char)*c);
	return s;
}

char *
str_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

int
str_ieq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

int
read_fd_all(int fd, size_t max, struct buf *b)
{
	ssize_t r;

	for (;;) {
		buf_reserve(b, 65536);
		r = read(fd, b->data + b->len, 65536);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		b->len += (size_t)r;
		b->data[b->len] = '\0';
		if (b->len > max)
			break;
	}
	return r == -1 ? -1 : 0;
}

int
read_file_all(const char *path, size_t max, struct buf *b, const char **why)
{
	struct stat st;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*why = S_ISDIR(st.st_mode) ? strerror(EISDIR) :
		    "not a regular file";
		close(fd);
		return -1;
	}
	rc = read_fd_all(fd, max, b);
	if (rc == -1)
		*why = strerror(errno);
	close(fd);
	return rc;
}

const char *
text_escape(char *out, size_t size, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (size < 8) {
		if (size > 0)
			out[0] = '\0';
		return out;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		size_t need = ch >= 0x20 && ch < 0x7f ? 1 : 4;

		if (o + need + 4 > size)	/* room for "..." and the NUL */
			break;
		if (need == 1)
			out[o++] = (char)ch;
		else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
