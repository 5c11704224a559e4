#include "daemon/adhoc.h"

#include <stdlib.h>

#include "daemon/sched.h"
#include "base/util.h"

struct adhoc {
	struct check	*c;
	adhoc_result_cb	 cb;
	void		*arg;
};

static void
adhoc_done(struct check *c, void *arg)
{
	struct adhoc *a = arg;

	a->cb(a->arg, c->last);	/* may free a */
}

struct adhoc *
adhoc_start(struct ctx *ctx, const struct target_cfg *t, uint64_t deadline_ms,
    adhoc_result_cb cb, void *arg)
{
	struct adhoc *a = xcalloc(1, sizeof(*a));

	a->cb = cb;
	a->arg = arg;
	a->c = sched_adhoc_start(ctx, t, deadline_ms, adhoc_done, a);
	return a;
}

void
adhoc_free(struct adhoc *a)
{
	if (a == NULL)
		return;
	sched_adhoc_free(a->c);
	free(a);
}
