/* Change points in a series of nightly means: Apache Otava's variant of
 * E-Divisive means (Matteson and James, 2014; Fleming et al., arXiv
 * 2301.03034). E-Divisive's energy statistic proposes where to split, a
 * two-sample Student t-test decides whether the split is real (instead of
 * E-Divisive's permutations, so that the answer is deterministic), the
 * series is scanned in overlapping windows, and a last pass removes the
 * weakest change points until every one left passes the p-value and the
 * magnitude. Pure: numbers in, change points out. */
#ifndef HARNESS_CHANGEPOINT_H
#define HARNESS_CHANGEPOINT_H

#include <stddef.h>

struct cp_params {
	size_t window;		/* points per E-Divisive window; windows overlap by half */
	size_t min_size;	/* fewest points on either side of a proposed change point */
	double max_pvalue;	/* a change point's t-test p must be below this */
	double min_magnitude;	/* and its |relative change of the mean| at least this (0: any) */
};

/* The defaults of harness history detect (docs: docs/nightly-and-history.md, harness(1)). */
#define CP_DEFAULT_WINDOW 30
#define CP_DEFAULT_MIN_SIZE 3
#define CP_DEFAULT_MAX_PVALUE 0.001
#define CP_DEFAULT_MIN_MAGNITUDE 0.0
#define CP_PARAMS_DEFAULT \
	{ CP_DEFAULT_WINDOW, CP_DEFAULT_MIN_SIZE, CP_DEFAULT_MAX_PVALUE, CP_DEFAULT_MIN_MAGNITUDE }

/* The split's statistics against the neighbouring change points (or the
 * ends of the series): [prev, index) before it, [index, next) after it. */
struct cp_point {
	size_t index;		/* the first point of the new level */
	size_t n_before, n_after;
	double mean_before, mean_after;
	double sd_before, sd_after;
	double rel_change;	/* (mean_after - mean_before) / |mean_before| */
	double t, p;		/* Student's two-sample t and its two-sided p */
};

/* The change points of x[0..n), sorted by index, in a new array *out (NULL
 * when there are none) of *nout. -EINVAL for parameters out of range
 * (window < 2 * min_size, min_size < 2, max_pvalue outside (0, 1)) or a
 * value that is not finite. */
int cp_detect(const double *x, size_t n, const struct cp_params *p, struct cp_point **out, size_t *nout);

/* E-Divisive's energy statistic (alpha = 1) of splitting x[0..n) at tau:
 * tau (n - tau) / n times twice the mean distance between the sides less
 * each side's mean distance within. For tests and plots. */
double cp_energy(const double *x, size_t n, size_t tau);

/* Student's two-sample t-test (pooled variance) of x[a..b) against x[b..c). */
void cp_ttest(const double *x, size_t a, size_t b, size_t c, struct cp_point *out);

#endif
