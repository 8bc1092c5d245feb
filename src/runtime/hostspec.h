/*
 * hostspec: what a process run directly on the host takes from an OCI process spec
 * (mechanism M3, pure but for the executable's lookup).
 *
 * kettle's host runtime (src/hostrt) reads config.json's "process" (or an exec's bare
 * process object): args, env, cwd, user {uid, gid, additionalGids}, rlimits, terminal,
 * consoleSize and noNewPrivileges. Everything else in a spec (root, mounts, namespaces,
 * capabilities) is ignored: that is what "host" means. Parsing is strict about what it
 * reads (types, counts within the caps below, absolute cwd, known rlimit names) and
 * skips the rest. Strings are owned and freed by hostspec_done. Never logs.
 */
#ifndef KETTLE_HOSTSPEC_H
#define KETTLE_HOSTSPEC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/kerr.h"
#include "runtime/proc.h"

#define HOSTSPEC_LIST_MAX    4096	/* args, env entries */
#define HOSTSPEC_GROUPS_MAX  64		/* additionalGids */
#define HOSTSPEC_RLIMITS_MAX 16		/* rlimits (one per resource) */
#define HOSTSPEC_JSON_MAX    (4u << 20) /* a config.json or process.json (bytes) */

struct hostspec {
	char **args;					  /* owned, NULL-terminated; nargs >= 1 */
	size_t nargs;					  /* entries of args */
	char **env;					  /* owned, NULL-terminated */
	size_t nenv;					  /* entries of env */
	char cwd[PATH_MAX];				  /* absolute */
	bool user_set;					  /* user given */
	uid_t uid;					  /* with user_set */
	gid_t gid;					  /* with user_set */
	gid_t groups[HOSTSPEC_GROUPS_MAX];		  /* additionalGids */
	size_t ngroups;					  /* entries of groups */
	struct proc_rlimit rlimits[HOSTSPEC_RLIMITS_MAX]; /* in spec order */
	size_t nrlimits;				  /* entries of rlimits */
	bool terminal;					  /* a pty for stdio */
	bool no_new_privs;				  /* noNewPrivileges */
	uint32_t rows;					  /* consoleSize.height, 0: none */
	uint32_t cols;					  /* consoleSize.width */
};

/* config: text is a config.json (the process is its "process"), else a process object. */
int hostspec_parse(struct hostspec *s, const char *text, size_t len, bool config, struct kerr *err);
void hostspec_done(struct hostspec *s);
/* The executable args[0] names: a path (relative ones against cwd) or a name looked up in
 * the spec's own PATH (its env's, else the usual default). runc's words when missing:
 * `exec: "x": executable file not found in $PATH` (runtime_error_exit_code: 127). */
int hostspec_lookup(const struct hostspec *s, char out[PATH_MAX], struct kerr *err);
/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -1 when unknown. */
int hostspec_rlimit(const char *name);

#endif
