/*
 * shimv2_io: a process's stdio as containerd names it (role layer, mechanism band).
 * Included by shimv2_proc.c and shimv2_task.c; see shimv2_io.c.
 */
#ifndef KETTLE_SHIMV2_IO_H
#define KETTLE_SHIMV2_IO_H

#include "shimv2/shimv2_state.h"

/* Told when a terminal's output has ended (set by shimv2_proc.c). */
typedef void (*shimv2_io_ended_fn)(struct shimv2 *sv, struct shimv2_proc *p);
void shimv2_io_set_ended(shimv2_io_ended_fn fn);

/* Resets p's descriptors and relays to "none" (before anything else touches them). */
void shimv2_io_init(struct shimv2 *sv, struct shimv2_proc *p);
/* Opens what the process's paths name (FIFO, file://, or nothing): p->stdin_rfd,
 * p->stdout_fd and p->stderr_fd for the runtime, and the stdin relay. */
int shimv2_io_open(struct shimv2 *sv, struct shimv2_proc *p, struct kerr *err);
/* The runtime call holding them was spawned: our copies go. */
void shimv2_io_handed(struct shimv2_proc *p);
/* The pty master arrived (owned by p from now on): output to stdout, stdin to it. */
int shimv2_io_terminal(struct shimv2 *sv, struct shimv2_proc *p, int master, struct kerr *err);
/* CloseIO: the process's stdin ends once what it has not read yet is written. */
void shimv2_io_close_stdin(struct shimv2 *sv, struct shimv2_proc *p);
/* ResizePty. */
int shimv2_io_resize(struct shimv2_proc *p, uint32_t width, uint32_t height, struct kerr *err);
/* True when no terminal output is still flowing. */
bool shimv2_io_drained(const struct shimv2_proc *p);
/* Closes everything (relays, master, fds not yet handed). */
void shimv2_io_close(struct shimv2 *sv, struct shimv2_proc *p);

#endif
