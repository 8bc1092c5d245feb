/*
 * daemon_adopt: rebuilding the registry from disk at startup, re-adopting live shims (role,
 * layer 3; top band of the daemon). Called only by daemon.c; calls the middle and bottom
 * bands, never a handler or a dispatcher.
 */
#ifndef KETTLE_DAEMON_ADOPT_H
#define KETTLE_DAEMON_ADOPT_H

#include "daemon/daemon_state.h"

/* Rebuilds the registry from disk, re-adopting live shims. */
int daemon_adopt_load(struct daemon *d, struct kerr *err);

#endif
