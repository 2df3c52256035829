#include "hosts.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "experiment.h"
#include "image.h"
#include "progress.h"
#include "virt.h"

const struct host_def *hosts_find(const struct suite *s, const char *name)
{
	for (size_t i = 0; i < s->nhosts; i++)
		if (strcmp(s->hosts[i].name, name) == 0)
			return &s->hosts[i];
	return NULL;
}

const struct host_def *hosts_of_guest(const struct suite *s, const struct guest_def *g)
{
	const struct host_def *h = g->host ? hosts_find(s, g->host) : NULL;

	return h ? h : &s->hosts[0];
}

const char *hosts_uri(const struct host_def *h)
{
	return h->uri ? h->uri : virt_uri();
}

static void quiet_errors(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

/* name may be the URI itself (doctor --host): then it is said once. */
static virConnectPtr connect_uri(const char *name, const char *uri, struct herror *err)
{
	virConnectPtr c;

	/* One line per error, ours: not libvirt's own on stderr as well. */
	virSetErrorFunc(NULL, quiet_errors);
	c = virConnectOpen(uri);
	if (c == NULL && strcmp(name, uri) == 0)
		error_setx(err, EHOSTUNREACH, "cannot connect to the host at %s: %s", uri, virt_last_error());
	else if (c == NULL)
		error_setx(err, EHOSTUNREACH, "cannot connect to host '%s' at %s: %s", name, uri, virt_last_error());
	return c;
}

virConnectPtr hosts_connect(const struct host_def *h, struct herror *err)
{
	if (h->uri == NULL)
		return virt_connect(err);
	return connect_uri(h->name, h->uri, err);
}

char *hosts_migration_address(const struct host_def *h, struct herror *err)
{
	const char *u, *end;
	char *host;

	if (h->address)
		return xstrdup(h->address);
	u = h->uri ? strstr(h->uri, "://") : NULL;
	if (u) {
		u += 3;
		if (strchr(u, '@') && strchr(u, '@') < strchr(u, '/'))
			u = strchr(u, '@') + 1;
		end = u + strcspn(u, ":/?");
		if (end > u) {
			host = xasprintf("%.*s", (int)(end - u), u);
			return host;
		}
	}
	error_setx(err, EINVAL, "host '%s' has no address for migrations to it: give it 'address:' in the suite's hosts",
		   h->name);
	return NULL;
}

int hosts_accel(virConnectPtr conn, const char *uri, struct accel_choice *out, struct herror *err)
{
	cleanup_free char *caps = virConnectGetCapabilities(conn);
	cleanup_free char *kvm = NULL;
	const char *forced = getenv("HARNESS_ACCEL");
	bool hw;

	memset(out, 0, sizeof(*out));
	if (virt_uri_is_local(uri)) {
		/* This machine: the same decision as every local run (a
		 * paravirtual nested KVM shows only in /proc and /sys). */
		struct accel_facts f;

		accel_probe(&f);
		if (accel_decide(&f, out) < 0)
			return error_setx(err, EINVAL, "%s", out->reason);
		return 0;
	}
	if (caps == NULL)
		return error_setx(err, EIO, "cannot read the host's capabilities: %s", virt_last_error());
	if (forced && *forced) {
		out->forced = true;
		if (strcmp(forced, "tcg") == 0 || strcmp(forced, "kvm") == 0) {
			out->accel = strcmp(forced, "kvm") == 0 ? ACCEL_KVM : ACCEL_TCG;
			snprintf(out->reason, sizeof(out->reason), "forced by HARNESS_ACCEL=%s", forced);
			return 0;
		}
		return error_setx(err, EINVAL, "HARNESS_ACCEL must be kvm or tcg, not '%s'", forced);
	}
	hw = strstr(caps, "<feature name='vmx'/>") || strstr(caps, "<feature name='svm'/>");
	kvm = virConnectGetDomainCapabilities(conn, NULL, "x86_64", NULL, "kvm", 0);
	if (hw && kvm) {
		out->accel = ACCEL_KVM;
		snprintf(out->reason, sizeof(out->reason),
			 "the host CPU has hardware virtualization and its libvirt offers kvm");
	} else {
		out->accel = ACCEL_TCG;
		snprintf(out->reason, sizeof(out->reason), "%s", !hw ? "the host CPU shows no vmx or svm" :
								"the host's libvirt offers no kvm domain type");
	}
	return 0;
}

/* The image files a host needs for a guest of image img with this build's
 * payload (prepared: its prepared copy), in the order they are sent: the
 * base before the overlay on it. An initramfs image's guests boot its
 * prepared initramfs and kernel alone. */
static size_t image_files(const struct image *img, const char *prepared, const char *files[4])
{
	if (img->initramfs) {
		files[0] = prepared;
		files[1] = img->kernel;
		return 2;
	}
	files[0] = img->base;
	files[1] = prepared;
	files[2] = img->kernel;
	files[3] = img->initrd;
	return 4;
}

const char *hosts_image_state_name(enum hosts_image_state st)
{
	switch (st) {
	case HOSTS_IMAGE_PRESENT: return "present";
	case HOSTS_IMAGE_REUSED: return "reused";
	case HOSTS_IMAGE_UPLOADED: return "uploaded";
	case HOSTS_IMAGE_MISSING: return "missing";
	}
	return "unknown";
}

enum hosts_image_state hosts_image_state_of(const unsigned long long *local, const long long *remote, size_t n,
					    bool marker)
{
	for (size_t i = 0; i < n; i++)
		if (remote[i] < 0 || (unsigned long long)remote[i] != local[i])
			return HOSTS_IMAGE_MISSING;
	return marker ? HOSTS_IMAGE_REUSED : HOSTS_IMAGE_PRESENT;
}

/* The pool on the host for the directory dir: the one it has there, else a
 * transient dir pool (built: the directory is made on the host) that the
 * caller destroys (*made). */
static virStoragePoolPtr image_pool(virConnectPtr conn, const char *dir, bool build, bool *made, struct herror *err)
{
	virStoragePoolPtr pool = virStoragePoolLookupByTargetPath(conn, dir);
	cleanup_free char *xml = NULL;

	*made = false;
	if (pool) {
		virStoragePoolRefresh(pool, 0);
		return pool;
	}
	xml = xasprintf("<pool type='dir'><name>harness-img-%d-%s</name><target><path>%s</path></target></pool>",
			(int)getpid(), strrchr(dir, '/') + 1, dir);
	pool = virStoragePoolCreateXML(conn, xml, build ? VIR_STORAGE_POOL_CREATE_WITH_BUILD : 0);
	if (pool == NULL) {
		error_setx(err, ENOENT, "cannot %s %s: %s", build ? "make a storage pool at" : "look into", dir,
			   virt_last_error());
		return NULL;
	}
	*made = true;
	return pool;
}

/* The size in bytes of the file behind volume name in pool, or -1. */
static long long volume_bytes(virStoragePoolPtr pool, const char *name)
{
	virStorageVolPtr v = virStorageVolLookupByName(pool, name);
	virStorageVolInfo info;
	long long r = -1;

	if (v == NULL)
		return -1;
	if (virStorageVolGetInfoFlags(v, &info, VIR_STORAGE_VOL_GET_PHYSICAL) == 0)
		r = (long long)info.allocation;
	virStorageVolFree(v);
	return r;
}

static void volume_delete(virStoragePoolPtr pool, const char *name)
{
	virStorageVolPtr v = virStorageVolLookupByName(pool, name);

	if (v) {
		virStorageVolDelete(v, 0);
		virStorageVolFree(v);
	}
}

/* A new empty raw volume name in pool (capacity 0: an upload grows it). */
static virStorageVolPtr volume_create(virStoragePoolPtr pool, const char *name, struct herror *err)
{
	cleanup_free char *xml = xasprintf("<volume><name>%s</name><capacity unit='bytes'>0</capacity>"
					   "<target><format type='raw'/></target></volume>", name);
	virStorageVolPtr v = virStorageVolCreateXML(pool, xml, 0);

	if (v == NULL)
		error_setx(err, EIO, "cannot create the volume '%s': %s", name, virt_last_error());
	return v;
}

/* The name of the volume that says an upload of this prepared image
 * completed: written after every file, so that a cut-off upload is never
 * taken for a complete one. */
static char *marker_name(const char *prepared)
{
	const char *base = strrchr(prepared, '/') + 1;
	const char *ext = strrchr(base, '.');

	return xasprintf("uploaded-%.*s", (int)(ext ? ext - base : (ptrdiff_t)strlen(base)), base);
}

/* Send the local file path into a new volume name of pool over the
 * connection (virStorageVolUpload), with progress on stderr for long
 * uploads. A partial volume is deleted on failure. */
static int upload_file(virConnectPtr conn, virStoragePoolPtr pool, const char *path, const char *name,
		       unsigned long long size, struct herror *err)
{
	cleanup_free char *buf = NULL;
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	virStorageVolPtr vol = NULL;
	virStreamPtr st = NULL;
	unsigned long long sent = 0;
	double t0 = mono_s(), last = t0;
	const size_t chunk = 256 << 10;
	int r = 0;

	if (fd < 0)
		return error_set(err, errno, "cannot open '%s'", path);
	/* Capacity 0: the upload grows the file, so that a cut-off upload
	 * leaves a smaller file than ours, which the next check replaces. */
	vol = volume_create(pool, name, err);
	if (vol == NULL)
		return -err->status;
	st = virStreamNew(conn, 0);
	if (st == NULL || virStorageVolUpload(vol, st, 0, size, 0) < 0) {
		r = error_setx(err, EIO, "cannot upload '%s' into the volume '%s': %s", path, name, virt_last_error());
		goto out;
	}
	buf = xcalloc(1, chunk);
	while (sent < size) {
		ssize_t n = read(fd, buf, chunk);
		ssize_t off = 0;

		if (n <= 0) {
			r = error_set(err, n < 0 ? errno : EIO, "cannot read '%s' after %llu of %llu bytes", path,
				      sent, size);
			break;
		}
		while (off < n) {
			int w = virStreamSend(st, buf + off, (size_t)(n - off));
			if (w < 0) {
				r = error_setx(err, EIO, "upload of '%s' broke off after %llu of %llu bytes: %s",
					       path, sent + (unsigned long long)off, size, virt_last_error());
				break;
			}
			off += w;
		}
		if (r < 0)
			break;
		sent += (unsigned long long)n;
		if (stop_requested) {
			r = error_setx(err, EINTR, "upload of '%s' stopped after %llu of %llu bytes", path, sent, size);
			break;
		}
		if (mono_s() - last >= 5) {
			last = mono_s();
			hinfo("uploading %s: %llu of %llu MiB (%.0f s)", name, sent >> 20, size >> 20, last - t0);
		}
	}
	if (r == 0 && virStreamFinish(st) < 0)
		r = error_setx(err, EIO, "upload of '%s' did not finish: %s", path, virt_last_error());
	else if (r < 0)
		virStreamAbort(st);
out:
	if (st)
		virStreamFree(st);
	/* The daemon lets go of an aborted stream's volume a moment later. */
	for (int i = 0; r < 0 && i < 20 && virStorageVolDelete(vol, 0) < 0; i++)
		usleep(100000);
	virStorageVolFree(vol);
	return r;
}

/* Make sure the host at conn has the files of image img (prepared: this
 * build's prepared copy) at the same paths as this machine, uploading what
 * it lacks through its storage API when upload is set. *state says how the
 * image got there; bytes: how much was sent. */
static int host_image(virConnectPtr conn, const struct image *img, const char *prepared, bool upload,
		      enum hosts_image_state *state, unsigned long long *bytes, struct herror *err)
{
	const char *files[4];
	unsigned long long local[4];
	long long remote[4];
	cleanup_free char *marker = marker_name(prepared);
	size_t n = image_files(img, prepared, files);
	virStoragePoolPtr pool;
	bool made;
	int r = 0;

	*bytes = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		if (stat(files[i], &sb) < 0)
			return error_set(err, errno, "cannot read '%s'", files[i]);
		local[i] = (unsigned long long)sb.st_size;
	}
	pool = image_pool(conn, img->dir, upload, &made, err);
	if (pool == NULL) {
		/* Without upload a missing directory is a missing image. */
		if (!upload) {
			*state = HOSTS_IMAGE_MISSING;
			error_clear(err);
			return 0;
		}
		return -err->status;
	}
	for (size_t i = 0; i < n; i++)
		remote[i] = volume_bytes(pool, strrchr(files[i], '/') + 1);
	*state = hosts_image_state_of(local, remote, n, volume_bytes(pool, marker) >= 0);
	if (*state != HOSTS_IMAGE_MISSING || !upload)
		goto out;
	/* No marker while the files change: one cut off again is not taken
	 * for complete. */
	volume_delete(pool, marker);
	for (size_t i = 0; i < n && r == 0; i++) {
		const char *name = strrchr(files[i], '/') + 1;
		if (remote[i] >= 0 && (unsigned long long)remote[i] == local[i])
			continue;
		/* Not ours at this size: what a cut-off upload left. */
		volume_delete(pool, name);
		r = upload_file(conn, pool, files[i], name, local[i], err);
		*bytes += local[i];
	}
	if (r == 0) {
		virStorageVolPtr v = volume_create(pool, marker, err);
		if (v == NULL)
			r = -err->status;
		else
			virStorageVolFree(v);
		*state = HOSTS_IMAGE_UPLOADED;
	}
out:
	if (made)
		virStoragePoolDestroy(pool);
	virStoragePoolFree(pool);
	return r;
}

int hosts_check_one(const char *name, const char *uri, const char *const *images, size_t nimages,
		    const char *payload_root, bool upload, struct host_facts *facts, cJSON *out, struct herror *err)
{
	virConnectPtr conn;
	unsigned long lib = 0;
	cJSON *jimages = NULL;
	char *hn;
	int r = 0;

	memset(facts, 0, sizeof(*facts));
	conn = connect_uri(name, uri, err);
	if (conn == NULL)
		return -err->status;
	hn = virConnectGetHostname(conn);
	snprintf(facts->hostname, sizeof(facts->hostname), "%s", hn ? hn : "");
	free(hn);
	if (virConnectGetLibVersion(conn, &lib) == 0)
		snprintf(facts->libvirt_version, sizeof(facts->libvirt_version), "%lu.%lu.%lu", lib / 1000000,
			 lib / 1000 % 1000, lib % 1000);
	if (hosts_accel(conn, uri, &facts->accel, err) < 0) {
		r = error_setx(err, err->status, "host '%s' at %s: %s", name, uri, err->msg);
		goto out;
	}
	if (out)
		jimages = cJSON_CreateObject();
	for (size_t i = 0; i < nimages && i < HOSTS_MAX_IMAGES; i++) {
		struct image img = { 0 };
		cleanup_free char *prepared = NULL;
		struct herror e = { 0 };
		unsigned long long bytes = 0;
		double t0 = mono_s();

		if (image_find(images[i], &img, &e) < 0 ||
		    (prepared = image_prepared_path(&img, payload_root, &e)) == NULL) {
			image_free(&img);
			r = error_setx(err, e.status, "host '%s' at %s: image '%s': %s", name, uri, images[i], e.msg);
			goto out;
		}
		if (upload && !virt_uri_is_local(uri))
			hinfo("host '%s': checking image '%s' (%s)", name, images[i], strrchr(img.dir, '/') + 1);
		if (host_image(conn, &img, prepared, upload && !virt_uri_is_local(uri), &facts->images[i],
			       &bytes, &e) < 0) {
			r = error_setx(err, e.status, "host '%s' at %s: cannot give it image '%s' through its "
				       "storage API: %s", name, uri, images[i], e.msg);
			image_free(&img);
			goto out;
		}
		if (facts->images[i] == HOSTS_IMAGE_UPLOADED)
			hinfo("host '%s': image '%s' uploaded (%llu MiB in %.1f s)", name, images[i], bytes >> 20,
			      mono_s() - t0);
		else if (facts->images[i] == HOSTS_IMAGE_REUSED)
			hinfo("host '%s': image '%s' reused (uploaded by an earlier run)", name, images[i]);
		if (facts->images[i] == HOSTS_IMAGE_MISSING && upload) {
			/* A host on this machine sees our files or nothing: nothing to send. */
			r = error_setx(err, ENOENT, "host '%s' at %s: image '%s' is not visible to the host (%s)",
				       name, uri, images[i], img.dir);
			image_free(&img);
			goto out;
		}
		if (jimages) {
			cJSON *j = cJSON_AddObjectToObject(jimages, images[i]);
			cJSON_AddStringToObject(j, "dir", img.dir);
			cJSON_AddStringToObject(j, "state", hosts_image_state_name(facts->images[i]));
			cJSON_AddNumberToObject(j, "uploaded_bytes", (double)bytes);
			cJSON_AddNumberToObject(j, "seconds", mono_s() - t0);
		}
		image_free(&img);
	}
	if (out) {
		cJSON_AddStringToObject(out, "uri", uri);
		cJSON_AddStringToObject(out, "hostname", facts->hostname);
		cJSON_AddStringToObject(out, "libvirt_version", facts->libvirt_version);
		cJSON *a = cJSON_AddObjectToObject(out, "accelerator");
		cJSON_AddStringToObject(a, "name", accel_name(facts->accel.accel));
		cJSON_AddStringToObject(a, "reason", facts->accel.reason);
		cJSON_AddItemToObject(out, "images", jimages);
		jimages = NULL;
	}
out:
	cJSON_Delete(jimages);
	virConnectClose(conn);
	return r;
}

int hosts_check_suite(const struct suite *s, const char *payload_root, cJSON *out, struct herror *err)
{
	/* parallel: hosts runs every guest on each host, and a migration takes
	 * a guest to another host: then every host needs every image. */
	bool everywhere = s->parallel_hosts;

	for (size_t e = 0; e < s->nexps; e++)
		everywhere |= s->exps[e].ops->spans_hosts;
	for (size_t h = 0; h < s->nhosts; h++) {
		const struct host_def *hd = &s->hosts[h];
		const char *imgs[HOSTS_MAX_IMAGES];
		size_t n = 0;
		struct host_facts f;

		for (size_t g = 0; g < s->nguests && n < HOSTS_MAX_IMAGES; g++) {
			bool dup = false;
			if (!everywhere && hosts_of_guest(s, &s->guests[g]) != hd)
				continue;
			for (size_t k = 0; k < n; k++)
				dup |= strcmp(imgs[k], s->guests[g].image) == 0;
			if (!dup)
				imgs[n++] = s->guests[g].image;
		}
		if (hosts_check_one(hd->name, hosts_uri(hd), imgs, n, payload_root, true, &f,
				    out ? cJSON_AddObjectToObject(out, hd->name) : NULL, err) < 0)
			return -err->status;
	}
	return 0;
}

/* What a host's libvirt does with a domain's cgroups, seen on a probe
 * domain: the weight mechanism a suite will get there, the controllers
 * libvirt uses for a domain, and the cgroup version. */
struct host_cgroups {
	enum weight_mechanism mech;
	char reason[256];
	struct virt_cgroups ctl;
	unsigned long long default_shares;	/* cpu_shares of a domain nobody weighted */
	bool systemd;				/* the host booted with systemd */
};

/* Whether directory dir exists on the host: a transient dir pool there
 * starts only then (nothing is built or written). */
static bool host_has_dir(virConnectPtr conn, const char *dir)
{
	cleanup_free char *xml = xasprintf("<pool type='dir'><name>harness-doctor-%d</name><target><path>%s</path>"
					   "</target></pool>", (int)getpid(), dir);
	virStoragePoolPtr p = virStoragePoolCreateXML(conn, xml, 0);

	if (p == NULL)
		return false;
	virStoragePoolDestroy(p);
	virStoragePoolFree(p);
	return true;
}

/* A domain of 64 MiB with no disk, started paused (its guest never runs)
 * and destroyed with the connection at the latest; its cgroup is what the
 * host's libvirt makes for every guest. */
static int probe_cgroups(virConnectPtr conn, struct host_cgroups *c, struct herror *err)
{
	cleanup_free char *xml = xasprintf(
		"<domain type='qemu'><name>harness-doctor-%d</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
		"<os><type arch='x86_64' machine='pc'>hvm</type></os><devices><controller type='usb' model='none'/>"
		"<memballoon model='none'/></devices></domain>", (int)getpid());
	virDomainPtr dom = virDomainCreateXML(conn, xml, VIR_DOMAIN_START_PAUSED | VIR_DOMAIN_START_AUTODESTROY);
	virTypedParameterPtr params;
	int n = 0;
	char *type;

	memset(c, 0, sizeof(*c));
	c->systemd = host_has_dir(conn, "/run/systemd/system");
	if (dom == NULL)
		return error_setx(err, EIO, "cannot start a paused probe domain: %s", virt_last_error());
	c->mech = virt_weight_mechanism(dom, c->reason, sizeof(c->reason));
	virt_domain_cgroups(dom, &c->ctl);
	type = virDomainGetSchedulerType(dom, &n);
	free(type);
	if (n > 0) {
		params = xcalloc((size_t)n, sizeof(*params));
		if (virDomainGetSchedulerParametersFlags(dom, params, &n, 0) == 0)
			virTypedParamsGetULLong(params, n, VIR_DOMAIN_SCHEDULER_CPU_SHARES, &c->default_shares);
		virTypedParamsClear(params, n);
		free(params);
	}
	virDomainDestroy(dom);
	virDomainFree(dom);
	return 0;
}

/* The doctor's lines about the daemon, cgroups and the weight mechanism of
 * the host at conn (no FAIL: the harness runs in every state). */
static void doctor_cgroups(virConnectPtr conn)
{
	struct host_cgroups c;
	struct herror err = { 0 };
	char ctl[128];

	if (probe_cgroups(conn, &c, &err) < 0) {
		printf("%-5s %-12s %s\n", "warn", "cgroups", err.msg);
		return;
	}
	if (c.systemd && c.mech == WEIGHTS_CGROUP)
		printf("%-5s %-12s systemd host (/run/systemd/system, sd_booted(3)'s test); libvirt puts each domain "
		       "in a cgroup of its own under machine.slice\n", "ok", "daemon");
	else if (c.systemd)
		printf("%-5s %-12s systemd host, but libvirt gives domains no cgroup CPU controller: its daemon was "
		       "not started by systemd, or qemu.conf's cgroup_controllers leaves cpu out\n", "warn", "daemon");
	else
		printf("%-5s %-12s no systemd on the host (as where ci/libvirtd or ci/second-host start the daemon)\n",
		       "ok", "daemon");
	virt_cgroups_text(&c.ctl, ctl, sizeof(ctl));
	if (c.mech == WEIGHTS_CGROUP)
		/* cpu.weight's default is 100 (cgroup v2), cpu.shares' 1024 (v1). */
		printf("%-5s %-12s cgroup %s; controllers libvirt uses for a domain:%s\n", "ok", "cgroups",
		       c.default_shares == 100 ? "v2 (an unweighted domain reads cpu.weight's default, 100)" :
		       c.default_shares == 1024 ? "v1 (an unweighted domain reads cpu.shares' default, 1024)" :
		       "of unknown version", ctl[0] ? ctl : " none");
	else
		printf("%-5s %-12s libvirt uses no cgroup controller for domains%s%s\n", "ok", "cgroups",
		       ctl[0] ? " but" : "", ctl);
	if (c.mech == WEIGHTS_CGROUP)
		printf("%-5s %-12s cgroup: %s\n", "ok", "weights", c.reason);
	else
		printf("%-5s %-12s nice: %s; the harness sets them only on this machine, so cpu-contention's weights "
		       "need a host with cgroups elsewhere\n", "warn", "weights", c.reason);
}

int hosts_doctor(const char *uri, const char *payload_root)
{
	static const char *const names[] = { "general", "security", "tiny" };
	struct host_facts f;
	struct herror err = { 0 };
	virConnectPtr conn;
	int problems = 0;

	if (hosts_check_one(uri, uri, NULL, 0, payload_root, false, &f, NULL, &err) < 0) {
		printf("%-5s %-12s %s\n", "FAIL", "host", err.msg);
		printf("the host cannot run the harness's guests\n");
		return 1;
	}
	printf("%-5s %-12s %s answers: host name '%s', libvirt %s\n", "ok", "host", uri, f.hostname,
	       f.libvirt_version);
	printf("%-5s %-12s %s: %s (decided on that host)\n", f.accel.accel == ACCEL_KVM ? "ok" : "warn", "accelerator",
	       accel_name(f.accel.accel), f.accel.reason);
	conn = connect_uri(uri, uri, &err);
	if (conn) {
		doctor_cgroups(conn);
		virConnectClose(conn);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct image img;

		error_clear(&err);
		/* tiny is for suites that ask for it: checked once built here. */
		if (i == 2 && image_find(names[i], &img, &err) < 0) {
			image_free(&img);
			continue;
		}
		if (i == 2)
			image_free(&img);
		if (hosts_check_one(uri, uri, &names[i], 1, payload_root, false, &f, NULL, &err) < 0) {
			printf("%-5s %-12s %s\n", "FAIL", "image", err.msg);
			problems++;
		} else if (f.images[0] != HOSTS_IMAGE_MISSING) {
			printf("%-5s %-12s %s: %s on the host, visible through its storage API\n", "ok", "image",
			       names[i], hosts_image_state_name(f.images[0]));
		} else if (virt_uri_is_local(uri)) {
			printf("%-5s %-12s %s: not visible to the host through its storage API\n", "FAIL", "image",
			       names[i]);
			problems++;
		} else {
			printf("%-5s %-12s %s: not on the host yet; a suite run uploads it through the host's "
			       "storage API\n", "ok", "image", names[i]);
		}
	}
	printf("%s\n", problems ? "some checks failed: see the lines marked FAIL" : "this host can run the harness's guests");
	return problems ? 1 : 0;
}
