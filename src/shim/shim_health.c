/*
 * shim_health: the container's health checks, run by its shim (role layer).
 *
 * While the container runs, one loop timer starts `/bin/sh -c CMD` in it every interval
 * (through shim_exec's internal execs, so `runc exec` is spawned and reaped like any
 * exec), a second timer kills a check that outlives its timeout, and the check's stdout
 * and stderr arrive on one pipe, kept up to STATUS_HEALTH_OUT_MAX bytes. Docker's rules
 * (status_health_add) turn each result into the status kept in state.json; a change is
 * an `health_status: X` event, and turning unhealthy feeds SHIM_E_UNHEALTHY to the
 * lifecycle table for --health-on-failure. Invariants: at most one check in flight; the
 * next one is scheduled only once the last ended (docker's spacing); a result that
 * arrives after the run ended (a stale serial) is ignored; nothing here waits. Because
 * the shim runs them, checks go on while the daemon is down.
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
#include "shim/shim.h"
#include "base/str.h"

#define HEALTH_SHELL	  "/bin/sh" /* docker's CMD-SHELL runs `/bin/sh -c CMD` */
#define HEALTH_READ_CHUNK 4096	    /* bytes read from the output pipe at once */

struct shim_health {
	struct shim *sh;	   /* borrowed; its loop and record */
	bool active;		   /* the container runs: checks are scheduled */
	uint64_t timer;		   /* next check's timer id, or 0 */
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
	shim_supervise_emit(sh, type, NULL, NULL);
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
	shim_supervise_save(sh);
	schedule(h, interval_ms(r));
	if (!changed)
		return;
	log_info("health status: %s (failing streak %u)", status_health_name(kind),
		 sh->st.health.failing_streak);
	emit_status(sh, kind);
	if (kind == STATUS_HEALTH_UNHEALTHY && r->health_on_failure != RECORD_HEALTH_NONE &&
	    sh->state == SHIM_S_RUNNING) {
		struct shim_ev ev = { .type = SHIM_E_UNHEALTHY };

		shim_supervise_event(sh, &ev);
	}
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

static void on_timer(struct loop *l, void *data)
{
	struct shim_health *h = data;

	(void)l;
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

static void schedule(struct shim_health *h, uint64_t delay_ms)
{
	struct kerr err;

	if (!h->active || h->timer)
		return;
	h->timer = loop_add_timer(h->sh->loop, delay_ms, on_timer, h, &err);
	if (!h->timer)
		log_error("%s: no more health checks for this run", err.msg);
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
