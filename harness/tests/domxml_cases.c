/* Every domain XML the harness can generate, written to a directory for
 * tests/t-domxml.sh to validate with libvirt's own schema
 * (virt-xml-validate): for type='qemu' (TCG) and type='kvm', the guest of
 * each value of every guest setting (fresh guests and hot-plugged scratch
 * disks, with the SCSI controller), the suite guests' NIC models, the
 * network experiment's hot-plugged NICs, the CPU weights and pinning of
 * cpu-contention, a restored saved state, a migration's destination XML,
 * and the isolated network's XML.
 *
 * The settings come from the registry (harness experiments): each setting
 * of each experiment is either turned into XML here or listed as one that
 * never reaches a domain XML; a setting in neither list fails (exit 1), so
 * a new setting cannot go unchecked. Values: the setting's list, its
 * default and the bounds of its syntax ("A..B"), each kept only when the
 * setting's own check accepts it.
 *
 * usage: domxml_cases DIR   (prints "SCHEMA FILE WHAT" per document) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domxml.h"
#include "exp_network.h"
#include "experiments.h"
#include "gsettings.h"
#include "guest.h"
#include "hotplug.h"
#include "netiso.h"
#include "savestate.h"
#include "standing.h"
#include "suite.h"

static const char *outdir;
static int ndocs, failed;

static void emit(const char *schema, const char *what, const char *xml)
{
	char path[4096];
	FILE *f;

	if (xml == NULL) {
		fprintf(stderr, "domxml_cases: no XML for %s\n", what);
		failed = 1;
		return;
	}
	snprintf(path, sizeof(path), "%s/%03d.xml", outdir, ++ndocs);
	f = fopen(path, "w");
	if (f == NULL || fputs(xml, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "domxml_cases: cannot write %s\n", path);
		exit(2);
	}
	printf("%s %s %s\n", schema, path, what);
}

/* The domain of guest def as guest.c writes it, with what a run adds. */
static char *domain(const struct guest_def *def, enum accel accel, unsigned long shares, const char *cpuset,
		    const char *extra)
{
	struct domain_spec spec = {
		.name = "hr-20260101-000000-t-vm1", .accel = accel, .vcpus = def->vcpus,
		.memory_mib = def->memory_mib, .kernel = "/var/lib/harness/images/general/vmlinuz",
		.initrd = "/var/lib/harness/images/general/initrd.img",
		.cmdline = "root=LABEL=harness-root rw console=ttyS0",
		.disk_path = "/var/lib/harness/runs/20260101-000000-t/vm1.qcow2", .disk_bus = def->disk_bus,
		.disk_cache = def->disk_cache, .disk_io = def->disk_io, .nic_model = def->nic_model,
		.console_log = "/var/lib/harness/runs/20260101-000000-t/vm1.console.log", .shares = shares,
		.extra_devices_xml = extra, .vcpu_cpuset = cpuset,
	};
	struct herror err = { 0 };
	char *xml = domxml_build(&spec, &err);

	if (xml == NULL)
		fprintf(stderr, "domxml_cases: %s\n", err.msg);
	return xml;
}

static struct guest_def copy_def(const struct guest_def *g)
{
	struct guest_def d = *g;

	d.name = xstrdup(g->name);
	d.image = xstrdup(g->image);
	d.disk_bus = xstrdup(g->disk_bus);
	d.disk_cache = xstrdup(g->disk_cache);
	d.disk_io = xstrdup(g->disk_io);
	d.nic_model = xstrdup(g->nic_model);
	d.host = NULL;
	return d;
}

/* Candidate values of a setting: its list, its default, and the two ends
 * of every "A..B" in its syntax (and the middle, rounded). */
struct values {
	char *v[64];
	size_t n;
};

static void add_value(struct values *vs, const char *v)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i], v) == 0)
			return;
	if (vs->n < 64)
		vs->v[vs->n++] = xstrdup(v);
}

static void candidate_values(const char *const *allowed, const char *def, const char *syntax, struct values *vs)
{
	vs->n = 0;
	for (size_t i = 0; allowed && allowed[i]; i++)
		add_value(vs, allowed[i]);
	if (def)
		add_value(vs, def);
	for (const char *p = syntax; p && (p = strstr(p, "..")) != NULL; p += 2) {
		const char *a = p;
		long lo, hi;
		char num[32];

		while (a > syntax && (a[-1] >= '0' && a[-1] <= '9'))
			a--;
		if (sscanf(a, "%ld..%ld", &lo, &hi) != 2)
			continue;
		snprintf(num, sizeof(num), "%ld", lo);
		add_value(vs, num);
		snprintf(num, sizeof(num), "%ld", hi);
		add_value(vs, num);
		snprintf(num, sizeof(num), "%ld", lo + (hi - lo) / 2);
		add_value(vs, num);
	}
}

static void values_free(struct values *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->v[i]);
	vs->n = 0;
}

static struct suite *test_suite;

static bool accepted(const struct exp_setting *st, const char *v)
{
	char why[400];

	return exp_setting_check(st, v, test_suite, why, sizeof(why)) == 0;
}

static const char *const accel_names[] = { [ACCEL_TCG] = "qemu", [ACCEL_KVM] = "kvm" };

/* ---- the settings that reach a domain XML ---- */

/* A guest setting: the fresh guest with the value, and for a setting of
 * the disk under test the hot-plugged scratch disk too. */
static void gsetting_cases(const struct experiment *e, const struct exp_setting *st, const struct gsetting *gs,
			   enum accel a)
{
	struct values vs;

	candidate_values(gs->allowed, NULL, gs->syntax ? gs->syntax : st->syntax, &vs);
	for (size_t i = 0; i < vs.n; i++) {
		struct guest_def def = copy_def(&test_suite->guests[0]);
		char what[256];
		char *xml;

		if (!accepted(st, vs.v[i]) || gs->set(&def, vs.v[i]) < 0) {
			gsettings_def_free(&def);
			continue;
		}
		/* native I/O needs an uncached disk (the suite refuses it otherwise). */
		if (strcmp(def.disk_io, "native") == 0) {
			free(def.disk_cache);
			def.disk_cache = xstrdup("none");
		}
		snprintf(what, sizeof(what), "%s %s=%s: a fresh guest (type %s)", e->name, st->key, vs.v[i], accel_names[a]);
		xml = domain(&def, a, 0, NULL, NULL);
		emit("domain", what, xml);
		free(xml);
		if (gs->apply == GSETTING_SCRATCH_DISK) {
			struct hotplug_scratch s = {
				.guest = "vm1", .path = "/var/lib/harness/runs/20260101-000000-t/gs/scratch-vm1.raw",
				.target = strcmp(def.disk_bus, "virtio") == 0 ? "vdz" : "sdz", .bus = def.disk_bus,
				.cache = def.disk_cache, .io = def.disk_io,
			};
			char *disk = hotplug_disk_xml(&s);
			char *extra = xasprintf("%s%s", strcmp(def.disk_bus, "scsi") == 0 ? HOTPLUG_SCSI_CTRL_XML : "",
						disk);

			snprintf(what, sizeof(what), "%s %s=%s: the hot-plugged scratch disk (type %s)", e->name, st->key,
				 vs.v[i], accel_names[a]);
			xml = domain(&test_suite->guests[0], a, 0, NULL, extra);
			emit("domain", what, xml);
			free(xml);
			free(extra);
			free(disk);
		}
		gsettings_def_free(&def);
	}
	values_free(&vs);
}

/* cpu-contention: shares (<cputune><shares> of each guest). */
static void shares_cases(const struct experiment *e, const struct exp_setting *st, enum accel a)
{
	struct values vs;

	candidate_values(st->allowed, st->def, st->syntax, &vs);
	/* The syntax's bounds are one guest's weight: as a pair. */
	for (size_t i = 0, n = vs.n; i < n; i++) {
		char *pair = xasprintf("%s:%s", vs.v[i], vs.v[n - 1 - i]);
		add_value(&vs, pair);
		free(pair);
	}
	for (size_t i = 0; i < vs.n; i++) {
		unsigned long w[2];
		char what[256];

		if (!accepted(st, vs.v[i]) || sscanf(vs.v[i], "%lu:%lu", &w[0], &w[1]) != 2)
			continue;
		for (size_t g = 0; g < 2; g++) {
			char *xml = domain(&test_suite->guests[g], a, w[g], NULL, NULL);

			snprintf(what, sizeof(what), "%s %s=%s: guest %zu (type %s)", e->name, st->key, vs.v[i], g + 1,
				 accel_names[a]);
			emit("domain", what, xml);
			free(xml);
		}
	}
	values_free(&vs);
}

/* cpu-contention: pinning and overcommit (<vcpupin>, <emulatorpin>). */
static void pinning_cases(const struct experiment *e, const struct exp_setting *st, enum accel a)
{
	struct values vs;

	candidate_values(st->allowed, st->def, st->syntax, &vs);
	for (size_t i = 0, n = vs.n; i < n; i++) {
		char *ratio = xasprintf("%s:1", vs.v[i]);	/* overcommit's R of "R:1" */
		add_value(&vs, ratio);
		free(ratio);
	}
	for (size_t i = 0; i < vs.n; i++) {
		for (size_t g = 0; g < 2; g++) {
			const char *v = vs.v[i];
			char cpuset[32], what[256];
			char *xml;

			if (!accepted(st, v))
				break;
			if (strcmp(v, "none") == 0)
				snprintf(cpuset, sizeof(cpuset), "%s", "");
			else if (strcmp(v, "same") == 0)
				snprintf(cpuset, sizeof(cpuset), "0");
			else if (strcmp(v, "different") == 0)
				snprintf(cpuset, sizeof(cpuset), "%zu", g);
			else
				snprintf(cpuset, sizeof(cpuset), "0-1");	/* R:1 onto the first host CPUs */
			xml = domain(&test_suite->guests[g], a, 0, *cpuset ? cpuset : NULL, NULL);
			snprintf(what, sizeof(what), "%s %s=%s: guest %zu (type %s)", e->name, st->key, v, g + 1,
				 accel_names[a]);
			emit("domain", what, xml);
			free(xml);
		}
	}
	values_free(&vs);
}

/* network: the NIC hot-plugged into each guest, every model with vhost
 * on and off where the experiment allows the pair. */
static void nic_cases(const struct experiment *e, const struct exp_setting *st, enum accel a)
{
	const struct exp_setting *models = exp_setting_find(e, "nic_model"), *vhost = exp_setting_find(e, "vhost");

	if (strcmp(st->key, "nic_model") != 0 || models == NULL || vhost == NULL)
		return;	/* both keys at once, once */
	for (size_t m = 0; models->allowed && models->allowed[m]; m++) {
		for (size_t v = 0; vhost->allowed && vhost->allowed[v]; v++) {
			char why[300], what[256];
			char *nic, *xml;

			if (network_check_combination(models->allowed[m], vhost->allowed[v], why, sizeof(why)) < 0)
				continue;
			nic = netiso_nic_xml("hn-1234", "52:54:00:04:d2:01", models->allowed[m],
					     strcmp(vhost->allowed[v], "on") == 0);
			xml = domain(&test_suite->guests[0], a, 0, NULL, nic);
			snprintf(what, sizeof(what), "%s nic_model=%s vhost=%s: the hot-plugged NIC (type %s)", e->name,
				 models->allowed[m], vhost->allowed[v], accel_names[a]);
			emit("domain", what, xml);
			free(xml);
			free(nic);
		}
	}
}

/* migration: storage copy sends a destination XML (the disk on the
 * destination's overlay); shared keeps the domain's own. */
static void migration_cases(const struct experiment *e, const struct exp_setting *st, enum accel a)
{
	char *xml = domain(&test_suite->guests[0], a, 0, NULL, NULL), *dest;
	char what[256];

	for (size_t i = 0; st->allowed && st->allowed[i]; i++) {
		if (strcmp(st->allowed[i], "copy") == 0)
			dest = domxml_dest_disk(xml, "/var/lib/harness/runs/20260101-000000-t/vm1.qcow2",
						"/var/lib/harness-h2/runs/20260101-000000-t/mig-vm1.qcow2");
		else
			dest = xstrdup(xml);
		snprintf(what, sizeof(what), "%s %s=%s: the destination XML (type %s)", e->name, st->key,
			 st->allowed[i], accel_names[a]);
		emit("domain", what, dest);
		free(dest);
	}
	free(xml);
}

/* boot: start restore gives libvirt the saved XML with this run's paths. */
static void start_cases(const struct experiment *e, const struct exp_setting *st, enum accel a)
{
	char *xml = domain(&test_suite->guests[0], a, 0, NULL, NULL);
	char what[256];

	for (size_t i = 0; st->allowed && st->allowed[i]; i++) {
		struct herror err = { 0 };
		char *out = strcmp(st->allowed[i], "restore") == 0 ?
			savestate_restore_xml(xml, "hs-general-vm1", "/var/lib/harness/runs/20260101-000000-t/r.qcow2",
					      "/var/lib/harness/runs/20260101-000000-t/vm1.console.log", &err) :
			xstrdup(xml);

		snprintf(what, sizeof(what), "%s %s=%s (type %s)", e->name, st->key, st->allowed[i], accel_names[a]);
		emit("domain", what, out);
		free(out);
	}
	free(xml);
}

typedef void (*case_fn)(const struct experiment *e, const struct exp_setting *st, enum accel a);

static const struct {
	const char *exp, *key;
	case_fn fn;
} xml_settings[] = {
	{ "cpu-contention", "shares", shares_cases },
	{ "cpu-contention", "pinning", pinning_cases },
	{ "cpu-contention", "overcommit", pinning_cases },
	{ "network", "nic_model", nic_cases },
	{ "network", "vhost", nic_cases },
	{ "migration", "storage", migration_cases },
	{ "boot", "start", start_cases },
};

/* Settings that never reach a domain XML: what the workloads do, the
 * migration's parameters (virDomainMigrate3's, not XML), which guest runs
 * what. NULL exp: in every experiment. */
static const struct {
	const char *exp, *key;
} no_xml[] = {
	{ NULL, "guest" },
	{ "sched-mix", "cpu_threads" }, { "sched-mix", "io_threads" }, { "sched-mix", "io_sleep_us" },
	{ "sched-mix", "io_work_us" },
	{ "nice", "nice" }, { "nice", "cpu" },
	{ "deadlock", "threads" }, { "deadlock", "hold_ms" }, { "deadlock", "order" }, { "deadlock", "stall_timeout_s" },
	{ "avoidance", "state" }, { "avoidance", "request" },
	{ "proportional-share", "scenario" }, { "proportional-share", "weights" }, { "proportional-share", "cpu_max" },
	{ "memory-limits", "mechanism" }, { "memory-limits", "limit" }, { "memory-limits", "target" },
	{ "isolation", "second_root" }, { "isolation", "starts" }, { "isolation", "against" },
	{ "api-call", "request_size" }, { "api-call", "concurrency" },
	{ "admission", "capacity" }, { "admission", "claims" },
	{ "overhead", "starts" },
	{ "migration", "to" }, { "migration", "max_downtime_ms" }, { "migration", "bandwidth_mib_s" },
	{ "migration", "postcopy" }, { "migration", "auto_converge" }, { "migration", "compression" },
	{ "migration", "dirty_mib" }, { "migration", "dirty_rate_mib_s" }, { "migration", "timeout_s" },
	{ "migration", "tcg_tlb_flush" },
	{ "disk", "method" }, { "disk", "reference" },
	{ "network", "reference" },
	{ "memory", "pressure_mib" }, { "memory", "balloon_pct" },
};

static bool listed_no_xml(const char *exp, const char *key)
{
	for (size_t i = 0; i < sizeof(no_xml) / sizeof(no_xml[0]); i++)
		if ((no_xml[i].exp == NULL || strcmp(no_xml[i].exp, exp) == 0) && strcmp(no_xml[i].key, key) == 0)
			return true;
	return false;
}

static case_fn xml_case(const char *exp, const char *key)
{
	for (size_t i = 0; i < sizeof(xml_settings) / sizeof(xml_settings[0]); i++)
		if (strcmp(xml_settings[i].exp, exp) == 0 && strcmp(xml_settings[i].key, key) == 0)
			return xml_settings[i].fn;
	return NULL;
}

static const char suite_text[] =
	"suite: domxml\n"
	"guests:\n"
	"  - {name: vm1, image: general, vcpus: 2, memory_mib: 1024}\n"
	"  - {name: vm2, image: security, vcpus: 2, memory_mib: 1024}\n"
	"experiments:\n"
	"  - type: boot\n";

int main(int argc, char **argv)
{
	struct herror err = { 0 };
	size_t classified = 0;

	if (argc != 2) {
		fputs("usage: domxml_cases DIR\n", stderr);
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST) {
		perror(outdir);
		return 2;
	}
	if (suite_parse("domxml.yaml", suite_text, sizeof(suite_text) - 1, &test_suite, &err) < 0) {
		fprintf(stderr, "domxml_cases: %s\n", err.msg);
		return 2;
	}
	for (int a = ACCEL_TCG; a <= ACCEL_KVM; a++) {
		enum accel accel = (enum accel)a;
		char what[128];
		char *xml;

		/* The standing guests, and a suite guest with each NIC model. */
		for (size_t i = 0; i < STANDING_COUNT; i++) {
			xml = domain(&standing_guests[i], accel, 0, NULL, NULL);
			snprintf(what, sizeof(what), "standing guest %s (type %s)", standing_guests[i].name, accel_names[a]);
			emit("domain", what, xml);
			free(xml);
		}
		for (size_t m = 0; suite_nic_models[m]; m++) {
			struct guest_def def = copy_def(&test_suite->guests[0]);

			free(def.nic_model);
			def.nic_model = xstrdup(suite_nic_models[m]);
			xml = domain(&def, accel, 0, NULL, NULL);
			snprintf(what, sizeof(what), "suite guest nic_model=%s (type %s)", suite_nic_models[m],
				 accel_names[a]);
			emit("domain", what, xml);
			free(xml);
			gsettings_def_free(&def);
		}
		for (size_t e = 0; e < experiments_count; e++) {
			const struct experiment *ex = experiments[e];

			for (size_t k = 0; k < ex->nsettings; k++) {
				const struct exp_setting *st = &ex->settings[k];
				const struct gsetting *gs = gsetting_find(st->key);
				case_fn fn = xml_case(ex->name, st->key);

				if (gs)
					gsetting_cases(ex, st, gs, accel);
				else if (fn)
					fn(ex, st, accel);
				else if (!listed_no_xml(ex->name, st->key)) {
					fprintf(stderr, "domxml_cases: setting '%s' of experiment '%s' is in neither list: "
						"make its domain XML here, or list it as one that never reaches one\n",
						st->key, ex->name);
					failed = 1;
				}
				classified += a == ACCEL_TCG;
			}
		}
	}
	{
		struct netiso n;
		char *xml;

		netiso_names(&n, 1234);
		xml = netiso_network_xml(&n);

		emit("network", "the network experiment's isolated network", xml);
		free(xml);
	}
	fprintf(stderr, "domxml_cases: %d documents for %zu settings of %zu experiments\n", ndocs, classified,
		experiments_count);
	suite_free(test_suite);
	return failed;
}
