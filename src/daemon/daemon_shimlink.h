/*
 * daemon_shimlink: talking to a container's shim: dial, subscribe, send a request (role,
 * layer 3; middle band of the daemon). Calls only the bottom band, never a handler, a
 * completion or a dispatcher.
 */
#ifndef KETTLE_DAEMON_SHIMLINK_H
#define KETTLE_DAEMON_SHIMLINK_H

#include "daemon/daemon_state.h"

struct daemon_shimlink_req {
	uint16_t type;	     /* WIRE_T_SHIM_* */
	uint32_t signal;     /* SHIM_KILL, SHIM_STOP; 0: not sent */
	bool all;	     /* SHIM_KILL */
	bool force;	     /* SHIM_DELETE */
	bool shutdown;	     /* SHIM_STOP: the host's shutdown (SHUTDOWN 1) */
	uint64_t timeout_ms; /* SHIM_STOP; 0: not sent */
	bool forever;	     /* SHIM_STOP: FOREVER, no SIGKILL after any grace period */
	const char *json;    /* SHIM_UPDATE: the document, borrowed; NULL: not sent */
};
/* Connects to c's shim (c->shim_pid), subscribes to its events and asks its state. */
int daemon_shimlink_connect(struct daemon *d, struct daemon_ctr *c, struct kerr *err);
/* Sends req to c's shim (dialing again when the connection was lost) and returns its
 * request id in *reqid. */
int daemon_shimlink_send(struct daemon *d, struct daemon_ctr *c,
			 const struct daemon_shimlink_req *req, uint32_t *reqid, struct kerr *err);
/* Sends SHIM_START for p (a START pending on c), sharing one already in flight. */
int daemon_shimlink_start(struct daemon *d, struct daemon_ctr *c, struct daemon_pend *p,
			  struct kerr *err);

#endif
