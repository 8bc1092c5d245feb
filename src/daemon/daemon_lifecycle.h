/*
 * daemon_lifecycle: the START, STOP, KILL, REMOVE and WAIT handlers (role, layer 3; middle
 * band of the daemon). Called by daemon_api.c; calls only daemon_shimlink, daemon_spawn and
 * the bottom band, never a completion or a dispatcher.
 */
#ifndef KETTLE_DAEMON_LIFECYCLE_H
#define KETTLE_DAEMON_LIFECYCLE_H

#include "daemon/daemon_state.h"

void daemon_lifecycle_start(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
void daemon_lifecycle_stop(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
void daemon_lifecycle_kill(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
void daemon_lifecycle_remove(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
void daemon_lifecycle_wait(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);

#endif
