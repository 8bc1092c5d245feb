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

#include "base/buf.h"
#include "base/kerr.h"

#define STATUS_VERSION	      1
#define STATUS_ERROR_MAX      512	     /* runtime error text kept (bytes) */
#define STATUS_JSON_MAX	      (160u * 1024u) /* a status document, every field full and escaped */
#define STATUS_HEALTH_LOG     5		     /* health check results kept (docker's 5) */
#define STATUS_HEALTH_OUT_MAX 4096	     /* bytes of one check's output kept (docker's 4 KiB) */

enum status_kind {
	STATUS_CREATED = 0, /* runc create done (or never started), not started */
	STATUS_RUNNING,	    /* started and not yet exited */
	STATUS_PAUSED,	    /* frozen */
	STATUS_RESTARTING,  /* exited; the shim will start it again after a delay */
	STATUS_EXITED,	    /* exited and not supervised any more */
	STATUS_REMOVING,    /* rm in progress */
	STATUS_DEAD,	    /* state unknown: the shim is gone and left no exit file */
};

/* Docker's health states; NONE: the container has no health check. */
enum status_health_kind {
	STATUS_HEALTH_NONE = 0, /* no check configured */
	STATUS_HEALTH_STARTING, /* no success yet since the start */
	STATUS_HEALTH_HEALTHY,	/* the last check passed */
	STATUS_HEALTH_UNHEALTHY /* retries checks in a row failed */
};

/* One health check's result. */
struct status_probe {
	int64_t start_ns;			/* when it began, wall clock ns */
	int64_t end_ns;				/* when it ended, wall clock ns */
	int exit_code;				/* 0 passed; -1 timed out or could not run */
	char output[STATUS_HEALTH_OUT_MAX + 1]; /* stdout and stderr, cut at the cap, NUL-ended */
};

struct status_health {
	enum status_health_kind kind;		    /* see above */
	unsigned failing_streak;		    /* failures in a row that counted */
	size_t nlog;				    /* used entries of log */
	struct status_probe log[STATUS_HEALTH_LOG]; /* the last results, oldest first */
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
	struct status_health health;  /* health check state and its last results */
};

void status_init(struct status *s);
const char *status_kind_name(enum status_kind k);
int status_kind_parse(const char *s, enum status_kind *k, struct kerr *err);
int status_to_json(const struct status *s, struct buf *out, struct kerr *err);
int status_from_json(struct status *s, const char *text, size_t len, struct kerr *err);
/* Atomic replace of dirfd/name (STORE_STATE or STORE_EXIT); durable fsyncs. */
int status_write(int dirfd, const char *name, const struct status *s, bool durable,
		 struct kerr *err);
struct json_w;
/* Writes h as status_to_json does under "health": null without a check, else
 * {"status", "failing_streak", "log": [{start, end, exit_code, output}…]}. */
void status_health_json(struct json_w *w, const struct status_health *h);
/* "none", "starting", "healthy", "unhealthy". */
const char *status_health_name(enum status_health_kind k);
/* A (re)started container: starting again, streak 0; the log is kept (docker). */
void status_health_reset(struct status_health *h);
/*
 * Docker's rules for one result p (appended to the log, the oldest dropped): a pass makes
 * it healthy and ends the streak; a failure counts unless the container is still starting
 * within its start period (in_start_period), and retries counted failures in a row make
 * it unhealthy. Returns true when kind changed.
 */
bool status_health_add(struct status_health *h, const struct status_probe *p, bool in_start_period,
		       unsigned retries);
/* ENOENT keeps its code. */
int status_read(int dirfd, const char *name, struct status *s, struct kerr *err);

#endif
