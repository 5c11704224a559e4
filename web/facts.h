/* The endpoint fact table: each fact an endpoint's result holds is
 * described once, in web/facts.c (its JSON key, type, metric family --
 * whose name, help and unit are in web/expo.c --, the label it gives,
 * its status page row, where it reads in the result and the verdict it
 * feeds), and /metrics, the JSON API and the target page's detail rows
 * are all produced from that table.  Adding a fact is one row there (and
 * a family in web/expo.h/.c when it is a new metric): doc/architecture.md.
 *
 * Not in the table: an endpoint's identity (host, address, port,
 * protocol: the labels) and its probe outcome (success, the time per
 * phase, the failure), the frame every output writes in its own shape. */
#ifndef MAILSEC_FACTS_H
#define MAILSEC_FACTS_H

#include <stddef.h>

#include "daemon/result.h"
#include "base/util.h"
#include "web/expo.h"
#include "web/json.h"

/* A group of facts: a JSON object (or the endpoint's own), a section of
 * the page, and when its facts are known at all. */
enum ep_group {
	EPG_SESSION,	/* the dialogue before TLS */
	EPG_TLS,	/* the handshake made */
	EPG_CERT,	/* the certificate presented */
	EPG_AUDIT,	/* the TLS audit's handshakes */
	EPG_DANE,	/* DANE: the lookup and the handshake (MX hosts, SMTP ports) */
	EPG__COUNT
};

enum fact_type {
	FT_BOOL,	/* JSON true/false, page yes/no */
	FT_TRI,		/* -1 not learnt: JSON null, no sample, "not learnt" */
	FT_INT,
	FT_NUM,
	FT_TIME,	/* a wall-clock timestamp */
	FT_STR,		/* exported as a label of its family's sample */
	FT_SET,		/* a tri per name: a JSON object, a sample per name */
	FT_LIST,	/* numbers by position: a JSON array, a sample each */
	FT_STRS,	/* strings: a JSON array, the page's "a, b" */
	FT_LOOKUP,	/* a DNS lookup (struct dns_lookup_info): JSON and the
			 * page its result's name, /metrics its
			 * mailsec_dns_lookup_* samples */
};

/* The verdict (web/verdict.c) a fact feeds. */
enum fact_feeds {
	FEEDS_NONE,
	FEEDS_STARTTLS,
	FEEDS_TLS,
	FEEDS_CERT,
	FEEDS_MTA_STS,
	FEEDS_SPF,
	FEEDS_DKIM,
	FEEDS_DMARC,
	FEEDS_MX_HYGIENE,
};

/* What a fact reads from. */
struct fact_src {
	const struct check_result *r;
	const struct endpoint_result *ep;
	double		 now;		/* the page's words ("90 days") */
};

struct fact_value {
	int		 known;		/* 0: no sample, JSON null, no row */
	double		 num;
	const char	*str;
	size_t		 n;		/* FT_SET, FT_LIST */
	const signed char *tris;	/* FT_SET: n values */
	const char	*(*name)(size_t i);	/* FT_SET: value i's name */
	const double	*nums;		/* FT_LIST: n values */
	char *const	*strs;		/* FT_STRS: n values */
	const struct dns_lookup_info *lookup;	/* FT_LOOKUP */
	struct dns_lookup_info own_lookup;	/* ... when made up */
	char		 text[512];	/* str, when made up */
};

/* Where a plain fact reads: a field of struct endpoint_result (or of
 * the domain fact's group, web/facts_domain.h).  C_CHARS a char array,
 * C_STRP a char pointer, C_LOOKUP a struct dns_lookup_info. */
enum fact_ctype { C_NONE, C_INT, C_UINT, C_SCHAR, C_DOUBLE, C_CHARS,
	C_STRP, C_LONG, C_SIZE, C_LOOKUP };
/* When a plain fact is known. */
enum fact_known { K_ALWAYS, K_NONNEG, K_NONEMPTY, K_NONNULL };

/* .at and .ctype of field f of struct T, the type told by the field's:
 * a field that turns from an array into a pointer stays read right. */
#define FACT_CTYPE(p) _Generic((p),					\
	int *: C_INT, unsigned *: C_UINT, signed char *: C_SCHAR,	\
	double *: C_DOUBLE, long *: C_LONG, size_t *: C_SIZE,		\
	char **: C_STRP, const char **: C_STRP,				\
	struct dns_lookup_info *: C_LOOKUP, default: C_CHARS)
#define FACT_AT(T, f)	.at = offsetof(T, f), .ctype = FACT_CTYPE(&((T *)0)->f)

/* Empties v (all but its text buffer). */
void fact_value_clear(struct fact_value *v);
/* Reads the field at of base into v, known as known says. */
void fact_read_field(const void *base, size_t at, enum fact_ctype ctype,
    enum fact_known known, struct fact_value *v);

#define FACT_JSON_RAW	0x1	/* JSON shows the value even when not known */
#define FACT_IN_AUDIT	0x2	/* .at is of struct tls_audit: the field is
				 * the endpoint's audit's (endpoint_audit) */
#define FACT_IN_OUTCOME	0x4	/* .at is of struct probe_outcome: the
				 * field is the endpoint's outcome's */

struct ep_fact {
	enum ep_group	 group;
	const char	*key;		/* JSON key; NULL: not in the JSON */
	enum fact_type	 type;
	enum family	 family;	/* F__COUNT: no metric.  Consecutive
					 * facts of one family make one sample:
					 * the FT_STR ones its labels, the
					 * number its value (1 without one) */
	const char	*label;		/* FT_STR: its label's name; FT_SET,
					 * FT_LIST: the label naming the entry */
	const char	*row;		/* the page's row; NULL: none, or part
					 * of another fact's */
	/* how it reads: a field (at, ctype, known), or read() */
	size_t		 at;		/* offsetof(struct endpoint_result, .),
					 * of struct probe_outcome
					 * (FACT_IN_OUTCOME) or of struct
					 * tls_audit (FACT_IN_AUDIT) */
	enum fact_ctype	 ctype;
	enum fact_known	 known;
	void		(*read)(const struct fact_src *s, struct fact_value *v);
	/* the row's text when it is not the value's by type */
	void		(*words)(const struct fact_src *s, char *out,
			    size_t len);
	enum fact_feeds	 feeds;
	unsigned	 flags;
};

/* The table, and its length. */
extern const struct ep_fact ep_facts[];
extern const size_t n_ep_facts;

/* Reads fact f of s. */
void fact_read(const struct ep_fact *f, const struct fact_src *s,
    struct fact_value *v);

/* A fact's member of a JSON object: null when not known (raw: numbers
 * even then). */
void fact_json(struct json *j, const char *key, enum fact_type type, int raw,
    const struct fact_value *v);

/* A fact's words on the page by its type ("yes", "not learnt", a date). */
void fact_text(enum fact_type type, const struct fact_value *v, char *out,
    size_t len);

/* The samples of every known fact of ep; labels are the endpoint's. */
void facts_expo(struct expo *e, const struct buf *labels,
    const struct check_result *r, const struct endpoint_result *ep);
/* The facts as members of the endpoint's JSON object: the session's
 * inline, then an object (or null) per group. */
void facts_json(struct json *j, const struct check_result *r,
    const struct endpoint_result *ep);
/* The page's rows: section(arg, title) where a group's section starts,
 * row(arg, name, text) for each row. */
struct facts_page {
	void		(*section)(void *arg, const char *title);
	void		(*row)(void *arg, const char *name, const char *text);
	void		*arg;
};
void facts_rows(const struct check_result *r, const struct endpoint_result *ep,
    double now, const struct facts_page *page);

#endif
