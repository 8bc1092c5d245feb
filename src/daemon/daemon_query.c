/*
 * daemon_query: the INSPECT and RESOLVE requests (role, layer 3; middle band of the
 * daemon, called by daemon_api.c). Answered from the registry without asking any shim:
 * INSPECT as one JSON document (docker's shape, daemon_inspect.c; at most JSON_REPLY_MAX
 * bytes), RESOLVE as the container's id, name, status and its shim's address for streams.
 * LIST is daemon_list.c. Calls only the bottom band; never a shim, a completion or a
 * dispatcher. Never blocks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "daemon/daemon_inspect.h"
#include "daemon/daemon_query.h"
#include "daemon/daemon_net.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_reply.h"
#include "daemon/daemon_request.h"
#include "base/fd.h"
#include "store/store.h"

#define JSON_REPLY_MAX (KETTLE_FRAME_MAX - 4096) /* an INSPECT document */

void daemon_query_inspect(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = daemon_request_resolve_ref(d, conn, f);
	struct kerr err;
	struct buf b;

	if (!c)
		return;
	buf_init(&b, JSON_REPLY_MAX);
	if (daemon_inspect_json(d, c, &b, &err) < 0) {
		kerr_wrap(&err, "inspect `%.12s`", c->rec.id);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	} else {
		daemon_reply_json(conn, f->reqid, c->rec.id, &b);
	}
	buf_done(&b);
}

void daemon_query_resolve(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = daemon_request_resolve_ref(d, conn, f);
	char addr[IPC_NAME_MAX] = "";
	struct wire_enc e;
	struct kerr err;
	struct buf b;

	if (!c)
		return;
	if (daemon_ctr_shim_alive(c) && !daemon_ctr_spawning(c)) {
		_cleanup_close_ int dirfd = -1;
		pid_t pid;

		if (store_open_container(d->rootfd, c->rec.id, false, &dirfd, &err) < 0 ||
		    ipc_read_addr(dirfd, STORE_SHIM_ADDR, addr, &pid, &err) < 0 ||
		    pid != c->shim_pid)
			addr[0] = '\0';
	}
	buf_init(&b, STORE_FILE_MAX);
	if (status_to_json(&c->st, &b, &err) < 0) {
		buf_done(&b);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	wire_enc_begin(&e, rpc_conn_txbuf(conn), WIRE_T_OK, f->reqid, 0);
	wire_enc_str(&e, WIRE_F_ID, c->rec.id);
	wire_enc_str(&e, WIRE_F_NAME, c->rec.name);
	if (addr[0])
		wire_enc_str(&e, WIRE_F_ADDR, addr);
	wire_enc_bytes(&e, WIRE_F_JSON, b.data, b.len);
	buf_done(&b);
	if (wire_enc_end(&e, &err) < 0) {
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	rpc_conn_send(conn);
}
