/* HTTP Basic authentication (RFC 7617) against bcrypt hashes, verified
 * with libxcrypt.  A bcrypt verification takes ~250 ms at cost 12, so it
 * never runs on the event loop: one worker thread does them, one at a
 * time, and the loop hears back through an eventfd.  A success is
 * remembered for AUTH_CACHE_TTL_MS (at most AUTH_CACHE_SIZE credentials,
 * keyed by a salted SHA-256 of user, password and the hash they matched),
 * so only the first request of a credential waits; a changed or removed
 * user no longer matches its entries.  Failures are not remembered. */
#ifndef MAILSEC_AUTH_H
#define MAILSEC_AUTH_H

#include <stddef.h>

#include <event2/event.h>

#include "daemon/config.h"

#define AUTH_CACHE_TTL_MS	(5 * 60 * 1000)
#define AUTH_CACHE_SIZE		256
#define AUTH_QUEUE_MAX		32	/* verifications waiting; more: busy */
#define AUTH_HEADER_MAX		1024	/* longer Authorization: refused */
#define AUTH_USER_MAX		256	/* buffer sizes, NUL included */
#define AUTH_PASS_MAX		512
#define AUTH_REALM		"mailsec_exporter"
#define AUTH_BCRYPT_COST	12

struct auth;
struct auth_job;

enum auth_result {
	AUTH_OK,	/* known at once: a remembered success */
	AUTH_DENIED,	/* no header, a malformed one */
	AUTH_PENDING,	/* a verification is queued: the callback tells */
	AUTH_BUSY,	/* too many verifications waiting */
};

/* ok is 1 when the credentials match. */
typedef void (*auth_done_cb)(int ok, void *arg);

struct auth *auth_new(struct event_base *base, char *err, size_t errlen);
/* Stops the worker; jobs not done are dropped without their callback. */
void auth_free(struct auth *a);

/* The value of an Authorization header: "Basic" and the base64 of
 * "user:password" (strict: padding, alphabet, no NUL, user without ':').
 * 0 with user and pass filled (NUL-terminated), or -1. */
int auth_parse_header(const char *hdr, char *user, size_t ulen, char *pass,
    size_t plen);

/* Checks an Authorization header (NULL: none) against users (n > 0).
 * An unknown user costs a verification too (against another hash, always
 * refused), so that timing does not tell which names exist. */
enum auth_result auth_check(struct auth *a, const struct auth_user *users,
    size_t n, const char *hdr, auth_done_cb cb, void *arg,
    struct auth_job **job);
/* The callback of a pending job will not come. */
void auth_cancel(struct auth *a, struct auth_job *job);

/* 1 if pass matches hash (crypt_rn, compared in constant time).  Slow:
 * not on the loop. */
int auth_verify_password(const char *pass, const char *hash);
/* A new "$2b$" hash of pass at cost, salted from the OS; NULL on error. */
char *auth_hash_password(const char *pass, unsigned cost);

#endif
