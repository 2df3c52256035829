/* herror: the one error type of the project, after crun's libcrun_error_t.
 *
 * A function that fails fills *err once, where the failure happens, and
 * returns a negative errno-style value; a caller on the way up may add
 * what it was doing with error_wrap(); the top prints err->msg on one line
 * ("cannot open spec 'x.json': no such file or directory"). Every function
 * accepts err == NULL (the code is returned, the message dropped). */
#ifndef HCOMMON_HERROR_H
#define HCOMMON_HERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define HERROR_MSG_MAX 1024

struct herror {
	int status;			/* positive errno value; 0 while no error is set */
	char msg[HERROR_MSG_MAX];
};

/* Record an error, unless one is recorded already (the first failure is the
 * cause; error_clear() to reuse err): msg is fmt, then ": " and the lowercase
 * strerror(errnum). errnum may be given as errno or as a negative return
 * value; 0 means "no system error" (status EINVAL, no strerror text).
 * Returns -errnum (-EINVAL for 0), recorded or not, for
 * "return error_set(err, errno, ...)". */
int error_set(struct herror *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The same without the strerror text: the message says it all. */
int error_setx(struct herror *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int error_vset(struct herror *err, int errnum, bool with_strerror, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* Put context in front of the recorded message: "CONTEXT: MESSAGE" (as
 * crun_error_wrap). Returns -status; on an err with no error recorded it
 * records CONTEXT alone with status EINVAL. */
int error_wrap(struct herror *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Forget the recorded error. */
void error_clear(struct herror *err);

/* strerror(errnum) (errno or negative) with a lowercase first letter, in buf. */
const char *error_strerror(int errnum, char *buf, size_t len);

#endif
