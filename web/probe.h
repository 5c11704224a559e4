/* GET /probe?target=T&module=M: one check run now, as the module says, on
 * a target the allow-list admits, answered with its metrics (the
 * blackbox_exporter pattern).  The parsers are strict and public for the
 * tests and the fuzzer. */
#ifndef MAILSEC_PROBE_WEB_H
#define MAILSEC_PROBE_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "web/http.h"

#define PROBE_TARGET_MAX	300	/* bytes of ?target= */
#define PROBE_TIMEOUT_MIN_MS	100
#define PROBE_TIMEOUT_HEADER	"X-Prometheus-Scrape-Timeout-Seconds"

struct probe_target {
	char		 host[256];	/* lowercased name, or canonical IP */
	uint16_t	 port;		/* 0: none given */
	int		 family;	/* 0 for a name, else AF_INET(6) */
	unsigned char	 addr[16];	/* IP: the address (v4-mapped: v4) */
};

/* ?target= as a module of kind takes it: a domain name (kind domain), or
 * for an endpoint "host", "host:port", "ip", "ip:port", "[v6]", "[v6]:port"
 * or a bare IPv6 address.  s holds len bytes (NULs are refused).  0, or
 * -1 with *why. */
int probe_target_parse(const char *s, size_t len, enum target_kind kind,
    struct probe_target *t, const char **why);

/* X-Prometheus-Scrape-Timeout-Seconds: "10", "9.5" (digits, at most one
 * '.', at most 6 digits before it); more than 0.  Milliseconds, the rest
 * cut.  0, or -1 with *why. */
int probe_timeout_parse(const char *s, uint64_t *ms, const char **why);

/* The timeout of a probe: the header's minus offset (or cap without a
 * header), at most cap, at least PROBE_TIMEOUT_MIN_MS. */
uint64_t probe_timeout_effective(int have_header, uint64_t header_ms,
    uint64_t offset_ms, uint64_t cap_ms);

/* 1 if the allow-list admits t; else 0 with a one-line reason in why.
 * Names match NAME and *.SUFFIX entries, addresses CIDR entries; an
 * address in a special range needs an entry inside that range. */
int probe_allowed(const struct allow_entry *list, size_t n,
    const struct probe_target *t, char *why, size_t whylen);
/* 1 if port is in probe_allow_ports; else 0 with the reason in why. */
int probe_port_allowed(const struct config *cfg, uint16_t port, char *why,
    size_t whylen);

struct web;
void probe_handle(struct web *w, struct http_req *req);

#endif
