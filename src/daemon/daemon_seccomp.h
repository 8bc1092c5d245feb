/*
 * daemon_seccomp: seccomp profiles in the daemon (role, layer 3; bottom band): the default
 * of `kettle daemon --seccomp-profile`, a container's profile chosen and checked at CREATE
 * (read, parsed, selected and built with libseccomp, never loaded), and the log lines for
 * the syscall names libseccomp does not know. Calls only mechanisms.
 */
#ifndef KETTLE_DAEMON_SECCOMP_H
#define KETTLE_DAEMON_SECCOMP_H

#include <stddef.h>

#include "daemon/daemon_state.h"

/* --seccomp-profile VALUE at startup: builtin (NULL too), unconfined or a profile file,
 * which is read and checked now; a bad one fails the start naming the rule. */
int daemon_seccomp_setup(struct daemon *d, const char *value, struct kerr *err);
void daemon_seccomp_free(struct daemon *d);
/* CREATE: gives a --rootfs record the daemon's default when it names no profile, and checks
 * the profile it then names. For a profile file *text (owned) is the copy to keep in the
 * container's directory; NULL otherwise. Fails naming the file and the rule. */
int daemon_seccomp_prepare(struct daemon *d, struct record *rec, char **text, size_t *len,
			   struct kerr *err);

#endif
