/* proc: read /proc counters with one read() per file; no stdio, since the
 * runner samples at 10 Hz and its own cost is part of what is measured. */
#include "proc.h"
#include "hfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const meminfo_keys[10] = {
	"MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached",
	"AnonPages", "SwapTotal", "SwapFree", "Dirty", "Writeback",
};
static const char *const meminfo_json[10] = {
	"total_kb", "free_kb", "available_kb", "buffers_kb", "cached_kb",
	"anon_kb", "swap_total_kb", "swap_free_kb", "dirty_kb", "writeback_kb",
};
enum { MEM_TOTAL, MEM_FREE, MEM_AVAILABLE };

static const char *next_line(const char *p)
{
	p = strchr(p, '\n');
	return p ? p + 1 : NULL;
}

static void parse_cpu_fields(const char *p, uint64_t out[CPU_NFIELDS])
{
	char *end;

	for (int i = 0; i < CPU_NFIELDS; i++) {
		out[i] = strtoull(p, &end, 10);
		if (end == p)
			out[i] = 0;
		p = end;
	}
}

static void read_stat(struct sys_snap *s, const char *buf)
{
	s->ncpus = 0;
	for (const char *p = buf; p && strncmp(p, "cpu", 3) == 0; p = next_line(p)) {
		if (p[3] == ' ') {
			parse_cpu_fields(p + 4, s->cpu);
		} else {
			char *end;
			long n = strtol(p + 3, &end, 10);
			if (n >= 0 && n < PROC_MAX_CPUS) {
				parse_cpu_fields(end, s->percpu[n]);
				if (n + 1 > s->ncpus)
					s->ncpus = (int)n + 1;
			}
		}
	}
}

static void read_meminfo(struct sys_snap *s, const char *buf)
{
	memset(s->mem_kb, 0, sizeof(s->mem_kb));
	for (const char *p = buf; p; p = next_line(p)) {
		const char *colon = strchr(p, ':');
		if (!colon)
			break;
		for (int i = 0; i < 10; i++) {
			size_t kl = strlen(meminfo_keys[i]);
			if ((size_t)(colon - p) == kl && strncmp(p, meminfo_keys[i], kl) == 0) {
				s->mem_kb[i] = strtoull(colon + 1, NULL, 10);
				break;
			}
		}
	}
}

/* Whole disks only: partitions would count their bytes twice. */
static bool disk_wanted(const char *name)
{
	char path[96];

	if (strncmp(name, "loop", 4) == 0 || strncmp(name, "ram", 3) == 0)
		return false;
	snprintf(path, sizeof(path), "/sys/block/%s", name);
	return access(path, F_OK) == 0;
}

static void read_diskstats(struct sys_snap *s, const char *buf)
{
	/* Cache the filter: disk_wanted costs a syscall per device. */
	static char known[64][32];
	static bool wanted[64];
	static int nknown;

	s->ndisks = 0;
	for (const char *p = buf; p && *p; p = next_line(p)) {
		unsigned major, minor;
		char name[32];
		unsigned long long rd, rdm, rsec, rms, wr, wrm, wsec, wms, inflight, io_ms;
		int k;

		if (sscanf(p, "%u %u %31s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &major, &minor,
			   name, &rd, &rdm, &rsec, &rms, &wr, &wrm, &wsec, &wms, &inflight, &io_ms) != 13)
			continue;
		for (k = 0; k < nknown; k++)
			if (strcmp(known[k], name) == 0)
				break;
		if (k == nknown) {
			if (nknown == 64)
				continue;
			snprintf(known[k], sizeof(known[k]), "%s", name);
			wanted[k] = disk_wanted(name);
			nknown++;
		}
		if (!wanted[k] || s->ndisks == PROC_MAX_DEVS)
			continue;
		struct dev_counters *d = &s->disks[s->ndisks++];
		snprintf(d->name, sizeof(d->name), "%s", name);
		d->v[0] = rd;
		d->v[1] = rsec * 512;
		d->v[2] = wr;
		d->v[3] = wsec * 512;
		d->io_ms = io_ms;
	}
}

static void read_netdev(struct sys_snap *s, const char *buf)
{
	const char *p = next_line(buf);

	s->nnets = 0;
	for (p = p ? next_line(p) : NULL; p && *p && s->nnets < PROC_MAX_DEVS; p = next_line(p)) {
		unsigned long long f[16];
		const char *colon = strchr(p, ':');
		char name[32];
		size_t nl;

		if (!colon)
			continue;
		while (*p == ' ')
			p++;
		nl = (size_t)(colon - p) < sizeof(name) - 1 ? (size_t)(colon - p) : sizeof(name) - 1;
		memcpy(name, p, nl);
		name[nl] = '\0';
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2],
			   &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9]) != 10)
			continue;
		struct dev_counters *d = &s->nets[s->nnets++];
		snprintf(d->name, sizeof(d->name), "%s", name);
		d->v[0] = f[0];
		d->v[1] = f[8];
		d->v[2] = f[1];
		d->v[3] = f[9];
	}
}

int proc_sys_read(struct sys_snap *s)
{
	static char buf[256 * 1024];
	ssize_t n;

	n = read_file_buf("/proc/stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	read_stat(s, buf);
	if (read_file_buf("/proc/meminfo", buf, sizeof(buf)) >= 0)
		read_meminfo(s, buf);
	s->ndisks = 0;
	if (read_file_buf("/proc/diskstats", buf, sizeof(buf)) >= 0)
		read_diskstats(s, buf);
	s->nnets = 0;
	if (read_file_buf("/proc/net/dev", buf, sizeof(buf)) >= 0)
		read_netdev(s, buf);
	return 0;
}

double proc_mem_used_kb(const struct sys_snap *s)
{
	return (double)s->mem_kb[MEM_TOTAL] - (double)s->mem_kb[MEM_AVAILABLE];
}

static const char *const cpu_names[CPU_NFIELDS] = {
	"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
};

static void cpu_pcts(cJSON *o, const uint64_t *a, const uint64_t *b)
{
	uint64_t total = 0;
	double d[CPU_NFIELDS];

	for (int i = 0; i < CPU_NFIELDS; i++) {
		d[i] = b[i] >= a[i] ? (double)(b[i] - a[i]) : 0;
		total += (uint64_t)d[i];
	}
	for (int i = 0; i < CPU_NFIELDS; i++)
		cJSON_AddNumberToObject(o, cpu_names[i], total ? 100.0 * d[i] / (double)total : 0);
}

static double busy_pct(const uint64_t *a, const uint64_t *b, double *steal)
{
	double total = 0, idle;

	for (int i = 0; i < CPU_NFIELDS; i++)
		total += (double)(b[i] - a[i]);
	idle = (double)(b[CPU_IDLE] - a[CPU_IDLE]) + (double)(b[CPU_IOWAIT] - a[CPU_IOWAIT]);
	if (steal)
		*steal = total > 0 ? 100.0 * (double)(b[CPU_STEAL] - a[CPU_STEAL]) / total : 0;
	/* Steal is time the vCPU wanted to run but did not: not busy. */
	return total > 0 ? 100.0 * (total - idle - (double)(b[CPU_STEAL] - a[CPU_STEAL])) / total : 0;
}

static const struct dev_counters *find_dev(const struct dev_counters *devs, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(devs[i].name, name) == 0)
			return &devs[i];
	return NULL;
}

static void dev_deltas(cJSON *o, const struct dev_counters *a, int na, const struct dev_counters *b, int nb,
		       const char *const keys[4], bool disk, bool skip_lo)
{
	double sum[4] = { 0 }, io_ms = 0;

	for (int i = 0; i < nb; i++) {
		const struct dev_counters *pa = find_dev(a, na, b[i].name);
		if (!pa || (skip_lo && strcmp(b[i].name, "lo") == 0))
			continue;
		for (int k = 0; k < 4; k++)
			sum[k] += b[i].v[k] >= pa->v[k] ? (double)(b[i].v[k] - pa->v[k]) : 0;
		io_ms += b[i].io_ms >= pa->io_ms ? (double)(b[i].io_ms - pa->io_ms) : 0;
	}
	for (int k = 0; k < 4; k++)
		cJSON_AddNumberToObject(o, keys[k], sum[k]);
	if (disk)
		cJSON_AddNumberToObject(o, "io_ms", io_ms);
}

static const char *const disk_keys[4] = { "reads", "read_bytes", "writes", "write_bytes" };
static const char *const net_keys[4] = { "rx_bytes", "tx_bytes", "rx_packets", "tx_packets" };

cJSON *proc_sys_sample(const struct sys_snap *a, const struct sys_snap *b, double t)
{
	cJSON *o = cJSON_CreateObject(), *x;

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "t", t);
	x = cJSON_AddObjectToObject(o, "cpu");
	if (x)
		cpu_pcts(x, a->cpu, b->cpu);
	x = cJSON_AddObjectToObject(o, "mem");
	for (int i = 0; x && i < 10; i++)
		cJSON_AddNumberToObject(x, meminfo_json[i], (double)b->mem_kb[i]);
	if (x)
		cJSON_AddNumberToObject(x, "used_kb", proc_mem_used_kb(b));
	x = cJSON_AddObjectToObject(o, "disk");
	if (x)
		dev_deltas(x, a->disks, a->ndisks, b->disks, b->ndisks, disk_keys, true, false);
	x = cJSON_AddObjectToObject(o, "net");
	if (x)
		dev_deltas(x, a->nets, a->nnets, b->nets, b->nnets, net_keys, false, true);
	return o;
}

cJSON *proc_sys_summary(const struct sys_snap *first, const struct sys_snap *last,
			double mem_used_min_kb, double mem_used_max_kb)
{
	cJSON *o = cJSON_CreateObject(), *cpu, *arr, *x;
	double steal;

	if (!o)
		return NULL;
	cpu = cJSON_AddObjectToObject(o, "cpu");
	if (cpu) {
		cpu_pcts(cpu, first->cpu, last->cpu);
		cJSON_AddNumberToObject(cpu, "busy_pct", busy_pct(first->cpu, last->cpu, &steal));
		cJSON_AddNumberToObject(cpu, "steal_pct", steal);
		arr = cJSON_AddArrayToObject(cpu, "per_cpu");
		for (int i = 0; arr && i < last->ncpus && i < first->ncpus; i++) {
			x = cJSON_CreateObject();
			if (!x)
				break;
			cJSON_AddNumberToObject(x, "cpu", i);
			cJSON_AddNumberToObject(x, "busy_pct", busy_pct(first->percpu[i], last->percpu[i], &steal));
			cJSON_AddNumberToObject(x, "steal_pct", steal);
			cJSON_AddItemToArray(arr, x);
		}
	}
	x = cJSON_AddObjectToObject(o, "mem");
	if (x) {
		cJSON_AddNumberToObject(x, "total_kb", (double)last->mem_kb[MEM_TOTAL]);
		cJSON_AddNumberToObject(x, "used_min_kb", mem_used_min_kb);
		cJSON_AddNumberToObject(x, "used_max_kb", mem_used_max_kb);
	}
	arr = cJSON_AddArrayToObject(o, "disk");
	for (int i = 0; arr && i < last->ndisks; i++) {
		const struct dev_counters *pa = find_dev(first->disks, first->ndisks, last->disks[i].name);
		if (!pa || !(x = cJSON_CreateObject()))
			continue;
		cJSON_AddStringToObject(x, "device", last->disks[i].name);
		dev_deltas(x, pa, 1, &last->disks[i], 1, disk_keys, true, false);
		cJSON_AddItemToArray(arr, x);
	}
	arr = cJSON_AddArrayToObject(o, "net");
	for (int i = 0; arr && i < last->nnets; i++) {
		const struct dev_counters *pa = find_dev(first->nets, first->nnets, last->nets[i].name);
		if (!pa || !(x = cJSON_CreateObject()))
			continue;
		cJSON_AddStringToObject(x, "interface", last->nets[i].name);
		dev_deltas(x, pa, 1, &last->nets[i], 1, net_keys, false, false);
		cJSON_AddItemToArray(arr, x);
	}
	return o;
}

static struct task_stat *task_slot(struct task_table *tt, pid_t tid)
{
	for (int i = 0; i < tt->n; i++)
		if (tt->t[i].tid == tid)
			return &tt->t[i];
	if (tt->n == (int)(sizeof(tt->t) / sizeof(tt->t[0])))
		return NULL;
	memset(&tt->t[tt->n], 0, sizeof(tt->t[0]));
	tt->t[tt->n].tid = tid;
	return &tt->t[tt->n++];
}

static int read_task(pid_t pid, pid_t tid, struct task_stat *ts)
{
	char path[96], buf[4096];
	const char *p, *open_paren, *close_paren;
	unsigned long long ut, st;
	char state;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	if (read_file_buf(path, buf, sizeof(buf)) < 0)
		return -ENOENT;
	/* comm may hold spaces and parentheses: the last ')' ends it. */
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren)
		return -EINVAL;
	{
		size_t n = (size_t)(close_paren - open_paren - 1);
		if (n >= sizeof(ts->comm))
			n = sizeof(ts->comm) - 1;
		memcpy(ts->comm, open_paren + 1, n);
		ts->comm[n] = '\0';
	}
	/* fields after comm: state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
	if (sscanf(close_paren + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &state, &ut, &st) != 3)
		return -EINVAL;
	ts->state = state;
	ts->utime_ticks = ut;
	ts->stime_ticks = st;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	if (read_file_buf(path, buf, sizeof(buf)) >= 0) {
		unsigned long long run, wait, slices;
		if (sscanf(buf, "%llu %llu %llu", &run, &wait, &slices) == 3) {
			ts->run_ns = run;
			ts->wait_ns = wait;
			ts->timeslices = slices;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	if (read_file_buf(path, buf, sizeof(buf)) >= 0) {
		p = strstr(buf, "\nvoluntary_ctxt_switches:");
		if (p)
			ts->vol_ctxt = strtoull(p + 25, NULL, 10);
		p = strstr(buf, "\nnonvoluntary_ctxt_switches:");
		if (p)
			ts->invol_ctxt = strtoull(p + 28, NULL, 10);
	}
	return 0;
}

int proc_tasks_read(pid_t pid, struct task_table *tt)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	int live = 0;

	for (int i = 0; i < tt->n; i++)
		tt->t[i].gone = true;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct task_stat *ts;
		pid_t tid;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		tid = (pid_t)atoi(de->d_name);
		ts = task_slot(tt, tid);
		if (!ts)
			continue;
		if (read_task(pid, tid, ts) == 0) {
			ts->gone = false;
			if (ts->state != 'Z')
				live++;
		}
	}
	closedir(d);
	return live;
}

uint64_t proc_tasks_activity(const struct task_table *tt)
{
	uint64_t sum = 0;

	for (int i = 0; i < tt->n; i++)
		sum += tt->t[i].run_ns + (tt->t[i].utime_ticks + tt->t[i].stime_ticks) +
		       tt->t[i].vol_ctxt + tt->t[i].invol_ctxt;
	return sum;
}

cJSON *proc_tasks_json(const struct task_table *tt)
{
	cJSON *arr = cJSON_CreateArray();
	double hz = (double)sysconf(_SC_CLK_TCK);

	for (int i = 0; arr && i < tt->n; i++) {
		const struct task_stat *ts = &tt->t[i];
		cJSON *o = cJSON_CreateObject();
		char state[2] = { ts->state ? ts->state : '?', '\0' };

		if (!o)
			break;
		cJSON_AddNumberToObject(o, "tid", ts->tid);
		cJSON_AddStringToObject(o, "comm", ts->comm);
		cJSON_AddStringToObject(o, "state", state);
		cJSON_AddNumberToObject(o, "utime_s", (double)ts->utime_ticks / hz);
		cJSON_AddNumberToObject(o, "stime_s", (double)ts->stime_ticks / hz);
		cJSON_AddNumberToObject(o, "run_s", (double)ts->run_ns / 1e9);
		cJSON_AddNumberToObject(o, "runqueue_wait_s", (double)ts->wait_ns / 1e9);
		cJSON_AddNumberToObject(o, "timeslices", (double)ts->timeslices);
		cJSON_AddNumberToObject(o, "voluntary_ctxt_switches", (double)ts->vol_ctxt);
		cJSON_AddNumberToObject(o, "nonvoluntary_ctxt_switches", (double)ts->invol_ctxt);
		cJSON_AddBoolToObject(o, "exited", ts->gone);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}
