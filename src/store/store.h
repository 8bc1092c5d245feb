/*
 * store: the state root on disk (mechanism M3).
 *
 * Layout (all 0700 directories, files written by atomic replace):
 *   <root>/daemon.lock daemon.addr auth.token runc/ containers/<id>/
 *   containers/<id>/record.json  what the user asked for (daemon)
 *                   bundle/config.json  generated OCI spec (daemon; absent with --bundle)
 *                   shim.lock shim.addr  the shim's lock and rendezvous (shim)
 *                   state.json  the shim's view: status, pid, times, restarts (shim)
 *                   exit.json   the last exit, written before anyone is told (shim)
 *                   runc.log    runc's own JSON log;  ctr.pid  runc's pid file
 *                   ctr.log     the container's CRI log
 * Atomic replace: temp name in the same directory, fsync when durable, renameat, fsync
 * the directory. Syscalls go through a small ops table so tests can inject faults.
 * Never logs.
 */
#ifndef KETTLE_STORE_H
#define KETTLE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"
#include "store/ids.h"
#include "base/kerr.h"

#define STORE_DEFAULT_ROOT   "/var/lib/kettle"
#define STORE_CONTAINERS     "containers"
#define STORE_RUNC_ROOT	     "runc"
#define STORE_DAEMON_LOCK    "daemon.lock"
#define STORE_DAEMON_ADDR    "daemon.addr"
#define STORE_RECORD	     "record.json"
#define STORE_BUNDLE	     "bundle"
#define STORE_SHIM_LOCK	     "shim.lock"
#define STORE_SHIM_ADDR	     "shim.addr"
#define STORE_STATE	     "state.json"
#define STORE_EXIT	     "exit.json"
#define STORE_RUNC_LOG	     "runc.log"
#define STORE_PID_FILE	     "ctr.pid"
#define STORE_CTR_LOG	     "ctr.log"
#define STORE_FILE_MAX	     (1024u * 1024u) /* largest record/state file read back (bytes) */
#define STORE_CONTAINERS_MAX 10000	     /* containers one root may hold */

/* Syscalls store.c makes, overridable by tests (fault injection). */
struct store_ops {
	int (*openat)(int dirfd, const char *path, int flags, mode_t mode);
	ssize_t (*write)(int fd, const void *buf, size_t n);
	int (*fsync)(int fd);
	int (*renameat)(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
};
extern struct store_ops store_ops;

/* Resolves the root path: explicit (may be NULL), else $KETTLE_ROOT, else the default. */
const char *store_root_path(const char *explicit_root);
/* Creates (mkdir -p, 0700) and opens the root; refuses a root that is not a directory
 * owned by us or that others can traverse (fixes mode 0700 on one we created). */
int store_open_root(const char *path, bool create, int *rootfd, struct kerr *err);
/* Opens (creating when asked) containers/<id>/ and, when create, its subdirectories. */
int store_open_container(int rootfd, const char *id, bool create, int *dirfd, struct kerr *err);
/* Writes dirfd/name atomically with the given mode. durable: fsync file and directory. */
int store_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		       bool durable, struct kerr *err);
/* Makes an earlier non-durable store_write_atomic of dirfd/name durable: fsync of the file,
 * then of the directory. Lets a caller overlap the disk's latency with other work and
 * still have the file on disk before anyone is told of it. */
int store_sync(int dirfd, const char *name, struct kerr *err);
/* Reads dirfd/name (at most max bytes, else error) into out (appended, NUL-terminated
 * beyond len). ENOENT keeps its code. */
int store_read_file(int dirfd, const char *name, size_t max, struct buf *out, struct kerr *err);
/* Calls fn for every well-formed id under containers/; other entries are skipped (and
 * counted in *skipped when not NULL). Stops and fails if fn fails. */
int store_each_container(int rootfd, int (*fn)(const char *id, void *data), void *data,
			 size_t *skipped, struct kerr *err);
/* Removes containers/<id> recursively without following symlinks. */
int store_remove_container(int rootfd, const char *id, struct kerr *err);
/* "<root>/containers/<id>/<file>" into out (these are kettle's own host paths, handed to
 * runc as arguments; never container paths). */
int store_container_path(const char *root, const char *id, const char *file, char *out, size_t cap,
			 struct kerr *err);

#endif
