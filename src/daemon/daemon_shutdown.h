/*
 * daemon_shutdown: the shutdown of kettle as a system's first process (role, layer 3;
 * middle band of the daemon). Calls daemon_shimlink, daemon_boot and the bottom band;
 * see daemon_shutdown.c.
 */
#ifndef KETTLE_DAEMON_SHUTDOWN_H
#define KETTLE_DAEMON_SHUTDOWN_H

#include "daemon/daemon_state.h"

/* SIGTERM, SIGINT or SIGPWR to PID 1: clients are refused from now on, the containers
 * files' runs end, and every container is told to stop (daemon_shutdown_poll). */
void daemon_shutdown_begin(struct daemon *d, int sig);
/* Before each sleep of the loop while shutting down: sends the stops still due (a shim that
 * was being spawned, once it is ready). True once every shim is gone, or the deadline
 * passed and the ones left were killed. */
bool daemon_shutdown_poll(struct daemon *d);

#endif
