/* harness-guest: the in-guest runner. Started through the QEMU guest agent
 * as `harness-guest SPEC.json` (or `-` for stdin); prints one JSON document
 * (guest/SCHEMA.md) on stdout. Exit status: 0 ok, 1 the run had errors,
 * 2 the spec or the command line was refused and nothing was started. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "herror.h"
#include "hfile.h"
#include "run.h"
#include "spec.h"

#define SCHEMA_ID "harness-guest/1"
#define SPEC_MAX_BYTES (1 << 20)

static const char usage[] =
	"usage: harness-guest SPEC.json | -\n"
	"Runs the workloads an experiment spec describes (programs are looked up in\n"
	"this program's own directory), samples /proc while they run, and prints one\n"
	"JSON document on stdout. See guest/SCHEMA.md.\n";

/* Inside a container (guest/container.c): harness-guest --exec-workload
 * OUT ERR CPUS|- PROGRAM ARGV0 ARGS... puts stdout and stderr into files
 * of the shared directory, pins to CPUS, and executes the workload. */
static int exec_workload(int argc, char **argv)
{
	int fd;

	if (argc < 7) {
		fputs("harness-guest: usage: --exec-workload OUT ERR CPUS|- PROGRAM ARGV0 [ARGS...]\n", stderr);
		return 127;
	}
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || dup2(fd, 1) < 0) {
		fprintf(stderr, "harness-guest: cannot open '%s': %s\n", argv[2], strerror(errno));
		return 127;
	}
	fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || dup2(fd, 2) < 0) {
		fprintf(stderr, "harness-guest: cannot open '%s': %s\n", argv[3], strerror(errno));
		return 127;
	}
	if (strcmp(argv[4], "-") != 0) {
		cpu_set_t set;
		if (spec_parse_cpulist(argv[4], &set) < 0 || sched_setaffinity(0, sizeof(set), &set) < 0) {
			fprintf(stderr, "harness-guest: cannot pin to cpus '%s': %s\n", argv[4], strerror(errno));
			return 127;
		}
	}
	execv(argv[5], argv + 6);
	fprintf(stderr, "harness-guest: cannot execute '%s': %s\n", argv[5], strerror(errno));
	return 127;
}

static void on_stop(int sig)
{
	(void)sig;
	run_stop_requested = 1;
}

static cJSON *guest_info(void)
{
	cJSON *g = cJSON_CreateObject();
	struct utsname u;
	char host[256] = "";

	if (uname(&u) == 0) {
		cJSON_AddStringToObject(g, "kernel", u.release);
		cJSON_AddStringToObject(g, "kernel_version", u.version);
		cJSON_AddStringToObject(g, "machine", u.machine);
	}
	gethostname(host, sizeof(host) - 1);
	cJSON_AddStringToObject(g, "hostname", host);
	cJSON_AddNumberToObject(g, "ncpu", (double)sysconf(_SC_NPROCESSORS_ONLN));
	cJSON_AddNumberToObject(g, "clk_tck", (double)sysconf(_SC_CLK_TCK));
	cJSON_AddNumberToObject(g, "page_size", (double)sysconf(_SC_PAGESIZE));
	return g;
}

static int emit(cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);
	int r = 0;

	if (!text || printf("%s\n", text) < 0 || fflush(stdout) != 0)
		r = -EIO;
	free(text);
	return r;
}

/* The document for a refused spec: same keys, nothing run. */
static int refuse(cJSON *doc, cJSON *errors, const char *msg)
{
	fprintf(stderr, "harness-guest: %s\n", msg);
	cJSON_AddItemToArray(errors, cJSON_CreateString(msg));
	cJSON_ReplaceItemInObject(doc, "ok", cJSON_CreateFalse());
	cJSON_AddNumberToObject(doc, "elapsed_s", 0);
	cJSON_AddArrayToObject(doc, "samples");
	cJSON_AddObjectToObject(doc, "summary");
	cJSON_AddArrayToObject(doc, "workloads");
	emit(doc);
	cJSON_Delete(doc);
	return 2;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], *text = NULL, *bindir;
	struct herror err = { 0 };
	struct sigaction sa = { .sa_handler = on_stop };
	cJSON *doc, *errors, *spec_json;
	struct spec spec;
	ssize_t n;
	int fd, status;

	if (argc >= 2 && strcmp(argv[1], "--exec-workload") == 0)
		return exec_workload(argc, argv);
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	doc = cJSON_CreateObject();
	if (!doc)
		abort();
	cJSON_AddStringToObject(doc, "schema", SCHEMA_ID);
	cJSON_AddTrueToObject(doc, "ok");
	errors = cJSON_AddArrayToObject(doc, "errors");
	cJSON_AddItemToObject(doc, "guest", guest_info());
	if (argc != 2) {
		cJSON_AddNullToObject(doc, "experiment");
		cJSON_AddNullToObject(doc, "sample_hz");
		return refuse(doc, errors, "usage: harness-guest SPEC.json | -");
	}

	if (strcmp(argv[1], "-") == 0) {
		fd = 0;
	} else {
		fd = open(argv[1], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			error_set(&err, errno, "cannot open spec '%s'", argv[1]);
			cJSON_AddNullToObject(doc, "experiment");
			cJSON_AddNullToObject(doc, "sample_hz");
			return refuse(doc, errors, err.msg);
		}
	}
	if (read_fd(fd, argv[1], SPEC_MAX_BYTES, &text, NULL, &err) < 0)
		error_wrap(&err, "spec");
	if (fd > 0)
		close(fd);
	spec_json = text ? cJSON_Parse(text) : NULL;
	if (text && !spec_json)
		error_setx(&err, EINVAL, "spec '%s' is not valid JSON (near byte %td)", argv[1],
			   cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - text : (ptrdiff_t)0);
	free(text);

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		snprintf(self, sizeof(self), "%s", argv[0]);
	} else {
		self[n] = '\0';
	}
	bindir = dirname(self);

	if (!spec_json || spec_load(&spec, spec_json, bindir, &err) < 0) {
		const cJSON *e = spec_json ? cJSON_GetObjectItemCaseSensitive(spec_json, "experiment") : NULL;
		if (cJSON_IsString(e))
			cJSON_AddStringToObject(doc, "experiment", e->valuestring);
		else
			cJSON_AddNullToObject(doc, "experiment");
		cJSON_AddNullToObject(doc, "sample_hz");
		cJSON_Delete(spec_json);
		if (spec_json)
			spec_free(&spec);
		return refuse(doc, errors, err.msg);
	}
	cJSON_Delete(spec_json);
	cJSON_AddStringToObject(doc, "experiment", spec.experiment);
	cJSON_AddNumberToObject(doc, "sample_hz", spec.sample_hz);
	cJSON_AddNumberToObject(doc, "duration_s", spec.duration_s);
	cJSON_AddNumberToObject(doc, "stall_timeout_s", spec.stall_timeout_s);

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	status = run_experiment(&spec, doc, errors);
	if (status != 0)
		cJSON_ReplaceItemInObject(doc, "ok", cJSON_CreateFalse());
	spec_free(&spec);
	if (emit(doc) < 0)
		status = 1;
	cJSON_Delete(doc);
	return status;
}
