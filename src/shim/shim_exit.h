/*
 * shim_exit: the container's exit and its deletion, transitions of the lifecycle table
 * (role layer, a lifecycle step). Included by shim_start.c and shim_supervise.c only;
 * see shim_exit.c.
 */
#ifndef KETTLE_SHIM_EXIT_H
#define KETTLE_SHIM_EXIT_H

#include "shim/shim_state.h"

/* The init exited with status: exit.json first, then the output is drained (EXITED). */
void shim_exit_record(struct shim *sh, int status);
/* `runc delete --force` into state next; a spawn failure becomes DELETE_DONE. */
void shim_exit_delete(struct shim *sh, enum shim_state next);
/* EXIT while running or stopping. */
void shim_exit_running(struct shim *sh, const struct shim_ev *ev);
/* EXIT while created: held (--run), it waits for START like the output. */
void shim_exit_created(struct shim *sh, const struct shim_ev *ev);
/* EXIT while `runc start` is in flight: told after START_DONE/FAILED. */
void shim_exit_starting(struct shim *sh, const struct shim_ev *ev);
/* EXIT while deleting: the init of a created container ended by the forced delete. */
void shim_exit_deleting(struct shim *sh, const struct shim_ev *ev);
/* DRAINED: everyone is told, then the corpse is deleted. */
void shim_exit_on_drained(struct shim *sh, const struct shim_ev *ev);
/* DELETE_REQ while created. */
void shim_exit_on_delete_req(struct shim *sh, const struct shim_ev *ev);
/* STOP_REQ while created: OK (nothing runs), but deleted when the host shuts down. */
void shim_exit_stop_created(struct shim *sh, const struct shim_ev *ev);
/* DELETE_REQ while a delete is in flight or still to come: answered when it finishes. */
void shim_exit_join_delete(struct shim *sh, const struct shim_ev *ev);
/* DELETE_REQ while starting, running or stopping: only with force. */
void shim_exit_delete_running(struct shim *sh, const struct shim_ev *ev);
/* DELETE_DONE: the restart policy decides after an exit, else supervision ends. */
void shim_exit_on_deleted(struct shim *sh, const struct shim_ev *ev);

#endif
