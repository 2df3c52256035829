/* disk: sequential and random reads and writes on one file, like a small fio.
 *
 * Each worker thread has its own descriptor and issues one synchronous
 * pread/pwrite at a time (fio's psync engine), timing every call. Sequential
 * workers own one contiguous slice of the file each; random workers pick
 * blocks across the whole file. The main thread samples the workers'
 * counters per interval and ends the run on --duration, --bytes or SIGTERM.
 */
#include "lathist.h"
#include "wl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"usage: disk --file PATH --rw write|read|randwrite|randread [options]\n"
	"\n"
	"  --file PATH        file to read or write (created for writes; laid out\n"
	"                     with data first when a read needs more than it has)\n"
	"  --rw MODE          write, read (sequential), randwrite, randread\n"
	"  --size BYTES       file size used (default 256m; k, m, g suffixes)\n"
	"  --bs BYTES         block size of each I/O (default 4k)\n"
	"  --direct           O_DIRECT (bs and size must be multiples of 512)\n"
	"  --fsync POLICY     never (default), end, or N: fsync every N writes per worker\n"
	"  --workers N        threads, each with its own descriptor (default 1)\n"
	"  --duration S       run for S seconds, wrapping around the file\n"
	"  --bytes BYTES      stop after this many bytes in total\n"
	"                     (default without --duration: one pass, --size bytes)\n"
	"  --interval-ms MS   sample period (default 1000)\n"
	"  --seed N           seed of the random offsets (default 1)\n"
	"  --unlink           remove the file at the end\n"
	"  --help             this text\n"
	"\n"
	"Prints one JSON document: throughput, IOPS, latency percentiles in us\n"
	"(p50, p90, p99, p999, max), fsync latencies, per-interval samples.\n"
	"A full disk ends the run with an error and exit status 1.\n";

enum rw_mode { RW_READ, RW_WRITE, RW_RANDREAD, RW_RANDWRITE };
static const char *const rw_names[] = { "read", "write", "randread", "randwrite" };

struct disk_opts {
	const char *file;
	enum rw_mode rw;
	bool rw_set;
	uint64_t size;
	uint64_t bs;
	bool direct;
	uint64_t fsync_every;   /* 0: never or end */
	bool fsync_end;
	const char *fsync_text;
	int workers;
	double duration_s;      /* 0: none */
	uint64_t bytes;         /* 0: none */
	int interval_ms;
	uint64_t seed;
	bool unlink_at_end;
};

struct worker {
	pthread_t thread;
	bool running;
	int index;
	int fd;
	const struct disk_opts *o;
	uint64_t region_start;  /* sequential slice, in bytes */
	uint64_t region_len;
	uint64_t quota;         /* bytes to do, 0: until stopped */
	uint64_t rng;
	void *buf;
	lathist lat;
	lathist fsync_lat;
	/* written by the worker, read by the sampler */
	uint64_t done_bytes;
	uint64_t done_ops;
	int err;                /* negative errno of the failure, 0 */
	uint64_t err_offset;
	const char *err_what;
} __attribute__((aligned(64)));

static volatile int run_over;   /* set by the main thread on the deadline */
static int done_efd = -1;       /* workers signal their end here */

/* strerror with a lowercase first letter, as every message here */
static const char *errstr(int err)
{
	static __thread char buf[64];

	return error_strerror(err, buf, sizeof(buf));
}

static bool is_write(enum rw_mode m) { return m == RW_WRITE || m == RW_RANDWRITE; }
static bool is_random(enum rw_mode m) { return m == RW_RANDREAD || m == RW_RANDWRITE; }

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static void fill_random(void *buf, size_t len, uint64_t seed)
{
	uint64_t s = seed | 1, x;
	size_t i;

	/* random data, so that no layer below can compress or dedupe it */
	for (i = 0; i < len; i += sizeof(x)) {
		x = xorshift64(&s);
		memcpy((char *)buf + i, &x, len - i < sizeof(x) ? len - i : sizeof(x));
	}
}

static void worker_fail(struct worker *w, int err, const char *what, uint64_t off)
{
	w->err = err;
	w->err_what = what;
	w->err_offset = off;
}

static int do_io(struct worker *w, uint64_t off)
{
	size_t bs = w->o->bs, done = 0;

	while (done < bs) {
		ssize_t n;

		if (is_write(w->o->rw))
			n = pwrite(w->fd, (char *)w->buf + done, bs - done, (off_t)(off + done));
		else
			n = pread(w->fd, (char *)w->buf + done, bs - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;  /* read past the end: the file shrank */
		done += (size_t)n;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct disk_opts *o = w->o;
	uint64_t nblocks = o->size / o->bs, pos = 0, since_sync = 0, bytes = 0, ops = 0;
	uint64_t region_blocks = w->region_len / o->bs;
	uint64_t t0, t1, val = 1;
	int r;

	while (!run_over && !wl_stopping()) {
		uint64_t off;

		if (w->quota && bytes >= w->quota)
			break;
		if (is_random(o->rw)) {
			off = (xorshift64(&w->rng) % nblocks) * o->bs;
		} else {
			off = w->region_start + pos * o->bs;
			if (++pos == region_blocks)
				pos = 0;
		}
		t0 = mono_ns();
		r = do_io(w, off);
		t1 = mono_ns();
		if (r < 0) {
			worker_fail(w, r, is_write(o->rw) ? "write" : "read", off);
			break;
		}
		lathist_record(&w->lat, t1 - t0);
		bytes += o->bs;
		ops++;
		__atomic_store_n(&w->done_bytes, bytes, __ATOMIC_RELAXED);
		__atomic_store_n(&w->done_ops, ops, __ATOMIC_RELAXED);
		if (o->fsync_every && ++since_sync == o->fsync_every) {
			since_sync = 0;
			t0 = mono_ns();
			r = fsync(w->fd) < 0 ? -errno : 0;
			t1 = mono_ns();
			if (r < 0) {
				worker_fail(w, r, "fsync", off);
				break;
			}
			lathist_record(&w->fsync_lat, t1 - t0);
		}
	}
	if (!w->err && is_write(o->rw) && (o->fsync_end || (o->fsync_every && since_sync))) {
		t0 = mono_ns();
		r = fsync(w->fd) < 0 ? -errno : 0;
		t1 = mono_ns();
		if (r < 0)
			worker_fail(w, r, "fsync", 0);
		else
			lathist_record(&w->fsync_lat, t1 - t0);
	}
	if (write(done_efd, &val, sizeof(val)) < 0)
		perror("disk: cannot signal the end of a worker");
	return NULL;
}

static int parse_args(int argc, char **argv, struct disk_opts *o, wl_doc *doc)
{
	struct herror opt_err = { 0 };
	enum { OPT_FILE = 1, OPT_RW, OPT_SIZE, OPT_BS, OPT_DIRECT, OPT_FSYNC, OPT_WORKERS, OPT_DURATION,
	       OPT_BYTES, OPT_INTERVAL, OPT_SEED, OPT_UNLINK, OPT_HELP };
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, OPT_FILE },
		{ "rw", required_argument, NULL, OPT_RW },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "bs", required_argument, NULL, OPT_BS },
		{ "direct", no_argument, NULL, OPT_DIRECT },
		{ "fsync", required_argument, NULL, OPT_FSYNC },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "bytes", required_argument, NULL, OPT_BYTES },
		{ "interval-ms", required_argument, NULL, OPT_INTERVAL },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "unlink", no_argument, NULL, OPT_UNLINK },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 }
	};
	int c, r = 0, i;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FILE: o->file = optarg; break;
		case OPT_RW:
			for (i = 0; i < 4; i++)
				if (!strcmp(optarg, rw_names[i]))
					break;
			if (i == 4) {
				wl_doc_error(doc, "invalid value '%s' for option '--rw': use read, write, randread or randwrite", optarg);
				return -EINVAL;
			}
			o->rw = (enum rw_mode)i;
			o->rw_set = true;
			break;
		case OPT_SIZE: r = wl_parse_size("--size", optarg, 512, 1ull << 50, &o->size, &opt_err); break;
		case OPT_BS: r = wl_parse_size("--bs", optarg, 1, 64ull << 20, &o->bs, &opt_err); break;
		case OPT_DIRECT: o->direct = true; break;
		case OPT_FSYNC:
			o->fsync_text = optarg;
			o->fsync_end = false;
			o->fsync_every = 0;
			if (!strcmp(optarg, "end"))
				o->fsync_end = true;
			else if (strcmp(optarg, "never"))
				r = wl_parse_u64("--fsync", optarg, 1, UINT32_MAX, &o->fsync_every, &opt_err);
			if (r < 0) {
				wl_doc_error(doc, "invalid value '%s' for option '--fsync': use never, end or a number of writes", optarg);
				return r;
			}
			break;
		case OPT_WORKERS: r = wl_parse_int("--workers", optarg, 1, 256, &o->workers, &opt_err); break;
		case OPT_DURATION: r = wl_parse_double("--duration", optarg, 0.001, 1e7, &o->duration_s, &opt_err); break;
		case OPT_BYTES: r = wl_parse_size("--bytes", optarg, 1, UINT64_MAX, &o->bytes, &opt_err); break;
		case OPT_INTERVAL: r = wl_parse_int("--interval-ms", optarg, 10, 3600000, &o->interval_ms, &opt_err); break;
		case OPT_SEED: r = wl_parse_u64("--seed", optarg, 0, UINT64_MAX, &o->seed, &opt_err); break;
		case OPT_UNLINK: o->unlink_at_end = true; break;
		case OPT_HELP: wl_help_exit(usage);
		default: return wl_opt_unknown(doc, argv);
		}
		if (r < 0)
			return wl_doc_fail(doc, r, "%s", opt_err.msg);
	}
	if ((r = wl_opt_end(doc, argc, argv)) < 0)
		return r;
	if (!o->file)
		return wl_opt_required(doc, "file");
	if (!o->rw_set)
		return wl_opt_required(doc, "rw");
	if (o->direct && (o->bs % 512 || o->size % 512)) {
		wl_doc_error(doc, "with '--direct', '--bs' (%llu) and '--size' (%llu) must be multiples of 512",
			     (unsigned long long)o->bs, (unsigned long long)o->size);
		return -EINVAL;
	}
	if (o->size < o->bs * (uint64_t)o->workers) {
		wl_doc_error(doc, "'--size' (%llu) must hold at least one block of '--bs' (%llu) per worker (%d)",
			     (unsigned long long)o->size, (unsigned long long)o->bs, o->workers);
		return -EINVAL;
	}
	if (o->fsync_every && !is_write(o->rw)) {
		wl_doc_error(doc, "option '--fsync %s' needs a write mode", o->fsync_text);
		return -EINVAL;
	}
	/* whole blocks only: the last partial block is never touched */
	o->size -= o->size % o->bs;
	if (!o->duration_s && !o->bytes)
		o->bytes = o->size;
	return 0;
}

static void add_params(wl_doc *doc, const struct disk_opts *o)
{
	wl_add_str(doc->params, "file", o->file);
	wl_add_str(doc->params, "rw", rw_names[o->rw]);
	wl_add_num(doc->params, "size_bytes", (double)o->size);
	wl_add_num(doc->params, "bs_bytes", (double)o->bs);
	wl_add_bool(doc->params, "direct", o->direct);
	wl_add_str(doc->params, "fsync", o->fsync_text);
	wl_add_num(doc->params, "workers", o->workers);
	wl_add_num(doc->params, "duration_s", o->duration_s);
	wl_add_num(doc->params, "bytes", (double)o->bytes);
	wl_add_num(doc->params, "interval_ms", o->interval_ms);
	wl_add_num(doc->params, "seed", (double)o->seed);
	wl_add_bool(doc->params, "unlink", o->unlink_at_end);
}

static void report_io_error(wl_doc *doc, const struct disk_opts *o, const char *what, int err, uint64_t off)
{
	if (err == -ENOSPC || err == -EDQUOT)
		wl_doc_error(doc, "disk full: cannot %s '%s' at offset %llu: %s", what, o->file,
			     (unsigned long long)off, errstr(err));
	else if (err == -ENODATA)
		wl_doc_error(doc, "cannot %s '%s' at offset %llu: unexpected end of file", what, o->file,
			     (unsigned long long)off);
	else
		wl_doc_error(doc, "cannot %s '%s' at offset %llu: %s", what, o->file,
			     (unsigned long long)off, errstr(err));
}

/* Reads need data to read: write the missing part of the file once, before
 * the measured run (as fio lays out its files). */
static int lay_out_file(wl_doc *doc, const struct disk_opts *o, uint64_t have)
{
	size_t chunk = 1 << 20;
	uint64_t off = have - have % chunk;
	void *buf = NULL;
	int fd, r = 0;

	fd = open(o->file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		wl_doc_error(doc, "cannot create '%s': %s", o->file, errstr(errno));
		return -errno;
	}
	buf = malloc(chunk);
	if (!buf) {
		close(fd);
		wl_doc_error(doc, "cannot allocate %zu bytes to lay out '%s'", chunk, o->file);
		return -ENOMEM;
	}
	fill_random(buf, chunk, o->seed + 7);
	while (off < o->size && !wl_stopping()) {
		size_t n = o->size - off < chunk ? (size_t)(o->size - off) : chunk;
		ssize_t w = pwrite(fd, buf, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -ENOSPC;
			report_io_error(doc, o, "lay out", r, off);
			break;
		}
		off += (uint64_t)w;
	}
	if (!r && wl_stopping()) {
		wl_doc_error(doc, "stopped while laying out '%s'", o->file);
		r = -EINTR;
	}
	if (!r && fsync(fd) < 0) {
		r = -errno;
		report_io_error(doc, o, "fsync", r, 0);
	}
	free(buf);
	close(fd);
	return r;
}

static int prepare_file(wl_doc *doc, const struct disk_opts *o, bool *laid_out)
{
	struct stat st;
	uint64_t have = 0;
	int fd, r;

	*laid_out = false;
	if (stat(o->file, &st) == 0) {
		if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
			wl_doc_error(doc, "'%s' is not a regular file or block device", o->file);
			return -EINVAL;
		}
		have = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : o->size;
	} else if (errno != ENOENT) {
		wl_doc_error(doc, "cannot stat '%s': %s", o->file, errstr(errno));
		return -errno;
	}
	if (!is_write(o->rw)) {
		if (have >= o->size)
			return 0;
		*laid_out = true;
		return lay_out_file(doc, o, have);
	}
	if (o->rw == RW_RANDWRITE && have < o->size) {
		/* reserve the blocks now, so that a full disk shows before the run */
		fd = open(o->file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			wl_doc_error(doc, "cannot create '%s': %s", o->file, errstr(errno));
			return -errno;
		}
		r = fallocate(fd, 0, 0, (off_t)o->size) < 0 ? -errno : 0;
		if (r == -EOPNOTSUPP)
			r = ftruncate(fd, (off_t)o->size) < 0 ? -errno : 0;
		close(fd);
		if (r < 0) {
			report_io_error(doc, o, "allocate", r, have);
			return r;
		}
	}
	return 0;
}

static int open_worker_fd(wl_doc *doc, const struct disk_opts *o)
{
	int flags = O_CLOEXEC | (is_write(o->rw) ? O_WRONLY | O_CREAT : O_RDONLY);
	int fd;

	if (o->direct)
		flags |= O_DIRECT;
	fd = open(o->file, flags, 0644);
	if (fd < 0) {
		int err = -errno;
		if (err == -EINVAL && o->direct)
			wl_doc_error(doc, "cannot open '%s' with O_DIRECT: %s (the file system may not support direct I/O)",
				     o->file, errstr(err));
		else
			wl_doc_error(doc, "cannot open '%s': %s", o->file, errstr(err));
		return err;
	}
	return fd;
}

static void add_sample(wl_doc *doc, double t, double dt, uint64_t dbytes, uint64_t dops)
{
	cJSON *s = wl_arr_obj(doc->samples);

	wl_add_num(s, "t", t);
	wl_add_num(s, "dt_s", dt);
	wl_add_num(s, "io_bytes", (double)dbytes);
	wl_add_num(s, "ops", (double)dops);
	wl_add_num(s, "mib_per_s", dt > 0 ? (double)dbytes / dt / 1048576.0 : 0);
	wl_add_num(s, "iops", dt > 0 ? (double)dops / dt : 0);
}

static void sum_counters(struct worker *ws, int n, uint64_t *bytes, uint64_t *ops)
{
	int i;

	*bytes = *ops = 0;
	for (i = 0; i < n; i++) {
		*bytes += __atomic_load_n(&ws[i].done_bytes, __ATOMIC_RELAXED);
		*ops += __atomic_load_n(&ws[i].done_ops, __ATOMIC_RELAXED);
	}
}

/* Sample every interval until every worker has ended; stop them at the
 * deadline or on SIGTERM (which only this thread receives). */
static double run_and_sample(wl_doc *doc, const struct disk_opts *o, struct worker *ws, uint64_t start)
{
	uint64_t interval = (uint64_t)o->interval_ms * 1000000ull;
	uint64_t deadline = o->duration_s ? start + (uint64_t)(o->duration_s * 1e9) : 0;
	uint64_t next = start + interval, last_t = start, last_bytes = 0, last_ops = 0;
	uint64_t bytes, ops, now, v, end = 0;
	int ended = 0;

	while (ended < o->workers) {
		struct pollfd pfd = { .fd = done_efd, .events = POLLIN };
		uint64_t wake = next;
		int timeout_ms;

		if (deadline && !run_over && deadline < wake)
			wake = deadline;
		now = mono_ns();
		timeout_ms = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;
		if (poll(&pfd, 1, timeout_ms) > 0 && read(done_efd, &v, sizeof(v)) == sizeof(v)) {
			ended += (int)v;
			if (ended == o->workers)
				end = mono_ns();
		}
		now = mono_ns();
		if (wl_stopping() || (deadline && now >= deadline))
			run_over = 1;
		if (now >= next && ended < o->workers) {
			sum_counters(ws, o->workers, &bytes, &ops);
			add_sample(doc, (double)(now - start) / 1e9, (double)(now - last_t) / 1e9,
				   bytes - last_bytes, ops - last_ops);
			last_t = now;
			last_bytes = bytes;
			last_ops = ops;
			wl_state_publish(ops, NULL);
			while (next <= now)
				next += interval;
		}
	}
	sum_counters(ws, o->workers, &bytes, &ops);
	if (bytes > last_bytes && end > last_t)
		add_sample(doc, (double)(end - start) / 1e9, (double)(end - last_t) / 1e9,
			   bytes - last_bytes, ops - last_ops);
	return (double)(end - start) / 1e9;
}

static void add_totals(wl_doc *doc, const struct disk_opts *o, struct worker *ws, double elapsed)
{
	lathist lat, fsync_lat;
	uint64_t bytes, ops;
	cJSON *per, *pw;
	struct stat st;
	int i;

	sum_counters(ws, o->workers, &bytes, &ops);
	wl_add_num(doc->totals, "io_bytes", (double)bytes);
	wl_add_num(doc->totals, "ops", (double)ops);
	wl_add_num(doc->totals, "elapsed_s", elapsed);
	wl_add_num(doc->totals, "mib_per_s", elapsed > 0 ? (double)bytes / elapsed / 1048576.0 : 0);
	wl_add_num(doc->totals, "iops", elapsed > 0 ? (double)ops / elapsed : 0);
	if (lathist_init(&lat) < 0 || lathist_init(&fsync_lat) < 0) {
		wl_doc_error(doc, "cannot allocate the latency histograms");
		return;
	}
	per = wl_add_arr(doc->totals, "per_worker");
	for (i = 0; i < o->workers; i++) {
		lathist_merge(&lat, &ws[i].lat);
		lathist_merge(&fsync_lat, &ws[i].fsync_lat);
		pw = wl_arr_obj(per);
		wl_add_num(pw, "io_bytes", (double)ws[i].done_bytes);
		wl_add_num(pw, "ops", (double)ws[i].done_ops);
	}
	lathist_add_summary_us(doc->totals, "latency_us", &lat);
	wl_add_num(doc->totals, "fsyncs", (double)fsync_lat.count);
	lathist_add_summary_us(doc->totals, "fsync_latency_us", &fsync_lat);
	if (stat(o->file, &st) == 0)
		wl_add_num(doc->totals, "file_size_bytes", (double)st.st_size);
	lathist_free(&lat);
	lathist_free(&fsync_lat);
}

int main(int argc, char **argv)
{
	struct disk_opts o = {
		.size = 256ull << 20, .bs = 4096, .fsync_text = "never", .workers = 1,
		.interval_ms = 1000, .seed = 1,
	};
	struct worker *ws = NULL;
	sigset_t block, old;
	bool laid_out = false;
	uint64_t start, per_blocks, extra_blocks, quota_blocks;
	double elapsed = 0;
	wl_doc doc;
	int i, started = 0, status;

	wl_doc_init(&doc, "disk");
	if (parse_args(argc, argv, &o, &doc) < 0)
		return wl_doc_finish_usage(&doc);
	add_params(&doc, &o);
	if (wl_install_stop_handlers() < 0)
		return wl_doc_finish_error(&doc, "cannot install the signal handlers");
	if (prepare_file(&doc, &o, &laid_out) < 0)
		goto out;
	wl_add_bool(doc.params, "laid_out", laid_out);
	done_efd = eventfd(0, EFD_CLOEXEC);
	ws = aligned_alloc(64, sizeof(*ws) * (size_t)o.workers);
	if (done_efd < 0 || !ws) {
		wl_doc_error(&doc, "cannot allocate %d workers", o.workers);
		goto out;
	}
	memset(ws, 0, sizeof(*ws) * (size_t)o.workers);
	for (i = 0; i < o.workers; i++)
		ws[i].fd = -1;
	per_blocks = o.size / o.bs / (uint64_t)o.workers;
	quota_blocks = o.bytes ? (o.bytes + o.bs - 1) / o.bs : 0;
	extra_blocks = quota_blocks % (uint64_t)o.workers;
	for (i = 0; i < o.workers; i++) {
		struct worker *w = &ws[i];

		w->index = i;
		w->o = &o;
		w->region_start = (uint64_t)i * per_blocks * o.bs;
		w->region_len = i == o.workers - 1 ? o.size - w->region_start : per_blocks * o.bs;
		if (quota_blocks)
			w->quota = (quota_blocks / (uint64_t)o.workers + ((uint64_t)i < extra_blocks)) * o.bs;
		w->rng = (o.seed + 1) * 0x9E3779B97F4A7C15ull + (uint64_t)i * 0xBF58476D1CE4E5B9ull;
		if (!w->rng)
			w->rng = 1;
		if (posix_memalign(&w->buf, 4096, o.bs) != 0 ||
		    lathist_init(&w->lat) < 0 || lathist_init(&w->fsync_lat) < 0) {
			wl_doc_error(&doc, "cannot allocate the buffers of worker %d", i);
			goto out;
		}
		fill_random(w->buf, o.bs, o.seed + (uint64_t)i);
		w->fd = open_worker_fd(&doc, &o);
		if (w->fd < 0)
			goto out;
	}
	/* only the main thread takes SIGTERM: its poll() wakes up at once */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	start = mono_ns();
	for (i = 0; i < o.workers; i++) {
		/* fewer blocks than workers: the idle ones end at once */
		if (quota_blocks && !ws[i].quota) {
			uint64_t one = 1;
			if (write(done_efd, &one, sizeof(one)) < 0)
				perror("disk: eventfd");
			started++;
			continue;
		}
		ws[i].running = pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) == 0;
		if (!ws[i].running) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			wl_doc_error(&doc, "cannot start worker thread %d", i);
			run_over = 1;
			break;
		}
		started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (started == o.workers)
		elapsed = run_and_sample(&doc, &o, ws, start);
	for (i = 0; i < started; i++)
		if (ws[i].running)
			pthread_join(ws[i].thread, NULL);
	for (i = 0; i < started; i++)
		if (ws[i].err) {
			report_io_error(&doc, &o, ws[i].err_what, ws[i].err, ws[i].err_offset);
			break;
		}
	add_totals(&doc, &o, ws, elapsed);
out:
	if (ws)
		for (i = 0; i < o.workers; i++) {
			if (ws[i].fd >= 0)
				close(ws[i].fd);
			free(ws[i].buf);
			lathist_free(&ws[i].lat);
			lathist_free(&ws[i].fsync_lat);
		}
	free(ws);
	if (o.unlink_at_end && unlink(o.file) < 0 && errno != ENOENT)
		wl_doc_error(&doc, "cannot remove '%s': %s", o.file, errstr(errno));
	status = wl_doc_finish(&doc);
	return status;
}
