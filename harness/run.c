#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "experiment.h"
#include "failcause.h"
#include "hostenv.h"
#include "hostnoise.h"
#include "image.h"
#include "plan.h"
#include "hosts.h"
#include "progress.h"
#include "provision.h"
#include "records.h"
#include "savestate.h"
#include "stats.h"
#include "suite.h"
#include "virt.h"

struct runctx {
	struct suite *suite;
	struct plan plan;
	struct provision pv;
	char *run_id;
	char *results_dir;
	cJSON *hosts;		/* each host's check (hosts.c), for env.json; NULL without hosts: */
	const char *host;	/* parallel: hosts: the host this process runs on, named in records */
	int attempt;		/* of the run now: 1, then 2... for each re-run of a disturbed run */
	bool disturbed;		/* the last run's host_noise said disturbed */
	bool rerun;		/* ... and its record was kept aside to run it again (rerun_disturbed) */
};

static char *make_run_id(const char *suite)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	return xasprintf("%s-%s", stamp, suite);
}

int run_id_of_dir(const char *dir, char **id_out, char **dir_out, struct herror *err)
{
	cleanup_free char *real = realpath(dir, NULL);
	const char *base;

	*id_out = NULL;
	*dir_out = NULL;
	if (real == NULL)
		return error_set(err, errno, "cannot resolve results directory '%s'", dir);
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	if (!run_id_valid(base))
		return error_setx(err, EINVAL,
				  "results directory '%s': '%s' is not a run id (A-Z, a-z, 0-9, '.', '_', '-')", dir,
				  base);
	*id_out = xstrdup(base);
	*dir_out = real;
	real = NULL;
	return 0;
}

/* Saves every guest's console tail; returns what the consoles and domains
 * say about why the run stopped ("vm1: kernel panic: ..."), or NULL. */
static char *save_console_tails(struct runctx *rc, cJSON *record, const char *run_id)
{
	cJSON *tails = cJSON_AddObjectToObject(record, "console_tail");
	char *causes = NULL;

	for (size_t i = 0; i < rc->pv.nguests; i++) {
		struct guest *g = &rc->pv.guests[i];
		cleanup_free char *cause = NULL;

		if (g->console_log == NULL)
			continue;
		/* The record keeps 40 lines; the failures file keeps 400, so that
		 * an oops's first line (its kind: page fault, GPF) is not cut off
		 * by its own call trace. */
		cleanup_free char *tail = console_tail(g->console_log, 40);
		cleanup_free char *longer = console_tail(g->console_log, 400);
		cJSON_AddStringToObject(tails, g->def->name, tail);
		results_write_failure(rc->results_dir, run_id, g->def->name, longer ? longer : tail);
		cause = failcause_console(tail);
		if (cause == NULL && g->dom && virDomainIsActive(g->dom) != 1)
			cause = xasprintf("domain '%s' is no longer running (QEMU exited or was killed)", g->dom_name);
		if (cause) {
			char *more = xasprintf("%s%s%s: %s", causes ? causes : "", causes ? "; " : "", g->def->name, cause);
			free(causes);
			causes = more;
		}
	}
	return causes;
}

/* The order the plan ran in, with the seed that reproduces it. */
static cJSON *plan_json(const struct runctx *rc)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "order", rc->plan.order == ORDER_SEQUENTIAL ? "sequential" : "shuffled");
	cJSON_AddNumberToObject(o, "seed", (double)rc->plan.seed);
	return o;
}

static void write_env(struct runctx *rc)
{
	struct hostenv h;
	cJSON *env;

	hostenv_probe(&h, rc->pv.conn);
	env = hostenv_json(&h, &rc->pv.accel, rc->pv.payload_root, rc->suite->guests, rc->suite->nguests);
	cJSON_AddStringToObject(env, "cpu_weight_mechanism", provision_weights_name(&rc->pv));
	cJSON_AddStringToObject(env, "cpu_weight_reason", rc->pv.weights_reason);
	cJSON_AddItemToObject(env, "plan", plan_json(rc));
	if (rc->hosts)
		cJSON_AddItemToObject(env, "hosts", cJSON_Duplicate(rc->hosts, 1));
	results_write_json(rc->results_dir, "env.json", env, NULL);
	cJSON_Delete(env);
}

static void add_settings(struct runctx *rc, const struct plan_run *r, cJSON *record)
{
	const struct experiment_def *ex = &rc->suite->exps[r->exp];
	cJSON *s = cJSON_AddObjectToObject(record, "settings");

	for (size_t a = 0; a < ex->naxes; a++)
		cJSON_AddStringToObject(s, ex->axes[a].key, r->values[a]);
}

/* What the check of each standing guest found and did before it was
 * borrowed (or why a fresh guest took its place): "borrowed". */
static void add_borrowed(const struct provision *pv, cJSON *rec)
{
	cJSON *list = NULL;

	for (size_t i = 0; i < pv->nguests; i++) {
		if (pv->guests[i].borrow == NULL)
			continue;
		if (list == NULL)
			list = cJSON_AddArrayToObject(rec, "borrowed");
		cJSON_AddItemToArray(list, cJSON_Duplicate(pv->guests[i].borrow, 1));
	}
}

/* Samples the host around a recorded run: what is not the run (hostnoise.h). */
static struct hostnoise_sampler *noise_start(const struct runctx *rc, const struct plan_run *r)
{
	/* hr-<run id>-: every domain of this suite run, on every host; with
	 * parallel: hosts each host's process has a pool of its own
	 * (hr-<run id>-<host>), and the other hosts' guests are this run's too. */
	cleanup_free char *prefix = xasprintf("hr-%s-", rc->run_id);
	size_t ng = rc->suite->nguests;
	char **names = xcalloc(rc->pv.nguests + 2 * ng + 1, sizeof(char *));
	struct hostnoise_run_ids ids = { .root = hostnoise_harness_root(), .prefix = prefix, .names = names };
	struct hostnoise_sampler *s;

	if (r->repeat == 0) {
		free(names);
		return NULL;
	}
	/* The guests now (borrowed ones included), and the names a fresh
	 * guest has while its saved state is built or once restored. */
	for (size_t i = 0; i < rc->pv.nguests; i++)
		if (rc->pv.guests[i].dom_name)
			names[ids.nnames++] = xstrdup(rc->pv.guests[i].dom_name);
	for (size_t i = 0; i < ng; i++)
		names[ids.nnames++] = savestate_domain_name(&rc->suite->guests[i]);
	s = hostnoise_start(&ids, HOSTNOISE_PERIOD_S);
	for (size_t i = 0; i < ids.nnames; i++)
		free(names[i]);
	free(names);
	return s;
}

static void noise_stop(struct runctx *rc, struct hostnoise_sampler *s, const struct plan_run *r, cJSON *rec)
{
	cJSON *j = hostnoise_stop(s), *reason;

	if (j == NULL)
		return;
	cJSON_AddItemToObject(rec, "host_noise", j);
	rc->disturbed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "disturbed"));
	cJSON_AddBoolToObject(rec, "disturbed", rc->disturbed);
	reason = cJSON_GetObjectItemCaseSensitive(j, "reason");
	if (cJSON_IsString(reason))
		progress_note("run %s disturbed: %s", r->id, reason->valuestring);
}

static int run_one(struct runctx *rc, const struct plan_run *r, struct herror *err)
{
	struct hostnoise_sampler *noise = NULL;
	cleanup_free char *kept_as = NULL;
	const struct experiment_def *ex = &rc->suite->exps[r->exp];
	const struct experiment *ops = ex->ops;
	struct exp_run x = { .pv = &rc->pv, .suite = rc->suite, .def = ex, .run = r };
	cJSON *rec = cJSON_CreateObject();
	cJSON *acc;
	struct herror rerr = { 0 };
	int res = 0;

	rc->disturbed = false;
	cJSON_AddStringToObject(rec, "schema", RECORD_SCHEMA);
	cJSON_AddStringToObject(rec, "run_id", r->id);
	cJSON_AddStringToObject(rec, "suite_run", rc->run_id);
	cJSON_AddStringToObject(rec, "experiment", ex->type);
	cJSON_AddNumberToObject(rec, "repeat", r->repeat);
	cJSON_AddBoolToObject(rec, "warmup", r->repeat == 0);
	cJSON_AddNumberToObject(rec, "plan_position", (double)(r - rc->plan.runs) + 1);
	cJSON_AddNumberToObject(rec, "duration_s", ex->duration_s);
	add_settings(rc, r, rec);
	acc = cJSON_AddObjectToObject(rec, "accelerator");
	cJSON_AddStringToObject(acc, "name", accel_name(rc->pv.accel.accel));
	cJSON_AddStringToObject(acc, "reason", rc->pv.accel.reason);
	if (rc->host) {
		cJSON_AddStringToObject(rec, "host", rc->host);
		if (rc->suite->pool_hosts)
			cJSON_AddBoolToObject(rec, "hosts_pooled", true);
	}
	cJSON_AddNumberToObject(rec, "started", wall_s());

	/* The guests the experiment needs, then the experiment. With
	 * fresh_guests: per-run every run (warm-ups too) gets guests of its
	 * own: restored from a saved state where it can, else booted cold. */
	bool per_run = ops->guests == EXP_GUESTS_BORROWED && rc->suite->fresh_per_run;
	provision_reconnect(&rc->pv);
	if (per_run) {
		provision_down(&rc->pv);
		res = provision_up(&rc->pv, true, &rerr);
	} else if (ops->guests == EXP_GUESTS_BORROWED) {
		res = provision_up(&rc->pv, false, &rerr);
	} else if (ops->guests == EXP_GUESTS_FRESH) {
		provision_down(&rc->pv);
	}
	add_borrowed(&rc->pv, rec);
	if (res == 0) {
		noise = noise_start(rc, r);
		res = ops->run(&x, rec, &rerr);
		noise_stop(rc, noise, r, rec);
	}
	if (ops->guests == EXP_GUESTS_FRESH || per_run) {
		savestate_add_to_record(rc->pv.guests, rc->pv.nguests, rec);
		provision_down(&rc->pv);
	}
	cJSON_AddNumberToObject(rec, "finished", wall_s());
	cJSON_AddBoolToObject(rec, "ok", res == 0);
	if (res < 0) {
		/* A restarted libvirt daemon leaves a dead connection: the guests
		 * can be neither asked nor removed through it. */
		provision_reconnect(&rc->pv);
		cleanup_free char *cause = save_console_tails(rc, rec, r->id);
		cleanup_free char *msg = cause ? xasprintf("%s (%s)", rerr.msg, cause) : xstrdup(rerr.msg);

		cJSON_AddStringToObject(rec, "error", msg);
		progress_note("run %s failed: %s", r->id, msg);
		/* A guest that stopped answering is not trusted for the next run. */
		if (!provision_healthy(&rc->pv))
			provision_down(&rc->pv);
	} else {
		cJSON_AddNullToObject(rec, "error");
	}
	if (r->repeat == 0) {
		cJSON_Delete(rec);
		return res;
	}
	/* A disturbed run to be run again: its record is kept beside the
	 * re-run's, marked, and left out of statistics (records_load). */
	if (rc->disturbed && res == 0 && rc->attempt >= 1 && rc->attempt <= rc->suite->rerun_disturbed) {
		int k = rc->attempt;

		/* A resumed run keeps the attempts kept before it was interrupted. */
		for (;; k++) {
			cleanup_free char *path = xasprintf("%s/disturbed/%s.disturbed-%d.json", rc->results_dir, r->id, k);
			if (k >= 100 || access(path, F_OK) != 0)
				break;
		}
		kept_as = xasprintf("%s.disturbed-%d", r->id, k);
		cJSON_AddNumberToObject(rec, "disturbed_attempt", k);
		/* Its own run id: records are keyed by run_id, and the re-run's
		 * record takes the plan's. */
		cJSON_ReplaceItemInObjectCaseSensitive(rec, "run_id", cJSON_CreateString(kept_as));
		rc->rerun = true;
	}
	if ((kept_as ? record_write_disturbed(rc->results_dir, kept_as, rec, err)
		     : record_write(rc->results_dir, r->id, rec, err)) < 0) {
		res = -err->status;
		rc->rerun = false;
	}
	cJSON_Delete(rec);
	return res;
}

/* A run, and again while host_noise marks it disturbed, at most the
 * suite's rerun_disturbed times more. */
static int run_one_rerun(struct runctx *rc, const struct plan_run *r, struct herror *err)
{
	int res;

	for (rc->attempt = 1;; rc->attempt++) {
		rc->rerun = false;
		res = run_one(rc, r, err);
		if (!rc->rerun || stop_requested || err->status)
			break;
		progress_note("run %s was disturbed: running it again (re-run %d of at most %d)", r->id, rc->attempt,
			      rc->suite->rerun_disturbed);
	}
	rc->attempt = 0;
	return res;
}

static double run_estimate_s(const struct runctx *rc, const struct plan_run *r)
{
	const struct experiment_def *ex = &rc->suite->exps[r->exp];

	return ex->ops->estimate_s ? ex->ops->estimate_s(ex) : ex->duration_s;
}

/* The suite's seed, else the one a resumed run recorded, else a new one. */
static void choose_seed(struct suite *s, const char *resume_dir)
{
	unsigned int seed;

	if (s->seed_set)
		return;
	if (resume_dir) {
		cJSON *env = results_read_json(resume_dir, "env.json", NULL);
		cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(env, "plan"), "seed");
		bool found = cJSON_IsNumber(v);

		if (found)
			s->seed = (unsigned long)v->valuedouble;
		cJSON_Delete(env);
		if (found)
			return;
	}
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	s->seed = seed;
}

/* repeats: auto: after a whole round, whether to stop; why in *why. */
static bool rounds_enough(struct runctx *rc, int round, cJSON **why)
{
	const struct suite *s = rc->suite;
	struct herror serr = { 0 };
	char what[256];
	double widest;

	if (round < s->repeats_min)
		return false;
	if (stats_widest_ci(rc->results_dir, &widest, what, sizeof(what), &serr) < 0) {
		hwarn("%s", serr.msg);
		return false;
	}
	if (widest <= s->target_ci || round >= s->repeats) {
		cleanup_free char *text = widest <= s->target_ci ?
			xasprintf("target reached after %d rounds: every compared metric's relative 95%% CI half-width "
				  "is at most %.3g%% (widest %.3g%%: %s)", round, 100 * s->target_ci, 100 * widest, what) :
			xasprintf("maximum of %d rounds reached; the widest relative 95%% CI half-width is %.3g%% (%s), "
				  "above the target %.3g%%", round, isfinite(widest) ? 100 * widest : INFINITY, what,
				  100 * s->target_ci);
		cJSON_Delete(*why);
		*why = cJSON_CreateString(text);
		progress_note("%s", text);
		return true;
	}
	progress_note("round %d: widest relative 95%% CI half-width %.3g%% (%s), target %.3g%%", round,
		      isfinite(widest) ? 100 * widest : INFINITY, what, 100 * s->target_ci);
	return false;
}

/* parallel: hosts, in the child for host h: every guest on that host, this
 * process's own connections, state directory and pool; each host runs the
 * warm-ups itself, then takes recorded runs no other host took (a claim
 * file in claims). Exits 0, 1 (a run failed) or 2 (a record could not be
 * written). */
static void run_on_host(struct runctx *rc, size_t h, const char *claims)
{
	const struct host_def *hd = &rc->suite->hosts[h];
	cleanup_free char *sub = xasprintf("%s-%s", rc->run_id, hd->name);
	struct herror err = { 0 };
	int failed = 0;

	rc->host = hd->name;
	for (size_t g = 0; g < rc->suite->nguests; g++)
		rc->suite->guests[g].host = xstrdup(hd->name);
	/* The parent's connection is not this process's to use (or close). */
	rc->pv.conn = virt_connect(&err);
	free(rc->pv.host_conns);
	rc->pv.host_conns = NULL;
	free(rc->pv.host_accel);
	rc->pv.host_accel = NULL;
	free(rc->pv.state_run_dir);
	free(rc->pv.pool_name);
	if (rc->pv.conn == NULL || !run_id_valid(sub) || provision_claim(&rc->pv, sub, &err) < 0) {
		hwarn("host '%s': %s", hd->name, err.msg[0] ? err.msg : "cannot name its state directory");
		_exit(2);
	}
	if (h > 0) {
		virConnectPtr c = hosts_connect(hd, &err);
		if (c == NULL || hosts_accel(c, hosts_uri(hd), &rc->pv.accel, &err) < 0) {
			hwarn("host '%s': %s", hd->name, err.msg);
			_exit(2);
		}
		virConnectClose(c);
	}
	for (size_t i = 0; i < rc->plan.nruns && !stop_requested; i++) {
		const struct plan_run *pr = &rc->plan.runs[i];
		struct herror rerr = { 0 };

		if (pr->repeat > 0) {
			cleanup_free char *claim = xasprintf("%s/%s", claims, pr->id);
			int fd;

			if (record_done(rc->results_dir, pr->id))
				continue;
			fd = open(claim, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			if (fd < 0)
				continue;	/* another host's */
			close(fd);
		}
		progress_note("host '%s': run %s", hd->name, pr->id);
		if (run_one_rerun(rc, pr, &rerr) < 0 && pr->repeat > 0)
			failed++;
		if (rerr.status) {
			hwarn("host '%s': %s; stopped after run %s", hd->name, rerr.msg, pr->id);
			failed = -1;
			break;
		}
	}
	provision_reconnect(&rc->pv);
	provision_release(&rc->pv);
	fflush(NULL);
	_exit(failed < 0 ? 2 : failed ? 1 : 0);
}

/* parallel: hosts: one child per host, all writing into the one results
 * directory; returns when every child has ended. */
static int run_hosts_parallel(struct runctx *rc, struct herror *err)
{
	cleanup_free char *claims = xasprintf("%s/claims", rc->pv.state_run_dir);
	pid_t pids[64];
	size_t n = 0;
	bool lost = false;

	if (mkdir_p(claims, 0755, err) < 0)
		return -err->status;
	fflush(NULL);
	for (size_t h = 0; h < rc->suite->nhosts && h < 64; h++) {
		pid_t p = fork();
		if (p < 0) {
			error_set(err, errno, "cannot start the process for host '%s'", rc->suite->hosts[h].name);
			lost = true;
			break;
		}
		if (p == 0)
			run_on_host(rc, h, claims);
		pids[n++] = p;
	}
	for (size_t i = 0; i < n; i++) {
		int st;
		while (waitpid(pids[i], &st, 0) < 0) {
			if (errno != EINTR) {
				st = 2 << 8;
				break;
			}
			/* Interrupted here: the children stop too. */
			for (size_t k = 0; k < n; k++)
				kill(pids[k], SIGTERM);
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) == 2) {
			if (!lost)
				error_setx(err, EIO, "the runs on host '%s' ended early (%s %d); "
					   "'harness run --resume %s' runs what is missing", rc->suite->hosts[i].name,
					   WIFEXITED(st) ? "exit status" : "signal",
					   WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), rc->results_dir);
			lost = true;
		}
	}
	return lost ? -(err->status ? err->status : EIO) : 0;
}

/* --dry-run: what the suite would run, nothing started. */
static void run_print_plan(const struct runctx *rc, const char *path)
{
	const struct suite *s = rc->suite;
	size_t warm = 0;
	double eta = 0;

	for (size_t i = 0; i < rc->plan.nruns; i++) {
		warm += rc->plan.runs[i].repeat == 0;
		eta += run_estimate_s(rc, &rc->plan.runs[i]);
	}
	printf("suite %s (%s): %zu run(s), %zu of them warm-ups, %zu guest(s), about %.0f min\n", s->name, path,
	       rc->plan.nruns, warm, s->nguests, eta / 60);
	for (size_t e = 0; e < s->nexps; e++) {
		const struct experiment_def *ex = &s->exps[e];
		size_t combos = 1;

		for (size_t a = 0; a < ex->naxes; a++)
			combos *= ex->axes[a].nvalues;
		printf("  %s: %zu combination(s) x (%d warm-up + %d repeat(s))\n", ex->type, combos,
		       experiment_warmup(s, ex), experiment_repeats(s, ex));
	}
}

int run_suite(const struct run_options *opt, struct herror *err)
{
	struct runctx rc = { 0 };
	struct accel_facts facts;
	cleanup_free char *suite_path = NULL;
	cleanup_free char *suite_text = NULL;
	int r = 0, failed = 0, done = 0;
	size_t suite_len = 0;
	cJSON *stopped = NULL;	/* repeats: auto: why the rounds stopped */

	/* Everything that can be wrong with the input is checked before
	 * anything starts; a failure until then is bad input (exit 2). */
	if (opt->bad_input)
		*opt->bad_input = true;
	if (opt->resume_dir) {
		/* The results directory is untrusted: its suite.yaml is read
		 * only as a regular file in it, never through a link. */
		if (run_id_of_dir(opt->resume_dir, &rc.run_id, &rc.results_dir, err) < 0)
			return -err->status;
		suite_path = xasprintf("%s/suite.yaml", rc.results_dir);
		if (read_file_beneath(rc.results_dir, "suite.yaml", SUITE_MAX_BYTES, &suite_text, &suite_len, err) < 0) {
			r = -err->status;
			goto out;
		}
	} else {
		suite_path = suite_resolve(opt->suite, opt->suites_dir);
		suite_text = suite_read(suite_path, &suite_len, err);
		if (suite_text == NULL)
			return -err->status;
	}
	if (suite_parse(suite_path, suite_text, suite_len, &rc.suite, err) < 0) {
		r = -err->status;
		goto out;
	}
	if (opt->order)
		rc.suite->order = strcmp(opt->order, "sequential") == 0 ? ORDER_SEQUENTIAL : ORDER_SHUFFLED;
	choose_seed(rc.suite, opt->resume_dir ? rc.results_dir : NULL);
	plan_build(rc.suite, &rc.plan);
	if (!opt->resume_dir) {
		rc.run_id = make_run_id(rc.suite->name);
		rc.results_dir = xasprintf("%s/%s", opt->results_root, rc.run_id);
	}
	/* The run id names this run's state directory, the only one its
	 * clean-up removes: never empty, never a path. */
	if (!run_id_valid(rc.run_id)) {
		r = error_setx(err, EINVAL, "'%s' is not a valid run id", rc.run_id);
		goto out;
	}
	if (opt->bad_input)
		*opt->bad_input = false;
	if (opt->dry_run) {
		run_print_plan(&rc, suite_path);
		goto out;
	}
	/* A run that still runs is not resumed (nor its state touched). */
	if (opt->resume_dir && provision_check_owner(rc.run_id, err) < 0) {
		r = -err->status;
		goto out;
	}
	accel_probe(&facts);
	if (accel_decide(&facts, &rc.pv.accel) < 0) {
		r = error_setx(err, EINVAL, "%s", rc.pv.accel.reason);
		goto out;
	}
	if (rc.pv.accel.accel == ACCEL_TCG)
		hwarn("using TCG (software emulation): %s", rc.pv.accel.reason);
	rc.pv.no_restore = opt->no_restore;
	if (provision_init(&rc.pv, rc.suite, opt->payload_root, err) < 0) {
		r = -err->status;
		goto out;
	}
	rc.pv.conn = virt_connect(err);
	if (rc.pv.conn == NULL) {
		r = -err->status;
		goto out;
	}
	provision_cleanup_stale(rc.pv.conn);
	/* Every host of hosts: answers, with its accelerator and images, before anything starts. */
	if (rc.suite->hosts[0].uri || rc.suite->nhosts > 1) {
		rc.hosts = cJSON_CreateObject();
		if (hosts_check_suite(rc.suite, opt->payload_root, rc.hosts, err) < 0) {
			r = -err->status;
			goto out;
		}
	}

	if (results_create(rc.results_dir, err) < 0) {
		r = -err->status;
		goto out;
	}
	if (!opt->resume_dir) {
		cleanup_free char *copy = xasprintf("%s/suite.yaml", rc.results_dir);
		if (write_file_atomic(copy, suite_text, suite_len, 0644, err) < 0) {
			r = -err->status;
			goto out;
		}
	}
	if (provision_claim(&rc.pv, rc.run_id, err) < 0) {
		r = -err->status;
		goto out;
	}
	hinfo("results: %s", rc.results_dir);
	/* Written now so that a killed run still describes its host; rewritten
	 * at the end with the CPU weight mechanism the guests showed. */
	write_env(&rc);

	double eta = 0;
	for (size_t i = 0; i < rc.plan.nruns; i++)
		eta += run_estimate_s(&rc, &rc.plan.runs[i]);
	if (rc.suite->parallel_hosts) {
		r = run_hosts_parallel(&rc, err);
		for (size_t i = 0; i < rc.plan.nruns; i++)
			if (rc.plan.runs[i].repeat > 0)
				record_done(rc.results_dir, rc.plan.runs[i].id) ? done++ : failed++;
	}
	for (size_t i = 0; i < rc.plan.nruns && !stop_requested && !rc.suite->parallel_hosts; i++) {
		const struct plan_run *pr = &rc.plan.runs[i];
		struct herror rerr = { 0 };

		/* repeats: auto: decide between rounds. */
		if (rc.suite->repeats_auto && i > 0 && pr->repeat > rc.plan.runs[i - 1].repeat &&
		    rounds_enough(&rc, rc.plan.runs[i - 1].repeat, &stopped))
			break;

		eta -= run_estimate_s(&rc, pr);
		if (pr->repeat > 0 && record_done(rc.results_dir, pr->id)) {
			progress_note("[%zu/%zu] %s: done earlier, kept", i + 1, rc.plan.nruns, pr->id);
			done++;
			continue;
		}
		progress_set_run((int)i + 1, (int)rc.plan.nruns, pr->id, eta);
		if (run_one_rerun(&rc, pr, &rerr) < 0) {
			if (pr->repeat > 0)
				failed++;
		} else if (pr->repeat > 0) {
			done++;
		}
		/* A record that cannot be written (results file system full or
		 * gone): running on would measure for nothing. */
		if (rerr.status) {
			progress_done();
			r = error_setx(err, rerr.status, "%s; stopped after run %s: make room, then "
				       "'harness run --resume %s' runs what is missing", rerr.msg, pr->id, rc.results_dir);
			break;
		}
	}
	if (rc.suite->repeats_auto && !stop_requested && stopped == NULL && rc.plan.nruns > 0)
		rounds_enough(&rc, rc.plan.runs[rc.plan.nruns - 1].repeat, &stopped);
	progress_done();
	if (stop_requested)
		hwarn("interrupted: removing this run's guests; finished results stay in %s", rc.results_dir);
	write_env(&rc);
	{
		struct herror serr = { 0 };
		cJSON *extra = cJSON_CreateObject(), *rep;

		cJSON_AddItemToObject(extra, "plan", plan_json(&rc));
		rep = cJSON_AddObjectToObject(extra, "repeats");
		if (rc.suite->repeats_auto) {
			cJSON_AddStringToObject(rep, "mode", "auto");
			cJSON_AddNumberToObject(rep, "min", rc.suite->repeats_min);
			cJSON_AddNumberToObject(rep, "max", rc.suite->repeats);
			cJSON_AddNumberToObject(rep, "target_ci", rc.suite->target_ci);
		} else {
			cJSON_AddStringToObject(rep, "mode", "fixed");
			cJSON_AddNumberToObject(rep, "count", rc.suite->repeats);
		}
		if (stop_requested)
			cJSON_AddStringToObject(rep, "stopped", "interrupted");
		else if (stopped)
			cJSON_AddItemToObject(rep, "stopped", cJSON_Duplicate(stopped, 1));
		else
			cJSON_AddStringToObject(rep, "stopped", "all repeats the suite asked for were run");
		if (stats_summarize_run(rc.results_dir, extra, &serr) < 0)
			hwarn("%s", serr.msg);
		cJSON_Delete(extra);
	}
	hinfo("%d run(s) recorded, %d failed; results in %s", done, failed, rc.results_dir);
	if (r < 0)
		; /* a record could not be written: said above */
	else if (stop_requested)
		r = error_setx(err, EINTR, "interrupted");
	else if (failed)
		r = error_setx(err, EIO, "%d run(s) failed; see %s/failures", failed, rc.results_dir);
out:
	provision_reconnect(&rc.pv);
	provision_release(&rc.pv);
	if (rc.pv.conn)
		virConnectClose(rc.pv.conn);
	cJSON_Delete(stopped);
	cJSON_Delete(rc.hosts);
	plan_free(&rc.plan);
	suite_free(rc.suite);
	free(rc.run_id);
	free(rc.results_dir);
	return r;
}
