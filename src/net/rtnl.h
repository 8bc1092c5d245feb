/*
 * rtnl: the rtnetlink requests kettle's networks need (mechanism, src/net).
 *
 * Links (a bridge, a veth pair whose peer is born in a container's namespace, up, hairpin,
 * delete), IPv4 addresses and routes, each one request on an nl socket of NETLINK_ROUTE in
 * the namespace it is about (rtnetlink(7)). Addresses are in network byte order
 * (struct in_addr's s_addr). Errors keep the kernel's errno (ENODEV: no such link,
 * EEXIST: it exists). Never logs.
 */
#ifndef KETTLE_RTNL_H
#define KETTLE_RTNL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/kerr.h"
#include "net/nl.h"

#define RTNL_IFNAME_MAX 16 /* IFNAMSIZ, NUL included */

/* An IPv4 network: address and prefix length. */
struct rtnl_net4 {
	uint32_t addr;	/* network byte order */
	uint8_t prefix; /* 0..32 */
};

/* The index of link `name`; ENODEV in err->code when there is none. */
int rtnl_link_index(struct nl *nl, const char *name, int *index, struct kerr *err);
/* Creates bridge `name` (down). EEXIST when it exists. */
int rtnl_bridge_add(struct nl *nl, const char *name, struct kerr *err);
/* Sets link index up. */
int rtnl_link_up(struct nl *nl, int index, struct kerr *err);
/* Deletes link `name` (a veth takes its peer with it). ENODEV when it is gone already. */
int rtnl_link_del(struct nl *nl, const char *name, struct kerr *err);
/*
 * Creates veth pair host <-> peer: host up in our namespace, enslaved to master; peer named
 * peer_name with MAC address mac, born (down) in the namespace of peer_nsfd.
 */
int rtnl_veth_add(struct nl *nl, const char *host, int master, const char *peer_name, int peer_nsfd,
		  const uint8_t mac[6], struct kerr *err);
/* Bridge port `index` sends frames back out the port they came in on (hairpin mode). */
int rtnl_brport_hairpin(struct nl *nl, int index, struct kerr *err);
/* Adds addr/prefix to link index (replacing it when present). */
int rtnl_addr_add(struct nl *nl, int index, struct rtnl_net4 a, struct kerr *err);
/* The first IPv4 address of link index: 1 with *a, 0 when it has none. */
int rtnl_addr_first(struct nl *nl, int index, struct rtnl_net4 *a, struct kerr *err);
/* The default route via gw (replacing one). */
int rtnl_route_default(struct nl *nl, uint32_t gw, struct kerr *err);
/* Calls fn for the destination of every IPv4 route of the main table but the default. */
int rtnl_routes4(struct nl *nl, int (*fn)(struct rtnl_net4 dst, void *data), void *data,
		 struct kerr *err);

/* Pure helpers. */
bool rtnl_net4_overlap(struct rtnl_net4 a, struct rtnl_net4 b);
uint32_t rtnl_mask4(uint8_t prefix); /* host byte order */

#endif
