/* Small helpers shared by every part: growable buffers, strict number and
 * duration parsing, allocation that never returns NULL. */
#ifndef MAILSEC_UTIL_H
#define MAILSEC_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* A growable byte buffer, always NUL-terminated. */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};
void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A bounded list of "file:line: message" errors, the way the config
 * readers (collectors/postconf.c, doveconf.c) report them: past max
 * messages, an error is only counted. */
struct errlist {
	char	**msg;
	size_t	  n;
	size_t	  dropped;	/* added past the cap */
};
/* Adds "file:line: " (line 0: "file: ") and the message. */
void errlist_vadd(struct errlist *e, size_t max, const char *file,
    unsigned line, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
/* Every error added, kept or dropped. */
size_t errlist_count(const struct errlist *e);
void errlist_free(struct errlist *e);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Appends a double the way the Prometheus text format wants it. */
void buf_put_double(struct buf *b, double v);

/* The value of a base64 digit (RFC 4648 section 4 alphabet), -1 for any
 * other byte, padding included: the decoders around it differ in what else
 * they allow (blanks in DKIM keys, none in an Authorization header). */
int base64_digit(unsigned char c);

/* Strict parsers: the whole string must be consumed; no sign, no blanks.
 * Return 0 on success, -1 with *err set to a short reason. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    const char **err);
/* "10", "10s", "250ms", "5m", "2h", "1d": milliseconds, at most a week. */
int parse_duration_ms(const char *s, uint64_t *ms, const char **err);

/* Reads fd to its end into b (appended, NUL-terminated), stopping once b
 * holds more than max bytes (the caller tells "too large" by b->len > max).
 * 0, or -1 on a read error (errno set). */
int read_fd_all(int fd, size_t max, struct buf *b);
/* The same for a regular file opened by path; -1 with *why (strerror, or
 * "not a regular file") when it cannot be opened or read.  A blocking
 * read: for local configuration files only. */
int read_file_all(const char *path, size_t max, struct buf *b,
    const char **why);
/* An OpenSSL pem_password_cb for the key and certificate files of the
 * config and the audited servers: an encrypted key is an error, never a
 * prompt. */
int pem_no_passphrase(char *buf, int size, int rwflag, void *u);

/* Monotonic and wall clock. */
uint64_t now_ms(void);
double wall_time(void);

/* Character classes of the ASCII the protocols and files define, the same
 * in every locale (<ctype.h> is not). */
static inline int ascii_is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline int ascii_is_digit(int c)
{
	return c >= '0' && c <= '9';
}
static inline int ascii_is_alnum(int c)
{
	return ascii_is_alpha(c) || ascii_is_digit(c);
}
/* WSP of RFC 5234: space and tab. */
static inline int ascii_is_wsp(int c)
{
	return c == ' ' || c == '\t';
}
/* The blanks of a config line: isspace() without the newline. */
static inline int ascii_is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}
static inline int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* 1 when p[0..n) is the word w, ignoring ASCII case (protocol keywords,
 * record names); p need not be NUL-terminated. */
int ascii_span_ieq(const char *p, size_t n, const char *w);
/* Appends the word w[0..n) to the blank-separated list in list (size
 * bytes, NUL-terminated): whole words only, one that does not fit is left
 * out (a cut one would read as another). */
void word_list_add(char *list, size_t size, const char *w, size_t n);
/* Lower-cases the ASCII letters of s in place; returns s. */
char *ascii_lower_str(char *s);

/* Trims ASCII blanks in place; returns s. */
char *str_trim(char *s);
/* Hostile text (from a peer, a file, a request) for a message a person reads:
 * printable ASCII as it is, every other byte as \xNN (never '?'), cut with
 * "..." to fit size (>= 8).  Returns out. */
const char *text_escape(char *out, size_t size, const char *s, size_t n);
int str_ieq(const char *a, const char *b);

#endif
