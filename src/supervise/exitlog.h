/*
 * exitlog: exits of children nobody has claimed yet (mechanism, rank 50).
 *
 * A supervisor is the subreaper of what its runtime starts, and `runc exec --detach` (or
 * `runc run --detach`) can return after the process it started has already exited and
 * been reaped, before its pid file was read. Such exits are kept here, numbered, so the
 * owner can claim one once it learns the pid: only an exit logged after the call began
 * (seq at least the call's) may be its process's, so a recycled pid from before is never
 * taken for it. A fixed ring: the oldest entry goes first. Pure, never logs.
 */
#ifndef KETTLE_EXITLOG_H
#define KETTLE_EXITLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define EXITLOG_MAX 64 /* unclaimed exits remembered */

struct exitlog_entry {
	pid_t pid;    /* the reaped child; 0 once claimed */
	int status;   /* its wait status */
	uint64_t seq; /* when it was logged */
};

struct exitlog {
	struct exitlog_entry e[EXITLOG_MAX]; /* ring */
	size_t n;			     /* entries ever added (the ring's position) */
	uint64_t seq;			     /* last sequence number handed out */
};

void exitlog_init(struct exitlog *l);
/* The number the next logged exit gets: record it when a call begins. */
uint64_t exitlog_next(const struct exitlog *l);
/* Logs an exit nobody claimed. */
void exitlog_add(struct exitlog *l, pid_t pid, int status);
/* Claims pid's exit if it was logged at or after since: true with *status. */
bool exitlog_claim(struct exitlog *l, pid_t pid, uint64_t since, int *status);

#endif
