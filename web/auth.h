/* HTTP Basic authentication (RFC 7617) against bcrypt hashes, verified
 * with libxcrypt.  A bcrypt verification takes ~250 ms at cost 12, so it
 * never runs on the event loop: one worker thread does them, one at a
 * time, and the loop hears back through an eventfd.  A success is
 * remembered (at most AUTH_CACHE_SIZE credentials, keyed by a salted
 * SHA-256 of user, password and the hash they matched) while it is used
 * at least every AUTH_CACHE_TTL_MS, for AUTH_CACHE_MAX_AGE_MS at most, so
 * only the first request of a credential waits; a changed or removed user
 * no longer matches its entries.  Failures are not remembered.
 *
 * The worker is a resource strangers must not be able to take: a client
 * (an IPv4 address, an IPv6 /64) has at most AUTH_PER_CLIENT_MAX checks
 * pending; AUTH_QUEUE_RESERVED of the AUTH_QUEUE_MAX places are kept for
 * clients whose credentials were right within AUTH_TRUSTED_TTL_MS, whose
 * checks also go first; an unknown user is never verified but refused
 * after about the time a verification takes (no CPU spent, and the delay
 * does not tell which names exist). */
#ifndef MAILSEC_AUTH_H
#define MAILSEC_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "daemon/config.h"

#define AUTH_CACHE_TTL_MS	(5 * 60 * 1000)	/* unused this long: gone */
#define AUTH_CACHE_MAX_AGE_MS	(60 * 60 * 1000)	/* verified again then */
#define AUTH_CACHE_SIZE		256
#define AUTH_QUEUE_MAX		32	/* verifications waiting; more: busy */
#define AUTH_QUEUE_RESERVED	8	/* of them, for trusted clients */
#define AUTH_PER_CLIENT_MAX	2	/* checks pending per client */
#define AUTH_TRUSTED_SIZE	64	/* clients remembered as trusted */
#define AUTH_TRUSTED_TTL_MS	(60 * 60 * 1000)
#define AUTH_UNKNOWN_DELAY_MS	250	/* until a verification was timed */
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
	AUTH_BUSY,	/* too many checks waiting (the client's, or all) */
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

/* Checks an Authorization header (NULL: none) from client (NULL: one
 * bucket for all such) against users (n > 0).  The callback of a pending
 * check never runs inside this call. */
enum auth_result auth_check(struct auth *a, const struct auth_user *users,
    size_t n, const char *hdr, const struct sockaddr *client,
    auth_done_cb cb, void *arg, struct auth_job **job);
/* The callback of a pending job will not come. */
void auth_cancel(struct auth *a, struct auth_job *job);
/* The clock of the cache and the trust (milliseconds, monotonic); NULL:
 * now_ms().  For the unit tests. */
void auth_set_clock(struct auth *a, uint64_t (*clock)(void));

/* 1 if pass matches hash (crypt_rn, compared in constant time).  Slow:
 * not on the loop. */
int auth_verify_password(const char *pass, const char *hash);
/* A new "$2b$" hash of pass at cost, salted from the OS; NULL on error. */
char *auth_hash_password(const char *pass, unsigned cost);

#endif
