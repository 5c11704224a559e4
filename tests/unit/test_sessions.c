/* The IMAP, POP3 and SMTP probe sessions end to end, in process: a scripted
 * fake server on 127.0.0.1, driven by the same event loop as the session,
 * sends lines, checks the commands it gets, and can do the server side of
 * a real TLS handshake with a throwaway self-signed certificate made here.
 * Every case asserts the outcome: success, reason, step, the offered
 * flags, and the exact commands the server saw. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "collectors/io.h"
#include "collectors/probe_start.h"
#include "base/log.h"
#include "base/util.h"
#include "tests/unit/unit.h"

#define SHORT_MS	500	/* for the cases that wait for a timeout */
#define LONG_MS		10000	/* the others end well before (valgrind too) */

enum op {
	END,		/* the script is over: log what comes, close on EOF */
	SEND,		/* arg, as is */
	SENDHEX,	/* the bytes arg spells in hex ("15 03 03"): NULs too */
	EXPECT,		/* the next line from the client is arg (no CRLF) */
	WAIT,		/* any bytes from the client (a ClientHello): drop them */
	CLOSE,		/* close the connection */
	TLS,		/* the server side of a TLS handshake */
};

struct step {
	enum op		 op;
	const char	*arg;
};

struct fake {
	struct event_base *base;
	SSL_CTX		*ctx;
	int		 lfd, fd;
	struct event	*ev_accept, *ev_read;
	SSL		*ssl;
	int		 handshaking;
	const struct step *script;
	size_t		 pc;
	struct buf	 in;		/* bytes read, not yet taken */
	struct buf	 log;		/* every line the client sent, '\n' ended */
	char		 mismatch[256];
	int		 tls_done;
};

struct outcome {
	int		 done;
	struct probe_outcome out;
	struct event_base *base;
};

/* The server's certificate: EC P-256, CN and SAN mail.test, for a day. */
static SSL_CTX *
server_ctx_new(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	X509_EXTENSION *ext;
	SSL_CTX *ctx;

	if (key == NULL || x == NULL) {
		fprintf(stderr, "cannot make a key\n");
		exit(2);
	}
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"mail.test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
	    "DNS:mail.test");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (X509_sign(x, key, EVP_sha256()) == 0) {
		fprintf(stderr, "cannot sign\n");
		exit(2);
	}
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL || SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1) {
		fprintf(stderr, "cannot make the server context\n");
		exit(2);
	}
	X509_free(x);
	EVP_PKEY_free(key);
	return ctx;
}

static void
fake_close(struct fake *f)
{
	if (f->ev_read) {
		event_free(f->ev_read);
		f->ev_read = NULL;
	}
	if (f->ssl) {
		SSL_free(f->ssl);
		f->ssl = NULL;
	}
	if (f->fd != -1) {
		close(f->fd);
		f->fd = -1;
	}
	f->handshaking = 0;
}

static void
fake_mismatch(struct fake *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fake_mismatch(struct fake *f, const char *fmt, ...)
{
	va_list ap;

	if (f->mismatch[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(f->mismatch, sizeof(f->mismatch), fmt, ap);
	va_end(ap);
}

static void
fake_write(struct fake *f, const char *s, size_t n)
{
	/* Small writes to an idle socket: they do not block. */
	for (int tries = 0; n > 0 && tries < 1000; tries++) {
		ssize_t r;

		if (f->ssl) {
			ERR_clear_error();
			r = SSL_write(f->ssl, s, (int)n);
			if (r <= 0) {
				int e = SSL_get_error(f->ssl, (int)r);

				if (e == SSL_ERROR_WANT_READ ||
				    e == SSL_ERROR_WANT_WRITE)
					continue;
				fake_mismatch(f, "tls write failed");
				return;
			}
		} else {
			r = send(f->fd, s, n, MSG_NOSIGNAL);
			if (r == -1) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				/* the client may be gone: not our business */
				return;
			}
		}
		s += r;
		n -= (size_t)r;
	}
}

static void
fake_write_hex(struct fake *f, const char *hex)
{
	char bytes[256];
	size_t n = 0;
	unsigned v;
	int used;

	while (n < sizeof(bytes) && sscanf(hex, " %2x%n", &v, &used) == 1) {
		bytes[n++] = (char)v;
		hex += used;
	}
	fake_write(f, bytes, n);
}

/* Takes the next line from the input, without its CRLF; NULL if none. */
static char *
fake_line(struct fake *f)
{
	char *nl, *line;
	size_t n;

	if (f->in.len == 0 ||
	    (nl = memchr(f->in.data, '\n', f->in.len)) == NULL)
		return NULL;
	n = (size_t)(nl - f->in.data);
	line = xstrndup(f->in.data, n > 0 && nl[-1] == '\r' ? n - 1 : n);
	memmove(f->in.data, nl + 1, f->in.len - n - 1);
	f->in.len -= n + 1;
	f->in.data[f->in.len] = '\0';
	buf_printf(&f->log, "%s\n", line);
	return line;
}

static void
fake_handshake(struct fake *f)
{
	int r, e;

	ERR_clear_error();
	r = SSL_accept(f->ssl);
	if (r == 1) {
		f->handshaking = 0;
		f->tls_done = 1;
		f->pc++;
		return;
	}
	e = SSL_get_error(f->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return;
	ERR_clear_error();
	fake_close(f);
}

/* Runs the script as far as the input allows. */
static void
fake_run(struct fake *f)
{
	char *line;

	for (;;) {
		const struct step *st = &f->script[f->pc];

		if (f->handshaking)
			return;
		switch (st->op) {
		case END:
			while ((line = fake_line(f)) != NULL)
				free(line);
			return;
		case SEND:
			if (f->fd == -1)
				return;
			fake_write(f, st->arg, strlen(st->arg));
			break;
		case SENDHEX:
			if (f->fd == -1)
				return;
			fake_write_hex(f, st->arg);
			break;
		case EXPECT:
			if ((line = fake_line(f)) == NULL)
				return;
			if (strcmp(line, st->arg) != 0) {
				fake_mismatch(f, "expected \"%s\", got \"%s\"",
				    st->arg, line);
				free(line);
				f->pc = 0;
				while (f->script[f->pc].op != END)
					f->pc++;
				continue;
			}
			free(line);
			break;
		case WAIT:
			if (f->in.len == 0)
				return;
			buf_reset(&f->in);
			break;
		case CLOSE:
			fake_close(f);
			break;
		case TLS:
			if (f->fd == -1)
				return;
			if (f->in.len > 0)
				fake_mismatch(f, "client data before TLS");
			f->ssl = SSL_new(f->ctx);
			SSL_set_fd(f->ssl, f->fd);
			f->handshaking = 1;
			fake_handshake(f);	/* advances pc when done */
			continue;
		}
		f->pc++;
	}
}

static void
fake_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fake *f = arg;
	char tmp[4096];

	(void)fd;
	(void)what;
	if (f->handshaking)
		fake_handshake(f);
	while (f->fd != -1 && !f->handshaking) {
		ssize_t n;

		if (f->ssl) {
			ERR_clear_error();
			n = SSL_read(f->ssl, tmp, sizeof(tmp));
			if (n <= 0) {
				int e = SSL_get_error(f->ssl, (int)n);

				if (e == SSL_ERROR_WANT_READ)
					break;
				ERR_clear_error();
				fake_close(f);
				break;
			}
		} else {
			n = recv(f->fd, tmp, sizeof(tmp), 0);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				fake_close(f);
				break;
			}
		}
		buf_append(&f->in, tmp, (size_t)n);
	}
	fake_run(f);
}

static void
fake_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fake *f = arg;
	int c;

	(void)what;
	if ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
		return;
	if (f->fd != -1) {	/* one connection per case */
		close(c);
		return;
	}
	f->fd = c;
	f->ev_read = event_new(f->base, c, EV_READ | EV_PERSIST,
	    fake_read_cb, f);
	event_add(f->ev_read, NULL);
	fake_run(f);
}

static void
fake_init(struct fake *f, struct event_base *base, SSL_CTX *ctx,
    const struct step *script, struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);

	memset(f, 0, sizeof(*f));
	f->base = base;
	f->ctx = ctx;
	f->script = script;
	f->fd = -1;
	buf_init(&f->in);
	buf_init(&f->log);
	buf_puts(&f->log, "");
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->lfd == -1 || bind(f->lfd, (struct sockaddr *)sin, len) == -1 ||
	    listen(f->lfd, 4) == -1 ||
	    getsockname(f->lfd, (struct sockaddr *)sin, &len) == -1) {
		perror("listen");
		exit(2);
	}
	f->ev_accept = event_new(base, f->lfd, EV_READ | EV_PERSIST,
	    fake_accept_cb, f);
	event_add(f->ev_accept, NULL);
}

static void
fake_free(struct fake *f)
{
	fake_close(f);
	event_free(f->ev_accept);
	close(f->lfd);
	buf_free(&f->in);
	buf_free(&f->log);
}

static void
probe_done(const struct probe_outcome *out, void *arg)
{
	struct outcome *o = arg;

	o->done = 1;
	probe_outcome_copy(&o->out, out);
	event_base_loopbreak(o->base);
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

struct result {
	struct probe_outcome out;
	int		 done;
	char		 log[512];	/* the client's lines */
	char		 mismatch[256];
	int		 script_done;	/* the server reached END */
	int		 tls_done;	/* the server finished a handshake */
};

static SSL_CTX *server_ctx, *client_ctx;
static struct probe_outcome run_held;

static void
run_release(void)
{
	probe_outcome_free(&run_held);
}
/* The probe's TLS variant for the next run() (0: the context's default),
 * and the server's context when not server_ctx. */
static int client_tls_min, client_tls_max;
static SSL_CTX *run_server_ctx;

static void
run(enum protocol proto, unsigned timeout_ms, const struct step *script,
    struct result *res)
{
	struct event_base *base = event_base_new();
	struct timeval tv = { 10, 0 };
	struct event *watchdog = evtimer_new(base, watchdog_cb, base);
	struct sockaddr_in sin;
	struct probe_params p;
	struct outcome o;
	struct session *s;
	struct fake f;

	fake_init(&f, base, run_server_ctx ? run_server_ctx : server_ctx, script,
	    &sin);
	memset(&p, 0, sizeof(p));
	memcpy(&p.addr, &sin, sizeof(sin));
	p.addrlen = sizeof(sin);
	p.tls_min = client_tls_min;
	p.tls_max = client_tls_max;
	p.servername = "mail.test";
	p.ehlo_name = "probe.test";
	p.log_id = "test";
	p.protocol = proto;
	p.timeout_ms = timeout_ms;
	p.linemax = 2048;
	p.maxlines = 100;
	p.ssl_ctx = client_ctx;
	memset(&o, 0, sizeof(o));
	probe_outcome_init(&o.out);
	o.base = base;
	evtimer_add(watchdog, &tv);
	s = probe_start(base, &p, probe_done, &o);
	event_base_dispatch(base);
	if (!o.done) {
		fprintf(stderr, "watchdog: the session never ended\n");
		session_cancel(s);
	}
	memset(res, 0, sizeof(*res));
	/* res shares the strings of the last run's outcome, held here until
	 * the next run (or run_release()) */
	probe_outcome_free(&run_held);
	run_held = o.out;
	res->out = o.out;
	res->done = o.done;
	snprintf(res->log, sizeof(res->log), "%s", f.log.data);
	snprintf(res->mismatch, sizeof(res->mismatch), "%s", f.mismatch);
	res->script_done = script[f.pc].op == END;
	res->tls_done = f.tls_done;
	fake_free(&f);
	event_free(watchdog);
	event_base_free(base);
}

/* The outcome of a failure: reason, step, detail, and the server's side. */
static void
check_fail(int line, const struct result *r, enum probe_reason reason,
    enum probe_step step, const char *detail, const char *log)
{
	int ok = r->done && !r->out.success && r->out.reason == reason &&
	    r->out.fail_step == step && strcmp(r->out.detail, detail) == 0 &&
	    strcmp(r->log, log) == 0 && r->mismatch[0] == '\0';

	unit_checks++;
	if (!ok) {
		unit_failures++;
		fprintf(stderr, "%s:%d: done %d success %d reason %s step %s "
		    "detail \"%s\" log \"%s\" mismatch \"%s\"; expected reason "
		    "%s step %s detail \"%s\" log \"%s\"\n", __FILE__, line,
		    r->done, r->out.success, probe_reason_name(r->out.reason),
		    probe_step_name(r->out.fail_step), r->out.detail, r->log,
		    r->mismatch, probe_reason_name(reason),
		    probe_step_name(step), detail, log);
	}
}
#define FAIL(r, reason, step, detail, log) \
	check_fail(__LINE__, r, reason, step, detail, log)

static void
check_success(int line, const struct result *r, const char *log)
{
	const struct tls_facts *t = &r->out.tls;
	int ok = r->done && r->out.success && r->out.reason == REASON_NONE &&
	    t->done && strcmp(t->version, "TLSv1.3") == 0 && t->have_cert &&
	    t->hostname_match && !t->verified &&
	    strcmp(t->subject, "CN=mail.test") == 0 &&
	    strcmp(r->log, log) == 0 && r->mismatch[0] == '\0' &&
	    r->tls_done && r->script_done;

	unit_checks++;
	if (!ok) {
		unit_failures++;
		fprintf(stderr, "%s:%d: done %d success %d reason %s step %s "
		    "detail \"%s\" tls %d %s cert %d match %d subject \"%s\" "
		    "log \"%s\" mismatch \"%s\" server tls %d script %d; "
		    "expected success with log \"%s\"\n", __FILE__, line,
		    r->done, r->out.success, probe_reason_name(r->out.reason),
		    probe_step_name(r->out.fail_step), r->out.detail, t->done,
		    t->version, t->have_cert, t->hostname_match, t->subject,
		    r->log, r->mismatch, r->tls_done, r->script_done, log);
	}
}
#define SUCCESS(r, log) check_success(__LINE__, r, log)

/* The phases the outcome timed. */
static unsigned
phases(const struct result *r)
{
	return r->out.phase_mask;
}
#define PH(s) (1u << (s))

static void
test_imap(void)
{
	static const struct step tls_ok[] = {
		{ SEND, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] "
		    "ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "* CAPABILITY IMAP4rev1 SASL-IR STARTTLS "
		    "LOGINDISABLED\r\na1 OK done\r\n" },
		{ EXPECT, "a2 STARTTLS" },
		{ SEND, "a2 OK Begin TLS negotiation now\r\n" },
		{ TLS, NULL },
		{ EXPECT, "a3 LOGOUT" },
		{ SEND, "* BYE logging out\r\na3 OK LOGOUT completed\r\n" },
		{ END, NULL },
	};
	/* The server closes once the ClientHello is in. */
	static const struct step close_in_handshake[] = {
		{ SEND, "* OK ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\n"
		    "a1 OK done\r\n" },
		{ EXPECT, "a2 STARTTLS" },
		{ SEND, "a2 OK go\r\n" },
		{ WAIT, NULL },
		{ CLOSE, NULL },
		{ END, NULL },
	};
	/* The list only in the completion's response code. */
	static const struct step caps_in_code[] = {
		{ SEND, "* OK ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "a1 OK [CAPABILITY IMAP4rev1 STARTTLS] done\r\n" },
		{ EXPECT, "a2 STARTTLS" },
		{ SEND, "a2 OK go\r\n" },
		{ WAIT, NULL },
		{ CLOSE, NULL },
		{ END, NULL },
	};
	static const struct step no_starttls[] = {
		{ SEND, "* OK ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK done\r\n" },
		{ EXPECT, "a3 LOGOUT" },
		{ SEND, "* BYE bye\r\na3 OK done\r\n" },
		{ END, NULL },
	};
	static const struct step no_starttls_logindisabled[] = {
		{ SEND, "* OK ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "* CAPABILITY IMAP4rev1 LOGINDISABLED\r\n"
		    "a1 OK done\r\n" },
		{ EXPECT, "a3 LOGOUT" },
		{ SEND, "* BYE bye\r\na3 OK done\r\n" },
		{ END, NULL },
	};
	static const struct step bye[] = {
		{ SEND, "* BYE too many connections\r\n" },
		{ END, NULL },
	};
	static const struct step preauth[] = {
		{ SEND, "* PREAUTH welcome back\r\n" },
		{ EXPECT, "a3 LOGOUT" },
		{ SEND, "* BYE bye\r\na3 OK done\r\n" },
		{ END, NULL },
	};
	static const struct step garbage[] = {
		{ SEND, "220 mail.test ESMTP\r\n" },
		{ END, NULL },
	};
	static const struct step stall_greeting[] = {
		{ END, NULL },
	};
	static const struct step stall_capability[] = {
		{ SEND, "* OK ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "* CAPABILITY IMAP4rev1 STARTTLS\r\n" },
		{ END, NULL },
	};
	/* STARTTLS injection: plain text after the OK, in the same packet. */
	static const struct step injection[] = {
		{ SEND, "* OK ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n" },
		{ EXPECT, "a2 STARTTLS" },
		{ SEND, "a2 OK go\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" },
		{ END, NULL },
	};
	static const struct step starttls_refused[] = {
		{ SEND, "* OK ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n" },
		{ EXPECT, "a2 STARTTLS" },
		{ SEND, "a2 NO [UNAVAILABLE] TLS is broken\r\n" },
		{ EXPECT, "a3 LOGOUT" },
		{ SEND, "* BYE bye\r\na3 OK done\r\n" },
		{ END, NULL },
	};
	static const struct step wrong_tag[] = {
		{ SEND, "* OK ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "* CAPABILITY IMAP4rev1 STARTTLS\r\na2 OK done\r\n" },
		{ END, NULL },
	};
	static const struct step literal[] = {
		{ SEND, "* OK ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "* CAPABILITY {20}\r\n" },
		{ END, NULL },
	};
	static const struct step bye_midway[] = {
		{ SEND, "* OK ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "* BYE shutting down\r\n" },
		{ CLOSE, NULL },
		{ END, NULL },
	};
	static const struct step no_caps[] = {
		{ SEND, "* OK ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "a1 OK done\r\n" },
		{ END, NULL },
	};
	static const struct step continuation[] = {
		{ SEND, "* OK ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "+ more please\r\n" },
		{ END, NULL },
	};
	/* After TLS, a bad answer to LOGOUT does not undo the success. */
	static const struct step bad_logout[] = {
		{ SEND, "* OK ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n" },
		{ EXPECT, "a2 STARTTLS" },
		{ SEND, "a2 OK go\r\n" },
		{ TLS, NULL },
		{ EXPECT, "a3 LOGOUT" },
		{ SEND, "garbage\x01\r\n" },
		{ END, NULL },
	};
	static const struct step imaps_ok[] = {
		{ TLS, NULL },
		{ SEND, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n" },
		{ EXPECT, "a3 LOGOUT" },
		{ SEND, "* BYE bye\r\na3 OK done\r\n" },
		{ END, NULL },
	};
	static const struct step imaps_plain[] = {
		{ SEND, "* OK ready\r\n" },
		{ END, NULL },
	};
	struct result r;
	char *long_greeting;
	struct step long_line[2];

	run(PROTO_IMAP, LONG_MS, tls_ok, &r);
	SUCCESS(&r, "a1 CAPABILITY\na2 STARTTLS\na3 LOGOUT\n");
	CHECK_INT(r.out.starttls_offered, 1);
	CHECK_INT(r.out.plaintext_auth_offered, 0);
	CHECK_INT(phases(&r), PH(STEP_CONNECT) | PH(STEP_BANNER) |
	    PH(STEP_EHLO) | PH(STEP_STARTTLS) | PH(STEP_TLS_HANDSHAKE) |
	    PH(STEP_QUIT));
	CHECK(r.out.total_s > 0 && r.out.total_s < 10);

	run(PROTO_IMAP, LONG_MS, close_in_handshake, &r);
	if (getenv("TEST_VERBOSE"))
		printf("imap close in handshake: %s \"%s\"\n",
		    probe_reason_name(r.out.reason), r.out.detail);
	CHECK_INT(r.out.reason, REASON_TLS);
	CHECK_INT(r.out.fail_step, STEP_TLS_HANDSHAKE);
	CHECK(strncmp(r.out.detail, "tls handshake: ", 15) == 0);
	CHECK_STR(r.log, "a1 CAPABILITY\na2 STARTTLS\n");
	CHECK_INT(r.out.starttls_offered, 1);
	CHECK_INT(r.out.plaintext_auth_offered, 1);
	CHECK(!r.out.success && !r.out.tls.done);

	run(PROTO_IMAP, LONG_MS, caps_in_code, &r);
	CHECK_INT(r.out.reason, REASON_TLS);
	CHECK_INT(r.out.fail_step, STEP_TLS_HANDSHAKE);
	CHECK_STR(r.log, "a1 CAPABILITY\na2 STARTTLS\n");

	run(PROTO_IMAP, LONG_MS, no_starttls, &r);
	FAIL(&r, REASON_STARTTLS_MISSING, STEP_EHLO,
	    "STARTTLS not in the capabilities", "a1 CAPABILITY\na3 LOGOUT\n");
	CHECK_INT(r.out.starttls_offered, 0);
	CHECK_INT(r.out.plaintext_auth_offered, 1);
	CHECK(r.script_done);

	run(PROTO_IMAP, LONG_MS, no_starttls_logindisabled, &r);
	FAIL(&r, REASON_STARTTLS_MISSING, STEP_EHLO,
	    "STARTTLS not in the capabilities", "a1 CAPABILITY\na3 LOGOUT\n");
	CHECK_INT(r.out.starttls_offered, 0);
	CHECK_INT(r.out.plaintext_auth_offered, 0);

	run(PROTO_IMAP, LONG_MS, bye, &r);
	FAIL(&r, REASON_RESP, STEP_BANNER, "greeting: BYE too many "
	    "connections", "");
	CHECK_INT(r.out.starttls_offered, -1);
	CHECK_INT(r.out.plaintext_auth_offered, -1);

	run(PROTO_IMAP, LONG_MS, preauth, &r);
	FAIL(&r, REASON_RESP, STEP_BANNER, "greeting: PREAUTH welcome back "
	    "(already authenticated, no STARTTLS possible)", "a3 LOGOUT\n");

	run(PROTO_IMAP, LONG_MS, garbage, &r);
	FAIL(&r, REASON_PROTO, STEP_BANNER, "not a greeting (* OK, * PREAUTH "
	    "or * BYE)", "");

	run(PROTO_IMAP, SHORT_MS, stall_greeting, &r);
	FAIL(&r, REASON_TIMEOUT, STEP_BANNER, "no answer in time in greeting",
	    "");
	CHECK_INT(r.out.cause, CAUSE_TIMEOUT);	/* classified at the source */
	CHECK(r.out.total_s >= 0.45 && r.out.total_s < 5);

	run(PROTO_IMAP, SHORT_MS, stall_capability, &r);
	FAIL(&r, REASON_TIMEOUT, STEP_EHLO, "no answer in time in capability",
	    "a1 CAPABILITY\n");
	CHECK(r.out.total_s >= 0.45 && r.out.total_s < 5);

	run(PROTO_IMAP, LONG_MS, injection, &r);
	FAIL(&r, REASON_PROTO, STEP_TLS_HANDSHAKE, "server sent data before "
	    "the TLS handshake", "a1 CAPABILITY\na2 STARTTLS\n");
	CHECK_INT(r.out.starttls_offered, 1);

	run(PROTO_IMAP, LONG_MS, starttls_refused, &r);
	FAIL(&r, REASON_RESP, STEP_STARTTLS, "STARTTLS refused: NO TLS is "
	    "broken", "a1 CAPABILITY\na2 STARTTLS\na3 LOGOUT\n");

	run(PROTO_IMAP, LONG_MS, wrong_tag, &r);
	FAIL(&r, REASON_PROTO, STEP_EHLO, "unexpected tag", "a1 CAPABILITY\n");

	run(PROTO_IMAP, LONG_MS, literal, &r);
	FAIL(&r, REASON_PROTO, STEP_EHLO, "literal before login",
	    "a1 CAPABILITY\n");

	run(PROTO_IMAP, LONG_MS, bye_midway, &r);
	FAIL(&r, REASON_RESP, STEP_EHLO, "BYE shutting down",
	    "a1 CAPABILITY\n");

	run(PROTO_IMAP, LONG_MS, no_caps, &r);
	FAIL(&r, REASON_PROTO, STEP_EHLO, "no capability list in the "
	    "CAPABILITY response", "a1 CAPABILITY\n");

	run(PROTO_IMAP, LONG_MS, continuation, &r);
	FAIL(&r, REASON_PROTO, STEP_EHLO, "unexpected continuation request",
	    "a1 CAPABILITY\n");

	run(PROTO_IMAP, LONG_MS, bad_logout, &r);
	CHECK(r.out.success);
	CHECK_INT(r.out.reason, REASON_NONE);
	CHECK_STR(r.log, "a1 CAPABILITY\na2 STARTTLS\na3 LOGOUT\n");

	run(PROTO_IMAPS, LONG_MS, imaps_ok, &r);
	SUCCESS(&r, "a3 LOGOUT\n");
	CHECK_INT(r.out.starttls_offered, 1);
	CHECK_INT(r.out.plaintext_auth_offered, -1);
	CHECK_INT(phases(&r), PH(STEP_CONNECT) | PH(STEP_BANNER) |
	    PH(STEP_TLS_HANDSHAKE) | PH(STEP_QUIT));

	/* imaps against a plain-text server: the greeting is no handshake. */
	run(PROTO_IMAPS, LONG_MS, imaps_plain, &r);
	CHECK_INT(r.out.reason, REASON_TLS);
	CHECK_INT(r.out.fail_step, STEP_TLS_HANDSHAKE);

	/* A line longer than linemax (2048). */
	long_greeting = xmalloc(3001);
	memset(long_greeting, 'x', 3000);
	memcpy(long_greeting, "* OK ", 5);
	memcpy(long_greeting + 2998, "\r\n", 3);
	long_line[0] = (struct step){ SEND, long_greeting };
	long_line[1] = (struct step){ END, NULL };
	run(PROTO_IMAP, LONG_MS, long_line, &r);
	FAIL(&r, REASON_PROTO, STEP_BANNER, "line too long", "");
	free(long_greeting);
}

static void
test_pop3(void)
{
	static const struct step tls_ok[] = {
		{ SEND, "+OK POP3 ready <1896.697170952@mail.test>\r\n" },
		{ EXPECT, "CAPA" },
		{ SEND, "+OK\r\nTOP\r\nUIDL\r\nSTLS\r\nSASL PLAIN\r\n.\r\n" },
		{ EXPECT, "STLS" },
		{ SEND, "+OK Begin TLS negotiation\r\n" },
		{ TLS, NULL },
		{ EXPECT, "QUIT" },
		{ SEND, "+OK bye\r\n" },
		{ END, NULL },
	};
	static const struct step close_in_handshake[] = {
		{ SEND, "+OK ready\r\n" },
		{ EXPECT, "CAPA" },
		{ SEND, "+OK\r\nSTLS\r\n.\r\n" },
		{ EXPECT, "STLS" },
		{ SEND, "+OK go\r\n" },
		{ WAIT, NULL },
		{ CLOSE, NULL },
		{ END, NULL },
	};
	static const struct step no_stls[] = {
		{ SEND, "+OK ready\r\n" },
		{ EXPECT, "CAPA" },
		{ SEND, "+OK Capability list follows\r\nTOP\r\nUSER\r\n"
		    "..dot\r\n.\r\n" },
		{ EXPECT, "QUIT" },
		{ SEND, "+OK bye\r\n" },
		{ END, NULL },
	};
	static const struct step no_stls_no_auth[] = {
		{ SEND, "+OK ready\r\n" },
		{ EXPECT, "CAPA" },
		{ SEND, "+OK\r\nTOP\r\nUIDL\r\n.\r\n" },
		{ EXPECT, "QUIT" },
		{ SEND, "+OK bye\r\n" },
		{ END, NULL },
	};
	/* A server from before RFC 2449: STLS is tried anyway. */
	static const struct step no_capa[] = {
		{ SEND, "+OK ready\r\n" },
		{ EXPECT, "CAPA" },
		{ SEND, "-ERR unknown command\r\n" },
		{ EXPECT, "STLS" },
		{ SEND, "+OK go\r\n" },
		{ WAIT, NULL },
		{ CLOSE, NULL },
		{ END, NULL },
	};
	static const struct step no_capa_no_stls[] = {
		{ SEND, "+OK ready\r\n" },
		{ EXPECT, "CAPA" },
		{ SEND, "-ERR unknown command\r\n" },
		{ EXPECT, "STLS" },
		{ SEND, "-ERR unknown command\r\n" },
		{ EXPECT, "QUIT" },
		{ SEND, "+OK bye\r\n" },
		{ END, NULL },
	};
	static const struct step stls_refused[] = {
		{ SEND, "+OK ready\r\n" },
		{ EXPECT, "CAPA" },
		{ SEND, "+OK\r\nSTLS\r\n.\r\n" },
		{ EXPECT, "STLS" },
		{ SEND, "-ERR [SYS/TEMP] TLS unavailable\r\n" },
		{ EXPECT, "QUIT" },
		{ SEND, "+OK bye\r\n" },
		{ END, NULL },
	};
	static const struct step err_greeting[] = {
		{ SEND, "-ERR go away\r\n" },
		{ EXPECT, "QUIT" },
		{ CLOSE, NULL },
		{ END, NULL },
	};
	static const struct step garbage[] = {
		{ SEND, "* OK IMAP4rev1 ready\r\n" },
		{ END, NULL },
	};
	/* CAPA never terminated. */
	static const struct step stall_capa[] = {
		{ SEND, "+OK ready\r\n" },
		{ EXPECT, "CAPA" },
		{ SEND, "+OK\r\nSTLS\r\nUSER\r\n" },
		{ END, NULL },
	};
	static const struct step injection[] = {
		{ SEND, "+OK ready\r\n" },
		{ EXPECT, "CAPA" },
		{ SEND, "+OK\r\nSTLS\r\n.\r\n" },
		{ EXPECT, "STLS" },
		{ SEND, "+OK go\r\n+OK injected\r\n" },
		{ END, NULL },
	};
	static const struct step bad_capa[] = {
		{ SEND, "+OK ready\r\n" },
		{ EXPECT, "CAPA" },
		{ SEND, "+OK\r\nSTLS\r\n\r\n.\r\n" },
		{ END, NULL },
	};
	static const struct step bad_quit[] = {
		{ SEND, "+OK ready\r\n" },
		{ EXPECT, "CAPA" },
		{ SEND, "+OK\r\nSTLS\r\n.\r\n" },
		{ EXPECT, "STLS" },
		{ SEND, "+OK go\r\n" },
		{ TLS, NULL },
		{ EXPECT, "QUIT" },
		{ SEND, "\x1b[31mbye\r\n" },
		{ END, NULL },
	};
	static const struct step pop3s_ok[] = {
		{ TLS, NULL },
		{ SEND, "+OK ready\r\n" },
		{ EXPECT, "QUIT" },
		{ SEND, "+OK bye\r\n" },
		{ END, NULL },
	};
	struct result r;
	struct step many[6];
	struct buf b;

	run(PROTO_POP3, LONG_MS, tls_ok, &r);
	SUCCESS(&r, "CAPA\nSTLS\nQUIT\n");
	CHECK_INT(r.out.starttls_offered, 1);
	CHECK_INT(r.out.plaintext_auth_offered, 1);
	CHECK_INT(phases(&r), PH(STEP_CONNECT) | PH(STEP_BANNER) |
	    PH(STEP_EHLO) | PH(STEP_STARTTLS) | PH(STEP_TLS_HANDSHAKE) |
	    PH(STEP_QUIT));

	run(PROTO_POP3, LONG_MS, close_in_handshake, &r);
	CHECK_INT(r.out.reason, REASON_TLS);
	CHECK_INT(r.out.fail_step, STEP_TLS_HANDSHAKE);
	CHECK(strncmp(r.out.detail, "tls handshake: ", 15) == 0);
	CHECK_STR(r.log, "CAPA\nSTLS\n");
	CHECK_INT(r.out.starttls_offered, 1);
	CHECK_INT(r.out.plaintext_auth_offered, 0);

	run(PROTO_POP3, LONG_MS, no_stls, &r);
	FAIL(&r, REASON_STARTTLS_MISSING, STEP_EHLO, "STLS not in the CAPA "
	    "response", "CAPA\nQUIT\n");
	CHECK_INT(r.out.starttls_offered, 0);
	CHECK_INT(r.out.plaintext_auth_offered, 1);
	CHECK(r.script_done);

	run(PROTO_POP3, LONG_MS, no_stls_no_auth, &r);
	FAIL(&r, REASON_STARTTLS_MISSING, STEP_EHLO, "STLS not in the CAPA "
	    "response", "CAPA\nQUIT\n");
	CHECK_INT(r.out.plaintext_auth_offered, 0);

	run(PROTO_POP3, LONG_MS, no_capa, &r);
	CHECK_INT(r.out.reason, REASON_TLS);
	CHECK_INT(r.out.fail_step, STEP_TLS_HANDSHAKE);
	CHECK_STR(r.log, "CAPA\nSTLS\n");
	CHECK_INT(r.out.starttls_offered, 1);
	CHECK_INT(r.out.plaintext_auth_offered, -1);

	run(PROTO_POP3, LONG_MS, no_capa_no_stls, &r);
	FAIL(&r, REASON_STARTTLS_MISSING, STEP_STARTTLS, "no CAPA, and STLS "
	    "refused: -ERR unknown command", "CAPA\nSTLS\nQUIT\n");
	CHECK_INT(r.out.starttls_offered, 0);
	CHECK_INT(r.out.plaintext_auth_offered, -1);

	run(PROTO_POP3, LONG_MS, stls_refused, &r);
	FAIL(&r, REASON_RESP, STEP_STARTTLS, "STLS refused: -ERR [SYS/TEMP] "
	    "TLS unavailable", "CAPA\nSTLS\nQUIT\n");
	CHECK_INT(r.out.starttls_offered, 1);

	run(PROTO_POP3, LONG_MS, err_greeting, &r);
	FAIL(&r, REASON_RESP, STEP_BANNER, "greeting: -ERR go away", "QUIT\n");

	run(PROTO_POP3, LONG_MS, garbage, &r);
	FAIL(&r, REASON_PROTO, STEP_BANNER, "status is not +OK or -ERR", "");

	run(PROTO_POP3, SHORT_MS, stall_capa, &r);
	FAIL(&r, REASON_TIMEOUT, STEP_EHLO, "no answer in time in capa",
	    "CAPA\n");

	run(PROTO_POP3, LONG_MS, injection, &r);
	FAIL(&r, REASON_PROTO, STEP_TLS_HANDSHAKE, "server sent data before "
	    "the TLS handshake", "CAPA\nSTLS\n");

	run(PROTO_POP3, LONG_MS, bad_capa, &r);
	FAIL(&r, REASON_PROTO, STEP_EHLO, "empty capability line", "CAPA\n");

	run(PROTO_POP3, LONG_MS, bad_quit, &r);
	CHECK(r.out.success);
	CHECK_STR(r.log, "CAPA\nSTLS\nQUIT\n");

	run(PROTO_POP3S, LONG_MS, pop3s_ok, &r);
	SUCCESS(&r, "QUIT\n");
	CHECK_INT(r.out.starttls_offered, 1);
	CHECK_INT(r.out.plaintext_auth_offered, -1);

	/* A CAPA of 150 lines: more than maxlines (100). */
	buf_init(&b);
	buf_puts(&b, "+OK\r\n");
	for (int i = 0; i < 150; i++)
		buf_puts(&b, "X-CAP\r\n");
	buf_puts(&b, ".\r\n");
	many[0] = (struct step){ SEND, "+OK ready\r\n" };
	many[1] = (struct step){ EXPECT, "CAPA" };
	many[2] = (struct step){ SEND, b.data };
	many[3] = (struct step){ END, NULL };
	run(PROTO_POP3, LONG_MS, many, &r);
	FAIL(&r, REASON_PROTO, STEP_EHLO, "too many lines in one response",
	    "CAPA\n");
	buf_free(&b);
}

static void
test_smtp(void)
{
	static const struct step tls_ok[] = {
		{ SEND, "220 mail.test ESMTP\r\n" },
		{ EXPECT, "EHLO probe.test" },
		{ SEND, "250-mail.test\r\n250-AUTH PLAIN LOGIN\r\n"
		    "250 STARTTLS\r\n" },
		{ EXPECT, "STARTTLS" },
		{ SEND, "220 go ahead\r\n" },
		{ TLS, NULL },
		{ EXPECT, "QUIT" },
		{ SEND, "221 bye\r\n" },
		{ END, NULL },
	};
	static const struct step close_in_handshake[] = {
		{ SEND, "220 mail.test ESMTP\r\n" },
		{ EXPECT, "EHLO probe.test" },
		{ SEND, "250-mail.test\r\n250 STARTTLS\r\n" },
		{ EXPECT, "STARTTLS" },
		{ SEND, "220 go ahead\r\n" },
		{ WAIT, NULL },
		{ CLOSE, NULL },
		{ END, NULL },
	};
	static const struct step no_starttls[] = {
		{ SEND, "220 mail.test ESMTP\r\n" },
		{ EXPECT, "EHLO probe.test" },
		{ SEND, "250-mail.test\r\n250 AUTH PLAIN\r\n" },
		{ EXPECT, "QUIT" },
		{ SEND, "221 bye\r\n" },
		{ END, NULL },
	};
	static const struct step injection[] = {
		{ SEND, "220 mail.test ESMTP\r\n" },
		{ EXPECT, "EHLO probe.test" },
		{ SEND, "250-mail.test\r\n250 STARTTLS\r\n" },
		{ EXPECT, "STARTTLS" },
		{ SEND, "220 go ahead\r\n250 injected\r\n" },
		{ END, NULL },
	};
	static const struct step stall[] = {
		{ END, NULL },
	};
	static const struct step smtps_ok[] = {
		{ TLS, NULL },
		{ SEND, "220 mail.test ESMTP\r\n" },
		{ EXPECT, "EHLO probe.test" },
		{ SEND, "250-mail.test\r\n250 AUTH PLAIN\r\n" },
		{ EXPECT, "QUIT" },
		{ SEND, "221 bye\r\n" },
		{ END, NULL },
	};
	/* A garbled answer to QUIT after TLS: see the report to the lead;
	 * smtp.c turns it into a failure, imap.c and pop3.c do not. */
	static const struct step bad_quit[] = {
		{ SEND, "220 mail.test ESMTP\r\n" },
		{ EXPECT, "EHLO probe.test" },
		{ SEND, "250-mail.test\r\n250 STARTTLS\r\n" },
		{ EXPECT, "STARTTLS" },
		{ SEND, "220 go ahead\r\n" },
		{ TLS, NULL },
		{ EXPECT, "QUIT" },
		{ SEND, "bye\r\n" },
		{ END, NULL },
	};
	struct result r;

	run(PROTO_SMTP, LONG_MS, tls_ok, &r);
	SUCCESS(&r, "EHLO probe.test\nSTARTTLS\nQUIT\n");
	CHECK_INT(r.out.starttls_offered, 1);
	CHECK_INT(r.out.plaintext_auth_offered, 1);

	run(PROTO_SUBMISSION, LONG_MS, close_in_handshake, &r);
	CHECK_INT(r.out.reason, REASON_TLS);
	CHECK_INT(r.out.fail_step, STEP_TLS_HANDSHAKE);
	CHECK_STR(r.log, "EHLO probe.test\nSTARTTLS\n");
	CHECK_INT(r.out.plaintext_auth_offered, 0);

	run(PROTO_SMTP, LONG_MS, no_starttls, &r);
	FAIL(&r, REASON_STARTTLS_MISSING, STEP_EHLO, "STARTTLS not in the "
	    "EHLO reply", "EHLO probe.test\nQUIT\n");
	CHECK_INT(r.out.starttls_offered, 0);
	CHECK_INT(r.out.plaintext_auth_offered, 1);

	run(PROTO_SMTP, LONG_MS, injection, &r);
	FAIL(&r, REASON_PROTO, STEP_TLS_HANDSHAKE, "server sent data before "
	    "the TLS handshake", "EHLO probe.test\nSTARTTLS\n");

	run(PROTO_SMTP, SHORT_MS, stall, &r);
	FAIL(&r, REASON_TIMEOUT, STEP_BANNER, "no answer in time in banner",
	    "");

	run(PROTO_SMTPS, LONG_MS, smtps_ok, &r);
	SUCCESS(&r, "EHLO probe.test\nQUIT\n");
	CHECK_INT(r.out.plaintext_auth_offered, -1);

	/* A garbled answer to QUIT does not undo a finished probe. */
	run(PROTO_SMTP, LONG_MS, bad_quit, &r);
	SUCCESS(&r, "EHLO probe.test\nSTARTTLS\nQUIT\n");
	CHECK_INT(r.out.tls.done, 1);
}

/* The server closes right after its OK to STARTTLS, in one go: whether the
 * client sees the close with the OK (conn) or only in the handshake (tls)
 * is up to the kernel's timing; both are charged to tls_handshake. */
static void
test_close_after_ok(void)
{
	static const struct step imap[] = {
		{ SEND, "* OK ready\r\n" },
		{ EXPECT, "a1 CAPABILITY" },
		{ SEND, "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n" },
		{ EXPECT, "a2 STARTTLS" },
		{ SEND, "a2 OK go\r\n" },
		{ CLOSE, NULL },
		{ END, NULL },
	};
	static const struct step pop3[] = {
		{ SEND, "+OK ready\r\n" },
		{ EXPECT, "CAPA" },
		{ SEND, "+OK\r\nSTLS\r\n.\r\n" },
		{ EXPECT, "STLS" },
		{ SEND, "+OK go\r\n" },
		{ CLOSE, NULL },
		{ END, NULL },
	};
	struct result r;

	run(PROTO_IMAP, LONG_MS, imap, &r);
	CHECK(r.done && !r.out.success);
	CHECK(r.out.reason == REASON_CONN || r.out.reason == REASON_TLS);
	CHECK_INT(r.out.fail_step, STEP_TLS_HANDSHAKE);
	if (getenv("TEST_VERBOSE"))
		printf("imap close after OK: %s \"%s\"\n",
		    probe_reason_name(r.out.reason), r.out.detail);
	run(PROTO_POP3, LONG_MS, pop3, &r);
	CHECK(r.done && !r.out.success);
	CHECK(r.out.reason == REASON_CONN || r.out.reason == REASON_TLS);
	CHECK_INT(r.out.fail_step, STEP_TLS_HANDSHAKE);
	if (getenv("TEST_VERBOSE"))
		printf("pop3 close after OK: %s \"%s\"\n",
		    probe_reason_name(r.out.reason), r.out.detail);
}

/* The failure's cause and alert, classified where it happened. */
static void
check_cause(int line, const struct result *r, enum probe_reason reason,
    enum probe_step step, enum probe_cause cause, int alert)
{
	int ok = r->done && !r->out.success && r->out.reason == reason &&
	    r->out.fail_step == step && r->out.cause == cause &&
	    r->out.tls_alert == alert && r->mismatch[0] == '\0';

	unit_checks++;
	if (!ok) {
		unit_failures++;
		fprintf(stderr, "%s:%d: done %d success %d reason %s step %s "
		    "cause %s alert %d detail \"%s\" mismatch \"%s\"; "
		    "expected reason %s step %s cause %s alert %d\n", __FILE__,
		    line, r->done, r->out.success,
		    probe_reason_name(r->out.reason),
		    probe_step_name(r->out.fail_step),
		    probe_cause_name(r->out.cause), r->out.tls_alert,
		    r->out.detail, r->mismatch, probe_reason_name(reason),
		    probe_step_name(step), probe_cause_name(cause), alert);
	}
}
#define CAUSE(r, reason, step, cause, alert) \
	check_cause(__LINE__, r, reason, step, cause, alert)

#define SMTP_TO_STARTTLS \
	{ SEND, "220 mail.test ESMTP\r\n" }, \
	{ EXPECT, "EHLO probe.test" }, \
	{ SEND, "250-mail.test\r\n250 STARTTLS\r\n" }, \
	{ EXPECT, "STARTTLS" }, \
	{ SEND, "220 go ahead\r\n" }

/* How a handshake fails, each way told apart: an alert the server sent
 * (a real one from OpenSSL, and a scripted one), an alert the probe sent,
 * a close, bytes that are not TLS, a stall; a stall in every step before
 * it is a timeout of that step. */
static void
test_tls_causes(void)
{
	static const struct step handshake[] = {
		SMTP_TO_STARTTLS,
		{ TLS, NULL },
		{ END, NULL },
	};
	/* fatal (2) handshake_failure (40), for the ClientHello */
	static const struct step alert[] = {
		SMTP_TO_STARTTLS,
		{ WAIT, NULL },
		{ SENDHEX, "15 0303 0002 02 28" },
		{ END, NULL },
	};
	/* a ServerHello with an empty body: the probe cannot decode it */
	static const struct step bad_hello[] = {
		SMTP_TO_STARTTLS,
		{ WAIT, NULL },
		{ SENDHEX, "16 0303 0004 02 000000" },
		{ END, NULL },
	};
	static const struct step close_hs[] = {
		SMTP_TO_STARTTLS,
		{ WAIT, NULL },
		{ CLOSE, NULL },
		{ END, NULL },
	};
	static const struct step plain[] = {
		SMTP_TO_STARTTLS,
		{ WAIT, NULL },
		{ SEND, "250 still plain text\r\n" },
		{ END, NULL },
	};
	static const struct step stall_hs[] = {
		SMTP_TO_STARTTLS,
		{ WAIT, NULL },
		{ END, NULL },
	};
	static const struct step stall_ehlo[] = {
		{ SEND, "220 mail.test ESMTP\r\n" },
		{ END, NULL },
	};
	static const struct step stall_starttls[] = {
		{ SEND, "220 mail.test ESMTP\r\n" },
		{ EXPECT, "EHLO probe.test" },
		{ SEND, "250-mail.test\r\n250 STARTTLS\r\n" },
		{ END, NULL },
	};
	SSL_CTX *tls13 = server_ctx_new();
	struct result r;

	/* A TLS 1.3 server, a probe that offers up to TLS 1.2: OpenSSL's
	 * server says protocol_version. */
	SSL_CTX_set_min_proto_version(tls13, TLS1_3_VERSION);
	run_server_ctx = tls13;
	client_tls_max = TLS1_2_VERSION;
	run(PROTO_SMTP, LONG_MS, handshake, &r);
	CAUSE(&r, REASON_TLS, STEP_TLS_HANDSHAKE, CAUSE_ALERT_RECEIVED,
	    SSL_AD_PROTOCOL_VERSION);
	/* the same server with TLS 1.3 allowed: the control */
	client_tls_max = 0;
	run(PROTO_SMTP, LONG_MS, handshake, &r);
	CHECK(r.out.success && r.out.tls.done);
	CHECK_INT(r.out.cause, CAUSE_NONE);
	CHECK_INT(r.out.tls_alert, -1);
	run_server_ctx = NULL;
	SSL_CTX_free(tls13);

	run(PROTO_SMTP, LONG_MS, alert, &r);
	CAUSE(&r, REASON_TLS, STEP_TLS_HANDSHAKE, CAUSE_ALERT_RECEIVED,
	    SSL_AD_HANDSHAKE_FAILURE);
	run(PROTO_SMTP, LONG_MS, bad_hello, &r);
	CAUSE(&r, REASON_TLS, STEP_TLS_HANDSHAKE, CAUSE_ALERT_SENT,
	    SSL_AD_DECODE_ERROR);
	run(PROTO_SMTP, LONG_MS, close_hs, &r);
	CAUSE(&r, REASON_TLS, STEP_TLS_HANDSHAKE, CAUSE_CLOSED, -1);
	run(PROTO_SMTP, LONG_MS, plain, &r);
	CAUSE(&r, REASON_TLS, STEP_TLS_HANDSHAKE, CAUSE_NOT_TLS, -1);
	run(PROTO_SMTP, SHORT_MS, stall_hs, &r);
	CAUSE(&r, REASON_TIMEOUT, STEP_TLS_HANDSHAKE, CAUSE_TIMEOUT, -1);
	run(PROTO_SMTP, SHORT_MS, stall_ehlo, &r);
	CAUSE(&r, REASON_TIMEOUT, STEP_EHLO, CAUSE_TIMEOUT, -1);
	run(PROTO_SMTP, SHORT_MS, stall_starttls, &r);
	CAUSE(&r, REASON_TIMEOUT, STEP_STARTTLS, CAUSE_TIMEOUT, -1);
}

/* The name tables: every cause and every alert of the registry named,
 * each name once; the classifiers' order of precedence. */
static void
test_cause_tables(void)
{
	struct io_tls_fail f;
	int alert;

	for (int c = 0; c < CAUSE__COUNT; c++) {
		CHECK(strcmp(probe_cause_name((enum probe_cause)c), "unknown"));
		for (int d = 0; d < c; d++)
			CHECK(strcmp(probe_cause_name((enum probe_cause)c),
			    probe_cause_name((enum probe_cause)d)));
	}
	CHECK_STR(probe_cause_name(CAUSE__COUNT), "unknown");
	/* every alert OpenSSL knows has a name of ours, each its own */
	for (int a = 0; a < 256; a++) {
		if (strcmp(SSL_alert_desc_string(a), "UK") != 0 &&
		    strcmp(tls_alert_name(a), "unknown") == 0) {
			unit_failures++;
			fprintf(stderr, "alert %d (%s) has no name\n", a,
			    SSL_alert_desc_string_long(a));
		}
		unit_checks++;
		for (int b = 0; b < a; b++)
			if (strcmp(tls_alert_name(a), "unknown") != 0)
				CHECK(strcmp(tls_alert_name(a),
				    tls_alert_name(b)));
	}
	CHECK_STR(tls_alert_name(SSL_AD_PROTOCOL_VERSION), "protocol_version");
	CHECK_STR(tls_alert_name(SSL_AD_UNRECOGNIZED_NAME), "unrecognized_name");
	CHECK_STR(tls_alert_name(SSL_AD_BAD_CERTIFICATE), "bad_certificate");
	CHECK_STR(tls_alert_name(-1), "unknown");
	CHECK_STR(tls_alert_name(256), "unknown");
	CHECK_STR(tls_alert_name(255), "unknown");

	CHECK_INT(probe_cause_of_dns(DNS_NXDOMAIN, DNS_NXDOMAIN), CAUSE_NXDOMAIN);
	CHECK_INT(probe_cause_of_dns(DNS_NODATA, DNS_NODATA), CAUSE_NO_ADDRESS);
	CHECK_INT(probe_cause_of_dns(DNS_NODATA, DNS_SERVFAIL), CAUSE_SERVFAIL);
	CHECK_INT(probe_cause_of_dns(DNS_TIMEOUT, DNS_NODATA),
	    CAUSE_DNS_TIMEOUT);
	CHECK_INT(probe_cause_of_dns(DNS_TIMEOUT, DNS_NXDOMAIN), CAUSE_NXDOMAIN);
	CHECK_INT(probe_cause_of_dns(DNS_REFUSED, DNS_REFUSED),
	    CAUSE_DNS_REFUSED);
	CHECK_INT(probe_cause_of_dns(DNS_ERROR, DNS_NODATA), CAUSE_DNS_ERROR);
	CHECK_INT(probe_cause_of_dns(DNS_BUDGET, DNS_NODATA), CAUSE_DNS_BUDGET);
	CHECK_INT(probe_cause_of_dns(DNS_OK, DNS_OK), CAUSE_NONE);

	memset(&f, 0, sizeof(f));
	f.alert_received = f.alert_sent = -1;
	CHECK_INT(probe_cause_of_tls(&f, &alert), CAUSE_NONE);
	CHECK_INT(alert, -1);
	f.alert_sent = 70;
	CHECK_INT(probe_cause_of_tls(&f, &alert), CAUSE_ALERT_SENT);
	CHECK_INT(alert, 70);
	f.eof = 1;
	CHECK_INT(probe_cause_of_tls(&f, &alert), CAUSE_CLOSED);
	CHECK_INT(alert, -1);
	f.err = ECONNRESET;
	CHECK_INT(probe_cause_of_tls(&f, &alert), CAUSE_RESET);
	f.alert_received = 112;
	CHECK_INT(probe_cause_of_tls(&f, &alert), CAUSE_ALERT_RECEIVED);
	CHECK_INT(alert, 112);
	f.not_tls = 1;
	CHECK_INT(probe_cause_of_tls(&f, &alert), CAUSE_NOT_TLS);
	CHECK_INT(alert, -1);
}

/* Cancelling a running session: no callback, nothing leaks. */
static void
test_cancel(void)
{
	static const struct step script[] = {
		{ SEND, "* OK ready\r\n" },
		{ END, NULL },
	};
	struct event_base *base = event_base_new();
	struct timeval tv = { 0, 100 * 1000 };
	struct event *stop = evtimer_new(base, watchdog_cb, base);
	struct sockaddr_in sin;
	struct probe_params p;
	struct outcome o;
	struct session *s;
	struct fake f;

	fake_init(&f, base, server_ctx, script, &sin);
	memset(&p, 0, sizeof(p));
	memcpy(&p.addr, &sin, sizeof(sin));
	p.addrlen = sizeof(sin);
	p.servername = "mail.test";
	p.log_id = "test";
	p.protocol = PROTO_IMAP;
	p.timeout_ms = LONG_MS;
	p.linemax = 2048;
	p.maxlines = 100;
	p.ssl_ctx = client_ctx;
	memset(&o, 0, sizeof(o));
	probe_outcome_init(&o.out);
	o.base = base;
	s = probe_start(base, &p, probe_done, &o);
	evtimer_add(stop, &tv);
	event_base_dispatch(base);	/* stops while CAPABILITY waits */
	CHECK(!o.done);
	session_cancel(s);
	CHECK_STR(f.log.data, "a1 CAPABILITY\n");
	fake_free(&f);
	event_free(stop);
	event_base_free(base);
}

int
main(void)
{
	char err[128];

	signal(SIGPIPE, SIG_IGN);
	if (getenv("TEST_VERBOSE"))
		log_set_level(LOG_DEBUG);
	server_ctx = server_ctx_new();
	if ((client_ctx = probe_ssl_ctx_new(NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	test_imap();
	test_pop3();
	test_smtp();
	test_close_after_ok();
	test_tls_causes();
	test_cause_tables();
	test_cancel();
	SSL_CTX_free(server_ctx);
	SSL_CTX_free(client_ctx);
	run_release();
	return unit_done("test_sessions");
}
