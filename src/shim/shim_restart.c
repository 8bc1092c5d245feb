/*
 * shim_restart: the restart policy applied by the shim (role layer, a lifecycle step of
 * the middle band, STYLE rule 15). Once an exited container is deleted, restart.c's pure
 * decision says whether and after what backoff it starts again; BACKOFF is a loop timer,
 * and its end creates the container afresh (same id, same log, fresh pipes). START during
 * BACKOFF restarts at once; STOP, KILL or DELETE end supervision. Invariants: the
 * counters (restart_count, streak) go on across restarts and across a shim the daemon
 * restarted; exit.json says "exited" before a stopped BACKOFF is told OK; nothing here
 * sleeps. Calls only the create and finish steps, io and the bottom band, never the
 * dispatcher: the backoff timer that feeds RESTART_TIMER is armed by it (SHIM_T_RESTART).
 */
#include "base/clock.h"
#include "base/log.h"
#include "store/restart.h"
#include "store/store.h"
#include "shim/shim_create.h"
#include "shim/shim_emit.h"
#include "shim/shim_finish.h"
#include "shim/shim_io.h"
#include "shim/shim_next.h"
#include "shim/shim_reply.h"
#include "shim/shim_stop.h"
#include "shim/shim_restart.h"
#include "shim/shim_wait.h"

static bool delete_requested(const struct shim *sh)
{
	for (size_t i = 0; i < sh->nwaiters; i++)
		if (sh->waiters[i].kind == SHIM_W_DELETE)
			return true;
	return false;
}

/* The exited container is deleted: the restart policy decides (STYLE rule 15). The
 * dispatcher arms the backoff (SHIM_T_RESTART), and finishes when it cannot. */
void shim_restart_apply_policy(struct shim *sh)
{
	struct status *st = &sh->st;
	struct restart_input in = {
		.exit_code = st->exit_code,
		.stopped_by_user = st->stopped_by_user,
		.run_ms = sh->run_ms,
		.streak = st->restart_streak,
		.count = st->restart_count,
	};
	struct restart_decision d = restart_decide(&sh->rec.restart, &sh->backoff, &in);

	if (!d.restart && sh->health_restart) {
		/* --health-on-failure restart: the same backoff as a crash, whatever the
		 * policy (a person's stop or kill meanwhile still ends it). */
		const struct restart_spec always = { .policy = RESTART_ALWAYS };

		d = restart_decide(&always, &sh->backoff, &in);
	}
	sh->health_restart = false;

	/* A shutdown's stop ends supervision for this boot, whatever the policy. */
	if (!d.restart || delete_requested(sh) || sh->shutdown) {
		shim_finish_supervision(sh);
		return;
	}
	st->restart_streak = d.streak;
	st->kind = STATUS_RESTARTING;
	st->next_start_ns = clock_wall_ns() + (int64_t)(d.delay_ms * 1000000u);
	log_info("restart policy: restart %u in %llu ms (streak %u)", st->restart_count + 1,
		 (unsigned long long)d.delay_ms, d.streak);
	shim_state_set(sh, SHIM_S_BACKOFF);
	shim_emit_event(sh, "restart",
			(const struct shim_emit_attr[]){ { "attempt", st->restart_count + 1 },
							 { "delay_ms", (long long)d.delay_ms },
							 { "streak", d.streak },
							 { "exit_code", st->exit_code },
							 { NULL, 0 } },
			NULL);
	shim_next_timer(sh, SHIM_T_RESTART, d.delay_ms);
}

/* BACKOFF is over: the same id, the same log, fresh pipes. */
void shim_restart_begin(struct shim *sh, const struct shim_ev *ev)
{
	struct kerr err;

	(void)ev;
	if (sh->restart_timer)
		loop_cancel_timer(sh->loop, sh->restart_timer);
	sh->restart_timer = 0;
	sh->st.restart_count++;
	sh->st.error[0] = '\0';
	sh->st.reason[0] = '\0';
	sh->exit_told = false;
	sh->init_reaped = false;
	sh->init_pid = 0;
	sh->start_error_code = 0;
	sh->stop_pending = false;
	sh->restarting = true;
	if (shim_io_reopen(sh, &err) < 0) {
		struct shim_ev fail = { .type = SHIM_E_CREATE_FAILED, .code = SHIM_ERR_CODE };

		log_error("%s", err.msg);
		shim_state_set(sh, SHIM_S_CREATING);
		fail.msg = err.msg;
		shim_next_event(sh, &fail);
		return;
	}
	shim_create_begin(sh);
}

/* stop, kill or rm while waiting to restart: the person (or the host's shutdown, ev) ends
 * supervision. */
static void end_backoff(struct shim *sh, const struct shim_ev *ev)
{
	struct kerr err;

	if (sh->restart_timer)
		loop_cancel_timer(sh->loop, sh->restart_timer);
	sh->restart_timer = 0;
	if (ev->type == SHIM_E_STOP_REQ)
		shim_stop_mark(sh, ev);
	else
		sh->st.stopped_by_user = true;
	sh->st.kind = STATUS_EXITED;
	sh->st.next_start_ns = 0;
	/* unless-stopped after a reboot depends on this being on disk. */
	if (status_write(sh->dirfd, STORE_EXIT, &sh->st, true, &err) < 0)
		log_error("%s", err.msg);
}

void shim_restart_stop_backoff(struct shim *sh, const struct shim_ev *ev)
{
	end_backoff(sh, ev);
	/* state.json says exited before the requester hears OK and reads it. */
	shim_finish_supervision(sh);
	shim_reply_ok(sh, ev->conn, ev->reqid);
}

void shim_restart_delete_backoff(struct shim *sh, const struct shim_ev *ev)
{
	end_backoff(sh, ev);
	if (shim_wait_add(sh, SHIM_W_DELETE, ev->conn, ev->reqid, 0))
		shim_wait_finish(sh, SHIM_W_DELETE, 0, NULL);
	shim_finish_supervision(sh);
}

/* START while waiting: no reason to wait any longer. */
void shim_restart_start_backoff(struct shim *sh, const struct shim_ev *ev)
{
	if (!shim_wait_add(sh, SHIM_W_START, ev->conn, ev->reqid, 0))
		return;
	shim_restart_begin(sh, ev);
}

/* The record's backoff knobs; the daemon fills its defaults in at CREATE, these are the
 * last resort for a record that has none. */
void shim_restart_load_backoff(struct shim *sh)
{
	const struct record *r = &sh->rec;

	sh->backoff = (struct restart_backoff){
		.base_ms = r->restart_delay_ms ? r->restart_delay_ms : RESTART_DELAY_MS,
		.max_ms = r->restart_max_delay_ms ? r->restart_max_delay_ms : RESTART_MAX_DELAY_MS,
		.reset_ms = r->restart_reset_ms ? r->restart_reset_ms : RESTART_RESET_MS,
	};
}

/* A policy restart by the daemon: the last exit and the counters go on (the daemon
 * wrote its decision to exit.json before spawning us). */
void shim_restart_carry_counters(struct shim *sh)
{
	struct status last;
	struct kerr err;

	if (status_read(sh->dirfd, STORE_EXIT, &last, &err) < 0) {
		log_warn("%s: restart counters start at 0", err.msg);
		return;
	}
	sh->st.restart_count = last.restart_count + 1;
	sh->st.restart_streak = last.restart_streak;
	sh->st.started_ns = last.started_ns;
	sh->st.finished_ns = last.finished_ns;
	sh->st.exit_code = last.exit_code;
	sh->st.signal = last.signal;
}
