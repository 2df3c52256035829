/* io_pulse: cycles of write, fsync, sleep on one file; the latency of each
 * step, to show how the write-back path (guest page cache, virtual disk,
 * host cache mode) answers a periodic durable write. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wl.h"

static const char usage[] =
	"usage: io_pulse --file PATH [--size SIZE] [--sleep-ms MS] [--duration S]\n"
	"                [--cycles N] [--file-size SIZE] [--keep]\n"
	"  --file PATH       file to write (created; removed at the end unless --keep)\n"
	"  --size SIZE       bytes written per cycle (default 1m)\n"
	"  --sleep-ms MS     pause after each fsync (default 100)\n"
	"  --duration S      seconds to run (default 10)\n"
	"  --cycles N        stop after N cycles (default 0 = no limit)\n"
	"  --file-size SIZE  writes wrap around at this offset (default 64m)\n";

int main(int argc, char **argv)
{
	struct herror opt_err = { 0 };
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' },
		{ "sleep-ms", required_argument, NULL, 'S' },
		{ "duration", required_argument, NULL, 'd' },
		{ "cycles", required_argument, NULL, 'c' },
		{ "file-size", required_argument, NULL, 'F' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	uint64_t size = 1u << 20, sleep_ms = 100, cycles = 0, file_size = 64u << 20, done = 0, bytes = 0;
	uint64_t started_ns, end_ns, off = 0;
	double duration = 10;
	bool keep = false;
	wl_vec wlat = { 0 }, flat = { 0 };
	char *buf = NULL;
	int c, r = 0, fd = -1;
	wl_doc doc;

	wl_doc_init(&doc, "io_pulse");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': path = optarg; break;
		case 's': r = wl_parse_size("--size", optarg, 1, 1u << 30, &size, &opt_err); break;
		case 'S': r = wl_parse_u64("--sleep-ms", optarg, 0, 3600000, &sleep_ms, &opt_err); break;
		case 'd': r = wl_parse_double("--duration", optarg, 0.001, 1e7, &duration, &opt_err); break;
		case 'c': r = wl_parse_u64("--cycles", optarg, 0, UINT64_MAX, &cycles, &opt_err); break;
		case 'F': r = wl_parse_size("--file-size", optarg, 1, 1ull << 44, &file_size, &opt_err); break;
		case 'k': keep = true; break;
		case 'h': wl_help_exit(usage);
		default: return wl_usage_error(&doc, "unknown option or missing value: '%s'", argv[optind - 1]);
		}
		if (r < 0)
			return wl_usage_error(&doc, "%s", opt_err.msg);
	}
	if (optind < argc)
		return wl_usage_error(&doc, "unexpected argument '%s'", argv[optind]);
	if (!path || !*path)
		return wl_usage_error(&doc, "option '--file' is required");
	if (file_size < size)
		return wl_usage_error(&doc, "--file-size must be at least --size");
	wl_add_str(doc.params, "file", path);
	wl_add_num(doc.params, "size_bytes", (double)size);
	wl_add_num(doc.params, "sleep_ms", (double)sleep_ms);
	wl_add_num(doc.params, "duration_s", duration);
	wl_add_num(doc.params, "cycles", (double)cycles);
	wl_add_num(doc.params, "file_size_bytes", (double)file_size);
	wl_add_bool(doc.params, "keep", keep);
	if (wl_install_stop_handlers() < 0)
		return wl_doc_finish_error(&doc, "cannot install signal handlers");

	buf = malloc(size);
	if (!buf) {
		wl_doc_error(&doc, "cannot allocate a %llu-byte buffer", (unsigned long long)size);
		goto out;
	}
	/* Non-zero, non-repeating-page data: nothing below may compress it away. */
	for (uint64_t i = 0; i < size; i++)
		buf[i] = (char)(i * 2654435761u >> 13);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		wl_doc_error(&doc, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}

	started_ns = mono_ns();
	end_ns = started_ns + (uint64_t)(duration * 1e9);
	while (!wl_stopping() && mono_ns() < end_ns && (!cycles || done < cycles)) {
		uint64_t t0 = mono_ns(), t1, t2, left = size;
		cJSON *s;

		if (off + size > file_size)
			off = 0;
		while (left > 0) {
			ssize_t n = pwrite(fd, buf + (size - left), left, (off_t)(off + size - left));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				wl_doc_error(&doc, errno == ENOSPC ? "disk full writing '%s'" :
					     "cannot write '%s': %s", path, strerror(errno));
				goto out;
			}
			left -= (uint64_t)n;
		}
		t1 = mono_ns();
		while (fsync(fd) < 0) {
			if (errno == EINTR)
				continue;
			wl_doc_error(&doc, errno == ENOSPC ? "disk full syncing '%s'" : "cannot fsync '%s': %s",
				     path, strerror(errno));
			goto out;
		}
		t2 = mono_ns();
		off += size;
		bytes += size;
		done++;
		if (wl_vec_push(&wlat, (double)(t1 - t0) / 1e3) < 0 || wl_vec_push(&flat, (double)(t2 - t1) / 1e3) < 0) {
			wl_doc_error(&doc, "out of memory recording latencies");
			goto out;
		}
		s = wl_arr_obj(doc.samples);
		wl_add_num(s, "t", (double)(t2 - started_ns) / 1e9);
		wl_add_num(s, "cycle", (double)done);
		wl_add_num(s, "write_us", (double)(t1 - t0) / 1e3);
		wl_add_num(s, "fsync_us", (double)(t2 - t1) / 1e3);
		wl_add_num(s, "bytes", (double)size);
		wl_state_publish(done, NULL);
		if (sleep_ms) {
			uint64_t wake = t2 + sleep_ms * 1000000ull;
			wl_sleep_until_ns(wake < end_ns ? wake : end_ns);
		}
	}
	{
		double el = (double)(mono_ns() - started_ns) / 1e9;
		wl_add_num(doc.totals, "cycles", (double)done);
		wl_add_num(doc.totals, "bytes", (double)bytes);
		wl_add_num(doc.totals, "elapsed_s", el);
		wl_add_num(doc.totals, "bytes_per_s", el > 0 ? (double)bytes / el : 0);
	}
out:
	wl_add_summary(doc.totals, "write_latency_us", wlat.v, wlat.n);
	wl_add_summary(doc.totals, "fsync_latency_us", flat.v, flat.n);
	if (fd >= 0) {
		close(fd);
		if (!keep)
			unlink(path);
	}
	wl_vec_free(&wlat);
	wl_vec_free(&flat);
	free(buf);
	return wl_doc_finish(&doc);
}
