/* boot: domain start to guest-agent ready, and the QEMU process's resident
 * memory right after, for every guest of the suite. */
#include <errno.h>

#include "run.h"

int exp_boot(struct runctx *rc, const struct plan_run *run, cJSON *record, struct herr *err)
{
	cJSON *gl;
	int r;

	(void)run;
	/* Measure a cold start: fresh overlays, fresh domains. */
	run_guests_down(rc);
	r = run_guests_up(rc, true, err);
	gl = cJSON_AddArrayToObject(record, "guests");
	for (size_t i = 0; i < rc->nguests; i++) {
		struct guest *g = &rc->guests[i];
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
	/* Leave nothing running: the next experiment borrows the standing
	 * guests when there are any, instead of sharing the CPUs with these. */
	run_guests_down(rc);
	return r;
}
