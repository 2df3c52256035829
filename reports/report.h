/* The PDF report of a results directory: environment (accelerator first),
 * measured against expected values, and gnuplot plots; laid out with groff
 * and written with ghostscript's ps2pdf. */
#ifndef HARNESS_REPORT_H
#define HARNESS_REPORT_H

#include <stdbool.h>

#include "herror.h"

/* Returns 0, or a negative errno with a one-line message in err;
 * *bad_input says whether the results directory was the cause (harness(1)
 * exits 2 then, 1 for a failure of its own). The PDF is written to a new
 * file renamed over out_pdf. SIGINT/SIGTERM (stop_requested, with
 * install_stop_handlers) stop it between steps, and the children it waits
 * for, leaving no temporary directory. */
int report_build(const char *results_dir, const char *out_pdf, bool *bad_input, struct herror *err);

#endif
