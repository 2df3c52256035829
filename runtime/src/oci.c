#include "oci.h"
#include "secfilter.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#define OCI_MAX_CONFIG (1024 * 1024)

static const cJSON *obj_item(const cJSON *o, const char *key, int type_ok, const char *what,
			     struct herror *err, int *r)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*r = 0;
	if (v && !type_ok)
		*r = error_setx(err, EINVAL, "bundle config: '%s' has the wrong type", what);
	return v;
}

static int copy_str(const cJSON *v, char *dst, size_t len, const char *what, struct herror *err)
{
	if (!cJSON_IsString(v) || !v->valuestring)
		return error_setx(err, EINVAL, "bundle config: '%s' must be a string", what);
	if (strlen(v->valuestring) >= len)
		return error_setx(err, EINVAL, "bundle config: '%s' is too long", what);
	memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

static int str_list(const cJSON *a, char **dst, int *n, int max, const char *what, struct herror *err)
{
	const cJSON *it;

	if (!cJSON_IsArray(a))
		return error_setx(err, EINVAL, "bundle config: '%s' must be an array of strings", what);
	cJSON_ArrayForEach(it, a) {
		if (!cJSON_IsString(it) || !it->valuestring)
			return error_setx(err, EINVAL, "bundle config: '%s' must be an array of strings", what);
		if (*n >= max)
			return error_setx(err, E2BIG, "bundle config: '%s' has more than %d entries", what, max);
		if (strlen(it->valuestring) >= SPEC_MAX_STR)
			return error_setx(err, E2BIG, "bundle config: an entry of '%s' is too long", what);
		if (!(dst[*n] = strdup(it->valuestring)))
			return error_set(err, ENOMEM, "bundle config: cannot copy '%s'", what);
		(*n)++;
		dst[*n] = NULL;
	}
	return 0;
}

static int num_u64(const cJSON *v, uint64_t *out, const char *what, struct herror *err)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble)
		return error_setx(err, EINVAL, "bundle config: '%s' must be a non-negative integer", what);
	*out = (uint64_t)v->valuedouble;
	return 0;
}

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

/* process.capabilities: each set a list of names; a missing set is empty. */
static int parse_capabilities(const cJSON *c, struct container_spec *s, struct herror *err)
{
	static const char *const sets[] = { "bounding", "effective", "permitted", "inheritable", "ambient" };
	const cJSON *it;

	if (!cJSON_IsObject(c))
		return error_setx(err, EINVAL, "bundle config: 'process.capabilities' must be an object");
	for (unsigned i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(c, sets[i]);

		s->caps[i] = 0;
		if (!a)
			continue;
		if (!cJSON_IsArray(a))
			return error_setx(err, EINVAL, "bundle config: 'process.capabilities.%s' must be an array", sets[i]);
		cJSON_ArrayForEach(it, a) {
			unsigned k;

			if (!cJSON_IsString(it))
				return error_setx(err, EINVAL, "bundle config: capability names must be strings");
			for (k = 0; k < sizeof(cap_names) / sizeof(cap_names[0]); k++)
				if (!strcmp(it->valuestring, cap_names[k]))
					break;
			if (k == sizeof(cap_names) / sizeof(cap_names[0]))
				return error_setx(err, EINVAL, "bundle config: unknown capability '%.64s'", it->valuestring);
			s->caps[i] |= 1ull << k;
		}
	}
	s->has_caps = 1;
	return 0;
}

static int parse_process(const cJSON *p, struct container_spec *s, struct herror *err)
{
	const cJSON *v;
	int r;

	if (!cJSON_IsObject(p))
		return error_setx(err, EINVAL, "bundle config: 'process' must be an object");
	v = cJSON_GetObjectItemCaseSensitive(p, "args");
	if (!v)
		return error_setx(err, EINVAL, "bundle config: 'process.args' is missing");
	if ((r = str_list(v, s->argv, &s->argc, SPEC_MAX_ARGS, "process.args", err)) < 0)
		return r;
	if (s->argc == 0)
		return error_setx(err, EINVAL, "bundle config: 'process.args' is empty");
	if ((v = cJSON_GetObjectItemCaseSensitive(p, "env")) &&
	    (r = str_list(v, s->env, &s->envc, SPEC_MAX_ENV, "process.env", err)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(p, "cwd")) &&
	    (r = copy_str(v, s->cwd, sizeof(s->cwd), "process.cwd", err)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(p, "terminal"))) {
		if (!cJSON_IsBool(v))
			return error_setx(err, EINVAL, "bundle config: 'process.terminal' must be a boolean");
		if (cJSON_IsTrue(v))
			return error_setx(err, ENOTSUP, "bundle config: 'process.terminal' true is not supported (logs are pipes)");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(p, "capabilities")) &&
	    (r = parse_capabilities(v, s, err)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(p, "user"))) {
		const cJSON *uid = cJSON_GetObjectItemCaseSensitive(v, "uid");
		const cJSON *gid = cJSON_GetObjectItemCaseSensitive(v, "gid");

		if (!cJSON_IsObject(v))
			return error_setx(err, EINVAL, "bundle config: 'process.user' must be an object");
		if ((uid && (!cJSON_IsNumber(uid) || uid->valuedouble != 0)) ||
		    (gid && (!cJSON_IsNumber(gid) || gid->valuedouble != 0)))
			return error_setx(err, ENOTSUP, "bundle config: only uid 0 and gid 0 are supported");
	}
	return 0;
}

static const struct { const char *name; unsigned long set, clear; } mount_opts[] = {
	{ "ro", MS_RDONLY, 0 }, { "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 }, { "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 }, { "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 }, { "exec", 0, MS_NOEXEC },
	{ "bind", MS_BIND, 0 }, { "rbind", MS_BIND | MS_REC, 0 },
	{ "strictatime", MS_STRICTATIME, 0 }, { "relatime", MS_RELATIME, 0 },
	{ "noatime", MS_NOATIME, 0 }, { "private", 0, 0 }, { "rprivate", 0, 0 },
};

static int parse_mount(const cJSON *m, struct spec_mount *out, struct herror *err)
{
	const cJSON *v, *o;
	int r;
	size_t dl = 0;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(m))
		return error_setx(err, EINVAL, "bundle config: each of 'mounts' must be an object");
	v = cJSON_GetObjectItemCaseSensitive(m, "destination");
	if (!v)
		return error_setx(err, EINVAL, "bundle config: a mount has no 'destination'");
	if ((r = copy_str(v, out->destination, sizeof(out->destination), "mounts.destination", err)) < 0)
		return r;
	if (out->destination[0] != '/')
		return error_setx(err, EINVAL, "bundle config: mount destination '%s' is not absolute", out->destination);
	if ((v = cJSON_GetObjectItemCaseSensitive(m, "type")) &&
	    (r = copy_str(v, out->type, sizeof(out->type), "mounts.type", err)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(m, "source")) &&
	    (r = copy_str(v, out->source, sizeof(out->source), "mounts.source", err)) < 0)
		return r;
	if ((o = cJSON_GetObjectItemCaseSensitive(m, "options"))) {
		const cJSON *it;

		if (!cJSON_IsArray(o))
			return error_setx(err, EINVAL, "bundle config: 'mounts.options' must be an array");
		cJSON_ArrayForEach(it, o) {
			unsigned i;

			if (!cJSON_IsString(it) || !it->valuestring)
				return error_setx(err, EINVAL, "bundle config: mount options must be strings");
			for (i = 0; i < sizeof(mount_opts) / sizeof(mount_opts[0]); i++)
				if (!strcmp(it->valuestring, mount_opts[i].name))
					break;
			if (i < sizeof(mount_opts) / sizeof(mount_opts[0])) {
				out->flags |= mount_opts[i].set;
				out->flags &= ~mount_opts[i].clear;
				continue;
			}
			/* Anything else is file-system data ("mode=755", "size=64k"). */
			size_t l = strlen(it->valuestring);
			if (dl + l + 2 > sizeof(out->data))
				return error_setx(err, E2BIG, "bundle config: options of mount '%s' are too long", out->destination);
			if (dl)
				out->data[dl++] = ',';
			memcpy(out->data + dl, it->valuestring, l + 1);
			dl += l;
		}
	}
	if (!strcmp(out->type, "bind"))
		out->flags |= MS_BIND;
	if ((out->flags & MS_BIND) && out->source[0] != '/')
		return error_setx(err, EINVAL, "bundle config: bind mount source '%s' is not absolute", out->source);
	return 0;
}

static int parse_resources(const cJSON *res, struct container_spec *s, struct herror *err)
{
	const cJSON *mem, *cpu, *pids, *v, *uni;
	int r;

	if (!cJSON_IsObject(res))
		return error_setx(err, EINVAL, "bundle config: 'linux.resources' must be an object");
	if ((mem = cJSON_GetObjectItemCaseSensitive(res, "memory"))) {
		if ((v = cJSON_GetObjectItemCaseSensitive(mem, "limit")) && !(cJSON_IsNumber(v) && v->valuedouble == -1) &&
		    (r = num_u64(v, &s->limits.memory_max, "memory.limit", err)) < 0)
			return r;
		if ((v = cJSON_GetObjectItemCaseSensitive(mem, "reservation")) &&
		    (r = num_u64(v, &s->limits.memory_high, "memory.reservation", err)) < 0)
			return r;
	}
	if ((cpu = cJSON_GetObjectItemCaseSensitive(res, "cpu"))) {
		uint64_t shares = 0, q = 0;

		if ((v = cJSON_GetObjectItemCaseSensitive(cpu, "shares"))) {
			if ((r = num_u64(v, &shares, "cpu.shares", err)) < 0)
				return r;
			if (shares < 2 || shares > 262144)
				return error_setx(err, EINVAL, "bundle config: 'cpu.shares' must be 2..262144");
			/* The conversion crun and runc use for cgroup v2. */
			s->limits.cpu_weight = 1 + ((shares - 2) * 9999) / 262142;
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(cpu, "quota")) && !(cJSON_IsNumber(v) && v->valuedouble == -1)) {
			if ((r = num_u64(v, &q, "cpu.quota", err)) < 0)
				return r;
			if (q > INT64_MAX)
				return error_setx(err, EINVAL, "bundle config: 'cpu.quota' is out of range");
			s->limits.cpu_quota_us = (int64_t)q;
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(cpu, "period")) &&
		    (r = num_u64(v, &s->limits.cpu_period_us, "cpu.period", err)) < 0)
			return r;
		if ((v = cJSON_GetObjectItemCaseSensitive(cpu, "cpus")) &&
		    (r = copy_str(v, s->limits.cpuset_cpus, sizeof(s->limits.cpuset_cpus), "cpu.cpus", err)) < 0)
			return r;
	}
	if ((pids = cJSON_GetObjectItemCaseSensitive(res, "pids")) &&
	    (v = cJSON_GetObjectItemCaseSensitive(pids, "limit")) && !(cJSON_IsNumber(v) && v->valuedouble <= 0) &&
	    (r = num_u64(v, &s->limits.pids_max, "pids.limit", err)) < 0)
		return r;
	if ((uni = cJSON_GetObjectItemCaseSensitive(res, "unified"))) {
		if (!cJSON_IsObject(uni))
			return error_setx(err, EINVAL, "bundle config: 'unified' must be an object");
		if ((v = cJSON_GetObjectItemCaseSensitive(uni, "memory.high"))) {
			if (!cJSON_IsString(v) || parse_size(v->valuestring, &s->limits.memory_high) < 0)
				return error_setx(err, EINVAL, "bundle config: bad 'unified.memory.high'");
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(uni, "cpu.weight"))) {
			if (!cJSON_IsString(v) || parse_size(v->valuestring, &s->limits.cpu_weight) < 0)
				return error_setx(err, EINVAL, "bundle config: bad 'unified.cpu.weight'");
		}
	}
	return 0;
}

static int parse_linux(const cJSON *lx, struct container_spec *s, struct herror *err)
{
	const cJSON *ns, *it, *res, *sc;
	int r;

	if (!cJSON_IsObject(lx))
		return error_setx(err, EINVAL, "bundle config: 'linux' must be an object");
	if ((ns = cJSON_GetObjectItemCaseSensitive(lx, "namespaces"))) {
		if (!cJSON_IsArray(ns))
			return error_setx(err, EINVAL, "bundle config: 'linux.namespaces' must be an array");
		cJSON_ArrayForEach(it, ns) {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "type");
			static const char *const known[] = { "pid", "mount", "uts", "ipc", "network", "cgroup" };
			unsigned i;

			if (!cJSON_IsString(t))
				return error_setx(err, EINVAL, "bundle config: a namespace has no 'type'");
			if (cJSON_GetObjectItemCaseSensitive(it, "path"))
				return error_setx(err, ENOTSUP, "bundle config: joining an existing '%s' namespace is not supported", t->valuestring);
			for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
				if (!strcmp(t->valuestring, known[i]))
					break;
			if (i == sizeof(known) / sizeof(known[0]))
				return error_setx(err, ENOTSUP, "bundle config: namespace '%s' is not supported", t->valuestring);
		}
	}
	if ((sc = cJSON_GetObjectItemCaseSensitive(lx, "seccomp"))) {
		if ((r = secfilter_check_oci(sc, err)) < 0)
			return r;
		cJSON_Delete(s->seccomp);
		if (!(s->seccomp = cJSON_Duplicate(sc, 1)))
			return error_set(err, ENOMEM, "bundle config: cannot copy 'linux.seccomp'");
	}
	if ((res = cJSON_GetObjectItemCaseSensitive(lx, "resources")))
		return parse_resources(res, s, err);
	return 0;
}

int oci_parse_config(const char *text, size_t len, const char *bundle_dir,
		     struct container_spec *s, struct herror *err)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *v, *rt, *m, *it;
	int r = 0;

	if (!root)
		return error_setx(err, EINVAL, "bundle config is not valid JSON");
	if (!cJSON_IsObject(root)) {
		r = error_setx(err, EINVAL, "bundle config is not a JSON object");
		goto cleanup;
	}
	v = obj_item(root, "ociVersion", 1, "ociVersion", err, &r);
	if (!cJSON_IsString(v) || strncmp(v->valuestring, "1.", 2)) {
		r = error_setx(err, EINVAL, "bundle config: 'ociVersion' must be a 1.x version string");
		goto cleanup;
	}
	if (!(v = cJSON_GetObjectItemCaseSensitive(root, "process"))) {
		r = error_setx(err, EINVAL, "bundle config: 'process' is missing");
		goto cleanup;
	}
	if ((r = parse_process(v, s, err)) < 0)
		goto cleanup;
	rt = cJSON_GetObjectItemCaseSensitive(root, "root");
	if (!cJSON_IsObject(rt) || !(v = cJSON_GetObjectItemCaseSensitive(rt, "path"))) {
		r = error_setx(err, EINVAL, "bundle config: 'root.path' is missing");
		goto cleanup;
	}
	if (!cJSON_IsString(v) || !v->valuestring[0]) {
		r = error_setx(err, EINVAL, "bundle config: 'root.path' must be a non-empty string");
		goto cleanup;
	}
	if (v->valuestring[0] == '/')
		r = snprintf(s->rootfs, sizeof(s->rootfs), "%s", v->valuestring);
	else
		r = snprintf(s->rootfs, sizeof(s->rootfs), "%s/%s", bundle_dir, v->valuestring);
	if (r < 0 || (size_t)r >= sizeof(s->rootfs)) {
		r = error_setx(err, ENAMETOOLONG, "bundle config: 'root.path' is too long");
		goto cleanup;
	}
	r = 0;
	if ((v = cJSON_GetObjectItemCaseSensitive(rt, "readonly"))) {
		if (!cJSON_IsBool(v)) {
			r = error_setx(err, EINVAL, "bundle config: 'root.readonly' must be a boolean");
			goto cleanup;
		}
		s->readonly_rootfs = cJSON_IsTrue(v);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "hostname")) &&
	    (r = copy_str(v, s->hostname, sizeof(s->hostname), "hostname", err)) < 0)
		goto cleanup;
	if ((m = cJSON_GetObjectItemCaseSensitive(root, "mounts"))) {
		if (!cJSON_IsArray(m)) {
			r = error_setx(err, EINVAL, "bundle config: 'mounts' must be an array");
			goto cleanup;
		}
		cJSON_ArrayForEach(it, m) {
			if (s->nmounts >= SPEC_MAX_MOUNTS) {
				r = error_setx(err, E2BIG, "bundle config: more than %d mounts", SPEC_MAX_MOUNTS);
				goto cleanup;
			}
			if ((r = parse_mount(it, &s->mounts[s->nmounts], err)) < 0)
				goto cleanup;
			s->nmounts++;
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "linux")) && (r = parse_linux(v, s, err)) < 0)
		goto cleanup;
	r = 0;
cleanup:
	cJSON_Delete(root);
	return r;
}

int oci_load_bundle(const char *bundle_dir, struct container_spec *s, struct herror *err)
{
	char path[PATH_MAX];
	cleanup_free char *text = NULL;
	size_t len;
	int r;

	if (bundle_dir[0] != '/')
		return error_setx(err, EINVAL, "bundle '%s' must be an absolute path", bundle_dir);
	snprintf(path, sizeof(path), "%s/config.json", bundle_dir);
	if ((r = read_file(path, OCI_MAX_CONFIG, &text, &len, err)) < 0)
		return r;
	return oci_parse_config(text, len, bundle_dir, s, err);
}
