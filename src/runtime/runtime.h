/*
 * runtime: the shim's one interface to an OCI runtime (mechanism M3).
 *
 * Every runtime operation is asynchronous: runtime_spawn starts it and returns the pid
 * of the runtime process; the caller's loop reaps it (SIGCHLD) and then reads the
 * result: its exit status, its stdout (state, ps), and on failure the error the runtime
 * wrote in its JSON log (`--log FILE --log-format json`), never the container's stderr.
 * Today the implementation drives runc (or any runc-compatible binary); a built-in
 * `kettle runtime` will slot in behind the same calls. Converts runc's conventions (exit
 * status + JSON log lines) into struct kerr here and nowhere else. Never logs.
 */
#ifndef KETTLE_RUNTIME_H
#define KETTLE_RUNTIME_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "base/kerr.h"

/* A runtime call still running after RUNTIME_TIMEOUT_MS is killed: the default of
 * `kettle daemon --runtime-timeout`, which accepts up to RUNTIME_TIMEOUT_MAX_MS. */
#define RUNTIME_DEFAULT	       "runc"
/* kettle's own host runtime (`kettle host-runtime`, src/hostrt): the same calls, the process
 * run directly on the host. runtime_init takes this name for /proc/self/exe with it as
 * argv[0], which is how kettle.c dispatches. */
#define RUNTIME_HOST	       "kettle-host-runtime"
#define RUNTIME_TIMEOUT_MS     30000
#define RUNTIME_TIMEOUT_MAX_MS 3600000

enum runtime_op {
	RUNTIME_CREATE, /* create --bundle B --pid-file P ID (stdio = the container's) */
	RUNTIME_START,	/* start ID */
	RUNTIME_RUN,	/* run --detach --bundle B --pid-file P ID: create+start at once */
	RUNTIME_KILL,	/* kill [--all] ID SIGNAL */
	RUNTIME_DELETE, /* delete [--force] ID */
	RUNTIME_STATE,	/* state ID -> JSON on out_fd */
	RUNTIME_PS,	/* ps --format json ID -> JSON on out_fd */
	RUNTIME_EXEC,	/* exec --process FILE --pid-file P [--detach] ID */
	RUNTIME_PAUSE,	/* pause ID */
	RUNTIME_RESUME, /* resume ID */
	RUNTIME_UPDATE, /* update --resources FILE ID */
};

struct runtime {
	char path[PATH_MAX]; /* runtime binary (absolute, resolved through PATH once) */
	char argv0[32];	     /* its argv[0] when not path (RUNTIME_HOST), else "" */
	char root[PATH_MAX]; /* its state directory (--root) */
	char log[PATH_MAX];  /* its JSON log file (--log) */
};

struct runtime_call {
	enum runtime_op op;	    /* what to run */
	const char *id;		    /* container id */
	const char *bundle;	    /* CREATE, RUN */
	const char *pid_file;	    /* CREATE, RUN, EXEC */
	const char *file;	    /* EXEC: process.json; UPDATE: resources.json */
	const char *console_socket; /* CREATE, RUN, EXEC with a terminal, or NULL */
	int signal;		    /* KILL */
	bool all;		    /* KILL --all */
	bool force;		    /* DELETE --force */
	bool detach;		    /* EXEC --detach */
	bool die_with_caller;	    /* SIGKILLed if the caller dies mid-call (PR_SET_PDEATHSIG):
				       a half-done call is left to the caller's successor */
	int stdio[3];		    /* fds for the runtime's 0,1,2 (-1: /dev/null); for CREATE,
				    RUN and EXEC they become the container process's stdio */
};

/* Resolves path (a name is looked up in PATH) and checks it is an executable file;
 * "runtime `x` not found" otherwise. */
int runtime_init(struct runtime *rt, const char *path, const char *root, const char *log,
		 struct kerr *err);
/* Starts one runtime process in a new session; returns its pid. */
int runtime_spawn(const struct runtime *rt, const struct runtime_call *call, pid_t *pid,
		  struct kerr *err);
/* Current size of the JSON log: pass it to runtime_read_error after the call. */
off_t runtime_log_offset(const struct runtime *rt);
/* The last "error"-level message the runtime logged after offset `since`, verbatim,
 * into msg (empty when none). Malformed log lines are skipped. */
int runtime_read_error(const struct runtime *rt, off_t since, char *msg, size_t cap,
		       struct kerr *err);
/* The pure part of runtime_read_error: the last "error"-level msg among the JSON lines of
 * text[0..len) (which need not be NUL-terminated), into msg (empty when none). */
void runtime_log_last_error(const char *text, size_t len, char *msg, size_t cap);
/* docker's codes for a failed start: 127 command not found, 126 not executable,
 * 125 anything else. */
int runtime_error_exit_code(const char *msg);
/* Reads the pid file a CREATE/RUN/EXEC call wrote. */
int runtime_read_pid_file(const char *path, pid_t *pid, struct kerr *err);

#endif
