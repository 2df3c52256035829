#include "virt.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <string.h>

static void quiet_errors(void *opaque, virErrorPtr e)
{
	(void)opaque; (void)e;
}

const char *virt_uri(void)
{
	const char *u = getenv("HARNESS_LIBVIRT_URI");

	return u && *u ? u : "qemu:///system";
}

bool virt_uri_is_local(const char *uri)
{
	const char *p = uri ? strstr(uri, "://") : NULL;

	return p && p[3] == '/';
}

bool virt_conn_is_local(virConnectPtr conn)
{
	cleanup_free char *uri = conn ? virConnectGetURI(conn) : NULL;

	return uri && virt_uri_is_local(uri);
}

const char *virt_last_error(void)
{
	/* A copy: the next libvirt call (virDomainGetName in the same
	 * argument list) resets the error and frees libvirt's message. */
	static _Thread_local char copy[512];
	const char *m = virGetLastErrorMessage();

	snprintf(copy, sizeof(copy), "%s", m ? m : "unknown libvirt error");
	return copy;
}

virConnectPtr virt_connect(struct herror *err)
{
	virConnectPtr c;

	virSetErrorFunc(NULL, quiet_errors);
	c = virConnectOpen(virt_uri());
	if (c == NULL)
		error_setx(err, ECONNREFUSED,
			 "cannot connect to libvirt at %s: %s; start the daemon with 'ci/libvirtd start' "
			 "(or 'systemctl start libvirtd' on a systemd host)", virt_uri(), virt_last_error());
	return c;
}

virStoragePoolPtr virt_pool_create(virConnectPtr conn, const char *name, const char *dir, struct herror *err)
{
	cleanup_free char *xml = xasprintf("<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>",
					   name, dir);
	virStoragePoolPtr p;

	if (mkdir_p(dir, 0755, err) < 0)
		return NULL;
	p = virStoragePoolLookupByName(conn, name);
	if (p)
		return p;
	/* A host elsewhere makes the directory itself (pool build). */
	p = virStoragePoolCreateXML(conn, xml, virt_conn_is_local(conn) ? 0 : VIR_STORAGE_POOL_CREATE_WITH_BUILD);
	if (p == NULL)
		error_setx(err, EIO, "cannot create the storage pool '%s' at '%s': %s", name, dir, virt_last_error());
	return p;
}

int qcow2_virtual_size(const char *path, unsigned long long *size, struct herror *err)
{
	unsigned char hdr[32];
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t be;

	if (fd < 0)
		return error_set(err, errno, "cannot open disk image '%s'", path);
	if (read(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) || memcmp(hdr, "QFI\xfb", 4) != 0)
		return error_setx(err, EINVAL, "disk image '%s' is not a qcow2 image", path);
	memcpy(&be, hdr + 24, sizeof(be));
	*size = be64toh(be);
	return 0;
}

int virt_overlay_create(virStoragePoolPtr pool, const char *vol_name, const char *backing,
			char **path_out, struct herror *err)
{
	unsigned long long cap;
	virStorageVolPtr v;
	cleanup_free char *xml = NULL;

	if (qcow2_virtual_size(backing, &cap, err) < 0)
		return -err->status;
	v = virStorageVolLookupByName(pool, vol_name);
	if (v) {
		virStorageVolDelete(v, 0);
		virStorageVolFree(v);
	}
	xml = xasprintf("<volume><name>%s</name><capacity unit='bytes'>%llu</capacity>"
			"<target><format type='qcow2'/></target>"
			"<backingStore><path>%s</path><format type='qcow2'/></backingStore></volume>",
			vol_name, cap, backing);
	v = virStorageVolCreateXML(pool, xml, 0);
	if (v == NULL)
		return error_setx(err, EIO, "cannot create the overlay '%s' on '%s': %s", vol_name, backing,
				virt_last_error());
	*path_out = virStorageVolGetPath(v);
	virStorageVolFree(v);
	return 0;
}

void virt_pool_remove(virConnectPtr conn, const char *name)
{
	virStoragePoolPtr p = virStoragePoolLookupByName(conn, name);
	virStorageVolPtr *vols = NULL;
	int n;

	if (p == NULL)
		return;
	virStoragePoolRefresh(p, 0);
	n = virStoragePoolListAllVolumes(p, &vols, 0);
	for (int i = 0; i < n; i++) {
		virStorageVolDelete(vols[i], 0);
		virStorageVolFree(vols[i]);
	}
	free(vols);
	virStoragePoolDestroy(p);
	virStoragePoolFree(p);
}

virDomainPtr virt_domain_start(virConnectPtr conn, const char *xml, struct herror *err)
{
	virDomainPtr d = virDomainCreateXML(conn, xml, 0);

	if (d == NULL)
		error_setx(err, EIO, "cannot start the domain: %s", virt_last_error());
	return d;
}

bool virt_domain_remove(virConnectPtr conn, const char *name)
{
	virDomainPtr d = virDomainLookupByName(conn, name);
	bool removed = false;

	if (d == NULL)
		return false;
	if (virDomainIsActive(d) == 1)
		removed = virDomainDestroy(d) == 0;
	if (virDomainIsPersistent(d) == 1)
		removed |= virDomainUndefine(d) == 0;
	virDomainFree(d);
	return removed;
}

int virt_domain_cpu_ns(virDomainPtr dom, unsigned long long *ns, struct herror *err)
{
	virDomainInfo info;

	if (virDomainGetInfo(dom, &info) < 0)
		return error_setx(err, EIO, "cannot read the CPU time of '%s': %s", virDomainGetName(dom),
				virt_last_error());
	*ns = info.cpuTime;
	return 0;
}

int virt_domain_vcpu_tids(virDomainPtr dom, int *tids, int max, struct herror *err)
{
	char *reply = NULL;
	cJSON *j, *ret, *cpu;
	int n = 0;

	if (virDomainQemuMonitorCommand(dom, "{\"execute\":\"query-cpus-fast\"}", &reply, 0) < 0)
		return error_setx(err, EIO, "cannot query the vCPU threads of '%s': %s", virDomainGetName(dom),
				virt_last_error());
	j = cJSON_Parse(reply);
	free(reply);
	ret = cJSON_GetObjectItemCaseSensitive(j, "return");
	cJSON_ArrayForEach(cpu, ret) {
		cJSON *tid = cJSON_GetObjectItemCaseSensitive(cpu, "thread-id");
		if (cJSON_IsNumber(tid) && n < max)
			tids[n++] = tid->valueint;
	}
	cJSON_Delete(j);
	if (n == 0)
		return error_setx(err, EIO, "QEMU reported no vCPU threads for '%s'", virDomainGetName(dom));
	return n;
}

static int tgid_of(int tid)
{
	char path[64], line[256];
	FILE *f;
	int tgid = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

int virt_domain_qemu_pid(virDomainPtr dom, struct herror *err)
{
	int tid, pid;

	/* A thread id of another host names nothing (or something else) here. */
	if (!virt_conn_is_local(virDomainGetConnect(dom)))
		return error_setx(err, EREMOTE, "the QEMU process of '%s' runs on another host", virDomainGetName(dom));
	if (virt_domain_vcpu_tids(dom, &tid, 1, err) < 0)
		return -err->status;
	pid = tgid_of(tid);
	if (pid <= 0)
		return error_setx(err, ESRCH, "cannot find the QEMU process of '%s'", virDomainGetName(dom));
	return pid;
}

int virt_domain_rss_kib(virDomainPtr dom, unsigned long long *kib)
{
	struct herror err = { 0 };
	int pid = virt_domain_qemu_pid(dom, &err);
	char path[64], line[256];
	FILE *f;

	if (pid < 0)
		return pid;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	*kib = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu", kib) == 1)
			break;
	fclose(f);
	return 0;
}

enum weight_mechanism virt_weight_mechanism(virDomainPtr dom, char *reason, size_t len)
{
	int nparams = 0;
	char *type = virDomainGetSchedulerType(dom, &nparams);
	enum weight_mechanism m;

	/* libvirt applies cpu_shares through the cgroup CPU controller only. */
	if (type && nparams > 0) {
		m = WEIGHTS_CGROUP;
		snprintf(reason, len, "libvirt cpu_shares (cgroup CPU controller, scheduler '%s')", type);
	} else {
		m = WEIGHTS_NICE;
		snprintf(reason, len,
			 "libvirt has no cgroup CPU controller here (%s); weights are applied as nice values "
			 "(autogroup nice where autogroups are on) "
			 "of the QEMU threads, from the kernel's nice-to-weight table",
			 type ? "no scheduler parameters" : virt_last_error());
	}
	free(type);
	return m;
}

/* Whether get (virDomainGet{Memory,Blkio}Parameters) reads dom's
 * parameters: the count, then the values. */
static bool reads_params(int (*get)(virDomainPtr, virTypedParameterPtr, int *, unsigned int), virDomainPtr dom)
{
	virTypedParameterPtr params;
	int n = 0;
	bool ok;

	if (get(dom, NULL, &n, 0) < 0 || n <= 0)
		return false;
	params = xcalloc((size_t)n, sizeof(*params));
	ok = get(dom, params, &n, 0) == 0;
	virTypedParamsClear(params, n);
	free(params);
	return ok;
}

void virt_domain_cgroups(virDomainPtr dom, struct virt_cgroups *out)
{
	char reason[256];

	out->cpu = virt_weight_mechanism(dom, reason, sizeof(reason)) == WEIGHTS_CGROUP;
	out->memory = reads_params(virDomainGetMemoryParameters, dom);
	out->io = reads_params(virDomainGetBlkioParameters, dom);
}

void virt_cgroups_text(const struct virt_cgroups *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", c->cpu ? " cpu" : "", c->memory ? " memory" : "", c->io ? " io" : "");
}
