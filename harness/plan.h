/* The plan of a suite: every run, that is an experiment with one value per
 * axis it varies, warm-ups before repeats, in a stable order. */
#ifndef HARNESS_PLAN_H
#define HARNESS_PLAN_H

#include <stddef.h>

#include "suite_types.h"

/* One run of the plan: an experiment with one value per axis. */
struct plan_run {
	size_t exp;		/* index into suite->exps */
	const char **values;	/* one per axis of that experiment */
	int repeat;		/* 1-based; 0 for a warm-up run */
	char *id;		/* stable name: 003-cpu-contention-shares=2048:1024-r2 */
};

struct plan {
	struct plan_run *runs;
	size_t nruns;
};

/* experiments x axes' values x (warm-up + repeats), in a stable order. */
int plan_build(const struct suite *s, struct plan *p);
void plan_free(struct plan *p);
/* The value of an axis in a run, or NULL. */
const char *plan_value(const struct suite *s, const struct plan_run *r, const char *key);

#endif
