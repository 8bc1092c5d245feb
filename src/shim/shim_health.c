/*
 * shim_health: the container's health checks, run by its shim (role layer, mechanism band).
 * While the container runs, a check `/bin/sh -c CMD` starts in it every interval (one of
 * shim_exec's internal execs), a timer kills one that outlives its timeout, and its
 * output is kept up to STATUS_HEALTH_OUT_MAX bytes. Docker's rules (status_health_add)
 * make each result the status in state.json; a change is a `health_status: X` event.
 * Turning unhealthy is a verdict the top (shim_supervise.c) feeds to the table as
 * SHIM_E_UNHEALTHY, and the interval timer is armed with the top's callback for the same
 * reason. Invariants: one check in flight; the next is scheduled once the last ended
 * (docker's spacing); a stale serial's result is ignored; checks go on while the daemon
 * is down. Calls only shim_exec and the bottom band; never the lifecycle table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/log.h"
#include "runtime/proc.h"
#include "base/str.h"
#include "shim/shim_emit.h"
#include "shim/shim_exec.h"
#include "shim/shim_health.h"

#define HEALTH_SHELL	  "/bin/sh" /* docker's CMD-SHELL runs `/bin/sh -c CMD` */
#define HEALTH_READ_CHUNK 4096	    /* bytes read from the output pipe at once */

struct shim_health {
	struct shim *sh;	   /* borrowed; its loop and record */
	bool active;		   /* the container runs: checks are scheduled */
	uint64_t timer;		   /* next check's timer id, or 0 */
	bool due;		   /* a check is due after due_ms: shim_health_arm arms timer */
	uint64_t due_ms;	   /* with due */
	bool verdict;		   /* turned unhealthy: SHIM_E_UNHEALTHY is due (take_verdict) */
	uint64_t timeout_timer;	   /* the running check's deadline timer id, or 0 */
	unsigned serial;	   /* the running check's exec serial, 0 when none */
	bool timed_out;		   /* the deadline killed the running check */
	int out_fd;		   /* read end of its output pipe (owned, non-blocking), or -1 */
	size_t out_len;		   /* bytes of output kept in probe.output */
	uint64_t start_mono_ms;	   /* when the running check began, monotonic ms */
	struct status_probe probe; /* the running check's result so far */
};

static uint64_t interval_ms(const struct record *r)
{
	return r->health_interval_ms ? r->health_interval_ms : RECORD_HEALTH_INTERVAL_MS;
}

static uint64_t timeout_ms(const struct record *r)
{
	return r->health_timeout_ms ? r->health_timeout_ms : RECORD_HEALTH_TIMEOUT_MS;
}

static unsigned retries(const struct record *r)
{
	return r->health_retries ? r->health_retries : RECORD_HEALTH_RETRIES;
}

/* ---- the output pipe ---- */

static void close_out(struct shim_health *h)
{
	if (h->out_fd < 0)
		return;
	loop_del_fd(h->sh->loop, h->out_fd);
	h->out_fd = fd_close(h->out_fd);
}

/* Reads what is there; bytes past the cap are read and dropped (the check must never
 * block on a full pipe). Closes the pipe at EOF or on an error. */
static void read_out(struct shim_health *h)
{
	char chunk[HEALTH_READ_CHUNK];

	while (h->out_fd >= 0) {
		ssize_t n = read(h->out_fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close_out(h);
			return;
		}
		for (ssize_t i = 0; i < n && h->out_len < STATUS_HEALTH_OUT_MAX; i++)
			/* The output is kept as a C string: a NUL would end it early. */
			h->probe.output[h->out_len++] = chunk[i] ? chunk[i] : '?';
		h->probe.output[h->out_len] = '\0';
	}
}

static void on_out(struct loop *l, int fd, uint32_t events, void *data)
{
	(void)l;
	(void)fd;
	(void)events;
	read_out(data);
}

/* ---- results ---- */

static void emit_status(struct shim *sh, enum status_health_kind kind)
{
	char type[48];

	/* docker's action text; the daemon filters on the part before the colon. */
	snprintf(type, sizeof(type), "health_status: %s", status_health_name(kind));
	shim_emit_event(sh, type, NULL, NULL);
}

static void schedule(struct shim_health *h, uint64_t delay_ms);

/* The running check ended (status, or msg when it could not run): docker's rules decide. */
static void finish(struct shim_health *h, int status, const char *msg)
{
	struct shim *sh = h->sh;
	struct status_probe *p = &h->probe;
	const struct record *r = &sh->rec;

	h->serial = 0;
	if (h->timeout_timer)
		loop_cancel_timer(sh->loop, h->timeout_timer);
	h->timeout_timer = 0;
	read_out(h);
	close_out(h);
	p->end_ns = clock_wall_ns();
	if (msg) {
		p->exit_code = -1;
		str_copy(p->output, sizeof(p->output), msg);
	} else if (h->timed_out) {
		uint64_t t = timeout_ms(r);

		p->exit_code = -1;
		if (t % 1000 == 0)
			snprintf(p->output, sizeof(p->output),
				 "Health check exceeded timeout (%llus)",
				 (unsigned long long)t / 1000);
		else
			snprintf(p->output, sizeof(p->output),
				 "Health check exceeded timeout (%llums)", (unsigned long long)t);
	} else {
		p->exit_code = proc_exit_code(status);
	}
	bool in_start = sh->run_start_ms && h->start_mono_ms >= sh->run_start_ms &&
			h->start_mono_ms - sh->run_start_ms < r->health_start_period_ms;
	bool changed = status_health_add(&sh->st.health, p, in_start, retries(r));
	enum status_health_kind kind = sh->st.health.kind;

	log_debug("health check ended with code %d, streak %u, %s", p->exit_code,
		  sh->st.health.failing_streak, status_health_name(kind));
	shim_state_save(sh);
	schedule(h, interval_ms(r));
	if (!changed)
		return;
	log_info("health status: %s (failing streak %u)", status_health_name(kind),
		 sh->st.health.failing_streak);
	emit_status(sh, kind);
	if (kind == STATUS_HEALTH_UNHEALTHY && r->health_on_failure != RECORD_HEALTH_NONE &&
	    sh->state == SHIM_S_RUNNING)
		h->verdict = true; /* the top feeds SHIM_E_UNHEALTHY once this returns */
}

static void check_done(struct shim *sh, void *data, unsigned serial, int status, const char *msg)
{
	struct shim_health *h = data;

	(void)sh;
	if (h->active && serial == h->serial)
		finish(h, status, msg);
	/* else: a check of a run that has ended */
}

static void on_timeout(struct loop *l, void *data)
{
	struct shim_health *h = data;

	(void)l;
	h->timeout_timer = 0;
	h->timed_out = true;
	log_debug("health check still running after %llu ms, killing it",
		  (unsigned long long)timeout_ms(&h->sh->rec));
	shim_exec_kill(h->sh, h->serial);
}

/* ---- starting a check ---- */

/* The output pipe and `runc exec`; h->serial is set on success. */
static int start_check(struct shim_health *h, struct kerr *err)
{
	struct shim *sh = h->sh;
	char *argv[] = { HEALTH_SHELL, "-c", sh->rec.health_cmd, NULL };
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return kerr_set(err, errno, "health check: create its output pipe");
	/* Ours closes on return: runc and the check hold their own copies, so EOF means the
	 * check's output has ended. */
	_cleanup_close_ int wfd = p[1];
	h->out_fd = p[0];
	if (fd_set_nonblock(h->out_fd, true, err) < 0 ||
	    loop_add_fd(sh->loop, h->out_fd, LOOP_READ, on_out, h, err) < 0) {
		h->out_fd = fd_close(h->out_fd);
		return -1;
	}
	h->serial = shim_exec_internal(sh, argv, 3, wfd, check_done, h, err);
	if (!h->serial) {
		close_out(h);
		return -1;
	}
	return 0;
}

/* Starts one check; one that cannot start is a failed result at once (as in docker). */
static void run_check(struct shim_health *h)
{
	struct shim *sh = h->sh;
	struct kerr err;

	h->probe = (struct status_probe){ .start_ns = clock_wall_ns() };
	h->out_len = 0;
	h->timed_out = false;
	h->start_mono_ms = clock_mono_ms();
	if (start_check(h, &err) < 0) {
		log_warn("health check: %s", err.msg);
		finish(h, 0, err.msg);
		return;
	}
	h->timeout_timer = loop_add_timer(sh->loop, timeout_ms(&sh->rec), on_timeout, h, &err);
	if (!h->timeout_timer)
		log_warn("%s: this health check has no timeout, ignoring", err.msg);
}

void shim_health_tick(struct shim *sh)
{
	struct shim_health *h = sh->health;

	if (!h)
		return;
	h->timer = 0;
	if (!h->active || h->serial)
		return;
	/* A frozen container cannot run a check: it would only time out. */
	if (h->sh->st.kind == STATUS_PAUSED || h->sh->state != SHIM_S_RUNNING) {
		schedule(h, interval_ms(&h->sh->rec));
		return;
	}
	run_check(h);
}

/* The next check is due after delay_ms; the top arms its timer (shim_health_arm). */
static void schedule(struct shim_health *h, uint64_t delay_ms)
{
	if (!h->active || h->timer || h->due)
		return;
	h->due = true;
	h->due_ms = delay_ms;
}

void shim_health_arm(struct shim *sh, loop_timer_fn fn)
{
	struct shim_health *h = sh->health;
	struct kerr err;

	if (!h || !h->due)
		return;
	h->due = false;
	if (!h->active || h->timer)
		return;
	h->timer = loop_add_timer(sh->loop, h->due_ms, fn, sh, &err);
	if (!h->timer)
		log_error("%s: no more health checks for this run", err.msg);
}

bool shim_health_take_verdict(struct shim *sh)
{
	struct shim_health *h = sh->health;

	if (!h || !h->verdict)
		return false;
	h->verdict = false;
	return true;
}

/* ---- lifecycle ---- */

void shim_health_start(struct shim *sh)
{
	struct shim_health *h = sh->health;

	if (!sh->rec.health_cmd)
		return;
	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h) {
			log_error("health checks: out of memory, none for this container");
			return;
		}
		h->sh = sh;
		h->out_fd = -1;
		sh->health = h;
	}
	shim_health_stop(sh);
	status_health_reset(&sh->st.health);
	h->active = true;
	schedule(h, interval_ms(&sh->rec));
}

void shim_health_stop(struct shim *sh)
{
	struct shim_health *h = sh->health;

	if (!h)
		return;
	h->active = false;
	if (h->timer)
		loop_cancel_timer(sh->loop, h->timer);
	if (h->timeout_timer)
		loop_cancel_timer(sh->loop, h->timeout_timer);
	h->timer = h->timeout_timer = 0;
	h->due = false;
	/* A check in flight dies with the container; its late result is ignored. */
	h->serial = 0;
	close_out(h);
}

void shim_health_done(struct shim *sh)
{
	if (!sh->health)
		return;
	shim_health_stop(sh);
	free(sh->health);
	sh->health = NULL;
}
