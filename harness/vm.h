/* harness vm up|down|status: the standing guests vm1 and vm2. */
#ifndef HARNESS_VM_H
#define HARNESS_VM_H

#include "util.h"

/* Boot vm1 (general) and vm2 (security); return when both agents answer. */
int vm_up(const char *payload_root, int timeout_s, struct herror *err);
/* Remove both and their overlays. */
int vm_down(struct herror *err);
/* Run argv (argv[0] an absolute path in the guest) in domain name through
 * the guest agent; prints its output; returns its exit status (128 + signal
 * when killed), or a negative error. */
int vm_exec(const char *name, char *const *argv, double timeout_s, struct herror *err);
/* Print the project's domains and whether their agents answer. */
int vm_status(struct herror *err);

#endif
