/* The optional private network: a bridge inside the guest (or inside the
 * network namespace the supervisor runs in) and a veth pair per container,
 * created over rtnetlink. */
#ifndef RT_NET_H
#define RT_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "util.h"

/* Creates the bridge if missing, gives it gateway/prefix, brings it up;
 * *created says whether this call made it (then its maker removes it). */
int net_ensure_bridge(const char *bridge, uint32_t gateway, int prefix, bool *created, struct herror *err);

/* Creates host-side veth host_if attached to bridge, its peer named eth0
 * inside the network namespace of pid. */
int net_attach_container(const char *bridge, const char *host_if, pid_t pid, struct herror *err);

/* Deletes host_if (and with it the peer; or a bridge); missing is fine. */
int net_detach(const char *host_if);

#endif
