/*
 * nft: kettle's nf_tables table `inet kettle`, spoken over netlink (mechanism, src/net).
 *
 * The table is always replaced whole, in one batch the kernel applies atomically (create,
 * delete, create again, then every chain and rule): no handle is ever tracked, a daemon
 * that died halfway leaves either the old table or the new one, and connections already
 * translated keep their conntrack bindings. Its chains:
 *   guard        filter prerouting -300: drop IPv4 to 127.0.0.0/8 arriving on any link but
 *                lo (route_localnet stays safe: CVE-2020-8558);
 *   prerouting   nat prerouting -100: DNAT of each published port (to a local address, or
 *                the one the user named) to its container;
 *   output       nat output -100: the same for the host's own connections (127.0.0.1 too);
 *   postrouting  nat postrouting 100: masquerade what leaves the subnet, hairpin traffic
 *                (DNAT'd back onto the bridge) and host-loopback traffic onto the bridge.
 * nft_encode is pure (bytes into a builder); nft_apply sends them. Never logs.
 */
#ifndef KETTLE_NFT_H
#define KETTLE_NFT_H

#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"
#include "net/nl.h"
#include "net/rtnl.h"

#define NFT_TABLE "kettle"

/* One published port: host side to container side. */
struct nft_port {
	uint32_t host_ip;   /* network byte order; 0: every local address */
	uint16_t host_port; /* 1..65535 */
	uint32_t ctr_ip;    /* network byte order */
	uint16_t ctr_port;  /* 1..65535 */
	uint8_t proto;	    /* IPPROTO_TCP or IPPROTO_UDP */
};

struct nft_conf {
	const char *bridge;	     /* the bridge's link name */
	struct rtnl_net4 subnet;     /* the containers' subnet */
	const struct nft_port *port; /* borrowed; nports entries */
	size_t nports;		     /* entries of port */
};

/* Appends the batch that replaces the table with c, using sequence numbers seq, seq+1, …;
 * *nmsgs receives how many were used, of which *acks ask for an ack. */
int nft_encode(struct nlmsg_b *b, const struct nft_conf *c, uint32_t seq, uint32_t *nmsgs,
	       unsigned *acks, struct kerr *err);
/* Replaces the table (nl: NETLINK_NETFILTER). */
int nft_apply(struct nl *nl, const struct nft_conf *c, struct kerr *err);
/* Deletes the table; a missing one is fine. */
int nft_remove(struct nl *nl, struct kerr *err);

#endif
