/*
 * cdi: the CDI spec directories and the devices they define (mechanism, src/cdi).
 *
 * Loading opens each directory once, lists it (name order, so two files of one directory
 * are always met in the same order), and opens every spec file relative to it: following
 * a symlink (distributions link specs), never blocking on a FIFO (O_NONBLOCK), reading at
 * most CDI_SPEC_MAX + 1 bytes. Ownership is judged on the opened file (fstat), so a rename
 * between the check and the read changes nothing. Lookups scan the loaded files; the caps
 * (directories, files, devices) bound every scan. Never logs, never writes.
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
#include "base/str.h"
#include "cdi/cdi.h"

#define DEVICES_TOTAL_MAX 4096 /* devices of all loaded specs together */
#define NAMED_FILES_MAX	  3    /* spec files a "not found" message lists */

void cdi_done(struct cdi_registry *reg)
{
	for (size_t i = 0; reg->files && i < reg->nfiles; i++) {
		free(reg->files[i].path);
		free(reg->files[i].kind);
		free(reg->files[i].error);
		cdi_spec_done(&reg->files[i].spec);
	}
	free(reg->files);
	*reg = (struct cdi_registry){ 0 };
}

/* Appends an entry taking path (NULL: out of memory) and spec, copying kind and error. */
static int add(struct cdi_registry *reg, size_t dir, char *path, const char *kind,
	       const char *error, struct cdi_spec *spec, struct kerr *err)
{
	char *k = kind ? strdup(kind) : NULL;
	char *e = error ? strdup(error) : NULL;
	struct cdi_file *v = NULL;

	if (path && (!kind || k) && (!error || e))
		v = realloc(reg->files, (reg->nfiles + 1) * sizeof(*v));
	if (!v) {
		free(path);
		free(k);
		free(e);
		if (spec)
			cdi_spec_done(spec);
		return kerr_set(err, ENOMEM, "load CDI specs");
	}
	reg->files = v;
	v[reg->nfiles++] = (struct cdi_file){
		.path = path,
		.dir = dir,
		.kind = k,
		.error = e,
		.spec = spec ? *spec : (struct cdi_spec){ 0 },
	};
	return 0;
}

/* NULL for ENOMEM, which add() then reports. */
static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (!p)
		return NULL;
	memcpy(p, dir, a);
	/* "/etc/cdi/" + "x.json" stays "/etc/cdi/x.json". */
	if (a == 0 || dir[a - 1] != '/')
		p[a++] = '/';
	memcpy(p + a, name, b + 1);
	return p;
}

/* Anyone but root (or the daemon's own user) able to write it: its hooks would run as root. */
static int check_owner(const struct stat *st, bool is_dir, struct kerr *err)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me)
		return kerr_set(err, 0,
				"%s owned by uid %u, expected root: its hooks would run as root",
				is_dir ? "its directory is" : "the file is", (unsigned)st->st_uid);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return kerr_set(err, 0,
				"%s writable by its group or others (mode %04o), expected by its "
				"owner alone: its hooks would run as root",
				is_dir ? "its directory is" : "the file is",
				(unsigned)(st->st_mode & 07777));
	return 0;
}

/* Reads name (in dfd) into a fresh buffer: regular, at most CDI_SPEC_MAX bytes. *owner is
 * set when the read succeeded but the file fails check_owner (its message in owner_err). */
static int read_spec(int dfd, const char *name, char **text, size_t *len, bool *bad_owner,
		     struct kerr *owner_err, struct kerr *err)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t got;

	if (fd < 0)
		return kerr_set(err, errno, "open");
	if (fstat(fd, &st) < 0)
		return kerr_set(err, errno, "fstat");
	if (!S_ISREG(st.st_mode))
		return kerr_set(err, 0, "is not a regular file");
	if ((uint64_t)st.st_size > CDI_SPEC_MAX)
		return kerr_set(err, 0, "is %lld bytes, exceeds limit %u", (long long)st.st_size,
				CDI_SPEC_MAX);
	*bad_owner = check_owner(&st, false, owner_err) < 0;
	/* One byte more than the size, to notice a file that grew since fstat. */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return kerr_set(err, ENOMEM, "read");
	if (fd_read_full(fd, buf, (size_t)st.st_size + 1, &got, err) < 0)
		return kerr_wrap(err, "read");
	if (got > (size_t)st.st_size)
		return kerr_set(err, 0, "changed while it was read");
	*len = got;
	*text = take_ptr(&buf);
	return 0;
}

/* A spec's file name: *.json, *.yaml or *.yml, not hidden, printable ASCII only (names
 * end up in messages and in records). */
static bool is_spec_name(const char *n)
{
	for (const char *c = n; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			return false;
	return n[0] != '.' && (str_has_suffix(n, ".json") || str_has_suffix(n, ".yaml") ||
			       str_has_suffix(n, ".yml"));
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One file: decoded, or kept with its error (and its kind when it states one). */
static int load_file(struct cdi_registry *reg, size_t dir, int dfd, const char *name,
		     const char *dir_problem, size_t *devices, struct kerr *err)
{
	char *path = join(reg->dirs[dir], name);
	_cleanup_free_ char *text = NULL;
	char kind[RECORD_DEV_NAME_MAX + 1] = "";
	struct kerr why, owner;
	struct cdi_spec spec;
	bool bad_owner = false;
	size_t len = 0;
	int rc;

	if (!path)
		return add(reg, dir, NULL, NULL, NULL, NULL, err);
	rc = read_spec(dfd, name, &text, &len, &bad_owner, &owner, &why);
	if (rc == 0 && cdi_spec_decode(&spec, text, len, &why) == 0) {
		str_copy(kind, sizeof(kind), spec.kind);
		if (!bad_owner && !dir_problem && *devices + spec.ndevices <= DEVICES_TOTAL_MAX) {
			*devices += spec.ndevices;
			return add(reg, dir, path, kind, NULL, &spec, err);
		}
		cdi_spec_done(&spec);
		if (!bad_owner && !dir_problem)
			kerr_set(&why, 0,
				 "the specs define more than %d devices, ignoring this one",
				 DEVICES_TOTAL_MAX);
	} else if (rc == 0) {
		cdi_spec_kind_of(text, len, kind, sizeof(kind));
	}
	/* The directory's problem, then the file's owner, then what was wrong inside. */
	if (dir_problem)
		str_copy(why.msg, sizeof(why.msg), dir_problem);
	else if (bad_owner)
		why = owner;
	return add(reg, dir, path, kind[0] ? kind : NULL, why.msg, NULL, err);
}

static int load_dir(struct cdi_registry *reg, size_t dir, size_t *devices, struct kerr *err)
{
	const char *path = reg->dirs[dir];
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct kerr why, problem;
	bool bad_dir = false;
	char **names = NULL;
	size_t n = 0;
	struct stat st;
	DIR *dp;
	int rc = 0;

	if (fd < 0 && errno == ENOENT)
		return 0; /* an absent directory holds no spec */
	if (fd < 0 || fstat(fd, &st) < 0) {
		kerr_set(&why, errno, "open directory");
		fd_close(fd);
		return add(reg, dir, strdup(path), NULL, why.msg, NULL, err);
	}
	bad_dir = check_owner(&st, true, &problem) < 0;
	dp = fdopendir(fd);
	if (!dp) {
		kerr_set(&why, errno, "list directory");
		fd_close(fd);
		return add(reg, dir, strdup(path), NULL, why.msg, NULL, err);
	}
	for (struct dirent *de; (de = readdir(dp));) {
		char **v;

		if (!is_spec_name(de->d_name))
			continue;
		if (n == CDI_DIR_FILES_MAX) {
			kerr_set(&why, 0, "holds more than %d spec files, ignoring the rest",
				 CDI_DIR_FILES_MAX);
			rc = add(reg, dir, strdup(path), NULL, why.msg, NULL, err);
			break;
		}
		v = realloc(names, (n + 1) * sizeof(*v));
		if (!v || !(v[n] = strdup(de->d_name))) {
			names = v ? v : names;
			rc = kerr_set(err, ENOMEM, "list `%s`", path);
			break;
		}
		names = v;
		n++;
	}
	if (names)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = load_file(reg, dir, dirfd(dp), names[i], bad_dir ? problem.msg : NULL, devices,
			       err);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dp);
	return rc;
}

int cdi_load(struct cdi_registry *reg, const char *const *dirs, size_t ndirs, struct kerr *err)
{
	size_t devices = 0;

	*reg = (struct cdi_registry){ .dirs = dirs,
				      .ndirs = ndirs < CDI_DIRS_MAX ? ndirs : CDI_DIRS_MAX };
	for (size_t i = 0; i < reg->ndirs; i++)
		if (load_dir(reg, i, &devices, err) < 0) {
			cdi_done(reg);
			return -1;
		}
	return 0;
}

/* ---- lookups ---- */

static bool same_kind(const char *kind, const char *k, size_t klen)
{
	return kind && strlen(kind) == klen && memcmp(kind, k, klen) == 0;
}

/* The dirs, comma-separated, for a message. */
static void dirs_text(const struct cdi_registry *reg, char *out, size_t cap)
{
	size_t w = 0;

	out[0] = '\0';
	for (size_t i = 0; i < reg->ndirs && w < cap; i++)
		w += (size_t)snprintf(out + w, cap - w, "%s%s", i ? ", " : "", reg->dirs[i]);
}

/* One name: 1 found, 0 not found (nothing set), -1 error. */
static int pick(const struct cdi_registry *reg, const char *qname, size_t klen, const char *name,
		struct cdi_found *out, struct kerr *err)
{
	const struct cdi_file *best = NULL, *dup = NULL;
	const struct cdi_device *best_dev = NULL;

	for (size_t i = 0; i < reg->nfiles; i++) {
		const struct cdi_file *f = &reg->files[i];
		const struct cdi_device *d;

		if (f->error || !same_kind(f->kind, qname, klen) ||
		    !(d = cdi_spec_device(&f->spec, name)))
			continue;
		if (!best || f->dir > best->dir) {
			best = f;
			best_dev = d;
			dup = NULL;
		} else if (f->dir == best->dir && !dup) {
			dup = f;
		}
	}
	/* A broken file of this kind might define it, at the winner's priority or above. */
	for (size_t i = 0; i < reg->nfiles; i++) {
		const struct cdi_file *f = &reg->files[i];

		if (f->error && same_kind(f->kind, qname, klen) && (!best || f->dir >= best->dir))
			return kerr_set(err, 0, "CDI device `%s`: spec file `%s`: %s", qname,
					f->path, f->error);
	}
	if (dup)
		return kerr_set(err, 0,
				"CDI device `%s` is defined twice in `%s`: by `%s` and `%s`", qname,
				reg->dirs[best->dir], best->path, dup->path);
	if (!best)
		return 0;
	out->file = best;
	out->device = best_dev;
	return 1;
}

static int not_found(const struct cdi_registry *reg, const char *qname, size_t klen,
		     struct kerr *err)
{
	char files[1024] = "", dirs[512];
	size_t named = 0, w = 0;

	for (size_t i = 0; i < reg->nfiles && named < NAMED_FILES_MAX; i++) {
		const struct cdi_file *f = &reg->files[i];

		if (!f->error && same_kind(f->kind, qname, klen) && w < sizeof(files)) {
			w += (size_t)snprintf(files + w, sizeof(files) - w, "%s`%s`",
					      named++ ? ", " : "", f->path);
		}
	}
	if (named)
		return kerr_set(err, 0,
				"CDI device `%s` not found: the specs of kind `%.*s` (%s) "
				"define no device `%s`",
				qname, (int)klen, qname, files, qname + klen + 1);
	dirs_text(reg, dirs, sizeof(dirs));
	for (size_t i = 0; i < reg->nfiles; i++) {
		const struct cdi_file *f = &reg->files[i];

		/* A file whose kind cannot be told might be the one. */
		if (f->error && !f->kind)
			return kerr_set(err, 0,
					"CDI device `%s` not found: no spec of kind `%.*s` in %s; "
					"`%s` could not be read: %s",
					qname, (int)klen, qname, dirs[0] ? dirs : "(no directory)",
					f->path, f->error);
	}
	return kerr_set(err, 0, "CDI device `%s` not found: no spec of kind `%.*s` in %s", qname,
			(int)klen, qname, dirs[0] ? dirs : "(no directory)");
}

bool cdi_is_winner(const struct cdi_registry *reg, const struct cdi_file *f,
		   const struct cdi_device *dev)
{
	char q[RECORD_DEV_NAME_MAX * 2 + 2];
	struct cdi_found got;
	struct kerr err;

	if (f->error || !f->kind)
		return false;
	snprintf(q, sizeof(q), "%s=%s", f->kind, dev->name);
	return pick(reg, q, strlen(f->kind), dev->name, &got, &err) == 1 && got.file == f &&
	       got.device == dev;
}

int cdi_find(const struct cdi_registry *reg, const char *qname, struct cdi_found *out, size_t cap,
	     size_t *n, struct kerr *err)
{
	size_t klen;
	int rc;

	*n = 0;
	if (record_dev_check_cdi_name(qname, &klen, err) < 0)
		return -1;
	const char *name = qname + klen + 1;
	rc = pick(reg, qname, klen, name, cap ? out : &(struct cdi_found){ 0 }, err);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		*n = 1;
		return 0;
	}
	if (strcmp(name, "all") != 0)
		return not_found(reg, qname, klen, err);
	/* "all" that no spec defines: every device of the kind, each as pick() chooses it. */
	for (size_t i = 0; i < reg->nfiles; i++) {
		const struct cdi_file *f = &reg->files[i];

		if (f->error || !same_kind(f->kind, qname, klen))
			continue;
		for (size_t j = 0; j < f->spec.ndevices; j++) {
			const struct cdi_device *d = &f->spec.devices[j];
			char q[RECORD_DEV_NAME_MAX * 2 + 2];
			struct cdi_found got = { 0 };

			snprintf(q, sizeof(q), "%.*s=%s", (int)klen, qname, d->name);
			if (pick(reg, q, klen, d->name, &got, err) < 0)
				return -1;
			if (got.file != f || got.device != d)
				continue;
			if (*n == cap)
				return kerr_set(err, 0, "CDI device `%s`: more than %zu devices",
						qname, cap);
			out[(*n)++] = got;
		}
	}
	return *n ? 0 : not_found(reg, qname, klen, err);
}
