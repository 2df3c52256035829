/* harness compare: two results directories, per experiment, settings, guest
 * and metric: a permutation test on the difference of means with Holm's
 * correction across every line, a studentized bootstrap confidence interval
 * of the relative change, an effect-size floor and Firecracker's noise guard
 * (per guest), so that noise is not reported as a regression; optionally a
 * TOST equivalence test. Runs from different environments are refused. */
#ifndef HARNESS_COMPARE_H
#define HARNESS_COMPARE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct compare_options {
	double alpha;		/* family-wise significance level (Holm), default 0.05 */
	double threshold;	/* smallest relative change that counts; < 0: each metric's own (default 5%) */
	double equivalence;	/* > 0: TOST, "equivalent within +-equivalence" */
	bool allow_env_change;	/* compare runs from different environments */
	bool json;		/* JSON on stdout instead of the table */
	bool include_disturbed;	/* pool runs marked disturbed (host_noise) too */
	unsigned long seed;	/* permutations and bootstrap */
};

#define COMPARE_DEFAULT_FLOOR 0.05
#define COMPARE_BOOTSTRAP_RESAMPLES 10000

/* The differences of two env.json files in what makes numbers comparable
 * (accelerator, host CPU model and kernel, QEMU and libvirt versions, image
 * and payload digests), one "what: 'a' vs 'b'" string each, in a JSON array. */
cJSON *compare_env_differences(cJSON *a, cJSON *b);

/* Print the comparison; returns the number of regressions, or a negative
 * error (bad input: exit 2). */
int compare_results(const char *base_dir, const char *new_dir, const struct compare_options *opt,
		    struct herror *err);

#endif
