/* harness: the host-side controller. One function per verb. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "accel.h"
#include "compare.h"
#include "doctor.h"
#include "hosts.h"
#include "expdoc.h"
#include "export.h"
#include "history.h"
#include "image.h"
#include "report.h"
#include "run.h"
#include "suite.h"
#include "util.h"
#include "vm.h"

static char top_dir[PATH_MAX];

static const char usage[] =
	"usage: harness [--quiet] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  doctor [--host URI]         what this host (or the libvirt host at URI) can do: accelerator, libvirt, images\n"
	"  doctor --require-kvm        the same, and exit 3 unless guests here would run under KVM\n"
	"  doctor --noise [SECONDS]    the host's own noise: cpu_hog on each CPU (default 10 s); run it on a new host\n"
	"  noise -- COMMAND [ARGS]     the host_noise a run would record while COMMAND runs (JSON; exit 1: disturbed)\n"
	"  image prepare NAME...       inject this build's guest binaries into images (libguestfs)\n"
	"  vm up|down|status           the standing guests vm1 (general) and vm2 (security)\n"
	"  vm exec DOMAIN -- CMD...    run a command in a guest through the guest agent\n"
	"  run suite NAME|FILE         run a suite; results go to results/<run-id>/ (--order, --dry-run)\n"
	"  run --resume RESULTS_DIR    finish an interrupted run, keeping what is done\n"
	"  report RESULTS_DIR -o FILE  write the PDF report of a run\n"
	"  compare BASE NEW            statistics and a regression verdict; exit 1 on a regression\n"
	"  export RESULTS_DIR --csv    one tidy CSV (run x guest x metric) on stdout or -o FILE\n"
	"  experiments [NAME]          the experiments, their settings, defaults, metrics and units\n"
	"  history add|detect|mark|show|export|rerun-suite   nights in a SQLite history, change points (history --help)\n"
	"\n"
	"environment:\n"
	"  HARNESS_ACCEL=kvm|tcg       force the accelerator (default: KVM only where it really works)\n"
	"  HARNESS_LIBVIRT_URI         libvirt connection (default qemu:///system)\n"
	"  HARNESS_STATE_DIR           images, overlays, console logs (default /var/lib/harness)\n"
	"  HARNESS_TOP                 the source tree (default: found from the binary)\n";

static void find_top(const char *argv0)
{
	const char *env = getenv("HARNESS_TOP");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(top_dir, sizeof(top_dir), "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		/* build/bin/harness -> the tree two levels up */
		snprintf(top_dir, sizeof(top_dir), "%s", dirname(dirname(dirname(exe))));
	} else {
		snprintf(top_dir, sizeof(top_dir), "%s", argv0);
	}
}

static char *payload_root(void)
{
	return xasprintf("%s/build/guest-root", top_dir);
}

static int fail(const struct herror *err)
{
	fprintf(stderr, "harness: %s\n", err->msg[0] ? err->msg : "failed");
	return 1;
}

static int cmd_image(int argc, char **argv)
{
	struct accel_facts f;
	struct accel_choice c;
	cleanup_free char *payload = payload_root();

	if (argc < 3 || strcmp(argv[1], "prepare") != 0) {
		fputs("usage: harness image prepare NAME...\n", stderr);
		return 2;
	}
	accel_probe(&f);
	if (accel_decide(&f, &c) < 0) {
		fprintf(stderr, "harness: %s\n", c.reason);
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if (!image_name_valid(argv[i])) {
			fprintf(stderr, "harness: '%s' is not an image name (A-Z, a-z, 0-9, '.', '_', '-'; no path)\n",
				argv[i]);
			return 2;
		}
	for (int i = 2; i < argc; i++) {
		struct image img;
		struct herror err = { 0 };
		char *prepared = NULL;
		bool created;
		double t0 = mono_s();

		if (image_find(argv[i], &img, &err) < 0 ||
		    image_prepare(&img, payload, c.accel, &prepared, &created, &err) < 0) {
			image_free(&img);
			return fail(&err);
		}
		if (created)
			hinfo("image %s: prepared %s in %.1f s", argv[i], prepared, mono_s() - t0);
		else
			hinfo("image %s: %s is up to date", argv[i], prepared);
		free(prepared);
		image_free(&img);
	}
	return 0;
}

static int cmd_vm(int argc, char **argv)
{
	struct herror err = { 0 };
	cleanup_free char *payload = payload_root();
	int r;

	if (argc >= 2 && strcmp(argv[1], "exec") == 0) {
		int first = 3;
		if (argc > 3 && strcmp(argv[3], "--") == 0)
			first = 4;
		if (argc <= first || argv[first][0] != '/') {
			fputs("usage: harness vm exec DOMAIN [--] /ABSOLUTE/PROGRAM [ARGS...]\n", stderr);
			return 2;
		}
		install_stop_handlers();
		r = vm_exec(argv[2], argv + first, 600, &err);
		return r < 0 ? fail(&err) : r;
	}
	if (argc != 2) {
		fputs("usage: harness vm up|down|status|exec\n", stderr);
		return 2;
	}
	if (strcmp(argv[1], "up") == 0) {
		install_stop_handlers();
		r = vm_up(payload, 600, &err);
		if (r == 0)
			r = vm_status(&err);
	} else if (strcmp(argv[1], "down") == 0) {
		r = vm_down(&err);
	} else if (strcmp(argv[1], "status") == 0) {
		r = vm_status(&err);
	} else {
		fprintf(stderr, "harness: unknown vm command '%s' (up, down, status)\n", argv[1]);
		return 2;
	}
	return r < 0 ? fail(&err) : 0;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "resume", required_argument, NULL, 'r' },
		{ "results", required_argument, NULL, 'o' },
		{ "order", required_argument, NULL, 'O' },
		{ "no-restore", no_argument, NULL, 'R' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_options o = { 0 };
	struct herror err = { 0 };
	bool bad_input = false;
	cleanup_free char *suites = xasprintf("%s/harness/suites", top_dir);
	cleanup_free char *results = xasprintf("%s/results", top_dir);
	cleanup_free char *payload = payload_root();
	int c;

	o.suites_dir = suites;
	o.results_root = results;
	o.payload_root = payload;
	while ((c = getopt_long(argc, argv, "+r:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o.resume_dir = optarg; break;
		case 'o': o.results_root = optarg; break;
		case 'R': o.no_restore = true; break;
		case 'n': o.dry_run = true; break;
		case 'O':
			if (strcmp(optarg, "sequential") != 0 && strcmp(optarg, "shuffled") != 0) {
				fprintf(stderr, "harness: --order must be sequential or shuffled, not '%s'\n", optarg);
				return 2;
			}
			o.order = optarg;
			break;
		case 'h':
			puts("usage: harness run [--results DIR] [--order shuffled|sequential] [--no-restore] [--dry-run]\n"
			     "                   suite NAME|FILE\n"
			     "       harness run --resume RESULTS_DIR [--no-restore]\n"
			     "--no-restore: experiments that need fresh guests boot them cold instead of restoring\n"
			     "a saved, booted state (kept in the state directory, rebuilt when it is stale)\n"
			     "--dry-run: check the suite and print its plan (runs, estimate); start nothing\n"
			     "--resume refuses a run that is still running (its pid is named)\n"
			     "exit status: 0 every run recorded, 1 a run failed, 2 bad usage or a bad suite");
			printf("suites shipped (%s):\n", suites);
			if (suite_list(suites, stdout) < 0)
				printf("  (cannot read %s: %s)\n", suites, strerror(errno));
			return 0;
		default: return 2;
		}
	}
	if (!o.resume_dir) {
		if (argc - optind != 2 || strcmp(argv[optind], "suite") != 0) {
			fputs("usage: harness run suite NAME|FILE  (or: harness run --resume RESULTS_DIR)\n", stderr);
			return 2;
		}
		o.suite = argv[optind + 1];
	}
	o.bad_input = &bad_input;
	install_stop_handlers();
	if (run_suite(&o, &err) < 0) {
		fail(&err);
		return bad_input ? 2 : 1;
	}
	return 0;
}

static int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	struct herror err = { 0 };
	bool bad_input = false;
	int c;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'h': puts("usage: harness report RESULTS_DIR -o FILE.pdf"); return 0;
		default: return 2;
		}
	}
	if (argc - optind != 1 || out == NULL || *out == '\0') {
		fputs("usage: harness report RESULTS_DIR -o FILE.pdf\n", stderr);
		return 2;
	}
	/* Interrupted, it removes its scratch files and writes nothing. */
	install_stop_handlers();
	if (report_build(argv[optind], out, &bad_input, &err) < 0) {
		fprintf(stderr, "harness: %s\n", err.msg);
		return bad_input ? 2 : 1;
	}
	printf("%s\n", out);
	return 0;
}

static int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "alpha", required_argument, NULL, 'a' },
		{ "threshold", required_argument, NULL, 't' },
		{ "equivalence", required_argument, NULL, 'e' },
		{ "allow-env-change", no_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'j' },
		{ "seed", required_argument, NULL, 's' },
		{ "include-disturbed", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char help[] =
		"usage: harness compare [--alpha 0.05] [--threshold FRACTION] [--equivalence PERCENT]\n"
		"                       [--allow-env-change] [--json] [--seed N] BASE_RESULTS NEW_RESULTS\n"
		"Per experiment, settings, guest and metric: a two-sided permutation test of the\n"
		"difference of means (exact up to 200000 splits, else 10000 seeded resamples), Holm's\n"
		"correction across every line, a bootstrap 95% CI of the relative change. A change\n"
		"counts when its Holm-adjusted p < alpha, it is at least the metric's floor (5%, or\n"
		"--threshold), and the metric's mean change over all its lines passes the floor too.\n"
		"--equivalence 5: TOST, \"equivalent within +-5%\" per line. Runs from different\n"
		"environments (env.json) are refused unless --allow-env-change.\n"
		"Runs marked disturbed (other processes on the host, host_noise) are left out, with a\n"
		"line saying how many; --include-disturbed pools them too.\n"
		"Exit status: 0 no regression, 1 at least one regression, 2 bad input.";
	struct compare_options o = { .alpha = 0.05, .threshold = -1, .seed = 1 };
	struct herror err = { 0 };
	double d;
	int c, r;

	while ((c = getopt_long(argc, argv, "a:t:e:As:jDh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (parse_double(optarg, 1e-9, 0.5, &o.alpha) < 0) {
				fprintf(stderr, "harness: --alpha must be a number in (0, 0.5], not '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			if (parse_double(optarg, 0, 10, &o.threshold) < 0) {
				fprintf(stderr, "harness: --threshold must be a fraction in [0, 10], not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'e':
			if (parse_double(optarg, 1e-6, 1000, &d) < 0) {
				fprintf(stderr, "harness: --equivalence must be a percentage in (0, 1000], not '%s'\n", optarg);
				return 2;
			}
			o.equivalence = d / 100;
			break;
		case 's':
			if (parse_double(optarg, 0, 4294967295.0, &d) < 0 || d != floor(d)) {
				fprintf(stderr, "harness: --seed must be a whole number, not '%s'\n", optarg);
				return 2;
			}
			o.seed = (unsigned long)d;
			break;
		case 'A': o.allow_env_change = true; break;
		case 'j': o.json = true; break;
		case 'D': o.include_disturbed = true; break;
		case 'h': puts(help); return 0;
		default: return 2;
		}
	}
	if (argc - optind != 2) {
		fputs("usage: harness compare [OPTIONS] BASE_RESULTS NEW_RESULTS (see --help)\n", stderr);
		return 2;
	}
	r = compare_results(argv[optind], argv[optind + 1], &o, &err);
	if (r < 0) {
		fprintf(stderr, "harness: %s\n", err.msg);
		return 2;
	}
	return r > 0 ? 1 : 0;
}

static int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csv", no_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage_export[] = "usage: harness export RESULTS_DIR --csv [-o FILE]";
	const char *path = NULL;
	struct herror err = { 0 };
	FILE *out = stdout;
	int c, r;

	while ((c = getopt_long(argc, argv, "co:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': break;
		case 'o': path = optarg; break;
		case 'h':
			printf("%s\none row per successful run x guest x metric: run, experiment, settings\n"
			       "(key=value;...), repeat, guest, metric, value, unit; every field quoted; a text\n"
			       "field starting with =, +, -, @, tab or CR gets a ' in front (no spreadsheet formula)\n",
			       usage_export);
			return 0;
		default: return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s\n", usage_export);
		return 2;
	}
	if (path && (out = fopen(path, "w")) == NULL) {
		error_set(&err, errno, "cannot write '%s'", path);
		fail(&err);
		return 2;
	}
	r = export_csv(argv[optind], out, &err);
	if (path && fclose(out) != 0 && r == 0)
		r = error_set(&err, errno, "cannot write '%s'", path);
	if (r < 0) {
		fail(&err);
		return 2;
	}
	return 0;
}

static int cmd_doctor(int argc, char **argv)
{
	cleanup_free char *payload = payload_root();
	bool require_kvm = argc == 2 && strcmp(argv[1], "--require-kvm") == 0;
	struct accel_facts f;
	struct accel_choice c;
	int r;

	if (argc == 3 && strcmp(argv[1], "--host") == 0)
		return hosts_doctor(argv[2], payload);
	if (argc >= 2 && argc <= 3 && strcmp(argv[1], "--noise") == 0) {
		cleanup_free char *hog = xasprintf("%s/build/bin/cpu_hog", top_dir);
		double seconds = 10;

		if (argc == 3 && parse_double(argv[2], 3, 3600, &seconds) < 0) {
			fprintf(stderr, "harness: doctor --noise: SECONDS must be a number from 3 to 3600, not '%s'\n",
				argv[2]);
			return 2;
		}
		return doctor_noise(hog, seconds);
	}
	if (argc != 1 && !require_kvm) {
		fprintf(stderr, "usage: harness doctor [--require-kvm | --host URI | --noise [SECONDS]]\n");
		return 2;
	}
	r = doctor(payload);
	if (!require_kvm)
		return r;
	/* For CI that must not take emulation for the hypervisor: the
	 * decision every run makes, with HARNESS_ACCEL not counted. */
	accel_probe(&f);
	f.forced = NULL;
	if (accel_decide(&f, &c) < 0 || c.accel != ACCEL_KVM) {
		fprintf(stderr, "harness: doctor --require-kvm: no working KVM on this host (%s): its results would "
			"measure emulation\n", c.reason);
		return 3;
	}
	return r;
}

static int cmd_noise(int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[1], "--") != 0) {
		fputs("usage: harness noise -- COMMAND [ARGS]\n", argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	return doctor_noise_around(argv + 2);
}

static int cmd_experiments(int argc, char **argv)
{
	struct herror err = { 0 };

	if (argc == 2 && strcmp(argv[1], "--man") == 0) {
		expdoc_man(stdout);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		puts("usage: harness experiments [NAME | --man]");
		return 0;
	}
	if (argc > 2) {
		fputs("usage: harness experiments [NAME | --man]\n", stderr);
		return 2;
	}
	if (argc == 1) {
		expdoc_list(stdout);
		return 0;
	}
	if (expdoc_show(stdout, argv[1], &err) < 0) {
		fprintf(stderr, "harness: %s\n", err.msg);
		return 2;
	}
	return 0;
}

static int cmd_history(int argc, char **argv)
{
	return history_main(argc, argv, top_dir);
}

/* One row per verb, as git.c's commands[] and crun's src/crun.c. */
static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "doctor", cmd_doctor },
	{ "noise", cmd_noise },
	{ "image", cmd_image },
	{ "vm", cmd_vm },
	{ "run", cmd_run },
	{ "report", cmd_report },
	{ "compare", cmd_compare },
	{ "export", cmd_export },
	{ "experiments", cmd_experiments },
	{ "history", cmd_history },
};

int main(int argc, char **argv)
{
	int i = 1;

	find_top(argv[0]);
	if (i < argc && (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0)) {
		hquiet = true;
		i++;
	}
	if (i >= argc || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
	    strcmp(argv[i], "help") == 0) {
		fputs(usage, i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	argc -= i;
	argv += i;
	optind = 1;
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(argv[0], commands[c].name) == 0)
			return commands[c].fn(argc, argv);
	fprintf(stderr, "harness: unknown command '%s'\n%s", argv[0], usage);
	return 2;
}
