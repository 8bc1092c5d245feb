/*
 * daemon_adopt: rebuilding the registry from disk when the daemon starts (role, layer 3;
 * top band of the daemon). Every container dir becomes a registry entry: its record (an
 * unreadable one is listed as Dead, for `rm -f`), its status from state.json and exit.json,
 * and its shim. A shim whose lock is held is re-adopted: pidfd + authenticated connection
 * checked against the lock holder's pid. Without one, the container is settled as at a
 * shim's death (daemon_death.c), and an exited --rm container is removed. A missing or
 * empty bundle/config.json is written again from the record. Calls the middle band
 * (daemon_death, daemon_spawn, daemon_shimlink) and the bottom; never a handler or a
 * dispatcher. Never blocks.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/daemon_adopt.h"
#include "daemon/daemon_death.h"
#include "daemon/daemon_files.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_runtime.h"
#include "daemon/daemon_shimlink.h"
#include "daemon/daemon_spawn.h"
#include "base/fd.h"
#include "base/log.h"
#include "runtime/spec.h"
#include "store/store.h"
#include "base/str.h"

static void adopt(struct daemon *d, struct daemon_ctr *c, pid_t holder)
{
	struct kerr err;

	if (daemon_spawn_watch_pidfd(d, c, holder, &err) < 0) {
		log_warn("container %.12s: watch its shim (pid %d): %s", c->rec.id, (int)holder,
			 err.msg);
		return;
	}
	if (daemon_shimlink_connect(d, c, &err) < 0) {
		log_warn("container %.12s: %s; retrying on the next request", c->rec.id, err.msg);
		return;
	}
	log_info("container %.12s: re-adopted its shim (pid %d)", c->rec.id, (int)holder);
}

/*
 * A new container's bundle/config.json is written without fsync (daemon_files_write):
 * after a crash of the machine it may be missing or empty while record.json, which is
 * durable, is intact. It is derived from the record alone, so it is simply written again.
 */
static void repair_config(struct daemon *d, struct daemon_ctr *c, int dirfd)
{
	struct stat sb;
	struct kerr err;

	if (!c->rec.rootfs ||
	    (fstatat(dirfd, STORE_BUNDLE "/" SPEC_CONFIG, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	     sb.st_size > 0))
		return;
	log_warn("container %.12s: its " STORE_BUNDLE "/" SPEC_CONFIG " is missing or empty "
		 "(a crash before it reached the disk), writing it again",
		 c->rec.id);
	if (daemon_files_write(d, &c->rec, false, &err) < 0)
		log_error("container %.12s: %s", c->rec.id, err.msg);
}

static int load_one(const char *id, void *data)
{
	struct daemon *d = data;
	struct record rec;
	struct buf text;
	struct kerr err;
	pid_t holder = 0;
	_cleanup_close_ int dirfd = -1;

	if (store_open_container(d->rootfd, id, false, &dirfd, &err) < 0) {
		log_warn("skipping container %.12s: %s", id, err.msg);
		return 0;
	}
	buf_init(&text, RECORD_JSON_MAX + 1);
	record_init(&rec);
	int rc = store_read_file(dirfd, STORE_RECORD, RECORD_JSON_MAX, &text, &err);
	if (rc == 0)
		rc = record_json_decode(&rec, (const char *)text.data, text.len, false, &err);
	buf_done(&text);
	if (rc == 0 && strcmp(rec.id, id) != 0)
		rc = kerr_set(&err, 0, "record.json names container `%.12s`", rec.id);
	if (rc < 0) {
		/* Listed as Dead with the reason, so a person sees it and `rm -f` can remove
		 * it; it keeps no name (a torn one could collide) and is never started. */
		char why[STATUS_ERROR_MAX];

		snprintf(why, sizeof(why), "`%s`: %.480s", STORE_RECORD, err.msg);
		log_warn("container %.12s is broken: %s", id, why);
		record_done(&rec);
		record_init(&rec);
		str_copy(rec.id, sizeof(rec.id), id);
		struct daemon_ctr *b = daemon_ctr_new(d, &rec);
		if (!b || daemon_ctr_add(d, b, &err) < 0) {
			log_error("skipping container %.12s: %s", id,
				  b ? err.msg : "out of memory");
			if (b)
				daemon_registry_ctr_free(d, b, "");
			return 0;
		}
		b->broken = true;
		b->st.kind = STATUS_DEAD;
		str_copy(b->st.error, sizeof(b->st.error), why);
		str_copy(b->st.reason, sizeof(b->st.reason), "broken");
		return 0;
	}
	struct daemon_ctr *c = daemon_ctr_new(d, &rec);
	if (!c || daemon_ctr_add(d, c, &err) < 0) {
		log_error("skipping container %.12s: %s", id, c ? err.msg : "out of memory");
		if (c)
			daemon_registry_ctr_free(d, c, "");
		record_done(&rec);
		return 0;
	}
	daemon_ctr_refresh(d, c);
	repair_config(d, c, dirfd);
	/* An exited --rm container left behind (the daemon stopped during its removal) is
	 * hidden at once: its name may belong to a newer container already. */
	if (c->rec.auto_remove && c->st.kind == STATUS_EXITED) {
		c->auto_removing = true;
	} else {
		struct daemon_ctr *other = daemon_find_name(d, c->rec.name);

		if (other && other != c) {
			log_warn("skipping container %.12s: its name `%s` is taken by container "
				 "%.12s",
				 id, c->rec.name, other->rec.id);
			daemon_ctr_forget(d, c, "");
			return 0;
		}
	}
	int held = ipc_lock_probe(dirfd, STORE_SHIM_LOCK, &holder, &err);
	if (held < 0)
		log_warn("container %.12s: %s, assuming no shim", id, err.msg);
	if (held == 1 && holder > 0) {
		adopt(d, c, holder);
		return 0;
	}
	if (held == 1)
		log_warn("container %.12s: its shim lock is held by an unknown pid, assuming no "
			 "shim",
			 id);
	if (daemon_registry_kind_may_run(c->st.kind)) {
		/* Runtime state left: the shim alone died (its container may run on). None:
		 * the host rebooted, and only docker's boot rule applies. */
		daemon_death_lost(d, c);
	} else if (c->st.kind == STATUS_CREATED &&
		   ((!c->st.error[0] && c->st.shim_pid > 0) || daemon_runtime_state_exists(d, c))) {
		daemon_runtime_delete(d, c, true);
	} else if (c->st.kind == STATUS_EXITED) {
		daemon_death_policy_at_boot(d, c);
	}
	if (c->rec.auto_remove && c->st.kind == STATUS_EXITED) {
		if (daemon_ctr_remove(d, c, &err) < 0)
			log_error("%s", err.msg);
	}
	return 0;
}

int daemon_adopt_load(struct daemon *d, struct kerr *err)
{
	size_t skipped = 0;

	if (store_each_container(d->rootfd, load_one, d, &skipped, err) < 0)
		return kerr_wrap(err, "load containers");
	if (skipped)
		log_warn("skipped %zu entries of %s/" STORE_CONTAINERS " that are not containers",
			 skipped, d->root);
	return 0;
}
