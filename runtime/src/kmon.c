#include "kmon.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include "memwatch.h"	/* lib/uapi: the module's ABI */

int kmon_available(void)
{
	return access(MEMWATCH_DEVICE, F_OK) == 0;
}

int kmon_register(pid_t pid, uint64_t soft, uint64_t hard, struct herror *err)
{
	struct memwatch_register reg;
	cleanup_close int fd = open(MEMWATCH_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return error_setx(err, ENODEV, "kernel memory monitor limits asked for, but %s does not exist (is the memwatch module loaded?)",
					MEMWATCH_DEVICE);
		return error_set(err, errno, "cannot open '%s'", MEMWATCH_DEVICE);
	}
	memset(&reg, 0, sizeof(reg));
	reg.size = sizeof(reg);
	reg.pid = pid;
	reg.soft_limit = soft ? soft : hard;
	reg.hard_limit = hard;
	if (ioctl(fd, MEMWATCH_IOC_REGISTER, &reg) < 0)
		return error_set(err, errno, "cannot register process %d with the kernel memory monitor", (int)pid);
	return 0;
}

void kmon_describe(pid_t pid, cJSON *out)
{
	struct memwatch_query q;
	cleanup_close int fd = open(MEMWATCH_DEVICE, O_RDONLY | O_CLOEXEC);
	static const char *const states[] = { "?", "watched", "warned", "killed" };

	if (fd < 0) {
		cJSON_AddStringToObject(out, "status", "no kernel memory monitor (" MEMWATCH_DEVICE " missing)");
		return;
	}
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.pid = pid;
	if (ioctl(fd, MEMWATCH_IOC_QUERY, &q) < 0) {
		cJSON_AddStringToObject(out, "status", errno == ENOENT ? "not registered" : "query failed");
		return;
	}
	cJSON_AddStringToObject(out, "status", q.entry.state <= 3 ? states[q.entry.state] : "?");
	cJSON_AddNumberToObject(out, "rss", (double)q.entry.rss);
	cJSON_AddNumberToObject(out, "peak_rss", (double)q.entry.peak_rss);
	cJSON_AddNumberToObject(out, "soft_limit", (double)q.entry.soft_limit);
	cJSON_AddNumberToObject(out, "hard_limit", (double)q.entry.hard_limit);
}

int kmon_open_events(void)
{
	return open(MEMWATCH_DEVICE, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

int kmon_read_event(int fd, struct kmon_event *out)
{
	struct memwatch_event ev;
	ssize_t n = read(fd, &ev, sizeof(ev));

	if (n < 0)
		return -errno;
	if (n != sizeof(ev))
		return -EIO;
	memset(out, 0, sizeof(*out));
	out->type = ev.type == MEMWATCH_EVENT_WARNED ? KMON_WARNED : ev.type == MEMWATCH_EVENT_KILLED ? KMON_KILLED : 0;
	out->pid = ev.pid;
	out->time_ns = ev.time_ns;
	out->rss = ev.rss;
	out->peak_rss = ev.peak_rss;
	out->limit = ev.limit;
	return 0;
}

cJSON *kmon_event_json(const struct kmon_event *ev)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "rss", (double)ev->rss);
	cJSON_AddNumberToObject(o, "peak_rss", (double)ev->peak_rss);
	cJSON_AddNumberToObject(o, "limit", (double)ev->limit);
	cJSON_AddNumberToObject(o, "time_s", (double)ev->time_ns / 1e9);
	return o;
}
