/*
 * shim_exit: the container's exit and its deletion (role layer, a lifecycle step of the
 * middle band). The init is reaped (EXIT): its exit goes to exit.json durably before
 * anyone is told (conmon's order), the output is drained to EOF (bounded by
 * SHIM_DRAIN_MS, SHIM_T_DRAIN), DRAINED tells waiters, attachers and subscribers, and
 * `runc delete` removes the corpse; then the restart policy decides. A person's DELETE
 * goes through the same delete and ends supervision. Invariant: END frames go out only
 * once the output has ended. Calls the restart, finish, create and stop steps and the
 * mechanisms; never the dispatcher, never shim_start.c.
 */
#include <signal.h>
#include <sys/wait.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/str.h"
#include "runtime/proc.h"
#include "shim/shim_call.h"
#include "shim/shim_create.h"
#include "shim/shim_emit.h"
#include "shim/shim_exit.h"
#include "shim/shim_finish.h"
#include "shim/shim_health.h"
#include "shim/shim_io.h"
#include "shim/shim_next.h"
#include "shim/shim_oom.h"
#include "shim/shim_reply.h"
#include "shim/shim_restart.h"
#include "shim/shim_stop.h"
#include "shim/shim_wait.h"
#include "store/store.h"

void shim_exit_delete(struct shim *sh, enum shim_state next)
{
	struct kerr err;

	shim_create_release_hold(sh);
	shim_state_set(sh, next);
	/* No completion: the reaper turns its result into DELETE_DONE. */
	if (shim_call_spawn_simple(sh, RUNTIME_DELETE, NULL, 0, true, 0, 0, &err) < 0) {
		struct shim_ev ev = { .type = SHIM_E_DELETE_DONE, .code = SHIM_ERR_CODE };

		log_error("%s", err.msg);
		ev.msg = err.msg;
		shim_next_event(sh, &ev);
	}
}

/* Records the exit durably, then drains output; DRAINED tells everyone. */
void shim_exit_record(struct shim *sh, int status)
{
	struct status *st = &sh->st;
	struct kerr err;

	if (sh->stop_timer)
		loop_cancel_timer(sh->loop, sh->stop_timer);
	sh->stop_timer = 0;
	st->kind = STATUS_EXITED;
	st->pid = 0;
	st->finished_ns = clock_wall_ns();
	sh->run_ms = sh->run_start_ms ? clock_mono_ms() - sh->run_start_ms : 0;
	sh->run_start_ms = 0;
	st->exit_code = proc_exit_code(status);
	st->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	st->oom_killed = false;
	str_copy(st->reason, sizeof(st->reason), st->signal ? "killed" : "exited");
	if (sh->health_exit)
		str_copy(st->reason, sizeof(st->reason), "unhealthy");
	sh->health_exit = false;
	shim_health_stop(sh);
	/* Read before `runc delete` removes the cgroup (docker's OOMKilled). */
	st->oom_killed = shim_oom_check(sh);
	if (sh->start_error_code) {
		st->exit_code = sh->start_error_code;
		str_copy(st->reason, sizeof(st->reason), "start failed");
	}
	log_info("container exited with code %d (%s)", st->exit_code, st->reason);
	/* conmon's order: the exit file is on disk before anyone can ask about it. */
	if (status_write(sh->dirfd, STORE_EXIT, st, true, &err) < 0)
		log_error("%s", err.msg);
	shim_state_set(sh, SHIM_S_EXITED);
	/* Before the exit event (shim_exit_on_drained), as docker sends oom before die. */
	if (st->oom_killed)
		shim_emit_event(sh, "oom", NULL, NULL);
	if (shim_io_drain(sh)) {
		struct shim_ev ev = { .type = SHIM_E_DRAINED };

		shim_next_event(sh, &ev);
		return;
	}
	/* DRAINED comes from the pipes' EOF or this timer (fed at once when it cannot be
	 * armed). */
	shim_next_timer(sh, SHIM_T_DRAIN, SHIM_DRAIN_MS);
}

void shim_exit_running(struct shim *sh, const struct shim_ev *ev)
{
	shim_exit_record(sh, ev->status);
}

/* Held (--run): the exit waits for START like the output (shim_start_on_started tells
 * it). */
void shim_exit_created(struct shim *sh, const struct shim_ev *ev)
{
	if (!sh->held)
		shim_exit_running(sh, ev);
}

/* The init exited before `runc start` returned: told after START_DONE/FAILED. */
void shim_exit_starting(struct shim *sh, const struct shim_ev *ev)
{
	(void)sh;
	(void)ev;
}

/* The init of a created container ended by `runc delete --force`. */
void shim_exit_deleting(struct shim *sh, const struct shim_ev *ev)
{
	(void)ev;
	sh->st.pid = 0;
}

void shim_exit_on_drained(struct shim *sh, const struct shim_ev *ev)
{
	(void)ev;
	if (sh->drain_timer)
		loop_cancel_timer(sh->loop, sh->drain_timer);
	sh->drain_timer = 0;
	shim_io_finish(sh);
	shim_wait_tell_exit(sh);
	shim_emit_event(sh, "exit",
			(const struct shim_emit_attr[]){ { "exit_code", sh->st.exit_code },
							 { "signal", sh->st.signal },
							 { "run_ms", (long long)sh->run_ms },
							 { NULL, 0 } },
			sh->st.reason);
	/* The restart policy decides once the corpse is deleted (shim_exit_on_deleted). */
	shim_exit_delete(sh, SHIM_S_EXITED);
}

void shim_exit_on_delete_req(struct shim *sh, const struct shim_ev *ev)
{
	shim_wait_add(sh, SHIM_W_DELETE, ev->conn, ev->reqid, 0);
	shim_exit_delete(sh, SHIM_S_DELETING);
}

/* Answered when the delete in flight (or still to come) finishes. */
/* STOP of a created container: nothing runs, so nothing to stop (docker), unless the host
 * is shutting down: then it is deleted and the shim ends, as the reboot would end it. */
void shim_exit_stop_created(struct shim *sh, const struct shim_ev *ev)
{
	if (!ev->shutdown) {
		shim_reply_ok(sh, ev->conn, ev->reqid);
		return;
	}
	shim_stop_mark(sh, ev);
	shim_wait_add(sh, SHIM_W_STOP, ev->conn, ev->reqid, 0);
	shim_exit_delete(sh, SHIM_S_DELETING);
}

void shim_exit_join_delete(struct shim *sh, const struct shim_ev *ev)
{
	shim_wait_add(sh, SHIM_W_DELETE, ev->conn, ev->reqid, 0);
}

void shim_exit_delete_running(struct shim *sh, const struct shim_ev *ev)
{
	if (!ev->force) {
		shim_reply_refused(sh, ev->conn, ev->reqid,
				   "is running: stop it first or use force");
		return;
	}
	if (!shim_wait_add(sh, SHIM_W_DELETE, ev->conn, ev->reqid, 0))
		return;
	sh->st.stopped_by_user = true;
	shim_stop_kill_quietly(sh, SIGKILL, true);
}

void shim_exit_on_deleted(struct shim *sh, const struct shim_ev *ev)
{
	if (ev->code)
		log_warn("delete: %s", ev->msg);
	if (sh->state == SHIM_S_EXITED) {
		shim_restart_apply_policy(sh);
		return;
	}
	shim_wait_finish(sh, SHIM_W_DELETE, (uint32_t)ev->code, ev->msg);
	shim_finish_supervision(sh);
}
