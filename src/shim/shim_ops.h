/*
 * shim_ops: pause, resume, live update (role layer, mechanism band). Included by
 * shim_rpc.c only; see shim_ops.c.
 */
#ifndef KETTLE_SHIM_OPS_H
#define KETTLE_SHIM_OPS_H

#include "shim/shim_state.h"

struct wire_frame;

/* SHIM_PAUSE, SHIM_RESUME, SHIM_UPDATE. */
void shim_ops_frame(struct shim *sh, struct rpc_conn *c, const struct wire_frame *f);
/* A paused container is about to be signalled (kill, stop, delete): thaw it so the
 * signal can act (a frozen task cannot even die of SIGKILL under the v1 freezer). */
void shim_ops_thaw_for_signal(struct shim *sh);

#endif
