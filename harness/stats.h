/* Statistics over a results directory's run records (GSL). */
#ifndef HARNESS_STATS_H
#define HARNESS_STATS_H

#include <stddef.h>

#include "util.h"

struct summary_stats {
	size_t n;
	double mean, median, sd, cv, ci95_low, ci95_high;
};

/* Mean, median, sample standard deviation, coefficient of variation and a
 * 95% confidence interval of the mean (Student's t). */
void stats_describe(const double *x, size_t n, struct summary_stats *out);

/* Read results_dir/runs/ *.json, group the recorded runs by experiment and
 * settings, write results_dir/summary.json. */
int stats_summarize(const char *results_dir, struct herror *err);

#endif
