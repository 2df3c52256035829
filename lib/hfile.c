#include "hfile.h"
#include "hcleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* read(2) or write(2) until len bytes moved, end of file, or an error. */
static ssize_t move_all(int fd, char *p, size_t len, bool writing)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = writing ? write(fd, p + done, len - done) : read(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return writing ? -EIO : (ssize_t)done;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
	return move_all(fd, buf, len, false);
}

ssize_t write_all(int fd, const void *buf, size_t len)
{
	return move_all(fd, (char *)buf, len, true);
}

int read_fd(int fd, const char *name, size_t max, char **out, size_t *len, struct herror *err)
{
	cleanup_free char *buf = NULL;
	size_t cap = 0, n = 0;

	for (;;) {
		ssize_t got;

		if (cap - n < 2) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *nbuf;

			/* One byte past max tells "exactly max" from "larger". */
			if (ncap > max + 2)
				ncap = max + 2;
			if (ncap <= cap)
				return error_setx(err, EFBIG, "'%s' is larger than %zu bytes", name, max);
			nbuf = realloc(buf, ncap);
			if (nbuf == NULL)
				return error_set(err, ENOMEM, "cannot read '%s'", name);
			buf = nbuf;
			cap = ncap;
		}
		got = read(fd, buf + n, cap - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return error_set(err, errno, "cannot read '%s'", name);
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max)
			return error_setx(err, EFBIG, "'%s' is larger than %zu bytes", name, max);
	}
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return error_set(err, ENOMEM, "cannot read '%s'", name);
	buf[n] = '\0';
	*out = steal_pointer(&buf);
	if (len)
		*len = n;
	return 0;
}

int read_file(const char *path, size_t max, char **out, size_t *len, struct herror *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return error_set(err, errno, "cannot open '%s'", path);
	return read_fd(fd, path, max, out, len, err);
}

/* What a file that is not regular is, for a refusal. */
static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFLNK: return "a symbolic link (not followed)";
	case S_IFIFO: return "a FIFO, not a regular file";
	case S_IFSOCK: return "a socket, not a regular file";
	case S_IFCHR: return "a character device, not a regular file";
	case S_IFBLK: return "a block device, not a regular file";
	case S_IFDIR: return "a directory, not a regular file";
	default: return "not a regular file";
	}
}

/* One name below a directory: no slash, not "" or "." or "..". */
static bool plain_name(const char *s, size_t n)
{
	return n > 0 && !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.') &&
	       memchr(s, '/', n) == NULL;
}

int open_beneath_fd(int dfd, const char *dirname, const char *rel, size_t max, struct herror *err)
{
	cleanup_close int cur = -1;
	struct stat top, st, fst;
	const char *p = rel, *slash;
	int at = dfd, fd;

	if (fstat(dfd, &top) < 0)
		return error_set(err, errno, "cannot stat '%s'", dirname);
	/* Each directory on the way: a real directory, never a link. */
	while ((slash = strchr(p, '/')) != NULL) {
		cleanup_free char *name = strndup(p, (size_t)(slash - p));
		int next;

		if (name == NULL)
			return error_set(err, ENOMEM, "cannot open '%s/%s'", dirname, rel);
		if (!plain_name(name, strlen(name)))
			return error_setx(err, EINVAL, "'%s/%s': not a plain path below the directory", dirname, rel);
		if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return error_set(err, errno, "cannot open '%s/%s'", dirname, rel);
		if (!S_ISDIR(st.st_mode))
			return error_setx(err, S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR, "refused '%s/%s': '%s' is %s",
					  dirname, rel, name, S_ISLNK(st.st_mode) ? file_kind(st.st_mode) : "not a directory");
		next = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return error_set(err, errno, "cannot open '%s/%s'", dirname, rel);
		if (cur >= 0)
			close(cur);
		at = cur = next;
		p = slash + 1;
	}
	if (!plain_name(p, strlen(p)))
		return error_setx(err, EINVAL, "'%s/%s': not a plain path below the directory", dirname, rel);
	/* Looked at before it is opened: opening a device or a FIFO may do
	 * something by itself. */
	if (fstatat(at, p, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(err, errno, "cannot open '%s/%s'", dirname, rel);
	if (!S_ISREG(st.st_mode))
		return error_setx(err, S_ISLNK(st.st_mode) ? ELOOP : EINVAL, "refused '%s/%s': %s", dirname, rel,
				  file_kind(st.st_mode));
	if (st.st_dev != top.st_dev)
		return error_setx(err, EXDEV, "refused '%s/%s': on another file system than '%s' (a mount inside it)",
				  dirname, rel, dirname);
	if ((uint64_t)st.st_size > max)
		return error_setx(err, EFBIG, "refused '%s/%s': larger than %zu bytes (%lld)", dirname, rel, max,
				  (long long)st.st_size);
	fd = openat(at, p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "cannot open '%s/%s'", dirname, rel);
	/* The same file that was looked at (not one swapped in meanwhile). */
	if (fstat(fd, &fst) < 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino || !S_ISREG(fst.st_mode)) {
		close(fd);
		return error_setx(err, EAGAIN, "refused '%s/%s': it changed while it was opened", dirname, rel);
	}
	return fd;
}

int open_beneath(const char *dir, const char *rel, size_t max, struct herror *err)
{
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return error_set(err, errno, "cannot open directory '%s'", dir);
	return open_beneath_fd(dfd, dir, rel, max, err);
}

int read_file_beneath(const char *dir, const char *rel, size_t max, char **out, size_t *len, struct herror *err)
{
	cleanup_close int fd = open_beneath(dir, rel, max, err);
	cleanup_free char *name = NULL;

	if (fd < 0)
		return fd;
	if (asprintf(&name, "%s/%s", dir, rel) < 0) {
		name = NULL;
		return error_set(err, ENOMEM, "cannot read '%s/%s'", dir, rel);
	}
	return read_fd(fd, name, max, out, len, err);
}

/* read_file_buf and read_file_tail: the head or the tail of a file in buf. */
static ssize_t read_into(const char *path, char *buf, size_t size, bool tail)
{
	cleanup_close int fd = -1;
	ssize_t n;

	if (size == 0)
		return -EINVAL;
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (tail) {
		off_t end = lseek(fd, 0, SEEK_END);

		if (end < 0 || lseek(fd, end > (off_t)(size - 1) ? end - (off_t)(size - 1) : 0, SEEK_SET) < 0)
			return -errno;
	}
	n = read_all(fd, buf, size - 1);
	if (n < 0)
		return n;
	buf[n] = '\0';
	return n;
}

ssize_t read_file_buf(const char *path, char *buf, size_t size)
{
	return read_into(path, buf, size, false);
}

ssize_t read_file_tail(const char *path, char *buf, size_t size)
{
	return read_into(path, buf, size, true);
}

int write_file(const char *path, const void *data, size_t len, mode_t mode, struct herror *err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ssize_t w;

	if (fd < 0)
		return error_set(err, errno, "cannot open '%s'", path);
	w = write_all(fd, data, len);
	if (w < 0)
		return error_set(err, (int)w, "cannot write '%s'", path);
	if (close(steal_fd(&fd)) < 0)
		return error_set(err, errno, "cannot write '%s'", path);
	return 0;
}

static void fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	cleanup_free char *dir = NULL;
	cleanup_close int fd = -1;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		fsync(fd);
}

static int replace_file(const char *path, const void *data, size_t len, mode_t mode, bool durable,
			struct herror *err)
{
	char tmp[PATH_MAX];
	cleanup_close int fd = -1;
	ssize_t w;
	int r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp))
		return error_setx(err, ENAMETOOLONG, "cannot write '%s': the path is too long", path);
	/* A new file, never one that is there (a link planted under that name
	 * would be written through): a leftover of a killed writer is removed. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return error_set(err, errno, "cannot create '%s'", tmp);
	w = write_all(fd, data, len);
	if (w < 0) {
		r = error_set(err, (int)w, "cannot write '%s'", tmp);
		goto fail;
	}
	if (durable && fsync(fd) < 0) {
		r = error_set(err, errno, "cannot flush '%s'", tmp);
		goto fail;
	}
	if (close(steal_fd(&fd)) < 0) {
		r = error_set(err, errno, "cannot write '%s'", tmp);
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		r = error_set(err, errno, "cannot rename '%s' to '%s'", tmp, path);
		goto fail;
	}
	if (durable)
		fsync_parent(path);
	return 0;
fail:
	unlink(tmp);
	return r;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, struct herror *err)
{
	return replace_file(path, data, len, mode, true, err);
}

int write_file_replace(const char *path, const void *data, size_t len, mode_t mode, struct herror *err)
{
	return replace_file(path, data, len, mode, false, err);
}

int mkdir_p(const char *path, mode_t mode, struct herror *err)
{
	cleanup_free char *p = strdup(path);
	struct stat st;

	if (p == NULL)
		return error_set(err, ENOMEM, "cannot create directory '%s'", path);
	if (*p == '\0')
		return error_setx(err, EINVAL, "cannot create a directory with an empty name");
	for (char *s = p + 1; *s; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return error_set(err, errno, "cannot create directory '%s'", p);
		*s = '/';
	}
	if (mkdir(p, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return error_set(err, errno, "cannot create directory '%s'", p);
	if (stat(p, &st) < 0)
		return error_set(err, errno, "cannot create directory '%s'", p);
	if (!S_ISDIR(st.st_mode))
		return error_set(err, ENOTDIR, "cannot create directory '%s'", p);
	return 0;
}

/* Is dfd/name the root of a mount (a bind mount of the same file system
 * included)? Kernels without STATX_ATTR_MOUNT_ROOT: the st_dev test only. */
static bool is_mount_root(int dfd, const char *name, dev_t top_dev, const struct stat *st)
{
	if (st->st_dev != top_dev)
		return true;
#ifdef STATX_ATTR_MOUNT_ROOT
	struct statx stx;

	if (statx(dfd, name, AT_SYMLINK_NOFOLLOW, 0, &stx) == 0 &&
	    (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return true;
#endif
	return false;
}

/* Remove everything in the directory dfd (path in messages); takes dfd.
 * Goes on past a failure; returns the first one. */
static int empty_dir(int dfd, const char *path, dev_t top_dev, struct herror *err)
{
	cleanup_dir DIR *d = fdopendir(dfd);
	struct dirent *de;
	int r = 0;

	if (d == NULL) {
		r = r ? r : error_set(err, errno, "cannot list '%s'", path);
		close(dfd);
		return r;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		struct stat st;

		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				r = r ? r : error_set(err, errno, "cannot remove '%s/%s'", path, name);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
				r = r ? r : error_set(err, errno, "cannot remove '%s/%s'", path, name);
			continue;
		}
		if (is_mount_root(dfd, name, top_dev, &st)) {
			r = r ? r : error_setx(err, EBUSY, "cannot remove '%s/%s': a file system is mounted there",
					       path, name);
			continue;
		}
		{
			cleanup_free char *sub = NULL;
			int sfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), sr;

			if (asprintf(&sub, "%s/%s", path, name) < 0) {
				sub = NULL;
				if (sfd >= 0)
					close(sfd);
				r = r ? r : error_set(err, ENOMEM, "cannot remove '%s/%s'", path, name);
				continue;
			}
			if (sfd < 0) {
				if (errno != ENOENT)
					r = r ? r : error_set(err, errno, "cannot open '%s'", sub);
				continue;
			}
			sr = empty_dir(sfd, sub, top_dev, err);
			if (sr < 0 && r == 0)
				r = sr;
			if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
				r = r ? r : error_set(err, errno, "cannot remove '%s'", sub);
		}
	}
	if (errno != 0)
		r = r ? r : error_set(err, errno, "cannot list '%s'", path);
	return r;
}

int remove_tree(const char *path, struct herror *err)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : error_set(err, errno, "cannot remove '%s'", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0 && errno != ENOENT)
			return error_set(err, errno, "cannot remove '%s'", path);
		return 0;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "cannot open '%s'", path);
	r = empty_dir(fd, path, st.st_dev, err);
	if (rmdir(path) < 0 && errno != ENOENT)
		r = r ? r : error_set(err, errno, "cannot remove '%s'", path);
	return r;
}
