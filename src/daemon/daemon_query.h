/*
 * daemon_query: the INSPECT and RESOLVE handlers (role, layer 3; middle band of the
 * daemon). Called by daemon_api.c; calls only the bottom band, never a shim, a completion
 * or a dispatcher.
 */
#ifndef KETTLE_DAEMON_QUERY_H
#define KETTLE_DAEMON_QUERY_H

#include "daemon/daemon_state.h"

void daemon_query_inspect(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
void daemon_query_resolve(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);

#endif
