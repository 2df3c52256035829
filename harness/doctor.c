/* harness doctor: what this host can do, and how to fix what is missing. */
#include "doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "accel.h"
#include "compare.h"	/* COMPARE_DEFAULT_FLOOR */
#include "hostnoise.h"
#include "hostenv.h"
#include "image.h"
#include "virt.h"

static int problems;

static void line(const char *status, const char *what, const char *detail)
{
	printf("%-5s %-12s %s\n", status, what, detail);
	if (strcmp(status, "FAIL") == 0)
		problems++;
}

static bool have(const char *prog)
{
	cleanup_free char *cmd = xasprintf("command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/* What a local libvirt daemon needs before it can answer: the checks that
 * ci/libvirtd's failures come down to, each with its fix. Only for a local
 * URI; a remote daemon is the remote host's business. */
static void check_libvirt_daemon(void)
{
	static const char *const qemu_users[] = { "libvirt-qemu", "qemu" };
	const char *uri = virt_uri();
	const char *user = NULL;
	struct stat st;
	char buf[512];

	if (strncmp(uri, "qemu:///", 8) != 0)
		return;
	if (have("libvirtd") || have("virtqemud"))
		line("ok", "daemon", have("libvirtd") ? "libvirtd installed" : "virtqemud installed");
	else
		line("FAIL", "daemon", "no libvirtd or virtqemud: run 'make deps' (libvirt-daemon, libvirt-daemon-driver-qemu)");
	if (!have("virtlogd"))
		line("FAIL", "daemon", "no virtlogd: run 'make deps' (libvirt-daemon)");
	if (stat("/etc/libvirt/qemu.conf", &st) == 0)
		line("ok", "daemon", "/etc/libvirt/qemu.conf present");
	else
		line("FAIL", "daemon", "/etc/libvirt/qemu.conf missing: install libvirt-daemon-system ('make deps' does)");
	for (size_t i = 0; i < sizeof(qemu_users) / sizeof(qemu_users[0]) && !user; i++)
		if (getpwnam(qemu_users[i]))
			user = qemu_users[i];
	if (user) {
		snprintf(buf, sizeof(buf), "QEMU user '%s' exists", user);
		line("ok", "daemon", buf);
	} else {
		line("FAIL", "daemon", "no QEMU user 'libvirt-qemu': the QEMU driver will not start; "
		     "install libvirt-daemon-system ('make deps' does)");
	}
	if (stat("/run/libvirt/libvirt-sock", &st) == 0 && S_ISSOCK(st.st_mode))
		line("ok", "daemon", "socket /run/libvirt/libvirt-sock present");
	else
		line("FAIL", "daemon", "no socket /run/libvirt/libvirt-sock: no daemon is running; "
		     "start one with 'ci/libvirtd start' (or 'systemctl start libvirtd')");
}

int doctor(const char *payload_root)
{
	struct accel_facts f;
	struct accel_choice c;
	struct herror err = { 0 };
	struct hostenv h;
	char buf[512];
	virConnectPtr conn;

	problems = 0;
	accel_probe(&f);
	if (accel_decide(&f, &c) < 0) {
		line("FAIL", "accelerator", c.reason);
	} else {
		snprintf(buf, sizeof(buf), "%s: %s%s", accel_name(c.accel), c.reason,
			 c.accel == ACCEL_TCG ? " (results measure emulation; libguestfs is forced onto TCG)" : "");
		line(c.accel == ACCEL_KVM ? "ok" : "warn", "accelerator", buf);
	}
	/* The network experiment's vhost=on: without the device those runs fail alone. */
	if (access("/dev/vhost-net", F_OK) == 0)
		line("ok", "vhost-net", "/dev/vhost-net present: network runs with vhost on can run");
	else
		line("warn", "vhost-net", "no /dev/vhost-net (module vhost_net): network runs with vhost on fail, "
		     "the others run");
	conn = virt_connect(&err);
	hostenv_probe(&h, conn);
	if (h.kernel[0]) {
		snprintf(buf, sizeof(buf), "host kernel %s", h.kernel);
		line("ok", "host", buf);
	}
	check_libvirt_daemon();
	if (conn == NULL) {
		line("FAIL", "libvirt", err.msg);
	} else {
		snprintf(buf, sizeof(buf), "%s answers: libvirt %s, QEMU %s", virt_uri(), h.libvirt_version,
			 h.qemu_version);
		line("ok", "libvirt", buf);
		virConnectClose(conn);
	}
	if (h.libguestfs_version[0]) {
		snprintf(buf, sizeof(buf), "libguestfs %s (one appliance launch per image preparation)",
			 h.libguestfs_version);
		line("ok", "libguestfs", buf);
	} else {
		line("FAIL", "libguestfs", "libguestfs is not usable; run 'make deps'");
	}
	static const char *const names[] = { "general", "security" };
	for (size_t i = 0; i < 2; i++) {
		struct image img;
		error_clear(&err);
		if (image_find(names[i], &img, &err) < 0) {
			line("FAIL", "image", err.msg);
		} else {
			char *prep = image_prepared_path(&img, payload_root, &err);
			snprintf(buf, sizeof(buf), "%s: Debian %s, kernel %s, digest %s, %s", img.name, img.suite,
				 img.kernel_version, img.digest,
				 prep ? "prepared with this build's guest binaries" : "not prepared for this build ('make images')");
			line(prep ? "ok" : "FAIL", "image", buf);
			free(prep);
		}
		image_free(&img);
	}
	static const struct { const char *prog, *why; } tools[] = {
		{ "mmdebstrap", "builds the guest images" },
		{ "gnuplot", "draws the report's plots" },
		{ "groff", "lays out the PDF report" },
		{ "ps2pdf", "writes the PDF report" },
		{ "qemu-system-x86_64", "runs the guests" },
	};
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		snprintf(buf, sizeof(buf), "%s (%s)%s", tools[i].prog, tools[i].why,
			 have(tools[i].prog) ? "" : ": missing, run 'make deps'");
		line(have(tools[i].prog) ? "ok" : "FAIL", "tool", buf);
	}
	printf("%s\n", problems ? "some checks failed: see the lines marked FAIL" : "this host can run the harness");
	return problems ? 1 : 0;
}

/* --- host noise ----------------------------------------------------------- */

/* Start argv in a child (pinned to cpu when cpu >= 0) with stdout to a
 * pipe (*out, or inherited when out is NULL); the pid or -1. */
static pid_t spawn(char **argv, int cpu, int *out)
{
	int fds[2] = { -1, -1 };
	pid_t pid;

	if (out && pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		if (out)
			dup2(fds[1], STDOUT_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "harness: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (out) {
		close(fds[1]);
		*out = fds[0];
		if (pid < 0)
			close(fds[0]);
	}
	return pid;
}

int doctor_noise_around(char **argv)
{
	cleanup_free char *text = NULL;
	struct hostnoise_run_ids ids = { .root = hostnoise_harness_root() };
	struct hostnoise_sampler *s = hostnoise_start(&ids, HOSTNOISE_PERIOD_S);
	pid_t pid = spawn(argv, -1, NULL);
	int st = 0;
	cJSON *j;
	bool disturbed;

	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	j = hostnoise_stop(s);
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) == 127) {
		fprintf(stderr, "harness: noise: '%s' did not run to its end\n", argv[0]);
		cJSON_Delete(j);
		return 2;
	}
	disturbed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "disturbed"));
	text = cJSON_Print(j);
	puts(text);
	cJSON_Delete(j);
	return disturbed ? 1 : 0;
}

/* The per-interval rates of one cpu_hog document after its first interval
 * (the start-up); how many into rates. */
static size_t hog_rates(const char *doc, double *rates, size_t max)
{
	cJSON *j = cJSON_Parse(doc), *smp, *it;
	size_t n = 0, i = 0;

	smp = cJSON_GetObjectItemCaseSensitive(j, "samples");
	cJSON_ArrayForEach(it, smp) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "units_per_s");
		if (i++ > 0 && cJSON_IsNumber(v) && n < max)
			rates[n++] = v->valuedouble;
	}
	/* The last interval is cut short by the end of the run. */
	if (n > 1)
		n--;
	cJSON_Delete(j);
	return n;
}

static void mean_cv(const double *v, size_t n, double *mean, double *cv)
{
	double m = 0, ss = 0;

	for (size_t i = 0; i < n; i++)
		m += v[i];
	m = n ? m / (double)n : 0;
	for (size_t i = 0; i < n; i++)
		ss += (v[i] - m) * (v[i] - m);
	*mean = m;
	*cv = n > 1 && m > 0 ? sqrt(ss / (double)(n - 1)) / m : NAN;
}

/* Default suite settings: a run's duration and repeats a side (suite.c). */
#define DEFAULT_RUN_S 20.0
#define DEFAULT_REPEATS 3
#define NOISE_INTERVAL_MS 500

int doctor_noise(const char *cpu_hog, double seconds)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cleanup_free pid_t *pids = NULL;
	cleanup_free int *outs = NULL;
	cleanup_free double *all_means = NULL;
	struct hostnoise_run_ids ids = { .root = hostnoise_harness_root() };
	struct hostnoise_sampler *s;
	char dur[32], interval[32];
	double worst_cv = 0, steal, rates[4096];
	cJSON *j, *x, *it;
	int bad = 0;

	if (access(cpu_hog, X_OK) != 0) {
		fprintf(stderr, "harness: doctor --noise: no cpu_hog at '%s': run 'make build'\n", cpu_hog);
		return 1;
	}
	if (ncpu < 1)
		ncpu = 1;
	pids = xcalloc((size_t)ncpu, sizeof(pid_t));
	outs = xcalloc((size_t)ncpu, sizeof(int));
	all_means = xcalloc((size_t)ncpu, sizeof(double));
	snprintf(dur, sizeof(dur), "%g", seconds);
	snprintf(interval, sizeof(interval), "%d", NOISE_INTERVAL_MS);
	printf("host noise: cpu_hog on each of %ld host CPU(s) for %g s, %d ms intervals\n", ncpu, seconds,
	       NOISE_INTERVAL_MS);
	s = hostnoise_start(&ids, HOSTNOISE_PERIOD_S);
	for (long c = 0; c < ncpu; c++) {
		char *argv[] = { (char *)cpu_hog, "--threads", "1", "--duration", dur, "--interval-ms", interval, NULL };
		pids[c] = spawn(argv, (int)c, &outs[c]);
	}
	for (long c = 0; c < ncpu; c++) {
		cleanup_free char *doc = NULL;
		size_t len = 0, n;
		struct herror err = { 0 };
		double mean, cv;
		int st;

		if (pids[c] < 0) {
			bad++;
			continue;
		}
		if (read_fd(outs[c], "cpu_hog", 1 << 20, &doc, &len, &err) < 0)
			doc = NULL;
		close(outs[c]);
		while (waitpid(pids[c], &st, 0) < 0 && errno == EINTR)
			;
		n = doc ? hog_rates(doc, rates, sizeof(rates) / sizeof(rates[0])) : 0;
		if (n < 3) {
			printf("FAIL  cpu%-4ld cpu_hog gave %zu usable intervals (give more SECONDS)\n", c, n);
			bad++;
			continue;
		}
		mean_cv(rates, n, &mean, &cv);
		all_means[c] = mean;
		if (cv > worst_cv)
			worst_cv = cv;
		printf("ok    cpu%-4ld %.0f units/s, coefficient of variation per interval %.2f%% (%zu intervals)\n", c,
		       mean, 100 * cv, n);
	}
	j = hostnoise_stop(s);
	x = cJSON_GetObjectItemCaseSensitive(j, "host");
	steal = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "steal_s"));
	printf("%-5s steal        %.2f s over the check%s\n", steal > 0.01 * seconds ? "warn" : "ok", steal,
	       steal > 0.01 * seconds ? ": a hypervisor below this host takes CPU time (results vary with its load)" : "");
	{
		bool any = false;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "per_cpu")) {
			cJSON *lo = cJSON_GetObjectItemCaseSensitive(it, "freq_mhz_min");
			cJSON *hi = cJSON_GetObjectItemCaseSensitive(it, "freq_mhz_max");
			if (!cJSON_IsNumber(lo))
				continue;
			any = true;
			printf("%-5s frequency    cpu%d %.0f-%.0f MHz%s\n", hi->valuedouble > 1.05 * lo->valuedouble ? "warn" : "ok",
			       (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it, "cpu")), lo->valuedouble,
			       hi->valuedouble, hi->valuedouble > 1.05 * lo->valuedouble ?
			       ": the clock moved under load (scaling governor, turbo, thermal limits)" : "");
		}
		if (!any)
			printf("ok    frequency    not offered by this host (no cpufreq): not recorded\n");
	}
	{
		cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "reason");
		if (cJSON_IsString(r))
			printf("warn  others       %s\n", r->valuestring);
		else
			printf("ok    others       other processes took %.1f%% of a CPU during the check\n",
			       100 * cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
					     cJSON_GetObjectItemCaseSensitive(j, "others"), "cpu_share")));
	}
	if (bad == 0) {
		/* A run's mean over DEFAULT_RUN_S of intervals, if the intervals
		 * were independent (optimistic), compared n against n runs with a
		 * two-sided 5% test at 80% power. */
		double k = DEFAULT_RUN_S * 1000 / NOISE_INTERVAL_MS, run_cv = worst_cv / sqrt(k);
		double mde = (1.96 + 0.84) * sqrt(2.0 / DEFAULT_REPEATS) * run_cv, spread, m;

		mean_cv(all_means, (size_t)ncpu, &m, &spread);
		printf("%-5s variability  worst per-interval CV %.2f%%; the CPUs differ by %.2f%% (CV of their means)%s\n",
		       worst_cv > 0.05 ? "warn" : "ok", 100 * worst_cv, ncpu > 1 ? 100 * spread : 0,
		       worst_cv > 0.05 ? ": work per interval varies by more than 5% (see others, steal, frequency)" : "");
		printf("ok    detectable   a default run (%.0f s, %d repeats a side) could detect a relative change of "
		       "about %.1f%% here (compare's floor is %.0f%%)\n", DEFAULT_RUN_S, DEFAULT_REPEATS,
		       100 * mde, 100 * COMPARE_DEFAULT_FLOOR);
	}
	cJSON_Delete(j);
	return bad ? 1 : 0;
}
