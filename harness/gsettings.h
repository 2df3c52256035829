/* Guest settings as vary axes: the table of the settings a guest has (the
 * keys of a suite guest), how each one reaches a running guest (a scratch
 * device hot-plugged with it, or a fresh domain), and the checks a suite
 * gets before anything starts.
 *
 * An experiment accepts a guest setting by listing GSETTING_AXIS(key) in its
 * settings table; a suite then varies it for every guest ("disk_cache") or
 * for one ("vm1.disk_cache"). hotplug.h applies a run's values. */
#ifndef HARNESS_GSETTINGS_H
#define HARNESS_GSETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "experiment.h"
#include "suite_types.h"

/* How a setting reaches a running guest. */
enum gsetting_apply {
	GSETTING_SCRATCH_DISK,	/* a scratch disk hot-plugged with it (hotplug.c) */
	GSETTING_NIC,		/* a NIC hot-plugged with it (the network experiments) */
	GSETTING_FRESH,		/* a new domain with it */
};

struct gsetting {
	const char *key;
	const char *help;
	const char *const *allowed;	/* NULL-terminated, or NULL (then check) */
	const char *syntax;
	enum gsetting_apply apply;
	/* Values that the device cannot be hot-plugged with (a bus without
	 * hot-plug): such a value gets a fresh guest. NULL: all hot-plug. */
	const char *const *no_hotplug;
	int (*check)(const char *value, char *why, size_t whylen);
	/* The guest's value as text; set a value into a guest_def (strings
	 * are duplicated; the old one is freed). */
	void (*get)(const struct guest_def *g, char *buf, size_t len);
	int (*set)(struct guest_def *g, const char *value);
};

/* The setting named key (no guest prefix), or NULL. */
const struct gsetting *gsetting_find(const char *key);
/* Every guest setting, NULL-terminated by key. */
extern const struct gsetting gsettings[];
/* "hot-plug" or "fresh-guest" for a value of a setting. */
bool gsetting_hotpluggable(const struct gsetting *gs, const char *value);
const char *gsetting_apply_name(enum gsetting_apply a);

/* The per-key checks an experiment's exp_setting points at. */
int gsetting_check_disk_cache(const char *v, const struct suite *s, char *why, size_t whylen);
int gsetting_check_disk_bus(const char *v, const struct suite *s, char *why, size_t whylen);
int gsetting_check_disk_io(const char *v, const struct suite *s, char *why, size_t whylen);
int gsetting_check_vcpus(const char *v, const struct suite *s, char *why, size_t whylen);
int gsetting_check_memory_mib(const char *v, const struct suite *s, char *why, size_t whylen);

/* The form of each setting's values, for harness experiments and the man page. */
extern const char gsetting_syntax_disk_cache[], gsetting_syntax_disk_bus[], gsetting_syntax_disk_io[],
	gsetting_syntax_vcpus[], gsetting_syntax_memory_mib[];

/* An experiment's setting for a guest setting key (disk_cache, vcpus...):
 * the table's check, the guest's own value as default. */
#define GSETTING_AXIS(k, helptext)                                                                      \
	{ .key = #k, .help = helptext " (guest setting; vmN." #k " for one guest)",                   \
	  .syntax = gsetting_syntax_##k, .def_doc = "each guest's own", \
	  .check = gsetting_check_##k }

/* The experiment's setting for a key of a vary mapping: the key itself, or
 * GUEST.KEY for a guest setting the experiment accepts and a guest of the
 * suite. NULL with why when there is none. */
const struct exp_setting *gsettings_axis_setting(const struct experiment *e, const struct suite *s,
						 const char *key, char *why, size_t whylen);

/* Every combination of the experiment's axes, for every guest: the values
 * that apply to it together are ones libvirt accepts, no setting is varied
 * both for all guests and for one, and what cannot hot-plug can get a
 * fresh guest. 0, or -EINVAL with why (naming the key and the values). */
int gsettings_check_experiment(const struct suite *s, const struct experiment_def *e, char *why, size_t whylen);

/* One guest's settings in one run: a copy of its suite entry with the
 * run's axis values (values[i] for e->axes[i]) applied. changed[] (one per
 * gsettings[] entry, may be NULL) says which settings the run sets. Free
 * with gsettings_def_free. */
int gsettings_effective(const struct suite *s, const struct experiment_def *e, const char *const *values,
			const struct guest_def *base, struct guest_def *out, bool *changed, char *why,
			size_t whylen);
void gsettings_def_free(struct guest_def *g);
/* The number of entries of gsettings[]. */
size_t gsettings_count(void);

#endif
