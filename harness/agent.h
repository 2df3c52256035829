/* The QEMU guest agent, through libvirt (virDomainQemuAgentCommand). */
#ifndef HARNESS_AGENT_H
#define HARNESS_AGENT_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* true when guest-ping answers. */
bool agent_ping(virDomainPtr dom);

/* Start a program in the guest; stdin gets input (may be NULL). Returns the
 * guest pid or a negative error. */
int agent_exec_start(virDomainPtr dom, const char *path, const char *const *argv,
		     const char *input, struct herror *err);

struct agent_exec_result {
	bool exited;
	int exit_code;		/* valid when exited and !signaled */
	int signal;		/* 0 unless killed by a signal */
	char *out;		/* captured stdout (NUL-terminated), may be NULL */
	size_t out_len;
	char *err_text;		/* captured stderr */
	bool truncated;
};

/* Poll once. */
int agent_exec_status(virDomainPtr dom, int pid, struct agent_exec_result *res, struct herror *err);
/* Poll until the program exits or timeout_s passes (then it is an error). */
int agent_exec_wait(virDomainPtr dom, int pid, double timeout_s, struct agent_exec_result *res,
		    struct herror *err);
void agent_exec_result_free(struct agent_exec_result *res);

/* Run to completion: start + wait. */
int agent_run(virDomainPtr dom, const char *path, const char *const *argv, const char *input,
	      double timeout_s, struct agent_exec_result *res, struct herror *err);

/* Read a small file from the guest (guest-file-open/read/close). */
char *agent_file_read(virDomainPtr dom, const char *path, size_t max, struct herror *err);

#endif
