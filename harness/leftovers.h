/* What a standing guest (vm up) may still carry when a run borrows it: the
 * project's leftovers from earlier runs or from a user exploring it with
 * `harness vm exec` (memwatch loaded, perhaps with other parameters; the
 * runner, workloads, a harness-runtime supervisor or containers still
 * running; the runtime's cgroups, bridge and mounts; runner scratch files;
 * a hot-plugged scratch disk or NIC). A run borrows a guest only once they
 * are cleaned; what cannot be cleaned gets a fresh guest instead, and the
 * record says which (its "borrowed" list, run.schema.json).
 *
 * The check and the clean-up are one shell script run through the guest
 * agent; it prints "found WHAT" for each leftover and "left WHAT" for each
 * that is still there after the clean-up. */
#ifndef HARNESS_LEFTOVERS_H
#define HARNESS_LEFTOVERS_H

#include <cjson/cJSON.h>
#include <libvirt/libvirt.h>

#include "util.h"

/* The script (for tests). */
extern const char leftovers_script[];

/* The "found" and "left" lines of the script's output into a new entry
 * {"found": [...], "left": [...]}. */
cJSON *leftovers_parse(const char *out);

/* Leftovers of dom's devices (the domain XML): a hot-plugged scratch disk,
 * its SCSI controller, a NIC on a run's isolated network. They cannot be
 * cleaned from inside: added to entry's "found" and "left". */
void leftovers_devices(virDomainPtr dom, cJSON *entry);

/* Check dom and clean it. *entry (new) gets "found", "left" and "action":
 * "none" (nothing found), "cleaned", or "fresh-guest" (something is left:
 * the caller must not borrow it). Returns 0 when it may be borrowed, 1 when
 * not, or a negative errno when the guest could not be asked (err). */
int leftovers_clean(virDomainPtr dom, const char *name, cJSON **entry, struct herror *err);

#endif
