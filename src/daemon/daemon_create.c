/*
 * daemon_create: the CREATE request (role, layer 3; middle band of the daemon, called by
 * daemon_api.c). Validates the record (rootfs, bundle, runtime, limits), picks a unique id
 * and name, writes the container dir (daemon_files.c) and spawns its shim; the reply waits
 * for the shim's ready frame (daemon_complete_spawned). A CREATE that fails a check leaves
 * no directory behind and the daemon unchanged. Calls only daemon_spawn and the bottom
 * band; never a completion or a dispatcher. Never blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "daemon/daemon_create.h"
#include "daemon/daemon_devices.h"
#include "daemon/daemon_events.h"
#include "daemon/daemon_files.h"
#include "daemon/daemon_images.h"
#include "daemon/daemon_net.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_reply.h"
#include "daemon/daemon_runtime.h"
#include "daemon/daemon_seccomp.h"
#include "daemon/daemon_spawn.h"
#include "base/fd.h"
#include "store/ids.h"
#include "base/log.h"
#include "ipc/request.h"
#include "runtime/proc.h"
#include "runtime/runtime.h"
#include "runtime/spec.h"
#include "store/store.h"
#include "base/str.h"
#include "image/imgmount.h"

#define NAME_TRIES 16  /* fresh ids tried when a generated name is taken */
#define SHOWN_PATH 256 /* bytes of a user path quoted in a message */

/* request.c checks every request against the same limits before a handler runs. */
_Static_assert(RECORD_JSON_MAX == REQUEST_CREATE_JSON_MAX, "differs from request.c's");

static int check_rootfs(const char *rootfs, struct kerr *err)
{
	char shown[SHOWN_PATH];

	str_sanitize(shown, sizeof(shown), rootfs, strlen(rootfs));
	_cleanup_close_ int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(err, errno, "rootfs `%s`", shown);
	return 0;
}

/* A container of an image: its root is the mount point in its own directory, which its
 * shim fills (an overlay of the layers, or the vfs copy) before `runc create`. */
static int set_image_rootfs(struct daemon *d, struct record *rec, struct kerr *err)
{
	char path[PATH_MAX];

	if (store_container_path(d->root, rec->id, IMGMOUNT_ROOTFS, path, sizeof(path), err) < 0)
		return -1;
	free(rec->rootfs);
	rec->rootfs = strdup(path);
	return rec->rootfs ? 0 : kerr_set(err, ENOMEM, "create container");
}

/* Picks the id and, when the request has none, a generated name; checks uniqueness. */
static int choose_identity(struct daemon *d, struct record *rec, struct kerr *err)
{
	if (rec->name[0]) {
		struct daemon_ctr *other = daemon_find_name(d, rec->name);

		if (other)
			return kerr_set(err, 0, "name `%s` is already in use by container %.12s",
					rec->name, other->rec.id);
	}
	for (int i = 0; i < NAME_TRIES; i++) {
		char id[IDS_ID_LEN + 1];
		char name[IDS_NAME_MAX + 1];

		if (ids_new_id(id, err) < 0)
			return -1;
		if (daemon_find_id(d, id))
			continue;
		if (!rec->name[0]) {
			ids_name_from_id(id, name);
			if (daemon_find_name(d, name))
				continue;
			str_copy(rec->name, sizeof(rec->name), name);
		}
		str_copy(rec->id, sizeof(rec->id), id);
		return 0;
	}
	return kerr_set(err, 0,
			"could not find a free container name in %d tries: give one "
			"with --name",
			NAME_TRIES);
}

/* --network container:X: X by name, id or prefix, followed to the namespace it has. The
 * record keeps X's id, so a rename of X changes nothing; joining X's own host or ns:PATH
 * network is recorded as that network. */
static int resolve_net_owner(struct daemon *d, struct record *rec, struct kerr *err)
{
	uint32_t code;
	struct daemon_ctr *o = daemon_resolve(d, rec->net.container, &code, err);

	for (int hops = 0; o && o->rec.network == RECORD_NET_CONTAINER && hops < 8; hops++)
		o = daemon_find_id(d, o->rec.net.container);
	if (!o)
		return kerr_wrap(err, "--network container:");
	if (o->broken)
		return kerr_set(err, 0, "--network container:%.64s: container %.12s is broken",
				rec->net.container, o->rec.id);
	free(rec->net.container);
	rec->net.container = NULL;
	switch (o->rec.network) {
	case RECORD_NET_BRIDGE:
		rec->net.container = strdup(o->rec.id);
		break;
	case RECORD_NET_HOST:
		rec->network = RECORD_NET_HOST;
		return 0;
	case RECORD_NET_NS:
		rec->network = RECORD_NET_NS;
		rec->netns_path = strdup(o->rec.netns_path);
		break;
	default:
		return kerr_set(
			err, 0,
			"--network container:%.64s: container %.12s has no network namespace "
			"that outlives its process (--network none); run it with --network "
			"bridge to share its network",
			o->rec.name, o->rec.id);
	}
	if (!rec->net.container && !rec->netns_path)
		return kerr_set(err, ENOMEM, "--network container:");
	return 0;
}

void daemon_create_request(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct record rec;
	struct runtime rt;
	char *profile = NULL; /* owned; the checked copy of a seccomp profile file */
	size_t profile_len = 0;
	const uint8_t *json;
	size_t len;
	uint32_t run = 0;
	struct kerr err;

	record_init(&rec);
	if (wire_get_bytes(f, WIRE_F_JSON, true, &json, &len, &err) < 0 ||
	    wire_get_u32(f, WIRE_F_RUN, false, &run, &err) < 0)
		goto out_fail;
	if (run > 1) {
		kerr_set(&err, 0, "field RUN is %u; allowed: 0 or 1", run);
		goto out_fail;
	}
	if (record_json_decode(&rec, (const char *)json, len, true, &err) < 0)
		goto out_fail;
	if (rec.image.ref && daemon_images_apply(d, &rec, &err) < 0)
		goto out_fail;
	if (rec.image.stop_signal &&
	    proc_signal_parse(rec.image.stop_signal, &(int){ 0 }, &err) < 0) {
		kerr_wrap(&err, "the image's StopSignal");
		goto out_fail;
	}
	if (rec.rootfs && check_rootfs(rec.rootfs, &err) < 0)
		goto out_fail;
	if (rec.bundle && spec_check_bundle(rec.bundle, rec.args.n ? NULL : &rec.args, &err) < 0)
		goto out_fail;
	if (runtime_init(&rt, daemon_runtime_of(d, &rec), d->runc_root, "/dev/null", &err) < 0)
		goto out_fail;
	/* Before anything exists: a bad profile fails the create with nothing to undo. */
	if (daemon_seccomp_prepare(d, &rec, &profile, &profile_len, &err) < 0)
		goto out_fail;
	/* --device, --gpus and CDI names, against the host as it is now (the record keeps
	 * what they resolved to; config.json is made from it). */
	if (daemon_devices_resolve(d, &rec, &err) < 0)
		goto out_fail;
	if (choose_identity(d, &rec, &err) < 0)
		goto out_fail;
	if (rec.image.ref && set_image_rootfs(d, &rec, &err) < 0)
		goto out_fail;
	if (rec.network == RECORD_NET_CONTAINER && resolve_net_owner(d, &rec, &err) < 0)
		goto out_fail;
	if (daemon_net_prepare(d, &rec, &err) < 0)
		goto out_fail;
	rec.created_ns = clock_wall_ns();
	/* The daemon's backoff defaults are written into the record: the shim needs no
	 * daemon to know them, and inspect shows what applies. */
	if (!rec.restart_delay_ms)
		rec.restart_delay_ms = d->restart_defaults.base_ms;
	if (!rec.restart_max_delay_ms)
		rec.restart_max_delay_ms = d->restart_defaults.max_ms;
	if (!rec.restart_reset_ms)
		rec.restart_reset_ms = d->restart_defaults.reset_ms;
	/* Log rotation defaults likewise, so the shim finds them in the record. */
	if (!rec.log_max_size)
		rec.log_max_size = d->log_max_size;
	if (!rec.log_max_files)
		rec.log_max_files = d->log_max_files;
	if (record_validate(&rec, false, &err) < 0)
		goto out_fail;
	if ((profile && daemon_files_write_seccomp(d, rec.id, profile, profile_len, &err) < 0) ||
	    daemon_files_write(d, &rec, true, &err) < 0) {
		struct kerr ignored;

		kerr_wrap(&err, "create container `%.12s`", rec.id);
		store_remove_container(d->rootfd, rec.id, &ignored);
		goto out_fail;
	}
	struct daemon_ctr *c = daemon_ctr_new(d, &rec);
	if (!c) {
		struct kerr ignored;

		kerr_set(&err, ENOMEM, "create container");
		store_remove_container(d->rootfd, rec.id, &ignored);
		goto out_fail;
	}
	if (daemon_ctr_add(d, c, &err) < 0) {
		struct kerr ignored;

		store_remove_container(d->rootfd, c->rec.id, &ignored);
		daemon_ctr_forget(d, c, "");
		goto out_fail;
	}
	log_info("creating container %.12s `%s`", c->rec.id, c->rec.name);
	daemon_events_publish(d, c, "create", c->rec.created_ns, NULL);
	/* `kettle run`: one `runc run` instead of create + start (docs/PROTOCOL.md). */
	c->spawn_run = run == 1 && !c->rec.tty;
	free(profile);
	profile = NULL;
	if (daemon_spawn_shim(d, c, &err) < 0 || daemon_files_sync_record(d, c->rec.id, &err) < 0 ||
	    !daemon_pend_add(c, DAEMON_PEND_CREATE, 0, rpc_conn_id(conn), f->reqid, &err)) {
		/* The spawn may have started: forgetting closes its pipe and its watch. */
		daemon_ctr_remove(d, c, &(struct kerr){ 0 });
		goto out_fail;
	}
	return;
out_fail:
	free(profile);
	record_done(&rec);
	daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
}
