/* rtsupervisor: the runtime supervisor the runner uses: a shared one when
 * it answers, else its own, started here and stopped at the end. */
#include "rtclient.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hclock.h"
#include "hfile.h"
#include "hproc.h"

#define RT_DEFAULT_SOCKET "/run/harness-runtime/sock"

static bool supervisor_answers(const char *socket_path, double timeout_s)
{
	cJSON *req = cJSON_CreateObject(), *resp;

	cJSON_AddStringToObject(req, "op", "ps");
	resp = rt_request(socket_path, req, timeout_s, NULL);
	cJSON_Delete(req);
	cJSON_Delete(resp);
	return resp != NULL;
}

/* The end of the supervisor's log on one line, for the error message. */
static const char *log_tail(const char *path, char *buf, size_t len)
{
	if (read_file_tail(path, buf, len) < 0)
		buf[0] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = (p[1] ? ' ' : '\0');
	return buf[0] ? buf : "no message";
}

static void __attribute__((noreturn)) exec_supervisor(const struct rt_supervisor *sv, const char *runtime_bin)
{
	const char *cg = getenv("HARNESS_GUEST_CGROUP_ROOT");
	const char *argv[] = { "harness-runtime", "supervisor", "--state-dir", sv->state_dir, "--socket",
			       sv->socket_path, cg && *cg ? "--cgroup-root" : NULL, cg, NULL };
	int fd;

	signals_reset_for_exec();
	/* Its own group: a ^C to the runner is the runner's to handle. */
	setpgid(0, 0);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		dup2(fd, 0);
	fd = open(sv->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execv(runtime_bin, (char *const *)argv);
	fprintf(stderr, "cannot execute '%s': %s\n", runtime_bin, strerror(errno));
	_exit(127);
}

int rt_supervisor_up(struct rt_supervisor *sv, const char *runtime_bin, const char *workdir, struct herror *err)
{
	const char *shared = getenv("HARNESS_RUNTIME_SOCKET");
	char tail[400];
	double deadline;
	pid_t pid;

	memset(sv, 0, sizeof(*sv));
	if (!shared || !*shared)
		shared = RT_DEFAULT_SOCKET;
	if (access(shared, F_OK) == 0 && strlen(shared) < sizeof(sv->socket_path) &&
	    supervisor_answers(shared, 2)) {
		snprintf(sv->socket_path, sizeof(sv->socket_path), "%s", shared);
		sv->up = true;
		return 0;
	}
	if ((size_t)snprintf(sv->state_dir, sizeof(sv->state_dir), "%s/runtime", workdir) >= sizeof(sv->state_dir) ||
	    (size_t)snprintf(sv->socket_path, sizeof(sv->socket_path), "%s/runtime/sock", workdir) >=
		    sizeof(sv->socket_path) ||
	    (size_t)snprintf(sv->log_path, sizeof(sv->log_path), "%s/supervisor.log", workdir) >= sizeof(sv->log_path))
		return error_setx(err, ENAMETOOLONG, "work directory '%s' is too long for a runtime socket path",
				  workdir);
	pid = fork();
	if (pid < 0)
		return error_set(err, errno, "cannot fork the runtime supervisor");
	if (pid == 0)
		exec_supervisor(sv, runtime_bin);
	sv->pid = pid;
	deadline = mono_s() + 10;
	while (mono_s() < deadline) {
		int status;

		if (waitpid(pid, &status, WNOHANG) == pid) {
			sv->pid = 0;
			return error_setx(err, ECHILD, "the runtime supervisor '%s' exited at start: %s", runtime_bin,
					  log_tail(sv->log_path, tail, sizeof(tail)));
		}
		if (access(sv->socket_path, F_OK) == 0 && supervisor_answers(sv->socket_path, 2)) {
			sv->up = true;
			return 0;
		}
		sleep_s(0.02);
	}
	error_setx(err, ETIMEDOUT, "the runtime supervisor did not answer on '%s' within 10 s: %s", sv->socket_path,
		   log_tail(sv->log_path, tail, sizeof(tail)));
	rt_supervisor_down(sv);
	return -ETIMEDOUT;
}

void rt_supervisor_down(struct rt_supervisor *sv)
{
	cJSON *req, *resp;
	double deadline;

	if (sv->pid <= 0)
		return;
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "op", "shutdown");
	resp = rt_request(sv->socket_path, req, 5, NULL);
	cJSON_Delete(req);
	cJSON_Delete(resp);
	/* Our containers have ended by now; the bound is for a stuck supervisor. */
	deadline = mono_s() + 15;
	for (;;) {
		int status;
		pid_t r = waitpid(sv->pid, &status, WNOHANG);

		if (r == sv->pid || (r < 0 && errno == ECHILD))
			break;
		if (mono_s() > deadline) {
			kill(sv->pid, SIGKILL);
			waitpid(sv->pid, &status, 0);
			break;
		}
		sleep_s(0.02);
	}
	sv->pid = 0;
	sv->up = false;
}
