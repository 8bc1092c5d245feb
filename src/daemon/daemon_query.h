/*
 * daemon_query: LIST, INSPECT and RESOLVE (role, layer 3; middle band of the daemon). Calls
 * only the bottom band.
 */
#ifndef KETTLE_DAEMON_QUERY_H
#define KETTLE_DAEMON_QUERY_H

#include "daemon/daemon_state.h"

void daemon_query_list(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
void daemon_query_inspect(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
void daemon_query_resolve(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);

#endif
