/* waitfor: the wait-for graph of a workload's lock table (deadlock). */
#ifndef GUEST_WAITFOR_H
#define GUEST_WAITFOR_H

#include <cjson/cJSON.h>

/* From a state document with "threads": [{"id", "holds": [...],
 * "waits_for": lock|null}], build {"nodes", "edges": [{"from", "to",
 * "lock"}], "cycle": [ids, first repeated] | null, "text"}. Returns NULL
 * when the state has no lock table. */
cJSON *waitfor_graph(const cJSON *state);

#endif
