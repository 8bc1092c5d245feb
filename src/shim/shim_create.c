/*
 * shim_create: the container's creation (role layer, a lifecycle step of the middle band).
 *
 * `runc create` (or `runc run --detach` for `kettle run`, sh->run_first) under the same
 * id each time, with the container's stdio, into state CREATING; its result comes back
 * to the table through the reaper (shim_supervise.c). --run holds a running container as
 * "created" until START, its output unread, so that the client attached before START sees
 * every byte (the pipes, SHIM_PIPE_SIZE deep, are the buffer). The hold ends at START, at
 * a delete, or after SHIM_HOLD_MS when the client that created it never came back;
 * reading then starts with the first byte. Calls only call, io and the bottom band.
 */
#include <string.h>
#include <unistd.h>

#include "shim/shim_call.h"
#include "shim/shim_create.h"
#include "shim/shim_io.h"
#include "shim/shim_next.h"
#include "store/store.h"

void shim_create_release_hold(struct shim *sh)
{
	if (!sh->held)
		return;
	if (sh->hold_timer)
		loop_cancel_timer(sh->loop, sh->hold_timer);
	sh->hold_timer = 0;
	sh->held = false;
	if (sh->state != SHIM_S_CREATING)
		shim_next_watch(sh);
}

void shim_create_begin(struct shim *sh)
{
	struct runtime_call rc = {
		.op = sh->run_first ? RUNTIME_RUN : RUNTIME_CREATE,
		.id = sh->id,
		.bundle = sh->bundle,
		.pid_file = sh->pid_file,
		.stdio = { shim_io_stdin_rfd(sh), shim_io_stdout_wfd(sh), shim_io_stderr_wfd(sh) },
		.console_socket = shim_io_console(sh),
	};
	struct kerr err;
	int r;

	sh->held = sh->run_first;
	sh->run_first = false;
	sh->init_pid = 0;
	sh->init_reaped = false;
	memset(sh->early_pid, 0, sizeof(sh->early_pid));
	shim_state_enter(sh, SHIM_S_CREATING);
	/* A stale pid file from an earlier run must not be mistaken for this one's. */
	(void)unlinkat(sh->dirfd, STORE_PID_FILE, 0);
	/* No completion: the reaper turns its result into CREATE_DONE or CREATE_FAILED. */
	r = shim_call_spawn(sh, &rc, NULL, 0, 0, &err) ? 0 : -1;
	/* Saved while the runtime starts, not before: nobody reads it before it returns. */
	shim_state_save(sh);
	/* Only runc (and then the container) may hold the write ends: EOF must mean the
	 * container's output has ended. */
	shim_io_close_write_ends(sh);
	if (r < 0) {
		struct shim_ev ev = { .type = SHIM_E_CREATE_FAILED, .code = SHIM_ERR_CODE };

		ev.msg = err.msg;
		shim_next_event(sh, &ev);
	}
}
