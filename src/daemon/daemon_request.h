/*
 * daemon_request: the fields client requests share, a 0-or-1 flag and the container
 * reference (role, layer 3; bottom band of the daemon). Used by the handlers; calls only
 * daemon_reply and daemon_registry.
 */
#ifndef KETTLE_DAEMON_REQUEST_H
#define KETTLE_DAEMON_REQUEST_H

#include "daemon/daemon_state.h"

/* A 0-or-1 field (FORCE, ALL, PREPARE): anything else is refused, never taken as true. */
int daemon_request_get_flag(const struct wire_frame *f, uint16_t tag, uint32_t *out,
			    struct kerr *err);
/* Reads REF and resolves it; replies the error itself and returns NULL on failure. */
struct daemon_ctr *daemon_request_resolve_ref(struct daemon *d, struct rpc_conn *conn,
					      const struct wire_frame *f);

#endif
