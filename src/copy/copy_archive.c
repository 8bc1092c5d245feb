/*
 * copy_archive: writes a tar stream of a tree for `kettle cp` (mechanism M3).
 *
 * Walks the source under its copy_root, each entry opened by one name under its parent's
 * already-resolved fd with O_NOFOLLOW (the top path through copy_open), and writes ustar
 * headers with pax records for what ustar cannot hold: long names and link targets, large
 * sizes, ids and out-of-range mtimes. Memory is constant: one COPY_BUF_SIZE output buffer
 * and fixed name buffers; depth is capped at COPY_DEPTH_MAX. A file that shrinks while it
 * is read is padded so the stream stays valid. Never prints or exits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "copy/copy.h"
#include "copy/copy_tar.h"
#include "base/fd.h"

#define BLOCK		 COPY_TAR_BLOCK
#define OCTAL_MAX(width) ((1ULL << (3 * ((width)-1))) - 1)
#define PAX_NAME	 "././@PaxHeader"

struct walker {
	int outfd;		      /* borrowed: where the stream goes */
	uint8_t *buf;		      /* COPY_BUF_SIZE output buffer, owned */
	size_t len;		      /* bytes queued in buf */
	char name[COPY_NAME_MAX + 2]; /* member name being built (+ a directory's '/') */
	size_t name_len;	      /* strlen(name) */
	char link[COPY_NAME_MAX + 1]; /* symlink target of the current entry */
	char pax[COPY_PAX_MAX];	      /* pax records of the current entry */
	const struct copy_root *root; /* where the top path is resolved */
	const char *top_path;	      /* the source path under root */
	bool follow;		      /* -L for the top */
	struct kerr *err;	      /* where failures go */
};

static int out_flush(struct walker *w)
{
	if (w->len && fd_write_full(w->outfd, w->buf, w->len, w->err) < 0)
		return kerr_wrap(w->err, "write the tar stream");
	w->len = 0;
	return 0;
}

static int out_put(struct walker *w, const void *p, size_t n)
{
	const uint8_t *s = p;

	while (n > 0) {
		if (w->len == COPY_BUF_SIZE && out_flush(w) < 0)
			return -1;
		size_t k = COPY_BUF_SIZE - w->len;
		if (k > n)
			k = n;
		if (s)
			memcpy(w->buf + w->len, s, k);
		else
			memset(w->buf + w->len, 0, k);
		w->len += k;
		n -= k;
		if (s)
			s += k;
	}
	return 0;
}

static int out_pad(struct walker *w, uint64_t size)
{
	return out_put(w, NULL, (BLOCK - size % BLOCK) % BLOCK);
}

static void put_octal(uint8_t *f, size_t width, uint64_t v)
{
	f[width - 1] = '\0';
	for (size_t i = width - 1; i-- > 0;) {
		f[i] = (uint8_t)('0' + (v & 7));
		v >>= 3;
	}
}

static int pax_add(struct walker *w, size_t *pl, const char *key, const char *val)
{
	size_t base = strlen(key) + strlen(val) + 3, n = base, digits;

	for (;;) { /* the length counts its own digits */
		digits = 1;
		for (size_t t = n; t >= 10; t /= 10)
			digits++;
		if (base + digits == n)
			break;
		n = base + digits;
	}
	if (*pl + n + 1 > sizeof(w->pax))
		return kerr_set(w->err, ENAMETOOLONG, "`%.200s`: pax header over %d bytes", w->name,
				COPY_PAX_MAX);
	*pl += (size_t)snprintf(w->pax + *pl, sizeof(w->pax) - *pl, "%zu %s=%s\n", n, key, val);
	return 0;
}

static void finish_block(uint8_t blk[BLOCK])
{
	unsigned sum = 0;

	memcpy(blk + 257,
	       "ustar\0"
	       "00",
	       8);
	memset(blk + 148, ' ', 8);
	for (size_t i = 0; i < BLOCK; i++)
		sum += blk[i];
	put_octal(blk + 148, 7, sum);
	blk[155] = ' ';
}

/* Writes the (pax and) ustar header of w->name. */
static int put_header(struct walker *w, char type, const struct stat *st, uint64_t size,
		      const char *link)
{
	uint8_t blk[BLOCK];
	size_t pl = 0, nl = w->name_len, split = 0;
	char num[32];

	memset(blk, 0, sizeof(blk));
	if (nl > 100) { /* ustar: prefix (155) '/' name (100) */
		for (size_t i = nl - 1; i > 0; i--) {
			if (w->name[i] == '/' && i <= 155 && nl - i - 1 <= 100 && nl - i - 1 > 0) {
				split = i;
				break;
			}
		}
		if (!split && pax_add(w, &pl, "path", w->name) < 0)
			return -1;
	}
	if (link && strlen(link) > 100 && pax_add(w, &pl, "linkpath", link) < 0)
		return -1;
	if (size > OCTAL_MAX(12)) {
		snprintf(num, sizeof(num), "%" PRIu64, size);
		if (pax_add(w, &pl, "size", num) < 0)
			return -1;
	}
	if (st->st_uid > OCTAL_MAX(8)) {
		snprintf(num, sizeof(num), "%u", (unsigned)st->st_uid);
		if (pax_add(w, &pl, "uid", num) < 0)
			return -1;
	}
	if (st->st_gid > OCTAL_MAX(8)) {
		snprintf(num, sizeof(num), "%u", (unsigned)st->st_gid);
		if (pax_add(w, &pl, "gid", num) < 0)
			return -1;
	}
	if (st->st_mtim.tv_sec < 0 || (uint64_t)st->st_mtim.tv_sec > OCTAL_MAX(12)) {
		snprintf(num, sizeof(num), "%lld", (long long)st->st_mtim.tv_sec);
		if (pax_add(w, &pl, "mtime", num) < 0)
			return -1;
	}
	if (pl) {
		uint8_t x[BLOCK];

		memset(x, 0, sizeof(x));
		memcpy(x, PAX_NAME, sizeof(PAX_NAME) - 1);
		put_octal(x + 100, 8, 0644);
		put_octal(x + 108, 8, 0);
		put_octal(x + 116, 8, 0);
		put_octal(x + 124, 12, pl);
		put_octal(x + 136, 12, 0);
		x[156] = 'x';
		finish_block(x);
		if (out_put(w, x, BLOCK) < 0 || out_put(w, w->pax, pl) < 0 || out_pad(w, pl) < 0)
			return -1;
	}
	if (split) {
		memcpy(blk + 345, w->name, split);
		memcpy(blk, w->name + split + 1, nl - split - 1);
	} else {
		memcpy(blk, w->name, nl < 100 ? nl : 100);
	}
	put_octal(blk + 100, 8, st->st_mode & 07777);
	put_octal(blk + 108, 8, st->st_uid > OCTAL_MAX(8) ? 0 : st->st_uid);
	put_octal(blk + 116, 8, st->st_gid > OCTAL_MAX(8) ? 0 : st->st_gid);
	put_octal(blk + 124, 12, size > OCTAL_MAX(12) ? 0 : size);
	put_octal(blk + 136, 12,
		  (st->st_mtim.tv_sec < 0 || (uint64_t)st->st_mtim.tv_sec > OCTAL_MAX(12))
			  ? 0
			  : (uint64_t)st->st_mtim.tv_sec);
	blk[156] = (uint8_t)type;
	if (link) {
		size_t ll = strlen(link);
		memcpy(blk + 157, link, ll < 100 ? ll : 100);
	}
	if (type == COPY_CHAR || type == COPY_BLOCK) {
		put_octal(blk + 329, 8, major(st->st_rdev) & OCTAL_MAX(8));
		put_octal(blk + 337, 8, minor(st->st_rdev) & OCTAL_MAX(8));
	}
	finish_block(blk);
	return out_put(w, blk, BLOCK);
}

/* Opens the entry for reading by name again (O_NOFOLLOW) and checks it is still the
 * regular file that was stat'ed; 0 with *fd -1 when it changed or vanished. */
static int reopen_file(struct walker *w, int dirfd, const char *leaf, const struct stat *st,
		       int *fd)
{
	const int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	struct stat now;

	if (dirfd < 0) {
		if (copy_open(w->root, w->top_path, flags, w->follow, fd, w->err) < 0)
			return w->err->code == ENOENT || w->err->code == ELOOP ? (*fd = -1, 0) : -1;
	} else {
		*fd = openat(dirfd, leaf, flags | O_NOFOLLOW | O_CLOEXEC);
		if (*fd < 0)
			return (errno == ENOENT || errno == ELOOP)
				       ? 0
				       : kerr_set(w->err, errno, "open `%.200s`", w->name);
	}
	if (fstat(*fd, &now) < 0)
		return kerr_set(w->err, errno, "stat `%.200s`", w->name);
	if (!S_ISREG(now.st_mode) || now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		*fd = fd_close(*fd);
	return 0;
}

static int put_file_data(struct walker *w, int fd, uint64_t size)
{
	uint64_t left = size;

	while (left > 0) {
		if (w->len == COPY_BUF_SIZE && out_flush(w) < 0)
			return -1;
		size_t room = COPY_BUF_SIZE - w->len;
		if (room > left)
			room = (size_t)left;
		ssize_t n = read(fd, w->buf + w->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kerr_set(w->err, errno, "read `%.200s`", w->name);
		if (n == 0) /* shrank while we read: pad so the stream stays valid */
			return out_put(w, NULL, left) < 0 ? -1 : out_pad(w, size);
		w->len += (size_t)n;
		left -= (uint64_t)n;
	}
	return out_pad(w, size);
}

static int emit(struct walker *w, int dirfd, const char *leaf, int pfd, const struct stat *st,
		int depth);

static int walk_dir(struct walker *w, int pfd, int depth)
{
	size_t base = w->name_len;
	int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (dfd < 0)
		return kerr_set(w->err, errno, "open directory `%.200s`", w->name);
	DIR *d = fdopendir(dfd);
	if (!d) {
		fd_close(dfd);
		return kerr_set(w->err, errno, "read directory `%.200s`", w->name);
	}
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno)
				rc = kerr_set(w->err, errno, "read directory `%.200s`", w->name);
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		size_t n = strlen(de->d_name), sep = base ? 1 : 0;
		if (base + sep + n > COPY_NAME_MAX) {
			rc = kerr_set(w->err, ENAMETOOLONG,
				      "`%.200s/%s`: path longer than %d bytes", w->name, de->d_name,
				      COPY_NAME_MAX);
			break;
		}
		if (sep)
			w->name[base] = '/';
		memcpy(w->name + base + sep, de->d_name, n + 1);
		w->name_len = base + sep + n;
		int cfd = openat(dirfd(d), de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat cst;
		if (cfd < 0 && errno != ENOENT) {
			rc = kerr_set(w->err, errno, "open `%.200s`", w->name);
			break;
		}
		if (cfd >= 0) {
			if (fstat(cfd, &cst) < 0)
				rc = kerr_set(w->err, errno, "stat `%.200s`", w->name);
			else
				rc = emit(w, dirfd(d), de->d_name, cfd, &cst, depth + 1);
			fd_close(cfd);
		}
		w->name_len = base;
		w->name[base] = '\0';
		if (rc < 0)
			break;
	}
	closedir(d);
	return rc;
}

/* One entry: pfd is its O_PATH fd (never followed); dirfd/leaf name it again for reading
 * a regular file (dirfd -1: the top, reopened through the root). */
static int emit(struct walker *w, int dirfd, const char *leaf, int pfd, const struct stat *st,
		int depth)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (depth > COPY_DEPTH_MAX)
		return kerr_set(w->err, ELOOP, "`%.200s`: deeper than %d levels", w->name,
				COPY_DEPTH_MAX);
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		if (reopen_file(w, dirfd, leaf, st, &fd) < 0)
			return -1;
		if (fd < 0 && dirfd < 0)
			return kerr_set(w->err, ESTALE,
					"`%s` changed while it was opened; try again", w->top_path);
		if (fd < 0)
			return 0; /* vanished or swapped while we walked: skipped */
		if (put_header(w, COPY_FILE, st, (uint64_t)st->st_size, NULL) < 0)
			return -1;
		return put_file_data(w, fd, (uint64_t)st->st_size);
	case S_IFDIR:
		if (w->name_len > 0) {
			w->name[w->name_len] = '/';
			w->name[++w->name_len] = '\0';
			int rc = put_header(w, COPY_DIR, st, 0, NULL);
			w->name[--w->name_len] = '\0';
			if (rc < 0)
				return -1;
		}
		return walk_dir(w, pfd, depth);
	case S_IFLNK:
		n = readlinkat(pfd, "", w->link, sizeof(w->link));
		if (n < 0)
			return kerr_set(w->err, errno, "read link `%.200s`", w->name);
		if ((size_t)n >= sizeof(w->link))
			return kerr_set(w->err, ENAMETOOLONG, "`%.200s`: link target over %d bytes",
					w->name, COPY_NAME_MAX);
		w->link[n] = '\0';
		return put_header(w, COPY_SYMLINK, st, 0, w->link);
	case S_IFIFO:
		return put_header(w, COPY_FIFO, st, 0, NULL);
	case S_IFCHR:
		return put_header(w, COPY_CHAR, st, 0, NULL);
	case S_IFBLK:
		return put_header(w, COPY_BLOCK, st, 0, NULL);
	default: /* sockets cannot be archived, as tar skips them */
		return 0;
	}
}

int copy_archive(const struct copy_root *root, const char *path, const char *as_name,
		 const struct copy_opts *o, int outfd, struct kerr *err)
{
	_cleanup_close_ int pfd = -1;
	struct stat st;
	int rc;

	if (strlen(as_name) > COPY_NAME_MAX)
		return kerr_set(err, ENAMETOOLONG, "name `%.200s` is too long", as_name);
	if (copy_open(root, path, O_PATH, o->follow, &pfd, err) < 0)
		return -1;
	if (fstat(pfd, &st) < 0)
		return kerr_set(err, errno, "stat `%s`", path);
	if (!as_name[0] && !S_ISDIR(st.st_mode))
		return kerr_set(err, ENOTDIR, "`%s` is not a directory", path);
	_cleanup_free_ struct walker *w = calloc(1, sizeof(*w));
	_cleanup_free_ uint8_t *buf = malloc(COPY_BUF_SIZE);
	if (!w || !buf)
		return kerr_set(err, ENOMEM, "archive `%s`", path);
	w->outfd = outfd;
	w->buf = buf;
	w->root = root;
	w->top_path = path;
	w->follow = o->follow;
	w->err = err;
	memcpy(w->name, as_name, strlen(as_name) + 1);
	w->name_len = strlen(as_name);
	rc = emit(w, -1, NULL, pfd, &st, 0);
	if (rc == 0)
		rc = out_put(w, NULL, 2 * BLOCK);
	if (rc == 0)
		rc = out_flush(w);
	return rc;
}
