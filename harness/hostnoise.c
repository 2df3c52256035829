#include "hostnoise.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define PF_KTHREAD_FLAG 0x00200000UL

static void *xrealloc_array(void *p, size_t n, size_t size)
{
	p = realloc(p, (n ? n : 1) * size);
	if (p == NULL)
		abort();
	return p;
}

int hostnoise_parse_pid_stat(const char *text, struct hostnoise_proc *out)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	unsigned long long f[40] = { 0 };
	long long nice = 0;
	size_t len;
	char *end;
	const char *p;
	int field;

	memset(out, 0, sizeof(*out));
	if (open == NULL || close == NULL || close < open)
		return -EINVAL;
	out->pid = (int)strtol(text, &end, 10);
	if (end == text || out->pid <= 0)
		return -EINVAL;
	/* The name may hold spaces and parentheses: it ends at the last ')'. */
	len = (size_t)(close - open - 1);
	if (len >= sizeof(out->comm))
		len = sizeof(out->comm) - 1;
	memcpy(out->comm, open + 1, len);
	out->comm[len] = '\0';
	p = close + 1;
	while (*p == ' ')
		p++;
	if (!isalpha((unsigned char)*p))
		return -EINVAL;
	p++;	/* state: field 3 */
	for (field = 4; field <= 39; field++) {
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '\n')
			break;
		if (field == 19) {
			nice = strtoll(p, &end, 10);
		} else {
			errno = 0;
			f[field] = strtoull(p, &end, 10);
			if (*p == '-')
				f[field] = 0;
		}
		if (end == p)
			return -EINVAL;
		p = end;
	}
	if (field <= 24)
		return -EINVAL;	/* too short to hold starttime and rss */
	out->ppid = (int)f[4];
	out->flags = (unsigned long)f[9];
	out->cpu = f[14] + f[15];
	out->nice = (int)nice;
	out->start = f[22];
	out->rss_kib = (long long)f[24] * (getpagesize() / 1024);
	out->processor = field > 39 ? (int)f[39] : -1;
	return 0;
}

int hostnoise_parse_pid_io(const char *text, unsigned long long *read_bytes, unsigned long long *write_bytes)
{
	const char *r = strstr(text, "\nread_bytes:"), *w = strstr(text, "\nwrite_bytes:");

	if (r == NULL || w == NULL)
		return -EINVAL;
	if (sscanf(r, "\nread_bytes: %llu", read_bytes) != 1 || sscanf(w, "\nwrite_bytes: %llu", write_bytes) != 1)
		return -EINVAL;
	return 0;
}

static int parse_cpu_line(const char *line, struct hostnoise_cpu *c)
{
	unsigned long long v[8] = { 0 };
	const char *p = line;
	char *end;
	int i;

	while (*p && *p != ' ')
		p++;
	for (i = 0; i < 8; i++) {
		v[i] = strtoull(p, &end, 10);
		if (end == p)
			break;
		p = end;
	}
	if (i < 4)
		return -EINVAL;
	/* user nice system idle iowait irq softirq steal: guest time is in user. */
	c->steal = v[7];
	c->busy = v[0] + v[1] + v[2] + v[5] + v[6];
	c->total = c->busy + v[3] + v[4] + v[7];
	return 0;
}

int hostnoise_parse_stat(const char *text, struct hostnoise_cpu *all, struct hostnoise_cpu **cpus, size_t *ncpus)
{
	const char *line = text;
	bool have_all = false;

	*cpus = NULL;
	*ncpus = 0;
	while (line && *line) {
		if (strncmp(line, "cpu ", 4) == 0) {
			if (parse_cpu_line(line, all) < 0)
				goto bad;
			have_all = true;
		} else if (strncmp(line, "cpu", 3) == 0 && isdigit((unsigned char)line[3])) {
			char *end;
			unsigned long n = strtoul(line + 3, &end, 10);
			struct hostnoise_cpu c;

			if (n > 4095 || parse_cpu_line(line, &c) < 0)
				goto bad;
			if (n >= *ncpus) {
				*cpus = xrealloc_array(*cpus, n + 1, sizeof(**cpus));
				memset(*cpus + *ncpus, 0, (n + 1 - *ncpus) * sizeof(**cpus));
				*ncpus = n + 1;
			}
			(*cpus)[n] = c;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (have_all)
		return 0;
bad:
	free(*cpus);
	*cpus = NULL;
	*ncpus = 0;
	return -EINVAL;
}

int hostnoise_parse_meminfo(const char *text, long long *available_kib)
{
	const char *m = strstr(text, "MemAvailable:");

	if (m == NULL || sscanf(m, "MemAvailable: %lld kB", available_kib) != 1)
		return -EINVAL;
	return 0;
}

/* A whole disk, not a partition nor a virtual device: counted once. */
static bool whole_disk(const char *name)
{
	static const char *const virtual[] = { "loop", "ram", "zram", "dm-", "sr", "md", "nbd", "fd" };
	size_t len = strlen(name);

	for (size_t i = 0; i < sizeof(virtual) / sizeof(virtual[0]); i++)
		if (strncmp(name, virtual[i], strlen(virtual[i])) == 0)
			return false;
	if (len == 0)
		return false;
	if (strncmp(name, "nvme", 4) == 0 || strncmp(name, "mmcblk", 6) == 0) {
		const char *p = strrchr(name, 'p');
		return p == NULL || p == name || !isdigit((unsigned char)p[1]);
	}
	return !isdigit((unsigned char)name[len - 1]);
}

int hostnoise_parse_diskstats(const char *text, unsigned long long *read_bytes, unsigned long long *write_bytes)
{
	const char *line = text;

	*read_bytes = *write_bytes = 0;
	while (line && *line) {
		unsigned major, minor;
		unsigned long long rd, rdm, rsec, rms, wr, wrm, wsec;
		char name[64];

		if (sscanf(line, " %u %u %63s %llu %llu %llu %llu %llu %llu %llu", &major, &minor, name, &rd, &rdm,
			   &rsec, &rms, &wr, &wrm, &wsec) == 10) {
			if (whole_disk(name)) {
				*read_bytes += rsec * 512;
				*write_bytes += wsec * 512;
			}
		} else if (*line != '\n') {
			return -EINVAL;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return 0;
}

void hostnoise_qemu_guest(const char *cmdline, size_t len, char *out, size_t outlen)
{
	const char *p = cmdline, *end = cmdline + len;

	out[0] = '\0';
	while (p < end) {
		size_t l = strnlen(p, (size_t)(end - p));
		const char *next = p + l + 1;

		if (strcmp(p, "-name") == 0 && next < end) {
			const char *v = next;
			size_t vl = strnlen(v, (size_t)(end - v)), n;

			if (strncmp(v, "guest=", 6) == 0) {
				v += 6;
				vl -= 6;
			}
			/* The name ends at the first single ',' (",," is a comma in it). */
			n = 0;
			for (size_t i = 0; i < vl && n + 1 < outlen; i++) {
				if (v[i] == ',') {
					if (i + 1 >= vl || v[i + 1] != ',')
						break;
					i++;
				}
				out[n++] = v[i];
			}
			out[n] = '\0';
			return;
		}
		p = next;
	}
}

/* --- the tracker ------------------------------------------------------- */

void hostnoise_track_init(struct hostnoise_track *t, const struct hostnoise_run_ids *ids, unsigned long hz)
{
	memset(t, 0, sizeof(*t));
	t->ids.root = ids->root;
	t->ids.prefix = ids->prefix ? xstrdup(ids->prefix) : NULL;
	t->ids.nnames = ids->nnames;
	t->ids.names = xcalloc(ids->nnames + 1, sizeof(char *));
	for (size_t i = 0; i < ids->nnames; i++)
		t->ids.names[i] = xstrdup(ids->names[i]);
	t->hz = hz ? hz : 100;
}

void hostnoise_snap_free(struct hostnoise_snap *s)
{
	free(s->procs);
	free(s->cpus);
	free(s->freq_khz);
	memset(s, 0, sizeof(*s));
}

void hostnoise_track_free(struct hostnoise_track *t)
{
	hostnoise_snap_free(&t->first);
	hostnoise_snap_free(&t->last);
	free(t->e);
	free(t->freq_min);
	free(t->freq_max);
	free(t->ids.prefix);
	for (size_t i = 0; i < t->ids.nnames; i++)
		free(t->ids.names[i]);
	free(t->ids.names);
	memset(t, 0, sizeof(*t));
}

static int cmp_proc_pid(const void *a, const void *b)
{
	const struct hostnoise_proc *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct hostnoise_entry *x = a, *y = b;

	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	return (x->start > y->start) - (x->start < y->start);
}

static const struct hostnoise_proc *snap_find(const struct hostnoise_snap *s, int pid)
{
	struct hostnoise_proc key = { .pid = pid };
	return bsearch(&key, s->procs, s->nprocs, sizeof(key), cmp_proc_pid);
}

static bool in_harness_tree(const struct hostnoise_snap *s, const struct hostnoise_proc *p, int root)
{
	for (int depth = 0; p && depth < 64; depth++) {
		if (p->pid == root)
			return true;
		if (p->ppid <= 1)
			return false;
		p = snap_find(s, p->ppid);
	}
	return false;
}

static bool run_guest(const struct hostnoise_run_ids *ids, const char *guest)
{
	if (guest[0] == '\0')
		return false;
	if (ids->prefix && ids->prefix[0] && strncmp(guest, ids->prefix, strlen(ids->prefix)) == 0)
		return true;
	for (size_t i = 0; i < ids->nnames; i++)
		if (strcmp(guest, ids->names[i]) == 0)
			return true;
	return false;
}

static bool libvirt_daemon(const char *comm)
{
	static const char *const daemons[] = { "libvirtd", "virtqemud", "virtlogd", "virtlockd", "virtnetworkd",
					       "virtstoraged", "virtnodedevd", "virtsecretd", "virtproxyd",
					       "virtinterfaced", "virtnwfilterd" };

	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++)
		if (strcmp(comm, daemons[i]) == 0)
			return true;
	return false;
}

static enum hostnoise_class classify(const struct hostnoise_track *t, const struct hostnoise_snap *s,
				     const struct hostnoise_proc *p)
{
	if (t->ids.root > 0 && in_harness_tree(s, p, t->ids.root))
		return HN_HARNESS;
	if (run_guest(&t->ids, p->guest))
		return HN_QEMU;
	if ((p->flags & PF_KTHREAD_FLAG) || p->pid == 2 || p->ppid == 2)
		return HN_KTHREAD;
	if (libvirt_daemon(p->comm))
		return HN_DAEMON;
	return HN_OTHER;
}

static double others_rss_change(const struct hostnoise_track *t)
{
	double sum = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct hostnoise_entry *e = &t->e[i];
		if (e->cls == HN_OTHER)
			sum += (double)(e->rss_last - e->rss_first);
	}
	return sum;
}

void hostnoise_track_add(struct hostnoise_track *t, struct hostnoise_snap *s)
{
	bool first = t->samples == 0;
	size_t before = t->n;

	qsort(s->procs, s->nprocs, sizeof(*s->procs), cmp_proc_pid);
	/* A process that is gone keeps its last values; one seen again after
	 * a gap is the same entry (same pid and start). */
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct hostnoise_proc *p = &s->procs[i];
		struct hostnoise_entry key = { .pid = p->pid, .start = p->start }, *e;
		enum hostnoise_class cls = classify(t, s, p);

		e = before ? bsearch(&key, t->e, before, sizeof(key), cmp_entry) : NULL;
		if (e == NULL) {
			if (t->n == t->cap) {
				t->cap = t->cap ? 2 * t->cap : 256;
				t->e = xrealloc_array(t->e, t->cap, sizeof(*t->e));
			}
			e = &t->e[t->n++];
			memset(e, 0, sizeof(*e));
			e->pid = p->pid;
			e->start = p->start;
			e->at_start = first;
			e->cls = cls;
			/* A process born during the run: everything it used is the run's time. */
			e->cpu_first = first ? p->cpu : 0;
			e->rss_first = first ? p->rss_kib : 0;
			e->io_known = p->io_known;
			e->rd_first = first ? p->read_bytes : 0;
			e->wr_first = first ? p->write_bytes : 0;
		}
		/* The run's own stays the run's own (a helper re-parented to init). */
		if (e->cls == HN_OTHER || e->cls == HN_KTHREAD)
			e->cls = cls;
		snprintf(e->comm, sizeof(e->comm), "%s", p->comm);
		e->nice = p->nice;
		e->processor = p->processor;
		e->cpu_last = p->cpu;
		e->rss_last = p->rss_kib;
		if (llabs(e->rss_last - e->rss_first) > e->rss_peak_dev)
			e->rss_peak_dev = llabs(e->rss_last - e->rss_first);
		e->io_known = e->io_known && p->io_known;
		e->rd_last = p->read_bytes;
		e->wr_last = p->write_bytes;
		e->last_sample = t->samples;
	}
	/* A process that ended gave its memory back; its CPU time stays counted. */
	for (size_t i = 0; i < t->n; i++) {
		struct hostnoise_entry *e = &t->e[i];
		if (e->last_sample != t->samples && e->rss_last != 0) {
			e->rss_last = 0;
			if (llabs(e->rss_first) > e->rss_peak_dev)
				e->rss_peak_dev = llabs(e->rss_first);
		}
	}
	if (t->n > before)
		qsort(t->e, t->n, sizeof(*t->e), cmp_entry);
	{
		double change = fabs(others_rss_change(t));
		if (change > t->others_mem_peak_kib)
			t->others_mem_peak_kib = change;
	}
	if (first) {
		t->freq_min = xcalloc(s->ncpus + 1, sizeof(long));
		t->freq_max = xcalloc(s->ncpus + 1, sizeof(long));
		for (size_t c = 0; c < s->ncpus; c++)
			t->freq_min[c] = t->freq_max[c] = -1;
	}
	for (size_t c = 0; s->freq_khz && c < s->ncpus && c < (first ? s->ncpus : t->first.ncpus); c++) {
		long f = s->freq_khz[c];
		if (f <= 0)
			continue;
		if (t->freq_min[c] < 0 || f < t->freq_min[c])
			t->freq_min[c] = f;
		if (f > t->freq_max[c])
			t->freq_max[c] = f;
	}
	/* The per-process list is in the entries; the snapshot keeps the host's counters. */
	free(s->procs);
	s->procs = NULL;
	s->nprocs = 0;
	if (first) {
		t->first = *s;
	} else {
		hostnoise_snap_free(&t->last);
		t->last = *s;
	}
	memset(s, 0, sizeof(*s));
	t->samples++;
}

/* --- the assessment ----------------------------------------------------- */

static double entry_cpu_s(const struct hostnoise_track *t, const struct hostnoise_entry *e)
{
	return e->cpu_last > e->cpu_first ? (double)(e->cpu_last - e->cpu_first) / (double)t->hz : 0;
}

static double mib(double kib)
{
	return round(kib / 1024 * 10) / 10;
}

static double r3(double v)
{
	return round(v * 1000) / 1000;
}

static int cmp_by_cpu(const void *a, const void *b, void *arg)
{
	const struct hostnoise_track *t = arg;
	const struct hostnoise_entry *x = *(struct hostnoise_entry *const *)a, *y = *(struct hostnoise_entry *const *)b;
	double cx = entry_cpu_s(t, x), cy = entry_cpu_s(t, y);

	if (cx != cy)
		return cx < cy ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int cmp_by_mem(const void *a, const void *b)
{
	const struct hostnoise_entry *x = *(struct hostnoise_entry *const *)a, *y = *(struct hostnoise_entry *const *)b;

	if (x->rss_peak_dev != y->rss_peak_dev)
		return x->rss_peak_dev < y->rss_peak_dev ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static cJSON *proc_json(const struct hostnoise_track *t, const struct hostnoise_entry *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "pid", e->pid);
	cJSON_AddStringToObject(o, "name", e->comm);
	cJSON_AddNumberToObject(o, "cpu_s", r3(entry_cpu_s(t, e)));
	cJSON_AddNumberToObject(o, "nice", e->nice);
	cJSON_AddNumberToObject(o, "mem_change_mib", mib((double)(e->rss_last - e->rss_first)));
	cJSON_AddNumberToObject(o, "mem_peak_change_mib", mib((double)e->rss_peak_dev));
	return o;
}

/* "name (pid N, X s)" of the first k of list, for the reason. */
static char *name_list(const struct hostnoise_track *t, struct hostnoise_entry **list, size_t k, bool memory)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < k; i++) {
		/* Only who took part: CPU time, or a MiB of memory and more. */
		if (memory ? list[i]->rss_peak_dev < 1024 : entry_cpu_s(t, list[i]) <= 0)
			break;
		char *more = memory ?
			xasprintf("%s%s%s (pid %d, up to %.0f MiB)", out, i ? ", " : "", list[i]->comm, list[i]->pid,
				  (double)list[i]->rss_peak_dev / 1024) :
			xasprintf("%s%s%s (pid %d, %.2f CPU s)", out, i ? ", " : "", list[i]->comm, list[i]->pid,
				  entry_cpu_s(t, list[i]));
		free(out);
		out = more;
	}
	return out;
}

static unsigned long long delta(unsigned long long a, unsigned long long b)
{
	return b > a ? b - a : 0;
}

cJSON *hostnoise_assess(const struct hostnoise_track *t)
{
	const struct hostnoise_snap *a = &t->first, *b = t->samples > 1 ? &t->last : &t->first;
	double wall = b->t - a->t, cpu[5] = { 0 }, rss[5] = { 0 }, hz = (double)t->hz, *others_on;
	unsigned long long ord = 0, owr = 0;
	size_t nothers = 0, nbusy = 0, nio_unknown = 0, ntop;
	struct hostnoise_entry **by_cpu = xcalloc(t->n + 1, sizeof(*by_cpu)), **by_mem;
	cJSON *o = cJSON_CreateObject(), *x, *arr;
	char *reason = NULL;
	double share, host_busy;

	others_on = xcalloc(a->ncpus + 1, sizeof(double));
	for (size_t i = 0; i < t->n; i++) {
		const struct hostnoise_entry *e = &t->e[i];
		double c = entry_cpu_s(t, e);

		cpu[e->cls] += c;
		rss[e->cls] += (double)(e->rss_last - e->rss_first);
		if (e->cls != HN_OTHER)
			continue;
		by_cpu[nothers++] = (struct hostnoise_entry *)e;
		nbusy += c > 0;
		if (e->processor >= 0 && (size_t)e->processor < a->ncpus)
			others_on[e->processor] += c;
		if (e->io_known) {
			ord += delta(e->rd_first, e->rd_last);
			owr += delta(e->wr_first, e->wr_last);
		} else {
			nio_unknown++;
		}
	}
	by_mem = xcalloc(nothers + 1, sizeof(*by_mem));
	memcpy(by_mem, by_cpu, nothers * sizeof(*by_mem));
	qsort_r(by_cpu, nothers, sizeof(*by_cpu), cmp_by_cpu, (void *)t);
	qsort(by_mem, nothers, sizeof(*by_mem), cmp_by_mem);
	share = wall > 0 ? cpu[HN_OTHER] / wall : 0;
	host_busy = (double)delta(a->all.busy, b->all.busy) / hz;

	cJSON_AddNumberToObject(o, "samples", t->samples);
	cJSON_AddNumberToObject(o, "wall_s", r3(wall));
	x = cJSON_AddObjectToObject(o, "thresholds");
	cJSON_AddNumberToObject(x, "others_cpu_share", HOSTNOISE_CPU_LIMIT);
	cJSON_AddNumberToObject(x, "others_mem_mib", HOSTNOISE_MEM_LIMIT_MIB);

	x = cJSON_AddObjectToObject(o, "others");
	cJSON_AddNumberToObject(x, "cpu_s", r3(cpu[HN_OTHER]));
	cJSON_AddNumberToObject(x, "cpu_share", r3(share));
	cJSON_AddNumberToObject(x, "processes_busy", (double)nbusy);
	cJSON_AddNumberToObject(x, "mem_change_mib", mib(rss[HN_OTHER]));
	cJSON_AddNumberToObject(x, "mem_peak_change_mib", mib(t->others_mem_peak_kib));
	cJSON_AddNumberToObject(x, "io_read_bytes", (double)ord);
	cJSON_AddNumberToObject(x, "io_write_bytes", (double)owr);
	cJSON_AddNumberToObject(x, "io_unreadable_processes", (double)nio_unknown);
	ntop = nothers < 3 ? nothers : 3;
	arr = cJSON_AddArrayToObject(o, "top");
	for (size_t i = 0; i < ntop && entry_cpu_s(t, by_cpu[i]) > 0; i++)
		cJSON_AddItemToArray(arr, proc_json(t, by_cpu[i]));
	arr = cJSON_AddArrayToObject(o, "top_memory");
	for (size_t i = 0; i < ntop && by_mem[i]->rss_peak_dev >= 1024; i++)
		cJSON_AddItemToArray(arr, proc_json(t, by_mem[i]));

	x = cJSON_AddObjectToObject(o, "run");
	cJSON_AddNumberToObject(x, "qemu_cpu_s", r3(cpu[HN_QEMU]));
	cJSON_AddNumberToObject(x, "harness_cpu_s", r3(cpu[HN_HARNESS]));
	cJSON_AddNumberToObject(x, "daemons_cpu_s", r3(cpu[HN_DAEMON]));
	cJSON_AddNumberToObject(x, "qemu_mem_change_mib", mib(rss[HN_QEMU]));
	cJSON_AddNumberToObject(x, "harness_mem_change_mib", mib(rss[HN_HARNESS]));
	{
		cJSON *pids = cJSON_AddArrayToObject(x, "qemu_pids");
		for (size_t i = 0; i < t->n; i++)
			if (t->e[i].cls == HN_QEMU)
				cJSON_AddItemToArray(pids, cJSON_CreateNumber(t->e[i].pid));
	}
	cJSON_AddNumberToObject(o, "kernel_threads_cpu_s", r3(cpu[HN_KTHREAD]));

	x = cJSON_AddObjectToObject(o, "host");
	cJSON_AddNumberToObject(x, "cpus", (double)a->ncpus);
	cJSON_AddNumberToObject(x, "busy_cpu_s", r3(host_busy));
	/* Processes that came and went between two samples, interrupts. */
	cJSON_AddNumberToObject(x, "unattributed_cpu_s",
				r3(fmax(0, host_busy - cpu[HN_OTHER] - cpu[HN_QEMU] - cpu[HN_HARNESS] - cpu[HN_DAEMON] -
					       cpu[HN_KTHREAD])));
	cJSON_AddNumberToObject(x, "steal_s", r3((double)delta(a->all.steal, b->all.steal) / hz));
	if (a->mem_available_kib >= 0 && b->mem_available_kib >= 0) {
		double avail = (double)(b->mem_available_kib - a->mem_available_kib);
		cJSON_AddNumberToObject(x, "mem_available_change_mib", mib(avail));
		/* What the host's available memory lost that the run's processes did not take. */
		cJSON_AddNumberToObject(x, "mem_not_run_mib",
					mib(-avail - rss[HN_QEMU] - rss[HN_HARNESS] - rss[HN_DAEMON]));
	}
	cJSON_AddNumberToObject(x, "disk_read_bytes", (double)delta(a->disk_read_bytes, b->disk_read_bytes));
	cJSON_AddNumberToObject(x, "disk_write_bytes", (double)delta(a->disk_write_bytes, b->disk_write_bytes));

	arr = cJSON_AddArrayToObject(o, "per_cpu");
	for (size_t c = 0; c < a->ncpus && c < b->ncpus; c++) {
		cJSON *pc = cJSON_CreateObject();

		cJSON_AddNumberToObject(pc, "cpu", (double)c);
		cJSON_AddNumberToObject(pc, "busy_s", r3((double)delta(a->cpus[c].busy, b->cpus[c].busy) / hz));
		cJSON_AddNumberToObject(pc, "steal_s", r3((double)delta(a->cpus[c].steal, b->cpus[c].steal) / hz));
		/* By the CPU each process ran on last: an estimate. */
		cJSON_AddNumberToObject(pc, "others_s", r3(others_on[c]));
		if (t->freq_min && t->freq_min[c] > 0) {
			cJSON_AddNumberToObject(pc, "freq_mhz_min", round((double)t->freq_min[c] / 1000));
			cJSON_AddNumberToObject(pc, "freq_mhz_max", round((double)t->freq_max[c] / 1000));
		}
		cJSON_AddItemToArray(arr, pc);
	}

	if (share > HOSTNOISE_CPU_LIMIT) {
		cleanup_free char *names = name_list(t, by_cpu, ntop, false);
		reason = xasprintf("other processes took %.0f%% of a host CPU (limit %.0f%%): %s", 100 * share,
				   100 * HOSTNOISE_CPU_LIMIT, names);
	}
	if (t->others_mem_peak_kib / 1024 > HOSTNOISE_MEM_LIMIT_MIB) {
		cleanup_free char *names = name_list(t, by_mem, ntop, true);
		char *more = xasprintf("%s%sother processes changed their memory by up to %.0f MiB (limit %.0f MiB): %s",
				       reason ? reason : "", reason ? "; " : "", t->others_mem_peak_kib / 1024,
				       HOSTNOISE_MEM_LIMIT_MIB, names);
		free(reason);
		reason = more;
	}
	cJSON_AddBoolToObject(o, "disturbed", reason != NULL);
	if (reason)
		cJSON_AddStringToObject(o, "reason", reason);
	else
		cJSON_AddNullToObject(o, "reason");
	free(reason);
	free(by_cpu);
	free(by_mem);
	free(others_on);
	return o;
}

/* --- sampling this host --------------------------------------------------- */

/* A small /proc file into buf (NUL-terminated); its length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, got = 0;

	if (fd < 0)
		return -1;
	while ((size_t)got < len - 1 && (n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

static char *read_proc(const char *path)
{
	struct herror err = { 0 };
	size_t len;
	return read_text(path, &len, &err);
}

void hostnoise_snap_take(struct hostnoise_snap *s)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t cap = 0;
	char *text;

	memset(s, 0, sizeof(*s));
	s->t = mono_s();
	s->mem_available_kib = -1;
	while (d && (de = readdir(d))) {
		char path[320], buf[4096];
		struct hostnoise_proc p;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if (read_small(path, buf, sizeof(buf)) <= 0 || hostnoise_parse_pid_stat(buf, &p) < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/io", de->d_name);
		p.io_known = read_small(path, buf, sizeof(buf)) > 0 &&
			     hostnoise_parse_pid_io(buf, &p.read_bytes, &p.write_bytes) == 0;
		if (strncmp(p.comm, "qemu", 4) == 0) {
			ssize_t n;
			snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
			n = read_small(path, buf, sizeof(buf));
			if (n > 0)
				hostnoise_qemu_guest(buf, (size_t)n, p.guest, sizeof(p.guest));
		}
		if (s->nprocs == cap) {
			cap = cap ? 2 * cap : 512;
			s->procs = xrealloc_array(s->procs, cap, sizeof(*s->procs));
		}
		s->procs[s->nprocs++] = p;
	}
	if (d)
		closedir(d);
	if ((text = read_proc("/proc/stat"))) {
		hostnoise_parse_stat(text, &s->all, &s->cpus, &s->ncpus);
		free(text);
	}
	if ((text = read_proc("/proc/meminfo"))) {
		if (hostnoise_parse_meminfo(text, &s->mem_available_kib) < 0)
			s->mem_available_kib = -1;
		free(text);
	}
	if ((text = read_proc("/proc/diskstats"))) {
		hostnoise_parse_diskstats(text, &s->disk_read_bytes, &s->disk_write_bytes);
		free(text);
	}
	s->freq_khz = xcalloc(s->ncpus + 1, sizeof(long));
	for (size_t c = 0; c < s->ncpus; c++) {
		char path[96], buf[64];
		long f;

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%zu/cpufreq/scaling_cur_freq", c);
		s->freq_khz[c] = read_small(path, buf, sizeof(buf)) > 0 && parse_long(strtok(buf, "\n"), 1, 1L << 40, &f) == 0 ?
			f : -1;
	}
}

int hostnoise_harness_root(void)
{
	char path[64], buf[4096];
	struct hostnoise_proc self, p;
	int root = getpid();

	snprintf(path, sizeof(path), "/proc/%d/stat", root);
	if (read_small(path, buf, sizeof(buf)) <= 0 || hostnoise_parse_pid_stat(buf, &self) < 0)
		return root;
	p = self;
	for (int depth = 0; depth < 16 && p.ppid > 1; depth++) {
		struct hostnoise_proc parent;

		snprintf(path, sizeof(path), "/proc/%d/stat", p.ppid);
		if (read_small(path, buf, sizeof(buf)) <= 0 || hostnoise_parse_pid_stat(buf, &parent) < 0 ||
		    strcmp(parent.comm, self.comm) != 0)
			break;
		root = parent.pid;
		p = parent;
	}
	return root;
}

struct hostnoise_sampler {
	struct hostnoise_track track;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop, threaded;
	double period_s;
};

static void *sampler_main(void *arg)
{
	struct hostnoise_sampler *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		struct timespec until;
		struct hostnoise_snap snap;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)s->period_s;
		until.tv_nsec += (long)((s->period_s - floor(s->period_s)) * 1e9);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &until) == 0)
			;
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->lock);
		hostnoise_snap_take(&snap);
		pthread_mutex_lock(&s->lock);
		hostnoise_track_add(&s->track, &snap);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct hostnoise_sampler *hostnoise_start(const struct hostnoise_run_ids *ids, double period_s)
{
	struct hostnoise_sampler *s = xcalloc(1, sizeof(*s));
	struct hostnoise_snap snap;
	sigset_t all, old;

	hostnoise_track_init(&s->track, ids, (unsigned long)sysconf(_SC_CLK_TCK));
	s->period_s = period_s > 0.05 ? period_s : HOSTNOISE_PERIOD_S;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	hostnoise_snap_take(&snap);
	hostnoise_track_add(&s->track, &snap);
	/* Signals stay the main thread's: its waits are interrupted by them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	s->threaded = pthread_create(&s->thread, NULL, sampler_main, s) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->threaded)
		hwarn("cannot start the host noise sampler: sampled at start and end only");
	return s;
}

cJSON *hostnoise_stop(struct hostnoise_sampler *s)
{
	struct hostnoise_snap snap;
	cJSON *j;

	if (s == NULL)
		return NULL;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	if (s->threaded)
		pthread_join(s->thread, NULL);
	hostnoise_snap_take(&snap);
	hostnoise_track_add(&s->track, &snap);
	j = hostnoise_assess(&s->track);
	hostnoise_track_free(&s->track);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s);
	return j;
}
