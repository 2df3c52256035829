#include "provision.h"

#include "hosts.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "hproc.h"
#include "records.h"
#include "image.h"
#include "progress.h"
#include "savestate.h"
#include "virt.h"

#define RUN_PREFIX "hr-"

static char *runs_state_dir(void)
{
	return xasprintf("%s/runs", state_dir());
}

/* Whether the run directory dir may be taken over: its owner
 * (owner.pid: pid and start time) is gone. A directory without an owner
 * is stale only once it is older than a claim takes (mkdir, then the
 * owner is written): a run that is starting is never taken. */
#define OWNERLESS_STALE_S 600
static bool run_dir_abandoned(const char *dir)
{
	cleanup_free char *owner = xasprintf("%s/owner.pid", dir);
	struct stat st;
	pid_t pid;
	int r = pidfile_owner(owner, &pid);

	if (r == 1)
		return false;
	if (r == 0)
		return true;
	if (r == -ENOENT && lstat(dir, &st) == 0 && time(NULL) - st.st_mtime > OWNERLESS_STALE_S)
		return true;
	if (r != -ENOENT)
		hwarn("not touching run state '%s': its owner.pid names no process", dir);
	return false;
}

int provision_check_owner(const char *run_id, struct herror *err)
{
	cleanup_free char *owner = xasprintf("%s/runs/%s/owner.pid", state_dir(), run_id);
	pid_t pid;

	if (pidfile_owner(owner, &pid) == 1 && pid != getpid())
		return error_setx(err, EBUSY, "run '%s' is still running (pid %d): not touching it; wait for it to "
				  "end, or stop it ('kill -TERM %d') and resume it then", run_id, (int)pid, (int)pid);
	return 0;
}

/* Leftovers of runs whose harness process died (kill -9, power loss):
 * only directories named like a run id whose owner is gone. */
void provision_cleanup_stale(virConnectPtr conn)
{
	cleanup_free char *dir = runs_state_dir();
	DIR *d = opendir(dir);
	struct dirent *e;

	savestate_cleanup_stale(conn);
	if (d == NULL)
		return;
	while ((e = readdir(d))) {
		struct stat st;

		if (e->d_name[0] == '.' || !run_id_valid(e->d_name))
			continue;
		cleanup_free char *path = xasprintf("%s/%s", dir, e->d_name);

		if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || !run_dir_abandoned(path))
			continue;
		/* Domains are named hr-<run-id>-<guest>; the pool hr-<run-id>. */
		virDomainPtr *doms = NULL;
		int nd = virConnectListAllDomains(conn, &doms, 0);
		cleanup_free char *prefix = xasprintf(RUN_PREFIX "%s-", e->d_name);
		for (int i = 0; i < nd; i++) {
			if (strncmp(virDomainGetName(doms[i]), prefix, strlen(prefix)) == 0) {
				hwarn("removing domain '%s' left by a run that is gone", virDomainGetName(doms[i]));
				virDomainDestroy(doms[i]);
			}
			virDomainFree(doms[i]);
		}
		free(doms);
		cleanup_free char *pool = xasprintf(RUN_PREFIX "%s", e->d_name);
		virt_pool_remove(conn, pool);
		free(pool);
		pool = xasprintf(RUN_PREFIX "%s-gs", e->d_name);	/* hotplug.c's */
		virt_pool_remove(conn, pool);
		remove_tree(path, NULL);
	}
	closedir(d);
}

int provision_init(struct provision *pv, const struct suite *s, const char *payload_root, struct herror *err)
{
	pv->suite = s;
	pv->payload_root = payload_root;
	pv->host_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	pv->nguests = s->nguests;
	pv->guests = xcalloc(pv->nguests, sizeof(*pv->guests));
	for (size_t i = 0; i < pv->nguests; i++) {
		struct image img;
		char *prep;

		pv->guests[i].def = &s->guests[i];
		if (image_find(pv->guests[i].def->image, &img, err) < 0 ||
		    (prep = image_prepared_path(&img, payload_root, err)) == NULL) {
			image_free(&img);
			return -err->status;
		}
		free(prep);
		image_free(&img);
	}
	return 0;
}

int provision_claim(struct provision *pv, const char *run_id, struct herror *err)
{
	cleanup_free char *sd = runs_state_dir();
	cleanup_free char *owner = NULL;
	cleanup_free char *dir = xasprintf("%s/%s", sd, run_id);

	if (!run_id_valid(run_id))
		return error_setx(err, EINVAL, "'%s' is not a valid run id", run_id);
	/* Another live harness's run (a --resume of a run that still runs):
	 * refused before anything of it is touched. */
	if (provision_check_owner(run_id, err) < 0)
		return -err->status;
	if (mkdir_p(dir, 0755, err) < 0)
		return -err->status;
	owner = xasprintf("%s/owner.pid", dir);
	if (pidfile_write(owner, err) < 0)
		return -err->status;
	/* Two claims at once: the last one written wins, the other sees it. */
	if (provision_check_owner(run_id, err) < 0)
		return -err->status;
	pv->state_run_dir = steal_pointer(&dir);
	pv->pool_name = xasprintf(RUN_PREFIX "%s", run_id);
	return 0;
}

static void decide_weight_mechanism(struct provision *pv)
{
	if (pv->weights != WEIGHTS_UNKNOWN || pv->nguests == 0 || pv->guests[0].dom == NULL)
		return;
	pv->weights = virt_weight_mechanism(pv->guests[0].dom, pv->weights_reason, sizeof(pv->weights_reason));
	if (pv->weights == WEIGHTS_NICE)
		hwarn("CPU weights: %s", pv->weights_reason);
}

const char *provision_weights_name(const struct provision *pv)
{
	return pv->weights == WEIGHTS_CGROUP ? "cgroup" : pv->weights == WEIGHTS_NICE ? "nice" : "unknown";
}

/* The connection to the host guest g runs on (hosts.c): the run's own for
 * the suite's first host. NULL (err set) when that host does not answer.
 * *accel: the accelerator decided on that host (KVM on one host need not
 * mean KVM on another). */
static virConnectPtr guest_conn(struct provision *pv, const struct guest *g, enum accel *accel, struct herror *err)
{
	const struct host_def *h = hosts_of_guest(pv->suite, g->def);
	size_t i = (size_t)(h - pv->suite->hosts);

	*accel = pv->accel.accel;
	if (i == 0)
		return pv->conn;
	if (pv->host_conns == NULL) {
		pv->host_conns = xcalloc(pv->suite->nhosts, sizeof(*pv->host_conns));
		pv->host_accel = xcalloc(pv->suite->nhosts, sizeof(*pv->host_accel));
	}
	if (pv->host_conns[i] == NULL) {
		pv->host_conns[i] = hosts_connect(h, err);
		if (pv->host_conns[i] && hosts_accel(pv->host_conns[i], hosts_uri(h), &pv->host_accel[i], err) < 0) {
			virConnectClose(pv->host_conns[i]);
			pv->host_conns[i] = NULL;
		}
	}
	if (pv->host_conns[i])
		*accel = pv->host_accel[i].accel;
	return pv->host_conns[i];
}

/* Whether every guest that did not come up failed with a kernel panic. */
static bool boot_panics_only(const struct provision *pv)
{
	bool any = false;

	for (size_t i = 0; i < pv->nguests; i++) {
		if (pv->guests[i].ready)
			continue;
		if (!pv->guests[i].boot_panicked)
			return false;
		any = true;
	}
	return any;
}

int provision_up(struct provision *pv, bool fresh, struct herror *err)
{
	cleanup_free char *prefix = xasprintf("%s-", pv->pool_name);
	bool retried = false;
	int ready, r;

	if (pv->guests_up)
		return 0;
again:
	/* Give up after three failures; the remaining runs are recorded as failed. */
	if (pv->boot_failures >= 3)
		return error_setx(err, EIO, "the guests failed to come up %d times; not trying again",
				pv->boot_failures);
	for (size_t i = 0; i < pv->nguests; i++) {
		struct guest *g = &pv->guests[i];
		const struct guest_def *def = g->def;

		enum accel accel;
		virConnectPtr conn = guest_conn(pv, g, &accel, err);

		if (conn == NULL) {
			provision_down(pv);
			pv->boot_failures++;
			return -err->status;
		}
		guest_remove(conn, g);
		guest_free(g);
		g->def = def;
		if (!fresh && conn == pv->conn && guest_adopt_standing(pv->conn, g, pv->payload_root)) {
			progress_note("%s: using the standing guest (vm up)", g->dom_name);
			continue;
		}
		/* Saved states live on the local host only. */
		if (fresh && conn == pv->conn && pv->start != PROVISION_START_COLD && !pv->no_restore) {
			struct savestate_place at = { prefix, pv->pool_name, pv->state_run_dir, pv->payload_root,
						      pv->accel.accel, pv->suite->boot_timeout_s };
			r = savestate_start(pv->conn, g, &at, err);
		} else {
			if (fresh)
				savestate_note_cold(g, pv->no_restore ? "--no-restore" :
						       conn != pv->conn ? "saved states live on the local host only" :
						       "asked for a cold boot");
			r = guest_start(conn, g, prefix, pv->pool_name, pv->state_run_dir, pv->payload_root, accel,
					err);
		}
		if (r < 0) {
			provision_down(pv);
			pv->boot_failures++;
			return -err->status;
		}
	}
	ready = guests_wait_ready(pv->guests, pv->nguests, pv->suite->boot_timeout_s);
	if ((size_t)ready != pv->nguests && !retried && boot_panics_only(pv)) {
		/* A guest kernel that panicked while booting (seen under TCG with
		 * several vCPUs, early in SMP bring-up) says nothing about the run:
		 * the guests are booted once more before the run fails. */
		progress_note("a guest kernel panicked while booting; booting the guests once more");
		retried = true;
		goto again;
	}
	if ((size_t)ready != pv->nguests) {
		for (size_t i = 0; i < pv->nguests; i++)
			if (pv->guests[i].failure) {
				error_setx(err, ETIMEDOUT, "%s", pv->guests[i].failure);
				break;
			}
		pv->boot_failures++;
		return -ETIMEDOUT;
	}
	for (size_t i = 0; i < pv->nguests; i++)
		if (!pv->guests[i].standing && guest_verify_payload(&pv->guests[i], pv->payload_root, err) < 0) {
			pv->boot_failures++;
			return -err->status;
		}
	guests_settle(pv->guests, pv->nguests, pv->suite->boot_timeout_s);
	pv->guests_up = true;
	decide_weight_mechanism(pv);
	return 0;
}

void provision_down(struct provision *pv)
{
	for (size_t i = 0; i < pv->nguests; i++) {
		struct herror ignore = { 0 };
		enum accel unused;
		virConnectPtr conn = guest_conn(pv, &pv->guests[i], &unused, &ignore);
		guest_remove(conn ? conn : pv->conn, &pv->guests[i]);
	}
	pv->guests_up = false;
}

int provision_reconnect(struct provision *pv)
{
	struct herror err = { 0 };
	virConnectPtr c = NULL;
	double start = mono_s();

	if (pv->conn == NULL || virConnectIsAlive(pv->conn) == 1)
		return 0;
	hwarn("the connection to libvirt was lost (daemon restarted?); connecting again");
	while ((c = virt_connect(&err)) == NULL && mono_s() - start < 60) {
		error_clear(&err);
		/* Not sleep_unless_stopped: an interrupted run still needs the
		 * connection to remove its guests. */
		sleep(1);
	}
	if (c == NULL) {
		hwarn("%s", err.msg);
		return -err.status;
	}
	/* The old handles belong to the dead connection. */
	for (size_t i = 0; i < pv->nguests; i++) {
		struct guest *g = &pv->guests[i];

		if (g->dom)
			virDomainFree(g->dom);
		g->dom = g->dom_name ? virDomainLookupByName(c, g->dom_name) : NULL;
	}
	virConnectClose(pv->conn);
	pv->conn = c;
	return 0;
}

bool provision_healthy(const struct provision *pv)
{
	bool healthy = pv->guests_up;

	for (size_t i = 0; healthy && i < pv->nguests; i++)
		healthy = pv->guests[i].dom && agent_ping(pv->guests[i].dom);
	return healthy;
}

void provision_release(struct provision *pv)
{
	if (pv->conn) {
		provision_down(pv);
		if (pv->pool_name)
			virt_pool_remove(pv->conn, pv->pool_name);
	}
	for (size_t i = 1; pv->host_conns && i < pv->suite->nhosts; i++)
		if (pv->host_conns[i]) {
			if (pv->pool_name)
				virt_pool_remove(pv->host_conns[i], pv->pool_name);
			virConnectClose(pv->host_conns[i]);
		}
	free(pv->host_conns);
	pv->host_conns = NULL;
	free(pv->host_accel);
	pv->host_accel = NULL;
	if (pv->state_run_dir)
		remove_tree(pv->state_run_dir, NULL);
	for (size_t i = 0; i < pv->nguests; i++)
		guest_free(&pv->guests[i]);
	free(pv->guests);
	free(pv->state_run_dir);
	free(pv->pool_name);
	pv->guests = NULL;
	pv->nguests = 0;
	pv->state_run_dir = NULL;
	pv->pool_name = NULL;
}
