#include "export.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "experiments.h"
#include "records.h"

/* Text from a record that starts as a spreadsheet formula would (=, +, -,
 * @, tab, carriage return) gets a single quote in front, as OWASP's "CSV
 * injection" page advises: a spreadsheet shows it as text instead of
 * running it. Numbers are written by us (%.17g) and never changed. */
static void csv_field_as(FILE *out, const char *s, bool last, bool text)
{
	fputc('"', out);
	if (text && *s && strchr("=+-@\t\r", *s))
		fputc('\'', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputs(last ? "\"\n" : "\",", out);
}

void export_csv_field(FILE *out, const char *s, bool last)
{
	csv_field_as(out, s, last, true);
}

void export_csv_number(FILE *out, const char *s, bool last)
{
	csv_field_as(out, s, last, false);
}

struct row {
	const char *run, *exp, *settings, *repeat;
};

static void metric_row(FILE *out, const struct row *r, const char *guest, const struct exp_metric *mt, cJSON *v)
{
	char num[64];

	/* records_load refused records with numbers that are not finite. */
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return;
	snprintf(num, sizeof(num), "%.17g", v->valuedouble);
	export_csv_field(out, r->run, false);
	export_csv_field(out, r->exp, false);
	export_csv_field(out, r->settings, false);
	export_csv_field(out, r->repeat, false);
	export_csv_field(out, guest, false);
	export_csv_field(out, mt->name, false);
	export_csv_number(out, num, false);
	export_csv_field(out, mt->unit, true);
}

int export_csv(const char *results_dir, FILE *out, struct herror *err)
{
	static const char *const header[] = { "run", "experiment", "settings", "repeat", "guest", "metric", "value",
					      "unit" };
	struct run_records rr;

	if (records_load(results_dir, RECORDS_OK, &rr, err) < 0)
		return -err->status;
	records_filter(&rr, experiment_known);
	for (size_t i = 0; i < 8; i++)
		export_csv_field(out, header[i], i == 7);
	for (size_t i = 0; i < rr.n; i++) {
		cJSON *rec = rr.recs[i], *kv, *g;
		cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "run_id");
		cJSON *rep = cJSON_GetObjectItemCaseSensitive(rec, "repeat");
		const char *exp = cJSON_GetObjectItemCaseSensitive(rec, "experiment")->valuestring;
		const struct experiment *ops = experiment_find(exp);
		char *settings = xstrdup(""), repeat[32] = "";
		struct row r;

		if (ops == NULL) {	/* records_filter left none */
			free(settings);
			continue;
		}
		cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(rec, "settings")) {
			char *t;

			if (!cJSON_IsString(kv))
				continue;
			t = xasprintf("%s%s%s=%s", settings, *settings ? ";" : "", kv->string, kv->valuestring);
			free(settings);
			settings = t;
		}
		/* A whole number as written, never cJSON's clamped valueint
		 * (1e999 would read as 2147483647). */
		if (cJSON_IsNumber(rep) && fabs(rep->valuedouble) < 1e15 && rep->valuedouble == floor(rep->valuedouble))
			snprintf(repeat, sizeof(repeat), "%.0f", rep->valuedouble);
		r = (struct row){ .run = cJSON_IsString(id) ? id->valuestring : "", .exp = exp, .settings = settings,
				  .repeat = repeat };
		for (size_t m = 0; m < ops->nmetrics; m++) {
			const struct exp_metric *mt = &ops->metrics[m];

			if (mt->scope == METRIC_PER_RUN) {
				metric_row(out, &r, "", mt, record_at(rec, mt->path));
				continue;
			}
			cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(rec, "guests")) {
				cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "name");

				if (cJSON_IsString(name))
					metric_row(out, &r, name->valuestring, mt, record_at(g, mt->path));
			}
		}
		free(settings);
	}
	records_free(&rr);
	if (fflush(out) != 0 || ferror(out))
		return error_set(err, errno, "cannot write the CSV");
	return 0;
}
