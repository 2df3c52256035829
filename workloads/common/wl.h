/* wl: what every workload program shares.
 *
 * Option values, sleeping and thread CPU time (the clocks are lib/hclock.h:
 * mono_ns(), mono_s()), the early-stop flag (SIGTERM/SIGINT), the
 * JSON result document every workload prints on stdout, percentiles, and the
 * optional state file the in-guest runner reads while a workload runs.
 * Functions returning int return 0 or a negative errno-style value and have
 * already printed one line to stderr saying what failed.
 */
#ifndef WL_H
#define WL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "hclock.h"
#include "herror.h"

/* ---- option values: strict, the whole string must parse ----
 * On failure they return -EINVAL or -ERANGE with a message naming the
 * option in err, for wl_usage_error(doc, "%s", err.msg). */

/* Parse an unsigned integer in [min, max]; errors name the option. */
int wl_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out, struct herror *err);
int wl_parse_int(const char *opt, const char *s, int min, int max, int *out, struct herror *err);
/* Parse a finite decimal number in [min, max]. */
int wl_parse_double(const char *opt, const char *s, double min, double max, double *out, struct herror *err);
/* Parse a byte size with an optional binary suffix k, m, g, t (4k = 4096). */
int wl_parse_size(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out, struct herror *err);

/* ---- time ---- */

/* Sleep until the monotonic time deadline_ns, waking early when stopping. */
void wl_sleep_until_ns(uint64_t deadline_ns);
/* CPU time of the calling thread in nanoseconds. */
uint64_t wl_thread_cpu_ns(void);

/* ---- early stop ---- */

extern volatile sig_atomic_t wl_stop_requested;
/* SIGTERM and SIGINT set wl_stop_requested; the program then ends with the
 * results it has so far. SIGPIPE is ignored. */
int wl_install_stop_handlers(void);
static inline bool wl_stopping(void) { return wl_stop_requested != 0; }

/* ---- the result document ----
 * {"tool": NAME, "version": 1, "params": {}, "samples": [], "totals": {},
 *  "error": null | "message", "stopped_early": bool}   (see workloads/README.md)
 */
typedef struct wl_doc {
	cJSON *root;
	cJSON *params;
	cJSON *samples;
	cJSON *totals;
} wl_doc;

int wl_doc_init(wl_doc *doc, const char *tool);
/* Record the first error (printf-style); also printed to stderr. Later
 * errors only go to stderr. */
void wl_doc_error(wl_doc *doc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool wl_doc_failed(const wl_doc *doc);
/* wl_doc_error(), then return err: "return wl_doc_fail(doc, -EINVAL, ...)". */
int wl_doc_fail(wl_doc *doc, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Print the document on stdout (one line), free it and return the exit
 * status: 0 when no error was recorded, 1 otherwise. */
int wl_doc_finish(wl_doc *doc);
/* wl_doc_error(), then wl_doc_finish(): "return wl_doc_finish_error(...)". */
int wl_doc_finish_error(wl_doc *doc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cJSON helpers that tolerate allocation failure by aborting: a workload
 * that cannot allocate a few bytes of JSON has no result to report. */
cJSON *wl_add_num(cJSON *obj, const char *key, double v);
cJSON *wl_add_str(cJSON *obj, const char *key, const char *v);
cJSON *wl_add_bool(cJSON *obj, const char *key, bool v);
cJSON *wl_add_obj(cJSON *obj, const char *key);
cJSON *wl_add_arr(cJSON *obj, const char *key);
void wl_arr_num(cJSON *arr, double v);
cJSON *wl_arr_obj(cJSON *arr);

/* ---- percentiles ---- */

/* Sorts v in place; returns the p-th percentile (0..100) by linear
 * interpolation between closest ranks, or 0 for n == 0. */
double wl_percentile(double *v, size_t n, double p);
/* Adds {"count","min","mean","p50","p90","p99","p999","max"} of v (sorted in
 * place) under key. */
cJSON *wl_add_summary(cJSON *obj, const char *key, double *v, size_t n);

/* A growable array of doubles, for latencies. */
typedef struct wl_vec {
	double *v;
	size_t n, cap;
} wl_vec;
int wl_vec_push(wl_vec *vec, double x);
void wl_vec_free(wl_vec *vec);

/* ---- state file for the runner ----
 * When the environment has WL_STATE_FILE=path, wl_state_publish() replaces
 * that file atomically (write + rename) with the given object plus "pid",
 * "t" (monotonic seconds) and "progress". The runner treats a "progress"
 * value that stops changing as a stall. Without WL_STATE_FILE it does
 * nothing. The object is not freed. */
int wl_state_publish(uint64_t progress, cJSON *extra);
bool wl_state_enabled(void);

/* Print the usage text on stdout and exit 0 (--help). */
void wl_help_exit(const char *usage) __attribute__((noreturn));
/* Exit status for a bad command line, after the document with the error is
 * printed: wl_doc_finish() returns 1, a usage error returns this. */
#define WL_EXIT_USAGE 2
/* Print the document (its error already recorded) and return WL_EXIT_USAGE. */
int wl_doc_finish_usage(wl_doc *doc);
/* wl_doc_error(), then wl_doc_finish_usage(): a bad command line in main(). */
int wl_usage_error(wl_doc *doc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- getopt_long() helpers, for opterr = 0 and the "(see --help)" wording ---- */

/* The default case: records "unknown option '%s' (see --help)", or "unknown
 * option or missing value for '%s' (see --help)" when optopt is set, for
 * argv[optind - 1]; returns -EINVAL. */
int wl_opt_unknown(wl_doc *doc, char *const *argv);
/* Role programs ("NAME server|client [OPTIONS]"): handles a first --help,
 * checks argv[1], sets *server and readies getopt_long() for argv[2...]. */
int wl_opt_role(wl_doc *doc, int argc, char *const *argv, const char *usage, bool *server);
/* Records that option --NAME does not belong to the role; returns -EINVAL. */
int wl_opt_wrong_role(wl_doc *doc, const char *name, bool server);
/* After the option loop: an operand left in argv (from optind) is refused
 * with "unexpected argument '%s' (see --help)"; returns 0 or -EINVAL. */
int wl_opt_end(wl_doc *doc, int argc, char *const *argv);
/* Records "option '--NAME' is required (see --help)"; returns -EINVAL. */
int wl_opt_required(wl_doc *doc, const char *name);
/* The end of a program's main() once its options are parsed and its
 * parameters recorded: the stop handlers, run(opts, doc), the document.
 * Returns main()'s status. */
int wl_run_main(wl_doc *doc, int (*run)(const void *opts, wl_doc *doc), const void *opts);

#endif
