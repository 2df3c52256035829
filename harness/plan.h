/* The plan of a suite: every run, that is an experiment with one value per
 * axis it varies. Warm-ups come first; then, shuffled (the default), each
 * round of repeats visits every combination of every experiment once in an
 * order drawn from the suite's seed, so that a drift of the host is spread
 * over all settings instead of landing on one; sequential keeps each
 * combination's repeats back to back. Run ids do not depend on the order. */
#ifndef HARNESS_PLAN_H
#define HARNESS_PLAN_H

#include <stdbool.h>
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
	struct plan_run *runs;	/* in the order they run */
	size_t nruns;
	enum plan_order order;
	unsigned long seed;	/* the shuffle's, for ORDER_SHUFFLED */
	bool rounds;		/* repeat k of every combination before repeat k + 1 */
};

/* experiments x axes' values x (warm-up + repeats), in s->order from
 * s->seed (the caller sets it when the suite has none). With
 * s->repeats_auto, the rounds are kept together whatever the order. */
int plan_build(const struct suite *s, struct plan *p);
void plan_free(struct plan *p);
/* The value of an axis in a run, or NULL. */
const char *plan_value(const struct suite *s, const struct plan_run *r, const char *key);

#endif
