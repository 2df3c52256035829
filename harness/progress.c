#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static int run_index, run_total;
static char run_id[160];
static double eta;
static char last_phase[64];
static double last_print;
static int on_line;

static int is_tty(void)
{
	return isatty(STDERR_FILENO);
}

void progress_set_run(int index, int total, const char *id, double suite_eta_s)
{
	run_index = index;
	run_total = total;
	snprintf(run_id, sizeof(run_id), "%s", id ? id : "");
	eta = suite_eta_s;
	last_phase[0] = '\0';
}

static void clear_line(void)
{
	if (on_line && is_tty())
		fputs("\r\033[K", stderr);
	on_line = 0;
}

void progress_phase(const char *phase, double elapsed, double expected)
{
	double now = mono_s();
	char left[64] = "";

	if (hquiet)
		return;
	if (eta > 0)
		snprintf(left, sizeof(left), ", suite ~%.0f min left", eta / 60);
	if (is_tty()) {
		clear_line();
		if (run_total)
			fprintf(stderr, "[%d/%d] %s: ", run_index, run_total, run_id);
		fprintf(stderr, "%s %.0f/%.0f s%s", phase, elapsed, expected, left);
		on_line = 1;
		return;
	}
	/* Not a terminal (CI logs): a line when the phase changes, then every 30 s. */
	if (strcmp(phase, last_phase) == 0 && now - last_print < 30)
		return;
	snprintf(last_phase, sizeof(last_phase), "%s", phase);
	last_print = now;
	if (run_total)
		fprintf(stderr, "[%d/%d] %s: ", run_index, run_total, run_id);
	fprintf(stderr, "%s %.0f/%.0f s%s\n", phase, elapsed, expected, left);
}

void progress_note(const char *fmt, ...)
{
	va_list ap;

	if (hquiet)
		return;
	clear_line();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void progress_done(void)
{
	clear_line();
}
