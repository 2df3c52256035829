// SPDX-License-Identifier: GPL-2.0
/*
 * memwatch_bench: in-guest benchmark of the memwatch module.
 *
 *   memwatch-bench overshoot MECH RATE LIMIT_MIB REPEATS
 *       MECH is "memwatch" (hard limit LIMIT_MIB) or "cgroup" (cgroup v2
 *       memory.max LIMIT_MIB in /sys/fs/cgroup/memwatch-bench, created and
 *       removed here). A child allocates and touches memory at RATE MiB/s
 *       (0: as fast as it can) until it is killed; for each run prints
 *         BENCH overshoot MECH RATE REP OVERSHOOT_MIB KILL_MS ACHIEVED_MIB_S
 *       where OVERSHOOT_MIB is what the child had touched past the limit
 *       when it died (negative: it died below) and KILL_MS the time from
 *       touching the limit (or, when it died below, from its last
 *       progress) to its death as seen by waitpid().
 *   memwatch-bench cpucost N SECONDS
 *       CPU time of the guest's kworker threads over SECONDS with nothing
 *       registered and then with N sleeping processes registered; prints
 *         BENCH cpucost N SECONDS IDLE_PCT WATCHED_PCT
 *       in percent of one CPU.
 *
 * Statically linked, run as root in a guest booted by kmod/bench/run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hclock.h"
#include "memwatch.h"

#define MIB (1024ULL * 1024)
#define CGROUP "/sys/fs/cgroup/memwatch-bench"

/* Shared between the allocating child and the parent. */
struct progress {
	_Atomic uint64_t touched;	/* bytes touched so far */
	_Atomic int64_t crossed_ns;	/* when touched first reached the limit */
	_Atomic int64_t last_ns;	/* when touched was last published */
	_Atomic int64_t start_ns;	/* when the child started allocating */
};

static void sleep_until_ns(int64_t when)
{
	struct timespec ts = { .tv_sec = when / 1000000000, .tv_nsec = when % 1000000000 };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* The child: touch memory at @rate MiB/s up to @cap bytes, then exit 0. */
static void allocate(struct progress *p, unsigned int rate, uint64_t limit, uint64_t cap)
{
	const size_t chunk = MIB;
	int64_t start = (int64_t)mono_ns();

	atomic_store(&p->start_ns, start);
	for (uint64_t done = 0; done < cap; done += chunk) {
		char *mem = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (mem == MAP_FAILED)
			_exit(3);
		for (size_t off = 0; off < chunk; off += 4096) {
			mem[off] = 1;
			/* Publish every 64 pages (256 KiB): fine enough, cheap. */
			if ((off & (64 * 4096 - 1)) == 64 * 4096 - 4096) {
				uint64_t t = done + off + 4096;

				int64_t now = (int64_t)mono_ns();

				atomic_store_explicit(&p->touched, t, memory_order_relaxed);
				atomic_store_explicit(&p->last_ns, now, memory_order_relaxed);
				if (t >= limit && !atomic_load(&p->crossed_ns))
					atomic_store(&p->crossed_ns, now);
			}
		}
		if (rate)
			sleep_until_ns(start + (int64_t)((done + chunk) / MIB) * 1000000000 / rate);
	}
	_exit(0);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int register_pid(int fd, pid_t pid, uint64_t soft, uint64_t hard)
{
	struct memwatch_register req = {
		.size = sizeof(req), .pid = pid, .soft_limit = soft, .hard_limit = hard,
	};

	return ioctl(fd, MEMWATCH_IOC_REGISTER, &req) ? -errno : 0;
}

static int overshoot(const char *mech, unsigned int rate, unsigned int limit_mib, int repeats)
{
	bool cgroup = !strcmp(mech, "cgroup");
	uint64_t limit = limit_mib * MIB;
	struct progress *p;
	int fd = -1;
	char text[64];

	if (!cgroup && strcmp(mech, "memwatch")) {
		fprintf(stderr, "unknown mechanism '%s': expected memwatch or cgroup\n", mech);
		return 2;
	}
	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	if (cgroup) {
		if (write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory") ||
		    (mkdir(CGROUP, 0755) && errno != EEXIST)) {
			fprintf(stderr, "cannot set up cgroup '%s': %s\n", CGROUP, strerror(errno));
			return 1;
		}
		snprintf(text, sizeof(text), "%llu", (unsigned long long)limit);
		if (write_file(CGROUP "/memory.max", text) ||
		    write_file(CGROUP "/memory.swap.max", "0")) {
			fprintf(stderr, "cannot set memory.max of '%s'\n", CGROUP);
			return 1;
		}
	} else {
		fd = open(MEMWATCH_DEVICE, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "cannot open '%s': %s\n", MEMWATCH_DEVICE, strerror(errno));
			return 1;
		}
	}

	for (int rep = 0; rep < repeats; rep++) {
		int go[2], status = 0;
		int64_t died, ref;
		pid_t pid;
		char c;

		atomic_store(&p->touched, 0);
		atomic_store(&p->crossed_ns, 0);
		atomic_store(&p->last_ns, 0);
		if (pipe(go))
			return 1;
		pid = fork();
		if (pid == 0) {
			close(go[1]);
			if (read(go[0], &c, 1) != 1)
				_exit(2);
			allocate(p, rate, limit, 8 * limit);
		}
		close(go[0]);
		if (cgroup) {
			snprintf(text, sizeof(text), "%d", pid);
			if (write_file(CGROUP "/cgroup.procs", text))
				fprintf(stderr, "cannot move %d into '%s'\n", pid, CGROUP);
		} else if (register_pid(fd, pid, limit, limit)) {
			fprintf(stderr, "cannot register %d: %s\n", pid, strerror(errno));
		}
		if (write(go[1], "g", 1) != 1)
			return 1;
		close(go[1]);
		waitpid(pid, &status, 0);
		died = (int64_t)mono_ns();
		if (!WIFSIGNALED(status)) {
			printf("BENCH overshoot %s %u %d not-killed -\n", mech, rate, rep);
			continue;
		}
		/*
		 * Killed past the limit: time since the child touched it. Killed
		 * before (cgroup charges more than the touched pages; RSS counts
		 * the binary too): time since its last progress, when it hit
		 * the wall. Overshoot is negative then.
		 */
		ref = atomic_load(&p->crossed_ns);
		if (!ref)
			ref = atomic_load(&p->last_ns);
		printf("BENCH overshoot %s %u %d %.2f %.2f %.1f\n", mech, rate, rep,
		       ((double)atomic_load(&p->touched) - (double)limit) / MIB,
		       (double)(died - ref) / 1e6,
		       (double)atomic_load(&p->touched) / MIB * 1e9 /
		       (double)(atomic_load(&p->last_ns) - atomic_load(&p->start_ns) + 1));
		fflush(stdout);
	}
	if (cgroup)
		rmdir(CGROUP);
	else
		close(fd);
	return 0;
}

/*
 * CPU time of all kworker threads, in ns, from /proc/PID/schedstat (exact
 * scheduler accounting: /proc/stat's tick sampling misses work items that
 * start on a timer tick and end before the next one, as the sampler does).
 * The sampler is a work item on the system workqueue; in an otherwise idle
 * guest the kworkers run little else, which the idle window measures.
 */
static long long kworker_ns(void)
{
	long long total = 0;
	DIR *proc = opendir("/proc");
	struct dirent *d;

	if (!proc)
		return -1;
	while ((d = readdir(proc))) {
		char path[300], comm[32] = "";
		long long ns;
		FILE *f;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		if (strncmp(comm, "kworker/", 8))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/schedstat", d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%lld", &ns) == 1)
			total += ns;
		fclose(f);
	}
	closedir(proc);
	return total;
}

/* kworker CPU time over @seconds, in percent of one CPU. */
static double kworker_pct(unsigned int seconds)
{
	long long before = kworker_ns(), after;

	sleep(seconds);
	after = kworker_ns();
	return 100.0 * (double)(after - before) / (1e9 * seconds);
}

static int cpucost(int n, unsigned int seconds)
{
	pid_t *pids = calloc(n, sizeof(*pids));
	double idle, watched;
	int fd, failed = 0;

	fd = open(MEMWATCH_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0 || !pids) {
		fprintf(stderr, "cannot open '%s': %s\n", MEMWATCH_DEVICE, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			for (;;)
				pause();
		}
	}
	sleep(1);
	idle = kworker_pct(seconds);
	for (int i = 0; i < n; i++)
		failed += register_pid(fd, pids[i], 256 * MIB, 512 * MIB) != 0;
	sleep(1);
	watched = kworker_pct(seconds);
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	close(fd);
	free(pids);
	if (failed)
		fprintf(stderr, "%d registrations failed\n", failed);
	printf("BENCH cpucost %d %u %.2f %.2f\n", n, seconds, idle, watched);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && !strcmp(argv[1], "overshoot"))
		return overshoot(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc == 4 && !strcmp(argv[1], "cpucost"))
		return cpucost(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: memwatch-bench overshoot memwatch|cgroup RATE LIMIT_MIB REPEATS\n"
		"       memwatch-bench cpucost N SECONDS\n");
	return 2;
}
