/* sched_mix: N CPU-bound and M I/O-bound threads together. Per thread: CPU
 * time, time running / runnable-waiting / sleeping (schedstat), voluntary
 * and involuntary context switches, and for the I/O-bound threads the
 * wake-up latency (how late a thread runs after its sleep ends). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hfile.h"
#include "wl.h"

#define MAX_THREADS 256

static const char usage[] =
	"usage: sched_mix [--cpu-threads N] [--io-threads M] [--duration S]\n"
	"                 [--io-sleep-us US] [--io-work-us US] [--interval-ms MS]\n"
	"  --cpu-threads N   threads that only compute (default 1)\n"
	"  --io-threads M    threads that sleep, then compute briefly (default 1)\n"
	"  --duration S      seconds to run (default 10)\n"
	"  --io-sleep-us US  sleep of an I/O-bound thread per cycle (default 1000)\n"
	"  --io-work-us US   CPU burst of an I/O-bound thread per cycle (default 50)\n"
	"  --interval-ms MS  sampling interval (default 500)\n";

struct mix_thread {
	int idx;
	bool io;
	pid_t tid;
	pthread_t thread;
	atomic_uint_fast64_t cycles;
	wl_vec wake_us;
	int error;
	uint64_t last_run_ns;
	/* final figures */
	uint64_t run_ns, wait_ns, slices, vol, invol;
};

static struct mix_thread threads[MAX_THREADS];
static atomic_bool run_over;
static uint64_t io_sleep_us = 1000, io_work_us = 50;

static void burn_until(uint64_t cpu_deadline_ns)
{
	volatile uint64_t x = 1;

	while (wl_thread_cpu_ns() < cpu_deadline_ns)
		for (int i = 0; i < 1000; i++)
			x = x * 6364136223846793005ull + 1;
}

static void *thread_main(void *arg)
{
	struct mix_thread *t = arg;

	t->tid = (pid_t)syscall(SYS_gettid);
	/* Default timer slack (50 us) would show up as wake-up latency. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	while (!atomic_load_explicit(&run_over, memory_order_relaxed)) {
		if (t->io) {
			uint64_t deadline = mono_ns() + io_sleep_us * 1000;
			wl_sleep_until_ns(deadline);
			if (wl_vec_push(&t->wake_us, (double)(mono_ns() - deadline) / 1e3) < 0)
				t->error = ENOMEM;
			burn_until(wl_thread_cpu_ns() + io_work_us * 1000);
		} else {
			burn_until(wl_thread_cpu_ns() + 1000000);
		}
		atomic_fetch_add_explicit(&t->cycles, 1, memory_order_relaxed);
	}
	return NULL;
}

/* schedstat and context switches of one of our threads. */
static int read_thread(struct mix_thread *t)
{
	char path[64], buf[4096];
	unsigned long long run, wait, slices;
	const char *p;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", t->tid);
	if (read_file_buf(path, buf, sizeof(buf)) < 0 || sscanf(buf, "%llu %llu %llu", &run, &wait, &slices) != 3)
		return -ENOENT;
	t->run_ns = run;
	t->wait_ns = wait;
	t->slices = slices;
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", t->tid);
	if (read_file_buf(path, buf, sizeof(buf)) < 0)
		return -ENOENT;
	p = strstr(buf, "\nvoluntary_ctxt_switches:");
	t->vol = p ? strtoull(p + 25, NULL, 10) : 0;
	p = strstr(buf, "\nnonvoluntary_ctxt_switches:");
	t->invol = p ? strtoull(p + 28, NULL, 10) : 0;
	return 0;
}

/* The guest's CPU time so far, from the "cpu" line of /proc/stat, in ticks:
 * busy (user, nice, system, irq, softirq; guest time is inside user), idle
 * (idle and iowait) and steal. Over the run, with the threads' own time,
 * this says where the CPU the mix did not get went. */
struct cpu_ticks {
	unsigned long long busy, idle, steal;
};

static int read_cpu_ticks(struct cpu_ticks *c)
{
	char buf[512];
	unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;

	if (read_file_buf("/proc/stat", buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle, &iowait, &irq,
		   &softirq, &steal) != 8)
		return -ENOENT;
	c->busy = user + nice + sys + irq + softirq;
	c->idle = idle + iowait;
	c->steal = steal;
	return 0;
}

int main(int argc, char **argv)
{
	struct herror opt_err = { 0 };
	static const struct option opts[] = {
		{ "cpu-threads", required_argument, NULL, 'c' },
		{ "io-threads", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "io-sleep-us", required_argument, NULL, 's' },
		{ "io-work-us", required_argument, NULL, 'w' },
		{ "interval-ms", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t ncpu = 1, nio = 1, interval_ms = 500, started_ns, end_ns, next_ns, last_ns;
	double duration = 10;
	int c, r = 0, n, started = 0;
	wl_doc doc;

	wl_doc_init(&doc, "sched_mix");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': r = wl_parse_u64("--cpu-threads", optarg, 0, MAX_THREADS / 2, &ncpu, &opt_err); break;
		case 'i': r = wl_parse_u64("--io-threads", optarg, 0, MAX_THREADS / 2, &nio, &opt_err); break;
		case 'd': r = wl_parse_double("--duration", optarg, 0.001, 1e7, &duration, &opt_err); break;
		case 's': r = wl_parse_u64("--io-sleep-us", optarg, 1, 10000000, &io_sleep_us, &opt_err); break;
		case 'w': r = wl_parse_u64("--io-work-us", optarg, 0, 10000000, &io_work_us, &opt_err); break;
		case 'I': r = wl_parse_u64("--interval-ms", optarg, 1, 3600000, &interval_ms, &opt_err); break;
		case 'h': wl_help_exit(usage);
		default: return wl_usage_error(&doc, "unknown option or missing value: '%s'", argv[optind - 1]);
		}
		if (r < 0)
			return wl_usage_error(&doc, "%s", opt_err.msg);
	}
	if (optind < argc)
		return wl_usage_error(&doc, "unexpected argument '%s'", argv[optind]);
	if (ncpu + nio == 0)
		return wl_usage_error(&doc, "no threads: give --cpu-threads or --io-threads");
	n = (int)(ncpu + nio);
	wl_add_num(doc.params, "cpu_threads", (double)ncpu);
	wl_add_num(doc.params, "io_threads", (double)nio);
	wl_add_num(doc.params, "duration_s", duration);
	wl_add_num(doc.params, "io_sleep_us", (double)io_sleep_us);
	wl_add_num(doc.params, "io_work_us", (double)io_work_us);
	wl_add_num(doc.params, "interval_ms", (double)interval_ms);
	if (wl_install_stop_handlers() < 0)
		return wl_doc_finish_error(&doc, "cannot install signal handlers");

	struct cpu_ticks ticks0 = { 0 }, ticks1 = { 0 };
	bool have_ticks = read_cpu_ticks(&ticks0) == 0;

	started_ns = mono_ns();
	for (int i = 0; i < n; i++) {
		threads[i].idx = i;
		threads[i].io = i >= (int)ncpu;
		r = pthread_create(&threads[i].thread, NULL, thread_main, &threads[i]);
		if (r) {
			wl_doc_error(&doc, "cannot start thread %d: %s", i, strerror(r));
			break;
		}
		started++;
	}
	end_ns = started_ns + (uint64_t)(duration * 1e9);
	last_ns = started_ns;
	next_ns = started_ns + interval_ms * 1000000ull;
	while (started == n && !wl_stopping()) {
		uint64_t now, total = 0;
		cJSON *s, *share;

		wl_sleep_until_ns(next_ns < end_ns ? next_ns : end_ns);
		now = mono_ns();
		s = wl_arr_obj(doc.samples);
		wl_add_num(s, "t", (double)(now - started_ns) / 1e9);
		/* Share of the interval each thread spent on a CPU. */
		share = wl_add_arr(s, "cpu_share");
		for (int i = 0; i < started; i++) {
			uint64_t prev = threads[i].last_run_ns;
			read_thread(&threads[i]);
			wl_arr_num(share, (double)(threads[i].run_ns - prev) / (double)(now - last_ns));
			threads[i].last_run_ns = threads[i].run_ns;
			total += atomic_load(&threads[i].cycles);
		}
		wl_state_publish(total, NULL);
		last_ns = now;
		if (now >= end_ns)
			break;
		while (next_ns <= now)
			next_ns += interval_ms * 1000000ull;
	}
	{
		double elapsed = (double)(mono_ns() - started_ns) / 1e9;
		cJSON *arr = wl_add_arr(doc.totals, "threads");
		wl_vec all_wake = { 0 };

		/* Read before stopping, so that every thread is still there. */
		for (int i = 0; i < started; i++)
			read_thread(&threads[i]);
		have_ticks = have_ticks && read_cpu_ticks(&ticks1) == 0;
		atomic_store(&run_over, true);
		for (int i = 0; i < started; i++)
			pthread_join(threads[i].thread, NULL);
		for (int i = 0; i < started; i++) {
			struct mix_thread *t = &threads[i];
			cJSON *o = wl_arr_obj(arr);
			double run = (double)t->run_ns / 1e9, wait = (double)t->wait_ns / 1e9;
			double sleep = elapsed - run - wait;

			wl_add_num(o, "index", i);
			wl_add_num(o, "tid", t->tid);
			wl_add_str(o, "class", t->io ? "io" : "cpu");
			wl_add_num(o, "cycles", (double)atomic_load(&t->cycles));
			wl_add_num(o, "cpu_s", run);
			wl_add_num(o, "running_s", run);
			wl_add_num(o, "runnable_s", wait);
			wl_add_num(o, "sleeping_s", sleep > 0 ? sleep : 0);
			wl_add_num(o, "running_frac", elapsed > 0 ? run / elapsed : 0);
			wl_add_num(o, "runnable_frac", elapsed > 0 ? wait / elapsed : 0);
			wl_add_num(o, "sleeping_frac", elapsed > 0 && sleep > 0 ? sleep / elapsed : 0);
			wl_add_num(o, "timeslices", (double)t->slices);
			wl_add_num(o, "voluntary_ctxt_switches", (double)t->vol);
			wl_add_num(o, "nonvoluntary_ctxt_switches", (double)t->invol);
			/* Observed class: a thread that ran for most of the time it was
			 * not kept waiting is CPU-bound, whatever it was meant to be.
			 * Time on a run queue is left out: it measures the other
			 * threads on the machine, not this one. */
			wl_add_str(o, "observed", elapsed - wait > 0 && run / (elapsed - wait) >= 0.5 ? "cpu" : "io");
			if (t->io) {
				for (size_t k = 0; k < t->wake_us.n; k++)
					wl_vec_push(&all_wake, t->wake_us.v[k]);
				wl_add_summary(o, "wakeup_latency_us", t->wake_us.v, t->wake_us.n);
			}
			if (t->error)
				wl_doc_error(&doc, "thread %d: out of memory recording wake-up latencies", i);
			wl_vec_free(&t->wake_us);
		}
		if (have_ticks) {
			double tck = (double)sysconf(_SC_CLK_TCK);
			cJSON *gc = wl_add_obj(doc.totals, "guest_cpu");

			wl_add_num(gc, "busy_s", (double)(ticks1.busy - ticks0.busy) / tck);
			wl_add_num(gc, "idle_s", (double)(ticks1.idle - ticks0.idle) / tck);
			wl_add_num(gc, "steal_s", (double)(ticks1.steal - ticks0.steal) / tck);
			wl_add_num(gc, "tick_s", 1.0 / tck);
		}
		wl_add_summary(doc.totals, "wakeup_latency_us", all_wake.v, all_wake.n);
		wl_vec_free(&all_wake);
		wl_add_num(doc.totals, "elapsed_s", elapsed);
	}
	return wl_doc_finish(&doc);
}
