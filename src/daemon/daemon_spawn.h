/*
 * daemon_spawn: starting a shim and watching its process (role, layer 3; middle band of the
 * daemon). Registers daemon_watch.c's callbacks (d->shim_cbs) with the loop but never calls
 * them; calls only the bottom band.
 */
#ifndef KETTLE_DAEMON_SPAWN_H
#define KETTLE_DAEMON_SPAWN_H

#include "daemon/daemon_state.h"

/* Spawns a shim for c (it creates the container); the ready frame arrives later. */
int daemon_spawn_shim(struct daemon *d, struct daemon_ctr *c, struct kerr *err);
/* Watches pid (c's shim) through a pidfd in the loop. */
int daemon_spawn_watch_pidfd(struct daemon *d, struct daemon_ctr *c, pid_t pid, struct kerr *err);

#endif
