/*
 * daemon_watch: a shim's events (ready pipe, pidfd, connection), fed to the completions,
 * the shim-side dispatcher (role, layer 3; top band of the daemon). Called only by
 * daemon.c; calls the middle and bottom bands, never daemon_api.c.
 */
#ifndef KETTLE_DAEMON_WATCH_H
#define KETTLE_DAEMON_WATCH_H

#include "daemon/daemon_state.h"

/* Fills d->shim_cbs: before any shim is spawned, watched or dialled. */
void daemon_watch_init(struct daemon *d);

#endif
