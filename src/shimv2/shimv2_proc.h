/*
 * shimv2_proc: the processes of the tasks: created, started, signalled, reaped, their
 * exits told (role layer, mechanism band). Included by shimv2_task.c and the top; see
 * shimv2_proc.c.
 */
#ifndef KETTLE_SHIMV2_PROC_H
#define KETTLE_SHIMV2_PROC_H

#include "shimv2/shimv2_state.h"

/* Once per server: the hooks io and rtcall completions need. */
void shimv2_proc_setup(struct shimv2 *sv);
/* A new process of t (its init when exec_id is ""): nothing open, nothing running. */
void shimv2_proc_init(struct shimv2 *sv, struct shimv2_task *t, struct shimv2_proc *p,
		      const char *exec_id);
/* Opens the init's stdio and starts `runtime create`; answers conn/sid with
 * CreateTaskResponse{pid} (and publishes TaskCreate) or an error once it completes, and
 * removes the task on failure. On an immediate failure (-1) the caller answers and removes. */
int shimv2_proc_create(struct shimv2 *sv, struct shimv2_task *t, uint64_t conn, uint32_t sid,
		       struct kerr *err);
/* Start of the init (`runtime start`) or of an exec (`runtime exec --detach`); answers
 * StartResponse{pid} and publishes TaskStart or TaskExecStarted. */
int shimv2_proc_start(struct shimv2 *sv, struct shimv2_proc *p, uint64_t conn, uint32_t sid,
		      struct kerr *err);
/* Kill: answers Empty or an error (now, or when `runtime kill` completes). */
void shimv2_proc_kill(struct shimv2 *sv, struct shimv2_proc *p, uint32_t sig, bool all,
		      uint64_t conn, uint32_t sid);
/* Delete: an exec at once; the init through `runtime delete`, then the task goes (rootfs
 * unmounted, TaskDelete published). Answers DeleteResponse or an error. */
void shimv2_proc_delete(struct shimv2 *sv, struct shimv2_proc *p, uint64_t conn, uint32_t sid);
/* Wait: answered at once when the exit was told, else parked. */
void shimv2_proc_wait(struct shimv2 *sv, struct shimv2_proc *p, uint64_t conn, uint32_t sid);
/* A pause or resume completed: status and event (TaskPaused, TaskResumed). */
void shimv2_proc_paused(struct shimv2 *sv, struct shimv2_task *t, bool paused);
/* A child was reaped that no runtime call claims: a process's exit, or one kept for later. */
void shimv2_proc_reaped(struct shimv2 *sv, pid_t pid, int status);
/* Frees the task (every process's stdio closed, waits dropped, rootfs unmounted). */
void shimv2_proc_task_remove(struct shimv2 *sv, struct shimv2_task *t);
/* Drops the parked waits of a connection that closed. */
void shimv2_proc_forget_conn(struct shimv2 *sv, uint64_t conn);

#endif
