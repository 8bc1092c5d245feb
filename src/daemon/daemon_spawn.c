/*
 * daemon_spawn: starting a shim for a container (role, layer 3; middle band of the daemon).
 * Execs /proc/self/exe as kettle-shim, detached, with the write end of a ready pipe kept
 * open in it, and watches its pidfd; both fds go into the loop with the callbacks
 * daemon_watch.c registered (d->shim_cbs), which read the one ready frame (capped at
 * DAEMON_READY_MAX) and see the shim die. A readiness deadline kills a shim that never
 * reports. Calls only the bottom band; never a handler, a completion or a dispatcher.
 * Never blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "daemon/daemon_spawn.h"
#include "daemon/daemon_net.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_runtime.h"
#include "base/fd.h"
#include "base/log.h"
#include "runtime/proc.h"
#include "runtime/runtime.h"
#include "store/store.h"

static void ready_timeout(struct loop *l, void *data)
{
	struct daemon_ctr *c = data;
	struct kerr err;

	(void)l;
	c->ready_timer = 0;
	log_error("container %.12s: its shim did not report readiness within %d ms: killing it",
		  c->rec.id, DAEMON_READY_TIMEOUT_MS);
	/* The pipe then reaches EOF and daemon_watch.c reports the failure. */
	if (c->pidfd >= 0 && proc_pidfd_signal(c->pidfd, SIGKILL, &err) < 0)
		log_error("container %.12s: kill its shim: %s", c->rec.id, err.msg);
}

int daemon_spawn_watch_pidfd(struct daemon *d, struct daemon_ctr *c, pid_t pid, struct kerr *err)
{
	_cleanup_close_ int pidfd = -1;

	if (proc_pidfd_open(pid, &pidfd, err) < 0)
		return -1;
	if (loop_add_fd(d->loop, pidfd, LOOP_READ, d->shim_cbs.on_pidfd, c, err) < 0)
		return -1;
	c->pidfd = take_fd(&pidfd);
	c->shim_pid = pid;
	c->shim_dead = false;
	c->shim_exiting = false;
	return 0;
}

int daemon_spawn_shim(struct daemon *d, struct daemon_ctr *c, struct kerr *err)
{
	struct runtime rt;
	char runc_log[PATH_MAX];
	char timeout[24];
	int p[2];
	pid_t pid;

	if (c->shim_pid > 0 || daemon_ctr_spawning(c))
		return kerr_set(err, 0, "the shim of `%.12s` (pid %d) is still running", c->rec.id,
				(int)c->shim_pid);
	if (d->shutting_down)
		return kerr_set(err, 0, "not starting `%.12s`: the system is shutting down",
				c->rec.id);
	if (store_container_path(d->root, c->rec.id, STORE_RUNC_LOG, runc_log, sizeof(runc_log),
				 err) < 0)
		return -1;
	if (runtime_init(&rt, daemon_runtime_of(d, &c->rec), d->runc_root, runc_log, err) < 0)
		return -1;
	/* Its network first: runc joins the namespace file, the shim binds its ports. */
	if (daemon_net_attach(d, c, err) < 0)
		return -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return kerr_set(err, errno, "create the ready pipe of a shim");
	_cleanup_close_ int rfd = p[0];
	_cleanup_close_ int wfd = p[1];
	snprintf(timeout, sizeof(timeout), "%llu", (unsigned long long)d->runtime_timeout_ms);
	/* A policy restart, or `kettle run`'s CREATE: never both. */
	char *mode = c->spawn_restart ? "--restart" : NULL;
	if (!mode && c->spawn_run)
		mode = "--run";
	char *argv[] = {
		"kettle-shim",
		"--root",
		d->root,
		"--id",
		c->rec.id,
		"--runtime",
		rt.path,
		"--log-level",
		(char *)d->log_level,
		"--runtime-timeout",
		timeout,
		mode,
		NULL,
	};
	c->spawn_restart = false;
	c->spawn_run = false;
	struct proc_spawn sp = {
		.path = "/proc/self/exe",
		.argv = argv,
		.envp = NULL,
		.stdio = { -1, -1, -1 },
		.keep_fd = wfd,
		.detach = true,
	};
	if (proc_spawn(&sp, &pid, err) < 0)
		return kerr_wrap(err, "start the shim of `%.12s`", c->rec.id);
	wfd = fd_close(wfd);
	if (fd_set_nonblock(rfd, true, err) < 0 || daemon_spawn_watch_pidfd(d, c, pid, err) < 0)
		return kerr_wrap(err, "watch the shim of `%.12s` (pid %d)", c->rec.id, (int)pid);
	if (loop_add_fd(d->loop, rfd, LOOP_READ, d->shim_cbs.on_ready, c, err) < 0)
		return -1;
	c->ready_fd = take_fd(&rfd);
	/* The shim's own runtime timeout must fire first: its error names the cause. */
	uint64_t ready_ms = d->runtime_timeout_ms + DAEMON_READY_TIMEOUT_MS - RUNTIME_TIMEOUT_MS;
	if (ready_ms < DAEMON_READY_TIMEOUT_MS)
		ready_ms = DAEMON_READY_TIMEOUT_MS;
	c->ready_timer = loop_add_timer(d->loop, ready_ms, ready_timeout, c, err);
	if (!c->ready_timer)
		log_warn("container %.12s: %s, no readiness deadline", c->rec.id, err->msg);
	log_debug("container %.12s: spawned shim pid %d", c->rec.id, (int)pid);
	return 0;
}
