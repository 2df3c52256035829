/* The standing guests: vm1 (general) and vm2 (security), for interactive use
 * and for `make vm-up`/`make vm-down`. */
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "guest.h"
#include "image.h"
#include "progress.h"
#include "standing.h"
#include "virt.h"

#define VM_POOL "harness-vms"

int vm_up(const char *payload_root, int timeout_s, struct herror *err)
{
	struct guest gs[STANDING_COUNT];
	struct accel_facts facts;
	struct accel_choice acc;
	virConnectPtr conn;
	cleanup_free char *dir = standing_dir();
	int r = 0, ready;

	memset(gs, 0, sizeof(gs));
	accel_probe(&facts);
	if (accel_decide(&facts, &acc) < 0)
		return error_setx(err, EINVAL, "%s", acc.reason);
	if (acc.accel == ACCEL_TCG)
		hwarn("using TCG (software emulation): %s", acc.reason);
	conn = virt_connect(err);
	if (conn == NULL)
		return -err->status;
	for (size_t i = 0; i < STANDING_COUNT; i++) {
		virDomainPtr d = virDomainLookupByName(conn, standing_guests[i].name);
		if (d) {
			bool alive = virDomainIsActive(d) == 1 && agent_ping(d);
			struct guest probe = { .dom = d, .dom_name = (char *)standing_guests[i].name };
			struct herror perr = { 0 };

			/* A guest from an older build runs other binaries: replace it. */
			bool current = alive && guest_verify_payload(&probe, payload_root, &perr) == 0;
			virDomainFree(d);
			if (current) {
				hinfo("%s is already up", standing_guests[i].name);
				continue;
			}
			if (alive)
				hinfo("%s: replacing it (%s)", standing_guests[i].name, perr.msg);
			virt_domain_remove(conn, standing_guests[i].name);
		}
		gs[i].def = &standing_guests[i];
		if (guest_start(conn, &gs[i], "", VM_POOL, dir, payload_root, acc.accel, err) < 0) {
			r = -err->status;
			goto fail;
		}
		hinfo("%s: started from image '%s' (%s)", standing_guests[i].name, standing_guests[i].image, gs[i].overlay);
	}
	ready = guests_wait_ready(gs, STANDING_COUNT, timeout_s);
	progress_done();
	for (size_t i = 0; i < STANDING_COUNT; i++) {
		if (gs[i].def && !gs[i].ready) {
			cleanup_free char *tail = console_tail(gs[i].console_log, 20);
			r = error_setx(err, ETIMEDOUT, "%s; console tail:\n%s", gs[i].failure, tail);
			goto fail;
		}
	}
	(void)ready;
	guests_settle(gs, STANDING_COUNT, timeout_s);
	progress_done();
	for (size_t i = 0; i < STANDING_COUNT; i++)
		guest_free(&gs[i]);
	virConnectClose(conn);
	return 0;
fail:
	for (size_t i = 0; i < STANDING_COUNT; i++) {
		if (gs[i].def)
			guest_remove(conn, &gs[i]);
		guest_free(&gs[i]);
	}
	virConnectClose(conn);
	return r;
}

int vm_down(struct herror *err)
{
	virConnectPtr conn = virt_connect(err);
	cleanup_free char *dir = standing_dir();

	if (conn == NULL)
		return -err->status;
	for (size_t i = 0; i < STANDING_COUNT; i++)
		if (virt_domain_remove(conn, standing_guests[i].name))
			hinfo("%s: removed", standing_guests[i].name);
	virt_pool_remove(conn, VM_POOL);
	remove_tree(dir, NULL);
	virConnectClose(conn);
	return 0;
}

int vm_status(struct herror *err)
{
	virConnectPtr conn = virt_connect(err);
	virDomainPtr *doms = NULL;
	int n;

	if (conn == NULL)
		return -err->status;
	printf("%-28s %-9s %-6s %-9s %s\n", "DOMAIN", "STATE", "VCPUS", "MEM(MiB)", "AGENT");
	for (size_t i = 0; i < STANDING_COUNT; i++) {
		virDomainPtr d = virDomainLookupByName(conn, standing_guests[i].name);
		if (d == NULL) {
			printf("%-28s %-9s %-6s %-9s %s\n", standing_guests[i].name, "absent", "-", "-", "-");
			continue;
		}
		virDomainFree(d);
	}
	n = virConnectListAllDomains(conn, &doms, 0);
	for (int i = 0; i < n; i++) {
		virDomainInfo info;
		const char *name = virDomainGetName(doms[i]);
		bool ours = strncmp(name, "hr-", 3) == 0;
		for (size_t k = 0; k < STANDING_COUNT; k++)
			ours |= strcmp(name, standing_guests[k].name) == 0;
		if (ours && virDomainGetInfo(doms[i], &info) == 0) {
			bool active = info.state == VIR_DOMAIN_RUNNING || info.state == VIR_DOMAIN_PAUSED;
			printf("%-28s %-9s %-6u %-9lu %s\n", name, active ? "running" : "stopped", info.nrVirtCpu,
			       info.memory / 1024, active && agent_ping(doms[i]) ? "answering" : "no answer");
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	virConnectClose(conn);
	return 0;
}

int vm_exec(const char *name, char *const *argv, double timeout_s, struct herror *err)
{
	virConnectPtr conn = virt_connect(err);
	virDomainPtr d;
	struct agent_exec_result res = { 0 };
	int r;

	if (conn == NULL)
		return -err->status;
	d = virDomainLookupByName(conn, name);
	if (d == NULL) {
		virConnectClose(conn);
		return error_setx(err, ENOENT, "no domain '%s' (see 'harness vm status')", name);
	}
	r = agent_run(d, argv[0], (const char *const *)argv + 1, NULL, timeout_s, &res, err);
	if (r == 0) {
		if (res.out)
			fwrite(res.out, 1, res.out_len, stdout);
		if (res.err_text)
			fputs(res.err_text, stderr);
		if (res.truncated)
			hwarn("the guest agent truncated the output of '%s'", argv[0]);
		r = res.signal ? 128 + res.signal : res.exit_code;
	}
	agent_exec_result_free(&res);
	virDomainFree(d);
	virConnectClose(conn);
	return r;
}
