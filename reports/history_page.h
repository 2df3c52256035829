/* The history page of the report and the figure of `harness history show`:
 * both draw a harness-history/1 document (history.json, written by
 * `harness history show --json` beside a night's results; untrusted data
 * like every file there). */
#ifndef REPORTS_HISTORY_PAGE_H
#define REPORTS_HISTORY_PAGE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "doc.h"

/* The most lineages one figure or one report page draws. */
#define HISTORY_PLOT_MAX 12

/* "E-Divisive means (Otava's t-test variant): window 30, ..." of the
 * document's detector, for captions. */
void history_params_text(cJSON *hist, char *buf, size_t len);

/* Draw lineages [first, first + n) of hist, one panel each, stacked, into
 * out: a PNG of width_px (png) or an EPS of w_in inches (eps); change
 * points marked, the detector's parameters in the caption (png). Scratch
 * files go to tmp. 0 when gnuplot drew it. */
int history_plot(cJSON *hist, size_t first, size_t n, const char *tmp, const char *out, bool png, double w_in);

/* The report's page: results_dir/history.json's series, their change
 * points and the detector's parameters; nothing when there is no such
 * file. */
void report_history_page(struct report_doc *d, const char *results_dir);

#endif
