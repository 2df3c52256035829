#include "hproc.h"
#include "hfile.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void signals_reset_for_exec(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int proc_start_time(pid_t pid, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int field;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_file_buf(path, buf, sizeof(buf));
	if (n == -ENOENT)
		return -ESRCH;
	if (n < 0)
		return (int)n;
	/* The name (field 2) is in parentheses and may hold anything, ')' too:
	 * the fields start after the last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return -EINVAL;
	p += 2;
	/* A zombie is a process that has ended. */
	if (*p == 'Z' || *p == 'X')
		return -ESRCH;
	/* Field 3 is the state; the start time is field 22. */
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p == NULL || sscanf(p, "%llu", start) != 1)
		return -EINVAL;
	return 0;
}

int pidfile_write(const char *path, struct herror *err)
{
	unsigned long long start = 0;
	char text[64];
	int r = proc_start_time(getpid(), &start);

	if (r < 0)
		return error_set(err, r, "cannot read this process's start time (/proc/self/stat)");
	snprintf(text, sizeof(text), "%d %llu\n", (int)getpid(), start);
	return write_file_atomic(path, text, strlen(text), 0644, err);
}

int pidfile_owner(const char *path, pid_t *pid)
{
	unsigned long long want, start;
	char text[128];
	ssize_t n = read_file_buf(path, text, sizeof(text));
	int got, p = 0;

	*pid = 0;
	if (n < 0)
		return (int)n;
	got = sscanf(text, "%d %llu", &p, &want);
	if (got < 1 || p <= 0)
		return -EINVAL;
	*pid = (pid_t)p;
	/* An old file with a pid only: whether a process of that pid lives. */
	if (got == 1)
		return kill(p, 0) == 0 || errno == EPERM ? 1 : 0;
	/* The pid alone could be another process's by now: its start time
	 * must be the one written. */
	if (proc_start_time(p, &start) < 0)
		return 0;
	return start == want ? 1 : 0;
}
