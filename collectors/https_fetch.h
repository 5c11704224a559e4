/* One small HTTPS GET on the libevent loop (the MTA-STS policy file),
 * through libcurl's multi-socket interface: curl's sockets are watched by
 * libevent, its timeouts by one timer, and no call ever blocks.
 *
 * Why libcurl and not evhttp over bufferevent_openssl: curl checks the
 * certificate's name and chain itself, pins the address we resolved
 * (CURLOPT_RESOLVE), refuses every scheme but https, caps the body and
 * times out the whole transfer; evhttp does none of this and resolves
 * blocking when given no evdns base (doc/mta-sts.md).
 *
 * The address always comes from the caller (the exporter's own resolver):
 * curl never resolves a name itself, reads no proxy from the environment,
 * follows no redirect, and reuses no connection. */
#ifndef MAILSEC_HTTPS_FETCH_H
#define MAILSEC_HTTPS_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "base/util.h"

struct fetch_engine;
struct fetch;

/* How a fetch ended, classified where it happens. */
enum fetch_class {
	FETCH_OK,		/* an HTTP answer came (any status) */
	FETCH_CONN,		/* no connection: refused, unreachable,
				 * reset, no address */
	FETCH_TLS,		/* the TLS handshake failed */
	FETCH_CERT,		/* the certificate does not verify for the
				 * name (expired, wrong name, unknown CA) */
	FETCH_TIMEOUT,		/* the time ran out (stall, trickle) */
	FETCH_TOO_LARGE,	/* the body passed max_body */
	FETCH_PROTOCOL,		/* not HTTP, or a Content-Encoding that was
				 * not asked for */
	FETCH_INTERNAL,		/* out of memory, curl refused an option */
	FETCH__COUNT
};
const char *fetch_class_name(enum fetch_class c);

struct fetch_params {
	const char	*host;		/* the URL's host, the certificate's
					 * name, SNI */
	uint16_t	 port;		/* 443 */
	const char	*path;		/* "/.well-known/mta-sts.txt" */
	const char *const *addresses;	/* numeric, from our resolver */
	size_t		 n_addresses;
	const char	*ca_file;	/* NULL: the system's CA store */
	unsigned	 timeout_ms;	/* the whole transfer */
	size_t		 max_body;
	int		 urgent;	/* a /probe's: waits for a slot ahead of
					 * the others (in order among urgent) */
};

struct fetch_result {
	enum fetch_class cls;
	char		 message[256];	/* for people; never parsed */
	long		 status;	/* HTTP status; 0 when none */
	char		 content_type[128]; /* as sent, "" when none */
	char		 content_encoding[64];
	struct buf	 body;
	double		 cert_not_after; /* the leaf's, 0 when none seen */
	double		 duration_s;
};

/* One engine per event base.  libcurl is set up by the first fetch_start()
 * (a failure there is that fetch's FETCH_INTERNAL), so a run that fetches
 * nothing never initialises it; err is kept for the callers, and NULL is
 * not returned.  At most max_active transfers (at least 1) are handed to
 * curl at once; the others are set up and wait, in the order started, for
 * a slot, and their time (timeout_ms, duration_s) counts from there: a
 * transfer in flight holds ~100 KB (curl's buffers, a TLS connection), a
 * waiting one its handle. */
struct fetch_engine *fetch_engine_new(struct event_base *base,
    unsigned max_active, char *err, size_t errlen);
/* Ends every fetch still in flight without calling back.  Not from inside
 * a fetch callback. */
void fetch_engine_free(struct fetch_engine *e);
/* Fetches started and not yet ended (waiting or handed to curl), and of
 * them those handed to curl (0 for a NULL engine). */
unsigned fetch_engine_in_flight(const struct fetch_engine *e);
unsigned fetch_engine_active(const struct fetch_engine *e);
/* A new bound (a reload): waiting fetches start if it is higher; those in
 * flight above a lower one run to their end. */
void fetch_engine_set_max_active(struct fetch_engine *e, unsigned max_active);

/* The result is the callee's only during the call. */
typedef void (*fetch_done_cb)(const struct fetch_result *res, void *arg);

/* Starts a fetch.  cb runs exactly once, from the loop, never from inside
 * fetch_start() (a failure to start is delivered on the next loop pass),
 * unless fetch_cancel() comes first. */
struct fetch *fetch_start(struct fetch_engine *e, const struct fetch_params *p,
    fetch_done_cb cb, void *arg);
/* The callback will not come.  Allowed from any callback, also from
 * another fetch's done callback. */
void fetch_cancel(struct fetch *f);

#endif
