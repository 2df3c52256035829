/* harness-runtime: one static binary; `supervisor` runs the daemon, every
 * other verb is a client of its socket. One row per verb, as crun's
 * src/crun.c and the harness's main.c; each verb is its own cmd_*.c. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

char **cli_program_argv;

static const struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *help;
} verbs[] = {
	{ "supervisor", cmd_supervisor, "[options]", "run the supervisor (see supervisor --help)" },
	{ "start", cmd_start, "NAME ROOTFS|--bundle DIR [opts] -- CMD...",
	  "start in the background (ROOTFS: directory or tarball)" },
	{ "run", cmd_run, "NAME ROOTFS [opts] [--rm] -- CMD...",
	  "start, wait, print the log, exit with its status" },
	{ "stop", cmd_stop, "NAME [-t GRACE]", "SIGTERM, GRACE seconds (default 10), then SIGKILL" },
	{ "ps", cmd_ps, "[--json]", "the containers, their limits, usage and the safe sequence" },
	{ "logs", cmd_logs, "NAME [-f]", "a container's output; -f follows it" },
	{ "inspect", cmd_inspect, "NAME", "one container's record as JSON" },
	{ "wait", cmd_wait, "NAME", "wait for its end; exit with its status" },
	{ "rm", cmd_rm, "NAME", "forget an ended container" },
	{ "shutdown", cmd_shutdown, "", "stop every container and the supervisor" },
};
#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static void usage(FILE *f)
{
	fputs("usage: harness-runtime [--socket PATH] VERB ...\n", f);
	for (size_t i = 0; i < NVERBS; i++)
		fprintf(f, "  %-10s %-42s %s\n", verbs[i].name, verbs[i].args, verbs[i].help);
	fputs("start/run options: --cpu-weight N --cpus CPUS --cpu-max QUOTA/PERIOD --cpuset LIST\n"
	      "  --memory-high SIZE --memory-max SIZE --pids-max N --nice N --hostname H --net --ip A\n"
	      "  --claim memory=SIZE,cpu=CPUS,pids=N [--hold memory=SIZE,cpu=CPUS,pids=N] --admit queue|refuse\n"
	      "  --kmon-soft SIZE --kmon-hard SIZE --env K=V --cwd DIR --read-only --stop-grace S --userns\n", f);
}

int cli_usage(const char *verb)
{
	for (size_t i = 0; i < NVERBS; i++)
		if (!strcmp(verbs[i].name, verb)) {
			fprintf(stderr, "usage: harness-runtime %s %s\n", verb, verbs[i].args);
			return 2;
		}
	usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	int i = 1;

	cli_program_argv = argv;
	if (getenv("HARNESS_RUNTIME_SOCKET"))
		cli_socket_path = getenv("HARNESS_RUNTIME_SOCKET");
	if (argc > 2 && !strcmp(argv[1], "--socket")) {
		cli_socket_path = argv[2];
		i = 3;
	}
	if (i >= argc || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || !strcmp(argv[i], "help")) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	/* A closed socket or pipe is an error to report, not a silent
	 * death by SIGPIPE (exit 141). */
	signal(SIGPIPE, SIG_IGN);
	for (size_t v = 0; v < NVERBS; v++)
		if (!strcmp(argv[i], verbs[v].name)) {
			int rc = verbs[v].fn(argc - i, argv + i);

			if (rc == 0 && (fflush(stdout) == EOF || ferror(stdout))) {
				fprintf(stderr, "harness-runtime: cannot write to standard output: %s\n",
					strerror(errno ? errno : EIO));
				rc = 1;
			}
			return rc;
		}
	fprintf(stderr, "harness-runtime: unknown verb '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
