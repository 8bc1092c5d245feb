/*
 * shim_wait: the waiter table, replies owed for later (role layer, bottom band). Any
 * shim*.c file above it may include it; see shim_wait.c for when entries go.
 */
#ifndef KETTLE_SHIM_WAIT_H
#define KETTLE_SHIM_WAIT_H

#include "shim/shim_state.h"

/* Defers a reply; when the table is full the request is answered with an error. */
bool shim_wait_add(struct shim *sh, enum shim_wait_kind kind, uint64_t conn, uint32_t reqid,
		   uint32_t streams);
/* Answers and removes every waiter of kind: code 0 -> OK, else ERROR{code, msg}. */
void shim_wait_finish(struct shim *sh, enum shim_wait_kind kind, uint32_t code, const char *msg);
/* The exit is known and written: answers WAIT/STOP, ends ATTACH. */
void shim_wait_tell_exit(struct shim *sh);
/* Drops the entries of closed connections (outside any walk of the table). */
void shim_wait_compact(struct shim *sh);

#endif
