#include "gsettings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "suite_types.h"
#include "util.h"

static bool has_guest(const struct suite *s, const char *name)
{
	for (size_t i = 0; i < s->nguests; i++)
		if (strcmp(s->guests[i].name, name) == 0)
			return true;
	return false;
}

static const char *const disk_caches[] = { "none", "writeback", "writethrough", "directsync", "unsafe", "default", NULL };
static const char *const disk_buses[] = { "virtio", "sata", "scsi", NULL };
static const char *const disk_ios[] = { "default", "native", "threads", "io_uring", NULL };
/* libvirt cannot hot-plug a SATA (or IDE) disk: "disk bus 'sata' cannot be
 * hotplugged" (qemu_hotplug.c); virtio-blk and virtio-scsi can. */
static const char *const disk_buses_no_hotplug[] = { "sata", NULL };

static int check_long(const char *v, long lo, long hi, char *why, size_t whylen)
{
	long x;

	if (parse_long(v, lo, hi, &x) < 0) {
		snprintf(why, whylen, "'%s' is not a whole number in %ld..%ld", v, lo, hi);
		return -EINVAL;
	}
	return 0;
}

static int check_vcpus_value(const char *v, char *why, size_t whylen)
{
	return check_long(v, 1, 64, why, whylen);
}

static int check_memory_value(const char *v, char *why, size_t whylen)
{
	return check_long(v, 128, 1 << 20, why, whylen);
}

static int set_str(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
	return 0;
}

static void get_disk_cache(const struct guest_def *g, char *b, size_t n) { snprintf(b, n, "%s", g->disk_cache); }
static void get_disk_bus(const struct guest_def *g, char *b, size_t n) { snprintf(b, n, "%s", g->disk_bus); }
static void get_disk_io(const struct guest_def *g, char *b, size_t n) { snprintf(b, n, "%s", g->disk_io); }
static void get_vcpus(const struct guest_def *g, char *b, size_t n) { snprintf(b, n, "%d", g->vcpus); }
static void get_memory(const struct guest_def *g, char *b, size_t n) { snprintf(b, n, "%d", g->memory_mib); }
static int set_disk_cache(struct guest_def *g, const char *v) { return set_str(&g->disk_cache, v); }
static int set_disk_bus(struct guest_def *g, const char *v) { return set_str(&g->disk_bus, v); }
static int set_disk_io(struct guest_def *g, const char *v) { return set_str(&g->disk_io, v); }

static int set_vcpus(struct guest_def *g, const char *v)
{
	long x;
	int r = parse_long(v, 1, 64, &x);

	if (r == 0)
		g->vcpus = (int)x;
	return r;
}

static int set_memory(struct guest_def *g, const char *v)
{
	long x;
	int r = parse_long(v, 128, 1 << 20, &x);

	if (r == 0)
		g->memory_mib = (int)x;
	return r;
}

const char gsetting_syntax_disk_cache[] = "none | writeback | writethrough | directsync | unsafe | default";
const char gsetting_syntax_disk_bus[] = "virtio | scsi | sata (sata: a fresh guest)";
const char gsetting_syntax_disk_io[] = "default | native | threads | io_uring (native: cache none or directsync)";
const char gsetting_syntax_vcpus[] = "1..64 (a fresh guest)";
const char gsetting_syntax_memory_mib[] = "128..1048576 (a fresh guest)";

/* The table: adding a guest setting is one entry here (and its
 * gsetting_check_<key> below, for GSETTING_AXIS). */
const struct gsetting gsettings[] = {
	{ .key = "disk_cache", .help = "cache mode of the disk under test", .allowed = disk_caches,
	  .apply = GSETTING_SCRATCH_DISK, .get = get_disk_cache, .set = set_disk_cache },
	{ .key = "disk_bus", .help = "bus of the disk under test", .allowed = disk_buses,
	  .apply = GSETTING_SCRATCH_DISK, .no_hotplug = disk_buses_no_hotplug, .get = get_disk_bus,
	  .set = set_disk_bus },
	{ .key = "disk_io", .help = "I/O mode of the disk under test", .allowed = disk_ios,
	  .apply = GSETTING_SCRATCH_DISK, .get = get_disk_io, .set = set_disk_io },
	{ .key = "vcpus", .help = "virtual CPUs of the guest", .syntax = "1..64", .apply = GSETTING_FRESH,
	  .check = check_vcpus_value, .get = get_vcpus, .set = set_vcpus },
	{ .key = "memory_mib", .help = "memory of the guest in MiB", .syntax = "128..1048576",
	  .apply = GSETTING_FRESH, .check = check_memory_value, .get = get_memory, .set = set_memory },
	{ .key = NULL },
};

size_t gsettings_count(void)
{
	size_t n = 0;

	while (gsettings[n].key)
		n++;
	return n;
}

const struct gsetting *gsetting_find(const char *key)
{
	for (size_t i = 0; gsettings[i].key; i++)
		if (strcmp(gsettings[i].key, key) == 0)
			return &gsettings[i];
	return NULL;
}

bool gsetting_hotpluggable(const struct gsetting *gs, const char *value)
{
	if (gs->apply == GSETTING_FRESH)
		return false;
	for (size_t i = 0; gs->no_hotplug && gs->no_hotplug[i]; i++)
		if (strcmp(gs->no_hotplug[i], value) == 0)
			return false;
	return true;
}

const char *gsetting_apply_name(enum gsetting_apply a)
{
	return a == GSETTING_FRESH ? "fresh-guest" : "hot-plug";
}

static int check_value(const char *key, const char *v, char *why, size_t whylen)
{
	const struct gsetting *gs = gsetting_find(key);
	size_t off;

	if (gs == NULL) {
		snprintf(why, whylen, "'%s' is not a guest setting", key);
		return -EINVAL;
	}
	if (gs->allowed) {
		for (size_t i = 0; gs->allowed[i]; i++)
			if (strcmp(v, gs->allowed[i]) == 0)
				return 0;
		off = (size_t)snprintf(why, whylen, "'%s' is not one of: ", v);
		for (size_t i = 0; gs->allowed[i] && off < whylen; i++)
			off += (size_t)snprintf(why + off, whylen - off, "%s%s", i ? ", " : "", gs->allowed[i]);
		return -EINVAL;
	}
	return gs->check ? gs->check(v, why, whylen) : 0;
}

int gsetting_check_disk_cache(const char *v, const struct suite *s, char *why, size_t whylen)
{
	return check_value("disk_cache", v, why, whylen);
}

int gsetting_check_disk_bus(const char *v, const struct suite *s, char *why, size_t whylen)
{
	return check_value("disk_bus", v, why, whylen);
}

int gsetting_check_disk_io(const char *v, const struct suite *s, char *why, size_t whylen)
{
	return check_value("disk_io", v, why, whylen);
}

int gsetting_check_vcpus(const char *v, const struct suite *s, char *why, size_t whylen)
{
	return check_value("vcpus", v, why, whylen);
}

int gsetting_check_memory_mib(const char *v, const struct suite *s, char *why, size_t whylen)
{
	return check_value("memory_mib", v, why, whylen);
}

/* "vm1.disk_cache" into its guest and key; no dot: no guest. */
static const char *split_key(const char *key, char *guest, size_t glen)
{
	const char *dot = strchr(key, '.');

	guest[0] = '\0';
	if (dot == NULL)
		return key;
	snprintf(guest, glen, "%.*s", (int)(dot - key), key);
	return dot + 1;
}

const struct exp_setting *gsettings_axis_setting(const struct experiment *e, const struct suite *s,
						 const char *key, char *why, size_t whylen)
{
	char guest[SUITE_NAME_MAX + 2];
	const char *bare = split_key(key, guest, sizeof(guest));
	const struct exp_setting *st;

	if (!*guest) {
		st = exp_setting_find(e, key);
		if (st == NULL)
			snprintf(why, whylen, "unknown setting for %s", e->name);
		return st;
	}
	if (strlen(key) - strlen(bare) - 1 > SUITE_NAME_MAX || !has_guest(s, guest)) {
		snprintf(why, whylen, "'%.*s' is not a guest of the suite", (int)(strlen(key) - strlen(bare) - 1), key);
		return NULL;
	}
	if (gsetting_find(bare) == NULL) {
		snprintf(why, whylen, "'%s' is not a guest setting (guest settings: disk_cache, disk_bus, disk_io, "
			 "vcpus, memory_mib, and those the table adds)", bare);
		return NULL;
	}
	st = exp_setting_find(e, bare);
	if (st == NULL)
		snprintf(why, whylen, "%s does not vary the guest setting '%s'", e->name, bare);
	return st;
}

int gsettings_effective(const struct suite *s, const struct experiment_def *e, const char *const *values,
			const struct guest_def *base, struct guest_def *out, bool *changed, char *why,
			size_t whylen)
{
	size_t n = gsettings_count();

	*out = *base;
	out->name = xstrdup(base->name);
	out->image = xstrdup(base->image);
	out->disk_bus = xstrdup(base->disk_bus);
	out->disk_cache = xstrdup(base->disk_cache);
	out->disk_io = xstrdup(base->disk_io);
	out->nic_model = xstrdup(base->nic_model);
	if (changed)
		memset(changed, 0, n * sizeof(*changed));
	/* Axes for every guest first, then those for this guest. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t a = 0; a < e->naxes; a++) {
			char guest[SUITE_NAME_MAX + 2];
			const char *bare = split_key(e->axes[a].key, guest, sizeof(guest));
			const struct gsetting *gs = gsetting_find(bare);

			if (gs == NULL || (pass == 0) != (*guest == '\0'))
				continue;
			if (*guest && strcmp(guest, base->name) != 0)
				continue;
			if (gs->set(out, values[a]) < 0) {
				snprintf(why, whylen, "%s: '%s' cannot be set", e->axes[a].key, values[a]);
				return -EINVAL;
			}
			if (changed)
				changed[gs - gsettings] = true;
		}
	return 0;
}

void gsettings_def_free(struct guest_def *g)
{
	free(g->name);
	free(g->image);
	free(g->disk_bus);
	free(g->disk_cache);
	free(g->disk_io);
	free(g->nic_model);
	memset(g, 0, sizeof(*g));
}

/* What libvirt refuses for one guest's settings together. */
static int check_together(const struct guest_def *g, char *why, size_t whylen)
{
	/* QEMU's native AIO needs O_DIRECT: libvirt refuses io='native' with
	 * any other cache mode. */
	if (strcmp(g->disk_io, "native") == 0 && strcmp(g->disk_cache, "none") != 0 &&
	    strcmp(g->disk_cache, "directsync") != 0) {
		snprintf(why, whylen, "disk_io native needs disk_cache none or directsync, not '%s' (guest '%s')",
			 g->disk_cache, g->name);
		return -EINVAL;
	}
	return 0;
}

int gsettings_check_experiment(const struct suite *s, const struct experiment_def *e, char *why, size_t whylen)
{
	size_t na = e->naxes;
	struct plan_combo it;
	bool any = false;

	if (na > PLAN_AXES_MAX) {
		snprintf(why, whylen, "more than 64 settings varied in one experiment");
		return -EINVAL;
	}
	for (size_t a = 0; a < na; a++) {
		char guest[SUITE_NAME_MAX + 2];
		const char *bare = split_key(e->axes[a].key, guest, sizeof(guest));

		if (gsetting_find(bare) == NULL)
			continue;
		any = true;
		if (!*guest)
			continue;
		for (size_t b = 0; b < na; b++)
			if (strcmp(e->axes[b].key, bare) == 0) {
				snprintf(why, whylen, "'%s' is varied both for every guest and for guest '%s'", bare, guest);
				return -EINVAL;
			}
	}
	if (!any)
		return 0;
	/* Too many combinations: the plan's size check refuses the suite. */
	if (!plan_combo_first(&it, e, SUITE_MAX_RUNS))
		return 0;
	if (e->ops && e->ops->guests == EXP_GUESTS_NONE) {
		snprintf(why, whylen, "%s runs without guests: it cannot vary guest settings", e->type);
		return -EINVAL;
	}
	/* Every combination (at most SUITE_MAX_RUNS, checked before). */
	do {
		for (size_t i = 0; i < s->nguests; i++) {
			struct guest_def g;
			int r = gsettings_effective(s, e, it.vals, &s->guests[i], &g, NULL, why, whylen);

			if (r == 0)
				r = check_together(&g, why, whylen);
			gsettings_def_free(&g);
			if (r < 0)
				return r;
		}
	} while (plan_combo_next(&it));
	return 0;
}
