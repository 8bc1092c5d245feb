/*
 * archive: index of an image archive's tar members (mechanism, image folder).
 *
 * One pass over the headers with pread: pax ('x') and GNU long-name ('L', 'K') records
 * are applied to the next header, global pax ('g') records skipped, as the extractor
 * does; data is never read. Names and link targets live in one growing buffer; member
 * pointers into it are set once the pass is over (the buffer no longer moves), then the
 * members are sorted for binary search.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy/copy_tar.h"
#include "image/archive.h"

#define BLOCK COPY_TAR_BLOCK

/* While indexing: offsets into names (the buffer may still move). */
struct pending {
	size_t name; /* offset of the name */
	size_t link; /* offset of the link target, or SIZE_MAX */
};

static int read_at(int fd, void *buf, size_t n, uint64_t off, struct kerr *err)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return kerr_set(err, errno, "read the archive at byte %" PRIu64, off + got);
		if (r == 0)
			return kerr_set(err, 0,
					"the archive ends early (truncated at byte %" PRIu64 ")",
					off + got);
		got += (size_t)r;
	}
	return 0;
}

static uint64_t padded(uint64_t n)
{
	return (n + BLOCK - 1) / BLOCK * BLOCK;
}

/* Appends s (NUL-terminated) to the names; its offset goes to *at. */
static int add_name(struct archive *a, size_t *cap, const char *s, size_t *at, struct kerr *err)
{
	size_t n = strlen(s) + 1;

	if (n > ARCHIVE_NAMES_MAX - a->names_len)
		return kerr_set(err, 0, "the archive's names exceed %u bytes", ARCHIVE_NAMES_MAX);
	if (a->names_len + n > *cap) {
		size_t nc = *cap ? *cap * 2 : 65536;
		while (nc < a->names_len + n)
			nc *= 2;
		char *p = realloc(a->names, nc);
		if (!p)
			return kerr_set(err, ENOMEM, "index the archive");
		a->names = p;
		*cap = nc;
	}
	memcpy(a->names + a->names_len, s, n);
	*at = a->names_len;
	a->names_len += n;
	return 0;
}

static int by_name(const void *x, const void *y)
{
	const struct archive_member *a = x, *b = y;
	int c = strcmp(a->name, b->name);

	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

/* The header pass; members get name offsets in pend. */
static int scan(struct archive *a, struct pending **pend, size_t *names_cap, struct kerr *err)
{
	struct stat st;
	uint8_t blk[BLOCK];
	char data[COPY_PAX_MAX + 1];
	struct copy_ext *ext = calloc(1, sizeof(*ext));
	struct copy_hdr *h = calloc(1, sizeof(*h));
	char *clean = malloc(COPY_NAME_MAX + 1);
	size_t cap = 0;
	uint64_t off = 0;
	int rc = -1;
	char type;

	if (!ext || !h || !clean) {
		kerr_set(err, ENOMEM, "index the archive");
		goto out;
	}
	if (fstat(a->fd, &st) < 0) {
		kerr_set(err, errno, "stat the archive");
		goto out;
	}
	for (;;) {
		if (off + BLOCK > (uint64_t)st.st_size) {
			kerr_set(err, 0,
				 "the archive ends early (no end-of-archive block after byte "
				 "%" PRIu64 ")",
				 off);
			goto out;
		}
		if (read_at(a->fd, blk, BLOCK, off, err) < 0)
			goto out;
		int r = copy_tar_hdr_parse(blk, ext, h, &type, err);
		if (r < 0) {
			kerr_wrap(err, "archive header at byte %" PRIu64, off);
			goto out;
		}
		if (r == 0)
			break; /* end of archive */
		off += BLOCK;
		if (type == 'x' || type == 'L' || type == 'K' || type == 'g') {
			uint64_t max =
				type == 'L' || type == 'K' ? COPY_NAME_MAX + 1 : COPY_PAX_MAX;
			if (h->size > max) {
				kerr_set(err, 0,
					 "archive record at byte %" PRIu64 " is over %" PRIu64
					 " bytes",
					 off - BLOCK, max);
				goto out;
			}
			if (type != 'g') {
				if (read_at(a->fd, data, (size_t)h->size, off, err) < 0)
					goto out;
				data[h->size] = '\0';
			}
			if (type == 'x') {
				if (copy_tar_pax_parse(data, (size_t)h->size, ext, err) < 0)
					goto out;
			} else if (type == 'L' || type == 'K') {
				size_t n = strnlen(data, (size_t)h->size);
				char *dst = type == 'L' ? ext->path : ext->linkpath;
				memcpy(dst, data, n);
				dst[n] = '\0';
				*(type == 'L' ? &ext->has_path : &ext->has_linkpath) = n > 0;
			}
			off += padded(h->size);
			continue;
		}
		memset(ext, 0, sizeof(*ext));
		if (a->n == ARCHIVE_MEMBERS_MAX) {
			kerr_set(err, 0, "the archive has more than %d members",
				 ARCHIVE_MEMBERS_MAX);
			goto out;
		}
		if (copy_tar_clean_name(h->name, clean, COPY_NAME_MAX + 1, err) < 0) {
			kerr_wrap(err, "archive member at byte %" PRIu64, off - BLOCK);
			goto out;
		}
		if (a->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct archive_member *m = realloc(a->m, nc * sizeof(*m));
			struct pending *p = realloc(*pend, nc * sizeof(*p));
			if (m)
				a->m = m;
			if (p)
				*pend = p;
			if (!m || !p) {
				kerr_set(err, ENOMEM, "index the archive");
				goto out;
			}
			cap = nc;
		}
		struct archive_member *m = &a->m[a->n];
		struct pending *p = &(*pend)[a->n];
		p->link = SIZE_MAX;
		if (add_name(a, names_cap, clean, &p->name, err) < 0)
			goto out;
		if ((h->kind == COPY_SYMLINK || h->kind == COPY_HARDLINK) &&
		    add_name(a, names_cap, h->linkname, &p->link, err) < 0)
			goto out;
		m->kind = (char)h->kind;
		m->seq = (uint32_t)a->n;
		m->off = off;
		m->size = h->size;
		a->n++;
		if (h->size > (uint64_t)st.st_size - off) {
			kerr_set(err, 0,
				 "archive member `%.200s` runs past the end of the archive "
				 "(truncated)",
				 clean);
			goto out;
		}
		off += padded(h->size);
	}
	rc = 0;
out:
	free(ext);
	free(h);
	free(clean);
	return rc;
}

int archive_index(struct archive *a, int fd, struct kerr *err)
{
	struct pending *pend = NULL;
	size_t names_cap = 0;

	memset(a, 0, sizeof(*a));
	a->fd = fd;
	if (scan(a, &pend, &names_cap, err) < 0) {
		free(pend);
		archive_done(a);
		return -1;
	}
	for (size_t i = 0; i < a->n; i++) {
		a->m[i].name = a->names + pend[i].name;
		a->m[i].link = pend[i].link == SIZE_MAX ? NULL : a->names + pend[i].link;
	}
	free(pend);
	if (a->n)
		qsort(a->m, a->n, sizeof(*a->m), by_name);
	return 0;
}

void archive_done(struct archive *a)
{
	free(a->m);
	free(a->names);
	a->m = NULL;
	a->names = NULL;
	a->n = a->names_len = 0;
}

/* The last member named name, or NULL. */
static const struct archive_member *lookup(const struct archive *a, const char *name)
{
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(a->m[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == a->n || strcmp(a->m[lo].name, name) != 0)
		return NULL;
	while (lo + 1 < a->n && strcmp(a->m[lo + 1].name, name) == 0)
		lo++;
	return &a->m[lo];
}

int archive_has(const struct archive *a, const char *path)
{
	char clean[COPY_NAME_MAX + 1];
	struct kerr err;

	if (copy_tar_clean_name(path, clean, sizeof(clean), &err) < 0)
		return 0;
	return lookup(a, clean) != NULL;
}

/* dir/target resolved lexically inside the archive (".." may not climb out) into out. */
static int resolve(const char *dir, const char *target, char *out, size_t cap, struct kerr *err)
{
	size_t o = 0;

	if (target[0] == '/')
		return kerr_set(err, 0, "archive link to `%.200s` is absolute", target);
	for (int pass = 0; pass < 2; pass++) {
		const char *p = pass ? target : dir;
		while (*p) {
			while (*p == '/')
				p++;
			const char *e = strchrnul(p, '/');
			size_t n = (size_t)(e - p);
			if (n == 0 || (n == 1 && p[0] == '.')) {
				p = e;
				continue;
			}
			if (n == 2 && p[0] == '.' && p[1] == '.') {
				if (o == 0)
					return kerr_set(
						err, 0,
						"archive link to `%.200s` leaves the archive",
						target);
				while (o > 0 && out[o - 1] != '/')
					o--;
				if (o > 0)
					o--;
				p = e;
				continue;
			}
			if (o + n + 2 > cap)
				return kerr_set(err, 0, "archive link target too long");
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
			p = e;
		}
	}
	out[o] = '\0';
	return 0;
}

const struct archive_member *archive_find(const struct archive *a, const char *path,
					  struct kerr *err)
{
	char name[COPY_NAME_MAX + 1], next[COPY_NAME_MAX + 1];

	if (copy_tar_clean_name(path, name, sizeof(name), err) < 0)
		return NULL;
	for (int hops = 0; hops <= ARCHIVE_LINKS_MAX; hops++) {
		const struct archive_member *m = lookup(a, name);
		if (!m) {
			kerr_set(err, 0, "the archive has no `%.200s`", name);
			return NULL;
		}
		if (m->kind == COPY_FILE)
			return m;
		if (m->kind != COPY_SYMLINK && m->kind != COPY_HARDLINK) {
			kerr_set(err, 0, "archive member `%.200s` is not a regular file", name);
			return NULL;
		}
		if (m->kind == COPY_HARDLINK) {
			if (copy_tar_clean_name(m->link, next, sizeof(next), err) < 0)
				return NULL;
		} else {
			char *slash = strrchr(name, '/');
			if (slash)
				*slash = '\0';
			if (resolve(slash ? name : "", m->link, next, sizeof(next), err) < 0)
				return NULL;
		}
		memcpy(name, next, strlen(next) + 1);
	}
	kerr_set(err, 0, "archive member `%.200s`: more than %d links", path, ARCHIVE_LINKS_MAX);
	return NULL;
}

int archive_read(const struct archive *a, const struct archive_member *m, size_t max,
		 struct buf *out, struct kerr *err)
{
	if (m->size > max)
		return kerr_set(err, 0, "`%.200s` is %" PRIu64 " bytes, over the limit of %zu",
				m->name, m->size, max);
	if (buf_reserve(out, (size_t)m->size + 1, err) < 0)
		return -1;
	if (read_at(a->fd, out->data + out->len, (size_t)m->size, m->off, err) < 0)
		return -1;
	out->len += (size_t)m->size;
	out->data[out->len] = '\0';
	return 0;
}
