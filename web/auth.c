#include "web/auth.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/addr.h"
#include "base/log.h"
#include "base/util.h"

enum job_state {
	JOB_QUEUED,	/* waiting for the worker */
	JOB_RUNNING,	/* the worker verifies it */
	JOB_DONE,	/* verified, not yet seen by the loop */
	JOB_DELAYED,	/* an unknown user: refused when its timer fires */
};

/* Who asks: an IPv4 address, or the /64 of an IPv6 one (a host usually
 * has the whole /64). */
struct client_key {
	unsigned char	 b[9];		/* family byte, then 4 or 8 bytes */
};

TAILQ_HEAD(waiter_list, auth_job);

/* One verification (or, for an unknown user, one timed refusal), shared
 * by every request with the same credentials while it is pending: 50
 * /probe scrapes that Prometheus starts at once cost one bcrypt. */
struct verif {
	struct auth	*a;
	enum job_state	 state;
	int		 ok;
	int		 prio;		/* from a client that logged in lately */
	struct client_key client;
	uint64_t	 elapsed_ms;	/* the worker's verification time */
	char		 pass[AUTH_PASS_MAX];
	char		 hash[128];
	unsigned char	 digest[32];
	struct event	*timer;		/* JOB_DELAYED */
	struct waiter_list waiters;	/* loop side; none: nobody waits */
	TAILQ_ENTRY(verif) link;	/* todo or done, under mu */
	TAILQ_ENTRY(verif) plink;	/* pending: loop side */
};

/* A request waiting for a verification: the caller's handle. */
struct auth_job {
	struct verif	*v;
	auth_done_cb	 cb;
	void		*arg;
	TAILQ_ENTRY(auth_job) link;	/* v->waiters */
};

TAILQ_HEAD(job_list, verif);
TAILQ_HEAD(pending_list, verif);

struct cache_entry {
	unsigned char	 digest[32];
	uint64_t	 created_ms;	/* 0: free */
	uint64_t	 used_ms;
};

struct trusted {
	struct client_key client;
	uint64_t	 until_ms;	/* 0: free */
};

struct auth {
	struct event_base *base;
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct job_list	 todo;		/* queued and running, under mu */
	struct job_list	 done;		/* under mu */
	struct client_key last_served;	/* under mu */
	/* Loop side: */
	struct pending_list pending;	/* every verif not seen back yet */
	unsigned	 n_jobs;	/* of them, bcrypt ones */
	uint64_t	 verify_ms;	/* a verification takes about this */
	uint64_t	(*clock)(void);
	int		 stop;
	int		 evfd;
	struct event	*ev;
	unsigned char	 salt[32];
	struct cache_entry cache[AUTH_CACHE_SIZE];
	struct trusted	 trusted[AUTH_TRUSTED_SIZE];
};

/* --- bcrypt --------------------------------------------------------------- */

int
auth_verify_password(const char *pass, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *out;
	size_t len = strlen(hash);
	int ok = 0;

	if (cd == NULL)
		return 0;
	out = crypt_rn(pass, hash, cd, (int)sizeof(*cd));
	if (out != NULL && out[0] != '*' && strlen(out) == len)
		ok = CRYPTO_memcmp(out, hash, len) == 0;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

char *
auth_hash_password(const char *pass, unsigned cost)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *out;
	char *r = NULL;

	if (cd == NULL)
		return NULL;
	if (crypt_gensalt_rn("$2b$", cost, NULL, 0, setting,
	    (int)sizeof(setting)) != NULL &&
	    (out = crypt_rn(pass, setting, cd, (int)sizeof(*cd))) != NULL &&
	    out[0] != '*')
		r = xstrdup(out);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return r;
}

/* --- the header -------------------------------------------------------- */

/* Strict base64 (RFC 4648 4, padded): -1 on any deviation or when out is
 * too small. */
static int
b64_decode(const char *s, size_t n, unsigned char *out, size_t cap,
    size_t *outlen)
{
	size_t o = 0, pad = 0;

	if (n == 0 || n % 4 != 0)
		return -1;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	if (n / 4 * 3 - pad > cap)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];

		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 4 - (int)pad)
				v[k] = 0;
			else if ((v[k] = base64_digit((unsigned char)s[i + k])) < 0)
				return -1;
		}
		/* Bits the padding drops must be zero (canonical form). */
		if (i + 4 == n && ((pad == 1 && (v[2] & 3)) ||
		    (pad == 2 && (v[1] & 15))))
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (!(i + 4 == n && pad == 2))
			out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (!(i + 4 == n && pad >= 1))
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	*outlen = o;
	return 0;
}

int
auth_parse_header(const char *hdr, char *user, size_t ulen, char *pass,
    size_t plen)
{
	unsigned char dec[AUTH_USER_MAX + AUTH_PASS_MAX];
	const char *p, *end;
	unsigned char *colon;
	size_t n, dlen = 0, hl;
	int rc = -1;

	if (hdr == NULL || (hl = strnlen(hdr, AUTH_HEADER_MAX + 1)) >
	    AUTH_HEADER_MAX)
		return -1;
	for (p = hdr; *p == ' ' || *p == '\t'; p++)
		;
	if (strncasecmp(p, "Basic", 5) != 0 || (p[5] != ' ' && p[5] != '\t'))
		return -1;
	for (p += 5; *p == ' ' || *p == '\t'; p++)
		;
	for (end = hdr + hl; end > p && (end[-1] == ' ' || end[-1] == '\t');
	    end--)
		;
	n = (size_t)(end - p);
	if (b64_decode(p, n, dec, sizeof(dec), &dlen) == -1 ||
	    memchr(dec, '\0', dlen) != NULL ||
	    (colon = memchr(dec, ':', dlen)) == NULL)
		goto out;
	n = (size_t)(colon - dec);
	if (n + 1 > ulen || dlen - n - 1 + 1 > plen)
		goto out;
	memcpy(user, dec, n);
	user[n] = '\0';
	memcpy(pass, colon + 1, dlen - n - 1);
	pass[dlen - n - 1] = '\0';
	rc = 0;
out:
	explicit_bzero(dec, sizeof(dec));
	return rc;
}

/* --- the cache --------------------------------------------------------- */

static void
cred_digest(const struct auth *a, const char *user, const char *pass,
    const char *hash, unsigned char out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int len = 32;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, a->salt, sizeof(a->salt)) != 1 ||
	    EVP_DigestUpdate(md, user, strlen(user) + 1) != 1 ||
	    EVP_DigestUpdate(md, pass, strlen(pass) + 1) != 1 ||
	    EVP_DigestUpdate(md, hash, strlen(hash) + 1) != 1 ||
	    EVP_DigestFinal_ex(md, out, &len) != 1)
		RAND_bytes(out, 32);	/* matches nothing */
	EVP_MD_CTX_free(md);
}

static int
cache_valid(const struct cache_entry *c, uint64_t now)
{
	return c->created_ms != 0 && now - c->used_ms < AUTH_CACHE_TTL_MS &&
	    now - c->created_ms < AUTH_CACHE_MAX_AGE_MS;
}

/* A hit is used again now (sliding expiry, up to the hard maximum age). */
static int
cache_hit(struct auth *a, const unsigned char digest[32])
{
	uint64_t now = a->clock();
	int hit = 0;

	/* Every entry is compared, so the time does not depend on where. */
	for (size_t i = 0; i < AUTH_CACHE_SIZE; i++) {
		int m = cache_valid(&a->cache[i], now) &&
		    CRYPTO_memcmp(a->cache[i].digest, digest, 32) == 0;
		uint64_t mask = (uint64_t)0 - (uint64_t)m;

		a->cache[i].used_ms = (now & mask) | (a->cache[i].used_ms & ~mask);
		hit |= m;
	}
	return hit;
}

static void
cache_add(struct auth *a, const unsigned char digest[32])
{
	uint64_t now = a->clock();
	size_t victim = 0;

	for (size_t i = 0; i < AUTH_CACHE_SIZE; i++) {
		if (!cache_valid(&a->cache[i], now)) {
			a->cache[i].created_ms = 0;	/* free or expired */
			a->cache[i].used_ms = 0;
		} else if (CRYPTO_memcmp(a->cache[i].digest, digest, 32) == 0) {
			victim = i;	/* verified again: a new entry */
			break;
		}
		if (a->cache[i].used_ms < a->cache[victim].used_ms)
			victim = i;	/* free, expired, or least lately used */
	}
	memcpy(a->cache[victim].digest, digest, 32);
	a->cache[victim].created_ms = now;
	a->cache[victim].used_ms = now;
}

/* --- clients ------------------------------------------------------------ */

static void
client_key_of(const struct sockaddr *sa, struct client_key *k)
{
	struct addr ip;

	memset(k, 0, sizeof(*k));
	if (addr_from_sockaddr(sa, &ip) == -1)
		return;			/* one bucket for the unknown */
	k->b[0] = ip.family == AF_INET ? 4 : 6;
	memcpy(k->b + 1, ip.a, ip.family == AF_INET ? 4 : 8);
}

static int
client_eq(const struct client_key *x, const struct client_key *y)
{
	return memcmp(x->b, y->b, sizeof(x->b)) == 0;
}

static unsigned
client_pending(const struct auth *a, const struct client_key *k)
{
	const struct verif *v;
	unsigned n = 0;

	TAILQ_FOREACH(v, &a->pending, plink)
		n += client_eq(&v->client, k);
	return n;
}

/* A client whose credentials were right lately: it keeps a share of the
 * queue that strangers cannot fill, and goes first. */
static int
client_trusted(const struct auth *a, const struct client_key *k)
{
	uint64_t now = a->clock();

	for (size_t i = 0; i < AUTH_TRUSTED_SIZE; i++)
		if (a->trusted[i].until_ms > now &&
		    client_eq(&a->trusted[i].client, k))
			return 1;
	return 0;
}

static void
client_trust(struct auth *a, const struct client_key *k)
{
	uint64_t now = a->clock();
	size_t victim = 0;

	for (size_t i = 0; i < AUTH_TRUSTED_SIZE; i++) {
		if (a->trusted[i].until_ms > now &&
		    client_eq(&a->trusted[i].client, k)) {
			victim = i;
			break;
		}
		if (a->trusted[i].until_ms < a->trusted[victim].until_ms)
			victim = i;	/* free, expired, or the oldest */
	}
	a->trusted[victim].client = *k;
	a->trusted[victim].until_ms = now + AUTH_TRUSTED_TTL_MS;
}

/* --- the worker -------------------------------------------------------- */

/* The next verification: the first queued one of a trusted client; else
 * the clients take turns (the first queued one of the next client after
 * the one served last, in key order), so that a client with several
 * checks waiting does not make a newcomer wait for all of them.  Under
 * mu. */
static struct verif *
next_verif(struct auth *a)
{
	struct verif *v, *after = NULL, *lowest = NULL;

	TAILQ_FOREACH(v, &a->todo, link) {
		if (v->state != JOB_QUEUED)
			continue;
		if (v->prio)
			return v;
		if (memcmp(v->client.b, a->last_served.b,
		    sizeof(v->client.b)) > 0 && (after == NULL ||
		    memcmp(v->client.b, after->client.b, sizeof(v->client.b)) < 0))
			after = v;
		if (lowest == NULL || memcmp(v->client.b, lowest->client.b,
		    sizeof(v->client.b)) < 0)
			lowest = v;
	}
	v = after != NULL ? after : lowest;
	if (v != NULL)
		a->last_served = v->client;
	return v;
}

static void *
worker(void *arg)
{
	struct auth *a = arg;
	struct verif *v;
	uint64_t one = 1, t0;
	ssize_t w;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->stop && (v = next_verif(a)) == NULL)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->stop)
			break;
		v->state = JOB_RUNNING;
		pthread_mutex_unlock(&a->mu);
		t0 = now_ms();
		v->ok = auth_verify_password(v->pass, v->hash);
		v->elapsed_ms = now_ms() - t0;
		explicit_bzero(v->pass, sizeof(v->pass));
		pthread_mutex_lock(&a->mu);
		TAILQ_REMOVE(&a->todo, v, link);
		v->state = JOB_DONE;
		TAILQ_INSERT_TAIL(&a->done, v, link);
		do
			w = write(a->evfd, &one, sizeof(one));
		while (w == -1 && errno == EINTR);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Frees v and its waiters, without callbacks. */
static void
verif_free(struct verif *v)
{
	struct auth_job *job;

	while ((job = TAILQ_FIRST(&v->waiters)) != NULL) {
		TAILQ_REMOVE(&v->waiters, job, link);
		free(job);
	}
	if (v->timer != NULL)
		event_free(v->timer);
	explicit_bzero(v, sizeof(*v));
	free(v);
}

/* On the loop: v has its answer.  Every waiter hears it; a callback may
 * cancel waiters not called yet (they leave the list) or start new
 * checks (v is off the pending list: nothing joins it any more). */
static void
verif_finish(struct auth *a, struct verif *v)
{
	struct auth_job *job;

	TAILQ_REMOVE(&a->pending, v, plink);
	if (v->state != JOB_DELAYED) {
		a->n_jobs--;
		/* What an unknown user waits for (see auth_check). */
		a->verify_ms = (3 * a->verify_ms + v->elapsed_ms) / 4;
		if (v->ok) {
			cache_add(a, v->digest);
			client_trust(a, &v->client);
		}
	}
	while ((job = TAILQ_FIRST(&v->waiters)) != NULL) {
		auth_done_cb cb = job->cb;
		void *arg = job->arg;

		TAILQ_REMOVE(&v->waiters, job, link);
		free(job);
		cb(v->ok, arg);
	}
	verif_free(v);
}

/* On the loop: the worker finished verifications. */
static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct auth *a = arg;
	struct job_list batch;
	struct verif *v;
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		log_warn("auth_eventfd", "msg=\"%s\"", strerror(errno));
	TAILQ_INIT(&batch);
	pthread_mutex_lock(&a->mu);
	TAILQ_CONCAT(&batch, &a->done, link);
	pthread_mutex_unlock(&a->mu);
	while ((v = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, v, link);
		verif_finish(a, v);
	}
}

/* On the loop: the time of an unknown user's refusal has come. */
static void
delayed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct verif *v = arg;

	(void)fd;
	(void)what;
	v->ok = 0;
	verif_finish(v->a, v);
}

static uint64_t
clock_ms(void)
{
	return now_ms();
}

struct auth *
auth_new(struct event_base *base, char *err, size_t errlen)
{
	struct auth *a = xcalloc(1, sizeof(*a));
	int rc;

	a->base = base;
	a->clock = clock_ms;
	a->verify_ms = AUTH_UNKNOWN_DELAY_MS;
	TAILQ_INIT(&a->todo);
	TAILQ_INIT(&a->done);
	TAILQ_INIT(&a->pending);
	if (RAND_bytes(a->salt, sizeof(a->salt)) != 1) {
		snprintf(err, errlen, "auth: no random bytes");
		free(a);
		return NULL;
	}
	a->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->evfd == -1) {
		snprintf(err, errlen, "auth: eventfd: %s", strerror(errno));
		free(a);
		return NULL;
	}
	a->ev = event_new(base, a->evfd, EV_READ | EV_PERSIST, done_cb, a);
	if (a->ev == NULL || event_add(a->ev, NULL) != 0) {
		snprintf(err, errlen, "auth: cannot register with the loop");
		goto fail;
	}
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	if ((rc = pthread_create(&a->thread, NULL, worker, a)) != 0) {
		snprintf(err, errlen, "auth: cannot start a thread: %s",
		    strerror(rc));
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->cv);
		goto fail;
	}
	return a;
fail:
	if (a->ev)
		event_free(a->ev);
	close(a->evfd);
	free(a);
	return NULL;
}

void
auth_set_clock(struct auth *a, uint64_t (*clock)(void))
{
	a->clock = clock ? clock : clock_ms;
}

void
auth_free(struct auth *a)
{
	struct verif *v;

	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	/* Every verif is pending, and also on todo or done unless delayed. */
	while ((v = TAILQ_FIRST(&a->pending)) != NULL) {
		TAILQ_REMOVE(&a->pending, v, plink);
		if (v->state == JOB_DELAYED)
			verif_free(v);
	}
	while ((v = TAILQ_FIRST(&a->todo)) != NULL) {
		TAILQ_REMOVE(&a->todo, v, link);
		verif_free(v);
	}
	while ((v = TAILQ_FIRST(&a->done)) != NULL) {
		TAILQ_REMOVE(&a->done, v, link);
		verif_free(v);
	}
	event_free(a->ev);
	close(a->evfd);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

/* The pending verification of the same credentials, or NULL. */
static struct verif *
verif_find(struct auth *a, const unsigned char digest[32])
{
	struct verif *v;

	TAILQ_FOREACH(v, &a->pending, plink)
		if (CRYPTO_memcmp(v->digest, digest, 32) == 0)
			return v;
	return NULL;
}

static struct auth_job *
waiter_add(struct verif *v, auth_done_cb cb, void *arg)
{
	struct auth_job *job = xcalloc(1, sizeof(*job));

	job->v = v;
	job->cb = cb;
	job->arg = arg;
	TAILQ_INSERT_TAIL(&v->waiters, job, link);
	return job;
}

enum auth_result
auth_check(struct auth *a, const struct auth_user *users, size_t n,
    const char *hdr, const struct sockaddr *client, auth_done_cb cb,
    void *arg, struct auth_job **jobp)
{
	char user[AUTH_USER_MAX], pass[AUTH_PASS_MAX];
	const struct auth_user *u = NULL;
	struct client_key ck;
	unsigned char digest[32];
	enum auth_result r;
	struct verif *v;
	int trusted;

	*jobp = NULL;
	if (n == 0 || hdr == NULL ||
	    auth_parse_header(hdr, user, sizeof(user), pass, sizeof(pass)) == -1)
		return AUTH_DENIED;
	for (size_t i = 0; i < n; i++)
		if (strcmp(users[i].name, user) == 0)
			u = &users[i];
	client_key_of(client, &ck);
	/* An unknown user's digest is taken with a hash of the list too, so
	 * that it is computed the same way. */
	cred_digest(a, user, pass, u ? u->hash : users[0].hash, digest);
	if (u != NULL && cache_hit(a, digest)) {
		client_trust(a, &ck);
		r = AUTH_OK;
		goto out;
	}
	/* The same credentials are being checked: wait for that answer. */
	if ((v = verif_find(a, digest)) != NULL) {
		*jobp = waiter_add(v, cb, arg);
		r = AUTH_PENDING;
		goto out;
	}
	/* Busy or not is decided before it matters whether the user exists,
	 * so that a 503 does not tell. */
	trusted = client_trusted(a, &ck);
	if (client_pending(a, &ck) >= AUTH_PER_CLIENT_MAX ||
	    a->n_jobs >= AUTH_QUEUE_MAX ||
	    (!trusted && a->n_jobs >= AUTH_QUEUE_MAX - AUTH_QUEUE_RESERVED)) {
		r = AUTH_BUSY;
		goto out;
	}
	v = xcalloc(1, sizeof(*v));
	v->a = a;
	v->client = ck;
	memcpy(v->digest, digest, sizeof(digest));
	TAILQ_INIT(&v->waiters);
	if (u == NULL) {
		/* No verification: a refusal after about the time one takes. */
		struct timeval tv = {
			.tv_sec = (time_t)(a->verify_ms / 1000),
			.tv_usec = (suseconds_t)(a->verify_ms % 1000 * 1000),
		};

		v->state = JOB_DELAYED;
		v->timer = evtimer_new(a->base, delayed_cb, v);
		if (v->timer == NULL || evtimer_add(v->timer, &tv) != 0) {
			verif_free(v);
			r = AUTH_BUSY;
			goto out;
		}
		TAILQ_INSERT_TAIL(&a->pending, v, plink);
		*jobp = waiter_add(v, cb, arg);
		r = AUTH_PENDING;
		goto out;
	}
	v->prio = trusted;
	memcpy(v->pass, pass, sizeof(v->pass));
	snprintf(v->hash, sizeof(v->hash), "%s", u->hash);
	v->state = JOB_QUEUED;
	a->n_jobs++;
	TAILQ_INSERT_TAIL(&a->pending, v, plink);
	*jobp = waiter_add(v, cb, arg);
	pthread_mutex_lock(&a->mu);
	TAILQ_INSERT_TAIL(&a->todo, v, link);
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	r = AUTH_PENDING;
out:
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(digest, sizeof(digest));
	return r;
}

/* The waiter goes; a verification nobody waits for any more is dropped
 * while still queued (a running one finishes, for the cache). */
void
auth_cancel(struct auth *a, struct auth_job *job)
{
	struct verif *v;

	if (job == NULL)
		return;
	v = job->v;
	TAILQ_REMOVE(&v->waiters, job, link);
	free(job);
	if (!TAILQ_EMPTY(&v->waiters))
		return;
	if (v->state == JOB_DELAYED) {
		TAILQ_REMOVE(&a->pending, v, plink);
		verif_free(v);
		return;
	}
	pthread_mutex_lock(&a->mu);
	if (v->state == JOB_QUEUED) {
		TAILQ_REMOVE(&a->todo, v, link);
		pthread_mutex_unlock(&a->mu);
		TAILQ_REMOVE(&a->pending, v, plink);
		a->n_jobs--;
		verif_free(v);
		return;
	}
	pthread_mutex_unlock(&a->mu);	/* running or done: comes back */
}
