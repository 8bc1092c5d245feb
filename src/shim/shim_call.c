/*
 * shim_call: the runtime processes the shim has in flight (role layer, mechanism band).
 * Every runc invocation of the lifecycle (create, start, kill, delete, ps), of shim_ops.c
 * (pause, resume, update) and of shim_exec.c is a slot of sh->calls, the rtcall set the
 * containerd shim v2 uses too (supervise/rtcall.c): started without waiting, killed by a
 * runtime_timeout_ms deadline when it hangs, and finished when shim_supervise_reap reaps
 * it: by its completion, which answers a requester, or (lifecycle calls, no completion)
 * by the reaper feeding the table. This file adds what is the shim's own: the requester,
 * the log lines, and the PIDS reply. Nothing here waits. Calls only shim_reply and
 * shim_state of the role.
 */
#include <stdio.h>

#include "base/log.h"
#include "ipc/wire.h"
#include "shim/shim_call.h"
#include "shim/shim_reply.h"

struct rtcall *shim_call_spawn(struct shim *sh, struct runtime_call *rc, rtcall_fn done,
			       uint64_t conn, uint32_t reqid, struct kerr *err)
{
	struct rtcall *call = rtcall_spawn(&sh->calls, rc, rc->op == RUNTIME_PS, done, NULL, err);

	if (!call)
		return NULL;
	call->conn = conn;
	call->reqid = reqid;
	if (!call->timer)
		log_warn("runtime %s has no timeout, ignoring", rtcall_op_name(rc->op));
	log_debug("runtime %s started as pid %d", rtcall_op_name(rc->op), (int)call->pid);
	return call;
}

bool shim_call_failed(struct shim *sh, const struct rtcall *call, int status, char *msg, size_t cap)
{
	struct kerr log_err;
	bool failed = rtcall_failed(call, status, msg, cap, &log_err);

	(void)sh;
	if (log_err.msg[0])
		log_warn("%s, ignoring", log_err.msg);
	if (call->timed_out)
		log_warn("runtime %s (pid %d) was still running after its timeout: killed",
			 rtcall_op_name(call->op), (int)call->pid);
	return failed;
}

size_t shim_call_count(const struct shim *sh)
{
	return rtcall_count(&sh->calls);
}

void shim_call_done(struct shim *sh)
{
	/* Runtime processes still running finish as orphans; we only drop our handles. */
	rtcall_set_done(&sh->calls);
}

static void ps_done(void *owner, struct rtcall *call, int status)
{
	struct shim *sh = owner;
	char msg[STATUS_ERROR_MAX];
	struct rpc_conn *c;
	struct wire_enc e;
	struct kerr err;

	if (shim_call_failed(sh, call, status, msg, sizeof(msg))) {
		shim_reply_error(sh, call->conn, call->reqid, SHIM_ERR_CODE, msg);
		return;
	}
	c = shim_reply_conn(call->conn);
	if (!c)
		return;
	size_t len = call->out.len;
	while (len > 0 && (call->out.data[len - 1] == '\n' || call->out.data[len - 1] == ' '))
		len--;
	wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_OK, call->reqid, 0);
	if (len == 0 || call->out_cut)
		wire_enc_str(&e, WIRE_F_JSON, len == 0 ? "[]" : "");
	else
		wire_enc_bytes(&e, WIRE_F_JSON, call->out.data, len);
	if (wire_enc_end(&e, &err) < 0) {
		shim_reply_error(sh, call->conn, call->reqid, SHIM_ERR_CODE, err.msg);
		return;
	}
	rpc_conn_send(c);
}

int shim_call_spawn_simple(struct shim *sh, enum runtime_op op, rtcall_fn done, int sig, bool flag,
			   uint64_t conn, uint32_t reqid, struct kerr *err)
{
	struct runtime_call rc = {
		.op = op,
		.id = sh->id,
		.signal = sig,
		.all = op == RUNTIME_KILL && flag,
		.force = op == RUNTIME_DELETE && flag,
		.stdio = { -1, -1, -1 },
	};

	return shim_call_spawn(sh, &rc, done, conn, reqid, err) ? 0 : -1;
}

void shim_call_pids(struct shim *sh, uint64_t conn, uint32_t reqid)
{
	struct runtime_call rc = {
		.op = RUNTIME_PS,
		.id = sh->id,
		.stdio = { -1, -1, -1 },
	};
	struct kerr err;

	if (sh->state < SHIM_S_CREATED || sh->state > SHIM_S_STOPPING) {
		struct rpc_conn *c = shim_reply_conn(conn);
		struct wire_enc e;

		if (!c)
			return;
		wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_OK, reqid, 0);
		wire_enc_str(&e, WIRE_F_JSON, "[]");
		if (wire_enc_end(&e, &err) == 0)
			rpc_conn_send(c);
		return;
	}
	if (!shim_call_spawn(sh, &rc, ps_done, conn, reqid, &err))
		shim_reply_error(sh, conn, reqid, SHIM_ERR_CODE, err.msg);
}
