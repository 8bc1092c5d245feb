/*
 * netns: a container's persistent network namespace, a file in its directory (mechanism,
 * src/net).
 *
 * The namespace is made by a short-lived helper cloned into it (CLONE_NEWNET) and kept
 * alive by a bind mount of the helper's /proc/PID/ns/net onto the file, as ip-netns(8)
 * does; runc joins it by that path, and it outlives every process in it until
 * netns_remove. The helper also makes a netlink socket in the namespace and passes it back
 * (SCM_RIGHTS), so kettle configures the inside without ever switching its own namespace.
 * Each helper exchange is bounded (NETNS_HELPER_MS); its last step is _exit. Never logs.
 */
#ifndef KETTLE_NETNS_H
#define KETTLE_NETNS_H

#include <stdbool.h>

#include "base/kerr.h"

#define NETNS_FILE	"netns" /* in the container's directory */
#define NETNS_HELPER_MS 2000	/* a helper's reply, at most */

/* Creates dirfd/name as a new namespace. *nsfd: the namespace (O_RDONLY), *sock: a
 * netlink socket of proto inside it; both owned by the caller. */
int netns_create(int dirfd, const char *name, int proto, int *nsfd, int *sock, struct kerr *err);
/* When dirfd/name is a live namespace: 1 with *nsfd; 0 when it is missing or a plain file
 * (after a reboot the mount is gone). */
int netns_open(int dirfd, const char *name, int *nsfd, struct kerr *err);
/* A netlink socket of proto inside the namespace nsfd. */
int netns_socket(int nsfd, int proto, int *sock, struct kerr *err);
/* Unmounts and removes dirfd/name; missing is fine. */
int netns_remove(int dirfd, const char *name, struct kerr *err);

#endif
