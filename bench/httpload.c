/* HTTP load driver of `make bench`: keeps C GET requests in flight.
 *
 *   httpload -h HOST -p PORT -c C -n N -u URL_TEMPLATE [-e EXPECT] [-d SECS]
 *            [-i SECS] [-w TIMEOUT_S] [-l LATENCY_FILE]
 *
 * URL_TEMPLATE may hold one "%ld": request i gets i mod M, where M is -m
 * (default N), e.g. "/probe?module=smtp_starttls&target=t%ld.bench.test:25".
 * N requests in all, or, with -d, as many as fit in SECS seconds (each of
 * the C clients sends its next request when the last one is answered, or
 * with -i, at most one request every SECS, all C clients at the same
 * instants, as C Prometheus servers scraping one target would).
 * A request fails unless the answer is 200 and, with -e, its body holds
 * EXPECT.  HTTP/1.0, one connection per request, the body ends at EOF.
 * Bodies are looked through as they arrive and not kept (a scrape of
 * 10,000 endpoints is 10s of MB: keeping them would make this driver's
 * memory traffic part of the latency it measures).
 * Prints one line: "requests=N ok=N failed=N wall_s=X bytes=N p50_ms=X
 * p90_ms=X p99_ms=X max_ms=X" (latency from connect to the last byte), and
 * with -l writes every latency (ms) to LATENCY_FILE.  Plain epoll, one
 * thread, so its own CPU stays small and apart from the server's. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct req {
	int		 fd;
	int		 connected;
	double		 t0;
	double		 next;		/* -i: not before this */
	char		 out[512];
	size_t		 out_len, out_off;
	char		 head[4096];	/* the first bytes: status line, headers */
	size_t		 head_len;
	size_t		 in_len;	/* bytes received */
	char		 carry[256];	/* the end of the last read, for EXPECT */
	size_t		 carry_len;
	int		 found;		/* EXPECT seen */
};

static char rbuf[256 + 262144];

static struct sockaddr_in sa;
static const char *tmpl, *expect, *host = "127.0.0.1";
static int gzip_asked;		/* -z: Accept-Encoding: gzip */
static long total, modulo, started, ok, failed, conc = 4;
static double duration, timeout_s = 30, t_start, pace;
static double *lat;
static size_t n_lat, cap_lat;
static unsigned long long bytes;
static int epfd;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
more_to_start(void)
{
	if (duration > 0)
		return now() - t_start < duration;
	return started < total;
}

static void
begin(struct req *r)
{
	struct epoll_event ev;
	char url[400];

	snprintf(url, sizeof(url), tmpl, started % modulo);
	started++;
	r->out_len = (size_t)snprintf(r->out, sizeof(r->out),
	    "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: mailsec-bench\r\n%s\r\n",
	    url, host, gzip_asked ? "Accept-Encoding: gzip\r\n" : "");
	r->out_off = 0;
	r->in_len = r->head_len = r->carry_len = 0;
	r->found = 0;
	r->connected = 0;
	r->t0 = now();
	/* The next request's start: on the same grid as the others, unless
	 * this one started a whole period late. */
	if (pace > 0)
		r->next = r->t0 - r->next < pace ? r->next + pace : r->t0 + pace;
	r->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd == -1) {
		perror("httpload: socket");
		exit(1);
	}
	if (connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 &&
	    errno != EINPROGRESS) {
		perror("httpload: connect");
		exit(1);
	}
	ev.events = EPOLLOUT;
	ev.data.ptr = r;
	epoll_ctl(epfd, EPOLL_CTL_ADD, r->fd, &ev);
}

static void
end(struct req *r, const char *why)
{
	double ms = (now() - r->t0) * 1000;

	close(r->fd);
	r->fd = -1;
	if (why == NULL) {
		const char *body;
		int status = 0;

		r->head[r->head_len < sizeof(r->head) ? r->head_len :
		    sizeof(r->head) - 1] = '\0';
		if (sscanf(r->head, "HTTP/%*s %d", &status) != 1 || status != 200)
			why = "status not 200";
		else if ((body = strstr(r->head, "\r\n\r\n")) == NULL)
			why = "no header end";
		else if (expect && !r->found)
			why = "body lacks the expected text";
	}
	if (why) {
		failed++;
		if (failed <= 20) {
			fprintf(stderr, "httpload: request failed: %s\n", why);
			if (r->head_len)
				fprintf(stderr, "%.600s\n", r->head);
		}
	} else
		ok++;
	bytes += r->in_len;
	if (n_lat == cap_lat) {
		cap_lat = cap_lat ? cap_lat * 2 : 4096;
		lat = realloc(lat, cap_lat * sizeof(*lat));
		if (lat == NULL)
			exit(1);
	}
	lat[n_lat++] = ms;
}

static void
step(struct req *r)
{
	struct epoll_event ev;

	if (!r->connected) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			end(r, strerror(err));
			return;
		}
		r->connected = 1;
	}
	while (r->out_off < r->out_len) {
		ssize_t n = write(r->fd, r->out + r->out_off,
		    r->out_len - r->out_off);

		if (n == -1) {
			if (errno == EAGAIN)
				return;
			end(r, strerror(errno));
			return;
		}
		r->out_off += (size_t)n;
		if (r->out_off == r->out_len) {
			ev.events = EPOLLIN;
			ev.data.ptr = r;
			epoll_ctl(epfd, EPOLL_CTL_MOD, r->fd, &ev);
			return;
		}
	}
	for (;;) {
		ssize_t n;

		/* The end of the last read goes first, so that EXPECT is found
		 * across two reads. */
		memcpy(rbuf, r->carry, r->carry_len);
		n = read(r->fd, rbuf + r->carry_len, sizeof(rbuf) - 256);
		if (n > 0) {
			size_t have = r->carry_len + (size_t)n, keep;
			const char *data = rbuf + r->carry_len;

			if (r->head_len < sizeof(r->head) - 1) {
				size_t k = sizeof(r->head) - 1 - r->head_len;

				if (k > (size_t)n)
					k = (size_t)n;
				memcpy(r->head + r->head_len, data, k);
				r->head_len += k;
			}
			r->in_len += (size_t)n;
			if (expect && !r->found &&
			    memmem(rbuf, have, expect, strlen(expect)) != NULL)
				r->found = 1;
			keep = expect ? strlen(expect) - 1 : 0;
			if (keep > sizeof(r->carry))
				keep = sizeof(r->carry);
			if (keep > have)
				keep = have;
			memcpy(r->carry, rbuf + have - keep, keep);
			r->carry_len = keep;
			continue;
		}
		if (n == 0) {
			end(r, NULL);
			return;
		}
		if (errno == EAGAIN)
			return;
		end(r, strerror(errno));
		return;
	}
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double p)
{
	size_t i;

	if (n_lat == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)n_lat + 0.999999);
	if (i < 1)
		i = 1;
	if (i > n_lat)
		i = n_lat;
	return lat[i - 1];
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[64];
	const char *latfile = NULL;
	struct req *reqs;
	long port = 0;
	double t_end;
	int ch;

	while ((ch = getopt(argc, argv, "h:p:c:n:m:u:e:d:i:w:l:z")) != -1) {
		switch (ch) {
		case 'h': host = optarg; break;
		case 'p': port = atol(optarg); break;
		case 'c': conc = atol(optarg); break;
		case 'n': total = atol(optarg); break;
		case 'm': modulo = atol(optarg); break;
		case 'u': tmpl = optarg; break;
		case 'e':
			expect = optarg;
			if (*expect == '\0' || strlen(expect) > 256) {
				fprintf(stderr, "httpload: -e: 1 to 256 bytes\n");
				return 2;
			}
			break;
		case 'd': duration = atof(optarg); break;
		case 'i': pace = atof(optarg); break;
		case 'w': timeout_s = atof(optarg); break;
		case 'l': latfile = optarg; break;
		case 'z': gzip_asked = 1; break;
		default:
			fprintf(stderr, "usage: httpload -h HOST -p PORT -c C "
			    "-n N|-d SECS -u URL [-m M] [-e EXPECT] [-w S] [-l FILE] [-z]\n");
			return 2;
		}
	}
	if (tmpl == NULL || port <= 0 || conc <= 0 ||
	    (total <= 0 && duration <= 0)) {
		fprintf(stderr, "httpload: -p, -u and -n or -d are needed\n");
		return 2;
	}
	if (modulo <= 0)
		modulo = total > 0 ? total : 1;
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "httpload: -h takes an IPv4 address\n");
		return 2;
	}
	if (total > 0 && conc > total)
		conc = total;
	reqs = calloc((size_t)conc, sizeof(*reqs));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	t_start = now();
	for (long i = 0; i < conc; i++) {
		reqs[i].fd = -1;
		reqs[i].next = t_start;
		if (more_to_start())
			begin(&reqs[i]);
	}
	for (;;) {
		int n = epoll_wait(epfd, evs, 64, pace > 0 ? 5 : 100), active = 0;
		double t = now();

		for (int i = 0; i < n; i++) {
			struct req *r = evs[i].data.ptr;

			if (r->fd != -1)
				step(r);
		}
		for (long i = 0; i < conc; i++) {
			struct req *r = &reqs[i];

			if (r->fd != -1 && t - r->t0 > timeout_s)
				end(r, "timeout");
			if (r->fd == -1 && more_to_start() && (pace <= 0 || t >= r->next))
				begin(r);
			active += r->fd != -1 || (pace > 0 && more_to_start());
		}
		if (active == 0)
			break;
	}
	t_end = now();
	qsort(lat, n_lat, sizeof(*lat), cmp);
	printf("requests=%ld ok=%ld failed=%ld wall_s=%.3f bytes=%llu "
	    "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
	    ok + failed, ok, failed, t_end - t_start, bytes, pct(50), pct(90),
	    pct(99), n_lat ? lat[n_lat - 1] : 0.0);
	if (latfile) {
		FILE *f = fopen(latfile, "w");

		for (size_t i = 0; f && i < n_lat; i++)
			fprintf(f, "%.3f\n", lat[i]);
		if (f)
			fclose(f);
	}
	return failed ? 1 : 0;
}
