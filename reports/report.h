/* The PDF report of a results directory: environment (accelerator first),
 * measured against expected values, and gnuplot plots; laid out with groff
 * and written with ghostscript's ps2pdf. */
#ifndef HARNESS_REPORT_H
#define HARNESS_REPORT_H

#include "herror.h"

/* Returns 0, or a negative errno with a one-line message in err. */
int report_build(const char *results_dir, const char *out_pdf, struct herror *err);

#endif
