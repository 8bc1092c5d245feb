/*
 * daemon_boot: the containers file of `kettle daemon --boot --containers FILE` (role,
 * layer 3; bottom band of the daemon). Calls no other daemon file; see daemon_boot.c.
 */
#ifndef KETTLE_DAEMON_BOOT_H
#define KETTLE_DAEMON_BOOT_H

#include "daemon/daemon_state.h"

/* Reads path and runs its first line (once the daemon serves: the line's client connects
 * to it). A file that cannot be read fails with err and runs nothing. */
int daemon_boot_start(struct daemon *d, const char *path, struct kerr *err);
/* SIGCHLD's reaper found pid: true when it was the running line's client (its output and
 * result are logged and the next line runs), false when it is not ours. */
bool daemon_boot_reaped(struct daemon *d, pid_t pid, int status);
/* Shutdown: the running line's client is killed and no other line runs. */
void daemon_boot_stop(struct daemon *d);
/* Frees d->jobs (a running client is killed first). */
void daemon_boot_free(struct daemon *d);

#endif
