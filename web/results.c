#include "web/results.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"

struct result_store {
	struct ctx	*ctx;		/* subscribed to, or NULL */
	struct published_target *ts;
	size_t		 n;
	size_t		 n_pending;	/* targets without a result */
	int		 ready;
};

struct result_store *
result_store_new(void)
{
	return xcalloc(1, sizeof(struct result_store));
}

void
result_store_free(struct result_store *s)
{
	if (s == NULL)
		return;
	if (s->ctx != NULL && s->ctx->results == s)
		s->ctx->results = NULL;
	free(s->ts);
	free(s);
}

static void
store_retarget(struct result_store *s, const struct published_target *ts,
    size_t n)
{
	free(s->ts);
	s->ts = xcalloc(n ? n : 1, sizeof(*s->ts));
	if (n > 0)
		memcpy(s->ts, ts, n * sizeof(*ts));
	s->n = n;
	s->n_pending = 0;
	for (size_t i = 0; i < n; i++)
		if (ts[i].result == NULL)
			s->n_pending++;
}

void
result_store_publish(void *arg, const struct publish_event *ev)
{
	struct result_store *s = arg;
	struct published_target *t;

	if (ev->kind == PUBLISH_TARGETS)
		store_retarget(s, ev->targets, ev->n);
	else {
		if (ev->index >= s->n) {
			log_warn("result_store", "msg=\"an event for no "
			    "target: ignored\" index=%zu", ev->index);
			return;
		}
		t = &s->ts[ev->index];
		if (ev->kind == PUBLISH_RUN_STARTED)
			t->running = 1;
		else if (ev->kind == PUBLISH_RESULT) {
			if (t->result == NULL && ev->result != NULL)
				s->n_pending--;
			t->result = ev->result;
			t->running = 0;
		}
	}
	if (s->n_pending == 0)
		s->ready = 1;
}

static void
store_release(void *arg)
{
	result_store_free(arg);
}

void
result_store_subscribe(struct ctx *ctx)
{
	struct result_store *s = result_store_new();

	s->ctx = ctx;
	if (publish_subscribe(ctx, result_store_publish, store_release,
	    s) == -1) {
		log_error("result_store", "msg=\"no room for the status pages' "
		    "subscription\"");
		abort();
	}
	ctx->results = s;
}

const struct published_target *
result_store_targets(const struct result_store *s, size_t *n)
{
	*n = s->n;
	return s->ts;
}

size_t
result_store_count(const struct result_store *s)
{
	return s->n;
}

const struct published_target *
result_store_find(const struct result_store *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->ts[i].key, key) == 0)
			return &s->ts[i];
	return NULL;
}

int
result_store_ready(const struct result_store *s)
{
	return s->ready;
}
