/*
 * copy_tar: the tar header decoder for `kettle cp` (mechanism M1, pure).
 *
 * Bytes in, struct or kerr out: one 512-byte ustar or GNU header block (checksum, octal or
 * GNU base-256 numbers), the records of a pax extended header, and the normalization of a
 * member name for extraction. Every number and name is checked against the caps in
 * copy_tar.h before it is stored, and every name comes out NUL-terminated. No I/O, no
 * allocation; fuzzed by test/fuzz/fuzz_tar.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "copy/copy_tar.h"

#define BLOCK COPY_TAR_BLOCK

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

int copy_tar_hdr_parse(const uint8_t blk[BLOCK], const struct copy_ext *ext, struct copy_hdr *h,
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

/* Appends NAME NUL, u32 length, value to ext->xattrs (when the caller keeps them). */
static int pax_xattr(const char *name, size_t nl, const char *v, size_t vl, struct copy_ext *ext,
		     struct kerr *err)
{
	uint32_t n32 = (uint32_t)vl;

	if (!ext->xattrs)
		return 0;
	if (memchr(name, '\0', nl))
		return kerr_set(err, EINVAL, "pax xattr name contains a NUL byte");
	if (nl + 1 + sizeof(n32) + vl > ext->xattrs_cap - ext->xattrs_len)
		return kerr_set(err, E2BIG, "pax xattrs of one member exceed %zu bytes",
				ext->xattrs_cap);
	uint8_t *p = ext->xattrs + ext->xattrs_len;
	memcpy(p, name, nl);
	p[nl] = '\0';
	memcpy(p + nl + 1, &n32, sizeof(n32));
	memcpy(p + nl + 1 + sizeof(n32), v, vl);
	ext->xattrs_len += nl + 1 + sizeof(n32) + vl;
	ext->nxattrs++;
	return 0;
}

int copy_tar_pax_parse(const char *data, size_t len, struct copy_ext *ext, struct kerr *err)
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
		} else if (kl > sizeof(COPY_XATTR_PREFIX) - 1 &&
			   memcmp(key, COPY_XATTR_PREFIX, sizeof(COPY_XATTR_PREFIX) - 1) == 0) {
			if (pax_xattr(key + sizeof(COPY_XATTR_PREFIX) - 1,
				      kl - (sizeof(COPY_XATTR_PREFIX) - 1), v, vl, ext, err) < 0)
				return -1;
		} else if (kl >= 11 && memcmp(key, "GNU.sparse.", 11) == 0) {
			return kerr_set(err, ENOTSUP, "sparse members are not supported");
		}
#undef KEY_IS
		pos += rl;
	}
	return 0;
}

int copy_tar_clean_name(const char *name, char *out, size_t cap, struct kerr *err)
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
