/* The experiment registry: every descriptor is complete and accepts its own
 * defaults and listed values; the suite parser refuses what no descriptor
 * knows, naming file, line and key; plan values fall back to defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "expdoc.h"
#include "experiments.h"
#include "plan.h"
#include "suite.h"

static const char two_guests[] =
	"suite: t\nguests:\n  - name: a\n    image: general\n  - name: b\n    image: security\nexperiments:\n";

static struct suite *parse_ok(const char *text)
{
	struct suite *s = NULL;
	struct herror err = { 0 };

	if (suite_parse("t.yaml", text, strlen(text), &s, &err) < 0)
		fail_msg("suite refused: %s", err.msg);
	return s;
}

static void expect_refused(const char *text, const char *fragment)
{
	struct suite *s = NULL;
	struct herror err = { 0 };

	assert_true(suite_parse("t.yaml", text, strlen(text), &s, &err) < 0);
	assert_null(s);
	if (strstr(err.msg, fragment) == NULL)
		fail_msg("error '%s' does not contain '%s'", err.msg, fragment);
}

static void test_descriptors_complete(void **state)
{
	(void)state;
	assert_true(experiments_count >= 2);
	for (size_t i = 0; i < experiments_count; i++) {
		const struct experiment *e = experiments[i];

		assert_non_null(e->name);
		assert_non_null(e->summary);
		assert_non_null(e->run);
		assert_non_null(e->estimate_s);
		assert_ptr_equal(experiment_find(e->name), e);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(experiments[j]->name, e->name);
		for (size_t k = 0; k < e->nsettings; k++) {
			const struct exp_setting *st = &e->settings[k];
			assert_non_null(st->key);
			assert_non_null(st->help);
			/* A user can learn the default, and what values look like. */
			assert_true(st->def != NULL || st->def_doc != NULL);
			assert_true(st->allowed != NULL || st->syntax != NULL);
			assert_ptr_equal(exp_setting_find(e, st->key), st);
		}
		for (size_t m = 0; m < e->nmetrics; m++) {
			const struct exp_metric *mt = &e->metrics[m];
			assert_non_null(mt->name);
			assert_non_null(mt->path[0]);
			assert_non_null(mt->unit);
			assert_non_null(mt->help);
			assert_true(mt->use != 0);
			assert_true(mt->better >= -1 && mt->better <= 1);
			/* The metric holding theory's value is one of the experiment's. */
			if (mt->expected) {
				bool found = false;
				for (size_t o = 0; o < e->nmetrics; o++)
					found |= strcmp(e->metrics[o].name, mt->expected) == 0;
				assert_true(found);
			}
		}
	}
	assert_null(experiment_find("no-such-experiment"));
}

/* Every default and every listed value passes the descriptor's own check,
 * and a suite that varies each setting over them parses. */
static void test_defaults_and_values_validate(void **state)
{
	char why[400];

	(void)state;
	for (size_t i = 0; i < experiments_count; i++) {
		const struct experiment *e = experiments[i];
		char text[2048];
		struct suite *s;
		int off;

		off = snprintf(text, sizeof(text), "%s  - type: %s\n", two_guests, e->name);
		s = parse_ok(text);
		assert_ptr_equal(s->exps[0].ops, e);
		for (size_t k = 0; k < e->nsettings; k++) {
			const struct exp_setting *st = &e->settings[k];
			if (st->def && exp_setting_check(st, st->def, s, why, sizeof(why)) < 0)
				fail_msg("%s: default %s=%s refused: %s", e->name, st->key, st->def, why);
			for (size_t v = 0; st->allowed && st->allowed[v]; v++)
				if (exp_setting_check(st, st->allowed[v], s, why, sizeof(why)) < 0)
					fail_msg("%s: listed %s=%s refused: %s", e->name, st->key, st->allowed[v], why);
		}
		suite_free(s);
		if (e->nsettings == 0)
			continue;
		off += snprintf(text + off, sizeof(text) - off, "    vary:\n");
		for (size_t k = 0; k < e->nsettings; k++) {
			const struct exp_setting *st = &e->settings[k];
			if (st->allowed)
				off += snprintf(text + off, sizeof(text) - off, "      %s: [%s]\n", st->key, st->allowed[0]);
			else if (st->def)
				off += snprintf(text + off, sizeof(text) - off, "      %s: [\"%s\"]\n", st->key, st->def);
		}
		suite_free(parse_ok(text));
	}
}

static void test_unknown_refused(void **state)
{
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text), "%s  - type: disk-contention\n", two_guests);
	expect_refused(text, "t.yaml:8: type: unknown experiment type 'disk-contention' (known: ");
	/* The list comes from the table. */
	for (size_t i = 0; i < experiments_count; i++)
		expect_refused(text, experiments[i]->name);
	/* A type is refused even when it comes after its settings. */
	snprintf(text, sizeof(text), "%s  - vary:\n      shares: [\"1:1\"]\n    type: nope\n", two_guests);
	expect_refused(text, "t.yaml:10: type: unknown experiment type 'nope'");
	for (size_t i = 0; i < experiments_count; i++) {
		snprintf(text, sizeof(text), "%s  - type: %s\n    vary:\n      no_such_axis: [1]\n", two_guests,
			 experiments[i]->name);
		expect_refused(text, "t.yaml:10: no_such_axis: unknown setting for ");
		expect_refused(text, experiments[i]->name);
	}
	/* Values are checked by the descriptor, with file, line and key. */
	snprintf(text, sizeof(text), "%s  - type: cpu-contention\n    vary:\n      pinning: [same, sometimes]\n",
		 two_guests);
	expect_refused(text, "t.yaml:10: pinning: 'sometimes' is not one of: none, same, different");
	snprintf(text, sizeof(text), "%s  - type: cpu-contention\n    vary:\n      shares: \"1:x\"\n", two_guests);
	expect_refused(text, "t.yaml:10: shares: '1:x' must be weights");
}

/* A setting that is not varied reads as the descriptor's default. */
static void test_setting_values(void **state)
{
	char text[1024];
	struct suite *s;
	struct plan p;

	(void)state;
	snprintf(text, sizeof(text), "%s  - type: cpu-contention\n    vary:\n      shares: [\"2048:1024\"]\n",
		 two_guests);
	s = parse_ok(text);
	plan_build(s, &p);
	struct exp_run x = { .suite = s, .def = &s->exps[0], .run = &p.runs[0] };
	assert_string_equal(exp_setting_value(&x, "shares"), "2048:1024");
	assert_string_equal(exp_setting_value(&x, "pinning"), exp_setting_find(s->exps[0].ops, "pinning")->def);
	assert_null(exp_setting_value(&x, "nope"));
	plan_free(&p);
	suite_free(s);
}

static void expect_in(const char *text, const char *what)
{
	if (strstr(text, what) == NULL)
		fail_msg("'%s' is not in:\n%s", what, text);
}

/* harness experiments [NAME] and the man page say what the descriptors say. */
static void test_docs_from_descriptors(void **state)
{
	char *list = NULL, *one = NULL, *man = NULL;
	size_t len;
	FILE *f;
	struct herror err = { 0 };

	(void)state;
	f = open_memstream(&list, &len);
	expdoc_list(f);
	fclose(f);
	f = open_memstream(&man, &len);
	expdoc_man(f);
	fclose(f);
	for (size_t i = 0; i < experiments_count; i++) {
		const struct experiment *e = experiments[i];

		expect_in(list, e->name);
		f = open_memstream(&one, &len);
		assert_int_equal(expdoc_show(f, e->name, &err), 0);
		fclose(f);
		for (size_t k = 0; k < e->nsettings; k++) {
			expect_in(list, e->settings[k].key);
			expect_in(one, e->settings[k].help);
			expect_in(one, e->settings[k].def ? e->settings[k].def : e->settings[k].def_doc);
			for (size_t v = 0; e->settings[k].allowed && e->settings[k].allowed[v]; v++)
				expect_in(one, e->settings[k].allowed[v]);
		}
		for (size_t m = 0; m < e->nmetrics; m++) {
			expect_in(list, e->metrics[m].name);
			expect_in(one, e->metrics[m].name);
			expect_in(one, e->metrics[m].help);
			if (*e->metrics[m].unit)
				expect_in(one, e->metrics[m].unit);
		}
		free(one);
		one = NULL;
	}
	f = open_memstream(&one, &len);
	assert_true(expdoc_show(f, "nope", &err) < 0);
	fclose(f);
	expect_in(err.msg, "unknown experiment 'nope' (known: ");
	expect_in(man, ".SS boot");
	expect_in(man, ".BR pinning \" none | same | different\"");
	free(one);
	free(list);
	free(man);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptors_complete),
		cmocka_unit_test(test_defaults_and_values_validate),
		cmocka_unit_test(test_unknown_refused),
		cmocka_unit_test(test_setting_values),
		cmocka_unit_test(test_docs_from_descriptors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
