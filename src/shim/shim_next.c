/*
 * shim_next: what a transition leaves for the dispatcher to do (role layer, bottom band).
 *
 * A transition of the lifecycle table never feeds the table itself and never registers a
 * loop callback that does: it records here the event that follows it, the timer that
 * will feed one, or that the container's output is to be watched, and the dispatcher
 * (shim_supervise.c) applies them once the transition has returned (watch, then timer,
 * then event: each was the last act of its transition). Bottom band: calls nothing.
 */
#include "base/str.h"
#include "shim/shim_next.h"

void shim_next_event(struct shim *sh, const struct shim_ev *ev)
{
	struct shim_next *n = &sh->next;

	n->event = true;
	n->ev = *ev;
	if (ev->msg) {
		str_copy(n->msg, sizeof(n->msg), ev->msg);
		n->ev.msg = n->msg;
	}
}

void shim_next_timer(struct shim *sh, enum shim_timer t, uint64_t delay_ms)
{
	sh->next.timer = true;
	sh->next.timer_kind = t;
	sh->next.timer_ms = delay_ms;
}

void shim_next_watch(struct shim *sh)
{
	sh->next.watch = true;
}
