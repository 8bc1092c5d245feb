/*
 * shim_io: the container's stdio (role layer, mechanism band). Included by the
 * lifecycle steps and the top (shim.c, shim_rpc.c, shim_supervise.c, which owns the
 * read ends' loop callback); see shim_io.c.
 */
#ifndef KETTLE_SHIM_IO_H
#define KETTLE_SHIM_IO_H

#include "shim/shim_state.h"

/* Creates both pipes and opens ctr.log. */
int shim_io_open(struct shim *sh, struct kerr *err);
/* Write ends for the runtime's stdio[1], stdio[2]. */
int shim_io_stdout_wfd(const struct shim *sh);
int shim_io_stderr_wfd(const struct shim *sh);
/* Closes our copies of the write ends (after `runc create` was spawned). */
void shim_io_close_write_ends(struct shim *sh);
/* Registers the read ends in the loop with fn (after a successful create): fn calls
 * shim_io_read for the fd. */
int shim_io_watch(struct shim *sh, loop_fd_fn fn, struct kerr *err);
/* One read from the output pipe whose read end is fd: 1 when bytes were read, 0 when none
 * were there, -1 at its end. */
int shim_io_read(struct shim *sh, int fd);
/* Reads what is there now without blocking; true when both streams reached EOF. */
bool shim_io_drain(struct shim *sh);
/* True when both streams reached EOF (or were never opened). */
bool shim_io_eof(const struct shim *sh);
/* Ends partial lines in the log and closes the read ends. */
void shim_io_finish(struct shim *sh);
/* Fresh pipes for a restart (the log stays open): the previous ones must have ended. */
int shim_io_reopen(struct shim *sh, struct kerr *err);
/* True when pid was a child removing a rotated-out log (now reaped and forgotten). */
bool shim_io_reaped(struct shim *sh, pid_t pid);
/* Closes everything; safe on a half-opened io. */
void shim_io_done(struct shim *sh);
/* rec.stdin_open: the read end of the stdin pipe for `runc create`, else -1. */
int shim_io_stdin_rfd(const struct shim *sh);
/* rec.tty: the --console-socket value for `runc create` (listening), else NULL. */
const char *shim_io_console(const struct shim *sh);
/* STDIN{DATA} for the container (empty DATA: EOF). */
int shim_io_input(struct shim *sh, const uint8_t *p, size_t n, uint64_t conn, uint32_t reqid,
		  struct kerr *err);
/* RESIZE for the container's terminal; kept and applied when the master arrives. */
int shim_io_resize(struct shim *sh, uint32_t rows, uint32_t cols, struct kerr *err);

#endif
