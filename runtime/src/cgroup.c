#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>

static int write_attr(const char *dir, const char *file, const char *value, struct rt_err *err)
{
	char path[PATH_MAX];
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return rt_fail(err, errno, "cannot open '%s'", path);
	n = write(fd, value, strlen(value));
	if (n < 0)
		return rt_fail(err, errno, "cannot write '%s' to '%s'", value, path);
	return 0;
}

int cgroup_check_root(const char *root, struct rt_err *err)
{
	char parent[PATH_MAX];
	struct statfs sf;
	const char *probe = root;
	char *slash;

	if (statfs(root, &sf) < 0) {
		snprintf(parent, sizeof(parent), "%s", root);
		slash = strrchr(parent, '/');
		if (slash && slash != parent)
			*slash = '\0';
		probe = parent;
		if (statfs(parent, &sf) < 0)
			return rt_fail(err, errno, "no usable cgroup v2 hierarchy at '%s'", root);
	}
	if (sf.f_type != CGROUP2_SUPER_MAGIC)
		return rt_failx(err, EOPNOTSUPP,
				"no usable cgroup v2 hierarchy at '%s': '%s' is not a cgroup2 file system",
				root, probe);
	return 0;
}

/* Makes the controllers available to root's children; a controller the
 * kernel lacks is reported by the limit write that needs it. */
static int enable_controllers(const char *root, struct rt_err *err)
{
	char parent[PATH_MAX];
	char *slash;
	static const char *const ctl[] = { "+cpu", "+memory", "+pids", "+cpuset" };

	snprintf(parent, sizeof(parent), "%s", root);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	for (unsigned i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++) {
		/* Each one alone, so one missing controller does not block the rest. */
		write_attr(parent, "cgroup.subtree_control", ctl[i], NULL);
		write_attr(root, "cgroup.subtree_control", ctl[i], NULL);
	}
	return 0;
}

int cgroup_create(const char *root, const char *name, const struct spec_limits *l,
		  int *dirfd, char *path, struct rt_err *err)
{
	char v[128];
	int r;

	if ((r = cgroup_check_root(root, err)) < 0)
		return r;
	if (mkdir(root, 0755) < 0 && errno != EEXIST)
		return rt_fail(err, errno, "cannot create cgroup '%s'", root);
	enable_controllers(root, err);
	snprintf(path, PATH_MAX, "%s/%s", root, name);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return rt_fail(err, errno, "cannot create cgroup '%s'", path);

	if (l->cpu_weight) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->cpu_weight);
		if ((r = write_attr(path, "cpu.weight", v, err)) < 0)
			goto fail;
	}
	if (l->cpu_quota_us) {
		snprintf(v, sizeof(v), "%lld %llu", (long long)l->cpu_quota_us,
			 (unsigned long long)l->cpu_period_us);
		if ((r = write_attr(path, "cpu.max", v, err)) < 0)
			goto fail;
	}
	if (l->cpuset_cpus[0] && (r = write_attr(path, "cpuset.cpus", l->cpuset_cpus, err)) < 0)
		goto fail;
	if (l->memory_high) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory_high);
		if ((r = write_attr(path, "memory.high", v, err)) < 0)
			goto fail;
	}
	if (l->memory_max) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory_max);
		if ((r = write_attr(path, "memory.max", v, err)) < 0)
			goto fail;
		/* A container's swap would hide memory.max from the experiment. */
		write_attr(path, "memory.swap.max", "0", NULL);
	}
	if (l->pids_max) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->pids_max);
		if ((r = write_attr(path, "pids.max", v, err)) < 0)
			goto fail;
	}
	*dirfd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (*dirfd < 0) {
		r = rt_fail(err, errno, "cannot open cgroup '%s'", path);
		goto fail;
	}
	return 0;
fail:
	rmdir(path);
	return r;
}

static int read_small(const char *dir, const char *file, char *buf, size_t len)
{
	char p[PATH_MAX];
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read_all(fd, buf, len - 1);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return 0;
}

static int keyed_value(const char *text, const char *key, unsigned long long *out)
{
	size_t kl = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, kl) && p[kl] == ' ')
			return sscanf(p + kl + 1, "%llu", out) == 1 ? 0 : -EINVAL;
	}
	return -ENOENT;
}

void cgroup_usage(const char *path, cJSON *out)
{
	char buf[4096];
	unsigned long long v;

	if (!read_small(path, "cpu.stat", buf, sizeof(buf)) && !keyed_value(buf, "usage_usec", &v))
		cJSON_AddNumberToObject(out, "cpu_usage_usec", (double)v);
	if (!read_small(path, "memory.current", buf, sizeof(buf)) && sscanf(buf, "%llu", &v) == 1)
		cJSON_AddNumberToObject(out, "memory_current", (double)v);
	if (!read_small(path, "memory.peak", buf, sizeof(buf)) && sscanf(buf, "%llu", &v) == 1)
		cJSON_AddNumberToObject(out, "memory_peak", (double)v);
	if (!read_small(path, "memory.events", buf, sizeof(buf))) {
		cJSON *e = cJSON_AddObjectToObject(out, "memory_events");
		static const char *const keys[] = { "low", "high", "max", "oom", "oom_kill" };

		for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!keyed_value(buf, keys[i], &v))
				cJSON_AddNumberToObject(e, keys[i], (double)v);
	}
	if (!read_small(path, "pids.current", buf, sizeof(buf)) && sscanf(buf, "%llu", &v) == 1)
		cJSON_AddNumberToObject(out, "pids_current", (double)v);
}

int cgroup_oom_killed(const char *path)
{
	char buf[4096];
	unsigned long long v;

	return !read_small(path, "memory.events", buf, sizeof(buf)) &&
	       !keyed_value(buf, "oom_kill", &v) && v > 0;
}

int cgroup_remove(const char *path)
{
	return rmdir(path) < 0 && errno != ENOENT ? -errno : 0;
}
