#include "banker.h"

#include <errno.h>
#include <string.h>

static int check_sizes(const struct banker *b)
{
	if (b->nproc < 0 || b->nproc > BANKER_MAX_PROCS || b->nres < 1 || b->nres > BANKER_MAX_RES)
		return -EINVAL;
	for (int p = 0; p < b->nproc; p++)
		for (int r = 0; r < b->nres; r++)
			if (b->alloc[p][r] > b->max[p][r])
				return -EINVAL;
	return 0;
}

int banker_safe_sequence(const struct banker *b, int *seq)
{
	uint64_t work[BANKER_MAX_RES];
	int finished[BANKER_MAX_PROCS] = { 0 };
	int n = 0;

	if (check_sizes(b) < 0)
		return -EINVAL;
	memcpy(work, b->available, sizeof(work));
	/* Scan round-robin from the process after the last one that finished,
	 * as the textbook walk-through does (Silberschatz, 5 processes, 3
	 * resources: P1, P3, P4, P0, P2). */
	int p = 0, misses = 0;

	while (n < b->nproc) {
		int fits = !finished[p];

		for (int r = 0; fits && r < b->nres; r++)
			if (b->max[p][r] - b->alloc[p][r] > work[r])
				fits = 0;
		if (fits) {
			for (int r = 0; r < b->nres; r++)
				work[r] += b->alloc[p][r];
			finished[p] = 1;
			if (seq)
				seq[n] = p;
			n++;
			misses = 0;
		} else if (++misses >= b->nproc) {
			return 0;
		}
		p = (p + 1) % b->nproc;
	}
	return 1;
}

int banker_request_is_safe(const struct banker *b, int p, const uint64_t *req, int *seq)
{
	struct banker t;

	if (check_sizes(b) < 0 || p < 0 || p >= b->nproc)
		return -EINVAL;
	for (int r = 0; r < b->nres; r++) {
		if (req[r] > b->max[p][r] - b->alloc[p][r])
			return -EINVAL;
		if (req[r] > b->available[r])
			return 0;
	}
	t = *b;
	for (int r = 0; r < b->nres; r++) {
		t.available[r] -= req[r];
		t.alloc[p][r] += req[r];
	}
	return banker_safe_sequence(&t, seq);
}
