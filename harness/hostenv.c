#include "hostenv.h"

#include <guestfs.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "image.h"
#include "virt.h"

static void version_text(char *buf, size_t len, unsigned long v)
{
	snprintf(buf, len, "%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
}

void hostenv_probe(struct hostenv *h, virConnectPtr conn)
{
	struct utsname u;
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "re");

	memset(h, 0, sizeof(*h));
	snprintf(h->cpu_model, sizeof(h->cpu_model), "unknown");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "model name : %255[^\n]", h->cpu_model) == 1)
			break;
	if (f)
		fclose(f);
	h->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	h->mem_mib = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
	if (uname(&u) == 0) {
		snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
		snprintf(h->node, sizeof(h->node), "%s", u.nodename);
	}
	if (conn) {
		unsigned long lib = 0, hv = 0;
		virConnectGetLibVersion(conn, &lib);
		virConnectGetVersion(conn, &hv);
		version_text(h->libvirt_version, sizeof(h->libvirt_version), lib);
		version_text(h->qemu_version, sizeof(h->qemu_version), hv);
	}
	guestfs_h *g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);
	struct guestfs_version *v = g ? guestfs_version(g) : NULL;
	if (v) {
		snprintf(h->libguestfs_version, sizeof(h->libguestfs_version), "%" PRIi64 ".%" PRIi64 ".%" PRIi64,
			 v->major, v->minor, v->release);
		guestfs_free_version(v);
	}
	if (g)
		guestfs_close(g);
}

cJSON *hostenv_json(const struct hostenv *h, const struct accel_choice *ac, const char *payload_root,
		    const struct guest_def *guests, size_t nguests)
{
	cJSON *env = cJSON_CreateObject();
	cJSON *acc = cJSON_AddObjectToObject(env, "accelerator");
	cJSON *imgs = cJSON_AddArrayToObject(env, "images");
	char digest[17] = "";

	cJSON_AddStringToObject(env, "schema", "harness-env/1");
	cJSON_AddStringToObject(acc, "name", accel_name(ac->accel));
	cJSON_AddStringToObject(acc, "reason", ac->reason);
	cJSON_AddBoolToObject(acc, "forced", ac->forced);
	cJSON_AddStringToObject(acc, "note", ac->accel == ACCEL_TCG ?
				"TCG: numbers measure QEMU's emulation, not hardware virtualization" :
				"KVM: hardware virtualization");
	cJSON_AddStringToObject(env, "host_cpu", h->cpu_model);
	cJSON_AddNumberToObject(env, "host_cpus", h->cpus);
	cJSON_AddNumberToObject(env, "host_mem_mib", h->mem_mib);
	if (h->kernel[0]) {
		cJSON_AddStringToObject(env, "host_kernel", h->kernel);
		cJSON_AddStringToObject(env, "host_name", h->node);
	}
	cJSON_AddStringToObject(env, "libvirt_version", h->libvirt_version);
	cJSON_AddStringToObject(env, "qemu_version", h->qemu_version);
	cJSON_AddStringToObject(env, "libvirt_uri", virt_uri());
	if (h->libguestfs_version[0])
		cJSON_AddStringToObject(env, "libguestfs_version", h->libguestfs_version);
	payload_digest(payload_root, digest, NULL);
	cJSON_AddStringToObject(env, "guest_payload_digest", digest);
	for (size_t i = 0; i < nguests; i++) {
		struct image img;
		cJSON *o;
		if (image_find(guests[i].image, &img, NULL) < 0) {
			image_free(&img);
			continue;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "guest", guests[i].name);
		cJSON_AddStringToObject(o, "image", img.name);
		cJSON_AddStringToObject(o, "digest", img.digest ? img.digest : "");
		cJSON_AddStringToObject(o, "suite", img.suite ? img.suite : "");
		cJSON_AddStringToObject(o, "kernel", img.kernel_version ? img.kernel_version : "");
		cJSON_AddItemToArray(imgs, o);
		image_free(&img);
	}
	return env;
}
