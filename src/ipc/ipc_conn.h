/*
 * ipc_conn: non-blocking frame I/O on one connected socket, with SCM_RIGHTS fd passing
 * (mechanism M3).
 *
 * Per-connection receive and send buffers around the wire.c codec: a whole frame, need
 * more (EAGAIN), or an error (STYLE rule 17). Received fds are CLOEXEC, fstat-checked
 * (ipc_check_passed_fd), and all closed on any error or MSG_CTRUNC. Before authentication
 * only WIRE_AUTH_FRAME_MAX bytes and no fds are taken. Finding the peer and trusting it
 * is ipc.h's. Never logs.
 */
#ifndef KETTLE_IPC_CONN_H
#define KETTLE_IPC_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/kerr.h"
#include "ipc/wire.h"

#define IPC_FDS_MAX 8		       /* descriptors accepted with one frame */
#define IPC_TX_MAX  (8u * 1024 * 1024) /* queued output per connection before it is dropped */

struct ipc_conn {
	int fd;			 /* owned; closed by ipc_conn_done */
	struct buf rx;		 /* received bytes; a decoded frame points in here */
	size_t rx_used;		 /* bytes of rx consumed by the last returned frame */
	struct buf tx;		 /* queued output, capped at IPC_TX_MAX */
	int fds[IPC_FDS_MAX];	 /* fds that arrived with the last frame; owned */
	size_t nfds;		 /* valid entries of fds[] */
	int tx_fds[IPC_FDS_MAX]; /* fds to send with the first byte of tx; borrowed */
	size_t tx_nfds;		 /* valid entries of tx_fds[] */
	size_t max_frame;	 /* WIRE_AUTH_FRAME_MAX until authenticated */
	bool authed;		 /* the peer passed every check */
	bool eof;		 /* peer closed its side */
};

void ipc_conn_init(struct ipc_conn *c, int fd);
/* Closes fd and any held received fds; frees buffers. */
void ipc_conn_done(struct ipc_conn *c);
void ipc_conn_set_authed(struct ipc_conn *c);

/* Reads what is available and decodes one frame. Returns 1 with *f (valid until the next
 * call), 0 when more bytes are needed (EAGAIN), -1 with err on error. End of input is
 * -1 with err.code == 0 and c->eof set. Fds that arrived with a frame are held in c->fds
 * until ipc_conn_take_fds() or the next call (which closes them). */
int ipc_conn_recv(struct ipc_conn *c, struct wire_frame *f, struct kerr *err);
/* Moves up to max received fds to the caller; returns how many. */
size_t ipc_conn_take_fds(struct ipc_conn *c, int *fds, size_t max);

/* The outgoing buffer for wire_enc_begin(); frames appended there are sent by flush. */
struct buf *ipc_conn_txbuf(struct ipc_conn *c);
/* Attaches fds (borrowed until flushed) to the next frame appended to the tx buffer. */
int ipc_conn_attach_fds(struct ipc_conn *c, const int *fds, size_t n, struct kerr *err);
/* Writes queued bytes. Returns 1 when all is written, 0 when some remain (wait for
 * LOOP_WRITE), -1 on error. */
int ipc_conn_flush(struct ipc_conn *c, struct kerr *err);

/* Encodes and queues common frames. */
int ipc_conn_send_auth(struct ipc_conn *c, const char *token, struct kerr *err);
int ipc_conn_send_ok(struct ipc_conn *c, uint32_t reqid, struct kerr *err);
int ipc_conn_send_error(struct ipc_conn *c, uint32_t reqid, uint32_t code, const char *msg,
			struct kerr *err);

/* For the client role, which has one conversation and nothing else to do: flush and
 * wait (poll, bounded by timeout_ms; -1 for no bound) for the next frame. */
int ipc_conn_call_flush(struct ipc_conn *c, int timeout_ms, struct kerr *err);
int ipc_conn_wait_frame(struct ipc_conn *c, struct wire_frame *f, int timeout_ms, struct kerr *err);

#endif
