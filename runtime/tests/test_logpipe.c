/* Logging: whole lines, none lost, none interleaved, rotation at the bound,
 * with many more lines than the bounded buffer holds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <pthread.h>
#include <cmocka.h>
#include "logpipe.h"

#define LINES 5000

struct writer { int fd; char tag; };

static void *write_lines(void *arg)
{
	struct writer *w = arg;
	char line[128];

	for (int i = 0; i < LINES; i++) {
		/* Partial writes: each line in two pieces to tempt interleaving. */
		int n = snprintf(line, sizeof(line), "%c%05d-%s\n", w->tag, i, "xxxxxxxxxxxxxxxxxxxxxxxx");
		write_all(w->fd, line, 10);
		write_all(w->fd, line + 10, (size_t)n - 10);
	}
	close(w->fd);
	return NULL;
}

static void count_file(const char *path, int *seen_o, int *seen_e, int *bad)
{
	FILE *f = fopen(path, "r");
	char line[256];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		int i;
		char tag;

		if (sscanf(line, "%c%05d-", &tag, &i) != 2 || strlen(line) != 32 || i < 0 || i >= LINES ||
		    strcmp(line + 7, "xxxxxxxxxxxxxxxxxxxxxxxx\n")) {
			(*bad)++;
			continue;
		}
		if (tag == 'o')
			seen_o[i]++;
		else if (tag == 'e')
			seen_e[i]++;
		else
			(*bad)++;
	}
	fclose(f);
}

static void every_line_arrives_whole(void **state)
{
	char dir[] = "/tmp/hrt-logtest-XXXXXX", path[256], rot[270];
	int o[2], e[2], np[2];
	pthread_t t1, t2;
	struct writer w1, w2;
	static int seen_o[LINES], seen_e[LINES];
	int bad = 0;
	uint32_t id = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	snprintf(rot, sizeof(rot), "%s/log.1", dir);
	assert_int_equal(pipe(o), 0);
	assert_int_equal(pipe(e), 0);
	assert_int_equal(pipe(np), 0);
	assert_int_equal(logsys_start(np[1], NULL), 0);
	/* 2 x 5000 x 32 bytes = 320000 bytes; a 1 MiB bound keeps one file. */
	assert_int_equal(log_stream_open(path, 1 << 20, o[0], e[0], 42, NULL), 0);
	w1 = (struct writer){ o[1], 'o' };
	w2 = (struct writer){ e[1], 'e' };
	pthread_create(&t1, NULL, write_lines, &w1);
	pthread_create(&t2, NULL, write_lines, &w2);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_int_equal(read(np[0], &id, sizeof(id)), (ssize_t)sizeof(id));
	assert_int_equal(id, 42);
	logsys_stop();
	count_file(path, seen_o, seen_e, &bad);
	assert_int_equal(bad, 0);
	for (int i = 0; i < LINES; i++) {
		assert_int_equal(seen_o[i], 1);
		assert_int_equal(seen_e[i], 1);
	}
	unlink(path);
	rmdir(dir);
}

static void log_rotates_at_the_bound(void **state)
{
	char dir[] = "/tmp/hrt-logtest-XXXXXX", path[256], rot[270];
	int o[2], np[2];
	struct writer w;
	static int seen_o[LINES], seen_e[LINES];
	int bad = 0;
	uint32_t id;
	struct stat st;

	memset(seen_o, 0, sizeof(seen_o));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	snprintf(rot, sizeof(rot), "%s/log.1", dir);
	assert_int_equal(pipe(o), 0);
	assert_int_equal(pipe(np), 0);
	assert_int_equal(logsys_start(np[1], NULL), 0);
	assert_int_equal(log_stream_open(path, 64 * 1024, o[0], -1, 7, NULL), 0);
	w = (struct writer){ o[1], 'o' };
	write_lines(&w);
	assert_int_equal(read(np[0], &id, sizeof(id)), (ssize_t)sizeof(id));
	logsys_stop();
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size <= 64 * 1024);
	assert_int_equal(stat(rot, &st), 0);
	assert_true(st.st_size <= 64 * 1024);
	/* The newest lines are kept, whole, and in order across the two files. */
	count_file(rot, seen_o, seen_e, &bad);
	count_file(path, seen_o, seen_e, &bad);
	assert_int_equal(bad, 0);
	assert_int_equal(seen_o[LINES - 1], 1);
	unlink(path);
	unlink(rot);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_line_arrives_whole),
		cmocka_unit_test(log_rotates_at_the_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
