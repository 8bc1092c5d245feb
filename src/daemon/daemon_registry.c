/*
 * daemon_registry: the daemon's in-memory index of containers (role, layer 3; bottom band
 * of the daemon). One daemon_ctr per container dir: its record, its last known status
 * (daemon_ctr_refresh: state.json and exit.json, the newest word of the shim wins) and the
 * requests pending on it, answered in the order they came. Lookup is by name, full id or
 * unique id prefix, skipping hidden (exited --rm) containers. Calls only daemon_reply,
 * daemon_runtime, daemon_events and daemon_net below it; never a shim, a handler or a dispatcher.
 * Never blocks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon_registry.h"
#include "daemon/daemon_events.h"
#include "daemon/daemon_net.h"
#include "daemon/daemon_images.h"
#include "daemon/daemon_reply.h"
#include "daemon/daemon_runtime.h"
#include "base/fd.h"
#include "store/ids.h"
#include "base/log.h"
#include "store/store.h"
#include "base/str.h"

#define AMBIGUOUS_SHOWN 10  /* ids listed in an "ambiguous prefix" error */
#define REF_SHOWN	128 /* bytes of a reference quoted in a message */

/* ---- pending requests ---- */

struct daemon_pend *daemon_pend_add(struct daemon_ctr *c, enum daemon_pend_kind kind,
				    uint32_t shim_reqid, uint64_t client, uint32_t client_reqid,
				    struct kerr *err)
{
	if (c->npend >= DAEMON_WAITERS_MAX) {
		kerr_set(err, 0, "container `%.12s` has %zu requests waiting, limit %d", c->rec.id,
			 c->npend, DAEMON_WAITERS_MAX);
		return NULL;
	}
	struct daemon_pend *p = calloc(1, sizeof(*p));
	if (!p) {
		kerr_set(err, ENOMEM, "queue a request for `%.12s`", c->rec.id);
		return NULL;
	}
	p->kind = kind;
	p->shim_reqid = shim_reqid;
	p->client = client;
	p->client_reqid = client_reqid;
	/* Appended: requests are answered in the order they came. */
	struct daemon_pend **pp = &c->pend;
	while (*pp)
		pp = &(*pp)->next;
	*pp = p;
	c->npend++;
	return p;
}

void daemon_pend_drop(struct daemon_ctr *c, struct daemon_pend *p)
{
	struct daemon_pend **pp = &c->pend;

	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = p->next;
		c->npend--;
	}
	free(p);
}

/* ---- the registry ---- */

struct daemon_ctr *daemon_ctr_new(struct daemon *d, struct record *rec)
{
	struct daemon_ctr *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->rec = *rec;
	record_init(rec);
	status_init(&c->st);
	c->pidfd = -1;
	c->ready_fd = -1;
	buf_init(&c->ready, DAEMON_READY_MAX);
	c->d = d;
	return c;
}

int daemon_ctr_add(struct daemon *d, struct daemon_ctr *c, struct kerr *err)
{
	if (d->nctrs >= STORE_CONTAINERS_MAX)
		return kerr_set(err, 0, "the state root holds %zu containers, limit %u", d->nctrs,
				STORE_CONTAINERS_MAX);
	if (d->nctrs == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct daemon_ctr **n = realloc(d->ctrs, cap * sizeof(*n));

		if (!n)
			return kerr_set(err, ENOMEM, "grow the container registry");
		d->ctrs = n;
		d->cap = cap;
	}
	d->ctrs[d->nctrs++] = c;
	return 0;
}

/* Closes everything c holds; pending requests get `why`, waiters the last exit code. */
void daemon_registry_ctr_free(struct daemon *d, struct daemon_ctr *c, const char *why)
{
	struct rpc_conn *conn = rpc_conn_find(c->shim_conn);

	if (conn) {
		/* Detach first: the close callback must not find a freed container. */
		rpc_conn_set_data(conn, NULL);
		rpc_conn_close(conn);
	}
	if (c->pidfd >= 0) {
		loop_del_fd(d->loop, c->pidfd);
		c->pidfd = fd_close(c->pidfd);
	}
	if (c->ready_fd >= 0) {
		loop_del_fd(d->loop, c->ready_fd);
		c->ready_fd = fd_close(c->ready_fd);
	}
	if (c->ready_timer)
		loop_cancel_timer(d->loop, c->ready_timer);
	if (c->gone_timer)
		loop_cancel_timer(d->loop, c->gone_timer);
	if (c->restart_timer)
		loop_cancel_timer(d->loop, c->restart_timer);
	while (c->pend) {
		struct daemon_pend *p = c->pend;

		if (p->client && p->kind == DAEMON_PEND_WAIT)
			daemon_reply_exit(p->client, p->client_reqid, c->st.exit_code);
		else if (p->client)
			daemon_reply_error(p->client, p->client_reqid, DAEMON_FAIL_CODE, why);
		daemon_pend_drop(c, p);
	}
	buf_done(&c->ready);
	record_done(&c->rec);
	free(c);
}

void daemon_ctr_forget(struct daemon *d, struct daemon_ctr *c, const char *why)
{
	for (size_t i = 0; i < d->nctrs; i++) {
		if (d->ctrs[i] == c) {
			memmove(&d->ctrs[i], &d->ctrs[i + 1],
				(d->nctrs - i - 1) * sizeof(*d->ctrs));
			d->nctrs--;
			break;
		}
	}
	daemon_registry_ctr_free(d, c, why);
}

int daemon_ctr_remove(struct daemon *d, struct daemon_ctr *c, struct kerr *err)
{
	char id[IDS_ID_LEN + 1];

	str_copy(id, sizeof(id), c->rec.id);
	/* Runtime state its shim could not delete (the shim died, or `runc delete` failed):
	 * nothing may outlive the record. Logged to /dev/null: the directory goes now. */
	if (c->shim_pid == 0 && daemon_runtime_state_exists(d, c))
		daemon_runtime_delete(d, c, false);
	daemon_events_publish(d, c, "destroy", 0, NULL);
	/* The namespace file is a mount point: it must go before the directory can. */
	daemon_net_detach(d, c);
	/* An image's container: its root unmounted and its deep trees removed first. */
	bool had_image = c->rec.image.ref != NULL;
	daemon_images_ctr_cleanup(d, c);
	int rc = store_remove_container(d->rootfd, id, err);
	daemon_ctr_forget(d, c, "the container was removed");
	if (had_image)
		daemon_images_gc(d); /* layers only this container kept alive */
	if (rc < 0)
		return kerr_wrap(err, "remove container `%.12s`", id);
	log_info("removed container %.12s", id);
	return 0;
}

void daemon_registry_free(struct daemon *d)
{
	while (d->nctrs > 0)
		daemon_registry_ctr_free(d, d->ctrs[--d->nctrs], "the daemon is shutting down");
	free(d->ctrs);
	d->ctrs = NULL;
	d->cap = 0;
}

bool daemon_ctr_hidden(const struct daemon_ctr *c)
{
	return c->auto_removing;
}

struct daemon_ctr *daemon_find_name(struct daemon *d, const char *name)
{
	/* A --rm container that has exited gave its name back at its exit (daemon_registry.h). */
	for (size_t i = 0; i < d->nctrs; i++)
		if (!daemon_ctr_hidden(d->ctrs[i]) && strcmp(d->ctrs[i]->rec.name, name) == 0)
			return d->ctrs[i];
	return NULL;
}

struct daemon_ctr *daemon_find_id(struct daemon *d, const char *id)
{
	for (size_t i = 0; i < d->nctrs; i++)
		if (strcmp(d->ctrs[i]->rec.id, id) == 0)
			return d->ctrs[i];
	return NULL;
}

struct daemon_ctr *daemon_resolve(struct daemon *d, const char *ref, uint32_t *code,
				  struct kerr *err)
{
	char shown[REF_SHOWN];
	struct daemon_ctr *c;

	*code = DAEMON_FAIL_CODE;
	if (!ref[0]) {
		kerr_set(err, 0,
			 "empty container reference, expected a name, an id or an id prefix");
		return NULL;
	}
	c = daemon_find_name(d, ref);
	if (c)
		return c;
	if (ids_is_id_prefix(ref)) {
		size_t n = strlen(ref), matches = 0;
		struct daemon_ctr *first = NULL;

		for (size_t i = 0; i < d->nctrs; i++) {
			if (!daemon_ctr_hidden(d->ctrs[i]) &&
			    strncmp(d->ctrs[i]->rec.id, ref, n) == 0) {
				if (!first)
					first = d->ctrs[i];
				matches++;
			}
		}
		if (matches == 1)
			return first;
		if (matches > 1) {
			char list[AMBIGUOUS_SHOWN * (IDS_SHORT_LEN + 2) + 8] = "";
			size_t shown_n = 0, off = 0;

			for (size_t i = 0; i < d->nctrs && shown_n < AMBIGUOUS_SHOWN; i++) {
				if (daemon_ctr_hidden(d->ctrs[i]) ||
				    strncmp(d->ctrs[i]->rec.id, ref, n) != 0)
					continue;
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%.12s",
							shown_n ? ", " : "", d->ctrs[i]->rec.id);
				shown_n++;
			}
			if (matches > shown_n)
				snprintf(list + off, sizeof(list) - off, ", …");
			kerr_set(err, 0,
				 "ambiguous container prefix `%s` matches %zu containers: %s", ref,
				 matches, list);
			return NULL;
		}
	}
	str_sanitize(shown, sizeof(shown), ref, strlen(ref));
	*code = DAEMON_NOT_FOUND_CODE;
	kerr_set(err, 0, "no such container: `%s`", shown);
	return NULL;
}

bool daemon_ctr_spawning(const struct daemon_ctr *c)
{
	return c->ready_fd >= 0;
}

bool daemon_ctr_shim_alive(const struct daemon_ctr *c)
{
	return c->shim_pid > 0 && !c->shim_dead && !c->shim_exiting;
}

bool daemon_registry_kind_may_run(enum status_kind k)
{
	return k == STATUS_RUNNING || k == STATUS_PAUSED || k == STATUS_RESTARTING ||
	       k == STATUS_REMOVING;
}

bool daemon_ctr_running(const struct daemon_ctr *c)
{
	return daemon_ctr_shim_alive(c) && daemon_registry_kind_may_run(c->st.kind) &&
	       c->st.kind != STATUS_REMOVING;
}

bool daemon_ctr_has_exited(const struct daemon_ctr *c)
{
	return c->st.kind == STATUS_EXITED || c->st.kind == STATUS_DEAD;
}

/* ---- status from disk ---- */

void daemon_ctr_refresh(struct daemon *d, struct daemon_ctr *c)
{
	struct status st, ex;
	struct kerr err;
	_cleanup_close_ int dirfd = -1;

	if (c->broken)
		return; /* Dead with the record's damage as the reason, whatever else says */
	if (store_open_container(d->rootfd, c->rec.id, false, &dirfd, &err) < 0) {
		log_warn("container %.12s: %s, ignoring", c->rec.id, err.msg);
		return;
	}
	char broken[STATUS_ERROR_MAX] = "";
	bool have_st = status_read(dirfd, STORE_STATE, &st, &err) == 0;
	if (!have_st && err.code != ENOENT)
		str_copy(broken, sizeof(broken), err.msg);
	bool have_ex = status_read(dirfd, STORE_EXIT, &ex, &err) == 0;
	if (!have_ex && err.code != ENOENT && !broken[0])
		str_copy(broken, sizeof(broken), err.msg);
	/*
	 * state.json is the shim's current view and wins, except when it still claims a
	 * running container that exit.json shows exited since its start: the shim writes
	 * exit.json first and may have died before rewriting state.json. An exit it already
	 * knows of (restarting: the same finished time) is not newer.
	 */
	if (have_st && have_ex && daemon_registry_kind_may_run(st.kind) &&
	    ex.finished_ns >= st.started_ns && ex.finished_ns > st.finished_ns)
		c->st = ex;
	else if (have_st)
		c->st = st;
	else if (have_ex)
		c->st = ex;
	if (broken[0] && c->shim_pid == 0) {
		/* Files are replaced atomically, so a torn one is damage, not a race: shown
		 * as Dead with the reason until a shim writes it anew or `rm` removes it. */
		log_warn("container %.12s is broken: %s", c->rec.id, broken);
		c->st.kind = STATUS_DEAD;
		c->st.pid = 0;
		str_copy(c->st.error, sizeof(c->st.error), broken);
		str_copy(c->st.reason, sizeof(c->st.reason), "broken");
	} else if (broken[0]) {
		log_warn("container %.12s: %s, ignoring", c->rec.id, broken);
	}
}
