/* Suite files (YAML): which guests, which experiments, which settings to
 * vary, how many repeats. The format is documented in docs/suites.md and
 * harness-suite(5). */
#ifndef HARNESS_SUITE_H
#define HARNESS_SUITE_H

#include <stddef.h>
#include <stdio.h>

#include "suite_types.h"
#include "util.h"

/* Limits: a suite file's size, a name's length (suite, guests), the runs
 * of its plan (suite_types.h); the document's shape, checked while it is
 * read, before anything is built from it (libyaml has no limits of its own
 * and some of its work grows with the nesting); the guests and hosts of a
 * suite. Past one, the suite is refused with the line and the limit. */
#define SUITE_MAX_BYTES (1 << 20)
#define SUITE_MAX_DEPTH 32		/* mappings and lists inside one another */
#define SUITE_MAX_KEYS 256		/* keys of one mapping */
#define SUITE_MAX_ITEMS SUITE_MAX_RUNS	/* items of one list (an axis's values at most) */
#define SUITE_MAX_NODES 100000		/* scalars, mappings and lists in the whole document */
#define SUITE_MAX_GUESTS 64
#define SUITE_MAX_HOSTS 64

/* The text of a suite file: a regular file of at most SUITE_MAX_BYTES
 * (a FIFO, a device or a directory is refused before it is read). */
char *suite_read(const char *path, size_t *len, struct herror *err);
/* Parse and validate a suite file; on error, err names file, line and key. */
int suite_load(const char *path, struct suite **out, struct herror *err);
/* Parse from memory (tests); name stands for the file in messages. */
int suite_parse(const char *name, const char *text, size_t len, struct suite **out, struct herror *err);
void suite_free(struct suite *s);
/* Find a suite: an existing path, or NAME in the suites directory. */
char *suite_resolve(const char *name_or_path, const char *suites_dir);
/* Print one line per NAME.yaml in suites_dir, sorted: the name and the
 * first line of the file's header comment (without "# " and a leading
 * "NAME: "), read now so the list is what the directory holds. Returns the
 * number listed, or -1 when the directory cannot be read. */
int suite_list(const char *suites_dir, FILE *out);

/* The NIC models a suite's guest may have (nic_model; "none": no NIC). */
extern const char *const suite_nic_models[];

const struct guest_def *suite_guest(const struct suite *s, const char *name);

#endif
