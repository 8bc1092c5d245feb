/*
 * shim_finish: the end of supervision (role layer, a lifecycle step of the middle band).
 *
 * Once the container is deleted for good (rm, or the restart policy said no), the state
 * goes GONE and everyone still waiting is told: the exit to WAIT, STOP and ATTACH, the
 * removal to START and DELETE, END to EVENTS subscribers. The server stops accepting, and
 * the shim exits once every reply is flushed (shim.c's exit rule), or after SHIM_FLUSH_MS
 * at most. Calls only the bottom band of the role.
 */
#include <stdio.h>

#include "base/log.h"
#include "shim/shim_finish.h"
#include "shim/shim_reply.h"
#include "shim/shim_wait.h"

static void on_flush_timer(struct loop *l, void *data)
{
	struct shim *sh = data;

	sh->flush_timer = 0;
	log_warn("replies not flushed within %d ms, exiting anyway", SHIM_FLUSH_MS);
	loop_stop(l);
}

/* Entered GONE: tells everyone, stops accepting, exits once replies are flushed. */
static void begin_exit(struct shim *sh)
{
	struct kerr err;
	char msg[96];

	if (sh->exiting)
		return;
	sh->exiting = true;
	shim_reply_ready(sh, 125, "the container was removed while it was being created");
	shim_wait_tell_exit(sh);
	snprintf(msg, sizeof(msg), "container `%s` was removed", shim_state_short_id(sh));
	shim_wait_finish(sh, SHIM_W_START, 125, msg);
	shim_wait_finish(sh, SHIM_W_DELETE, 0, NULL);
	shim_wait_finish(sh, SHIM_W_EVENTS, 0, NULL);
	shim_state_save(sh);
	if (sh->server)
		rpc_server_stop(sh->server);
	log_info("container gone, shim exiting");
	sh->flush_timer = loop_add_timer(sh->loop, SHIM_FLUSH_MS, on_flush_timer, sh, &err);
	if (!sh->flush_timer)
		loop_stop(sh->loop);
}

void shim_finish_supervision(struct shim *sh)
{
	sh->restarting = false;
	sh->st.next_start_ns = 0;
	if (sh->st.kind == STATUS_RESTARTING)
		sh->st.kind = STATUS_EXITED;
	shim_state_set(sh, SHIM_S_GONE);
	begin_exit(sh);
}
