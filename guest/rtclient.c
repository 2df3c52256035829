/* rtclient: the runtime's socket protocol from the client side. One
 * request per connection, as the supervisor expects; every wait bounded. */
#include "rtclient.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RT_MAGIC "HRTP"
#define RT_VERSION 1
#define RT_KIND_REQUEST 1
#define RT_KIND_RESPONSE 2
#define RT_HEADER 12
#define RT_MAX_PAYLOAD (256u * 1024u)
#define RT_DEFAULT_SOCKET "/run/harness-runtime/sock"

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_timeout(int fd, double s)
{
	struct timeval tv = { .tv_sec = (time_t)s, .tv_usec = (suseconds_t)((s - (double)(time_t)s) * 1e6) };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int io_all(int fd, void *buf, size_t len, bool writing)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = writing ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n == 0)
			return -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

cJSON *rt_request(const char *socket_path, const cJSON *req, double timeout_s, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	unsigned char hdr[RT_HEADER];
	char *text = NULL, *payload = NULL;
	cJSON *resp = NULL;
	uint32_t len;
	int fd, r;

	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "runtime socket path '%s' is too long", socket_path);
		return NULL;
	}
	memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a socket: %s", strerror(errno));
		return NULL;
	}
	set_timeout(fd, timeout_s);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		snprintf(err, errlen, "cannot connect to the runtime at '%s': %s", socket_path, strerror(errno));
		goto out;
	}
	text = cJSON_PrintUnformatted(req);
	if (!text || strlen(text) > RT_MAX_PAYLOAD) {
		snprintf(err, errlen, "cannot encode a runtime request");
		goto out;
	}
	len = (uint32_t)strlen(text);
	memcpy(hdr, RT_MAGIC, 4);
	hdr[4] = RT_VERSION;
	hdr[5] = RT_KIND_REQUEST;
	hdr[6] = hdr[7] = 0;
	hdr[8] = (unsigned char)(len >> 24);
	hdr[9] = (unsigned char)(len >> 16);
	hdr[10] = (unsigned char)(len >> 8);
	hdr[11] = (unsigned char)len;
	if ((r = io_all(fd, hdr, sizeof(hdr), true)) < 0 || (r = io_all(fd, text, len, true)) < 0 ||
	    (r = io_all(fd, hdr, sizeof(hdr), false)) < 0) {
		snprintf(err, errlen, "no answer from the runtime at '%s': %s", socket_path, strerror(-r));
		goto out;
	}
	len = (uint32_t)hdr[8] << 24 | (uint32_t)hdr[9] << 16 | (uint32_t)hdr[10] << 8 | hdr[11];
	if (memcmp(hdr, RT_MAGIC, 4) || hdr[4] != RT_VERSION || hdr[5] != RT_KIND_RESPONSE || hdr[6] || hdr[7] ||
	    len == 0 || len > RT_MAX_PAYLOAD) {
		snprintf(err, errlen, "bad response header from the runtime at '%s'", socket_path);
		goto out;
	}
	payload = malloc(len + 1);
	if (!payload)
		abort();
	if ((r = io_all(fd, payload, len, false)) < 0) {
		snprintf(err, errlen, "truncated response from the runtime at '%s': %s", socket_path, strerror(-r));
		goto out;
	}
	payload[len] = '\0';
	resp = cJSON_Parse(payload);
	if (!cJSON_IsObject(resp)) {
		snprintf(err, errlen, "the runtime at '%s' answered with something that is not a JSON object",
			 socket_path);
		cJSON_Delete(resp);
		resp = NULL;
	} else if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "ok"))) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(resp, "error");
		snprintf(err, errlen, "%s", cJSON_IsString(e) ? e->valuestring : "the runtime refused the request");
		cJSON_Delete(resp);
		resp = NULL;
	}
out:
	free(text);
	free(payload);
	close(fd);
	return resp;
}

static bool supervisor_answers(const char *socket_path, double timeout_s)
{
	cJSON *req = cJSON_CreateObject(), *resp;
	char err[256];

	cJSON_AddStringToObject(req, "op", "ps");
	resp = rt_request(socket_path, req, timeout_s, err, sizeof(err));
	cJSON_Delete(req);
	cJSON_Delete(resp);
	return resp != NULL;
}

static void log_tail(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t size;
	ssize_t n = 0;

	buf[0] = '\0';
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > 0) {
		lseek(fd, size > (off_t)(len - 1) ? size - (off_t)(len - 1) : 0, SEEK_SET);
		n = read(fd, buf, len - 1);
	}
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = (p[1] ? ' ' : '\0');
}

static void __attribute__((noreturn)) exec_supervisor(const struct rt_supervisor *sv, const char *runtime_bin)
{
	const char *cg = getenv("HARNESS_GUEST_CGROUP_ROOT");
	const char *argv[] = { "harness-runtime", "supervisor", "--state-dir", sv->state_dir, "--socket",
			       sv->socket_path, cg && *cg ? "--cgroup-root" : NULL, cg, NULL };
	sigset_t none;
	int fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
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

int rt_supervisor_up(struct rt_supervisor *sv, const char *runtime_bin, const char *workdir,
		     char *err, size_t errlen)
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
	    (size_t)snprintf(sv->log_path, sizeof(sv->log_path), "%s/supervisor.log", workdir) >= sizeof(sv->log_path)) {
		snprintf(err, errlen, "work directory '%s' is too long for a runtime socket path", workdir);
		return -ENAMETOOLONG;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot fork the runtime supervisor: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0)
		exec_supervisor(sv, runtime_bin);
	sv->pid = pid;
	deadline = mono_s() + 10;
	while (mono_s() < deadline) {
		int status;
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (waitpid(pid, &status, WNOHANG) == pid) {
			sv->pid = 0;
			log_tail(sv->log_path, tail, sizeof(tail));
			snprintf(err, errlen, "the runtime supervisor '%s' exited at start: %s", runtime_bin,
				 tail[0] ? tail : "no message");
			return -ECHILD;
		}
		if (access(sv->socket_path, F_OK) == 0 && supervisor_answers(sv->socket_path, 2)) {
			sv->up = true;
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	log_tail(sv->log_path, tail, sizeof(tail));
	snprintf(err, errlen, "the runtime supervisor did not answer on '%s' within 10 s: %s", sv->socket_path,
		 tail[0] ? tail : "no message");
	rt_supervisor_down(sv);
	return -ETIMEDOUT;
}

void rt_supervisor_down(struct rt_supervisor *sv)
{
	cJSON *req, *resp;
	char err[256];
	double deadline;

	if (sv->pid <= 0)
		return;
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "op", "shutdown");
	resp = rt_request(sv->socket_path, req, 5, err, sizeof(err));
	cJSON_Delete(req);
	cJSON_Delete(resp);
	/* Our containers have ended by now; the bound is for a stuck supervisor. */
	deadline = mono_s() + 15;
	for (;;) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		int status;
		pid_t r = waitpid(sv->pid, &status, WNOHANG);

		if (r == sv->pid || (r < 0 && errno == ECHILD))
			break;
		if (mono_s() > deadline) {
			kill(sv->pid, SIGKILL);
			waitpid(sv->pid, &status, 0);
			break;
		}
		nanosleep(&ts, NULL);
	}
	sv->pid = 0;
	sv->up = false;
}
