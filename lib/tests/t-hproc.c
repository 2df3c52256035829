/* Unit tests of the process helpers: a child's signals before exec. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hproc.h"

static void on_usr1(int sig)
{
}

static void test_signals_reset_for_exec(void **state)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, cur;
	sigset_t block, mask;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);

	signals_reset_for_exec();

	sigaction(SIGPIPE, NULL, &cur);
	assert_true(cur.sa_handler == SIG_DFL);
	sigaction(SIGUSR1, NULL, &cur);
	assert_true(cur.sa_handler == SIG_DFL);
	sigprocmask(SIG_SETMASK, NULL, &mask);
	assert_false(sigismember(&mask, SIGTERM));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signals_reset_for_exec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
