/* Running a suite: the plan's runs, each through its experiment's
 * descriptor, their records, the summary, clean-up. */
#ifndef HARNESS_RUN_H
#define HARNESS_RUN_H

#include <stdbool.h>

#include "records.h"	/* run_id_valid */
#include "util.h"

struct run_options {
	const char *suite;		/* name or path */
	const char *suites_dir;
	const char *results_root;	/* results/ */
	const char *resume_dir;		/* results/<id> to resume, or NULL */
	const char *payload_root;	/* build/guest-root */
	const char *order;		/* "sequential" or "shuffled" over the suite's order:, or NULL */
	bool no_restore;		/* fresh guests boot cold, never from a saved state */
	bool dry_run;			/* check the suite and print its plan; start nothing */
	bool *bad_input;		/* set when the failure was the input's (exit 2), or NULL */
};

/* The run id of a results directory given on the command line (trailing
 * slashes, "./", symlinks as shell completion writes them): the last
 * component of its real path, checked with run_id_valid. *dir_out gets
 * the real path. */
int run_id_of_dir(const char *dir, char **id_out, char **dir_out, struct herror *err);

/* harness run suite NAME|FILE */
int run_suite(const struct run_options *opt, struct herror *err);

#endif
