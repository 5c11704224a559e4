#include "collectors/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "base/util.h"

/* First size of the input buffer.  A buffer of IO_INPUT_MAX for every
 * connection would cost 64 KiB each with thousands in flight, and glibc
 * consolidates its free lists on every free() of a chunk that large.  The
 * buffer is made by the first read and freed whenever all of it has been
 * read (io_release_input): a connection waiting on its peer, or in its TLS
 * handshake, holds none. */
#define IO_INPUT_INIT	2048

struct io {
	struct event_base *base;
	io_callback	 cb;
	void		*arg;
	int		 fd;
	SSL		*ssl;
	struct event	*ev_read;
	struct event	*ev_write;
	struct event	*ev_timeout;
	unsigned	 timeout_ms;
	char		 error[160];
	int		 err;		/* errno of the last socket error */
	struct io_tls_fail tls_fail;
	char		*in;		/* input, [in_off, in_len) unread;
					 * NULL when none is held */
	size_t		 in_off, in_len;
	size_t		 in_cap;	/* allocated (plus 1), <= IO_INPUT_MAX;
					 * 0 with in NULL */
	struct buf	 out;
	size_t		 out_off;
	int		 connecting;
	int		 handshaking;
	int		 closed;
	int		 in_callback;
	int		 free_pending;
	int		 line_consumed;	/* bytes of the last io_getline() */
};

static void io_dispatch(struct io *io, enum io_event ev);
static void io_reload(struct io *io);
static void io_leave(struct io *io);

static void
io_set_error(struct io *io, const char *what, int err)
{
	snprintf(io->error, sizeof(io->error), "%s: %s", what, strerror(err));
	io->err = err;
}

/* A socket error or an EOF under TLS: an IO_TLSERROR with its errno (0
 * for the EOF). */
static void
io_set_tls_sys_error(struct io *io, const char *what, int err)
{
	if (err != 0)
		io_set_error(io, what, err);
	else
		snprintf(io->error, sizeof(io->error),
		    "%s: connection closed by peer", what);
	io->err = 0;
	io->tls_fail.err = err;
	io->tls_fail.eof = err == 0;
}

/* OpenSSL's reasons for a reply that is not TLS at all: plain text, an
 * HTTP answer, bytes that cannot be a record header. */
static int
io_not_tls(unsigned long e)
{
	if (ERR_GET_LIB(e) != ERR_LIB_SSL)
		return 0;
	switch (ERR_GET_REASON(e)) {
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
		return 1;
	default:
		return 0;
	}
}

/* Keeps the first OpenSSL error in the queue: it names the cause, later
 * entries are consequences. */
static void
io_set_tls_error(struct io *io, const char *what)
{
	unsigned long e = ERR_get_error();
	char msg[120];

	io->err = 0;
	io->tls_fail.not_tls = io_not_tls(e);
	/* OpenSSL 3 reports an EOF in the handshake as an error (and "sends"
	 * decode_error into the closed connection): a close. */
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		io->tls_fail.eof = 1;
	if (e == 0) {
		snprintf(io->error, sizeof(io->error), "%s", what);
	} else {
		ERR_error_string_n(e, msg, sizeof(msg));
		snprintf(io->error, sizeof(io->error), "%s: %s", what, msg);
	}
	ERR_clear_error();
}

static void
io_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	io_dispatch(arg, IO_TIMEOUT);
}

static void
io_touch(struct io *io)
{
	struct timeval tv;

	if (io->timeout_ms == 0) {
		evtimer_del(io->ev_timeout);
		return;
	}
	tv.tv_sec = io->timeout_ms / 1000;
	tv.tv_usec = (io->timeout_ms % 1000) * 1000;
	evtimer_add(io->ev_timeout, &tv);
}

static void
io_really_free(struct io *io)
{
	if (io->ssl)
		SSL_free(io->ssl);
	if (io->fd != -1)
		close(io->fd);
	/* No read/write events when socket() failed (EMFILE): libevent's
	 * event_free() does not take NULL. */
	if (io->ev_read)
		event_free(io->ev_read);
	if (io->ev_write)
		event_free(io->ev_write);
	event_free(io->ev_timeout);
	free(io->in);
	buf_free(&io->out);
	free(io);
}

static void
io_dispatch(struct io *io, enum io_event ev)
{
	io->in_callback++;
	io->cb(io, ev, io->arg);
	io->in_callback--;
	if (io->in_callback == 0)
		io_leave(io);
}

/* Reads what the socket has into the input buffer.  Returns 1 if data
 * arrived, 0 if none, -1 after dispatching a close or an error. */
static int
io_fill(struct io *io)
{
	int got = 0;

	for (;;) {
		ssize_t n;
		size_t room;

		if (io->in == NULL) {
			io->in_cap = IO_INPUT_INIT;
			io->in = xmalloc(io->in_cap + 1);
		}
		if (io->in_off > 0 && io->in_off == io->in_len)
			io->in_off = io->in_len = 0;
		if (io->in_len == io->in_cap && io->in_off > 0) {
			memmove(io->in, io->in + io->in_off,
			    io->in_len - io->in_off);
			io->in_len -= io->in_off;
			io->in_off = 0;
		}
		/* The buffer starts small (replies are short) and grows up
		 * to IO_INPUT_MAX as input needs it. */
		if (io->in_len == io->in_cap && io->in_cap < IO_INPUT_MAX) {
			io->in_cap = io->in_cap * 2 < IO_INPUT_MAX ?
			    io->in_cap * 2 : IO_INPUT_MAX;
			io->in = xreallocarray(io->in, io->in_cap + 1, 1);
		}
		room = io->in_cap - io->in_len;
		if (room == 0)
			return got;	/* the reader decides whether that is too long */
		if (io->ssl) {
			int r, e;

			ERR_clear_error();
			errno = 0;
			r = SSL_read(io->ssl, io->in + io->in_len, (int)room);
			if (r > 0) {
				io->in_len += (size_t)r;
				got = 1;
				continue;
			}
			e = SSL_get_error(io->ssl, r);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return got;
			if (e == SSL_ERROR_ZERO_RETURN) {
				io->closed = 1;
				return got;
			}
			if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
				if (errno != 0) {	/* a reset, not a close */
					io_set_error(io, "tls read", errno);
					io_dispatch(io, IO_ERROR);
					return -1;
				}
				/* EOF without close_notify: a closed connection */
				io->closed = 1;
				return got;
			}
			io_set_tls_error(io, "tls read");
			io_dispatch(io, IO_TLSERROR);
			return -1;
		}
		n = read(io->fd, io->in + io->in_len, room);
		if (n > 0) {
			io->in_len += (size_t)n;
			got = 1;
			continue;
		}
		if (n == 0) {
			io->closed = 1;
			return got;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return got;
		io_set_error(io, "read", errno);
		io_dispatch(io, IO_ERROR);
		return -1;
	}
}

/* Writes queued output.  Returns 1 when drained, 0 when blocked, -1 after
 * dispatching an error. */
static int
io_flush(struct io *io)
{
	while (io->out_off < io->out.len) {
		size_t left = io->out.len - io->out_off;
		ssize_t n;

		if (io->ssl) {
			int r, e;

			ERR_clear_error();
			r = SSL_write(io->ssl, io->out.data + io->out_off,
			    (int)left);
			if (r > 0) {
				io->out_off += (size_t)r;
				continue;
			}
			e = SSL_get_error(io->ssl, r);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return 0;
			io_set_tls_error(io, "tls write");
			io_dispatch(io, IO_TLSERROR);
			return -1;
		}
		n = write(io->fd, io->out.data + io->out_off, left);
		if (n >= 0) {
			io->out_off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		io_set_error(io, "write", errno);
		io_dispatch(io, IO_ERROR);
		return -1;
	}
	buf_reset(&io->out);
	io->out_off = 0;
	return 1;
}

static void
io_handshake(struct io *io)
{
	int r, e;

	ERR_clear_error();
	errno = 0;
	r = SSL_connect(io->ssl);
	if (r == 1) {
		io->handshaking = 0;
		io_dispatch(io, IO_TLSREADY);
		return;
	}
	e = SSL_get_error(io->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		event_del(io->ev_write);
		if (e == SSL_ERROR_WANT_WRITE)
			event_add(io->ev_write, NULL);
		return;
	}
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
		/* A socket error (errno says which: a reset) or an EOF. */
		io_set_tls_sys_error(io, "tls handshake", errno);
		io_dispatch(io, IO_TLSERROR);
		return;
	}
	io_set_tls_error(io, "tls handshake");
	io_dispatch(io, IO_TLSERROR);
}

static void
io_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct io *io = arg;
	int r;

	(void)fd;
	io->in_callback++;	/* hold off a free until this event is done */
	if (io->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		io->connecting = 0;
		event_del(io->ev_write);
		if (err) {
			io_set_error(io, "connect", err);
			io_dispatch(io, IO_ERROR);
		} else {
			event_add(io->ev_read, NULL);
			io_dispatch(io, IO_CONNECTED);
		}
		goto done;
	}
	if (io->handshaking) {
		io_handshake(io);
		goto done;
	}
	if (what & EV_WRITE) {
		if ((r = io_flush(io)) == -1 || io->free_pending)
			goto done;
		if (r == 1) {
			event_del(io->ev_write);
			io_dispatch(io, IO_LOWAT);
			if (io->free_pending)
				goto done;
		}
	}
	if (what & EV_READ) {
		r = io_fill(io);
		if (r == -1 || io->free_pending)
			goto done;
		if (r == 1) {
			io_dispatch(io, IO_DATAIN);
			if (io->free_pending)
				goto done;
		}
		if (io->closed) {
			event_del(io->ev_read);
			io_dispatch(io, IO_DISCONNECTED);
		}
	}
done:
	io->in_callback--;
	if (io->in_callback == 0)
		io_leave(io);
}

/* Where the loop has priorities (event_base_priority_init), probe I/O takes
 * the lowest: with hundreds of probes in flight one pass of the loop runs
 * hundreds of handshake steps, and the HTTP listener and the timers should
 * not wait behind them.  With a single priority this changes nothing.
 * (The HTTPS fetches' sockets take it too: io.h.) */
void
io_lowest_priority(struct event *ev)
{
	int n = event_base_get_npriorities(event_get_base(ev));

	if (n > 1)
		event_priority_set(ev, n - 1);
}

struct io *
io_new(struct event_base *base, io_callback cb, void *arg)
{
	struct io *io = xcalloc(1, sizeof(*io));

	io->base = base;
	io->cb = cb;
	io->arg = arg;
	io->fd = -1;
	io->tls_fail.alert_received = io->tls_fail.alert_sent = -1;
	buf_init(&io->out);
	io->ev_timeout = evtimer_new(base, io_timeout_cb, io);
	io_lowest_priority(io->ev_timeout);
	return io;
}

void
io_free(struct io *io)
{
	if (io == NULL)
		return;
	if (io->ev_read)
		event_del(io->ev_read);
	if (io->ev_write)
		event_del(io->ev_write);
	evtimer_del(io->ev_timeout);
	if (io->in_callback) {
		io->free_pending = 1;
		return;
	}
	io_really_free(io);
}

int
io_connect(struct io *io, const struct sockaddr *sa, socklen_t salen)
{
	int fd;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		io_set_error(io, "socket", errno);
		return -1;
	}
	io->fd = fd;
	io->ev_read = event_new(io->base, fd, EV_READ | EV_PERSIST,
	    io_event_cb, io);
	io->ev_write = event_new(io->base, fd, EV_WRITE | EV_PERSIST,
	    io_event_cb, io);
	io_lowest_priority(io->ev_read);
	io_lowest_priority(io->ev_write);
	if (connect(fd, sa, salen) == -1 && errno != EINPROGRESS) {
		io_set_error(io, "connect", errno);
		return -1;
	}
	io->connecting = 1;
	event_add(io->ev_write, NULL);
	return 0;
}

void
io_set_timeout(struct io *io, unsigned ms)
{
	io->timeout_ms = ms;
	io_touch(io);
}

static void
io_reload(struct io *io)
{
	if (io->fd == -1 || io->connecting || io->handshaking)
		return;
	/* Inside our callback the output goes when it returns: io_leave(). */
	if (io->in_callback)
		return;
	if (io->out_off < io->out.len)
		event_add(io->ev_write, NULL);
}

/* Input that has all been read goes back to the heap: the next read makes
 * a new buffer.  Between the few replies of a probe a connection mostly
 * waits (on the peer, in the handshake), and hundreds do at once. */
static void
io_release_input(struct io *io)
{
	if (io->in == NULL || io->in_off != io->in_len)
		return;
	free(io->in);
	io->in = NULL;
	io->in_off = io->in_len = io->in_cap = 0;
}

/* The outermost callback of ours has returned.  What it queued is written
 * now, in one go: the socket nearly always takes a command line at once,
 * which saves arming the write event, a wakeup and disarming it again.
 * Only what does not fit waits for the write event, as before. */
static void
io_leave(struct io *io)
{
	int r;

	if (!io->free_pending && io->fd != -1 && !io->connecting &&
	    !io->handshaking && io->out_off < io->out.len &&
	    !event_pending(io->ev_write, EV_WRITE, NULL)) {
		io->in_callback++;
		r = io_flush(io);	/* dispatches its own errors */
		if (r == 1 && !io->free_pending)
			io_dispatch(io, IO_LOWAT);
		io->in_callback--;
		if (!io->free_pending && io->fd != -1 && !io->connecting &&
		    !io->handshaking && io->out_off < io->out.len)
			event_add(io->ev_write, NULL);
	}
	if (io->free_pending)
		io_really_free(io);
	else
		io_release_input(io);
}

void
io_write(struct io *io, const void *data, size_t len)
{
	buf_append(&io->out, data, len);
	io_reload(io);
}

void
io_vprintf(struct io *io, const char *fmt, va_list ap)
{
	buf_vprintf(&io->out, fmt, ap);
	io_reload(io);
}

void
io_printf(struct io *io, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	io_vprintf(io, fmt, ap);
	va_end(ap);
}

size_t
io_datalen(const struct io *io)
{
	return io->in_len - io->in_off;
}

const char *
io_data(const struct io *io)
{
	return io->in != NULL ? io->in + io->in_off : "";
}

void
io_drop(struct io *io, size_t n)
{
	if (n > io_datalen(io))
		n = io_datalen(io);
	io->in_off += n;
}

char *
io_getline(struct io *io, size_t max, size_t *len, int *toolong)
{
	char *start, *nl;
	size_t avail = io_datalen(io), n;

	*toolong = 0;
	if (io->in == NULL)
		return NULL;
	start = io->in + io->in_off;
	nl = memchr(start, '\n', avail);
	if (nl == NULL) {
		if (avail > max)
			*toolong = 1;
		return NULL;
	}
	n = (size_t)(nl - start);
	io->in_off += n + 1;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	if (n > max) {
		*toolong = 1;
		return NULL;
	}
	start[n] = '\0';
	*len = n;
	return start;
}

/* The SSL's ex_data slot that points back at its io. */
static int
io_ex_index(void)
{
	static int idx = -1;

	if (idx == -1)
		idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	return idx;
}

/* Every alert that goes either way: the last one the peer sent (a fatal
 * one ends the connection, so it is the one), our first fatal one. */
static void
io_tls_info(const SSL *ssl, int where, int ret)
{
	struct io *io;

	if (!(where & SSL_CB_ALERT) ||
	    (io = SSL_get_ex_data(ssl, io_ex_index())) == NULL)
		return;
	if (where & SSL_CB_READ)
		io->tls_fail.alert_received = ret & 0xff;
	else if ((ret >> 8) == SSL3_AL_FATAL && io->tls_fail.alert_sent < 0)
		io->tls_fail.alert_sent = ret & 0xff;
}

void
io_start_tls(struct io *io, SSL *ssl)
{
	io->ssl = ssl;
	SSL_set_ex_data(ssl, io_ex_index(), io);
	SSL_set_info_callback(ssl, io_tls_info);
	SSL_set_fd(ssl, io->fd);
	io->handshaking = 1;
	/* The first SSL_connect() runs from the loop, never inside the
	 * caller's callback, so every outcome arrives as a fresh event. */
	event_add(io->ev_write, NULL);
}

SSL *
io_ssl(const struct io *io)
{
	return io->ssl;
}

int
io_handshaking(const struct io *io)
{
	return io->handshaking;
}

const char *
io_error(const struct io *io)
{
	return io->error;
}

int
io_errno(const struct io *io)
{
	return io->err;
}

const struct io_tls_fail *
io_tls_fail(const struct io *io)
{
	return &io->tls_fail;
}

int
io_fd(const struct io *io)
{
	return io->fd;
}
