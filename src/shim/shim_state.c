/*
 * shim_state: the lifecycle state and state.json (role layer, bottom band).
 *
 * The names of the states, entering one, and writing state.json, the file the daemon and
 * `kettle inspect` read; also the short id every message uses. Bottom band: any shim file
 * may call these, and they call nothing of the role. state.json is written atomically by
 * status.c; a failed write is logged and never fails the caller.
 */
#include <unistd.h>

#include "base/log.h"
#include "base/str.h"
#include "shim/shim_state.h"
#include "store/store.h"

static const char *const state_names[SHIM_S_COUNT] = {
	[SHIM_S_CREATING] = "creating", [SHIM_S_CREATED] = "created",
	[SHIM_S_STARTING] = "starting", [SHIM_S_RUNNING] = "running",
	[SHIM_S_STOPPING] = "stopping", [SHIM_S_EXITED] = "exited",
	[SHIM_S_BACKOFF] = "backoff",	[SHIM_S_DELETING] = "deleting",
	[SHIM_S_GONE] = "gone",
};

const char *shim_state_name(enum shim_state s)
{
	return (unsigned)s < SHIM_S_COUNT ? state_names[s] : "unknown";
}

void shim_state_save(struct shim *sh)
{
	struct kerr err;

	sh->st.shim_pid = getpid();
	if (status_write(sh->dirfd, STORE_STATE, &sh->st, false, &err) < 0)
		log_warn("%s, ignoring", err.msg);
}

void shim_state_enter(struct shim *sh, enum shim_state s)
{
	log_debug("%s -> %s", shim_state_name(sh->state), shim_state_name(s));
	sh->state = s;
}

void shim_state_set(struct shim *sh, enum shim_state s)
{
	shim_state_enter(sh, s);
	shim_state_save(sh);
}

const char *shim_state_short_id(const struct shim *sh)
{
	static char out[IDS_SHORT_LEN + 1];

	str_copyn(out, sizeof(out), sh->id, IDS_SHORT_LEN);
	return out;
}
