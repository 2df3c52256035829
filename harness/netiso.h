/* The network experiment's own network: an isolated libvirt network (a
 * bridge with no uplink, no host address, no forwarding, no NAT), a network
 * namespace for the host end joined to the bridge by a veth pair, NICs of a
 * chosen model hot-plugged into running guests, and their removal. Names
 * carry the harness's pid, so that leftovers of a killed run can be found
 * and removed by the next one. Nothing here is specific to one experiment:
 * the generic "guest settings as axes" mechanism can take the NIC part. */
#ifndef HARNESS_NETISO_H
#define HARNESS_NETISO_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util.h"

#define NETISO_PREFIX "harness-net-"	/* + pid: libvirt network and netns */
#define NETISO_SUBNET "10.77.0"		/* .0/24; the host end is .1, guest i is .11+i */

struct netiso {
	char name[40];		/* harness-net-<pid>: libvirt network and netns */
	char bridge[16];	/* hnb<pid> */
	char veth_host[16];	/* hnh<pid>, on the bridge */
	char veth_ns[16];	/* hnn<pid>, in the netns */
	char host_addr[20];	/* the netns end's address */
	virConnectPtr conn;
	virNetworkPtr net;
	bool netns_made;
};

/* Names for a harness process pid; nothing is created. */
void netiso_names(struct netiso *n, pid_t pid);
/* The libvirt network's XML: a bridge, STP off, no <ip>, no <forward>. */
char *netiso_network_xml(const struct netiso *n);
/* A hot-pluggable <interface> on network with mac and model; vhost only for
 * virtio (<driver name='vhost'|'qemu'/>). */
char *netiso_nic_xml(const char *network, const char *mac, const char *model, bool vhost);
/* A locally administered MAC for guest index i of harness process pid. */
void netiso_mac(pid_t pid, int i, char *buf, size_t len);
/* The guest address of guest index i ("10.77.0.11"). */
void netiso_guest_addr(int i, char *buf, size_t len);
/* The pid in a name made by netiso_names (harness-net-<pid>), or -1. */
pid_t netiso_name_pid(const char *name);

/* Create the network, the netns and the veth pair; on failure whatever was
 * made is removed again. */
int netiso_up(struct netiso *n, virConnectPtr conn, struct herror *err);
/* Remove everything netiso_up made (safe to call twice or after a failed up). */
void netiso_down(struct netiso *n);
/* Remove networks, netns and links of harness processes that are gone. */
void netiso_cleanup_stale(virConnectPtr conn);

/* Start argv (argv[0] an absolute path) inside the netns with stdout and
 * stderr to the files out and errf; returns the pid. */
pid_t netiso_spawn(const struct netiso *n, const char *const *argv, const char *out, const char *errf,
		   struct herror *err);
/* Wait up to timeout_s for pid; kill it (SIGKILL) and reap it when it does
 * not end. Returns its exit status, or -ETIMEDOUT / -EINTR. */
int netiso_wait(pid_t pid, double timeout_s);

/* The addresses on a host interface (any family, link-local too), or -1. */
int netiso_count_addrs(const char *ifname);
/* Interfaces inside the netns other than lo, space separated, into buf. */
int netiso_ns_links(const struct netiso *n, char *buf, size_t len, struct herror *err);
/* Whether a host interface exists. */
bool netiso_link_exists(const char *ifname);

/* The host tap of dom's NIC with mac (from the live XML) into buf. */
int netiso_nic_tap(virDomainPtr dom, const char *mac, char *buf, size_t len, struct herror *err);
/* No IPv6 (so no link-local address) on a host interface. */
int netiso_no_ipv6(const char *ifname, struct herror *err);

/* Attach the NIC xml to dom live, and detach it and wait (up to timeout_s)
 * until the guest let it go. */
int netiso_nic_attach(virDomainPtr dom, const char *xml, struct herror *err);
int netiso_nic_detach(virDomainPtr dom, const char *xml, const char *mac, double timeout_s, struct herror *err);

#endif
