#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <dirent.h>
#include <time.h>

#include "agent.h"
#include "image.h"
#include "progress.h"
#include "stats.h"
#include "virt.h"

#define RUN_PREFIX "hr-"

static char *runs_state_dir(void)
{
	return xasprintf("%s/runs", state_dir());
}

/* Leftovers of runs whose harness process died (kill -9, power loss). */
void run_cleanup_stale(virConnectPtr conn)
{
	cleanup_free char *dir = runs_state_dir();
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		cleanup_free char *path = xasprintf("%s/%s", dir, e->d_name);
		cleanup_free char *owner = xasprintf("%s/owner.pid", path);
		cleanup_free char *text = read_file(owner, NULL, NULL);
		int pid = text ? atoi(text) : 0;

		if (pid > 0 && kill(pid, 0) == 0)
			continue;
		/* Domains are named hr-<run-id>-<guest>; the pool hr-<run-id>. */
		virDomainPtr *doms = NULL;
		int nd = virConnectListAllDomains(conn, &doms, 0);
		cleanup_free char *prefix = xasprintf(RUN_PREFIX "%s-", e->d_name);
		for (int i = 0; i < nd; i++) {
			if (strncmp(virDomainGetName(doms[i]), prefix, strlen(prefix)) == 0) {
				hwarn("removing domain '%s' left by a run that is gone", virDomainGetName(doms[i]));
				virDomainDestroy(doms[i]);
			}
			virDomainFree(doms[i]);
		}
		free(doms);
		cleanup_free char *pool = xasprintf(RUN_PREFIX "%s", e->d_name);
		virt_pool_remove(conn, pool);
		remove_tree(path, NULL);
	}
	closedir(d);
}

static char *make_run_id(const char *suite)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	return xasprintf("%s-%s", stamp, suite);
}

static int write_json(const char *path, cJSON *j, struct herr *err)
{
	cleanup_free char *text = cJSON_Print(j);

	return write_file_atomic(path, text, strlen(text), err);
}

static void decide_weight_mechanism(struct runctx *rc)
{
	virTypedParameterPtr params = NULL;
	int nparams = 0;
	char *type;

	if (rc->weights != WEIGHTS_UNKNOWN || rc->nguests == 0 || rc->guests[0].dom == NULL)
		return;
	/* libvirt applies cpu_shares through the cgroup CPU controller only. */
	type = virDomainGetSchedulerType(rc->guests[0].dom, &nparams);
	if (type && nparams > 0) {
		rc->weights = WEIGHTS_CGROUP;
		snprintf(rc->weights_reason, sizeof(rc->weights_reason),
			 "libvirt cpu_shares (cgroup CPU controller, scheduler '%s')", type);
	} else {
		rc->weights = WEIGHTS_NICE;
		snprintf(rc->weights_reason, sizeof(rc->weights_reason),
			 "libvirt has no cgroup CPU controller here (%s); weights are applied as nice values "
			 "(autogroup nice where autogroups are on) "
			 "of the QEMU threads, from the kernel's nice-to-weight table",
			 type ? "no scheduler parameters" : virt_last_error());
		hwarn("CPU weights: %s", rc->weights_reason);
	}
	free(type);
	free(params);
}

int run_guests_up(struct runctx *rc, bool fresh, struct herr *err)
{
	cleanup_free char *prefix = xasprintf(RUN_PREFIX "%s-", rc->run_id);
	int ready;

	if (rc->guests_up)
		return 0;
	/* Give up after three failures; the remaining runs are recorded as failed. */
	if (rc->boot_failures >= 3)
		return herr_set(err, EIO, "the guests failed to come up %d times; not trying again",
				rc->boot_failures);
	for (size_t i = 0; i < rc->nguests; i++) {
		struct guest *g = &rc->guests[i];
		const struct guest_def *def = g->def;

		guest_remove(rc->conn, g);
		guest_free(g);
		g->def = def;
		if (!fresh && guest_adopt_standing(rc->conn, g, rc->payload_root)) {
			progress_note("%s: using the standing guest (vm up)", g->dom_name);
			continue;
		}
		if (guest_start(rc->conn, g, prefix, rc->pool_name, rc->state_run_dir, rc->payload_root,
				rc->accel.accel, err) < 0) {
			run_guests_down(rc);
			rc->boot_failures++;
			return -err->code;
		}
	}
	ready = guests_wait_ready(rc->guests, rc->nguests, rc->suite->boot_timeout_s);
	if ((size_t)ready != rc->nguests) {
		for (size_t i = 0; i < rc->nguests; i++)
			if (rc->guests[i].failure) {
				herr_set(err, ETIMEDOUT, "%s", rc->guests[i].failure);
				break;
			}
		rc->boot_failures++;
		return -ETIMEDOUT;
	}
	for (size_t i = 0; i < rc->nguests; i++)
		if (!rc->guests[i].standing && guest_verify_payload(&rc->guests[i], rc->payload_root, err) < 0) {
			rc->boot_failures++;
			return -err->code;
		}
	rc->guests_up = true;
	decide_weight_mechanism(rc);
	return 0;
}

void run_guests_down(struct runctx *rc)
{
	for (size_t i = 0; i < rc->nguests; i++)
		guest_remove(rc->conn, &rc->guests[i]);
	rc->guests_up = false;
}

static void save_console_tails(struct runctx *rc, cJSON *record, const char *run_id)
{
	cJSON *tails = cJSON_AddObjectToObject(record, "console_tail");

	for (size_t i = 0; i < rc->nguests; i++) {
		struct guest *g = &rc->guests[i];
		if (g->console_log == NULL)
			continue;
		cleanup_free char *tail = console_tail(g->console_log, 40);
		cleanup_free char *path = xasprintf("%s/failures/%s.%s.console.txt", rc->results_dir, run_id,
						    g->def->name);
		cJSON_AddStringToObject(tails, g->def->name, tail);
		write_file_atomic(path, tail, strlen(tail), NULL);
	}
}

static cJSON *env_json(struct runctx *rc)
{
	cJSON *env = cJSON_CreateObject();
	cJSON *acc = cJSON_AddObjectToObject(env, "accelerator");
	cJSON *imgs = cJSON_AddArrayToObject(env, "images");
	struct utsname u;
	unsigned long lib = 0, hv = 0;
	char model[256] = "unknown", line[512];
	FILE *f = fopen("/proc/cpuinfo", "re");
	char digest[17] = "";

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "model name : %255[^\n]", model) == 1)
			break;
	if (f)
		fclose(f);
	cJSON_AddStringToObject(env, "schema", "harness-env/1");
	cJSON_AddStringToObject(acc, "name", accel_name(rc->accel.accel));
	cJSON_AddStringToObject(acc, "reason", rc->accel.reason);
	cJSON_AddBoolToObject(acc, "forced", rc->accel.forced);
	cJSON_AddStringToObject(acc, "note", rc->accel.accel == ACCEL_TCG ?
				"TCG: numbers measure QEMU's emulation, not hardware virtualization" :
				"KVM: hardware virtualization");
	cJSON_AddStringToObject(env, "host_cpu", model);
	cJSON_AddNumberToObject(env, "host_cpus", rc->host_cpus);
	cJSON_AddNumberToObject(env, "host_mem_mib", (double)sysconf(_SC_PHYS_PAGES) *
				(double)sysconf(_SC_PAGESIZE) / 1048576.0);
	if (uname(&u) == 0) {
		cJSON_AddStringToObject(env, "host_kernel", u.release);
		cJSON_AddStringToObject(env, "host_name", u.nodename);
	}
	virConnectGetLibVersion(rc->conn, &lib);
	virConnectGetVersion(rc->conn, &hv);
	char buf[64];
	snprintf(buf, sizeof(buf), "%lu.%lu.%lu", lib / 1000000, lib / 1000 % 1000, lib % 1000);
	cJSON_AddStringToObject(env, "libvirt_version", buf);
	snprintf(buf, sizeof(buf), "%lu.%lu.%lu", hv / 1000000, hv / 1000 % 1000, hv % 1000);
	cJSON_AddStringToObject(env, "qemu_version", buf);
	cJSON_AddStringToObject(env, "libvirt_uri", virt_uri());
	guestfs_h *g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);
	if (g) {
		struct guestfs_version *v = guestfs_version(g);
		if (v) {
			snprintf(buf, sizeof(buf), "%" PRIi64 ".%" PRIi64 ".%" PRIi64, v->major, v->minor, v->release);
			cJSON_AddStringToObject(env, "libguestfs_version", buf);
			guestfs_free_version(v);
		}
		guestfs_close(g);
	}
	payload_digest(rc->payload_root, digest, NULL);
	cJSON_AddStringToObject(env, "guest_payload_digest", digest);
	for (size_t i = 0; i < rc->nguests; i++) {
		struct image img;
		cJSON *o;
		if (image_find(rc->guests[i].def->image, &img, NULL) < 0) {
			image_free(&img);
			continue;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "guest", rc->guests[i].def->name);
		cJSON_AddStringToObject(o, "image", img.name);
		cJSON_AddStringToObject(o, "digest", img.digest ? img.digest : "");
		cJSON_AddStringToObject(o, "suite", img.suite ? img.suite : "");
		cJSON_AddStringToObject(o, "kernel", img.kernel_version ? img.kernel_version : "");
		cJSON_AddItemToArray(imgs, o);
		image_free(&img);
	}
	return env;
}

static void write_env(struct runctx *rc)
{
	cJSON *env = env_json(rc);
	cleanup_free char *p = xasprintf("%s/env.json", rc->results_dir);

	cJSON_AddStringToObject(env, "cpu_weight_mechanism",
				rc->weights == WEIGHTS_CGROUP ? "cgroup-shares" :
				rc->weights == WEIGHTS_NICE ? "nice" : "unknown");
	cJSON_AddStringToObject(env, "cpu_weight_reason", rc->weights_reason);
	write_json(p, env, NULL);
	cJSON_Delete(env);
}

static void add_settings(struct runctx *rc, const struct plan_run *r, cJSON *record)
{
	const struct experiment_def *ex = &rc->suite->exps[r->exp];
	cJSON *s = cJSON_AddObjectToObject(record, "settings");

	for (size_t a = 0; a < ex->naxes; a++)
		cJSON_AddStringToObject(s, ex->axes[a].key, r->values[a]);
}

static int run_one(struct runctx *rc, const struct plan_run *r, struct herr *err)
{
	const struct experiment_def *ex = &rc->suite->exps[r->exp];
	cJSON *rec = cJSON_CreateObject();
	cJSON *acc;
	cleanup_free char *path = xasprintf("%s/runs/%s.json", rc->results_dir, r->id);
	struct herr rerr = { 0 };
	int res;

	cJSON_AddStringToObject(rec, "schema", "harness-run/1");
	cJSON_AddStringToObject(rec, "run_id", r->id);
	cJSON_AddStringToObject(rec, "suite_run", rc->run_id);
	cJSON_AddStringToObject(rec, "experiment", ex->type);
	cJSON_AddNumberToObject(rec, "repeat", r->repeat);
	cJSON_AddBoolToObject(rec, "warmup", r->repeat == 0);
	cJSON_AddNumberToObject(rec, "duration_s", ex->duration_s);
	add_settings(rc, r, rec);
	acc = cJSON_AddObjectToObject(rec, "accelerator");
	cJSON_AddStringToObject(acc, "name", accel_name(rc->accel.accel));
	cJSON_AddStringToObject(acc, "reason", rc->accel.reason);
	cJSON_AddNumberToObject(rec, "started", now_wall());

	if (strcmp(ex->type, "boot") == 0) {
		res = exp_boot(rc, r, rec, &rerr);
	} else {
		res = run_guests_up(rc, false, &rerr);
		if (res == 0) {
			cJSON *m = cJSON_AddObjectToObject(rec, "cpu_weights");
			cJSON_AddStringToObject(m, "mechanism", rc->weights == WEIGHTS_CGROUP ? "cgroup-shares" : "nice");
			cJSON_AddStringToObject(m, "reason", rc->weights_reason);
			res = exp_cpu_contention(rc, r, rec, &rerr);
		}
	}
	cJSON_AddNumberToObject(rec, "finished", now_wall());
	cJSON_AddBoolToObject(rec, "ok", res == 0);
	if (res < 0) {
		cJSON_AddStringToObject(rec, "error", rerr.msg);
		save_console_tails(rc, rec, r->id);
		progress_note("run %s failed: %s", r->id, rerr.msg);
		/* A guest that stopped answering is not trusted for the next run. */
		bool healthy = rc->guests_up;
		for (size_t i = 0; healthy && i < rc->nguests; i++)
			healthy = rc->guests[i].dom && agent_ping(rc->guests[i].dom);
		if (!healthy)
			run_guests_down(rc);
	} else {
		cJSON_AddNullToObject(rec, "error");
	}
	if (r->repeat == 0) {
		cJSON_Delete(rec);
		return res;
	}
	if (write_json(path, rec, err) < 0)
		res = -err->code;
	cJSON_Delete(rec);
	return res;
}

static bool run_done(struct runctx *rc, const struct plan_run *r)
{
	cleanup_free char *path = xasprintf("%s/runs/%s.json", rc->results_dir, r->id);
	cleanup_free char *text = read_file(path, NULL, NULL);
	cJSON *j = text ? cJSON_Parse(text) : NULL;
	bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok"));

	cJSON_Delete(j);
	return ok;
}

static double run_estimate_s(const struct runctx *rc, const struct plan_run *r)
{
	const struct experiment_def *ex = &rc->suite->exps[r->exp];

	return strcmp(ex->type, "boot") == 0 ? 90 : ex->duration_s + 10;
}

int run_suite(const struct run_options *opt, struct herr *err)
{
	struct runctx rc = { 0 };
	struct accel_facts facts;
	cleanup_free char *suite_path = NULL;
	cleanup_free char *suite_text = NULL;
	cleanup_free char *owner = NULL;
	int r = 0, failed = 0, done = 0;
	size_t suite_len = 0;

	/* Everything that can be wrong with the input is checked before anything starts. */
	if (opt->resume_dir) {
		suite_path = xasprintf("%s/suite.yaml", opt->resume_dir);
	} else {
		suite_path = suite_resolve(opt->suite, opt->suites_dir);
	}
	suite_text = read_file(suite_path, &suite_len, err);
	if (suite_text == NULL)
		return herr_set(err, ENOENT, "cannot read suite '%s': %s", suite_path, err->msg);
	if (suite_parse(suite_path, suite_text, suite_len, &rc.suite, err) < 0)
		return -err->code;
	plan_build(rc.suite, &rc.plan);
	accel_probe(&facts);
	if (accel_decide(&facts, &rc.accel) < 0) {
		r = herr_set(err, EINVAL, "%s", rc.accel.reason);
		goto out;
	}
	if (rc.accel.accel == ACCEL_TCG)
		hwarn("using TCG (software emulation): %s", rc.accel.reason);
	rc.host_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	rc.payload_root = opt->payload_root;
	rc.nguests = rc.suite->nguests;
	rc.guests = xcalloc(rc.nguests, sizeof(*rc.guests));
	for (size_t i = 0; i < rc.nguests; i++) {
		struct image img;
		char *prep;
		rc.guests[i].def = &rc.suite->guests[i];
		if (image_find(rc.guests[i].def->image, &img, err) < 0 ||
		    (prep = image_prepared_path(&img, rc.payload_root, err)) == NULL) {
			image_free(&img);
			r = -err->code;
			goto out;
		}
		free(prep);
		image_free(&img);
	}
	rc.conn = virt_connect(err);
	if (rc.conn == NULL) {
		r = -err->code;
		goto out;
	}
	run_cleanup_stale(rc.conn);

	if (opt->resume_dir) {
		const char *base = strrchr(opt->resume_dir, '/');
		rc.results_dir = realpath(opt->resume_dir, NULL);
		rc.run_id = xstrdup(base ? base + 1 : opt->resume_dir);
	} else {
		rc.run_id = make_run_id(rc.suite->name);
		rc.results_dir = xasprintf("%s/%s", opt->results_root, rc.run_id);
	}
	{
		cleanup_free char *runs = xasprintf("%s/runs", rc.results_dir);
		cleanup_free char *fails = xasprintf("%s/failures", rc.results_dir);
		if (mkdir_p(runs, 0755, err) < 0 || mkdir_p(fails, 0755, err) < 0) {
			r = -err->code;
			goto out;
		}
	}
	if (!opt->resume_dir) {
		cleanup_free char *copy = xasprintf("%s/suite.yaml", rc.results_dir);
		if (write_file_atomic(copy, suite_text, suite_len, err) < 0) {
			r = -err->code;
			goto out;
		}
	}
	{
		cleanup_free char *sd = runs_state_dir();
		rc.state_run_dir = xasprintf("%s/%s", sd, rc.run_id);
	}
	rc.pool_name = xasprintf(RUN_PREFIX "%s", rc.run_id);
	if (mkdir_p(rc.state_run_dir, 0755, err) < 0) {
		r = -err->code;
		goto out;
	}
	owner = xasprintf("%s/owner.pid", rc.state_run_dir);
	{
		char pid[32];
		snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
		write_file_atomic(owner, pid, strlen(pid), NULL);
	}
	hinfo("results: %s", rc.results_dir);
	/* Written now so that a killed run still describes its host; rewritten
	 * at the end with the CPU weight mechanism the guests showed. */
	write_env(&rc);

	double eta = 0;
	for (size_t i = 0; i < rc.plan.nruns; i++)
		eta += run_estimate_s(&rc, &rc.plan.runs[i]);
	for (size_t i = 0; i < rc.plan.nruns && !stop_requested; i++) {
		const struct plan_run *pr = &rc.plan.runs[i];
		struct herr rerr = { 0 };

		eta -= run_estimate_s(&rc, pr);
		if (pr->repeat > 0 && run_done(&rc, pr)) {
			progress_note("[%zu/%zu] %s: done earlier, kept", i + 1, rc.plan.nruns, pr->id);
			done++;
			continue;
		}
		progress_set_run((int)i + 1, (int)rc.plan.nruns, pr->id, eta);
		if (run_one(&rc, pr, &rerr) < 0) {
			if (pr->repeat > 0)
				failed++;
		} else if (pr->repeat > 0) {
			done++;
		}
	}
	progress_done();
	if (stop_requested)
		hwarn("interrupted: removing this run's guests; finished results stay in %s", rc.results_dir);
	write_env(&rc);
	{
		struct herr serr = { 0 };
		if (stats_summarize(rc.results_dir, &serr) < 0)
			hwarn("%s", serr.msg);
	}
	hinfo("%d run(s) recorded, %d failed; results in %s", done, failed, rc.results_dir);
	if (stop_requested)
		r = herr_set(err, EINTR, "interrupted");
	else if (failed)
		r = herr_set(err, EIO, "%d run(s) failed; see %s/failures", failed, rc.results_dir);
out:
	if (rc.conn) {
		run_guests_down(&rc);
		if (rc.pool_name)
			virt_pool_remove(rc.conn, rc.pool_name);
		virConnectClose(rc.conn);
	}
	if (rc.state_run_dir)
		remove_tree(rc.state_run_dir, NULL);
	for (size_t i = 0; i < rc.nguests; i++)
		guest_free(&rc.guests[i]);
	free(rc.guests);
	plan_free(&rc.plan);
	suite_free(rc.suite);
	free(rc.run_id);
	free(rc.results_dir);
	free(rc.state_run_dir);
	free(rc.pool_name);
	return r;
}
