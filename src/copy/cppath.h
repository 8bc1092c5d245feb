/*
 * cppath: the path rules of `kettle cp` as pure functions (mechanism M1).
 *
 * Docker's semantics: an argument is `-` (a tar stream), CONTAINER:PATH, or a local path;
 * `SRC/.` means a directory's contents; a DST ending in `/` (or `/.`) names a directory;
 * the entry takes SRC's base name inside an existing directory DST, else DST's own name
 * inside DST's parent. client_cp.c asks these functions what to do and does the I/O.
 * Invariants: no I/O, no allocation, never reads past a NUL; every output buffer is
 * NUL-terminated (even on failure); a name returned for an entry never contains `/` and
 * is never `.` or `..`; an output that does not fit is an error, never truncated.
 */
#ifndef KETTLE_CPPATH_H
#define KETTLE_CPPATH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/kerr.h"

#define CPPATH_REF_MAX 255 /* bytes of CONTAINER in CONTAINER:PATH */

/* One parsed argument: exactly one of stdio, in_ctr, or neither (a local path). */
struct cppath_arg {
	const char *arg;	      /* borrowed: the argument as typed */
	const char *path;	      /* borrowed: points into arg; the path part (all of arg
					 when local or stdio) */
	bool stdio;		      /* `-`: a tar stream on stdin (SRC) or stdout (DST) */
	bool in_ctr;		      /* CONTAINER:PATH */
	char ref[CPPATH_REF_MAX + 1]; /* CONTAINER when in_ctr (non-empty, no `/`), else "" */
};

/* What DST is on disk, as the caller found it. */
enum cppath_dst {
	CPPATH_DST_MISSING = 0, /* does not exist (ENOENT) */
	CPPATH_DST_FILE,	/* exists and is not a directory */
	CPPATH_DST_DIR,		/* exists and is a directory */
};

/* Where the copied entry lands. */
struct cppath_plan {
	bool into_dst;		 /* true: DST itself is the directory (it exists as one) */
	char dir[PATH_MAX];	 /* the directory the entry lands in: DST, or DST's parent */
	char name[NAME_MAX + 1]; /* the entry's name there; "" only with into_dst and SRC
				    naming a directory's contents (`/.`, `/`, `..`) */
};

/*
 * Parses one argument. Local: an absolute path, no `:`, or a `:` after a `/` or in an
 * argument starting with `.` (`./a:b`). Errors: an empty argument, an empty CONTAINER
 * (`:x`), an empty PATH (`box:`), a CONTAINER longer than CPPATH_REF_MAX.
 */
int cppath_parse(const char *arg, struct cppath_arg *out, struct kerr *err);

/* Exactly one side must be in a container. */
int cppath_check_pair(const struct cppath_arg *src, const struct cppath_arg *dst, struct kerr *err);

/*
 * POSIX basename and dirname, without touching path: trailing `/`s are ignored; the base
 * of "" is ".", of all-slashes "/"; the dir of a path without `/` is ".", of "/x" is "/".
 * Fails (out = "") when the result needs more than cap - 1 bytes.
 */
int cppath_base(const char *path, char *out, size_t cap, struct kerr *err);
int cppath_dir(const char *path, char *out, size_t cap, struct kerr *err);

/* The base as an entry name: "" when the base is `/`, `.` or `..` (the contents). */
int cppath_entry_name(const char *path, char *out, size_t cap, struct kerr *err);

/* True when path names a directory's contents: its base is `.` (`.`, `x/.`, `x/./`). */
bool cppath_is_contents(const char *path);

/* True when path can only name a directory: it ends in `/`, or names contents. */
bool cppath_asserts_dir(const char *path);

/*
 * The name SRC's entry gets in a tar stream or an existing directory: its entry name,
 * "" for a directory's contents. Fails when that is "" but src_dir is false.
 */
int cppath_src_name(const struct cppath_arg *src, bool src_dir, char out[NAME_MAX + 1],
		    struct kerr *err);

/*
 * Docker's table for a SRC (src_dir: it is a directory) copied to a DST that is
 * dst_state: into an existing directory under SRC's name; onto a missing or file DST
 * under DST's name in DST's parent. Errors: a directory onto a file; a DST asserting a
 * directory that is a file, or is missing while SRC is a file; a DST without a name.
 */
int cppath_plan(const struct cppath_arg *src, bool src_dir, enum cppath_dst dst_state,
		const struct cppath_arg *dst, struct cppath_plan *out, struct kerr *err);

#endif
