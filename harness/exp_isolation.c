/* isolation: two containers of harness-runtime side by side in the first
 * guest, one on the busybox root the images ship and one on a Debian root,
 * each running a probe (a static busybox shell, with its own root's
 * commands) that reports its PID, hostname, mounts, kernel and visible
 * processes; while they run the guest lists the processes of other PID
 * namespaces, so the record shows each has its own PID 1, hostname and
 * mounts, both the guest's kernel, and the guest both process trees. Then
 * container start-to-exit of /bin/true, harness-runtime against crun on the
 * same guest and the same bundle. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "doc.h"
#include "exp_containers.h"
#include "experiment.h"
#include "guestrun.h"
#include "progress.h"
#include "provision.h"

extern const struct experiment exp_isolation_info;

#define DEBIAN_TARBALL "/opt/harness/rootfs/debian-stable.tar.gz"
/* The runner bind-mounts a program from outside its own directory into the
 * container (/opt/harness/extra), so the probe's shell must run on any root:
 * the static busybox of the images' busybox root, unpacked here. Its
 * commands (hostname, uname, awk...) are each root's own. */
#define SHELL_DIR "/tmp/harness-isolation"

/* Prints one JSON line about the container it runs in, then stays up. */
static const char probe[] =
	"h=$(hostname); k=$(uname -r); m=$(wc -l </proc/self/mountinfo); n=$(ls -d /proc/[0-9]* | wc -l); "
	"os=$(. /etc/os-release 2>/dev/null && echo \"$PRETTY_NAME\"); "
	"fs=$(awk '$5==\"/\" {print $9; exit}' /proc/self/mountinfo); "
	"rw=$(awk '$5==\"/\" {split($6, o, \",\"); print o[1]; exit}' /proc/self/mountinfo); "
	"printf '{\"tool\":\"isolation-probe\",\"pid\":%d,\"hostname\":\"%s\",\"kernel\":\"%s\",\"mounts\":%d,"
	"\"processes\":%d,\"os\":\"%s\",\"root_fstype\":\"%s\",\"root\":\"%s\"}\\n' $$ \"$h\" \"$k\" \"$m\" \"$n\" "
	"\"${os:-none}\" \"$fs\" \"$rw\"; "
	"exec sleep ";

/* The guest's side, while the containers run: its own kernel, hostname and
 * mounts, then "PID PIDNS" of every process outside its PID namespace: one
 * listing by one process (a readlink per process took seconds under TCG). */
static const char guest_view[] =
	"echo \"guest $(uname -r) $(hostname) $(wc -l </proc/self/mountinfo) $(readlink /proc/1/ns/pid)\"; "
	"self=$(readlink /proc/1/ns/pid); ls -l /proc/[0-9]*/ns/pid 2>/dev/null | "
	"awk -v s=\"$self\" '{ split($(NF-2), p, \"/\"); if ($NF != s) print p[3], $NF }'; true";

/* Start-to-exit of /bin/true, alternately harness-runtime (its own
 * supervisor) and crun, on one bundle of the busybox root; one line
 * "ours|crun MS" per start. Without crun (against: none), harness-runtime
 * alone on the same root as a directory. */
static char *latency_script(long starts, bool crun)
{
	return xasprintf(
		"set -u; T=$(mktemp -d /tmp/iso-lat.XXXXXX); trap 'rm -rf $T' EXIT; "
		"%s"
		"mkdir -p $T/b/rootfs && tar -xzf /opt/harness/rootfs/busybox.tar.gz -C $T/b/rootfs && cd $T/b %s"
		"|| exit 3; R=/opt/harness/bin/harness-runtime; export HARNESS_RUNTIME_SOCKET=$T/s/sock; "
		"$R supervisor --state-dir $T/s --cgroup-root /sys/fs/cgroup/iso-lat </dev/null >$T/sv.log 2>&1 & sv=$!; "
		"for i in $(seq 100); do [ -S $T/s/sock ] && break; sleep 0.1; done; "
		"ms() { echo $(( ($(date +%%s%%N) - $1) / 1000 ))e-3; }; "
		"for i in $(seq %ld); do t=$(date +%%s%%N); $R run o$i %s >/dev/null 2>$T/err && echo \"ours $(ms $t)\" "
		"|| echo \"error harness-runtime: $(head -c 200 $T/err)\"; "
		"%s"
		"done; $R shutdown >/dev/null 2>&1; wait $sv; rmdir /sys/fs/cgroup/iso-lat 2>/dev/null; true",
		crun ? "command -v crun >/dev/null || { echo 'missing crun'; exit 0; }; " : "",
		crun ? "&& crun spec && sed -i -e 's/\"terminal\": true/\"terminal\": false/' "
		       "-e 's|^\\([[:space:]]*\\)\"sh\"$|\\1\"/bin/true\"|' config.json " : "",
		starts, crun ? "--bundle $T/b --rm" : "$T/b/rootfs --rm -- /bin/true",
		crun ? "t=$(date +%s%N); crun --root $T/crun run c$i >/dev/null 2>$T/err </dev/null && echo \"crun $(ms $t)\" "
		       "|| echo \"error crun: $(head -c 200 $T/err)\"; " : "");
}

static void remove_shell_dir(struct guest *g)
{
	cleanup_free char *ignored = NULL;
	struct herror e2 = { 0 };

	ctr_sh(g, "rm -rf " SHELL_DIR "/bin; umount " SHELL_DIR "/debian-root 2>/dev/null; rmdir " SHELL_DIR
		  "/debian-root " SHELL_DIR " 2>/dev/null; true", 30, &ignored, &e2);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void add_probe_workload(cJSON *spec, const char *name, const char *rootfs, double hold_s)
{
	char script[2048];
	cJSON *c = ctr_workload(spec, name, SHELL_DIR "/bin/busybox", NULL, NULL, true);
	cJSON *wls = cJSON_GetObjectItemCaseSensitive(spec, "workloads");
	cJSON *wl = cJSON_GetArrayItem(wls, cJSON_GetArraySize(wls) - 1);
	cJSON *args = cJSON_GetObjectItemCaseSensitive(wl, "args");

	snprintf(script, sizeof(script), "%s%g", probe, hold_s);
	cJSON_AddItemToArray(args, cJSON_CreateString("sh"));
	cJSON_AddItemToArray(args, cJSON_CreateString("-c"));
	cJSON_AddItemToArray(args, cJSON_CreateString(script));
	cJSON_ReplaceItemInObject(c, "rootfs", cJSON_CreateString(rootfs));
	cJSON_AddNumberToObject(wl, "stall_timeout_s", 0);
}

/* pid namespace of a guest pid in the guest's listing ("PID NS" lines), or NULL. */
static const char *ns_of(const char *listing, int pid, char *buf, size_t len)
{
	char key[32];
	const char *p = listing;

	snprintf(key, sizeof(key), "%d ", pid);
	while (p && *p) {
		if (strncmp(p, key, strlen(key)) == 0) {
			const char *s = p + strlen(key), *e = strchr(s, '\n');
			snprintf(buf, len, "%.*s", (int)(e ? e - s : (long)strlen(s)), s);
			return buf;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return NULL;
}

static int isolation_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	struct guest *g = ctr_guest(x);
	const char *second = exp_setting_value(x, "second_root");
	const char *starts_s = exp_setting_value(x, "starts");
	double duration = ctr_duration(x, 6), hold;
	long starts = 10;
	cleanup_free char *avail = NULL, *view = NULL, *lat = NULL;
	cleanup_free char *spec_text = NULL;
	const char *droot;
	cJSON *spec, *doc = NULL, *missing, *list, *checks;
	struct agent_exec_result res = { 0 };
	const char *argv[] = { "-", NULL };
	char gkernel[128] = "", ghost[128] = "", gns[64] = "";
	int gmounts = 0, pid, r;

	if (g == NULL)
		return error_setx(err, EINVAL, "isolation needs a guest");
	if (parse_long(starts_s, 1, 1000, &starts) < 0)
		return error_setx(err, EINVAL, "bad starts '%s'", starts_s);
	ctr_record_guest(record, g);
	missing = cJSON_AddArrayToObject(record, "missing");
	/* Never rm -r SHELL_DIR: it may hold a bind mount of the guest's /. */
	r = ctr_sh(g, "test -f " DEBIAN_TARBALL " && echo debian; umount " SHELL_DIR "/debian-root 2>/dev/null; "
		      "rm -rf " SHELL_DIR "/bin && mkdir -p " SHELL_DIR " && tar -xzf /opt/harness/rootfs/busybox.tar.gz -C "
		      SHELL_DIR " ./bin/busybox", 30, &avail, err);
	if (r < 0)
		return r;
	if (r != 0)
		return error_setx(err, EIO, "cannot unpack busybox from the busybox root in '%s' (exit %d)", g->dom_name, r);
	if (strcmp(second, "auto") == 0) {
		if (strncmp(avail, "debian\n", 7) == 0) {
			droot = DEBIAN_TARBALL;
		} else {
			/* The runtime cannot pivot_root into the mount that is already
			 * the root (EBUSY): a bind mount of it elsewhere. */
			cleanup_free char *o = NULL;
			droot = SHELL_DIR "/debian-root";
			r = ctr_sh(g, "mkdir -p " SHELL_DIR "/debian-root && mount --bind / " SHELL_DIR "/debian-root", 30, &o,
				   err);
			if (r < 0)
				return r;
			if (r != 0) {
				remove_shell_dir(g);
				return error_setx(err, EIO, "cannot bind-mount the guest's / in '%s': %.200s", g->dom_name, o);
			}
			cJSON_AddItemToArray(missing, cJSON_CreateString(
				"no Debian root filesystem in the guest (" DEBIAN_TARBALL ", make -C images/rootfs debian): "
				"a bind mount of the guest's own / (Debian), read-only inside the container, is the second "
				"container's root"));
		}
	} else {
		droot = second;
	}
	cJSON_AddStringToObject(record, "second_root", droot);

	/* The two containers, held long enough for the guest to look at them. */
	/* Under TCG a container takes seconds to start: held 5 s past the
	 * duration (inside the runner's grace), so that both are up at once
	 * while the guest looks; the look ends as soon as it has seen both. */
	hold = duration + 5;
	spec = ctr_spec(exp_isolation_info.name, duration);
	add_probe_workload(spec, "busybox", "busybox", hold);
	add_probe_workload(spec, "debian", droot, hold);
	if (strcmp(droot, SHELL_DIR "/debian-root") == 0) {
		/* The guest's own files: the container cannot change them. */
		cJSON *wls = cJSON_GetObjectItemCaseSensitive(spec, "workloads");
		cJSON *c = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(wls, 1), "container");
		cJSON_AddTrueToObject(c, "read_only");
	}
	spec_text = cJSON_PrintUnformatted(spec);
	cJSON_Delete(spec);
	progress_phase("two containers side by side", 0, duration);
	pid = agent_exec_start(g->dom, CTR_RUNNER, argv, spec_text, err);
	if (pid < 0) {
		remove_shell_dir(g);
		return pid;
	}
	/* Both inits are up once the guest sees two foreign PID namespaces;
	 * under TCG the runner takes seconds to start them, so look until it has
	 * ended, not for a fixed time. */
	int seen = 0;
	bool have_res = false;
	for (double t0 = mono_s(); mono_s() - t0 < duration + 60;) {
		struct agent_exec_result st = { 0 };
		struct herror e2 = { 0 };
		cleanup_free char *v = NULL;
		int lines = 0;

		if (ctr_sh(g, guest_view, 30, &v, &e2) < 0)
			break;
		for (const char *p = v; *p; p++)
			lines += *p == '\n';
		if (view == NULL || lines > seen) {
			free(view);
			view = v;
			v = NULL;
			seen = lines;
		}
		if (seen >= 3)
			break;
		if (agent_exec_status(g->dom, pid, &st, &e2) < 0) {
			agent_exec_result_free(&st);
			break;
		}
		if (st.exited) {
			/* The agent forgets a process once it has reported its end. */
			res = st;
			have_res = true;
			break;
		}
		agent_exec_result_free(&st);
		sleep_unless_stopped(0.3);
	}
	r = have_res ? 0 : agent_exec_wait(g->dom, pid, duration + 120, &res, err);
	remove_shell_dir(g);
	if (r < 0)
		return r;
	doc = res.out ? cJSON_Parse(res.out) : NULL;
	agent_exec_result_free(&res);
	if (doc == NULL)
		return error_setx(err, EIO, "the runner in '%s' printed no JSON", g->dom_name);
	ctr_record_errors(record, doc);
	if (view)
		sscanf(view, "guest %127s %127s %d %63s", gkernel, ghost, &gmounts, gns);
	cJSON *gv = cJSON_AddObjectToObject(record, "guest_view");
	cJSON_AddStringToObject(gv, "kernel", gkernel);
	cJSON_AddStringToObject(gv, "hostname", ghost);
	cJSON_AddNumberToObject(gv, "mounts", gmounts);
	cJSON_AddStringToObject(gv, "pid_ns", gns);
	cJSON_AddNumberToObject(gv, "foreign_processes", seen > 0 ? seen - 1 : 0);

	list = cJSON_AddArrayToObject(record, "containers");
	bool own_pid1 = true, same_kernel = true, own_host = true, own_mounts = true, sees_both = true;
	char ns0[64] = "", nsbuf[64];
	const char *names[] = { "busybox", "debian" };
	for (int i = 0; i < 2; i++) {
		cJSON *wl = ctr_doc_workload(doc, names[i]);
		cJSON *o = wl ? ctr_trim_workload(wl) : cJSON_CreateObject();
		static const char *const p_pid[] = { "output", "pid", NULL };
		static const char *const p_mounts[] = { "output", "mounts", NULL };
		static const char *const p_init[] = { "container", "init_pid", NULL };
		cJSON *out = cJSON_GetObjectItemCaseSensitive(wl, "output");
		const char *k = doc_jstr(out, "kernel", ""), *h = doc_jstr(out, "hostname", "");
		const char *ns = view ? ns_of(view, (int)ctr_jnum(wl, p_init), nsbuf, sizeof(nsbuf)) : NULL;

		if (!wl)
			cJSON_AddStringToObject(o, "name", names[i]);
		cJSON_AddStringToObject(o, "rootfs", i == 0 ? "busybox" : droot);
		cJSON_AddItemToObject(o, "probe", out && cJSON_IsObject(out) ? cJSON_Duplicate(out, 1) : cJSON_CreateNull());
		cJSON_AddItemToObject(o, "pid_ns", ns ? cJSON_CreateString(ns) : cJSON_CreateNull());
		cJSON_AddItemToArray(list, o);
		own_pid1 = own_pid1 && ctr_jnum(wl, p_pid) == 1;
		same_kernel = same_kernel && gkernel[0] && strcmp(k, gkernel) == 0;
		own_host = own_host && h[0] && strcmp(h, ghost) != 0 && strcmp(h, names[i]) == 0;
		own_mounts = own_mounts && isfinite(ctr_jnum(wl, p_mounts)) && ctr_jnum(wl, p_mounts) != gmounts;
		sees_both = sees_both && ns && strcmp(ns, gns) != 0 && strcmp(ns, ns0) != 0;
		if (ns)
			snprintf(ns0, sizeof(ns0), "%s", ns);
	}
	checks = cJSON_AddObjectToObject(record, "checks");
	cJSON_AddBoolToObject(checks, "own_pid1", own_pid1);
	cJSON_AddBoolToObject(checks, "own_hostname", own_host);
	cJSON_AddBoolToObject(checks, "own_mounts", own_mounts);
	cJSON_AddBoolToObject(checks, "same_kernel", same_kernel);
	cJSON_AddBoolToObject(checks, "guest_sees_both", sees_both);
	cJSON_AddNumberToObject(record, "isolated_num", own_pid1 && own_host && own_mounts && sees_both ? 1 : 0);
	cJSON_AddNumberToObject(record, "same_kernel_num", same_kernel ? 1 : 0);

	/* Start latency against crun. */
	{
		cleanup_free char *script = latency_script(starts, strcmp(exp_setting_value(x, "against"), "crun") == 0);
		double ours[1000], theirs[1000];
		size_t no = 0, nt = 0;
		cJSON *lo, *ao, *at, *errs;

		progress_phase("start-to-exit against crun", 0, 0);
		r = ctr_sh(g, script, 60 + 10.0 * (double)starts, &lat, err);
		if (r < 0)
			goto out;
		lo = cJSON_AddObjectToObject(record, "start_latency");
		ao = cJSON_AddArrayToObject(lo, "harness_runtime_ms");
		at = cJSON_AddArrayToObject(lo, "crun_ms");
		errs = cJSON_AddArrayToObject(lo, "errors");
		for (char *line = lat, *nl; line && *line; line = nl ? nl + 1 : NULL) {
			double v;
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (sscanf(line, "ours %lf", &v) == 1 && no < 1000) {
				ours[no++] = v;
				cJSON_AddItemToArray(ao, cJSON_CreateNumber(v));
			} else if (sscanf(line, "crun %lf", &v) == 1 && nt < 1000) {
				theirs[nt++] = v;
				cJSON_AddItemToArray(at, cJSON_CreateNumber(v));
			} else if (strncmp(line, "missing crun", 12) == 0) {
				cJSON_AddItemToArray(missing, cJSON_CreateString("crun is not installed in the guest"));
			} else if (*line) {
				cJSON_AddItemToArray(errs, cJSON_CreateString(line));
			}
		}
		double mo = median(ours, no), mt = median(theirs, nt);
		cJSON_AddItemToObject(record, "start_ms_harness_runtime", ctr_num(mo));
		cJSON_AddItemToObject(record, "start_ms_crun", ctr_num(mt));
		cJSON_AddItemToObject(record, "start_ratio", ctr_num(mt > 0 ? mo / mt : NAN));
	}
	r = 0;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "ok"))) {
		cleanup_free char *e = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(doc, "errors"));
		r = error_setx(err, EIO, "the runner in '%s' reported errors: %.400s", g->dom_name, e ? e : "?");
	}
out:
	cJSON_Delete(doc);
	return r;
}

static int check_root(const char *v, const struct suite *s, char *why, size_t whylen)
{
	if (strcmp(v, "auto") != 0 && v[0] != '/') {
		snprintf(why, whylen, "'%s' must be auto or an absolute path in the guest (a directory or a tarball)", v);
		return -EINVAL;
	}
	return 0;
}

static int check_starts(const char *v, const struct suite *s, char *why, size_t whylen)
{
	long n;

	if (parse_long(v, 1, 1000, &n) < 0) {
		snprintf(why, whylen, "'%s' must be a count 1..1000", v);
		return -EINVAL;
	}
	return 0;
}

/* crun comes from the guest's image (images/recipes/: the general one has
 * it, the security one not): a start-latency comparison against crun in a
 * guest without it is refused before anything starts. */
static int isolation_check_values(const struct exp_values *v, char *why, size_t whylen)
{
	const struct guest_def *g = ctr_values_guest(v);
	const char *against = exp_values_get(v, "against");
	char list[512];

	if (g == NULL || g->image == NULL || against == NULL || strcmp(against, "crun") != 0)
		return 0;
	/* An image not built yet: the run refuses it and says how to build it. */
	if (ctr_image_has_package(g->image, "crun", list, sizeof(list)) != 0)
		return 0;
	snprintf(why, whylen, "against: crun cannot run in guest '%s': its image '%s' has no crun (%s); set "
		 "against: none for it, or add crun to images/recipes/%s.conf", g->name, g->image, list, g->image);
	return -EINVAL;
}

static double isolation_estimate_s(const struct experiment_def *def)
{
	return (def->duration_s > 0 ? def->duration_s : 6) + 40;
}

static void isolation_report_group(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns)
{
	FILE *f = d->f;
	cJSON *last = NULL, *c, *m;

	for (size_t i = 0; i < nruns; i++)
		if (doc_run_in_group(runs[i], grp))
			last = runs[i];
	if (last == NULL)
		return;
	cJSON *gv = cJSON_GetObjectItemCaseSensitive(last, "guest_view");
	fputs(" The guest: kernel ", f);
	doc_text(f, doc_jstr(gv, "kernel", "?"));
	fputs(", hostname ", f);
	doc_text(f, doc_jstr(gv, "hostname", "?"));
	fprintf(f, ", %.0f mounts.\n", doc_jnum(gv, "mounts"));
	/* Record strings go through doc_text: a results directory is untrusted
	 * input and must not reach troff as requests. The root's path is
	 * listed below the table: it would make the table wider than a page. */
	fputs(".TS\nbox;\nc c c c c c\nl n l l n n.\n"
	      "container\tPID inside\thostname\tkernel\tmounts\tprocesses seen\n", f);
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(last, "containers")) {
		cJSON *p = cJSON_GetObjectItemCaseSensitive(c, "probe");
		doc_text(f, doc_jstr(c, "name", "?"));
		fprintf(f, "\t%.0f\t", doc_jnum(p, "pid"));
		doc_text(f, doc_jstr(p, "hostname", "?"));
		fputc('\t', f);
		doc_text(f, doc_jstr(p, "kernel", "?"));
		fprintf(f, "\t%.0f\t%.0f\n", doc_jnum(p, "mounts"), doc_jnum(p, "processes"));
	}
	fputs(".TE\n.PP\nRoots: ", f);
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(last, "containers")) {
		doc_text(f, doc_jstr(c, "name", "?"));
		fputs(" on ", f);
		doc_text(f, doc_jstr(c, "rootfs", "?"));
		fputs(c->next ? "; " : ".\n", f);
	}
	cJSON *ck = cJSON_GetObjectItemCaseSensitive(last, "checks");
	fputs(".PP\n", f);
	cJSON_ArrayForEach(m, ck) {
		doc_text(f, m->string ? m->string : "?");
		fprintf(f, ": %s. ", cJSON_IsTrue(m) ? "yes" : "NO");
	}
	int nstarts = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(last, "start_latency"), "harness_runtime_ms"));
	double crun_ms = doc_jstat(grp, "start_ms_crun", "mean");
	if (isfinite(crun_ms))
		fprintf(f, "\n.PP\nStart-to-exit of /bin/true on one bundle (median of %d runs): harness-runtime %.1f ms, "
			   "crun %.1f ms, ratio %.2f.\n",
			nstarts, doc_jstat(grp, "start_ms_harness_runtime", "mean"), crun_ms,
			doc_jstat(grp, "start_ratio", "mean"));
	else
		fprintf(f, "\n.PP\nStart-to-exit of /bin/true with harness-runtime (median of %d runs): %.1f ms; no "
			   "comparison with crun in this guest.\n",
			nstarts, doc_jstat(grp, "start_ms_harness_runtime", "mean"));
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(last, "missing")) {
		fputs(".PP\nMissing: ", f);
		doc_text(f, cJSON_IsString(m) ? m->valuestring : "?");
		fputc('\n', f);
	}
}

static const struct exp_setting isolation_settings[] = {
	GUESTRUN_GUEST_SETTING,
	{ .key = "second_root", .help = "the second container's root in the guest: auto (the Debian tarball when "
					"the guest has it, else the guest's own /), or a directory or tarball",
	  .syntax = "auto | /path", .def = "auto", .check = check_root },
	{ .key = "starts", .help = "start-to-exit runs of each runtime for the latency", .syntax = "1..1000",
	  .def = "10", .check = check_starts },
	{ .key = "against", .help = "the runtime harness-runtime's start-to-exit is compared with: crun (on the same "
				    "bundle; the guest's image must have it), or none",
	  .allowed = (const char *const[]){ "crun", "none", NULL }, .def = "crun" },
};

static const struct exp_metric isolation_metrics[] = {
	{ .name = "start_ms_harness_runtime", .scope = METRIC_PER_RUN, .path = { "start_ms_harness_runtime" },
	  .unit = "ms", .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE,
	  .help = "median start-to-exit of /bin/true with harness-runtime" },
	{ .name = "start_ms_crun", .scope = METRIC_PER_RUN, .path = { "start_ms_crun" }, .unit = "ms", .better = -1,
	  .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "the same with crun on the same bundle" },
	{ .name = "start_ratio", .scope = METRIC_PER_RUN, .path = { "start_ratio" }, .unit = "", .better = -1,
	  .use = METRIC_SUMMARY, .help = "harness-runtime over crun" },
	{ .name = "isolated", .scope = METRIC_PER_RUN, .path = { "isolated_num" }, .unit = "", .better = +1,
	  .use = METRIC_SUMMARY, .help = "1 when both containers had their own PID 1, hostname and mounts" },
	{ .name = "same_kernel", .scope = METRIC_PER_RUN, .path = { "same_kernel_num" }, .unit = "", .better = 0,
	  .use = METRIC_SUMMARY, .help = "1 when both containers reported the guest's kernel" },
};

const struct experiment exp_isolation_info = {
	.name = "isolation",
	.summary = "a busybox and a Debian container side by side: own PID 1, hostname, mounts; one kernel",
	.theory = "namespaces give each container its own PID 1, hostname and mount table, while the kernel is "
		  "shared: both report the guest's uname -r, and the guest sees both process trees",
	.guests = EXP_GUESTS_BORROWED,
	.settings = isolation_settings,
	.nsettings = sizeof(isolation_settings) / sizeof(isolation_settings[0]),
	.metrics = isolation_metrics,
	.nmetrics = sizeof(isolation_metrics) / sizeof(isolation_metrics[0]),
	.check_combination = isolation_check_values,
	.estimate_s = isolation_estimate_s,
	.run = isolation_run,
	.report_group = isolation_report_group,
};
