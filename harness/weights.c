#include "weights.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* kernel/sched/core.c: sched_prio_to_weight[], nice -20 .. 19 */
static const unsigned long prio_to_weight[40] = {
	88761, 71755, 56483, 46273, 36291,
	29154, 23254, 18705, 14949, 11916,
	9548, 7620, 6100, 4904, 3906,
	3121, 2501, 1991, 1586, 1277,
	1024, 820, 655, 526, 423,
	335, 272, 215, 172, 137,
	110, 87, 70, 56, 45,
	36, 29, 23, 18, 15,
};

unsigned long nice_to_weight(int nice)
{
	if (nice < -20)
		nice = -20;
	if (nice > 19)
		nice = 19;
	return prio_to_weight[nice + 20];
}

int weight_to_nice(unsigned long w)
{
	int best = 0;
	unsigned long bestd = (unsigned long)-1;

	for (int n = -20; n <= 19; n++) {
		unsigned long t = prio_to_weight[n + 20];
		unsigned long d = t > w ? t - w : w - t;
		if (d < bestd) {
			bestd = d;
			best = n;
		}
	}
	return best;
}

int weights_parse(const char *s, unsigned long *w, size_t n)
{
	cleanup_free char *copy = xstrdup(s);
	char *save = NULL;
	size_t i = 0;

	for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		long v;
		if (i >= n || parse_long(tok, 2, 262144, &v) < 0)
			return -EINVAL;
		w[i++] = (unsigned long)v;
	}
	return i == n ? 0 : -EINVAL;
}

void expected_shares(const unsigned long *w, size_t n, double *share)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (double)w[i];
	for (size_t i = 0; i < n; i++)
		share[i] = sum > 0 ? (double)w[i] / sum : 0;
}

double fairness_index(const double *x, const double *expected, size_t n)
{
	double sum = 0, sumsq = 0;

	for (size_t i = 0; i < n; i++) {
		double r = expected[i] > 0 ? x[i] / expected[i] : 0;
		sum += r;
		sumsq += r * r;
	}
	return sumsq > 0 ? (sum * sum) / ((double)n * sumsq) : 0;
}
