/* harness export: a results directory as one tidy CSV for other tools. */
#ifndef HARNESS_EXPORT_H
#define HARNESS_EXPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "util.h"

/* One row per successful run x guest x metric of its experiment's
 * descriptor (run-wide metrics have an empty guest): run, experiment,
 * settings (key=value;...), repeat, guest, metric, value, unit; every field
 * double-quoted (RFC 4180 quoting, lines end in LF), a header first. */
/* A CSV field in double quotes, inner quotes doubled; a newline after the
 * last of a row, else a comma. */
void export_csv_field(FILE *out, const char *s, bool last);

int export_csv(const char *results_dir, FILE *out, struct herror *err);

#endif
