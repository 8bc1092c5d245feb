/*
 * ipc: finding and trusting each other over abstract Unix sockets (mechanism M3).
 *
 * Implements ARCHITECTURE.md "Finding each other": flock files are the real locks;
 * every server start binds a fresh unguessable name "@kettle/<32 hex>" and records it
 * with its pid in an address file (atomic replace); both sides check each other, server
 * first (SO_PEERCRED uid and recorded pid before the client sends anything; then the
 * client's uid, pid namespace, root directory and the token in its first frame), and a
 * passed descriptor is fstat-checked (pipe, socket, char device, regular file only).
 * Frame I/O on the connected socket is ipc_conn.h's. Never logs.
 */
#ifndef KETTLE_IPC_H
#define KETTLE_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/kerr.h"
#include "ipc/wire.h"

#define IPC_NAME_MAX	     64 /* abstract name, without the leading NUL, plus NUL */
#define IPC_TOKEN_BYTES	     32 /* random bytes in auth.token */
#define IPC_TOKEN_HEX	     (2 * IPC_TOKEN_BYTES)
#define IPC_AUTH_DEADLINE_MS 2000 /* a peer that has not authenticated by then is dropped */

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
 * frame with ipc_conn_send_auth() (ipc_conn.h). ENOENT/ECONNREFUSED keep their code in err. */
int ipc_connect(int dirfd, const char *addr_file, int *fd, struct kerr *err);
/* Same check on an fd connected by other means (tests, re-checks). */
int ipc_check_server(int fd, pid_t expected_pid, struct kerr *err);

/* fstat check of a passed descriptor: only FIFOs, sockets, char devices, regular files. */
int ipc_check_passed_fd(int fd, struct kerr *err);
/* May fd become a container process's stdin, stdout or stderr? Only a regular file on a
 * filesystem that stores data (not proc, sysfs, cgroup and the other kernel interfaces,
 * whose files act on the host), or with pipes a pipe. Anything else (a terminal, a socket,
 * a device, even /dev/null) is a live handle on the host: fails saying what it is. */
int ipc_check_stdio_fd(int fd, bool pipes, struct kerr *err);

#endif
