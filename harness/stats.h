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

#include <cjson/cJSON.h>
#include <stdbool.h>

/* The successful run records of results_dir/runs/, sorted by name. */
struct run_records {
	cJSON **recs;
	size_t n;
};
int run_records_load(const char *results_dir, struct run_records *rr, struct herr *err);
void run_records_free(struct run_records *rr);
/* Same experiment and same settings: runs that statistics may pool. */
bool run_records_same_group(cJSON *a, cJSON *b);

/* Read results_dir/runs/ *.json, group the recorded runs by experiment and
 * settings, write results_dir/summary.json. */
int stats_summarize(const char *results_dir, struct herr *err);

#endif
