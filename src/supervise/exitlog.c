/*
 * exitlog: a ring of unclaimed child exits, numbered (mechanism, rank 50), from kettle's
 * shim (the orphan ring of shim_exec.c). A claim takes the newest matching entry logged
 * at or after the claimer's start; claimed entries are blanked so an exit is told once.
 * Pure: no I/O, never logs.
 */
#include <string.h>

#include "supervise/exitlog.h"

void exitlog_init(struct exitlog *l)
{
	memset(l, 0, sizeof(*l));
}

uint64_t exitlog_next(const struct exitlog *l)
{
	return l->seq + 1;
}

void exitlog_add(struct exitlog *l, pid_t pid, int status)
{
	l->e[l->n % EXITLOG_MAX] = (struct exitlog_entry){
		.pid = pid,
		.status = status,
		.seq = ++l->seq,
	};
	l->n++;
}

bool exitlog_claim(struct exitlog *l, pid_t pid, uint64_t since, int *status)
{
	size_t used = l->n < EXITLOG_MAX ? l->n : EXITLOG_MAX;
	struct exitlog_entry *best = NULL;

	if (pid <= 0)
		return false;
	for (size_t i = 0; i < used; i++) {
		struct exitlog_entry *x = &l->e[i];

		if (x->pid == pid && x->seq >= since && (!best || x->seq > best->seq))
			best = x;
	}
	if (!best)
		return false;
	*status = best->status;
	best->pid = 0;
	return true;
}
