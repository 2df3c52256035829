/* The report document as experiments' report sections write it: groff -ms
 * source, gnuplot figures in a scratch directory, and small readers of the
 * results' JSON (every file there is untrusted data: absent or mistyped
 * fields read as "?" or NaN). */
#ifndef REPORTS_DOC_H
#define REPORTS_DOC_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>

struct report_doc {
	FILE *f;		/* the groff -ms source */
	const char *tmp;	/* scratch directory for plot data and figures */
	int group;		/* index of the current group, for unique file names */
	int plots;		/* figures placed so far */
};

/* Text for groff from untrusted data: it starts with \& (so never a
 * request such as ".sy", nor "T}"), backslashes are escaped, control
 * characters (newlines, tabs) become spaces. */
void doc_text(FILE *f, const char *s);
/* A gnuplot string literal from untrusted data: single-quoted (no `command`
 * substitution), quotes doubled, control characters as spaces. */
void doc_gp_string(FILE *f, const char *s);
/* A word of a gnuplot data file (inside "..."): quotes, backslashes, '#',
 * blanks and control characters become '_'. */
void doc_gp_datum(FILE *f, const char *s);
/* Run argv with stdout to out_path (or inherited); 0 when it exits 0. */
int doc_run(char *const argv[], const char *out_path);
/* Run gnuplot on a script; 0 when it succeeds. */
int doc_gnuplot(const char *script);

const char *doc_jstr(cJSON *o, const char *key, const char *def);
double doc_jnum(cJSON *o, const char *key);
/* A field of a summary statistic: o[key][field], e.g. measured_share.mean. */
double doc_jstat(cJSON *o, const char *key, const char *field);
/* Whether a record belongs to a summary group: the same experiment and the
 * same settings (a suite's records of every experiment reach each group),
 * and the group's host when it has one (parallel: hosts). */
bool doc_run_in_group(cJSON *run, cJSON *group);
/* The first recorded (not warm-up), successful run of a summary group;
 * NULL when there is none. */
cJSON *doc_group_first_run(cJSON *group, cJSON *const *runs, size_t nruns);
/* A time series as gnuplot data: one row "t v1 v2 ..." per sample of the
 * arrays t and cols[0..ncols) (at most DOC_SERIES_COLS columns; a value
 * that is not a finite number is NaN), each array walked once with
 * cJSON's ->next, so the cost grows with the samples, not their square.
 * Past max_rows samples, a row is the mean of a window of consecutive
 * samples (at most max_rows rows: a plot has no more points to show).
 * Returns the window (1: one row per sample; 0: t is not an array). */
#define DOC_SERIES_COLS 64
#define DOC_SERIES_ROWS 2000
size_t doc_series_write(FILE *f, cJSON *t, cJSON *const *cols, size_t ncols, size_t max_rows);
/* "k=v, k=v" of a settings object, or "defaults". */
void doc_settings_text(cJSON *settings, char *buf, size_t len);

/* Layout for print. Figures are drawn for their size on paper: fonts of
 * DOC_FONT_PT (at least 8 pt), legends outside the plot area. */
#define DOC_FONT_PT 9

/* A numbered heading (level 1 or 2, title untrusted), kept on the page of
 * at least need_in inches of what follows (never alone at a page's foot). */
void doc_heading(struct report_doc *d, int level, const char *title, double need_in);
/* A table cell: v with that many decimals, or, when v is
 * not a number (absent, not measured), none (project text: "\\(em",
 * "none"), never "nan" or "inf". */
void doc_cell(FILE *f, int decimals, double v, const char *none);
/* Rewrite the troff file at ms_path so that no number that is not one
 * prints as "nan" or "inf": each becomes a dash (an interval of two, one
 * dash). Text written with doc_text keeps such words (it breaks them with
 * \&). The last step before groff; -1 when the file cannot be rewritten. */
int doc_no_nan(const char *ms_path);
/* Plain text from the project (never from results): a paragraph. */
void doc_para(struct report_doc *d, const char *text);
/* A gnuplot "set terminal ... set output" for an EPS of w x h inches whose
 * fonts print at DOC_FONT_PT. */
void doc_gp_terminal(FILE *gp, const char *eps, double w_in, double h_in);
/* Place an EPS figure w x h inches, moved whole to the next page when the
 * rest of this one is too short; caption (project text) may be NULL. */
void doc_figure(struct report_doc *d, const char *eps, double w_in, double h_in, const char *caption);
/* Untrusted text shown as it is (monospace, one output line per line,
 * escaped like doc_text), at most max_lines lines. */
void doc_verbatim(FILE *f, const char *text, size_t max_lines);
/* A regular file of at most max bytes from a results directory into a new
 * NUL-terminated buffer (read_file_beneath: no symbolic link followed);
 * NULL when absent, or refused with a line on stderr naming it and why. */
char *doc_read_file(const char *dir, const char *name, size_t max);

/* A bar with its 95% confidence interval and, when not NaN, theory's value. */
struct doc_bar {
	const char *label;	/* untrusted: written as cleaned data; a newline breaks the line */
	double mean, lo, hi, expected;
};
/* Bars with error bars (and expected points when any bar has one) as a
 * figure of the report; name makes the files unique. 0 when placed. */
int doc_plot_bars(struct report_doc *d, const char *name, const char *title, const char *ylabel,
		  const struct doc_bar *bars, size_t n, const char *caption);

#endif
