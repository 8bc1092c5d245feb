/*
 * daemon_shimlink: the daemon's requests to each shim (role, layer 3; middle band of the
 * daemon). Dials a shim's recorded address, checks that the peer is the pid that holds its
 * lock, subscribes to its EVENT stream and asks its state; sends requests with fresh ids
 * kept in the container's pending list. What comes back on the connection goes to the
 * callbacks daemon_watch.c registered (d->shim_cbs), through rpc.c and the loop alone.
 * Calls only the bottom band; never a handler, a completion or a dispatcher. Never blocks.
 */
#include <errno.h>

#include "daemon/daemon_shimlink.h"
#include "daemon/daemon_registry.h"
#include "base/fd.h"
#include "store/store.h"

static uint32_t new_reqid(struct daemon *d)
{
	if (++d->next_reqid == 0)
		d->next_reqid = 1;
	return d->next_reqid;
}

static int encode_req(struct rpc_conn *conn, const struct daemon_shimlink_req *req, uint32_t reqid,
		      struct kerr *err)
{
	struct wire_enc e;

	wire_enc_begin(&e, rpc_conn_txbuf(conn), req->type, reqid, 0);
	if (req->signal)
		wire_enc_u32(&e, WIRE_F_SIGNAL, req->signal);
	if (req->type == WIRE_T_SHIM_KILL)
		wire_enc_u32(&e, WIRE_F_ALL, req->all ? 1 : 0);
	if (req->type == WIRE_T_SHIM_DELETE)
		wire_enc_u32(&e, WIRE_F_FORCE, req->force ? 1 : 0);
	if (req->timeout_ms)
		wire_enc_u64(&e, WIRE_F_TIMEOUT_MS, req->timeout_ms);
	if (req->forever)
		wire_enc_u32(&e, WIRE_F_FOREVER, 1);
	if (req->shutdown)
		wire_enc_u32(&e, WIRE_F_SHUTDOWN, 1);
	if (req->json)
		wire_enc_str(&e, WIRE_F_JSON, req->json);
	return wire_enc_end(&e, err);
}

/* Connects to c's shim (c->shim_pid), subscribes to its events and asks its state. */
int daemon_shimlink_connect(struct daemon *d, struct daemon_ctr *c, struct kerr *err)
{
	_cleanup_close_ int dirfd = -1;

	if (store_open_container(d->rootfd, c->rec.id, false, &dirfd, err) < 0)
		return -1;
	struct rpc_conn *conn =
		rpc_conn_dial(d->loop, dirfd, STORE_SHIM_ADDR, d->token, d->shim_cbs.conn, c, err);
	if (!conn)
		return kerr_wrap(err, "connect to the shim of `%.12s`", c->rec.id);
	pid_t peer = rpc_conn_peer_pid(conn);
	if (peer != c->shim_pid) {
		rpc_conn_set_data(conn, NULL);
		rpc_conn_close(conn);
		return kerr_set(err, EACCES,
				"the shim of `%.12s` answers as pid %d but pid %d holds its lock",
				c->rec.id, (int)peer, (int)c->shim_pid);
	}
	c->shim_conn = rpc_conn_id(conn);
	c->events_reqid = new_reqid(d);
	struct daemon_shimlink_req events = { .type = WIRE_T_EVENTS };
	struct daemon_shimlink_req state = { .type = WIRE_T_SHIM_STATE };
	uint32_t state_id = new_reqid(d);
	if (encode_req(conn, &events, c->events_reqid, err) < 0 ||
	    encode_req(conn, &state, state_id, err) < 0)
		return kerr_wrap(err, "subscribe to the shim of `%.12s`", c->rec.id);
	if (!daemon_pend_add(c, DAEMON_PEND_STATE, state_id, 0, 0, err))
		return -1;
	if (rpc_conn_send(conn) < 0)
		return kerr_set(err, EPIPE, "send to the shim of `%.12s`", c->rec.id);
	return 0;
}

int daemon_shimlink_send(struct daemon *d, struct daemon_ctr *c,
			 const struct daemon_shimlink_req *req, uint32_t *reqid, struct kerr *err)
{
	struct rpc_conn *conn = rpc_conn_find(c->shim_conn);

	if (!conn) {
		if (!daemon_ctr_shim_alive(c) || daemon_ctr_spawning(c))
			return kerr_set(err, 0, "the shim of container `%.12s` is not running",
					c->rec.id);
		if (daemon_shimlink_connect(d, c, err) < 0)
			return -1;
		conn = rpc_conn_find(c->shim_conn);
		if (!conn)
			return kerr_set(err, EPIPE, "the shim of `%.12s` closed the connection",
					c->rec.id);
	}
	*reqid = new_reqid(d);
	if (encode_req(conn, req, *reqid, err) < 0)
		return -1;
	if (rpc_conn_send(conn) < 0)
		return kerr_set(err, EPIPE, "send %s to the shim of `%.12s`",
				wire_type_name(req->type), c->rec.id);
	return 0;
}

int daemon_shimlink_start(struct daemon *d, struct daemon_ctr *c, struct daemon_pend *p,
			  struct kerr *err)
{
	for (struct daemon_pend *q = c->pend; q; q = q->next) {
		if (q != p && q->kind == DAEMON_PEND_START && q->shim_reqid) {
			p->shim_reqid = q->shim_reqid;
			return 0;
		}
	}
	struct daemon_shimlink_req req = { .type = WIRE_T_SHIM_START };
	return daemon_shimlink_send(d, c, &req, &p->shim_reqid, err);
}
