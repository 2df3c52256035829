/* Host noise: what is NOT the run, measured on the host while a run is
 * recorded. Every process on the host is sampled (/proc/<pid>/stat, io) at
 * the start, every period in between and at the end; processes are sorted
 * into the run's own (the harness's process tree, the QEMU processes of
 * the run's domains, the libvirt daemons, kernel threads) and others. The
 * record's "host_noise" says how much CPU, memory and block I/O the others
 * took, names the top three, the host's steal time and CPU frequencies,
 * and whether the run was disturbed (hostnoise_assess's thresholds).
 *
 * Parsing and assessment are pure (fixture text in, numbers out) so that
 * they are unit-tested; hostnoise_start/stop do the sampling. */
#ifndef HARNESS_HOSTNOISE_H
#define HARNESS_HOSTNOISE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* A run is disturbed when others took more than this share of one host
 * CPU over the run's wall time ... */
#define HOSTNOISE_CPU_LIMIT 0.05
/* ... or changed their resident memory by more than this at any sample. */
#define HOSTNOISE_MEM_LIMIT_MIB 128.0
/* Seconds between samples during a run (start and end are always sampled). */
#define HOSTNOISE_PERIOD_S 1.0

enum hostnoise_class {
	HN_OTHER,	/* not the run: what disturbs it */
	HN_HARNESS,	/* the harness's process tree (the run's own helpers included) */
	HN_QEMU,	/* a QEMU process of one of the run's domains */
	HN_DAEMON,	/* a libvirt daemon (works for the run) */
	HN_KTHREAD,	/* a kernel thread: recorded, not judged */
};

/* One process as /proc/<pid>/stat (and io, cmdline) show it. */
struct hostnoise_proc {
	int pid, ppid;
	unsigned long long start;	/* starttime (ticks after boot): with pid, the identity */
	char comm[32];
	unsigned long flags;		/* PF_* */
	unsigned long long cpu;		/* utime + stime, ticks */
	long long rss_kib;
	int processor;			/* the CPU it last ran on */
	int nice;
	bool io_known;
	unsigned long long read_bytes, write_bytes;
	char guest[128];		/* a QEMU process: its -name guest= value */
};

struct hostnoise_cpu {
	unsigned long long busy, steal, total;	/* ticks */
};

/* One sample of the host. */
struct hostnoise_snap {
	double t;			/* monotonic seconds */
	struct hostnoise_proc *procs;
	size_t nprocs;
	struct hostnoise_cpu all;	/* the "cpu" line */
	struct hostnoise_cpu *cpus;	/* cpu0, cpu1, ... */
	size_t ncpus;
	long long mem_available_kib;	/* -1: unknown */
	unsigned long long disk_read_bytes, disk_write_bytes;
	long *freq_khz;			/* per CPU; -1 where not offered */
};

/* One process over the samples it was seen in. */
struct hostnoise_entry {
	int pid;
	unsigned long long start;
	char comm[32];
	int nice, processor;
	enum hostnoise_class cls;
	bool at_start;			/* present in the first sample: its first values are the base */
	int last_sample;		/* the sample it was last seen in: gone after that, its memory freed */
	unsigned long long cpu_first, cpu_last;
	long long rss_first, rss_last, rss_peak_dev;	/* KiB; peak |rss - rss_first| */
	bool io_known;
	unsigned long long rd_first, rd_last, wr_first, wr_last;
};

/* Which processes are the run's: the harness's tree is found from root
 * (the harness's outermost process); a QEMU process is the run's when its
 * guest name starts with prefix or is one of names. */
struct hostnoise_run_ids {
	int root;
	char *prefix;
	char **names;
	size_t nnames;
};

struct hostnoise_track {
	struct hostnoise_run_ids ids;
	struct hostnoise_snap first, last;
	struct hostnoise_entry *e;
	size_t n, cap;
	long *freq_min, *freq_max;	/* per CPU over the samples, kHz; -1 unknown */
	double others_mem_peak_kib;	/* peak |sum of others' rss - at start| */
	int samples;
	unsigned long hz;
};

/* Parsers of /proc text: 0, or -EINVAL when the text is not what the
 * kernel writes. */
int hostnoise_parse_pid_stat(const char *text, struct hostnoise_proc *out);
int hostnoise_parse_pid_io(const char *text, unsigned long long *read_bytes, unsigned long long *write_bytes);
/* /proc/stat: the aggregate and per-CPU lines (*cpus allocated). */
int hostnoise_parse_stat(const char *text, struct hostnoise_cpu *all, struct hostnoise_cpu **cpus, size_t *ncpus);
int hostnoise_parse_meminfo(const char *text, long long *available_kib);
/* /proc/diskstats, whole disks only (no partitions, no loop/ram/dm). */
int hostnoise_parse_diskstats(const char *text, unsigned long long *read_bytes, unsigned long long *write_bytes);
/* A QEMU command line (NUL-separated, len bytes): its -name guest= value. */
void hostnoise_qemu_guest(const char *cmdline, size_t len, char *out, size_t outlen);

/* The tracker: ids copied; hz is the clock tick (sysconf(_SC_CLK_TCK)). */
void hostnoise_track_init(struct hostnoise_track *t, const struct hostnoise_run_ids *ids, unsigned long hz);
/* Add one sample (taken over by the tracker). */
void hostnoise_track_add(struct hostnoise_track *t, struct hostnoise_snap *s);
void hostnoise_track_free(struct hostnoise_track *t);
void hostnoise_snap_free(struct hostnoise_snap *s);

/* What the tracker saw, as the record's host_noise (schema: run.schema.json),
 * with disturbed and its reason decided by the thresholds above. */
cJSON *hostnoise_assess(const struct hostnoise_track *t);

/* Read this host's /proc now. */
void hostnoise_snap_take(struct hostnoise_snap *s);
/* The outermost harness process of this one (the same comm up the tree). */
int hostnoise_harness_root(void);

/* Sampling in a thread of its own from start to stop: stop returns the
 * assessment (NULL when the sampler could not start) and frees the rest. */
struct hostnoise_sampler;
struct hostnoise_sampler *hostnoise_start(const struct hostnoise_run_ids *ids, double period_s);
cJSON *hostnoise_stop(struct hostnoise_sampler *s);

#endif
