/*
 * shimv2_reply: TTRPC responses on containerd's connections (role layer, bottom band).
 * Included by every file that answers a call; see shimv2_reply.c.
 */
#ifndef KETTLE_SHIMV2_REPLY_H
#define KETTLE_SHIMV2_REPLY_H

#include "shimv2/shimv2_state.h"
#include "ttrpc/pb.h"
#include "ttrpc/ttrpc.h"

/* A response being encoded: shimv2_reply_begin positions e inside Response.payload. */
struct shimv2_reply {
	struct shimv2_conn *c; /* borrowed */
	uint32_t sid;	       /* stream answered */
	size_t mark;	       /* the frame's start in c's send buffer */
	struct pb_enc e;       /* encodes the method's response message */
};

/* False when the connection has gone (nothing to encode, the caller skips). */
bool shimv2_reply_begin(struct shimv2 *sv, uint64_t conn, uint32_t sid, struct shimv2_reply *r);
/* Closes the payload and sends the frame (an encoding failure answers Internal instead). */
void shimv2_reply_end(struct shimv2 *sv, struct shimv2_reply *r);
/* google.protobuf.Empty. */
void shimv2_reply_empty(struct shimv2 *sv, uint64_t conn, uint32_t sid);
/* A status instead of a payload. */
void shimv2_reply_error(struct shimv2 *sv, uint64_t conn, uint32_t sid, enum ttrpc_code code,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Writes what the connection's send buffer holds; what the socket does not take waits for
 * writability (the connection's loop callback flushes it). */
void shimv2_reply_flush(struct shimv2 *sv, struct shimv2_conn *c);

#endif
