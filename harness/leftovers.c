#include "leftovers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"

/* The project's processes are the programs of /opt/harness/bin (runner,
 * workloads, harness-runtime); containers are the processes in the cgroups
 * the runtime makes (its default root, and the experiments' own roots, see
 * ctr_sv_script and exp_isolation.c). Supervisors stop their containers on
 * SIGTERM; what stays gets SIGKILL, then cgroup.kill. The module goes after
 * the processes (one may hold /dev/memwatch open). */
const char leftovers_script[] =
	"found() { echo \"found $*\"; }\n"
	"left() { echo \"left $*\"; }\n"
	"procs() {\n"
	"	for p in /proc/[0-9]*; do\n"
	"		e=$(readlink \"$p/exe\" 2>/dev/null) || continue\n"
	"		case $e in /opt/harness/bin/*) echo \"${p#/proc/} ${e##*/}\" ;; esac\n"
	"	done\n"
	"}\n"
	"cgprocs() { cat $(find \"$1\" -name cgroup.procs 2>/dev/null) 2>/dev/null; }\n"
	"P=$(procs)\n"
	"[ -n \"$P\" ] && echo \"$P\" | while read -r pid name; do found \"process $name (pid $pid)\"; done\n"
	"cgs=\n"
	"for cg in harness admission api-call overhead iso-lat; do\n"
	"	[ -d /sys/fs/cgroup/$cg ] || continue\n"
	"	cgs=\"$cgs $cg\"\n"
	"	found \"cgroup /sys/fs/cgroup/$cg ($(cgprocs /sys/fs/cgroup/$cg | wc -l) processes)\"\n"
	"done\n"
	"mw=\n"
	"if [ -e /sys/module/memwatch ]; then\n"
	"	mw=1\n"
	"	found \"memwatch loaded (interval_ms=$(cat /sys/module/memwatch/parameters/interval_ms 2>/dev/null || echo '?'))\"\n"
	"fi\n"
	"if [ -n \"$P\" ]; then\n"
	"	kill -TERM $(echo \"$P\" | cut -d' ' -f1) 2>/dev/null\n"
	"	for i in $(seq 50); do [ -z \"$(procs)\" ] && break; sleep 0.1; done\n"
	"	P2=$(procs)\n"
	"	[ -n \"$P2\" ] && kill -KILL $(echo \"$P2\" | cut -d' ' -f1) 2>/dev/null && sleep 0.5\n"
	"fi\n"
	"for cg in $cgs; do\n"
	"	d=/sys/fs/cgroup/$cg\n"
	"	[ -e $d/cgroup.kill ] && echo 1 >$d/cgroup.kill 2>/dev/null\n"
	"	for i in $(seq 50); do [ -z \"$(cgprocs $d)\" ] && break; sleep 0.1; done\n"
	"	find $d -depth -type d -exec rmdir {} \\; 2>/dev/null\n"
	"	[ -d $d ] && left \"cgroup $d\"\n"
	"done\n"
	"awk '{ print $2 }' /proc/self/mounts |\n"
	"	grep -E '^(/tmp/ctr\\.|/tmp/harness-guest\\.|/tmp/harness-isolation|/run/harness-runtime|/run/harness-guest)' |\n"
	"	sort -r | while read -r m; do found \"mount $m\"; umount -l \"$m\" 2>/dev/null || left \"mount $m\"; done\n"
	"[ -n \"$mw\" ] && { rmmod memwatch 2>/dev/null || left 'memwatch (rmmod failed: still in use)'; }\n"
	"net=\n"
	"for f in /tmp/harness-guest.* /tmp/ctr.* /tmp/harness-isolation /run/harness-guest /run/harness-runtime \\\n"
	"	/run/harness-net-*.ready /run/systemd/network/05-harness-net.network; do\n"
	"	[ -e \"$f\" ] || continue\n"
	"	found \"file $f\"\n"
	"	case $f in /run/systemd/network/*) net=1 ;; esac\n"
	"	rm -rf --one-file-system \"$f\" 2>/dev/null\n"
	"	[ -e \"$f\" ] && left \"file $f\"\n"
	"done\n"
	"[ -n \"$net\" ] && { networkctl reload >/dev/null 2>&1; true; }\n"
	"if command -v ip >/dev/null && ip link show hrt-api0 >/dev/null 2>&1; then\n"
	"	found 'bridge hrt-api0'\n"
	"	ip link del hrt-api0 2>/dev/null || left 'bridge hrt-api0'\n"
	"fi\n"
	"P=$(procs)\n"
	"[ -n \"$P\" ] && left \"processes $(echo $P)\"\n"
	"exit 0\n";

cJSON *leftovers_parse(const char *out)
{
	cJSON *e = cJSON_CreateObject();
	cJSON *found = cJSON_AddArrayToObject(e, "found"), *left = cJSON_AddArrayToObject(e, "left");

	for (const char *p = out; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		cJSON *to = n > 6 && strncmp(p, "found ", 6) == 0 ? found : n > 5 && strncmp(p, "left ", 5) == 0 ? left : NULL;

		if (to) {
			size_t skip = to == found ? 6 : 5;
			cleanup_free char *what = xasprintf("%.*s", (int)(n - skip), p + skip);

			cJSON_AddItemToArray(to, cJSON_CreateString(what));
		}
		p = nl ? nl + 1 : NULL;
	}
	return e;
}

void leftovers_devices(virDomainPtr dom, cJSON *entry)
{
	static const struct {
		const char *needle, *what;
	} devices[] = {
		{ "ua-hscratch", "a hot-plugged scratch disk (ua-hscratch)" },
		{ "ua-hscsi", "a hot-plugged SCSI controller (ua-hscsi)" },
		{ "network='harness-net-", "a NIC on a run's isolated network (harness-net-*)" },
	};
	cleanup_free char *xml = virDomainGetXMLDesc(dom, 0);

	for (size_t i = 0; xml && i < sizeof(devices) / sizeof(devices[0]); i++)
		if (strstr(xml, devices[i].needle)) {
			cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(entry, "found"),
					     cJSON_CreateString(devices[i].what));
			cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(entry, "left"),
					     cJSON_CreateString(devices[i].what));
		}
}

int leftovers_clean(virDomainPtr dom, const char *name, cJSON **entry, struct herror *err)
{
	struct agent_exec_result res = { 0 };
	const char *argv[] = { "-c", leftovers_script, NULL };
	cJSON *e;
	int nfound, nleft;

	*entry = NULL;
	if (agent_run(dom, "/bin/sh", argv, NULL, 60, &res, err) < 0)
		return error_wrap(err, "cannot check standing guest '%s' for leftovers", name);
	e = leftovers_parse(res.out);
	agent_exec_result_free(&res);
	leftovers_devices(dom, e);
	nfound = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "found"));
	nleft = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "left"));
	cJSON_AddStringToObject(e, "guest", name);
	cJSON_AddStringToObject(e, "action", nleft ? "fresh-guest" : nfound ? "cleaned" : "none");
	*entry = e;
	return nleft ? 1 : 0;
}
