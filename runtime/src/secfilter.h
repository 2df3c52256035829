/* Seccomp filters for containers (libseccomp): Docker's default profile
 * as the reference, or an OCI bundle's linux.seccomp. The supervisor
 * compiles them before clone, since the child may not allocate; the child
 * installs the classic BPF program just before exec. */
#ifndef RT_SECFILTER_H
#define RT_SECFILTER_H

#include <linux/filter.h>
#include <cjson/cJSON.h>
#include "spec.h"
#include "util.h"

/* Compiles the filter for s: its bundle's linux.seccomp when it has one,
 * else the default. out->filter is allocated; free it with secfilter_free. */
int secfilter_build(const struct container_spec *s, struct sock_fprog *out, struct herror *err);
void secfilter_free(struct sock_fprog *f);

/* Checks the shape of a bundle's linux.seccomp (types, known actions and
 * operators) without libseccomp, for the bundle parser. */
int secfilter_check_oci(const cJSON *sc, struct herror *err);

#endif
