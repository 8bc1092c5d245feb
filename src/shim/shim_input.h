/*
 * shim_input: input from attached clients to a pty master or a stdin pipe (role layer,
 * mechanism band). Included by shim_io.c, shim_exec.c and shim.c; see shim_input.c for
 * its flow control.
 */
#ifndef KETTLE_SHIM_INPUT_H
#define KETTLE_SHIM_INPUT_H

#include "shim/shim_state.h"

void shim_input_init(struct shim_input *in, struct shim *sh);
/* Queues and writes one STDIN frame's bytes from (conn, reqid), acknowledged once written;
 * n == 0 is EOF (a pipe closes, a terminal gets ^D). */
int shim_input_write(struct shim_input *in, const uint8_t *p, size_t n, uint64_t conn,
		     uint32_t reqid, struct kerr *err);
void shim_input_done(struct shim_input *in);

#endif
