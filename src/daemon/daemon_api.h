/*
 * daemon_api: the daemon's request table, the client-side dispatcher (role, layer 3; top
 * band of the daemon). Called only by daemon.c; calls the request handlers and the bottom
 * band, never daemon_watch.c.
 */
#ifndef KETTLE_DAEMON_API_H
#define KETTLE_DAEMON_API_H

#include "daemon/daemon_state.h"

/* An authenticated client frame: checked against request.c's table, then routed. */
void daemon_api_frame(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);

#endif
