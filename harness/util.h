/* Small helpers shared by the harness: errors, strings, files, time. */
#ifndef HARNESS_UTIL_H
#define HARNESS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* One error travels by pointer from where it happens to the caller that
 * reports it (as in crun's libcrun_error_t). */
struct herr {
	int code;		/* positive errno-style value, 0 when unset */
	char msg[1024];
};

/* Record an error (the first one wins) and return -code. */
int herr_set(struct herr *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Record an error with strerror(errno_value) appended. */
int herr_sys(struct herr *err, int errno_value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void herr_clear(struct herr *err);

/* Print "harness: msg" on stderr. */
void hwarn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hinfo(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool hquiet;

/* Programmer errors only. */
#define BUG(...) do { hwarn("BUG: " __VA_ARGS__); abort(); } while (0)

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
#define cleanup_free __attribute__((cleanup(freep)))
#define cleanup_close __attribute__((cleanup(closep)))

/* asprintf that aborts on allocation failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xstrdup(const char *s);
void *xcalloc(size_t n, size_t size);

/* Read a whole file (NUL-terminated); NULL and err on failure. */
char *read_file(const char *path, size_t *len, struct herr *err);
/* Write a file atomically: temp file in the same directory, fsync, rename. */
int write_file_atomic(const char *path, const char *data, size_t len, struct herr *err);
/* Write a small value to an existing file (a /proc or /sys knob). */
int write_file_plain(const char *path, const char *value, struct herr *err);
/* mkdir -p */
int mkdir_p(const char *path, mode_t mode, struct herr *err);
/* rm -rf of a directory tree; missing is fine. */
int remove_tree(const char *path, struct herr *err);

/* Seconds on the monotonic clock. */
double now_mono(void);
/* Seconds since the epoch. */
double now_wall(void);
/* Sleep for seconds; returns early (false) when the stop flag is raised. */
bool sleep_unless_stopped(double seconds);

/* Set by SIGINT/SIGTERM; every wait loop checks it. */
extern volatile int stop_requested;
void install_stop_handlers(void);

/* Strict number parsing for values from files and flags. */
int parse_long(const char *s, long min, long max, long *out);
int parse_double(const char *s, double min, double max, double *out);

#endif
