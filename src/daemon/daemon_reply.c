/*
 * daemon_reply: the daemon's answers to clients (role, layer 3; bottom band of the daemon).
 *
 * A reply by client conn id goes through rpc_conn_find, so a client that left is simply
 * skipped; a failed request is logged at debug level once, here, and answered with one
 * ERROR frame. Calls no other daemon file. Never blocks.
 */
#include "daemon/daemon_reply.h"
#include "base/log.h"

void daemon_reply_ok(uint64_t client, uint32_t reqid)
{
	struct rpc_conn *conn = rpc_conn_find(client);

	if (conn)
		rpc_conn_send_ok(conn, reqid);
}

void daemon_reply_error(uint64_t client, uint32_t reqid, uint32_t code, const char *msg)
{
	struct rpc_conn *conn = rpc_conn_find(client);

	if (conn)
		rpc_conn_send_error(conn, reqid, code, msg);
}

void daemon_reply_exit(uint64_t client, uint32_t reqid, int exit_code)
{
	struct rpc_conn *conn = rpc_conn_find(client);
	struct wire_enc e;
	struct kerr err;

	if (!conn)
		return;
	wire_enc_begin(&e, rpc_conn_txbuf(conn), WIRE_T_OK, reqid, 0);
	wire_enc_u32(&e, WIRE_F_EXIT_CODE, (uint32_t)(exit_code & 0xff));
	if (wire_enc_end(&e, &err) < 0) {
		rpc_conn_send_error(conn, reqid, DAEMON_FAIL_CODE, err.msg);
		return;
	}
	rpc_conn_send(conn);
}

void daemon_reply_fail(struct rpc_conn *conn, uint32_t reqid, uint32_t code, const struct kerr *err)
{
	log_debug("request %u failed: %s", reqid, err->msg);
	rpc_conn_send_error(conn, reqid, code, err->msg);
}

void daemon_reply_json(struct rpc_conn *conn, uint32_t reqid, const char *id,
		       const struct buf *json)
{
	struct wire_enc e;
	struct kerr err;

	wire_enc_begin(&e, rpc_conn_txbuf(conn), WIRE_T_OK, reqid, 0);
	if (id)
		wire_enc_str(&e, WIRE_F_ID, id);
	wire_enc_bytes(&e, WIRE_F_JSON, json->data, json->len);
	if (wire_enc_end(&e, &err) < 0) {
		kerr_wrap(&err, "reply");
		daemon_reply_fail(conn, reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	rpc_conn_send(conn);
}
