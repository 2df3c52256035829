/* cpu_hog: N threads doing fixed integer work units; reports work per second
 * per thread per interval, so that CPU share shows up as throughput. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "wl.h"

/* One unit: a fixed number of dependent xorshift-multiply steps. The chain
 * dependency gives the same cost on every run and defeats vectorisation. */
#define UNIT_STEPS 65536

static const char usage[] =
	"usage: cpu_hog [--threads N] [--duration S] [--interval-ms MS] [--units N]\n"
	"  --threads N       worker threads (default 1)\n"
	"  --duration S      seconds to run (default 10; 0 = until --units are done)\n"
	"  --interval-ms MS  sampling interval (default 100)\n"
	"  --units N         stop each thread after N work units (default 0 = no limit)\n"
	"One JSON document on stdout; SIGTERM ends the run with the results so far.\n";

struct worker {
	_Alignas(64) atomic_uint_fast64_t units;
	uint64_t limit;
	uint64_t cpu_ns;
	uint64_t sink;
	atomic_bool finished;
	pthread_t thread;
};

static atomic_bool run_over;

uint64_t cpu_hog_unit(uint64_t x);
uint64_t cpu_hog_unit(uint64_t x)
{
	for (unsigned i = 0; i < UNIT_STEPS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		x *= 0x2545F4914F6CDD1Dull;
	}
	return x;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t x = 0x9E3779B97F4A7C15ull ^ (uintptr_t)w;

	while (!atomic_load_explicit(&run_over, memory_order_relaxed)) {
		x = cpu_hog_unit(x);
		uint64_t n = atomic_fetch_add_explicit(&w->units, 1, memory_order_relaxed) + 1;
		if (w->limit && n >= w->limit)
			break;
	}
	w->sink = x;
	w->cpu_ns = wl_thread_cpu_ns();
	atomic_store(&w->finished, true);
	return NULL;
}

static double timeval_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct herror opt_err = { 0 };
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "units", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t threads = 1, interval_ms = 100, units = 0;
	double duration = 10;
	struct worker *workers = NULL;
	uint64_t *prev = NULL;
	uint64_t started_ns, next_ns, last_ns, end_ns;
	size_t nstarted = 0;
	bool joined = false;
	wl_doc doc;
	int c, r = 0;

	wl_doc_init(&doc, "cpu_hog");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': r = wl_parse_u64("--threads", optarg, 1, 4096, &threads, &opt_err); break;
		case 'd': r = wl_parse_double("--duration", optarg, 0, 1e7, &duration, &opt_err); break;
		case 'i': r = wl_parse_u64("--interval-ms", optarg, 1, 3600000, &interval_ms, &opt_err); break;
		case 'u': r = wl_parse_u64("--units", optarg, 0, UINT64_MAX, &units, &opt_err); break;
		case 'h': wl_help_exit(usage);
		default: return wl_usage_error(&doc, "unknown option or missing value: '%s'", argv[optind - 1]);
		}
		if (r < 0)
			return wl_usage_error(&doc, "%s", opt_err.msg);
	}
	if (optind < argc)
		return wl_usage_error(&doc, "unexpected argument '%s'", argv[optind]);
	if (duration == 0 && units == 0)
		return wl_usage_error(&doc, "nothing bounds the run: give --duration > 0 or --units");
	wl_add_num(doc.params, "threads", (double)threads);
	wl_add_num(doc.params, "duration_s", duration);
	wl_add_num(doc.params, "interval_ms", (double)interval_ms);
	wl_add_num(doc.params, "units", (double)units);
	wl_add_num(doc.params, "unit_steps", UNIT_STEPS);

	if (wl_install_stop_handlers() < 0)
		return wl_doc_finish_error(&doc, "cannot install signal handlers");
	workers = aligned_alloc(64, sizeof(*workers) * threads);
	prev = calloc(threads, sizeof(*prev));
	if (!workers || !prev) {
		wl_doc_error(&doc, "cannot allocate %llu workers", (unsigned long long)threads);
		goto out;
	}
	memset(workers, 0, sizeof(*workers) * threads);

	started_ns = mono_ns();
	end_ns = duration > 0 ? started_ns + (uint64_t)(duration * 1e9) : UINT64_MAX;
	for (size_t i = 0; i < threads; i++) {
		workers[i].limit = units;
		r = pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
		if (r) {
			wl_doc_error(&doc, "cannot start worker thread %zu: %s", i, strerror(r));
			atomic_store(&run_over, true);
			break;
		}
		nstarted++;
	}

	last_ns = started_ns;
	next_ns = started_ns + interval_ms * 1000000ull;
	while (!atomic_load(&run_over)) {
		uint64_t wake = next_ns < end_ns ? next_ns : end_ns;
		uint64_t now, total_interval = 0, total = 0;
		bool all_done = true;
		cJSON *sample, *arr;
		double dt;

		wl_sleep_until_ns(wake);
		now = mono_ns();
		if (wl_stopping() || now >= end_ns) {
			/* Stop and join first, so that the last sample counts every unit. */
			atomic_store(&run_over, true);
			for (size_t i = 0; i < nstarted; i++)
				pthread_join(workers[i].thread, NULL);
			joined = true;
			now = mono_ns();
		}
		dt = (double)(now - last_ns) / 1e9;
		sample = wl_arr_obj(doc.samples);
		wl_add_num(sample, "t", (double)(now - started_ns) / 1e9);
		arr = wl_add_arr(sample, "units");
		for (size_t i = 0; i < nstarted; i++) {
			uint64_t u = atomic_load_explicit(&workers[i].units, memory_order_relaxed);
			wl_arr_num(arr, (double)(u - prev[i]));
			total_interval += u - prev[i];
			total += u;
			prev[i] = u;
			if (!atomic_load(&workers[i].finished))
				all_done = false;
		}
		wl_add_num(sample, "units_per_s", dt > 0 ? (double)total_interval / dt : 0);
		wl_state_publish(total, NULL);
		if (all_done && !joined) {
			atomic_store(&run_over, true);
			for (size_t i = 0; i < nstarted; i++)
				pthread_join(workers[i].thread, NULL);
			joined = true;
		}
		last_ns = now;
		while (next_ns <= now)
			next_ns += interval_ms * 1000000ull;
	}

	for (size_t i = 0; !joined && i < nstarted; i++)
		pthread_join(workers[i].thread, NULL);
	{
		uint64_t now = mono_ns(), total = 0;
		double elapsed = (double)(now - started_ns) / 1e9;
		cJSON *per = wl_add_arr(doc.totals, "per_thread_units_per_s");
		cJSON *per_units = wl_add_arr(doc.totals, "per_thread_units");
		cJSON *per_cpu = wl_add_arr(doc.totals, "per_thread_cpu_s");
		struct rusage ru;

		for (size_t i = 0; i < nstarted; i++) {
			uint64_t u = atomic_load(&workers[i].units);
			total += u;
			wl_arr_num(per, elapsed > 0 ? (double)u / elapsed : 0);
			wl_arr_num(per_units, (double)u);
			wl_arr_num(per_cpu, (double)workers[i].cpu_ns / 1e9);
		}
		wl_add_num(doc.totals, "units", (double)total);
		wl_add_num(doc.totals, "units_per_s", elapsed > 0 ? (double)total / elapsed : 0);
		wl_add_num(doc.totals, "elapsed_s", elapsed);
		if (getrusage(RUSAGE_SELF, &ru) == 0) {
			wl_add_num(doc.totals, "cpu_s", timeval_s(ru.ru_utime) + timeval_s(ru.ru_stime));
			wl_add_num(doc.totals, "units_per_cpu_s",
				   timeval_s(ru.ru_utime) + timeval_s(ru.ru_stime) > 0 ?
				   (double)total / (timeval_s(ru.ru_utime) + timeval_s(ru.ru_stime)) : 0);
		}
	}
out:
	free(workers);
	free(prev);
	return wl_doc_finish(&doc);
}
