/* The supervisor's containers and their state on disk: lookup, state.json
 * written atomically, and the reload of every container after a restart. */
#ifndef RT_SV_STATE_H
#define RT_SV_STATE_H

#include <cjson/cJSON.h>
#include "proto.h"
#include "sv_core.h"

/* The container called name, or NULL. */
struct ctr *find(const char *name);
/* Created or running. */
int is_active(const struct ctr *c);
/* Exited, killed, oom-killed or failed. */
int has_ended(const struct ctr *c);
/* STATE/containers/NAME. */
void ctr_dir(const struct ctr *c, char *buf, size_t len);
/* The state file's and inspect's object. */
cJSON *ctr_to_json(const struct ctr *c);
/* Writes STATE/containers/NAME/state.json atomically. */
void save_state(const struct ctr *c);
/* Start time of a pid (tells a reused pid apart), 0 if gone. */
unsigned long long proc_starttime(pid_t pid);
/* A free slot with a new id, or NULL. */
struct ctr *alloc_ctr(void);
/* Reloads every container after a restart; adopts running ones. */
void load_all(void);

#endif
