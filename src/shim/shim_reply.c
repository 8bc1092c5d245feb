/*
 * shim_reply: answers to requests and the ready frame (role layer, bottom band).
 *
 * Every reply of the shim goes through a connection id, looked up when it is sent: a
 * client that went away costs nothing and is never an error. The ready frame goes to the
 * daemon's pipe on fd 3 exactly once (the outcome of the first create, or why the shim
 * could not start). Bottom band: calls only shim_state of the role, never anything above.
 */
#include <stdio.h>

#include "base/fd.h"
#include "base/log.h"
#include "ipc/wire.h"
#include "shim/shim_reply.h"

struct rpc_conn *shim_reply_conn(uint64_t conn)
{
	return conn ? rpc_conn_find(conn) : NULL;
}

void shim_reply_ok(struct shim *sh, uint64_t conn, uint32_t reqid)
{
	struct rpc_conn *c = shim_reply_conn(conn);

	(void)sh;
	if (c)
		rpc_conn_send_ok(c, reqid);
}

void shim_reply_error(struct shim *sh, uint64_t conn, uint32_t reqid, uint32_t code,
		      const char *msg)
{
	struct rpc_conn *c = shim_reply_conn(conn);

	(void)sh;
	log_debug("request %u refused: %s", reqid, msg);
	if (c)
		rpc_conn_send_error(c, reqid, code, msg);
}

void shim_reply_refused(struct shim *sh, uint64_t conn, uint32_t reqid, const char *what)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "container `%s` %s", shim_state_short_id(sh), what);
	shim_reply_error(sh, conn, reqid, SHIM_ERR_CODE, msg);
}

void shim_reply_exit_code(struct shim *sh, uint64_t conn, uint32_t reqid, uint16_t type)
{
	struct rpc_conn *c = shim_reply_conn(conn);
	struct wire_enc e;
	struct kerr err;

	if (!c)
		return;
	wire_enc_begin(&e, rpc_conn_txbuf(c), type, reqid, 0);
	wire_enc_u32(&e, WIRE_F_EXIT_CODE, (uint32_t)sh->st.exit_code);
	if (wire_enc_end(&e, &err) == 0)
		rpc_conn_send(c);
}

void shim_reply_ready(struct shim *sh, uint32_t code, const char *msg)
{
	struct buf b;
	struct wire_enc e;
	struct kerr err;

	if (sh->readyfd < 0)
		return;
	buf_init(&b, WIRE_HDR_LEN + KERR_MSG_MAX + 64);
	wire_enc_begin(&e, &b, code ? WIRE_T_ERROR : WIRE_T_OK, 0, 0);
	if (code) {
		wire_enc_u32(&e, WIRE_F_CODE, code);
		wire_enc_str(&e, WIRE_F_MSG, msg && *msg ? msg : "the shim failed");
	} else {
		wire_enc_u32(&e, WIRE_F_PID, (uint32_t)sh->init_pid);
	}
	/* One small frame into an empty pipe: the write cannot block. A daemon that went
	 * away gives EPIPE (SIGPIPE is ignored); the container is then re-adopted later. */
	if (wire_enc_end(&e, &err) < 0 || fd_write_full(sh->readyfd, b.data, b.len, &err) < 0)
		log_warn("report readiness on fd %d: %s, ignoring", SHIM_READY_FD, err.msg);
	buf_done(&b);
	sh->readyfd = fd_close(sh->readyfd);
}
