/*
 * daemon_runtime: what the daemon asks of the OCI runtime itself (role, layer 3; bottom band
 * of the daemon): which runtime binary a container uses, `runc delete --force` for a
 * container whose shim is gone, and whether runc still has state for it. Shims run every
 * other runtime call. Calls no other daemon file. Never blocks: the delete is reaped by the
 * SIGCHLD handler in daemon.c.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "daemon/daemon_runtime.h"
#include "base/log.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "base/str.h"

const char *daemon_runtime_of(const struct daemon *d, const struct record *rec)
{
	if (rec->isolation_host)
		return RUNTIME_HOST;
	if (rec->runtime)
		return rec->runtime;
	return d->runtime_path[0] ? d->runtime_path : d->runtime;
}

/* `runc delete --force ID`, reaped by the SIGCHLD handler. */
void daemon_runtime_delete(struct daemon *d, struct daemon_ctr *c, bool log_in_dir)
{
	struct runtime rt;
	struct kerr err;
	char log_path[PATH_MAX];
	pid_t pid;
	struct runtime_call call = {
		.op = RUNTIME_DELETE,
		.id = c->rec.id,
		.force = true,
		.stdio = { -1, -1, -1 },
	};

	if (!log_in_dir)
		str_copy(log_path, sizeof(log_path), "/dev/null");
	else if (store_container_path(d->root, c->rec.id, STORE_RUNC_LOG, log_path,
				      sizeof(log_path), &err) < 0)
		log_path[0] = '\0';
	if (!log_path[0] ||
	    runtime_init(&rt, daemon_runtime_of(d, &c->rec), d->runc_root, log_path, &err) < 0 ||
	    runtime_spawn(&rt, &call, &pid, &err) < 0) {
		log_error("container %.12s: delete its runtime container: %s", c->rec.id, err.msg);
		return;
	}
	log_debug("container %.12s: runtime delete --force is pid %d", c->rec.id, (int)pid);
}

/* Whether runc still has state for c (<root>/runc/<id>). */
bool daemon_runtime_state_exists(struct daemon *d, const struct daemon_ctr *c)
{
	char path[PATH_MAX];
	struct stat sb;

	if (snprintf(path, sizeof(path), "%s/%s", d->runc_root, c->rec.id) >= (int)sizeof(path))
		return true;
	return stat(path, &sb) == 0 || errno != ENOENT;
}
