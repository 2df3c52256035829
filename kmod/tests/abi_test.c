// SPDX-License-Identifier: GPL-2.0
/*
 * abi_test: the layout of memwatch.h's structs is the contract with user
 * space; a change of size or offset breaks existing binaries, so every one
 * is pinned here (the same on 32- and 64-bit: no implicit padding).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <cmocka.h>

#include "memwatch.h"

static void test_register_layout(void **state)
{
	assert_int_equal(sizeof(struct memwatch_register), 48);
	assert_int_equal(offsetof(struct memwatch_register, pid), 8);
	assert_int_equal(offsetof(struct memwatch_register, soft_limit), 16);
	assert_int_equal(offsetof(struct memwatch_register, hard_limit), 24);
	assert_int_equal(offsetof(struct memwatch_register, reserved), 32);
}

static void test_unregister_query_list_layout(void **state)
{
	assert_int_equal(sizeof(struct memwatch_unregister), 24);
	assert_int_equal(sizeof(struct memwatch_entry), 56);
	assert_int_equal(offsetof(struct memwatch_entry, rss), 8);
	assert_int_equal(sizeof(struct memwatch_query), 80);
	assert_int_equal(offsetof(struct memwatch_query, entry), 16);
	assert_int_equal(sizeof(struct memwatch_list), 40);
	assert_int_equal(offsetof(struct memwatch_list, entries), 16);
	assert_int_equal(offsetof(struct memwatch_list, count), 24);
}

static void test_event_layout(void **state)
{
	assert_int_equal(sizeof(struct memwatch_event), 48);
	assert_int_equal(offsetof(struct memwatch_event, time_ns), 8);
	assert_int_equal(offsetof(struct memwatch_event, limit), 32);
	assert_int_equal(offsetof(struct memwatch_event, lost), 40);
}

static void test_ioctl_numbers_encode_sizes(void **state)
{
	assert_int_equal(_IOC_SIZE(MEMWATCH_IOC_REGISTER), sizeof(struct memwatch_register));
	assert_int_equal(_IOC_SIZE(MEMWATCH_IOC_UNREGISTER), sizeof(struct memwatch_unregister));
	assert_int_equal(_IOC_SIZE(MEMWATCH_IOC_QUERY), sizeof(struct memwatch_query));
	assert_int_equal(_IOC_SIZE(MEMWATCH_IOC_LIST), sizeof(struct memwatch_list));
	assert_int_equal(_IOC_DIR(MEMWATCH_IOC_QUERY), _IOC_READ | _IOC_WRITE);
	assert_int_equal(_IOC_TYPE(MEMWATCH_IOC_REGISTER), MEMWATCH_IOC_MAGIC);
	assert_int_not_equal(MEMWATCH_IOC_REGISTER, MEMWATCH_IOC_UNREGISTER);
}

static void test_limits_and_flags(void **state)
{
	assert_true(MEMWATCH_LIMIT_MAX == (1ULL << 50));
	assert_int_equal(MEMWATCH_REGISTER_FLAGS, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_layout),
		cmocka_unit_test(test_unregister_query_list_layout),
		cmocka_unit_test(test_event_layout),
		cmocka_unit_test(test_ioctl_numbers_encode_sizes),
		cmocka_unit_test(test_limits_and_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
