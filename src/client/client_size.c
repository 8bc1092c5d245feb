/*
 * client_size: `ps -s`: the bytes under a container's root directory, and docker's way of
 * printing a size (layer 3, client role).
 *
 * kettle runs a container straight from its --rootfs directory: there is no writable
 * layer of its own, so the size ps shows is docker's "0B (virtual N)" with N the tree's
 * bytes, counted as docker's directory.Size counts them: every entry's apparent size, a
 * hard-linked file once, symbolic links not followed, other filesystems not entered. The
 * walk opens each directory with openat(O_NOFOLLOW|O_CLOEXEC) relative to its parent, so a
 * rename inside the tree cannot lead it outside, and it stops at a depth and an entry cap.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "client/client.h"

#define SIZE_DEPTH_MAX	 256	 /* directory levels walked */
#define SIZE_ENTRIES_MAX 4000000 /* entries looked at in one tree */
#define SIZE_LINKS_MAX	 65536	 /* hard-linked inodes remembered (counted once) */

/* What one walk keeps. */
struct walk {
	dev_t dev;	    /* the root's filesystem */
	uint64_t bytes;	    /* counted so far */
	size_t entries;	    /* looked at so far */
	struct stat *links; /* owned: inodes with several links seen (dev, ino) */
	size_t nlinks;	    /* entries of links */
};

static bool seen_link(struct walk *w, const struct stat *st)
{
	for (size_t i = 0; i < w->nlinks; i++)
		if (w->links[i].st_ino == st->st_ino && w->links[i].st_dev == st->st_dev)
			return true;
	if (w->nlinks < SIZE_LINKS_MAX) {
		if (w->nlinks % 256 == 0) {
			struct stat *grown = realloc(w->links, (w->nlinks + 256) * sizeof(*grown));

			if (!grown)
				return false;
			w->links = grown;
		}
		w->links[w->nlinks++] = *st;
	}
	return false;
}

/* Adds the entries of the directory dirfd (closed here). */
static void walk_dir(struct walk *w, int dirfd, int depth)
{
	DIR *dir = fdopendir(dirfd);
	struct dirent *e;

	if (!dir) {
		fd_close(dirfd);
		return;
	}
	while ((e = readdir(dir)) && w->entries < SIZE_ENTRIES_MAX) {
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		w->entries++;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != w->dev)
			continue;
		if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && seen_link(w, &st))
			continue;
		w->bytes += (uint64_t)st.st_size;
		if (S_ISDIR(st.st_mode) && depth < SIZE_DEPTH_MAX) {
			int sub = openat(dirfd, e->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0)
				walk_dir(w, sub, depth + 1);
		}
	}
	closedir(dir);
}

int client_size_tree(const char *path, uint64_t *bytes, struct kerr *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct walk w = { 0 };
	struct stat st;

	*bytes = 0;
	if (fd < 0)
		return kerr_set(err, errno, "size of `%s`", path);
	if (fstat(fd, &st) < 0) {
		int e = errno;

		fd_close(fd);
		return kerr_set(err, e, "size of `%s`", path);
	}
	w.dev = st.st_dev;
	walk_dir(&w, fd, 0);
	free(w.links);
	*bytes = w.bytes;
	return 0;
}

void client_size_human(uint64_t v, char *out, size_t cap)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	double size = (double)v;
	int i = 0;

	/* go-units' HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits. */
	while (size >= 1000.0 && i < 6) {
		size /= 1000.0;
		i++;
	}
	snprintf(out, cap, "%.3g%s", size, units[i]);
}
