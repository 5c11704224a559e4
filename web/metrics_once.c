#include "web/metrics_once.h"

#include "web/expo.h"
#include "web/metrics.h"
#include "web/results.h"

static int
write_header(FILE *out, enum family f)
{
	const struct family_def *d = family_get(f);

	return fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", d->name, d->help,
	    d->name, d->type) < 0 ? -1 : 0;
}

static int
write_buf(FILE *out, const struct buf *b)
{
	return b->len && fwrite(b->data, 1, b->len, out) != b->len ? -1 : 0;
}

int
metrics_once_write(struct ctx *ctx, FILE *out)
{
	int mode = metrics_address_mode(ctx), rc = 0;
	size_t n = 0;
	const struct published_target *pt = ctx->results == NULL ? NULL :
	    result_store_targets(ctx->results, &n);
	struct expo one, tail;

	expo_init(&one);
	expo_init(&tail);
	metrics_add_exporter(&tail, ctx);
	for (int f = 0; f < F__COUNT; f++) {
		int headed = 0;

		one.only = f;
		for (size_t i = 0; i < n; i++) {
			const struct buf *b = &one.fam[f];

			expo_reset(&one);
			metrics_add_result(&one, pt[i].result, mode);
			if (b->len == 0)
				continue;
			if (!headed && write_header(out, (enum family)f) == -1)
				rc = -1;
			headed = 1;
			if (write_buf(out, b) == -1)
				rc = -1;
		}
		if (tail.fam[f].len == 0)
			continue;
		if (!headed && write_header(out, (enum family)f) == -1)
			rc = -1;
		if (write_buf(out, &tail.fam[f]) == -1)
			rc = -1;
	}
	expo_free(&one);
	expo_free(&tail);
	return rc;
}
