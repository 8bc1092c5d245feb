/*
 * daemon_ops: PAUSE, UNPAUSE, UPDATE, RENAME and INFO, and the shim's answers to them (role,
 * layer 3; middle band of the daemon). Called by daemon_api.c and daemon_watch.c; calls
 * only daemon_shimlink and the bottom band, never a dispatcher.
 */
#ifndef KETTLE_DAEMON_OPS_H
#define KETTLE_DAEMON_OPS_H

#include "daemon/daemon_state.h"

/* PAUSE, UNPAUSE, UPDATE, RENAME, INFO. */
void daemon_ops_frame(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
/* The shim answered a DAEMON_PEND_PAUSE or DAEMON_PEND_UPDATE request (like
 * daemon_complete_shim_reply, whose contract it keeps). */
bool daemon_ops_shim_reply(struct daemon *d, struct daemon_ctr *c, struct daemon_pend *p,
			   const struct wire_frame *f);

#endif
