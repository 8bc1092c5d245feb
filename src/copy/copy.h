/*
 * copy: tar streams in and out of a directory tree, symlink-safe (mechanism M3).
 *
 * The encoder walks a tree and writes ustar (pax extended headers for long names, large
 * sizes, ids and out-of-range mtimes); the decoder reads ustar, pax and GNU long names.
 * Both stream in constant memory: one 64 KiB buffer per operation and bounded name
 * buffers, never a per-member allocation. Invariants: every path is resolved with
 * openat2(RESOLVE_NO_MAGICLINKS) under a directory fd (RESOLVE_IN_ROOT for a container's
 * root and always for extraction, whose root is the destination directory), and every
 * entry is created by a single name under an already-resolved parent fd with O_NOFOLLOW
 * or O_EXCL: nothing is written through a symlink and no path is joined into a host
 * path. Never prints, logs or exits. Paths are resolved by copy.c, streams written by
 * copy_archive.c and read by copy_extract.c; the header codec and its caps are copy_tar.h.
 */
#ifndef KETTLE_COPY_H
#define KETTLE_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "base/kerr.h"

#define COPY_BUF_SIZE  65536 /* the one data buffer of an operation */
#define COPY_DEPTH_MAX 256   /* directory levels walked or kept pending */
#define COPY_NOOPENAT2 "kettle cp needs openat2 (Linux 5.6)"

/* openat2(2)'s resolve flags (linux/openat2.h), which musl's headers lack. */
#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_MAGICLINKS 0x02
#endif
#ifndef RESOLVE_IN_ROOT
#define RESOLVE_IN_ROOT 0x10
#endif

/* Where paths are resolved. */
struct copy_root {
	int fd;		/* borrowed; directory fd (or AT_FDCWD for the host) */
	bool contained; /* true: RESOLVE_IN_ROOT under fd (a container's root) */
};

struct copy_hook;

struct copy_opts {
	bool keep_owner; /* -a: archive and restore uid/gid; keep set-id bits */
	bool follow;	 /* -L: follow a symlink named by the source path itself */
	bool devices;	 /* extraction creates device nodes; else they are skipped (a host
			    destination: a node planted by a container must not reach it) */
	bool xattrs;	 /* extraction applies pax SCHILY.xattr.* records to files and
			    directories (never trusted.overlay.* or user.overlay.*) */
	const struct copy_hook *hook; /* extraction: asked about every member; NULL: none */
};

/* ---- extraction from any byte source, with a per-member hook (image layers) ---- */

/* A pull source of bytes: read returns > 0 bytes, 0 at the end, or -1 with err. */
struct copy_src {
	long (*read)(void *data, void *buf, size_t n, struct kerr *err);
	void *data; /* the source's own state; borrowed */
};

/* What a hook decides for one member (copy_hook.member). */
enum copy_verdict {
	COPY_EXTRACT = 0, /* create it as usual */
	COPY_SKIP,	  /* skip it (and its data) */
	COPY_WHITEOUT,	  /* make an overlayfs whiteout (char device 0/0) named target in
			     the member's directory, replacing what is there; data skipped */
	COPY_OPAQUE,	  /* mark the member's directory opaque for overlayfs
			     (trusted.overlay.opaque=y), creating it when missing */
};

struct copy_hdr;

/* Called with every member whose clean name is not the root, before anything is made. */
struct copy_hook {
	/* clean: the member's normalized name; target: out, the leaf to white out
	   (COPY_WHITEOUT), cap bytes. Returns an enum copy_verdict, or -1 with err. */
	int (*member)(void *data, const struct copy_hdr *h, const char *clean, char *target,
		      size_t cap, struct kerr *err);
	void *data; /* the hook's own state; borrowed */
};

/*
 * Resolves path under root (openat2; trailing-symlink followed only when follow) and
 * opens it with flags (O_PATH when 0). ENOENT is returned as -1 with err->code ENOENT.
 * Without openat2: COPY_NOOPENAT2, code ENOSYS.
 */
int copy_open(const struct copy_root *root, const char *path, int flags, bool follow, int *fd,
	      struct kerr *err);
/* openat2(dirfd, path or ".", flags|O_CLOEXEC, resolve), retried on EAGAIN and EINTR.
 * Returns the fd, or -1 with errno set. */
int copy_openat2(int dirfd, const char *path, int flags, uint64_t resolve);
/* Fills err from errno after a failed copy_openat2 of path (COPY_NOOPENAT2 for ENOSYS);
 * returns -1. */
int copy_open_fail(const char *path, struct kerr *err);

/*
 * Writes a tar stream of path (under root) to outfd. as_name is the member name of the
 * top entry; "" means a directory's contents only (`SRC/.`). A symlink at path is
 * archived as a symlink unless o->follow. Entries that vanish during the walk are
 * skipped; a file that shrinks is padded so the stream stays valid.
 */
int copy_archive(const struct copy_root *root, const char *path, const char *as_name,
		 const struct copy_opts *o, int outfd, struct kerr *err);

/*
 * Reads a tar stream from infd and extracts it under the directory dirfd, which is the
 * root of everything it writes (RESOLVE_IN_ROOT): `..` members are rejected, absolute
 * names made relative, symlinks in parent paths stay inside dirfd, the final component
 * is never followed. Existing non-directories are replaced; directories are merged.
 * Device members are created only with o->devices. Without o->keep_owner, entries
 * belong to the caller and files lose their set-id bits.
 */
int copy_extract(int dirfd, int infd, const struct copy_opts *o, struct kerr *err);
/* copy_extract reading from src instead of a descriptor. It stops at the tar stream's
 * end-of-archive block: what follows (padding) is left unread in src. */
int copy_extract_src(int dirfd, const struct copy_src *src, const struct copy_opts *o,
		     struct kerr *err);

#endif
