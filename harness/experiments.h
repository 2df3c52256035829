/* The table of experiments: the one place that lists them. */
#ifndef HARNESS_EXPERIMENTS_H
#define HARNESS_EXPERIMENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "experiment.h"

/* Every experiment, in the order of the table. */
extern const struct experiment *const experiments[];
extern const size_t experiments_count;

/* The experiment named name, or NULL. */
const struct experiment *experiment_find(const char *name);
/* Whether this build has an experiment named name (records_filter's test). */
bool experiment_known(const char *name);
/* "boot, cpu-contention": the names, for messages (static storage). */
const char *experiment_names(void);

#endif
