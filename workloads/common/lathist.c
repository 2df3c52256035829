/* lathist: log-linear latency histogram (see lathist.h). */
#include "lathist.h"
#include "wl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

int lathist_init(lathist *h)
{
	h->count = h->sum_ns = h->min_ns = h->max_ns = 0;
	h->buckets = calloc(LATHIST_BUCKETS, sizeof(*h->buckets));
	return h->buckets ? 0 : -ENOMEM;
}

void lathist_free(lathist *h)
{
	free(h->buckets);
	h->buckets = NULL;
}

void lathist_merge(lathist *dst, const lathist *src)
{
	unsigned i;

	if (!src->count)
		return;
	for (i = 0; i < LATHIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	if (!dst->count || src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
}

/* The smallest and largest value that land in bucket i. */
static void bucket_range(unsigned i, double *lo, double *hi)
{
	unsigned e;

	if (i < 2 * LATHIST_SUB) {
		*lo = *hi = i;
		return;
	}
	e = i / LATHIST_SUB - 1;
	*lo = ldexp((double)(i - e * LATHIST_SUB), (int)e);
	*hi = *lo + ldexp(1.0, (int)e) - 1;
}

double lathist_percentile_ns(const lathist *h, double p)
{
	uint64_t rank, seen = 0;
	double lo, hi, v;
	unsigned i;

	if (!h->count)
		return 0;
	if (p <= 0)
		return (double)h->min_ns;
	if (p >= 100)
		return (double)h->max_ns;
	rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < LATHIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	bucket_range(i, &lo, &hi);
	v = (lo + hi) / 2;
	if (v < (double)h->min_ns)
		v = (double)h->min_ns;
	if (v > (double)h->max_ns)
		v = (double)h->max_ns;
	return v;
}

cJSON *lathist_add_summary_us(cJSON *obj, const char *key, const lathist *h)
{
	cJSON *s = wl_add_obj(obj, key);

	wl_add_num(s, "count", (double)h->count);
	wl_add_num(s, "min", (double)h->min_ns / 1e3);
	wl_add_num(s, "mean", h->count ? (double)h->sum_ns / (double)h->count / 1e3 : 0);
	wl_add_num(s, "p50", lathist_percentile_ns(h, 50) / 1e3);
	wl_add_num(s, "p90", lathist_percentile_ns(h, 90) / 1e3);
	wl_add_num(s, "p99", lathist_percentile_ns(h, 99) / 1e3);
	wl_add_num(s, "p999", lathist_percentile_ns(h, 99.9) / 1e3);
	wl_add_num(s, "max", (double)h->max_ns / 1e3);
	return s;
}
