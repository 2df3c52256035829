/* Statistics over a results directory's run records (GSL). */
#ifndef HARNESS_STATS_H
#define HARNESS_STATS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct summary_stats {
	size_t n;
	double mean, median, sd, cv, ci95_low, ci95_high;
};

/* Mean, median, sample standard deviation, coefficient of variation and a
 * 95% confidence interval of the mean (Student's t). */
void stats_describe(const double *x, size_t n, struct summary_stats *out);

/* Two-sided permutation test of the difference of means (b - a): the share
 * of the splits of the pooled values whose |difference| is at least the
 * observed one. Exact (every split) when there are at most
 * STATS_PERM_EXACT_MAX splits, else STATS_PERM_RESAMPLES random ones from
 * seed, counted as (hits + 1) / (resamples + 1). -EINVAL when a side is empty. */
#define STATS_PERM_EXACT_MAX 200000
#define STATS_PERM_RESAMPLES 10000
struct perm_result {
	double p;
	double min_p;		/* the smallest p these sample sizes can give */
	bool exact;
};
int stats_permutation_test(const double *a, size_t na, const double *b, size_t nb, unsigned long seed,
			   struct perm_result *out);
/* The smallest p the permutation test can give with na and nb values. */
double stats_permutation_min_p(size_t na, size_t nb);
/* The fewest runs a side (equal sides) for which the smallest permutation p
 * times m is below alpha: what m tests under Holm need. */
size_t stats_permutation_runs_needed(double alpha, size_t m);

/* Studentized (bootstrap-t) 95% confidence interval, from resamples drawn
 * from seed, of the relative change of the mean, (mean b - mean a) /
 * |mean a|, with the delta method's standard error in each resample. The
 * percentile bootstrap under-covered at 4-8 runs a side (9.8% of A/A
 * intervals excluded 0); BENCHMARKS.md has this one's figure. A bound may
 * be infinite when resamples without spread make t unbounded. */
int stats_bootstrap_rel_change(const double *a, size_t na, const double *b, size_t nb, unsigned long seed,
			       size_t resamples, double *lo, double *hi);

/* Holm's step-down adjustment of m p-values (as R's p.adjust "holm"). */
void stats_holm(const double *p, size_t m, double *adjusted);

/* Welch two one-sided tests (TOST) that b's mean is within +-margin (a
 * fraction of |mean a|) of a's: p is the larger one-sided p-value;
 * equivalence is shown when p < alpha. -EINVAL with fewer than two a side. */
int stats_tost_rel(const double *a, size_t na, const double *b, size_t nb, double margin, double *p);

/* Power of a two-sample t-test with n runs a side at alpha (two-sided) and
 * power: the smallest detectable difference in units of the sd; and the runs
 * a side needed to detect a difference of d sds (at most cap). */
double stats_detectable_sds(size_t n, double alpha, double power);
size_t stats_runs_needed(double d_sds, double alpha, double power, size_t cap);

/* Two-way analysis of variance of a balanced factorial design: the factor
 * levels of each observation (level[f][i] in [0, nlevels[f])), every cell
 * of every pair of factors with the same count. Main effects of each factor,
 * two-way interactions of each pair, the rest is error: with three or more
 * factors, their interactions of three or more are pooled into it
 * (summary.json names them in pooled_into_error). */
#define ANOVA_MAX_FACTORS 6
struct anova_term {
	int f1, f2;		/* f2 < 0: main effect of f1 */
	double ss, df, ms, f, p, eta2, partial_eta2;
};
struct anova {
	struct anova_term terms[ANOVA_MAX_FACTORS + ANOVA_MAX_FACTORS * (ANOVA_MAX_FACTORS - 1) / 2];
	size_t nterms;
	double ss_error, df_error, ss_total;
};
/* -EINVAL when unbalanced, too few factors or no error degrees of freedom. */
int stats_anova(const double *y, size_t n, size_t nfactors, const size_t *nlevels, size_t *const *level,
		struct anova *out);

/* The power estimate in summary.json: at this alpha and power, and the
 * repeats needed for this relative change. */
#define STATS_POWER_ALPHA 0.05
#define STATS_POWER 0.8
#define STATS_POWER_CHANGE 0.05

/* Read results_dir/runs/ *.json, group the recorded runs by experiment and
 * settings, write results_dir/summary.json: per group and metric the
 * statistics (with a power estimate for compared metrics), and per
 * experiment varying two or more settings a two-way ANOVA. */
int stats_summarize(const char *results_dir, struct herror *err);
/* The same, with extra's items at the top of summary.json (the run's order,
 * seed and why its repeats stopped). */
int stats_summarize_run(const char *results_dir, const cJSON *extra, struct herror *err);
/* The widest relative 95% CI half-width (CI half-width / |mean|) over every
 * compared metric of every group, and which it is: what repeats: auto
 * stops on. INFINITY with fewer than two values somewhere. */
int stats_widest_ci(const char *results_dir, double *widest, char *what, size_t whatlen, struct herror *err);

#endif
