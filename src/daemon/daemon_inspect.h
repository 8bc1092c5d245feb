/*
 * daemon_inspect: a container as docker's Engine API describes it (role, layer 3; bottom
 * band of the daemon): the INSPECT document and the docker words LIST shares with it.
 * Called by daemon_query.c and daemon_list.c; calls only the registry's predicates and
 * mechanisms; never a shim, never blocks (it reads the container's state.json).
 */
#ifndef KETTLE_DAEMON_INSPECT_H
#define KETTLE_DAEMON_INSPECT_H

#include "base/clock.h"
#include "daemon/daemon_state.h"

/* docker's zero time, for a start or an exit that never happened. */
#define DAEMON_INSPECT_ZERO_TIME "0001-01-01T00:00:00Z"

/* The INSPECT document of c (docs/PROTOCOL.md "INSPECT"): docker's container JSON, with
 * what only kettle has under "Kettle". */
int daemon_inspect_json(struct daemon *d, const struct daemon_ctr *c, struct buf *out,
			struct kerr *err);
/* Go's RFC3339Nano of ns (trailing zeros of the fraction dropped), or the zero time. */
void daemon_inspect_time(int64_t ns, char out[CLOCK_RFC3339NANO_LEN + 1]);
/* What c runs from, as docker's Config.Image: until kettle has images, its --rootfs (or
 * --bundle) directory. */
const char *daemon_inspect_image(const struct daemon_ctr *c);
/* The network c is on, by name ("none", "host"), or NULL for a namespace given by path. */
const char *daemon_inspect_network(const struct daemon_ctr *c);
/* docker's health word: "starting", "healthy", "unhealthy", or "none" without a check. */
const char *daemon_inspect_health(const struct status_health *h);

#endif
