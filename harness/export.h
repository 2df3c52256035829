/* harness export: a results directory as one tidy CSV for other tools. */
#ifndef HARNESS_EXPORT_H
#define HARNESS_EXPORT_H

#include <stdio.h>

#include "util.h"

/* One row per successful run x guest x metric of its experiment's
 * descriptor (run-wide metrics have an empty guest): run, experiment,
 * settings (key=value;...), repeat, guest, metric, value, unit; every field
 * double-quoted (RFC 4180 quoting, lines end in LF), a header first. */
int export_csv(const char *results_dir, FILE *out, struct herror *err);

#endif
