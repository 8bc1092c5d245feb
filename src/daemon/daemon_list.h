/*
 * daemon_list: the LIST request, `kettle ps` with docker's filters (role, layer 3; middle
 * band of the daemon). Called by daemon_api.c; calls only the bottom band
 * (daemon_inspect.c, the registry, replies) and mechanisms. Never blocks.
 */
#ifndef KETTLE_DAEMON_LIST_H
#define KETTLE_DAEMON_LIST_H

#include "daemon/daemon_state.h"

void daemon_list_request(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);

#endif
