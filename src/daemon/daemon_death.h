/*
 * daemon_death: what a container becomes when its shim is gone, and the restart policy for
 * containers without a shim (role, layer 3; middle band of the daemon). Calls only
 * daemon_spawn and the bottom band, never a completion or a dispatcher.
 */
#ifndef KETTLE_DAEMON_DEATH_H
#define KETTLE_DAEMON_DEATH_H

#include "daemon/daemon_state.h"

/* Called when the shim might just have become fully gone: pidfd readable, connection and
 * ready pipe closed. Returns false while it is not; else settles the container and returns
 * true, and the caller completes c's requests (daemon_complete_shim_gone). */
bool daemon_death_check_gone(struct daemon *d, struct daemon_ctr *c);
/* The shim is gone and its container may still run: `runc delete --force`, exit 137
 * recorded (exit.json first) and a "die" event; then the restart policy decides as the
 * shim would have, or docker's boot rule when runc has no state left either (a reboot). */
void daemon_death_lost(struct daemon *d, struct daemon_ctr *c);
/* No shim and no runtime state (a host reboot): docker's boot rule for `always` and
 * `unless-stopped`. */
void daemon_death_policy_at_boot(struct daemon *d, struct daemon_ctr *c);

#endif
