/* Small helpers shared by the harness: errors, strings, files, time. */
#ifndef HARNESS_UTIL_H
#define HARNESS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* Errors (struct herror), files, clocks and cleanup attributes come from
 * lib/ and are shared by every component; what is here is the harness's own. */
#include "hcleanup.h"
#include "hclock.h"
#include "herror.h"
#include "hfile.h"

/* The largest file the harness reads whole (records, suites, logs); files
 * handed in by users may set a smaller limit. */
#define HARNESS_FILE_MAX (64u << 20)

/* Print "harness: msg" on stderr. */
void hwarn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hinfo(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool hquiet;

/* Programmer errors only. */
#define BUG(...) do { hwarn("BUG: " __VA_ARGS__); abort(); } while (0)

/* asprintf that aborts on allocation failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xstrdup(const char *s);
void *xcalloc(size_t n, size_t size);

/* read_file into a new NUL-terminated buffer: the text, or NULL with err. */
char *read_text(const char *path, size_t *len, struct herror *err);

/* Sleep for seconds; returns early (false) when the stop flag is raised. */
bool sleep_unless_stopped(double seconds);

/* Set by SIGINT/SIGTERM; every wait loop checks it. */
extern volatile int stop_requested;
void install_stop_handlers(void);

/* Strict number parsing for values from files and flags. */
int parse_long(const char *s, long min, long max, long *out);
int parse_double(const char *s, double min, double max, double *out);

#endif
