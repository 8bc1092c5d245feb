/*
 * shim_tty: console sockets and terminal sizes (role layer, mechanism band). Included
 * by shim_io.c, shim_exec.c and the top (shim.c, shim_rpc.c); see shim_tty.c.
 */
#ifndef KETTLE_SHIM_TTY_H
#define KETTLE_SHIM_TTY_H

#include "shim/shim_state.h"

struct wire_frame;

void shim_tty_init(struct shim_console *c);
/* Binds a fresh "@kettle-console/<hex>" listener (closing any previous one). */
int shim_tty_listen(struct shim_console *c, struct kerr *err);
/* The --console-socket argument, or NULL when not listening. */
const char *shim_tty_arg(const struct shim_console *c);
/* Collects the pty master that runtime process runc_pid sent: 1 with *master (CLOEXEC,
 * non-blocking, a character device), 0 when none has arrived, -1 on error. Connections
 * from any other pid are closed. */
int shim_tty_receive(struct shim_console *c, pid_t runc_pid, int *master, struct kerr *err);
void shim_tty_close(struct shim_console *c);
/* TIOCSWINSZ on master (only checks the size when master is -1). */
int shim_tty_resize(int master, uint32_t rows, uint32_t cols, struct kerr *err);
/* ROWS and COLS of a RESIZE frame, checked. */
int shim_tty_get_resize(const struct wire_frame *f, uint32_t *rows, uint32_t *cols,
			struct kerr *err);

#endif
