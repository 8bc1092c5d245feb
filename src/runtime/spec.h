/*
 * spec: the OCI runtime spec (config.json) of a container (mechanism M3).
 *
 * For --rootfs, kettle writes config.json itself from the record: pid, ipc, uts, mount
 * and (unless --network host) network namespaces; /proc, /dev, /dev/pts, /dev/shm,
 * /dev/mqueue, read-only /sys; docker's masked and read-only paths and default
 * capabilities; cgroup limits; PATH and HOME defaults; no terminal; rlimits never above
 * the host's hard limits; the seccomp filter (src/seccomp) unless unconfined or privileged,
 * and no_new_privileges as asked. For --bundle the user's config.json is used as it is, after a
 * strict check that it parses and names a process and a root. Never logs.
 */
#ifndef KETTLE_SPEC_H
#define KETTLE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/kerr.h"
#include "seccomp/seccomp_filter.h"
#include "seccomp/seccomp_profile.h"
#include "store/record.h"

#define SPEC_CONFIG	  "config.json"
#define SPEC_CONFIG_MAX	  (4u * 1024u * 1024u) /* a bundle's config.json (bytes) */
/* The PATH a --rootfs container gets when its record sets none (inspect shows it too). */
#define SPEC_DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* --init: the daemon writes a read-only copy of kettle as <container dir>/init (the bundle's
 * sibling; OCI resolves a relative bind source against the bundle) and the spec binds it
 * read-only at SPEC_INIT_PATH, prepended to the command with "--". The host's own binary
 * is never mounted (runc CVE-2019-5736). The basename "init" dispatches to `kettle init`. */
#define SPEC_INIT_COPY	 "init"
#define SPEC_INIT_SOURCE "../" SPEC_INIT_COPY
#define SPEC_INIT_PATH	 "/dev/init"

/* Appends the generated config.json for r (r->rootfs set) to out. cgroups_path is the
 * value for linux.cgroupsPath (e.g. "/kettle/<id>"). profile is the container's own
 * profile file, parsed, when its record names one (record_seccomp_is_path); else NULL. */
int spec_generate(const struct record *r, const char *cgroups_path,
		  const struct seccomp_profile *profile, struct buf *out, struct kerr *err);
/* The seccomp filter r's container gets: its profile (the built-in one, or profile when
 * the record names a file) selected for its bounding set on this architecture. f->profile
 * stays NULL when it gets none (unconfined, privileged). f is the caller's to done, also
 * after a failure. */
int spec_seccomp_filter(const struct record *r, const struct seccomp_profile *profile,
			struct seccomp_filter *f, struct kerr *err);
/* Checks bundle/config.json: present, a regular file, strict JSON with ociVersion,
 * process.args (non-empty strings) and root.path. When args is not NULL, the process
 * args are appended to it (for ps and inspect). */
int spec_check_bundle(const char *bundle, struct record_strv *args, struct kerr *err);

/* What `kettle exec` asks for; everything else (capabilities, rlimits, the record's
 * environment, user and workdir as defaults) comes from the container's record. */
struct spec_exec {
	char *const *args; /* borrowed; the command, nargs >= 1 */
	size_t nargs;	   /* entries of args */
	char *const *env;  /* borrowed; "K=V" applied after the record's variables */
	size_t nenv;	   /* entries of env */
	const char *cwd;   /* borrowed; absolute, or NULL for the record's workdir */
	bool user_set;	   /* uid/gid given (else the record's user) */
	uint32_t uid;	   /* with user_set */
	uint32_t gid;	   /* with user_set */
	bool tty;	   /* process.terminal */
};

/* Appends the process.json of an exec (`runc exec --process FILE`) to out. */
int spec_exec_process(const struct record *r, const struct spec_exec *x, struct buf *out,
		      struct kerr *err);

#endif
