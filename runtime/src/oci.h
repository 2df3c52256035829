/* OCI runtime-spec bundles: config.json (process, root, hostname, mounts,
 * namespaces, cgroup resources) into a container_spec, so the very bundle
 * crun runs can be run here. */
#ifndef RT_OCI_H
#define RT_OCI_H

#include <stddef.h>
#include "spec.h"
#include "util.h"

/* Parses config.json text (len bytes, not NUL-terminated); bundle_dir
 * resolves a relative root.path. Leaves name, claims and kmon as they are. */
int oci_parse_config(const char *text, size_t len, const char *bundle_dir,
		     struct container_spec *s, struct herror *err);

/* Reads bundle_dir/config.json and parses it. */
int oci_load_bundle(const char *bundle_dir, struct container_spec *s, struct herror *err);

#endif
