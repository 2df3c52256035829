/* proc: guest-side metrics read from /proc: system CPU (with steal), memory,
 * block devices, network interfaces, and per-task scheduler statistics. */
#ifndef GUEST_PROC_H
#define GUEST_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <cjson/cJSON.h>

#define PROC_MAX_CPUS 256
#define PROC_MAX_DEVS 32

enum { CPU_USER, CPU_NICE, CPU_SYSTEM, CPU_IDLE, CPU_IOWAIT, CPU_IRQ, CPU_SOFTIRQ, CPU_STEAL, CPU_NFIELDS };

struct dev_counters {
	char name[32];
	uint64_t v[4];          /* disk: reads, read bytes, writes, write bytes; net: rx/tx bytes, rx/tx packets */
	uint64_t io_ms;         /* disk only */
};

struct sys_snap {
	double t;
	uint64_t cpu[CPU_NFIELDS];
	int ncpus;
	uint64_t percpu[PROC_MAX_CPUS][CPU_NFIELDS];
	uint64_t mem_kb[10];    /* see proc.c: meminfo_keys */
	int ndisks, nnets;
	struct dev_counters disks[PROC_MAX_DEVS];
	struct dev_counters nets[PROC_MAX_DEVS];
};

/* Read every system counter; -errno when /proc/stat cannot be read. */
int proc_sys_read(struct sys_snap *s);
/* One sample: percentages and deltas between a and b, at time t. */
cJSON *proc_sys_sample(const struct sys_snap *a, const struct sys_snap *b, double t);
/* Run summary between the first and the last snapshot. */
cJSON *proc_sys_summary(const struct sys_snap *first, const struct sys_snap *last,
			double mem_used_min_kb, double mem_used_max_kb);
/* MemTotal - MemAvailable of a snapshot, in kB. */
double proc_mem_used_kb(const struct sys_snap *s);

struct task_stat {
	pid_t tid;
	char comm[32];
	char state;
	uint64_t utime_ticks, stime_ticks;
	uint64_t run_ns, wait_ns, timeslices;   /* /proc/PID/task/TID/schedstat */
	uint64_t vol_ctxt, invol_ctxt;
	bool gone;              /* not seen at the last read: figures are the last known */
};

struct task_table {
	int n;
	struct task_stat t[1024];
};

/* Refresh the table with every thread of pid. Returns the number of live
 * threads, 0 when the process is gone. */
int proc_tasks_read(pid_t pid, struct task_table *tt);
/* A number that grows while any thread of the table runs or switches. */
uint64_t proc_tasks_activity(const struct task_table *tt);
/* [{"tid", "comm", "state", "utime_s", "stime_s", "run_s", "wait_s", ...}] */
cJSON *proc_tasks_json(const struct task_table *tt);

#endif
