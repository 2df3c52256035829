#include "guest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "agent.h"
#include "domxml.h"
#include "failcause.h"
#include "leftovers.h"
#include "progress.h"
#include "standing.h"
#include "virt.h"

char *guest_domain_xml(const struct guest *g, const char *name, const char *disk, const char *console_log,
		       enum accel accel, struct herror *err)
{
	struct domain_spec spec = {
		.name = name,
		.accel = accel,
		.vcpus = g->def->vcpus,
		.memory_mib = g->def->memory_mib,
		.kernel = g->img.kernel,
		.initrd = g->img.initrd,
		/* Not quiet: the console tail is what a failed boot leaves to read. */
		.cmdline = g->img.initramfs ? "console=ttyS0" : "root=LABEL=harness-root rw console=ttyS0",
		.disk_path = disk,
		.disk_bus = g->def->disk_bus,
		.disk_cache = g->def->disk_cache,
		.disk_io = g->def->disk_io,
		.nic_model = g->def->nic_model,
		.console_log = console_log,
		.extra_devices_xml = g->extra_devices_xml,
	};

	return domxml_build(&spec, err);
}

int guest_start(virConnectPtr conn, struct guest *g, const char *prefix, const char *pool_name,
		const char *pool_dir, const char *payload_root, enum accel accel, struct herror *err)
{
	virStoragePoolPtr pool;
	cleanup_free char *prepared = NULL;
	cleanup_free char *xml = NULL;
	cleanup_free char *vol = NULL;

	if (image_find(g->def->image, &g->img, err) < 0)
		return -err->status;
	prepared = image_prepared_path(&g->img, payload_root, err);
	if (prepared == NULL)
		return -err->status;
	g->dom_name = xasprintf("%s%s", prefix, g->def->name);
	g->pool_name = xstrdup(pool_name);
	g->console_log = xasprintf("%s/%s.console.log", pool_dir, g->def->name);
	unlink(g->console_log);
	if (virt_domain_remove(conn, g->dom_name))
		hwarn("removed a stale domain '%s'", g->dom_name);
	/* The pool's directory also holds the console log, on the guest's host. */
	pool = virt_pool_create(conn, pool_name, pool_dir, err);
	if (pool == NULL)
		return -err->status;
	if (g->img.initramfs) {
		/* No disk: the guest boots its prepared initramfs (the image's
		 * with this build's binaries appended), read-only. */
		free(g->img.initrd);
		g->img.initrd = xstrdup(prepared);
	} else {
		vol = xasprintf("%s.qcow2", g->def->name);
		if (virt_overlay_create(pool, vol, prepared, &g->overlay, err) < 0) {
			virStoragePoolFree(pool);
			return -err->status;
		}
	}
	virStoragePoolFree(pool);

	xml = guest_domain_xml(g, g->dom_name, g->overlay, g->console_log, accel, err);
	if (xml == NULL)
		return -err->status;
	g->started_at = mono_s();
	g->dom = virt_domain_start(conn, xml, err);
	if (g->dom == NULL)
		return -err->status;
	return 0;
}

/* "kernel panic: ..." when the guest's console shows a panic, else NULL. */
static char *boot_panic(const struct guest *g)
{
	char *tail, *cause;

	if (g->console_log == NULL || (tail = console_tail(g->console_log, 40)) == NULL)
		return NULL;
	/* Only a panic: an oops or a soft-lockup "BUG:" under a loaded TCG host
	 * is not fatal, and the guest may still answer. */
	cause = strstr(tail, "Kernel panic - not syncing") ? failcause_console(tail) : NULL;
	free(tail);
	return cause;
}

int guests_wait_ready(struct guest *gs, size_t n, double timeout_s)
{
	double start = mono_s();
	size_t ready = 0, pending = 0;

	for (size_t i = 0; i < n; i++)
		if (gs[i].dom && !gs[i].ready && !gs[i].failure)
			pending++;
	while (pending > 0) {
		for (size_t i = 0; i < n; i++) {
			struct guest *g = &gs[i];
			char *panic;
			int active;

			if (!g->dom || g->ready || g->failure)
				continue;
			active = virDomainIsActive(g->dom);
			if (active != 1) {
				g->failure = xasprintf("domain '%s' stopped before its guest agent answered (crash or panic)",
						       g->dom_name);
				pending--;
			} else if ((panic = boot_panic(g)) != NULL) {
				/* A guest kernel that panicked while booting never answers:
				 * say so now, not after the boot timeout. */
				g->failure = xasprintf("'%s' did not boot: %s", g->dom_name, panic);
				g->boot_panicked = true;
				free(panic);
				pending--;
			} else if (agent_ping(g->dom)) {
				g->ready = true;
				g->boot_s = mono_s() - g->started_at;
				virt_domain_rss_kib(g->dom, &g->qemu_rss_kib);
				progress_note("%s: guest agent ready after %.1f s", g->dom_name, g->boot_s);
				pending--;
			}
		}
		if (pending == 0)
			break;
		double waited = mono_s() - start;
		if (waited > timeout_s) {
			for (size_t i = 0; i < n; i++)
				if (gs[i].dom && !gs[i].ready && !gs[i].failure)
					gs[i].failure = xasprintf("guest agent of '%s' did not answer within %.0f s",
								  gs[i].dom_name, timeout_s);
			break;
		}
		progress_phase("booting guests", waited, timeout_s);
		if (!sleep_unless_stopped(1.0)) {
			for (size_t i = 0; i < n; i++)
				if (gs[i].dom && !gs[i].ready && !gs[i].failure)
					gs[i].failure = xstrdup("interrupted while booting");
			break;
		}
	}
	for (size_t i = 0; i < n; i++)
		ready += gs[i].ready;
	return (int)ready;
}

/* An initramfs guest (images/tiny-initramfs) has no systemd: its init
 * loads the modules beside the agent and then writes /run/harness-booted. */
static void initramfs_settle(struct guest *g, double limit)
{
	double t0 = mono_s();

	for (;;) {
		struct herror err = { 0 };
		char *mark = agent_file_read(g->dom, "/run/harness-booted", 16, &err);

		if (mark) {
			free(mark);
			if (mono_s() - t0 >= 1.0)
				progress_note("%s: boot settled %.1f s after the agent answered", g->dom_name,
					      mono_s() - t0);
			return;
		}
		if (mono_s() - t0 > limit || !sleep_unless_stopped(0.5)) {
			progress_note("%s: no /run/harness-booted after %.0f s; measuring anyway", g->dom_name,
				      mono_s() - t0);
			return;
		}
	}
}

void guests_settle(struct guest *gs, size_t n, double timeout_s)
{
	static const char *const running[] = { "is-system-running", "--wait", NULL };
	/* systemd counts the boot done once udev's coldplug is triggered; the
	 * events themselves may still be handled for tens of seconds under TCG
	 * (Debian testing's udev workers took most of a vCPU a minute after
	 * boot), which a CPU experiment would measure. */
	static const char *const udev[] = { "settle", "--timeout=60", NULL };
	double limit = timeout_s < 120 ? timeout_s : 120;

	for (size_t i = 0; i < n; i++) {
		struct guest *g = &gs[i];
		struct agent_exec_result res = { 0 };
		struct herror err = { 0 };
		double t0 = mono_s();

		if (!g->dom || !g->ready)
			continue;
		if (g->img.initramfs) {
			initramfs_settle(g, limit);
			continue;
		}
		/* "running" or "degraded" once the boot is over; a failed unit is
		 * no reason not to measure. */
		if (agent_run(g->dom, "/bin/systemctl", running, NULL, limit, &res, &err) < 0) {
			progress_note("%s: boot did not settle (%s); measuring anyway", g->dom_name, err.msg);
		} else {
			agent_exec_result_free(&res);
			memset(&res, 0, sizeof(res));
			if (agent_run(g->dom, "/bin/udevadm", udev, NULL, 70, &res, &err) < 0 || !res.exited || res.exit_code != 0)
				progress_note("%s: udev events still queued after 60 s; measuring anyway", g->dom_name);
			if (mono_s() - t0 >= 1.0)
				progress_note("%s: boot settled %.1f s after the agent answered", g->dom_name,
					      mono_s() - t0);
		}
		agent_exec_result_free(&res);
	}
}

static bool same_str(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* One harness at a time borrows a standing guest: its clean-up would end
 * another run's workloads. A lock on $STATE/vms/NAME.borrow, held until
 * the guest is let go (guest_remove). */
static int borrow_lock(struct guest *g, struct herror *err)
{
	cleanup_free char *dir = standing_dir();
	cleanup_free char *path = xasprintf("%s/%s.borrow", dir, g->def->name);
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0)
		return error_set(err, errno, "cannot open its borrow lock '%s'", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK) {
			g->borrow = cJSON_CreateObject();
			cJSON_AddStringToObject(g->borrow, "guest", g->def->name);
			cJSON_AddStringToObject(g->borrow, "action", "fresh-guest");
			cJSON_AddStringToObject(g->borrow, "reason", "another harness borrows it");
			return error_setx(err, EBUSY, "another harness borrows it");
		}
		return error_set(err, e, "cannot lock '%s'", path);
	}
	g->borrow_fd = fd;
	g->borrow_locked = true;
	return 0;
}

static void borrow_unlock(struct guest *g)
{
	if (g->borrow_locked)
		close(g->borrow_fd);
	g->borrow_locked = false;
}

/* The project's leftovers in it, cleaned; -EBUSY when some stay. */
static int borrow_check(struct guest *g, struct herror *err)
{
	cJSON *e = NULL;
	int r = leftovers_clean(g->dom, g->def->name, &e, err);

	cJSON_Delete(g->borrow);
	g->borrow = e;
	if (r < 0)
		return r;
	if (r > 0) {
		cleanup_free char *left = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(e, "left"));
		return error_setx(err, EBUSY, "the clean-up left %s; a fresh guest takes its place", left);
	}
	if (strcmp(cJSON_GetObjectItemCaseSensitive(e, "action")->valuestring, "cleaned") == 0) {
		cleanup_free char *found = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(e, "found"));
		progress_note("%s: cleaned what earlier work left in the standing guest: %s", g->def->name, found);
	}
	return 0;
}

bool guest_adopt_standing(virConnectPtr conn, struct guest *g, const char *payload_root)
{
	const struct guest_def *sd = standing_def(g->def->name);
	struct herror err = { 0 };
	virDomainPtr d;

	if (sd == NULL || !same_str(sd->image, g->def->image) || sd->vcpus != g->def->vcpus ||
	    sd->memory_mib != g->def->memory_mib || !same_str(sd->disk_bus, g->def->disk_bus) ||
	    !same_str(sd->disk_cache, g->def->disk_cache) || !same_str(sd->disk_io, g->def->disk_io) ||
	    !same_str(sd->nic_model, g->def->nic_model))
		return false;
	d = virDomainLookupByName(conn, g->def->name);
	if (d == NULL)
		return false;
	if (virDomainIsActive(d) != 1 || !agent_ping(d) || image_find(g->def->image, &g->img, &err) < 0) {
		virDomainFree(d);
		image_free(&g->img);
		return false;
	}
	g->dom = d;
	g->dom_name = xstrdup(g->def->name);
	if (guest_verify_payload(g, payload_root, &err) < 0 || borrow_lock(g, &err) < 0 ||
	    borrow_check(g, &err) < 0) {
		hwarn("not borrowing the standing guest %s: %s", g->def->name, err.msg);
		borrow_unlock(g);
		virDomainFree(d);
		g->dom = NULL;
		free(g->dom_name);
		g->dom_name = NULL;
		image_free(&g->img);
		return false;
	}
	g->console_log = standing_console_log(g->def->name);
	g->standing = true;
	g->ready = true;
	return true;
}

void guest_remove(virConnectPtr conn, struct guest *g)
{
	if (g->standing) {
		/* Not ours to remove: only let go of the handle (and the lock). */
		if (g->dom)
			virDomainFree(g->dom);
		g->dom = NULL;
		borrow_unlock(g);
		return;
	}
	if (g->dom) {
		if (virDomainIsActive(g->dom) == 1)
			virDomainDestroy(g->dom);
		virDomainFree(g->dom);
		g->dom = NULL;
	} else if (g->dom_name) {
		virt_domain_remove(conn, g->dom_name);
	}
	if (g->overlay) {
		virStorageVolPtr v = virStorageVolLookupByPath(conn, g->overlay);
		if (v) {
			virStorageVolDelete(v, 0);
			virStorageVolFree(v);
		} else {
			unlink(g->overlay);
		}
		free(g->overlay);
		g->overlay = NULL;
	}
}

/* How a fresh guest started (savestate.c fills it). */
void savestate_info_free(struct savestate_info *i)
{
	if (i == NULL)
		return;
	free(i->state);
	free(i->rebuild_reason);
	free(i->restore_error);
	free(i->cold_reason);
	free(i->clock_error);
	free(i);
}

void guest_free(struct guest *g)
{
	image_free(&g->img);
	free(g->dom_name);
	free(g->pool_name);
	free(g->overlay);
	free(g->console_log);
	free(g->failure);
	savestate_info_free(g->start);
	borrow_unlock(g);
	cJSON_Delete(g->borrow);
	memset(g, 0, sizeof(*g));
}

char *console_tail(const char *path, int lines)
{
	size_t len;
	struct herror err = { 0 };
	cleanup_free char *text = read_text(path, &len, &err);
	size_t i;
	int seen = 0;

	if (text == NULL)
		return xstrdup("");
	for (i = len; i > 0; i--)
		if (text[i - 1] == '\n' && ++seen > lines)
			break;
	return xstrdup(text + i);
}

int guest_verify_payload(struct guest *g, const char *payload_root, struct herror *err)
{
	cleanup_free char *local_path = xasprintf("%s/opt/harness/MANIFEST.sha256", payload_root);
	cleanup_free char *local = read_text(local_path, NULL, err);
	cleanup_free char *remote = NULL;

	if (local == NULL)
		return -err->status;
	remote = agent_file_read(g->dom, "/opt/harness/MANIFEST.sha256", 1 << 20, err);
	if (remote == NULL)
		return error_setx(err, EIO, "cannot read the binaries' manifest in '%s': %s", g->dom_name, err->msg);
	if (strcmp(local, remote) != 0)
		return error_setx(err, EINVAL, "'%s' runs guest binaries that differ from this build's manifest",
				g->dom_name);
	return 0;
}
