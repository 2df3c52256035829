/* supervisor [options]: the long-running daemon, run from a sealed copy
 * of the binary. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include "cli.h"
#include "spec.h"
#include "supervisor.h"
#include "util.h"

extern char **environ;

/* Like crun's cloned binary: the supervisor runs from a sealed in-memory
 * copy of itself, so nothing a container reaches through /proc can
 * overwrite the runtime on disk. */
static int reexec_from_sealed_copy(char **argv)
{
	struct stat st;
	cleanup_close int src = -1;
	int mfd;

	if (getenv("HARNESS_RUNTIME_SEALED"))
		return 0;
	src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0 || fstat(src, &st) < 0)
		return -errno;
	mfd = memfd_create("harness-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	for (off_t done = 0; done < st.st_size; ) {
		ssize_t n = sendfile(mfd, src, NULL, (size_t)(st.st_size - done));
		if (n <= 0) {
			close(mfd);
			return n < 0 ? -errno : -EIO;
		}
		done += n;
	}
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
		close(mfd);
		return -errno;
	}
	setenv("HARNESS_RUNTIME_SEALED", "1", 1);
	fexecve(mfd, argv, environ);
	close(mfd);
	return -errno;
}

static int parse_capacity(const char *arg, struct supervisor_config *c)
{
	char buf[256], *save = NULL;

	if (!arg[0] || (size_t)snprintf(buf, sizeof(buf), "%s", arg) >= sizeof(buf))
		return -EINVAL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		uint64_t v;

		if (!eq)
			return -EINVAL;
		*eq++ = '\0';
		if (!strcmp(t, "memory")) {
			if (parse_size(eq, &v) < 0)
				return -EINVAL;
			c->capacity[0] = v;
		} else if (!strcmp(t, "cpu")) {
			if (parse_cpus_milli(eq, &v) < 0)
				return -EINVAL;
			c->capacity[1] = v;
		} else if (!strcmp(t, "pids")) {
			if (parse_size(eq, &v) < 0)
				return -EINVAL;
			c->capacity[2] = v;
		} else {
			return -EINVAL;
		}
	}
	c->have_capacity = 1;
	return 0;
}

static int supervisor_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "cgroup-root", required_argument, NULL, 'c' },
		{ "capacity", required_argument, NULL, 'C' },
		{ "log-max", required_argument, NULL, 'l' },
		{ "bridge", required_argument, NULL, 'b' },
		{ "subnet", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct supervisor_config cfg;
	int o;

	supervisor_config_init(&cfg);
	while ((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (o) {
		case 'd': snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", optarg); break;
		case 's': snprintf(cfg.socket_path, sizeof(cfg.socket_path), "%s", optarg); break;
		case 'c': snprintf(cfg.cgroup_root, sizeof(cfg.cgroup_root), "%s", optarg); break;
		case 'C':
			if (parse_capacity(optarg, &cfg) < 0) {
				fprintf(stderr, "harness-runtime: bad --capacity '%s' (memory=SIZE,cpu=CPUS,pids=N)\n", optarg);
				return 2;
			}
			break;
		case 'l':
			if (parse_size(optarg, &cfg.log_max) < 0 || cfg.log_max < 4096) {
				fprintf(stderr, "harness-runtime: bad --log-max '%s'\n", optarg);
				return 2;
			}
			break;
		case 'b':
			if (strlen(optarg) >= sizeof(cfg.bridge) || !optarg[0]) {
				fprintf(stderr, "harness-runtime: bad --bridge '%s'\n", optarg);
				return 2;
			}
			snprintf(cfg.bridge, sizeof(cfg.bridge), "%s", optarg);
			break;
		case 'n': {
			char net[32], *slash;
			long len = 24;

			snprintf(net, sizeof(net), "%s", optarg);
			slash = strchr(net, '/');
			if (slash)
				*slash++ = '\0';
			if (slash && cli_parse_long(slash, 8, 29, &len) < 0)
				len = -1;
			cfg.prefix = (int)len;
			if (inet_pton(AF_INET, net, &cfg.subnet) != 1 || cfg.prefix < 8 || cfg.prefix > 29 ||
			    (ntohl(cfg.subnet) & ((1u << (32 - cfg.prefix)) - 1))) {
				fprintf(stderr, "harness-runtime: bad --subnet '%s' (A.B.C.D/8..29, host bits zero)\n", optarg);
				return 2;
			}
			break;
		}
		default:
			fprintf(stderr, "usage: harness-runtime supervisor [--state-dir DIR] [--socket PATH] [--cgroup-root DIR]\n"
					"       [--capacity memory=SIZE,cpu=CPUS,pids=N] [--log-max SIZE] [--bridge NAME] [--subnet NET/LEN]\n");
			return o == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "harness-runtime: supervisor takes no arguments\n");
		return 2;
	}
	if (!cfg.socket_path[0])
		snprintf(cfg.socket_path, sizeof(cfg.socket_path), "%s/sock", cfg.state_dir);
	return supervisor_run(&cfg);
}

int cmd_supervisor(int argc, char **argv)
{
	int r = reexec_from_sealed_copy(cli_program_argv);

	if (r < 0) {
		fprintf(stderr, "harness-runtime: cannot run from a sealed copy of itself: %s\n", strerror(-r));
		return 1;
	}
	return supervisor_main(argc, argv);
}
