/* The memory experiment's pure logic: time series of samples, phase marks,
 * whether the balloon reached its target, whether the host got its memory
 * back, and the readers of /proc text it samples. No libvirt here. */
#ifndef HARNESS_MEMSERIES_H
#define HARNESS_MEMSERIES_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* One column of a series: values in step with the series' times; NaN where a
 * sample had no value (the domain not started yet, a stat QEMU did not give). */
struct mem_column {
	const char *name;
	double *v;
};

#define MEM_SERIES_MAX_COLUMNS 12

struct mem_series {
	double *t;		/* seconds since the experiment's start */
	size_t n, cap;
	struct mem_column col[MEM_SERIES_MAX_COLUMNS];
	size_t ncol;
};

/* An empty series with the given column names (at most MEM_SERIES_MAX_COLUMNS). */
void mem_series_init(struct mem_series *s, const char *const *names, size_t ncol);
/* Append a sample: t and one value per column (NaN: none). */
void mem_series_push(struct mem_series *s, double t, const double *values);
/* The column called name, or NULL. */
const double *mem_series_column(const struct mem_series *s, const char *name);
void mem_series_free(struct mem_series *s);
/* {"t": [...], "<column>": [...]}: times to 1 ms, values to 0.1, NaN as null. */
cJSON *mem_series_json(const struct mem_series *s);

/* How the balloon followed a target set at t_set, seen in samples (t, v) up
 * to t_end: the first sample within tol of target, its delay after t_set,
 * and the error of the last sample in the window (v - target). */
struct balloon_reach {
	bool reached;
	double time_to_target_s;	/* NaN when not reached */
	double final_error;		/* NaN when no sample in the window */
	size_t samples;			/* samples in the window */
};
void balloon_reach(const double *t, const double *v, size_t n, double t_set, double t_end, double target,
		   double tol, struct balloon_reach *out);

/* The host's memory after the guests are gone against before they started:
 * error = before - after (what did not come back, KiB; negative when the host
 * has more than before), within tol. */
struct reclaim {
	double before_kib, after_kib, low_kib;	/* low: the least available while the guests lived */
	double error_kib;
	double reclaimed_frac;			/* (after - low) / (before - low), NaN when nothing was taken */
	bool within;
};
void reclaim_judge(double before_kib, double low_kib, double after_kib, double tol_kib, struct reclaim *out);

/* The host's memory when the guests went, by attribution: what the run's
 * QEMU processes held just before the shutdown (their private memory and
 * page tables), against what the host gained by a moment after it,
 * corrected for what every other process allocated (+) or freed (-) in
 * between, so that another program cannot make it fail. avail_* is any
 * measure of the host's free memory: MemAvailable, or minus the host's
 * anonymous, shared and page-table memory (the kinds a process holds). KiB. */
struct reclaim_attr {
	double host_change_kib;		/* MemAvailable after - before */
	double guests_kib;		/* what the QEMU processes held */
	double others_kib;		/* the other processes' part of the host's change: -(their growth) */
	double returned_kib;		/* what came back from the guests: host change - others' part */
	double error_kib;		/* guests - returned: held but not given back (negative: more came back) */
	double guests_frac;		/* guests / host change: the guests' part of it; NaN when it is ~0 */
	bool within;			/* |error| <= tol */
};
void reclaim_attribute(double qemu_held_kib, double avail_before_kib, double avail_after_kib,
		       double others_before_kib, double others_after_kib, double tol_kib, struct reclaim_attr *out);

/* The value of "Key:" in /proc/meminfo or /proc/PID/status text, in KiB;
 * -ENOENT when absent, -EINVAL when not a number. */
int proc_kib_field(const char *text, const char *key, unsigned long long *kib);

#endif
