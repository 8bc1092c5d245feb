/*
 * imguser: user and group lookups in an image (mechanism, image folder).
 *
 * The layered read walks the path's prefixes in each layer from the top: a 0/0 character
 * device (a whiteout) ends the search with "absent", an opaque prefix directory means
 * nothing lower can be seen. passwd and group lines are split on ':' with no allocation;
 * ids must be decimal and below 2^32 - 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/str.h"
#include "copy/copy.h"
#include "image/imguser.h"

int imguser_read(const int *layers, size_t n, const char *path, char *out, size_t cap,
		 struct kerr *err)
{
	char prefix[4096];

	for (size_t i = n; i-- > 0;) {
		bool hidden_below = false, whiteout = false;
		struct stat st;

		for (const char *p = path;;) {
			const char *e = strchrnul(p, '/');
			if (!str_copyn(prefix, sizeof(prefix), path, (size_t)(e - path)))
				return kerr_set(err, 0, "image file `%s`", path);
			if (fstatat(layers[i], prefix, &st, AT_SYMLINK_NOFOLLOW) < 0)
				break;
			if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
				whiteout = true;
				break;
			}
			char opq[2];
			if (*e && S_ISDIR(st.st_mode)) {
				_cleanup_close_ int dfd =
					openat(layers[i], prefix,
					       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (dfd >= 0 &&
				    fgetxattr(dfd, "trusted.overlay.opaque", opq, 2) == 1 &&
				    opq[0] == 'y')
					hidden_below = true;
			}
			if (!*e)
				break;
			p = e + 1;
		}
		if (whiteout)
			return 0;
		int fd = copy_openat2(layers[i], path, O_RDONLY | O_NOCTTY,
				      RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
		if (fd >= 0) {
			_cleanup_close_ int f = fd;
			size_t len = 0;

			if (fstat(f, &st) < 0 || !S_ISREG(st.st_mode))
				return 0;
			if (fd_read_full(f, out, cap - 1, &len, err) < 0)
				return kerr_wrap(err, "read the image's /%s", path);
			if (len == cap - 1)
				return kerr_set(err, 0, "the image's /%s is larger than %zu bytes",
						path, cap - 1);
			out[len] = '\0';
			return 1;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			return copy_open_fail(path, err);
		if (hidden_below)
			return 0;
	}
	return 0;
}

static bool all_digits(const char *s)
{
	return *s && s[strspn(s, "0123456789")] == '\0';
}

static int to_id(const char *s, uint32_t *out)
{
	struct kerr err;
	uint64_t v;

	if (!all_digits(s) || str_to_u64(s, UINT32_MAX - 1, &v, &err) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/*
 * Looks key up in a passwd- or group-style text ("name:x:id:gid:…"), by name or, with
 * by_id, by the id field. 1 with *id (and *gid from field 4 when gid), 0 when absent.
 */
static int lookup(char *text, const char *key, bool by_id, uint32_t *id, uint32_t *gid)
{
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		char *f[4] = { 0 };
		int nf = 0;

		if (nl)
			*nl = '\0';
		for (char *p = line; p && nf < 4; nf++) {
			f[nf] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		if (nf >= 3 && strcmp(by_id ? f[2] : f[0], key) == 0 && to_id(f[2], id) == 0) {
			if (gid && (nf < 4 || to_id(f[3], gid) < 0))
				*gid = 0;
			return 1;
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

int imguser_resolve(const int *layers, size_t n, const char *spec, uint32_t *uid, uint32_t *gid,
		    struct kerr *err)
{
	char user[256];
	_cleanup_free_ char *text = malloc(IMGUSER_FILE_MAX + 1);
	int f;

	*uid = *gid = 0;
	if (!text)
		return kerr_set(err, ENOMEM, "look the user up");
	if (!str_copy(user, sizeof(user), spec))
		return kerr_set(err, 0, "user `%.64s…` is too long", spec);
	char *group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	if (!user[0] || (group && !group[0]))
		return kerr_set(err, 0, "invalid user `%s`, expected NAME|UID[:GROUP|GID]", spec);
	f = imguser_read(layers, n, "etc/passwd", text, IMGUSER_FILE_MAX + 1, err);
	if (f < 0)
		return -1;
	if (all_digits(user)) {
		uint32_t listed;

		if (to_id(user, uid) < 0)
			return kerr_set(err, 0, "user id `%s` is out of range", user);
		if (f == 1 && lookup(text, user, true, &listed, gid) == 0)
			*gid = 0;
	} else if (f == 0 || lookup(text, user, false, uid, gid) == 0) {
		return kerr_set(err, 0,
				"unable to find user %s: no matching entries in passwd file", user);
	}
	if (!group)
		return 0;
	if (all_digits(group))
		return to_id(group, gid) < 0
			       ? kerr_set(err, 0, "group id `%s` is out of range", group)
			       : 0;
	f = imguser_read(layers, n, "etc/group", text, IMGUSER_FILE_MAX + 1, err);
	if (f < 0)
		return -1;
	if (f == 0 || lookup(text, group, false, gid, NULL) == 0)
		return kerr_set(err, 0,
				"unable to find group %s: no matching entries in group file",
				group);
	return 0;
}
