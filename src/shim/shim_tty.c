/*
 * shim_tty: terminal sizes as the shim's RPC carries them (role layer, mechanism band).
 * A RESIZE frame's ROWS and COLS are read and checked here; applying them to a pty master
 * is supervise/console.c's (where the console sockets that bring the masters moved, to
 * be shared with the containerd shim v2). Calls nothing of the role.
 */
#include "ipc/wire.h"
#include "shim/shim_tty.h"

int shim_tty_get_resize(const struct wire_frame *f, uint32_t *rows, uint32_t *cols,
			struct kerr *err)
{
	if (wire_get_u32(f, WIRE_F_ROWS, true, rows, err) < 0 ||
	    wire_get_u32(f, WIRE_F_COLS, true, cols, err) < 0)
		return -1;
	return console_resize(-1, *rows, *cols, err);
}
