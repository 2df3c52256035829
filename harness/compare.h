/* harness compare: two results directories, per experiment, settings, guest
 * and metric: Welch's t-test and an effect-size threshold, so that noise is
 * not reported as a regression. */
#ifndef HARNESS_COMPARE_H
#define HARNESS_COMPARE_H

#include <stddef.h>

#include "util.h"

struct welch {
	double t, df, p;	/* two-sided p-value */
};

/* Welch's unequal-variances t-test of b against a; -EINVAL when either has
 * fewer than two values. */
int welch_test(const double *a, size_t na, const double *b, size_t nb, struct welch *out);

struct compare_options {
	double alpha;		/* significance level, default 0.05 */
	double threshold;	/* smallest relative change that counts, default 0.05 */
};

/* Print the comparison; returns the number of regressions, or a negative
 * error. */
int compare_results(const char *base_dir, const char *new_dir, const struct compare_options *opt,
		    struct herror *err);

#endif
