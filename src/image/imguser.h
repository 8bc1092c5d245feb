/*
 * imguser: a user spec resolved in an image's own /etc/passwd and /etc/group (mechanism,
 * image folder).
 *
 * docker's rules (runc's libcontainer/user): NAME or UID, then optionally :GROUP or :GID;
 * a name must be listed in passwd, a group name in group; a numeric uid not listed keeps
 * gid 0, a listed one takes its primary group. The files are read as the merged image
 * shows them, top layer first, a whiteout or an opaque directory hiding what is below,
 * each opened with openat2 RESOLVE_IN_ROOT under its layer so a symlink in an image can
 * never point the lookup at the host's files. Files are capped (IMGUSER_FILE_MAX).
 * Never logs.
 */
#ifndef KETTLE_IMGUSER_H
#define KETTLE_IMGUSER_H

#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"

#define IMGUSER_FILE_MAX (1024u * 1024u) /* bytes of an image's passwd or group */

/* layers: directory fds of the layers' diffs, bottom first. */
int imguser_resolve(const int *layers, size_t n, const char *spec, uint32_t *uid, uint32_t *gid,
		    struct kerr *err);

/* path (relative, e.g. "etc/passwd") as the merged layers show it, into out (cap bytes,
 * NUL-terminated). Returns 1 when found, 0 when absent or hidden, -1 on error. */
int imguser_read(const int *layers, size_t n, const char *path, char *out, size_t cap,
		 struct kerr *err);

#endif
