#include "agent.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <glib.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "virt.h"

/* Per-command timeout for the agent itself (not for the guest program). */
#define AGENT_CMD_TIMEOUT_S 30

static cJSON *agent_call(virDomainPtr dom, cJSON *cmd, int timeout_s, struct herror *err)
{
	cleanup_free char *text = cJSON_PrintUnformatted(cmd);
	char *reply;
	cJSON *j, *ret;

	reply = virDomainQemuAgentCommand(dom, text, timeout_s, 0);
	if (reply == NULL) {
		error_setx(err, EIO, "guest agent of '%s' did not answer: %s", virDomainGetName(dom),
			 virt_last_error());
		return NULL;
	}
	j = cJSON_Parse(reply);
	free(reply);
	ret = cJSON_DetachItemFromObjectCaseSensitive(j, "return");
	if (ret == NULL) {
		cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
		cJSON *desc = cJSON_GetObjectItemCaseSensitive(e, "desc");
		error_setx(err, EIO, "guest agent of '%s' refused the command: %s", virDomainGetName(dom),
			 cJSON_IsString(desc) ? desc->valuestring : "malformed reply");
	}
	cJSON_Delete(j);
	return ret;
}

bool agent_ping(virDomainPtr dom)
{
	cJSON *cmd = cJSON_CreateObject();
	cJSON *ret;

	cJSON_AddStringToObject(cmd, "execute", "guest-ping");
	ret = agent_call(dom, cmd, 5, NULL);
	cJSON_Delete(cmd);
	cJSON_Delete(ret);
	return ret != NULL;
}

int agent_exec_start(virDomainPtr dom, const char *path, const char *const *argv,
		     const char *input, struct herror *err)
{
	cJSON *cmd = cJSON_CreateObject();
	cJSON *args = cJSON_AddObjectToObject(cmd, "arguments");
	cJSON *arr = cJSON_AddArrayToObject(args, "arg");
	cJSON *ret, *pid;
	int r;

	cJSON_AddStringToObject(cmd, "execute", "guest-exec");
	cJSON_AddStringToObject(args, "path", path);
	for (size_t i = 0; argv && argv[i]; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(argv[i]));
	if (input) {
		gchar *b64 = g_base64_encode((const guchar *)input, strlen(input));
		cJSON_AddStringToObject(args, "input-data", b64);
		g_free(b64);
	}
	cJSON_AddBoolToObject(args, "capture-output", 1);
	ret = agent_call(dom, cmd, AGENT_CMD_TIMEOUT_S, err);
	cJSON_Delete(cmd);
	if (ret == NULL)
		return -EIO;
	pid = cJSON_GetObjectItemCaseSensitive(ret, "pid");
	r = cJSON_IsNumber(pid) ? pid->valueint
				: error_setx(err, EIO, "guest agent of '%s' gave no pid for '%s'",
					   virDomainGetName(dom), path);
	cJSON_Delete(ret);
	return r;
}

static char *decode_b64(cJSON *item, size_t *len)
{
	gsize n = 0;
	guchar *raw;
	char *s;

	if (!cJSON_IsString(item)) {
		*len = 0;
		return NULL;
	}
	raw = g_base64_decode(item->valuestring, &n);
	s = xcalloc(n + 1, 1);
	memcpy(s, raw, n);
	g_free(raw);
	*len = n;
	return s;
}

int agent_exec_status(virDomainPtr dom, int pid, struct agent_exec_result *res, struct herror *err)
{
	cJSON *cmd = cJSON_CreateObject();
	cJSON *args = cJSON_AddObjectToObject(cmd, "arguments");
	cJSON *ret, *v;
	size_t n;

	cJSON_AddStringToObject(cmd, "execute", "guest-exec-status");
	cJSON_AddNumberToObject(args, "pid", pid);
	ret = agent_call(dom, cmd, AGENT_CMD_TIMEOUT_S, err);
	cJSON_Delete(cmd);
	if (ret == NULL)
		return -EIO;
	memset(res, 0, sizeof(*res));
	res->exited = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ret, "exited"));
	if ((v = cJSON_GetObjectItemCaseSensitive(ret, "exitcode")) && cJSON_IsNumber(v))
		res->exit_code = v->valueint;
	if ((v = cJSON_GetObjectItemCaseSensitive(ret, "signal")) && cJSON_IsNumber(v))
		res->signal = v->valueint;
	res->out = decode_b64(cJSON_GetObjectItemCaseSensitive(ret, "out-data"), &res->out_len);
	res->err_text = decode_b64(cJSON_GetObjectItemCaseSensitive(ret, "err-data"), &n);
	res->truncated = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ret, "out-truncated"));
	cJSON_Delete(ret);
	return 0;
}

int agent_exec_wait(virDomainPtr dom, int pid, double timeout_s, struct agent_exec_result *res,
		    struct herror *err)
{
	double deadline = mono_s() + timeout_s;
	double delay = 0.05;

	for (;;) {
		if (agent_exec_status(dom, pid, res, err) < 0)
			return -err->status;
		if (res->exited)
			return 0;
		agent_exec_result_free(res);
		if (mono_s() > deadline)
			return error_setx(err, ETIMEDOUT, "guest program (pid %d) in '%s' still running after %.0f s",
					pid, virDomainGetName(dom), timeout_s);
		if (!sleep_unless_stopped(delay))
			return error_setx(err, EINTR, "interrupted while waiting for '%s'", virDomainGetName(dom));
		if (delay < 1.0)
			delay *= 2;
	}
}

void agent_exec_result_free(struct agent_exec_result *res)
{
	free(res->out);
	free(res->err_text);
	res->out = res->err_text = NULL;
}

int agent_run(virDomainPtr dom, const char *path, const char *const *argv, const char *input,
	      double timeout_s, struct agent_exec_result *res, struct herror *err)
{
	int pid = agent_exec_start(dom, path, argv, input, err);

	if (pid < 0)
		return pid;
	return agent_exec_wait(dom, pid, timeout_s, res, err);
}

char *agent_file_read(virDomainPtr dom, const char *path, size_t max, struct herror *err)
{
	cJSON *cmd = cJSON_CreateObject();
	cJSON *args = cJSON_AddObjectToObject(cmd, "arguments");
	cJSON *ret;
	long long handle;
	char *data = NULL;
	size_t len = 0;

	cJSON_AddStringToObject(cmd, "execute", "guest-file-open");
	cJSON_AddStringToObject(args, "path", path);
	cJSON_AddStringToObject(args, "mode", "r");
	ret = agent_call(dom, cmd, AGENT_CMD_TIMEOUT_S, err);
	cJSON_Delete(cmd);
	if (ret == NULL || !cJSON_IsNumber(ret)) {
		cJSON_Delete(ret);
		error_setx(err, EIO, "cannot open '%s' in '%s'", path, virDomainGetName(dom));
		return NULL;
	}
	handle = (long long)ret->valuedouble;
	cJSON_Delete(ret);

	cmd = cJSON_CreateObject();
	cJSON_AddStringToObject(cmd, "execute", "guest-file-read");
	args = cJSON_AddObjectToObject(cmd, "arguments");
	cJSON_AddNumberToObject(args, "handle", (double)handle);
	cJSON_AddNumberToObject(args, "count", (double)max);
	ret = agent_call(dom, cmd, AGENT_CMD_TIMEOUT_S, err);
	cJSON_Delete(cmd);
	if (ret)
		data = decode_b64(cJSON_GetObjectItemCaseSensitive(ret, "buf-b64"), &len);
	cJSON_Delete(ret);

	cmd = cJSON_CreateObject();
	cJSON_AddStringToObject(cmd, "execute", "guest-file-close");
	args = cJSON_AddObjectToObject(cmd, "arguments");
	cJSON_AddNumberToObject(args, "handle", (double)handle);
	cJSON_Delete(agent_call(dom, cmd, AGENT_CMD_TIMEOUT_S, NULL));
	cJSON_Delete(cmd);
	return data;
}
