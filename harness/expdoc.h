/* The registry speaks to users: `harness experiments [NAME]` and the
 * generated part of harness-suite(5), from the descriptors alone. */
#ifndef HARNESS_EXPDOC_H
#define HARNESS_EXPDOC_H

#include <stdio.h>

#include "util.h"

/* Every experiment: its settings with their values and defaults, its metrics
 * with their units. */
void expdoc_list(FILE *f);
/* One experiment in full; -ENOENT (err names the known ones) when unknown. */
int expdoc_show(FILE *f, const char *name, struct herror *err);
/* The EXPERIMENTS section of harness-suite(5), in man(7) roff. */
void expdoc_man(FILE *f);

#endif
