/*
 * copy_extract: reads a tar stream into a directory for `kettle cp` (mechanism M3).
 *
 * The destination directory fd is the root of everything written: parents are resolved
 * under it with RESOLVE_IN_ROOT (copy_openat2) and created one name at a time, and every
 * entry is created by a single name under its resolved parent with O_NOFOLLOW, O_EXCL or
 * *_SYMLINK_NOFOLLOW, so a symlink in the stream or already in the tree is never written
 * through nor followed out. Headers are decoded by copy_tar.c. Memory is constant: one
 * COPY_BUF_SIZE input buffer, names in fixed buffers, at most PENDING_MAX directories
 * waiting for their mode and mtime. The bytes come from a descriptor or any copy_src (an
 * image layer's decompressor); a copy_hook may skip members or turn them into overlayfs
 * whiteouts and opaque markers, and pax xattrs are applied on request. Never prints or
 * exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "copy/copy.h"
#include "copy/copy_tar.h"
#include "base/fd.h"

#define BLOCK		COPY_TAR_BLOCK
#define REPLACE_RETRIES 8  /* an entry re-created under us between unlink and create */
#define PENDING_MAX	64 /* directories whose mode and mtime wait for their contents */
#define OPAQUE_XATTR	"trusted.overlay.opaque" /* overlayfs: hide the lower layers' entries */

struct pending {
	int fd;	       /* owned: the directory, O_RDONLY */
	size_t len;    /* its name is x->stack[0..len) */
	uint32_t mode; /* permission bits to set once its contents are in */
	int64_t mtime; /* seconds */
	uint32_t ns;   /* nanoseconds */
	uint32_t pad;  /* unused */
};

struct extractor {
	const struct copy_src *src;	  /* borrowed: the tar stream */
	int dirfd;			  /* borrowed: root of everything written */
	const struct copy_opts *o;	  /* borrowed */
	struct kerr *err;		  /* where failures go */
	uint8_t *buf;			  /* COPY_BUF_SIZE input buffer, owned */
	size_t pos;			  /* next unread byte in buf */
	size_t len;			  /* bytes valid in buf */
	uint64_t off;			  /* stream offset of buf[pos] */
	struct copy_hdr h;		  /* the current member */
	struct copy_ext ext;		  /* pax/GNU overrides for the next member */
	char clean[COPY_NAME_MAX + 1];	  /* h.name normalized */
	char target[COPY_NAME_MAX + 1];	  /* a hard link's target normalized */
	char stack[COPY_NAME_MAX + 1];	  /* name of the deepest pending directory */
	struct pending dirs[PENDING_MAX]; /* directories whose times wait */
	int ndirs;			  /* entries used in dirs */
	uint8_t xattrs[COPY_PAX_MAX];	  /* the current member's pax xattrs (o->xattrs) */
};

/* The descriptor source of copy_extract. */
static long fd_read(void *data, void *buf, size_t n, struct kerr *err)
{
	for (;;) {
		ssize_t r = read(*(int *)data, buf, n);
		if (r >= 0)
			return (long)r;
		if (errno != EINTR)
			return kerr_set(err, errno, "read the tar stream");
	}
}

/* Makes at least want (<= COPY_BUF_SIZE) bytes available at buf[pos]. */
static int in_fill(struct extractor *x, size_t want)
{
	if (x->len - x->pos >= want)
		return 0;
	memmove(x->buf, x->buf + x->pos, x->len - x->pos);
	x->len -= x->pos;
	x->pos = 0;
	while (x->len < want) {
		long n =
			x->src->read(x->src->data, x->buf + x->len, COPY_BUF_SIZE - x->len, x->err);
		if (n < 0)
			return -1;
		if (n == 0)
			return kerr_set(x->err, EPROTO,
					"the tar stream ends early (at byte %" PRIu64 ")",
					x->off + x->len);
		x->len += (size_t)n;
	}
	return 0;
}

static void in_take(struct extractor *x, size_t n)
{
	x->pos += n;
	x->off += n;
}

static int in_skip(struct extractor *x, uint64_t n)
{
	while (n > 0) {
		size_t k = n > COPY_BUF_SIZE ? COPY_BUF_SIZE : (size_t)n;
		if (in_fill(x, k) < 0)
			return -1;
		in_take(x, k);
		n -= k;
	}
	return 0;
}

static uint64_t padded(uint64_t n)
{
	return (n + BLOCK - 1) / BLOCK * BLOCK;
}

/* Reads the next member header, consuming pax and GNU records. 1 member, 0 end. */
static int next_member(struct extractor *x)
{
	char type;

	memset(&x->ext, 0, sizeof(x->ext));
	if (x->o->xattrs) {
		x->ext.xattrs = x->xattrs;
		x->ext.xattrs_cap = sizeof(x->xattrs);
	}
	for (;;) {
		uint64_t at = x->off;
		if (in_fill(x, BLOCK) < 0)
			return -1;
		int r = copy_tar_hdr_parse(x->buf + x->pos, &x->ext, &x->h, &type, x->err);
		if (r < 0)
			return kerr_wrap(x->err, "tar header at byte %" PRIu64, at);
		in_take(x, BLOCK);
		if (r == 0)
			return 0;
		uint64_t size = x->h.size;
		if (type == 'x' || type == 'L' || type == 'K') {
			uint64_t cap = type == 'x' ? COPY_PAX_MAX : COPY_NAME_MAX + 1;
			if (size > cap)
				return kerr_set(x->err, EFBIG,
						"%s record of %" PRIu64 " bytes at byte %" PRIu64
						" is over %" PRIu64,
						type == 'x' ? "pax" : "GNU long-name", size, at,
						cap);
			if (in_fill(x, (size_t)padded(size)) < 0)
				return -1;
			const char *d = (const char *)x->buf + x->pos;
			if (type == 'x') {
				if (copy_tar_pax_parse(d, (size_t)size, &x->ext, x->err) < 0)
					return kerr_wrap(x->err, "pax header at byte %" PRIu64, at);
			} else {
				char *dst = type == 'L' ? x->ext.path : x->ext.linkpath;
				size_t n = strnlen(d, (size_t)size);
				if (n > COPY_NAME_MAX)
					return kerr_set(x->err, ENAMETOOLONG,
							"GNU long name at byte %" PRIu64
							" is over %d bytes",
							at, COPY_NAME_MAX);
				memcpy(dst, d, n);
				dst[n] = '\0';
				*(type == 'L' ? &x->ext.has_path : &x->ext.has_linkpath) = n > 0;
			}
			in_take(x, (size_t)padded(size));
			continue;
		}
		if (type == 'g') { /* global pax defaults: none of them matter here */
			if (size > COPY_PAX_MAX)
				return kerr_set(x->err, EFBIG, "global pax record over %d bytes",
						COPY_PAX_MAX);
			if (in_skip(x, padded(size)) < 0)
				return -1;
			continue;
		}
		return 1;
	}
}

static void apply_dir(struct pending *p, bool times)
{
	struct timespec ts[2] = { { p->mtime, p->ns }, { p->mtime, p->ns } };

	/* Best effort, as tar: the contents are in; a directory we cannot touch stays. */
	(void)fchmod(p->fd, p->mode);
	if (times)
		(void)futimens(p->fd, ts);
	p->fd = fd_close(p->fd);
}

/* Applies mode and mtime of pending directories that name is not inside. */
static void pop_dirs(struct extractor *x, const char *name)
{
	while (x->ndirs > 0) {
		struct pending *p = &x->dirs[x->ndirs - 1];
		if (name && strncmp(name, x->stack, p->len) == 0 && name[p->len] == '/')
			return;
		apply_dir(p, true);
		x->ndirs--;
	}
}

/*
 * Resolves the directory parent (a clean relative name) under the extraction root,
 * creating missing components one at a time (mkdirat of a single name under the last
 * resolved fd, then resolved again from the root).
 */
static int resolve_parent(struct extractor *x, char *parent, bool create, int *out)
{
	const uint64_t res = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	const int fl = O_PATH | O_DIRECTORY;
	_cleanup_close_ int cur = -1;

	*out = copy_openat2(x->dirfd, parent, fl, res);
	if (*out >= 0 || errno != ENOENT || !create)
		return *out >= 0 ? 0 : copy_open_fail(parent, x->err);
	for (char *p = parent;;) {
		char *e = strchrnul(p, '/');
		char saved = *e;
		*e = '\0';
		int fd = copy_openat2(x->dirfd, parent, fl, res);
		if (fd < 0 && errno == ENOENT) {
			if (mkdirat(cur >= 0 ? cur : x->dirfd, p, 0755) < 0 && errno != EEXIST) {
				kerr_set(x->err, errno, "create directory `%s`", parent);
				*e = saved;
				return -1;
			}
			fd = copy_openat2(x->dirfd, parent, fl, res);
		}
		if (fd < 0) {
			copy_open_fail(parent, x->err);
			*e = saved;
			return -1;
		}
		fd_close(cur);
		cur = fd;
		*e = saved;
		if (!saved)
			break;
		p = e + 1;
	}
	*out = take_fd(&cur);
	return 0;
}

/* Removes what is in the way of a new entry leaf; a directory is kept (and an error
 * unless keep_dir). Returns 1 when a directory is there and was kept. */
static int clear_way(struct extractor *x, int pfd, const char *leaf, bool keep_dir)
{
	struct stat st;

	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : kerr_set(x->err, errno, "stat `%s`", x->clean);
	if (S_ISDIR(st.st_mode)) {
		if (keep_dir)
			return 1;
		return kerr_set(x->err, EISDIR,
				"cannot replace directory `%s` with a non-directory", x->clean);
	}
	if (unlinkat(pfd, leaf, 0) < 0 && errno != ENOENT)
		return kerr_set(x->err, errno, "remove `%s`", x->clean);
	return 0;
}

static uint32_t kept_mode(const struct extractor *x)
{
	uint32_t m = x->h.mode;

	/* Without -a the owner becomes ours: a set-id bit would lend it to whoever runs it. */
	if (!x->o->keep_owner && x->h.kind != COPY_DIR)
		m &= ~(uint32_t)(S_ISUID | S_ISGID);
	return m;
}

static int write_data(struct extractor *x, int fd)
{
	uint64_t left = x->h.size;

	while (left > 0) {
		if (in_fill(x, 1) < 0)
			return -1;
		size_t n = x->len - x->pos;
		if (n > left)
			n = (size_t)left;
		if (fd_write_full(fd, x->buf + x->pos, n, x->err) < 0)
			return kerr_wrap(x->err, "write `%s`", x->clean);
		in_take(x, n);
		left -= n;
	}
	return in_skip(x, padded(x->h.size) - x->h.size);
}

/* The member's pax xattrs on fd; overlayfs's own names are never taken from a stream
 * (they would forge whiteouts and redirects), and a filesystem without xattrs is fine. */
static int apply_xattrs(struct extractor *x, int fd)
{
	const uint8_t *p = x->ext.xattrs, *end = p + x->ext.xattrs_len;

	for (uint32_t i = 0; p && i < x->ext.nxattrs && p < end; i++) {
		const char *name = (const char *)p;
		size_t nl = strnlen(name, (size_t)(end - p));
		uint32_t vl;

		if (nl + 1 + sizeof(vl) > (size_t)(end - p))
			break;
		memcpy(&vl, p + nl + 1, sizeof(vl));
		const uint8_t *v = p + nl + 1 + sizeof(vl);
		if (vl > (size_t)(end - v))
			break;
		p = v + vl;
		if (strncmp(name, "trusted.overlay.", 16) == 0 ||
		    strncmp(name, "user.overlay.", 13) == 0)
			continue;
		if (fsetxattr(fd, name, v, vl, 0) == 0)
			continue;
		if (errno == ENOTSUP || errno == EPERM || errno == EACCES || errno == EINVAL ||
		    errno == ERANGE)
			continue; /* not supported here, as tar --xattrs does */
		return kerr_set(x->err, errno, "set xattr `%.64s` on `%s`", name, x->clean);
	}
	return 0;
}

static int make_file(struct extractor *x, int pfd, const char *leaf)
{
	const struct timespec ts[2] = { { x->h.mtime, x->h.mtime_ns },
					{ x->h.mtime, x->h.mtime_ns } };
	_cleanup_close_ int fd = -1;

	for (int i = 0; fd < 0; i++) {
		fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			break;
		if (errno != EEXIST || i == REPLACE_RETRIES)
			return kerr_set(x->err, errno, "create `%s`", x->clean);
		if (clear_way(x, pfd, leaf, false) < 0)
			return -1;
	}
	if (write_data(x, fd) < 0)
		return -1;
	if (x->o->keep_owner && fchown(fd, x->h.uid, x->h.gid) < 0)
		return kerr_set(x->err, errno, "chown `%s`", x->clean);
	if (fchmod(fd, kept_mode(x)) < 0)
		return kerr_set(x->err, errno, "chmod `%s`", x->clean);
	/* After the chown, which would clear security.capability. */
	if (x->ext.nxattrs && apply_xattrs(x, fd) < 0)
		return -1;
	if (futimens(fd, ts) < 0)
		return kerr_set(x->err, errno, "set times of `%s`", x->clean);
	return 0;
}

static int make_dir(struct extractor *x, int pfd, const char *leaf)
{
	int fd = -1;

	for (int i = 0;; i++) {
		if (mkdirat(pfd, leaf, 0700) == 0)
			break;
		if (errno != EEXIST || i == REPLACE_RETRIES)
			return kerr_set(x->err, errno, "create directory `%s`", x->clean);
		int r = clear_way(x, pfd, leaf, true);
		if (r < 0)
			return -1;
		if (r == 1)
			break;
	}
	fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(x->err, errno, "open directory `%s`", x->clean);
	if (x->o->keep_owner && fchown(fd, x->h.uid, x->h.gid) < 0) {
		fd_close(fd);
		return kerr_set(x->err, errno, "chown `%s`", x->clean);
	}
	if (x->ext.nxattrs && apply_xattrs(x, fd) < 0) {
		fd_close(fd);
		return -1;
	}
	struct pending p = {
		.fd = fd,
		.len = strlen(x->clean),
		.mode = kept_mode(x),
		.mtime = x->h.mtime,
		.ns = x->h.mtime_ns,
	};
	if (x->ndirs == PENDING_MAX) { /* too deep to wait for: set now, times may drift */
		apply_dir(&p, true);
		return 0;
	}
	memcpy(x->stack, x->clean, p.len + 1);
	x->dirs[x->ndirs++] = p;
	return 0;
}

/* Creates a symlink, hard link or node by one name; *_NOFOLLOW for what follows. */
static int make_other(struct extractor *x, int pfd, const char *leaf)
{
	const struct timespec ts[2] = { { x->h.mtime, x->h.mtime_ns },
					{ x->h.mtime, x->h.mtime_ns } };
	_cleanup_close_ int tfd = -1;
	const char *tleaf = NULL;
	int r = 0;

	if (x->h.kind == COPY_HARDLINK) {
		if (copy_tar_clean_name(x->h.linkname, x->target, sizeof(x->target), x->err) < 0)
			return -1;
		char *slash = strrchr(x->target, '/');
		if (!x->target[0])
			return kerr_set(x->err, EINVAL, "hard link `%s` to the root", x->clean);
		if (slash)
			*slash = '\0';
		tleaf = slash ? slash + 1 : x->target;
		if (resolve_parent(x, slash ? x->target : (char[]){ "" }, false, &tfd) < 0)
			return kerr_wrap(x->err, "hard link `%s`", x->clean);
	}
	for (int i = 0;; i++) {
		switch (x->h.kind) {
		case COPY_SYMLINK:
			r = symlinkat(x->h.linkname, pfd, leaf);
			break;
		case COPY_HARDLINK:
			r = linkat(tfd, tleaf, pfd, leaf, 0);
			break;
		case COPY_FIFO:
			r = mknodat(pfd, leaf, S_IFIFO | 0600, 0);
			break;
		default:
			r = mknodat(pfd, leaf, (x->h.kind == COPY_CHAR ? S_IFCHR : S_IFBLK) | 0600,
				    makedev(x->h.devmajor, x->h.devminor));
			break;
		}
		if (r == 0)
			break;
		if (errno != EEXIST || i == REPLACE_RETRIES)
			return kerr_set(x->err, errno, "create `%s`", x->clean);
		if (clear_way(x, pfd, leaf, false) < 0)
			return -1;
	}
	if (x->h.kind == COPY_HARDLINK)
		return 0; /* the inode keeps its own owner, mode and times */
	if (x->o->keep_owner && fchownat(pfd, leaf, x->h.uid, x->h.gid, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_set(x->err, errno, "chown `%s`", x->clean);
	if (x->h.kind != COPY_SYMLINK &&
	    fchmodat(pfd, leaf, kept_mode(x), AT_SYMLINK_NOFOLLOW) < 0 && errno != EOPNOTSUPP)
		return kerr_set(x->err, errno, "chmod `%s`", x->clean);
	if (utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_set(x->err, errno, "set times of `%s`", x->clean);
	return 0;
}

/* An overlayfs whiteout named target next to the member: a 0/0 character device. */
static int make_whiteout(struct extractor *x, int pfd, const char *target)
{
	for (int i = 0;; i++) {
		if (mknodat(pfd, target, S_IFCHR | 0, makedev(0, 0)) == 0)
			return 0;
		if (errno != EEXIST || i == REPLACE_RETRIES)
			return kerr_set(x->err, errno, "create whiteout `%s`", x->clean);
		if (clear_way(x, pfd, target, false) < 0)
			return -1;
	}
}

/* Marks the member's directory (dir, a clean name, "" for the root) opaque. */
static int make_opaque(struct extractor *x, char *dir)
{
	_cleanup_close_ int pfd = -1;
	_cleanup_close_ int fd = -1;

	if (dir[0] && resolve_parent(x, dir, true, &pfd) < 0)
		return kerr_wrap(x->err, "member `%.200s`", x->h.name);
	fd = openat(dir[0] ? pfd : x->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(x->err, errno, "open directory of `%s`", x->clean);
	if (fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
		return kerr_set(x->err, errno, "mark `%s` opaque", x->clean);
	return 0;
}

/* What the hook decided: 1 when the member was dealt with, 0 to extract it, -1. */
static int run_hook(struct extractor *x)
{
	const struct copy_hook *k = x->o->hook;
	char *slash = strrchr(x->clean, '/');
	int v = k->member(k->data, &x->h, x->clean, x->target, sizeof(x->target), x->err);
	int r = 0;

	if (v < 0)
		return kerr_wrap(x->err, "member `%.200s`", x->h.name);
	if (v == COPY_EXTRACT)
		return 0;
	if (v == COPY_WHITEOUT) {
		_cleanup_close_ int pfd = -1;

		if (slash) {
			*slash = '\0';
			r = resolve_parent(x, x->clean, true, &pfd);
			*slash = '/';
		} else {
			pfd = fcntl(x->dirfd, F_DUPFD_CLOEXEC, 0);
			r = pfd < 0 ? kerr_set(x->err, errno, "dup the destination fd") : 0;
		}
		if (r == 0)
			r = make_whiteout(x, pfd, x->target);
	} else if (v == COPY_OPAQUE) {
		if (slash)
			*slash = '\0';
		r = make_opaque(x, slash ? x->clean : (char[]){ "" });
		if (slash)
			*slash = '/';
	}
	if (r < 0)
		return -1;
	/* Whatever the member carried is not ours to write. */
	if (in_skip(x, padded(x->h.size)) < 0)
		return -1;
	return 1;
}

static int extract_one(struct extractor *x)
{
	_cleanup_close_ int pfd = -1;
	char *leaf;

	if (copy_tar_clean_name(x->h.name, x->clean, sizeof(x->clean), x->err) < 0)
		return -1;
	pop_dirs(x, x->clean);
	if (!x->clean[0]) { /* "./": the extraction root itself is not ours to change */
		if (x->h.kind != COPY_DIR)
			return kerr_set(x->err, EINVAL, "member `%.200s` names the root",
					x->h.name);
		return 0;
	}
	if (x->o->hook) {
		int h = run_hook(x);
		if (h != 0)
			return h < 0 ? -1 : 0;
	}
	char *slash = strrchr(x->clean, '/');
	if (slash) {
		*slash = '\0';
		int r = resolve_parent(x, x->clean, true, &pfd);
		*slash = '/';
		if (r < 0)
			return kerr_wrap(x->err, "member `%.200s`", x->h.name);
		leaf = slash + 1;
	} else {
		pfd = fcntl(x->dirfd, F_DUPFD_CLOEXEC, 0);
		if (pfd < 0)
			return kerr_set(x->err, errno, "dup the destination fd");
		leaf = x->clean;
	}
	switch (x->h.kind) {
	case COPY_CHAR:
	case COPY_BLOCK:
		return x->o->devices ? make_other(x, pfd, leaf) : 0;
	case COPY_FILE:
		return make_file(x, pfd, leaf);
	case COPY_DIR:
		return make_dir(x, pfd, leaf);
	default:
		return make_other(x, pfd, leaf);
	}
}

int copy_extract(int dirfd, int infd, const struct copy_opts *o, struct kerr *err)
{
	const struct copy_src src = { .read = fd_read, .data = &infd };

	return copy_extract_src(dirfd, &src, o, err);
}

int copy_extract_src(int dirfd, const struct copy_src *src, const struct copy_opts *o,
		     struct kerr *err)
{
	_cleanup_free_ struct extractor *x = calloc(1, sizeof(*x));
	_cleanup_free_ uint8_t *buf = malloc(COPY_BUF_SIZE);
	int rc = 0;

	if (!x || !buf)
		return kerr_set(err, ENOMEM, "extract");
	x->src = src;
	x->dirfd = dirfd;
	x->o = o;
	x->err = err;
	x->buf = buf;
	for (;;) {
		rc = next_member(x);
		if (rc <= 0)
			break;
		rc = extract_one(x);
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		for (int i = 0; i < x->ndirs; i++)
			apply_dir(&x->dirs[i], false);
		return -1;
	}
	pop_dirs(x, NULL);
	return 0;
}
