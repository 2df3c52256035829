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
 * last of a row, else a comma. Text that a spreadsheet would run as a
 * formula (=, +, -, @, tab or CR first) gets a single quote in front (CSV
 * injection, as OWASP advises); export_csv_number writes a number the
 * harness formatted itself as it is. */
void export_csv_field(FILE *out, const char *s, bool last);
void export_csv_number(FILE *out, const char *s, bool last);

int export_csv(const char *results_dir, FILE *out, struct herror *err);

#endif
