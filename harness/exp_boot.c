/* boot: domain start to guest-agent ready, and the QEMU process's resident
 * memory right after, for every guest of the suite. */
#include <stdio.h>

#include "doc.h"
#include "experiment.h"
#include "provision.h"

static int boot_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	struct provision *pv = x->pv;
	cJSON *gl;
	int r;

	/* Measure a cold start: the core removed the guests; fresh overlays,
	 * fresh domains. It removes them again afterwards, so that the next
	 * experiment does not share the CPUs with these. */
	r = provision_up(pv, true, err);
	gl = cJSON_AddArrayToObject(record, "guests");
	for (size_t i = 0; i < pv->nguests; i++) {
		struct guest *g = &pv->guests[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", g->def->name);
		cJSON_AddStringToObject(o, "image", g->def->image);
		cJSON_AddBoolToObject(o, "ready", g->ready);
		if (g->ready) {
			cJSON_AddNumberToObject(o, "boot_s", g->boot_s);
			cJSON_AddNumberToObject(o, "qemu_rss_mib", (double)g->qemu_rss_kib / 1024.0);
		} else if (g->failure) {
			cJSON_AddStringToObject(o, "error", g->failure);
		}
		cJSON_AddItemToArray(gl, o);
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
	cJSON *g;

	(void)runs;
	(void)nruns;
	fputs("\n.TS\nbox;\nc c c\nl n n.\nguest\tstart to agent-ready (s)\tQEMU RSS at idle (MiB)\n", d->f);
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(grp, "guests"))
	{
		doc_text(d->f, doc_jstr(g, "name", "?"));
		fprintf(d->f, "\t%.1f \\(+- %.1f\t%.0f\n", doc_jstat(g, "boot_s", "mean"), doc_jstat(g, "boot_s", "sd"),
			doc_jstat(g, "qemu_rss_mib", "mean"));
	}
	fputs(".TE\n", d->f);
}

static const struct exp_metric boot_metrics[] = {
	{ .name = "boot_s", .scope = METRIC_PER_GUEST, .path = { "boot_s" }, .unit = "s", .better = -1,
	  .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "domain start to the guest agent's first answer" },
	{ .name = "qemu_rss_mib", .scope = METRIC_PER_GUEST, .path = { "qemu_rss_mib" }, .unit = "MiB",
	  .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE,
	  .help = "resident memory of the QEMU process right after boot" },
};

const struct experiment exp_boot_info = {
	.name = "boot",
	.summary = "domain start to guest-agent ready, and QEMU's memory at idle, on fresh guests",
	.guests = EXP_GUESTS_FRESH,
	.metrics = boot_metrics,
	.nmetrics = sizeof(boot_metrics) / sizeof(boot_metrics[0]),
	.estimate_s = boot_estimate_s,
	.run = boot_run,
	.report_group = boot_report_group,
};
