/* libFuzzer target: the OCI bundle parser (config.json). */
#include <stddef.h>
#include <stdint.h>
#include "oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_spec s;
	struct rt_err err;

	spec_init(&s);
	oci_parse_config((const char *)data, size, "/bundle", &s, &err);
	spec_free(&s);
	return 0;
}
