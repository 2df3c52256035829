#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static int write_attr(const char *dir, const char *file, const char *value, struct herror *err)
{
	char path[PATH_MAX];
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "cannot open '%s'", path);
	n = write(fd, value, strlen(value));
	if (n < 0)
		return error_set(err, errno, "cannot write '%s' to '%s'", value, path);
	return 0;
}

int cgroup_check_root(const char *root, struct herror *err)
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
			return error_set(err, errno, "no usable cgroup v2 hierarchy at '%s'", root);
	}
	if (sf.f_type != CGROUP2_SUPER_MAGIC)
		return error_setx(err, EOPNOTSUPP,
				"no usable cgroup v2 hierarchy at '%s': '%s' is not a cgroup2 file system",
				root, probe);
	return 0;
}

/* Makes the controllers available to root's children; a controller the
 * kernel lacks is reported by the limit write that needs it. */
static int enable_controllers(const char *root, struct herror *err)
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
		  int *dirfd, char *path, struct herror *err)
{
	char v[128];
	int r;

	if ((r = cgroup_check_root(root, err)) < 0)
		return r;
	if (mkdir(root, 0755) < 0 && errno != EEXIST)
		return error_set(err, errno, "cannot create cgroup '%s'", root);
	enable_controllers(root, err);
	snprintf(path, PATH_MAX, "%s/%s", root, name);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return error_set(err, errno, "cannot create cgroup '%s'", path);

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
		r = error_set(err, errno, "cannot open cgroup '%s'", path);
		goto fail;
	}
	return 0;
fail:
	rmdir(path);
	return r;
}

/* A small cgroup file into buf, NUL-terminated: 0 or -errno. */
static int read_attr(const char *dir, const char *file, char *buf, size_t len)
{
	char p[PATH_MAX];
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	n = read_file_buf(p, buf, len);
	return n < 0 ? (int)n : 0;
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

	if (!read_attr(path, "cpu.stat", buf, sizeof(buf)) && !keyed_value(buf, "usage_usec", &v))
		cJSON_AddNumberToObject(out, "cpu_usage_usec", (double)v);
	if (!read_attr(path, "memory.current", buf, sizeof(buf)) && sscanf(buf, "%llu", &v) == 1)
		cJSON_AddNumberToObject(out, "memory_current", (double)v);
	if (!read_attr(path, "memory.peak", buf, sizeof(buf)) && sscanf(buf, "%llu", &v) == 1)
		cJSON_AddNumberToObject(out, "memory_peak", (double)v);
	if (!read_attr(path, "memory.events", buf, sizeof(buf))) {
		cJSON *e = cJSON_AddObjectToObject(out, "memory_events");
		static const char *const keys[] = { "low", "high", "max", "oom", "oom_kill" };

		for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!keyed_value(buf, keys[i], &v))
				cJSON_AddNumberToObject(e, keys[i], (double)v);
	}
	if (!read_attr(path, "pids.current", buf, sizeof(buf)) && sscanf(buf, "%llu", &v) == 1)
		cJSON_AddNumberToObject(out, "pids_current", (double)v);
}

int cgroup_oom_killed(const char *path)
{
	char buf[4096];
	unsigned long long v;

	return !read_attr(path, "memory.events", buf, sizeof(buf)) &&
	       !keyed_value(buf, "oom_kill", &v) && v > 0;
}

int cgroup_remove(const char *path)
{
	return rmdir(path) < 0 && errno != ENOENT ? -errno : 0;
}

/* One rule of the device filter: type (BPF_DEVCG_DEV_CHAR/BLOCK), major,
 * minor (-1: any). */
struct dev_rule { int type; int major, minor; };

/* The standard devices of /dev (see setup.c) and the pseudo-terminals. */
static const struct dev_rule allowed_devices[] = {
	{ BPF_DEVCG_DEV_CHAR, 1, 3 }, { BPF_DEVCG_DEV_CHAR, 1, 5 }, { BPF_DEVCG_DEV_CHAR, 1, 7 },
	{ BPF_DEVCG_DEV_CHAR, 1, 8 }, { BPF_DEVCG_DEV_CHAR, 1, 9 }, { BPF_DEVCG_DEV_CHAR, 5, 0 },
	{ BPF_DEVCG_DEV_CHAR, 5, 2 }, { BPF_DEVCG_DEV_CHAR, 136, -1 },
};

static struct bpf_insn insn(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

/* Loads the device program; returns its fd. */
static int load_device_program(struct herror *err)
{
	enum { R0, R1, R2, R3, R4 };
	struct bpf_insn prog[8 + 5 * sizeof(allowed_devices) / sizeof(allowed_devices[0])];
	union bpf_attr attr;
	char log[256] = "";
	int n = 0, fd;

	/* r2 = device type, r3 = major, r4 = minor (struct bpf_cgroup_dev_ctx) */
	prog[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, R2, R1, 0, 0);
	prog[n++] = insn(BPF_ALU64 | BPF_AND | BPF_K, R2, 0, 0, 0xffff);
	prog[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, R3, R1, 4, 0);
	prog[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, R4, R1, 8, 0);
	for (unsigned i = 0; i < sizeof(allowed_devices) / sizeof(allowed_devices[0]); i++) {
		const struct dev_rule *d = &allowed_devices[i];
		int any = d->minor < 0;

		/* Each rule: three (or two) tests that jump past it, then allow. */
		prog[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, R2, 0, any ? 3 : 4, d->type);
		prog[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, R3, 0, any ? 2 : 3, d->major);
		if (!any)
			prog[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, R4, 0, 2, d->minor);
		prog[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 1);
		prog[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	prog[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0);
	prog[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (__u64)(uintptr_t)prog;
	attr.insn_cnt = (__u32)n;
	attr.license = (__u64)(uintptr_t)"GPL";
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0) {
		int e = errno;

		/* Again with the verifier's log, for the message only. */
		attr.log_buf = (__u64)(uintptr_t)log;
		attr.log_size = sizeof(log);
		attr.log_level = 1;
		if ((fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr))) >= 0)
			close(fd);
		log[sizeof(log) - 1] = '\0';
		return error_set(err, e, "cannot load the device filter (a BPF_PROG_TYPE_CGROUP_DEVICE program)%s%.120s",
				 log[0] ? ": " : "", log);
	}
	return fd;
}

int cgroup_device_filter_probe(struct herror *err)
{
	int fd = load_device_program(err);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int cgroup_device_filter(int cgroup_fd, struct herror *err)
{
	union bpf_attr attr;
	int fd = load_device_program(err);

	if (fd < 0)
		return fd;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (__u32)cgroup_fd;
	attr.attach_bpf_fd = (__u32)fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0) {
		int e = errno;
		close(fd);
		return error_set(err, e, "cannot attach the device filter to the container's cgroup");
	}
	close(fd);	/* the attachment holds the program */
	return 0;
}
