/* memory: the host's view of each guest's memory over its life, sampled at a
 * fixed rate by a host-side thread (QEMU's resident set, the balloon's
 * statistics, the host's available memory), beside the guest's own view (the
 * runner's MemTotal/used), through phases: baseline, start, idle, pressure
 * (memory_hog), balloon (a lower target), release (the target back to the
 * guest's memory), shutdown and reclaim. */
#include <errno.h>
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "doc.h"
#include "experiment.h"
#include "guestrun.h"
#include "memseries.h"
#include "progress.h"
#include "provision.h"
#include "theory.h"
#include "virt.h"

#define MEM_SAMPLE_HZ 5.0
#define MEM_MAX_GUESTS 8
#define BASELINE_S 2.0
#define RECLAIM_S 3.0
#define SHUTDOWN_TIMEOUT_S 90.0
/* The balloon is at its target when within this much of it (MiB). */
#define BALLOON_TOL_MIB 8.0
/* How far what the host got back may be from what the QEMU processes held
 * (theory.h, MiB). Both sides count the same kinds of memory (anonymous,
 * shared, page tables), so what is left is what no process holds: files on
 * a tmpfs written by others, anonymous pages two processes share, and
 * under KVM memory the kernel keeps for the guest, hence 8 MiB under TCG
 * and 16 under KVM. The noise: what other processes' churn leaves
 * unattributed over the seconds of a shutdown; 0.05 MiB of 1827 in the run
 * named, 2 MiB assumed until more runs say otherwise. */
static const struct tolerance_src reclaim_tol = {
	.accel_kvm = 16, .accel_tcg = 8, .aa_sd = 2, .aa_duration_s = 0,
	.aa_from = "memory defaults, 2 guests of 1024 MiB, one run under TCG on a 2-CPU host, 2026-12-07: 0.05 MiB "
		   "unattributed of 1827 MiB held",
};

extern const struct experiment exp_memory_info;

/* The host-side series of one guest, in the order of the record's keys. */
static const char *const guest_cols[] = {
	"qemu_rss_mib", "actual_mib", "balloon_mib", "rss_mib", "unused_mib", "available_mib",
	"usable_mib", "disk_caches_mib", "major_faults", "minor_faults",
};
#define NGUEST_COLS (sizeof(guest_cols) / sizeof(guest_cols[0]))
static const char *const host_cols[] = { "mem_available_mib" };

struct sampler {
	virConnectPtr conn;
	size_t n;
	char *names[MEM_MAX_GUESTS];		/* libvirt domain names */
	double max_mib[MEM_MAX_GUESTS];		/* the guests' memory */
	virDomainPtr dom[MEM_MAX_GUESTS];	/* the sampler's own handles */
	int pid[MEM_MAX_GUESTS];		/* QEMU's, once known */
	bool pid_seen[MEM_MAX_GUESTS];
	struct mem_series host, guest[MEM_MAX_GUESTS];
	double t0;
	atomic_bool stop;
};

static double host_mem_available_mib(void)
{
	char buf[8192];
	unsigned long long kib;

	if (read_file_buf("/proc/meminfo", buf, sizeof(buf)) <= 0 ||
	    proc_kib_field(buf, "MemAvailable", &kib) < 0)
		return NAN;
	return (double)kib / 1024.0;
}

/* The host's memory by kind (/proc/meminfo), KiB, for the record's
 * account of what moved besides the guests' processes. */
static const char *const meminfo_keys[] = {
	"MemAvailable", "MemFree", "AnonPages", "Shmem", "PageTables", "KernelStack", "Slab", "Cached", "Mapped",
};
#define NMEMINFO (sizeof(meminfo_keys) / sizeof(meminfo_keys[0]))

static void host_meminfo_kib(double *v)
{
	char buf[8192];
	unsigned long long kib;
	bool ok = read_file_buf("/proc/meminfo", buf, sizeof(buf)) > 0;

	for (size_t i = 0; i < NMEMINFO; i++)
		v[i] = ok && proc_kib_field(buf, meminfo_keys[i], &kib) == 0 ? (double)kib : NAN;
}

static double qemu_rss_mib(int pid)
{
	char path[64], buf[4096];
	unsigned long long kib;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_file_buf(path, buf, sizeof(buf)) <= 0 || proc_kib_field(buf, "VmRSS", &kib) < 0)
		return NAN;
	return (double)kib / 1024.0;
}

/* What a QEMU process holds that its exit gives back, KiB: its private and
 * shared-memory pages by proportional set (smaps_rollup), else by resident
 * set (status), plus its page tables. rss and pss for the record; NaN when
 * the process is gone. */
static double qemu_held_kib(int pid, double *rss, double *pss)
{
	char path[64], buf[8192];
	unsigned long long anon = 0, shmem = 0, pte = 0, v = 0;
	double held = NAN;

	*rss = *pss = NAN;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_file_buf(path, buf, sizeof(buf)) <= 0)
		return NAN;
	if (proc_kib_field(buf, "VmRSS", &v) == 0)
		*rss = (double)v;
	if (proc_kib_field(buf, "VmPTE", &pte) < 0)
		pte = 0;
	if (proc_kib_field(buf, "RssAnon", &anon) == 0 && proc_kib_field(buf, "RssShmem", &shmem) == 0)
		held = (double)(anon + shmem + pte);
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	if (read_file_buf(path, buf, sizeof(buf)) > 0) {
		if (proc_kib_field(buf, "Pss", &v) == 0)
			*pss = (double)v;
		if (proc_kib_field(buf, "Pss_Anon", &anon) == 0 && proc_kib_field(buf, "Pss_Shmem", &shmem) == 0)
			held = (double)(anon + shmem + pte);
	}
	return held;
}

/* The same for every other process on the host (not in skip): their
 * allocations and frees, KiB (resident anonymous and shared memory, page
 * tables). A process that comes or goes in between counts as its change. */
static double others_held_kib(const int *skip, size_t nskip)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	double sum = 0;

	if (d == NULL)
		return NAN;
	while ((e = readdir(d)) != NULL) {
		char path[300], buf[8192];
		unsigned long long anon, shmem, pte;
		long pid;
		bool mine = false;

		if (parse_long(e->d_name, 1, 1L << 30, &pid) < 0)
			continue;
		for (size_t i = 0; i < nskip; i++)
			mine |= skip[i] == pid;
		snprintf(path, sizeof(path), "/proc/%ld/status", pid);
		if (mine || read_file_buf(path, buf, sizeof(buf)) <= 0)
			continue;
		if (proc_kib_field(buf, "RssAnon", &anon) < 0)
			continue;	/* a kernel thread, or gone */
		if (proc_kib_field(buf, "RssShmem", &shmem) < 0)
			shmem = 0;
		if (proc_kib_field(buf, "VmPTE", &pte) < 0)
			pte = 0;
		sum += (double)(anon + shmem + pte);
	}
	closedir(d);
	return sum;
}

static void sample_guest(struct sampler *s, size_t i, double *v)
{
	virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
	int n;

	for (size_t c = 0; c < NGUEST_COLS; c++)
		v[c] = NAN;
	if (s->dom[i] == NULL) {
		/* Not started yet, or gone: look again, quietly. */
		s->dom[i] = virDomainLookupByName(s->conn, s->names[i]);
		if (s->dom[i] == NULL)
			return;
	}
	if (virDomainIsActive(s->dom[i]) != 1) {
		virDomainFree(s->dom[i]);
		s->dom[i] = NULL;
		return;
	}
	if (s->pid[i] <= 0 && !s->pid_seen[i]) {
		struct herror err = { 0 };
		int pid = virt_domain_qemu_pid(s->dom[i], &err);
		if (pid > 0) {
			s->pid[i] = pid;
			s->pid_seen[i] = true;
		}
	}
	if (s->pid[i] > 0)
		v[0] = qemu_rss_mib(s->pid[i]);
	n = virDomainMemoryStats(s->dom[i], st, VIR_DOMAIN_MEMORY_STAT_NR, 0);
	for (int k = 0; k < n; k++) {
		double mib = (double)st[k].val / 1024.0;
		switch (st[k].tag) {
		case VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON:
			v[1] = mib;
			v[2] = s->max_mib[i] - mib;
			break;
		case VIR_DOMAIN_MEMORY_STAT_RSS: v[3] = mib; break;
		case VIR_DOMAIN_MEMORY_STAT_UNUSED: v[4] = mib; break;
		case VIR_DOMAIN_MEMORY_STAT_AVAILABLE: v[5] = mib; break;
		case VIR_DOMAIN_MEMORY_STAT_USABLE: v[6] = mib; break;
		case VIR_DOMAIN_MEMORY_STAT_DISK_CACHES: v[7] = mib; break;
		case VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT: v[8] = (double)st[k].val; break;
		case VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT: v[9] = (double)st[k].val; break;
		default: break;
		}
	}
}

/* The sampler thread: every 1/MEM_SAMPLE_HZ s, the host and every guest,
 * on the experiment's clock (absolute deadlines, so the rate holds). */
static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	double next = mono_s();

	while (!atomic_load(&s->stop)) {
		double t = mono_s() - s->t0, hv = host_mem_available_mib(), gv[NGUEST_COLS];

		mem_series_push(&s->host, t, &hv);
		for (size_t i = 0; i < s->n; i++) {
			sample_guest(s, i, gv);
			mem_series_push(&s->guest[i], t, gv);
		}
		next += 1.0 / MEM_SAMPLE_HZ;
		double wait = next - mono_s();
		if (wait > 0)
			usleep((useconds_t)(wait * 1e6));
		else
			next = mono_s();
	}
	return NULL;
}

struct phases {
	cJSON *list;	/* [{"name", "t"}] */
	double t0;
};

static double mark(struct phases *p, const char *name)
{
	double t = mono_s() - p->t0;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "t", round(t * 1000) / 1000);
	cJSON_AddItemToArray(p->list, o);
	progress_note("memory: %s at %.1f s", name, t);
	return t;
}

/* The runner in every guest for one phase (length_s): memory_hog to the
 * pressure target, or holding 1 MiB; its samples give the guest's view. */
static cJSON *phase_spec(const char *phase, double length_s, long pressure_mib)
{
	cJSON *spec = cJSON_CreateObject(), *wl;
	char len[32], target[32];

	snprintf(len, sizeof(len), "%g", length_s);
	cJSON_AddStringToObject(spec, "experiment", exp_memory_info.name);
	cJSON_AddNumberToObject(spec, "duration_s", length_s);
	cJSON_AddNumberToObject(spec, "sample_hz", MEM_SAMPLE_HZ);
	/* The phases without pressure hold 1 MiB: the runner needs a workload
	 * that prints its document, and this one barely touches memory. */
	snprintf(target, sizeof(target), "%ldm", pressure_mib > 0 ? pressure_mib : 1);
	wl = guestrun_workload(spec, pressure_mib > 0 ? "memory_hog" : phase, "memory_hog",
			       (const char *const[]){ "--target", target, "--step", "16m", "--step-ms", "50",
						      "--duration", len, NULL });
	/* Holding memory makes no progress, by design. */
	cJSON_AddNumberToObject(wl, "stall_timeout_s", 0);
	return spec;
}

struct guest_view {
	struct mem_series s;	/* t on the experiment's clock: total_mib, used_mib, available_mib */
	cJSON *errors;
	cJSON *hog;		/* memory_hog's totals */
};

static const char *const view_cols[] = { "total_mib", "used_mib", "available_mib" };

/* Start the phase's runner in every guest; t_start[i] is when (the
 * experiment's clock), to place the runner's samples on the host's axis. */
static int phase_start(struct provision *pv, cJSON *spec, int *pids, double *t_start, double t0, struct herror *err)
{
	cleanup_free char *text = cJSON_PrintUnformatted(spec);
	const char *argv[] = { "-", NULL };

	for (size_t i = 0; i < pv->nguests; i++) {
		t_start[i] = mono_s() - t0;
		pids[i] = agent_exec_start(pv->guests[i].dom, GUESTRUN_RUNNER, argv, text, err);
		if (pids[i] < 0)
			return pids[i];
	}
	return 0;
}

static int phase_finish(struct provision *pv, const int *pids, const double *t_start, double timeout_s,
			struct guest_view *views, struct herror *err)
{
	int r = 0;

	for (size_t i = 0; i < pv->nguests; i++) {
		struct agent_exec_result res = { 0 };
		struct herror e = { 0 };
		cJSON *doc, *smp, *hog;

		if (agent_exec_wait(pv->guests[i].dom, pids[i], timeout_s, &res, &e) < 0) {
			r = error_setx(err, e.status, "%s", e.msg);
			continue;
		}
		doc = res.out ? cJSON_Parse(res.out) : NULL;
		if (doc == NULL) {
			r = error_setx(err, EIO, "the runner in '%s' printed no JSON (exit %d): %.300s",
				       pv->guests[i].dom_name, res.exit_code, res.err_text ? res.err_text : "");
			agent_exec_result_free(&res);
			continue;
		}
		cJSON_ArrayForEach(smp, cJSON_GetObjectItemCaseSensitive(doc, "samples")) {
			double t = guestrun_num(smp, (const char *const[]){ "t", NULL });
			double v[3] = {
				guestrun_num(smp, (const char *const[]){ "mem", "total_kb", NULL }) / 1024.0,
				guestrun_num(smp, (const char *const[]){ "mem", "used_kb", NULL }) / 1024.0,
				guestrun_num(smp, (const char *const[]){ "mem", "available_kb", NULL }) / 1024.0,
			};
			if (isfinite(t))
				mem_series_push(&views[i].s, t_start[i] + t, v);
		}
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "ok"))) {
			cJSON *e2 = cJSON_GetObjectItemCaseSensitive(doc, "errors");
			cleanup_free char *et = e2 ? cJSON_PrintUnformatted(e2) : xstrdup("[]");
			cJSON_AddItemToArray(views[i].errors, cJSON_CreateString(et));
			r = error_setx(err, EIO, "the runner in '%s' reported failure: %.300s", pv->guests[i].dom_name, et);
		}
		hog = cJSON_GetObjectItemCaseSensitive(guestrun_doc_workload(doc, "memory_hog"), "output");
		hog = cJSON_GetObjectItemCaseSensitive(hog, "totals");
		if (hog && views[i].hog == NULL)
			views[i].hog = cJSON_Duplicate(hog, 1);
		cJSON_Delete(doc);
		agent_exec_result_free(&res);
	}
	return r;
}

static int set_balloon(struct provision *pv, double pct, struct herror *err)
{
	for (size_t i = 0; i < pv->nguests; i++) {
		struct guest *g = &pv->guests[i];
		unsigned long kib = (unsigned long)((double)g->def->memory_mib * 1024.0 * pct / 100.0);
		if (virDomainSetMemoryFlags(g->dom, kib, VIR_DOMAIN_AFFECT_LIVE) < 0)
			return error_setx(err, EIO, "cannot set the balloon target of '%s' to %lu KiB: %s", g->dom_name,
					  kib, virt_last_error());
	}
	return 0;
}

/* One phase: the runner in every guest for length_s; a balloon target (pct
 * of each guest's memory, 0: none) set right after the runners start. */
static int run_phase(const struct exp_run *x, struct phases *ph, const char *name, double length_s,
		     long pressure_mib, double balloon_pct, struct guest_view *views, double *t_mark,
		     struct herror *err)
{
	struct provision *pv = x->pv;
	cJSON *spec = phase_spec(name, length_s, pressure_mib);
	int pids[MEM_MAX_GUESTS];
	double t_start[MEM_MAX_GUESTS];
	int r;

	*t_mark = mark(ph, name);
	r = phase_start(pv, spec, pids, t_start, ph->t0, err);
	cJSON_Delete(spec);
	if (r < 0)
		return r;
	if (balloon_pct > 0 && set_balloon(pv, balloon_pct, err) < 0)
		return -err->status;
	return phase_finish(pv, pids, t_start, length_s + 60, views, err);
}

/* Shut every guest down and wait until its domain is gone
 * (transient domains vanish on power-off); destroy what does not go. */
static void shutdown_guests(struct provision *pv, cJSON *gl)
{
	double t0 = mono_s();

	/* The guest agent first (a trimmed guest may not act on the ACPI
	 * power button), then ACPI. */
	for (size_t i = 0; i < pv->nguests; i++)
		virDomainShutdownFlags(pv->guests[i].dom,
				       VIR_DOMAIN_SHUTDOWN_GUEST_AGENT | VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
	for (size_t i = 0; i < pv->nguests; i++) {
		struct guest *g = &pv->guests[i];
		cJSON *o = cJSON_GetArrayItem(gl, (int)i);
		bool forced = false;

		while (virDomainIsActive(g->dom) == 1) {
			if (mono_s() - t0 > SHUTDOWN_TIMEOUT_S) {
				virDomainDestroy(g->dom);
				forced = true;
				break;
			}
			if (!sleep_unless_stopped(0.2))
				break;
		}
		cJSON_AddNumberToObject(o, "shutdown_s", round((mono_s() - t0) * 1000) / 1000);
		cJSON_AddBoolToObject(o, "shutdown_forced", forced);
	}
}

static double mean_between(const struct mem_series *s, const double *v, double a, double b)
{
	double sum = 0;
	size_t n = 0;

	for (size_t k = 0; k < s->n; k++)
		if (s->t[k] >= a && s->t[k] <= b && isfinite(v[k])) {
			sum += v[k];
			n++;
		}
	return n ? sum / (double)n : NAN;
}

static double min_between(const struct mem_series *s, const double *v, double a, double b)
{
	double m = NAN;

	for (size_t k = 0; k < s->n; k++)
		if (s->t[k] >= a && s->t[k] <= b && isfinite(v[k]) && !(v[k] >= m))
			m = v[k];
	return m;
}

static double max_between(const struct mem_series *s, const double *v, double a, double b)
{
	double m = NAN;

	for (size_t k = 0; k < s->n; k++)
		if (s->t[k] >= a && s->t[k] <= b && isfinite(v[k]) && !(v[k] <= m))
			m = v[k];
	return m;
}

static void add_reach(cJSON *o, const char *key, const struct mem_series *s, double t_set, double t_end,
		      double target_mib, double bound_s)
{
	struct balloon_reach br;
	cJSON *b = cJSON_AddObjectToObject(o, key);

	balloon_reach(s->t, mem_series_column(s, "actual_mib"), s->n, t_set, t_end, target_mib, BALLOON_TOL_MIB, &br);
	cJSON_AddNumberToObject(b, "target_mib", target_mib);
	cJSON_AddNumberToObject(b, "tolerance_mib", BALLOON_TOL_MIB);
	cJSON_AddNumberToObject(b, "bound_s", bound_s);
	cJSON_AddBoolToObject(b, "reached", br.reached && br.time_to_target_s <= bound_s);
	cJSON_AddNumberToObject(b, "expected_error_mib", 0);
	cJSON_AddItemToObject(b, "time_to_target_s", guestrun_num_or_null(br.time_to_target_s));
	cJSON_AddItemToObject(b, "final_error_mib", guestrun_num_or_null(br.final_error));
	cJSON_AddNumberToObject(b, "samples", (double)br.samples);
}

static int memory_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	struct provision *pv = x->pv;
	struct sampler s = { .conn = pv->conn };
	struct guest_view views[MEM_MAX_GUESTS];
	struct phases ph;
	double D = x->def->duration_s, t_base = 0, t_idle = 0, t_press = 0, t_bal = 0, t_rel = 0, t_shut = 0,
	       t_recl = 0, t_end = 0;
	/* The reclaim by attribution (KiB): before the shutdown, after the reclaim phase. */
	double held[MEM_MAX_GUESTS], held_rss[MEM_MAX_GUESTS], held_pss[MEM_MAX_GUESTS], held_sum = 0;
	double avail_before = NAN, avail_after = NAN, others_before = NAN, others_after = NAN;
	double mi_before[NMEMINFO], mi_after[NMEMINFO];
	int qpid[MEM_MAX_GUESTS] = { 0 };
	double idle_s = fmax(2, D * 0.15), press_s = fmax(5, D * 0.4), bal_s = fmax(8, D * 0.3);
	long pressure_mib = 0, balloon_pct = 0;
	pthread_t th;
	cJSON *gl = NULL, *m, *rc;
	int r = 0;

	if (parse_long(exp_setting_value(x, "pressure_mib"), 16, 1 << 20, &pressure_mib) < 0 ||
	    parse_long(exp_setting_value(x, "balloon_pct"), 10, 100, &balloon_pct) < 0)
		return error_setx(err, EINVAL, "bad pressure_mib or balloon_pct");
	if (pv->nguests > MEM_MAX_GUESTS)
		return error_setx(err, EINVAL, "memory supports at most %d guests", MEM_MAX_GUESTS);

	/* The sampler knows the guests by domain name before they exist, so
	 * that it sees them from their start. */
	s.n = pv->nguests;
	mem_series_init(&s.host, host_cols, 1);
	for (size_t i = 0; i < s.n; i++) {
		s.names[i] = xasprintf("%s-%s", pv->pool_name, pv->guests[i].def->name);
		s.max_mib[i] = pv->guests[i].def->memory_mib;
		mem_series_init(&s.guest[i], guest_cols, NGUEST_COLS);
		mem_series_init(&views[i].s, view_cols, 3);
		views[i].errors = cJSON_CreateArray();
		views[i].hog = NULL;
	}
	ph.list = cJSON_CreateArray();
	s.t0 = ph.t0 = mono_s();
	if (pthread_create(&th, NULL, sampler_main, &s) != 0) {
		r = error_setx(err, EAGAIN, "cannot start the memory sampler thread");
		goto out_nothread;
	}

	t_base = mark(&ph, "baseline");
	sleep_unless_stopped(BASELINE_S);
	mark(&ph, "start");
	/* A cold boot: the experiment follows the guest's memory from its
	 * start, and the sampler knows the domain by its run name before it
	 * exists (a restored guest keeps its saved state's name: libvirt
	 * refuses another on a restore, savestate.c). */
	pv->start = PROVISION_START_COLD;
	r = provision_up(pv, true, err);
	pv->start = PROVISION_START_AUTO;
	if (r < 0)
		goto out;
	if ((r = run_phase(x, &ph, "idle", idle_s, 0, 0, views, &t_idle, err)) < 0 ||
	    (r = run_phase(x, &ph, "pressure", press_s, pressure_mib, 0, views, &t_press, err)) < 0 ||
	    (r = run_phase(x, &ph, "balloon", bal_s, 0, (double)balloon_pct, views, &t_bal, err)) < 0 ||
	    (r = run_phase(x, &ph, "release", bal_s, 0, 100, views, &t_rel, err)) < 0)
		goto out;
	t_shut = mark(&ph, "shutdown");
	gl = cJSON_AddArrayToObject(record, "guests");
	/* Attribution, before the guests go: what their QEMU processes hold,
	 * the host's available memory, and what every other process holds. */
	for (size_t i = 0; i < pv->nguests; i++) {
		struct herror e = { 0 };
		qpid[i] = virt_domain_qemu_pid(pv->guests[i].dom, &e);
		held[i] = qpid[i] > 0 ? qemu_held_kib(qpid[i], &held_rss[i], &held_pss[i]) : NAN;
		held_sum += held[i];
	}
	host_meminfo_kib(mi_before);
	avail_before = mi_before[0];
	others_before = others_held_kib(qpid, pv->nguests);
	for (size_t i = 0; i < pv->nguests; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", pv->guests[i].def->name);
		cJSON_AddStringToObject(o, "domain", pv->guests[i].dom_name);
		cJSON_AddStringToObject(o, "image", pv->guests[i].img.name ? pv->guests[i].img.name : pv->guests[i].def->image);
		cJSON_AddNumberToObject(o, "memory_mib", pv->guests[i].def->memory_mib);
		cJSON_AddItemToArray(gl, o);
	}
	shutdown_guests(pv, gl);
	pv->guests_up = false;
	t_recl = mark(&ph, "reclaim");
	sleep_unless_stopped(RECLAIM_S);
	host_meminfo_kib(mi_after);
	avail_after = mi_after[0];
	others_after = others_held_kib(qpid, pv->nguests);
	t_end = mark(&ph, "end");
out:
	atomic_store(&s.stop, true);
	pthread_join(th, NULL);
out_nothread:
	cJSON_AddItemToObject(record, "phases", ph.list);
	m = cJSON_AddObjectToObject(record, "memory");
	cJSON_AddNumberToObject(m, "sample_hz", MEM_SAMPLE_HZ);
	cJSON_AddNumberToObject(m, "pressure_mib", (double)pressure_mib);
	cJSON_AddNumberToObject(m, "balloon_pct", (double)balloon_pct);
	cJSON_AddItemToObject(m, "host", mem_series_json(&s.host));
	if (r == 0) {
		const double *avail = mem_series_column(&s.host, "mem_available_mib");
		struct reclaim rcl;
		struct reclaim_attr at, av;
		struct tolerance tol;
		cJSON *whole, *ma;
		/* The host's memory of the kinds a process holds (anonymous,
		 * shared, page tables): the same kinds as held, so that the
		 * page cache and the kernel's caches, which every program on
		 * the host moves, stay out of the judgement. */
		double kinds_before = mi_before[2] + mi_before[3] + mi_before[4];
		double kinds_after = mi_after[2] + mi_after[3] + mi_after[4];

		/* Judged by attribution: the host's whole MemAvailable also
		 * moves with every other program on it (issue 20: 3047 MiB
		 * "short" while others allocated). */
		tolerance_make(&reclaim_tol, pv->accel.accel, D, 0, &tol);
		reclaim_attribute(held_sum, -kinds_before, -kinds_after, others_before, others_after, tol.value * 1024, &at);
		reclaim_attribute(held_sum, avail_before, avail_after, others_before, others_after, tol.value * 1024, &av);
		rc = cJSON_AddObjectToObject(record, "reclaim");
		cJSON_AddStringToObject(rc, "method", "what the QEMU processes held just before the shutdown (Pss_Anon + "
						      "Pss_Shmem + VmPTE) against what the host's AnonPages + Shmem + "
						      "PageTables fell by at the end of the reclaim phase, less what other "
						      "processes freed (RssAnon + RssShmem + VmPTE, every other pid)");
		cJSON_AddItemToObject(rc, "qemu_held_mib", guestrun_num_or_null(at.guests_kib / 1024));
		cJSON_AddItemToObject(rc, "host_freed_mib", guestrun_num_or_null(at.host_change_kib / 1024));
		cJSON_AddItemToObject(rc, "others_mib", guestrun_num_or_null(at.others_kib / 1024));
		cJSON_AddItemToObject(rc, "returned_mib", guestrun_num_or_null(at.returned_kib / 1024));
		cJSON_AddItemToObject(rc, "guests_frac_of_change", guestrun_num_or_null(at.guests_frac));
		cJSON_AddItemToObject(rc, "error_mib", guestrun_num_or_null(at.error_kib / 1024));
		/* The same attribution of the host's MemAvailable, which also
		 * moves with caches: how much of what a user sees come back was
		 * the guests'. */
		ma = cJSON_AddObjectToObject(rc, "mem_available");
		cJSON_AddItemToObject(ma, "change_mib", guestrun_num_or_null(av.host_change_kib / 1024));
		cJSON_AddItemToObject(ma, "returned_mib", guestrun_num_or_null(av.returned_kib / 1024));
		cJSON_AddItemToObject(ma, "error_mib", guestrun_num_or_null(av.error_kib / 1024));
		cJSON_AddItemToObject(ma, "guests_frac_of_change", guestrun_num_or_null(av.guests_frac));
		cJSON_AddNumberToObject(rc, "tolerance_mib", tol.value);
		cJSON_AddItemToObject(rc, "tolerance", tolerance_json(&tol, &reclaim_tol, "none: one reading either side"));
		cJSON_AddBoolToObject(rc, "within", at.within);
		cJSON_AddNumberToObject(rc, "expected_error_mib", 0);
		/* What moved on the host, by kind, over the same two readings. */
		{
			cJSON *mk = cJSON_AddObjectToObject(rc, "host_meminfo_change_mib");
			for (size_t k = 0; k < NMEMINFO; k++)
				cJSON_AddItemToObject(mk, meminfo_keys[k],
						      guestrun_num_or_null((mi_after[k] - mi_before[k]) / 1024));
		}
		/* The host's whole view, for context only: it includes every
		 * other program on the host. */
		reclaim_judge(mean_between(&s.host, avail, t_base, t_base + BASELINE_S) * 1024,
			      min_between(&s.host, avail, t_base + BASELINE_S, t_recl) * 1024,
			      mean_between(&s.host, avail, t_recl + 1, t_end) * 1024, INFINITY, &rcl);
		whole = cJSON_AddObjectToObject(rc, "whole_host");
		cJSON_AddItemToObject(whole, "before_mib", guestrun_num_or_null(rcl.before_kib / 1024));
		cJSON_AddItemToObject(whole, "low_mib", guestrun_num_or_null(rcl.low_kib / 1024));
		cJSON_AddItemToObject(whole, "after_mib", guestrun_num_or_null(rcl.after_kib / 1024));
		cJSON_AddItemToObject(whole, "short_mib", guestrun_num_or_null(rcl.error_kib / 1024));
		cJSON_AddItemToObject(whole, "reclaimed_frac", guestrun_num_or_null(rcl.reclaimed_frac));

		for (size_t i = 0; i < pv->nguests; i++) {
			cJSON *o = cJSON_GetArrayItem(gl, (int)i);
			const struct mem_series *gs = &s.guest[i];
			const double *rss = mem_series_column(gs, "qemu_rss_mib");
			double mem = pv->guests[i].def->memory_mib;
			bool gone = true;

			add_reach(o, "balloon", gs, t_bal, t_rel, mem * (double)balloon_pct / 100.0, bal_s);
			add_reach(o, "release", gs, t_rel, t_shut, mem, bal_s);
			cJSON_AddItemToObject(o, "qemu_rss_peak_mib", guestrun_num_or_null(max_between(gs, rss, 0, t_shut)));
			cJSON_AddItemToObject(o, "qemu_rss_idle_mib",
					      guestrun_num_or_null(mean_between(gs, rss, t_idle, t_press)));
			cJSON_AddItemToObject(o, "qemu_rss_pressure_mib",
					      guestrun_num_or_null(max_between(gs, rss, t_press, t_bal)));
			cJSON_AddItemToObject(o, "qemu_rss_balloon_mib",
					      guestrun_num_or_null(mean_between(gs, rss, t_rel - 2, t_rel)));
			/* After shutdown the QEMU process must be gone. */
			for (size_t k = 0; k < gs->n; k++)
				if (gs->t[k] >= t_recl && isfinite(rss[k]))
					gone = false;
			cJSON_AddBoolToObject(o, "qemu_exited", gone && s.pid_seen[i] && kill(s.pid[i], 0) < 0);
			{
				cJSON *at_shut = cJSON_AddObjectToObject(o, "at_shutdown");
				cJSON_AddNumberToObject(at_shut, "qemu_pid", qpid[i]);
				cJSON_AddItemToObject(at_shut, "held_mib", guestrun_num_or_null(held[i] / 1024));
				cJSON_AddItemToObject(at_shut, "rss_mib", guestrun_num_or_null(held_rss[i] / 1024));
				cJSON_AddItemToObject(at_shut, "pss_mib", guestrun_num_or_null(held_pss[i] / 1024));
			}
			if (views[i].hog)
				cJSON_AddItemToObject(o, "memory_hog", views[i].hog);
			views[i].hog = NULL;
			cJSON_AddItemToObject(o, "series", mem_series_json(gs));
			cJSON_AddItemToObject(o, "guest_view", mem_series_json(&views[i].s));
			cJSON_AddItemToObject(o, "runner_errors", views[i].errors);
			views[i].errors = NULL;
		}
	}
	for (size_t i = 0; i < s.n; i++) {
		if (s.dom[i])
			virDomainFree(s.dom[i]);
		free(s.names[i]);
		mem_series_free(&s.guest[i]);
		mem_series_free(&views[i].s);
		cJSON_Delete(views[i].errors);
		cJSON_Delete(views[i].hog);
	}
	mem_series_free(&s.host);
	return r;
}

static double memory_estimate_s(const struct experiment_def *def)
{
	double D = def->duration_s;

	/* Boot and shutdown under TCG dominate. */
	return BASELINE_S + 90 + fmax(2, D * 0.15) + fmax(5, D * 0.4) + 2 * fmax(8, D * 0.3) + 20 + RECLAIM_S;
}

/* The first successful run with these settings, for the time lines. */
static void write_column_pair(FILE *f, cJSON *series, const char *col)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(series, col);

	/* Linear in the samples, at most DOC_SERIES_ROWS points. */
	doc_series_write(f, cJSON_GetObjectItemCaseSensitive(series, "t"), &v, 1, DOC_SERIES_ROWS);
	/* Two blank lines: the next gnuplot data set (index). */
	fputs("\n\n", f);
}

/* One guest's time lines: QEMU's resident set, the balloon's actual size
 * and the guest's own used memory, with the phases as vertical lines. */
static int plot_timeline(const char *tmp, int idx, int gi, cJSON *run, cJSON *g, char *eps, size_t epslen)
{
	char dat[4096], gp[4096];
	cJSON *ph;
	FILE *f;

	snprintf(dat, sizeof(dat), "%s/mem%d-%d.dat", tmp, idx, gi);
	snprintf(gp, sizeof(gp), "%s/mem%d-%d.gp", tmp, idx, gi);
	snprintf(eps, epslen, "%s/mem%d-%d.eps", tmp, idx, gi);
	f = fopen(dat, "w");
	if (f == NULL)
		return -1;
	write_column_pair(f, cJSON_GetObjectItemCaseSensitive(g, "series"), "qemu_rss_mib");
	write_column_pair(f, cJSON_GetObjectItemCaseSensitive(g, "series"), "actual_mib");
	write_column_pair(f, cJSON_GetObjectItemCaseSensitive(g, "guest_view"), "used_mib");
	fclose(f);
	f = fopen(gp, "w");
	if (f == NULL)
		return -1;
	doc_gp_terminal(f, eps, 6, 2.8);
	fputs("set title ", f);
	{
		cleanup_free char *title = xasprintf("Memory of %s over its life (first repeat)", doc_jstr(g, "name", "?"));
		doc_gp_string(f, title);
	}
	fputs(" noenhanced\nset xlabel 'time since the start of the run (s)'\nset ylabel 'MiB'\n"
	      "set yrange [0:*]\nset key below horizontal\nset grid\n", f);
	cJSON_ArrayForEach(ph, cJSON_GetObjectItemCaseSensitive(run, "phases")) {
		double t = doc_jnum(ph, "t");
		if (!isfinite(t))
			continue;
		fprintf(f, "set arrow from %g, graph 0 to %g, graph 1 nohead dt 2 lc rgb 'gray40'\n", t, t);
		fprintf(f, "set label ");
		doc_gp_string(f, doc_jstr(ph, "name", "?"));
		fprintf(f, " at %g, graph 0.97 rotate by 90 right font ',7' noenhanced\n", t);
	}
	fprintf(f, "plot '%s' index 0 with lines lw 2 title 'host: QEMU resident set', "
		   "'%s' index 1 with lines lw 2 title 'host: balloon actual', "
		   "'%s' index 2 with lines lw 2 title 'guest: used (runner)'\n", dat, dat, dat);
	fclose(f);
	return doc_gnuplot(gp);
}

static void memory_report_group(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns)
{
	FILE *f = d->f;
	cJSON *g, *first;
	int gi = 0;

	fprintf(f, " When the guests went, their QEMU processes held %.0f MiB and the host got back %.0f MiB from "
		   "them (its anonymous, shared and page-table memory fell by %.0f MiB, other processes accounting for "
		   "%.0f MiB): %.0f MiB not given back (mean; tolerance %.0f MiB). Per guest: the lower balloon target, "
		   "the time the balloon took to reach it and its error at the end of the phase, the time to give the "
		   "memory back, and "
		   "QEMU's resident set at its peak and with the balloon inflated:\n",
		doc_jstat(grp, "reclaim_qemu_held_mib", "mean"), doc_jstat(grp, "reclaim_returned_mib", "mean"),
		doc_jstat(grp, "reclaim_host_freed_mib", "mean"), doc_jstat(grp, "reclaim_others_mib", "mean"),
		doc_jstat(grp, "reclaim_error_mib", "mean"), doc_jstat(grp, "reclaim_tolerance_mib", "mean"));
	fputs(".TS\nbox;\nc c c c c c c\nl n n n n n n.\n"
	      "guest\ttarget MiB\tto target s\terror MiB\tback s\tRSS peak MiB\tRSS ballooned MiB\n", f);
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(grp, "guests")) {
		doc_text(f, doc_jstr(g, "name", "?"));
		fprintf(f, "\t%.0f\t%.1f\t%.1f\t%.1f\t%.0f\t%.0f\n", doc_jstat(g, "balloon_target_mib", "mean"),
			doc_jstat(g, "balloon_time_s", "mean"), doc_jstat(g, "balloon_error_mib", "mean"),
			doc_jstat(g, "release_time_s", "mean"), doc_jstat(g, "qemu_rss_peak_mib", "mean"),
			doc_jstat(g, "qemu_rss_balloon_mib", "mean"));
	}
	fputs(".TE\n", f);
	first = doc_group_first_run(grp, runs, nruns);
	if (first == NULL)
		return;
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(first, "guests")) {
		char eps[4200];
		if (plot_timeline(d->tmp, d->group, gi++, first, g, eps, sizeof(eps)) == 0)
			doc_figure(d, eps, 6, 2.8,
				   "host view (QEMU's resident set from /proc, the balloon's actual size from "
				   "virDomainMemoryStats, sampled at 5 Hz) and guest view (used memory from the "
				   "runner) on one time axis; dashed lines mark the phases.");
	}
}

static int check_pressure(const char *v, const struct suite *s, char *why, size_t whylen)
{
	long n;

	if (parse_long(v, 16, 1 << 20, &n) < 0) {
		snprintf(why, whylen, "'%s' must be a whole number of MiB in 16..1048576", v);
		return -EINVAL;
	}
	for (size_t i = 0; i < s->nguests; i++)
		if (n >= s->guests[i].memory_mib) {
			snprintf(why, whylen, "'%s' MiB is not less than the memory of guest '%s' (%d MiB)", v,
				 s->guests[i].name, s->guests[i].memory_mib);
			return -EINVAL;
		}
	return 0;
}

static int check_pct(const char *v, const struct suite *s, char *why, size_t whylen)
{
	long n;

	(void)s;
	if (parse_long(v, 10, 100, &n) < 0) {
		snprintf(why, whylen, "'%s' must be a whole percentage in 10..100", v);
		return -EINVAL;
	}
	return 0;
}

static const struct exp_setting memory_settings[] = {
	{ .key = "pressure_mib", .help = "memory memory_hog allocates and touches in each guest in the pressure phase",
	  .syntax = "MiB, 16..1048576", .def = "256", .check = check_pressure },
	{ .key = "balloon_pct", .help = "the balloon target of the balloon phase, in percent of the guest's memory",
	  .syntax = "10..100", .def = "50", .check = check_pct },
};

static const struct exp_metric memory_metrics[] = {
	{ .name = "balloon_time_s", .scope = METRIC_PER_GUEST, .path = { "balloon", "time_to_target_s" },
	  .unit = "s", .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE,
	  .help = "from setting the lower balloon target to the balloon within tolerance of it" },
	{ .name = "balloon_error_mib", .scope = METRIC_PER_GUEST, .path = { "balloon", "final_error_mib" },
	  .unit = "MiB", .better = 0, .use = METRIC_SUMMARY, .expected = "balloon_expected_error_mib",
	  .tolerance = BALLOON_TOL_MIB,
	  .tolerance_doc = "+-8 MiB, fixed: the balloon is at its target when within this much of it",
	  .help = "balloon actual minus target at the end of the balloon phase" },
	{ .name = "balloon_expected_error_mib", .scope = METRIC_PER_GUEST, .path = { "balloon", "expected_error_mib" },
	  .unit = "MiB", .better = 0, .use = METRIC_SUMMARY, .help = "the balloon at its target: 0" },
	{ .name = "balloon_target_mib", .scope = METRIC_PER_GUEST, .path = { "balloon", "target_mib" },
	  .unit = "MiB", .better = 0, .use = METRIC_SUMMARY, .help = "the lower balloon target" },
	{ .name = "release_time_s", .scope = METRIC_PER_GUEST, .path = { "release", "time_to_target_s" },
	  .unit = "s", .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE,
	  .help = "from giving the guest its whole memory back to the balloon within tolerance of it" },
	{ .name = "qemu_rss_peak_mib", .scope = METRIC_PER_GUEST, .path = { "qemu_rss_peak_mib" }, .unit = "MiB",
	  .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "QEMU's largest resident set before shutdown" },
	{ .name = "qemu_rss_balloon_mib", .scope = METRIC_PER_GUEST, .path = { "qemu_rss_balloon_mib" }, .unit = "MiB",
	  .better = -1, .use = METRIC_SUMMARY, .help = "QEMU's resident set at the end of the balloon phase" },
	{ .name = "reclaim_error_mib", .scope = METRIC_PER_RUN, .path = { "reclaim", "error_mib" }, .unit = "MiB",
	  .better = -1, .use = METRIC_SUMMARY, .expected = "reclaim_expected_error_mib",
	  .tolerance_metric = "reclaim_tolerance_mib",
	  .tolerance_doc = "per run: 8 MiB (TCG) or 16 MiB (KVM: memory the kernel keeps for the guest) + 3 sd of "
			   "what other processes leave unattributed over a shutdown (2 MiB)",
	  .help = "what the QEMU processes held minus what the host got back from them (its anonymous, shared and "
		  "page-table memory freed, less other processes' part)" },
	{ .name = "reclaim_tolerance_mib", .scope = METRIC_PER_RUN, .path = { "reclaim", "tolerance_mib" },
	  .unit = "MiB", .better = 0, .use = METRIC_SUMMARY, .help = "the run's tolerance for reclaim_error_mib" },
	{ .name = "reclaim_qemu_held_mib", .scope = METRIC_PER_RUN, .path = { "reclaim", "qemu_held_mib" },
	  .unit = "MiB", .better = 0, .use = METRIC_SUMMARY,
	  .help = "what the QEMU processes held just before the shutdown (private and shared memory, page tables)" },
	{ .name = "reclaim_host_freed_mib", .scope = METRIC_PER_RUN, .path = { "reclaim", "host_freed_mib" },
	  .unit = "MiB", .better = 0, .use = METRIC_SUMMARY,
	  .help = "what the host's anonymous, shared and page-table memory fell by over the shutdown" },
	{ .name = "reclaim_available_change_mib", .scope = METRIC_PER_RUN,
	  .path = { "reclaim", "mem_available", "change_mib" }, .unit = "MiB", .better = 0, .use = METRIC_SUMMARY,
	  .help = "the host's MemAvailable after the shutdown minus before it (caches move it too)" },
	{ .name = "reclaim_others_mib", .scope = METRIC_PER_RUN, .path = { "reclaim", "others_mib" }, .unit = "MiB",
	  .better = 0, .use = METRIC_SUMMARY,
	  .help = "other processes' part of that change (what they freed; negative: allocated)" },
	{ .name = "reclaim_returned_mib", .scope = METRIC_PER_RUN, .path = { "reclaim", "returned_mib" },
	  .unit = "MiB", .better = +1, .use = METRIC_SUMMARY,
	  .help = "the guests' part of the host's change: what came back from them" },
	{ .name = "reclaim_expected_error_mib", .scope = METRIC_PER_RUN, .path = { "reclaim", "expected_error_mib" },
	  .unit = "MiB", .better = 0, .use = METRIC_SUMMARY, .help = "everything back: 0" },
};

const struct experiment exp_memory_info = {
	.name = "memory",
	.summary = "host and guest view of each guest's memory from start through pressure, balloon, shutdown and reclaim",
	.theory = "the balloon reaches a new target within a bound (its actual size within 8 MiB of it); after the "
		  "guests are gone the host has got back what their QEMU processes held (the host's change less what "
		  "other processes allocated or freed meanwhile)",
	.guests = EXP_GUESTS_FRESH,
	.settings = memory_settings,
	.nsettings = sizeof(memory_settings) / sizeof(memory_settings[0]),
	.metrics = memory_metrics,
	.nmetrics = sizeof(memory_metrics) / sizeof(memory_metrics[0]),
	.estimate_s = memory_estimate_s,
	.run = memory_run,
	.report_group = memory_report_group,
	.explain = "Each run boots the guests afresh while a host-side thread samples, five times a second, the "
		   "resident memory of each guest's QEMU process, the balloon statistics libvirt reports and the "
		   "host's available memory. The guests then idle, allocate memory (memory_hog), are asked to "
		   "give memory back through the balloon (a lower target), get it back, and shut down. The time "
		   "lines show that QEMU's resident set grows with what the guest touches and shrinks only when "
		   "the balloon takes pages; the table says how fast the balloon reached its target, and the "
		   "first line whether the host got its memory back once the guests were gone.",
};
