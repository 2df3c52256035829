#include "savestate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "agent.h"
#include "hproc.h"
#include "image.h"
#include "progress.h"
#include "records.h"
#include "virt.h"

/* A restored guest's agent answers within seconds; waiting longer than this
 * means the state is broken, and a cold boot is the better bet. */
#define RESTORE_AGENT_TIMEOUT_S 120
#define BUILD_PREFIX "hsb-"
/* libvirt refuses a restore under another name than the saved one, so the
 * domain is hs-<image>-<guest> while it is built and whenever it is
 * restored: one restored guest per saved state at a time on a host. */
#define DOMAIN_PREFIX "hs-"

static char *states_dir(void)
{
	return xasprintf("%s/savestates", state_dir());
}

static char *slot_dir(const struct guest *g)
{
	cleanup_free char *d = states_dir();

	return xasprintf("%s/%s-%s", d, g->def->image, g->def->name);
}

void savestate_key_free(struct savestate_key *key)
{
	free(key->image);
	free(key->image_digest);
	free(key->payload_digest);
	free(key->xml_sha256);
	memset(key, 0, sizeof(*key));
}

int savestate_key_compute(virConnectPtr conn, const struct guest *g, const char *payload_root, enum accel accel,
			  struct savestate_key *key, struct herror *err)
{
	char pd[17];
	unsigned long ver = 0;
	cleanup_free char *xml = NULL;

	memset(key, 0, sizeof(*key));
	if (payload_digest(payload_root, pd, err) < 0)
		return -err->status;
	if (virConnectGetVersion(conn, &ver) < 0)
		return error_setx(err, EIO, "cannot read the QEMU version from libvirt: %s", virt_last_error());
	/* Placeholders for what differs per run: the key is the shape. */
	xml = guest_domain_xml(g, "saved", "disk.qcow2", "console.log", accel, err);
	if (xml == NULL)
		return -err->status;
	key->image = xstrdup(g->def->image);
	key->image_digest = xstrdup(g->img.digest ? g->img.digest : "");
	key->payload_digest = xstrdup(pd);
	key->xml_sha256 = g_compute_checksum_for_string(G_CHECKSUM_SHA256, xml, -1);
	key->qemu_version = ver;
	return 0;
}

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

char *savestate_key_mismatch(const struct savestate_key *s, const struct savestate_key *n)
{
	if (!str_eq(s->image, n->image))
		return xasprintf("the image differs (saved '%s', now '%s')", s->image ? s->image : "?", n->image);
	if (!str_eq(s->image_digest, n->image_digest))
		return xasprintf("the image digest differs (saved %s, now %s)", s->image_digest ? s->image_digest : "?",
				 n->image_digest);
	if (!str_eq(s->payload_digest, n->payload_digest))
		return xasprintf("the payload digest differs (saved %s, now %s)",
				 s->payload_digest ? s->payload_digest : "?", n->payload_digest);
	if (!str_eq(s->xml_sha256, n->xml_sha256))
		return xasprintf("the domain XML differs (saved sha256 %.16s, now %.16s)",
				 s->xml_sha256 ? s->xml_sha256 : "?", n->xml_sha256);
	if (s->qemu_version != n->qemu_version)
		return xasprintf("the QEMU version differs (saved %llu, now %llu)", s->qemu_version, n->qemu_version);
	return NULL;
}

cJSON *savestate_key_json(const struct savestate_key *key)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "image", key->image);
	cJSON_AddStringToObject(j, "image_digest", key->image_digest);
	cJSON_AddStringToObject(j, "payload_digest", key->payload_digest);
	cJSON_AddStringToObject(j, "xml_sha256", key->xml_sha256);
	cJSON_AddNumberToObject(j, "qemu_version", (double)key->qemu_version);
	return j;
}

static char *key_str(const cJSON *j, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

int savestate_key_from_json(const cJSON *j, const char *file, struct savestate_key *key, struct herror *err)
{
	static const char *const names[] = { "image", "image_digest", "payload_digest", "xml_sha256" };
	const cJSON *v;

	memset(key, 0, sizeof(*key));
	if (!cJSON_IsObject(j))
		return error_setx(err, EINVAL, "%s: not a JSON object", file);
	key->image = key_str(j, "image");
	key->image_digest = key_str(j, "image_digest");
	key->payload_digest = key_str(j, "payload_digest");
	key->xml_sha256 = key_str(j, "xml_sha256");
	char *got[] = { key->image, key->image_digest, key->payload_digest, key->xml_sha256 };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (got[i] == NULL) {
			savestate_key_free(key);
			return error_setx(err, EINVAL, "%s: %s: missing or not a string", file, names[i]);
		}
	v = cJSON_GetObjectItemCaseSensitive(j, "qemu_version");
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e12) {
		savestate_key_free(key);
		return error_setx(err, EINVAL, "%s: qemu_version: missing or not a version number", file);
	}
	key->qemu_version = (unsigned long long)v->valuedouble;
	return 0;
}

static struct savestate_info *info_of(struct guest *g)
{
	if (g->start == NULL)
		g->start = xcalloc(1, sizeof(*g->start));
	return g->start;
}

void savestate_note_cold(struct guest *g, const char *why)
{
	struct savestate_info *i = info_of(g);

	free(i->cold_reason);
	i->cold_reason = xstrdup(why);
}

cJSON *savestate_info_json(const struct guest *g)
{
	const struct savestate_info *i = g->start;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", g->def->name);
	cJSON_AddStringToObject(o, "start", i && i->restored ? "restore" : "cold");
	cJSON_AddBoolToObject(o, "restored", i && i->restored);
	if (g->ready)
		cJSON_AddNumberToObject(o, "ready_s", g->boot_s);
	if (i == NULL)
		return o;
	if (i->cold_reason)
		cJSON_AddStringToObject(o, "cold_reason", i->cold_reason);
	if (i->restore_tried) {
		cJSON *s = cJSON_AddObjectToObject(o, "saved_state");

		cJSON_AddStringToObject(s, "state", i->state ? i->state : "none");
		if (i->rebuild_reason)
			cJSON_AddStringToObject(s, "rebuild_reason", i->rebuild_reason);
		if (i->build_s > 0)
			cJSON_AddNumberToObject(s, "build_s", i->build_s);
		if (i->restore_error)
			cJSON_AddStringToObject(s, "restore_error", i->restore_error);
	}
	if (i->restored) {
		cJSON *c = cJSON_AddObjectToObject(o, "clock");

		cJSON_AddBoolToObject(c, "corrected", i->clock_corrected);
		cJSON_AddNumberToObject(c, "behind_s", i->clock_behind_s);
		if (i->clock_uncertainty_s > 0 || i->clock_corrected) {
			cJSON_AddNumberToObject(c, "offset_after_s", i->clock_offset_after_s);
			cJSON_AddNumberToObject(c, "uncertainty_s", i->clock_uncertainty_s);
		}
		if (i->clock_error)
			cJSON_AddStringToObject(c, "error", i->clock_error);
	}
	return o;
}

void savestate_add_to_record(const struct guest *gs, size_t n, cJSON *record)
{
	cJSON *a = NULL;

	for (size_t k = 0; k < n; k++) {
		if (gs[k].start == NULL)
			continue;
		if (a == NULL)
			a = cJSON_AddArrayToObject(record, "guest_starts");
		cJSON_AddItemToArray(a, savestate_info_json(&gs[k]));
	}
}

/* flock on <slot>.lock: one harness builds or restores a state at a time. */
static int lock_slot(const char *slot, struct herror *err)
{
	cleanup_free char *path = xasprintf("%s.lock", slot);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return error_set(err, errno, "cannot open the saved-state lock '%s'", path);
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return error_set(err, errno, "cannot lock '%s'", path);
	}
	return fd;
}

/* Destroy a transient pool without deleting its volumes. */
static void pool_forget(virConnectPtr conn, const char *name)
{
	virStoragePoolPtr p = virStoragePoolLookupByName(conn, name);

	if (p == NULL)
		return;
	virStoragePoolDestroy(p);
	virStoragePoolFree(p);
}

/* Boot the guest cold in a private directory, let it settle, save it, and
 * move the directory into place as the slot. */
static int build_state(virConnectPtr conn, const struct guest *g, const struct savestate_key *key, const char *slot,
		       const struct savestate_place *at, double *build_s, struct herror *err)
{
	cleanup_free char *tmp = xasprintf("%s.build-%d", slot, (int)getpid());
	cleanup_free char *pool = xasprintf(BUILD_PREFIX "%d-%s-%s", (int)getpid(), g->def->image, g->def->name);
	cleanup_free char *prefix = xasprintf(DOMAIN_PREFIX "%s-", g->def->image);
	cleanup_free char *save = xasprintf("%s/state.sav", tmp);
	cleanup_free char *keyfile = xasprintf("%s/key.json", tmp);
	cleanup_free char *text = NULL;
	struct guest b = { .def = g->def };
	double t0 = mono_s();
	cJSON *kj;
	int r = -EIO;

	remove_tree(tmp, NULL);
	if (mkdir_p(tmp, 0755, err) < 0)
		return -err->status;
	progress_note("%s: building the saved state (cold boot, settle, save)", g->def->name);
	if (guest_start(conn, &b, prefix, pool, tmp, at->payload_root, at->accel, err) < 0)
		goto out;
	if (guests_wait_ready(&b, 1, at->timeout_s) != 1) {
		error_setx(err, EIO, "%s", b.failure ? b.failure : "the guest did not come up");
		goto out;
	}
	if (guest_verify_payload(&b, at->payload_root, err) < 0)
		goto out;
	guests_settle(&b, 1, at->timeout_s);
	if (virDomainSave(b.dom, save) < 0) {
		error_setx(err, EIO, "cannot save the state of '%s' to '%s': %s", b.dom_name, save, virt_last_error());
		goto out;
	}
	/* Saved: the transient domain is gone and its overlay is the state's
	 * frozen disk. */
	virDomainFree(b.dom);
	b.dom = NULL;
	kj = savestate_key_json(key);
	cJSON_AddStringToObject(kj, "disk", strrchr(b.overlay, '/') + 1);
	cJSON_AddNumberToObject(kj, "saved", wall_s());
	cJSON_AddNumberToObject(kj, "build_s", mono_s() - t0);
	text = cJSON_Print(kj);
	cJSON_Delete(kj);
	if (write_file_atomic(keyfile, text, strlen(text), 0644, err) < 0)
		goto out;
	pool_forget(conn, pool);
	remove_tree(slot, NULL);
	if (rename(tmp, slot) < 0) {
		error_set(err, errno, "cannot move the saved state '%s' into place", tmp);
		goto out;
	}
	*build_s = mono_s() - t0;
	free(b.overlay);
	b.overlay = NULL;
	r = 0;
out:
	if (r < 0) {
		guest_remove(conn, &b);
		virt_pool_remove(conn, pool);
		remove_tree(tmp, NULL);
	}
	guest_free(&b);
	return r;
}

/* Set every matching attribute in doc. */
static int xml_set_all(xmlXPathContextPtr ctx, const char *xpath, const char *attr, const char *value)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST xpath, ctx);
	int n = 0;

	if (o == NULL)
		return -1;
	if (o->nodesetval)
		for (int i = 0; i < o->nodesetval->nodeNr; i++, n++)
			xmlSetProp(o->nodesetval->nodeTab[i], BAD_CAST attr, BAD_CAST value);
	xmlXPathFreeObject(o);
	return n;
}

char *savestate_restore_xml(const char *saved, const char *name, const char *disk, const char *console,
			    struct herror *err)
{
	xmlDocPtr doc = xmlReadMemory(saved, (int)strlen(saved), "saved.xml", NULL, XML_PARSE_NONET);
	xmlXPathContextPtr ctx = NULL;
	xmlChar *buf = NULL;
	int len = 0;
	char *out = NULL;

	if (doc == NULL || (ctx = xmlXPathNewContext(doc)) == NULL)
		goto fail;
	if (xml_set_all(ctx, "/domain/devices/disk[@device='disk']/source", "file", disk) != 1 ||
	    xml_set_all(ctx, "/domain/devices/serial/source", "path", console) < 0 ||
	    xml_set_all(ctx, "/domain/devices/console/source", "path", console) < 0)
		goto fail;
	xmlDocDumpMemory(doc, &buf, &len);
	if (buf)
		out = xstrdup((const char *)buf);
	xmlFree(buf);
fail:
	if (out == NULL)
		error_setx(err, EINVAL, "cannot rewrite the saved domain XML for '%s' (one disk expected)", name);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return out;
}

/* Host time minus guest time, through the agent (guest-get-time); *half is
 * half the round trip. */
static int clock_offset(virDomainPtr dom, double *offset, double *half)
{
	long long sec;
	unsigned int nsec;
	double t0 = wall_s(), t1;

	if (virDomainGetTime(dom, &sec, &nsec, 0) < 0)
		return -EIO;
	t1 = wall_s();
	*offset = (t0 + t1) / 2 - ((double)sec + nsec / 1e9);
	*half = (t1 - t0) / 2;
	return 0;
}

/* The restored guest's clock stands where it was saved: set it through the
 * agent (guest-set-time) and read it back. The agent sets the system clock
 * first and then runs hwclock for the RTC; where the image has no hwclock
 * that second step fails with the system clock already set, so the reading
 * back decides (within its own uncertainty and a second), and the error
 * stays in the record. */
static void correct_clock(struct guest *g)
{
	struct savestate_info *i = g->start;
	double now, off, half;

	if (clock_offset(g->dom, &i->clock_behind_s, &half) < 0) {
		i->clock_error = xasprintf("cannot read the guest clock: %s", virt_last_error());
		return;
	}
	now = wall_s();
	if (virDomainSetTime(g->dom, (long long)now, (unsigned int)((now - (long long)now) * 1e9), 0) < 0) {
		i->clock_error = xasprintf("guest-set-time: %s", virt_last_error());
		/* libvirt's message ends with the agent's newline. */
		i->clock_error[strcspn(i->clock_error, "\n")] = '\0';
	}
	if (clock_offset(g->dom, &off, &half) < 0) {
		free(i->clock_error);
		i->clock_error = xasprintf("cannot read the guest clock after setting it: %s", virt_last_error());
		return;
	}
	i->clock_offset_after_s = -off;
	i->clock_uncertainty_s = half;
	i->clock_corrected = (off < 0 ? -off : off) <= half + 1.0;
}

/* Restore the slot's state onto a new overlay; the guest is ready after. */
char *savestate_domain_name(const struct guest_def *def)
{
	return xasprintf(DOMAIN_PREFIX "%s-%s", def->image, def->name);
}

static int restore_state(virConnectPtr conn, struct guest *g, const char *slot, const char *disk,
			 const struct savestate_place *at, struct herror *err)
{
	cleanup_free char *save = xasprintf("%s/state.sav", slot);
	cleanup_free char *backing = xasprintf("%s/%s", slot, disk);
	cleanup_free char *vol = xasprintf("%s.qcow2", g->def->name);
	cleanup_free char *saved_xml = NULL;
	cleanup_free char *xml = NULL;
	virStoragePoolPtr pool;
	double start;

	g->dom_name = savestate_domain_name(g->def);
	g->pool_name = xstrdup(at->pool_name);
	g->console_log = xasprintf("%s/%s.console.log", at->pool_dir, g->def->name);
	unlink(g->console_log);
	pool = virt_pool_create(conn, at->pool_name, at->pool_dir, err);
	if (pool == NULL)
		return -err->status;
	if (virt_overlay_create(pool, vol, backing, &g->overlay, err) < 0) {
		virStoragePoolFree(pool);
		return -err->status;
	}
	virStoragePoolFree(pool);
	saved_xml = virDomainSaveImageGetXMLDesc(conn, save, 0);
	if (saved_xml == NULL)
		return error_setx(err, EIO, "cannot read the saved state '%s': %s", save, virt_last_error());
	xml = savestate_restore_xml(saved_xml, g->dom_name, g->overlay, g->console_log, err);
	if (xml == NULL)
		return -err->status;
	g->started_at = mono_s();
	if (virDomainRestoreFlags(conn, save, xml, VIR_DOMAIN_SAVE_RUNNING) < 0)
		return error_setx(err, EIO, "cannot restore '%s' from '%s': %s", g->dom_name, save, virt_last_error());
	g->dom = virDomainLookupByName(conn, g->dom_name);
	if (g->dom == NULL)
		return error_setx(err, EIO, "the restored domain '%s' is not there: %s", g->dom_name, virt_last_error());
	start = mono_s();
	while (!agent_ping(g->dom)) {
		if (virDomainIsActive(g->dom) != 1)
			return error_setx(err, EIO, "the restored domain '%s' stopped (crash or panic)", g->dom_name);
		if (mono_s() - start > RESTORE_AGENT_TIMEOUT_S)
			return error_setx(err, ETIMEDOUT, "the guest agent of the restored '%s' did not answer within %d s",
					  g->dom_name, RESTORE_AGENT_TIMEOUT_S);
		if (!sleep_unless_stopped(0.1))
			return error_setx(err, EINTR, "interrupted while restoring '%s'", g->dom_name);
	}
	g->boot_s = mono_s() - g->started_at;
	virt_domain_rss_kib(g->dom, &g->qemu_rss_kib);
	g->ready = true;
	progress_note("%s: restored; guest agent ready after %.2f s", g->dom_name, g->boot_s);
	return 0;
}

/* Is the slot's state usable for key? NULL when it is; else why not, and
 * *disk the state's disk file name. */
static char *slot_check(const char *slot, const struct savestate_key *key, char **disk)
{
	cleanup_free char *kf = xasprintf("%s/key.json", slot);
	cleanup_free char *sf = xasprintf("%s/state.sav", slot);
	cleanup_free char *text = NULL;
	struct savestate_key saved;
	struct herror err = { 0 };
	const cJSON *d;
	char *why;
	cJSON *j;

	*disk = NULL;
	if (access(slot, F_OK) < 0)
		return NULL;
	text = read_text(kf, NULL, &err);
	if (text == NULL)
		return xasprintf("its key is unreadable (%s)", err.msg);
	j = cJSON_Parse(text);
	if (savestate_key_from_json(j, kf, &saved, &err) < 0) {
		cJSON_Delete(j);
		return xasprintf("its key is malformed (%s)", err.msg);
	}
	why = savestate_key_mismatch(&saved, key);
	savestate_key_free(&saved);
	d = cJSON_GetObjectItemCaseSensitive(j, "disk");
	if (why == NULL && (!cJSON_IsString(d) || strchr(d->valuestring, '/') || d->valuestring[0] == '.'))
		why = xasprintf("%s: disk: missing or not a file name", kf);
	if (why == NULL)
		*disk = xstrdup(d->valuestring);
	cJSON_Delete(j);
	if (why == NULL && access(sf, R_OK) < 0)
		why = xstrdup("its state file is missing");
	if (why) {
		free(*disk);
		*disk = NULL;
	}
	return why;
}

/* Whether a domain of this state's name runs (or is defined): *why says so. */
static bool state_in_use(virConnectPtr conn, const struct guest *g, char **why)
{
	cleanup_free char *name = xasprintf(DOMAIN_PREFIX "%s-%s", g->def->image, g->def->name);
	virDomainPtr other = virDomainLookupByName(conn, name);

	if (other == NULL)
		return false;
	virDomainFree(other);
	*why = xasprintf("its saved state is in use by the domain '%s' (libvirt restores a state only under "
			 "its saved name and UUID, so one guest per state at a time)", name);
	return true;
}

/* Forget a guest's restore attempt so that it can boot cold. Only a domain
 * this restore made is removed: never one found by name. */
static void undo_restore(virConnectPtr conn, struct guest *g)
{
	if (g->dom == NULL) {
		free(g->dom_name);
		g->dom_name = NULL;
	}
	guest_remove(conn, g);
	free(g->dom_name);
	free(g->pool_name);
	free(g->console_log);
	g->dom_name = g->pool_name = g->console_log = NULL;
	g->ready = false;
	g->boot_s = 0;
	g->qemu_rss_kib = 0;
	image_free(&g->img);
}

int savestate_start(virConnectPtr conn, struct guest *g, const struct savestate_place *at, struct herror *err)
{
	struct savestate_info *i = info_of(g);
	cleanup_free char *slot = slot_dir(g);
	cleanup_free char *dir = states_dir();
	cleanup_free char *disk = NULL;
	cleanup_free char *why = NULL;
	cleanup_close int lock = -1;
	struct savestate_key key = { 0 };
	struct herror rerr = { 0 };
	int r;

	if (image_find(g->def->image, &g->img, &rerr) == 0 && g->img.initramfs) {
		/* A saved state is kept with its frozen disk; an initramfs
		 * guest has none, and its cold boot is what it is made for. */
		image_free(&g->img);
		savestate_note_cold(g, "its image has no disk (initramfs): it boots cold");
		return guest_start(conn, g, at->prefix, at->pool_name, at->pool_dir, at->payload_root, at->accel, err);
	}
	image_free(&g->img);
	error_clear(&rerr);
	i->restore_tried = true;
	if (image_find(g->def->image, &g->img, &rerr) < 0 ||
	    savestate_key_compute(conn, g, at->payload_root, at->accel, &key, &rerr) < 0 ||
	    mkdir_p(dir, 0755, &rerr) < 0 || (lock = lock_slot(slot, &rerr)) < 0)
		goto cold;
	/* libvirt keeps the saved name and UUID on a restore (the ABI check
	 * refuses others), so one guest per state runs at a time. Checked
	 * under the slot's lock, which every restore holds until its guest
	 * runs: another harness's guest restored from this state (those of
	 * runs that are gone were removed by savestate_cleanup_stale) means a
	 * cold boot, and the state stays as it is. */
	if (state_in_use(conn, g, &why)) {
		close(lock);
		lock = -1;
		savestate_key_free(&key);
		image_free(&g->img);
		i->restore_tried = false;
		progress_note("%s: %s; booting cold", g->def->name, why);
		savestate_note_cold(g, why);
		return guest_start(conn, g, at->prefix, at->pool_name, at->pool_dir, at->payload_root, at->accel, err);
	}
	why = slot_check(slot, &key, &disk);
	if (why || disk == NULL) {
		bool existed = access(slot, F_OK) == 0;

		if (why) {
			i->rebuild_reason = xstrdup(why);
			progress_note("%s: rebuilding its saved state: %s", g->def->name, why);
		}
		remove_tree(slot, NULL);
		if (build_state(conn, g, &key, slot, at, &i->build_s, &rerr) < 0)
			goto cold;
		i->state = xstrdup(existed ? "rebuilt" : "built");
		free(disk);
		disk = NULL;
		free(why);
		why = slot_check(slot, &key, &disk);
		if (why) {
			error_setx(&rerr, EIO, "the state just built is not usable: %s", why);
			goto cold;
		}
	} else {
		i->state = xstrdup("reused");
	}
	if (restore_state(conn, g, slot, disk, at, &rerr) < 0)
		goto cold;
	i->restored = true;
	correct_clock(g);
	savestate_key_free(&key);
	return 0;
cold:
	/* Nothing of a failed restore stays: not the domain, not the overlay,
	 * not the state that would fail again. */
	i->restore_error = xstrdup(rerr.msg);
	hwarn("%s: restore failed (%s); booting cold", g->def->name, rerr.msg);
	undo_restore(conn, g);
	if (lock >= 0)
		remove_tree(slot, NULL);
	savestate_key_free(&key);
	savestate_note_cold(g, "the restore failed");
	r = guest_start(conn, g, at->prefix, at->pool_name, at->pool_dir, at->payload_root, at->accel, err);
	return r;
}

/* A restored domain (hs-*) whose disk is in the state directory of a run
 * whose harness is gone. */
static void savestate_builds_cleanup_stale(virConnectPtr conn)
{
	cleanup_free char *dir = states_dir();
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d))) {
		const char *b = strstr(e->d_name, ".build-");
		int pid;

		if (b == NULL || (pid = atoi(b + 7)) <= 0 || kill(pid, 0) == 0)
			continue;
		cleanup_free char *path = xasprintf("%s/%s", dir, e->d_name);
		cleanup_free char *prefix = xasprintf(BUILD_PREFIX "%d-", pid);
		cleanup_free char *dom = xasprintf(DOMAIN_PREFIX "%.*s", (int)(b - e->d_name), e->d_name);
		virStoragePoolPtr *pools = NULL;
		int n;

		virt_domain_remove(conn, dom);
		n = virConnectListAllStoragePools(conn, &pools, 0);
		for (int k = 0; k < n; k++) {
			if (strncmp(virStoragePoolGetName(pools[k]), prefix, strlen(prefix)) == 0)
				virStoragePoolDestroy(pools[k]);
			virStoragePoolFree(pools[k]);
		}
		free(pools);
		hwarn("removing the saved-state build '%s' left by a harness that is gone", path);
		remove_tree(path, NULL);
	}
}

static bool restored_by_dead_run(virDomainPtr d)
{
	cleanup_free char *runs = xasprintf("%s/runs/", state_dir());
	cleanup_free char *xml = virDomainGetXMLDesc(d, 0);
	char *at = xml ? strstr(xml, runs) : NULL;
	char id[256];
	pid_t pid;

	if (at == NULL || sscanf(at + strlen(runs), "%255[^/]/", id) != 1 || !run_id_valid(id))
		return false;
	cleanup_free char *owner = xasprintf("%s%s/owner.pid", runs, id);
	/* Gone: no owner file, or its pid and start time no longer run. */
	return pidfile_owner(owner, &pid) != 1;
}

void savestate_cleanup_stale(virConnectPtr conn)
{
	virDomainPtr *doms = NULL;
	int nd = virConnectListAllDomains(conn, &doms, 0);

	for (int k = 0; k < nd; k++) {
		if (strncmp(virDomainGetName(doms[k]), DOMAIN_PREFIX, strlen(DOMAIN_PREFIX)) == 0 &&
		    restored_by_dead_run(doms[k])) {
			hwarn("removing the restored domain '%s' left by a run that is gone", virDomainGetName(doms[k]));
			virDomainDestroy(doms[k]);
		}
		virDomainFree(doms[k]);
	}
	free(doms);
	savestate_builds_cleanup_stale(conn);
}
