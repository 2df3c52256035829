/* The Banker's algorithm on textbook inputs (Silberschatz, Operating System
 * Concepts, the 5-process 3-resource example and its exercises). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "banker.h"

static void textbook(struct banker *b)
{
	static const uint64_t max[5][3] = { { 7, 5, 3 }, { 3, 2, 2 }, { 9, 0, 2 }, { 2, 2, 2 }, { 4, 3, 3 } };
	static const uint64_t alloc[5][3] = { { 0, 1, 0 }, { 2, 0, 0 }, { 3, 0, 2 }, { 2, 1, 1 }, { 0, 0, 2 } };

	memset(b, 0, sizeof(*b));
	b->nproc = 5;
	b->nres = 3;
	b->available[0] = 3; b->available[1] = 3; b->available[2] = 2;
	memcpy(b->max, max, sizeof(max));
	for (int p = 0; p < 5; p++)
		memcpy(b->alloc[p], alloc[p], sizeof(alloc[p]));
	for (int p = 0; p < 5; p++)
		memcpy(b->max[p], max[p], sizeof(max[p]));
}

/* Replays seq and checks every step really fits. */
static int sequence_is_valid(const struct banker *b, const int *seq)
{
	uint64_t work[BANKER_MAX_RES];
	int seen[BANKER_MAX_PROCS] = { 0 };

	memcpy(work, b->available, sizeof(work));
	for (int i = 0; i < b->nproc; i++) {
		int p = seq[i];
		if (p < 0 || p >= b->nproc || seen[p]++)
			return 0;
		for (int r = 0; r < b->nres; r++)
			if (b->max[p][r] - b->alloc[p][r] > work[r])
				return 0;
		for (int r = 0; r < b->nres; r++)
			work[r] += b->alloc[p][r];
	}
	return 1;
}

static void textbook_state_is_safe(void **state)
{
	struct banker b;
	int seq[5];
	const int expect[5] = { 1, 3, 4, 0, 2 };

	textbook(&b);
	assert_int_equal(banker_safe_sequence(&b, seq), 1);
	assert_true(sequence_is_valid(&b, seq));
	assert_memory_equal(seq, expect, sizeof(expect));
}

static void p1_request_102_is_granted(void **state)
{
	struct banker b;
	const uint64_t req[3] = { 1, 0, 2 };
	int seq[5];

	textbook(&b);
	assert_int_equal(banker_request_is_safe(&b, 1, req, seq), 1);
}

static void p4_request_330_is_not_available(void **state)
{
	struct banker b;
	const uint64_t first[3] = { 1, 0, 2 }, req[3] = { 3, 3, 0 };

	textbook(&b);
	/* After P1's (1,0,2) is granted, available is (2,3,0). */
	for (int r = 0; r < 3; r++) {
		b.available[r] -= first[r];
		b.alloc[1][r] += first[r];
	}
	assert_int_equal(banker_request_is_safe(&b, 4, req, NULL), 0);
}

static void p0_request_020_is_unsafe(void **state)
{
	struct banker b;
	const uint64_t first[3] = { 1, 0, 2 }, req[3] = { 0, 2, 0 };

	textbook(&b);
	for (int r = 0; r < 3; r++) {
		b.available[r] -= first[r];
		b.alloc[1][r] += first[r];
	}
	assert_int_equal(banker_request_is_safe(&b, 0, req, NULL), 0);
}

static void request_above_claim_is_invalid(void **state)
{
	struct banker b;
	const uint64_t req[3] = { 2, 0, 0 };	/* P1 may still ask for (1,2,2) */

	textbook(&b);
	assert_int_equal(banker_request_is_safe(&b, 1, req, NULL), -EINVAL);
}

static void unsafe_state_has_no_sequence(void **state)
{
	struct banker b;

	/* Two processes each holding one of two units and needing both. */
	memset(&b, 0, sizeof(b));
	b.nproc = 2;
	b.nres = 1;
	b.available[0] = 0;
	b.max[0][0] = b.max[1][0] = 2;
	b.alloc[0][0] = b.alloc[1][0] = 1;
	assert_int_equal(banker_safe_sequence(&b, NULL), 0);
}

static void allocation_above_max_is_rejected(void **state)
{
	struct banker b;

	textbook(&b);
	b.alloc[2][0] = 10;
	assert_int_equal(banker_safe_sequence(&b, NULL), -EINVAL);
	b.alloc[2][0] = 3;
	b.nres = BANKER_MAX_RES + 1;
	assert_int_equal(banker_safe_sequence(&b, NULL), -EINVAL);
}

static void empty_system_is_safe(void **state)
{
	struct banker b;

	memset(&b, 0, sizeof(b));
	b.nres = 1;
	assert_int_equal(banker_safe_sequence(&b, NULL), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(textbook_state_is_safe),
		cmocka_unit_test(p1_request_102_is_granted),
		cmocka_unit_test(p4_request_330_is_not_available),
		cmocka_unit_test(p0_request_020_is_unsafe),
		cmocka_unit_test(request_above_claim_is_invalid),
		cmocka_unit_test(unsafe_state_has_no_sequence),
		cmocka_unit_test(allocation_above_max_is_rejected),
		cmocka_unit_test(empty_system_is_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
