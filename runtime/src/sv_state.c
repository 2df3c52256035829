#include "sv_state.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

const char *const state_names[] = {
	"created", "queued", "running", "exited", "killed", "oom-killed", "failed",
};

struct sv_state sv;

struct ctr *find(const char *name)
{
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (sv.c[i].used && !strcmp(sv.c[i].spec.name, name))
			return &sv.c[i];
	return NULL;
}

int is_active(const struct ctr *c)
{
	return c->used && (c->state == ST_RUNNING || c->state == ST_CREATED);
}

int has_ended(const struct ctr *c)
{
	return c->state >= ST_EXITED;
}

void ctr_dir(const struct ctr *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s/containers/%s", sv.cfg->state_dir, c->spec.name);
}

cJSON *ctr_to_json(const struct ctr *c)
{
	cJSON *o = cJSON_CreateObject();
	char ip[INET_ADDRSTRLEN];

	cJSON_AddStringToObject(o, "name", c->spec.name);
	cJSON_AddNumberToObject(o, "id", c->id);
	cJSON_AddStringToObject(o, "state", state_names[c->state]);
	cJSON_AddNumberToObject(o, "pid", c->pid);
	cJSON_AddNumberToObject(o, "pid_starttime", (double)c->pid_starttime);
	cJSON_AddNumberToObject(o, "created", (double)c->created);
	cJSON_AddNumberToObject(o, "started", (double)c->started);
	cJSON_AddNumberToObject(o, "ended", (double)c->ended);
	if (has_ended(c)) {
		cJSON_AddNumberToObject(o, "exit_code", c->exit_code);
		cJSON_AddNumberToObject(o, "signal", c->term_signal);
	}
	if (c->reason[0])
		cJSON_AddStringToObject(o, "reason", c->reason);
	cJSON_AddStringToObject(o, "rootfs_dir", c->rootfs_dir);
	cJSON_AddBoolToObject(o, "rootfs_extracted", c->rootfs_extracted);
	if (c->cgroup[0])
		cJSON_AddStringToObject(o, "cgroup", c->cgroup);
	cJSON_AddBoolToObject(o, "device_filter", c->device_filter);
	if (c->addr && inet_ntop(AF_INET, &c->addr, ip, sizeof(ip)))
		cJSON_AddStringToObject(o, "ip", ip);
	if (c->host_if[0])
		cJSON_AddStringToObject(o, "host_if", c->host_if);
	cJSON_AddItemToObject(o, "spec", spec_to_json(&c->spec));
	return o;
}

void save_state(const struct ctr *c)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct herror err = { 0 };
	cJSON *o = ctr_to_json(c);
	char *text = cJSON_Print(o);

	ctr_dir(c, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/state.json", dir);
	if (!text || write_file_atomic(path, text, strlen(text), 0600, &err) < 0)
		fprintf(stderr, "harness-runtime: cannot save state of '%s': %s\n", c->spec.name,
			err.msg[0] ? err.msg : "out of memory");
	free(text);
	cJSON_Delete(o);
}

unsigned long long proc_starttime(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long st = 0;
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read_all(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the command name may hold spaces */
	if (!p)
		return 0;
	/* Field 22 is starttime; after ')' come fields 3.. */
	p++;
	for (int field = 2; field < 21 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &st);
	return st;
}

struct ctr *alloc_ctr(void)
{
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (!sv.c[i].used) {
			memset(&sv.c[i], 0, sizeof(sv.c[i]));
			sv.c[i].used = 1;
			sv.c[i].pidfd = -1;
			sv.c[i].id = ++sv.next_id;
			spec_init(&sv.c[i].spec);
			return &sv.c[i];
		}
	return NULL;
}

static void load_one(const char *name)
{
	char path[PATH_MAX];
	cleanup_free char *text = NULL;
	struct herror err = { 0 };
	cJSON *o, *v;
	struct ctr *c;

	snprintf(path, sizeof(path), "%s/containers/%s/state.json", sv.cfg->state_dir, name);
	if (read_file(path, 1 << 20, &text, NULL, &err) < 0) {
		fprintf(stderr, "harness-runtime: skipping container '%s': %s\n", name, err.msg);
		return;
	}
	o = cJSON_Parse(text);
	if (!o || !(c = alloc_ctr())) {
		fprintf(stderr, "harness-runtime: skipping container '%s': unreadable state\n", name);
		cJSON_Delete(o);
		return;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "spec");
	if (spec_from_json(v, &c->spec, &err) < 0) {
		fprintf(stderr, "harness-runtime: skipping container '%s': %s\n", name, err.msg);
		spec_free(&c->spec);
		c->used = 0;
		cJSON_Delete(o);
		return;
	}
#define NUM(k) ((v = cJSON_GetObjectItemCaseSensitive(o, k)) && cJSON_IsNumber(v) ? v->valuedouble : 0)
#define STR(k, dst) do { v = cJSON_GetObjectItemCaseSensitive(o, k); \
		if (cJSON_IsString(v)) snprintf(dst, sizeof(dst), "%s", v->valuestring); } while (0)
	c->pid = (pid_t)NUM("pid");
	c->pid_starttime = (unsigned long long)NUM("pid_starttime");
	c->created = (time_t)NUM("created");
	c->started = (time_t)NUM("started");
	c->ended = (time_t)NUM("ended");
	c->exit_code = (int)NUM("exit_code");
	c->term_signal = (int)NUM("signal");
	STR("reason", c->reason);
	STR("rootfs_dir", c->rootfs_dir);
	STR("cgroup", c->cgroup);
	STR("host_if", c->host_if);
	c->rootfs_extracted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "rootfs_extracted"));
	c->device_filter = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "device_filter"));
	v = cJSON_GetObjectItemCaseSensitive(o, "state");
	c->state = ST_FAILED;
	for (unsigned i = 0; cJSON_IsString(v) && i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (!strcmp(v->valuestring, state_names[i]))
			c->state = (enum cstate)i;
#undef NUM
#undef STR
	cJSON_Delete(o);
	c->log_done = 1;
	if (c->state == ST_RUNNING || c->state == ST_CREATED) {
		/* Not our child any more: watch it through a pidfd. */
		if (c->pid > 0 && proc_starttime(c->pid) == c->pid_starttime &&
		    (c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0)) >= 0) {
			snprintf(c->reason, sizeof(c->reason), "adopted after a supervisor restart; exit status unknown");
		} else {
			c->state = ST_EXITED;
			c->exit_code = -1;
			c->ended = time(NULL);
			snprintf(c->reason, sizeof(c->reason), "ended while the supervisor was down; exit status unknown");
		}
		save_state(c);
	} else if (c->state == ST_QUEUED) {
		c->state = ST_FAILED;
		snprintf(c->reason, sizeof(c->reason), "was queued when the supervisor stopped");
		save_state(c);
	}
}

void load_all(void)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/containers", sv.cfg->state_dir);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && name_is_valid(e->d_name))
			load_one(e->d_name);
	closedir(d);
}
