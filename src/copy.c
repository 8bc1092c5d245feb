/*
 * copy: tar streams in and out of a directory tree, symlink-safe (mechanism M3).
 *
 * Invariants (see copy.h): every lookup goes through openat2 with RESOLVE_NO_MAGICLINKS
 * (plus RESOLVE_IN_ROOT under a container's root and under an extraction root); every
 * entry is created or opened by one path component under an already-resolved directory
 * fd, with O_NOFOLLOW, O_EXCL or *_SYMLINK_NOFOLLOW, so a symlink planted or swapped in by
 * a container is never written through nor followed out of its root (docker cp's
 * CVE-2018-15664 race). Memory is constant: one COPY_BUF_SIZE buffer per operation, names
 * in fixed buffers, a bounded stack of pending directories. Never prints or exits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "copy.h"
#include "fd.h"

/* The kernel's struct open_how (linux/openat2.h), which musl's headers lack. */
struct copy_open_how {
	uint64_t flags;	  /* open(2) flags */
	uint64_t mode;	  /* creation mode; 0 unless O_CREAT */
	uint64_t resolve; /* RESOLVE_* */
};

#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_MAGICLINKS 0x02
#endif
#ifndef RESOLVE_IN_ROOT
#define RESOLVE_IN_ROOT 0x10
#endif

#define BLOCK		 512
#define OPENAT2_RETRIES	 64 /* EAGAIN: a rename raced a RESOLVE_IN_ROOT walk (openat2(2)) */
#define REPLACE_RETRIES	 8  /* an entry re-created under us between unlink and create */
#define PENDING_MAX	 64 /* directories whose mode and mtime wait for their contents */
#define OCTAL_MAX(width) ((1ULL << (3 * ((width)-1))) - 1)
#define PAX_NAME	 "././@PaxHeader"

/* ---- resolution ---- */

static int openat2_fd(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct copy_open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = resolve,
	};
	long r = -1;

	for (int i = 0; i < OPENAT2_RETRIES; i++) {
		r = syscall(SYS_openat2, dirfd, path[0] ? path : ".", &how, sizeof(how));
		if (r >= 0 || (errno != EAGAIN && errno != EINTR))
			break;
	}
	return (int)r;
}

static int open_fail(const char *path, struct kerr *err)
{
	if (errno == ENOSYS) {
		kerr_set(err, 0, COPY_NOOPENAT2);
		err->code = ENOSYS;
		return -1;
	}
	return kerr_set(err, errno, "open `%s`", path[0] ? path : ".");
}

int copy_open(const struct copy_root *root, const char *path, int flags, bool follow, int *fd,
	      struct kerr *err)
{
	uint64_t resolve = RESOLVE_NO_MAGICLINKS | (root->contained ? RESOLVE_IN_ROOT : 0);

	if (flags == 0)
		flags = O_PATH;
	if (!follow)
		flags |= O_NOFOLLOW;
	*fd = openat2_fd(root->fd, path, flags, resolve);
	if (*fd < 0)
		return open_fail(path, err);
	return 0;
}

/* ---- header decoding (pure) ---- */

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* A numeric field: octal digits (leading spaces, ended by NUL/space or the field's end),
 * or GNU base-256 when the first byte has its high bit set (positive values only). */
static int parse_num(const uint8_t *f, size_t width, const char *what, uint64_t *out,
		     struct kerr *err)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return kerr_set(err, EINVAL, "negative or oversized base-256 `%s` field",
					what);
		for (i = 1; i < width; i++) {
			if (v >> 56)
				return kerr_set(err, EINVAL, "`%s` field overflows 64 bits", what);
			v = (v << 8) | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < width && f[i] == ' ')
		i++;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 61)
			return kerr_set(err, EINVAL, "`%s` field overflows 64 bits", what);
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	for (; i < width; i++) {
		if (f[i] != ' ' && f[i] != '\0')
			return kerr_set(err, EINVAL,
					"invalid byte 0x%02x in the `%s` field (allowed: octal "
					"digits ended by a space or NUL)",
					f[i], what);
	}
	*out = v;
	return 0;
}

static int check_sum(const uint8_t blk[BLOCK], struct kerr *err)
{
	uint64_t want;
	unsigned long usum = 0;
	long ssum = 0;

	if (parse_num(blk + 148, 8, "chksum", &want, err) < 0)
		return -1;
	for (size_t i = 0; i < BLOCK; i++) {
		uint8_t c = (i >= 148 && i < 156) ? ' ' : blk[i];
		usum += c;
		ssum += (signed char)c;
	}
	if (want != usum && (long long)want != ssum)
		return kerr_set(err, EINVAL,
				"header checksum mismatch (stored %" PRIu64
				", computed %lu): not a "
				"tar stream or a corrupt one",
				want, usum);
	return 0;
}

static size_t field_len(const uint8_t *f, size_t width)
{
	const void *z = memchr(f, '\0', width);
	return z ? (size_t)((const uint8_t *)z - f) : width;
}

int copy_hdr_parse(const uint8_t blk[BLOCK], const struct copy_ext *ext, struct copy_hdr *h,
		   char *type, struct kerr *err)
{
	uint64_t mode, uid, gid, size, mtime, maj, min;
	bool posix, gnu;
	char t;

	if (all_zero(blk, BLOCK))
		return 0;
	if (check_sum(blk, err) < 0)
		return -1;
	posix = memcmp(blk + 257, "ustar\0", 6) == 0;
	gnu = memcmp(blk + 257, "ustar  \0", 8) == 0;
	if (!posix && !gnu)
		return kerr_set(err, EINVAL,
				"header lacks the ustar magic (allowed: POSIX ustar, "
				"pax or GNU tar)");
	if (parse_num(blk + 100, 8, "mode", &mode, err) < 0 ||
	    parse_num(blk + 108, 8, "uid", &uid, err) < 0 ||
	    parse_num(blk + 116, 8, "gid", &gid, err) < 0 ||
	    parse_num(blk + 124, 12, "size", &size, err) < 0 ||
	    parse_num(blk + 136, 12, "mtime", &mtime, err) < 0 ||
	    parse_num(blk + 329, 8, "devmajor", &maj, err) < 0 ||
	    parse_num(blk + 337, 8, "devminor", &min, err) < 0)
		return -1;
	t = (char)blk[156];
	*type = t;
	memset(h, 0, sizeof(*h));
	if (t == 'x' || t == 'g' || t == 'L' || t == 'K') {
		h->size = size;
		return 1;
	}
	/* The name: POSIX prefix + "/" + name; GNU uses the prefix area for other things. */
	size_t nl = field_len(blk, 100), pl = posix ? field_len(blk + 345, 155) : 0, off = 0;
	if (pl) {
		memcpy(h->name, blk + 345, pl);
		h->name[pl] = '/';
		off = pl + 1;
	}
	memcpy(h->name + off, blk, nl);
	h->name[off + nl] = '\0';
	size_t ll = field_len(blk + 157, 100);
	memcpy(h->linkname, blk + 157, ll);
	h->linkname[ll] = '\0';

	switch (t) {
	case '\0':
	case '0':
	case '7':
		h->kind = COPY_FILE;
		break;
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
		h->kind = (enum copy_kind)t;
		break;
	default:
		return kerr_set(err, EINVAL,
				"member `%.200s`: unsupported type `%c` (allowed: files, "
				"directories, symlinks, hard links, devices, fifos)",
				h->name, (t >= 0x20 && t < 0x7f) ? t : '?');
	}
	if (ext) {
		if (ext->has_path)
			memcpy(h->name, ext->path, sizeof(h->name));
		if (ext->has_linkpath)
			memcpy(h->linkname, ext->linkpath, sizeof(h->linkname));
		if (ext->has_size)
			size = ext->size;
		if (ext->has_uid)
			uid = ext->uid;
		if (ext->has_gid)
			gid = ext->gid;
	}
	if (h->name[0] == '\0')
		return kerr_set(err, EINVAL, "a member has an empty name");
	if (h->kind != COPY_FILE)
		size = 0; /* pax: no data records follow links, directories, devices, fifos */
	if (size > COPY_SIZE_MAX)
		return kerr_set(err, EFBIG,
				"member `%.200s`: size %" PRIu64 " is over the limit of %llu bytes",
				h->name, size, COPY_SIZE_MAX);
	if (uid > COPY_ID_MAX || gid > COPY_ID_MAX)
		return kerr_set(err, EINVAL, "member `%.200s`: uid/gid over %u", h->name,
				COPY_ID_MAX);
	if ((h->kind == COPY_SYMLINK || h->kind == COPY_HARDLINK) && !h->linkname[0])
		return kerr_set(err, EINVAL, "member `%.200s`: a link without a target", h->name);
	if (maj > 0xfffffu || min > 0xfffffu)
		return kerr_set(err, EINVAL, "member `%.200s`: device number out of range",
				h->name);
	h->mode = (uint32_t)(mode & 07777);
	h->uid = (uint32_t)uid;
	h->gid = (uint32_t)gid;
	h->size = size;
	h->mtime = mtime > INT64_MAX ? INT64_MAX : (int64_t)mtime;
	if (ext && ext->has_mtime) {
		h->mtime = ext->mtime;
		h->mtime_ns = ext->mtime_ns;
	}
	h->devmajor = (uint32_t)maj;
	h->devminor = (uint32_t)min;
	return 1;
}

static int pax_u64(const char *v, size_t n, uint64_t max, const char *key, uint64_t *out,
		   struct kerr *err)
{
	uint64_t x = 0;

	if (n == 0)
		return kerr_set(err, EINVAL, "pax `%s` is empty", key);
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return kerr_set(err, EINVAL, "pax `%s` is not a decimal number", key);
		if (x > (max - (uint64_t)(v[i] - '0')) / 10)
			return kerr_set(err, EINVAL, "pax `%s` is over %" PRIu64, key, max);
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

/* "sec[.frac]" with an optional '-': the seconds as they are, the fraction in ns. */
static int pax_time(const char *v, size_t n, int64_t *sec, uint32_t *ns, struct kerr *err)
{
	bool neg = n > 0 && v[0] == '-';
	size_t i = neg ? 1 : 0, dot = n;
	uint64_t s;

	for (size_t j = i; j < n; j++)
		if (v[j] == '.') {
			dot = j;
			break;
		}
	if (pax_u64(v + i, dot - i, INT64_MAX, "mtime", &s, err) < 0)
		return -1;
	uint32_t f = 0, scale = 100000000;
	for (size_t j = dot + 1; j < n; j++) {
		if (v[j] < '0' || v[j] > '9')
			return kerr_set(err, EINVAL, "pax `mtime` has a bad fraction");
		f += (uint32_t)(v[j] - '0') * scale;
		scale /= 10;
	}
	*sec = neg ? -(int64_t)s : (int64_t)s;
	*ns = neg ? 0 : f;
	return 0;
}

static int pax_name(const char *v, size_t n, const char *key, char *out, bool *has,
		    struct kerr *err)
{
	if (n > COPY_NAME_MAX)
		return kerr_set(err, ENAMETOOLONG, "pax `%s` is longer than %d bytes", key,
				COPY_NAME_MAX);
	if (memchr(v, '\0', n))
		return kerr_set(err, EINVAL, "pax `%s` contains a NUL byte", key);
	memcpy(out, v, n);
	out[n] = '\0';
	*has = n > 0; /* an empty value removes the override (POSIX pax) */
	return 0;
}

int copy_pax_parse(const char *data, size_t len, struct copy_ext *ext, struct kerr *err)
{
	size_t pos = 0;

	while (pos < len) {
		size_t rl = 0, i = pos;
		uint64_t x;

		while (i < len && data[i] >= '0' && data[i] <= '9' && i - pos < 8)
			rl = rl * 10 + (size_t)(data[i++] - '0');
		if (i == pos || i >= len || data[i] != ' ' || rl < 5 || rl > len - pos ||
		    data[pos + rl - 1] != '\n')
			return kerr_set(err, EINVAL,
					"malformed pax record at byte %zu (allowed: \"LEN "
					"key=value\\n\")",
					pos);
		const char *key = data + i + 1, *end = data + pos + rl - 1;
		const char *eq = memchr(key, '=', (size_t)(end - key));
		if (!eq || eq == key)
			return kerr_set(err, EINVAL, "pax record at byte %zu has no key=value",
					pos);
		size_t kl = (size_t)(eq - key), vl = (size_t)(end - eq - 1);
		const char *v = eq + 1;
#define KEY_IS(s) (kl == sizeof(s) - 1 && memcmp(key, s, kl) == 0)
		if (KEY_IS("path")) {
			if (pax_name(v, vl, "path", ext->path, &ext->has_path, err) < 0)
				return -1;
		} else if (KEY_IS("linkpath")) {
			if (pax_name(v, vl, "linkpath", ext->linkpath, &ext->has_linkpath, err) < 0)
				return -1;
		} else if (KEY_IS("size")) {
			if (pax_u64(v, vl, COPY_SIZE_MAX, "size", &ext->size, err) < 0)
				return -1;
			ext->has_size = true;
		} else if (KEY_IS("uid") || KEY_IS("gid")) {
			bool u = key[0] == 'u';
			if (pax_u64(v, vl, COPY_ID_MAX, u ? "uid" : "gid", &x, err) < 0)
				return -1;
			*(u ? &ext->uid : &ext->gid) = (uint32_t)x;
			*(u ? &ext->has_uid : &ext->has_gid) = true;
		} else if (KEY_IS("mtime")) {
			if (pax_time(v, vl, &ext->mtime, &ext->mtime_ns, err) < 0)
				return -1;
			ext->has_mtime = true;
		} else if (kl >= 11 && memcmp(key, "GNU.sparse.", 11) == 0) {
			return kerr_set(err, ENOTSUP, "sparse members are not supported");
		}
#undef KEY_IS
		pos += rl;
	}
	return 0;
}

int copy_clean_name(const char *name, char *out, size_t cap, struct kerr *err)
{
	size_t o = 0;
	const char *p = name;

	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			p = e;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return kerr_set(err, EPERM,
					"member `%.200s`: `..` is not allowed in member names",
					name);
		if (o + (o ? 1 : 0) + n + 1 > cap)
			return kerr_set(err, ENAMETOOLONG, "member `%.200s`: name too long", name);
		if (o)
			out[o++] = '/';
		memcpy(out + o, p, n);
		o += n;
		p = e;
	}
	out[o] = '\0';
	return 0;
}

/* ---- encoder ---- */

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

/* ---- decoder and extraction ---- */

struct pending {
	int fd;	       /* owned: the directory, O_RDONLY */
	size_t len;    /* its name is x->stack[0..len) */
	uint32_t mode; /* permission bits to set once its contents are in */
	int64_t mtime; /* seconds */
	uint32_t ns;   /* nanoseconds */
	uint32_t pad;  /* unused */
};

struct extractor {
	int infd;			  /* borrowed: the tar stream */
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
};

/* Makes at least want (<= COPY_BUF_SIZE) bytes available at buf[pos]. */
static int in_fill(struct extractor *x, size_t want)
{
	if (x->len - x->pos >= want)
		return 0;
	memmove(x->buf, x->buf + x->pos, x->len - x->pos);
	x->len -= x->pos;
	x->pos = 0;
	while (x->len < want) {
		ssize_t n = read(x->infd, x->buf + x->len, COPY_BUF_SIZE - x->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kerr_set(x->err, errno, "read the tar stream");
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
	for (;;) {
		uint64_t at = x->off;
		if (in_fill(x, BLOCK) < 0)
			return -1;
		int r = copy_hdr_parse(x->buf + x->pos, &x->ext, &x->h, &type, x->err);
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
				if (copy_pax_parse(d, (size_t)size, &x->ext, x->err) < 0)
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

	*out = openat2_fd(x->dirfd, parent, fl, res);
	if (*out >= 0 || errno != ENOENT || !create)
		return *out >= 0 ? 0 : open_fail(parent, x->err);
	for (char *p = parent;;) {
		char *e = strchrnul(p, '/');
		char saved = *e;
		*e = '\0';
		int fd = openat2_fd(x->dirfd, parent, fl, res);
		if (fd < 0 && errno == ENOENT) {
			if (mkdirat(cur >= 0 ? cur : x->dirfd, p, 0755) < 0 && errno != EEXIST) {
				kerr_set(x->err, errno, "create directory `%s`", parent);
				*e = saved;
				return -1;
			}
			fd = openat2_fd(x->dirfd, parent, fl, res);
		}
		if (fd < 0) {
			open_fail(parent, x->err);
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
		if (copy_clean_name(x->h.linkname, x->target, sizeof(x->target), x->err) < 0)
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

static int extract_one(struct extractor *x)
{
	_cleanup_close_ int pfd = -1;
	char *leaf;

	if (copy_clean_name(x->h.name, x->clean, sizeof(x->clean), x->err) < 0)
		return -1;
	pop_dirs(x, x->clean);
	if (!x->clean[0]) { /* "./": the extraction root itself is not ours to change */
		if (x->h.kind != COPY_DIR)
			return kerr_set(x->err, EINVAL, "member `%.200s` names the root",
					x->h.name);
		return 0;
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
	_cleanup_free_ struct extractor *x = calloc(1, sizeof(*x));
	_cleanup_free_ uint8_t *buf = malloc(COPY_BUF_SIZE);
	int rc = 0;

	if (!x || !buf)
		return kerr_set(err, ENOMEM, "extract");
	x->infd = infd;
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
