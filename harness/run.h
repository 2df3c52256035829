/* Running a suite: the plan's runs, each through its experiment's
 * descriptor, their records, the summary, clean-up. */
#ifndef HARNESS_RUN_H
#define HARNESS_RUN_H

#include "util.h"

struct run_options {
	const char *suite;		/* name or path */
	const char *suites_dir;
	const char *results_root;	/* results/ */
	const char *resume_dir;		/* results/<id> to resume, or NULL */
	const char *payload_root;	/* build/guest-root */
	const char *order;		/* "sequential" or "shuffled" over the suite's order:, or NULL */
};

/* harness run suite NAME|FILE */
int run_suite(const struct run_options *opt, struct herror *err);

#endif
