/*
 * shim_call: the runtime processes the shim has in flight (role layer, mechanism band).
 * Included by the lifecycle steps, shim_ops.c and the top (shim.c, shim_rpc.c,
 * shim_supervise.c); the calls themselves are supervise/rtcall.h's, kept in sh->calls.
 */
#ifndef KETTLE_SHIM_CALL_H
#define KETTLE_SHIM_CALL_H

#include "shim/shim_state.h"

/* Starts one runtime process into a free slot on behalf of conn/reqid (0 for none): done
 * runs once it is reaped, with the shim as its owner (NULL: a lifecycle call, whose result
 * the reaper feeds to the table). Returns the call's slot, or NULL with err when it could
 * not be started. */
struct rtcall *shim_call_spawn(struct shim *sh, struct runtime_call *rc, rtcall_fn done,
			       uint64_t conn, uint32_t reqid, struct kerr *err);
/* shim_call_spawn of op on the container without stdio: sig for KILL, flag is --all for
 * KILL and --force for DELETE. */
int shim_call_spawn_simple(struct shim *sh, enum runtime_op op, rtcall_fn done, int sig, bool flag,
			   uint64_t conn, uint32_t reqid, struct kerr *err);
/* True when the call failed; msg then holds the runtime's own error (or how it ended). */
bool shim_call_failed(struct shim *sh, const struct rtcall *call, int status, char *msg,
		      size_t cap);
/* Starts `runc ps` for a SHIM_PIDS request; the reply is sent when it completes. */
void shim_call_pids(struct shim *sh, uint64_t conn, uint32_t reqid);
/* Runtime calls still in flight. */
size_t shim_call_count(const struct shim *sh);
/* Forgets every runtime call in flight (they finish as orphans); for the final teardown. */
void shim_call_done(struct shim *sh);

#endif
