#include "herror.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *error_strerror(int errnum, char *buf, size_t len)
{
	const char *s;

	if (len == 0)
		return "";
	s = strerror_r(errnum < 0 ? -errnum : errnum, buf, len);
	if (s != buf)
		snprintf(buf, len, "%s", s);
	/* "No such file" -> "no such file", but "EOF ..." style acronyms stay. */
	if (isupper((unsigned char)buf[0]) && !isupper((unsigned char)buf[1]))
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

int error_vset(struct herror *err, int errnum, bool with_strerror, const char *fmt, va_list ap)
{
	int status = errnum < 0 ? -errnum : errnum;
	int n;

	if (status == 0) {
		status = EINVAL;
		with_strerror = false;
	}
	if (err == NULL)
		return -status;
	if (err->status != 0)
		return -status;
	err->status = status;
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (n < 0) {
		err->msg[0] = '\0';
		n = 0;
	}
	if (with_strerror && (size_t)n < sizeof(err->msg)) {
		char buf[128];

		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", error_strerror(status, buf, sizeof(buf)));
	}
	return -status;
}

int error_set(struct herror *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = error_vset(err, errnum, true, fmt, ap);
	va_end(ap);
	return r;
}

int error_setx(struct herror *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = error_vset(err, errnum, false, fmt, ap);
	va_end(ap);
	return r;
}

int error_wrap(struct herror *err, const char *fmt, ...)
{
	char context[HERROR_MSG_MAX];
	size_t clen, mlen;
	va_list ap;

	if (err == NULL)
		return -EINVAL;
	va_start(ap, fmt);
	if (vsnprintf(context, sizeof(context), fmt, ap) < 0)
		context[0] = '\0';
	va_end(ap);
	if (err->status == 0)
		return error_setx(err, EINVAL, "%s", context);
	/* "CONTEXT: " moves the message right; what no longer fits is cut. */
	clen = strlen(context);
	if (clen > sizeof(err->msg) - 3)
		clen = sizeof(err->msg) - 3;
	mlen = strnlen(err->msg, sizeof(err->msg) - 1);
	if (clen + 2 + mlen > sizeof(err->msg) - 1)
		mlen = sizeof(err->msg) - 1 - clen - 2;
	memmove(err->msg + clen + 2, err->msg, mlen);
	memcpy(err->msg, context, clen);
	err->msg[clen] = ':';
	err->msg[clen + 1] = ' ';
	err->msg[clen + 2 + mlen] = '\0';
	return -err->status;
}

void error_clear(struct herror *err)
{
	if (err == NULL)
		return;
	err->status = 0;
	err->msg[0] = '\0';
}
