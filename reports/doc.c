#include "doc.h"
#include "hfile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int doc_run(char *const argv[], const char *out_path)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	pid_t pid;
	int st, r;

	if (stop_requested)	/* nothing new once the report is interrupted */
		return -1;
	/* posix_spawn, not fork: the report may hold hundreds of MiB of
	 * records, and a fork copies their page tables for every plot. The
	 * child gets default signal dispositions and an empty mask. */
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	posix_spawn_file_actions_init(&fa);
	if (out_path)
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
						 0644);
	r = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0)
		return -1;
	/* SIGINT/SIGTERM (stop_requested) end the wait: the child is stopped
	 * (SIGTERM, SIGKILL after 2 s) and reaped, and the report gives up
	 * without leaving anything. Polled, not a blocking waitpid: a signal
	 * that came before the wait started would not end it. */
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		double until;

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		if (!stop_requested) {
			sleep_s(0.02);
			continue;
		}
		kill(pid, SIGTERM);
		until = mono_s() + 2;
		while (waitpid(pid, &st, WNOHANG) == 0) {
			if (mono_s() > until) {
				kill(pid, SIGKILL);
				while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
					;
				break;
			}
			sleep_s(0.02);
		}
		return -1;
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int doc_gnuplot(const char *script)
{
	char *argv[] = { "gnuplot", (char *)script, NULL };

	return doc_run(argv, NULL);
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void doc_text_n(FILE *f, const char *s, size_t n)
{
	/* \& first: the text never starts a request or a control line (".sy",
	 * "'sy"), nor ends a table's text block ("T}"). */
	fputs("\\&", f);
	for (const char *start = s; n && *s; s++, n--) {
		unsigned char c = (unsigned char)*s;

		/* The words "nan" and "inf" of a text are broken by a \& (which
		 * prints nothing), so that doc_no_nan never takes them for a
		 * number that is not one. */
		if (n >= 3 && (strncmp(s, "nan", 3) == 0 || strncmp(s, "inf", 3) == 0) &&
		    (s == start || !word_char(s[-1])) && (n == 3 || !word_char(s[3]))) {
			fputc(c, f);
			fputs("\\&", f);
			continue;
		}
		if (c == '\\')
			fputs("\\e", f);
		else if (c < 0x20 || c == 0x7f)
			fputc(' ', f);	/* newlines and tabs would end a line or a table cell */
		else
			fputc(c, f);
	}
}

void doc_text(FILE *f, const char *s)
{
	doc_text_n(f, s, (size_t)-1);
}

void doc_gp_string(FILE *f, const char *s)
{
	/* gnuplot runs `command` inside double quotes only; in single quotes
	 * nothing is substituted and '' is a quote. */
	fputc('\'', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\'')
			fputs("''", f);
		else if (c < 0x20 || c == 0x7f)
			fputc(' ', f);
		else
			fputc(c, f);
	}
	fputc('\'', f);
}

void doc_gp_datum(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		fputc(c <= 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '#' ? '_' : c, f);
	}
}

const char *doc_jstr(cJSON *o, const char *key, const char *def)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : def;
}

bool doc_run_in_group(cJSON *run, cJSON *group)
{
	const char *host = doc_jstr(group, "host", NULL);

	/* A group of one host's runs (parallel: hosts, not pooled). */
	if (host && strcmp(doc_jstr(run, "host", ""), host) != 0)
		return false;
	return strcmp(doc_jstr(run, "experiment", ""), doc_jstr(group, "experiment", "?")) == 0 &&
	       cJSON_Compare(cJSON_GetObjectItemCaseSensitive(run, "settings"),
			     cJSON_GetObjectItemCaseSensitive(group, "settings"), 1);
}

cJSON *doc_group_first_run(cJSON *group, cJSON *const *runs, size_t nruns)
{
	for (size_t i = 0; i < nruns; i++)
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(runs[i], "ok")) &&
		    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(runs[i], "warmup")) &&
		    doc_run_in_group(runs[i], group))
			return runs[i];
	return NULL;
}

double doc_jnum(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

double doc_jstat(cJSON *o, const char *key, const char *field)
{
	return doc_jnum(cJSON_GetObjectItemCaseSensitive(o, key), field);
}

size_t doc_series_write(FILE *f, cJSON *t, cJSON *const *cols, size_t ncols, size_t max_rows)
{
	cJSON *ct = t ? t->child : NULL, *cur[DOC_SERIES_COLS];
	double sum[DOC_SERIES_COLS + 1];
	size_t cnt[DOC_SERIES_COLS + 1], n = 0, win, k = 0;

	if (ncols > DOC_SERIES_COLS)
		ncols = DOC_SERIES_COLS;
	if (!cJSON_IsArray(t))
		return 0;
	for (cJSON *c = ct; c; c = c->next)
		n++;
	win = max_rows && n > max_rows ? (n + max_rows - 1) / max_rows : 1;
	for (size_t i = 0; i < ncols; i++)
		cur[i] = cJSON_IsArray(cols[i]) ? cols[i]->child : NULL;
	memset(sum, 0, sizeof(sum));
	memset(cnt, 0, sizeof(cnt));
	/* Each array walked once, side by side (never cJSON_GetArrayItem,
	 * which walks from the start every time). */
	for (; ct; ct = ct->next) {
		for (size_t i = 0; i <= ncols; i++) {
			cJSON *v = i == 0 ? ct : cur[i - 1];

			if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
				sum[i] += v->valuedouble;
				cnt[i]++;
			}
			if (i > 0 && cur[i - 1])
				cur[i - 1] = cur[i - 1]->next;
		}
		if (++k < win && ct->next)
			continue;
		if (cnt[0]) {
			fprintf(f, "%g", sum[0] / (double)cnt[0]);
			for (size_t i = 1; i <= ncols; i++)
				fprintf(f, " %g", cnt[i] ? sum[i] / (double)cnt[i] : NAN);
			fputc('\n', f);
		}
		memset(sum, 0, sizeof(sum));
		memset(cnt, 0, sizeof(cnt));
		k = 0;
	}
	return win;
}

void doc_settings_text(cJSON *settings, char *buf, size_t len)
{
	cJSON *it;
	size_t off = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(it, settings) {
		if (cJSON_IsString(it) && it->string)
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s=%s", off ? ", " : "",
						it->string, it->valuestring);
	}
	if (off == 0)
		snprintf(buf, len, "defaults");
}

void doc_heading(struct report_doc *d, int level, const char *title, double need_in)
{
	/* .ne: the heading moves to the next page with what must follow it. */
	fprintf(d->f, ".ne %.2fi\n.NH %d\n", need_in + 0.4, level < 1 ? 1 : level > 2 ? 2 : level);
	doc_text(d->f, title);
	fputc('\n', d->f);
}

void doc_cell(FILE *f, int decimals, double v, const char *none)
{
	if (isfinite(v))
		fprintf(f, "%.*f", decimals, v);
	else
		fputs(none, f);
}

void doc_para(struct report_doc *d, const char *text)
{
	fputs(".PP\n", d->f);
	doc_text(d->f, text);
	fputc('\n', d->f);
}

void doc_gp_terminal(FILE *gp, const char *eps, double w_in, double h_in)
{
	/* The postscript terminal draws an EPS's text at half the size asked
	 * for: twice DOC_FONT_PT prints at DOC_FONT_PT. */
	fprintf(gp, "set terminal postscript eps enhanced color size %.2fin,%.2fin font 'Helvetica,%d'\n", w_in,
		h_in, 2 * DOC_FONT_PT);
	fputs("set output ", gp);
	doc_gp_string(gp, eps);
	fputc('\n', gp);
}

void doc_figure(struct report_doc *d, const char *eps, double w_in, double h_in, const char *caption)
{
	fprintf(d->f, ".ne %.2fi\n.PSPIC %s %.2fi %.2fi\n", h_in + (caption ? 0.5 : 0.2), eps, w_in, h_in);
	if (caption) {
		fputs(".LP\n.sp 0.3v\n.ps 9\n.vs 11\n\\fIFigure.\\fP\n", d->f);
		doc_text(d->f, caption);
		fputs("\n.br\n.ps\n.vs\n", d->f);
	}
	d->plots++;
}

void doc_verbatim(FILE *f, const char *text, size_t max_lines)
{
	/* Courier at 9 pt: 80 characters fill the 6.5 in of a text line. */
	const size_t width = 80;
	size_t lines = 0;

	fputs(".LP\n.nf\n.ft C\n.ps 9\n.vs 11\n", f);
	while (*text && lines < max_lines) {
		size_t n = strcspn(text, "\n");
		const char *p = text;

		do {
			size_t k = n - (size_t)(p - text) > width ? width : n - (size_t)(p - text);
			doc_text_n(f, p, k);
			fputc('\n', f);
			p += k;
			lines++;
		} while (p < text + n && lines < max_lines);
		text += n;
		if (*text == '\n')
			text++;
	}
	if (*text)
		fputs("\\&[...]\n", f);
	fputs(".ps\n.vs\n.ft\n.fi\n", f);
}

char *doc_read_file(const char *dir, const char *name, size_t max)
{
	struct herror err = { 0 };
	char *buf = NULL;

	/* No link followed (suite.yaml -> /etc/shadow would land in the PDF),
	 * no FIFO waited for: a refusal is said, an absent file is normal. */
	if (read_file_beneath(dir, name, max, &buf, NULL, &err) < 0) {
		static char said[8][HERROR_MSG_MAX];	/* a file read twice is named once */
		bool again = false;

		for (size_t i = 0; i < 8 && !again; i++)
			again = strcmp(said[i], err.msg) == 0;
		if (err.status != ENOENT && !again) {
			fprintf(stderr, "harness: %s; left out of the report\n", err.msg);
			for (size_t i = 0; i < 8; i++)
				if (said[i][0] == '\0') {
					snprintf(said[i], sizeof(said[i]), "%s", err.msg);
					break;
				}
		}
		return NULL;
	}
	return buf;
}

int doc_plot_bars(struct report_doc *d, const char *name, const char *title, const char *ylabel,
		  const struct doc_bar *bars, size_t n, const char *caption)
{
	char dat[4096], gp[4096], eps[4096];
	/* Many bars: rotated one-line labels need the room below the plot. */
	double h = n > 4 ? 3.4 : 2.6;
	bool any_expected = false;
	double top = 0;
	FILE *f;

	if (n == 0)
		return -1;
	snprintf(dat, sizeof(dat), "%s/bars-%s-%d.dat", d->tmp, name, d->plots);
	snprintf(gp, sizeof(gp), "%s/bars-%s-%d.gp", d->tmp, name, d->plots);
	snprintf(eps, sizeof(eps), "%s/bars-%s-%d.eps", d->tmp, name, d->plots);
	f = fopen(dat, "w");
	if (f == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct doc_bar *b = &bars[i];

		fprintf(f, "%zu \"", i);
		/* A quoted label may hold blanks; nothing that ends it. */
		for (const char *c = b->label ? b->label : "?"; *c; c++) {
			char one[2] = { *c, '\0' };

			if (*c == ' ')
				fputc(' ', f);
			else if (*c == '\n')
				fputs(n > 4 ? " " : "\\n", f);	/* a second line of the tick label */
			else
				doc_gp_datum(f, one);
		}
		fprintf(f, "\" %g %g %g %g\n", b->mean, isfinite(b->lo) ? b->lo : b->mean,
			isfinite(b->hi) ? b->hi : b->mean, b->expected);
		any_expected |= isfinite(b->expected);
		top = fmax(top, fmax(isfinite(b->hi) ? b->hi : 0, fmax(isfinite(b->mean) ? b->mean : 0,
									  isfinite(b->expected) ? b->expected : 0)));
	}
	fclose(f);
	f = fopen(gp, "w");
	if (f == NULL)
		return -1;
	doc_gp_terminal(f, eps, 6, h);
	fputs("set title ", f);
	doc_gp_string(f, title);
	fputs(" noenhanced\nset ylabel ", f);
	doc_gp_string(f, ylabel);
	/* Headroom above the tallest bar; the legend above the plot (two-line
	 * tick labels below would run into it), never on it. */
	fprintf(f, " noenhanced\nset yrange [0:%g]\nset xrange [-0.6:%zu.6]\nset style fill solid 0.5 border -1\n"
		   "set boxwidth 0.6\nset grid y\nset key tmargin center horizontal\nset xtics %s noenhanced\nplot ",
		top > 0 ? top * 1.15 : 1, n - 1, n > 4 ? "rotate by -25" : "");
	fprintf(f, "'%s' using 1:3:xtic(2) with boxes lc rgb '#4a7ebb' title 'measured (mean)', "
		   "'' using 1:3:4:5 with yerrorbars lc rgb 'black' lw 2 pt 0 title '95%% confidence interval'",
		dat);
	if (any_expected)
		fputs(", '' using 1:6 with points pt 7 ps 2 lc rgb '#d62728' title 'expected (theory)'", f);
	fputc('\n', f);
	fclose(f);
	if (doc_gnuplot(gp) < 0)
		return -1;
	doc_figure(d, eps, 6, h, caption);
	return 0;
}

int doc_no_nan(const char *ms_path)
{
	size_t len = 0, cap;
	char *in = NULL, *out;
	size_t o = 0;
	FILE *f = fopen(ms_path, "re");
	int r = 0;

	if (f == NULL)
		return -1;
	{
		char chunk[65536];
		size_t k;

		while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0) {
			char *grown = realloc(in, len + k + 1);

			if (grown == NULL) {
				free(in);
				fclose(f);
				return -1;
			}
			in = grown;
			memcpy(in + len, chunk, k);
			len += k;
		}
	}
	fclose(f);
	if (in == NULL)
		return 0;
	in[len] = '\0';
	/* "\(em" (4 bytes) replaces at least "nan" (3): room for a third more. */
	cap = len + len / 3 + 16;
	out = malloc(cap);
	if (out == NULL) {
		free(in);
		return -1;
	}
	for (size_t i = 0; i < len;) {
		bool line_start = i == 0 || in[i - 1] == '\n';

		/* A picture's file name is not text. */
		if (line_start && strncmp(in + i, ".PSPIC", 6) == 0) {
			while (i < len && in[i] != '\n')
				out[o++] = in[i++];
			continue;
		}
		size_t at = i + (in[i] == '-');
		if ((strncmp(in + at, "nan", 3) == 0 || strncmp(in + at, "inf", 3) == 0) &&
		    (i == 0 || (!word_char(in[i - 1]) && in[i - 1] != '&')) && !word_char(in[at + 3])) {
			/* "nan\(ennan", an interval of nothing, is one dash. */
			size_t end = at + 3;

			if (strncmp(in + end, "\\(en", 4) == 0) {
				size_t b = end + 4 + (in[end + 4] == '-');

				if ((strncmp(in + b, "nan", 3) == 0 || strncmp(in + b, "inf", 3) == 0) &&
				    !word_char(in[b + 3]))
					end = b + 3;
			}
			memcpy(out + o, "\\(em", 4);
			o += 4;
			i = end;
			continue;
		}
		out[o++] = in[i++];
	}
	f = fopen(ms_path, "we");
	if (f == NULL || fwrite(out, 1, o, f) != o)
		r = -1;
	if (f && fclose(f) != 0)
		r = -1;
	free(in);
	free(out);
	return r;
}
