/* The standing guests vm1 and vm2 (`harness vm up`): their settings and where
 * their files live. Below both the guests of a run (which may borrow them)
 * and the vm command (which boots them). */
#ifndef HARNESS_STANDING_H
#define HARNESS_STANDING_H

#include <stddef.h>

#include "suite_types.h"

/* The standing guests, in order (vm1, vm2). */
#define STANDING_COUNT 2
extern const struct guest_def standing_guests[STANDING_COUNT];

/* The settings of standing guest NAME, or NULL. */
const struct guest_def *standing_def(const char *name);
/* Directory of the standing guests' overlays and console logs (malloc'd). */
char *standing_dir(void);
/* Path of a standing guest's console log (malloc'd). */
char *standing_console_log(const char *name);

#endif
