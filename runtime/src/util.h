/* Small helpers shared by the runtime: error reporting, cleanup attributes,
 * whole-buffer I/O and atomic file writes. */
#ifndef RT_UTIL_H
#define RT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* One error travels up the call chain in this struct; the function that
 * fails fills it once and returns a negative errno-style value. */
struct rt_err {
	int code;		/* positive errno, 0 when no error */
	char msg[512];
};

/* Formats msg and returns -errnum; when errnum is nonzero the lowercased
 * strerror text is appended after ": ". */
int rt_fail(struct rt_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same as rt_fail but without the strerror suffix. */
int rt_failx(struct rt_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Lowercased strerror for messages in the project's style. */
const char *rt_strerror(int errnum, char *buf, size_t len);

static inline void rt_freep(void *p) { free(*(void **)p); }
static inline void rt_closep(int *fd) { if (*fd >= 0) close(*fd); }
#define cleanup_free __attribute__((cleanup(rt_freep)))
#define cleanup_close __attribute__((cleanup(rt_closep)))

/* write(2)/read(2) until len bytes moved; read_all returns the number of
 * bytes read, fewer only at end of file. Negative errno on failure. */
ssize_t write_all(int fd, const void *buf, size_t len);
ssize_t read_all(int fd, void *buf, size_t len);

/* Writes data to path through a temporary file and rename(2), so a crash
 * leaves either the old or the new file. */
int write_file_atomic(const char *path, const void *data, size_t len, struct rt_err *err);

/* Reads a whole file (at most max bytes) into a NUL-terminated buffer. */
int read_file(const char *path, size_t max, char **out, size_t *out_len, struct rt_err *err);

/* mkdir -p with the given mode. */
int mkdir_p(const char *path, mode_t mode, struct rt_err *err);

/* rm -rf of a directory tree that the runtime created itself. */
int remove_tree(const char *path);

/* Monotonic clock in nanoseconds. */
uint64_t now_ns(void);

/* Parses "123", "64k", "256M", "2G" (binary units) into bytes. */
int parse_size(const char *s, uint64_t *out);

/* A container name: 1 to 63 characters of [A-Za-z0-9_.-], not starting with '.'. */
int name_is_valid(const char *name);

#endif
