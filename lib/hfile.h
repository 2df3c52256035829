/* hfile: whole-file I/O, directories, trees. Functions that take err return
 * 0 (or a length) on success and a negative errno on failure, with the
 * failed step and the path in err ("cannot open 'x': no such file or
 * directory"); the others return -errno and leave the words to the caller. */
#ifndef HCOMMON_HFILE_H
#define HCOMMON_HFILE_H

#include <stddef.h>
#include <sys/types.h>
#include "herror.h"

/* read(2)/write(2) until len bytes moved, retrying EINTR. read_all returns
 * the count read (fewer only at end of file); write_all returns len. */
ssize_t read_all(int fd, void *buf, size_t len);
ssize_t write_all(int fd, const void *buf, size_t len);

/* Read all of fd (a file, a pipe, stdin) into a new NUL-terminated buffer
 * *out, at most max bytes (-EFBIG beyond). name is the source in messages. */
int read_fd(int fd, const char *name, size_t max, char **out, size_t *len, struct herror *err);

/* Read a whole file of at most max bytes (-EFBIG beyond) into a new
 * NUL-terminated buffer *out; *len (when len is not NULL) is its length.
 * The errno of the failed open or read is returned, not a generic one. */
int read_file(const char *path, size_t max, char **out, size_t *len, struct herror *err);

/* Files of a directory that is untrusted data (a results directory): rel
 * is a relative path of plain names (no "", ".", ".."), and no component of
 * it is followed if it is a symbolic link; the file must be a regular file
 * on the directory's file system of at most max bytes, and is opened with
 * O_NONBLOCK (it is looked at before it is opened: no FIFO, no device).
 * The refusal names the file and why ("refused 'd/x.json': a symbolic link
 * (not followed)"): -ELOOP for a link, -EFBIG, -EXDEV, -EINVAL for the
 * rest. open_beneath_fd works below the open directory dfd (dirname for
 * messages); both return the open file or -errno. */
int open_beneath_fd(int dfd, const char *dirname, const char *rel, size_t max, struct herror *err);
int open_beneath(const char *dir, const char *rel, size_t max, struct herror *err);
/* read_file for such a file: dir/rel into a new NUL-terminated *out. */
int read_file_beneath(const char *dir, const char *rel, size_t max, char **out, size_t *len, struct herror *err);

/* Read a small file into buf without allocating (for /proc at 10 Hz): at
 * most size - 1 bytes, NUL-terminated. Returns the length or -errno. */
ssize_t read_file_buf(const char *path, char *buf, size_t size);

/* The last size - 1 bytes of a file into buf, NUL-terminated (error
 * context from a log). Returns the length or -errno. */
ssize_t read_file_tail(const char *path, char *buf, size_t size);

/* Create or truncate path (mode when created) and write data to it. */
int write_file(const char *path, const void *data, size_t len, mode_t mode, struct herror *err);

/* Replace path durably: write a temporary file beside it, fsync it, rename
 * it over path, fsync the directory. A crash leaves the old or the new file. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, struct herror *err);

/* The same without the fsyncs: readers see the old or the new file, never a
 * partial one, at no disk cost (state files rewritten many times a second). */
int write_file_replace(const char *path, const void *data, size_t len, mode_t mode, struct herror *err);

/* mkdir -p: create path and its missing parents with mode. */
int mkdir_p(const char *path, mode_t mode, struct herror *err);

/* rm -rf of a file or a directory tree; a missing path is fine. Symbolic
 * links are removed, never followed (openat/unlinkat below the top), and
 * mount points are not entered: one left below makes it fail with EBUSY. */
int remove_tree(const char *path, struct herror *err);

#endif
