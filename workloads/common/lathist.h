/* lathist: a fixed-memory latency histogram for workloads that time every
 * operation (disk, net, api).
 *
 * Storing every sample (wl_vec) costs 8 bytes per operation, which a 4k
 * random-read run at a few 100k IOPS turns into hundreds of MiB. This
 * log-linear histogram (128 sub-buckets per power of two, as HdrHistogram
 * and fio do) keeps about 60 KiB per recorder, bounds the error of a
 * percentile to 1/128 (0.8%) of its value, and keeps min, max and mean exact.
 */
#ifndef LATHIST_H
#define LATHIST_H

#include <stdint.h>
#include <cjson/cJSON.h>

#define LATHIST_SUB_BITS 7
#define LATHIST_SUB (1u << LATHIST_SUB_BITS)
/* values below 2*SUB are exact; each later power of two has SUB buckets */
#define LATHIST_BUCKETS ((64 - LATHIST_SUB_BITS) * LATHIST_SUB + LATHIST_SUB)

typedef struct lathist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t min_ns;
	uint64_t max_ns;
	uint64_t *buckets;
} lathist;

/* Returns 0 or -ENOMEM. */
int lathist_init(lathist *h);
void lathist_free(lathist *h);

static inline unsigned lathist_index(uint64_t ns)
{
	unsigned msb, e;

	if (ns < 2 * LATHIST_SUB)
		return (unsigned)ns;
	msb = 63u - (unsigned)__builtin_clzll(ns);
	e = msb - LATHIST_SUB_BITS;
	return e * LATHIST_SUB + (unsigned)(ns >> e);
}

static inline void lathist_record(lathist *h, uint64_t ns)
{
	h->buckets[lathist_index(ns)]++;
	h->count++;
	h->sum_ns += ns;
	if (ns < h->min_ns || h->count == 1)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

/* Add every sample of src to dst. */
void lathist_merge(lathist *dst, const lathist *src);
/* The p-th percentile (0..100) in ns: the middle of the bucket holding the
 * sample of rank ceil(p/100 * count), clamped to [min, max]; 0 when empty. */
double lathist_percentile_ns(const lathist *h, double p);
/* Add under key the summary {"count","min","mean","p50","p90","p99","p999",
 * "max"} in microseconds, the shape wl_add_summary() gives. */
cJSON *lathist_add_summary_us(cJSON *obj, const char *key, const lathist *h);

#endif
