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
 * path. Never prints, logs or exits.
 */
#ifndef KETTLE_COPY_H
#define KETTLE_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "kerr.h"

#define COPY_BUF_SIZE  65536	    /* the one data buffer of an operation */
#define COPY_NAME_MAX  4096	    /* bytes of a member name or link target */
#define COPY_PAX_MAX   16384	    /* bytes of one pax header or GNU long-name record */
#define COPY_DEPTH_MAX 256	    /* directory levels walked or kept pending */
#define COPY_SIZE_MAX  (1ULL << 42) /* bytes of one member's data (4 TiB) */
#define COPY_ID_MAX    0x7fffffffu  /* largest uid/gid accepted */
#define COPY_NOOPENAT2 "kettle cp needs openat2 (Linux 5.6)"

/* Where paths are resolved. */
struct copy_root {
	int fd;		/* borrowed; directory fd (or AT_FDCWD for the host) */
	bool contained; /* true: RESOLVE_IN_ROOT under fd (a container's root) */
};

struct copy_opts {
	bool keep_owner; /* -a: archive and restore uid/gid; keep set-id bits */
	bool follow;	 /* -L: follow a symlink named by the source path itself */
	bool devices;	 /* extraction creates device nodes; else they are skipped (a host
			    destination: a node planted by a container must not reach it) */
};

/* Member kinds (the ustar typeflag). */
enum copy_kind {
	COPY_FILE = '0',
	COPY_HARDLINK = '1',
	COPY_SYMLINK = '2',
	COPY_CHAR = '3',
	COPY_BLOCK = '4',
	COPY_DIR = '5',
	COPY_FIFO = '6',
};

/* One decoded member header (after pax/GNU long-name records were applied). */
struct copy_hdr {
	char name[COPY_NAME_MAX + 1];	  /* member name as stored, NUL-terminated */
	char linkname[COPY_NAME_MAX + 1]; /* link target (symlink, hard link), else "" */
	enum copy_kind kind;		  /* what it is */
	uint32_t mode;			  /* permission bits, 07777 */
	uint32_t uid;			  /* owner id */
	uint32_t gid;			  /* group id */
	uint64_t size;			  /* data bytes that follow (0 unless COPY_FILE) */
	int64_t mtime;			  /* seconds since the epoch */
	uint32_t mtime_ns;		  /* nanoseconds, from pax only */
	uint32_t devmajor;		  /* COPY_CHAR/COPY_BLOCK */
	uint32_t devminor;		  /* COPY_CHAR/COPY_BLOCK */
};

/* What the pax and GNU records preceding a header override. */
struct copy_ext {
	bool has_path;			  /* path= or GNU 'L' seen */
	bool has_linkpath;		  /* linkpath= or GNU 'K' seen */
	bool has_size;			  /* size= */
	bool has_mtime;			  /* mtime= */
	bool has_uid;			  /* uid= */
	bool has_gid;			  /* gid= */
	char path[COPY_NAME_MAX + 1];	  /* with has_path */
	char linkpath[COPY_NAME_MAX + 1]; /* with has_linkpath */
	uint64_t size;			  /* with has_size */
	int64_t mtime;			  /* with has_mtime */
	uint32_t mtime_ns;		  /* with has_mtime */
	uint32_t uid;			  /* with has_uid */
	uint32_t gid;			  /* with has_gid */
};

/*
 * Pure decoding of one 512-byte header block: checksum, ustar or GNU magic, octal (or
 * GNU base-256) numbers, the caps above. Returns 1 for a member header in *h (ext
 * applied; pax 'x'/'g' and GNU 'L'/'K' come back with their raw typeflag in *type and
 * their data size in h->size, for copy_pax_parse), 0 for an all-zero block, -1 on error.
 */
int copy_hdr_parse(const uint8_t blk[512], const struct copy_ext *ext, struct copy_hdr *h,
		   char *type, struct kerr *err);
/* Applies the records of a pax extended header ("LEN key=value\n"...) to *ext. */
int copy_pax_parse(const char *data, size_t len, struct copy_ext *ext, struct kerr *err);

/*
 * Normalizes a member name for extraction: leading '/' stripped (as tar does), "." and
 * empty components dropped; a ".." component is an error. out gets "" for the root.
 */
int copy_clean_name(const char *name, char *out, size_t cap, struct kerr *err);

/*
 * Resolves path under root (openat2; trailing-symlink followed only when follow) and
 * opens it with flags (O_PATH when 0). ENOENT is returned as -1 with err->code ENOENT.
 * Without openat2: COPY_NOOPENAT2, code ENOSYS.
 */
int copy_open(const struct copy_root *root, const char *path, int flags, bool follow, int *fd,
	      struct kerr *err);

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

#endif
