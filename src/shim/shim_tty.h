/*
 * shim_tty: the terminal size frames of the shim's RPC (role layer, mechanism band).
 * Console sockets and pty masters themselves are supervise/console.h's. Included by
 * shim_exec.c and the top (shim_rpc.c); see shim_tty.c.
 */
#ifndef KETTLE_SHIM_TTY_H
#define KETTLE_SHIM_TTY_H

#include "shim/shim_state.h"

struct wire_frame;

/* ROWS and COLS of a RESIZE frame, checked (1..CONSOLE_DIM_MAX). */
int shim_tty_get_resize(const struct wire_frame *f, uint32_t *rows, uint32_t *cols,
			struct kerr *err);

#endif
