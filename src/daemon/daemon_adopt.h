/*
 * daemon_adopt: rebuilding the registry at startup (role, layer 3; top band of the daemon).
 * Called only by daemon.c.
 */
#ifndef KETTLE_DAEMON_ADOPT_H
#define KETTLE_DAEMON_ADOPT_H

#include "daemon/daemon_state.h"

/* Rebuilds the registry from disk, re-adopting live shims. */
int daemon_adopt_load(struct daemon *d, struct kerr *err);

#endif
