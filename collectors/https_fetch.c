/* HTTPS fetches on the loop through libcurl's multi-socket API (see
 * https_fetch.h).  The pattern is curl's hiperfifo example: curl tells us
 * which sockets to watch (sock_watch) and when to wake it (timer_set); we
 * hand each event back with curl_multi_socket_action() and then collect
 * finished transfers (transfers_collect).  Completions therefore only ever
 * run from a libevent callback, never from inside fetch_start(). */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "collectors/curl_lib.h"
#include "collectors/https_fetch.h"
#include "collectors/io.h"
#include "collectors/probe.h"
#include "base/log.h"

TAILQ_HEAD(fetch_queue, fetch);

struct fetch_engine {
	struct event_base *base;
	const struct curl_lib *curl;	/* loaded by the first fetch */
	CURLM		*multi;
	struct event	*timer;
	unsigned	 in_flight;	/* started and not yet released */
	unsigned	 active;	/* of them, handed to curl */
	unsigned	 max_active;
	struct fetch	*fetches;	/* every fetch not yet released */
	struct fetch_queue waiting;	/* set up, for a free slot, in order */
	int		 closing;	/* fetch_engine_free(): start none */
};

struct fetch {
	struct fetch_engine *engine;
	struct fetch	*prev, *next;
	CURL		*easy;
	CURLSH		*dns;		/* the transfer's own DNS cache */
	struct curl_slist *resolve;
	struct event	*fail_ev;	/* delivers a failure to start */
	TAILQ_ENTRY(fetch) wait;	/* in engine->waiting */
	unsigned char	 waiting;	/* set up, not yet handed to curl */
	unsigned char	 active;	/* handed to curl (counted) */
	unsigned char	 urgent;	/* fetch_params.urgent */
	fetch_done_cb	 cb;
	void		*arg;
	size_t		 max_body;
	int		 over_cap;	/* the write callback stopped it */
	uint64_t	 started_ms;
	char		 errbuf[CURL_ERROR_SIZE];
	struct fetch_result res;
};

/* One watched socket: curl's socketp. */
struct fetch_sock {
	struct event	*ev;
};

static const char *const class_names[FETCH__COUNT] = {
	[FETCH_OK] = "ok",
	[FETCH_CONN] = "conn",
	[FETCH_TLS] = "tls",
	[FETCH_CERT] = "cert",
	[FETCH_TIMEOUT] = "timeout",
	[FETCH_TOO_LARGE] = "too_large",
	[FETCH_PROTOCOL] = "protocol",
	[FETCH_INTERNAL] = "internal",
};
_Static_assert(ARRAY_LEN(class_names) == FETCH__COUNT, "a name per class");

const char *
fetch_class_name(enum fetch_class c)
{
	return (unsigned)c < FETCH__COUNT ? class_names[c] : "unknown";
}

/* --- curl's error codes, classified ------------------------------------ */

static enum fetch_class
class_of_curl_code(CURLcode rc, const struct fetch *f)
{
	switch (rc) {
	case CURLE_OK:
		return FETCH_OK;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		return f->over_cap || rc == CURLE_FILESIZE_EXCEEDED ?
		    FETCH_TOO_LARGE : FETCH_INTERNAL;
	case CURLE_OPERATION_TIMEDOUT:
		return FETCH_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return FETCH_CONN;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return FETCH_CERT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_USE_SSL_FAILED:
		return FETCH_TLS;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
		return FETCH_PROTOCOL;
	default:
		return FETCH_INTERNAL;
	}
}

/* --- curl's callbacks ---------------------------------------------------- */

static size_t
body_write(char *ptr, size_t size, size_t nmemb, void *userp)
{
	struct fetch *f = userp;
	size_t n = size * nmemb;

	if (f->res.body.len + n > f->max_body) {
		f->over_cap = 1;
		return 0;	/* curl ends the transfer: CURLE_WRITE_ERROR */
	}
	buf_append(&f->res.body, ptr, n);
	return n;
}

/* Notes the Content-Encoding (the policy must come as it is: we ask for no
 * encoding, so one sent anyway is the server's error). */
static size_t
header_seen(char *ptr, size_t size, size_t nmemb, void *userp)
{
	struct fetch *f = userp;
	size_t n = size * nmemb, vlen;
	static const char name[] = "content-encoding:";
	const char *v;

	if (n > sizeof(name) - 1 && strncasecmp(ptr, name, sizeof(name) - 1) == 0) {
		v = ptr + sizeof(name) - 1;
		vlen = n - (sizeof(name) - 1);
		while (vlen > 0 && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
		    v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (vlen >= sizeof(f->res.content_encoding))
			vlen = sizeof(f->res.content_encoding) - 1;
		for (size_t i = 0; i < vlen; i++)
			f->res.content_encoding[i] = (unsigned char)v[i] < 0x20 ||
			    (unsigned char)v[i] > 0x7e ? '?' : v[i];
		f->res.content_encoding[vlen] = '\0';
	}
	return n;
}

/* OpenSSL's verify callback: notes the leaf's expiry whatever the verdict
 * (the fetch's own struct hangs off the SSL_CTX curl made for this
 * connection). */
static int
cert_seen(int preverify_ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct fetch *f;

	if (ssl == NULL)
		return preverify_ok;
	f = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	if (f != NULL && X509_STORE_CTX_get_error_depth(x) == 0) {
		X509 *leaf = X509_STORE_CTX_get_current_cert(x);

		if (leaf != NULL)
			f->res.cert_not_after =
			    tls_asn1_time_epoch(X509_get0_notAfter(leaf));
	}
	return preverify_ok;
}

static CURLcode
ssl_ctx_setup(CURL *easy, void *sslctx, void *userp)
{
	SSL_CTX *ctx = sslctx;

	(void)easy;
	SSL_CTX_set_app_data(ctx, userp);
	SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), cert_seen);
	return CURLE_OK;
}

/* --- the loop side -------------------------------------------------------- */

static void fetch_release(struct fetch *f);
static void fetch_queue_advance(struct fetch_engine *e);

/* Every transfer curl has finished: classify, call back, free. */
static void
transfers_collect(struct fetch_engine *e)
{
	CURLMsg *msg;
	int left;

	while ((msg = e->curl->multi_info_read(e->multi, &left)) != NULL) {
		struct fetch *f = NULL;
		char *ct = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		e->curl->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&f);
		if (f == NULL)
			continue;
		f->res.cls = class_of_curl_code(msg->data.result, f);
		e->curl->easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE,
		    &f->res.status);
		if (e->curl->easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE,
		    &ct) == CURLE_OK && ct != NULL)
			snprintf(f->res.content_type,
			    sizeof(f->res.content_type), "%s", ct);
		if (f->res.cls == FETCH_OK && f->res.content_encoding[0] != '\0' &&
		    strcasecmp(f->res.content_encoding, "identity") != 0) {
			f->res.cls = FETCH_PROTOCOL;
			snprintf(f->res.message, sizeof(f->res.message),
			    "the server sent Content-Encoding: %s, which was not"
			    " asked for", f->res.content_encoding);
		} else if (f->res.cls == FETCH_TOO_LARGE) {
			snprintf(f->res.message, sizeof(f->res.message),
			    "the body is larger than %zu bytes", f->max_body);
		} else if (f->res.cls != FETCH_OK) {
			snprintf(f->res.message, sizeof(f->res.message), "%s",
			    f->errbuf[0] != '\0' ? f->errbuf :
			    e->curl->easy_strerror(msg->data.result));
		}
		f->res.duration_s = (double)(now_ms() - f->started_ms) / 1000.0;
		/* msg points into curl's state: done with it before calling
		 * out, since the callback may start or cancel fetches. */
		e->curl->multi_remove_handle(e->multi, f->easy);
		f->cb(&f->res, f->arg);
		fetch_release(f);
	}
}

static void
sock_ready(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_engine *e = arg;
	int flags = 0, running;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	e->curl->multi_socket_action(e->multi, fd, flags, &running);
	transfers_collect(e);
}

static void
timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_engine *e = arg;
	int running;

	(void)fd;
	(void)what;
	e->curl->multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	transfers_collect(e);
}

/* CURLMOPT_TIMERFUNCTION: -1 stops the timer, else it fires in ms. */
static int
timer_set(CURLM *multi, long timeout_ms, void *userp)
{
	struct fetch_engine *e = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(e->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(e->timer, &tv) == 0 ? 0 : -1;
}

/* CURLMOPT_SOCKETFUNCTION: watch s for what curl asks, or stop. */
static int
sock_watch(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct fetch_engine *e = userp;
	struct fetch_sock *fs = socketp;
	short events = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (fs != NULL) {
			event_free(fs->ev);
			free(fs);
		}
		e->curl->multi_assign(e->multi, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	if (fs == NULL) {
		fs = xcalloc(1, sizeof(*fs));
		e->curl->multi_assign(e->multi, s, fs);
	} else {
		event_free(fs->ev);
	}
	fs->ev = event_new(e->base, s, events, sock_ready, e);
	if (fs->ev != NULL)
		io_lowest_priority(fs->ev);
	if (fs->ev == NULL || event_add(fs->ev, NULL) == -1)
		return -1;
	return 0;
}

/* libcurl is loaded and set up by the first fetch, not with the engine
 * (collectors/curl_lib.h): a run that fetches nothing (endpoint checks
 * only) never maps libcurl and the protocol libraries it pulls in, nor
 * makes a multi handle.  0, or -1 with why in err. */
static int
engine_ready(struct fetch_engine *e, char *err, size_t errlen)
{
	if (e->multi != NULL)
		return 0;
	if (e->curl == NULL && (e->curl = curl_lib_get(err, errlen)) == NULL)
		return -1;
	if (e->timer == NULL &&
	    (e->timer = evtimer_new(e->base, timer_fired, e)) == NULL) {
		snprintf(err, errlen, "no timer event");
		return -1;
	}
	if ((e->multi = e->curl->multi_init()) == NULL) {
		snprintf(err, errlen, "curl_multi_init failed");
		return -1;
	}
	e->curl->multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, sock_watch);
	e->curl->multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
	e->curl->multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, timer_set);
	e->curl->multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
	e->curl->multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, 0L);
	return 0;
}

struct fetch_engine *
fetch_engine_new(struct event_base *base, unsigned max_active, char *err,
    size_t errlen)
{
	struct fetch_engine *e = xcalloc(1, sizeof(*e));

	(void)err;
	(void)errlen;
	e->base = base;
	e->max_active = max_active > 0 ? max_active : 1;
	TAILQ_INIT(&e->waiting);
	return e;
}

unsigned
fetch_engine_in_flight(const struct fetch_engine *e)
{
	return e != NULL ? e->in_flight : 0;
}

unsigned
fetch_engine_active(const struct fetch_engine *e)
{
	return e != NULL ? e->active : 0;
}

void
fetch_engine_set_max_active(struct fetch_engine *e, unsigned max_active)
{
	e->max_active = max_active > 0 ? max_active : 1;
	fetch_queue_advance(e);
}

/* Frees a fetch that curl no longer holds, and gives its slot, if it had
 * one, to the next waiting. */
static void
fetch_release(struct fetch *f)
{
	struct fetch_engine *e = f->engine;

	if (f->waiting)
		TAILQ_REMOVE(&e->waiting, f, wait);
	if (f->active)
		e->active--;
	if (f->fail_ev != NULL)
		event_free(f->fail_ev);
	if (f->easy != NULL)
		e->curl->easy_cleanup(f->easy);
	if (f->dns != NULL)
		e->curl->share_cleanup(f->dns);
	if (f->resolve != NULL)
		e->curl->slist_free_all(f->resolve);
	buf_free(&f->res.body);
	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		f->engine->fetches = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	e->in_flight--;
	free(f);
	fetch_queue_advance(e);
}

/* --- starting one --------------------------------------------------------- */

static void
start_failed(evutil_socket_t fd, short what, void *arg)
{
	struct fetch *f = arg;

	(void)fd;
	(void)what;
	f->cb(&f->res, f->arg);
	fetch_release(f);
}

/* Delivers f's failure (its res already says which) from the loop, never
 * from the call that found it. */
static void
fetch_fail_later(struct fetch *f)
{
	struct timeval now = { 0, 0 };

	if ((f->fail_ev = evtimer_new(f->engine->base, start_failed, f)) ==
	    NULL || evtimer_add(f->fail_ev, &now) == -1) {
		log_error("fetch_start", "reason=no_event");
		abort();	/* an event cannot be had: out of memory */
	}
}

/* Hands a set-up transfer to curl; its time (CURLOPT_TIMEOUT_MS and
 * duration_s) counts from here, not from the wait for a slot. */
static void
fetch_activate(struct fetch *f)
{
	struct fetch_engine *e = f->engine;

	f->started_ms = now_ms();
	if (e->curl->multi_add_handle(e->multi, f->easy) != CURLM_OK) {
		f->res.cls = FETCH_INTERNAL;
		snprintf(f->res.message, sizeof(f->res.message),
		    "the HTTPS client cannot take another transfer");
		fetch_fail_later(f);
		return;
	}
	f->active = 1;
	e->active++;
}

/* f waits: after the others, or, urgent, after the urgent ones only. */
static void
fetch_queue_insert(struct fetch_engine *e, struct fetch *f, int urgent)
{
	struct fetch *w, *last = NULL;

	f->waiting = 1;
	f->urgent = urgent != 0;
	if (!f->urgent) {
		TAILQ_INSERT_TAIL(&e->waiting, f, wait);
		return;
	}
	TAILQ_FOREACH(w, &e->waiting, wait) {
		if (!w->urgent)
			break;
		last = w;
	}
	if (last != NULL)
		TAILQ_INSERT_AFTER(&e->waiting, last, f, wait);
	else
		TAILQ_INSERT_HEAD(&e->waiting, f, wait);
}

/* Starts waiting transfers while slots are free. */
static void
fetch_queue_advance(struct fetch_engine *e)
{
	struct fetch *f;

	while (!e->closing && e->active < e->max_active &&
	    (f = TAILQ_FIRST(&e->waiting)) != NULL) {
		TAILQ_REMOVE(&e->waiting, f, wait);
		f->waiting = 0;
		fetch_activate(f);
	}
}

/* "host:port:addr1,[v6],..." for CURLOPT_RESOLVE. */
static int
resolve_entry(const struct fetch_params *p, struct buf *b)
{
	buf_printf(b, "%s:%u:", p->host, (unsigned)p->port);
	for (size_t i = 0; i < p->n_addresses; i++) {
		const char *a = p->addresses[i];

		if (strchr(a, ',') != NULL || strchr(a, ' ') != NULL)
			return -1;
		buf_printf(b, strchr(a, ':') != NULL ? "%s[%s]" : "%s%s",
		    i ? "," : "", a);
	}
	return 0;
}

/* The options of one transfer; 0 or -1. */
static int
easy_setup(struct fetch *f, const struct fetch_params *p)
{
	const struct curl_lib *curl = f->engine->curl;
	struct buf url, res;
	int ok = 1;

	buf_init(&url);
	buf_init(&res);
	buf_printf(&url, "https://%s:%u%s", p->host, (unsigned)p->port, p->path);
	if (resolve_entry(p, &res) == -1 ||
	    (f->resolve = curl->slist_append(NULL, res.data)) == NULL)
		ok = 0;
#define SET(opt, val) \
	(ok = ok && curl->easy_setopt(f->easy, opt, val) == CURLE_OK)
	SET(CURLOPT_URL, url.data);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PROXY, "");		/* no proxy from the environment */
	SET(CURLOPT_NOPROXY, "*");
	SET(CURLOPT_RESOLVE, f->resolve);
	SET(CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	/* The CURLOPT_RESOLVE entry goes into a DNS cache of the transfer's
	 * own, gone with it.  In the multi handle's (the default) every entry
	 * stays for good, and each new transfer walks them all to prune: a
	 * round of 10,000 MTA-STS hosts spent a quarter of its CPU there. */
	ok = ok && (f->dns = curl->share_init()) != NULL &&
	    curl->share_setopt(f->dns, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ==
	    CURLSHE_OK;
	SET(CURLOPT_SHARE, f->dns);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_SSL_SESSIONID_CACHE, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (p->ca_file != NULL)
		SET(CURLOPT_CAINFO, p->ca_file);
	/* ca_file alone, not also the CA directory libcurl was built with
	 * (Debian: /etc/ssl/certs): trust is what the config says, and a
	 * store from a file alone is one libcurl keeps in the multi handle
	 * instead of loading the file again for every fetch (a CA path
	 * disables that cache).  Kept a minute, so that a changed ca_file is
	 * read again soon. */
	SET(CURLOPT_CAPATH, NULL);
#if LIBCURL_VERSION_NUM >= 0x075700	/* 7.87.0 */
	SET(CURLOPT_CA_CACHE_TIMEOUT, 60L);
#endif
	SET(CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_setup);
	SET(CURLOPT_SSL_CTX_DATA, f);
	SET(CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)p->timeout_ms);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)p->max_body);
	SET(CURLOPT_WRITEFUNCTION, body_write);
	SET(CURLOPT_WRITEDATA, f);
	SET(CURLOPT_HEADERFUNCTION, header_seen);
	SET(CURLOPT_HEADERDATA, f);
	SET(CURLOPT_ERRORBUFFER, f->errbuf);
	SET(CURLOPT_PRIVATE, f);
	SET(CURLOPT_USERAGENT, "mailsec_exporter/" MAILSEC_VERSION);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
#undef SET
	buf_free(&url);
	buf_free(&res);
	return ok ? 0 : -1;
}

struct fetch *
fetch_start(struct fetch_engine *e, const struct fetch_params *p,
    fetch_done_cb cb, void *arg)
{
	struct fetch *f = xcalloc(1, sizeof(*f));
	char why[200];

	f->engine = e;
	f->cb = cb;
	f->arg = arg;
	f->max_body = p->max_body;
	f->started_ms = now_ms();
	buf_init(&f->res.body);
	e->in_flight++;
	f->next = e->fetches;
	if (e->fetches != NULL)
		e->fetches->prev = f;
	e->fetches = f;
	if (p->n_addresses == 0) {
		f->res.cls = FETCH_CONN;
		snprintf(f->res.message, sizeof(f->res.message),
		    "%s has no address", p->host);
	} else if (engine_ready(e, why, sizeof(why)) == -1) {
		f->res.cls = FETCH_INTERNAL;
		snprintf(f->res.message, sizeof(f->res.message),
		    "the HTTPS client cannot be set up for %s: %s", p->host,
		    why);
	} else if ((f->easy = e->curl->easy_init()) == NULL ||
	    easy_setup(f, p) == -1) {
		f->res.cls = FETCH_INTERNAL;
		snprintf(f->res.message, sizeof(f->res.message),
		    "the HTTPS client refused an option for %s", p->host);
	} else if (e->active >= e->max_active || !TAILQ_EMPTY(&e->waiting)) {
		/* Set up (curl has copied the options) and waiting for a
		 * slot: a transfer in flight holds ~100 KB (buffers, TLS),
		 * one waiting only its handle. */
		fetch_queue_insert(e, f, p->urgent);
		return f;
	} else {
		fetch_activate(f);
		return f;
	}
	fetch_fail_later(f);
	return f;
}

void
fetch_cancel(struct fetch *f)
{
	if (f->active)
		f->engine->curl->multi_remove_handle(f->engine->multi, f->easy);
	fetch_release(f);
}

void
fetch_engine_free(struct fetch_engine *e)
{
	if (e == NULL)
		return;
	e->closing = 1;
	while (e->fetches != NULL)
		fetch_cancel(e->fetches);
	if (e->multi != NULL)
		e->curl->multi_cleanup(e->multi);
	if (e->timer != NULL)
		event_free(e->timer);
	free(e);
}
