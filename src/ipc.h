/*
 * ipc: finding and trusting each other over abstract Unix sockets (mechanism M3).
 *
 * Implements ARCHITECTURE.md "Finding each other": flock files are the real locks;
 * every server start binds a fresh unguessable name "@kettle/<32 hex>" and records it
 * with its pid in an address file (atomic replace); both sides check each other, server
 * first (SO_PEERCRED uid and recorded pid before the client sends anything; then the
 * client's uid, pid namespace, root directory and the token in its first frame).
 * Frame I/O is non-blocking, with SCM_RIGHTS fd passing: received fds are CLOEXEC,
 * fstat-checked (pipe, socket, char device, regular file only), and all closed on any
 * error or MSG_CTRUNC. Never logs.
 */
#ifndef KETTLE_IPC_H
#define KETTLE_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "kerr.h"
#include "wire.h"

#define IPC_NAME_MAX	     64 /* abstract name, without the leading NUL, plus NUL */
#define IPC_TOKEN_BYTES	     32 /* random bytes in auth.token */
#define IPC_TOKEN_HEX	     (2 * IPC_TOKEN_BYTES)
#define IPC_FDS_MAX	     8	  /* descriptors accepted with one frame */
#define IPC_AUTH_DEADLINE_MS 2000 /* a peer that has not authenticated by then is dropped */
#define IPC_TX_MAX	     (8u * 1024 * 1024) /* queued output per connection before it is dropped */

/* Takes flock(LOCK_EX|LOCK_NB) on dirfd/name (created 0600), writes our pid into it and
 * returns the held fd. If another process holds it: -1 with err "… is held by pid N". */
int ipc_lock_take(int dirfd, const char *name, int *lockfd, struct kerr *err);
/* Returns 1 and the holder's pid when someone holds the lock, 0 when it is free. */
int ipc_lock_probe(int dirfd, const char *name, pid_t *holder, struct kerr *err);

/* Creates dirfd/auth.token (0600, random) unless present; loads it as hex. */
int ipc_token_ensure(int dirfd, char token[IPC_TOKEN_HEX + 1], struct kerr *err);
int ipc_token_load(int dirfd, char token[IPC_TOKEN_HEX + 1], struct kerr *err);

/* Binds a fresh "@kettle/<random>" stream socket (non-blocking, CLOEXEC), listens, and
 * records "<name>\n<pid>\n" in dirfd/addr_file by atomic replace. */
int ipc_listen(int dirfd, const char *addr_file, char name[IPC_NAME_MAX], int *lfd,
	       struct kerr *err);
/* ipc_listen without fsync of the address file, for a name that outlives nothing: the
 * abstract name dies with the process and a crash of the machine kills both, so a
 * durable address file would only ever point at nothing (a shim's shim.addr: the lock
 * says whether a shim exists). Readers still see the old or the new file, never half. */
int ipc_listen_volatile(int dirfd, const char *addr_file, char name[IPC_NAME_MAX], int *lfd,
			struct kerr *err);
/* Returns 1 with a new non-blocking CLOEXEC fd, 0 when none is pending, -1 on error. */
int ipc_accept(int lfd, int *cfd, struct kerr *err);
/* Server side: the peer's uid is 0 or allowed_uid, it shares our pid namespace and our
 * root directory. */
int ipc_check_client(int cfd, uid_t allowed_uid, struct kerr *err);
/* Constant-time comparison of an AUTH frame's TOKEN with the expected token. */
int ipc_check_auth_frame(const struct wire_frame *f, const char *token, struct kerr *err);

/* Reads dirfd/addr_file. */
int ipc_read_addr(int dirfd, const char *addr_file, char name[IPC_NAME_MAX], pid_t *pid,
		  struct kerr *err);
/* Client side: connects to the recorded name, checks the server (uid 0 or our euid, pid
 * equal to the recorded one; a squatter fails here and learns nothing), then queues the
 * AUTH frame. Returns a connected non-blocking CLOEXEC fd; the caller sends the AUTH
 * frame with ipc_conn_send_auth(). ENOENT/ECONNREFUSED keep their code in err. */
int ipc_connect(int dirfd, const char *addr_file, int *fd, struct kerr *err);
/* Same check on an fd connected by other means (tests, re-checks). */
int ipc_check_server(int fd, pid_t expected_pid, struct kerr *err);

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

/* fstat check of a passed descriptor: only FIFOs, sockets, char devices, regular files. */
int ipc_check_passed_fd(int fd, struct kerr *err);

#endif
