/*
 * rpc: loop-driven, authenticated connections for the long-lived roles (mechanism M3).
 *
 * Glues ipc (sockets, checks) and ipc_conn (frame I/O) to loop (readiness, deadlines) so the daemon
 * and the shim serve and call each other the same way:
 *   - rpc_server accepts, checks the peer (ipc_check_client), requires an AUTH frame
 *     with the token within IPC_AUTH_DEADLINE_MS (one ERROR frame then close otherwise),
 *     answers it with OK, and only then hands frames to the role's on_frame.
 *   - rpc_conn_dial connects to a recorded server (ipc_connect checks it first), sends
 *     AUTH, and dispatches every later frame (replies, stream items, events) to on_frame;
 *     the server's OK to the AUTH (request id 0) is consumed here.
 * Output is queued and flushed without blocking; a peer whose queue passes IPC_TX_MAX is
 * disconnected rather than allowed to grow memory or stall the loop. Closing is safe from
 * inside any callback (the object is freed after the callback returns). Connections have
 * 64-bit ids that are never reused, so a late reply can look its requester up and find
 * it gone instead of writing to a stranger. Never logs.
 */
#ifndef KETTLE_RPC_H
#define KETTLE_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "ipc/ipc.h"
#include "ipc/ipc_conn.h"
#include "base/kerr.h"
#include "ipc/loop.h"
#include "ipc/wire.h"

struct rpc_conn;
struct rpc_server;

struct rpc_conn_ops {
	/* An authenticated frame. Fds that came with it are in rpc_conn_ipc(c)->fds: take
	 * them with ipc_conn_take_fds() or they are closed after the callback. */
	void (*on_frame)(struct rpc_conn *c, const struct wire_frame *f, void *data);
	/* The connection is going away (peer closed, protocol error, rpc_conn_close). why
	 * says which; code 0 for a clean close. Called once; c is freed after it returns. */
	void (*on_close)(struct rpc_conn *c, const struct kerr *why, void *data);
};

/* Starts serving on a listening fd (owned afterwards). allowed_uid: besides root. */
struct rpc_server *rpc_server_new(struct loop *l, int lfd, const char *token, uid_t allowed_uid,
				  const struct rpc_conn_ops *ops, void *data, struct kerr *err);
/* Stops accepting (closes the listener); existing connections stay. */
void rpc_server_stop(struct rpc_server *s);
/* Closes the listener and every connection it accepted. Returns NULL. */
struct rpc_server *rpc_server_free(struct rpc_server *s);
size_t rpc_server_conn_count(const struct rpc_server *s);

/* Connects to the server recorded in dirfd/addr_file, checks it, queues AUTH. data is
 * the per-connection user pointer given to ops. */
struct rpc_conn *rpc_conn_dial(struct loop *l, int dirfd, const char *addr_file, const char *token,
			       const struct rpc_conn_ops *ops, void *data, struct kerr *err);

uint64_t rpc_conn_id(const struct rpc_conn *c);
/* The live connection with this id, or NULL when it has closed. */
struct rpc_conn *rpc_conn_find(uint64_t id);
void *rpc_conn_data(const struct rpc_conn *c);
void rpc_conn_set_data(struct rpc_conn *c, void *data);
struct ipc_conn *rpc_conn_ipc(struct rpc_conn *c);
/* Peer credentials captured at accept/connect (0 when unknown). */
pid_t rpc_conn_peer_pid(const struct rpc_conn *c);

/* Frames appended to this buffer (wire_enc_begin) are sent by rpc_conn_send. */
struct buf *rpc_conn_txbuf(struct rpc_conn *c);
/* Bytes queued and not yet written. */
size_t rpc_conn_pending(const struct rpc_conn *c);
/* Flushes what it can now and arms write readiness for the rest. On error, or when the
 * queue passes IPC_TX_MAX, the connection is closed (deferred). Returns 0 or -1. */
int rpc_conn_send(struct rpc_conn *c);
int rpc_conn_send_ok(struct rpc_conn *c, uint32_t reqid);
int rpc_conn_send_error(struct rpc_conn *c, uint32_t reqid, uint32_t code, const char *msg);
/* Sends a frame with attached fds (borrowed until written). */
int rpc_conn_send_fds(struct rpc_conn *c, const int *fds, size_t n, struct kerr *err);
/* Closes after flushing what is queued (best effort, never blocking). */
void rpc_conn_close(struct rpc_conn *c);

#endif
