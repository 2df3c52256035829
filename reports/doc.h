/* The report document as experiments' report sections write it: groff -ms
 * source, gnuplot figures in a scratch directory, and small readers of the
 * results' JSON (every file there is untrusted data: absent or mistyped
 * fields read as "?" or NaN). */
#ifndef REPORTS_DOC_H
#define REPORTS_DOC_H

#include <cjson/cJSON.h>
#include <stddef.h>
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
/* "k=v, k=v" of a settings object, or "defaults". */
void doc_settings_text(cJSON *settings, char *buf, size_t len);

#endif
