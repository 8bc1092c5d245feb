/*
 * shim_rpc: the shim's requests (role layer, top band). Included by shim.c only; see
 * shim_rpc.c for the handlers.
 */
#ifndef KETTLE_SHIM_RPC_H
#define KETTLE_SHIM_RPC_H

#include "shim/shim_state.h"

/* Serves the shim's RPC on the listening socket lfd (taken): sh->server. */
int shim_rpc_serve(struct shim *sh, int lfd, struct kerr *err);

#endif
