/* The floor of `make bench`: the least a client can do for one SMTP STARTTLS
 * probe with certificate verification, with no exporter around it.
 *
 *   floor -t TARGETS -n N -c C -a CA_FILE [-w TIMEOUT_S] [-r]
 *
 * TARGETS has one "name address port" line per target; probe i goes to
 * line i mod lines.  C connections are kept in flight, N probes in all.
 * Each probe: connect, 220 banner, EHLO, 250 with STARTTLS, STARTTLS, 220,
 * TLS handshake (SNI = name), chain verification against CA_FILE (the
 * handshake's own result, as the exporter reads it) and a host name check,
 * QUIT over TLS, 221, close.  Plain epoll and non-blocking OpenSSL, one
 * thread.  Prints one line: "probes=N ok=N failed=N wall_s=X
 * release_buffers=0|1" and, for
 * every failure, a line on stderr.  No DNS: addresses come from TARGETS.
 *
 * The TLS context is set up as the exporter's (collectors/tls.c): security
 * level 0, DEFAULT:@SECLEVEL=0, no session cache, no tickets, verification
 * after the handshake; with -r also SSL_MODE_RELEASE_BUFFERS, as the
 * exporter sets it (make bench passes -r). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define LINE_MAX_IN 4096

enum st { ST_CONNECT, ST_BANNER, ST_EHLO, ST_STARTTLS, ST_HANDSHAKE, ST_QUIT };

struct target {
	char			 name[128];
	struct sockaddr_in	 sin;
};

struct conn {
	int		 fd;
	enum st		 st;
	SSL		*ssl;
	const struct target *t;
	int		 starttls_seen;
	size_t		 len;
	double		 deadline;
	char		 in[LINE_MAX_IN];
};

static SSL_CTX *ctx;
static struct target *targets;
static size_t n_targets;
static long started, done_ok, done_fail, total;
static int epfd;
static double timeout_s = 10;
static int release_buffers;	/* -r: SSL_MODE_RELEASE_BUFFERS */
static struct conn **freed;	/* slots whose probe ended, to refill */
static size_t n_freed;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
finish(struct conn *c, const char *why)
{
	if (why != NULL) {
		done_fail++;
		fprintf(stderr, "floor: %s: %s (state %d)\n", c->t->name, why,
		    (int)c->st);
	} else
		done_ok++;
	if (c->ssl)
		SSL_free(c->ssl);
	close(c->fd);		/* also leaves the epoll set */
	c->fd = -1;
	c->ssl = NULL;
	freed[n_freed++] = c;
}

static int
start(struct conn *c)
{
	struct epoll_event ev;

	memset(c, 0, offsetof(struct conn, in));
	c->t = &targets[(size_t)started % n_targets];
	started++;
	c->deadline = now() + timeout_s;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		perror("floor: socket");
		exit(1);
	}
	c->st = ST_CONNECT;
	if (connect(c->fd, (struct sockaddr *)&c->t->sin, sizeof(c->t->sin)) == -1 &&
	    errno != EINPROGRESS) {
		finish(c, strerror(errno));
		return -1;
	}
	ev.events = EPOLLOUT;
	ev.data.ptr = c;
	epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

static void
want(struct conn *c, unsigned events)
{
	struct epoll_event ev;

	ev.events = events;
	ev.data.ptr = c;
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Sends a short command; on loopback it always fits the socket buffer. */
static int
send_line(struct conn *c, const char *s)
{
	size_t n = strlen(s);

	if (c->ssl)
		return SSL_write(c->ssl, s, (int)n) == (int)n ? 0 : -1;
	return write(c->fd, s, n) == (ssize_t)n ? 0 : -1;
}

static void
handshake(struct conn *c)
{
	int r = SSL_connect(c->ssl), e;
	X509 *leaf;

	if (r != 1) {
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			want(c, EPOLLIN);
		else if (e == SSL_ERROR_WANT_WRITE)
			want(c, EPOLLOUT);
		else {
			ERR_clear_error();
			finish(c, "tls handshake");
		}
		return;
	}
	leaf = SSL_get0_peer_certificate(c->ssl);
	if (leaf == NULL || SSL_get_verify_result(c->ssl) != X509_V_OK ||
	    X509_check_host(leaf, c->t->name, strlen(c->t->name),
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) != 1) {
		finish(c, "certificate does not verify");
		return;
	}
	c->st = ST_QUIT;
	c->len = 0;
	want(c, EPOLLIN);
	if (send_line(c, "QUIT\r\n") == -1)
		finish(c, "write QUIT");
}

/* One complete reply line (without CRLF). */
static void
line(struct conn *c, const char *l, size_t n)
{
	int code, last;

	if (n < 3) {
		finish(c, "short line");
		return;
	}
	code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
	last = n == 3 || l[3] == ' ';
	if (c->st == ST_EHLO && n >= 12 && strncasecmp(l + 4, "STARTTLS", 8) == 0)
		c->starttls_seen = 1;
	if (!last)
		return;
	switch (c->st) {
	case ST_BANNER:
		if (code != 220 || send_line(c, "EHLO floor.bench.test\r\n") == -1) {
			finish(c, "banner");
			return;
		}
		c->st = ST_EHLO;
		return;
	case ST_EHLO:
		if (code != 250 || !c->starttls_seen ||
		    send_line(c, "STARTTLS\r\n") == -1) {
			finish(c, "ehlo");
			return;
		}
		c->st = ST_STARTTLS;
		return;
	case ST_STARTTLS:
		if (code != 220) {
			finish(c, "starttls");
			return;
		}
		/* readable() starts the handshake once the lines are done. */
		c->st = ST_HANDSHAKE;
		c->ssl = SSL_new(ctx);
		SSL_set_fd(c->ssl, c->fd);
		SSL_set_tlsext_host_name(c->ssl, c->t->name);
		return;
	case ST_QUIT:
		if (code != 221)
			fprintf(stderr, "floor: QUIT answered: %.*s\n", (int)n, l);
		finish(c, code == 221 ? NULL : "quit");
		return;
	default:
		finish(c, "unexpected reply");
	}
}

static void
readable(struct conn *c)
{
	for (;;) {
		ssize_t n;
		char *p, *nl;

		if (c->st == ST_HANDSHAKE) {
			handshake(c);
			return;
		}
		if (c->len == sizeof(c->in)) {
			finish(c, "line too long");
			return;
		}
		if (c->ssl) {
			int r = SSL_read(c->ssl, c->in + c->len,
			    (int)(sizeof(c->in) - c->len));

			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);

				if (e == SSL_ERROR_WANT_READ)
					return;
				ERR_clear_error();
				finish(c, "tls read");
				return;
			}
			n = r;
		} else {
			n = read(c->fd, c->in + c->len, sizeof(c->in) - c->len);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n <= 0) {
				finish(c, n == 0 ? "closed" : strerror(errno));
				return;
			}
		}
		c->len += (size_t)n;
		p = c->in;
		while (c->fd != -1 && c->st != ST_HANDSHAKE &&
		    (nl = memchr(p, '\n', c->len - (size_t)(p - c->in))) != NULL) {
			size_t ln = (size_t)(nl - p);

			if (ln > 0 && p[ln - 1] == '\r')
				ln--;
			line(c, p, ln);
			p = nl + 1;
		}
		if (c->fd == -1)
			return;
		memmove(c->in, p, c->len - (size_t)(p - c->in));
		c->len -= (size_t)(p - c->in);
		if (c->st == ST_HANDSHAKE && c->len > 0) {
			finish(c, "data before the handshake");
			return;
		}
	}
}

static void
event(struct conn *c, unsigned ev)
{
	if (c->st == ST_CONNECT) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err || (ev & (EPOLLERR | EPOLLHUP))) {
			finish(c, err ? strerror(err) : "connect");
			return;
		}
		c->st = ST_BANNER;
		want(c, EPOLLIN);
		return;
	}
	if (c->st == ST_HANDSHAKE) {
		handshake(c);
		if (c->fd == -1 || c->st == ST_HANDSHAKE)
			return;
	}
	readable(c);
}

static void
load_targets(const char *path)
{
	FILE *f = fopen(path, "r");
	char name[128], addr[64];
	unsigned port;
	size_t cap = 0;

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	while (fscanf(f, "%127s %63s %u", name, addr, &port) == 3) {
		struct target *t;

		if (n_targets == cap) {
			cap = cap ? cap * 2 : 1024;
			targets = realloc(targets, cap * sizeof(*targets));
			if (targets == NULL)
				exit(1);
		}
		t = &targets[n_targets++];
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s", name);
		t->sin.sin_family = AF_INET;
		t->sin.sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, addr, &t->sin.sin_addr) != 1) {
			fprintf(stderr, "floor: bad address %s\n", addr);
			exit(2);
		}
	}
	fclose(f);
	if (n_targets == 0) {
		fprintf(stderr, "floor: no targets in %s\n", path);
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	const char *tfile = NULL, *ca = NULL;
	struct epoll_event evs[256];
	struct conn *conns;
	long conc = 256;
	double t0, last_sweep;
	int ch;

	while ((ch = getopt(argc, argv, "t:n:c:a:w:r")) != -1) {
		switch (ch) {
		case 'r': release_buffers = 1; break;
		case 't': tfile = optarg; break;
		case 'n': total = atol(optarg); break;
		case 'c': conc = atol(optarg); break;
		case 'a': ca = optarg; break;
		case 'w': timeout_s = atof(optarg); break;
		default:
			fprintf(stderr, "usage: floor -t TARGETS -n N -c C -a CA [-w S] [-r]\n");
			return 2;
		}
	}
	if (tfile == NULL || ca == NULL || total <= 0 || conc <= 0) {
		fprintf(stderr, "usage: floor -t TARGETS -n N -c C -a CA [-w S] [-r]\n");
		return 2;
	}
	load_targets(tfile);
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
	if (release_buffers)	/* as the exporter does (collectors/tls.c) */
		SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		fprintf(stderr, "floor: cannot load %s\n", ca);
		return 2;
	}
	if (conc > total)
		conc = total;
	conns = calloc((size_t)conc, sizeof(*conns));
	freed = calloc((size_t)conc, sizeof(*freed));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	t0 = last_sweep = now();
	for (long i = 0; i < conc; i++)
		start(&conns[i]);
	while (done_ok + done_fail < total) {
		int n = epoll_wait(epfd, evs, 256, 100);
		double t;

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->fd == -1)
				continue;
			event(c, evs[i].events);
		}
		/* Time out the stuck ones (every 0.1 s); refill the slots
		 * that finished. */
		if (n == 0 || (t = now()) - last_sweep >= 0.1) {
			t = now();
			for (long i = 0; i < conc; i++)
				if (conns[i].fd != -1 && t > conns[i].deadline)
					finish(&conns[i], "timeout");
			last_sweep = t;
		}
		while (n_freed > 0 && started < total)
			start(freed[--n_freed]);
		if (started >= total)
			n_freed = 0;
	}
	printf("probes=%ld ok=%ld failed=%ld wall_s=%.3f release_buffers=%d\n",
	    total, done_ok, done_fail, now() - t0, release_buffers);
	fflush(stdout);
	SSL_CTX_free(ctx);
	free(conns);
	free(targets);
	return done_fail ? 1 : 0;
}
