/*
 * daemon_seccomp: choosing and checking containers' seccomp profiles (role, layer 3;
 * bottom band of the daemon).
 *
 * A profile file is read once, at CREATE (or at startup for --seccomp-profile), parsed,
 * selected for the container's bounding set and built with libseccomp as runc would build
 * it; only then is anything created, and the daemon keeps the bytes it checked as the
 * container's own copy (daemon_files.c), so a later edit of the file changes no existing
 * container. Names libseccomp does not know are dropped: logged at debug for the built-in
 * profile (expected: it names syscalls newer than libseccomp), as a warning for a user's.
 * Files are opened non-blocking (a FIFO cannot hang the loop) and read up to
 * SECCOMP_PROFILE_MAX. Calls only mechanisms.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/log.h"
#include "base/str.h"
#include "daemon/daemon_seccomp.h"
#include "runtime/spec.h"
#include "seccomp/seccomp_lib.h"

#define SHOWN_PATH  256 /* bytes of a user path quoted in a message */
#define DROPPED_LOG 900 /* bytes of dropped names in one log line */

static const char *shown(char out[SHOWN_PATH], const char *s)
{
	str_sanitize(out, SHOWN_PATH, s, strlen(s));
	return out;
}

/* The file at path (followed if a symlink: the user named it), owned into *text. */
static int read_profile(const char *path, char **text, size_t *len, struct kerr *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t got = 0;

	if (fd < 0)
		return kerr_set(err, errno, "open");
	if (fstat(fd, &st) < 0)
		return kerr_set(err, errno, "stat");
	if (!S_ISREG(st.st_mode))
		return kerr_set(err, 0, "is not a regular file, expected a JSON profile");
	if ((uint64_t)st.st_size > SECCOMP_PROFILE_MAX)
		return kerr_set(err, 0, "is %lld bytes, exceeds limit %u", (long long)st.st_size,
				SECCOMP_PROFILE_MAX);
	/* One byte more than allowed, to notice a file that grew since fstat. */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return kerr_set(err, ENOMEM, "read");
	if (fd_read_full(fd, buf, (size_t)st.st_size + 1, &got, err) < 0)
		return kerr_wrap(err, "read");
	if (got > (size_t)st.st_size)
		return kerr_set(err, 0, "changed while it was read, expected a stable file");
	*len = got;
	*text = take_ptr(&buf);
	return 0;
}

static void log_dropped(const struct record *rec, const struct seccomp_filter *f, bool warn)
{
	char names[DROPPED_LOG] = "", ver[32], q[SHOWN_PATH];
	size_t o = 0;

	if (f->ndropped == 0)
		return;
	for (size_t i = 0; i < f->ndropped && o + 2 < sizeof(names); i++)
		o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", i ? " " : "",
				      f->dropped[i]);
	seccomp_lib_version(ver, sizeof(ver));
	if (warn)
		log_warn("seccomp profile `%s`: %zu syscall names unknown to libseccomp %s, "
			 "dropped: %s",
			 shown(q, rec->seccomp), f->ndropped, ver, names);
	else
		log_debug("seccomp: %zu syscall names of the %s profile unknown to libseccomp %s, "
			  "dropped: %s",
			  f->ndropped, record_seccomp_effective(rec), ver, names);
}

/* Parses text, selects it for rec and builds it with libseccomp; logs what it drops. */
static int check(const struct record *rec, const char *text, size_t len, struct kerr *err)
{
	struct seccomp_profile *p = NULL;
	struct seccomp_filter f;
	int rc;

	if (text) {
		p = seccomp_profile_parse(text, len, err);
		if (!p)
			return -1;
	}
	rc = spec_seccomp_filter(rec, p, &f, err);
	if (rc == 0 && f.profile)
		rc = seccomp_lib_check(&f, err);
	if (rc == 0)
		log_dropped(rec, &f, p != NULL);
	seccomp_filter_done(&f);
	seccomp_profile_free(p);
	return rc;
}

int daemon_seccomp_setup(struct daemon *d, const char *value, struct kerr *err)
{
	char q[SHOWN_PATH];
	struct record r;
	int rc;

	if (!value)
		value = RECORD_SECCOMP_BUILTIN;
	d->seccomp_default = strdup(value);
	if (!d->seccomp_default)
		return kerr_set(err, ENOMEM, "--seccomp-profile");
	record_init(&r);
	r.seccomp = d->seccomp_default;
	if (record_seccomp_is_path(&r) &&
	    read_profile(value, &d->seccomp_text, &d->seccomp_len, err) < 0) {
		r.seccomp = NULL;
		return kerr_wrap(err, "--seccomp-profile `%s`", shown(q, value));
	}
	/* Checked for docker's default capabilities: what a container without flags gets. */
	rc = check(&r, d->seccomp_text, d->seccomp_len, err);
	r.seccomp = NULL;
	record_done(&r);
	if (rc < 0)
		return kerr_wrap(err, "--seccomp-profile `%s`", shown(q, value));
	return 0;
}

void daemon_seccomp_free(struct daemon *d)
{
	free(d->seccomp_default);
	free(d->seccomp_text);
	d->seccomp_default = NULL;
	d->seccomp_text = NULL;
	d->seccomp_len = 0;
}

int daemon_seccomp_prepare(struct daemon *d, struct record *rec, char **text, size_t *len,
			   struct kerr *err)
{
	char q[SHOWN_PATH];
	bool from_daemon = !rec->seccomp;

	*text = NULL;
	*len = 0;
	/* A --bundle's config.json is used as it is (record_validate refuses the options). */
	if (!rec->rootfs)
		return 0;
	/* The daemon's default goes into the record, so inspect says what applies and a
	 * restarted daemon with another default changes no existing container. */
	if (from_daemon) {
		rec->seccomp =
			strdup(d->seccomp_default ? d->seccomp_default : RECORD_SECCOMP_BUILTIN);
		if (!rec->seccomp)
			return kerr_set(err, ENOMEM, "seccomp profile");
	}
	if (record_seccomp_is_path(rec)) {
		if (from_daemon) {
			*text = malloc(d->seccomp_len + 1);
			if (!*text)
				return kerr_set(err, ENOMEM, "seccomp profile");
			memcpy(*text, d->seccomp_text, d->seccomp_len);
			*len = d->seccomp_len;
		} else if (read_profile(rec->seccomp, text, len, err) < 0) {
			return kerr_wrap(err, "seccomp profile `%s`", shown(q, rec->seccomp));
		}
	}
	if (check(rec, *text, *len, err) < 0) {
		free(*text);
		*text = NULL;
		if (record_seccomp_is_path(rec))
			return kerr_wrap(err, "seccomp profile `%s`", shown(q, rec->seccomp));
		return -1;
	}
	return 0;
}
