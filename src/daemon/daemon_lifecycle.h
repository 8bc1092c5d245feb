/*
 * daemon_lifecycle: START, STOP, KILL, REMOVE and WAIT (role, layer 3; middle band of the
 * daemon). Calls only daemon_shimlink, daemon_spawn and the bottom band.
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
