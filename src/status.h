/*
 * status: a container's runtime status as the shim knows it (mechanism M3).
 *
 * One struct serves two files in the container's directory: state.json (the shim's
 * current view, rewritten on every transition) and exit.json (the last exit, written
 * durably by the shim BEFORE it tells anyone, so an exit that happens while the daemon
 * is down is known afterwards). The same JSON travels in SHIM_STATE replies. Never logs.
 */
#ifndef KETTLE_STATUS_H
#define KETTLE_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "kerr.h"

#define STATUS_VERSION	 1
#define STATUS_ERROR_MAX 512 /* runtime error text kept (bytes) */

enum status_kind {
	STATUS_CREATED = 0, /* runc create done (or never started), not started */
	STATUS_RUNNING,	    /* started and not yet exited */
	STATUS_PAUSED,	    /* frozen */
	STATUS_RESTARTING,  /* exited; the shim will start it again after a delay */
	STATUS_EXITED,	    /* exited and not supervised any more */
	STATUS_REMOVING,    /* rm in progress */
	STATUS_DEAD,	    /* state unknown: the shim is gone and left no exit file */
};

struct status {
	enum status_kind kind;	      /* see above */
	pid_t pid;		      /* container init, host pid; 0 when not running */
	pid_t shim_pid;		      /* the shim that wrote this */
	int64_t started_ns;	      /* last start, wall clock ns; 0 never */
	int64_t finished_ns;	      /* last exit, wall clock ns; 0 never */
	int exit_code;		      /* last exit code (0..255; 128+signal when killed) */
	int signal;		      /* signal that killed it, 0 when it exited */
	bool oom_killed;	      /* killed by the memory limit */
	unsigned restart_count;	      /* restarts done by the policy */
	unsigned restart_streak;      /* restarts in the current crash loop (kubelet backoff) */
	int64_t next_start_ns;	      /* with STATUS_RESTARTING: when, wall clock ns */
	bool stopped_by_user;	      /* stop/kill asked for by a person (unless-stopped) */
	char reason[64];	      /* why it ended: "exited", "killed", "shim lost", … */
	char error[STATUS_ERROR_MAX]; /* runtime error shown to the person, verbatim */
	uint64_t log_dropped;	      /* bytes of output ctr.log lost (disk full, I/O error) */
};

void status_init(struct status *s);
const char *status_kind_name(enum status_kind k);
int status_kind_parse(const char *s, enum status_kind *k, struct kerr *err);
int status_to_json(const struct status *s, struct buf *out, struct kerr *err);
int status_from_json(struct status *s, const char *text, size_t len, struct kerr *err);
/* Atomic replace of dirfd/name (STORE_STATE or STORE_EXIT); durable fsyncs. */
int status_write(int dirfd, const char *name, const struct status *s, bool durable,
		 struct kerr *err);
/* ENOENT keeps its code. */
int status_read(int dirfd, const char *name, struct status *s, struct kerr *err);

#endif
