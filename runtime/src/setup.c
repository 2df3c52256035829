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
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/sched.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

/* Docker's and crun's default set: enough for package managers and
 * servers, none of the administration capabilities. */
static const int kept_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW,
	CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
	CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};
const char *const spawn_kept_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
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
		     rt_strerror(errnum, eb, sizeof(eb)));
	if (n > 0)
		write_all(sync, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	_exit(127);
}

static int mkdir_in(const char *p, mode_t mode)
{
	return mkdir(p, mode) < 0 && errno != EEXIST ? -errno : 0;
}

static void setup_dev(int sync)
{
	static const struct { const char *name; unsigned maj, min; } devs[] = {
		{ "dev/null", 1, 3 }, { "dev/zero", 1, 5 }, { "dev/full", 1, 7 },
		{ "dev/random", 1, 8 }, { "dev/urandom", 1, 9 }, { "dev/tty", 5, 0 },
	};
	static const struct { const char *target, *link; } links[] = {
		{ "/proc/self/fd", "dev/fd" }, { "/proc/self/fd/0", "dev/stdin" },
		{ "/proc/self/fd/1", "dev/stdout" }, { "/proc/self/fd/2", "dev/stderr" },
		{ "pts/ptmx", "dev/ptmx" },
	};

	if (mkdir_in("dev", 0755) < 0)
		child_fail(sync, errno, "cannot create", "/dev");
	if (mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
		child_fail(sync, errno, "cannot mount tmpfs on", "/dev");
	for (unsigned i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		if (mknod(devs[i].name, S_IFCHR | 0666, makedev(devs[i].maj, devs[i].min)) < 0)
			child_fail(sync, errno, "cannot create device", devs[i].name);
		chmod(devs[i].name, 0666);	/* umask must not narrow it */
	}
	for (unsigned i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlink(links[i].target, links[i].link) < 0)
			child_fail(sync, errno, "cannot create symlink", links[i].link);
	if (mkdir_in("dev/pts", 0755) < 0 || mkdir_in("dev/shm", 01777) < 0 || mkdir_in("dev/mqueue", 0755) < 0)
		child_fail(sync, errno, "cannot create", "/dev/pts");
	if (mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620") < 0)
		child_fail(sync, errno, "cannot mount devpts on", "/dev/pts");
	if (mount("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0)
		child_fail(sync, errno, "cannot mount tmpfs on", "/dev/shm");
	if (mount("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		child_fail(sync, errno, "cannot mount mqueue on", "/dev/mqueue");
}

/* Relative paths only: a destination with ".." could leave the root. */
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
	for (int i = 0; i < s->nmounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		const char *dst = m->destination;
		unsigned long flags = m->flags;

		if (!dest_is_safe(dst))
			child_fail(sync, EINVAL, "unsafe mount destination", dst);
		while (*dst == '/')
			dst++;
		/* The standard /proc, /dev, /dev/pts, /dev/shm are already set up. */
		if (!strcmp(dst, "proc") || !strcmp(dst, "dev") || !strcmp(dst, "dev/pts") ||
		    !strcmp(dst, "dev/shm") || !strcmp(dst, "dev/mqueue") || !strcmp(dst, "sys"))
			continue;
		if (mkdir_in(dst, 0755) < 0) {
			/* A bind mount of a file needs a file to land on. */
			int fd = open(dst, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
			if (fd < 0)
				child_fail(sync, errno, "cannot create mount point", dst);
			close(fd);
		}
		/* "cgroup" in a bundle means the container's own hierarchy: with a
		 * cgroup namespace that is cgroup2 rooted at its own group. */
		const char *type = !strcmp(m->type, "cgroup") ? "cgroup2" : m->type;

		if (mount(m->source[0] ? m->source : type, dst, type[0] ? type : NULL,
			  flags & ~(unsigned long)MS_RDONLY, m->data[0] ? m->data : NULL) < 0)
			child_fail(sync, errno, "cannot mount", m->destination);
		if ((flags & MS_BIND) && (flags & MS_RDONLY) &&
		    mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | (flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)), NULL) < 0)
			child_fail(sync, errno, "cannot make read-only", m->destination);
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

static void drop_capabilities(int sync)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	unsigned long long keep = 0;

	for (unsigned i = 0; i < sizeof(kept_caps) / sizeof(kept_caps[0]); i++)
		keep |= 1ull << kept_caps[i];
	if (no_pivot)
		keep &= ~(1ull << CAP_SYS_CHROOT);
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
	data[0].effective = data[0].permitted = data[0].inheritable = (__u32)keep;
	data[1].effective = data[1].permitted = data[1].inheritable = (__u32)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		child_fail(sync, errno, "cannot set capabilities", "");
}

static __attribute__((noreturn)) void child_main(const struct spawn_params *p, int sync)
{
	const struct container_spec *s = p->spec;
	char go;
	int devnull;

	sigset_t none;

	/* Until exec nothing inside may open /proc/1/exe (the runtime). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* The supervisor blocks signals for its signalfd and ignores SIGPIPE;
	 * both would survive exec and break the container's own handling. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
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
	if (chdir(p->rootfs_dir) < 0)
		child_fail(sync, errno, "cannot enter root filesystem", p->rootfs_dir);
	if (mkdir_in("proc", 0555) < 0)
		child_fail(sync, errno, "cannot create", "/proc");
	if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		child_fail(sync, errno, "cannot mount proc on", "/proc");
	setup_dev(sync);
	if (access("sys", F_OK) == 0 &&
	    mount("sysfs", "sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) < 0)
		child_fail(sync, errno, "cannot mount sysfs on", "/sys");
	setup_extra_mounts(sync, s);
	if (p->hosts_file) {
		int fd;

		mkdir_in("etc", 0755);
		fd = open("etc/hosts", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		if (mount(p->hosts_file, "etc/hosts", NULL, MS_BIND, NULL) < 0)
			child_fail(sync, errno, "cannot bind-mount", "/etc/hosts");
	}
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
	if (s->readonly_rootfs &&
	    mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		child_fail(sync, errno, "cannot make the root read-only", "/");
	setup_network(sync, p);
	if (chdir(s->cwd) < 0)
		child_fail(sync, errno, "cannot change to working directory", s->cwd);
	if (s->has_nice && setpriority(PRIO_PROCESS, 0, s->nice) < 0)
		child_fail(sync, errno, "cannot set the nice value of", s->name);

	/* Every inherited descriptor but 0-2 and the sync socket goes at exec. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = 3; fd < 65536; fd++)
			if (fd != sync)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	drop_capabilities(sync);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(sync, errno, "cannot set no_new_privs for", s->name);
	environ = (char **)s->env;
	execvpe(s->argv[0], (char *const *)s->argv, (char *const *)s->env);
	child_fail(sync, errno, "cannot execute", s->argv[0]);
}

int container_clone(const struct spawn_params *p, pid_t *pid, int *sync_fd, struct rt_err *err)
{
	struct clone_args ca;
	int sp[2];
	long r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return rt_fail(err, errno, "cannot create the sync socket for '%s'", p->spec->name);
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
		   CLONE_NEWCGROUP;
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
		return rt_fail(err, e, "cannot create the namespaces of container '%s'", p->spec->name);
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

int container_release(pid_t pid, int sync_fd, struct rt_err *err)
{
	char msg[1024];
	ssize_t n;

	if (write(sync_fd, "g", 1) != 1) {
		int e = errno;
		close(sync_fd);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return rt_fail(err, e, "cannot release container init %d", (int)pid);
	}
	do
		n = read(sync_fd, msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR);
	close(sync_fd);
	if (n == 0)
		return 0;	/* closed on exec */
	waitpid(pid, NULL, 0);
	if (n < 0)
		return rt_fail(err, errno, "cannot read the set-up result of container init %d", (int)pid);
	msg[n] = '\0';
	return rt_failx(err, EIO, "container set-up failed: %s", msg);
}
