/*
 * shim_exec: `kettle exec` processes and the shim's own execs (role layer, mechanism
 * band). Included by shim_health.c and the top (shim.c, shim_rpc.c, shim_supervise.c);
 * see shim_exec.c.
 */
#ifndef KETTLE_SHIM_EXEC_H
#define KETTLE_SHIM_EXEC_H

#include "shim/shim_state.h"

struct wire_frame;

/* SHIM_EXEC: JSON {args, env, cwd, user, tty} plus 0, 2 (stdout, stderr) or 3 (stdin,
 * stdout, stderr) descriptors; OK{PID} once runc exec returned, END{EXIT_CODE} at exit. */
void shim_exec_request(struct shim *sh, struct rpc_conn *c, const struct wire_frame *f);
/* STDIN, RESIZE, SIGNAL for an exec stream; false when reqid names no exec of conn. */
bool shim_exec_stream_frame(struct shim *sh, uint64_t conn, const struct wire_frame *f);
/* A reaped child that is neither init nor a runtime call: an exec'd
 * process (or an orphan kept briefly, in case it is one whose pid file is not read yet). */
void shim_exec_reaped(struct shim *sh, pid_t pid, int status);
/* Runtime exec calls in flight (the shim waits for them before exiting). */
size_t shim_exec_calls(const struct shim *sh);
/* Frees everything; for the final teardown. */
void shim_exec_done(struct shim *sh);
/* An exec on the shim's own behalf ended: status is its wait status, or msg says why it
 * could not run. Called once per serial (not at all once the shim tears down), only from
 * within shim_exec_reaped. */
typedef void (*shim_exec_fn)(struct shim *sh, void *data, unsigned serial, int status,
			     const char *msg);
/* Runs argv in the running container without a requester: stdin /dev/null, stdout and
 * stderr on out_fd (borrowed; -1 for /dev/null). Returns the exec's serial (> 0), or 0
 * with err when it could not be started (done is then never called). */
unsigned shim_exec_internal(struct shim *sh, char *const *argv, size_t argc, int out_fd,
			    shim_exec_fn done, void *data, struct kerr *err);
/* SIGKILL to an internal exec, now or as soon as its pid is known; done still runs. */
void shim_exec_kill(struct shim *sh, unsigned serial);

#endif
