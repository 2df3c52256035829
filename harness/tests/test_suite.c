/* Suite files: what is accepted, and that every rejection names file, line and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan.h"
#include "suite.h"

static const char good[] =
	"suite: t\n"
	"repeats: 2\n"
	"warmup: 1\n"
	"guests:\n"
	"  - name: vm1\n"
	"    image: general\n"
	"    vcpus: 2\n"
	"  - name: vm2\n"
	"    image: security\n"
	"    disk_bus: sata\n"
	"experiments:\n"
	"  - type: cpu-contention\n"
	"    duration_s: 5\n"
	"    vary:\n"
	"      shares: [\"1024:1024\", \"2048:1024\"]\n"
	"      pinning: [same, different]\n";

static int parse(const char *text, struct suite **s, struct herror *err)
{
	error_clear(err);
	return suite_parse("t.yaml", text, strlen(text), s, err);
}

static void test_good_suite(void **state)
{
	struct suite *s;
	struct herror err = { 0 };
	struct plan p;

	(void)state;
	assert_int_equal(parse(good, &s, &err), 0);
	assert_string_equal(s->name, "t");
	assert_false(s->fresh_per_run);	/* default: per-suite */
	assert_int_equal(s->rerun_disturbed, 1);	/* default: one re-run of a disturbed run */
	assert_int_equal(s->nguests, 2);
	assert_int_equal(s->guests[0].vcpus, 2);
	assert_string_equal(s->guests[1].disk_bus, "sata");
	assert_string_equal(s->guests[1].disk_cache, "none");
	assert_int_equal(s->exps[0].naxes, 2);
	assert_int_equal(s->order, ORDER_SHUFFLED);
	assert_false(s->repeats_auto);
	/* Today's order: each combination's warm-up and repeats back to back. */
	s->order = ORDER_SEQUENTIAL;
	plan_build(s, &p);
	/* 2 x 2 combinations x (1 warm-up + 2 repeats) */
	assert_int_equal(p.nruns, 12);
	assert_int_equal(p.runs[0].repeat, 0);
	assert_string_equal(p.runs[0].id, "001-cpu-contention-shares=1024_1024-pinning=same-warmup1");
	assert_string_equal(p.runs[2].id, "003-cpu-contention-shares=1024_1024-pinning=same-r2");
	assert_string_equal(plan_value(s, &p.runs[3], "pinning"), "different");
	assert_string_equal(plan_value(s, &p.runs[11], "shares"), "2048:1024");
	assert_null(plan_value(s, &p.runs[0], "nope"));
	plan_free(&p);
	suite_free(s);
}

/* The plan's runs, as "id" strings joined, to compare two plans. */
static void plan_ids(const struct plan *p, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < p->nruns; i++) {
		strncat(out, p->runs[i].id, len - strlen(out) - 1);
		strncat(out, " ", len - strlen(out) - 1);
	}
}

static void test_shuffled_plan(void **state)
{
	struct suite *s;
	struct herror err = { 0 };
	struct plan p, q;
	char a[4096], b[4096], c[4096];
	bool differs = false;

	(void)state;
	assert_int_equal(parse(good, &s, &err), 0);
	s->seed = 12345;
	plan_build(s, &p);
	assert_int_equal(p.nruns, 12);
	assert_int_equal(p.order, ORDER_SHUFFLED);
	assert_int_equal(p.seed, 12345);
	/* Warm-ups first, one per combination, then each round visits every
	 * combination exactly once. */
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(p.runs[i].repeat, 0);
	for (int round = 1; round <= 2; round++) {
		bool seen[4] = { false };

		for (size_t i = 0; i < 4; i++) {
			const struct plan_run *r = &p.runs[4 * (size_t)round + i];
			size_t k = (strcmp(r->values[0], "1024:1024") == 0 ? 0 : 2) +
				   (strcmp(r->values[1], "same") == 0 ? 0 : 1);

			assert_int_equal(r->repeat, round);
			assert_false(seen[k]);
			seen[k] = true;
		}
	}
	/* Run ids do not depend on the order: the sequential plan has the same set. */
	assert_non_null(strstr(p.runs[4].id, "-r1"));
	/* The same seed, the same order. */
	plan_build(s, &q);
	plan_ids(&p, a, sizeof(a));
	plan_ids(&q, b, sizeof(b));
	assert_string_equal(a, b);
	plan_free(&q);
	/* Some other seed gives another order (4! orders a round: try a few). */
	for (unsigned long seed = 1; seed < 10 && !differs; seed++) {
		s->seed = seed;
		plan_build(s, &q);
		plan_ids(&q, c, sizeof(c));
		differs = strcmp(a, c) != 0;
		plan_free(&q);
	}
	assert_true(differs);
	plan_free(&p);
	suite_free(s);
}

static void test_order_seed_auto_keys(void **state)
{
	struct suite *s;
	struct herror err = { 0 };
	char text[2048];

	(void)state;
	snprintf(text, sizeof(text), "%s", good);
	{
		char *r = strstr(text, "repeats: 2\n");
		char rest[2048];

		snprintf(rest, sizeof(rest), "%s", r + strlen("repeats: 2\n"));
		snprintf(r, sizeof(text) - (size_t)(r - text),
			 "repeats: {min: 3, max: 9, target_ci: 0.02}\norder: sequential\nseed: 77\n"
			 "fresh_guests: per-run\nrerun_disturbed: 0\n%s", rest);
	}
	assert_int_equal(parse(text, &s, &err), 0);
	assert_true(s->fresh_per_run);
	assert_int_equal(s->rerun_disturbed, 0);
	assert_true(s->repeats_auto);
	assert_int_equal(s->repeats_min, 3);
	assert_int_equal(s->repeats, 9);
	assert_float_equal(s->target_ci, 0.02, 1e-12);
	assert_int_equal(s->order, ORDER_SEQUENTIAL);
	assert_true(s->seed_set);
	assert_int_equal(s->seed, 77);
	{
		/* auto keeps the rounds together even in sequential order */
		struct plan p;
		plan_build(s, &p);
		assert_true(p.rounds);
		assert_int_equal(p.runs[4].repeat, 1);
		assert_int_equal(p.runs[8].repeat, 2);
		assert_string_equal(p.runs[4].values[0], "1024:1024");
		assert_string_equal(p.runs[4].values[1], "same");
		plan_free(&p);
	}
	suite_free(s);
}

static void expect_error(const char *text, const char *fragment)
{
	struct suite *s = NULL;
	struct herror err = { 0 };

	assert_true(parse(text, &s, &err) < 0);
	assert_null(s);
	if (strstr(err.msg, fragment) == NULL)
		fail_msg("error '%s' does not contain '%s'", err.msg, fragment);
}

static void test_unknown_top_key(void **state)
{
	(void)state;
	expect_error("suite: t\nrepeatz: 2\n", "t.yaml:2: repeatz: unknown key");
}

static void test_unknown_guest_key(void **state)
{
	(void)state;
	expect_error("suite: t\nguests:\n  - name: a\n    image: general\n    vcpu: 2\n", "t.yaml:5: vcpu: unknown key in a guest");
}

static void test_bad_values(void **state)
{
	(void)state;
	expect_error("suite: t\nrepeats: two\n", "t.yaml:2: repeats: 'two' is not a whole number");
	expect_error("suite: t\nrepeats: 0\n", "t.yaml:2: repeats: '0' is out of range");
	expect_error("suite: t\norder: random\n", "t.yaml:2: order: 'random' is not one of: shuffled, sequential");
	expect_error("suite: t\nseed: 1.5\n", "t.yaml:2: seed: expected a whole number");
	expect_error("suite: t\nrerun_disturbed: 11\n", "t.yaml:2: rerun_disturbed: '11' is out of range");
	expect_error("suite: t\nrerun_disturbed: -1\n", "t.yaml:2: rerun_disturbed: '-1' is out of range");
	expect_error("suite: t\nrerun_disturbed: often\n", "t.yaml:2: rerun_disturbed: 'often' is not a whole number");
	expect_error("suite: t\nfresh_guests: per-test\n", "t.yaml:2: fresh_guests: 'per-test' is not one of: per-suite, per-run");
	expect_error("suite: t\nfresh_guests: [per-run]\n", "t.yaml:2: fresh_guests: '' is not one of");
	expect_error("suite: t\nrepeats: {min: 9, max: 3}\n", "repeats: min (9) is above max (3)");
	expect_error("suite: t\nrepeats: {most: 3}\n", "most: unknown key in repeats");
	expect_error("suite: t\nguests:\n  - name: a\n    image: g\n    disk_bus: ide\n",
		     "t.yaml:5: disk_bus: 'ide' is not one of: virtio, sata, scsi");
	expect_error("suite: t\nguests:\n  - name: A!\n    image: g\n", "t.yaml:3: name: 'A!' may hold only");
	expect_error("suite: t\nguests:\n  - name: a\n    image: g\n    disk_io: native\n    disk_cache: writeback\n",
		     "native I/O needs disk_cache none");
}

static void test_bad_experiments(void **state)
{
	static const char head[] = "suite: t\nguests:\n  - name: a\n    image: g\n  - name: b\n    image: g\nexperiments:\n";
	char buf[1024];

	(void)state;
	snprintf(buf, sizeof(buf), "%s  - type: cpu-contentoin\n", head);
	expect_error(buf, "t.yaml:8: type: unknown experiment type 'cpu-contentoin'");
	snprintf(buf, sizeof(buf), "%s  - type: cpu-contention\n    vary:\n      sharez: [1]\n", head);
	expect_error(buf, "t.yaml:10: sharez: unknown setting for cpu-contention");
	snprintf(buf, sizeof(buf), "%s  - type: cpu-contention\n    vary:\n      shares: [\"1024:1024:1024\"]\n", head);
	expect_error(buf, "t.yaml:10: shares: '1024:1024:1024' gives 3 weights for 2 guests");
	snprintf(buf, sizeof(buf), "%s  - type: cpu-contention\n    vary:\n      pinning: [sometimes]\n", head);
	expect_error(buf, "t.yaml:10: pinning: 'sometimes' is not one of: none, same, different");
	snprintf(buf, sizeof(buf), "%s  - type: cpu-contention\n    duration_s: -3\n", head);
	expect_error(buf, "t.yaml:9: duration_s:");
	snprintf(buf, sizeof(buf), "%s  - type: boot\n    repeats: 0\n", head);
	expect_error(buf, "t.yaml:9: repeats: '0' is out of range");
	snprintf(buf, sizeof(buf), "%s  - type: boot\n    warmup: many\n", head);
	expect_error(buf, "t.yaml:9: warmup: 'many' is not a whole number");
	snprintf(buf, sizeof(buf), "suite: t\nrepeats: auto\n%s  - type: boot\n    repeats: 2\n", head + strlen("suite: t\n"));
	expect_error(buf, "t.yaml:10: repeats: the suite's repeats are auto");
}

/* An experiment's own repeats and warm-ups replace the suite's for its runs
 * only; the shuffled rounds still take every run once. */
static void test_experiment_repeats(void **state)
{
	static const char text[] =
		"suite: t\nrepeats: 3\nwarmup: 1\nseed: 7\n"
		"guests:\n  - name: a\n    image: g\n  - name: b\n    image: g\n"
		"experiments:\n"
		"  - type: boot\n    repeats: 1\n    warmup: 0\n"
		"  - type: cpu-contention\n    vary:\n      pinning: [same, different]\n";
	struct suite *s;
	struct herror err = { 0 };
	struct plan p;
	size_t boot = 0, cpu = 0, warm = 0;

	(void)state;
	assert_int_equal(parse(text, &s, &err), 0);
	assert_int_equal(experiment_repeats(s, &s->exps[0]), 1);
	assert_int_equal(experiment_warmup(s, &s->exps[0]), 0);
	assert_int_equal(experiment_repeats(s, &s->exps[1]), 3);
	plan_build(s, &p);
	/* boot: 1 run; cpu-contention: 2 x (1 + 3) */
	assert_int_equal(p.nruns, 9);
	for (size_t i = 0; i < p.nruns; i++) {
		if (p.runs[i].exp == 0) {
			boot++;
			assert_int_equal(p.runs[i].repeat, 1);
		} else
			cpu++;
		warm += p.runs[i].repeat == 0;
	}
	assert_int_equal(boot, 1);
	assert_int_equal(cpu, 8);
	assert_int_equal(warm, 2);
	/* warm-ups first */
	assert_int_equal(p.runs[0].repeat, 0);
	assert_int_equal(p.runs[1].repeat, 0);
	plan_free(&p);
	suite_free(s);
}

static void test_missing_parts(void **state)
{
	(void)state;
	expect_error("repeats: 2\n", "suite: the suite needs a name");
	expect_error("suite: t\nexperiments:\n  - type: boot\n", "guests: the suite needs at least one guest");
	expect_error("suite: t\nguests:\n  - name: a\n    image: g\n  - name: a\n    image: g\nexperiments:\n  - type: boot\n",
		     "duplicate guest name 'a'");
	expect_error("- a\n- b\n", "a suite file is a mapping");
	expect_error("suite: [unclosed\n", "t.yaml:");
	expect_error("", "empty suite file");
}

static void test_shipped_suites_parse(void **state)
{
	const char *dir = getenv("HARNESS_SUITES");
	static const char *const names[] = { "quick", "default" };

	(void)state;
	if (dir == NULL)
		skip();
	for (size_t i = 0; i < 2; i++) {
		struct suite *s = NULL;
		struct herror err = { 0 };
		char *path = suite_resolve(names[i], dir);
		if (suite_load(path, &s, &err) < 0)
			fail_msg("%s: %s", path, err.msg);
		suite_free(s);
		free(path);
	}
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The suites list of 'harness run --help': every NAME.yaml of the
 * directory, sorted, with its header's first line; nothing else. */
static void test_suite_list(void **state)
{
	char dir[] = "/tmp/suitelist.XXXXXX";
	char path[512];
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "zeta.yaml", "# zeta: the last one.\n# more text\nsuite: zeta\n");
	put(dir, "alpha.yaml", "suite: alpha\n");
	put(dir, "beta.yaml", "#   beta ships with a comment not naming it\n");
	put(dir, "notes.txt", "# notes: not a suite\n");
	put(dir, ".hidden.yaml", "# hidden: not listed\n");
	snprintf(path, sizeof(path), "%s/fifo.yaml", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/sub.yaml", dir);
	assert_int_equal(mkdir(path, 0700), 0);

	out = open_memstream(&buf, &len);
	assert_non_null(out);
	assert_int_equal(suite_list(dir, out), 3);
	fclose(out);
	assert_string_equal(buf,
			    "  alpha       \n"
			    "  beta        beta ships with a comment not naming it\n"
			    "  zeta        the last one.\n");
	free(buf);

	out = open_memstream(&buf, &len);
	assert_non_null(out);
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(suite_list(path, out), -1);
	fclose(out);
	free(buf);

	for (const char *const *n = (const char *const[]){ "zeta.yaml", "alpha.yaml", "beta.yaml", "notes.txt",
							   ".hidden.yaml", "fifo.yaml", NULL }; *n; n++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *n);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sub.yaml", dir);
	rmdir(path);
	assert_int_equal(rmdir(dir), 0);
}

static const char head2[] = "suite: t\nguests:\n  - name: a\n    image: g\n  - name: b\n    image: g\nexperiments:\n";

/* A key given twice, at any level, is refused: libyaml keeps both and the
 * parser used to take the last. */
static void test_duplicate_keys(void **state)
{
	char buf[1024];

	(void)state;
	expect_error("suite: t\nrepeats: 2\nrepeats: 3\n", "t.yaml:3: repeats: duplicate key (first on line 2)");
	expect_error("suite: t\nguests:\n  - name: a\n    image: g\n    name: b\n", "t.yaml:5: name: duplicate key");
	snprintf(buf, sizeof(buf), "%s  - type: cpu-contention\n    duration_s: 5\n    duration_s: 6\n", head2);
	expect_error(buf, "t.yaml:10: duration_s: duplicate key");
}

/* 20 duplicate axes aborted, 63 grew memory until killed (the plan's run
 * count wrapped around). */
static void test_duplicate_axes(void **state)
{
	char buf[8192];
	int off;

	(void)state;
	snprintf(buf, sizeof(buf), "%s  - type: cpu-contention\n    vary:\n      pinning: [same]\n      pinning: [none]\n",
		 head2);
	expect_error(buf, "t.yaml:11: pinning: duplicate key");
	/* Through an alias-free spelling that libyaml cannot merge: the same
	 * key quoted and plain. */
	snprintf(buf, sizeof(buf), "%s  - type: cpu-contention\n    vary:\n      pinning: [same]\n      \"pinning\": [none]\n",
		 head2);
	expect_error(buf, "t.yaml:11: pinning: duplicate key");
	off = snprintf(buf, sizeof(buf), "%s  - type: cpu-contention\n    vary:\n", head2);
	for (int i = 0; i < 63; i++)
		off += snprintf(buf + off, sizeof(buf) - (size_t)off, "      pinning: [none, same, different]\n");
	expect_error(buf, "t.yaml:11: pinning: duplicate key");
}

static void test_second_document(void **state)
{
	char buf[1024];

	(void)state;
	snprintf(buf, sizeof(buf), "%s  - type: boot\n---\nsuite: other\n", head2);
	expect_error(buf, "t.yaml:9: a suite file holds one YAML document");
}

static void test_names(void **state)
{
	char buf[2048];

	(void)state;
	expect_error("suite: ../../etc\n", "t.yaml:1: suite: '../../etc' may hold only a-z, 0-9, '-' and '_'");
	expect_error("suite: Quick\n", "t.yaml:1: suite: 'Quick' may hold only");
	snprintf(buf, sizeof(buf), "suite: %0100d\n", 0);
	expect_error(buf, "t.yaml:1: suite: a name has at most 64 characters (this one has 100)");
	snprintf(buf, sizeof(buf), "suite: t\nguests:\n  - name: %070d\n    image: g\n", 0);
	expect_error(buf, "t.yaml:3: name: a name has at most 64 characters");
}

/* Issue 24: the document's shape is bounded while it is read (nesting,
 * keys, items, nodes), a key repeated among many is found by sorting (the
 * check was quadratic: 100k keys took a minute), the guests of a suite are
 * bounded, an image is a name and never a path, and SIGINT/SIGTERM
 * (stop_requested) end the reading. */
static char *repeat_text(const char *head, const char *item, size_t n, const char *tail)
{
	size_t hl = strlen(head), il = strlen(item), tl = strlen(tail);
	char *buf = malloc(hl + il * n + tl + 1), *p = buf;

	assert_non_null(buf);
	memcpy(p, head, hl);
	p += hl;
	for (size_t i = 0; i < n; i++, p += il)
		memcpy(p, item, il);
	memcpy(p, tail, tl + 1);
	return buf;
}

static void test_shape_bounds(void **state)
{
	char *text, buf[256];
	size_t n;

	(void)state;
	/* 100000 keys in one mapping: refused at the 257th. */
	text = malloc(100000 * 16 + 64);
	assert_non_null(text);
	n = (size_t)sprintf(text, "suite: t\n");
	for (int i = 0; i < 100000; i++)
		n += (size_t)sprintf(text + n, "k%d: 1\n", i);
	expect_error(text, "t.yaml:257: more than 256 keys in one mapping");
	free(text);
	/* 10^5 nested lists: refused at depth 33. */
	text = repeat_text("suite: t\nx: ", "[", 100000, "");
	expect_error(text, "t.yaml:2: lists and mappings nested more than 32 deep");
	free(text);
	/* 32 deep is fine for the reader (the parser then refuses the key). */
	text = repeat_text("suite: t\nx: ", "[", 31, "");
	snprintf(buf, sizeof(buf), "%s%s\n", text, "1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	free(text);
	expect_error(buf, "t.yaml:2: x: unknown key");
	/* A list longer than any axis can be. */
	text = repeat_text("suite: t\nx: [", "1, ", SUITE_MAX_ITEMS + 1, "1]\n");
	expect_error(text, "more than 10000 items in one list");
	free(text);
	/* More nodes than any suite needs, in lists each within the bound. */
	text = repeat_text("suite: t\nx:\n", "  - [1, 1, 1, 1, 1, 1, 1, 1, 1]\n", SUITE_MAX_NODES / 10 + 1, "");
	expect_error(text, "more than 100000 values, lists and mappings in one suite");
	free(text);
}

static void test_duplicate_key_among_many(void **state)
{
	char *text;
	size_t n;

	(void)state;
	/* 200 distinct keys, then the 3rd again: named with its first line. */
	text = malloc(200 * 16 + 64);
	assert_non_null(text);
	n = (size_t)sprintf(text, "suite: t\nx:\n");
	for (int i = 0; i < 200; i++)
		n += (size_t)sprintf(text + n, "  k%d: 1\n", i);
	sprintf(text + n, "  k2: 2\n");
	expect_error(text, "t.yaml:203: k2: duplicate key (first on line 5)");
	free(text);
}

static void test_guests_and_images(void **state)
{
	char *text;

	(void)state;
	text = repeat_text("suite: t\nguests:\n", "  - {name: g, image: general}\n", SUITE_MAX_GUESTS + 1,
			   "experiments:\n  - type: boot\n");
	expect_error(text, "t.yaml:3: guests: a suite has at most 64 guests (this one has 65)");
	free(text);
	text = repeat_text("suite: t\nguests:\n", "  - {name: g, image: general}\n", 30000,
			   "experiments:\n  - type: boot\n");
	expect_error(text, "more than 10000 items in one list");
	free(text);
	expect_error("suite: t\nguests:\n  - name: vm1\n    image: ../../../etc/shadow\n",
		     "t.yaml:4: image: '../../../etc/shadow' may hold only a-z, 0-9, '-' and '_'");
	expect_error("suite: t\nguests:\n  - name: vm1\n    image: /etc\n", "t.yaml:4: image: '/etc' may hold only");
}

static void test_interrupted(void **state)
{
	(void)state;
	stop_requested = 1;
	expect_error(good, "t.yaml: interrupted while it was read");
	stop_requested = 0;
}

/* The number of runs is bounded and computed without wrapping. */
static void test_plan_size(void **state)
{
	char buf[8192];
	int off;

	(void)state;
	/* 1000 repeats x 11 combinations: 11011 runs. */
	off = snprintf(buf, sizeof(buf), "suite: t\nrepeats: 1000\nguests:\n  - name: a\n    image: g\n"
		       "  - name: b\n    image: g\nexperiments:\n  - type: cpu-contention\n    vary:\n      shares: [");
	for (int i = 0; i < 11; i++)
		off += snprintf(buf + off, sizeof(buf) - (size_t)off, "%s\"%d:1024\"", i ? ", " : "", 1024 + i);
	snprintf(buf + off, sizeof(buf) - (size_t)off, "]\n");
	expect_error(buf, "t.yaml:9: experiments: the suite has more than 10000 runs");
}

/* Only a regular file of at most 1 MiB is read: a FIFO hung, /dev/zero
 * aborted, a directory gave "Input/output error". */
static void test_file_kinds(void **state)
{
	char dir[] = "/tmp/harness-test-suite.XXXXXX";
	struct suite *s = NULL;
	struct herror err = { 0 };
	char path[128];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo.yaml", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_true(suite_load(path, &s, &err) < 0);
	assert_null(s);
	assert_non_null(strstr(err.msg, "is not a regular file"));
	unlink(path);

	error_clear(&err);
	assert_true(suite_load("/dev/zero", &s, &err) < 0);
	assert_non_null(strstr(err.msg, "suite '/dev/zero' is not a regular file"));

	error_clear(&err);
	assert_true(suite_load(dir, &s, &err) < 0);
	assert_non_null(strstr(err.msg, "is not a regular file"));

	error_clear(&err);
	snprintf(path, sizeof(path), "%s/big.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "suite: t\n");
	for (int i = 0; i < (1 << 20) / 8; i++)
		fputs("# pad..\n", f);
	fclose(f);
	assert_true(suite_load(path, &s, &err) < 0);
	assert_non_null(strstr(err.msg, "is larger than 1024 KiB"));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_suite),
		cmocka_unit_test(test_shuffled_plan),
		cmocka_unit_test(test_order_seed_auto_keys),
		cmocka_unit_test(test_unknown_top_key),
		cmocka_unit_test(test_unknown_guest_key),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_bad_experiments),
		cmocka_unit_test(test_experiment_repeats),
		cmocka_unit_test(test_missing_parts),
		cmocka_unit_test(test_shipped_suites_parse),
		cmocka_unit_test(test_suite_list),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_duplicate_axes),
		cmocka_unit_test(test_second_document),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_plan_size),
		cmocka_unit_test(test_file_kinds),
		cmocka_unit_test(test_shape_bounds),
		cmocka_unit_test(test_duplicate_key_among_many),
		cmocka_unit_test(test_guests_and_images),
		cmocka_unit_test(test_interrupted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
