/*
 * daemon_complete: what pending requests become when a shim reports (role, layer 3; middle
 * band of the daemon). Called by daemon_watch.c; calls only daemon_shimlink, daemon_spawn
 * and the bottom band.
 */
#ifndef KETTLE_DAEMON_COMPLETE_H
#define KETTLE_DAEMON_COMPLETE_H

#include "daemon/daemon_state.h"

/* The spawning shim reported: ok, or code and msg. */
void daemon_complete_spawned(struct daemon *d, struct daemon_ctr *c, bool ok, uint32_t code,
			     const char *msg);
/* The shim answered request p (OK or ERROR frame f), a lifecycle request (not PAUSE or
 * UPDATE: daemon_ops_shim_reply). p is dropped or re-queued with shim_reqid 0. Returns
 * false when c was forgotten. */
bool daemon_complete_shim_reply(struct daemon *d, struct daemon_ctr *c, struct daemon_pend *p,
				const struct wire_frame *f);
/* The container has exited (c->st refreshed). */
void daemon_complete_exited(struct daemon *d, struct daemon_ctr *c);
/* The shim is gone (c->st final). May forget c. */
void daemon_complete_shim_gone(struct daemon *d, struct daemon_ctr *c);

#endif
