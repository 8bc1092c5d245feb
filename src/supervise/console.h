/*
 * console: console sockets and pty masters (mechanism, rank 50: kettle's shim and the
 * containerd shim v2 both take a container's terminal this way).
 *
 * runc allocates a container's (or an exec's) terminal itself and hands the pty master
 * to whoever listens on --console-socket. Each terminal-bearing runtime call gets its own
 * listener on a fresh unguessable abstract name, only a rendezvous: a connection counts
 * only from the runtime process spawned for that call (SO_PEERCRED), the descriptor only
 * when it is a character device. Never blocks, never logs: refusals are handed back.
 */
#ifndef KETTLE_CONSOLE_H
#define KETTLE_CONSOLE_H

#include <stdint.h>
#include <sys/types.h>

#include "base/kerr.h"
#include "ipc/ipc.h"

#define CONSOLE_DIM_MAX 4096 /* terminal rows or columns accepted */

struct console {
	int lfd;		    /* owned; listening abstract socket, -1 when none */
	char name[IPC_NAME_MAX];    /* abstract name without the leading NUL */
	char arg[IPC_NAME_MAX + 1]; /* "@" + name: runc's --console-socket value */
};

void console_init(struct console *c);
/* Binds a fresh "@kettle-console/<hex>" listener (closing any previous one). */
int console_listen(struct console *c, struct kerr *err);
/* The --console-socket argument, or NULL when not listening. */
const char *console_arg(const struct console *c);
/* Collects the pty master that runtime process runtime_pid sent: 1 with *master (CLOEXEC,
 * non-blocking, a character device), 0 when none has arrived, -1 on error. Connections
 * from any other pid, and descriptors that are not one character device, are closed and
 * described in *refused (empty when there was none), for the caller to log. */
int console_receive(struct console *c, pid_t runtime_pid, int *master, struct kerr *refused,
		    struct kerr *err);
void console_close(struct console *c);
/* The other side, as runc does it (kettle's host runtime): connects to socket (a path, or
 * "@name" for an abstract one) and sends master with the slave's name as the data. */
int console_send(const char *socket, int master, const char *slave_name, struct kerr *err);
/* TIOCSWINSZ on master; with master -1 only checks the size (1..CONSOLE_DIM_MAX). */
int console_resize(int master, uint32_t rows, uint32_t cols, struct kerr *err);

#endif
