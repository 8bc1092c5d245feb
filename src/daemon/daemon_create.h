/*
 * daemon_create: the CREATE request (role, layer 3; middle band of the daemon). Called by
 * daemon_api.c; calls only daemon_spawn and the bottom band, never a completion or a
 * dispatcher.
 */
#ifndef KETTLE_DAEMON_CREATE_H
#define KETTLE_DAEMON_CREATE_H

#include "daemon/daemon_state.h"

/* CREATE: validate, write the container dir, spawn its shim. */
void daemon_create_request(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);

#endif
