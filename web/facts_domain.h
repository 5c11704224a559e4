/* The domain fact table: each fact a domain's result holds (MX, SPF,
 * DKIM, DMARC, MTA-STS, TLS-RPT, DNSSEC, MX hygiene) is described once,
 * in web/facts_domain.c -- its JSON key, type, metric family (name, help
 * and unit in web/expo.c), the label it gives, its target page row,
 * where it reads in the result and the verdict it feeds -- and /metrics,
 * the JSON API and the target page's domain sections are all produced
 * from that table (doc/architecture.md, "How to add a domain fact").
 *
 * The facts stand in groups, a tree: a group is a JSON object, an array
 * of objects (one per item: a DKIM selector, an MX host, an SPF check, a
 * zone), or no JSON at all; a group of items gives each item's samples
 * its item label (selector="s1").  Facts of the endpoints are web/facts.c's. */
#ifndef MAILSEC_FACTS_DOMAIN_H
#define MAILSEC_FACTS_DOMAIN_H

#include <stddef.h>

#include "daemon/result.h"
#include "web/expo.h"
#include "web/facts.h"
#include "web/json.h"

enum dom_group {
	DG_MX,			/* "mx": the MX answer (domain targets) */
	DG_MX_RECORD,		/* "mx.records": per MX record */
	DG_RECORDS,		/* "records": SPF, DKIM, DMARC */
	DG_SPF,			/* "records.spf" */
	DG_SPF_CHECK,		/* "records.spf.checks": per check_host() */
	DG_DKIM,		/* "records.dkim": per selector */
	DG_DMARC,		/* "records.dmarc" */
	DG_DMARC_DEST,		/* per rua destination (metrics only) */
	DG_POLICY,		/* the page's MTA-STS, TLS-RPT, DNSSEC section */
	DG_STS,			/* "mta_sts" */
	DG_STS_MX,		/* per MX host against the policy (metrics only) */
	DG_TLSRPT,		/* "mta_sts.tls_rpt" */
	DG_ZONE,		/* "dnssec": per name */
	DG_MXHYG,		/* MX hygiene (metrics only; the verdict tells) */
	DG_MXHYG_FINDING,	/* per MX error */
	DG_MXHYG_HOST,		/* per MX host: IPv6, CAA */
	DG_MXHYG_ADDR,		/* per MX address: FCrDNS */
	DG__COUNT
};

/* What a domain fact reads from: the result, and the item of its group. */
struct dom_src {
	const struct check_result *r;
	const void	*base;		/* the group's struct (item) */
	size_t		 i;		/* the item's index */
	int		 mode;		/* address_label (ADDRESS_LABEL_*) */
};

#define DF_JOIN		0x01	/* the previous fact's sample: its labels
				 * and value are this one's too */
#define DF_PRE		0x02	/* the page shows the text as a record */
#define DF_ROW_ITEM	0x04	/* the page's row is .row, a space and the
				 * item's name */
#define DF_ROW_ESCAPE	0x08	/* the row's name is escaped on the page */
#define DF_ROW_IF_TRUE	0x10	/* the page's row only when the value is */

/* A row of the page. */
struct fact_cell {
	const char	*name;
	int		 name_escape;
	const char	*text;
	int		 pre;		/* text is a record: <pre> */
	const char	*note;		/* a second line, or NULL */
};
struct dom_fact {
	enum dom_group	 group;
	const char	*key;		/* JSON key; NULL: not in the JSON */
	enum fact_type	 type;
	enum family	 family;	/* F__COUNT: no metric */
	const char	*label;		/* FT_STR: its label's name; FT_LOOKUP:
					 * the record="..." it gives */
	const char	*row;		/* the page's row; NULL: none */
	/* how it reads: a field of the group's struct (DF_AT), or read() */
	size_t		 at;
	enum fact_ctype	 ctype;
	enum fact_known	 known;
	void		(*read)(const struct dom_src *s, struct fact_value *v);
	/* /metrics and the page only when when() (the JSON still shows it) */
	int		(*when)(const struct dom_src *s);
	/* the row's text when it is not the value's by type */
	void		(*words)(const struct dom_src *s, char *out, size_t len);
	/* the page's cell when it is more than text */
	void		(*cell)(const struct dom_src *s, struct fact_cell *c);
	/* samples too many-labelled for a row of their own */
	void		(*expo)(struct expo *e, const struct buf *labels,
			    const struct dom_src *s);
	enum fact_feeds	 feeds;
	unsigned	 flags;
};

extern const struct dom_fact dom_facts[];
extern const size_t n_dom_facts;
/* A table to render: dom_table is the one above (a unit test renders
 * its own). */
struct dom_table {
	const struct dom_fact *facts;
	size_t		 n;
};
extern const struct dom_table dom_table;

/* Reads fact f of s. */
void dom_fact_read(const struct dom_fact *f, const struct dom_src *s,
    struct fact_value *v);

/* The samples of every known domain fact of r (a domain target's);
 * labels are the domain's; mode is address_label. */
void domfacts_expo(const struct dom_table *t, struct expo *e,
    const struct buf *labels, const struct check_result *r, int mode);

/* Where on the page and in the JSON: before the endpoints (the MX
 * answer) or after them (records, policies, DNSSEC). */
enum dom_part { DOM_HEAD, DOM_TAIL };

/* The part's members of the target's JSON object (r may be NULL). */
void domfacts_json(const struct dom_table *t, struct json *j,
    const struct check_result *r, enum dom_part part);

struct domfacts_page {
	void		(*open)(void *arg, const char *title);
	void		(*close)(void *arg);
	void		(*row)(void *arg, const struct fact_cell *c);
	void		*arg;
};
/* The part's sections of the target page (r not NULL). */
void domfacts_rows(const struct dom_table *t, const struct check_result *r,
    enum dom_part part, const struct domfacts_page *page);

#endif
