#include "expdoc.h"

#include <errno.h>
#include <string.h>

#include "experiments.h"

/* A suite entry with only a type: what estimate_s sees by default. */
#define DEFAULT_DURATION_S 20

static const char *guests_text(enum exp_guests g)
{
	switch (g) {
	case EXP_GUESTS_NONE: return "none";
	case EXP_GUESTS_BORROWED:
		return "borrowed: the standing guests (vm up) when they match the suite, else the run's own, kept up "
		       "between runs";
	case EXP_GUESTS_FRESH: return "fresh: restored from a saved state (or booted cold) on new overlays for each run, removed after it";
	}
	return "?";
}

static const char *better_text(int better)
{
	return better > 0 ? "higher" : better < 0 ? "lower" : "neither";
}

/* "none | same | different", or the syntax. */
static void values_text(const struct exp_setting *st, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	if (st->allowed == NULL) {
		snprintf(buf, len, "%s", st->syntax ? st->syntax : "?");
		return;
	}
	for (size_t i = 0; st->allowed[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " | " : "", st->allowed[i]);
}

static const char *default_text(const struct exp_setting *st)
{
	return st->def ? st->def : st->def_doc ? st->def_doc : "?";
}

/* "+-0.05 (fixed)" or where the run's own tolerance comes from. */
static void tolerance_text(const struct exp_metric *mt, char *buf, size_t len)
{
	if (mt->tolerance_doc)
		snprintf(buf, len, "%s", mt->tolerance_doc);
	else if (mt->tolerance > 0)
		snprintf(buf, len, "+-%g %s (fixed)", mt->tolerance, mt->unit);
	else
		snprintf(buf, len, "none");
}

/* How every tolerance is set: theory.h, in words. */
static const char tolerance_rule[] =
	"a check against theory passes when the mean over the runs is within the tolerance of the expected "
	"value; a per-run tolerance is written into each record (its \"tolerance\" object) as the sum of an "
	"allowance for the accelerator (KVM or TCG), 3 standard deviations of one run in the experiment's A/A runs "
	"(scaled by sqrt(A/A duration / duration) where the noise shrinks with the run) and what the sampling "
	"period can hide";

static void use_text(unsigned use, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", use & METRIC_SUMMARY ? "summary" : "",
		 (use & METRIC_SUMMARY) && (use & METRIC_COMPARE) ? ", " : "", use & METRIC_COMPARE ? "compare" : "");
}

void expdoc_list(FILE *f)
{
	char values[256];

	for (size_t i = 0; i < experiments_count; i++) {
		const struct experiment *e = experiments[i];

		fprintf(f, "%s%s\n  %s\n", i ? "\n" : "", e->name, e->summary);
		fputs("  settings:", f);
		if (e->nsettings == 0)
			fputs(" none", f);
		fputc('\n', f);
		for (size_t k = 0; k < e->nsettings; k++) {
			values_text(&e->settings[k], values, sizeof(values));
			fprintf(f, "    %-10s %s (default: %s)\n", e->settings[k].key, values, default_text(&e->settings[k]));
		}
		fputs("  metrics:\n", f);
		for (size_t m = 0; m < e->nmetrics; m++) {
			const struct exp_metric *mt = &e->metrics[m];
			fprintf(f, "    %-16s %s%s%s\n", mt->name, *mt->unit ? mt->unit : "(no unit)",
				mt->better ? ", better " : "", mt->better ? better_text(mt->better) : "");
		}
	}
	fputs("\nEvery recorded run also measures what is not the run (host_noise: other processes' CPU,\n"
	      "memory and I/O, steal, CPU frequency). A run is disturbed when other processes took more\n"
	      "than 5% of one host CPU or changed their memory by more than 128 MiB; it is re-run\n"
	      "(rerun_disturbed) and left out of statistics and compare (see harness(1), HOST NOISE).\n", f);
}

int expdoc_show(FILE *f, const char *name, struct herror *err)
{
	const struct experiment *e = experiment_find(name);
	struct experiment_def def = { .duration_s = DEFAULT_DURATION_S };
	char values[256], use[32], tol[400];
	bool any_theory = false;

	if (e == NULL)
		return error_setx(err, ENOENT, "unknown experiment '%s' (known: %s)", name, experiment_names());
	def.type = (char *)e->name;
	def.ops = e;
	fprintf(f, "%s: %s\n\n", e->name, e->summary);
	fprintf(f, "guests:  %s\n", guests_text(e->guests));
	fprintf(f, "time:    about %.0f s per run (duration_s %d)\n", e->estimate_s(&def), DEFAULT_DURATION_S);
	if (e->theory)
		fprintf(f, "theory:  %s\n", e->theory);
	fputs("\nsettings (keys of vary; every combination of their values is a run):\n", f);
	if (e->nsettings == 0)
		fputs("  none\n", f);
	for (size_t k = 0; k < e->nsettings; k++) {
		const struct exp_setting *st = &e->settings[k];
		values_text(st, values, sizeof(values));
		fprintf(f, "  %-10s %s\n  %-10s default: %s\n  %-10s %s\n", st->key, values, "", default_text(st), "",
			st->help);
	}
	fprintf(f, "\nmetrics (repeats: summary = n, mean, median, sd, cv, 95%% CI; compare = permutation test, Holm):\n");
	fprintf(f, "  %-16s %-14s %-8s %-17s %s\n", "NAME", "UNIT", "BETTER", "USED BY", "MEANING");
	for (size_t m = 0; m < e->nmetrics; m++) {
		const struct exp_metric *mt = &e->metrics[m];
		use_text(mt->use, use, sizeof(use));
		fprintf(f, "  %-16s %-14s %-8s %-17s %s", mt->name, *mt->unit ? mt->unit : "-", better_text(mt->better),
			use, mt->help);
		if (mt->expected) {
			tolerance_text(mt, tol, sizeof(tol));
			fprintf(f, " (theory: %s; tolerance: %s)", mt->expected, tol);
			any_theory = true;
		}
		fputc('\n', f);
	}
	if (any_theory)
		fprintf(f, "\ntolerances: %s.\n", tolerance_rule);
	return 0;
}

/* Text for man(7): no leading '.' or '\'', backslashes and hyphens escaped. */
static void man_text(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

void expdoc_man(FILE *f)
{
	char values[256], use[32];

	fputs(".\\\" Generated by 'harness experiments --man' from harness/exp_*.c: do not edit.\n", f);
	for (size_t i = 0; i < experiments_count; i++) {
		const struct experiment *e = experiments[i];

		fputs(".SS ", f);
		man_text(f, e->name);
		fputs("\n", f);
		man_text(f, e->summary);
		fputs(".\n.PP\nGuests: ", f);
		man_text(f, guests_text(e->guests));
		fputs(".\n", f);
		if (e->theory) {
			fputs("Theory: ", f);
			man_text(f, e->theory);
			fputs(".\n", f);
		}
		fputs(".PP\n.B Settings\n", f);
		if (e->nsettings == 0)
			fputs("(none)\n", f);
		for (size_t k = 0; k < e->nsettings; k++) {
			const struct exp_setting *st = &e->settings[k];
			values_text(st, values, sizeof(values));
			fputs(".TP\n.BR ", f);
			man_text(f, st->key);
			fputs(" \" ", f);
			man_text(f, values);
			fputs("\"\n", f);
			man_text(f, st->help);
			fputs(". Default: ", f);
			man_text(f, default_text(st));
			fputs(".\n", f);
		}
		fputs(".PP\n.B Metrics\n", f);
		for (size_t m = 0; m < e->nmetrics; m++) {
			const struct exp_metric *mt = &e->metrics[m];
			use_text(mt->use, use, sizeof(use));
			fputs(".TP\n.B ", f);
			man_text(f, mt->name);
			fputs("\n", f);
			man_text(f, mt->help);
			fputs(" (", f);
			man_text(f, *mt->unit ? mt->unit : "no unit");
			fprintf(f, "; %s is better; %s).\n", better_text(mt->better), use);
			if (mt->expected) {
				char tol[400], line[512];
				tolerance_text(mt, tol, sizeof(tol));
				snprintf(line, sizeof(line), "Theory: %s; tolerance: %s.", mt->expected, tol);
				man_text(f, line);
				fputc('\n', f);
			}
		}
	}
}
