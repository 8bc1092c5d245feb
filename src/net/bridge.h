/*
 * bridge: kettle's default network, put together (mechanism, src/net).
 *
 * One bridge, kettle0, holding the gateway address .1 of the containers' subnet; per
 * container a persistent namespace (netns.c), an address leased for its whole life
 * (lease.c) and a veth pair "kt<12 hex of its id>" <-> "eth0" whose MAC is derived from
 * that address (02:42:a.b.c.d, as docker does), with the default route via the bridge;
 * the nf_tables table (nft.c) for masquerading, published ports and the 127/8 guard;
 * net.ipv4.ip_forward and route_localnet on the bridge. Everything is idempotent: setting
 * up what exists already is checked, not repeated, so a daemon restart, a container
 * restart and a host reboot all come back through the same calls. Never logs.
 */
#ifndef KETTLE_BRIDGE_H
#define KETTLE_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"
#include "net/nft.h"
#include "net/nl.h"
#include "net/rtnl.h"

#define BRIDGE_NAME	    "kettle0"
#define BRIDGE_SUBNET_FIRST "10.88.0.0/16" /* tried first; then the next free /16 */
#define BRIDGE_VETH_PREFIX  "kt"
#define BRIDGE_PEER_NAME    "eth0"

struct bridge {
	bool ready;		 /* set up: the link, its address and sysctls are there */
	struct rtnl_net4 subnet; /* the containers' subnet */
	uint32_t gateway;	 /* the bridge's address, the subnet's .1 (network order) */
	int index;		 /* the bridge's link index */
	struct nl rt;		 /* NETLINK_ROUTE in our namespace; fd -1 when closed */
	struct nl nf;		 /* NETLINK_NETFILTER; fd -1 when closed */
};

void bridge_init(struct bridge *br);
/*
 * Sets the bridge up. The subnet: the address kettle0 already has, else want (when its
 * prefix is not 0), else the one the lease file of rootfd remembers, else the first /16
 * from 10.88.0.0 on that no route of the host overlaps. want conflicting with an existing
 * kettle0 is an error.
 */
int bridge_setup(struct bridge *br, int rootfd, struct rtnl_net4 want, struct kerr *err);
void bridge_done(struct bridge *br);
/* Attaches container id (its directory dirfd): lease, namespace, veth, address, route.
 * *ip: its address. Whatever exists already is kept. */
int bridge_attach(struct bridge *br, int rootfd, int dirfd, const char *id, uint32_t *ip,
		  struct kerr *err);
/* Undoes bridge_attach: veth, namespace file, lease. Missing parts are fine; br may be
 * not ready (the namespace file and the lease still go). */
int bridge_detach(struct bridge *br, int rootfd, int dirfd, const char *id, struct kerr *err);
/* Replaces the nf_tables table with these published ports. */
int bridge_ports(struct bridge *br, const struct nft_port *p, size_t n, struct kerr *err);

/* "kt" + the id's first 12 hex digits. */
void bridge_veth_name(const char *id, char out[RTNL_IFNAME_MAX]);
/* 02:42 followed by the address's four bytes. */
void bridge_mac(uint32_t ip, uint8_t mac[6]);

#endif
