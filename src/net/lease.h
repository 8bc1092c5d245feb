/*
 * lease: which container has which address of the bridge's subnet (mechanism, src/net).
 *
 * One text file under the state root, <root>/net/leases:
 *     kettle-leases 1
 *     subnet 10.88.0.0/16
 *     <container id> 10.88.0.2
 * Every change happens under flock(2) on <root>/net/leases.lock and is written by atomic
 * replace with fsync, before the address is used anywhere: whoever reads the file, after
 * any crash, sees every address that may be in use, so none is handed out twice. A lease
 * whose container no longer exists is freed by lease_gc. lease_parse/lease_format are pure
 * (fuzzed: fuzz_netparse). Never logs.
 */
#ifndef KETTLE_LEASE_H
#define KETTLE_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/kerr.h"
#include "net/rtnl.h"
#include "store/ids.h"

#define LEASE_DIR      "net"
#define LEASE_FILE     "leases"
#define LEASE_LOCK     "leases.lock"
#define LEASE_MAX      10000		 /* leases one file holds (STORE_CONTAINERS_MAX) */
#define LEASE_FILE_MAX (LEASE_MAX * 96u) /* bytes of the file */

struct lease_ent {
	char id[IDS_ID_LEN + 1]; /* the container */
	uint32_t ip;		 /* network byte order */
};

struct lease_set {
	bool has_subnet;	 /* a subnet line was read or set */
	struct rtnl_net4 subnet; /* the subnet the addresses came from */
	struct lease_ent *v;	 /* owned; n entries */
	size_t n;		 /* entries of v */
	size_t cap;		 /* allocated entries of v */
};

void lease_set_done(struct lease_set *s);
int lease_parse(const char *text, size_t len, struct lease_set *s, struct kerr *err);
int lease_format(const struct lease_set *s, struct buf *out, struct kerr *err);
/* The lowest free host address of subnet (not the network, the gateway .1, nor the
 * broadcast) not in s. */
int lease_pick(const struct lease_set *s, struct rtnl_net4 subnet, uint32_t *ip, struct kerr *err);

/* The lease of id, allocated in subnet when it has none; durable before it returns. */
int lease_take(int rootfd, const char *id, struct rtnl_net4 subnet, uint32_t *ip, struct kerr *err);
/* id's address: 1 with *ip, 0 when it has none. Reads without the lock (the file is
 * replaced atomically). */
int lease_get(int rootfd, const char *id, uint32_t *ip, struct kerr *err);
/* The subnet the file names: 1 with *net, 0 when there is no file or none. */
int lease_subnet(int rootfd, struct rtnl_net4 *net, struct kerr *err);
/* Frees id's lease; none is fine. */
int lease_free(int rootfd, const char *id, struct kerr *err);
/* Frees every lease whose id keep() does not know; *freed counts them. */
int lease_gc(int rootfd, bool (*keep)(const char *id, void *data), void *data, size_t *freed,
	     struct kerr *err);

#endif
