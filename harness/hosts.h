/* The libvirt hosts of a suite (hosts:): their connections, the address a
 * migration reaches them at, and the check every host passes before a suite
 * starts (harness doctor --host URI for one). Only libvirt's remote protocol
 * is used: no agents, no SSH of our own. */
#ifndef HARNESS_HOSTS_H
#define HARNESS_HOSTS_H

#include <cjson/cJSON.h>
#include <libvirt/libvirt.h>
#include <stdbool.h>

#include "accel.h"
#include "suite_types.h"
#include "util.h"

/* The host named name, or NULL. */
const struct host_def *hosts_find(const struct suite *s, const char *name);
/* The host guest g runs on: its host:, else the suite's first. */
const struct host_def *hosts_of_guest(const struct suite *s, const struct guest_def *g);
/* The libvirt URI of h: its uri:, else the harness's own (virt_uri()). */
const char *hosts_uri(const struct host_def *h);
/* Connect to h; the error names the host, its URI and libvirt's reason. */
virConnectPtr hosts_connect(const struct host_def *h, struct herror *err);
/* Where other hosts reach h's migration port: its address:, else the host
 * part of its URI; NULL (err set) when neither gives one. */
char *hosts_migration_address(const struct host_def *h, struct herror *err);

/* How an image is on a host: the same files as here (shared storage or
 * copied by other means), uploaded by an earlier run, uploaded now, or not
 * (yet) there. */
enum hosts_image_state { HOSTS_IMAGE_PRESENT, HOSTS_IMAGE_REUSED, HOSTS_IMAGE_UPLOADED, HOSTS_IMAGE_MISSING };
const char *hosts_image_state_name(enum hosts_image_state st);
/* From the sizes of an image's files here (local) and on the host (remote,
 * -1: absent) and whether an earlier upload completed there (marker): every
 * size equal, else missing (a cut-off upload is smaller than ours). */
enum hosts_image_state hosts_image_state_of(const unsigned long long *local, const long long *remote, size_t n,
					    bool marker);

#define HOSTS_MAX_IMAGES 16

/* What one host offers, from its libvirt connection. */
struct host_facts {
	char hostname[256];
	char libvirt_version[32];
	struct accel_choice accel;
	enum hosts_image_state images[HOSTS_MAX_IMAGES]; /* per image asked for */
};
/* The accelerator on the host at uri (conn): on this machine (a URI without
 * a host) accel.h's decision; elsewhere KVM where its libvirt offers a kvm
 * domain type and its CPU has vmx or svm (HARNESS_ACCEL forces one), else TCG. */
int hosts_accel(virConnectPtr conn, const char *uri, struct accel_choice *out, struct herror *err);
/* Reachable, accelerator, and the images of the named recipes on the host
 * (payload_root: this build's guest payload), seen through its storage API.
 * With upload, an image a host elsewhere lacks is uploaded into a storage
 * pool at the same directory as here (named by the image's digest), once:
 * later runs reuse it; a host on this machine must see the files. Fills
 * facts; out (may be NULL) gets one JSON object for env.json. */
int hosts_check_one(const char *name, const char *uri, const char *const *images, size_t nimages,
		    const char *payload_root, bool upload, struct host_facts *facts, cJSON *out, struct herror *err);
/* Check every host of the suite before anything starts, uploading the
 * images its guests need; the error names the first host that fails and why. out (may be NULL) gets {name: facts}. */
int hosts_check_suite(const struct suite *s, const char *payload_root, cJSON *out, struct herror *err);
/* harness doctor --host URI: one line per check of that host; 0 when it
 * can run the harness's guests. */
int hosts_doctor(const char *uri, const char *payload_root);

#endif
