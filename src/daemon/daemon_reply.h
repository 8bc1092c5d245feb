/*
 * daemon_reply: the daemon's answers to clients, by conn id or on a connection (role,
 * layer 3; bottom band of the daemon). Used by every band; calls no other daemon file.
 * A client that has gone is skipped.
 */
#ifndef KETTLE_DAEMON_REPLY_H
#define KETTLE_DAEMON_REPLY_H

#include "daemon/daemon_state.h"

/* Replies to a client by conn id; a client that has gone is skipped. */
void daemon_reply_ok(uint64_t client, uint32_t reqid);
void daemon_reply_error(uint64_t client, uint32_t reqid, uint32_t code, const char *msg);
void daemon_reply_exit(uint64_t client, uint32_t reqid, int exit_code);
/* OK with a JSON document field (LIST, INSPECT), and ID when id is not NULL; a reply the
 * frame cannot hold becomes an ERROR. */
void daemon_reply_json(struct rpc_conn *conn, uint32_t reqid, const char *id,
		       const struct buf *json);
/* Logs (debug) and sends an ERROR frame with err's message. */
void daemon_reply_fail(struct rpc_conn *conn, uint32_t reqid, uint32_t code,
		       const struct kerr *err);

#endif
