/* libFuzzer target: the OCI bundle parser (config.json), then what the
 * supervisor does with a parsed bundle: validation and, when the bundle
 * gives one, compiling its seccomp filter with libseccomp. */
#include <stddef.h>
#include <stdint.h>
#include "oci.h"
#include "secfilter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_spec s;
	struct sock_fprog prog;
	struct herror err = { 0 };

	spec_init(&s);
	if (oci_parse_config((const char *)data, size, "/bundle", &s, &err) == 0) {
		spec_validate(&s, &err);
		if (s.seccomp && secfilter_build(&s, &prog, &err) == 0)
			secfilter_free(&prog);
	}
	spec_free(&s);
	return 0;
}
