/*
 * ttrpc_conn: one TTRPC connection's bytes: non-blocking reads into a receive buffer cut
 * into frames, and a send buffer flushed without blocking (mechanism).
 *
 * The caller owns the loop and calls in when the fd is readable or writable. A frame is
 * handed out only whole, its data pointing into the receive buffer until the next
 * ttrpc_conn_consume. A header announcing more than TTRPC_MSG_MAX is handed out once
 * (result TTRPC_CONN_OVERSIZE, so the caller can answer that stream) and its data is then
 * read and thrown away, never buffered. Receive memory grows with the largest frame and
 * is given back by ttrpc_conn_trim. Never logs.
 */
#ifndef KETTLE_TTRPC_CONN_H
#define KETTLE_TTRPC_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/kerr.h"
#include "ttrpc/ttrpc.h"

#define TTRPC_CONN_RX_MAX (TTRPC_HDR_LEN + TTRPC_MSG_MAX) /* receive buffer cap (bytes) */
#define TTRPC_CONN_TX_MAX (16u << 20) /* unsent replies before the peer is cut off (bytes) */

enum ttrpc_conn_result {
	TTRPC_CONN_ERROR = -1,	 /* protocol error or I/O failure: close the connection */
	TTRPC_CONN_MORE = 0,	 /* no whole frame yet */
	TTRPC_CONN_FRAME = 1,	 /* *h and *data hold one frame */
	TTRPC_CONN_OVERSIZE = 2, /* *h announces more than TTRPC_MSG_MAX; its data is skipped */
};

struct ttrpc_conn {
	int fd;	       /* owned; non-blocking stream socket */
	struct buf rx; /* received, not yet consumed; at most TTRPC_CONN_RX_MAX */
	struct buf tx; /* encoded, not yet written; at most TTRPC_CONN_TX_MAX */
	size_t skip;   /* data bytes of an oversized frame still to throw away */
	size_t framed; /* bytes of the frame last handed out (consumed next) */
	bool eof;      /* the peer closed its side */
};

/* Takes ownership of fd (already non-blocking and CLOEXEC). */
void ttrpc_conn_init(struct ttrpc_conn *c, int fd);
/* Closes the fd and frees both buffers; safe twice. */
void ttrpc_conn_done(struct ttrpc_conn *c);
/* Reads what is there: 1 when bytes arrived, 0 when none (EAGAIN), -1 with err on error;
 * EOF sets c->eof and returns 0. At most one buffer's worth per call. */
int ttrpc_conn_read(struct ttrpc_conn *c, struct kerr *err);
/* The next whole frame in the receive buffer (see enum ttrpc_conn_result). */
enum ttrpc_conn_result ttrpc_conn_next(struct ttrpc_conn *c, struct ttrpc_hdr *h,
				       const uint8_t **data, struct kerr *err);
/* Drops the frame ttrpc_conn_next handed out. */
void ttrpc_conn_consume(struct ttrpc_conn *c);
/* Writes what it can: the bytes still unsent, or -1 with err (EPIPE when the peer left). */
int ttrpc_conn_flush(struct ttrpc_conn *c, size_t *left, struct kerr *err);
/* Gives back receive and send memory beyond what is in use. */
void ttrpc_conn_trim(struct ttrpc_conn *c);

#endif
