/* A guest that stopped answering: its console tail names a kernel panic or
 * oops, which goes into the run's error beside the agent's timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "failcause.h"

static void test_panic(void **state)
{
	const char *tail = "[   40.101010] sysrq: Trigger a crash\r\n"
			   "[   40.102020] Kernel panic - not syncing: sysrq triggered crash\r\n"
			   "[   40.103030] CPU: 0 PID: 712 Comm: sh Not tainted\r\n";
	char *c = failcause_console(tail);

	(void)state;
	assert_non_null(c);
	assert_string_equal(c, "kernel panic: Kernel panic - not syncing: sysrq triggered crash");
	free(c);
}

static void test_oops_without_stamp_at_end(void **state)
{
	char *c = failcause_console("booting\nOops: 0002 [#1] PREEMPT SMP");

	(void)state;
	assert_non_null(c);
	assert_string_equal(c, "kernel oops: Oops: 0002 [#1] PREEMPT SMP");
	free(c);
}

static void test_panic_wins_over_bug(void **state)
{
	char *c = failcause_console("[ 1.0] BUG: kernel NULL pointer dereference\n"
				    "[ 1.1] Kernel panic - not syncing: Fatal exception\n");

	(void)state;
	assert_string_equal(c, "kernel panic: Kernel panic - not syncing: Fatal exception");
	free(c);
}

/* A 40-line tail may keep only the panic's closing line. */
static void test_panic_end_line(void **state)
{
	char *c = failcause_console("[   41.0] Kernel Offset: disabled\r\n"
				    "[   41.1] ---[ end Kernel panic - not syncing: sysrq triggered crash ]---\r\n");

	(void)state;
	assert_non_null(c);
	assert_string_equal(c, "kernel panic: Kernel panic - not syncing: sysrq triggered crash");
	free(c);
}

static void test_nothing(void **state)
{
	(void)state;
	assert_null(failcause_console(NULL));
	assert_null(failcause_console(""));
	assert_null(failcause_console("[  OK  ] Started qemu-guest-agent.service\nlogin: "));
}

static void test_long_line_cut(void **state)
{
	char tail[1024] = "Kernel panic - not syncing: ";
	char *c;

	(void)state;
	memset(tail + strlen(tail), 'x', 600);
	c = failcause_console(tail);
	assert_non_null(c);
	assert_int_equal(strlen(c), strlen("kernel panic: ") + 200);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_panic),
		cmocka_unit_test(test_oops_without_stamp_at_end),
		cmocka_unit_test(test_panic_wins_over_bug),
		cmocka_unit_test(test_panic_end_line),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_long_line_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
