/* Libvirt: connection, copy-on-write overlays (storage API), transient
 * domains, host-side CPU accounting. Only the libvirt C API is used. */
#ifndef HARNESS_VIRT_H
#define HARNESS_VIRT_H

#include <libvirt/libvirt.h>
#include <stdbool.h>

#include "util.h"
#include "weights.h"

/* Connect to HARNESS_LIBVIRT_URI (default qemu:///system); the error says
 * how to start the daemon. */
virConnectPtr virt_connect(struct herror *err);
const char *virt_uri(void);
/* A URI without a host part (qemu:///system, qemu+unix:///...) is a daemon
 * on this machine; virt_conn_is_local asks that of a connection's URI. */
bool virt_uri_is_local(const char *uri);
bool virt_conn_is_local(virConnectPtr conn);
/* The last libvirt error message (never NULL). */
const char *virt_last_error(void);

/* A transient directory pool at dir, named name; overlays live in it. */
virStoragePoolPtr virt_pool_create(virConnectPtr conn, const char *name, const char *dir, struct herror *err);
/* A qcow2 overlay vol_name in the pool on top of backing (qcow2). */
int virt_overlay_create(virStoragePoolPtr pool, const char *vol_name, const char *backing,
			char **path_out, struct herror *err);
/* Delete every volume of the pool, then the pool. Missing is fine. */
void virt_pool_remove(virConnectPtr conn, const char *name);

/* Create and start a transient domain from XML. */
virDomainPtr virt_domain_start(virConnectPtr conn, const char *xml, struct herror *err);
/* Destroy a domain by name if it exists; returns true if one was removed. */
bool virt_domain_remove(virConnectPtr conn, const char *name);

/* Total CPU time of the domain's QEMU process in nanoseconds. */
int virt_domain_cpu_ns(virDomainPtr dom, unsigned long long *ns, struct herror *err);
/* Resident memory of the domain's QEMU process (KiB), from its thread ids. */
int virt_domain_rss_kib(virDomainPtr dom, unsigned long long *kib);
/* Thread ids of the domain's vCPUs (from QEMU's query-cpus-fast). */
int virt_domain_vcpu_tids(virDomainPtr dom, int *tids, int max, struct herror *err);
/* Process id of the domain's QEMU. */
int virt_domain_qemu_pid(virDomainPtr dom, struct herror *err);
/* The cgroup controllers libvirt uses for a running domain on its host, as
 * far as its API shows them (cpuset it does not: pinning answers alike with
 * and without it). */
struct virt_cgroups {
	bool cpu, memory, io;
};
/* Each is seen by reading the domain's parameters that need it (scheduler,
 * memory, blkio), which fail where libvirt has not that controller for the
 * domain. */
void virt_domain_cgroups(virDomainPtr dom, struct virt_cgroups *out);
/* " cpu memory io" (those present, each after a space), or "". */
void virt_cgroups_text(const struct virt_cgroups *c, char *buf, size_t len);
/* How CPU weights reach dom on its host: cgroup where its libvirt has the
 * cgroup CPU controller for it (scheduler parameters), else nice; reason
 * says which and why. */
enum weight_mechanism virt_weight_mechanism(virDomainPtr dom, char *reason, size_t len);

/* Read the virtual size of a qcow2 image from its header. */
int qcow2_virtual_size(const char *path, unsigned long long *size, struct herror *err);

#endif
