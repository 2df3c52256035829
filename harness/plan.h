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

/* The combinations of an experiment's axes, one value per axis, the first
 * axis varying fastest:
 *
 *	struct plan_combo it;
 *	if (plan_combo_first(&it, def, max))
 *		do { ... it.vals[a] ... } while (plan_combo_next(&it));
 */
#define PLAN_AXES_MAX 64
struct plan_combo {
	const struct experiment_def *def;
	size_t idx[PLAN_AXES_MAX];
	const char *vals[PLAN_AXES_MAX];	/* the combination's value of each axis */
};

/* The first combination (none of the axes: the empty one); false when there
 * is none to step through: more than PLAN_AXES_MAX axes, an axis without
 * values, or more than max combinations (left to the plan's size check). */
bool plan_combo_first(struct plan_combo *it, const struct experiment_def *def, size_t max);
/* The next combination; false after the last. */
bool plan_combo_next(struct plan_combo *it);

/* experiments x axes' values x (warm-up + repeats), in s->order from
 * s->seed (the caller sets it when the suite has none). With
 * s->repeats_auto, the rounds are kept together whatever the order. */
int plan_build(const struct suite *s, struct plan *p);
void plan_free(struct plan *p);
/* The value of an axis in a run, or NULL. */
const char *plan_value(const struct suite *s, const struct plan_run *r, const char *key);

#endif
