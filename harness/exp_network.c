/* network: stream throughput (each direction) and request/response latency
 * between the first two guests and between the first guest and the host,
 * with the net workload, over NICs of the model under test hot-plugged onto
 * a network the run creates and removes (netiso.h): an isolated bridge and,
 * for the host end, a network namespace on it. Guests get addresses only on
 * that network; the record says what was checked to show that no traffic
 * left it. With "reference: iperf3", iperf3 runs right after the vm1_to_vm2
 * stream (odd repeats) or right before it (even ones) between the same two
 * addresses on the same NICs, and the record has its throughput, the order
 * and the ratio. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "doc.h"
#include "exp_containers.h"
#include "exp_network.h"
#include "experiment.h"
#include "guestrun.h"
#include "netiso.h"
#include "progress.h"
#include "provision.h"

extern const struct experiment exp_network_info;

#define NET_PORT "5201"
#define IPERF3_PORT "5202"
#define IPERF3 "/usr/bin/iperf3"
#define NET_GUESTS 2
#define READY_WAIT_S 60
#define UNPLUG_WAIT_S 30
/* networkd must leave the test NIC alone: no DHCP, no dropped address. */
#define GUEST_NETWORK_FILE "/run/systemd/network/05-harness-net.network"

/* One measured path: who sends to whom, and how. */
struct net_path {
	const char *name;	/* record key */
	const char *label;	/* in plots */
	int client;		/* guest index, or -1 for the host end */
	int server;
	const char *mode;	/* stream | rr */
};

static const struct net_path net_paths[] = {
	{ "vm1_to_vm2", "vm1>vm2", 0, 1, "stream" },
	{ "vm2_to_vm1", "vm2>vm1", 1, 0, "stream" },
	{ "vm1_to_host", "vm1>host", 0, -1, "stream" },
	{ "host_to_vm1", "host>vm1", -1, 0, "stream" },
	{ "rr_vm1_vm2", "vm1<>vm2", 0, 1, "rr" },
	{ "rr_vm1_host", "vm1<>host", 0, -1, "rr" },
};

struct net_state {
	struct netiso iso;
	const char *model;
	bool vhost;
	char mac[NET_GUESTS][24];
	char addr[NET_GUESTS][20];
	char ifname[NET_GUESTS][20];
	char tap[NET_GUESTS][20];
	char *nic_xml[NET_GUESTS];
	bool plugged[NET_GUESTS];
	char *host_dir;		/* host-side outputs of the net workload */
	const char *host_net;	/* the host build of the net workload */
};

int network_check_combination(const char *model, const char *vhost, char *why, size_t whylen)
{
	if (strcmp(vhost, "on") == 0 && strcmp(model, "virtio") != 0) {
		snprintf(why, whylen, "vhost=on needs nic_model virtio, not '%s'", model);
		return -EINVAL;
	}
	return 0;
}

static int network_check_values(const struct exp_values *v, char *why, size_t whylen)
{
	const char *model = exp_values_get(v, "nic_model"), *vhost = exp_values_get(v, "vhost");

	return model && vhost ? network_check_combination(model, vhost, why, whylen) : 0;
}

size_t network_cdf_points(cJSON *rtt, double *x, double *y, size_t max)
{
	static const char *const keys[] = { "min", "p50", "p90", "p99", "p999", "max" };
	static const double fr[] = { 0, 0.5, 0.9, 0.99, 0.999, 1 };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && n < max; i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(rtt, keys[i]);
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || (n > 0 && v->valuedouble < x[n - 1]))
			continue;
		x[n] = v->valuedouble;
		y[n] = fr[i];
		n++;
	}
	return n;
}

static const char *host_net_path(const struct provision *pv)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/opt/harness/bin/net", pv->payload_root ? pv->payload_root : "");
	return path;
}

/* In the guest: tell networkd to leave the NIC with mac alone (before plug). */
static int guest_prepare(struct guest *g, const char *mac, struct herror *err)
{
	cleanup_free char *script = xasprintf(
		"rm -f /run/harness-net-*.ready; mkdir -p /run/systemd/network && "
		"printf '[Match]\\nMACAddress=%s\\n\\n[Link]\\nUnmanaged=yes\\n' "
		">" GUEST_NETWORK_FILE " && { networkctl reload >/dev/null 2>&1; true; }",
		mac);
	cleanup_free char *out = NULL;
	int r = ctr_sh(g, script, 60, &out, err);

	if (r > 0)
		return error_setx(err, EIO, "cannot prepare '%s' for the test NIC (exit %d)", g->dom_name, r);
	return r < 0 ? r : 0;
}

/* In the guest: find the NIC by its MAC, give it addr/24 (no IPv6), up. */
static int guest_configure(struct guest *g, const char *mac, const char *addr, char *ifname, size_t len,
			   struct herror *err)
{
	cleanup_free char *script = xasprintf(
		"find_ifc() { ifc=; for d in /sys/class/net/*; do "
		"[ \"$(cat $d/address 2>/dev/null)\" = '%s' ] && { ifc=${d##*/}; return 0; }; done; return 1; }\n"
		"for i in $(seq 150); do find_ifc && break; sleep 0.2; done\n"
		/* udev may still rename it (eth1 -> ens5): look again once it is done. */
		"udevadm settle -t 15 >/dev/null 2>&1; find_ifc\n"
		"[ -n \"$ifc\" ] || { echo 'error no interface with MAC %s appeared'; exit 1; }\n"
		"echo 1 >/proc/sys/net/ipv6/conf/$ifc/disable_ipv6 2>/dev/null\n"
		"ip addr flush dev $ifc && ip addr add %s/24 dev $ifc && ip link set $ifc up || "
		"{ echo \"error cannot configure $ifc\"; exit 1; }\n"
		"for i in $(seq 100); do [ \"$(cat /sys/class/net/$ifc/carrier 2>/dev/null)\" = 1 ] && break; sleep 0.1; done\n"
		"echo \"IFACE $ifc\"",
		mac, mac, addr);
	cleanup_free char *out = NULL;
	const char *p;
	int r = ctr_sh(g, script, 90, &out, err);

	if (r < 0)
		return r;
	if (r != 0 || (p = strstr(out, "IFACE ")) == NULL)
		return error_setx(err, EIO, "cannot configure the test NIC in '%s': %.300s", g->dom_name,
				out && *out ? out : "no output");
	snprintf(ifname, len, "%.*s", (int)strcspn(p + 6, "\n"), p + 6);
	return 0;
}

/* In the guest: the routes and the transmit counters of every interface
 * other than lo and the test NIC, as JSON text. */
static cJSON *guest_isolation(struct guest *g, const char *ifname, struct herror *err)
{
	cleanup_free char *script = xasprintf(
		"echo \"ROUTES $(ip -4 route show table all 2>/dev/null | grep -v '^local\\|^broadcast' | tr '\\n' ';')\"\n"
		"for d in /sys/class/net/*; do n=${d##*/}; [ $n = lo ] || [ $n = '%s' ] && continue; "
		"echo \"OTHER $n $(cat $d/statistics/tx_bytes)\"; done; true",
		ifname);
	cleanup_free char *out = NULL;
	cJSON *o = cJSON_CreateObject(), *others = cJSON_AddArrayToObject(o, "other_interfaces");
	char *save = NULL;

	if (ctr_sh(g, script, 60, &out, err) < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "ROUTES ", 7) == 0)
			cJSON_AddStringToObject(o, "ipv4_routes", line + 7);
		else if (strncmp(line, "OTHER ", 6) == 0)
			cJSON_AddItemToArray(others, cJSON_CreateString(line + 6));
	}
	return o;
}

static void guest_unprepare(struct guest *g)
{
	struct herror ignore = { 0 };
	cleanup_free char *out = NULL;

	ctr_sh(g, "rm -f " GUEST_NETWORK_FILE " /run/harness-net-*.ready; { networkctl reload >/dev/null 2>&1; true; }",
	       60, &out, &ignore);
}

static cJSON *server_spec(const char *addr, const char *ready, double timeout)
{
	cJSON *spec = cJSON_CreateObject(), *wl;
	char t[32];

	snprintf(t, sizeof(t), "%.0f", timeout);
	cJSON_AddStringToObject(spec, "experiment", exp_network_info.name);
	cJSON_AddNumberToObject(spec, "duration_s", timeout + 5);
	cJSON_AddNumberToObject(spec, "sample_hz", 2);
	wl = guestrun_workload(spec, "server", "net",
			       (const char *const[]){ "server", "--port", NET_PORT, "--bind", addr, "--timeout", t,
						       "--ready-file", ready, NULL });
	/* An idle server waiting for its client is not stalled. */
	cJSON_AddNumberToObject(wl, "stall_timeout_s", 0);
	return spec;
}

static cJSON *client_spec(const char *addr, const char *mode, double duration)
{
	cJSON *spec = cJSON_CreateObject(), *wl;
	char d[32];

	snprintf(d, sizeof(d), "%g", duration);
	cJSON_AddStringToObject(spec, "experiment", exp_network_info.name);
	cJSON_AddNumberToObject(spec, "duration_s", duration + 5);
	cJSON_AddNumberToObject(spec, "sample_hz", 2);
	wl = guestrun_workload(spec, "client", "net",
			       (const char *const[]){ "client", "--host", addr, "--port", NET_PORT, "--mode", mode,
						       "--connections", "1", "--duration", d, NULL });
	cJSON_AddNumberToObject(wl, "stall_timeout_s", 0);
	return spec;
}

/* The net workload's document from a runner document, or NULL. */
static cJSON *runner_output(cJSON *doc, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(guestrun_doc_workload(doc, name), "output");
}

static int wait_guest_ready(struct guest *g, const char *path, struct herror *err)
{
	double t0 = mono_s();

	for (;;) {
		struct herror e = { 0 };
		cleanup_free char *s = agent_file_read(g->dom, path, 64, &e);
		if (s)
			return 0;
		if (mono_s() - t0 > READY_WAIT_S)
			return error_setx(err, ETIMEDOUT, "the net server in '%s' was not ready after %d s: %s",
					g->dom_name, READY_WAIT_S, e.msg);
		if (!sleep_unless_stopped(0.3))
			return error_setx(err, EINTR, "interrupted while waiting for the net server");
	}
}

static int wait_host_ready(const char *path, pid_t pid, struct herror *err)
{
	double t0 = mono_s();

	while (access(path, F_OK) != 0) {
		if (mono_s() - t0 > READY_WAIT_S || kill(pid, 0) < 0)
			return error_setx(err, ETIMEDOUT, "the net server in the host's namespace was not ready");
		if (!sleep_unless_stopped(0.1))
			return error_setx(err, EINTR, "interrupted while waiting for the net server");
	}
	return 0;
}

static cJSON *read_json_file(const char *path, struct herror *err)
{
	cleanup_free char *text = read_text(path, NULL, err);
	cJSON *j = text ? cJSON_Parse(text) : NULL;

	if (text && j == NULL)
		error_setx(err, EIO, "'%s' is not JSON: %.200s", path, text);
	return j;
}

/* One path: start the server, wait until it listens, run the client, collect
 * both documents. *client_doc and *server_doc are the net workload's own. */
static int run_path(struct net_state *st, struct provision *pv, const struct net_path *p, int idx, double duration,
		    cJSON **client_doc, cJSON **server_doc, struct herror *err)
{
	double timeout = duration + 60;
	const char *srv_addr = p->server < 0 ? st->iso.host_addr : st->addr[p->server];
	cleanup_free char *gready = xasprintf("/run/harness-net-%d.ready", idx);
	cleanup_free char *hready = xasprintf("%s/%d.ready", st->host_dir, idx);
	cleanup_free char *hout = xasprintf("%s/%d.out", st->host_dir, idx);
	cleanup_free char *herr = xasprintf("%s/%d.err", st->host_dir, idx);
	char tbuf[32], dbuf[32];
	pid_t hpid = -1;
	int gpid = -1, r;
	cJSON *doc = NULL;

	*client_doc = *server_doc = NULL;
	snprintf(tbuf, sizeof(tbuf), "%.0f", timeout);
	snprintf(dbuf, sizeof(dbuf), "%g", duration);
	if (p->server < 0) {
		const char *argv[] = { st->host_net, "server", "--port", NET_PORT, "--bind", srv_addr, "--timeout", tbuf,
				       "--ready-file", hready, NULL };
		unlink(hready);
		hpid = netiso_spawn(&st->iso, argv, hout, herr, err);
		if (hpid < 0)
			return hpid;
		if (wait_host_ready(hready, hpid, err) < 0)
			goto out;
	} else {
		struct guest *g = &pv->guests[p->server];
		cJSON *spec = server_spec(srv_addr, gready, timeout);
		cleanup_free char *text = cJSON_PrintUnformatted(spec);
		const char *argv[] = { "-", NULL };
		cJSON_Delete(spec);
		gpid = agent_exec_start(g->dom, GUESTRUN_RUNNER, argv, text, err);
		if (gpid < 0)
			return gpid;
		if (wait_guest_ready(g, gready, err) < 0)
			goto out;
	}

	if (p->client < 0) {
		cleanup_free char *cout = xasprintf("%s/%d.client.out", st->host_dir, idx);
		cleanup_free char *cerr = xasprintf("%s/%d.client.err", st->host_dir, idx);
		const char *argv[] = { st->host_net, "client", "--host", srv_addr, "--port", NET_PORT, "--mode", p->mode,
				       "--connections", "1", "--duration", dbuf, NULL };
		pid_t cpid = netiso_spawn(&st->iso, argv, cout, cerr, err);
		if (cpid < 0)
			goto out;
		r = netiso_wait(cpid, duration + 60);
		if (r < 0) {
			error_setx(err, -r, "the net client in the host's namespace did not end: %s", strerror(-r));
			goto out;
		}
		*client_doc = read_json_file(cout, err);
		if (*client_doc == NULL)
			goto out;
	} else {
		struct guest *g = &pv->guests[p->client];
		cJSON *spec = client_spec(srv_addr, p->mode, duration);
		r = guestrun_run(g, spec, duration + 120, &doc, err);
		cJSON_Delete(spec);
		if (r < 0)
			goto out;
		*client_doc = cJSON_Duplicate(runner_output(doc, "client"), 1);
		cJSON_Delete(doc);
		doc = NULL;
		if (*client_doc == NULL) {
			error_setx(err, EIO, "the net client in '%s' left no document", g->dom_name);
			goto out;
		}
	}

	/* The server ends when the client's control connection closes. */
	if (hpid > 0) {
		r = netiso_wait(hpid, 30);
		hpid = -1;
		*server_doc = r >= 0 ? read_json_file(hout, err) : NULL;
	} else {
		struct guest *g = &pv->guests[p->server];
		struct agent_exec_result res = { 0 };
		if (agent_exec_wait(g->dom, gpid, 60, &res, err) == 0 && res.out) {
			doc = cJSON_Parse(res.out);
			*server_doc = cJSON_Duplicate(runner_output(doc, "server"), 1);
			cJSON_Delete(doc);
			doc = NULL;
		}
		gpid = -1;
		agent_exec_result_free(&res);
	}
	return 0;
out:
	if (hpid > 0)
		netiso_wait(hpid, 0);
	if (gpid > 0) {
		/* The server's own --timeout ends it; wait a little so the port is free. */
		struct agent_exec_result res = { 0 };
		struct herror ignore = { 0 };
		agent_exec_wait(pv->guests[p->server].dom, gpid, 2, &res, &ignore);
		agent_exec_result_free(&res);
	}
	return -err->status;
}

/* iperf3 between vm1 (client) and vm2 (server) on the run's NICs, right
 * after or before the experiment's vm1_to_vm2 stream: one connection, 128 KiB writes
 * (the net workload's), the same duration. The record gets "reference" and
 * vm1_to_vm2_vs_iperf3. The client retries until the server listens. */
static int iperf3_reference(struct net_state *st, struct provision *pv, double duration, cJSON *record,
			    struct herror *err)
{
	struct guest *cg = &pv->guests[0], *sg = &pv->guests[1];
	cJSON *spec = cJSON_CreateObject(), *wl, *doc = NULL, *out, *ref, *args;
	cleanup_free char *text = NULL;
	const char *argv[] = { "-", NULL };
	const char *script =
		"o=$(mktemp) || exit 1; i=0; "
		"until " IPERF3 " -J -c \"$1\" -B \"$2\" -p " IPERF3_PORT " -l 128K -t \"$3\" >\"$o\" 2>/dev/null; do "
		"i=$((i+1)); [ $i -ge 300 ] && break; sleep 0.2; done; cat \"$o\"; rm -f \"$o\"";
	char t[32];
	struct agent_exec_result res = { 0 };
	double recv_bps;
	int gpid, r;

	snprintf(t, sizeof(t), "%.0f", fmax(1, round(duration)));
	cJSON_AddStringToObject(spec, "experiment", exp_network_info.name);
	cJSON_AddNumberToObject(spec, "duration_s", duration + 120);
	/* one client (-1), then it exits with its JSON document */
	wl = guestrun_workload(spec, "iperf3-server", IPERF3,
			       (const char *const[]){ "-s", "-1", "-J", "-B", st->addr[1], "-p", IPERF3_PORT, NULL });
	cJSON_AddNumberToObject(wl, "stall_timeout_s", 0);
	text = cJSON_PrintUnformatted(spec);
	cJSON_Delete(spec);
	progress_phase("reference iperf3 vm1_to_vm2", 0, duration);
	gpid = agent_exec_start(sg->dom, GUESTRUN_RUNNER, argv, text, err);
	if (gpid < 0)
		return error_wrap(err, "reference iperf3");

	spec = cJSON_CreateObject();
	cJSON_AddStringToObject(spec, "experiment", exp_network_info.name);
	cJSON_AddNumberToObject(spec, "duration_s", duration + 90);
	wl = guestrun_workload(spec, "iperf3-client", "/bin/sh",
			       (const char *const[]){ "-c", script, "sh", st->addr[1], st->addr[0], t, NULL });
	cJSON_AddNumberToObject(wl, "stall_timeout_s", 0);
	r = guestrun_run(cg, spec, duration + 150, &doc, err);
	cJSON_Delete(spec);
	/* the server ends after its one client, or at its deadline */
	{
		struct herror ignore = { 0 };
		agent_exec_wait(sg->dom, gpid, r == 0 ? 60 : 5, &res, &ignore);
		agent_exec_result_free(&res);
	}
	if (r < 0) {
		cJSON_Delete(doc);
		return error_wrap(err, "reference iperf3");
	}
	out = cJSON_GetObjectItemCaseSensitive(guestrun_doc_workload(doc, "iperf3-client"), "output");
	recv_bps = guestrun_num(out, (const char *const[]){ "end", "sum_received", "bits_per_second", NULL });
	if (!(recv_bps > 0)) {
		cJSON *e = cJSON_GetObjectItemCaseSensitive(out, "error");
		r = error_setx(err, EIO, "reference iperf3 from '%s' to '%s' measured nothing: %s", cg->dom_name,
			       sg->dom_name, cJSON_IsString(e) ? e->valuestring : "no iperf3 document");
		cJSON_Delete(doc);
		return r;
	}
	ref = cJSON_AddObjectToObject(record, "reference");
	cJSON_AddStringToObject(ref, "tool", "iperf3");
	cJSON_AddStringToObject(ref, "path", "vm1_to_vm2");
	{
		cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(out, "start"), "version");
		cJSON_AddStringToObject(ref, "version", cJSON_IsString(v) ? v->valuestring : "");
	}
	args = cJSON_AddArrayToObject(ref, "client_args");
	{
		const char *a[] = { "-J", "-c", st->addr[1], "-B", st->addr[0], "-p", IPERF3_PORT, "-l", "128K", "-t", t };
		for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
			cJSON_AddItemToArray(args, cJSON_CreateString(a[i]));
	}
	cJSON_AddItemToObject(ref, "elapsed_s", guestrun_num_or_null(guestrun_num(
		out, (const char *const[]){ "end", "sum_received", "seconds", NULL })));
	cJSON_AddItemToObject(ref, "received_bytes", guestrun_num_or_null(guestrun_num(
		out, (const char *const[]){ "end", "sum_received", "bytes", NULL })));
	cJSON_AddItemToObject(ref, "sender_mbit_per_s", guestrun_num_or_null(guestrun_num(
		out, (const char *const[]){ "end", "sum_sent", "bits_per_second", NULL }) / 1e6));
	cJSON_AddItemToObject(ref, "retransmits", guestrun_num_or_null(guestrun_num(
		out, (const char *const[]){ "end", "sum_sent", "retransmits", NULL })));
	cJSON_AddNumberToObject(ref, "mbit_per_s", recv_bps / 1e6);
	cJSON_AddNumberToObject(record, "iperf3_vm1_to_vm2_mbit_per_s", recv_bps / 1e6);
	cJSON_Delete(doc);
	return 0;
}

static double jnum(cJSON *o, const char *k1, const char *k2)
{
	cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k1);

	if (k2)
		j = cJSON_GetObjectItemCaseSensitive(j, k2);
	return cJSON_IsNumber(j) ? j->valuedouble : NAN;
}

/* The path's record entry and its top-level metrics. */
static int record_path(cJSON *record, cJSON *paths, const struct net_path *p, cJSON *cdoc, cJSON *sdoc,
		       struct herror *err)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *ct = cJSON_GetObjectItemCaseSensitive(cdoc, "totals");
	cJSON *err_j = cJSON_GetObjectItemCaseSensitive(cdoc, "error");
	double elapsed = jnum(ct, "elapsed_s", NULL);
	int r = 0;

	cJSON_AddStringToObject(o, "name", p->name);
	cJSON_AddStringToObject(o, "client", p->client < 0 ? "host" : p->client == 0 ? "vm1" : "vm2");
	cJSON_AddStringToObject(o, "server", p->server < 0 ? "host" : p->server == 0 ? "vm1" : "vm2");
	cJSON_AddStringToObject(o, "mode", p->mode);
	if (strcmp(p->mode, "stream") == 0) {
		double recv = jnum(ct, "server_received_bytes", NULL);
		double bps = elapsed > 0 && isfinite(recv) ? recv * 8 / elapsed : NAN;
		cJSON_AddItemToObject(o, "server_received_bytes", guestrun_num_or_null(recv));
		cJSON_AddItemToObject(o, "sent_bytes", guestrun_num_or_null(jnum(ct, "sent_bytes", NULL)));
		cJSON_AddItemToObject(o, "elapsed_s", guestrun_num_or_null(elapsed));
		cJSON_AddItemToObject(o, "mbit_per_s", guestrun_num_or_null(bps / 1e6));
		cJSON_AddItemToObject(o, "server_mbit_per_s",
				      guestrun_num_or_null(jnum(sdoc, "totals", "received_bits_per_s") / 1e6));
		{
			cleanup_free char *key = xasprintf("%s_mbit_per_s", p->name);
			cJSON_AddItemToObject(record, key, guestrun_num_or_null(bps / 1e6));
		}
		if (!(bps > 0))
			r = error_setx(err, EIO, "no bytes reached the server on %s: %s", p->name,
				     cJSON_IsString(err_j) ? err_j->valuestring : "the client reported none");
	} else {
		cJSON *rtt = cJSON_GetObjectItemCaseSensitive(ct, "rtt_us");
		static const char *const pct[] = { "p50", "p90", "p99" };
		cJSON_AddItemToObject(o, "transactions_per_s",
				      guestrun_num_or_null(jnum(ct, "transactions_per_s", NULL)));
		cJSON_AddItemToObject(o, "rtt_us", rtt ? cJSON_Duplicate(rtt, 1) : cJSON_CreateNull());
		for (size_t i = 0; i < 3; i++) {
			cleanup_free char *key = xasprintf("%s_%s_us", p->name, pct[i]);
			cJSON_AddItemToObject(record, key, guestrun_num_or_null(jnum(rtt, pct[i], NULL)));
		}
		if (!(jnum(ct, "transactions", NULL) > 0))
			r = error_setx(err, EIO, "no request/response completed on %s: %s", p->name,
				     cJSON_IsString(err_j) ? err_j->valuestring : "the client reported none");
	}
	cJSON_AddItemToArray(paths, o);
	return r;
}

/* Unplug the NICs, undo the guests' preparation, remove the network. */
static void net_teardown(struct net_state *st, struct provision *pv, cJSON *record)
{
	cJSON *rm = cJSON_AddObjectToObject(record, "removed");
	bool all_unplugged = true;

	for (int i = 0; i < NET_GUESTS; i++) {
		struct herror e = { 0 };
		if (st->plugged[i] &&
		    netiso_nic_detach(pv->guests[i].dom, st->nic_xml[i], st->mac[i], UNPLUG_WAIT_S, &e) < 0) {
			hwarn("%s", e.msg);
			all_unplugged = false;
		}
		st->plugged[i] = false;
		if (st->nic_xml[i])
			guest_unprepare(&pv->guests[i]);
		free(st->nic_xml[i]);
		st->nic_xml[i] = NULL;
	}
	netiso_down(&st->iso);
	cJSON_AddBoolToObject(rm, "nics_unplugged", all_unplugged);
	cJSON_AddBoolToObject(rm, "bridge_gone", !netiso_link_exists(st->iso.bridge));
	cJSON_AddBoolToObject(rm, "veth_gone", !netiso_link_exists(st->iso.veth_host));
	{
		cleanup_free char *ns = xasprintf("/run/netns/%s", st->iso.name);
		cJSON_AddBoolToObject(rm, "netns_gone", access(ns, F_OK) != 0);
	}
	if (st->host_dir) {
		cleanup_free char *cmd = NULL;
		DIR *d = opendir(st->host_dir);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			cleanup_free char *f = xasprintf("%s/%s", st->host_dir, e->d_name);
			unlink(f);
		}
		if (d)
			closedir(d);
		rmdir(st->host_dir);
		free(st->host_dir);
		st->host_dir = NULL;
	}
}

static int network_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	struct provision *pv = x->pv;
	struct net_state st = { .model = exp_setting_value(x, "nic_model") };
	const char *vhost = exp_setting_value(x, "vhost");
	bool iperf3 = strcmp(exp_setting_value(x, "reference"), "iperf3") == 0;
	bool ref_first = x->run->repeat > 0 && x->run->repeat % 2 == 0;
	double duration = x->def->duration_s > 0 ? x->def->duration_s : 5;
	cJSON *net, *nic, *gl, *paths, *iso;
	char why[200], links[256];
	int r = 0;

	if (pv->nguests < NET_GUESTS)
		return error_setx(err, EINVAL, "network needs two guests, the suite has %zu", pv->nguests);
	if (network_check_combination(st.model, vhost, why, sizeof(why)) < 0)
		return error_setx(err, EINVAL, "%s", why);
	st.vhost = strcmp(vhost, "on") == 0;
	if (st.vhost && access("/dev/vhost-net", F_OK) != 0)
		return error_setx(err, ENODEV, "vhost=on needs /dev/vhost-net on the host (the vhost_net module)");
	st.host_net = host_net_path(pv);
	if (access(st.host_net, X_OK) != 0)
		return error_set(err, errno, "cannot run the host's net workload '%s'", st.host_net);
	for (int i = 0; iperf3 && i < NET_GUESTS; i++)
		if ((r = ctr_need_tool(&pv->guests[i], "iperf3", err)) < 0)
			return r;

	netiso_cleanup_stale(pv->conn);
	netiso_names(&st.iso, getpid());
	st.host_dir = xasprintf("%s/net", pv->state_run_dir ? pv->state_run_dir : "/tmp");
	if (mkdir(st.host_dir, 0700) < 0 && errno != EEXIST) {
		r = error_set(err, errno, "cannot create '%s'", st.host_dir);
		free(st.host_dir);
		return r;
	}

	progress_phase("creating the isolated network", 0, 0);
	if (netiso_up(&st.iso, pv->conn, err) < 0) {
		r = -err->status;
		goto out;
	}
	net = cJSON_AddObjectToObject(record, "network");
	cJSON_AddStringToObject(net, "libvirt_network", st.iso.name);
	cJSON_AddStringToObject(net, "bridge", st.iso.bridge);
	cJSON_AddStringToObject(net, "subnet", NETISO_SUBNET ".0/24");
	cJSON_AddStringToObject(net, "netns", st.iso.name);
	cJSON_AddStringToObject(net, "host_veth", st.iso.veth_host);
	cJSON_AddStringToObject(net, "host_addr", st.iso.host_addr);

	nic = cJSON_AddObjectToObject(record, "nic");
	cJSON_AddStringToObject(nic, "model", st.model);
	cJSON_AddStringToObject(nic, "vhost", strcmp(st.model, "virtio") == 0 ? vhost : "n/a");
	cJSON_AddStringToObject(nic, "applied", "hot-plug (virDomainAttachDeviceFlags, live), unplugged after");
	gl = cJSON_AddArrayToObject(record, "guests");
	for (int i = 0; i < NET_GUESTS; i++) {
		struct guest *g = &pv->guests[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToArray(gl, o);
		cJSON_AddStringToObject(o, "name", g->def->name);
		cJSON_AddStringToObject(o, "domain", g->dom_name);
		netiso_mac(getpid(), i, st.mac[i], sizeof(st.mac[i]));
		netiso_guest_addr(i, st.addr[i], sizeof(st.addr[i]));
		cJSON_AddStringToObject(o, "mac", st.mac[i]);
		cJSON_AddStringToObject(o, "addr", st.addr[i]);
		progress_phase("hot-plugging the NICs", 0, 0);
		st.nic_xml[i] = netiso_nic_xml(st.iso.name, st.mac[i], st.model, st.vhost);
		if (guest_prepare(g, st.mac[i], err) < 0 || netiso_nic_attach(g->dom, st.nic_xml[i], err) < 0) {
			r = -err->status;
			goto out;
		}
		st.plugged[i] = true;
		/* The host end of the NIC is a bridge port only, like the veth. */
		if (netiso_nic_tap(g->dom, st.mac[i], st.tap[i], sizeof(st.tap[i]), err) < 0 ||
		    netiso_no_ipv6(st.tap[i], err) < 0) {
			r = -err->status;
			goto out;
		}
		cJSON_AddStringToObject(o, "host_tap", st.tap[i]);
		if (guest_configure(g, st.mac[i], st.addr[i], st.ifname[i], sizeof(st.ifname[i]), err) < 0) {
			r = -err->status;
			goto out;
		}
		cJSON_AddStringToObject(o, "interface", st.ifname[i]);
	}

	paths = cJSON_AddArrayToObject(record, "paths");
	for (size_t i = 0; i < sizeof(net_paths) / sizeof(net_paths[0]); i++) {
		const struct net_path *p = &net_paths[i];
		cJSON *cdoc = NULL, *sdoc = NULL;
		char phase[64];

		bool ref_here = iperf3 && strcmp(p->name, "vm1_to_vm2") == 0;

		/* The reference runs before the stream in even repeats and after
		 * it in odd ones, so that a drift in the guests' share of the
		 * host favours neither tool over a run's repeats. */
		if (ref_here && ref_first && (r = iperf3_reference(&st, pv, duration, record, err)) < 0)
			goto out;
		snprintf(phase, sizeof(phase), "%s %s", p->mode, p->name);
		progress_phase(phase, (double)i * duration, (double)(sizeof(net_paths) / sizeof(net_paths[0])) * duration);
		r = run_path(&st, pv, p, (int)i, duration, &cdoc, &sdoc, err);
		if (r == 0)
			r = record_path(record, paths, p, cdoc, sdoc, err);
		cJSON_Delete(cdoc);
		cJSON_Delete(sdoc);
		if (r == 0 && ref_here && !ref_first)
			r = iperf3_reference(&st, pv, duration, record, err);
		if (r == 0 && ref_here) {
			/* Both measured: the ratio, whichever ran first. */
			double ours = guestrun_num(record, (const char *const[]){ "vm1_to_vm2_mbit_per_s", NULL });
			double theirs = guestrun_num(record, (const char *const[]){ "iperf3_vm1_to_vm2_mbit_per_s", NULL });

			cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(record, "reference"), "order",
						ref_first ? "before" : "after");
			cJSON_AddItemToObject(record, "vm1_to_vm2_vs_iperf3", guestrun_num_or_null(ours / theirs));
		}
		if (r < 0)
			goto out;
	}

	/* What shows that the traffic stayed on the run's network. */
	iso = cJSON_AddObjectToObject(record, "isolation");
	cJSON_AddNumberToObject(iso, "bridge_host_addresses", netiso_count_addrs(st.iso.bridge));
	cJSON_AddNumberToObject(iso, "veth_host_addresses", netiso_count_addrs(st.iso.veth_host));
	{
		int taps = 0;
		for (int i = 0; i < NET_GUESTS; i++)
			taps += netiso_count_addrs(st.tap[i]);
		cJSON_AddNumberToObject(iso, "tap_host_addresses", taps);
	}
	if (netiso_ns_links(&st.iso, links, sizeof(links), err) < 0) {
		r = -err->status;
		goto out;
	}
	cJSON_AddStringToObject(iso, "netns_links", links);
	/* The host end's traffic crossed the veth: at least the bytes its
	 * streams carried (the bridge side receives what the netns sends). */
	{
		static const char *const ctr[] = { "rx_bytes", "tx_bytes" };
		for (int k = 0; k < 2; k++) {
			cleanup_free char *path = xasprintf("/sys/class/net/%s/statistics/%s", st.iso.veth_host, ctr[k]);
			cleanup_free char *v = read_text(path, NULL, &(struct herror){ 0 });
			cleanup_free char *key = xasprintf("veth_host_%s", ctr[k]);
			cJSON_AddItemToObject(iso, key, guestrun_num_or_null(v ? strtod(v, NULL) : NAN));
		}
	}
	for (int i = 0; i < NET_GUESTS; i++) {
		cJSON *gi = guest_isolation(&pv->guests[i], st.ifname[i], err);
		if (gi == NULL) {
			r = -err->status;
			goto out;
		}
		cJSON_AddItemToObject(cJSON_GetArrayItem(gl, i), "isolation", gi);
	}
	if (netiso_count_addrs(st.iso.bridge) != 0 || netiso_count_addrs(st.iso.veth_host) != 0 ||
	    netiso_count_addrs(st.tap[0]) != 0 || netiso_count_addrs(st.tap[1]) != 0 ||
	    strcmp(links, st.iso.veth_ns) != 0)
		r = error_setx(err, EIO, "the run's network is not isolated: host addresses on '%s', '%s' or the "
				       "taps, or links '%s' in the namespace", st.iso.bridge, st.iso.veth_host, links);
out:
	progress_phase("removing the isolated network", 0, 0);
	net_teardown(&st, pv, record);
	return r;
}

static double network_estimate_s(const struct experiment_def *def)
{
	double d = def->duration_s > 0 ? def->duration_s : 5;

	return (double)(sizeof(net_paths) / sizeof(net_paths[0])) * (d + 8) + 40 + d + 8;
}

static void cdf_append(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns, const char *path);

static bool is_network_group(cJSON *grp)
{
	return strcmp(doc_jstr(grp, "experiment", ""), exp_network_info.name) == 0;
}

static void settings_label(cJSON *grp, char *buf, size_t len)
{
	cJSON *s = cJSON_GetObjectItemCaseSensitive(grp, "settings");

	snprintf(buf, len, "%s%s", doc_jstr(s, "nic_model", "virtio"),
		 strcmp(doc_jstr(s, "vhost", "off"), "on") == 0 ? "+vhost" : "");
}

/* Report, per settings: the throughput and latency table. */
static void network_report_group(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns)
{
	FILE *f = d->f;

	cdf_append(d, grp, runs, nruns, "rr_vm1_vm2");
	cdf_append(d, grp, runs, nruns, "rr_vm1_host");
	fputs("\n.TS\nbox;\nc c c\nl n n.\npath\tMbit/s (mean)\t95% CI\n", f);
	for (size_t i = 0; i < sizeof(net_paths) / sizeof(net_paths[0]); i++) {
		char key[64];
		if (strcmp(net_paths[i].mode, "stream") != 0)
			continue;
		snprintf(key, sizeof(key), "%s_mbit_per_s", net_paths[i].name);
		fprintf(f, "%s\t%.1f\t%.1f\\(en%.1f\n", net_paths[i].name, doc_jstat(grp, key, "mean"),
			doc_jstat(grp, key, "ci95_low"), doc_jstat(grp, key, "ci95_high"));
		if (i == 0 && !isnan(doc_jstat(grp, "iperf3_vm1_to_vm2_mbit_per_s", "mean")))
			fprintf(f, "iperf3 vm1_to_vm2\t%.1f\t%.1f\\(en%.1f\n",
				doc_jstat(grp, "iperf3_vm1_to_vm2_mbit_per_s", "mean"),
				doc_jstat(grp, "iperf3_vm1_to_vm2_mbit_per_s", "ci95_low"),
				doc_jstat(grp, "iperf3_vm1_to_vm2_mbit_per_s", "ci95_high"));
	}
	fputs(".TE\n", f);
	if (!isnan(doc_jstat(grp, "vm1_to_vm2_vs_iperf3", "mean")))
		fprintf(f, ".PP\nvm1 to vm2 against iperf3 right after or before it on the same NICs (reference: iperf3): "
			   "ratio net/iperf3 %.3f (mean; goal at least 0.95).\n",
			doc_jstat(grp, "vm1_to_vm2_vs_iperf3", "mean"));
	fprintf(f, ".PP\nRound trip, vm1 to vm2: p50 %.0f \\(*ms, p90 %.0f \\(*ms, p99 %.0f \\(*ms; "
		   "vm1 to the host: p50 %.0f \\(*ms, p90 %.0f \\(*ms, p99 %.0f \\(*ms (means over the runs).\n",
		doc_jstat(grp, "rr_vm1_vm2_p50_us", "mean"), doc_jstat(grp, "rr_vm1_vm2_p90_us", "mean"),
		doc_jstat(grp, "rr_vm1_vm2_p99_us", "mean"), doc_jstat(grp, "rr_vm1_host_p50_us", "mean"),
		doc_jstat(grp, "rr_vm1_host_p90_us", "mean"), doc_jstat(grp, "rr_vm1_host_p99_us", "mean"));
}

/* The latency CDF points of one path from the group's first successful
 * run, appended as one gnuplot data block (and its label) to the report's
 * scratch files; report_end plots them, one line per settings. */
static void cdf_append(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns, const char *path)
{
	cleanup_free char *dat = xasprintf("%s/net-cdf-%s.dat", d->tmp, path);
	cleanup_free char *lab = xasprintf("%s/net-cdf-%s.labels", d->tmp, path);

	for (size_t i = 0; i < nruns; i++) {
		cJSON *p, *rtt = NULL;
		double x[8], y[8];
		char label[64];
		size_t n;
		FILE *f;

		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(runs[i], "ok")) || !doc_run_in_group(runs[i], grp))
			continue;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(runs[i], "paths"))
			if (strcmp(doc_jstr(p, "name", ""), path) == 0)
				rtt = cJSON_GetObjectItemCaseSensitive(p, "rtt_us");
		n = network_cdf_points(rtt, x, y, 8);
		if (n < 2)
			continue;
		f = fopen(dat, "a");
		if (f == NULL)
			return;
		for (size_t k = 0; k < n; k++)
			fprintf(f, "%g %g\n", x[k], y[k]);
		fputs("\n\n", f);
		fclose(f);
		f = fopen(lab, "a");
		if (f == NULL)
			return;
		settings_label(grp, label, sizeof(label));
		fprintf(f, "%s\n", label);
		fclose(f);
		return;
	}
}

/* One line per settings group whose points cdf_append wrote. */
static void plot_cdf(struct report_doc *d, const char *path, const char *title)
{
	cleanup_free char *dat = xasprintf("%s/net-cdf-%s.dat", d->tmp, path);
	cleanup_free char *lab = xasprintf("%s/net-cdf-%s.labels", d->tmp, path);
	cleanup_free char *gp = xasprintf("%s/net-cdf-%s.gp", d->tmp, path);
	cleanup_free char *eps = xasprintf("%s/net-cdf-%s.eps", d->tmp, path);
	cleanup_free char *labels = read_text(lab, NULL, &(struct herror){ 0 });
	char *save = NULL;
	size_t i = 0;
	FILE *f;

	if (labels == NULL)
		return;
	f = fopen(gp, "w");
	if (f == NULL)
		return;
	doc_gp_terminal(f, eps, 6, 2.6);
	fputs("set title ", f);
	doc_gp_string(f, title);
	fputs(" noenhanced\nset xlabel 'round trip (microseconds, log scale)'\nset ylabel 'fraction of requests'\n"
	      "set logscale x\nset yrange [0:1]\nset key below horizontal\nset grid\nplot ", f);
	for (char *l = strtok_r(labels, "\n", &save); l; l = strtok_r(NULL, "\n", &save), i++) {
		fprintf(f, "%s'%s' index %zu using 1:2 with linespoints lw 2 title ", i ? ", " : "", dat, i);
		doc_gp_string(f, l);
		fputs(" noenhanced", f);
	}
	fputc('\n', f);
	fclose(f);
	if (i > 0 && doc_gnuplot(gp) == 0)
		doc_figure(d, eps, 6, 2.6,
			   "cumulative distribution of the request/response round trip (1-byte request and answer), "
			   "first repeat of each setting; points at the minimum, p50, p90, p99, p99.9 and maximum.");
}

/* After all groups: throughput bars per NIC model and path, latency CDFs. */
static void network_report_end(struct report_doc *d, cJSON *groups)
{
	struct doc_bar bars[64];
	char labels[64][96];
	size_t n = 0;
	cJSON *grp;

	cJSON_ArrayForEach(grp, groups) {
		char st[64];
		if (!is_network_group(grp))
			continue;
		settings_label(grp, st, sizeof(st));
		for (size_t i = 0; i < sizeof(net_paths) / sizeof(net_paths[0]) && n < 64; i++) {
			char key[64];
			if (strcmp(net_paths[i].mode, "stream") != 0)
				continue;
			snprintf(key, sizeof(key), "%s_mbit_per_s", net_paths[i].name);
			snprintf(labels[n], sizeof(labels[n]), "%s\n%s", net_paths[i].label, st);
			bars[n] = (struct doc_bar){ labels[n], doc_jstat(grp, key, "mean"), doc_jstat(grp, key, "ci95_low"),
						    doc_jstat(grp, key, "ci95_high"), NAN };
			n++;
			if (i == 0 && n < 64 && !isnan(doc_jstat(grp, "iperf3_vm1_to_vm2_mbit_per_s", "mean"))) {
				const char *k = "iperf3_vm1_to_vm2_mbit_per_s";
				snprintf(labels[n], sizeof(labels[n]), "iperf3 %s\n%s", net_paths[i].label, st);
				bars[n] = (struct doc_bar){ labels[n], doc_jstat(grp, k, "mean"), doc_jstat(grp, k, "ci95_low"),
							    doc_jstat(grp, k, "ci95_high"), NAN };
				n++;
			}
		}
	}
	if (n == 0)
		return;
	doc_heading(d, 2, "Network: throughput and latency per NIC model", 3.2);
	doc_plot_bars(d, "net-tput", "Stream throughput per path and NIC model (mean, 95% CI)", "Mbit/s", bars, n,
		      "bytes the receiving net server counted, over the client's elapsed time, one TCP connection "
		      "(\"iperf3\": iperf3 on the same NICs right after or before, reference: iperf3); "
		      "error bars: 95% confidence interval of the mean over the repeats.");
	plot_cdf(d, "rr_vm1_vm2", "Round-trip CDF, vm1 to vm2");
	plot_cdf(d, "rr_vm1_host", "Round-trip CDF, vm1 to the host's namespace");
}

static const char *const nic_models[] = { "virtio", "e1000e", "rtl8139", NULL };
static const char *const on_off[] = { "on", "off", NULL };
static const char *const references[] = { "none", "iperf3", NULL };

static const struct exp_setting network_settings[] = {
	{ .key = "nic_model", .help = "the model of the NIC hot-plugged into both guests for the run",
	  .allowed = nic_models, .def = "virtio" },
	{ .key = "vhost", .help = "the in-kernel vhost-net back-end (virtio only; needs /dev/vhost-net on the host: without it each vhost=on run fails with that reason and the other runs go on)",
	  .allowed = on_off, .def = "off" },
	{ .key = "reference", .help = "iperf3: run iperf3 (one connection, 128 KiB writes, same duration) from vm1 to "
				      "vm2 on the same NICs right after the vm1_to_vm2 stream (right before it in "
				      "even repeats), and record its throughput and the ratio net/iperf3 (needs "
				      "iperf3 in both guest images)",
	  .allowed = references, .def = "none" },
};

#define TPUT(n, h) { .name = n "_mbit_per_s", .scope = METRIC_PER_RUN, .path = { n "_mbit_per_s" }, .unit = "Mbit/s", \
		     .better = +1, .use = METRIC_SUMMARY | METRIC_COMPARE, .help = h }
#define RTT(n, p, u, h) { .name = n "_" p "_us", .scope = METRIC_PER_RUN, .path = { n "_" p "_us" }, .unit = "us", \
			  .better = -1, .use = u, .help = h }

static const struct exp_metric network_metrics[] = {
	TPUT("vm1_to_vm2", "stream throughput from vm1 to vm2, counted by the receiver"),
	TPUT("vm2_to_vm1", "stream throughput from vm2 to vm1, counted by the receiver"),
	TPUT("vm1_to_host", "stream throughput from vm1 to the host's namespace"),
	TPUT("host_to_vm1", "stream throughput from the host's namespace to vm1"),
	RTT("rr_vm1_vm2", "p50", METRIC_SUMMARY | METRIC_COMPARE, "median round trip vm1 to vm2"),
	RTT("rr_vm1_vm2", "p90", METRIC_SUMMARY, "90th percentile round trip vm1 to vm2"),
	RTT("rr_vm1_vm2", "p99", METRIC_SUMMARY | METRIC_COMPARE, "99th percentile round trip vm1 to vm2"),
	RTT("rr_vm1_host", "p50", METRIC_SUMMARY | METRIC_COMPARE, "median round trip vm1 to the host"),
	RTT("rr_vm1_host", "p90", METRIC_SUMMARY, "90th percentile round trip vm1 to the host"),
	RTT("rr_vm1_host", "p99", METRIC_SUMMARY | METRIC_COMPARE, "99th percentile round trip vm1 to the host"),
	{ .name = "iperf3_vm1_to_vm2_mbit_per_s", .scope = METRIC_PER_RUN, .path = { "iperf3_vm1_to_vm2_mbit_per_s" },
	  .unit = "Mbit/s", .better = +1, .use = METRIC_SUMMARY,
	  .help = "iperf3 from vm1 to vm2 right after or before the stream, same NICs (reference: iperf3)" },
	{ .name = "vm1_to_vm2_vs_iperf3", .scope = METRIC_PER_RUN, .path = { "vm1_to_vm2_vs_iperf3" }, .unit = "ratio",
	  .better = +1, .use = METRIC_SUMMARY,
	  .help = "the vm1_to_vm2 stream's throughput over iperf3's (reference: iperf3; goal 0.95)" },
};

const struct experiment exp_network_info = {
	.name = "network",
	.summary = "stream throughput each way and round-trip percentiles, guest to guest and guest to host, per NIC model",
	.theory = NULL,
	.guests = EXP_GUESTS_BORROWED,
	.settings = network_settings,
	.nsettings = sizeof(network_settings) / sizeof(network_settings[0]),
	.metrics = network_metrics,
	.nmetrics = sizeof(network_metrics) / sizeof(network_metrics[0]),
	.check_combination = network_check_values,
	.estimate_s = network_estimate_s,
	.run = network_run,
	.report_group = network_report_group,
	.report_end = network_report_end,
	.explain = "Each run hot-plugs a NIC of the model under test into vm1 and vm2 on a bridge the run creates "
		   "(no uplink, no host address) and puts the host's end in a network namespace on the same "
		   "bridge. One TCP stream each way measures throughput; one connection of 1-byte requests and "
		   "answers measures the round trip. Emulated NICs (e1000e, rtl8139) trap on every register "
		   "access, so they should be slower than the paravirtual virtio.",
};
