/*
 * daemon_spawn: starting a shim for a container (role, layer 3).
 *
 * Execs /proc/self/exe as kettle-shim, detached, with the write end of a ready pipe kept
 * open in it, and watches its pidfd. The shim's one ready frame (OK with the container's
 * pid, or ERROR with a code and a message) arrives on the pipe, capped at
 * DAEMON_READY_MAX and bounded by a readiness deadline after which the shim is killed;
 * EOF before it is a failure. On OK the daemon connects to the shim (daemon_shim.c);
 * either way daemon_lifecycle.c is told. Never blocks: the pipe is in the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "base/fd.h"
#include "store/ids.h"
#include "base/log.h"
#include "runtime/proc.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "base/str.h"

#define READ_CHUNK 4096 /* bytes read from a ready pipe per call */

static void ready_close(struct daemon *d, struct daemon_ctr *c)
{
	if (c->ready_fd >= 0) {
		loop_del_fd(d->loop, c->ready_fd);
		c->ready_fd = fd_close(c->ready_fd);
	}
	if (c->ready_timer) {
		loop_cancel_timer(d->loop, c->ready_timer);
		c->ready_timer = 0;
	}
	buf_done(&c->ready);
	buf_init(&c->ready, DAEMON_READY_MAX);
}

/* The spawn failed: record the error the way the shim does and tell the API. */
static void ready_failed(struct daemon *d, struct daemon_ctr *c, uint32_t code, const char *msg)
{
	ready_close(d, c);
	if (c->shim_pid > 0)
		c->shim_exiting = true; /* it writes its state and exits by itself */
	if (!daemon_registry_kind_may_run(c->st.kind)) {
		c->st.kind = STATUS_CREATED;
		c->st.pid = 0;
		c->st.exit_code = (int)code;
		str_copy(c->st.error, sizeof(c->st.error), msg);
		str_copy(c->st.reason, sizeof(c->st.reason), "create failed");
	}
	log_info("container %.12s: create failed: %s", c->rec.id, msg);
	char id[IDS_ID_LEN + 1];
	str_copy(id, sizeof(id), c->rec.id);
	daemon_lifecycle_spawned(d, c, false, code, msg);
	/* c may be gone now (auto remove); find it again before looking at its shim. */
	c = daemon_find_id(d, id);
	if (c)
		daemon_death_check_gone(d, c);
}

static void ready_frame(struct daemon *d, struct daemon_ctr *c, const struct wire_frame *f)
{
	struct kerr err;

	if (f->type == WIRE_T_ERROR) {
		uint32_t code = DAEMON_FAIL_CODE;
		char msg[KERR_MSG_MAX] = "";

		if (wire_get_u32(f, WIRE_F_CODE, false, &code, &err) < 0 || code == 0 || code > 255)
			code = DAEMON_FAIL_CODE;
		if (wire_get_str(f, WIRE_F_MSG, false, msg, sizeof(msg), &err) < 0 || !msg[0])
			snprintf(msg, sizeof(msg), "the shim of `%.12s` failed without a message",
				 c->rec.id);
		ready_failed(d, c, code, msg);
		return;
	}
	if (f->type != WIRE_T_OK) {
		char msg[128];
		snprintf(msg, sizeof(msg), "the shim of `%.12s` sent %s instead of its ready frame",
			 c->rec.id, wire_type_name(f->type));
		ready_failed(d, c, DAEMON_FAIL_CODE, msg);
		return;
	}
	/* f points into c->ready: read it before ready_close frees that. */
	uint32_t pid = 0;
	if (wire_get_u32(f, WIRE_F_PID, false, &pid, &err) == 1 && pid > 0)
		c->st.pid = (pid_t)pid;
	ready_close(d, c);
	if (daemon_shim_connect(d, c, &err) < 0) {
		struct kerr kerr2;

		log_error("container %.12s: %s: killing the shim", c->rec.id, err.msg);
		if (c->pidfd >= 0)
			proc_pidfd_signal(c->pidfd, SIGKILL, &kerr2);
		ready_failed(d, c, DAEMON_FAIL_CODE, err.msg);
		return;
	}
	c->st.kind = STATUS_CREATED;
	c->st.error[0] = '\0';
	log_info("container %.12s created (shim pid %d)", c->rec.id, (int)c->shim_pid);
	daemon_lifecycle_spawned(d, c, true, 0, NULL);
}

static void on_ready(struct loop *l, int fd, uint32_t events, void *data)
{
	struct daemon_ctr *c = data;
	struct daemon *d = c->d;
	struct wire_frame f;
	struct kerr err;
	bool eof = false;
	size_t used;

	(void)l;
	(void)events;
	for (;;) {
		if (buf_reserve(&c->ready, READ_CHUNK, &err) < 0) {
			if (c->ready.len >= c->ready.max) {
				ready_failed(d, c, DAEMON_FAIL_CODE,
					     "the shim's ready frame is too large");
				return;
			}
		}
		size_t room = c->ready.cap - c->ready.len;
		ssize_t n = read(fd, c->ready.data + c->ready.len, room);

		if (n > 0) {
			c->ready.len += (size_t)n;
			continue;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			break;
		kerr_set(&err, errno, "read the ready frame of the shim of `%.12s`", c->rec.id);
		ready_failed(d, c, DAEMON_FAIL_CODE, err.msg);
		return;
	}
	int r = wire_decode(c->ready.data, c->ready.len, DAEMON_READY_MAX, &f, &used, &err);
	if (r == 1) {
		ready_frame(d, c, &f);
		return;
	}
	if (r < 0) {
		kerr_wrap(&err, "the shim of `%.12s` sent a malformed ready frame", c->rec.id);
		ready_failed(d, c, DAEMON_FAIL_CODE, err.msg);
		return;
	}
	if (eof) {
		char msg[128];

		snprintf(msg, sizeof(msg), "shim for `%.12s` exited before it was ready",
			 c->rec.id);
		ready_failed(d, c, DAEMON_FAIL_CODE, msg);
	}
}

static void ready_timeout(struct loop *l, void *data)
{
	struct daemon_ctr *c = data;
	struct kerr err;

	(void)l;
	c->ready_timer = 0;
	log_error("container %.12s: its shim did not report readiness within %d ms: killing it",
		  c->rec.id, DAEMON_READY_TIMEOUT_MS);
	/* The pipe then reaches EOF and on_ready reports the failure. */
	if (c->pidfd >= 0 && proc_pidfd_signal(c->pidfd, SIGKILL, &err) < 0)
		log_error("container %.12s: kill its shim: %s", c->rec.id, err.msg);
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
	if (store_container_path(d->root, c->rec.id, STORE_RUNC_LOG, runc_log, sizeof(runc_log),
				 err) < 0)
		return -1;
	if (runtime_init(&rt, daemon_runtime_of(d, &c->rec), d->runc_root, runc_log, err) < 0)
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
	if (fd_set_nonblock(rfd, true, err) < 0 || daemon_death_watch_pidfd(d, c, pid, err) < 0)
		return kerr_wrap(err, "watch the shim of `%.12s` (pid %d)", c->rec.id, (int)pid);
	if (loop_add_fd(d->loop, rfd, LOOP_READ, on_ready, c, err) < 0)
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
