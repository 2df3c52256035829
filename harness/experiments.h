/* The table of experiments: the one place that lists them. */
#ifndef HARNESS_EXPERIMENTS_H
#define HARNESS_EXPERIMENTS_H

#include <stddef.h>

#include "experiment.h"

/* Every experiment, in the order of the table. */
extern const struct experiment *const experiments[];
extern const size_t experiments_count;

/* The experiment named name, or NULL. */
const struct experiment *experiment_find(const char *name);
/* "boot, cpu-contention": the names, for messages (static storage). */
const char *experiment_names(void);

#endif
