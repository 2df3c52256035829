/* hproc: process helpers shared by the programs that start others. */
#ifndef HCOMMON_HPROC_H
#define HCOMMON_HPROC_H

#include <sys/types.h>

#include "herror.h"

/* In a child before exec: unblock every signal and put every disposition
 * back to the default. A blocked or ignored signal (SIGPIPE, the signals a
 * parent reads through a signalfd) would otherwise survive exec. */
void signals_reset_for_exec(void);

/* A process's start time (field 22 of /proc/PID/stat, clock ticks after
 * boot): with its pid, what tells it from a later process that got the
 * same pid. -ESRCH when there is no such process (or a zombie). */
int proc_start_time(pid_t pid, unsigned long long *start);

/* A file that says which process owns something (a run's state
 * directory): "PID START\n" of this process, written atomically. */
int pidfile_write(const char *path, struct herror *err);
/* Whether the owner named in path still runs: 1 (the pid with the start
 * time written), 0 (gone, or the pid now another process's); *pid is the
 * pid written (0 when none). -ENOENT without the file, -EINVAL when it
 * holds no pid. A file with a pid only (older harness) is alive while a
 * process of that pid is. */
int pidfile_owner(const char *path, pid_t *pid);

#endif
