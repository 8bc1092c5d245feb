/*
 * daemon_net: the daemon's networks (role, layer 3; bottom band of the daemon): the
 * default network of a request, host ports chosen for -p CONTAINER and -P, the bridge set
 * up when first needed, each bridge container attached before its shim starts and detached
 * at its removal, the nf_tables table rebuilt when the set of live published ports
 * changes, the config.json view that puts a container into its namespace file with its
 * generated /etc files, and inspect's NetworkSettings. Calls src/net and the daemon's
 * state only, never another daemon file.
 */
#ifndef KETTLE_DAEMON_NET_H
#define KETTLE_DAEMON_NET_H

#include <limits.h>

#include "base/json_w.h"
#include "daemon/daemon_state.h"
#include "net/ip4.h"
#include "net/rtnl.h"

#define DAEMON_NET_FILES 3 /* /etc/hosts, /etc/resolv.conf, /etc/hostname */

/* `kettle daemon --default-network`, `--bridge-subnet`. */
struct daemon_net_opts {
	enum record_network default_network; /* RECORD_NET_BRIDGE or RECORD_NET_NONE */
	struct rtnl_net4 subnet;	     /* prefix 0: chosen automatically */
};

/* What config.json is generated from: the record as the runtime must see it. */
struct daemon_net_view {
	struct record rec;			/* a shallow copy; borrows everything; never done */
	char netns[PATH_MAX];			/* the namespace file it joins */
	char files[DAEMON_NET_FILES][PATH_MAX]; /* the generated /etc files */
	struct record_mount *mounts;		/* owned; the record's mounts and the files' */
	char hostname[IDS_SHORT_LEN + 1];	/* container:X without a host name: X's short id */
};

int daemon_net_init(struct daemon *d, const struct daemon_net_opts *o, struct kerr *err);
void daemon_net_free(struct daemon *d);
/* CREATE, before validation: "default" becomes the daemon's, host ports are chosen, -P
 * publishes every exposed port; a bridge container needs a working bridge. */
int daemon_net_prepare(struct daemon *d, struct record *rec, struct kerr *err);
/* Before a shim starts: c's network (or, with container:X, X's) is attached. */
int daemon_net_attach(struct daemon *d, struct daemon_ctr *c, struct kerr *err);
/* At removal: veth, namespace file and lease go; problems are logged. */
void daemon_net_detach(struct daemon *d, struct daemon_ctr *c);
/* c's shim came or went: the table follows the live published ports. */
void daemon_net_changed(struct daemon *d, const struct daemon_ctr *c);
/* After adoption: stale leases freed, the bridge and table back for bridge containers. */
void daemon_net_adopt(struct daemon *d);
/* Fills v from rec: unchanged for none, host and ns:PATH; for bridge and container:X the
 * namespace file and the generated files. */
int daemon_net_view(struct daemon *d, const struct record *rec, struct daemon_net_view *v,
		    struct kerr *err);
void daemon_net_view_done(struct daemon_net_view *v);
/* A container's address on the bridge, as inspect shows it ("" and 0 when it has none). */
struct daemon_net_addr {
	bool bridge;		/* on the daemon's bridge */
	char ip[IP4_TEXT_MAX];	/* its leased address */
	char gw[IP4_TEXT_MAX];	/* the bridge's address, its gateway */
	char mac[18];		/* its veth's MAC */
	unsigned prefix;	/* the subnet's prefix length */
	char sandbox[PATH_MAX]; /* its network namespace file */
};
void daemon_net_addr(struct daemon *d, const struct daemon_ctr *c, struct daemon_net_addr *a);
/* inspect's NetworkSettings.Ports value, docker's shape. */
void daemon_net_ports_json(const struct record *r, struct json_w *w);

#endif
