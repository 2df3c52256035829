#include "setup.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <limits.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/sched.h>

#include "hproc.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

/* Docker's and crun's default set without CAP_MKNOD (no device node can
 * be made): enough for package managers and servers, none of the
 * administration capabilities. */
static const int kept_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_NET_RAW,
	CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
	CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};
const char *const spawn_kept_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", NULL,
};

/* The child runs after a raw clone3 in a multi-threaded process: it must
 * not allocate or take locks, so it reports failures with write(2). */
static __attribute__((noreturn)) void child_fail(int sync, int errnum, const char *what,
						 const char *obj)
{
	char msg[1024];
	char eb[128];
	int n;

	n = snprintf(msg, sizeof(msg), "%s '%s': %s", what, obj ? obj : "",
		     error_strerror(errnum, eb, sizeof(eb)));
	if (n > 0)
		write_all(sync, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	_exit(127);
}

/* Everything inside the root is resolved by the kernel with the root as
 * "/" (openat2 RESOLVE_IN_ROOT): a symlink or ".." in the root filesystem
 * can never lead to a host path. Mounts then go onto the resolved fd
 * through /proc/self/fd, as runc does. */
static int root_fd = -1;

static int open_in_root(const char *path, int flags, mode_t mode)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC), .mode = mode,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	long fd;

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	do
		fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	while (fd < 0 && (errno == EAGAIN || errno == EINTR));
	return fd < 0 ? -errno : (int)fd;
}

/* The path of an fd for mount(2): "/proc/self/fd/N" of the host /proc. */
static const char *fd_path(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	return buf;
}

/* mkdir -p inside the root; returns an O_PATH fd of the directory. */
static int mkdirs_in_root(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	int fd, parent = -1;

	if ((fd = open_in_root(path, O_PATH | O_DIRECTORY, 0)) >= 0 || fd != -ENOENT)
		return fd;
	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (size_t i = 0; i <= len; i++) {
		const char *comp;

		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		if (i == 0 || buf[i - 1] == '/')
			continue;
		buf[i] = '\0';
		fd = open_in_root(buf, O_PATH | O_DIRECTORY, 0);
		if (fd == -ENOENT) {
			comp = strrchr(buf, '/');
			comp = comp ? comp + 1 : buf;
			if (mkdirat(parent >= 0 ? parent : root_fd, comp, mode) < 0 && errno != EEXIST) {
				fd = -errno;
			} else {
				fd = open_in_root(buf, O_PATH | O_DIRECTORY, 0);
			}
		}
		if (parent >= 0)
			close(parent);
		parent = fd;
		if (fd < 0)
			return fd;
		if (i < len)
			buf[i] = '/';
	}
	return parent;
}

/* A file inside the root (created when missing): a bind-mount target. */
static int mkfile_in_root(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if ((fd = open_in_root(path, O_RDONLY | O_CREAT | O_NOCTTY | O_NONBLOCK, 0644)) != -ENOENT)
		return fd;
	if (slash) {
		if ((size_t)(slash - path) >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		if ((fd = mkdirs_in_root(dir, 0755)) < 0)
			return fd;
		close(fd);
	}
	return open_in_root(path, O_RDONLY | O_CREAT | O_NOCTTY | O_NONBLOCK, 0644);
}

/* Remounts the mount on top of path (inside the root) read-only, keeping
 * the flags it has (a user namespace may not clear locked ones). */
static void remount_ro_in_root(int sync, const char *path, unsigned long extra)
{
	char fp[64];
	struct statvfs sv;
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | extra;
	int fd = open_in_root(path, O_PATH, 0);

	if (fd < 0)
		child_fail(sync, -fd, "cannot open", path);
	if (fstatvfs(fd, &sv) == 0) {
		if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
		if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
		if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
		if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
		if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
		if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
	}
	if (mount(NULL, fd_path(fp, sizeof(fp), fd), NULL, flags, NULL) < 0)
		child_fail(sync, errno, "cannot make read-only", path);
	close(fd);
}

/* Adds nodev to the mount on top of path (inside the root) and, with
 * recursive, to every mount below it: a device node in the root
 * filesystem or in a bundle's mount is then unusable, whatever its major
 * and minor. mount_setattr only adds the flag, so the locked flags of a
 * user namespace stay as they are. */
static void make_nodev_in_root(int sync, const char *path, int recursive)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NODEV };
	int fd = open_in_root(path, O_PATH, 0);

	if (fd < 0)
		child_fail(sync, -fd, "cannot open", path);
	if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0)
		child_fail(sync, errno, "cannot mount nodev (mount_setattr, Linux 5.12 or later)", path);
	close(fd);
}

/* crun's and runc's default masked and read-only paths (Docker's list). */
static const char *const masked_paths[] = {
	"proc/acpi", "proc/asound", "proc/kcore", "proc/keys", "proc/latency_stats",
	"proc/timer_list", "proc/timer_stats", "proc/sched_debug", "proc/scsi",
	"sys/firmware", "sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
	"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
};

static void mask_paths(int sync)
{
	char fp[64];

	for (unsigned i = 0; i < sizeof(masked_paths) / sizeof(masked_paths[0]); i++) {
		struct stat st;
		int fd = open_in_root(masked_paths[i], O_PATH, 0), r;

		if (fd == -ENOENT)
			continue;
		if (fd < 0 || fstat(fd, &st) < 0)
			child_fail(sync, fd < 0 ? -fd : errno, "cannot open masked path", masked_paths[i]);
		if (S_ISDIR(st.st_mode))
			r = mount("tmpfs", fd_path(fp, sizeof(fp), fd), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=555");
		else
			r = mount("/dev/null", fd_path(fp, sizeof(fp), fd), NULL, MS_BIND, NULL);
		if (r < 0)
			child_fail(sync, errno, "cannot mask", masked_paths[i]);
		close(fd);
	}
	for (unsigned i = 0; i < sizeof(readonly_paths) / sizeof(readonly_paths[0]); i++) {
		int fd = open_in_root(readonly_paths[i], O_PATH, 0);

		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			child_fail(sync, -fd, "cannot open read-only path", readonly_paths[i]);
		if (mount(fd_path(fp, sizeof(fp), fd), fp, NULL, MS_BIND | MS_REC, NULL) < 0)
			child_fail(sync, errno, "cannot bind-mount", readonly_paths[i]);
		close(fd);
		remount_ro_in_root(sync, readonly_paths[i], MS_NOSUID | MS_NODEV | MS_NOEXEC);
	}
}

/* A nodev tmpfs /dev: the standard nodes are read-only bind mounts of the
 * host's own (usable, but not changeable), so no device node is ever made
 * and none other can be (no CAP_MKNOD, nodev, the cgroup device filter). */
static void setup_dev(int sync)
{
	static const char *const devs[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const struct { const char *target, *link; } links[] = {
		{ "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
	};
	char fp[64], src[32], rel[32];
	int dfd, fd;

	if ((dfd = mkdirs_in_root("dev", 0755)) < 0)
		child_fail(sync, -dfd, "cannot create", "/dev");
	if (mount("tmpfs", fd_path(fp, sizeof(fp), dfd), "tmpfs",
		  MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_STRICTATIME, "mode=755,size=65536k") < 0)
		child_fail(sync, errno, "cannot mount tmpfs on", "/dev");
	close(dfd);
	if ((dfd = open_in_root("dev", O_PATH | O_DIRECTORY, 0)) < 0)
		child_fail(sync, -dfd, "cannot open", "/dev");
	for (unsigned i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		snprintf(src, sizeof(src), "/dev/%s", devs[i]);
		snprintf(rel, sizeof(rel), "dev/%s", devs[i]);
		fd = openat(dfd, devs[i], O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC, 0666);
		if (fd < 0)
			child_fail(sync, errno, "cannot create", src);
		if (mount(src, fd_path(fp, sizeof(fp), fd), NULL, MS_BIND, NULL) < 0)
			child_fail(sync, errno, "cannot bind-mount", src);
		close(fd);
		remount_ro_in_root(sync, rel, MS_NOSUID | MS_NOEXEC);
	}
	for (unsigned i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i].target, dfd, links[i].link) < 0)
			child_fail(sync, errno, "cannot create symlink", links[i].link);
	if (mkdirat(dfd, "pts", 0755) < 0 || mkdirat(dfd, "shm", 01777) < 0 || mkdirat(dfd, "mqueue", 0755) < 0)
		child_fail(sync, errno, "cannot create", "/dev/pts");
	if ((fd = openat(dfd, "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    mount("devpts", fd_path(fp, sizeof(fp), fd), "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620") < 0)
		child_fail(sync, errno, "cannot mount devpts on", "/dev/pts");
	close(fd);
	if ((fd = openat(dfd, "shm", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    mount("shm", fd_path(fp, sizeof(fp), fd), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0)
		child_fail(sync, errno, "cannot mount tmpfs on", "/dev/shm");
	close(fd);
	if ((fd = openat(dfd, "mqueue", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    mount("mqueue", fd_path(fp, sizeof(fp), fd), "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		child_fail(sync, errno, "cannot mount mqueue on", "/dev/mqueue");
	close(fd);
	close(dfd);
}

/* Relative paths only: a destination with ".." is refused outright (the
 * in-root resolution would keep it inside, but it is never meant). */
static int dest_is_safe(const char *d)
{
	const char *p = d;

	while (*p == '/')
		p++;
	if (!*p)
		return 0;
	for (; *p; ) {
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return 0;
		while (*p && *p != '/')
			p++;
		while (*p == '/')
			p++;
	}
	return 1;
}

static void setup_extra_mounts(int sync, const struct container_spec *s)
{
	char fp[64];

	for (int i = 0; i < s->nmounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		const char *dst = m->destination;
		unsigned long flags = m->flags;
		struct stat st;
		int fd;

		if (!dest_is_safe(dst))
			child_fail(sync, EINVAL, "unsafe mount destination", dst);
		while (*dst == '/')
			dst++;
		/* The standard /proc, /dev, /dev/pts, /dev/shm are already set up. */
		if (!strcmp(dst, "proc") || !strcmp(dst, "dev") || !strcmp(dst, "dev/pts") ||
		    !strcmp(dst, "dev/shm") || !strcmp(dst, "dev/mqueue") || !strcmp(dst, "sys"))
			continue;
		/* A bind mount of a file needs a file to land on. */
		if ((flags & MS_BIND) && stat(m->source, &st) == 0 && !S_ISDIR(st.st_mode))
			fd = mkfile_in_root(dst);
		else
			fd = mkdirs_in_root(dst, 0755);
		if (fd < 0)
			child_fail(sync, -fd, "cannot create mount point", m->destination);
		/* "cgroup" in a bundle means the container's own hierarchy: with a
		 * cgroup namespace that is cgroup2 rooted at its own group. */
		const char *type = !strcmp(m->type, "cgroup") ? "cgroup2" : m->type;

		if (mount(m->source[0] ? m->source : type, fd_path(fp, sizeof(fp), fd), type[0] ? type : NULL,
			  flags & ~(unsigned long)MS_RDONLY, m->data[0] ? m->data : NULL) < 0)
			child_fail(sync, errno, "cannot mount", m->destination);
		close(fd);
		/* Every mount of the bundle is nodev, its "dev" option too: a
		 * bind mount brings the host's device nodes, a devtmpfs all of
		 * them. devpts alone keeps its pty nodes (the filter allows 136:*). */
		if (strcmp(type, "devpts"))
			make_nodev_in_root(sync, dst, 1);
		if ((flags & MS_BIND) && (flags & MS_RDONLY))
			remount_ro_in_root(sync, dst, flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC));
	}
}

static void set_if_flags(int sync, int sk, const char *ifname, short flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(sk, SIOCGIFFLAGS, &ifr) < 0)
		child_fail(sync, errno, "cannot read flags of interface", ifname);
	ifr.ifr_flags |= flags;
	if (ioctl(sk, SIOCSIFFLAGS, &ifr) < 0)
		child_fail(sync, errno, "cannot bring up interface", ifname);
}

static void setup_network(int sync, const struct spawn_params *p)
{
	int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	struct rtentry rt;

	if (sk < 0)
		child_fail(sync, errno, "cannot open socket for", "lo");
	set_if_flags(sync, sk, "lo", IFF_UP);
	if (p->net_addr) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = p->net_addr;
		if (ioctl(sk, SIOCSIFADDR, &ifr) < 0)
			child_fail(sync, errno, "cannot set the address of", "eth0");
		sin->sin_addr.s_addr = htonl(p->net_prefix ? ~0u << (32 - p->net_prefix) : 0);
		if (ioctl(sk, SIOCSIFNETMASK, &ifr) < 0)
			child_fail(sync, errno, "cannot set the netmask of", "eth0");
		set_if_flags(sync, sk, "eth0", IFF_UP);
		memset(&rt, 0, sizeof(rt));
		((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
		((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
		((struct sockaddr_in *)&rt.rt_gateway)->sin_family = AF_INET;
		((struct sockaddr_in *)&rt.rt_gateway)->sin_addr.s_addr = p->net_gateway;
		rt.rt_flags = RTF_UP | RTF_GATEWAY;
		if (ioctl(sk, SIOCADDRT, &rt) < 0)
			child_fail(sync, errno, "cannot add the default route via", "eth0");
	}
	close(sk);
}

static int no_pivot;

/* Is / the initramfs (rootfs, ramfs or tmpfs with no parent mount)? */
static int root_is_initramfs(void)
{
	struct statfs sf;

	return statfs("/", &sf) == 0 && (sf.f_type == RAMFS_MAGIC || sf.f_type == TMPFS_MAGIC);
}

/* The bundle's sets when it gives them, else the default set in all but
 * the ambient one. */
static void drop_capabilities(int sync, const struct spawn_params *p)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	unsigned long long keep = 0, eff, perm, inh, amb = 0;

	for (unsigned i = 0; i < sizeof(kept_caps) / sizeof(kept_caps[0]); i++)
		keep |= 1ull << kept_caps[i];
	eff = perm = inh = keep;
	if (p->spec->has_caps) {
		keep = p->spec->caps[CAPSET_BOUNDING];
		eff = p->spec->caps[CAPSET_EFFECTIVE];
		perm = p->spec->caps[CAPSET_PERMITTED];
		inh = p->spec->caps[CAPSET_INHERITABLE];
		amb = p->spec->caps[CAPSET_AMBIENT];
	}
	if (no_pivot) {
		unsigned long long chroot_bit = 1ull << CAP_SYS_CHROOT;
		keep &= ~chroot_bit, eff &= ~chroot_bit, perm &= ~chroot_bit;
		inh &= ~chroot_bit, amb &= ~chroot_bit;
	}
	for (int cap = 0; cap < 64; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;	/* past the kernel's last capability */
			child_fail(sync, errno, "cannot drop capability from the bounding set", "");
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		child_fail(sync, errno, "cannot clear ambient capabilities", "");
	memset(data, 0, sizeof(data));
	data[0].effective = (__u32)eff;
	data[1].effective = (__u32)(eff >> 32);
	data[0].permitted = (__u32)perm;
	data[1].permitted = (__u32)(perm >> 32);
	data[0].inheritable = (__u32)inh;
	data[1].inheritable = (__u32)(inh >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		child_fail(sync, errno, "cannot set capabilities", "");
	/* An ambient capability needs to be permitted and inheritable too;
	 * as runc does, one that is not is left out (crun's own default spec
	 * lists ambient ones without the inheritable set). */
	for (int cap = 0; cap < 64; cap++)
		if ((amb & (1ull << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 &&
		    errno != EPERM)
			child_fail(sync, errno, "cannot raise an ambient capability", "");
}

/* In a user namespace: become its root (host uid USERNS_HOST_ID), after
 * the set-up that needed the runtime's own credentials to reach the root. */
static void become_userns_root(int sync)
{
	if (syscall(SYS_setgroups, 0, NULL) < 0)
		child_fail(sync, errno, "cannot clear supplementary groups", "");
	if (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0)
		child_fail(sync, errno, "cannot become root of the user namespace", "");
}

static __attribute__((noreturn)) void child_main(const struct spawn_params *p, int sync)
{
	const struct container_spec *s = p->spec;
	char go, fp[64], src[64];
	int devnull, fd, hosts_fd = -1;

	/* Until exec nothing inside may open /proc/1/exe (the runtime). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* The supervisor blocks signals for its signalfd and ignores SIGPIPE;
	 * both would survive exec and break the container's own handling. */
	signals_reset_for_exec();
	if (read(sync, &go, 1) != 1)
		_exit(127);
	if (setsid() < 0)
		child_fail(sync, errno, "cannot create a session for", s->name);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(p->stdout_fd, 1) < 0 || dup2(p->stderr_fd, 2) < 0)
		child_fail(sync, errno, "cannot set up standard streams of", s->name);

	if (sethostname(s->hostname[0] ? s->hostname : s->name,
			strlen(s->hostname[0] ? s->hostname : s->name)) < 0)
		child_fail(sync, errno, "cannot set hostname", s->hostname);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail(sync, errno, "cannot make mount propagation private under", "/");
	if (mount(p->rootfs_dir, p->rootfs_dir, NULL, MS_BIND | MS_REC, NULL) < 0)
		child_fail(sync, errno, "cannot bind-mount root filesystem", p->rootfs_dir);
	if ((root_fd = open(p->rootfs_dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 || fchdir(root_fd) < 0)
		child_fail(sync, errno, "cannot enter root filesystem", p->rootfs_dir);
	/* The root and whatever is mounted below it: nodev. /dev, /proc and
	 * the rest are mounted afterwards, each with its own flags. */
	make_nodev_in_root(sync, "/", 1);
	/* Opened in this mount namespace, so that it can be bind-mounted. */
	if (p->hosts_file && (hosts_fd = open(p->hosts_file, O_PATH | O_CLOEXEC)) < 0)
		child_fail(sync, errno, "cannot open", p->hosts_file);
	/* From here on every path is reached from root_fd or the fds above:
	 * in a user namespace the rest runs as its root, so that what it
	 * creates on its own mounts has a mapped owner. */
	if (p->userns)
		become_userns_root(sync);
	if ((fd = mkdirs_in_root("proc", 0555)) < 0)
		child_fail(sync, -fd, "cannot create", "/proc");
	if (mount("proc", fd_path(fp, sizeof(fp), fd), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		child_fail(sync, errno, "cannot mount proc on", "/proc");
	close(fd);
	setup_dev(sync);
	if ((fd = open_in_root("sys", O_PATH | O_DIRECTORY, 0)) >= 0) {
		if (mount("sysfs", fd_path(fp, sizeof(fp), fd), "sysfs",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) < 0)
			child_fail(sync, errno, "cannot mount sysfs on", "/sys");
		close(fd);
	}
	setup_extra_mounts(sync, s);
	/* After the bundle's mounts, so that none of them can cover a mask. */
	mask_paths(sync);
	if (hosts_fd >= 0) {
		if ((fd = mkfile_in_root("etc/hosts")) < 0)
			child_fail(sync, -fd, "cannot create", "/etc/hosts");
		if (mount(fd_path(src, sizeof(src), hosts_fd), fd_path(fp, sizeof(fp), fd), NULL, MS_BIND, NULL) < 0)
			child_fail(sync, errno, "cannot bind-mount", "/etc/hosts");
		close(fd);
		close(hosts_fd);
	}
	/* The cwd is the root's top mount: pivot to it. */
	close(root_fd);
	root_fd = -1;
	/* pivot_root(".", "."): the old root ends up stacked under the new one
	 * and is detached at once, with no directory left to find it by. */
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		if (umount2(".", MNT_DETACH) < 0)
			child_fail(sync, errno, "cannot detach the old root", "/");
	} else if (errno == EINVAL && root_is_initramfs()) {
		/* The initramfs root cannot be pivoted away from (a guest booted
		 * from an initramfs only): move the root over / and chroot, like
		 * runc's no-pivot mode, and drop CAP_SYS_CHROOT so that the
		 * container cannot chroot its way back out. */
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			child_fail(sync, errno, "cannot move the root filesystem onto", "/");
		if (chroot(".") < 0)
			child_fail(sync, errno, "cannot chroot into", p->rootfs_dir);
		no_pivot = 1;
	} else {
		child_fail(sync, errno, "cannot pivot_root into", p->rootfs_dir);
	}
	if (chdir("/") < 0)
		child_fail(sync, errno, "cannot enter", "/");
	/* mount_setattr, not a remount: a remount would drop nodev. */
	if (s->readonly_rootfs &&
	    mount_setattr(AT_FDCWD, "/", 0, &(struct mount_attr){ .attr_set = MOUNT_ATTR_RDONLY },
			  sizeof(struct mount_attr)) < 0)
		child_fail(sync, errno, "cannot make the root read-only", "/");
	setup_network(sync, p);
	if (chdir(s->cwd) < 0)
		child_fail(sync, errno, "cannot change to working directory", s->cwd);
	if (s->has_nice && setpriority(PRIO_PROCESS, 0, s->nice) < 0)
		child_fail(sync, errno, "cannot set the nice value of", s->name);

	/* Every inherited descriptor but 0-2 and the sync socket goes at exec. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int i = 3; i < 65536; i++)
			if (i != sync)
				fcntl(i, F_SETFD, FD_CLOEXEC);
	}
	drop_capabilities(sync, p);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(sync, errno, "cannot set no_new_privs for", s->name);
	/* Last: from here on only execve runs under the runtime's control. */
	if (p->seccomp && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, p->seccomp, 0, 0) < 0)
		child_fail(sync, errno, "cannot install the seccomp filter of", s->name);
	environ = (char **)s->env;
	execvpe(s->argv[0], (char *const *)s->argv, (char *const *)s->env);
	child_fail(sync, errno, "cannot execute", s->argv[0]);
}

int container_clone(const struct spawn_params *p, pid_t *pid, int *sync_fd, struct herror *err)
{
	struct clone_args ca;
	int sp[2];
	long r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return error_set(err, errno, "cannot create the sync socket for '%s'", p->spec->name);
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
		   CLONE_NEWCGROUP;
	if (p->userns)
		ca.flags |= CLONE_NEWUSER;
	ca.exit_signal = SIGCHLD;
	if (p->cgroup_fd >= 0) {
		/* Born inside its cgroup: limits hold from the first instruction. */
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (__u64)p->cgroup_fd;
	}
	r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r < 0) {
		int e = errno;
		close(sp[0]);
		close(sp[1]);
		return error_set(err, e, "cannot create the namespaces of container '%s'", p->spec->name);
	}
	if (r == 0) {
		close(sp[0]);
		child_main(p, sp[1]);
	}
	close(sp[1]);
	*pid = (pid_t)r;
	*sync_fd = sp[0];
	return 0;
}

int container_map_ids(pid_t pid, struct herror *err)
{
	static const char *const files[] = { "uid_map", "gid_map" };
	char path[64], map[64];
	int n = snprintf(map, sizeof(map), "0 %u %u\n", USERNS_HOST_ID, USERNS_SIZE);

	for (unsigned i = 0; i < 2; i++) {
		cleanup_close int fd = -1;

		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
		if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 || write(fd, map, (size_t)n) != n)
			return error_set(err, errno, "cannot write '%s'", path);
	}
	return 0;
}

int container_release(pid_t pid, int sync_fd, struct herror *err)
{
	char msg[1024];
	ssize_t n;

	if (write(sync_fd, "g", 1) != 1) {
		int e = errno;
		close(sync_fd);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return error_set(err, e, "cannot release container init %d", (int)pid);
	}
	do
		n = read(sync_fd, msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR);
	close(sync_fd);
	if (n == 0)
		return 0;	/* closed on exec */
	waitpid(pid, NULL, 0);
	if (n < 0)
		return error_set(err, errno, "cannot read the set-up result of container init %d", (int)pid);
	msg[n] = '\0';
	return error_setx(err, EIO, "container set-up failed: %s", msg);
}
