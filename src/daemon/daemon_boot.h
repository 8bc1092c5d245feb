/*
 * daemon_boot: the image archives of `kettle daemon --boot --load DIR` and the containers
 * file of `--containers FILE` (role,
 * layer 3; bottom band of the daemon). Calls no other daemon file; see daemon_boot.c.
 */
#ifndef KETTLE_DAEMON_BOOT_H
#define KETTLE_DAEMON_BOOT_H

#include "daemon/daemon_state.h"

/* Once the daemon serves (each client connects to it): `kettle load -q -i FILE` for each
 * regular file of load_dir (--load; NULL: none), in name order, one after the other, then
 * the lines of path (--containers; NULL: none). A file or directory that cannot be read
 * fails with err and runs nothing. */
int daemon_boot_start(struct daemon *d, const char *path, const char *load_dir, struct kerr *err);
/* SIGCHLD's reaper found pid: true when it was the running line's client (its output and
 * result are logged and the next line runs), false when it is not ours. */
bool daemon_boot_reaped(struct daemon *d, pid_t pid, int status);
/* Shutdown: the running line's client is killed and no other line runs. */
void daemon_boot_stop(struct daemon *d);
/* Frees d->jobs (a running client is killed first). */
void daemon_boot_free(struct daemon *d);

#endif
