/* hcleanup: variables that release what they hold when they go out of
 * scope (__attribute__((cleanup)), as in crun and systemd):
 *     cleanup_free char *buf = NULL;    cleanup_close int fd = -1;
 * Hand a value out of such a variable with steal_pointer()/steal_fd(). */
#ifndef HCOMMON_HCLEANUP_H
#define HCOMMON_HCLEANUP_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void cleanup_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))
#define cleanup_dir __attribute__((cleanup(cleanup_closedirp)))

/* Returns *pp and sets it to NULL: "return steal_pointer(&buf);". */
static inline void *steal_pointer(void *pp)
{
	void **p = pp, *v = *p;

	*p = NULL;
	return v;
}

/* Returns *fd and sets it to -1. */
static inline int steal_fd(int *fd)
{
	int v = *fd;

	*fd = -1;
	return v;
}

#endif
