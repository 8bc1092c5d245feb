/*
 * shim_reply: answers to requests and the ready frame (role layer, bottom band). Any
 * shim*.c file above it may include it; a reply to a closed connection is no error
 * (shim_reply.c).
 */
#ifndef KETTLE_SHIM_REPLY_H
#define KETTLE_SHIM_REPLY_H

#include "shim/shim_state.h"

#define SHIM_READY_FD 3 /* the daemon's ready pipe */

/* A rpc connection by id, or NULL when it has closed. */
struct rpc_conn *shim_reply_conn(uint64_t conn);
/* Answers a request (the connection may have gone: then nothing happens). */
void shim_reply_ok(struct shim *sh, uint64_t conn, uint32_t reqid);
void shim_reply_error(struct shim *sh, uint64_t conn, uint32_t reqid, uint32_t code,
		      const char *msg);
/* ERROR "container `<short id>` <what>" with SHIM_ERR_CODE. */
void shim_reply_refused(struct shim *sh, uint64_t conn, uint32_t reqid, const char *what);
/* OK{EXIT_CODE} or END{EXIT_CODE} (type) with the exit code state.json holds. */
void shim_reply_exit_code(struct shim *sh, uint64_t conn, uint32_t reqid, uint16_t type);
/* The ready frame on fd 3 (once): OK{PID} when code is 0, else ERROR{CODE, MSG}. */
void shim_reply_ready(struct shim *sh, uint32_t code, const char *msg);

#endif
