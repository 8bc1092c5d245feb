/*
 * shim_start: from the create's outcome to a running container (role layer, a lifecycle
 * step of the middle band). The transitions for CREATE_DONE/FAILED (the ready frame on
 * fd 3 says the outcome to the daemon; a DELETE or STOP that arrived while creating is
 * applied now; a policy restart is started at once), START requests, and the outcome of
 * `runc start`. An init that exited before `runc start` returned has its exit told right
 * after the start is. Calls the exit, stop and create steps and the mechanisms; never the
 * dispatcher: what follows a transition is left in sh->next (shim_next.c).
 */
#include <signal.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/str.h"
#include "shim/shim_call.h"
#include "shim/shim_create.h"
#include "shim/shim_emit.h"
#include "shim/shim_exit.h"
#include "shim/shim_health.h"
#include "shim/shim_next.h"
#include "shim/shim_oom.h"
#include "shim/shim_reply.h"
#include "shim/shim_start.h"
#include "shim/shim_stop.h"
#include "shim/shim_wait.h"
#include "store/store.h"

void shim_start_on_created(struct shim *sh, const struct shim_ev *ev)
{
	struct kerr err;

	(void)ev;
	sh->st.kind = STATUS_CREATED;
	sh->st.pid = sh->init_pid;
	shim_oom_watch(sh);
	shim_state_enter(sh, SHIM_S_CREATED);
	log_info("container %s, init pid %d", sh->held ? "running, held until START" : "created",
		 (int)sh->init_pid);
	if (!sh->held)
		shim_next_watch(sh);
	/* The daemon learns "created" from the ready frame itself: state.json follows, off
	 * the path of the client waiting for it (no request is read before it is written). */
	shim_reply_ready(sh, 0, NULL);
	shim_state_save(sh);
	/* A DELETE that arrived while creating. */
	for (size_t i = 0; i < sh->nwaiters; i++)
		if (sh->waiters[i].kind == SHIM_W_DELETE) {
			shim_exit_delete(sh, SHIM_S_DELETING);
			return;
		}
	if (sh->shutdown) {
		/* The host began shutting down while it was created: it never starts. */
		shim_exit_delete(sh, SHIM_S_DELETING);
		return;
	}
	if (sh->held) {
		/* Released at once when this timer cannot be armed. */
		shim_next_timer(sh, SHIM_T_HOLD, SHIM_HOLD_MS);
		return;
	}
	if (!sh->restarting)
		return;
	if (sh->st.stopped_by_user || sh->shutdown) {
		/* Stopped while the restart was being created: supervision ends here. */
		sh->st.kind = STATUS_EXITED;
		shim_exit_delete(sh, SHIM_S_DELETING);
		return;
	}
	/* No completion: the reaper turns its result into START_DONE or START_FAILED. */
	if (shim_call_spawn_simple(sh, RUNTIME_START, NULL, 0, false, 0, 0, &err) < 0) {
		struct shim_ev fail = { .type = SHIM_E_START_FAILED, .code = SHIM_ERR_CODE };

		shim_state_set(sh, SHIM_S_STARTING);
		fail.msg = err.msg;
		shim_next_event(sh, &fail);
		return;
	}
	shim_state_set(sh, SHIM_S_STARTING);
}

void shim_start_on_create_failed(struct shim *sh, const struct shim_ev *ev)
{
	struct status *st = &sh->st;
	struct kerr err;

	log_error("create failed: %s", ev->msg);
	sh->held = false;
	st->kind = sh->restarting ? STATUS_EXITED : STATUS_CREATED;
	st->pid = 0;
	st->exit_code = ev->code;
	st->finished_ns = clock_wall_ns();
	str_copy(st->error, sizeof(st->error), ev->msg);
	str_copy(st->reason, sizeof(st->reason), "create failed");
	if (status_write(sh->dirfd, STORE_EXIT, st, true, &err) < 0)
		log_error("%s", err.msg);
	shim_state_save(sh);
	shim_reply_ready(sh, (uint32_t)ev->code, ev->msg);
	shim_wait_tell_exit(sh);
	/* runc cleans up after itself; the forced delete makes sure nothing is left. A
	 * restart that failed to create is an exit like any other: the policy decides. */
	sh->run_ms = 0;
	shim_exit_delete(sh, sh->restarting ? SHIM_S_EXITED : SHIM_S_DELETING);
}

void shim_start_on_start_req(struct shim *sh, const struct shim_ev *ev)
{
	struct kerr err;

	if (sh->held) {
		/* `runc run` started it already: the requester (attached by now) only
		 * releases it. */
		struct shim_ev done = { .type = SHIM_E_START_DONE };

		if (!shim_wait_add(sh, SHIM_W_START, ev->conn, ev->reqid, 0))
			return;
		/* STARTING lasts no time here: shim_start_on_started saves RUNNING at once. */
		sh->state = SHIM_S_STARTING;
		shim_next_event(sh, &done);
		return;
	}
	if (shim_call_spawn_simple(sh, RUNTIME_START, NULL, 0, false, 0, 0, &err) < 0) {
		shim_reply_error(sh, ev->conn, ev->reqid, SHIM_ERR_CODE, err.msg);
		return;
	}
	shim_wait_add(sh, SHIM_W_START, ev->conn, ev->reqid, 0);
	shim_state_set(sh, SHIM_S_STARTING);
}

void shim_start_join(struct shim *sh, const struct shim_ev *ev)
{
	shim_wait_add(sh, SHIM_W_START, ev->conn, ev->reqid, 0);
}

void shim_start_on_started(struct shim *sh, const struct shim_ev *ev)
{
	(void)ev;
	sh->st.kind = STATUS_RUNNING;
	sh->st.started_ns = clock_wall_ns();
	sh->st.next_start_ns = 0;
	sh->st.pid = sh->init_pid;
	sh->run_start_ms = clock_mono_ms();
	sh->restarting = false;
	shim_health_start(sh);
	/* An init that is gone already: shim_exit_record saves its exit next, and nobody
	 * can read a "running" state.json in between. */
	if (sh->init_reaped)
		shim_state_enter(sh, SHIM_S_RUNNING);
	else
		shim_state_set(sh, SHIM_S_RUNNING);
	shim_create_release_hold(sh);
	log_info("container started");
	shim_wait_finish(sh, SHIM_W_START, 0, NULL);
	shim_emit_event(sh, "start",
			(const struct shim_emit_attr[]){ { "pid", sh->init_pid },
							 { "restart_count", sh->st.restart_count },
							 { NULL, 0 } },
			NULL);
	if (sh->init_reaped) {
		shim_exit_record(sh, sh->init_status);
		return;
	}
	if (sh->stop_pending) {
		sh->stop_pending = false;
		shim_stop_begin(sh, sh->stop_signal, sh->stop_timeout_ms);
	}
}

void shim_start_on_start_failed(struct shim *sh, const struct shim_ev *ev)
{
	log_error("start failed: %s", ev->msg);
	sh->start_error_code = ev->code;
	str_copy(sh->st.error, sizeof(sh->st.error), ev->msg);
	shim_wait_finish(sh, SHIM_W_START, (uint32_t)ev->code, ev->msg);
	sh->stop_pending = false;
	if (sh->init_reaped) {
		shim_exit_record(sh, sh->init_status);
		return;
	}
	/* The init may still wait on runc's fifo: end it, its exit is recorded as usual. */
	shim_state_set(sh, SHIM_S_STOPPING);
	shim_stop_kill_quietly(sh, SIGKILL, true);
}
