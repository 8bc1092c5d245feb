/*
 * archive: the members of an image archive, indexed (mechanism, image folder).
 *
 * `kettle load` gets a tar (docker save, an OCI layout, skopeo's docker-archive) whose
 * documents may come in any order: docker save writes manifest.json last. So the tar is
 * first staged to a file when it came down a pipe, then indexed here in one pass of
 * header reads (pread, data skipped), and members are read later by offset. Names are
 * normalized (copy_tar_clean_name; `..` refused), the last of equal names wins (tar's
 * rule), and lookups follow symlinks and hard links inside the archive (docker's format
 * links repeated layers), at most ARCHIVE_LINKS_MAX times, never out of it. Caps: members
 * and name bytes. Never logs.
 */
#ifndef KETTLE_ARCHIVE_H
#define KETTLE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/kerr.h"

#define ARCHIVE_MEMBERS_MAX 100000	/* members indexed */
#define ARCHIVE_NAMES_MAX   (32u << 20) /* bytes of all names and link targets */
#define ARCHIVE_LINKS_MAX   8		/* links followed by one lookup */
#define ARCHIVE_STAGE_BUF   (1u << 20)	/* staging copy buffer (bytes) */

struct archive_member {
	const char *name; /* normalized; points into the archive's names */
	const char *link; /* symlink or hard link target as written, else NULL */
	char kind;	  /* copy_tar.h's enum copy_kind */
	uint32_t seq;	  /* position in the tar: the last of equal names wins */
	uint64_t off;	  /* the data's offset in the file */
	uint64_t size;	  /* data bytes */
};

struct archive {
	int fd;			  /* borrowed: the tar, seekable */
	struct archive_member *m; /* owned; sorted by name, then seq */
	size_t n;		  /* members */
	char *names;		  /* owned: every name and link target, NUL-terminated */
	size_t names_len;	  /* bytes used in names */
};

/* Indexes the tar on fd (seekable). Fails on a malformed or truncated header. */
int archive_index(struct archive *a, int fd, struct kerr *err);
void archive_done(struct archive *a);

/* The regular file at path, links followed; NULL with err (code ENOENT when absent). */
const struct archive_member *archive_find(const struct archive *a, const char *path,
					  struct kerr *err);
/* True when a member (of any kind) has this normalized name. */
int archive_has(const struct archive *a, const char *path);

/* A member's whole data (a JSON document) into out, at most max bytes. */
int archive_read(const struct archive *a, const struct archive_member *m, size_t max,
		 struct buf *out, struct kerr *err);

#endif
