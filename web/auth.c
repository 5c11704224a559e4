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

#include "daemon/log.h"
#include "daemon/util.h"

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct auth_job {
	struct auth	*a;
	enum job_state	 state;
	int		 canceled;
	int		 unknown_user;	/* verified for timing, refused */
	int		 ok;
	char		 pass[AUTH_PASS_MAX];
	char		 hash[128];
	unsigned char	 digest[32];
	auth_done_cb	 cb;
	void		*arg;
	TAILQ_ENTRY(auth_job) link;
};

TAILQ_HEAD(job_list, auth_job);

struct cache_entry {
	unsigned char	 digest[32];
	uint64_t	 expires_ms;	/* 0: free */
};

struct auth {
	struct event_base *base;
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct job_list	 todo;		/* queued and running, under mu */
	struct job_list	 done;		/* under mu */
	unsigned	 n_jobs;	/* loop side: not yet called back */
	int		 stop;
	int		 evfd;
	struct event	*ev;
	unsigned char	 salt[32];
	struct cache_entry cache[AUTH_CACHE_SIZE];
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
cache_hit(const struct auth *a, const unsigned char digest[32])
{
	uint64_t now = now_ms();
	int hit = 0;

	/* Every entry is compared, so the time does not depend on where. */
	for (size_t i = 0; i < AUTH_CACHE_SIZE; i++)
		hit |= a->cache[i].expires_ms > now &&
		    CRYPTO_memcmp(a->cache[i].digest, digest, 32) == 0;
	return hit;
}

static void
cache_add(struct auth *a, const unsigned char digest[32])
{
	uint64_t now = now_ms();
	size_t victim = 0;

	for (size_t i = 0; i < AUTH_CACHE_SIZE; i++) {
		if (a->cache[i].expires_ms > now &&
		    CRYPTO_memcmp(a->cache[i].digest, digest, 32) == 0) {
			victim = i;	/* refresh */
			break;
		}
		if (a->cache[i].expires_ms < a->cache[victim].expires_ms)
			victim = i;	/* free, expired, or oldest */
	}
	memcpy(a->cache[victim].digest, digest, 32);
	a->cache[victim].expires_ms = now + AUTH_CACHE_TTL_MS;
}

/* --- the worker -------------------------------------------------------- */

static void *
worker(void *arg)
{
	struct auth *a = arg;
	struct auth_job *job;
	uint64_t one = 1;
	ssize_t w;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->stop && ((job = TAILQ_FIRST(&a->todo)) == NULL ||
		    job->state != JOB_QUEUED))
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->stop)
			break;
		job->state = JOB_RUNNING;
		pthread_mutex_unlock(&a->mu);
		job->ok = auth_verify_password(job->pass, job->hash) &&
		    !job->unknown_user;
		explicit_bzero(job->pass, sizeof(job->pass));
		pthread_mutex_lock(&a->mu);
		TAILQ_REMOVE(&a->todo, job, link);
		job->state = JOB_DONE;
		TAILQ_INSERT_TAIL(&a->done, job, link);
		do
			w = write(a->evfd, &one, sizeof(one));
		while (w == -1 && errno == EINTR);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

static void
job_free(struct auth_job *job)
{
	explicit_bzero(job, sizeof(*job));
	free(job);
}

/* On the loop: the worker finished jobs. */
static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct auth *a = arg;
	struct job_list batch;
	struct auth_job *job;
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		log_warn("auth_eventfd", "msg=\"%s\"", strerror(errno));
	TAILQ_INIT(&batch);
	pthread_mutex_lock(&a->mu);
	TAILQ_CONCAT(&batch, &a->done, link);
	pthread_mutex_unlock(&a->mu);
	while ((job = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, job, link);
		if (!job->canceled) {
			a->n_jobs--;
			if (job->ok)
				cache_add(a, job->digest);
			job->cb(job->ok, job->arg);
		}
		job_free(job);
	}
}

struct auth *
auth_new(struct event_base *base, char *err, size_t errlen)
{
	struct auth *a = xcalloc(1, sizeof(*a));
	int rc;

	a->base = base;
	TAILQ_INIT(&a->todo);
	TAILQ_INIT(&a->done);
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
auth_free(struct auth *a)
{
	struct auth_job *job;

	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	while ((job = TAILQ_FIRST(&a->todo)) != NULL) {
		TAILQ_REMOVE(&a->todo, job, link);
		job_free(job);
	}
	while ((job = TAILQ_FIRST(&a->done)) != NULL) {
		TAILQ_REMOVE(&a->done, job, link);
		job_free(job);
	}
	event_free(a->ev);
	close(a->evfd);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

enum auth_result
auth_check(struct auth *a, const struct auth_user *users, size_t n,
    const char *hdr, auth_done_cb cb, void *arg, struct auth_job **jobp)
{
	char user[AUTH_USER_MAX], pass[AUTH_PASS_MAX];
	const struct auth_user *u = NULL;
	struct auth_job *job;
	unsigned char digest[32];
	enum auth_result r;

	*jobp = NULL;
	if (n == 0 || hdr == NULL ||
	    auth_parse_header(hdr, user, sizeof(user), pass, sizeof(pass)) == -1)
		return AUTH_DENIED;
	for (size_t i = 0; i < n; i++)
		if (strcmp(users[i].name, user) == 0)
			u = &users[i];
	cred_digest(a, user, pass, u ? u->hash : users[0].hash, digest);
	if (u != NULL && cache_hit(a, digest)) {
		r = AUTH_OK;
		goto out;
	}
	if (a->n_jobs >= AUTH_QUEUE_MAX) {
		r = AUTH_BUSY;
		goto out;
	}
	job = xcalloc(1, sizeof(*job));
	job->a = a;
	job->unknown_user = u == NULL;
	memcpy(job->pass, pass, sizeof(job->pass));
	snprintf(job->hash, sizeof(job->hash), "%s",
	    u ? u->hash : users[0].hash);
	memcpy(job->digest, digest, sizeof(digest));
	job->cb = cb;
	job->arg = arg;
	job->state = JOB_QUEUED;
	a->n_jobs++;
	pthread_mutex_lock(&a->mu);
	TAILQ_INSERT_TAIL(&a->todo, job, link);
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	*jobp = job;
	r = AUTH_PENDING;
out:
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(digest, sizeof(digest));
	return r;
}

void
auth_cancel(struct auth *a, struct auth_job *job)
{
	if (job == NULL || job->canceled)
		return;
	a->n_jobs--;
	pthread_mutex_lock(&a->mu);
	if (job->state == JOB_QUEUED) {
		TAILQ_REMOVE(&a->todo, job, link);
		pthread_mutex_unlock(&a->mu);
		job_free(job);
		return;
	}
	job->canceled = 1;	/* freed when it comes back */
	pthread_mutex_unlock(&a->mu);
}
