/*
 * imgmount: overlay mounts and vfs copies of a container's root (mechanism, image folder).
 *
 * overlayfs wants lowerdir top first. Its options must fit one page, so the lower
 * directories are named relative to the store's layers/ directory (the mount runs with
 * that as the working directory, restored afterwards): about 70 bytes a layer. When even
 * that is too long, the new mount API appends one lower directory per fsconfig call
 * ("lowerdir+", Linux 6.8). upper and work live in the container's directory, next to the
 * mount point: everything a container writes stays there and goes with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/str.h"
#include "copy/copy.h"
#include "image/imgmount.h"
#include "image/imgref.h"
#include "image/imgstore.h"
#include "image/imgvfs.h"

#define OPTS_MAX 4000 /* bytes of mount(2) data that always fit its page */

/* The new mount API's constants (linux/mount.h), which musl's headers lack. glibc's
 * <sys/mount.h> defines the flags as macros (guarded here, the SANITIZE build is glibc) and
 * the fsconfig commands as an enum (declared above, so these macros only name equal values). */
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x1
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x4
#endif

bool imgmount_overlay_supported(void)
{
	char buf[8192];
	size_t len;
	struct kerr err;

	if (fd_read_small_file(AT_FDCWD, "/proc/filesystems", buf, sizeof(buf), &len, &err) < 0)
		return false;
	return strstr(buf, "\toverlay\n") != NULL;
}

bool imgmount_is_mounted(const char *path)
{
	struct stat a, b;
	char parent[4096];
	const char *slash = strrchr(path, '/');

	if (!slash || !str_copyn(parent, sizeof(parent), path, (size_t)(slash - path)))
		return false;
	if (!parent[0])
		str_copy(parent, sizeof(parent), "/");
	return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

int imgmount_umount(const char *path, struct kerr *err)
{
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		return kerr_set(err, errno, "unmount `%s`", path);
	return 0;
}

static int fsconfig_str(int fsfd, const char *key, const char *value)
{
	return (int)syscall(SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, key, value, 0);
}

/* The new mount API: one lowerdir+ per layer (top first), then upper and work. */
static int mount_fsconfig(const char *layers, char *const *chains, size_t n, const char *upper,
			  const char *work, const char *target, struct kerr *err)
{
	_cleanup_close_ int fsfd = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
	_cleanup_close_ int mfd = -1;
	char path[4096];

	if (fsfd < 0)
		return kerr_set(err, errno, "overlay of %zu layers: fsopen", n);
	for (size_t i = n; i-- > 0;) {
		if (snprintf(path, sizeof(path), "%s/%s/" IMGSTORE_DIFF, layers,
			     imgref_hex(chains[i])) >= (int)sizeof(path))
			return kerr_set(err, 0, "layer path under `%s`", layers);
		if (fsconfig_str(fsfd, "lowerdir+", path) < 0)
			return kerr_set(err, errno,
					"overlay of %zu layers: this kernel cannot stack so many "
					"(lowerdir+ needs Linux 6.8; use --storage-driver vfs)",
					n);
	}
	if (fsconfig_str(fsfd, "upperdir", upper) < 0 || fsconfig_str(fsfd, "workdir", work) < 0 ||
	    syscall(SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return kerr_set(err, errno, "overlay of %zu layers: configure", n);
	mfd = (int)syscall(SYS_fsmount, fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0 ||
	    syscall(SYS_move_mount, mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return kerr_set(err, errno, "mount the overlay at `%s`", target);
	return 0;
}

int imgmount_overlay(const char *root, const char *ctrdir, char *const *chains, size_t n,
		     struct kerr *err)
{
	char layers[4096], upper[4096], work[4096], target[4096];
	_cleanup_free_ char *opts = malloc(OPTS_MAX + 1);
	size_t o = 0;

	if (!opts)
		return kerr_set(err, ENOMEM, "mount the root filesystem");
	if (n == 0)
		return kerr_set(err, 0, "mount the root filesystem: the image has no layers");
	if (snprintf(layers, sizeof(layers), "%s/" IMGSTORE_DIR "/layers", root) >=
		    (int)sizeof(layers) ||
	    snprintf(upper, sizeof(upper), "%s/" IMGMOUNT_UPPER, ctrdir) >= (int)sizeof(upper) ||
	    snprintf(work, sizeof(work), "%s/" IMGMOUNT_WORK, ctrdir) >= (int)sizeof(work) ||
	    snprintf(target, sizeof(target), "%s/" IMGMOUNT_ROOTFS, ctrdir) >= (int)sizeof(target))
		return kerr_set(err, 0, "paths under `%s`", ctrdir);
	/* The root's mode is upper's: explicit, whatever the shim's umask. */
	if ((mkdir(upper, 0755) < 0 && errno != EEXIST) || chmod(upper, 0755) < 0 ||
	    (mkdir(work, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(target, 0755) < 0 && errno != EEXIST) || chmod(target, 0755) < 0)
		return kerr_set(err, errno, "create the overlay's directories in `%s`", ctrdir);
	if (imgmount_is_mounted(target))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!imgref_is_digest(chains[i]))
			return kerr_set(err, 0, "layer `%.80s` is not a chain id", chains[i]);
	o = (size_t)snprintf(opts, OPTS_MAX + 1, "lowerdir=");
	for (size_t i = n; i-- > 0 && o < OPTS_MAX;)
		o += (size_t)snprintf(opts + o, OPTS_MAX + 1 - o, "%s%s/" IMGSTORE_DIFF,
				      i == n - 1 ? "" : ":", imgref_hex(chains[i]));
	if (o < OPTS_MAX)
		o += (size_t)snprintf(opts + o, OPTS_MAX + 1 - o, ",upperdir=%s,workdir=%s", upper,
				      work);
	if (o >= OPTS_MAX)
		return mount_fsconfig(layers, chains, n, upper, work, target, err);
	/* Relative lower directories: resolved against our working directory. */
	_cleanup_close_ int here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (here < 0 || chdir(layers) < 0)
		return kerr_set(err, errno, "enter `%s`", layers);
	int r = mount("overlay", target, "overlay", 0, opts);
	int saved = errno;
	if (fchdir(here) < 0 && chdir("/") < 0)
		return kerr_set(err, errno, "leave `%s`", layers);
	if (r < 0)
		return kerr_set(err, saved, "mount the overlay of %zu layers at `%s`", n, target);
	return 0;
}

int imgmount_workdir(const char *rootfs, const char *workdir, struct kerr *err)
{
	_cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char path[4096];

	if (root < 0)
		return kerr_set(err, errno, "open `%s`", rootfs);
	if (!str_copy(path, sizeof(path), workdir))
		return kerr_set(err, 0, "working directory `%.80s`", workdir);
	/* One component at a time, each resolved in the root (a symlink in the image stays
	   inside it), created 0755 and root's as docker creates it. */
	for (char *p = path;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *e = strchrnul(p, '/');
		char saved = *e;
		*e = '\0';
		int fd = copy_openat2(root, path, O_PATH | O_DIRECTORY,
				      RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
		if (fd < 0 && errno == ENOENT) {
			char *slash = strrchr(path, '/');
			int parent = -1;

			if (slash && slash != path) {
				*slash = '\0';
				parent = copy_openat2(root, path, O_PATH | O_DIRECTORY,
						      RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
				*slash = '/';
			} else {
				parent = fcntl(root, F_DUPFD_CLOEXEC, 0);
			}
			const char *leaf = slash ? slash + 1 : path;
			if (parent < 0 || (mkdirat(parent, leaf, 0755) < 0 && errno != EEXIST)) {
				fd_close(parent);
				return kerr_set(err, errno, "create the working directory `%s`",
						workdir);
			}
			_cleanup_close_ int made = openat(
				parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (made >= 0)
				(void)fchmod(made, 0755);
			fd_close(parent);
			fd = copy_openat2(root, path, O_PATH | O_DIRECTORY,
					  RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
		}
		if (fd < 0)
			return kerr_set(err, errno, "working directory `%s`", workdir);
		fd_close(fd);
		*e = saved;
		if (!saved)
			break;
		p = e + 1;
	}
	return 0;
}

int imgmount_vfs(const char *root, int ctrdirfd, char *const *chains, size_t n, struct kerr *err)
{
	char layers[4096];
	struct stat st;
	_cleanup_close_ int lfd = -1, dst = -1;
	_cleanup_free_ int *fds = calloc(n + 1, sizeof(*fds));
	int rc = 0;

	if (fstatat(ctrdirfd, IMGMOUNT_ROOTFS, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (!fds)
		return kerr_set(err, ENOMEM, "copy the image");
	if (snprintf(layers, sizeof(layers), "%s/" IMGSTORE_DIR "/layers", root) >=
	    (int)sizeof(layers))
		return kerr_set(err, 0, "layers under `%s`", root);
	lfd = open(layers, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lfd < 0)
		return kerr_set(err, errno, "open `%s`", layers);
	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	(void)imgstore_remove(ctrdirfd, IMGMOUNT_ROOTFS ".tmp", err);
	if (mkdirat(ctrdirfd, IMGMOUNT_ROOTFS ".tmp", 0755) < 0 ||
	    (dst = openat(ctrdirfd, IMGMOUNT_ROOTFS ".tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
		    0 ||
	    fchmod(dst, 0755) < 0)
		return kerr_set(err, errno, "create the root filesystem's copy");
	for (size_t i = 0; i < n && rc == 0; i++) {
		char diff[96];

		if (!imgref_is_digest(chains[i])) {
			rc = kerr_set(err, 0, "layer `%.80s` is not a chain id", chains[i]);
			break;
		}
		snprintf(diff, sizeof(diff), "%s/" IMGSTORE_DIFF, imgref_hex(chains[i]));
		fds[i] = openat(lfd, diff, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fds[i] < 0)
			rc = kerr_set(err, errno, "open layer %s", chains[i]);
	}
	if (rc == 0)
		rc = imgvfs_merge(fds, n, dst, err);
	for (size_t i = 0; i < n; i++)
		fd_close(fds[i]);
	if (rc == 0 && syncfs(dst) < 0)
		rc = kerr_set(err, errno, "sync the root filesystem's copy");
	if (rc == 0 && renameat(ctrdirfd, IMGMOUNT_ROOTFS ".tmp", ctrdirfd, IMGMOUNT_ROOTFS) < 0)
		rc = kerr_set(err, errno, "rename the root filesystem's copy into place");
	return rc;
}
