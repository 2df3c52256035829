#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

bool hquiet;
volatile int stop_requested;

static int herr_vset(struct herr *err, int code, const char *suffix, const char *fmt, va_list ap)
{
	if (err == NULL)
		return -code;
	if (err->code == 0) {
		int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		if (suffix && n >= 0 && (size_t)n < sizeof(err->msg))
			snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", suffix);
		err->code = code ? code : EIO;
	}
	return -(code ? code : EIO);
}

int herr_set(struct herr *err, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = herr_vset(err, code, NULL, fmt, ap);
	va_end(ap);
	return r;
}

int herr_sys(struct herr *err, int errno_value, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = herr_vset(err, errno_value, strerror(errno_value), fmt, ap);
	va_end(ap);
	return r;
}

void herr_clear(struct herr *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}

void hwarn(const char *fmt, ...)
{
	va_list ap;

	fputs("harness: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void hinfo(const char *fmt, ...)
{
	va_list ap;

	if (hquiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (d == NULL)
		abort();
	return d;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

char *read_file(const char *path, size_t *len, struct herr *err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL) {
		herr_sys(err, errno, "cannot open '%s'", path);
		return NULL;
	}
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (buf == NULL)
				abort();
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		herr_sys(err, EIO, "cannot read '%s'", path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int write_file_atomic(const char *path, const char *data, size_t len, struct herr *err)
{
	cleanup_free char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	cleanup_free char *dircopy = xstrdup(path);
	int fd, dfd;
	size_t off = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return herr_sys(err, errno, "cannot create '%s'", tmp);
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			unlink(tmp);
			return herr_sys(err, e, "cannot write '%s'", tmp);
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return herr_sys(err, e, "cannot flush '%s'", tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return herr_sys(err, e, "cannot rename '%s' to '%s'", tmp, path);
	}
	dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int write_file_plain(const char *path, const char *value, struct herr *err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);

	if (fd < 0)
		return herr_sys(err, errno, "cannot open '%s'", path);
	if (write(fd, value, len) != (ssize_t)len)
		return herr_sys(err, errno, "cannot write '%s' to '%s'", value, path);
	return 0;
}

int mkdir_p(const char *path, mode_t mode, struct herr *err)
{
	cleanup_free char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return herr_sys(err, errno, "cannot create directory '%s'", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return herr_sys(err, errno, "cannot create directory '%s'", p);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int remove_tree(const char *path, struct herr *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : herr_sys(err, errno, "cannot stat '%s'", path);
	if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return herr_sys(err, errno, "cannot remove '%s'", path);
	return 0;
}

double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

bool sleep_unless_stopped(double seconds)
{
	double end = now_mono() + seconds;

	while (!stop_requested) {
		double left = end - now_mono();
		if (left <= 0)
			return true;
		if (left > 0.1)
			left = 0.1;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)(left * 1e9) };
		nanosleep(&ts, NULL);
	}
	return false;
}

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void install_stop_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end != '\0' || !isfinite(v))
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
