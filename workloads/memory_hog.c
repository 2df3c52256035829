/* memory_hog: allocate and touch memory in steps up to a target, then hold
 * it until the duration ends or the program is stopped; resident size per
 * step from /proc/self/statm. With --dirty-rate it keeps rewriting the held
 * pages at that rate (a live migration's dirty rate) and records the longest
 * gap between its passes: the stall a guest sees when it is paused. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "wl.h"

#define MAX_STEPS 65536

static const char usage[] =
	"usage: memory_hog --target SIZE [--step SIZE] [--step-ms MS] [--duration S] [--dirty-rate SIZE]\n"
	"  --target SIZE   bytes to allocate and touch, e.g. 512m (required)\n"
	"  --step SIZE     bytes per step (default 16m)\n"
	"  --step-ms MS    pause between steps (default 100)\n"
	"  --duration S    total run time; the memory is held after the target is\n"
	"                  reached until then (default 10)\n"
	"  --dirty-rate SIZE  once the target is reached, rewrite the held pages\n"
	"                  at SIZE bytes per second, in 10 ms passes (default 0: hold)\n"
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

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#define DIRTY_PASS_NS 10000000ull
#define MAX_STALLS 64

/* Rewrite one byte per page of the blocks, rate bytes a second in passes of
 * 10 ms, until end_ns or a stop. A gap between two passes well beyond 10 ms
 * is a stall (the guest was paused or starved): the longest on the
 * monotonic and the realtime clock, and every one over 50 ms, go in totals
 * and totals.stalls (times since the start). */
static void dirty_hold(wl_doc *doc, void *const *blocks, const size_t *sizes, int nblocks, size_t page,
		       uint64_t rate, uint64_t started_ns, uint64_t end_ns)
{
	uint64_t per_pass = rate / (1000000000ull / DIRTY_PASS_NS), carry = 0, rewritten = 0;
	uint64_t t0 = mono_ns(), prev = t0, prev_real = real_ns(), next = t0, max_gap = 0, max_real_gap = 0;
	double max_gap_at = -1;
	size_t blk = 0, off = 0;
	unsigned char mark = 1;
	int nstalls = 0;
	cJSON *stalls = wl_add_arr(doc->totals, "stalls");

	while (!wl_stopping() && mono_ns() < end_ns) {
		uint64_t now, now_real, pages;

		carry += per_pass;
		pages = carry / page;
		carry -= pages * page;
		for (uint64_t i = 0; i < pages; i++) {
			((volatile char *)blocks[blk])[off] = (char)mark;
			off += page;
			if (off >= sizes[blk]) {
				off = 0;
				if (++blk == (size_t)nblocks) {
					blk = 0;
					mark = (unsigned char)(mark == 255 ? 1 : mark + 1);
				}
			}
		}
		rewritten += pages * page;
		now = mono_ns();
		now_real = real_ns();
		if (now - prev > max_gap) {
			max_gap = now - prev;
			max_gap_at = (double)(prev - started_ns) / 1e9;
		}
		if (now_real > prev_real && now_real - prev_real > max_real_gap)
			max_real_gap = now_real - prev_real;
		if ((now - prev > 50000000ull || now_real - prev_real > 50000000ull) && nstalls < MAX_STALLS) {
			cJSON *st = wl_arr_obj(stalls);
			wl_add_num(st, "t", (double)(prev - started_ns) / 1e9);
			wl_add_num(st, "gap_ms", (double)(now - prev) / 1e6);
			wl_add_num(st, "gap_realtime_ms", (double)(now_real - prev_real) / 1e6);
			nstalls++;
		}
		prev = now;
		prev_real = now_real;
		wl_state_publish(rewritten, NULL);
		next += DIRTY_PASS_NS;
		if (next < now)
			next = now;	/* after a stall, do not catch up in a burst */
		wl_sleep_until_ns(next < end_ns ? next : end_ns);
	}
	wl_add_num(doc->totals, "rewritten_bytes", (double)rewritten);
	wl_add_num(doc->totals, "dirty_rate_bytes_s",
		   mono_ns() > t0 ? (double)rewritten / ((double)(mono_ns() - t0) / 1e9) : 0);
	wl_add_num(doc->totals, "max_stall_ms", (double)max_gap / 1e6);
	wl_add_num(doc->totals, "max_stall_at_s", max_gap_at);
	wl_add_num(doc->totals, "max_stall_realtime_ms", (double)max_real_gap / 1e6);
}

int main(int argc, char **argv)
{
	struct herror opt_err = { 0 };
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 'T' },
		{ "step", required_argument, NULL, 's' },
		{ "step-ms", required_argument, NULL, 'm' },
		{ "duration", required_argument, NULL, 'd' },
		{ "dirty-rate", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t target = 0, step = 16u << 20, step_ms = 100, allocated = 0, dirty_rate = 0;
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
		case 'D': r = wl_parse_size("--dirty-rate", optarg, 0, 1ull << 40, &dirty_rate, &opt_err); break;
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
	wl_add_num(doc.params, "dirty_rate_bytes_s", (double)dirty_rate);
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
	if (dirty_rate == 0 || steps == 0) {
		next_ns = mono_ns();
		while (!wl_stopping() && mono_ns() < end_ns && !wl_doc_failed(&doc)) {
			next_ns += 100000000ull;
			wl_sleep_until_ns(next_ns < end_ns ? next_ns : end_ns);
			wl_state_publish(allocated + (mono_ns() - started_ns) / 100000000ull, NULL);
		}
	} else {
		dirty_hold(&doc, blocks, sizes, steps, (size_t)page, dirty_rate, started_ns, end_ns);
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
