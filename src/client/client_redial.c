/*
 * client_redial: finding the daemon again after it went away (layer 3, client role), so
 * that `run`, `start -a`, `attach` and `wait` keep going across a daemon restart.
 *
 * A new daemon publishes its address after listen(), by rename (daemon.addr, IN_MOVED_TO
 * on the state root): an inotify watch sees it, and each sighting makes one quiet attempt
 * (client_reconnect); timed attempts back off from REDIAL_FIRST_MS to REDIAL_GAP_MAX_MS in
 * case a sighting is missed. Nothing sleeps: the caller polls r->wfd with
 * client_redial_timeout, or client_redial_wait does when there is nothing else to do.
 */
#include <errno.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/str.h"
#include "client/client.h"

#define REDIAL_FIRST_MS	  50			/* the first timed attempt after the loss */
#define REDIAL_GAP_MAX_MS 1000			/* timed attempts at least this often */
#define REDIAL_AUTH_MS	  1000			/* a live daemon answers AUTH at once */
#define RECONNECT_MAX_MS  (24ull * 3600 * 1000) /* --reconnect-timeout at most */

void client_redial_begin(struct client *cl, struct client_redial *r, uint64_t bound_ms)
{
	uint64_t now = clock_mono_ms();

	*r = (struct client_redial){
		.wfd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK),
		.deadline_ms = now + bound_ms,
		.bound_ms = bound_ms,
		.next_ms = now,
		.gap_ms = REDIAL_FIRST_MS,
	};
	if (r->wfd >= 0 &&
	    inotify_add_watch(r->wfd, cl->root, IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0)
		r->wfd = fd_close(r->wfd);
}

/* True when a file was put into the root since the last look (events drained). */
static bool sighted(struct client_redial *r)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool seen = false;

	while (r->wfd >= 0 && read(r->wfd, buf, sizeof(buf)) > 0)
		seen = true;
	return seen;
}

int client_redial_step(struct client *cl, struct client_redial *r, struct kerr *err)
{
	uint64_t now = clock_mono_ms();
	bool seen = sighted(r);

	if (seen || now >= r->next_ms) {
		if (client_reconnect(cl, REDIAL_AUTH_MS, err) == 0)
			return 1;
		now = clock_mono_ms();
		r->next_ms = now + r->gap_ms;
		r->gap_ms = r->gap_ms * 2 > REDIAL_GAP_MAX_MS ? REDIAL_GAP_MAX_MS : r->gap_ms * 2;
	}
	if (now < r->deadline_ms)
		return 0;
	if (r->bound_ms % 1000 == 0)
		return kerr_set(err, 0,
				"the kettle daemon at %s went away and was not back within %llus "
				"(--reconnect-timeout)",
				cl->root, (unsigned long long)(r->bound_ms / 1000));
	return kerr_set(err, 0,
			"the kettle daemon at %s went away and was not back within %llums "
			"(--reconnect-timeout)",
			cl->root, (unsigned long long)r->bound_ms);
}

int client_redial_timeout(const struct client_redial *r)
{
	uint64_t now = clock_mono_ms();
	uint64_t until = r->next_ms < r->deadline_ms ? r->next_ms : r->deadline_ms;

	return until <= now ? 0 : (int)(until - now);
}

void client_redial_end(struct client_redial *r)
{
	r->wfd = fd_close(r->wfd);
}

int client_redial_wait(struct client *cl, uint64_t bound_ms, struct kerr *err)
{
	struct client_redial r;
	int rc;

	client_redial_begin(cl, &r, bound_ms);
	while ((rc = client_redial_step(cl, &r, err)) == 0) {
		struct pollfd p = { .fd = r.wfd, .events = POLLIN };

		if (poll(&p, 1, client_redial_timeout(&r)) < 0 && errno != EINTR) {
			rc = kerr_set(err, errno, "wait for the kettle daemon");
			break;
		}
	}
	client_redial_end(&r);
	return rc > 0 ? 0 : -1;
}

int client_redial_open(struct client *cl, uint64_t bound_ms)
{
	struct kerr err;
	int rc = client_open_lasting(cl);

	if (rc != CLIENT_OPEN_LOST)
		return rc;
	if (client_redial_wait(cl, bound_ms, &err) == 0)
		return 0;
	client_close(cl);
	return client_fail(CLIENT_FAILED(CLIENT_DAEMON_GONE), &err);
}

int client_redial_option(const struct cli_cmd *cmd, const char *val, uint64_t *ms)
{
	struct kerr err;

	if (str_parse_duration_ms(val, ms, &err) < 0)
		return client_usage_error(cmd, "--reconnect-timeout: %s", err.msg);
	if (*ms > RECONNECT_MAX_MS)
		return client_usage_error(cmd, "--reconnect-timeout `%s` is longer than 24h", val);
	return 0;
}
