/* Unit tests of the process helpers: a child's signals before exec. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hfile.h"
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

/* A pid alone names whatever process has it now: the start time tells
 * the owner of a run from a process that got its pid later. */
static void test_pidfile_owner(void **state)
{
	char dir[] = "/tmp/t-hproc.XXXXXX", path[64], text[64];
	unsigned long long self, child_start;
	pid_t pid, child;
	int st;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/owner.pid", dir);
	assert_int_equal(proc_start_time(getpid(), &self), 0);
	assert_true(self > 0);

	assert_int_equal(pidfile_owner(path, &pid), -ENOENT);
	assert_int_equal(pidfile_write(path, NULL), 0);
	assert_int_equal(pidfile_owner(path, &pid), 1);
	assert_int_equal(pid, getpid());

	/* This process's pid with another start time: a reused pid, gone. */
	snprintf(text, sizeof(text), "%d %llu\n", (int)getpid(), self + 1);
	assert_int_equal(write_file(path, text, strlen(text), 0644, NULL), 0);
	assert_int_equal(pidfile_owner(path, &pid), 0);
	assert_int_equal(pid, getpid());

	/* A child that has ended: a zombie first, then reaped. */
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	snprintf(text, sizeof(text), "%d %llu\n", (int)child, self);
	assert_int_equal(write_file(path, text, strlen(text), 0644, NULL), 0);
	while (waitpid(child, &st, WNOHANG) == 0) {
		/* Alive or a zombie meanwhile; either way, not asserted. */
		usleep(1000);
	}
	assert_int_equal(proc_start_time(child, &child_start), -ESRCH);
	assert_int_equal(pidfile_owner(path, &pid), 0);

	/* The older form: a pid only, alive while that pid is. */
	snprintf(text, sizeof(text), "%d\n", (int)getpid());
	assert_int_equal(write_file(path, text, strlen(text), 0644, NULL), 0);
	assert_int_equal(pidfile_owner(path, &pid), 1);
	assert_int_equal(write_file(path, "x\n", 2, 0644, NULL), 0);
	assert_int_equal(pidfile_owner(path, &pid), -EINVAL);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signals_reset_for_exec),
		cmocka_unit_test(test_pidfile_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
