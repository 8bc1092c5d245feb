/*
 * shim_supervise: the lifecycle table and what feeds it from the loop (role layer,
 * top band). Included by shim.c and shim_rpc.c only: nothing below the top calls it;
 * see shim_supervise.c.
 */
#ifndef KETTLE_SHIM_SUPERVISE_H
#define KETTLE_SHIM_SUPERVISE_H

#include "shim/shim_state.h"

/* Feeds one event through the state x event table, then what its transition left. */
void shim_supervise_event(struct shim *sh, const struct shim_ev *ev);
/* Starts the first `runc create` (state CREATING). restart: started by the daemon to
 * apply the restart policy (after a lost shim or a reboot): the counters of the last
 * exit are carried on and the container is started as soon as it is created. With
 * sh->run_first (`--run`, for `kettle run`) it is `runc run --detach` instead, and the
 * running container is held as "created" until SHIM_START (shim_create.c). */
int shim_supervise_start(struct shim *sh, bool restart, struct kerr *err);
/* SIGCHLD: reaps every exited child until none is left. */
void shim_supervise_reap(struct shim *sh);

#endif
