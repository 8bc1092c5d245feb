/*
 * shim_wait: the waiter table, replies the shim owes for later (role layer, bottom band).
 *
 * A request answered later (WAIT, START, STOP, DELETE) and a subscription (ATTACH,
 * EVENTS) is one entry of sh->waiters: kind, connection id, request id. An entry is
 * answered once and removed; a closed connection only marks its entries (conn 0), which
 * are dropped outside any walk of the table. Bottom band: calls only shim_reply and
 * shim_state of the role.
 */
#include <stdio.h>

#include "ipc/wire.h"
#include "shim/shim_reply.h"
#include "shim/shim_wait.h"

void shim_wait_compact(struct shim *sh)
{
	size_t i = 0;

	while (i < sh->nwaiters) {
		if (sh->waiters[i].conn == 0)
			sh->waiters[i] = sh->waiters[--sh->nwaiters];
		else
			i++;
	}
}

bool shim_wait_add(struct shim *sh, enum shim_wait_kind kind, uint64_t conn, uint32_t reqid,
		   uint32_t streams)
{
	if (sh->nwaiters == SHIM_WAITERS_MAX) {
		char msg[96];

		shim_wait_compact(sh);
		if (sh->nwaiters < SHIM_WAITERS_MAX)
			return shim_wait_add(sh, kind, conn, reqid, streams);

		snprintf(msg, sizeof(msg), "too many pending requests (%d) in the shim",
			 SHIM_WAITERS_MAX);
		shim_reply_error(sh, conn, reqid, 125, msg);
		return false;
	}
	sh->waiters[sh->nwaiters++] = (struct shim_waiter){
		.kind = kind,
		.conn = conn,
		.reqid = reqid,
		.streams = streams,
	};
	return true;
}

void shim_wait_finish(struct shim *sh, enum shim_wait_kind kind, uint32_t code, const char *msg)
{
	size_t i = 0;

	while (i < sh->nwaiters) {
		struct shim_waiter w = sh->waiters[i];

		if (w.kind != kind) {
			i++;
			continue;
		}
		sh->waiters[i] = sh->waiters[--sh->nwaiters];
		switch (kind) {
		case SHIM_W_WAIT:
			shim_reply_exit_code(sh, w.conn, w.reqid, WIRE_T_OK);
			break;
		case SHIM_W_ATTACH:
			shim_reply_exit_code(sh, w.conn, w.reqid, WIRE_T_END);
			break;
		case SHIM_W_EVENTS: {
			struct rpc_conn *c = shim_reply_conn(w.conn);
			struct wire_enc e;
			struct kerr err;

			if (!c)
				break;
			wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_END, w.reqid, 0);
			if (wire_enc_end(&e, &err) == 0)
				rpc_conn_send(c);
			break;
		}
		default:
			if (code)
				shim_reply_error(sh, w.conn, w.reqid, code, msg ? msg : "failed");
			else
				shim_reply_ok(sh, w.conn, w.reqid);
			break;
		}
	}
}

void shim_wait_tell_exit(struct shim *sh)
{
	if (sh->exit_told)
		return;
	sh->exit_told = true;
	shim_wait_finish(sh, SHIM_W_WAIT, 0, NULL);
	shim_wait_finish(sh, SHIM_W_STOP, 0, NULL);
	shim_wait_finish(sh, SHIM_W_ATTACH, 0, NULL);
}
