/*
 * shim_restart: the restart policy and its backoff (role layer, a lifecycle step).
 * Included by shim_exit.c and shim_supervise.c only; see shim_restart.c.
 */
#ifndef KETTLE_SHIM_RESTART_H
#define KETTLE_SHIM_RESTART_H

#include "shim/shim_state.h"

/* The exited container is deleted: restart after a backoff (BACKOFF) or finish. */
void shim_restart_apply_policy(struct shim *sh);
/* RESTART_TIMER: BACKOFF is over, the container is created again. */
void shim_restart_begin(struct shim *sh, const struct shim_ev *ev);
/* STOP_REQ or KILL_REQ in BACKOFF: supervision ends, the requester hears OK. */
void shim_restart_stop_backoff(struct shim *sh, const struct shim_ev *ev);
/* DELETE_REQ in BACKOFF: supervision ends, the requester hears OK. */
void shim_restart_delete_backoff(struct shim *sh, const struct shim_ev *ev);
/* START_REQ in BACKOFF: restart now. */
void shim_restart_start_backoff(struct shim *sh, const struct shim_ev *ev);
/* sh->backoff from the record's knobs (restart.c's defaults for those unset). */
void shim_restart_load_backoff(struct shim *sh);
/* A restart by the daemon: restart counters and the last exit from exit.json. */
void shim_restart_carry_counters(struct shim *sh);

#endif
