/* SPF (RFC 7208): a strict record parser, macro expansion and check_host()
 * as an explicit state machine that never blocks.  The evaluator does no
 * network I/O: it hands its caller one DNS question at a time and is resumed
 * with the answer, so the daemon can drive it from c-ares callbacks.
 *
 *	ev = spf_eval_new("example.com", &ip, "user@example.com", NULL, NULL);
 *	for (step = spf_eval_start(ev); step == SPF_STEP_QUERY;
 *	    step = spf_eval_resume(ev, &answer))
 *		answer = resolve(spf_eval_query(ev));	(asynchronously)
 *	res = spf_eval_result(ev);
 *	spf_eval_free(ev);
 */
#ifndef MAILSEC_SPF_H
#define MAILSEC_SPF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/util.h"

#define SPF_MAX_RECORD_LEN	4096	/* longer records are rejected */
#define SPF_MAX_TERMS		512	/* more terms are rejected */
#define SPF_MAX_DEPTH		32	/* include/redirect frames, top included */
#define SPF_WALK_MAX_LOOKUPS	200	/* a walk gives up past this many */
#define SPF_MAX_NAME_LEN	253	/* a domain name in text form */

/* Why something was rejected: reason is a stable code fit for a metric
 * label, message is for people and names the offending term and offset. */
struct spf_error {
	const char	*reason;
	size_t		 offset;
	char		 message[256];
};

/* ---- Records ---------------------------------------------------------- */

enum spf_kind {
	SPF_ALL,
	SPF_INCLUDE,
	SPF_A,
	SPF_MX,
	SPF_PTR,
	SPF_IP4,
	SPF_IP6,
	SPF_EXISTS,
	SPF_REDIRECT,
	SPF_EXP,
	SPF_UNKNOWN_MODIFIER,
};

enum spf_qualifier {
	SPF_QUAL_PASS,		/* "+", also when omitted */
	SPF_QUAL_FAIL,		/* "-" */
	SPF_QUAL_SOFTFAIL,	/* "~" */
	SPF_QUAL_NEUTRAL,	/* "?" */
};

struct spf_term {
	enum spf_kind		 kind;
	enum spf_qualifier	 qualifier;	/* mechanisms only */
	size_t			 offset;	/* byte offset in the record */
	char			*text;		/* the term as written */
	/* include, exists, redirect, exp; a, mx, ptr when given; else NULL */
	char			*domain_spec;
	char			*name;		/* unknown modifier: its name */
	char			*value;		/* unknown modifier: its value */
	int			 family;	/* ip4: AF_INET, ip6: AF_INET6 */
	uint8_t			 addr[16];	/* ip4 uses the first 4 bytes */
	unsigned		 cidr4;		/* ip4, a, mx; 32 when absent */
	unsigned		 cidr6;		/* ip6, a, mx; 128 when absent */
	uint32_t		 macros;	/* bit (letter - 'a') per macro used */
};

struct spf_record {
	struct spf_term		*terms;
	size_t			 nterms;
	const struct spf_term	*all;		/* the first "all", or NULL */
	int			 uses_ptr;
	const char		*redirect;	/* domain-spec, or NULL */
	const char		*exp;		/* domain-spec, or NULL */
	/* include, a, mx, ptr, exists, and redirect unless "all" is present
	 * (then redirect is never followed): this record's own share of the
	 * 10-lookup budget, includes not followed. */
	unsigned		 dns_terms;
};

/* Parses one record (TXT strings already joined).  0 and *out, or -1 and
 * *err with reason one of: too_long, bad_char, bad_version, too_many_terms,
 * syntax, unknown_mechanism, bad_cidr, bad_ip4, bad_ip6, bad_macro,
 * bad_domain, duplicate_modifier. */
int spf_parse(const char *record, size_t len, struct spf_record **out,
    struct spf_error *err);
void spf_record_free(struct spf_record *rec);

const char *spf_kind_name(enum spf_kind kind);
char spf_qualifier_char(enum spf_qualifier qualifier);

/* 1 when txt starts with "v=spf1" (any case) followed by SP or its end. */
int spf_is_record(const char *txt, size_t len);

/* Picks the SPF record among the TXT records of a name.  lens may be NULL
 * for NUL-terminated strings.  Returns SPF_SELECT_ONE with *index set, or
 * SPF_SELECT_NONE (reason "none") or SPF_SELECT_MULTIPLE (reason
 * "multiple_records", a permerror) with *err set. */
enum { SPF_SELECT_ONE, SPF_SELECT_NONE, SPF_SELECT_MULTIPLE };
int spf_select(const char *const *txts, const size_t *lens, size_t n,
    size_t *index, struct spf_error *err);

/* ---- Addresses and macros --------------------------------------------- */

/* An IPv4-mapped IPv6 address is always stored as IPv4 (RFC 7208 5). */
struct spf_ip {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* AF_INET uses the first 4 bytes */
};
int spf_ip_parse(const char *text, struct spf_ip *ip);
int spf_ip_from_sockaddr(const struct sockaddr *sa, struct spf_ip *ip);

struct spf_macro_ctx {
	const char	*sender;	/* s l o: "local@domain"; NULL or no "@":
					 * local-part "postmaster" (RFC 7208 4.3) */
	const char	*domain;	/* d: <domain> of the current check_host() */
	struct spf_ip	 ip;		/* i c v */
	const char	*helo;		/* h; NULL: "unknown" */
	const char	*validated_name; /* p; NULL: "unknown" */
	const char	*receiver;	/* r; NULL: "unknown" */
	long long	 timestamp;	/* t */
	/* 0: a domain-spec; c, r, t are refused and the result is cut to 253
	 * bytes by dropping labels on the left.  1: explanation text; c, r, t
	 * and blanks are allowed and nothing is cut. */
	int		 explanation;
};

/* Expands a macro-string (RFC 7208 7) into out, which is reset first.
 * 0, or -1 with *err reason "bad_macro". */
int spf_expand(const char *macro_string, const struct spf_macro_ctx *ctx,
    struct buf *out, struct spf_error *err);

/* ---- check_host() ----------------------------------------------------- */

enum spf_result_code {
	SPF_RESULT_NONE,
	SPF_RESULT_NEUTRAL,
	SPF_RESULT_PASS,
	SPF_RESULT_FAIL,
	SPF_RESULT_SOFTFAIL,
	SPF_RESULT_TEMPERROR,
	SPF_RESULT_PERMERROR,
};
const char *spf_result_name(enum spf_result_code code);

/* Zero fields take the RFC 7208 4.6.4 defaults: 10, 2, 10. */
struct spf_limits {
	unsigned	dns_lookups;	/* DNS-querying terms, all records */
	unsigned	void_lookups;	/* terms answered NXDOMAIN or empty */
	unsigned	names;		/* names used from one MX or PTR answer */
};

enum spf_qtype {
	SPF_QTYPE_TXT,
	SPF_QTYPE_A,
	SPF_QTYPE_AAAA,
	SPF_QTYPE_MX,
	SPF_QTYPE_PTR,
};
const char *spf_qtype_name(enum spf_qtype type);

/* What the evaluator wants to know; valid until the next resume or free. */
struct spf_query {
	const char	*name;		/* no trailing dot */
	enum spf_qtype	 type;
};

enum spf_dns_status {
	SPF_DNS_OK,
	SPF_DNS_NXDOMAIN,
	SPF_DNS_NODATA,		/* NOERROR without an answer of that type */
	SPF_DNS_SERVFAIL,	/* and every other failure RCODE */
	SPF_DNS_TIMEOUT,
	SPF_DNS_BUDGET,		/* not asked: the domain's DNS budget is spent */
};

/* The caller's answer; the evaluator copies what it keeps.  SPF_DNS_OK with
 * nothing in it counts as NODATA. */
struct spf_answer {
	enum spf_dns_status	 status;
	/* TXT: one string per record, its character-strings joined without a
	 * separator; MX (sorted by preference, or not) and PTR: host names.
	 * A name given twice is used once: the limit of 10 names applies to
	 * the distinct names, in answer order. */
	const char *const	*strings;
	const size_t		*lens;		/* NULL: NUL-terminated */
	size_t			 nstrings;
	/* A and AAAA */
	const struct spf_ip	*addrs;
	size_t			 naddrs;
};

struct spf_result {
	enum spf_result_code	 code;
	/* match, default, nxdomain, no_spf_record, bad_domain, dns_servfail,
	 * dns_timeout, multiple_records, include_target_missing,
	 * redirect_target_missing, include_loop, redirect_loop, too_deep,
	 * too_many_dns_lookups, too_many_void_lookups, too_many_mx_names,
	 * internal, or a spf_parse() reason from any record on the way. */
	const char		*reason;
	char			 message[256];
	/* Counted across include and redirect.  Evaluation stops at the term
	 * that crosses a limit, and that term is counted: 11 means "stopped
	 * on the 11th". */
	unsigned		 dns_lookups;
	unsigned		 void_lookups;
	unsigned		 dns_queries;	/* questions asked of the caller */
	unsigned		 max_depth;	/* 0: the top record only */
	/* The "all" a receiver ends on: the top record's, or when it has
	 * none but a redirect=, that of the record the redirect leads to
	 * (RFC 7208 6.1), and so on down the chain.  An enum spf_qualifier,
	 * SPF_ALL_NONE when that record has no "all", SPF_ALL_UNKNOWN when it
	 * was not reached (an error on the way; in check_host() also a match
	 * before the redirect).  A walk follows every redirect. */
	int			 all_qualifier;
};

#define SPF_ALL_NONE	(-1)
#define SPF_ALL_UNKNOWN	(-2)

enum spf_step {
	SPF_STEP_QUERY,		/* answer spf_eval_query(), then resume */
	SPF_STEP_DONE,		/* spf_eval_result() is final */
};

struct spf_eval;

/* check_host(<ip>, <domain>, <sender>).  helo feeds %{h}; limits may be
 * NULL.  Never fails: a malformed domain gives the result "none". */
struct spf_eval *spf_eval_new(const char *domain, const struct spf_ip *ip,
    const char *sender, const char *helo, const struct spf_limits *limits);
/* Walk mode: the worst case a receiver can spend on this domain.  It is
 * check_host() for an address that matches nothing: ip4, ip6, a, mx, ptr
 * and exists never match, "all" still does (what follows it is never
 * evaluated), so every include and redirect on the way is followed.  a and
 * mx ask for A (AF_INET) or AAAA (AF_INET6) records; ptr asks nothing since
 * there is no address to reverse; macros see the unspecified address.
 * Limits do not stop a walk: the counters run on up to
 * SPF_WALK_MAX_LOOKUPS, and the result is then permerror with the reason of
 * the first limit crossed. */
struct spf_eval *spf_eval_new_walk(const char *domain, int family,
    const struct spf_limits *limits);
enum spf_step spf_eval_start(struct spf_eval *ev);
/* A NULL answer counts as a timeout. */
enum spf_step spf_eval_resume(struct spf_eval *ev,
    const struct spf_answer *answer);
const struct spf_query *spf_eval_query(const struct spf_eval *ev);
const struct spf_result *spf_eval_result(const struct spf_eval *ev);
/* The top-level record once fetched and parsed, else NULL. */
const struct spf_record *spf_eval_record(const struct spf_eval *ev);
const char *spf_eval_state_name(const struct spf_eval *ev);
void spf_eval_free(struct spf_eval *ev);

#endif
