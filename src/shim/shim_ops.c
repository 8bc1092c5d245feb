/*
 * shim_ops: pause, resume and live resource updates in the shim (role layer, mechanism band).
 * Each request is one runtime call (`runc pause`, `runc resume`, `runc update --resources
 * FILE`) whose completion answers the requester; the lifecycle state is untouched (a
 * paused container stays RUNNING, only its status says STATUS_PAUSED). SHIM_UPDATE carries
 * {"resources", "restart"}: the resources go to the runtime when a container exists, the
 * policy to the shim's record once the runtime accepted them; OK echoes the JSON, so the
 * daemon records exactly what was applied. Invariants: nothing blocks; every request is
 * answered once; a signal to a paused container is followed by a thaw. Calls only
 * shim_call and the bottom band; never the lifecycle table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "ipc/reqbody.h"
#include "ipc/request.h"
#include "store/restart.h"
#include "store/store.h"
#include "base/str.h"
#include "ipc/wire.h"
#include "shim/shim_call.h"
#include "shim/shim_emit.h"
#include "shim/shim_ops.h"
#include "shim/shim_reply.h"

#define OPS_ERR_CODE   125		/* refusals and runtime failures (docker's 125) */
#define RESOURCES_FILE "resources.json" /* in the container directory, for runc update */

_Static_assert(REQBODY_SHIM_UPDATE_JSON_MAX == REQUEST_SHIM_UPDATE_JSON_MAX,
	       "differs from request.c's");

static void refuse(struct shim *sh, uint64_t conn, uint32_t reqid, const char *what)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "container `%s` %s", shim_state_short_id(sh), what);
	shim_reply_error(sh, conn, reqid, OPS_ERR_CODE, msg);
}

/* A runc container exists and its init has not been reaped. */
static bool live(const struct shim *sh)
{
	return (sh->state == SHIM_S_RUNNING || sh->state == SHIM_S_STOPPING) && !sh->init_reaped;
}

/* ---- pause, resume ---- */

static void pause_done(void *owner, struct rtcall *call, int status)
{
	struct shim *sh = owner;
	char msg[STATUS_ERROR_MAX];

	if (shim_call_failed(sh, call, status, msg, sizeof(msg))) {
		shim_reply_error(sh, call->conn, call->reqid, OPS_ERR_CODE, msg);
		return;
	}
	if (sh->st.kind == STATUS_RUNNING && live(sh)) {
		sh->st.kind = STATUS_PAUSED;
		shim_state_save(sh);
		log_info("container paused");
		shim_emit_event(sh, "pause", NULL, NULL);
	}
	shim_reply_ok(sh, call->conn, call->reqid);
}

static void resume_done(void *owner, struct rtcall *call, int status)
{
	struct shim *sh = owner;
	char msg[STATUS_ERROR_MAX];

	if (shim_call_failed(sh, call, status, msg, sizeof(msg))) {
		if (call->conn)
			shim_reply_error(sh, call->conn, call->reqid, OPS_ERR_CODE, msg);
		else
			log_warn("thaw before a signal: %s, ignoring", msg);
		return;
	}
	if (sh->st.kind == STATUS_PAUSED) {
		sh->st.kind = STATUS_RUNNING;
		shim_state_save(sh);
		log_info("container resumed");
		shim_emit_event(sh, "unpause", NULL, NULL);
	}
	if (call->conn)
		shim_reply_ok(sh, call->conn, call->reqid);
}

static void simple_call(struct shim *sh, enum runtime_op op, rtcall_fn done, uint64_t conn,
			uint32_t reqid)
{
	struct runtime_call rc = { .op = op, .id = sh->id, .stdio = { -1, -1, -1 } };
	struct kerr err;

	if (!shim_call_spawn(sh, &rc, done, conn, reqid, &err)) {
		if (conn)
			shim_reply_error(sh, conn, reqid, OPS_ERR_CODE, err.msg);
		else
			log_error("%s", err.msg);
	}
}

static void req_pause(struct shim *sh, uint64_t conn, uint32_t reqid)
{
	if (sh->st.kind == STATUS_PAUSED)
		refuse(sh, conn, reqid, "is already paused");
	else if (!live(sh) || sh->st.kind != STATUS_RUNNING)
		refuse(sh, conn, reqid, "is not running");
	else
		simple_call(sh, RUNTIME_PAUSE, pause_done, conn, reqid);
}

static void req_resume(struct shim *sh, uint64_t conn, uint32_t reqid)
{
	if (sh->st.kind != STATUS_PAUSED)
		refuse(sh, conn, reqid, "is not paused");
	else
		simple_call(sh, RUNTIME_RESUME, resume_done, conn, reqid);
}

void shim_ops_thaw_for_signal(struct shim *sh)
{
	if (sh->st.kind != STATUS_PAUSED)
		return;
	log_info("thawing the paused container so the signal can act");
	simple_call(sh, RUNTIME_RESUME, resume_done, 0, 0);
}

/* ---- update ---- */

/* Sends OK{JSON} echoing what was applied. */
static void reply_echo(struct shim *sh, uint64_t conn, uint32_t reqid, const uint8_t *json,
		       size_t len)
{
	struct rpc_conn *c = shim_reply_conn(conn);
	struct wire_enc e;
	struct kerr err;

	if (!c)
		return;
	wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_OK, reqid, 0);
	wire_enc_bytes(&e, WIRE_F_JSON, json, len);
	if (wire_enc_end(&e, &err) < 0)
		shim_reply_error(sh, conn, reqid, OPS_ERR_CODE, err.msg);
	else
		rpc_conn_send(c);
}

static void apply_policy(struct shim *sh, const struct reqbody_shim_update *u)
{
	char policy[RESTART_POLICY_LEN];

	if (!u->has_restart)
		return;
	sh->rec.restart = u->restart;
	restart_format(&u->restart, policy, sizeof(policy));
	log_info("restart policy is now %s", policy);
}

/* The request's JSON rides in call->out (the call has no stdout of its own) so the
 * completion can apply the policy and echo it once the runtime accepted the resources. */
static void update_done(void *owner, struct rtcall *call, int status)
{
	struct shim *sh = owner;
	char msg[STATUS_ERROR_MAX];
	struct reqbody_shim_update u;
	struct kerr err;

	if (shim_call_failed(sh, call, status, msg, sizeof(msg))) {
		shim_reply_error(sh, call->conn, call->reqid, OPS_ERR_CODE, msg);
		return;
	}
	if (reqbody_parse_shim_update((const char *)call->out.data, call->out.len, &u, &err) < 0) {
		shim_reply_error(sh, call->conn, call->reqid, OPS_ERR_CODE, err.msg);
		return;
	}
	apply_policy(sh, &u);
	log_info("resources updated");
	reply_echo(sh, call->conn, call->reqid, call->out.data, call->out.len);
}

static void req_update(struct shim *sh, uint64_t conn, uint32_t reqid, const struct wire_frame *f)
{
	char path[PATH_MAX];
	const uint8_t *json;
	size_t len;
	struct reqbody_shim_update u;
	struct kerr err;

	if (wire_get_bytes(f, WIRE_F_JSON, true, &json, &len, &err) < 0) {
		shim_reply_error(sh, conn, reqid, OPS_ERR_CODE, err.msg);
		return;
	}
	if (reqbody_parse_shim_update((const char *)json, len, &u, &err) < 0) {
		shim_reply_error(sh, conn, reqid, OPS_ERR_CODE, err.msg);
		return;
	}
	/* No container to change: the next start takes the limits from config.json. */
	if (u.res_start < 0 || !live(sh)) {
		apply_policy(sh, &u);
		reply_echo(sh, conn, reqid, json, len);
		return;
	}
	if (store_write_atomic(sh->dirfd, RESOURCES_FILE, json + u.res_start,
			       (size_t)(u.res_end - u.res_start), 0600, false, &err) < 0 ||
	    store_container_path(sh->root, sh->id, RESOURCES_FILE, path, sizeof(path), &err) < 0) {
		shim_reply_error(sh, conn, reqid, OPS_ERR_CODE, err.msg);
		return;
	}
	struct runtime_call rc = {
		.op = RUNTIME_UPDATE,
		.id = sh->id,
		.file = path,
		.stdio = { -1, -1, -1 },
	};
	struct rtcall *call = shim_call_spawn(sh, &rc, update_done, conn, reqid, &err);
	if (!call || buf_append(&call->out, json, len, &err) < 0) {
		/* A started call still completes; without its JSON it answers an error. */
		if (!call)
			shim_reply_error(sh, conn, reqid, OPS_ERR_CODE, err.msg);
		return;
	}
}

void shim_ops_frame(struct shim *sh, struct rpc_conn *c, const struct wire_frame *f)
{
	uint64_t conn = rpc_conn_id(c);

	switch (f->type) {
	case WIRE_T_SHIM_PAUSE:
		req_pause(sh, conn, f->reqid);
		break;
	case WIRE_T_SHIM_RESUME:
		req_resume(sh, conn, f->reqid);
		break;
	case WIRE_T_SHIM_UPDATE:
		req_update(sh, conn, f->reqid, f);
		break;
	default:
		refuse(sh, conn, f->reqid, "got a request shim_ops does not serve");
		break;
	}
}
