/* run: the supervision loop. One thread, no stdio in the sampling path;
 * each workload runs in its own process group so that everything it
 * started can be stopped with one signal. */
#include "run.h"
#include "container.h"
#include "proc.h"
#include "rtclient.h"
#include "waitfor.h"
#include "hclock.h"
#include "hfile.h"
#include "hproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t run_stop_requested;

struct wl_run {
	const struct spec_workload *spec;
	pid_t pid;
	bool running;
	int exit_code;          /* -1 unless exited */
	int signal;             /* 0 unless killed by a signal */
	struct rusage ru;
	char out_path[320], err_path[320], state_path[320];
	struct task_table *tasks;
	double start_t, end_t;
	bool have_state;
	double last_indicator;
	double last_progress_t;
	bool stalled;
	double stalled_after_s;
	cJSON *stall_state;     /* the state file read when the stall was seen */
	bool term_sent, kill_sent;
	double term_t;
	cJSON *series;
	char start_error[HERROR_MSG_MAX];
	/* In a container: the init is the supervisor's child, watched through a pidfd. */
	bool in_container;
	int pidfd;
	int ns_pid;
	char dir[300];
	cJSON *container;       /* the output's "container" object */
};

static void add_error(cJSON *errors, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_error(cJSON *errors, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_AddItemToArray(errors, cJSON_CreateString(msg));
}

/* In the child: report errno and the failed step through the CLOEXEC pipe. */
static void __attribute__((noreturn)) child_fail(int fd, const char *what)
{
	char msg[200];
	int n = snprintf(msg, sizeof(msg), "%s: %s", what, strerror(errno));

	if (n > 0 && write(fd, msg, (size_t)n) < 0)
		_exit(127);
	_exit(127);
}

static void __attribute__((noreturn)) child_exec(const struct spec_workload *w, struct wl_run *r, int errfd)
{
	int fd;

	signals_reset_for_exec();
	if (setpgid(0, 0) < 0)
		child_fail(errfd, "cannot create a process group");
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		child_fail(errfd, "cannot open /dev/null");
	fd = open(r->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || dup2(fd, 1) < 0)
		child_fail(errfd, "cannot open the output file");
	fd = open(r->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || dup2(fd, 2) < 0)
		child_fail(errfd, "cannot open the error file");
	if (w->nice && setpriority(PRIO_PROCESS, 0, w->nice) < 0)
		child_fail(errfd, "cannot set nice value");
	if (w->has_cpus && sched_setaffinity(0, sizeof(w->cpus), &w->cpus) < 0)
		child_fail(errfd, "cannot pin to cpus");
	if (setenv("WL_STATE_FILE", r->state_path, 1) < 0)
		child_fail(errfd, "cannot set WL_STATE_FILE");
	for (char **e = w->envp_extra; *e; e++)
		if (putenv(*e) < 0)
			child_fail(errfd, "cannot set the environment");
	execv(w->program, w->argv);
	child_fail(errfd, "cannot execute the program");
}

static int start_workload(struct wl_run *r)
{
	int p[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;
		close(p[0]);
		close(p[1]);
		snprintf(r->start_error, sizeof(r->start_error), "cannot fork: %s", strerror(-err));
		return err;
	}
	if (pid == 0) {
		close(p[0]);
		child_exec(r->spec, r, p[1]);
	}
	close(p[1]);
	/* Also set it here, so that a signal to the group cannot race the child. */
	setpgid(pid, pid);
	r->pid = pid;
	r->start_t = mono_s();
	r->last_progress_t = r->start_t;
	r->last_indicator = -1;
	do {
		n = read(p[0], r->start_error, sizeof(r->start_error) - 1);
	} while (n < 0 && errno == EINTR);
	close(p[0]);
	r->running = true;
	if (n > 0) {
		r->start_error[n] = '\0';
		return -ECHILD;
	}
	r->start_error[0] = '\0';
	return 0;
}

static int start_container(struct wl_run *r, const struct spec *spec, const struct rt_supervisor *sv,
			   const char *sv_error)
{
	struct herror err = { 0 };
	pid_t pid = 0;
	int ret;

	r->start_t = mono_s();
	r->last_progress_t = r->start_t;
	r->last_indicator = -1;
	if (sv_error) {
		snprintf(r->start_error, sizeof(r->start_error), "%s", sv_error);
		return -EIO;
	}
	ret = container_start(sv, spec, r->spec, r->dir, &pid, &err);
	if (ret < 0) {
		snprintf(r->start_error, sizeof(r->start_error), "%s", err.msg);
		return ret;
	}
	r->pid = pid;
	r->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	r->ns_pid = container_ns_pid(pid);
	r->running = true;
	r->start_error[0] = '\0';
	/* Gone already (ESRCH): it ended before we looked. */
	if (r->pidfd < 0) {
		r->running = false;
		r->end_t = mono_s();
	}
	return 0;
}

/* Has the container's init ended? Waits up to timeout_ms. */
static void reap_container(struct wl_run *r, int timeout_ms)
{
	struct pollfd p = { .fd = r->pidfd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) > 0) {
		r->running = false;
		r->end_t = mono_s();
	}
}

static void reap(struct wl_run *r, bool block)
{
	int status;
	pid_t p;

	if (!r->running || r->pid <= 0)
		return;
	if (r->in_container) {
		reap_container(r, block ? 2000 : 0);
		return;
	}
	p = wait4(r->pid, &status, block ? 0 : WNOHANG, &r->ru);
	if (p != r->pid)
		return;
	r->running = false;
	r->end_t = mono_s();
	if (WIFEXITED(status))
		r->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r->signal = WTERMSIG(status);
}

static void signal_group(struct wl_run *r, int sig)
{
	/* A container's init ends its whole PID namespace when it goes. */
	if (r->in_container) {
		if (r->pidfd >= 0 && r->running)
			syscall(SYS_pidfd_send_signal, r->pidfd, sig, NULL, 0);
		return;
	}
	if (r->pid > 0)
		kill(-r->pid, sig);
}

/* A JSON document from a file of at most max bytes; *raw_out (when asked)
 * is the text read, NULL when the file could not be read. */
static cJSON *read_json_file(const char *path, size_t max, char **raw_out)
{
	char *buf = NULL;
	cJSON *j;

	if (raw_out)
		*raw_out = NULL;
	if (read_file(path, max, &buf, NULL, NULL) < 0)
		return NULL;
	j = cJSON_Parse(buf);
	if (raw_out)
		*raw_out = buf;
	else
		free(buf);
	return j;
}

/* Last bytes of a file, for error context. */
static cJSON *file_tail(const char *path, size_t max)
{
	char buf[4096];

	if (max >= sizeof(buf))
		max = sizeof(buf) - 1;
	if (read_file_tail(path, buf, max + 1) <= 0)
		return NULL;
	return cJSON_CreateString(buf);
}

static void check_progress(struct wl_run *r, const struct spec *spec, double now)
{
	cJSON *state = read_json_file(r->state_path, 1 << 20, NULL);
	const cJSON *prog = state ? cJSON_GetObjectItemCaseSensitive(state, "progress") : NULL;
	double indicator;

	if (cJSON_IsNumber(prog)) {
		r->have_state = true;
		indicator = prog->valuedouble;
	} else if (!r->have_state) {
		indicator = (double)proc_tasks_activity(r->tasks);
	} else {
		/* A state file being replaced: judge at the next sample. */
		cJSON_Delete(state);
		return;
	}
	if (indicator != r->last_indicator) {
		r->last_indicator = indicator;
		r->last_progress_t = now;
	} else if (!r->stalled && r->spec->stall_timeout_s > 0 &&
		   now - r->last_progress_t >= r->spec->stall_timeout_s) {
		r->stalled = true;
		r->stalled_after_s = now - r->start_t;
		r->stall_state = state;
		state = NULL;
		signal_group(r, SIGTERM);
		r->term_sent = true;
		r->term_t = now;
	}
	cJSON_Delete(state);
}

static void sample_workload(struct wl_run *r, const struct spec *spec, double now, double t)
{
	double hz = (double)sysconf(_SC_CLK_TCK), cpu = 0, vol = 0, invol = 0;
	int live = proc_tasks_read(r->pid, r->tasks);
	cJSON *o;

	for (int i = 0; i < r->tasks->n; i++) {
		const struct task_stat *ts = &r->tasks->t[i];
		cpu += ts->run_ns ? (double)ts->run_ns / 1e9 : (double)(ts->utime_ticks + ts->stime_ticks) / hz;
		vol += (double)ts->vol_ctxt;
		invol += (double)ts->invol_ctxt;
	}
	o = cJSON_CreateObject();
	if (o) {
		cJSON_AddNumberToObject(o, "t", t);
		cJSON_AddNumberToObject(o, "threads", live);
		cJSON_AddNumberToObject(o, "cpu_s", cpu);
		cJSON_AddNumberToObject(o, "voluntary_ctxt_switches", vol);
		cJSON_AddNumberToObject(o, "nonvoluntary_ctxt_switches", invol);
		cJSON_AddItemToArray(r->series, o);
	}
	if (live > 0 && !r->stalled)
		check_progress(r, spec, now);
}

static double timeval_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void workload_json(struct wl_run *r, cJSON *arr, cJSON *errors)
{
	const struct spec_workload *w = r->spec;
	cJSON *o = cJSON_CreateObject(), *out, *x;
	char *raw = NULL;

	cJSON_AddItemToArray(arr, o);
	cJSON_AddStringToObject(o, "name", w->name);
	cJSON_AddStringToObject(o, "program", w->program_name);
	cJSON_AddNumberToObject(o, "pid", r->pid);
	cJSON_AddNumberToObject(o, "nice", w->nice);
	if (w->has_cpus)
		cJSON_AddStringToObject(o, "cpus", w->cpus_text);
	else
		cJSON_AddNullToObject(o, "cpus");
	if (r->exit_code >= 0)
		cJSON_AddNumberToObject(o, "exit_code", r->exit_code);
	else
		cJSON_AddNullToObject(o, "exit_code");
	if (r->signal) {
		const char *abbrev = sigabbrev_np(r->signal);
		char name[32];
		snprintf(name, sizeof(name), "SIG%s", abbrev ? abbrev : "UNKNOWN");
		cJSON_AddStringToObject(o, "signal", name);
	} else {
		cJSON_AddNullToObject(o, "signal");
	}
	cJSON_AddNumberToObject(o, "elapsed_s", r->end_t > r->start_t ? r->end_t - r->start_t : 0);
	cJSON_AddBoolToObject(o, "stalled", r->stalled);
	cJSON_AddBoolToObject(o, "terminated", r->term_sent);
	cJSON_AddBoolToObject(o, "killed", r->kill_sent);
	if (r->in_container) {
		/* The supervisor reaped it: the cgroup's usage stands in. */
		cJSON_AddNullToObject(o, "rusage");
		cJSON_AddItemToObject(o, "container", r->container);
		r->container = NULL;
	} else {
		x = cJSON_AddObjectToObject(o, "rusage");
		cJSON_AddNumberToObject(x, "user_s", timeval_s(r->ru.ru_utime));
		cJSON_AddNumberToObject(x, "system_s", timeval_s(r->ru.ru_stime));
		cJSON_AddNumberToObject(x, "maxrss_kb", (double)r->ru.ru_maxrss);
		cJSON_AddNumberToObject(x, "voluntary_ctxt_switches", (double)r->ru.ru_nvcsw);
		cJSON_AddNumberToObject(x, "nonvoluntary_ctxt_switches", (double)r->ru.ru_nivcsw);
	}
	cJSON_AddItemToObject(o, "tasks", proc_tasks_json(r->tasks));
	cJSON_AddItemToObject(o, "samples", r->series);
	r->series = NULL;

	if (r->stalled) {
		cJSON *stall = cJSON_AddObjectToObject(o, "stall");
		cJSON_AddNumberToObject(stall, "detected_after_s", r->stalled_after_s);
		cJSON_AddNumberToObject(stall, "no_progress_s", r->stalled_after_s - (r->last_progress_t - r->start_t));
		if (r->stall_state) {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(r->stall_state, "t");
			cJSON *g = waitfor_graph(r->stall_state);
			if (cJSON_IsNumber(t))
				cJSON_AddNumberToObject(stall, "heartbeat_t", t->valuedouble);
			if (g)
				cJSON_AddItemToObject(stall, "wait_for", g);
			cJSON_AddItemToObject(stall, "state", r->stall_state);
			r->stall_state = NULL;
		}
		if (!w->expect_stall)
			add_error(errors, "workload '%s' stalled: no progress for %.1f s", w->name,
				  r->stalled_after_s - (r->last_progress_t - r->start_t));
	} else {
		cJSON_AddNullToObject(o, "stall");
		if (w->expect_stall && !r->start_error[0])
			add_error(errors, "workload '%s' was expected to stall and did not", w->name);
	}

	if (r->start_error[0] && w->container) {
		add_error(errors, "workload '%s': container '%s': %s", w->name, w->container->name, r->start_error);
		cJSON_AddNullToObject(o, "output");
		return;
	}
	if (r->start_error[0]) {
		add_error(errors, "workload '%s': %s '%s'", w->name, r->start_error, w->program);
		cJSON_AddNullToObject(o, "output");
		return;
	}
	if (r->signal)
		add_error(errors, "workload '%s' was killed by signal %s", w->name, strsignal(r->signal));
	else if (r->exit_code > 0)
		add_error(errors, "workload '%s' exited with status %d", w->name, r->exit_code);
	else if (r->exit_code < 0)
		add_error(errors, "workload '%s' did not exit", w->name);

	out = read_json_file(r->out_path, 64u << 20, &raw);
	if (out) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(out, "error");
		if (cJSON_IsString(e))
			add_error(errors, "workload '%s' reported: %s", w->name, e->valuestring);
		cJSON_AddItemToObject(o, "output", out);
	} else {
		if (!r->stalled || !w->expect_stall)
			add_error(errors, "workload '%s' printed no JSON document on stdout", w->name);
		cJSON_AddNullToObject(o, "output");
		if (raw && *raw)
			cJSON_AddItemToObject(o, "stdout_tail", file_tail(r->out_path, 1024));
	}
	free(raw);
	x = file_tail(r->err_path, 2048);
	if (x)
		cJSON_AddItemToObject(o, "stderr_tail", x);
}

/* The output's "container" object; state and usage come from finish. */
static cJSON *container_json(const struct wl_run *r, const struct rt_supervisor *sv)
{
	const struct spec_container *c = r->spec->container;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", c->name);
	cJSON_AddStringToObject(o, "runtime", "harness-runtime");
	cJSON_AddStringToObject(o, "supervisor", sv->state_dir[0] ? "own" : "shared");
	cJSON_AddStringToObject(o, "rootfs", c->rootfs_given);
	if (r->pid > 0)
		cJSON_AddNumberToObject(o, "init_pid", r->pid);
	else
		cJSON_AddNullToObject(o, "init_pid");
	if (r->ns_pid > 0)
		cJSON_AddNumberToObject(o, "ns_pid", r->ns_pid);
	else
		cJSON_AddNullToObject(o, "ns_pid");
	cJSON_AddItemToObject(o, "limits", container_limits_json(c));
	return o;
}

static void finish_container(struct wl_run *r, const struct rt_supervisor *sv, cJSON *errors)
{
	struct herror err = { 0 };
	int code = -1, sig = 0;

	r->container = container_json(r, sv);
	if (container_finish(sv, r->spec, r->container, &code, &sig, &err) < 0)
		add_error(errors, "workload '%s': %s", r->spec->name, err.msg);
	if (sig)
		r->signal = sig;
	else if (code >= 0)
		r->exit_code = code;
	if (r->running) {
		/* The supervisor saw it end, after our last look at the pidfd. */
		r->running = false;
		r->end_t = mono_s();
	}
}

int run_experiment(const struct spec *spec, cJSON *out, cJSON *errors)
{
	static struct sys_snap first, prev, cur;
	struct rt_supervisor sv = { .pid = 0 };
	struct herror sv_err = { 0 }, rm_err = { 0 };
	struct wl_run *runs;
	char dir[] = "/tmp/harness-guest.XXXXXX";
	const char *tmp = getenv("TMPDIR");
	char dirbuf[256];
	double t0, tick, period = 1.0 / spec->sample_hz, mem_min, mem_max, end;
	double hard_end;
	cJSON *samples, *wls;
	struct rusage self;
	int status = 0, nsamples = 0;

	runs = calloc(spec->nworkloads, sizeof(*runs));
	if (!runs)
		abort();
	if (tmp && *tmp && strlen(tmp) < 200)
		snprintf(dirbuf, sizeof(dirbuf), "%s/harness-guest.XXXXXX", tmp);
	else
		snprintf(dirbuf, sizeof(dirbuf), "%s", dir);
	if (!mkdtemp(dirbuf)) {
		add_error(errors, "cannot create a work directory '%s': %s", dirbuf, strerror(errno));
		free(runs);
		return 1;
	}

	if (proc_sys_read(&first) < 0)
		add_error(errors, "cannot read /proc/stat: %s", strerror(errno));
	prev = first;
	mem_min = mem_max = proc_mem_used_kb(&first);
	t0 = mono_s();

	for (size_t i = 0; i < spec->nworkloads; i++) {
		struct wl_run *r = &runs[i];
		r->spec = &spec->workloads[i];
		r->exit_code = -1;
		r->series = cJSON_CreateArray();
		r->tasks = calloc(1, sizeof(*r->tasks));
		if (!r->tasks || !r->series)
			abort();
		r->pidfd = -1;
		r->ns_pid = -1;
		if (r->spec->container) {
			/* Shared with the container as CONTAINER_DIR. */
			r->in_container = true;
			snprintf(r->dir, sizeof(r->dir), "%s/%zu", dirbuf, i);
			snprintf(r->out_path, sizeof(r->out_path), "%s/out", r->dir);
			snprintf(r->err_path, sizeof(r->err_path), "%s/err", r->dir);
			snprintf(r->state_path, sizeof(r->state_path), "%s/state", r->dir);
			if (mkdir(r->dir, 0700) < 0) {
				snprintf(r->start_error, sizeof(r->start_error), "cannot create '%s': %s", r->dir,
					 strerror(errno));
				continue;
			}
			if (!sv.up && !sv_err.status)
				rt_supervisor_up(&sv, spec->runtime_bin, dirbuf, &sv_err);
			start_container(r, spec, &sv, sv_err.status ? sv_err.msg : NULL);
			continue;
		}
		snprintf(r->out_path, sizeof(r->out_path), "%s/%zu.out", dirbuf, i);
		snprintf(r->err_path, sizeof(r->err_path), "%s/%zu.err", dirbuf, i);
		snprintf(r->state_path, sizeof(r->state_path), "%s/%zu.state", dirbuf, i);
		if (start_workload(r) < 0)
			reap(r, true);
	}

	samples = cJSON_AddArrayToObject(out, "samples");
	end = t0 + spec->duration_s + spec->grace_s;
	/* Past this, nothing is waited for: a process that ignores SIGKILL
	 * (uninterruptible sleep) is reported as not exited. */
	hard_end = end + 2 * spec->kill_after_s + 1;
	tick = t0 + period;
	for (;;) {
		double now = mono_s();
		bool any = false;

		for (size_t i = 0; i < spec->nworkloads; i++)
			reap(&runs[i], false);
		if (now >= tick) {
			if (proc_sys_read(&cur) == 0) {
				double used = proc_mem_used_kb(&cur);
				cJSON *s = proc_sys_sample(&prev, &cur, now - t0);
				if (s)
					cJSON_AddItemToArray(samples, s);
				if (used < mem_min)
					mem_min = used;
				if (used > mem_max)
					mem_max = used;
				prev = cur;
				nsamples++;
			}
			for (size_t i = 0; i < spec->nworkloads; i++)
				if (runs[i].running)
					sample_workload(&runs[i], spec, now, now - t0);
			while (tick <= now)
				tick += period;
		}
		for (size_t i = 0; i < spec->nworkloads; i++) {
			struct wl_run *r = &runs[i];
			if (!r->running)
				continue;
			any = true;
			if (!r->term_sent && (now >= end || run_stop_requested)) {
				signal_group(r, SIGTERM);
				r->term_sent = true;
				r->term_t = now;
			} else if (r->term_sent && !r->kill_sent && now - r->term_t >= spec->kill_after_s) {
				signal_group(r, SIGKILL);
				r->kill_sent = true;
			}
		}
		if (!any || now >= hard_end)
			break;
		/* Wake at least every 100 ms to reap and enforce deadlines. */
		sleep_s((tick - now < 0.1 ? tick - now : 0.1));
	}

	if (proc_sys_read(&cur) == 0)
		cJSON_AddItemToObject(out, "summary", proc_sys_summary(&first, &cur, mem_min, mem_max));
	else
		cJSON_AddObjectToObject(out, "summary");
	cJSON_AddNumberToObject(out, "elapsed_s", mono_s() - t0);

	for (size_t i = 0; i < spec->nworkloads; i++) {
		struct wl_run *r = &runs[i];
		/* Whatever the workload left in its group goes too. */
		if (r->running)
			signal_group(r, SIGKILL);
		reap(r, r->in_container && r->running);
		if (r->in_container && r->pid > 0)
			finish_container(r, &sv, errors);
		if (r->pidfd >= 0)
			close(r->pidfd);
	}
	rt_supervisor_down(&sv);

	wls = cJSON_AddArrayToObject(out, "workloads");
	for (size_t i = 0; i < spec->nworkloads; i++) {
		struct wl_run *r = &runs[i];
		if (r->in_container && !r->container)
			r->container = container_json(r, &sv);
		workload_json(r, wls, errors);
		free(r->tasks);
		cJSON_Delete(r->series);
		cJSON_Delete(r->stall_state);
		cJSON_Delete(r->container);
	}
	/* The runtime's state (unpacked roots) lives here too when it is ours. */
	if (remove_tree(dirbuf, &rm_err) < 0)
		add_error(errors, "cannot remove the work directory '%s': %s", dirbuf, rm_err.msg);
	free(runs);

	if (getrusage(RUSAGE_SELF, &self) == 0) {
		cJSON *me = cJSON_AddObjectToObject(out, "runner");
		double cpu = timeval_s(self.ru_utime) + timeval_s(self.ru_stime);
		double el = mono_s() - t0;
		cJSON_AddNumberToObject(me, "cpu_s", cpu);
		cJSON_AddNumberToObject(me, "cpu_pct_of_one_cpu", el > 0 ? 100.0 * cpu / el : 0);
		cJSON_AddNumberToObject(me, "samples_taken", nsamples);
	}
	if (run_stop_requested)
		add_error(errors, "the runner was stopped by a signal before the end");
	if (cJSON_GetArraySize(errors) > 0)
		status = 1;
	return status;
}
