/* Host noise: /proc parsing from fixture text, the run's processes told
 * from others, the top-three ranking and the disturbed decision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostnoise.h"

static void test_parse_pid_stat(void **state)
{
	/* A name with spaces and parentheses ends at the last ')'. */
	static const char text[] =
		"4242 (my (odd) proc) R 17 4242 4242 0 -1 4194304 97 0 0 0 150 50 7 3 39 19 1 0 213828 3133440 "
		"1000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
	struct hostnoise_proc p;

	assert_int_equal(hostnoise_parse_pid_stat(text, &p), 0);
	assert_int_equal(p.pid, 4242);
	assert_string_equal(p.comm, "my (odd) proc");
	assert_int_equal(p.ppid, 17);
	assert_int_equal(p.cpu, 200);	/* utime + stime; children's time is not the process's */
	assert_int_equal(p.nice, 19);
	assert_int_equal(p.start, 213828);
	assert_int_equal(p.rss_kib, 1000LL * (getpagesize() / 1024));
	assert_int_equal(p.processor, 1);
	assert_int_equal(p.flags, 4194304);
	/* A negative nice. */
	assert_int_equal(hostnoise_parse_pid_stat("9 (x) S 1 9 9 0 -1 0 0 0 0 0 1 1 0 0 10 -10 1 0 5 0 3", &p), 0);
	assert_int_equal(p.nice, -10);
	assert_int_equal(p.processor, -1);	/* an old kernel's short line: not known */

	assert_int_equal(hostnoise_parse_pid_stat("", &p), -EINVAL);
	assert_int_equal(hostnoise_parse_pid_stat("12 no-parens R 1 2 3", &p), -EINVAL);
	assert_int_equal(hostnoise_parse_pid_stat("12 (cut) R 1 2 3 4", &p), -EINVAL);
	assert_int_equal(hostnoise_parse_pid_stat("x (a) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22", &p),
			 -EINVAL);
}

static void test_parse_stat(void **state)
{
	static const char text[] = "cpu  100 5 50 1000 20 3 2 7 0 0\n"
				   "cpu0 60 5 30 500 10 2 1 4 0 0\n"
				   "cpu1 40 0 20 500 10 1 1 3 0 0\n"
				   "intr 12345 0 0\nctxt 999\n";
	struct hostnoise_cpu all, *cpus;
	size_t n;

	assert_int_equal(hostnoise_parse_stat(text, &all, &cpus, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(all.busy, 100 + 5 + 50 + 3 + 2);
	assert_int_equal(all.steal, 7);
	assert_int_equal(all.total, 160 + 1000 + 20 + 7);
	assert_int_equal(cpus[0].busy, 98);
	assert_int_equal(cpus[1].steal, 3);
	free(cpus);
	assert_int_equal(hostnoise_parse_stat("intr 1\n", &all, &cpus, &n), -EINVAL);
	assert_null(cpus);
	assert_int_equal(hostnoise_parse_stat("cpu  1 2\n", &all, &cpus, &n), -EINVAL);
}

static void test_parse_small_files(void **state)
{
	long long avail;
	unsigned long long r, w;
	char guest[64];
	static const char cmd[] = "/usr/bin/qemu-system-x86_64\0-name\0guest=harness-r1-vm1,,x,debug-threads=on\0-S\0";
	static const char cmd_plain[] = "qemu-system-x86_64\0-m\0512\0-name\0vmx\0";
	static const char cmd_none[] = "qemu-system-x86_64\0-m\0512\0-name";

	assert_int_equal(hostnoise_parse_meminfo("MemTotal: 8000 kB\nMemFree: 100 kB\nMemAvailable:    4096 kB\n", &avail), 0);
	assert_int_equal(avail, 4096);
	assert_int_equal(hostnoise_parse_meminfo("MemTotal: 8000 kB\n", &avail), -EINVAL);

	assert_int_equal(hostnoise_parse_pid_io("rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 4096\n"
						"write_bytes: 8192\ncancelled_write_bytes: 0\n", &r, &w), 0);
	assert_int_equal(r, 4096);
	assert_int_equal(w, 8192);
	assert_int_equal(hostnoise_parse_pid_io("rchar: 1\n", &r, &w), -EINVAL);

	/* Whole disks only: partitions, loop and device-mapper devices would count twice. */
	assert_int_equal(hostnoise_parse_diskstats(
				 "   8       0 sda 10 0 100 0 20 0 200 0 0 0 0\n"
				 "   8       1 sda1 10 0 100 0 20 0 200 0 0 0 0\n"
				 " 259       0 nvme0n1 1 0 8 0 1 0 16 0 0 0 0\n"
				 " 259       1 nvme0n1p1 1 0 8 0 1 0 16 0 0 0 0\n"
				 "   7       0 loop0 5 0 50 0 0 0 0 0 0 0 0\n"
				 " 253       0 dm-0 5 0 50 0 5 0 50 0 0 0 0\n", &r, &w), 0);
	assert_int_equal(r, (100 + 8) * 512);
	assert_int_equal(w, (200 + 16) * 512);
	assert_int_equal(hostnoise_parse_diskstats("garbage\n", &r, &w), -EINVAL);

	hostnoise_qemu_guest(cmd, sizeof(cmd) - 1, guest, sizeof(guest));
	assert_string_equal(guest, "harness-r1-vm1,x");
	hostnoise_qemu_guest(cmd_plain, sizeof(cmd_plain) - 1, guest, sizeof(guest));
	assert_string_equal(guest, "vmx");
	hostnoise_qemu_guest(cmd_none, sizeof(cmd_none) - 1, guest, sizeof(guest));
	assert_string_equal(guest, "");
}

/* --- the tracker over hand-made samples ----------------------------------- */

#define HZ 100

struct fake {
	int pid, ppid;
	const char *comm;
	unsigned long long start, cpu;
	long long rss_kib;
	int nice, cpu_last;
	const char *guest;
	unsigned long flags;
};

static void snap_of(struct hostnoise_snap *s, double t, const struct fake *f, size_t n, unsigned long long busy,
		    long long avail_kib)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	s->procs = calloc(n + 1, sizeof(*s->procs));
	for (size_t i = 0; i < n; i++) {
		struct hostnoise_proc *p = &s->procs[i];
		p->pid = f[i].pid;
		p->ppid = f[i].ppid;
		snprintf(p->comm, sizeof(p->comm), "%s", f[i].comm);
		p->start = f[i].start;
		p->cpu = f[i].cpu;
		p->rss_kib = f[i].rss_kib;
		p->nice = f[i].nice;
		p->processor = f[i].cpu_last;
		p->flags = f[i].flags;
		p->io_known = true;
		snprintf(p->guest, sizeof(p->guest), "%s", f[i].guest ? f[i].guest : "");
	}
	s->nprocs = n;
	s->ncpus = 2;
	s->cpus = calloc(2, sizeof(*s->cpus));
	s->cpus[0].busy = busy / 2;
	s->cpus[1].busy = busy - busy / 2;
	s->all.busy = busy;
	s->mem_available_kib = avail_kib;
	s->freq_khz = calloc(2, sizeof(long));
	s->freq_khz[0] = 2000000 + (long)t * 1000;
	s->freq_khz[1] = -1;
}

static const char *guests[] = { "standing-general-vm1" };
static const struct hostnoise_run_ids ids = { .root = 100, .prefix = "harness-r1-", .names = (char **)guests,
					      .nnames = 1 };

static cJSON *at(cJSON *j, const char *a, const char *b)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(j, a);
	return b ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

static double num(cJSON *j, const char *a, const char *b)
{
	cJSON *v = at(j, a, b);
	if (!cJSON_IsNumber(v))
		fail_msg("no number at %s.%s", a, b ? b : "");
	return v->valuedouble;
}

/* The run's processes (the harness tree, its QEMU, a standing guest it
 * borrowed, libvirtd, a kernel thread) and three others; the burner took
 * 0.9 CPU over 10 s. */
static void test_burner_named(void **state)
{
	struct fake a[] = {
		{ 1, 0, "systemd", 1, 500, 10000, 0, 0, NULL, 0 },
		{ 50, 2, "kworker/0:1", 2, 0, 0, 0, 0, NULL, 0x00200000 },
		{ 60, 1, "libvirtd", 3, 100, 30000, 0, 0, NULL, 0 },
		{ 90, 1, "bash", 4, 10, 4000, 0, 0, NULL, 0 },
		{ 100, 90, "harness", 5, 100, 20000, 0, 0, NULL, 0 },
		{ 101, 100, "sleep", 6, 0, 500, 0, 0, NULL, 0 },
		{ 200, 1, "qemu-system-x86", 7, 1000, 600000, 0, 0, "harness-r1-vm1", 0 },
		{ 201, 1, "qemu-system-x86", 8, 1000, 600000, 0, 1, "standing-general-vm1", 0 },
		{ 202, 1, "qemu-system-x86", 9, 1000, 600000, 0, 1, "someone-elses-vm", 0 },
		{ 300, 1, "burn", 10, 0, 1000, 19, 1, NULL, 0 },
		{ 301, 1, "cron", 11, 5, 2000, 0, 0, NULL, 0 },
	};
	struct fake b[sizeof(a) / sizeof(a[0])];
	struct hostnoise_track t;
	struct hostnoise_snap s;
	cJSON *j, *top, *pids;

	memcpy(b, a, sizeof(a));
	b[1].cpu += 4;		/* kthread */
	b[2].cpu += 30;		/* libvirtd */
	b[4].cpu += 50;		/* harness */
	b[5].cpu += 1;		/* its child */
	b[6].cpu += 1500;	/* the run's QEMU */
	b[6].rss_kib += 10240;
	b[7].cpu += 800;	/* the borrowed standing guest */
	b[8].cpu += 30;		/* a guest that is not the run's: an other */
	b[9].cpu += 900;	/* the burner */
	b[10].cpu += 2;

	hostnoise_track_init(&t, &ids, HZ);
	snap_of(&s, 0, a, sizeof(a) / sizeof(a[0]), 0, 1000000);
	hostnoise_track_add(&t, &s);
	snap_of(&s, 10, b, sizeof(b) / sizeof(b[0]), 4000, 990000);
	hostnoise_track_add(&t, &s);
	j = hostnoise_assess(&t);

	assert_int_equal(num(j, "samples", NULL), 2);
	assert_float_equal(num(j, "wall_s", NULL), 10, 1e-9);
	assert_float_equal(num(j, "others", "cpu_s"), 9.32, 1e-9);
	assert_float_equal(num(j, "others", "cpu_share"), 0.932, 1e-9);
	assert_float_equal(num(j, "run", "qemu_cpu_s"), 23, 1e-9);
	assert_float_equal(num(j, "run", "harness_cpu_s"), 0.51, 1e-9);
	assert_float_equal(num(j, "run", "daemons_cpu_s"), 0.3, 1e-9);
	assert_float_equal(num(j, "kernel_threads_cpu_s", NULL), 0.04, 1e-9);
	assert_float_equal(num(j, "run", "qemu_mem_change_mib"), 10, 1e-9);
	pids = at(j, "run", "qemu_pids");
	assert_int_equal(cJSON_GetArraySize(pids), 2);
	assert_int_equal(cJSON_GetArrayItem(pids, 0)->valueint, 200);
	assert_int_equal(cJSON_GetArrayItem(pids, 1)->valueint, 201);

	/* The top three by CPU, the burner first, with its nice. */
	top = at(j, "top", NULL);
	assert_int_equal(cJSON_GetArraySize(top), 3);
	assert_int_equal(num(cJSON_GetArrayItem(top, 0), "pid", NULL), 300);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(top, 0), "name")->valuestring, "burn");
	assert_float_equal(num(cJSON_GetArrayItem(top, 0), "cpu_s", NULL), 9, 1e-9);
	assert_int_equal(num(cJSON_GetArrayItem(top, 0), "nice", NULL), 19);
	assert_int_equal(num(cJSON_GetArrayItem(top, 1), "pid", NULL), 202);
	assert_int_equal(num(cJSON_GetArrayItem(top, 2), "pid", NULL), 301);

	/* Others by the CPU they last ran on; the host's busy time less everything attributed. */
	assert_float_equal(num(cJSON_GetArrayItem(at(j, "per_cpu", NULL), 1), "others_s", NULL), 9.3, 1e-9);
	assert_float_equal(num(cJSON_GetArrayItem(at(j, "per_cpu", NULL), 0), "others_s", NULL), 0.02, 1e-9);
	assert_float_equal(num(j, "host", "unattributed_cpu_s"), 40 - 9.32 - 23 - 0.51 - 0.3 - 0.04, 1e-9);
	assert_float_equal(num(cJSON_GetArrayItem(at(j, "per_cpu", NULL), 0), "freq_mhz_min", NULL), 2000, 1e-9);
	assert_float_equal(num(cJSON_GetArrayItem(at(j, "per_cpu", NULL), 0), "freq_mhz_max", NULL), 2010, 1e-9);
	assert_null(at(cJSON_GetArrayItem(at(j, "per_cpu", NULL), 1), "freq_mhz_min", NULL));
	/* MemAvailable fell 9.77 MiB; the run's QEMU took 10 MiB of it. */
	assert_float_equal(num(j, "host", "mem_available_change_mib"), -9.8, 1e-9);

	assert_true(cJSON_IsTrue(at(j, "disturbed", NULL)));
	assert_non_null(strstr(at(j, "reason", NULL)->valuestring, "93% of a host CPU"));
	assert_non_null(strstr(at(j, "reason", NULL)->valuestring, "burn (pid 300, 9.00 CPU s)"));
	cJSON_Delete(j);
	hostnoise_track_free(&t);
}

/* Others at 4% of a CPU: below the limit. */
static void test_quiet_not_disturbed(void **state)
{
	struct fake a[] = {
		{ 100, 1, "harness", 5, 100, 20000, 0, 0, NULL, 0 },
		{ 200, 1, "qemu-system-x86", 7, 0, 600000, 0, 0, "harness-r1-vm2", 0 },
		{ 301, 1, "cron", 11, 0, 2000, 0, 0, NULL, 0 },
	};
	struct fake b[3];
	struct hostnoise_track t;
	struct hostnoise_snap s;
	cJSON *j;

	memcpy(b, a, sizeof(a));
	b[1].cpu += 2000;
	b[2].cpu += 40;
	hostnoise_track_init(&t, &ids, HZ);
	snap_of(&s, 100, a, 3, 0, -1);
	hostnoise_track_add(&t, &s);
	snap_of(&s, 110, b, 3, 2040, -1);
	hostnoise_track_add(&t, &s);
	j = hostnoise_assess(&t);
	assert_float_equal(num(j, "others", "cpu_share"), 0.04, 1e-9);
	assert_false(cJSON_IsTrue(at(j, "disturbed", NULL)));
	assert_true(cJSON_IsNull(at(j, "reason", NULL)));
	/* MemAvailable not offered: not recorded. */
	assert_null(at(j, "host", "mem_available_change_mib"));
	cJSON_Delete(j);

	/* One more tick of others' CPU per second puts it at 5.1%: disturbed. */
	b[2].cpu += 11;
	hostnoise_track_free(&t);
	hostnoise_track_init(&t, &ids, HZ);
	snap_of(&s, 100, a, 3, 0, -1);
	hostnoise_track_add(&t, &s);
	snap_of(&s, 110, b, 3, 2051, -1);
	hostnoise_track_add(&t, &s);
	j = hostnoise_assess(&t);
	assert_true(cJSON_IsTrue(at(j, "disturbed", NULL)));
	cJSON_Delete(j);
	hostnoise_track_free(&t);
}

/* An allocator that takes 300 MiB and gives it back between the start and
 * the end: only the sample in between sees it. A process born during the
 * run counts whole; one that ended gave its memory back; a pid used again
 * by a new process is another process. */
static void test_memory_and_lifetimes(void **state)
{
	struct fake a[] = {
		{ 100, 1, "harness", 5, 0, 20000, 0, 0, NULL, 0 },
		{ 400, 1, "alloc", 20, 0, 1024, 0, 0, NULL, 0 },
		{ 500, 1, "old", 21, 10, 51200, 0, 0, NULL, 0 },
	};
	struct fake mid[] = {
		{ 100, 1, "harness", 5, 0, 20000, 0, 0, NULL, 0 },
		{ 400, 1, "alloc", 20, 20, 1024 + 300 * 1024, 0, 0, NULL, 0 },
		{ 500, 1, "old", 21, 15, 51200, 0, 0, NULL, 0 },
		{ 600, 1, "newborn", 30, 3, 2048, 0, 1, NULL, 0 },
	};
	struct fake b[] = {
		{ 100, 1, "harness", 5, 0, 20000, 0, 0, NULL, 0 },
		{ 400, 1, "alloc", 20, 25, 1024, 0, 0, NULL, 0 },
		{ 500, 1, "reused", 40, 1, 1024, 0, 0, NULL, 0 },
		{ 600, 1, "newborn", 30, 6, 2048, 0, 1, NULL, 0 },
	};
	struct hostnoise_track t;
	struct hostnoise_snap s;
	cJSON *j, *topm;

	hostnoise_track_init(&t, &ids, HZ);
	snap_of(&s, 0, a, 3, 0, 1000000);
	hostnoise_track_add(&t, &s);
	snap_of(&s, 5, mid, 4, 100, 700000);
	hostnoise_track_add(&t, &s);
	snap_of(&s, 10, b, 4, 200, 1000000);
	hostnoise_track_add(&t, &s);
	j = hostnoise_assess(&t);

	assert_int_equal(num(j, "samples", NULL), 3);
	/* alloc 0.25 + old until it ended 0.05 + newborn whole 0.06 + the reused pid's 0.01 */
	assert_float_equal(num(j, "others", "cpu_s"), 0.37, 1e-9);
	/* old gave back 50 MiB; newborn and reused hold 3 MiB */
	assert_float_equal(num(j, "others", "mem_change_mib"), -47, 1e-9);
	assert_float_equal(num(j, "others", "mem_peak_change_mib"), 302, 1e-9);
	topm = at(j, "top_memory", NULL);
	assert_int_equal(num(cJSON_GetArrayItem(topm, 0), "pid", NULL), 400);
	assert_float_equal(num(cJSON_GetArrayItem(topm, 0), "mem_change_mib", NULL), 0, 1e-9);
	assert_float_equal(num(cJSON_GetArrayItem(topm, 0), "mem_peak_change_mib", NULL), 300, 1e-9);
	assert_int_equal(num(cJSON_GetArrayItem(topm, 1), "pid", NULL), 500);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(topm, 1), "name")->valuestring, "old");

	assert_true(cJSON_IsTrue(at(j, "disturbed", NULL)));
	assert_null(strstr(at(j, "reason", NULL)->valuestring, "of a host CPU"));
	assert_non_null(strstr(at(j, "reason", NULL)->valuestring, "memory by up to 302 MiB"));
	assert_non_null(strstr(at(j, "reason", NULL)->valuestring, "alloc (pid 400, up to 300 MiB)"));
	cJSON_Delete(j);
	hostnoise_track_free(&t);
}

/* One sample only (the end never came): nothing over no time, not disturbed. */
static void test_single_sample(void **state)
{
	struct fake a[] = { { 300, 1, "burn", 10, 1000, 1000, 19, 1, NULL, 0 } };
	struct hostnoise_track t;
	struct hostnoise_snap s;
	cJSON *j;

	hostnoise_track_init(&t, &ids, HZ);
	snap_of(&s, 0, a, 1, 0, -1);
	hostnoise_track_add(&t, &s);
	j = hostnoise_assess(&t);
	assert_float_equal(num(j, "wall_s", NULL), 0, 1e-9);
	assert_false(cJSON_IsTrue(at(j, "disturbed", NULL)));
	assert_int_equal(cJSON_GetArraySize(at(j, "top", NULL)), 0);
	cJSON_Delete(j);
	hostnoise_track_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_pid_stat),
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_parse_small_files),
		cmocka_unit_test(test_burner_named),
		cmocka_unit_test(test_quiet_not_disturbed),
		cmocka_unit_test(test_memory_and_lifetimes),
		cmocka_unit_test(test_single_sample),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
