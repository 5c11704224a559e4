/* A thin I/O layer over libevent and OpenSSL for client sessions: a
 * non-blocking socket, bounded input and output buffers, an optional TLS
 * layer started on demand (STARTTLS) and one callback for every event.
 * io_free() may be called from inside the callback: the free is deferred
 * until the callback returns. */
#ifndef MAILSEC_IO_H
#define MAILSEC_IO_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <openssl/ssl.h>

enum io_event {
	IO_CONNECTED,		/* TCP connect finished */
	IO_TLSREADY,		/* TLS handshake finished */
	IO_DATAIN,		/* new input is buffered */
	IO_LOWAT,		/* output buffer drained */
	IO_DISCONNECTED,	/* peer closed */
	IO_TIMEOUT,		/* no progress within the timeout */
	IO_ERROR,		/* socket error: io_error() says which */
	IO_TLSERROR,		/* TLS failure: io_error() says which */
};

struct io;
typedef void (*io_callback)(struct io *io, enum io_event ev, void *arg);

/* Input beyond IO_INPUT_MAX bytes is an error: a peer cannot make us buffer
 * without bound. */
#define IO_INPUT_MAX (64 * 1024)

/* ev at the loop's lowest priority, where every probe's and fetch's I/O
 * is: a handshake never runs ahead of another one's (a fetch storm at a
 * higher priority starved the probes' handshakes into timeouts). */
void io_lowest_priority(struct event *ev);
struct io *io_new(struct event_base *base, io_callback cb, void *arg);
void io_free(struct io *io);
/* Starts a non-blocking connect; IO_CONNECTED or IO_ERROR follow. */
int io_connect(struct io *io, const struct sockaddr *sa, socklen_t salen);
/* A deadline, ms from now: IO_TIMEOUT fires then unless it is set again.
 * Traffic does not move it, so a peer that trickles bytes cannot hold a
 * session past its deadline.  0 disables. */
void io_set_timeout(struct io *io, unsigned ms);
/* Queues output and flushes as the socket allows. */
void io_write(struct io *io, const void *data, size_t len);
void io_printf(struct io *io, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void io_vprintf(struct io *io, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Buffered input. */
size_t io_datalen(const struct io *io);
const char *io_data(const struct io *io);
void io_drop(struct io *io, size_t n);
/* Returns the next CRLF- (or LF-) terminated line without its terminator,
 * NUL-terminated in place, and its length; NULL when no full line is
 * buffered.  *toolong is set when more than max bytes arrived with no
 * line end. */
char *io_getline(struct io *io, size_t max, size_t *len, int *toolong);
/* Starts the TLS client handshake on the connection; takes ssl. */
void io_start_tls(struct io *io, SSL *ssl);
SSL *io_ssl(const struct io *io);
int io_handshaking(const struct io *io);
const char *io_error(const struct io *io);
/* The errno of the last socket error (IO_ERROR), 0 for a TLS one. */
int io_errno(const struct io *io);

/* What the TLS layer saw when it failed (IO_TLSERROR), for the probe's
 * cause (probe_cause_of_tls()). */
struct io_tls_fail {
	int	 alert_received;	/* the peer's last alert (its code), -1 */
	int	 alert_sent;		/* our first fatal alert, -1 none */
	int	 err;			/* errno of a socket error under TLS */
	int	 eof;			/* the peer closed, no alert, no error */
	int	 not_tls;		/* the peer's bytes are no TLS records */
};
const struct io_tls_fail *io_tls_fail(const struct io *io);
int io_fd(const struct io *io);

#endif
