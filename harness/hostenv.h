/* The host as a run records it (env.json) and doctor reports it: CPU,
 * memory, kernel, libvirt, QEMU and libguestfs versions. Probed in one place. */
#ifndef HARNESS_HOSTENV_H
#define HARNESS_HOSTENV_H

#include <cjson/cJSON.h>
#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>

#include "accel.h"
#include "suite_types.h"

struct hostenv {
	char cpu_model[256];		/* "unknown" when /proc/cpuinfo does not say */
	int cpus;			/* online */
	double mem_mib;
	char kernel[65];		/* uname -r, "" when uname fails */
	char node[65];
	char libvirt_version[32];	/* "" without a connection */
	char qemu_version[32];
	char libguestfs_version[32];	/* "" when libguestfs is not usable */
};

/* Probe the host; conn may be NULL (no libvirt versions then). */
void hostenv_probe(struct hostenv *h, virConnectPtr conn);

/* env.json (harness-env/1): the probe, the accelerator, the guest payload
 * and the image of each guest. */
cJSON *hostenv_json(const struct hostenv *h, const struct accel_choice *acc, const char *payload_root,
		    const struct guest_def *guests, size_t nguests);

#endif
