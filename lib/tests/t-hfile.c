/* Unit tests of the file helpers on a scratch directory: read_file's limit
 * and real errno, atomic replacement, mkdir -p, and remove_tree, which must
 * not follow symbolic links out of the tree. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "hcleanup.h"
#include "hfile.h"

static char scratch[] = "/tmp/t-hfile.XXXXXX";

static const char *at(const char *rel)
{
	static char paths[8][PATH_MAX];
	static int next;
	char *p = paths[next++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", scratch, rel);
	return p;
}

static void put(const char *rel, const char *text)
{
	FILE *f = fopen(at(rel), "we");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int count_entries(const char *dir)
{
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	return n;
}

static int setup(void **state)
{
	return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **state)
{
	return remove_tree(scratch, NULL);
}

static void test_read_file_whole(void **state)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	put("r", "hello\nworld\n");
	assert_int_equal(read_file(at("r"), 100, &buf, &len, NULL), 0);
	assert_string_equal(buf, "hello\nworld\n");
	assert_int_equal(len, 12);
	free(buf);
	put("empty", "");
	assert_int_equal(read_file(at("empty"), 0, &buf, &len, NULL), 0);
	assert_string_equal(buf, "");
	assert_int_equal(len, 0);
}

static void test_read_file_limit(void **state)
{
	struct herror err = { 0 };
	cleanup_free char *buf = NULL;
	char *none = NULL;
	size_t len = 0;

	put("big", "0123456789");
	assert_int_equal(read_file(at("big"), 10, &buf, &len, &err), 0);
	assert_int_equal(len, 10);
	assert_int_equal(read_file(at("big"), 9, &none, NULL, &err), -EFBIG);
	assert_null(none);
	assert_non_null(strstr(err.msg, "larger than 9 bytes"));
	assert_non_null(strstr(err.msg, at("big")));
}

static void test_read_file_real_errno(void **state)
{
	struct herror err = { 0 };
	char *buf = NULL;

	assert_int_equal(read_file(at("missing"), 10, &buf, NULL, &err), -ENOENT);
	assert_int_equal(err.status, ENOENT);
	assert_non_null(strstr(err.msg, "cannot open '"));
	assert_non_null(strstr(err.msg, "no such file or directory"));
	error_clear(&err);
	/* A directory opens, and read(2) says why it cannot be read. */
	assert_int_equal(read_file(scratch, 10, &buf, NULL, &err), -EISDIR);
	assert_int_equal(err.status, EISDIR);
	assert_null(buf);
}

static void test_read_fd_pipe(void **state)
{
	cleanup_free char *buf = NULL;
	int p[2];
	size_t len;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "abc", 3), 3);
	close(p[1]);
	assert_int_equal(read_fd(p[0], "stdin", 1 << 20, &buf, &len, NULL), 0);
	close(p[0]);
	assert_string_equal(buf, "abc");
}

static void test_read_file_buf_and_tail(void **state)
{
	char buf[5];

	put("t", "0123456789");
	assert_int_equal(read_file_buf(at("t"), buf, sizeof(buf)), 4);
	assert_string_equal(buf, "0123");
	assert_int_equal(read_file_tail(at("t"), buf, sizeof(buf)), 4);
	assert_string_equal(buf, "6789");
	put("s", "ab");
	assert_int_equal(read_file_tail(at("s"), buf, sizeof(buf)), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(read_file_buf(at("nope"), buf, sizeof(buf)), -ENOENT);
	assert_int_equal(read_file_tail(at("nope"), buf, sizeof(buf)), -ENOENT);
}

static void test_write_file_atomic_replaces(void **state)
{
	cleanup_free char *buf = NULL;
	struct stat st;

	assert_int_equal(mkdir(at("w"), 0755), 0);
	put("w/f", "old contents, longer");
	assert_int_equal(write_file_atomic(at("w/f"), "new", 3, 0640, NULL), 0);
	assert_int_equal(read_file(at("w/f"), 100, &buf, NULL, NULL), 0);
	assert_string_equal(buf, "new");
	assert_int_equal(stat(at("w/f"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640 & ~0022 & 0777);
	/* No temporary file is left beside it. */
	assert_int_equal(count_entries(at("w")), 1);
	assert_int_equal(write_file_replace(at("w/g"), "x", 1, 0600, NULL), 0);
	assert_int_equal(count_entries(at("w")), 2);
}

static void test_write_file_atomic_failure(void **state)
{
	struct herror err = { 0 };

	assert_int_equal(write_file_atomic(at("no/such/dir/f"), "x", 1, 0644, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "cannot create '"));
	assert_false(exists(at("no")));
}

static void test_write_file_truncates(void **state)
{
	cleanup_free char *buf = NULL;

	put("p", "0123456789");
	assert_int_equal(write_file(at("p"), "ab", 2, 0600, NULL), 0);
	assert_int_equal(read_file(at("p"), 100, &buf, NULL, NULL), 0);
	assert_string_equal(buf, "ab");
}

static void test_mkdir_p(void **state)
{
	struct herror err = { 0 };
	struct stat st;

	assert_int_equal(mkdir_p(at("m/a//b/c/"), 0755, &err), 0);
	assert_int_equal(stat(at("m/a/b/c"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(mkdir_p(at("m/a/b/c"), 0755, &err), 0);
	put("m/file", "x");
	assert_int_equal(mkdir_p(at("m/file"), 0755, &err), -ENOTDIR);
	error_clear(&err);
	assert_int_equal(mkdir_p(at("m/file/sub"), 0755, &err), -ENOTDIR);
	assert_non_null(strstr(err.msg, "cannot create directory '"));
}

static void test_remove_tree_does_not_follow_links(void **state)
{
	struct herror err = { 0 };

	/* outside/ must survive links to it from inside the tree. */
	assert_int_equal(mkdir_p(at("outside/keep"), 0755, NULL), 0);
	put("outside/keep/precious", "x");
	assert_int_equal(mkdir_p(at("tree/a/b/c"), 0755, NULL), 0);
	put("tree/a/f", "1");
	put("tree/a/b/c/g", "2");
	assert_int_equal(symlink(at("outside"), at("tree/a/b/dirlink")), 0);
	assert_int_equal(symlink(at("outside/keep/precious"), at("tree/filelink")), 0);
	assert_int_equal(symlink("/nonexistent", at("tree/dangling")), 0);
	assert_int_equal(mkfifo(at("tree/a/fifo"), 0600), 0);
	assert_int_equal(chmod(at("tree/a/b/c"), 0500), 0);  /* root ignores it; others: EACCES */
	assert_int_equal(chmod(at("tree/a/b/c"), 0700), 0);

	assert_int_equal(remove_tree(at("tree"), &err), 0);
	assert_false(exists(at("tree")));
	assert_true(exists(at("outside/keep/precious")));
}

static void test_remove_tree_link_at_top(void **state)
{
	assert_int_equal(mkdir_p(at("target/sub"), 0755, NULL), 0);
	assert_int_equal(symlink(at("target"), at("toplink")), 0);
	assert_int_equal(remove_tree(at("toplink"), NULL), 0);
	assert_false(exists(at("toplink")));
	assert_true(exists(at("target/sub")));
}

static void test_remove_tree_missing_and_file(void **state)
{
	assert_int_equal(remove_tree(at("never-was"), NULL), 0);
	put("lone", "x");
	assert_int_equal(remove_tree(at("lone"), NULL), 0);
	assert_false(exists(at("lone")));
}

/* In a private mount namespace (a child process; the host's mounts are not
 * touched): a tmpfs and a bind mount of the same file system inside the
 * tree stop remove_tree with EBUSY, and what is mounted there survives. */
static int mounts_child(void)
{
	struct herror err = { 0 };

	if (unshare(CLONE_NEWNS) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return 77;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 77;
	if (mkdir_p(at("mt/tmpfs"), 0755, NULL) < 0 || mkdir_p(at("mt/bind"), 0755, NULL) < 0 ||
	    mkdir_p(at("src"), 0755, NULL) < 0)
		return 1;
	put("src/kept", "x");
	if (mount("tmpfs", at("mt/tmpfs"), "tmpfs", 0, "size=1m") < 0 ||
	    mount(at("src"), at("mt/bind"), NULL, MS_BIND, NULL) < 0)
		return 77;
	put("mt/tmpfs/kept", "y");
	put("mt/loose", "z");
	if (remove_tree(at("mt"), &err) != -EBUSY || !strstr(err.msg, "mounted"))
		return 2;
	if (!exists(at("mt/tmpfs/kept")) || !exists(at("mt/bind/kept")) || !exists(at("src/kept")))
		return 3;
	if (exists(at("mt/loose")))
		return 4;
	umount(at("mt/tmpfs"));
	umount(at("mt/bind"));
	return remove_tree(at("mt"), NULL) == 0 && !exists(at("mt")) ? 0 : 5;
}

static void test_remove_tree_stops_at_mounts(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(mounts_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 77) {
		assert_int_equal(WEXITSTATUS(status), 0);
		assert_true(exists(at("src/kept")));
		return;
	}
	/* No mount namespace here: at least the failure of one entry is
	 * reported with its path (a read-only directory stops non-root). */
	assert_int_equal(mkdir_p(at("ro/d"), 0755, NULL), 0);
	put("ro/d/f", "x");
	assert_int_equal(chmod(at("ro/d"), 0500), 0);
	status = remove_tree(at("ro"), NULL);
	assert_int_equal(chmod(at("ro/d"), 0755), 0);
	assert_int_equal(status, geteuid() == 0 ? 0 : -EACCES);
	assert_int_equal(remove_tree(at("ro"), NULL), 0);
}

/* A results directory is untrusted: links planted in it are refused, never
 * followed, whether the file or a directory on the way is the link. */
static void test_read_beneath_refuses_links(void **state)
{
	cleanup_free char *buf = NULL;
	struct herror err = { 0 };

	assert_int_equal(mkdir_p(at("rd/runs"), 0755, NULL), 0);
	assert_int_equal(mkdir(at("outside2"), 0755), 0);
	put("outside2/secret", "secret\n");
	put("rd/runs/a.json", "{}");
	assert_int_equal(read_file_beneath(at("rd"), "runs/a.json", 100, &buf, NULL, &err), 0);
	assert_string_equal(buf, "{}");
	free(steal_pointer(&buf));

	assert_int_equal(symlink(at("outside2/secret"), at("rd/suite.yaml")), 0);
	assert_int_equal(read_file_beneath(at("rd"), "suite.yaml", 100, &buf, NULL, &err), -ELOOP);
	assert_null(buf);
	assert_non_null(strstr(err.msg, "suite.yaml': a symbolic link (not followed)"));
	error_clear(&err);

	assert_int_equal(symlink(at("outside2"), at("rd/linkdir")), 0);
	assert_int_equal(read_file_beneath(at("rd"), "linkdir/secret", 100, &buf, NULL, &err), -ELOOP);
	assert_non_null(strstr(err.msg, "'linkdir' is a symbolic link"));
	error_clear(&err);

	/* A path that climbs out is not a path below the directory. */
	assert_int_equal(read_file_beneath(at("rd"), "../outside2/secret", 100, &buf, NULL, &err), -EINVAL);
	assert_int_equal(read_file_beneath(at("rd"), "/etc/passwd", 100, &buf, NULL, &err), -EINVAL);
	assert_null(buf);
}

static void test_read_beneath_refuses_special_and_big(void **state)
{
	cleanup_free char *buf = NULL;
	struct herror err = { 0 };

	assert_int_equal(mkdir(at("sp"), 0755), 0);
	assert_int_equal(mkfifo(at("sp/compare.json"), 0644), 0);
	/* A FIFO with no writer would block a plain open: refused at once. */
	assert_int_equal(read_file_beneath(at("sp"), "compare.json", 100, &buf, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "compare.json': a FIFO, not a regular file"));
	error_clear(&err);
	assert_int_equal(mkdir(at("sp/d"), 0755), 0);
	assert_int_equal(read_file_beneath(at("sp"), "d", 100, &buf, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "a directory"));
	error_clear(&err);
	put("sp/big", "0123456789");
	assert_int_equal(read_file_beneath(at("sp"), "big", 9, &buf, NULL, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "larger than 9 bytes"));
	assert_int_equal(read_file_beneath(at("sp"), "big", 10, &buf, NULL, NULL), 0);
	assert_string_equal(buf, "0123456789");
}

/* The temporary file of an atomic write is created, never opened: a link
 * planted under its name is not written through. */
static void test_write_atomic_never_through_planted_link(void **state)
{
	cleanup_free char *buf = NULL;
	char tmp[PATH_MAX];

	assert_int_equal(mkdir(at("pl"), 0755), 0);
	put("pl/victim", "victim");
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", at("pl/out"), (int)getpid());
	assert_int_equal(symlink(at("pl/victim"), tmp), 0);
	assert_int_equal(write_file_atomic(at("pl/out"), "new", 3, 0644, NULL), 0);
	assert_int_equal(read_file(at("pl/victim"), 100, &buf, NULL, NULL), 0);
	assert_string_equal(buf, "victim");
	free(steal_pointer(&buf));
	assert_int_equal(read_file(at("pl/out"), 100, &buf, NULL, NULL), 0);
	assert_string_equal(buf, "new");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_file_whole),
		cmocka_unit_test(test_read_file_limit),
		cmocka_unit_test(test_read_file_real_errno),
		cmocka_unit_test(test_read_fd_pipe),
		cmocka_unit_test(test_read_file_buf_and_tail),
		cmocka_unit_test(test_write_file_atomic_replaces),
		cmocka_unit_test(test_write_file_atomic_failure),
		cmocka_unit_test(test_write_file_truncates),
		cmocka_unit_test(test_mkdir_p),
		cmocka_unit_test(test_remove_tree_does_not_follow_links),
		cmocka_unit_test(test_remove_tree_link_at_top),
		cmocka_unit_test(test_remove_tree_missing_and_file),
		cmocka_unit_test(test_remove_tree_stops_at_mounts),
		cmocka_unit_test(test_read_beneath_refuses_links),
		cmocka_unit_test(test_read_beneath_refuses_special_and_big),
		cmocka_unit_test(test_write_atomic_never_through_planted_link),
	};

	umask(022);
	return cmocka_run_group_tests(tests, setup, teardown);
}
