// SPDX-License-Identifier: GPL-2.0
/*
 * memwatch_test: the in-guest test of the memwatch module, printing TAP.
 *
 *   memwatch-test            run every test against /dev/memwatch
 *   memwatch-test leave N    register N sleeping processes (and two that
 *                            keep allocating), print their PIDs and exit
 *                            with them still registered, so that the
 *                            caller can unload the module under load
 *
 * Statically linked and run as root inside a guest booted by
 * kmod/tests/guest-run; the waits below are bounded fail-safes, never
 * assertions on speed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hclock.h"
#include "memwatch.h"

#define MIB (1024ULL * 1024)
#define WAIT_MS 60000		/* fail-safe for anything the sampler must do */

static int tap_count;
static int tap_failed;

static void tap(bool pass, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* The ioctl's result as 0 or a negative errno value. */
static int mw_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static struct memwatch_register reg_req(pid_t pid, uint64_t soft, uint64_t hard)
{
	struct memwatch_register req = {
		.size = sizeof(req),
		.pid = pid,
		.soft_limit = soft,
		.hard_limit = hard,
	};
	return req;
}

static int mw_register(int fd, pid_t pid, uint64_t soft, uint64_t hard)
{
	struct memwatch_register req = reg_req(pid, soft, hard);

	return mw_ioctl(fd, MEMWATCH_IOC_REGISTER, &req);
}

static int mw_unregister(int fd, pid_t pid)
{
	struct memwatch_unregister req = { .size = sizeof(req), .pid = pid };

	return mw_ioctl(fd, MEMWATCH_IOC_UNREGISTER, &req);
}

static int mw_query(int fd, pid_t pid, struct memwatch_entry *entry)
{
	struct memwatch_query req = { .size = sizeof(req), .pid = pid };
	int ret = mw_ioctl(fd, MEMWATCH_IOC_QUERY, &req);

	if (!ret && entry)
		*entry = req.entry;
	return ret;
}

/* Number of registered entries visible to us, or a negative errno. */
static long mw_total(int fd)
{
	struct memwatch_list req = {
		.size = sizeof(req),
		.entry_size = sizeof(struct memwatch_entry),
	};
	int ret = mw_ioctl(fd, MEMWATCH_IOC_LIST, &req);

	return ret ? ret : (long)req.total;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Wait for the next event of @type about @pid on @fd (other events are
 * skipped, LOST ones counted into *lost when given). 0, or -ETIMEDOUT.
 */
static int wait_event(int fd, pid_t pid, uint32_t type, struct memwatch_event *out,
		      unsigned int *lost)
{
	uint64_t deadline = mono_ns() + WAIT_MS * 1000000ull;
	struct memwatch_event ev;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (mono_ns() < deadline) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if (read(fd, &ev, sizeof(ev)) != sizeof(ev))
			continue;
		if (ev.type == MEMWATCH_EVENT_LOST && lost)
			*lost += ev.lost;
		if (ev.type == type && (pid < 0 || ev.pid == pid)) {
			if (out)
				*out = ev;
			return 0;
		}
	}
	return -ETIMEDOUT;
}

static int open_dev(void)
{
	return open(MEMWATCH_DEVICE, O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

/*
 * Set in "leave" mode: children must hold neither the caller's stdout nor
 * the device open (an open file pins the module).
 */
static bool children_detach;
static int children_close_fd = -1;

static pid_t fork_child(void)
{
	pid_t pid = fork();
	int null;

	if (pid == 0 && children_detach) {
		null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, STDOUT_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0)
			_exit(7);
		close(null);
		close(children_close_fd);
	}
	return pid;
}

/* A child that sleeps until killed. */
static pid_t spawn_sleeper(void)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void touch_alloc(size_t bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(3);
	for (size_t i = 0; i < bytes; i += 4096)
		p[i] = 1;
}

/*
 * A child that waits for a byte on a pipe, then allocates @step_mib MiB at a
 * time up to @max_mib (touching every page), writes a byte back, and sleeps.
 */
struct hog {
	pid_t pid;
	int go;		/* write end: start allocating */
	int done;	/* read end: allocation finished */
};

static void hog_allocate(unsigned int step_mib, unsigned int max_mib, int done)
{
	for (unsigned int mib = 0; mib < max_mib; mib += step_mib)
		touch_alloc(step_mib * MIB);
	if (write(done, "d", 1) < 0)
		_exit(4);
}

static struct hog spawn_hog(unsigned int step_mib, unsigned int max_mib)
{
	struct hog hog = { .pid = -1 };
	int go[2], done[2];
	char c;

	if (pipe2(go, O_CLOEXEC) || pipe2(done, O_CLOEXEC))
		return hog;
	hog.pid = fork();
	if (hog.pid == 0) {
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		hog_allocate(step_mib, max_mib, done[1]);
		for (;;)
			pause();
	}
	close(go[0]);
	close(done[1]);
	hog.go = go[1];
	hog.done = done[0];
	return hog;
}

static void hog_start(struct hog *hog)
{
	if (write(hog->go, "g", 1) < 0)
		diag("cannot start hog %d: %s", hog->pid, strerror(errno));
}

/* Wait (bounded) for the hog to report its allocation; false on timeout. */
static bool hog_wait_done(struct hog *hog)
{
	struct pollfd pfd = { .fd = hog->done, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, WAIT_MS) <= 0)
		return false;
	return read(hog->done, &c, 1) == 1;
}

static void hog_close(struct hog *hog)
{
	close(hog->go);
	close(hog->done);
}

static void kill_and_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_bad_input(int fd)
{
	struct memwatch_register req;
	uint64_t raw[16] __attribute__((aligned(8))) = { 0 };
	struct memwatch_list list;
	struct memwatch_query query;
	struct memwatch_unregister unreg;
	pid_t sleeper, dead, zombie;
	int ret;

	sleeper = spawn_sleeper();

	tap(mw_ioctl(fd, _IO(MEMWATCH_IOC_MAGIC, 99), NULL) == -ENOTTY,
	    "unknown command is refused with ENOTTY");
	tap(mw_ioctl(fd, _IOW(MEMWATCH_IOC_MAGIC, 1, uint64_t[9]), raw) == -ENOTTY,
	    "register command encoding another struct size is refused with ENOTTY");

	req = reg_req(sleeper, MIB, 2 * MIB);
	memcpy((char *)raw + 1, &req, sizeof(req));
	tap(mw_ioctl(fd, MEMWATCH_IOC_REGISTER, (char *)raw + 1) == -EINVAL,
	    "unaligned argument is refused with EINVAL");
	tap(mw_ioctl(fd, MEMWATCH_IOC_REGISTER, NULL) == -EFAULT,
	    "NULL argument is refused with EFAULT");

	req = reg_req(sleeper, MIB, 2 * MIB);
	req.size -= 8;
	tap(mw_ioctl(fd, MEMWATCH_IOC_REGISTER, &req) == -EINVAL,
	    "short size field is refused with EINVAL");
	req = reg_req(sleeper, MIB, 2 * MIB);
	req.size += 8;
	tap(mw_ioctl(fd, MEMWATCH_IOC_REGISTER, &req) == -EINVAL,
	    "oversized size field is refused with EINVAL");
	req = reg_req(sleeper, MIB, 2 * MIB);
	req.flags = 1U << 7;
	tap(mw_ioctl(fd, MEMWATCH_IOC_REGISTER, &req) == -EINVAL,
	    "unknown flag is refused with EINVAL");
	req = reg_req(sleeper, MIB, 2 * MIB);
	req.pad = 1;
	tap(mw_ioctl(fd, MEMWATCH_IOC_REGISTER, &req) == -EINVAL,
	    "nonzero padding is refused with EINVAL");
	req = reg_req(sleeper, MIB, 2 * MIB);
	req.reserved[1] = 1;
	tap(mw_ioctl(fd, MEMWATCH_IOC_REGISTER, &req) == -EINVAL,
	    "nonzero reserved field is refused with EINVAL");

	tap(mw_register(fd, sleeper, 4 * MIB, 2 * MIB) == -EINVAL,
	    "soft limit above hard limit is refused with EINVAL");
	tap(mw_register(fd, sleeper, 0, 2 * MIB) == -EINVAL,
	    "zero soft limit is refused with EINVAL");
	tap(mw_register(fd, sleeper, 0, 0) == -EINVAL,
	    "zero limits are refused with EINVAL");
	tap(mw_register(fd, sleeper, 100, 200) == -EINVAL,
	    "limits below one page are refused with EINVAL");
	tap(mw_register(fd, sleeper, MIB, MEMWATCH_LIMIT_MAX + 1) == -EINVAL,
	    "hard limit above MEMWATCH_LIMIT_MAX is refused with EINVAL");
	tap(mw_register(fd, sleeper, UINT64_MAX, UINT64_MAX) == -EINVAL,
	    "limits of UINT64_MAX are refused with EINVAL");

	tap(mw_register(fd, 0, MIB, 2 * MIB) == -EINVAL, "pid 0 is refused with EINVAL");
	tap(mw_register(fd, -1, MIB, 2 * MIB) == -EINVAL, "pid -1 is refused with EINVAL");
	tap(mw_register(fd, INT_MAX, MIB, 2 * MIB) == -ESRCH,
	    "pid that does not exist is refused with ESRCH");
	dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	tap(mw_register(fd, dead, MIB, 2 * MIB) == -ESRCH,
	    "pid of a reaped process is refused with ESRCH");
	zombie = fork();
	if (zombie == 0)
		_exit(0);
	sleep_ms(200);		/* let it become a zombie; not reaped yet */
	ret = mw_register(fd, zombie, MIB, 2 * MIB);
	tap(ret == -ESRCH, "zombie process is refused with ESRCH (got %d)", ret);
	waitpid(zombie, NULL, 0);
	tap(mw_register(fd, 2, MIB, 2 * MIB) == -EINVAL,
	    "kernel thread (kthreadd) is refused with EINVAL");

	tap(mw_register(fd, sleeper, MIB, 64 * MIB) == 0, "register a sleeping process");
	tap(mw_register(fd, sleeper, MIB, 64 * MIB) == -EEXIST,
	    "registering it twice is refused with EEXIST");
	req = reg_req(sleeper, 2 * MIB, 128 * MIB);
	req.flags = MEMWATCH_REGISTER_UPDATE;
	ret = mw_ioctl(fd, MEMWATCH_IOC_REGISTER, &req);
	{
		struct memwatch_entry e = { 0 };

		tap(ret == 0 && mw_query(fd, sleeper, &e) == 0 && e.pid == sleeper &&
		    e.soft_limit == 2 * MIB && e.hard_limit == 128 * MIB &&
		    e.state == MEMWATCH_STATE_WATCHED,
		    "REGISTER_UPDATE changes the limits that QUERY reports");
	}
	req = reg_req(INT_MAX, MIB, 2 * MIB);
	req.pid = getpid();
	req.flags = MEMWATCH_REGISTER_UPDATE;
	tap(mw_ioctl(fd, MEMWATCH_IOC_REGISTER, &req) == -ENOENT,
	    "REGISTER_UPDATE of an unregistered process is refused with ENOENT");

	tap(mw_unregister(fd, getpid()) == -ENOENT,
	    "unregistering what is not registered is refused with ENOENT");
	tap(mw_unregister(fd, INT_MAX) == -ENOENT,
	    "unregistering a pid that does not exist is refused with ENOENT");
	unreg = (struct memwatch_unregister){ .size = sizeof(unreg), .pid = sleeper, .reserved = 1 };
	tap(mw_ioctl(fd, MEMWATCH_IOC_UNREGISTER, &unreg) == -EINVAL,
	    "unregister with a nonzero reserved field is refused with EINVAL");
	tap(mw_query(fd, getpid(), NULL) == -ENOENT,
	    "query of an unregistered process is refused with ENOENT");
	query = (struct memwatch_query){ .size = 8, .pid = sleeper };
	tap(mw_ioctl(fd, MEMWATCH_IOC_QUERY, &query) == -EINVAL,
	    "query with a short size field is refused with EINVAL");

	list = (struct memwatch_list){ .size = sizeof(list), .entry_size = 8 };
	tap(mw_ioctl(fd, MEMWATCH_IOC_LIST, &list) == -EINVAL,
	    "list with a wrong entry size is refused with EINVAL");
	list = (struct memwatch_list){
		.size = sizeof(list), .entry_size = sizeof(struct memwatch_entry),
		.capacity = 1, .entries = (uintptr_t)raw + 4,
	};
	tap(mw_ioctl(fd, MEMWATCH_IOC_LIST, &list) == -EINVAL,
	    "list with an unaligned entries pointer is refused with EINVAL");
	list.entries = 0;
	tap(mw_ioctl(fd, MEMWATCH_IOC_LIST, &list) == -EFAULT,
	    "list into a NULL array is refused with EFAULT");
	{
		struct memwatch_entry entries[4];

		list.entries = (uintptr_t)entries;
		list.capacity = 4;
		ret = mw_ioctl(fd, MEMWATCH_IOC_LIST, &list);
		tap(ret == 0 && list.total == 1 && list.count == 1 && entries[0].pid == sleeper,
		    "list reports the one registered process");
	}

	/* A child without CAP_SYS_ADMIN, using the inherited descriptor. */
	{
		pid_t child = fork();
		int status;

		if (child == 0) {
			struct __user_cap_header_struct hdr = {
				.version = _LINUX_CAPABILITY_VERSION_3,
			};
			struct __user_cap_data_struct data[2] = { { 0 } };
			int code = 0;

			if (syscall(SYS_capset, &hdr, data))
				_exit(10);
			if (mw_register(fd, getpid(), MIB, 2 * MIB) != -EPERM)
				code |= 1;
			if (mw_unregister(fd, sleeper) != -EPERM)
				code |= 2;
			if (mw_query(fd, sleeper, NULL) != 0)
				code |= 4;
			_exit(code);
		}
		waitpid(child, &status, 0);
		tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "without CAP_SYS_ADMIN register and unregister fail with EPERM, query works (status %d)",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}

	{
		char small[8];
		struct memwatch_event ev;
		int fresh = open_dev();

		tap(read(fresh, small, sizeof(small)) < 0 && errno == EINVAL,
		    "read into a buffer smaller than one event fails with EINVAL");
		tap(read(fresh, &ev, sizeof(ev)) < 0 && errno == EAGAIN,
		    "non-blocking read without events fails with EAGAIN");
		close(fresh);
	}

	tap(mw_unregister(fd, sleeper) == 0, "unregister the sleeping process");
	tap(mw_total(fd) == 0, "list is empty again");
	kill_and_reap(sleeper);
}

static void test_soft_limit(int fd)
{
	struct hog hog = spawn_hog(4, 32);
	struct memwatch_event ev = { 0 };
	struct memwatch_entry e = { 0 };
	int warned = 0, ret;

	tap(mw_register(fd, hog.pid, 16 * MIB, 512 * MIB) == 0,
	    "register a process with soft limit 16 MiB");
	hog_start(&hog);
	ret = wait_event(fd, hog.pid, MEMWATCH_EVENT_WARNED, &ev, NULL);
	tap(ret == 0 && ev.rss >= 16 * MIB && ev.limit == 16 * MIB && ev.pid == hog.pid,
	    "WARNED event once its RSS reaches the soft limit (rss %" PRIu64 " MiB)",
	    (uint64_t)(ev.rss / MIB));
	tap(hog_wait_done(&hog), "the warned process keeps running and allocating");
	/* The sampler may not have seen the last allocation yet. */
	for (int i = 0; i < 100; i++) {
		ret = mw_query(fd, hog.pid, &e);
		if (ret || e.peak_rss >= 32 * MIB)
			break;
		sleep_ms(50);
	}
	tap(ret == 0 && e.state == MEMWATCH_STATE_WARNED && e.peak_rss >= 32 * MIB &&
	    e.samples > 0, "query reports WARNED and the peak RSS (peak %" PRIu64 " MiB)",
	    (uint64_t)(e.peak_rss / MIB));

	/* Warn once: several more samples above the limit add no event. */
	for (int i = 0; i < 20; i++) {
		struct memwatch_entry later;

		sleep_ms(50);
		if (mw_query(fd, hog.pid, &later) == 0 && later.samples >= e.samples + 3)
			break;
	}
	while (read(fd, &ev, sizeof(ev)) == sizeof(ev))
		warned += ev.type == MEMWATCH_EVENT_WARNED && ev.pid == hog.pid;
	tap(warned == 0, "no second WARNED event while above the soft limit");
	tap(kill(hog.pid, 0) == 0, "the process is still alive below its hard limit");

	kill_and_reap(hog.pid);
	tap(wait_event(fd, hog.pid, MEMWATCH_EVENT_EXITED, &ev, NULL) == 0,
	    "EXITED event after the process is killed by someone else");
	tap(mw_query(fd, hog.pid, NULL) == -ENOENT, "the exited entry is gone");
	hog_close(&hog);
}

static void test_hard_limit(int fd)
{
	struct hog hog;
	struct memwatch_event ev = { 0 };
	int status = 0, ret;

	hog = spawn_hog(1, 400);
	tap(mw_register(fd, hog.pid, 16 * MIB, 48 * MIB) == 0,
	    "register a process with hard limit 48 MiB");
	hog_start(&hog);
	ret = wait_event(fd, hog.pid, MEMWATCH_EVENT_KILLED, &ev, NULL);
	tap(ret == 0 && ev.rss >= 48 * MIB && ev.limit == 48 * MIB,
	    "KILLED event once its RSS reaches the hard limit (rss %" PRIu64 " MiB)",
	    (uint64_t)(ev.rss / MIB));
	if (ret)
		kill(hog.pid, SIGTERM);	/* not killed by the module: end it */
	waitpid(hog.pid, &status, 0);
	tap(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the process died of SIGKILL");
	tap(wait_event(fd, hog.pid, MEMWATCH_EVENT_EXITED, &ev, NULL) == 0 &&
	    ev.peak_rss >= 48 * MIB, "EXITED event follows, with the peak RSS");
	tap(mw_query(fd, hog.pid, NULL) == -ENOENT, "the killed entry is gone");
	hog_close(&hog);
}

static void *thread_alloc(void *arg)
{
	int *pipes = arg;
	char c;

	if (read(pipes[0], &c, 1) != 1)
		_exit(2);
	hog_allocate(1, 400, pipes[1]);
	for (;;)
		pause();
	return NULL;
}

/* RSS counted for the whole thread group, even after the leader exited. */
static void test_thread_group(int fd)
{
	struct memwatch_event ev = { 0 };
	int go[2], done[2], status = 0, ret;
	pid_t pid;

	if (pipe(go) || pipe(done))
		return;
	pid = fork();
	if (pid == 0) {
		static int pipes[2];
		pthread_t thread;

		pipes[0] = go[0];
		pipes[1] = done[1];
		if (pthread_create(&thread, NULL, thread_alloc, pipes))
			_exit(5);
		pthread_exit(NULL);	/* the leader leaves, the thread runs on */
	}
	close(go[0]);
	close(done[1]);
	sleep_ms(200);
	tap(mw_register(fd, pid, 16 * MIB, 48 * MIB) == 0,
	    "register a thread group whose leader has exited");
	if (write(go[1], "g", 1) < 0)
		diag("cannot start the thread: %s", strerror(errno));
	ret = wait_event(fd, pid, MEMWATCH_EVENT_KILLED, &ev, NULL);
	tap(ret == 0 && ev.rss >= 48 * MIB,
	    "a non-leader thread's allocation reaches the hard limit: KILLED");
	if (ret)
		kill(pid, SIGTERM);	/* not killed by the module: end it */
	waitpid(pid, &status, 0);
	tap(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "the whole thread group died of SIGKILL");
	tap(wait_event(fd, pid, MEMWATCH_EVENT_EXITED, &ev, NULL) == 0,
	    "EXITED event for the thread group");
	close(go[1]);
	close(done[0]);
}

static bool wait_table_empty(int fd)
{
	uint64_t deadline = mono_ns() + WAIT_MS * 1000000ull;

	while (mono_ns() < deadline) {
		if (mw_total(fd) == 0)
			return true;
		sleep_ms(50);
	}
	return false;
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A blocking read sleeps until an event comes, and a signal interrupts it. */
static void test_blocking_read(int fd)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	int ready[2], status = 0;
	pid_t reader, sleeper;
	char c;

	if (pipe(ready))
		return;
	reader = fork();
	if (reader == 0) {
		struct memwatch_event ev;
		int blocking = open(MEMWATCH_DEVICE, O_RDWR | O_CLOEXEC);

		sigaction(SIGUSR1, &sa, NULL);
		if (blocking < 0 || write(ready[1], "r", 1) != 1)
			_exit(10);
		/* First read: interrupted by SIGUSR1 with nothing queued. */
		if (read(blocking, &ev, sizeof(ev)) >= 0 || errno != EINTR)
			_exit(11);
		if (write(ready[1], "r", 1) != 1)
			_exit(12);
		/* Second read: woken by the EXITED event of the sleeper. */
		if (read(blocking, &ev, sizeof(ev)) != sizeof(ev))
			_exit(13);
		_exit(ev.type == MEMWATCH_EVENT_EXITED ? 0 : 14);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		diag("reader did not start");
	sleep_ms(300);		/* let it block in read() */
	kill(reader, SIGUSR1);
	if (read(ready[0], &c, 1) != 1)
		diag("reader was not interrupted");
	sleeper = spawn_sleeper();
	if (mw_register(fd, sleeper, MIB, 64 * MIB))
		diag("cannot register sleeper %d", sleeper);
	sleep_ms(300);
	kill_and_reap(sleeper);
	waitpid(reader, &status, 0);
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "blocking read: EINTR on a signal, then woken by an EXITED event (status %d)",
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	close(ready[0]);
	/* Consume the sleeper's event on @fd too: later tests count events. */
	if (wait_event(fd, sleeper, MEMWATCH_EVENT_EXITED, NULL, NULL))
		diag("no EXITED event for sleeper %d", sleeper);
}

/* Count EXITED events (and LOST ones) on @fd until @want or the fail-safe. */
static unsigned int count_exited(int fd, unsigned int want, unsigned int *lost)
{
	uint64_t deadline = mono_ns() + WAIT_MS * 1000000ull;
	unsigned int exited = 0;
	struct memwatch_event ev;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (exited + *lost < want && mono_ns() < deadline) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		while (read(fd, &ev, sizeof(ev)) == sizeof(ev)) {
			exited += ev.type == MEMWATCH_EVENT_EXITED;
			if (ev.type == MEMWATCH_EVENT_LOST)
				*lost += ev.lost;
		}
	}
	return exited;
}

/* Processes that exit while they are being registered and sampled. */
static void test_exit_race(int fd)
{
	enum { N = 300 };
	unsigned int ok = 0, gone = 0, other = 0, lost = 0, exited;
	pid_t pids[N];

	for (int i = 0; i < N; i++) {
		int ret;

		pids[i] = fork();
		if (pids[i] == 0) {
			/* Exit after a short, varying stretch of work. */
			for (volatile int spin = 0; spin < (i % 17) * 20000; spin++)
				;
			_exit(0);
		}
		ret = mw_register(fd, pids[i], MIB, 64 * MIB);
		if (ret == 0)
			ok++;
		else if (ret == -ESRCH)
			gone++;
		else
			other++;
	}
	for (int i = 0; i < N; i++)
		waitpid(pids[i], NULL, 0);
	diag("exit race: %u registered, %u already gone, %u other errors", ok, gone, other);
	tap(other == 0, "registering exiting processes gives 0 or ESRCH only");
	exited = count_exited(fd, ok, &lost);
	tap(exited + lost == ok, "one EXITED event per registered process (%u exited, %u lost, %u registered)",
	    exited, lost, ok);
	tap(wait_table_empty(fd), "every exited process left the table");
}

/* Four registrars at once, 250 processes each, then all of them killed. */
static void test_storm(int fd)
{
	enum { REGISTRARS = 4, EACH = 250 };
	pid_t registrars[REGISTRARS];
	int failures = 0, status;
	unsigned int exited = 0, lost = 0;
	struct memwatch_event ev;
	int unread = open_dev();	/* not read until the end: overflows */
	long total;

	for (int r = 0; r < REGISTRARS; r++) {
		registrars[r] = fork();
		if (registrars[r] == 0) {
			pid_t kids[EACH];
			int bad = 0;

			/* Our own process group, so that one kill() ends the kids. */
			for (int i = 0; i < EACH; i++) {
				kids[i] = spawn_sleeper();
				if (kids[i] < 0 || mw_register(fd, kids[i], MIB, 64 * MIB))
					bad++;
			}
			/* Hold until the parent has counted, then kill them all. */
			raise(SIGSTOP);
			for (int i = 0; i < EACH; i++)
				kill(kids[i], SIGKILL);
			for (int i = 0; i < EACH; i++)
				waitpid(kids[i], NULL, 0);
			_exit(bad > 255 ? 255 : bad);
		}
	}
	for (int r = 0; r < REGISTRARS; r++)
		waitpid(registrars[r], &status, WUNTRACED);
	total = mw_total(fd);
	tap(total == REGISTRARS * EACH, "storm: %d concurrent registrations all listed (%ld)",
	    REGISTRARS * EACH, total);
	for (int r = 0; r < REGISTRARS; r++)
		kill(registrars[r], SIGCONT);
	for (int r = 0; r < REGISTRARS; r++) {
		waitpid(registrars[r], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failures++;
	}
	tap(failures == 0, "storm: every registration succeeded");
	tap(wait_table_empty(fd), "storm: all %d killed processes left the table",
	    REGISTRARS * EACH);
	while (read(unread, &ev, sizeof(ev)) == sizeof(ev)) {
		exited += ev.type == MEMWATCH_EVENT_EXITED;
		if (ev.type == MEMWATCH_EVENT_LOST)
			lost += ev.lost;
	}
	tap(lost > 0 && exited + lost == REGISTRARS * EACH,
	    "storm: a full queue reports LOST, and exited + lost add up (%u + %u)", exited, lost);
	close(unread);
}

/* Register N sleepers and two allocating processes, print their PIDs, exit. */
static int leave_registered(int n)
{
	int fd = open_dev();
	int failed = 0;

	children_detach = true;
	children_close_fd = fd;
	if (fd < 0) {
		fprintf(stderr, "cannot open '%s': %s\n", MEMWATCH_DEVICE, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n + 2; i++) {
		pid_t pid;

		if (i < n) {
			pid = spawn_sleeper();
		} else {
			pid = fork_child();
			if (pid == 0) {
				/* Keeps the sampler busy: allocate, free, repeat. */
				for (;;) {
					char *p = mmap(NULL, 8 * MIB, PROT_READ | PROT_WRITE,
						       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

					if (p == MAP_FAILED)
						_exit(3);
					memset(p, 1, 8 * MIB);
					munmap(p, 8 * MIB);
				}
			}
		}
		if (mw_register(fd, pid, 256 * MIB, 512 * MIB))
			failed++;
		printf("%d\n", pid);
	}
	close(fd);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "leave"))
		return leave_registered(atoi(argv[2]));
	if (argc != 1) {
		fprintf(stderr, "usage: memwatch-test [leave N]\n");
		return 2;
	}

	fd = open_dev();
	tap(fd >= 0, "open %s", MEMWATCH_DEVICE);
	if (fd < 0) {
		printf("1..%d\n", tap_count);
		return 1;
	}
	test_bad_input(fd);
	test_soft_limit(fd);
	test_hard_limit(fd);
	test_thread_group(fd);
	test_blocking_read(fd);
	test_exit_race(fd);
	test_storm(fd);
	tap(mw_total(fd) == 0, "nothing left registered at the end");
	close(fd);
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}
