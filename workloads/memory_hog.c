/* memory_hog: allocate and touch memory in steps up to a target, then hold
 * it until the duration ends or the program is stopped; resident size per
 * step from /proc/self/statm. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wl.h"

#define MAX_STEPS 65536

static const char usage[] =
	"usage: memory_hog --target SIZE [--step SIZE] [--step-ms MS] [--duration S]\n"
	"  --target SIZE   bytes to allocate and touch, e.g. 512m (required)\n"
	"  --step SIZE     bytes per step (default 16m)\n"
	"  --step-ms MS    pause between steps (default 100)\n"
	"  --duration S    total run time; the memory is held after the target is\n"
	"                  reached until then (default 10)\n"
	"SIZE takes a k, m, g or t suffix (binary). SIGTERM ends the run.\n";

/* Resident bytes of this process, from /proc/self/statm; -errno on failure. */
static long long rss_bytes(void)
{
	char buf[128];
	unsigned long long size, resident;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return -EINVAL;
	return (long long)(resident * (unsigned long long)sysconf(_SC_PAGESIZE));
}

int main(int argc, char **argv)
{
	struct herror opt_err = { 0 };
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 'T' },
		{ "step", required_argument, NULL, 's' },
		{ "step-ms", required_argument, NULL, 'm' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t target = 0, step = 16u << 20, step_ms = 100, allocated = 0;
	double duration = 10;
	long page = sysconf(_SC_PAGESIZE);
	long long base_rss, rss = 0, peak = 0;
	uint64_t started_ns, end_ns, next_ns;
	bool reached = false;
	int c, r = 0, steps = 0;
	static void *blocks[MAX_STEPS];
	static size_t sizes[MAX_STEPS];
	double reached_t = -1;
	wl_doc doc;

	wl_doc_init(&doc, "memory_hog");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'T': r = wl_parse_size("--target", optarg, 1, 1ull << 46, &target, &opt_err); break;
		case 's': r = wl_parse_size("--step", optarg, 4096, 1ull << 40, &step, &opt_err); break;
		case 'm': r = wl_parse_u64("--step-ms", optarg, 0, 3600000, &step_ms, &opt_err); break;
		case 'd': r = wl_parse_double("--duration", optarg, 0.001, 1e7, &duration, &opt_err); break;
		case 'h': wl_help_exit(usage);
		default: return wl_usage_error(&doc, "unknown option or missing value: '%s'", argv[optind - 1]);
		}
		if (r < 0)
			return wl_usage_error(&doc, "%s", opt_err.msg);
	}
	if (optind < argc)
		return wl_usage_error(&doc, "unexpected argument '%s'", argv[optind]);
	if (target == 0)
		return wl_usage_error(&doc, "option '--target' is required");
	if (target / step >= MAX_STEPS)
		return wl_usage_error(&doc, "--target / --step gives more than %d steps: use a larger --step", MAX_STEPS);
	wl_add_num(doc.params, "target_bytes", (double)target);
	wl_add_num(doc.params, "step_bytes", (double)step);
	wl_add_num(doc.params, "step_ms", (double)step_ms);
	wl_add_num(doc.params, "duration_s", duration);
	wl_add_num(doc.params, "page_size", (double)page);
	if (wl_install_stop_handlers() < 0)
		return wl_doc_finish_error(&doc, "cannot install signal handlers");

	base_rss = rss_bytes();
	started_ns = mono_ns();
	end_ns = started_ns + (uint64_t)(duration * 1e9);
	while (!wl_stopping() && mono_ns() < end_ns && allocated < target) {
		size_t len = (size_t)(target - allocated < step ? target - allocated : step);
		uint64_t t_step = mono_ns();
		cJSON *s;
		char *p;

		/* mmap, not malloc: each step is its own mapping, measured alone. */
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			wl_doc_error(&doc, "cannot allocate %zu bytes at %llu allocated: %s", len,
				     (unsigned long long)allocated, strerror(errno));
			break;
		}
		/* A non-zero byte per page: zero pages may be deduplicated (KSM). */
		for (size_t off = 0; off < len; off += (size_t)page)
			p[off] = (char)(off / (size_t)page | 1);
		blocks[steps] = p;
		sizes[steps++] = len;
		allocated += len;
		rss = rss_bytes();
		if (rss > peak)
			peak = rss;
		s = wl_arr_obj(doc.samples);
		wl_add_num(s, "t", (double)(mono_ns() - started_ns) / 1e9);
		wl_add_num(s, "step", steps);
		wl_add_num(s, "allocated_bytes", (double)allocated);
		wl_add_num(s, "rss_bytes", (double)rss);
		wl_add_num(s, "touch_ms", (double)(mono_ns() - t_step) / 1e6);
		wl_state_publish(allocated, NULL);
		if (allocated < target && step_ms)
			wl_sleep_until_ns(mono_ns() + step_ms * 1000000ull);
	}
	if (allocated >= target) {
		reached = true;
		reached_t = (double)(mono_ns() - started_ns) / 1e9;
	}
	/* Hold: keep publishing so that the runner sees a live, idle process. */
	next_ns = mono_ns();
	while (!wl_stopping() && mono_ns() < end_ns && !wl_doc_failed(&doc)) {
		next_ns += 100000000ull;
		wl_sleep_until_ns(next_ns < end_ns ? next_ns : end_ns);
		wl_state_publish(allocated + (mono_ns() - started_ns) / 100000000ull, NULL);
	}
	rss = rss_bytes();
	if (rss > peak)
		peak = rss;
	wl_add_num(doc.totals, "allocated_bytes", (double)allocated);
	wl_add_num(doc.totals, "rss_bytes", (double)rss);
	wl_add_num(doc.totals, "peak_rss_bytes", (double)peak);
	wl_add_num(doc.totals, "baseline_rss_bytes", (double)base_rss);
	wl_add_bool(doc.totals, "reached_target", reached);
	wl_add_num(doc.totals, "reached_target_s", reached_t);
	wl_add_num(doc.totals, "steps", steps);
	wl_add_num(doc.totals, "elapsed_s", (double)(mono_ns() - started_ns) / 1e9);
	for (int i = 0; i < steps; i++)
		munmap(blocks[i], sizes[i]);
	return wl_doc_finish(&doc);
}
