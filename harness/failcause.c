#include "failcause.h"

#include <string.h>

#include "util.h"

/* Console lines that name a guest kernel's death, most telling first. */
static const struct {
	const char *needle;
	const char *what;
} console_causes[] = {
	{ "Kernel panic - not syncing", "kernel panic" },
	{ "Oops:", "kernel oops" },
	{ "BUG: ", "kernel bug" },
};

/* The line of text holding p, without the kernel's "[  12.345678] " stamp. */
static char *line_at(const char *text, const char *p)
{
	const char *start = p, *end = strchr(p, '\n');

	while (start > text && start[-1] != '\n')
		start--;
	if (end == NULL)
		end = p + strlen(p);
	while (end > start && (end[-1] == '\r' || end[-1] == ' '))
		end--;
	if (*start == '[') {
		const char *close = start;
		while (close < end && *close != ']')
			close++;
		if (close < end)
			start = close + 1;
	}
	while (start < end && *start == ' ')
		start++;
	/* The closing line of a panic: "---[ end Kernel panic - ... ]---". */
	if ((size_t)(end - start) > 9 && strncmp(start, "---[ end ", 9) == 0) {
		start += 9;
		if (end - start > 4 && strncmp(end - 4, " ]--", 4) == 0)
			end -= 4;
		else if (end - start > 5 && strncmp(end - 5, " ]---", 5) == 0)
			end -= 5;
	}
	return xasprintf("%.*s", (int)(end - start > 200 ? 200 : end - start), start);
}

char *failcause_console(const char *tail)
{
	if (tail == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(console_causes) / sizeof(console_causes[0]); i++) {
		const char *p = strstr(tail, console_causes[i].needle);
		if (p) {
			char *line = line_at(tail, p);
			char *s = xasprintf("%s: %s", console_causes[i].what, line);
			free(line);
			return s;
		}
	}
	return NULL;
}
