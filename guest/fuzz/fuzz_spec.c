/* libFuzzer: the runner's experiment spec (JSON from the host), through
 * every check of spec.c. Programs resolve in a scratch directory holding
 * two executable files named like workloads (so that the checks after the
 * program's are reached); spec_load never runs anything. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hfile.h"
#include "spec.h"

static char bindir[] = "/tmp/harness-fuzz-spec.XXXXXX";

static void remove_scratch(void)
{
	remove_tree(bindir, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mkdtemp(bindir) == NULL)
		abort();
	atexit(remove_scratch);
	for (size_t i = 0; i < 2; i++) {
		static const char *const names[] = { "cpu_hog", "mem_bw" };
		char path[64];

		snprintf(path, sizeof(path), "%s/%s", bindir, names[i]);
		if (write_file(path, "#!/bin/false\n", 13, 0755, NULL) < 0)
			abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *j = cJSON_ParseWithLength((const char *)data, size);
	struct herror err = { 0 };
	struct spec spec;

	if (j == NULL)
		return 0;
	spec_load(&spec, j, bindir, &err);
	spec_free(&spec);
	cJSON_Delete(j);
	return 0;
}
