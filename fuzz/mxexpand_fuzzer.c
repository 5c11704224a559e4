/* libFuzzer: the MX expansion job (collectors/mxexpand.c) fed hostile
 * answers inside send(), as the scheduler's queue or c-ares in the test
 * mode gives them: the MX answer, then one answer for every A and AAAA
 * question.  The invariants the scheduler relies on are checked: the MX
 * set once, before any MX host; at most MXEXPAND_MX_MAX MX hosts asked;
 * done once, from the loop; every address handed over well formed.
 *
 * Input: a 2-byte big-endian length L, the MX answer (L bytes), then the
 * answer given to every address question (the rest). */
#include <arpa/nameser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "base/log.h"
#include "collectors/mxexpand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	const unsigned char *mx, *addr;
	int		 mx_len, addr_len;
	size_t		 sent, mx_calls, hosts, mx_hosts, done;
};

static void
fuzz_send(void *send_arg, const char *name, int type, dns_answer_cb cb,
    void *cb_arg, uint64_t *sent_ms)
{
	struct run *r = send_arg;

	(void)name;
	(void)sent_ms;
	r->sent++;
	if (type == ns_t_mx)
		cb(cb_arg, ARES_SUCCESS, r->mx, r->mx_len);
	else
		cb(cb_arg, ARES_SUCCESS, r->addr, r->addr_len);
}

static void
on_mx(void *arg, const struct mxexpand_mx *m)
{
	struct run *r = arg;

	if (r->mx_calls++ > 0 || r->mx_hosts > 0 || m->result >= DNS__COUNT)
		abort();
	if ((m->result == DNS_OK) != (m->n_mx > 0 && m->mx != NULL))
		abort();
	for (size_t i = 1; i < m->n_mx; i++)
		if (m->mx[i - 1].preference > m->mx[i].preference)
			abort();	/* sorted */
}

static void
on_host(void *arg, const struct mxexpand_host *h)
{
	struct run *r = arg;

	r->hosts++;
	if (h->role == MXEXPAND_MX)
		r->mx_hosts++;
	if (h->n_addrs > h->n_found || h->name == NULL ||
	    h->role >= MXEXPAND__COUNT)
		abort();
	for (size_t i = 0; i < h->n_addrs; i++)
		if (!(h->addrs[i].ss.ss_family == AF_INET &&
		    h->addrs[i].len == sizeof(struct sockaddr_in)) &&
		    !(h->addrs[i].ss.ss_family == AF_INET6 &&
		    h->addrs[i].len == sizeof(struct sockaddr_in6)))
			abort();
}

static void
on_done(struct mxexpand_result *res, void *arg)
{
	struct run *r = arg;

	r->done++;
	for (size_t i = 0; i < res->n_mx_addrs; i++)
		if (res->mx_addrs[i].host == NULL ||
		    res->mx_addrs[i].address[0] == '\0')
			abort();
	mxexpand_result_free(res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_base *base;
	static const struct mxexpand_name imap[] = {
		{ "imap.example.org", MXEXPAND_IMAP },
	};
	static const struct mxexpand_cbs cbs = { on_mx, on_host, on_done };
	struct mxexpand_params p;
	struct run r;
	size_t l;

	if (base == NULL) {
		log_set_level(LOG_ERROR);
		base = event_base_new();
	}
	if (size < 2)
		return 0;
	l = (size_t)data[0] << 8 | data[1];
	if (l > size - 2)
		l = size - 2;
	memset(&r, 0, sizeof(r));
	r.mx = data + 2;
	r.mx_len = (int)l;
	r.addr = data + 2 + l;
	r.addr_len = (int)(size - 2 - l);
	memset(&p, 0, sizeof(p));
	p.base = base;
	p.domain = "example.org";
	p.hosts = imap;
	p.n_hosts = 1;
	p.v4 = 1;
	p.v6 = data[size - 1] & 1;
	p.send = fuzz_send;
	p.send_arg = &r;
	mxexpand_start(&p, &cbs, &r);
	if (r.done != 0)
		abort();		/* never inside start */
	event_base_loop(base, EVLOOP_NONBLOCK);
	if (r.done != 1 || r.mx_calls != 1 || r.mx_hosts > MXEXPAND_MX_MAX ||
	    r.sent > 1 + 2 * (MXEXPAND_MX_MAX + 1))
		abort();
	return 0;
}
