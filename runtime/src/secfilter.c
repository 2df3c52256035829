#include "secfilter.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* What Docker's default profile does not allow a container with the
 * default capabilities: kernel modules and kexec, keyrings, BPF and perf,
 * mounts and namespaces, reboot, swap, clocks, accounting, NUMA policy,
 * handles that bypass the root, io_uring. Refused with EPERM. ptrace is
 * allowed, as Docker allows it on kernels from 4.8 on. */
static const char *const denied_syscalls[] = {
	"acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
	"delete_module", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick",
	"get_kernel_syms", "get_mempolicy", "init_module", "io_uring_enter",
	"io_uring_register", "io_uring_setup", "ioperm", "iopl", "kcmp", "kexec_file_load",
	"kexec_load", "keyctl", "lookup_dcookie", "mbind", "mount", "mount_setattr",
	"move_mount", "move_pages", "name_to_handle_at", "nfsservctl", "open_by_handle_at",
	"open_tree", "perf_event_open", "pivot_root", "process_vm_readv", "process_vm_writev",
	"query_module", "quotactl", "quotactl_fd", "reboot", "request_key", "set_mempolicy",
	"setns", "settimeofday", "stime", "swapoff", "swapon", "syslog", "_sysctl", "sysfs",
	"umount", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vm86", "vm86old",
};

static const unsigned long long ns_flags[] = {
	CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
	CLONE_NEWCGROUP,
};

static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
		    const struct scmp_arg_cmp *cmp, struct herror *err)
{
	int nr = seccomp_syscall_resolve_name(name), r;

	if (nr == __NR_SCMP_ERROR)
		return 0;	/* not a system call of this architecture */
	r = seccomp_rule_add_array(ctx, action, nr, n, cmp);
	if (r < 0 && r != -EACCES)	/* -EACCES: the default action already */
		return error_set(err, -r, "cannot add the seccomp rule for '%s'", name);
	return 0;
}

static int build_default(scmp_filter_ctx *out, struct herror *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx)
		return error_setx(err, ENOMEM, "cannot create a seccomp filter");
	for (unsigned i = 0; i < sizeof(denied_syscalls) / sizeof(denied_syscalls[0]); i++)
		if ((r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), denied_syscalls[i], 0, NULL, err)) < 0)
			goto fail;
	/* clone with a namespace flag: EPERM; clone3 hides its flags in
	 * memory, so ENOSYS makes the C library fall back to clone. */
	for (unsigned i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++) {
		struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]);

		if ((r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), "clone", 1, &c, err)) < 0)
			goto fail;
	}
	if ((r = add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, err)) < 0)
		goto fail;
	*out = ctx;
	return 0;
fail:
	seccomp_release(ctx);
	return r;
}

static const struct { const char *name; int kind; } oci_actions[] = {
	{ "SCMP_ACT_ALLOW", 0 }, { "SCMP_ACT_ERRNO", 1 }, { "SCMP_ACT_KILL", 2 },
	{ "SCMP_ACT_KILL_THREAD", 2 }, { "SCMP_ACT_KILL_PROCESS", 3 }, { "SCMP_ACT_TRAP", 4 },
	{ "SCMP_ACT_LOG", 5 }, { "SCMP_ACT_TRACE", 6 },
};

static const struct { const char *name; enum scmp_compare op; } oci_ops[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
	{ "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct { const char *name; uint32_t arch; } oci_archs[] = {
	{ "SCMP_ARCH_X86", SCMP_ARCH_X86 }, { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
	{ "SCMP_ARCH_X32", SCMP_ARCH_X32 }, { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
	{ "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
};

static int errno_ret(const cJSON *o, const char *key, int dflt, struct herror *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		return dflt;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 4095 ||
	    v->valuedouble != (double)(int)v->valuedouble)
		return error_setx(err, EINVAL, "bundle config: 'linux.seccomp' '%s' must be 0..4095", key);
	return (int)v->valuedouble;
}

/* An action name with its errno into libseccomp's action; -1 when unknown. */
static int oci_action(const cJSON *o, const char *key, const char *errkey, uint32_t *act,
		      struct herror *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	int e;

	if (!cJSON_IsString(v))
		return error_setx(err, EINVAL, "bundle config: 'linux.seccomp' '%s' must be a string", key);
	for (unsigned i = 0; i < sizeof(oci_actions) / sizeof(oci_actions[0]); i++) {
		if (strcmp(v->valuestring, oci_actions[i].name))
			continue;
		switch (oci_actions[i].kind) {
		case 0: *act = SCMP_ACT_ALLOW; break;
		case 1:
			if ((e = errno_ret(o, errkey, EPERM, err)) < 0)
				return e;
			*act = SCMP_ACT_ERRNO((uint32_t)e);
			break;
		case 2: *act = SCMP_ACT_KILL; break;
		case 3: *act = SCMP_ACT_KILL_PROCESS; break;
		case 4: *act = SCMP_ACT_TRAP; break;
		case 5: *act = SCMP_ACT_LOG; break;
		case 6:
			if ((e = errno_ret(o, errkey, EPERM, err)) < 0)
				return e;
			*act = SCMP_ACT_TRACE((uint32_t)e);
			break;
		}
		return 0;
	}
	return error_setx(err, ENOTSUP, "bundle config: seccomp action '%s' is not supported", v->valuestring);
}

/* A 64-bit argument value: JSON numbers are doubles, 2^64 is out. */
static int datum_ok(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 18446744073709551616.0;
}

static int oci_args(const cJSON *args, struct scmp_arg_cmp *cmp, unsigned *n, struct herror *err)
{
	const cJSON *a;

	*n = 0;
	if (!args)
		return 0;
	if (!cJSON_IsArray(args))
		return error_setx(err, EINVAL, "bundle config: seccomp 'args' must be an array");
	cJSON_ArrayForEach(a, args) {
		const cJSON *idx = cJSON_GetObjectItemCaseSensitive(a, "index");
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(a, "value");
		const cJSON *two = cJSON_GetObjectItemCaseSensitive(a, "valueTwo");
		const cJSON *op = cJSON_GetObjectItemCaseSensitive(a, "op");
		unsigned i;

		if (*n >= 6)
			return error_setx(err, E2BIG, "bundle config: a seccomp rule has more than 6 args");
		if (!cJSON_IsNumber(idx) || idx->valuedouble < 0 || idx->valuedouble > 5 ||
		    !datum_ok(val) || (two && !datum_ok(two)) || !cJSON_IsString(op))
			return error_setx(err, EINVAL, "bundle config: a seccomp arg needs index 0..5, value and op");
		for (i = 0; i < sizeof(oci_ops) / sizeof(oci_ops[0]); i++)
			if (!strcmp(op->valuestring, oci_ops[i].name))
				break;
		if (i == sizeof(oci_ops) / sizeof(oci_ops[0]))
			return error_setx(err, ENOTSUP, "bundle config: seccomp operator '%s' is not supported", op->valuestring);
		cmp[*n] = (struct scmp_arg_cmp){
			.arg = (unsigned)idx->valuedouble, .op = oci_ops[i].op,
			.datum_a = (scmp_datum_t)val->valuedouble,
			.datum_b = two ? (scmp_datum_t)two->valuedouble : 0,
		};
		(*n)++;
	}
	return 0;
}

static int build_oci(const cJSON *sc, scmp_filter_ctx *out, struct herror *err)
{
	const cJSON *archs, *rules, *rule, *it;
	scmp_filter_ctx ctx;
	uint32_t dflt;
	int r;

	if ((r = oci_action(sc, "defaultAction", "defaultErrnoRet", &dflt, err)) < 0)
		return r;
	if (!(ctx = seccomp_init(dflt)))
		return error_setx(err, ENOMEM, "cannot create a seccomp filter");
	if ((archs = cJSON_GetObjectItemCaseSensitive(sc, "architectures"))) {
		cJSON_ArrayForEach(it, archs) {
			for (unsigned i = 0; i < sizeof(oci_archs) / sizeof(oci_archs[0]); i++)
				if (cJSON_IsString(it) && !strcmp(it->valuestring, oci_archs[i].name) &&
				    (r = seccomp_arch_add(ctx, oci_archs[i].arch)) < 0 && r != -EEXIST) {
					/* Another machine's architecture: not for this kernel. */
					if (r == -EINVAL)
						continue;
					r = error_set(err, -r, "cannot add seccomp architecture '%s'", it->valuestring);
					goto fail;
				}
		}
	}
	rules = cJSON_GetObjectItemCaseSensitive(sc, "syscalls");
	cJSON_ArrayForEach(rule, rules) {
		struct scmp_arg_cmp cmp[6];
		const cJSON *names = cJSON_GetObjectItemCaseSensitive(rule, "names");
		uint32_t act;
		unsigned n;

		if ((r = oci_action(rule, "action", "errnoRet", &act, err)) < 0 ||
		    (r = oci_args(cJSON_GetObjectItemCaseSensitive(rule, "args"), cmp, &n, err)) < 0)
			goto fail;
		if (act == dflt)
			continue;
		cJSON_ArrayForEach(it, names)
			if (cJSON_IsString(it) && (r = add_rule(ctx, act, it->valuestring, n, cmp, err)) < 0)
				goto fail;
	}
	*out = ctx;
	return 0;
fail:
	seccomp_release(ctx);
	return r;
}

int secfilter_check_oci(const cJSON *sc, struct herror *err)
{
	const cJSON *v, *rule, *it;
	uint32_t act;
	int r;

	if (!cJSON_IsObject(sc))
		return error_setx(err, EINVAL, "bundle config: 'linux.seccomp' must be an object");
	if ((r = oci_action(sc, "defaultAction", "defaultErrnoRet", &act, err)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(sc, "architectures"))) {
		if (!cJSON_IsArray(v))
			return error_setx(err, EINVAL, "bundle config: 'linux.seccomp.architectures' must be an array");
		cJSON_ArrayForEach(it, v)
			if (!cJSON_IsString(it))
				return error_setx(err, EINVAL, "bundle config: seccomp architectures must be strings");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(sc, "flags")) && !cJSON_IsArray(v))
		return error_setx(err, EINVAL, "bundle config: 'linux.seccomp.flags' must be an array");
	if ((v = cJSON_GetObjectItemCaseSensitive(sc, "listenerPath")) && cJSON_IsString(v) && v->valuestring[0])
		return error_setx(err, ENOTSUP, "bundle config: seccomp notification listeners are not supported");
	if (!(v = cJSON_GetObjectItemCaseSensitive(sc, "syscalls")))
		return 0;
	if (!cJSON_IsArray(v))
		return error_setx(err, EINVAL, "bundle config: 'linux.seccomp.syscalls' must be an array");
	cJSON_ArrayForEach(rule, v) {
		struct scmp_arg_cmp cmp[6];
		const cJSON *names = cJSON_GetObjectItemCaseSensitive(rule, "names");
		unsigned n;

		if (!cJSON_IsObject(rule) || !cJSON_IsArray(names))
			return error_setx(err, EINVAL, "bundle config: each seccomp rule needs a 'names' array");
		cJSON_ArrayForEach(it, names)
			if (!cJSON_IsString(it))
				return error_setx(err, EINVAL, "bundle config: seccomp names must be strings");
		if ((r = oci_action(rule, "action", "errnoRet", &act, err)) < 0 ||
		    (r = oci_args(cJSON_GetObjectItemCaseSensitive(rule, "args"), cmp, &n, err)) < 0)
			return r;
	}
	return 0;
}

/* libseccomp 2.5 exports only to a descriptor: a memfd, read back. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *out, struct herror *err)
{
	cleanup_close int fd = memfd_create("seccomp", MFD_CLOEXEC);
	struct stat st;
	void *buf;
	int r;

	if (fd < 0)
		return error_set(err, errno, "cannot create a memfd for the seccomp filter");
	if ((r = seccomp_export_bpf(ctx, fd)) < 0)
		return error_set(err, -r, "cannot compile the seccomp filter");
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return error_setx(err, E2BIG, "the compiled seccomp filter has a bad size");
	if (!(buf = malloc((size_t)st.st_size)))
		return error_set(err, ENOMEM, "cannot allocate the seccomp filter");
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		return error_set(err, errno, "cannot read back the seccomp filter");
	}
	out->filter = buf;
	out->len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
	return 0;
}

static int compile(const cJSON *oci, struct sock_fprog *out, struct herror *err)
{
	scmp_filter_ctx ctx = NULL;
	int r = oci ? build_oci(oci, &ctx, err) : build_default(&ctx, err);

	if (r < 0)
		return r;
	/* The runtime sets no_new_privs itself, just before. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	r = export_bpf(ctx, out, err);
	seccomp_release(ctx);
	return r;
}

int secfilter_build(const struct container_spec *s, struct sock_fprog *out, struct herror *err)
{
	/* The default is compiled once per supervisor: starts stay fast. */
	static struct sock_fprog dflt;
	size_t size;
	int r;

	out->filter = NULL;
	out->len = 0;
	if (s->seccomp)
		return compile(s->seccomp, out, err);
	if (!dflt.filter && (r = compile(NULL, &dflt, err)) < 0)
		return r;
	size = (size_t)dflt.len * sizeof(struct sock_filter);
	if (!(out->filter = malloc(size)))
		return error_set(err, ENOMEM, "cannot allocate the seccomp filter");
	memcpy(out->filter, dflt.filter, size);
	out->len = dflt.len;
	return 0;
}

void secfilter_free(struct sock_fprog *f)
{
	free(f->filter);
	f->filter = NULL;
	f->len = 0;
}
