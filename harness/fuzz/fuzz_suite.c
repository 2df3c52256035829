/* libFuzzer: the suite parser (libyaml, every check of suite.c) and, for a
 * suite it accepts, the plan built from it. A crash, a sanitizer report,
 * a leak or a plan over the bound is a bug. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "plan.h"
#include "suite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct suite *s = NULL;
	struct herror err = { 0 };
	struct plan p;

	if (suite_parse("fuzz.yaml", (const char *)data, size, &s, &err) < 0)
		return 0;
	plan_build(s, &p);
	if (p.nruns > SUITE_MAX_RUNS)
		abort();
	plan_free(&p);
	suite_free(s);
	return 0;
}
