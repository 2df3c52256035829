/* The runtime's own small helpers. Errors, file I/O, clocks and the
 * cleanup attributes are lib/'s (herror.h, hfile.h, hclock.h, hcleanup.h),
 * included here for every runtime module. */
#ifndef RT_UTIL_H
#define RT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "hcleanup.h"
#include "hclock.h"
#include "herror.h"
#include "hfile.h"

/* Parses "123", "64k", "256M", "2G" (binary units) into bytes. */
int parse_size(const char *s, uint64_t *out);

/* A container name: 1 to 63 characters of [A-Za-z0-9_.-], not starting with '.'. */
int name_is_valid(const char *name);

#endif
