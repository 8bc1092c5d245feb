/*
 * daemon_runtime: the daemon's own runtime calls: which runtime a container uses, `runc
 * delete --force`, and whether runc has state (role, layer 3; bottom band of the daemon).
 * Calls no other daemon file.
 */
#ifndef KETTLE_DAEMON_RUNTIME_H
#define KETTLE_DAEMON_RUNTIME_H

#include "daemon/daemon_state.h"

/* The runtime binary for rec: its own (an absolute path), else the daemon's default as
 * resolved at startup (no PATH walk per request), else the default's name. */
const char *daemon_runtime_of(const struct daemon *d, const struct record *rec);
/* `runc delete --force ID`, reaped by the SIGCHLD handler; its log goes to the container's
 * runc log, or to /dev/null when !log_in_dir. */
void daemon_runtime_delete(struct daemon *d, struct daemon_ctr *c, bool log_in_dir);
/* Whether runc still has state for c (<root>/runc/<id>). */
bool daemon_runtime_state_exists(struct daemon *d, const struct daemon_ctr *c);

#endif
