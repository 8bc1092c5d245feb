/*
 * copy_tar: the tar header decoder for `kettle cp` (mechanism M1, pure).
 *
 * Decodes ustar, pax and GNU long-name headers into struct copy_hdr, with every number and
 * name checked against the caps below; copy_extract.c drives it over a stream and
 * test/fuzz/fuzz_tar.c fuzzes it. No I/O, no allocation.
 */
#ifndef KETTLE_COPY_TAR_H
#define KETTLE_COPY_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"

#define COPY_TAR_BLOCK	  512		  /* bytes of a header block; data is padded to it */
#define COPY_NAME_MAX	  4096		  /* bytes of a member name or link target */
#define COPY_PAX_MAX	  16384		  /* bytes of one pax header or GNU long-name record */
#define COPY_SIZE_MAX	  (1ULL << 42)	  /* bytes of one member's data (4 TiB) */
#define COPY_ID_MAX	  0x7fffffffu	  /* largest uid/gid accepted */
#define COPY_XATTR_PREFIX "SCHILY.xattr." /* pax key prefix of an extended attribute */

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
	/* Extended attributes, kept only when xattrs is set (by the caller, who owns it):
	   each is NAME NUL, u32 value length (host order), value; xattrs_len bytes used. */
	uint8_t *xattrs;   /* borrowed storage of xattrs_cap bytes, or NULL: ignored */
	size_t xattrs_cap; /* bytes at xattrs */
	size_t xattrs_len; /* bytes used */
	uint32_t nxattrs;  /* attributes stored */
};

/*
 * Pure decoding of one 512-byte header block: checksum, ustar or GNU magic, octal (or
 * GNU base-256) numbers, the caps above. Returns 1 for a member header in *h (ext
 * applied; pax 'x'/'g' and GNU 'L'/'K' come back with their raw typeflag in *type and
 * their data size in h->size, for copy_tar_pax_parse), 0 for an all-zero block, -1 on error.
 */
int copy_tar_hdr_parse(const uint8_t blk[COPY_TAR_BLOCK], const struct copy_ext *ext,
		       struct copy_hdr *h, char *type, struct kerr *err);
/* Applies the records of a pax extended header ("LEN key=value\n"...) to *ext. An
 * SCHILY.xattr.NAME record is appended to ext->xattrs when it is set; more than fits
 * fails. */
int copy_tar_pax_parse(const char *data, size_t len, struct copy_ext *ext, struct kerr *err);

/*
 * Normalizes a member name for extraction: leading '/' stripped (as tar does), "." and
 * empty components dropped; a ".." component is an error. out gets "" for the root.
 */
int copy_tar_clean_name(const char *name, char *out, size_t cap, struct kerr *err);

#endif
