/* What an experiment is, as the core knows it: one descriptor per
 * harness/exp_<name>.c (as stress-ng's stressor_info_t and fio's
 * ioengine_ops). The suite parser validates settings through it, the run loop
 * provisions guests and calls run, statistics and compare read the metrics,
 * the report calls the report section. None of them names an experiment;
 * experiments.c lists the descriptors. */
#ifndef HARNESS_EXPERIMENT_H
#define HARNESS_EXPERIMENT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "plan.h"
#include "suite_types.h"
#include "util.h"

struct provision;
struct report_doc;

/* A setting the experiment accepts as a vary axis. */
struct exp_setting {
	const char *key;
	const char *help;		/* one line */
	const char *const *allowed;	/* NULL-terminated list of values, or NULL */
	const char *syntax;		/* the form of a value when there is no list */
	const char *def;		/* the value when not varied, or NULL when it depends on the suite */
	const char *def_doc;		/* the default in words, when def is NULL */
	/* Further checks beyond the list: 0, or -EINVAL with why (no key, no
	 * file: the caller adds them). */
	int (*check)(const char *value, const struct suite *s, char *why, size_t whylen);
};

/* Where a metric is in a run record. */
enum metric_scope {
	METRIC_PER_GUEST,	/* in each entry of "guests", matched by "name" */
	METRIC_PER_RUN,		/* at the top of the record */
};

/* What the core does with a metric over the repeats of one setting. */
#define METRIC_SUMMARY 0x1	/* summary.json: n, mean, median, sd, cv, 95% CI of the mean */
#define METRIC_COMPARE 0x2	/* harness compare: permutation test, Holm, the effect-size floor */

struct exp_metric {
	const char *name;		/* key in summary.json and compare's output */
	enum metric_scope scope;
	const char *path[4];		/* JSON path inside the guest entry or the record */
	const char *unit;		/* "" when it has none */
	int better;			/* +1 higher is better, -1 lower, 0 neither */
	double min_change;		/* compare: the smallest relative change that counts (0: 5%) */
	unsigned use;			/* METRIC_SUMMARY | METRIC_COMPARE */
	const char *expected;		/* metric holding theory's value for this one, or NULL */
	const char *help;
	/* The largest |measured - expected| (in unit) that still agrees with
	 * theory: the report's pass/fail for a metric with expected; 0: none. */
	double tolerance;
	/* A metric holding each run's own tolerance (theory.h: accelerator,
	 * A/A noise, sampling), used instead of tolerance when the group has
	 * it; NULL: tolerance above. */
	const char *tolerance_metric;
	/* Where the tolerance comes from, in words, for harness experiments
	 * and the man page; NULL for a metric without expected. */
	const char *tolerance_doc;
};

/* What the guests of a run must be when run is called. */
enum exp_guests {
	EXP_GUESTS_NONE,	/* none needed */
	EXP_GUESTS_BORROWED,	/* up, borrowed from the standing guests where they match */
	EXP_GUESTS_FRESH,	/* down: run boots fresh ones itself; removed after it */
};

/* One combination of a suite entry's settings, before anything runs. */
struct exp_values {
	const struct experiment_def *def;
	const char *const *vals;		/* one per axis of def */
	const struct suite *suite;		/* its suite (guests, images) */
};

/* One run of an experiment, as run sees it. */
struct exp_run {
	struct provision *pv;			/* the suite's guests */
	const struct suite *suite;
	const struct experiment_def *def;	/* the suite's entry: duration, axes */
	const struct plan_run *run;		/* one value per axis */
};

struct experiment {
	const char *name;		/* the suite's "type" */
	const char *summary;		/* one line */
	const char *theory;		/* what theory expects, in words, or NULL */
	enum exp_guests guests;
	const struct exp_setting *settings;
	size_t nsettings;
	const struct exp_metric *metrics;
	size_t nmetrics;
	/* Settings that pass alone but not together (vhost=on with an emulated
	 * NIC): 0, or -EINVAL with why; called for every combination of the
	 * entry's axes before anything starts. NULL: none. */
	int (*check_combination)(const struct exp_values *v, char *why, size_t whylen);
	/* Seconds one run takes, for the progress line's estimate. */
	double (*estimate_s)(const struct experiment_def *def);
	/* Add the experiment's fields to record; a returned error fails the run. */
	int (*run)(const struct exp_run *x, cJSON *record, struct herror *err);
	/* The report: after the heading of each group of runs with the same
	 * settings (group is its summary.json entry, runs every record), and once
	 * after every group (groups is summary.json's list). NULL: nothing. */
	void (*report_group)(struct report_doc *d, cJSON *group, cJSON *const *runs, size_t nruns);
	void (*report_end)(struct report_doc *d, cJSON *groups);
	/* Runs span several hosts (migration): never spread by parallel: hosts. */
	bool spans_hosts;
	/* For the report's reader (students too): two or three sentences on
	 * what the experiment shows and how to read its plots, or NULL. */
	const char *explain;
};

/* The value of setting key in a run: the axis value when the experiment
 * varies it, else the setting's default (NULL when that depends on the suite). */
const char *exp_setting_value(const struct exp_run *x, const char *key);
/* The value of setting key in a combination: the axis value, else the
 * setting's default (NULL when that depends on the suite). */
const char *exp_values_get(const struct exp_values *v, const char *key);
/* check_combination over every combination of def's axes: 0, or -EINVAL
 * with why (the first combination refused, its values named). */
int exp_check_combinations(const struct suite *s, const struct experiment_def *def, char *why, size_t whylen);
/* The descriptor's setting key, or NULL. */
const struct exp_setting *exp_setting_find(const struct experiment *e, const char *key);
/* Check a value of a setting: 0, or -EINVAL with why. */
int exp_setting_check(const struct exp_setting *st, const char *value, const struct suite *s, char *why,
		      size_t whylen);

#endif
