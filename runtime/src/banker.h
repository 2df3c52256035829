/* The Banker's algorithm (Dijkstra), pure and allocation-free, for the
 * supervisor's admission control and for teaching on textbook inputs. */
#ifndef RT_BANKER_H
#define RT_BANKER_H

#include <stdint.h>

#define BANKER_MAX_PROCS 64
#define BANKER_MAX_RES   8

struct banker {
	int nproc, nres;
	uint64_t available[BANKER_MAX_RES];
	uint64_t max[BANKER_MAX_PROCS][BANKER_MAX_RES];
	uint64_t alloc[BANKER_MAX_PROCS][BANKER_MAX_RES];
};

/* Returns 1 when a safe sequence exists and writes it to seq (nproc
 * entries), 0 when the state is unsafe, -EINVAL for an inconsistent state
 * (allocation above the claim, sizes out of range). */
int banker_safe_sequence(const struct banker *b, int *seq);

/* Would granting req to process p leave the state safe? 1 yes, 0 no
 * (or the request exceeds the claim or what is available: -EINVAL / 0). */
int banker_request_is_safe(const struct banker *b, int p, const uint64_t *req, int *seq);

#endif
