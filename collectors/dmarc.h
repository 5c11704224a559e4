/* DMARC policy records (RFC 7489 6.3/6.4, np from RFC 9091, psd and t from
 * DMARCbis) and the external report destination check of RFC 7489 7.1.
 * Pure parsing; the lookups are the caller's.
 *
 * Case: tag names and the p/sp/np/adkim/aspf/fo/rf values are quoted
 * strings in the 6.4 ABNF, so ASCII case-insensitive; the v value is
 * written %x44 %x4d %x41 %x52 %x43 %x31 and 6.3 says it "MUST match
 * precisely", so "v=dmarc1" is not a DMARC record ("bad_version"). */
#ifndef MAILSEC_DMARC_H
#define MAILSEC_DMARC_H

#include <stddef.h>
#include <stdint.h>

#include "collectors/txt.h"

enum dmarc_policy {
	DMARC_POLICY_UNSET = -1,
	DMARC_POLICY_NONE = 0,
	DMARC_POLICY_QUARANTINE = 1,
	DMARC_POLICY_REJECT = 2,
};

/* fo= options. */
#define DMARC_FO_0	0x01	/* all mechanisms failed (the default) */
#define DMARC_FO_1	0x02	/* any mechanism failed */
#define DMARC_FO_D	0x04	/* DKIM failed */
#define DMARC_FO_S	0x08	/* SPF failed */

#define DMARC_DEFAULT_RI 86400

/* One rua/ruf destination. */
struct dmarc_uri {
	char		*uri;		/* as published, without "!size" */
	char		*domain;	/* host it goes to, lowercased, no
					 * trailing dot; NULL if none */
	int		 mailto;	/* the only scheme receivers must do */
	uint64_t	 max_bytes;	/* "!10m": 10485760; 0: no limit */
};

/* reason is NULL when valid, else one of: "no_record",
 * "multiple_records", "too_long", "bad_version", "syntax", "duplicate_tag",
 * "missing_policy", "bad_policy", "bad_pct", "bad_alignment", "bad_fo",
 * "bad_rf", "bad_ri", "bad_uri", "bad_psd", "bad_t".  Only the first problem
 * is reported, but the remaining tags are still read, as receivers read them
 * (6.3: errors give way to defaults), so the fields describe the effective
 * policy. */
struct dmarc_record {
	struct dmarc_uri *rua;
	struct dmarc_uri *ruf;
	char		**unknown_tags;	/* names, in record order */
	const char	*reason;
	char		*message;	/* for humans, owned, cut at
					 * DMARC_MESSAGE_MAX - 1 bytes; ""
					 * (ostr_empty) when valid */
	/* The lists may be dropped (dmarc_record_drop_lists) once read:
	 * the counts stay. */
	unsigned	 n_rua;
	unsigned	 n_ruf;
	unsigned	 n_unknown_tags;
	unsigned	 selected;	/* dmarc_select: the record parsed */
	uint32_t	 ri;		/* seconds, default 86400 */
	signed char	 present;	/* a record was parsed; dmarc_select:
					 * one starts with (nearly) v=DMARC1 */
	signed char	 is_dmarc;	/* starts exactly with v=DMARC1 */
	signed char	 valid;		/* and conforms to 6.4 throughout */
	signed char	 multiple_records; /* receivers then apply no DMARC */
	/* dmarc_select: none starts exactly with v=DMARC1, one nearly does
	 * (v=dmarc1, a leading space); receivers ignore it (6.6.3), so it
	 * must not stop the organisational-domain fallback. */
	signed char	 near_miss;
	signed char	 policy_implied; /* p (or sp) missing or bad but rua
					  * valid: p=none assumed (6.6.3) */
	signed char	 policy;	/* enum dmarc_policy: p */
	signed char	 subdomain_policy; /* sp, else p */
	signed char	 nonexistent_policy; /* np, else sp, else p */
	signed char	 sp_set;
	signed char	 np_set;
	signed char	 testing;	/* t=y */
	signed char	 pct;		/* 0-100, default 100 */
	char		 adkim;		/* 'r' (default) or 's' */
	char		 aspf;
	char		 psd;		/* 'y', 'n', 'u' (default) */
	unsigned char	 fo;		/* DMARC_FO_*, default DMARC_FO_0 */
};

#define DMARC_MESSAGE_MAX	256	/* message's bound, NUL included */

/* Parses one record (the joined strings, may hold NULs) into d, which is
 * overwritten: free it first when reusing.  present is set. */
void dmarc_parse(const char *rec, size_t len, struct dmarc_record *d);

/* The TXT answer at _dmarc.<domain> (6.6.3): records not starting with
 * v=DMARC1 are ignored, none gives "no_record" (but a near miss such as
 * "v=dmarc1" is parsed, so it shows as "bad_version", with near_miss set),
 * more than one gives "multiple_records" with the first parsed.  selected
 * is the index of the record parsed. */
void dmarc_select(const struct txt_records *recs, struct dmarc_record *d);

/* Frees what d holds; d is left empty (no record). */
void dmarc_record_free(struct dmarc_record *d);
/* Frees the rua, ruf and unknown tag lists, keeping their counts. */
void dmarc_record_drop_lists(struct dmarc_record *d);

const char *dmarc_policy_name(enum dmarc_policy policy);

/* The organisational domain (RFC 7489 3.2) of name, by the public suffix
 * list built into libpsl.  name may have a trailing dot and upper case;
 * out gets it lowercased.  Returns 0, or -1 when name is bad, is itself a
 * public suffix, or out is too small. */
int org_domain(const char *name, char *out, size_t outlen);

/* 1 when reports for policy_domain going to dest_domain leave its
 * organisational domain, so need authorising (7.1); 0 when not; -1 when a
 * name is bad.  A name with no organisational domain stands for itself. */
int dmarc_destination_is_external(const char *policy_domain,
    const char *dest_domain);

/* "<policy_domain>._report._dmarc.<dest_domain>", lowercased.  Returns 0, or
 * -1 on a bad name or when the result exceeds 253 bytes or outlen. */
int dmarc_report_auth_name(const char *policy_domain, const char *dest_domain,
    char *out, size_t outlen);

/* The TXT answer at that name authorises the reports when a record starts
 * with v=DMARC1 (7.1 steps 5-7).  Returns 1 or 0. */
int dmarc_report_auth_ok(const struct txt_records *recs);

#endif
