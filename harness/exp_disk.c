/* disk: sequential writes with fsync (O_DIRECT and buffered) and 4 KiB
 * random reads and writes on a scratch disk hot-plugged with the disk
 * settings under test (hotplug.c), with the workloads/disk program in the
 * guest; beside each phase, what the hypervisor did for it: the disk's
 * virDomainBlockStats and the QEMU process's /proc/PID/io. The "dd" method
 * is the seeds' demonstration: dd with conv=fsync. With "reference: fio",
 * fio runs right after each phase (right before it in even repeats) in the
 * same guest on the same scratch disk with the same flags, and the phase
 * records fio's figures, the order and the ratio. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "doc.h"
#include "exp_containers.h"
#include "experiment.h"
#include "gsettings.h"
#include "guestrun.h"
#include "hotplug.h"
#include "progress.h"
#include "virt.h"

extern const struct experiment exp_disk_info;

#define SCRATCH_MIB 512
#define DD_MIB 128

static const char *const methods[] = { "workload", "dd", NULL };
static const char *const references[] = { "none", "fio", NULL };

static const struct exp_setting disk_settings[] = {
	GUESTRUN_GUEST_SETTING,
	{ .key = "method", .help = "workload: the disk program's four phases; dd: dd with conv=fsync (the seeds')",
	  .allowed = methods, .def = "workload" },
	{ .key = "reference", .help = "fio: run fio in the guest right after each phase (right before it in even "
				      "repeats), on the same scratch disk with the same flags (psync, same block "
				      "size and duration), and record its figures and the ratio disk/fio (needs fio "
				      "in the guest image and method workload)",
	  .allowed = references, .def = "none" },
	GSETTING_AXIS(disk_cache, "cache mode of the scratch disk"),
	GSETTING_AXIS(disk_bus, "bus of the scratch disk (sata: a fresh guest, it cannot hot-plug)"),
	GSETTING_AXIS(disk_io, "I/O mode of the scratch disk"),
	GSETTING_AXIS(vcpus, "vCPUs of the guest (a fresh guest)"),
	GSETTING_AXIS(memory_mib, "memory of the guest in MiB (a fresh guest)"),
};

struct phase {
	const char *name;
	const char *rw;
	const char *bs;
	bool direct;
	const char *fsync;	/* NULL: never */
};

static const struct phase phases[] = {
	{ "seqwrite_direct", "write", "1m", true, "16" },
	{ "seqwrite_buffered", "write", "1m", false, "16" },
	{ "randread", "randread", "4k", true, NULL },
	{ "randwrite", "randwrite", "4k", true, NULL },
};
#define NPHASES (sizeof(phases) / sizeof(phases[0]))

struct host_io {
	long long rd_bytes, wr_bytes, rd_req, wr_req;	/* virDomainBlockStats */
	long long proc_rd, proc_wr;			/* /proc/PID/io */
};

static long long proc_io_field(const char *text, const char *key)
{
	const char *p = text ? strstr(text, key) : NULL;

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static int host_io_read(virDomainPtr dom, const char *disk, struct host_io *h, struct herror *err)
{
	virDomainBlockStatsStruct bs;
	cleanup_free char *path = NULL, *text = NULL;
	int pid;

	if (virDomainBlockStats(dom, disk, &bs, sizeof(bs)) < 0)
		return error_setx(err, EIO, "cannot read the block statistics of '%s' in '%s': %s", disk,
				  virDomainGetName(dom), virt_last_error());
	h->rd_bytes = bs.rd_bytes;
	h->wr_bytes = bs.wr_bytes;
	h->rd_req = bs.rd_req;
	h->wr_req = bs.wr_req;
	pid = virt_domain_qemu_pid(dom, err);
	if (pid < 0)
		return pid;
	path = xasprintf("/proc/%d/io", pid);
	text = read_text(path, NULL, err);
	if (text == NULL)
		return -err->status;
	h->proc_rd = proc_io_field(text, "\nread_bytes: ");
	h->proc_wr = proc_io_field(text, "\nwrite_bytes: ");
	if (h->proc_rd < 0 || h->proc_wr < 0)
		return error_setx(err, EIO, "no read_bytes/write_bytes in '%s'", path);
	return 0;
}

static cJSON *ratio_or_null(double num, double den)
{
	return den > 0 && isfinite(num) ? cJSON_CreateNumber(num / den) : cJSON_CreateNull();
}

static cJSON *host_json(const struct host_io *a, const struct host_io *b)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "block_rd_bytes", (double)(b->rd_bytes - a->rd_bytes));
	cJSON_AddNumberToObject(o, "block_wr_bytes", (double)(b->wr_bytes - a->wr_bytes));
	cJSON_AddNumberToObject(o, "block_rd_req", (double)(b->rd_req - a->rd_req));
	cJSON_AddNumberToObject(o, "block_wr_req", (double)(b->wr_req - a->wr_req));
	cJSON_AddNumberToObject(o, "proc_read_bytes", (double)(b->proc_rd - a->proc_rd));
	cJSON_AddNumberToObject(o, "proc_write_bytes", (double)(b->proc_wr - a->proc_wr));
	return o;
}

/* Theory's host bytes per guest byte: with O_DIRECT in the guest every
 * written byte reaches the virtual disk once (raw volume: no format
 * metadata), and with a cache mode that bypasses the host page cache (none,
 * directsync) it is written to the host file once: 1. Through the host page
 * cache (writeback, writethrough, unsafe) a page rewritten while dirty is
 * counted once, so only "at most 1" holds: no expected value. */
static cJSON *expected_host_ratio(const char *cache, bool write)
{
	if (write && (strcmp(cache, "none") == 0 || strcmp(cache, "directsync") == 0))
		return cJSON_CreateNumber(1.0);
	return cJSON_CreateNull();
}

/* One runner call in g with one workload; the host figures around it. */
static int run_phase(struct guest *g, const char *disk, const char *name, const char *program,
		     const char *const *args, double duration, cJSON **doc, struct host_io *before,
		     struct host_io *after, struct herror *err)
{
	cJSON *spec = cJSON_CreateObject(), *wl;
	int r;

	cJSON_AddStringToObject(spec, "experiment", exp_disk_info.name);
	cJSON_AddNumberToObject(spec, "duration_s", duration);
	cJSON_AddNumberToObject(spec, "sample_hz", 1);
	/* Slow fsyncs under TCG are not stalls. */
	cJSON_AddNumberToObject(spec, "grace_s", 60);
	wl = guestrun_workload(spec, name, program, args);
	cJSON_AddNumberToObject(wl, "stall_timeout_s", 0);
	r = host_io_read(g->dom, disk, before, err);
	if (r == 0)
		r = guestrun_run(g, spec, duration + 180, doc, err);
	if (r == 0)
		r = host_io_read(g->dom, disk, after, err);
	cJSON_Delete(spec);
	if (r == 0 && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(*doc, "ok"))) {
		cleanup_free char *why = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(*doc, "errors"));
		r = error_setx(err, EIO, "%s in '%s' failed: %.300s", name, g->dom_name, why ? why : "?");
	}
	return r;
}

static int wait_device(struct guest *g, const char *path, cJSON *record, struct herror *err)
{
	/* udev names the disk from its serial; wait for the link (hot-plug
	 * under TCG takes a moment), print where it points. */
	const char *args[] = { "-c",
			       "udevadm settle -t 30 2>/dev/null; i=0; while [ ! -b \"$1\" ] && [ $i -lt 300 ]; do "
			       "sleep 0.1; i=$((i+1)); done; [ -b \"$1\" ] && printf '{\"device\":\"%s\"}\\n' "
			       "\"$(readlink -f \"$1\")\"",
			       "sh", path, NULL };
	cJSON *spec = cJSON_CreateObject(), *doc = NULL, *wl, *dev;
	int r;

	cJSON_AddStringToObject(spec, "experiment", exp_disk_info.name);
	cJSON_AddNumberToObject(spec, "duration_s", 40);
	wl = guestrun_workload(spec, "wait-scratch", "/bin/sh", args);
	cJSON_AddNumberToObject(wl, "stall_timeout_s", 0);
	r = guestrun_run(g, spec, 120, &doc, err);
	cJSON_Delete(spec);
	if (r < 0)
		return r;
	dev = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(guestrun_doc_workload(doc, "wait-scratch"),
										 "output"), "device");
	if (!cJSON_IsString(dev)) {
		cJSON_Delete(doc);
		return error_setx(err, EIO, "the scratch disk did not appear in '%s' as '%s'", g->dom_name, path);
	}
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(record, "scratch_disk"), "guest_device",
				dev->valuestring);
	cJSON_AddItemToObject(record, "guest", guestrun_guest_json(g, doc));
	cJSON_Delete(doc);
	return 0;
}

static void add_phase_common(cJSON *ph, const struct host_io *a, const struct host_io *b, double guest_wr,
			     double guest_rd, const char *cache, bool write)
{
	cJSON *host = host_json(a, b);

	cJSON_AddItemToObject(ph, "host", host);
	cJSON_AddNumberToObject(ph, "guest_write_bytes", guest_wr);
	cJSON_AddNumberToObject(ph, "guest_read_bytes", guest_rd);
	cJSON_AddItemToObject(ph, "block_per_guest",
			      write ? ratio_or_null(doc_jnum(host, "block_wr_bytes"), guest_wr) :
				      ratio_or_null(doc_jnum(host, "block_rd_bytes"), guest_rd));
	cJSON_AddItemToObject(ph, "host_per_guest",
			      write ? ratio_or_null(doc_jnum(host, "proc_write_bytes"), guest_wr) :
				      ratio_or_null(doc_jnum(host, "proc_read_bytes"), guest_rd));
	cJSON_AddItemToObject(ph, "expected_host_per_guest", expected_host_ratio(cache, write));
}

/* A number at a path (NULL-terminated) of fio's JSON document, NaN when absent. */
static double fio_num(cJSON *job, const char *dir, const char *k1, const char *k2)
{
	return guestrun_num(job, (const char *const[]){ dir, k1, k2, NULL });
}

/* fio in the guest on the scratch disk with the phase's flags, right after
 * or right before the phase; ph gets "reference" (fio's figures). fio's
 * --output keeps its notes out of the JSON. */
static int fio_phase(struct guest *g, const struct hotplug_scratch *s, const char *dev, const struct phase *p,
		     double duration, cJSON *ph, struct herror *err)
{
	char rt[32], size[32], rw[32], bs[32], fsync[32], name[48], file[512];
	const char *args[24];
	size_t n = 0;
	struct host_io a, b;
	cJSON *doc = NULL, *out, *job, *ref, *fargs;
	const char *dir = strstr(p->rw, "write") ? "write" : "read";
	double bw, iops;
	int r;

	snprintf(rt, sizeof(rt), "--runtime=%.0fms", duration * 1000);
	snprintf(size, sizeof(size), "--size=%um", SCRATCH_MIB);
	snprintf(rw, sizeof(rw), "--rw=%s", p->rw);
	snprintf(bs, sizeof(bs), "--bs=%s", p->bs);
	snprintf(fsync, sizeof(fsync), "--fsync=%s", p->fsync ? p->fsync : "0");
	snprintf(name, sizeof(name), "fio-%s", p->name);
	snprintf(file, sizeof(file), "--filename=%s", dev);
	args[n++] = "-c";
	args[n++] = "o=$(mktemp) || exit 1; fio --output=\"$o\" \"$@\" >/dev/null; rc=$?; cat \"$o\"; rm -f \"$o\"; exit $rc";
	args[n++] = "sh";
	args[n++] = "--name=harness";
	args[n++] = file;
	args[n++] = rw;
	args[n++] = bs;
	args[n++] = size;
	args[n++] = "--ioengine=psync";
	args[n++] = "--numjobs=1";
	args[n++] = "--time_based";
	args[n++] = rt;
	args[n++] = p->direct ? "--direct=1" : "--direct=0";
	args[n++] = fsync;
	if (strncmp(p->rw, "rand", 4) == 0) {
		/* the disk workload draws offsets with replacement */
		args[n++] = "--norandommap";
		args[n++] = "--randrepeat=0";
	}
	args[n++] = "--output-format=json";
	args[n] = NULL;
	progress_note("disk: fio %s on %s (cache %s, bus %s)", p->name, g->dom_name, s->cache, s->bus);
	r = run_phase(g, s->path, name, "/bin/sh", args, duration, &doc, &a, &b, err);
	if (r < 0) {
		cJSON_Delete(doc);
		return error_wrap(err, "reference fio for %s", p->name);
	}
	out = cJSON_GetObjectItemCaseSensitive(guestrun_doc_workload(doc, name), "output");
	job = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "jobs"), 0);
	bw = fio_num(job, dir, "bw_bytes", NULL);
	iops = fio_num(job, dir, "iops", NULL);
	if (!(bw > 0) || !(iops > 0)) {
		cJSON_Delete(doc);
		return error_setx(err, EIO, "reference fio for %s in '%s' reported no %s throughput", p->name,
				  g->dom_name, dir);
	}
	ref = cJSON_AddObjectToObject(ph, "reference");
	cJSON_AddStringToObject(ref, "tool", "fio");
	{
		cJSON *v = cJSON_GetObjectItemCaseSensitive(out, "fio version");
		cJSON_AddStringToObject(ref, "version", cJSON_IsString(v) ? v->valuestring : "");
	}
	fargs = cJSON_AddArrayToObject(ref, "args");
	for (size_t i = 3; i < n; i++)
		cJSON_AddItemToArray(fargs, cJSON_CreateString(args[i]));
	cJSON_AddItemToObject(ref, "runtime_s", guestrun_num_or_null(fio_num(job, dir, "runtime", NULL) / 1000));
	cJSON_AddItemToObject(ref, "io_bytes", guestrun_num_or_null(fio_num(job, dir, "io_bytes", NULL)));
	cJSON_AddNumberToObject(ref, "mib_per_s", bw / 1048576.0);
	cJSON_AddNumberToObject(ref, "iops", iops);
	{
		cJSON *lat = cJSON_AddObjectToObject(ref, "latency_us");
		cJSON *pct = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(job, dir), "clat_ns"), "percentile");
		cJSON_AddItemToObject(lat, "p50", guestrun_num_or_null(guestrun_num(pct, (const char *const[]){ "50.000000", NULL }) / 1000));
		cJSON_AddItemToObject(lat, "p99", guestrun_num_or_null(guestrun_num(pct, (const char *const[]){ "99.000000", NULL }) / 1000));
	}
	cJSON_Delete(doc);
	return 0;
}

/* The phases in order; with fio, fio runs right after each phase, or right
 * before it when fio_first (even repeats: a drift in the guest's share of
 * the host then favours neither tool over a run's repeats). */
static int disk_phases(struct guest *g, const struct hotplug_scratch *s, const char *dev, double duration,
		       bool fio, bool fio_first, cJSON *phs, struct herror *err)
{
	char dur[32], size[32];

	snprintf(dur, sizeof(dur), "%g", duration);
	snprintf(size, sizeof(size), "%um", SCRATCH_MIB);
	for (size_t i = 0; i < NPHASES; i++) {
		const struct phase *p = &phases[i];
		const char *args[20];
		size_t n = 0;
		struct host_io a, b;
		cJSON *doc = NULL, *totals, *ph, *lat, *early = NULL;
		bool write = strstr(p->rw, "write") != NULL;
		double bytes;
		int r;

		if (fio && fio_first) {
			early = cJSON_CreateObject();
			if ((r = fio_phase(g, s, dev, p, duration, early, err)) < 0) {
				cJSON_Delete(early);
				return r;
			}
		}

		args[n++] = "--file"; args[n++] = dev;
		args[n++] = "--rw"; args[n++] = p->rw;
		args[n++] = "--bs"; args[n++] = p->bs;
		args[n++] = "--size"; args[n++] = size;
		args[n++] = "--duration"; args[n++] = dur;
		args[n++] = "--interval-ms"; args[n++] = "500";
		if (p->direct)
			args[n++] = "--direct";
		if (p->fsync) {
			args[n++] = "--fsync";
			args[n++] = p->fsync;
		}
		args[n] = NULL;
		progress_note("disk: %s on %s (cache %s, bus %s)", p->name, g->dom_name, s->cache, s->bus);
		r = run_phase(g, s->path, p->name, "disk", args, duration, &doc, &a, &b, err);
		if (r < 0) {
			cJSON_Delete(doc);
			cJSON_Delete(early);
			return r;
		}
		totals = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(guestrun_doc_workload(doc, p->name), "output"), "totals");
		bytes = doc_jnum(totals, "io_bytes");
		if (!(bytes > 0)) {
			cJSON_Delete(doc);
			cJSON_Delete(early);
			return error_setx(err, EIO, "disk %s in '%s' did no I/O", p->name, g->dom_name);
		}
		ph = cJSON_AddObjectToObject(phs, p->name);
		cJSON_AddStringToObject(ph, "rw", p->rw);
		cJSON_AddStringToObject(ph, "bs", p->bs);
		cJSON_AddBoolToObject(ph, "direct", p->direct);
		cJSON_AddStringToObject(ph, "fsync", p->fsync ? p->fsync : "never");
		cJSON_AddNumberToObject(ph, "elapsed_s", doc_jnum(totals, "elapsed_s"));
		cJSON_AddNumberToObject(ph, "mib_per_s", doc_jnum(totals, "mib_per_s"));
		cJSON_AddNumberToObject(ph, "iops", doc_jnum(totals, "iops"));
		lat = cJSON_AddObjectToObject(ph, "latency_us");
		{
			cJSON *l = cJSON_GetObjectItemCaseSensitive(totals, "latency_us");
			static const char *const keys[] = { "min", "p50", "p90", "p99", "p999", "max", "mean" };
			for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
				cJSON_AddItemToObject(lat, keys[k], guestrun_num_or_null(doc_jnum(l, keys[k])));
		}
		add_phase_common(ph, &a, &b, write ? bytes : 0, write ? 0 : bytes, s->cache, write);
		cJSON_Delete(doc);
		if (early) {
			cJSON_AddItemToObject(ph, "reference", cJSON_DetachItemFromObjectCaseSensitive(early, "reference"));
			cJSON_Delete(early);
		} else if (fio && (r = fio_phase(g, s, dev, p, duration, ph, err)) < 0) {
			return r;
		}
		if (fio) {
			cJSON *ref = cJSON_GetObjectItemCaseSensitive(ph, "reference");
			cJSON *vs = cJSON_AddObjectToObject(ph, "vs_reference");

			cJSON_AddStringToObject(ref, "order", fio_first ? "before" : "after");
			cJSON_AddItemToObject(vs, "mib_per_s",
					      ratio_or_null(doc_jnum(ph, "mib_per_s"), doc_jnum(ref, "mib_per_s")));
			cJSON_AddItemToObject(vs, "iops", ratio_or_null(doc_jnum(ph, "iops"), doc_jnum(ref, "iops")));
		}
	}
	return 0;
}

static int dd_phase(struct guest *g, const struct hotplug_scratch *s, const char *dev, cJSON *phs,
		    struct herror *err)
{
	char count[32];
	const char *args[] = { "-c",
			       "dd if=/dev/zero of=\"$1\" bs=1M count=\"$2\" conv=fsync 2>/dev/null && "
			       "printf '{\"tool\":\"dd\",\"bytes\":%s}\\n' $(($2 * 1048576))",
			       "sh", dev, count, NULL };
	struct host_io a, b;
	cJSON *doc = NULL, *wl, *ph;
	double elapsed, bytes = (double)DD_MIB * 1048576.0;
	int r;

	snprintf(count, sizeof(count), "%d", DD_MIB);
	progress_note("disk: dd conv=fsync of %d MiB on %s (cache %s, bus %s)", DD_MIB, g->dom_name, s->cache, s->bus);
	r = run_phase(g, s->path, "dd", "/bin/sh", args, 1, &doc, &a, &b, err);
	if (r < 0) {
		cJSON_Delete(doc);
		return r;
	}
	wl = guestrun_doc_workload(doc, "dd");
	elapsed = doc_jnum(wl, "elapsed_s");
	ph = cJSON_AddObjectToObject(phs, "dd");
	cJSON_AddStringToObject(ph, "rw", "write");
	cJSON_AddStringToObject(ph, "bs", "1m");
	cJSON_AddBoolToObject(ph, "direct", false);
	cJSON_AddStringToObject(ph, "fsync", "end");
	cJSON_AddNumberToObject(ph, "elapsed_s", elapsed);
	cJSON_AddItemToObject(ph, "mib_per_s", guestrun_num_or_null(elapsed > 0 ? DD_MIB / elapsed : NAN));
	cJSON_AddItemToObject(ph, "iops", guestrun_num_or_null(elapsed > 0 ? DD_MIB / elapsed : NAN));
	add_phase_common(ph, &a, &b, bytes, 0, s->cache, true);
	cJSON_Delete(doc);
	return 0;
}

static int disk_check_values(const struct exp_values *v, char *why, size_t whylen)
{
	const char *method = exp_values_get(v, "method"), *ref = exp_values_get(v, "reference");

	if (method && ref && strcmp(ref, "fio") == 0 && strcmp(method, "workload") != 0) {
		snprintf(why, whylen, "reference fio needs method workload, not '%s'", method);
		return -EINVAL;
	}
	return 0;
}

static int disk_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	const char *method = exp_setting_value(x, "method");
	bool fio = strcmp(exp_setting_value(x, "reference"), "fio") == 0;
	struct guest *g0 = guestrun_pick(x, err), *g;
	struct hotplug_state st;
	double phase_s = fmax(1, x->def->duration_s / (double)NPHASES);
	cJSON *phs;
	int r;

	if (g0 == NULL)
		return -err->status;
	if (fio && (r = ctr_need_tool(g0, "fio", err)) < 0)
		return r;
	r = hotplug_apply(x, g0->def->name, SCRATCH_MIB, &st, err);
	if (r < 0)
		return r;
	hotplug_record(&st, record);
	g = hotplug_guest(x, st.scratch.guest);
	cJSON_AddStringToObject(record, "method", method);
	cJSON_AddStringToObject(record, "reference", fio ? "fio" : "none");
	r = wait_device(g, st.scratch.guest_path, record, err);
	if (r == 0) {
		phs = cJSON_AddObjectToObject(record, "phases");
		r = strcmp(method, "dd") == 0 ? dd_phase(g, &st.scratch, st.scratch.guest_path, phs, err) :
						disk_phases(g, &st.scratch, st.scratch.guest_path, phase_s, fio,
							    x->run->repeat > 0 && x->run->repeat % 2 == 0, phs, err);
	}
	if (!cJSON_GetObjectItemCaseSensitive(record, "guest"))
		cJSON_AddItemToObject(record, "guest", guestrun_guest_json(g, NULL));
	hotplug_release(x, &st, record);
	if (r == 0 && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			      cJSON_GetObjectItemCaseSensitive(record, "scratch_disk"), "removed")))
		r = error_setx(err, EIO, "the scratch disk was not removed from the guest");
	return r;
}

static double disk_estimate_s(const struct experiment_def *def)
{
	return def->duration_s + 20;
}

/* Mean and 95% CI of a metric of a group as a bar. */
static struct doc_bar bar_of(cJSON *grp, const char *metric, const char *label)
{
	return (struct doc_bar){ label, doc_jstat(grp, metric, "mean"), doc_jstat(grp, metric, "ci95_low"),
				 doc_jstat(grp, metric, "ci95_high"), NAN };
}

static void disk_report_end(struct report_doc *d, cJSON *groups)
{
	struct doc_bar seq[64], iops[64], ratio[32], dd[32];
	char labels[64][200], ilabels[64][200], rlabels[32][200], dlabels[32][200];
	size_t n = 0, nr = 0, nd = 0;
	cJSON *grp;

	cJSON_ArrayForEach(grp, groups) {
		char st[160];

		if (strcmp(doc_jstr(grp, "experiment", ""), exp_disk_info.name) != 0)
			continue;
		doc_settings_text(cJSON_GetObjectItemCaseSensitive(grp, "settings"), st, sizeof(st));
		if (!isnan(doc_jstat(grp, "dd_mib_per_s", "mean")) && nd < 32) {
			snprintf(dlabels[nd], sizeof(dlabels[nd]), "%s", st);
			dd[nd] = bar_of(grp, "dd_mib_per_s", dlabels[nd]);
			nd++;
		}
		if (isnan(doc_jstat(grp, "seqwrite_direct_mib_per_s", "mean")) || n + 4 > 64 || nr >= 32)
			continue;
		snprintf(labels[n], sizeof(labels[n]), "direct\n%s", st);
		snprintf(labels[n + 1], sizeof(labels[n + 1]), "buffered\n%s", st);
		snprintf(ilabels[n], sizeof(ilabels[n]), "read\n%s", st);
		snprintf(ilabels[n + 1], sizeof(ilabels[n + 1]), "write\n%s", st);
		snprintf(rlabels[nr], sizeof(rlabels[nr]), "%s", st);
		seq[n] = bar_of(grp, "seqwrite_direct_mib_per_s", labels[n]);
		seq[n + 1] = bar_of(grp, "seqwrite_buffered_mib_per_s", labels[n + 1]);
		iops[n] = bar_of(grp, "randread_iops", ilabels[n]);
		iops[n + 1] = bar_of(grp, "randwrite_iops", ilabels[n + 1]);
		ratio[nr] = bar_of(grp, "host_per_guest_direct", rlabels[nr]);
		ratio[nr].expected = doc_jstat(grp, "expected_host_per_guest_direct", "mean");
		nr++;
		n += 2;
		/* fio beside the experiment, when the runs had the reference */
		if (!isnan(doc_jstat(grp, "fio_seqwrite_direct_mib_per_s", "mean"))) {
			snprintf(labels[n], sizeof(labels[n]), "fio direct\n%s", st);
			snprintf(labels[n + 1], sizeof(labels[n + 1]), "fio buffered\n%s", st);
			snprintf(ilabels[n], sizeof(ilabels[n]), "fio read\n%s", st);
			snprintf(ilabels[n + 1], sizeof(ilabels[n + 1]), "fio write\n%s", st);
			seq[n] = bar_of(grp, "fio_seqwrite_direct_mib_per_s", labels[n]);
			seq[n + 1] = bar_of(grp, "fio_seqwrite_buffered_mib_per_s", labels[n + 1]);
			iops[n] = bar_of(grp, "fio_randread_iops", ilabels[n]);
			iops[n + 1] = bar_of(grp, "fio_randwrite_iops", ilabels[n + 1]);
			n += 2;
		}
	}
	if (n == 0 && nd == 0)
		return;
	doc_heading(d, 2, "Disk: throughput, IOPS and host bytes per setting", 3.2);
	if (nd)
		doc_plot_bars(d, "disk-dd", "dd bs=1M conv=fsync, 128 MiB (mean, 95% CI)", "MiB/s", dd, nd,
			      "the seeds' demonstration: dd writing 128 MiB to the scratch disk and one fsync at the end, "
			      "per setting; higher is better.");
	if (n == 0)
		return;
	doc_plot_bars(d, "disk-seq", "Sequential 1 MiB writes with fsync every 16 (mean, 95% CI)", "MiB/s", seq, n,
		      "bars: guest throughput of sequential writes to the scratch disk, with O_DIRECT and through "
		      "the guest page cache, per setting, and fio's with the same flags right after or before (\"fio\", "
		      "reference: fio); error bars: 95% confidence interval. Higher is better.");
	doc_plot_bars(d, "disk-iops", "4 KiB random I/O, O_DIRECT (mean, 95% CI)", "IOPS", iops, n,
		      "bars: 4 KiB random reads (first of each pair) and writes (second), one at a time, and fio's "
		      "with the same flags (\"fio\", reference: fio); higher is better.");
	doc_plot_bars(d, "disk-ratio", "Host bytes written per guest byte, O_DIRECT writes", "host / guest bytes",
		      ratio, nr,
		      "bars: bytes the QEMU process wrote to the host (/proc/PID/io write_bytes) per byte the guest "
		      "wrote with O_DIRECT; points: theory (1 for cache none and directsync, no value where the "
		      "host page cache may absorb rewrites).");
}

/* Latency CDF of one run per setting from the workload's percentiles. */
static void disk_report_group(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns)
{
	cJSON *run = NULL, *phs;
	char dat[4096], gp[4096], eps[4096];
	FILE *f;
	static const char *const pk[] = { "min", "p50", "p90", "p99", "p999", "max" };
	static const double pq[] = { 0, 0.5, 0.9, 0.99, 0.999, 1 };
	int col = 0;

	/* End the core's "N recorded run(s)." line: a request (.ne) that
	 * follows on the same line is printed as text. */
	fputc('\n', d->f);
	for (size_t r = 0; r < nruns && !run; r++)
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(runs[r], "ok")) && doc_run_in_group(runs[r], grp))
			run = runs[r];
	if (run == NULL)
		return;
	phs = cJSON_GetObjectItemCaseSensitive(run, "phases");
	if (cJSON_GetObjectItemCaseSensitive(phs, "randread") == NULL)
		return;
	snprintf(dat, sizeof(dat), "%s/disklat%d.dat", d->tmp, d->group);
	snprintf(gp, sizeof(gp), "%s/disklat%d.gp", d->tmp, d->group);
	snprintf(eps, sizeof(eps), "%s/disklat%d.eps", d->tmp, d->group);
	if ((f = fopen(dat, "w")) == NULL)
		return;
	for (size_t i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
		fprintf(f, "%g", pq[i]);
		for (size_t p = 0; p < NPHASES; p++) {
			cJSON *lat = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(phs, phases[p].name),
								      "latency_us");
			fprintf(f, " %g", doc_jnum(lat, pk[i]));
		}
		fputc('\n', f);
	}
	fclose(f);
	if ((f = fopen(gp, "w")) == NULL)
		return;
	doc_gp_terminal(f, eps, 6, 2.6);
	fprintf(f, "set title 'I/O latency CDF (one run; points at min, p50, p90, p99, p99.9, max)'\n"
		   "set logscale x\nset xlabel 'latency (us)'\nset ylabel 'fraction of I/Os'\nset yrange [0:1.02]\n"
		   "set key outside below\nset grid\nplot ");
	for (size_t p = 0; p < NPHASES; p++)
		fprintf(f, "%s'%s' using %d:1 with linespoints lw 2 title '%s'", col++ ? ", " : "", dat, (int)p + 2,
			phases[p].name);
	fputc('\n', f);
	fclose(f);
	if (doc_gnuplot(gp) == 0)
		doc_figure(d, eps, 6, 2.6,
			   "latency of each I/O call in the guest (pread/pwrite), as a CDF through the workload's "
			   "percentiles; further left is better.");
}

#define PH(p, k) { "phases", p, k }
static const struct exp_metric disk_metrics[] = {
	{ .name = "seqwrite_direct_mib_per_s", .scope = METRIC_PER_RUN, .path = PH("seqwrite_direct", "mib_per_s"),
	  .unit = "MiB/s", .better = +1, .use = METRIC_SUMMARY | METRIC_COMPARE,
	  .help = "sequential 1 MiB O_DIRECT writes, fsync every 16" },
	{ .name = "seqwrite_buffered_mib_per_s", .scope = METRIC_PER_RUN, .path = PH("seqwrite_buffered", "mib_per_s"),
	  .unit = "MiB/s", .better = +1, .use = METRIC_SUMMARY | METRIC_COMPARE,
	  .help = "sequential 1 MiB buffered writes, fsync every 16" },
	{ .name = "randread_iops", .scope = METRIC_PER_RUN, .path = PH("randread", "iops"), .unit = "IOPS",
	  .better = +1, .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "4 KiB random O_DIRECT reads" },
	{ .name = "randwrite_iops", .scope = METRIC_PER_RUN, .path = PH("randwrite", "iops"), .unit = "IOPS",
	  .better = +1, .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "4 KiB random O_DIRECT writes" },
	{ .name = "randread_p50_us", .scope = METRIC_PER_RUN, .path = { "phases", "randread", "latency_us", "p50" },
	  .unit = "us", .better = -1, .use = METRIC_SUMMARY, .help = "median 4 KiB random read latency" },
	{ .name = "randread_p99_us", .scope = METRIC_PER_RUN, .path = { "phases", "randread", "latency_us", "p99" },
	  .unit = "us", .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE,
	  .help = "99th percentile 4 KiB random read latency" },
	{ .name = "randwrite_p99_us", .scope = METRIC_PER_RUN, .path = { "phases", "randwrite", "latency_us", "p99" },
	  .unit = "us", .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE,
	  .help = "99th percentile 4 KiB random write latency" },
	{ .name = "randwrite_p999_us", .scope = METRIC_PER_RUN, .path = { "phases", "randwrite", "latency_us", "p999" },
	  .unit = "us", .better = -1, .use = METRIC_SUMMARY, .help = "99.9th percentile 4 KiB random write latency" },
	{ .name = "block_per_guest_direct", .scope = METRIC_PER_RUN, .path = PH("seqwrite_direct", "block_per_guest"),
	  .unit = "ratio", .better = 0, .use = METRIC_SUMMARY,
	  .help = "bytes the virtual disk received (virDomainBlockStats) per byte the guest wrote with O_DIRECT" },
	{ .name = "host_per_guest_direct", .scope = METRIC_PER_RUN, .path = PH("seqwrite_direct", "host_per_guest"),
	  .unit = "ratio", .better = 0, .use = METRIC_SUMMARY, .expected = "expected_host_per_guest_direct",
	  .tolerance = 0.05,
	  .tolerance_doc = "+-0.05, fixed with the experiment (bytes beside the data: the image format's own writes)",
	  .help = "bytes QEMU wrote on the host (/proc/PID/io) per byte the guest wrote with O_DIRECT" },
	{ .name = "expected_host_per_guest_direct", .scope = METRIC_PER_RUN,
	  .path = PH("seqwrite_direct", "expected_host_per_guest"), .unit = "ratio", .better = 0,
	  .use = METRIC_SUMMARY, .help = "theory's host bytes per guest byte (1 where the host page cache is bypassed)" },
#define FIO(ph, k, u, h)                                                                                      \
	{ .name = "fio_" ph "_" k, .scope = METRIC_PER_RUN, .path = { "phases", ph, "reference", k }, .unit = u,     \
	  .better = +1, .use = METRIC_SUMMARY, .help = "fio right after or before the phase, same flags: " h },                \
	{ .name = ph "_vs_fio", .scope = METRIC_PER_RUN, .path = { "phases", ph, "vs_reference", k }, .unit = "ratio", \
	  .better = +1, .use = METRIC_SUMMARY, .help = "the phase's " k " over fio's (reference: fio; goal 0.95)" }
	FIO("seqwrite_direct", "mib_per_s", "MiB/s", "sequential 1 MiB O_DIRECT writes, fsync every 16"),
	FIO("seqwrite_buffered", "mib_per_s", "MiB/s", "sequential 1 MiB buffered writes, fsync every 16"),
	FIO("randread", "iops", "IOPS", "4 KiB random O_DIRECT reads"),
	FIO("randwrite", "iops", "IOPS", "4 KiB random O_DIRECT writes"),
	{ .name = "dd_mib_per_s", .scope = METRIC_PER_RUN, .path = PH("dd", "mib_per_s"), .unit = "MiB/s",
	  .better = +1, .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "dd bs=1M conv=fsync (method dd)" },
	{ .name = "dd_host_per_guest", .scope = METRIC_PER_RUN, .path = PH("dd", "host_per_guest"), .unit = "ratio",
	  .better = 0, .use = METRIC_SUMMARY, .help = "host bytes written per guest byte for dd (method dd)" },
};

const struct experiment exp_disk_info = {
	.name = "disk",
	.summary = "sequential writes with fsync and 4 KiB random I/O on a hot-plugged scratch disk, guest and host side",
	.theory = "with O_DIRECT every guest byte reaches the virtual disk once; with cache none or directsync QEMU "
		  "writes it to the host file once (host/guest bytes = 1); writeback and unsafe let the host page "
		  "cache absorb flushes, so fsync-bound writes get faster",
	.guests = EXP_GUESTS_BORROWED,
	.settings = disk_settings,
	.nsettings = sizeof(disk_settings) / sizeof(disk_settings[0]),
	.metrics = disk_metrics,
	.nmetrics = sizeof(disk_metrics) / sizeof(disk_metrics[0]),
	.check_combination = disk_check_values,
	.estimate_s = disk_estimate_s,
	.run = disk_run,
	.report_group = disk_report_group,
	.report_end = disk_report_end,
	.explain = "Each run hot-plugs a raw scratch disk with the cache mode, bus and I/O mode under test into the "
		   "guest, runs four phases on it (sequential writes with and without O_DIRECT, 4 KiB random reads "
		   "and writes) and removes it. The bars compare settings; the ratio plot compares the bytes the "
		   "hypervisor wrote on the host with those the guest wrote.",
};
