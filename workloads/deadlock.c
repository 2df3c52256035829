/* deadlock: N threads each take lock i then lock i+1 (mod N). With
 * --order circular every thread holds its first lock when it asks for the
 * second, so they wait for each other forever; the main thread keeps a
 * heartbeat and publishes the lock table (who holds, who waits for what)
 * so that the runner can draw the wait-for graph. --order global takes the
 * two locks in index order and never deadlocks (the avoidance contrast). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wl.h"

#define MAX_THREADS 64

static const char usage[] =
	"usage: deadlock [--threads N] [--duration S] [--hold-ms MS] [--interval-ms MS]\n"
	"                [--order circular|global]\n"
	"  --threads N       threads and locks, 2..64 (default 2)\n"
	"  --duration S      seconds before the program gives up and reports (default 30)\n"
	"  --hold-ms MS      time a thread holds its first lock before asking for the\n"
	"                    second (default 100)\n"
	"  --interval-ms MS  heartbeat and sampling interval (default 100)\n"
	"  --order circular  lock i then i+1 mod N: circular wait (default)\n"
	"  --order global    lower index first: no deadlock\n"
	"The lock table goes to $WL_STATE_FILE every interval when it is set.\n";

struct lock_thread {
	int idx;
	pid_t tid;
	pthread_t thread;
	int first, second;
	/* Lock table entries, guarded by table_mutex. */
	int holds[2];
	int nholds;
	int waits_for;          /* -1 when not waiting */
	atomic_uint_fast64_t progress;
};

static pthread_mutex_t locks[MAX_THREADS];
static pthread_mutex_t table_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start_barrier;
static struct lock_thread threads[MAX_THREADS];
static int nthreads = 2;
static uint64_t hold_ms = 100;
static atomic_bool run_over;

static void table_wait(struct lock_thread *t, int lock)
{
	pthread_mutex_lock(&table_mutex);
	t->waits_for = lock;
	pthread_mutex_unlock(&table_mutex);
}

static void table_acquired(struct lock_thread *t, int lock)
{
	pthread_mutex_lock(&table_mutex);
	t->waits_for = -1;
	t->holds[t->nholds++] = lock;
	pthread_mutex_unlock(&table_mutex);
}

static void table_released_all(struct lock_thread *t)
{
	pthread_mutex_lock(&table_mutex);
	t->nholds = 0;
	pthread_mutex_unlock(&table_mutex);
}

static void *thread_main(void *arg)
{
	struct lock_thread *t = arg;

	t->tid = (pid_t)syscall(SYS_gettid);
	pthread_barrier_wait(&start_barrier);
	while (!atomic_load(&run_over)) {
		table_wait(t, t->first);
		pthread_mutex_lock(&locks[t->first]);
		table_acquired(t, t->first);
		/* Holding the first lock long enough makes the circular wait certain. */
		wl_sleep_until_ns(mono_ns() + hold_ms * 1000000ull);
		table_wait(t, t->second);
		pthread_mutex_lock(&locks[t->second]);
		table_acquired(t, t->second);
		atomic_fetch_add(&t->progress, 1);
		pthread_mutex_unlock(&locks[t->second]);
		pthread_mutex_unlock(&locks[t->first]);
		table_released_all(t);
	}
	return NULL;
}

/* The lock table as JSON: [{"id", "tid", "holds", "waits_for", "progress"}]. */
static cJSON *table_json(uint64_t *total, int *nwaiting)
{
	cJSON *arr = cJSON_CreateArray();
	char name[16];

	*total = 0;
	*nwaiting = 0;
	pthread_mutex_lock(&table_mutex);
	for (int i = 0; i < nthreads; i++) {
		struct lock_thread *t = &threads[i];
		cJSON *o = wl_arr_obj(arr), *h;
		uint64_t p = atomic_load(&t->progress);

		snprintf(name, sizeof(name), "T%d", i);
		wl_add_str(o, "id", name);
		wl_add_num(o, "tid", t->tid);
		h = wl_add_arr(o, "holds");
		for (int k = 0; k < t->nholds; k++) {
			snprintf(name, sizeof(name), "L%d", t->holds[k]);
			cJSON_AddItemToArray(h, cJSON_CreateString(name));
		}
		if (t->waits_for >= 0) {
			snprintf(name, sizeof(name), "L%d", t->waits_for);
			wl_add_str(o, "waits_for", name);
			(*nwaiting)++;
		} else {
			cJSON_AddNullToObject(o, "waits_for");
		}
		wl_add_num(o, "progress", (double)p);
		*total += p;
	}
	pthread_mutex_unlock(&table_mutex);
	return arr;
}

int main(int argc, char **argv)
{
	struct herror opt_err = { 0 };
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "order", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t interval_ms = 100, last_total = 0, total = 0;
	double duration = 30, last_progress_t = 0, t = 0;
	bool circular = true;
	uint64_t started_ns, next_ns, end_ns;
	int c, r = 0, started = 0, nwaiting = 0;
	wl_doc doc;

	wl_doc_init(&doc, "deadlock");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': r = wl_parse_int("--threads", optarg, 2, MAX_THREADS, &nthreads, &opt_err); break;
		case 'd': r = wl_parse_double("--duration", optarg, 0.001, 1e7, &duration, &opt_err); break;
		case 'H': r = wl_parse_u64("--hold-ms", optarg, 0, 60000, &hold_ms, &opt_err); break;
		case 'i': r = wl_parse_u64("--interval-ms", optarg, 1, 60000, &interval_ms, &opt_err); break;
		case 'o':
			if (strcmp(optarg, "circular") != 0 && strcmp(optarg, "global") != 0)
				return wl_usage_error(&doc, "invalid value '%s' for option '--order': use circular or global",
						      optarg);
			circular = strcmp(optarg, "circular") == 0;
			break;
		case 'h': wl_help_exit(usage);
		default: return wl_usage_error(&doc, "unknown option or missing value: '%s'", argv[optind - 1]);
		}
		if (r < 0)
			return wl_usage_error(&doc, "%s", opt_err.msg);
	}
	if (optind < argc)
		return wl_usage_error(&doc, "unexpected argument '%s'", argv[optind]);
	wl_add_num(doc.params, "threads", nthreads);
	wl_add_num(doc.params, "duration_s", duration);
	wl_add_num(doc.params, "hold_ms", (double)hold_ms);
	wl_add_num(doc.params, "interval_ms", (double)interval_ms);
	wl_add_str(doc.params, "order", circular ? "circular" : "global");
	if (wl_install_stop_handlers() < 0)
		return wl_doc_finish_error(&doc, "cannot install signal handlers");

	pthread_barrier_init(&start_barrier, NULL, (unsigned)nthreads + 1);
	for (int i = 0; i < nthreads; i++) {
		struct lock_thread *lt = &threads[i];
		int a = i, b = (i + 1) % nthreads;

		pthread_mutex_init(&locks[i], NULL);
		lt->idx = i;
		lt->waits_for = -1;
		lt->first = circular ? a : (a < b ? a : b);
		lt->second = circular ? b : (a < b ? b : a);
	}
	for (int i = 0; i < nthreads; i++) {
		r = pthread_create(&threads[i].thread, NULL, thread_main, &threads[i]);
		if (r) {
			/* Threads already started wait on the barrier forever: report and exit. */
			return wl_doc_finish_error(&doc, "cannot start thread %d: %s", i, strerror(r));
		}
		pthread_detach(threads[i].thread);
		started++;
	}
	pthread_barrier_wait(&start_barrier);

	started_ns = mono_ns();
	end_ns = started_ns + (uint64_t)(duration * 1e9);
	next_ns = started_ns + interval_ms * 1000000ull;
	while (!wl_stopping()) {
		cJSON *state = cJSON_CreateObject(), *sample;

		wl_sleep_until_ns(next_ns < end_ns ? next_ns : end_ns);
		t = (double)(mono_ns() - started_ns) / 1e9;
		cJSON_AddItemToObject(state, "threads", table_json(&total, &nwaiting));
		wl_add_num(state, "heartbeat_s", t);
		/* progress counts work done, not heartbeats: it stops in a deadlock. */
		wl_state_publish(total, state);
		sample = wl_arr_obj(doc.samples);
		wl_add_num(sample, "t", t);
		wl_add_num(sample, "progress", (double)total);
		wl_add_num(sample, "waiting_threads", nwaiting);
		cJSON_Delete(state);
		if (total != last_total) {
			last_total = total;
			last_progress_t = t;
		}
		if (mono_ns() >= end_ns)
			break;
		while (next_ns <= mono_ns())
			next_ns += interval_ms * 1000000ull;
	}
	atomic_store(&run_over, true);

	{
		cJSON *table = table_json(&total, &nwaiting);
		/* Every thread waiting and nothing done for a while: a circular wait.
		 * The runner makes the same judgement from outside. */
		bool deadlocked = nwaiting == nthreads && t - last_progress_t >= 2.0 * (double)hold_ms / 1000.0 + 0.2;

		wl_add_num(doc.totals, "progress", (double)total);
		wl_add_num(doc.totals, "elapsed_s", t);
		wl_add_num(doc.totals, "last_progress_s", last_progress_t);
		wl_add_bool(doc.totals, "deadlocked", deadlocked);
		wl_add_num(doc.totals, "waiting_threads", nwaiting);
		cJSON_AddItemToObject(doc.totals, "threads", table);
	}
	/* Deadlocked threads never return: print and exit without joining. */
	return wl_doc_finish(&doc);
}
