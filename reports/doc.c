#include "doc.h"

#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int doc_run(char *const argv[], const char *out_path)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (out_path) {
			int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0)
				_exit(127);
			dup2(fd, STDOUT_FILENO);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int doc_gnuplot(const char *script)
{
	char *argv[] = { "gnuplot", (char *)script, NULL };

	return doc_run(argv, NULL);
}

void doc_text(FILE *f, const char *s)
{
	/* \& first: the text never starts a request or a control line (".sy",
	 * "'sy"), nor ends a table's text block ("T}"). */
	fputs("\\&", f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\')
			fputs("\\e", f);
		else if (c < 0x20 || c == 0x7f)
			fputc(' ', f);	/* newlines and tabs would end a line or a table cell */
		else
			fputc(c, f);
	}
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

double doc_jnum(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

double doc_jstat(cJSON *o, const char *key, const char *field)
{
	return doc_jnum(cJSON_GetObjectItemCaseSensitive(o, key), field);
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
