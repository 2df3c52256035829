#include "hosts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "image.h"
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

/* A URI without a host part (qemu:///system, qemu+unix:///...) is a daemon
 * on this machine. */
static bool uri_is_this_machine(const char *uri)
{
	const char *p = strstr(uri, "://");
	return p && p[3] == '/';
}

int hosts_accel(virConnectPtr conn, const char *uri, struct accel_choice *out, struct herror *err)
{
	cleanup_free char *caps = virConnectGetCapabilities(conn);
	cleanup_free char *kvm = NULL;
	const char *forced = getenv("HARNESS_ACCEL");
	bool hw;

	memset(out, 0, sizeof(*out));
	if (uri_is_this_machine(uri)) {
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

/* Whether the host sees file (a path on this machine) through its storage
 * API: a transient pool on the directory (or the one it has there). */
static int host_sees_file(virConnectPtr conn, const char *dir, const char *file, struct herror *err)
{
	virStoragePoolPtr pool = virStoragePoolLookupByTargetPath(conn, dir);
	bool made = false;
	virStorageVolPtr vol;
	int r = 0;

	if (pool == NULL) {
		cleanup_free char *xml = xasprintf("<pool type='dir'><name>harness-check-%d</name>"
						   "<target><path>%s</path></target></pool>", (int)getpid(), dir);
		pool = virStoragePoolCreateXML(conn, xml, 0);
		if (pool == NULL)
			return error_setx(err, ENOENT, "cannot look into %s: %s", dir, virt_last_error());
		made = true;
	} else {
		virStoragePoolRefresh(pool, 0);
	}
	vol = virStorageVolLookupByName(pool, file);
	if (vol == NULL)
		r = error_setx(err, ENOENT, "%s/%s is not there", dir, file);
	else
		virStorageVolFree(vol);
	if (made)
		virStoragePoolDestroy(pool);
	virStoragePoolFree(pool);
	return r;
}

int hosts_check_one(const char *name, const char *uri, const char *const *images, size_t nimages,
		    const char *payload_root, struct host_facts *facts, cJSON *out, struct herror *err)
{
	virConnectPtr conn;
	unsigned long lib = 0;
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
	for (size_t i = 0; i < nimages; i++) {
		struct image img = { 0 };
		cleanup_free char *prepared = NULL;
		struct herror e = { 0 };

		if (image_find(images[i], &img, &e) < 0 ||
		    (prepared = image_prepared_path(&img, payload_root, &e)) == NULL) {
			image_free(&img);
			r = error_setx(err, e.status, "host '%s' at %s: image '%s': %s", name, uri, images[i], e.msg);
			goto out;
		}
		if (host_sees_file(conn, img.dir, "base.qcow2", &e) < 0 ||
		    host_sees_file(conn, img.dir, strrchr(prepared, '/') + 1, &e) < 0) {
			r = error_setx(err, e.status, "host '%s' at %s: image '%s' is not visible to the host (%s) "
				       "and uploading is not supported yet: give the host the same file system",
				       name, uri, images[i], e.msg);
			image_free(&img);
			goto out;
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
	}
out:
	virConnectClose(conn);
	return r;
}

int hosts_check_suite(const struct suite *s, const char *payload_root, cJSON *out, struct herror *err)
{
	for (size_t h = 0; h < s->nhosts; h++) {
		const struct host_def *hd = &s->hosts[h];
		const char *imgs[64];
		size_t n = 0;
		struct host_facts f;

		for (size_t g = 0; g < s->nguests && n < 64; g++) {
			bool dup = false;
			if (hosts_of_guest(s, &s->guests[g]) != hd)
				continue;
			for (size_t k = 0; k < n; k++)
				dup |= strcmp(imgs[k], s->guests[g].image) == 0;
			if (!dup)
				imgs[n++] = s->guests[g].image;
		}
		if (hosts_check_one(hd->name, hosts_uri(hd), imgs, n, payload_root, &f,
				    out ? cJSON_AddObjectToObject(out, hd->name) : NULL, err) < 0)
			return -err->status;
	}
	return 0;
}

int hosts_doctor(const char *uri, const char *payload_root)
{
	static const char *const names[] = { "general", "security" };
	struct host_facts f;
	struct herror err = { 0 };
	int problems = 0;

	if (hosts_check_one(uri, uri, NULL, 0, payload_root, &f, NULL, &err) < 0) {
		printf("%-5s %-12s %s\n", "FAIL", "host", err.msg);
		printf("the host cannot run the harness's guests\n");
		return 1;
	}
	printf("%-5s %-12s %s answers: host name '%s', libvirt %s\n", "ok", "host", uri, f.hostname,
	       f.libvirt_version);
	printf("%-5s %-12s %s: %s (decided on that host)\n", f.accel.accel == ACCEL_KVM ? "ok" : "warn", "accelerator",
	       accel_name(f.accel.accel), f.accel.reason);
	for (size_t i = 0; i < 2; i++) {
		error_clear(&err);
		if (hosts_check_one(uri, uri, &names[i], 1, payload_root, &f, NULL, &err) < 0) {
			printf("%-5s %-12s %s\n", "FAIL", "image", err.msg);
			problems++;
		} else {
			printf("%-5s %-12s %s: visible to the host through its storage API\n", "ok", "image", names[i]);
		}
	}
	printf("%s\n", problems ? "some checks failed: see the lines marked FAIL" : "this host can run the harness's guests");
	return problems ? 1 : 0;
}
