/* Run ids: what may name a run's state directory, and the id of a results
 * directory given with a trailing slash (an empty id made the clean-up
 * remove every run's state). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <libvirt/virterror.h>

#include "hproc.h"
#include "provision.h"
#include "run.h"

static void test_valid(void **state)
{
	char longid[RUN_ID_MAX + 2];

	(void)state;
	assert_true(run_id_valid("20261129-224508-quick"));
	assert_true(run_id_valid("a.b_c-D9"));
	assert_false(run_id_valid(""));
	assert_false(run_id_valid("."));
	assert_false(run_id_valid(".."));
	assert_false(run_id_valid("a/b"));
	assert_false(run_id_valid("a b"));
	assert_false(run_id_valid("x\n"));
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_false(run_id_valid(longid));
	longid[RUN_ID_MAX] = '\0';
	assert_true(run_id_valid(longid));
}

static void test_of_dir(void **state)
{
	char tmp[] = "/tmp/harness-test-runid.XXXXXX";
	char path[128], bad[256];
	struct herror err = { 0 };
	char *id, *dir;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/20261129-224508-quick", tmp);
	assert_int_equal(mkdir(path, 0755), 0);

	/* As shell completion writes it: a trailing slash, or two. */
	snprintf(bad, sizeof(bad), "%s/", path);
	assert_int_equal(run_id_of_dir(bad, &id, &dir, &err), 0);
	assert_string_equal(id, "20261129-224508-quick");
	assert_string_equal(dir, path);
	free(id);
	free(dir);
	snprintf(bad, sizeof(bad), "%s//.//", path);
	assert_int_equal(run_id_of_dir(bad, &id, &dir, &err), 0);
	assert_string_equal(id, "20261129-224508-quick");
	free(id);
	free(dir);

	/* A directory whose name is no run id, and one that does not exist. */
	snprintf(bad, sizeof(bad), "%s/a b", tmp);
	assert_int_equal(mkdir(bad, 0755), 0);
	assert_true(run_id_of_dir(bad, &id, &dir, &err) < 0);
	assert_null(id);
	assert_non_null(strstr(err.msg, "is not a run id"));
	rmdir(bad);
	error_clear(&err);
	snprintf(bad, sizeof(bad), "%s/none/", tmp);
	assert_true(run_id_of_dir(bad, &id, &dir, &err) < 0);
	assert_non_null(strstr(err.msg, "cannot resolve results directory"));
	rmdir(path);
	rmdir(tmp);
}

/* Issue 24: a run's state directory is taken over only when its owner is
 * gone (pid and start time), and nothing under the state directory's runs/
 * that is not a directory named like a run id is touched. The libvirt side
 * is libvirt's own test driver (test:///default, in this process). */
static void put_owner(const char *dir, const char *text)
{
	char path[512];

	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/owner.pid", dir);
	assert_int_equal(write_file(path, text, strlen(text), 0644, NULL), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void quiet(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

static void test_cleanup_only_dead_runs(void **state)
{
	char tmp[] = "/tmp/test_runid.XXXXXX", runs[256], p[512], text[128];
	unsigned long long start;
	struct provision pv = { 0 };
	struct herror err = { 0 };
	virConnectPtr conn;
	pid_t child;
	int st;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	setenv("HARNESS_STATE_DIR", tmp, 1);
	snprintf(runs, sizeof(runs), "%s/runs", tmp);
	assert_int_equal(mkdir(runs, 0755), 0);
	/* Alive: this process, with its start time. */
	assert_int_equal(proc_start_time(getpid(), &start), 0);
	snprintf(text, sizeof(text), "%d %llu\n", (int)getpid(), start);
	snprintf(p, sizeof(p), "%s/20260101-000000-live", runs);
	put_owner(p, text);
	/* Gone: a child that has ended and been reaped. */
	child = fork();
	if (child == 0)
		_exit(0);
	assert_true(child > 0);
	waitpid(child, &st, 0);
	snprintf(text, sizeof(text), "%d %llu\n", (int)child, start);
	snprintf(p, sizeof(p), "%s/20260101-000000-dead", runs);
	put_owner(p, text);
	/* This pid, another start time: the pid was reused, the run is gone. */
	snprintf(text, sizeof(text), "%d %llu\n", (int)getpid(), start + 1);
	snprintf(p, sizeof(p), "%s/20260101-000000-reused", runs);
	put_owner(p, text);
	/* Not ours to touch: a plain file, a name of another shape, a link,
	 * a garbled owner, a directory just made (no owner yet). */
	snprintf(p, sizeof(p), "%s/notes.txt", runs);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s/not a run", runs);
	put_owner(p, "1 1\n");
	snprintf(p, sizeof(p), "%s/20260101-000000-link", runs);
	assert_int_equal(symlink(tmp, p), 0);
	snprintf(p, sizeof(p), "%s/20260101-000000-garbled", runs);
	put_owner(p, "x\n");
	snprintf(p, sizeof(p), "%s/20260101-000000-starting", runs);
	assert_int_equal(mkdir(p, 0755), 0);

	virSetErrorFunc(NULL, quiet);
	conn = virConnectOpen("test:///default");
	assert_non_null(conn);
	provision_cleanup_stale(conn);
	snprintf(p, sizeof(p), "%s/20260101-000000-live/owner.pid", runs);
	assert_true(exists(p));
	snprintf(p, sizeof(p), "%s/20260101-000000-dead", runs);
	assert_false(exists(p));
	snprintf(p, sizeof(p), "%s/20260101-000000-reused", runs);
	assert_false(exists(p));
	for (const char *const *k = (const char *const[]){ "notes.txt", "not a run/owner.pid", "20260101-000000-link",
							   "20260101-000000-garbled/owner.pid",
							   "20260101-000000-starting", NULL }; *k; k++) {
		snprintf(p, sizeof(p), "%s/%s", runs, *k);
		if (!exists(p))
			fail_msg("'%s' was removed", *k);
	}
	/* Claiming: a live owner's run is refused with its pid; ours is fine. */
	assert_int_equal(provision_claim(&pv, "20260101-000000-live", &err), 0);	/* this process owns it */
	free(pv.state_run_dir);
	free(pv.pool_name);
	child = fork();
	if (child == 0) {
		struct provision cpv = { 0 };
		struct herror cerr = { 0 };
		int r = provision_claim(&cpv, "20260101-000000-live", &cerr);

		_exit(r == -EBUSY && strstr(cerr.msg, "is still running (pid ") ? 0 : 1);
	}
	assert_true(child > 0);
	waitpid(child, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	virConnectClose(conn);
	snprintf(p, sizeof(p), "rm -rf '%s'", tmp);
	assert_int_equal(system(p), 0);
	unsetenv("HARNESS_STATE_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_of_dir),
		cmocka_unit_test(test_cleanup_only_dead_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
