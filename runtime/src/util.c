#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

const char *rt_strerror(int errnum, char *buf, size_t len)
{
	const char *s = strerror_r(errnum, buf, len);

	if (s != buf) {
		snprintf(buf, len, "%s", s);
	}
	if (buf[0] && isupper((unsigned char)buf[0]) && !(buf[1] && isupper((unsigned char)buf[1])))
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

static int vfail(struct rt_err *err, int errnum, int with_errno, const char *fmt, va_list ap)
{
	if (!errnum)
		errnum = EINVAL;
	if (!err)
		return -errnum;
	err->code = errnum;
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof(err->msg)) {
		char eb[128];

		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s",
			 rt_strerror(errnum, eb, sizeof(eb)));
	}
	return -errnum;
}

int rt_fail(struct rt_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(err, errnum, 1, fmt, ap);
	va_end(ap);
	return r;
}

int rt_failx(struct rt_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(err, errnum, 0, fmt, ap);
	va_end(ap);
	return r;
}

ssize_t write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int write_file_atomic(const char *path, const void *data, size_t len, struct rt_err *err)
{
	char tmp[4096];
	int fd, r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return rt_failx(err, ENAMETOOLONG, "path too long: '%s'", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return rt_fail(err, errno, "cannot create '%s'", tmp);
	r = (int)write_all(fd, data, len);
	if (r < 0 || fsync(fd) < 0) {
		int e = r < 0 ? -r : errno;
		close(fd);
		unlink(tmp);
		return rt_fail(err, e, "cannot write '%s'", tmp);
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return rt_fail(err, e, "cannot rename '%s' to '%s'", tmp, path);
	}
	return 0;
}

int read_file(const char *path, size_t max, char **out, size_t *out_len, struct rt_err *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	ssize_t n;

	if (fd < 0)
		return rt_fail(err, errno, "cannot open '%s'", path);
	if (fstat(fd, &st) < 0)
		return rt_fail(err, errno, "cannot stat '%s'", path);
	if ((size_t)st.st_size > max)
		return rt_failx(err, EFBIG, "file '%s' is larger than %zu bytes", path, max);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return rt_fail(err, ENOMEM, "cannot read '%s'", path);
	n = read_all(fd, buf, (size_t)st.st_size);
	if (n < 0) {
		free(buf);
		return rt_fail(err, (int)-n, "cannot read '%s'", path);
	}
	buf[n] = '\0';
	*out = buf;
	if (out_len)
		*out_len = (size_t)n;
	return 0;
}

int mkdir_p(const char *path, mode_t mode, struct rt_err *err)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return rt_failx(err, ENAMETOOLONG, "bad directory path '%s'", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return rt_fail(err, errno, "cannot create directory '%s'", buf);
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int remove_tree(const char *path)
{
	/* FTW_PHYS: never follow a symlink planted inside a root filesystem. */
	return nftw(path, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int name_is_valid(const char *name)
{
	size_t n = 0;

	if (!name || !*name || name[0] == '.' || name[0] == '-')
		return 0;
	for (const char *p = name; *p; p++, n++) {
		if (n >= 63)
			return 0;
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return 0;
	}
	return 1;
}
