/* What every mail protocol probe shares: the parameters it is started with,
 * the steps it goes through, the fixed set of failure reasons (the `reason`
 * label), and the outcome it reports once, through its callback. */
#ifndef MAILSEC_PROBE_H
#define MAILSEC_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "collectors/dane.h"
#include "collectors/dns.h"
#include "collectors/protocol.h"

/* Steps of a probe; each is also a `phase` of mailsec_probe_duration_seconds
 * and the `step` label of a failure. */
enum probe_step {
	STEP_RESOLVE,
	STEP_CONNECT,
	STEP_BANNER,
	STEP_EHLO,
	STEP_STARTTLS,
	STEP_TLS_HANDSHAKE,
	STEP_QUIT,
	STEP__COUNT
};

enum probe_reason {
	REASON_NONE,
	REASON_DNS,		/* the name did not resolve */
	REASON_CONN,		/* connect refused, unreachable, reset */
	REASON_TIMEOUT,		/* a step took longer than the probe's timeout */
	REASON_PROTO,		/* the peer broke the protocol: garbage, overlong */
	REASON_RESP,		/* a well-formed reply refusing what we asked */
	REASON_STARTTLS_MISSING,/* the server does not offer STARTTLS */
	REASON_TLS,		/* the TLS handshake failed */
	REASON_INTERNAL,	/* out of resources on our side */
	REASON_NOT_ALLOWED,	/* /probe may not connect there (probe_allow) */
	REASON__COUNT
};

/* What exactly failed, classified where it happened: collectors/session.c
 * from the socket's errno and from what the TLS layer saw (io.c: the
 * alerts, a close, bytes that are not TLS), daemon/sched.c for a slot never
 * given, a TLSA lookup still out and a host name that did not resolve.
 * The words for people come from it (web/verdict.c), never from the
 * detail text; it is the `cause` label of mailsec_probe_error_info.  Finer
 * than the reason; the step says in which phase (a timeout in banner, ehlo,
 * starttls or tls_handshake).  A certificate that does not verify is no
 * failure of the probe (the handshake does not verify: tls.verified). */
enum probe_cause {
	CAUSE_NONE,		/* nothing finer than the reason */
	CAUSE_REFUSED,		/* connect refused (ECONNREFUSED) */
	CAUSE_NO_ROUTE,		/* no route to the host (EHOSTUNREACH) */
	CAUSE_NET_UNREACHABLE,	/* the network is unreachable (ENETUNREACH) */
	CAUSE_RESET,		/* the peer reset the connection */
	CAUSE_CLOSED,		/* the peer closed it (or EPIPE); in the TLS
				 * handshake: without an alert */
	CAUSE_SOCKET,		/* another socket error (the detail says) */
	CAUSE_TIMEOUT,		/* no answer in time (the step says where) */
	CAUSE_NO_SLOT,		/* the deadline passed before a probe slot */
	CAUSE_TLSA_WAIT,	/* the deadline passed, the TLSA lookup out */
	CAUSE_NXDOMAIN,		/* the host name does not exist */
	CAUSE_NO_ADDRESS,	/* it exists, with no A or AAAA record */
	CAUSE_SERVFAIL,		/* the DNS failed the lookup (SERVFAIL) */
	CAUSE_DNS_REFUSED,	/* the DNS refused the lookup */
	CAUSE_DNS_TIMEOUT,	/* no DNS answer in time */
	CAUSE_DNS_ERROR,	/* a malformed answer, another DNS failure */
	CAUSE_DNS_BUDGET,	/* not asked: the domain's DNS budget spent */
	CAUSE_ALERT_RECEIVED,	/* the peer sent a TLS alert (tls_alert) */
	CAUSE_ALERT_SENT,	/* we ended the handshake with an alert: the
				 * peer chose what we do not offer (tls_alert) */
	CAUSE_NOT_TLS,		/* the peer's reply was not TLS records */
	CAUSE__COUNT
};

const char *probe_step_name(enum probe_step s);
const char *probe_reason_name(enum probe_reason r);
const char *probe_cause_name(enum probe_cause c);
/* The cause of a socket error: errno as connect(), read() or write()
 * left it. */
enum probe_cause probe_cause_of_errno(int err);
/* Why a host name gave no address, from the A and the AAAA lookup: a name
 * that does not exist first, then a failed lookup, then no records. */
enum probe_cause probe_cause_of_dns(enum dns_result a, enum dns_result aaaa);
/* The cause of a TLS failure (IO_TLSERROR) as the TLS layer saw it, and
 * the alert it names (-1 none) in *alert. */
struct io_tls_fail;
enum probe_cause probe_cause_of_tls(const struct io_tls_fail *f, int *alert);
/* The name of a TLS alert (RFC 8446 section 6, RFC 5246 7.2, RFC 8446's
 * IANA registry): "handshake_failure"; "unknown" for a code without.  Ours,
 * not OpenSSL's words, so the label values stay put. */
const char *tls_alert_name(int code);
struct probe_outcome;
/* The name of the alert a failure names (cause alert_received or
 * alert_sent), else NULL. */
const char *probe_outcome_alert(const struct probe_outcome *o);

/* Facts of the TLS session and the certificate chain presented.  They are
 * read whether or not the chain verifies.
 *
 * The text fields of an outcome (char *: detail, the names, the TLS and
 * certificate strings, the DANE error) hold exact-length strings the
 * outcome owns, or the shared "" (probe_str_empty): never NULL, so they
 * read as before (%s, [0] == '\0').  They are set with probe_str_set() or
 * probe_str_printf() only, copied with probe_outcome_copy() and freed with
 * probe_outcome_free(); a plain struct copy shares them (read-only).  The
 * bounds are those of the fixed fields they replace.
 *
 * A shared outcome (probe_outcome_share) is one block (struct
 * probe_block): the outcome with its strings, chain_crypto and DANE facts,
 * read-only, held by reference count: one handshake that serves many
 * endpoints (share = on) is kept once. */
#define PROBE_DETAIL_MAX	200
#define TLS_CIPHER_MAX		64
#define TLS_VERIFY_ERROR_MAX	96
#define TLS_SIG_ALG_MAX		48
#define TLS_KEX_GROUP_MAX	32
#define TLS_NAME_MAX		256	/* subject, issuer */
#define TLS_SERIAL_MAX		96
#define TLS_FINGERPRINT_MAX	65
#define SMTP_NAME_MAX		254	/* banner_name, ehlo_name */
struct tls_facts {
	int	 done;			/* handshake completed */
	char	 version[16];		/* "TLSv1.3" */
	char	*cipher;
	int	 have_cert;
	int	 verified;
	char	*verify_error;		/* "" when verified */
	int	 hostname_match;
	double	 not_before;
	double	 not_after;
	double	 chain_earliest_not_after;	/* the verified path when it
						 * verifies, else as presented */
	double	 presented_chain_earliest_not_after;	/* every cert sent */
	unsigned chain_len;
#define CHAIN_MAX 10
	double	 chain_not_after[CHAIN_MAX];	/* by depth, as presented */
	char	 key_type[16];		/* "RSA", "EC", "ED25519" ... */
	int	 key_bits;
	char	*sig_alg;		/* "sha256WithRSAEncryption" */
	int	 sig_weak;		/* signed with SHA-1 or MD5 */
	int	 self_signed;
	int	 ocsp_stapled;
	char	 ocsp_status[16];	/* the leaf's: good, revoked, unknown
					 * (also: not in the response), malformed */
	char	*kex_group;		/* "X25519", "ffdhe2048", "DH" ... */
	int	 kex_bits;		/* size of the server's ephemeral key */
	int	 secure_renegotiation;	/* -1 not applicable (TLS 1.3) */
	char	 dh_group[16];		/* TLS <= 1.2 DHE: the RFC 7919 group
					 * its prime is ("ffdhe2048"), else "" */
	int	 extms;			/* RFC 7627 used; -1 TLS 1.3 */
	int	 compression;		/* TLS compression negotiated */
	int	 ocsp_in_cert;		/* the leaf names an OCSP responder */
	/* Key and signature of each presented certificate (the ratings):
	 * by depth, as presented: chain_len of them (at most CHAIN_MAX, at
	 * least 1) once have_cert, NULL before. */
	struct cert_crypto {
		char	 key_type[16];	/* as key_type */
		int	 key_bits;
		char	 curve[24];	/* EC: "prime256v1", else "" */
		char	 sig_hash[16];	/* "SHA256"; "" intrinsic (Ed25519) */
		char	 sig_key[16];	/* "RSA", "RSA-PSS", "EC", "ED25519" */
		int	 self_signed;
	}	*chain_crypto;
	char	*subject;
	char	*issuer;
	char	*serial;
	char	*fingerprint_sha256;
	struct dane_facts *dane;	/* NULL: not checked (tls_dane()) */
};

/* The DANE facts of t: its own, or not checked (all 0, error ""). */
const struct dane_facts *tls_dane(const struct tls_facts *t);

/* The header of an outcome on the heap.  A shared one
 * (probe_outcome_share): one allocation, this header, the outcome, then
 * its DANE facts, chain_crypto and strings; freed when its last holder
 * lets go.  An owned one (probe_outcome_new): this header and the outcome,
 * its parts allocated on their own, size 0, one holder, who writes it
 * through self (its holders see it const). */
struct probe_block {
	unsigned	 refs;		/* holders */
	size_t		 size;		/* bytes malloc was asked for; 0:
					 * owned */
	struct probe_outcome *self;	/* the outcome after this header */
};

struct probe_outcome {
	int		 success;
	enum probe_step	 fail_step;
	enum probe_reason reason;
	enum probe_cause cause;		/* set after probe_fail() */
	int		 tls_alert;	/* CAUSE_ALERT_*: the alert's code,
					 * else -1 */
	char		*detail;	/* human words for the status page, logs */
	double		 phase_s[STEP__COUNT];
	unsigned	 phase_mask;	/* which phase_s are set */
	double		 total_s;
	int		 starttls_offered;	/* -1: not learnt */
	int		 plaintext_auth_offered;	/* -1: not learnt */
	/* The STARTTLS injection test (params starttls_inject): 1 the server
	 * answered, inside TLS, a command sent in clear text with STARTTLS
	 * (CVE-2011-0411), 0 it did not, -1 not tested or not learnt. */
	int		 starttls_injection;
	/* SMTP: the host names of the 220 banner and of the first EHLO reply
	 * (smtp_reply_domain); "" when that reply named none.  The *_seen
	 * flags say the reply came at all. */
	int		 banner_seen, ehlo_seen;
	char		*banner_name;
	char		*ehlo_name;
	struct tls_facts tls;
	struct probe_block *block;	/* a shared outcome's, or NULL: a
					 * probe's own, each string its own */
};

struct probe_params {
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	const char	*servername;	/* SNI and the hostname check */
	const char	*ehlo_name;
	const char	*log_id;	/* "host=… address=… port=…" */
	enum protocol	 protocol;
	unsigned	 timeout_ms;	/* for the whole probe */
	size_t		 linemax;	/* longest reply line accepted */
	size_t		 maxlines;	/* most lines in one reply */
	SSL_CTX		*ssl_ctx;
	/* TLS variant (the audit): 0 means the context's default. */
	int		 tls_min;	/* TLS1_VERSION ... */
	int		 tls_max;
	const char	*cipher_list;	/* TLS <= 1.2 suites */
	/* DANE (RFC 7672): the secure TLSA set of this endpoint, or NULL.
	 * session_start() copies the set and the names; the probe marks its
	 * copy's records (dane_match_chain). */
	struct tlsa_set	*dane_tlsa;
	const char	*dane_base;	/* the TLSA base domain: a reference
					 * identifier for DANE-TA */
	const char	*dane_names[2];	/* more: the MX host, the next-hop
					 * domain (NULL when absent) */
	const char	*tls13_suites;	/* TLS 1.3 suites (SSL_set_ciphersuites) */
	const char	*groups;	/* key exchange groups offered */
	/* The audit's injection test: a harmless command (NOOP) goes in the
	 * same write as STARTTLS, and the goodbye inside TLS tells whether
	 * the server answered it there.  Never a command that changes state. */
	int		 starttls_inject;
};

/* Called once with the outcome; the session frees itself afterwards.  The
 * outcome is only valid during the call. */
typedef void (*probe_done_cb)(const struct probe_outcome *out, void *arg);

extern char probe_str_empty[];
/* Every field "", -1 where not learnt; nothing allocated. */
void probe_outcome_init(struct probe_outcome *out);
/* Frees what out owns; out is then as after probe_outcome_init(). */
void probe_outcome_free(struct probe_outcome *out);
/* dst (initialised or freed before) becomes a copy of src with strings of
 * its own; what dst owned is freed first.  dst == src is a no-op. */
void probe_outcome_copy(struct probe_outcome *dst,
    const struct probe_outcome *src);
/* Bytes out owns beyond the struct (its strings, chain_crypto and DANE
 * facts), as malloc was asked for them. */
size_t probe_outcome_heap_bytes(const struct probe_outcome *out);

/* Not probed (as probe_outcome_init leaves one): what an endpoint holds
 * before its probe is in; held and dropped as a shared one, never freed. */
extern const struct probe_outcome probe_outcome_none;
/* A shared, read-only copy of src, held once: src's own block held once
 * more when src is shared already. */
const struct probe_outcome *probe_outcome_share(const struct probe_outcome *src);
/* One more holder of o (shared, or probe_outcome_none); o. */
const struct probe_outcome *probe_outcome_hold(const struct probe_outcome *o);
/* An outcome of its own on the heap (initialised), to write in place and
 * give up with probe_outcome_drop(); one holder only. */
struct probe_outcome *probe_outcome_new(void);
/* A holder lets go of o (shared, probe_outcome_new's, or
 * probe_outcome_none; NULL fine). */
void probe_outcome_drop(const struct probe_outcome *o);
/* o written in place by its one holder when probe_outcome_new made it;
 * NULL when o is shared (or probe_outcome_none, or not on the heap). */
struct probe_outcome *probe_outcome_owned(const struct probe_outcome *o);
/* Bytes o takes, struct included, as malloc was asked for them: a shared
 * block's size divided by its holders, so the sum over the holders is the
 * block's size (less than one byte per holder lost to the division); 0
 * for probe_outcome_none. */
size_t probe_outcome_shared_bytes(const struct probe_outcome *o);
/* *field (a text field of an outcome) becomes the first max - 1 bytes of
 * s (cut at a UTF-8 character boundary), "" when s is NULL or empty. */
void probe_str_set(char **field, const char *s, size_t max);
void probe_str_printf(char **field, size_t max, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void probe_fail(struct probe_outcome *out, enum probe_step step,
    enum probe_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The TLS client context every probe shares: no verification during the
 * handshake (facts are wanted even from bad chains), security level 0 so
 * legacy servers still answer, CA file for our own verification after. */
SSL_CTX *probe_ssl_ctx_new(const char *ca_file, char *err, size_t errlen);
/* A fresh SSL for one connection, with SNI when servername is a name, the
 * params' TLS variant applied and a stapled OCSP response requested. */
SSL *probe_ssl_new(const struct probe_params *p);
/* Reads version, cipher and certificate facts from a finished handshake;
 * with DANE on (tlsa not NULL, the set given to probe_ssl_new), also the
 * DANE verdict and each record's match against the presented chain. */
void tls_inspect(SSL *ssl, const char *servername, struct tlsa_set *tlsa,
    struct tls_facts *f);
/* An ASN1_TIME as seconds since the epoch (UTC); 0 when unreadable. */
double tls_asn1_time_epoch(const ASN1_TIME *t);

#endif
