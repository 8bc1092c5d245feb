/*
 * daemon_files: a container's files in its directory (role, layer 3; bottom band of the
 * daemon): bundle/config.json for --rootfs (with the --init copy and the seccomp profile's
 * copy, seccomp.json) and record.json, written
 * for CREATE, UPDATE and RENAME and repaired at adoption. Every file is replaced
 * atomically; a new container's are made durable once its shim is on its way
 * (daemon_files_sync_record). Calls only daemon_net (a network container's view of its
 * record). Never blocks on a peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon/daemon_files.h"
#include "daemon/daemon_net.h"
#include "base/fd.h"
#include "store/ids.h"
#include "runtime/selfexe.h"
#include "runtime/spec.h"
#include "seccomp/seccomp_profile.h"
#include "store/store.h"

/* The container's copy of its profile file, parsed; NULL (and 0) when it names none. */
static int load_seccomp(int dirfd, const struct record *rec, struct seccomp_profile **p,
			struct kerr *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	*p = NULL;
	if (!record_seccomp_is_path(rec))
		return 0;
	text = malloc(SECCOMP_PROFILE_MAX + 1);
	if (!text)
		return kerr_set(err, ENOMEM, "read `" DAEMON_FILES_SECCOMP "`");
	if (fd_read_small_file(dirfd, DAEMON_FILES_SECCOMP, text, SECCOMP_PROFILE_MAX + 1, &len,
			       err) < 0)
		return -1;
	*p = seccomp_profile_parse(text, len, err);
	return *p ? 0 : kerr_wrap(err, "`" DAEMON_FILES_SECCOMP "`");
}

int daemon_files_write_seccomp(struct daemon *d, const char *id, const char *text, size_t len,
			       struct kerr *err)
{
	_cleanup_close_ int dirfd = -1;

	if (store_open_container(d->rootfd, id, true, &dirfd, err) < 0)
		return -1;
	/* Durable before record.json names it: config.json is rebuilt from both. */
	return store_write_atomic(dirfd, DAEMON_FILES_SECCOMP, text, len, 0600, true, err);
}

/* fresh: a new container's first write: config.json needs no fsync (below) and
 * record.json is synced by the caller (daemon_files_sync_record), once the shim is on its way. */
int daemon_files_write(struct daemon *d, const struct record *rec, bool fresh, struct kerr *err)
{
	struct buf b;
	char cgroups[sizeof("/kettle/") + IDS_ID_LEN];
	_cleanup_close_ int dirfd = -1;
	int rc = 0;

	if (store_open_container(d->rootfd, rec->id, true, &dirfd, err) < 0)
		return -1;
	buf_init(&b, SPEC_CONFIG_MAX);
	if (rec->rootfs) {
		_cleanup_close_ int bfd = openat(dirfd, STORE_BUNDLE,
						 O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		snprintf(cgroups, sizeof(cgroups), "/kettle/%s", rec->id);
		if (bfd < 0)
			rc = kerr_set(err, errno, "open `" STORE_BUNDLE "`");
		/* --init: a private read-only copy, never the host's binary (spec.h). */
		if (rc == 0 && rec->init &&
		    faccessat(dirfd, SPEC_INIT_COPY, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
		    (selfexe_check_static("/proc/self/exe", err) < 0 ||
		     selfexe_copy(dirfd, SPEC_INIT_COPY, err) < 0))
			rc = -1;
		struct seccomp_profile *sp = NULL;
		/* Networks: the namespace file and the generated /etc files (daemon_net.c). */
		struct daemon_net_view view;

		if (rc == 0)
			rc = load_seccomp(dirfd, rec, &sp, err);
		if (rc == 0)
			rc = daemon_net_view(d, rec, &view, err);
		if (rc == 0) {
			rc = spec_generate(&view.rec, cgroups, sp, &b, err);
			daemon_net_view_done(&view);
		}
		seccomp_profile_free(sp);
		/* A new container's is not fsynced: it is derived from record.json, which
		 * follows durably, and a crash that loses it leaves it missing or empty,
		 * which the daemon repairs from the record (daemon_adopt.c repair_config).
		 * A changed one (UPDATE, RENAME) is: a stale old one would look intact. */
		if (rc == 0)
			rc = store_write_atomic(bfd, SPEC_CONFIG, b.data, b.len, 0600, !fresh, err);
		buf_clear(&b);
	}
	if (rc == 0)
		rc = record_json_encode(rec, &b, err);
	if (rc == 0)
		rc = store_write_atomic(dirfd, STORE_RECORD, b.data, b.len, 0600, !fresh, err);
	buf_done(&b);
	return rc;
}

/* A new container's record.json reaches the disk while its shim starts and runc runs: the
 * fsyncs overlap with them instead of delaying the spawn, and they are done before anyone
 * is told of the container (the reply waits for the shim's ready frame, a later turn). */
int daemon_files_sync_record(struct daemon *d, const char *id, struct kerr *err)
{
	_cleanup_close_ int dirfd = -1;

	if (store_open_container(d->rootfd, id, false, &dirfd, err) < 0 ||
	    store_sync(dirfd, STORE_RECORD, err) < 0)
		return kerr_wrap(err, "create container `%.12s`", id);
	return 0;
}
