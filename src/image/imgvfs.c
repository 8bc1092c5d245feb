/*
 * imgvfs: merge overlay-form layers into one directory (mechanism, image folder).
 *
 * A depth-first walk of each layer with a directory fd per level on both sides. Files
 * are copied with copy_file_range (a reflink or an in-kernel copy where the filesystem
 * can). The owner is set before the mode (chown clears set-id bits) and xattrs after
 * both (chown clears security.capability); a directory's times are set after its
 * contents. Hard links: an inode met again within the same layer is linked to its first
 * copy's path, kept in a table for the layer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/fd.h"
#include "image/imgstore.h"
#include "image/imgvfs.h"

#define OPAQUE	    "trusted.overlay.opaque"
#define XATTR_LIST  65536 /* bytes of one file's xattr names */
#define XATTR_VALUE 65536 /* bytes of one xattr value */
#define LINKS_MAX   100000

struct link {
	dev_t dev;  /* the layer's inode… */
	ino_t ino;  /* …seen first at… */
	char *path; /* owned: its path under the destination */
};

struct merge {
	int dst_root;	     /* borrowed: the destination's top */
	char path[PATH_MAX]; /* the current directory, relative to both tops */
	size_t plen;	     /* bytes used in path */
	struct link *links;  /* owned; this layer's hard links */
	size_t nlinks;	     /* entries used */
	size_t cap;	     /* entries allocated */
	char *xbuf;	     /* owned; XATTR_LIST bytes */
	char *vbuf;	     /* owned; XATTR_VALUE bytes */
	struct kerr *err;    /* failures */
};

static int fail(struct merge *m, const char *what, const char *name)
{
	return kerr_set(m->err, errno, "vfs copy: %s `%s/%s`", what, m->path, name);
}

static int copy_xattrs(struct merge *m, int from, int to, const char *name)
{
	ssize_t n = flistxattr(from, m->xbuf, XATTR_LIST);

	if (n < 0)
		return errno == ENOTSUP ? 0 : fail(m, "list xattrs of", name);
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(m->xbuf + i) + 1) {
		const char *x = m->xbuf + i;

		if (strncmp(x, "trusted.overlay.", 16) == 0)
			continue;
		ssize_t v = fgetxattr(from, x, m->vbuf, XATTR_VALUE);
		if (v < 0)
			continue;
		if (fsetxattr(to, x, m->vbuf, (size_t)v, 0) < 0 && errno != ENOTSUP &&
		    errno != EPERM)
			return fail(m, "set xattrs of", name);
	}
	return 0;
}

static int meta(struct merge *m, int fd, const struct stat *st, const char *name)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0)
		return fail(m, "set owner and mode of", name);
	if (copy_xattrs(m, fd < 0 ? fd : fd, fd, name) < 0)
		return -1;
	if (futimens(fd, ts) < 0)
		return fail(m, "set times of", name);
	return 0;
}

/* Removes what is at name in d (a whiteout, or a type change). */
static int clear(struct merge *m, int d, const char *name)
{
	struct kerr ignored;

	if (imgstore_remove(d, name, &ignored) < 0)
		return kerr_set(m->err, ignored.code, "vfs copy: remove `%s/%s`", m->path, name);
	return 0;
}

static int empty(struct merge *m, int d)
{
	DIR *dir = imgstore_opendir(d);
	struct dirent *e;
	int rc = 0;

	if (!dir)
		return kerr_set(m->err, errno, "vfs copy: read `%s`", m->path);
	while (rc == 0 && (e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = clear(m, d, e->d_name);
	closedir(dir);
	return rc;
}

static const char *link_of(struct merge *m, const struct stat *st)
{
	for (size_t i = 0; i < m->nlinks; i++)
		if (m->links[i].dev == st->st_dev && m->links[i].ino == st->st_ino)
			return m->links[i].path;
	return NULL;
}

static void remember(struct merge *m, const struct stat *st, const char *name)
{
	if (m->nlinks == LINKS_MAX)
		return; /* past the cap a link becomes a copy: the same bytes */
	if (m->nlinks == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 64;
		struct link *l = realloc(m->links, nc * sizeof(*l));
		if (!l)
			return;
		m->links = l;
		m->cap = nc;
	}
	size_t n = m->plen + strlen(name) + 2;
	char *p = malloc(n);
	if (!p)
		return;
	snprintf(p, n, "%s%s%s", m->path, m->plen ? "/" : "", name);
	m->links[m->nlinks++] = (struct link){ st->st_dev, st->st_ino, p };
}

static int copy_file(struct merge *m, int s, int d, const char *name, const struct stat *st)
{
	const char *first = st->st_nlink > 1 ? link_of(m, st) : NULL;

	if (first) {
		if (linkat(m->dst_root, first, d, name, 0) == 0)
			return 0;
		/* The first copy was replaced by a later entry: copy this one instead. */
	}
	_cleanup_close_ int in = openat(s, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int out =
		openat(d, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (in < 0 || out < 0)
		return fail(m, "copy", name);
	for (off_t left = st->st_size; left > 0;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			char buf[65536];
			ssize_t r = read(in, buf, sizeof(buf));
			if (r <= 0 || fd_write_full(out, buf, (size_t)r, m->err) < 0)
				return r < 0 ? fail(m, "read", name) : r == 0 ? 0 : -1;
			n = r;
		}
		left -= n;
	}
	if (meta(m, out, st, name) < 0)
		return -1;
	if (st->st_nlink > 1)
		remember(m, st, name);
	return 0;
}

static int copy_other(struct merge *m, int s, int d, const char *name, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(s, name, target, sizeof(target) - 1);
		if (n < 0)
			return fail(m, "read link", name);
		target[n] = '\0';
		if (symlinkat(target, d, name) < 0)
			return fail(m, "create link", name);
	} else if (mknodat(d, name, st->st_mode & (S_IFMT | 07777), st->st_rdev) < 0) {
		return fail(m, "create node", name);
	}
	if (fchownat(d, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    (!S_ISLNK(st->st_mode) && fchmodat(d, name, st->st_mode & 07777, 0) < 0) ||
	    utimensat(d, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(m, "set owner, mode and times of", name);
	return 0;
}

static int walk(struct merge *m, int s, int d, int depth);

static int one(struct merge *m, int s, int d, const char *name, int depth)
{
	struct stat st, have;
	bool exists = fstatat(d, name, &have, AT_SYMLINK_NOFOLLOW) == 0;

	if (fstatat(s, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(m, "stat", name);
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
		return exists ? clear(m, d, name) : 0; /* a whiteout */
	if (exists && !(S_ISDIR(st.st_mode) && S_ISDIR(have.st_mode))) {
		if (clear(m, d, name) < 0)
			return -1;
		exists = false;
	}
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? copy_file(m, s, d, name, &st)
					   : copy_other(m, s, d, name, &st);
	if (depth >= IMGVFS_DEPTH_MAX)
		return kerr_set(
			m->err, 0,
			"vfs copy: `%s` is nested deeper than %d directories (use the overlay "
			"driver)",
			m->path, IMGVFS_DEPTH_MAX);
	if (!exists && mkdirat(d, name, 0700) < 0)
		return fail(m, "create directory", name);
	_cleanup_close_ int sd = openat(s, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int dd = openat(d, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sd < 0 || dd < 0)
		return fail(m, "open directory", name);
	char opq[2];
	if (exists && fgetxattr(sd, OPAQUE, opq, sizeof(opq)) == 1 && opq[0] == 'y' &&
	    empty(m, dd) < 0)
		return -1;
	size_t saved = m->plen;
	int n = snprintf(m->path + m->plen, sizeof(m->path) - m->plen, "%s%s", m->plen ? "/" : "",
			 name);
	if (n < 0 || (size_t)n >= sizeof(m->path) - m->plen)
		return kerr_set(m->err, 0, "vfs copy: path under `%s` too long", m->path);
	m->plen += (size_t)n;
	int rc = walk(m, sd, dd, depth + 1);
	m->plen = saved;
	m->path[saved] = '\0';
	if (rc == 0)
		rc = meta(m, dd, &st, name);
	return rc;
}

static int walk(struct merge *m, int s, int d, int depth)
{
	DIR *dir = imgstore_opendir(s);
	struct dirent *e;
	int rc = 0;

	if (!dir)
		return kerr_set(m->err, errno, "vfs copy: read `%s`", m->path);
	while (rc == 0 && (e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = one(m, s, d, e->d_name, depth);
	closedir(dir);
	return rc;
}

int imgvfs_merge(const int *layers, size_t n, int dst, struct kerr *err)
{
	struct merge m = { .dst_root = dst, .err = err };
	int rc = 0;

	m.xbuf = malloc(XATTR_LIST);
	m.vbuf = malloc(XATTR_VALUE);
	if (!m.xbuf || !m.vbuf)
		rc = kerr_set(err, ENOMEM, "vfs copy");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char opq[2];

		/* An opaque top of a layer hides everything below it. */
		if (i > 0 && fgetxattr(layers[i], OPAQUE, opq, sizeof(opq)) == 1 && opq[0] == 'y')
			rc = empty(&m, dst);
		if (rc == 0)
			rc = walk(&m, layers[i], dst, 0);
		for (size_t k = 0; k < m.nlinks; k++)
			free(m.links[k].path);
		m.nlinks = 0;
	}
	free(m.links);
	free(m.xbuf);
	free(m.vbuf);
	return rc;
}
