/* boot: domain start to guest-agent ready, and the QEMU process's resident
 * memory right after, for every guest of the suite. */
#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#include "doc.h"
#include "experiment.h"
#include "provision.h"
#include "savestate.h"

static int boot_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	struct provision *pv = x->pv;
	const char *start = exp_setting_value(x, "start");
	bool restore = strcmp(start, "restore") == 0;
	cJSON *gl;
	int r;

	/* The core removed the guests: fresh overlays, fresh domains, booted
	 * cold or restored from a saved state. It removes them again
	 * afterwards, so that the next experiment does not share the CPUs with
	 * these. */
	if (restore && pv->no_restore) {
		cJSON_AddArrayToObject(record, "guests");
		return error_setx(err, EINVAL, "start: restore cannot be measured with --no-restore");
	}
	pv->start = restore ? PROVISION_START_RESTORE : PROVISION_START_COLD;
	r = provision_up(pv, true, err);
	pv->start = PROVISION_START_AUTO;
	gl = cJSON_AddArrayToObject(record, "guests");
	for (size_t i = 0; i < pv->nguests; i++) {
		struct guest *g = &pv->guests[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", g->def->name);
		cJSON_AddStringToObject(o, "image", g->def->image);
		cJSON_AddBoolToObject(o, "ready", g->ready);
		cJSON_AddBoolToObject(o, "restored", g->start && g->start->restored);
		if (g->ready) {
			cJSON_AddNumberToObject(o, "boot_s", g->boot_s);
			cJSON_AddNumberToObject(o, "qemu_rss_mib", (double)g->qemu_rss_kib / 1024.0);
		} else if (g->failure) {
			cJSON_AddStringToObject(o, "error", g->failure);
		}
		cJSON_AddItemToArray(gl, o);
		/* A fallback cold boot is not a restore: the run fails rather
		 * than put a cold boot among the restores. */
		if (r == 0 && restore && !(g->start && g->start->restored))
			r = error_setx(err, EIO, "%s was not restored (%s); it booted cold", g->def->name,
				       g->start && g->start->restore_error ? g->start->restore_error :
				       g->start && g->start->cold_reason ? g->start->cold_reason : "no saved state");
	}
	return r;
}

static double boot_estimate_s(const struct experiment_def *def)
{
	(void)def;
	return 90;
}

static void boot_report_group(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns)
{
	char mean[32], ci[64];
	cJSON *g;

	(void)runs;
	(void)nruns;
	fputs("\n.TS\nbox;\nc c c c\nl n n n.\n"
	      "guest\tstart to agent-ready (s)\t95% CI (s)\tQEMU RSS at idle (MiB)\n", d->f);
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(grp, "guests"))
	{
		double n = doc_jstat(g, "boot_s", "n");

		doc_text(d->f, doc_jstr(g, "name", "?"));
		snprintf(mean, sizeof(mean), "%.1f", doc_jstat(g, "boot_s", "mean"));
		/* One repeat has no interval: say so rather than print a width of 0. */
		if (n >= 2)
			snprintf(ci, sizeof(ci), "%.1f\\(en%.1f", doc_jstat(g, "boot_s", "ci95_low"),
				 doc_jstat(g, "boot_s", "ci95_high"));
		else
			snprintf(ci, sizeof(ci), "\\(em (one run)");
		fprintf(d->f, "\t%s\t%s\t%.0f\n", mean, ci, doc_jstat(g, "qemu_rss_mib", "mean"));
	}
	fputs(".TE\n", d->f);
}

/* Boot time and QEMU memory of every guest and setting, with error bars. */
static void boot_report_end(struct report_doc *d, cJSON *groups)
{
	struct doc_bar boot[64], rss[64];
	char labels[64][160];
	size_t n = 0;
	cJSON *grp, *g;

	cJSON_ArrayForEach(grp, groups) {
		char st[128];

		if (strcmp(doc_jstr(grp, "experiment", ""), "boot") != 0)
			continue;
		doc_settings_text(cJSON_GetObjectItemCaseSensitive(grp, "settings"), st, sizeof(st));
		cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(grp, "guests")) {
			if (n == sizeof(boot) / sizeof(boot[0]))
				break;
			snprintf(labels[n], sizeof(labels[n]), "%s%s%s", doc_jstr(g, "name", "?"),
				 strcmp(st, "defaults") ? "\n" : "", strcmp(st, "defaults") ? st : "");
			boot[n] = (struct doc_bar){ labels[n], doc_jstat(g, "boot_s", "mean"),
						    doc_jstat(g, "boot_s", "ci95_low"), doc_jstat(g, "boot_s", "ci95_high"),
						    NAN };
			rss[n] = (struct doc_bar){ labels[n], doc_jstat(g, "qemu_rss_mib", "mean"),
						   doc_jstat(g, "qemu_rss_mib", "ci95_low"),
						   doc_jstat(g, "qemu_rss_mib", "ci95_high"), NAN };
			n++;
		}
	}
	if (n == 0)
		return;
	doc_heading(d, 2, "Boot time and memory, all guests", 3.2);
	doc_plot_bars(d, "boot", "Domain start to guest-agent ready (mean, 95% CI)", "seconds", boot, n,
		      "bars: mean time from starting the domain to the guest agent's first answer; error bars: "
		      "95% confidence interval of the mean (none with a single repeat). Shorter is better.");
	doc_plot_bars(d, "rss", "QEMU resident memory right after boot (mean, 95% CI)", "MiB", rss, n,
		      "bars: resident memory of each guest's QEMU process once the guest is idle, which includes "
		      "the guest RAM it has touched; lower is better.");
}

static const char *const boot_starts[] = { "cold", "restore", NULL };

static const struct exp_setting boot_settings[] = {
	{ .key = "start", .help = "cold: boot from a fresh overlay; restore: restore a saved, booted state onto one",
	  .allowed = boot_starts, .def = "cold" },
};

static const struct exp_metric boot_metrics[] = {
	{ .name = "boot_s", .scope = METRIC_PER_GUEST, .path = { "boot_s" }, .unit = "s", .better = -1,
	  .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "domain start to the guest agent's first answer" },
	{ .name = "qemu_rss_mib", .scope = METRIC_PER_GUEST, .path = { "qemu_rss_mib" }, .unit = "MiB",
	  .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE,
	  .help = "resident memory of the QEMU process right after boot" },
};

const struct experiment exp_boot_info = {
	.name = "boot",
	.summary = "domain start (cold boot or restore) to guest-agent ready, and QEMU's memory, on fresh guests",
	.guests = EXP_GUESTS_FRESH,
	.settings = boot_settings,
	.nsettings = sizeof(boot_settings) / sizeof(boot_settings[0]),
	.metrics = boot_metrics,
	.nmetrics = sizeof(boot_metrics) / sizeof(boot_metrics[0]),
	.estimate_s = boot_estimate_s,
	.run = boot_run,
	.report_group = boot_report_group,
	.report_end = boot_report_end,
	.explain = "Each run starts every guest afresh on a new copy-on-write overlay, with a cold boot (start: "
		   "cold) or by restoring a saved, booted state (start: restore), and times the span from starting "
		   "the domain (or the restore) to the first answer of the guest agent inside it, then reads "
		   "the resident memory of the guest's QEMU process. Theory gives no value here: read "
		   "the bars as a baseline and compare runs with each other (harness compare). Error bars are "
		   "95% confidence intervals of the mean and need at least two repeats.",
};
