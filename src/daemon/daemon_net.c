/*
 * daemon_net: the daemon's networks (role, layer 3; bottom band of the daemon).
 *
 * The bridge is set up lazily, the first time a bridge container needs it (or at startup
 * when adopted containers use it), so a daemon that never runs one never touches the
 * host's network. A setup that failed is tried again at the next need; its cause is kept
 * for the message. Netlink calls are bounded (NL_TIMEOUT_MS each) and happen only on a
 * create, a shim start or a removal of a network container, never on other requests.
 * The table holds the ports of containers whose shim is alive or starting: those are the
 * ports whose host sockets a shim holds. Problems in teardown are logged, never fatal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/fd.h"
#include "base/log.h"
#include "base/str.h"
#include "daemon/daemon_net.h"
#include "net/bridge.h"
#include "net/hostfiles.h"
#include "net/ip4.h"
#include "net/lease.h"
#include "net/netns.h"
#include "net/portspec.h"
#include "store/store.h"

#define PICK_TRIES 32 /* kernel-chosen host ports tried before giving up */

struct daemon_net {
	struct daemon_net_opts opts; /* --default-network, --bridge-subnet */
	struct bridge br;	     /* the bridge; br.ready once set up */
	bool table_set;		     /* the table was applied since the bridge came up */
};

static const char *const file_names[DAEMON_NET_FILES] = {
	HOSTFILES_HOSTS,
	HOSTFILES_RESOLV,
	HOSTFILES_HOSTNAME,
};
static const char *const file_dests[DAEMON_NET_FILES] = {
	"/etc/hosts",
	"/etc/resolv.conf",
	"/etc/hostname",
};

int daemon_net_init(struct daemon *d, const struct daemon_net_opts *o, struct kerr *err)
{
	struct daemon_net *n = calloc(1, sizeof(*n));

	if (!n)
		return kerr_set(err, ENOMEM, "networks");
	n->opts = *o;
	bridge_init(&n->br);
	d->net = n;
	return 0;
}

void daemon_net_free(struct daemon *d)
{
	if (!d->net)
		return;
	bridge_done(&d->net->br);
	free(d->net);
	d->net = NULL;
}

/* ---- the table ---- */

static bool uses_bridge(const struct daemon_ctr *c)
{
	return !c->broken && c->rec.network == RECORD_NET_BRIDGE;
}

/* Shim alive or starting, or the one being attached now. */
static bool ports_live(const struct daemon_ctr *c, const struct daemon_ctr *extra,
		       const struct daemon_ctr *skip)
{
	if (c == skip || !uses_bridge(c) || c->rec.net.nports == 0)
		return false;
	return c == extra || c->shim_pid > 0 || c->ready_fd >= 0;
}

static int apply_table(struct daemon *d, const struct daemon_ctr *extra,
		       const struct daemon_ctr *skip, struct kerr *err)
{
	struct daemon_net *n = d->net;
	size_t total = 0, k = 0;

	for (size_t i = 0; i < d->nctrs; i++)
		if (ports_live(d->ctrs[i], extra, skip))
			total += d->ctrs[i]->rec.net.nports;
	_cleanup_free_ struct nft_port *v = calloc(total + 1, sizeof(*v));
	if (!v)
		return kerr_set(err, ENOMEM, "published ports");
	for (size_t i = 0; i < d->nctrs; i++) {
		const struct daemon_ctr *c = d->ctrs[i];
		uint32_t ip;

		if (!ports_live(c, extra, skip))
			continue;
		int has = lease_get(d->rootfd, c->rec.id, &ip, err);
		if (has < 0)
			return -1;
		if (!has)
			continue; /* not attached yet: nothing to forward to */
		for (size_t j = 0; j < c->rec.net.nports; j++) {
			const struct record_port *p = &c->rec.net.ports[j];
			uint32_t hip = 0;

			if (p->host_ip[0] && !ip4_parse(p->host_ip, &hip))
				continue; /* record_validate let only IPv4 through */
			v[k++] = (struct nft_port){
				.host_ip = hip,
				.host_port = p->host_port,
				.ctr_ip = ip,
				.ctr_port = p->ctr_port,
				.proto = p->proto == RECORD_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP,
			};
		}
	}
	if (bridge_ports(&n->br, v, k, err) < 0)
		return -1;
	n->table_set = true;
	return 0;
}

/* The bridge, set up now if it is not yet. */
static int need_bridge(struct daemon *d, struct kerr *err)
{
	struct daemon_net *n = d->net;

	if (n->br.ready && n->table_set)
		return 0;
	if (!n->br.ready) {
		if (bridge_setup(&n->br, d->rootfd, n->opts.subnet, err) < 0)
			return -1;
		char t[IP4_TEXT_MAX];
		log_info("bridge " BRIDGE_NAME " is up with subnet %s",
			 ip4_format_net(n->br.subnet, t));
	}
	return apply_table(d, NULL, NULL, err);
}

static int unavailable(bool by_default, struct kerr *err)
{
	char why[KERR_MSG_MAX];

	str_copy(why, sizeof(why), err->msg);
	return kerr_set(err, 0,
			"network `bridge`%s is unavailable: %s; run with --network none (or "
			"start the daemon with --default-network none)",
			by_default ? " (the daemon's default)" : "", why);
}

/* ---- CREATE ---- */

static bool port_taken(struct daemon *d, const struct record *rec, uint16_t port,
		       enum record_proto proto)
{
	for (size_t i = 0; i < rec->net.nports; i++)
		if (rec->net.ports[i].host_port == port && rec->net.ports[i].proto == proto)
			return true;
	for (size_t i = 0; i < d->nctrs; i++) {
		const struct record_net *o = &d->ctrs[i]->rec.net;

		for (size_t j = 0; j < o->nports; j++)
			if (o->ports[j].host_port == port && o->ports[j].proto == proto)
				return true;
	}
	return false;
}

/* A free host port from the kernel's ephemeral range, as docker and podman choose one,
 * that no container of ours has recorded. */
static int pick_port(struct daemon *d, const struct record *rec, struct record_port *p,
		     struct kerr *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int type = p->proto == RECORD_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;

	if (p->host_ip[0] && !ip4_parse(p->host_ip, &sa.sin_addr.s_addr))
		return kerr_set(err, EINVAL, "-p: bad host address");
	for (int i = 0; i < PICK_TRIES; i++) {
		socklen_t len = sizeof(sa);
		_cleanup_close_ int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

		sa.sin_port = 0;
		if (fd < 0)
			return kerr_set(err, errno, "choose a host port");
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
			return kerr_set(err, errno, "choose a host port for %u/%s", p->ctr_port,
					record_proto_name(p->proto));
		uint16_t port = ntohs(sa.sin_port);
		if (!port_taken(d, rec, port, p->proto)) {
			p->host_port = port;
			return 0;
		}
	}
	return kerr_set(err, EADDRINUSE, "no free host port for %u/%s in %d tries", p->ctr_port,
			record_proto_name(p->proto), PICK_TRIES);
}

/* -P: each exposed port not published by -p gets a free host port. */
static int publish_all(struct record *rec, struct kerr *err)
{
	struct record_net *n = &rec->net;

	for (size_t i = 0; i < n->expose.n; i++) {
		struct record_port p;
		bool have = false;

		if (portspec_parse_expose(n->expose.v[i], &p, err) < 0)
			return -1;
		for (size_t j = 0; j < n->nports && !have; j++)
			have = n->ports[j].ctr_port == p.ctr_port && n->ports[j].proto == p.proto;
		if (have)
			continue;
		if (n->nports >= RECORD_PORTS_MAX)
			return kerr_set(err, 0, "-P: more than %d ports", RECORD_PORTS_MAX);
		struct record_port *v = realloc(n->ports, (n->nports + 1) * sizeof(*v));
		if (!v)
			return kerr_set(err, ENOMEM, "-P");
		n->ports = v;
		n->ports[n->nports++] = p;
	}
	return 0;
}

int daemon_net_prepare(struct daemon *d, struct record *rec, struct kerr *err)
{
	bool by_default = rec->network == RECORD_NET_DEFAULT;

	if (by_default)
		rec->network = d->net->opts.default_network;
	if (rec->network != RECORD_NET_BRIDGE)
		return 0;
	if (rec->net.publish_all && publish_all(rec, err) < 0)
		return -1;
	for (size_t i = 0; i < rec->net.nports; i++)
		if (rec->net.ports[i].host_port == 0 &&
		    pick_port(d, rec, &rec->net.ports[i], err) < 0)
			return -1;
	if (need_bridge(d, err) < 0) {
		log_error("%s", err->msg);
		return unavailable(by_default, err);
	}
	return 0;
}

/* ---- a shim's start, a removal ---- */

static struct daemon_ctr *find(struct daemon *d, const char *id)
{
	for (size_t i = 0; i < d->nctrs; i++)
		if (strcmp(d->ctrs[i]->rec.id, id) == 0)
			return d->ctrs[i];
	return NULL;
}

static const char *hostname_of(const struct record *r, char buf[IDS_SHORT_LEN + 1])
{
	if (r->hostname)
		return r->hostname;
	str_copyn(buf, IDS_SHORT_LEN + 1, r->id, IDS_SHORT_LEN);
	return buf;
}

static int attach_one(struct daemon *d, struct daemon_ctr *c, struct kerr *err)
{
	const struct record *r = &c->rec;
	char host[IDS_SHORT_LEN + 1];
	uint32_t ip;
	_cleanup_close_ int dirfd = -1;

	if (need_bridge(d, err) < 0) {
		log_error("%s", err->msg);
		return unavailable(false, err);
	}
	if (store_open_container(d->rootfd, r->id, false, &dirfd, err) < 0 ||
	    bridge_attach(&d->net->br, d->rootfd, dirfd, r->id, &ip, err) < 0)
		return kerr_wrap(err, "attach `%.12s` to bridge " BRIDGE_NAME, r->id);
	struct hostfiles_dns dns = {
		.servers = r->net.dns.v,
		.nservers = r->net.dns.n,
		.search = r->net.dns_search.v,
		.nsearch = r->net.dns_search.n,
		.options = r->net.dns_options.v,
		.noptions = r->net.dns_options.n,
	};
	if (hostfiles_write(dirfd, hostname_of(r, host), ip, r->net.add_hosts.v, r->net.add_hosts.n,
			    &dns, err) < 0)
		return kerr_wrap(err, "container `%.12s`", r->id);
	if (r->net.nports && apply_table(d, c, NULL, err) < 0)
		return kerr_wrap(err, "publish the ports of `%.12s`", r->id);
	return 0;
}

int daemon_net_attach(struct daemon *d, struct daemon_ctr *c, struct kerr *err)
{
	if (c->rec.network == RECORD_NET_BRIDGE)
		return attach_one(d, c, err);
	if (c->rec.network != RECORD_NET_CONTAINER)
		return 0;
	struct daemon_ctr *owner = find(d, c->rec.net.container);
	if (!owner || owner->broken)
		return kerr_set(err, 0,
				"container %.12s, whose network `%.12s` shares, is gone: recreate "
				"it with another --network",
				c->rec.net.container, c->rec.id);
	/* Its namespace may be gone with a reboot while it waits to be restarted. */
	return uses_bridge(owner) ? attach_one(d, owner, err) : 0;
}

void daemon_net_detach(struct daemon *d, struct daemon_ctr *c)
{
	struct kerr err;
	_cleanup_close_ int dirfd = -1;

	if (!uses_bridge(c))
		return;
	if (store_open_container(d->rootfd, c->rec.id, false, &dirfd, &err) < 0 ||
	    bridge_detach(&d->net->br, d->rootfd, dirfd, c->rec.id, &err) < 0)
		log_error("container %.12s: detach from bridge " BRIDGE_NAME ": %s", c->rec.id,
			  err.msg);
	if (c->rec.net.nports && d->net->br.ready && apply_table(d, NULL, c, &err) < 0)
		log_error("container %.12s: withdraw its published ports: %s", c->rec.id, err.msg);
}

void daemon_net_changed(struct daemon *d, const struct daemon_ctr *c)
{
	struct kerr err;

	if (!uses_bridge(c) || c->rec.net.nports == 0 || !d->net->br.ready)
		return;
	if (apply_table(d, NULL, NULL, &err) < 0)
		log_error("container %.12s: update the published ports: %s", c->rec.id, err.msg);
}

static bool known(const char *id, void *data)
{
	return find(data, id) != NULL;
}

void daemon_net_adopt(struct daemon *d)
{
	struct kerr err;
	size_t freed = 0;
	bool any = false;

	if (lease_gc(d->rootfd, known, d, &freed, &err) < 0)
		log_error("%s", err.msg);
	else if (freed)
		log_info("freed %zu leases of containers that no longer exist", freed);
	for (size_t i = 0; i < d->nctrs && !any; i++)
		any = uses_bridge(d->ctrs[i]);
	/* Their published ports must be forwarded again right away (a daemon restarted, not
	 * the host): the table is rebuilt from the registry. */
	if (any && need_bridge(d, &err) < 0)
		log_error("%s", err.msg);
}

/* ---- config.json ---- */

int daemon_net_view(struct daemon *d, const struct record *rec, struct daemon_net_view *v,
		    struct kerr *err)
{
	const char *owner = rec->id;
	const struct record *orec = rec;

	v->rec = *rec;
	v->mounts = NULL;
	if (rec->network != RECORD_NET_BRIDGE && rec->network != RECORD_NET_CONTAINER)
		return 0;
	if (rec->network == RECORD_NET_CONTAINER) {
		struct daemon_ctr *o = find(d, rec->net.container);

		owner = rec->net.container;
		if (o)
			orec = &o->rec;
		/* docker: the joined container's files and host name are the owner's. */
		v->rec.hostname = orec->hostname;
		if (!orec->hostname) {
			str_copyn(v->hostname, sizeof(v->hostname), owner, IDS_SHORT_LEN);
			v->rec.hostname = v->hostname;
		}
	}
	if (store_container_path(d->root, owner, NETNS_FILE, v->netns, sizeof(v->netns), err) < 0)
		return -1;
	v->mounts = calloc(rec->nmounts + DAEMON_NET_FILES, sizeof(*v->mounts));
	if (!v->mounts)
		return kerr_set(err, ENOMEM, "container mounts");
	size_t k = 0;
	for (int f = 0; f < DAEMON_NET_FILES; f++) {
		bool mine = false;

		/* A file the user bind-mounts there wins, as with docker. */
		for (size_t i = 0; i < rec->nmounts && !mine; i++)
			mine = strcmp(rec->mounts[i].destination, file_dests[f]) == 0;
		if (mine)
			continue;
		if (store_container_path(d->root, owner, file_names[f], v->files[f],
					 sizeof(v->files[f]), err) < 0)
			return -1;
		v->mounts[k++] = (struct record_mount){ .source = v->files[f],
							.destination = (char *)file_dests[f] };
	}
	for (size_t i = 0; i < rec->nmounts; i++)
		v->mounts[k++] = rec->mounts[i];
	v->rec.mounts = v->mounts;
	v->rec.nmounts = k;
	/* The runtime only joins a namespace by its path. */
	v->rec.network = RECORD_NET_NS;
	v->rec.netns_path = v->netns;
	v->rec.net = (struct record_net){ 0 };
	return 0;
}

void daemon_net_view_done(struct daemon_net_view *v)
{
	free(v->mounts);
	v->mounts = NULL;
}

/* ---- inspect ---- */

static void put_str(struct json_w *w, const char *key, const char *s)
{
	json_w_key(w, key);
	json_w_str(w, s);
}

void daemon_net_addr(struct daemon *d, const struct daemon_ctr *c, struct daemon_net_addr *a)
{
	const struct record *r = &c->rec;
	struct rtnl_net4 subnet = { 0 };
	struct kerr err;
	uint32_t addr = 0;

	memset(a, 0, sizeof(*a));
	a->bridge = uses_bridge(c);
	if (a->bridge && lease_get(d->rootfd, r->id, &addr, &err) == 1 &&
	    lease_subnet(d->rootfd, &subnet, &err) == 1) {
		uint8_t m[6];

		ip4_format(addr, a->ip);
		ip4_format(htonl((ntohl(subnet.addr) & rtnl_mask4(subnet.prefix)) + 1), a->gw);
		bridge_mac(addr, m);
		snprintf(a->mac, sizeof(a->mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
			 m[3], m[4], m[5]);
		a->prefix = subnet.prefix;
		(void)store_container_path(d->root, r->id, NETNS_FILE, a->sandbox,
					   sizeof(a->sandbox), &err);
	}
}

void daemon_net_ports_json(const struct record *r, struct json_w *w)
{
	json_w_obj_begin(w);
	/* docker's shape: "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], one key per
	 * container port with every host binding of it. */
	for (size_t i = 0; i < r->net.nports; i++) {
		const struct record_port *p = &r->net.ports[i];
		char key[16], port[8];
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = r->net.ports[j].ctr_port == p->ctr_port &&
			       r->net.ports[j].proto == p->proto;
		if (seen)
			continue;
		snprintf(key, sizeof(key), "%u/%s", p->ctr_port, record_proto_name(p->proto));
		json_w_key(w, key);
		json_w_arr_begin(w);
		for (size_t j = i; j < r->net.nports; j++) {
			const struct record_port *q = &r->net.ports[j];

			if (q->ctr_port != p->ctr_port || q->proto != p->proto)
				continue;
			snprintf(port, sizeof(port), "%u", q->host_port);
			json_w_obj_begin(w);
			put_str(w, "HostIp", q->host_ip[0] ? q->host_ip : "0.0.0.0");
			put_str(w, "HostPort", port);
			json_w_obj_end(w);
		}
		json_w_arr_end(w);
	}
	json_w_obj_end(w);
}
