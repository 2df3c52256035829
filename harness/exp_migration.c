/* migration: live migration of a running guest to another host of the suite
 * and back, while memory_hog dirties its memory at a set rate. libvirt's job
 * statistics give total time, downtime, bytes and pages sent, iterations and
 * dirty rate (sampled during the job, and the completed job's figures); the
 * workload's own clock gives the stall the guest saw at the switch-over. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "doc.h"
#include "domxml.h"
#include "experiment.h"
#include "guestrun.h"
#include "hosts.h"
#include "image.h"
#include "progress.h"
#include "provision.h"
#include "virt.h"

#define SAMPLE_S 0.2
#define WARMUP_S 3.0

extern const struct experiment exp_migration_info;

/* One migration in flight: virDomainMigrate3 blocks, so it runs in a thread
 * while the caller samples the job. */
struct mig_job {
	virDomainPtr dom;
	virConnectPtr dconn;
	virTypedParameterPtr params;
	int nparams;
	unsigned int flags;
	virDomainPtr result;
	char error[512];
	atomic_bool done;
};

static void *mig_thread(void *arg)
{
	struct mig_job *j = arg;

	j->result = virDomainMigrate3(j->dom, j->dconn, j->params, (unsigned)j->nparams, j->flags);
	if (j->result == NULL)
		snprintf(j->error, sizeof(j->error), "%s", virt_last_error());
	atomic_store(&j->done, true);
	return NULL;
}

/* The job statistics libvirt gives, under our names, in bytes and ms. */
static const struct {
	const char *field, *key;
} job_fields[] = {
	{ VIR_DOMAIN_JOB_TIME_ELAPSED, "total_ms" },
	{ VIR_DOMAIN_JOB_DOWNTIME, "downtime_ms" },
	{ VIR_DOMAIN_JOB_SETUP_TIME, "setup_ms" },
	{ VIR_DOMAIN_JOB_DATA_PROCESSED, "data_bytes" },
	{ VIR_DOMAIN_JOB_MEMORY_TOTAL, "memory_total_bytes" },
	{ VIR_DOMAIN_JOB_MEMORY_PROCESSED, "memory_bytes" },
	{ VIR_DOMAIN_JOB_MEMORY_REMAINING, "memory_remaining_bytes" },
	{ VIR_DOMAIN_JOB_MEMORY_NORMAL, "normal_pages" },
	{ VIR_DOMAIN_JOB_MEMORY_NORMAL_BYTES, "normal_bytes" },
	{ VIR_DOMAIN_JOB_MEMORY_CONSTANT, "zero_pages" },
	{ VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, "dirty_rate_pages_s" },
	{ VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE, "page_size" },
	{ VIR_DOMAIN_JOB_MEMORY_ITERATION, "iterations" },
	{ VIR_DOMAIN_JOB_MEMORY_POSTCOPY_REQS, "postcopy_requests" },
	{ VIR_DOMAIN_JOB_MEMORY_BPS, "memory_bytes_s" },
	{ VIR_DOMAIN_JOB_DISK_PROCESSED, "disk_bytes" },
	{ VIR_DOMAIN_JOB_AUTO_CONVERGE_THROTTLE, "auto_converge_throttle_pct" },
	{ VIR_DOMAIN_JOB_COMPRESSION_BYTES, "compression_bytes" },
	{ VIR_DOMAIN_JOB_COMPRESSION_PAGES, "compression_pages" },
	{ VIR_DOMAIN_JOB_COMPRESSION_CACHE_MISSES, "compression_cache_misses" },
};

/* The job's figures as a JSON object (absent ones left out); type is the
 * job type libvirt reports. */
static cJSON *job_json(virTypedParameterPtr p, int n, int type)
{
	cJSON *o = cJSON_CreateObject();
	unsigned long long v;

	cJSON_AddNumberToObject(o, "type", type);
	for (size_t i = 0; i < sizeof(job_fields) / sizeof(job_fields[0]); i++)
		if (virTypedParamsGetULLong(p, n, job_fields[i].field, &v) == 1)
			cJSON_AddNumberToObject(o, job_fields[i].key, (double)v);
	return o;
}

static double jnum(cJSON *o, const char *key)
{
	cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(j) ? j->valuedouble : NAN;
}

static bool setting_yes(const struct exp_run *x, const char *key)
{
	const char *v = exp_setting_value(x, key);
	return v && strcmp(v, "yes") == 0;
}

static long setting_long(const struct exp_run *x, const char *key)
{
	const char *v = exp_setting_value(x, key);
	long n = 0;

	if (v)
		parse_long(v, 0, 1L << 40, &n);
	return n;
}

/* Where a domain is after a migration between two hosts: 1 running (or
 * paused) there, 0 not there. */
static int active_on(virConnectPtr c, const char *name)
{
	virDomainPtr d = c ? virDomainLookupByName(c, name) : NULL;
	int a = d ? virDomainIsActive(d) == 1 : 0;

	if (d)
		virDomainFree(d);
	return a;
}

/* QEMU before 9.0 under TCG loses guest stores during a migration: syncing
 * the dirty bitmap a word at a time clears the bits without re-arming the
 * vCPUs' TLB entries, so a store through an entry filled while its page was
 * dirty marks nothing and the page is not sent again (QEMU commit
 * 03bfc2188f, "physmem: Fix migration dirty bitmap coherency with TCG
 * memory access"). The pages lost are the hottest ones, the kernel's timer
 * queues among them: the guest oopses after the switch-over. Measured on
 * QEMU 7.2: 3 of 6 runs (out and back) oopsed. x86 TCG flushes a vCPU's
 * whole TLB when CR3 is written, so two processes in the guest that keep
 * switching address spaces re-arm the entries every few microseconds: 0 of
 * 18 runs oopsed (6 by hand, 12 with this code). tcg_tlb_flush: auto
 * starts such a pair when the source runs the guest under TCG on a QEMU
 * before 9.0; on and off force it. */
#define QEMU_TLB_FIXED 9000000UL	/* 9.0.0, as virConnectGetVersion counts */

static bool tlb_flush_wanted(const struct exp_run *x, virConnectPtr src, char *why, size_t whylen)
{
	const char *mode = exp_setting_value(x, "tcg_tlb_flush");
	unsigned long ver = 0;
	/* The domain keeps the type its home host (the suite's first) gave it,
	 * on either side of a migration. */
	bool tcg = x->pv->accel.accel == ACCEL_TCG;

	if (mode && strcmp(mode, "on") == 0) {
		snprintf(why, whylen, "tcg_tlb_flush: on");
		return true;
	}
	if (mode && strcmp(mode, "off") == 0) {
		snprintf(why, whylen, "tcg_tlb_flush: off");
		return false;
	}
	if (virConnectGetVersion(src, &ver) < 0)
		ver = 0;
	if (!tcg) {
		snprintf(why, whylen, "the guest runs under KVM on the source host");
		return false;
	}
	if (ver >= QEMU_TLB_FIXED) {
		snprintf(why, whylen, "the source host's QEMU %lu.%lu.%lu has the TCG dirty-tracking fix (9.0)",
			 ver / 1000000, ver / 1000 % 1000, ver % 1000);
		return false;
	}
	snprintf(why, whylen,
		 "the guest runs under TCG on QEMU %lu.%lu.%lu, before 9.0, whose migration misses stores made "
		 "through cached TLB entries (QEMU commit 03bfc2188f)",
		 ver / 1000000, ver / 1000 % 1000, ver % 1000);
	return true;
}

/* The migration's parameters, flags and (storage copy) destination disk. */
struct mig_plan {
	virTypedParameterPtr params;
	int nparams, maxparams;
	unsigned int flags;
};

static int plan_migration(const struct exp_run *x, virDomainPtr dom, const char *dest_addr, const char *src_disk,
			  const char *dest_disk, struct mig_plan *mp, struct herror *err)
{
	long bw = setting_long(x, "bandwidth_mib_s");
	const char *comp = exp_setting_value(x, "compression");
	cleanup_free char *uri = xasprintf("tcp://%s", dest_addr);

	mp->flags = VIR_MIGRATE_LIVE;
	if (virTypedParamsAddString(&mp->params, &mp->nparams, &mp->maxparams, VIR_MIGRATE_PARAM_URI, uri) < 0 ||
	    virTypedParamsAddString(&mp->params, &mp->nparams, &mp->maxparams, VIR_MIGRATE_PARAM_LISTEN_ADDRESS,
				    dest_addr) < 0)
		return error_setx(err, ENOMEM, "cannot build the migration parameters: %s", virt_last_error());
	if (bw > 0 && virTypedParamsAddULLong(&mp->params, &mp->nparams, &mp->maxparams, VIR_MIGRATE_PARAM_BANDWIDTH,
					      (unsigned long long)bw) < 0)
		return error_setx(err, ENOMEM, "cannot build the migration parameters: %s", virt_last_error());
	if (comp && strcmp(comp, "none") != 0) {
		mp->flags |= VIR_MIGRATE_COMPRESSED;
		if (virTypedParamsAddString(&mp->params, &mp->nparams, &mp->maxparams, VIR_MIGRATE_PARAM_COMPRESSION,
					    comp) < 0)
			return error_setx(err, ENOMEM, "cannot build the migration parameters: %s", virt_last_error());
	}
	if (setting_yes(x, "auto_converge"))
		mp->flags |= VIR_MIGRATE_AUTO_CONVERGE;
	if (setting_yes(x, "postcopy"))
		mp->flags |= VIR_MIGRATE_POSTCOPY;
	if (dest_disk) {
		/* The overlay is copied into one the destination made (its
		 * backing image is on both hosts); only the top layer travels. */
		cleanup_free char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_MIGRATABLE);
		cleanup_free char *dxml = xml ? domxml_dest_disk(xml, src_disk, dest_disk) : NULL;

		if (dxml == NULL)
			return error_setx(err, EIO, "cannot find the disk '%s' in the domain's XML: %s", src_disk,
					virt_last_error());
		mp->flags |= VIR_MIGRATE_NON_SHARED_INC;
		if (virTypedParamsAddString(&mp->params, &mp->nparams, &mp->maxparams, VIR_MIGRATE_PARAM_DEST_XML,
					    dxml) < 0)
			return error_setx(err, ENOMEM, "cannot build the migration parameters: %s", virt_last_error());
	} else {
		/* Both hosts open the same overlay (a file system they share);
		 * libvirt cannot tell that it is shared, hence UNSAFE. */
		mp->flags |= VIR_MIGRATE_UNSAFE;
	}
	return 0;
}

/* One direction: start the dirtying workload, migrate g from src to dst
 * while sampling the job, wait for the workload on the side it ended on.
 * The result object gets everything; a failure leaves the guest on exactly
 * one host or removes it, and the object says which. */
static int migrate_once(const struct exp_run *x, struct guest *g, const char *src_name, virConnectPtr src,
			const char *dst_name, virConnectPtr dst, const char *dest_addr, const char *src_disk,
			const char *dest_disk, bool dst_is_home, cJSON *o, struct herror *err)
{
	double dur = x->def->duration_s, timeout = (double)setting_long(x, "timeout_s");
	long dirty_mib = setting_long(x, "dirty_mib"), rate = setting_long(x, "dirty_rate_mib_s");
	long maxdown = setting_long(x, "max_downtime_ms");
	struct mig_plan mp = { 0 };
	struct mig_job job = { 0 };
	pthread_t th;
	cJSON *spec, *samples, *wl;
	int pid, r = 0;
	double t0;
	bool postcopy_started = false, aborted = false;
	char target[32], ratebuf[32], durbuf[32];

	cJSON_AddStringToObject(o, "from", src_name);
	cJSON_AddStringToObject(o, "to", dst_name);

	/* The workload first, so that the guest dirties memory throughout. */
	snprintf(target, sizeof(target), "%ldm", dirty_mib);
	snprintf(ratebuf, sizeof(ratebuf), "%ldm", rate);
	snprintf(durbuf, sizeof(durbuf), "%g", dur);
	spec = cJSON_CreateObject();
	cJSON_AddStringToObject(spec, "experiment", exp_migration_info.name);
	cJSON_AddNumberToObject(spec, "duration_s", dur);
	/* A long switch-over (post-copy, TCG) is what we measure, not a hang. */
	cJSON_AddNumberToObject(spec, "stall_timeout_s", 60);
	guestrun_workload(spec, "dirty", "memory_hog",
			  (const char *const[]){ "--target", target, "--step", "64m", "--step-ms", "0", "--dirty-rate",
						 ratebuf, "--duration", durbuf, NULL });
	{
		char why[256];
		bool flush = tlb_flush_wanted(x, src, why, sizeof(why));
		cJSON *t = cJSON_AddObjectToObject(o, "tcg_tlb_flush");

		cJSON_AddBoolToObject(t, "on", flush);
		cJSON_AddStringToObject(t, "why", why);
		if (flush) {
			/* yes and cat switch address spaces at every full or empty
			 * pipe. timeout ends both (its process group) with the
			 * workload, before the runner's grace runs out; the runner
			 * wants a document on stdout. */
			cleanup_free char *cmd = xasprintf("timeout %s sh -c 'yes | cat >/dev/null'; "
							   "echo '{\"program\": \"yes | cat\"}'",
							   durbuf);
			cJSON *w = guestrun_workload(spec, "tlb-flush", "/bin/sh", (const char *const[]){ "-c", cmd, NULL });
			cJSON_AddNumberToObject(w, "stall_timeout_s", 0);
		}
	}
	{
		cleanup_free char *text = cJSON_PrintUnformatted(spec);
		pid = agent_exec_start(g->dom, GUESTRUN_RUNNER, (const char *const[]){ "-", NULL }, text, err);
	}
	cJSON_Delete(spec);
	if (pid < 0)
		return pid;
	if (!sleep_unless_stopped(WARMUP_S))
		return error_setx(err, EINTR, "interrupted before the migration");

	if (plan_migration(x, g->dom, dest_addr, src_disk, dest_disk, &mp, err) < 0) {
		virTypedParamsFree(mp.params, mp.nparams);
		return -err->status;
	}
	/* Before the job, so that it holds from the first iteration. */
	if (virDomainMigrateSetMaxDowntime(g->dom, (unsigned long long)maxdown, 0) < 0) {
		virTypedParamsFree(mp.params, mp.nparams);
		return error_setx(err, EIO, "cannot set the maximum downtime of '%s' to %ld ms: %s", g->dom_name,
				maxdown, virt_last_error());
	}
	job = (struct mig_job){ .dom = g->dom, .dconn = dst, .params = mp.params, .nparams = mp.nparams,
				.flags = mp.flags };
	atomic_init(&job.done, false);
	cJSON_AddNumberToObject(o, "flags", mp.flags);
	t0 = mono_s();
	if (pthread_create(&th, NULL, mig_thread, &job) != 0) {
		virTypedParamsFree(mp.params, mp.nparams);
		return error_setx(err, EAGAIN, "cannot start the migration thread");
	}
	samples = cJSON_AddArrayToObject(o, "samples");
	while (!atomic_load(&job.done)) {
		virTypedParameterPtr p = NULL;
		int n = 0, type = 0;

		if (!sleep_unless_stopped(SAMPLE_S))
			usleep(200000);	/* stopping: the abort below ends the job */
		if (atomic_load(&job.done))
			break;
		progress_phase("migrating", mono_s() - t0, 0);
		if (virDomainGetJobStats(g->dom, &type, &p, &n, 0) == 0 && type != VIR_DOMAIN_JOB_NONE) {
			cJSON *s = job_json(p, n, type);
			double it = jnum(s, "iterations");

			cJSON_AddNumberToObject(s, "t", round((mono_s() - t0) * 1000) / 1000);
			cJSON_AddItemToArray(samples, s);
			/* Post-copy: switch once the first full pass is sent. */
			if (setting_yes(x, "postcopy") && !postcopy_started && isfinite(it) && it >= 2) {
				if (virDomainMigrateStartPostCopy(g->dom, 0) == 0) {
					postcopy_started = true;
					cJSON_AddNumberToObject(o, "postcopy_started_s", mono_s() - t0);
				}
			}
		}
		virTypedParamsFree(p, n);
		if (!aborted && (mono_s() - t0 > timeout || stop_requested)) {
			/* libvirt's own reason ends the job; we only ask. */
			virDomainAbortJob(g->dom);
			aborted = true;
			cJSON_AddNumberToObject(o, "aborted_after_s", mono_s() - t0);
		}
	}
	pthread_join(th, NULL);
	virTypedParamsFree(mp.params, mp.nparams);
	cJSON_AddNumberToObject(o, "wall_s", mono_s() - t0);

	if (job.result) {
		virTypedParameterPtr p = NULL;
		int n = 0, type = 0;

		virDomainFree(g->dom);
		g->dom = job.result;
		if (virDomainGetJobStats(g->dom, &type, &p, &n, VIR_DOMAIN_JOB_STATS_COMPLETED) == 0) {
			cJSON *js = job_json(p, n, type);
			double ps = jnum(js, "page_size"), dr = jnum(js, "dirty_rate_pages_s");

			if (isfinite(ps) && isfinite(dr))
				cJSON_AddNumberToObject(js, "dirty_rate_bytes_s", ps * dr);
			/* After post-copy the destination reports a completed job
			 * of type none, without numbers: the last sample taken
			 * while the job ran (post-copy phase included) stands in,
			 * and the record says so. */
			if (!isfinite(jnum(js, "total_ms")) && cJSON_GetArraySize(samples) > 0) {
				cJSON_Delete(js);
				js = cJSON_Duplicate(cJSON_GetArrayItem(samples, cJSON_GetArraySize(samples) - 1), 1);
				cJSON_DeleteItemFromObject(js, "t");
				cJSON_AddStringToObject(o, "job_source", "last-sample");
			} else {
				cJSON_AddStringToObject(o, "job_source", "completed");
			}
			cJSON_AddItemToObject(o, "job", js);
		} else {
			r = error_setx(err, EIO, "migration %s -> %s of '%s': no completed job statistics: %s", src_name,
				     dst_name, g->dom_name, virt_last_error());
		}
		virTypedParamsFree(p, n);
		cJSON_AddStringToObject(o, "guest_on", dst_name);
	} else {
		int on_src = active_on(src, g->dom_name), on_dst = active_on(dst, g->dom_name);

		r = error_setx(err, EIO, "migration %s -> %s of '%s' failed%s: %s", src_name, dst_name, g->dom_name,
			     aborted ? " (aborted at the timeout)" : "", job.error);
		if (on_src && on_dst) {
			/* Never on both: the source holds the guest's state. */
			virt_domain_remove(dst, g->dom_name);
			on_dst = 0;
		}
		if (on_src) {
			virDomainResume(g->dom);
			cJSON_AddStringToObject(o, "guest_on", src_name);
		} else if (on_dst) {
			virDomainPtr d = virDomainLookupByName(dst, g->dom_name);
			virDomainFree(g->dom);
			g->dom = d;
			cJSON_AddStringToObject(o, "guest_on", dst_name);
			if (!dst_is_home) {
				/* Not its home host: remove it rather than leave it there. */
				virt_domain_remove(dst, g->dom_name);
				if (g->dom)
					virDomainFree(g->dom);
				g->dom = NULL;
				cJSON_ReplaceItemInObject(o, "guest_on", cJSON_CreateString("removed"));
			}
		} else {
			virDomainFree(g->dom);
			g->dom = NULL;
			cJSON_AddStringToObject(o, "guest_on", "neither host: it is gone");
		}
		cJSON_AddStringToObject(o, "error", err->msg);
		if (g->dom == NULL)
			g->ready = false;
		return r;
	}

	/* The workload's view, from wherever the guest now runs. */
	{
		struct agent_exec_result res = { 0 };
		struct herror werr = { 0 };
		cJSON *doc = NULL;

		if (agent_exec_wait(g->dom, pid, dur + 120, &res, &werr) < 0) {
			cJSON_AddStringToObject(o, "workload_error", werr.msg);
			if (r == 0)
				r = error_setx(err, werr.status, "the workload in '%s' after the migration: %s", g->dom_name,
					     werr.msg);
		} else if ((doc = res.out ? cJSON_Parse(res.out) : NULL) == NULL) {
			if (r == 0)
				r = error_setx(err, EIO, "the runner in '%s' printed no JSON (exit %d): %.300s",
					     g->dom_name, res.exit_code, res.err_text ? res.err_text : "");
		} else {
			cJSON *w = guestrun_doc_workload(doc, "dirty");
			cJSON *tot = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(w, "output"),
								      "totals");
			wl = cJSON_AddObjectToObject(o, "workload");
			cJSON_AddItemToObject(wl, "allocated_bytes", guestrun_num_or_null(jnum(tot, "allocated_bytes")));
			cJSON_AddItemToObject(wl, "rewritten_bytes", guestrun_num_or_null(jnum(tot, "rewritten_bytes")));
			cJSON_AddItemToObject(wl, "dirty_rate_bytes_s",
					      guestrun_num_or_null(jnum(tot, "dirty_rate_bytes_s")));
			cJSON_AddItemToObject(wl, "max_stall_ms", guestrun_num_or_null(jnum(tot, "max_stall_ms")));
			cJSON_AddItemToObject(wl, "max_stall_at_s", guestrun_num_or_null(jnum(tot, "max_stall_at_s")));
			cJSON_AddItemToObject(wl, "max_stall_realtime_ms",
					      guestrun_num_or_null(jnum(tot, "max_stall_realtime_ms")));
			{
				cJSON *st = cJSON_GetObjectItemCaseSensitive(tot, "stalls");
				cJSON_AddItemToObject(wl, "stalls", st ? cJSON_Duplicate(st, 1) : cJSON_CreateArray());
			}
			if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "ok")) && r == 0)
				r = error_setx(err, EIO, "the runner in '%s' reported failure: %.300s", g->dom_name,
					     res.out);
			cJSON_Delete(doc);
		}
		agent_exec_result_free(&res);
	}
	if (r < 0)
		cJSON_AddStringToObject(o, "error", err->msg);
	return r;
}

/* The destination of the storage copy: an overlay on the same backing
 * image, made by the destination host in a pool of its own. */
static int copy_target(struct provision *pv, struct guest *g, virConnectPtr dst, const char *pool_name,
		       char **path, struct herror *err)
{
	cleanup_free char *dir = xasprintf("%s/migration", pv->state_run_dir);
	cleanup_free char *backing = image_prepared_path(&g->img, pv->payload_root, err);
	cleanup_free char *vol = xasprintf("%s-copy.qcow2", g->def->name);
	virStoragePoolPtr pool;
	int r;

	if (backing == NULL)
		return -err->status;
	pool = virStoragePoolLookupByName(dst, pool_name);
	if (pool == NULL) {
		cleanup_free char *xml = xasprintf("<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>",
						   pool_name, dir);
		pool = virStoragePoolCreateXML(dst, xml, VIR_STORAGE_POOL_CREATE_WITH_BUILD);
		if (pool == NULL)
			return error_setx(err, EIO, "cannot make the storage pool for the copied disk: %s",
					virt_last_error());
	}
	r = virt_overlay_create(pool, vol, backing, path, err);
	virStoragePoolFree(pool);
	return r;
}

static cJSON *direction_metrics(cJSON *o, long maxdown)
{
	cJSON *job = cJSON_GetObjectItemCaseSensitive(o, "job");
	cJSON *wl = cJSON_GetObjectItemCaseSensitive(o, "workload");
	double down = jnum(job, "downtime_ms");

	cJSON_AddItemToObject(o, "downtime_ms", guestrun_num_or_null(down));
	cJSON_AddItemToObject(o, "total_ms", guestrun_num_or_null(jnum(job, "total_ms")));
	cJSON_AddItemToObject(o, "memory_bytes", guestrun_num_or_null(jnum(job, "memory_bytes")));
	cJSON_AddItemToObject(o, "iterations", guestrun_num_or_null(jnum(job, "iterations")));
	cJSON_AddItemToObject(o, "stall_ms", guestrun_num_or_null(jnum(wl, "max_stall_ms")));
	if (isfinite(down))
		cJSON_AddBoolToObject(o, "downtime_within_max", down <= (double)maxdown);
	return o;
}

static int migration_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	struct provision *pv = x->pv;
	struct guest *g = guestrun_pick(x, err);
	const char *to_name = exp_setting_value(x, "to");
	const struct host_def *home, *to;
	bool copy = strcmp(exp_setting_value(x, "storage"), "copy") == 0;
	long maxdown = setting_long(x, "max_downtime_ms");
	cleanup_free char *to_addr = NULL, *home_addr = NULL, *copy_disk = NULL, *pool_name = NULL;
	virConnectPtr dst = NULL;
	cJSON *out, *back;
	int r;

	if (g == NULL)
		return -err->status;
	home = hosts_of_guest(x->suite, g->def);
	to = to_name ? hosts_find(x->suite, to_name) : (x->suite->nhosts > 1 ? &x->suite->hosts[1] : NULL);
	if (to == NULL || to == home)
		return error_setx(err, EINVAL, "migration needs a second host in the suite's hosts to migrate '%s' to",
				g->def->name);
	if (home != &x->suite->hosts[0])
		return error_setx(err, ENOTSUP, "migration starts from the suite's first host; '%s' is on '%s'",
				g->def->name, home->name);
	cJSON_AddItemToObject(record, "guest", guestrun_guest_json(g, NULL));
	cJSON_AddStringToObject(record, "host", home->name);
	cJSON_AddStringToObject(record, "to_host", to->name);
	cJSON_AddNumberToObject(record, "max_downtime_ms", (double)maxdown);
	cJSON_AddNumberToObject(record, "dirty_bytes", (double)setting_long(x, "dirty_mib") * 1048576.0);
	cJSON_AddNumberToObject(record, "dirty_rate_bytes_s", (double)setting_long(x, "dirty_rate_mib_s") * 1048576.0);
	if ((to_addr = hosts_migration_address(to, err)) == NULL ||
	    (home_addr = hosts_migration_address(home, err)) == NULL)
		return -err->status;
	dst = hosts_connect(to, err);
	if (dst == NULL)
		return -err->status;
	if (copy && g->img.initramfs) {
		virConnectClose(dst);
		return error_setx(err, EINVAL, "storage copy: '%s' has no disk to copy (image '%s' is an initramfs "
				  "image); migrate it without storage copy", g->dom_name, g->img.name);
	}
	if (copy && g->overlay == NULL) {
		virConnectClose(dst);
		return error_setx(err, EINVAL, "storage copy needs to know the disk of '%s'; a borrowed standing guest's "
				"is not known: give the guest settings that differ from vm up's", g->dom_name);
	}
	if (copy) {
		pool_name = xasprintf("%s-mig", pv->pool_name ? pv->pool_name : "harness");
		if (copy_target(pv, g, dst, pool_name, &copy_disk, err) < 0) {
			virConnectClose(dst);
			return -err->status;
		}
	}

	out = cJSON_AddObjectToObject(record, "out");
	r = migrate_once(x, g, home->name, pv->conn, to->name, dst, to_addr, g->overlay, copy_disk, false, out, err);
	direction_metrics(out, maxdown);
	if (r == 0) {
		back = cJSON_AddObjectToObject(record, "back");
		r = migrate_once(x, g, to->name, dst, home->name, pv->conn, home_addr, copy_disk,
				 copy ? g->overlay : NULL, true, back, err);
		direction_metrics(back, maxdown);
	}
	/* A run that failed with the guest on the other host (the workload
	 * failed after the way out) removes it there: the suite's teardown and
	 * the next run know only its home host. */
	if (r < 0 && g->dom && !active_on(pv->conn, g->dom_name) && active_on(dst, g->dom_name)) {
		virt_domain_remove(dst, g->dom_name);
		virDomainFree(g->dom);
		g->dom = NULL;
		g->ready = false;
	}
	cJSON_AddStringToObject(record, "guest_left_on",
				g->dom ? (active_on(pv->conn, g->dom_name) ? home->name : to->name) : "removed");
	if (pool_name)
		virt_pool_remove(dst, pool_name);
	virConnectClose(dst);
	return r;
}

static int check_ms(const char *v, const struct suite *s, char *why, size_t whylen)
{
	long n;
	(void)s;
	if (parse_long(v, 1, 600000, &n) < 0) {
		snprintf(why, whylen, "'%s' must be a whole number 1..600000", v);
		return -EINVAL;
	}
	return 0;
}

static int check_mib(const char *v, const struct suite *s, char *why, size_t whylen)
{
	long n;
	(void)s;
	if (parse_long(v, 0, 1048576, &n) < 0) {
		snprintf(why, whylen, "'%s' must be a whole number of MiB 0..1048576", v);
		return -EINVAL;
	}
	return 0;
}

static int check_to(const char *v, const struct suite *s, char *why, size_t whylen)
{
	if (hosts_find(s, v) == NULL) {
		snprintf(why, whylen, "'%s' is not a host of the suite's hosts", v);
		return -EINVAL;
	}
	return 0;
}

static double migration_estimate_s(const struct experiment_def *def)
{
	return 2 * (def->duration_s + 10);
}

/* Pre-copy iterations and the stop-and-copy at the end, on one time line:
 * the memory still to send, sampled during the job, over shaded passes. */
static int plot_phases(const char *tmp, int idx, cJSON *dir, const char *title, char *eps, size_t epslen)
{
	cJSON *samples = cJSON_GetObjectItemCaseSensitive(dir, "samples"), *s;
	cJSON *job = cJSON_GetObjectItemCaseSensitive(dir, "job");
	double total = jnum(job, "total_ms") / 1000, down = jnum(job, "downtime_ms") / 1000;
	double prev_it = -1, it_start = 0;
	char dat[4096], gp[4096];
	int shade = 0;
	FILE *f;

	snprintf(dat, sizeof(dat), "%s/mig%d.dat", tmp, idx);
	snprintf(gp, sizeof(gp), "%s/mig%d.gp", tmp, idx);
	snprintf(eps, epslen, "%s/mig%d.eps", tmp, idx);
	if ((f = fopen(dat, "w")) == NULL)
		return -1;
	cJSON_ArrayForEach(s, samples)
		fprintf(f, "%g %g %g\n", jnum(s, "t"), jnum(s, "memory_remaining_bytes") / 1048576,
			jnum(s, "memory_bytes") / 1048576);
	fclose(f);
	if ((f = fopen(gp, "w")) == NULL)
		return -1;
	doc_gp_terminal(f, eps, 6, 2.4);
	fputs("set title ", f);
	doc_gp_string(f, title);
	fputs(" noenhanced\nset xlabel 'time since the migration started (s)'\nset ylabel 'MiB'\n"
	      "set key below horizontal\nset grid\n", f);
	/* One shaded band per pre-copy pass, as the samples show them. */
	cJSON_ArrayForEach(s, samples) {
		double it = jnum(s, "iterations"), t = jnum(s, "t");
		if (!isfinite(it))
			continue;
		if (it != prev_it) {
			if (prev_it >= 0)
				fprintf(f, "set object rect from %g, graph 0 to %g, graph 1 fc rgb '%s' fs solid 0.3 noborder behind\n",
					it_start, t, shade++ % 2 ? "#b0c4de" : "#dde6f0");
			prev_it = it;
			it_start = t;
		}
	}
	if (isfinite(total) && isfinite(down) && total > 0) {
		if (prev_it >= 0 && total - down > it_start)
			fprintf(f, "set object rect from %g, graph 0 to %g, graph 1 fc rgb '%s' fs solid 0.3 noborder behind\n",
				it_start, total - down, shade % 2 ? "#b0c4de" : "#dde6f0");
		fprintf(f, "set object rect from %g, graph 0 to %g, graph 1 fc rgb '#e06060' fs solid 0.6 noborder behind\n",
			total - down, total);
		fprintf(f, "set label 'stop-and-copy' at %g, graph 0.9 right offset -0.5,0 font ',8'\n", total - down);
		fprintf(f, "set xrange [0:%g]\n", total * 1.02);
	}
	fprintf(f, "plot '%s' using 1:2 with linespoints lw 2 pt 7 title 'memory still to send', "
		   "'%s' using 1:3 with lines lw 2 title 'memory sent'\n", dat, dat);
	fclose(f);
	return doc_gnuplot(gp);
}

static void migration_report_group(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns)
{
	FILE *f = d->f;
	cJSON *first = doc_group_first_run(grp, runs, nruns);
	static const char *const dirs[] = { "out", "back" };

	/* The caller's sentence is still open: end it before the table. */
	fprintf(f, " Allowed downtime %.0f ms", doc_jstat(grp, "max_downtime_ms", "mean"));
	if (first)
		fprintf(f, "; the workload touched %.0f MiB and rewrote it at %.0f MiB/s",
			doc_jnum(first, "dirty_bytes") / 1048576, doc_jnum(first, "dirty_rate_bytes_s") / 1048576);
	fputs(".\n", f);
	fputs(".TS\nbox;\nc c c c c c c\nl n n n n n n.\n"
	      "direction\ttotal (ms)\tdowntime (ms)\tallowed (ms)\tmemory sent (MiB)\titerations\tguest stall (ms)\n", f);
	for (size_t i = 0; i < 2; i++) {
		char k[64];
		fprintf(f, "%s", dirs[i]);
		snprintf(k, sizeof(k), "%s_total_ms", dirs[i]);
		fprintf(f, "\t%.0f", doc_jstat(grp, k, "mean"));
		snprintf(k, sizeof(k), "%s_downtime_ms", dirs[i]);
		fprintf(f, "\t%.0f\t%.0f", doc_jstat(grp, k, "mean"), doc_jstat(grp, "max_downtime_ms", "mean"));
		snprintf(k, sizeof(k), "%s_memory_bytes", dirs[i]);
		fprintf(f, "\t%.1f", doc_jstat(grp, k, "mean") / 1048576);
		snprintf(k, sizeof(k), "%s_iterations", dirs[i]);
		fprintf(f, "\t%.1f", doc_jstat(grp, k, "mean"));
		snprintf(k, sizeof(k), "%s_stall_ms", dirs[i]);
		fprintf(f, "\t%.0f\n", doc_jstat(grp, k, "mean"));
	}
	fputs(".TE\n", f);
	if (first && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			     cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(first, "out"),
							      "tcg_tlb_flush"),
			     "on")))
		fputs(".LP\nThe guest ran under TCG on a QEMU before 9.0, whose migration loses stores made through "
		      "cached TLB entries (QEMU commit 03bfc2188f): two processes in the guest kept switching address "
		      "spaces, which flushes QEMU's TLB, and took CPU time from the workload (the record's "
		      "tcg_tlb_flush).\n",
		      f);
	for (size_t i = 0; first && i < 2; i++) {
		cJSON *dir = cJSON_GetObjectItemCaseSensitive(first, dirs[i]);
		char eps[4200];
		cleanup_free char *title = xasprintf("%s -> %s (first repeat)", doc_jstr(dir, "from", "?"),
						     doc_jstr(dir, "to", "?"));
		if (dir && plot_phases(d->tmp, d->group * 2 + (int)i, dir, title, eps, sizeof(eps)) == 0)
			doc_figure(d, eps, 6, 2.4,
				   "memory still to send (points: libvirt's job statistics every 0.2 s) over the pre-copy "
				   "passes (alternating blue bands, one per iteration) and the stop-and-copy phase (red: "
				   "the downtime libvirt measured, drawn at the end of the job).");
	}
}

static const char *const yes_no[] = { "no", "yes", NULL };
static const char *const compressions[] = { "none", "xbzrle", NULL };
static const char *const storages[] = { "shared", "copy", NULL };
static const char *const tlb_modes[] = { "auto", "on", "off", NULL };

static const struct exp_setting migration_settings[] = {
	GUESTRUN_GUEST_SETTING,
	{ .key = "to", .help = "the host to migrate to and back from (a name in hosts)", .syntax = "a host name",
	  .def_doc = "the suite's second host", .check = check_to },
	{ .key = "max_downtime_ms", .help = "the longest pause libvirt may allow at the switch-over",
	  .syntax = "1..600000", .def = "300", .check = check_ms },
	{ .key = "bandwidth_mib_s", .help = "the migration's bandwidth limit (0: none)", .syntax = "0..1048576",
	  .def = "0", .check = check_mib },
	{ .key = "postcopy", .help = "switch to post-copy after the first full pass", .allowed = yes_no, .def = "no" },
	{ .key = "auto_converge", .help = "throttle the guest's vCPUs when it dirties faster than the link",
	  .allowed = yes_no, .def = "no" },
	{ .key = "compression", .help = "compress the pages sent again (xbzrle: deltas against a cache)",
	  .allowed = compressions, .def = "none" },
	{ .key = "storage", .help = "shared: both hosts open the same disk file; copy: the disk's top layer is "
				    "copied with the migration",
	  .allowed = storages, .def = "shared" },
	{ .key = "dirty_mib", .help = "memory the workload allocates, touches and keeps rewriting",
	  .syntax = "1..600000", .def = "256", .check = check_ms },
	{ .key = "dirty_rate_mib_s", .help = "the rate at which the workload rewrites it (0: touch once, then hold)",
	  .syntax = "0..1048576", .def = "32", .check = check_mib },
	{ .key = "timeout_s", .help = "abort a migration that is still running after this long",
	  .syntax = "1..600000", .def = "120", .check = check_ms },
	{ .key = "tcg_tlb_flush",
	  .help = "two processes in the guest that keep QEMU's TLB flushing, against QEMU's lost dirty pages under "
		  "TCG before 9.0 (auto: only then)",
	  .allowed = tlb_modes, .def = "auto" },
};

#define DIR_METRICS(d)                                                                                           \
	{ .name = d "_total_ms", .scope = METRIC_PER_RUN, .path = { d, "total_ms" }, .unit = "ms", .better = -1, \
	  .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "the migration's total time (libvirt, " d ")" },      \
	{ .name = d "_downtime_ms", .scope = METRIC_PER_RUN, .path = { d, "downtime_ms" }, .unit = "ms",         \
	  .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE,                                                  \
	  .help = "the guest's pause at the switch-over (libvirt, " d ")" },                                     \
	{ .name = d "_memory_bytes", .scope = METRIC_PER_RUN, .path = { d, "memory_bytes" }, .unit = "bytes",    \
	  .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "guest memory sent (libvirt, " d ")" },  \
	{ .name = d "_iterations", .scope = METRIC_PER_RUN, .path = { d, "iterations" }, .unit = "",             \
	  .better = -1, .use = METRIC_SUMMARY, .help = "pre-copy passes over memory (libvirt, " d ")" },         \
	{ .name = d "_stall_ms", .scope = METRIC_PER_RUN, .path = { d, "stall_ms" }, .unit = "ms", .better = -1, \
	  .use = METRIC_SUMMARY | METRIC_COMPARE,                                                                \
	  .help = "the longest gap the guest workload saw on its own clock (" d ")" }

static const struct exp_metric migration_metrics[] = {
	DIR_METRICS("out"),
	DIR_METRICS("back"),
	{ .name = "max_downtime_ms", .scope = METRIC_PER_RUN, .path = { "max_downtime_ms" }, .unit = "ms",
	  .better = 0, .use = METRIC_SUMMARY, .help = "the downtime the run allowed" },
};

const struct experiment exp_migration_info = {
	.name = "migration",
	.summary = "live migration of a guest that dirties memory to another host and back: time, downtime, bytes",
	.theory = "pre-copy sends all touched memory at least once, then what was dirtied during each pass, until "
		  "the rest fits in the allowed downtime; the guest pauses only for the stop-and-copy, so its "
		  "downtime stays near or below the maximum unless the dirty rate outruns the link",
	.guests = EXP_GUESTS_BORROWED,
	.settings = migration_settings,
	.nsettings = sizeof(migration_settings) / sizeof(migration_settings[0]),
	.metrics = migration_metrics,
	.nmetrics = sizeof(migration_metrics) / sizeof(migration_metrics[0]),
	.estimate_s = migration_estimate_s,
	.run = migration_run,
	.report_group = migration_report_group,
	.report_end = NULL,
	.spans_hosts = true,
	.explain = "A running guest moves to another host and back while a program in it rewrites memory at a set "
		   "rate. libvirt copies memory in passes while the guest runs (pre-copy), then pauses it to send "
		   "the rest (stop-and-copy): the table sets the measured pause beside the allowed maximum and the "
		   "memory sent beside what the program touched; the time lines show the passes and the pause.",
};
