/*
 * daemon_files: writing a container's bundle/config.json and record.json (role, layer 3;
 * bottom band of the daemon). Used by CREATE, UPDATE, RENAME and adoption; calls no other
 * daemon file.
 */
#ifndef KETTLE_DAEMON_FILES_H
#define KETTLE_DAEMON_FILES_H

#include "daemon/daemon_state.h"

/* Writes bundle/config.json (for --rootfs, with the --init copy) and record.json. fresh: a
 * new container's first write, whose record.json daemon_files_sync_record syncs later;
 * otherwise both files are replaced durably. */
int daemon_files_write(struct daemon *d, const struct record *rec, bool fresh, struct kerr *err);
/* A container's own copy of its seccomp profile file (what CREATE checked), read back
 * whenever its config.json is written again. */
#define DAEMON_FILES_SECCOMP "seccomp.json"
int daemon_files_write_seccomp(struct daemon *d, const char *id, const char *text, size_t len,
			       struct kerr *err);
/* Fsyncs a new container's record.json (after its shim was spawned). */
int daemon_files_sync_record(struct daemon *d, const char *id, struct kerr *err);

#endif
