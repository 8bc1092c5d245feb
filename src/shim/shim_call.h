/*
 * shim_call: the runtime processes the shim has in flight (role layer, mechanism band).
 * Included by the lifecycle steps, shim_ops.c and the top (shim.c, shim_rpc.c,
 * shim_supervise.c); what a call keeps and never does is in shim_call.c.
 */
#ifndef KETTLE_SHIM_CALL_H
#define KETTLE_SHIM_CALL_H

#include "shim/shim_state.h"

/* Starts one runtime process into a free slot on behalf of conn/reqid (0 for none): done
 * runs once it is reaped (NULL: a lifecycle call, see struct shim_call). Returns the
 * call's slot, or NULL with err when it could not be started. */
struct shim_call *shim_call_spawn(struct shim *sh, struct runtime_call *rc, shim_call_fn done,
				  uint64_t conn, uint32_t reqid, struct kerr *err);
/* shim_call_spawn of op on the container without stdio: sig for KILL, flag is --all for
 * KILL and --force for DELETE. */
int shim_call_spawn_simple(struct shim *sh, enum runtime_op op, shim_call_fn done, int sig,
			   bool flag, uint64_t conn, uint32_t reqid, struct kerr *err);
/* True when the call failed; msg then holds the runtime's own error (or how it ended). */
bool shim_call_failed(struct shim *sh, const struct shim_call *call, int status, char *msg,
		      size_t cap);
/* The call's process was reaped: its timer is cancelled and the rest of its output read. */
void shim_call_reaped(struct shim *sh, struct shim_call *call);
/* Frees the call's slot (after its result was used). */
void shim_call_free(struct shim *sh, struct shim_call *call);
/* shim_call_reaped, its completion with status, shim_call_free. */
void shim_call_complete(struct shim *sh, struct shim_call *call, int status);
/* Starts `runc ps` for a SHIM_PIDS request; the reply is sent when it completes. */
void shim_call_pids(struct shim *sh, uint64_t conn, uint32_t reqid);
/* Runtime calls still in flight. */
size_t shim_call_count(const struct shim *sh);
/* Forgets every runtime call in flight (they finish as orphans); for the final teardown. */
void shim_call_done(struct shim *sh);

#endif
