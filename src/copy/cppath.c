/*
 * cppath: the path rules of `kettle cp` as pure functions (mechanism M1).
 *
 * Docker's table (docs.docker.com, "docker container cp") in code, with the argument
 * syntax of docker's splitCpArg plus one kettle rule: a `:` after a `/` is part of a
 * local path, since no container name holds a `/`. Everything works on lengths found with
 * strlen and writes through put(), which refuses what does not fit rather than truncate:
 * a truncated name would copy to the wrong place. No I/O, no allocation.
 */
#include "copy/cppath.h"

#include <string.h>

/* Copies n bytes of s into out as a string; fails (out = "") when it does not fit. */
static int put(char *out, size_t cap, const char *s, size_t n, const char *what, struct kerr *err)
{
	if (cap == 0)
		return kerr_set(err, 0, "%s: no room for a result", what);
	if (n >= cap) {
		out[0] = '\0';
		return kerr_set(err, 0, "%s `%.*s…` is %zu bytes, at most %zu are allowed", what,
				(int)(n < 64 ? n : 64), s, n, cap - 1);
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* Length of path without its trailing `/`s, keeping one when it is all slashes. */
static size_t trimmed_len(const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	return n;
}

int cppath_parse(const char *arg, struct cppath_arg *out, struct kerr *err)
{
	*out = (struct cppath_arg){ .arg = arg, .path = arg };
	if (!arg[0])
		return kerr_set(err, 0,
				"an empty argument names no path (`.` is the current directory)");
	if (strcmp(arg, "-") == 0) {
		out->stdio = true;
		return 0;
	}
	const char *colon = strchr(arg, ':');
	/* docker's splitCpArg: absolute, or a CONTAINER part starting with `.`, is local */
	if (arg[0] == '/' || arg[0] == '.' || !colon || memchr(arg, '/', (size_t)(colon - arg)))
		return 0;
	size_t n = (size_t)(colon - arg);
	if (n == 0)
		return kerr_set(err, 0,
				"`%.200s` has an empty container name (a local path with a `:` is "
				"written `./%.200s`)",
				arg, arg);
	if (n > CPPATH_REF_MAX)
		return kerr_set(err, 0,
				"container name in `%.64s…` is %zu bytes, at most %d are allowed",
				arg, n, CPPATH_REF_MAX);
	if (!colon[1])
		return kerr_set(err, 0,
				"`%.200s` has an empty path (the container's root is `%.200s/`)",
				arg, arg);
	memcpy(out->ref, arg, n);
	out->ref[n] = '\0';
	out->in_ctr = true;
	out->path = colon + 1;
	return 0;
}

int cppath_check_pair(const struct cppath_arg *src, const struct cppath_arg *dst, struct kerr *err)
{
	if (src->in_ctr && dst->in_ctr)
		return kerr_set(err, 0, "copying between containers is not supported");
	if (!src->in_ctr && !dst->in_ctr)
		return kerr_set(err, 0,
				"one of SRC and DST must be CONTAINER:PATH (got `%s` and `%s`)",
				src->arg, dst->arg);
	return 0;
}

int cppath_base(const char *path, char *out, size_t cap, struct kerr *err)
{
	size_t n = trimmed_len(path);

	if (n == 0)
		return put(out, cap, ".", 1, "base name", err);
	if (n == 1 && path[0] == '/')
		return put(out, cap, "/", 1, "base name", err);
	size_t b = n;
	while (b > 0 && path[b - 1] != '/')
		b--;
	return put(out, cap, path + b, n - b, "name", err);
}

int cppath_dir(const char *path, char *out, size_t cap, struct kerr *err)
{
	size_t n = trimmed_len(path);

	while (n > 0 && path[n - 1] != '/')
		n--;
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return put(out, cap, ".", 1, "directory", err);
	return put(out, cap, path, n, "directory", err);
}

int cppath_entry_name(const char *path, char *out, size_t cap, struct kerr *err)
{
	if (cppath_base(path, out, cap, err) < 0)
		return -1;
	if (strcmp(out, "/") == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		out[0] = '\0';
	return 0;
}

bool cppath_is_contents(const char *path)
{
	size_t n = trimmed_len(path);

	return path[0] && path[n - 1] == '.' && (n == 1 || path[n - 2] == '/');
}

bool cppath_asserts_dir(const char *path)
{
	size_t n = strlen(path);

	return (n > 0 && path[n - 1] == '/') || cppath_is_contents(path);
}

int cppath_src_name(const struct cppath_arg *src, bool src_dir, char out[NAME_MAX + 1],
		    struct kerr *err)
{
	if (cppath_entry_name(src->path, out, NAME_MAX + 1, err) < 0)
		return kerr_wrap(err, "source `%s`", src->arg);
	if (!out[0] && !src_dir)
		return kerr_set(err, 0, "source `%s` is not a directory", src->arg);
	return 0;
}

int cppath_plan(const struct cppath_arg *src, bool src_dir, enum cppath_dst dst_state,
		const struct cppath_arg *dst, struct cppath_plan *out, struct kerr *err)
{
	*out = (struct cppath_plan){ .into_dst = false };
	if (cppath_src_name(src, src_dir, out->name, err) < 0)
		return -1;
	switch (dst_state) {
	case CPPATH_DST_DIR:
		/* into the directory under SRC's name ("": SRC's contents) */
		out->into_dst = true;
		if (put(out->dir, sizeof(out->dir), dst->path, strlen(dst->path), "directory",
			err) < 0)
			return kerr_wrap(err, "destination `%s`", dst->arg);
		return 0;
	case CPPATH_DST_FILE:
		if (src_dir)
			return kerr_set(err, 0, "cannot copy directory `%s` onto file `%s`",
					src->arg, dst->arg);
		if (cppath_asserts_dir(dst->path))
			return kerr_set(err, 0,
					"destination `%s` must be a directory (it ends in `/` or "
					"`/.`) but is a file",
					dst->arg);
		break; /* the file is replaced */
	case CPPATH_DST_MISSING:
		if (cppath_asserts_dir(dst->path) && !src_dir)
			return kerr_set(err, 0, "destination directory `%s` does not exist",
					dst->arg);
		break; /* created, a directory for a directory */
	default:
		return kerr_set(err, 0, "destination `%s`: unknown state %d", dst->arg,
				(int)dst_state);
	}
	/* under DST's own name, in DST's parent */
	if (cppath_dir(dst->path, out->dir, sizeof(out->dir), err) < 0 ||
	    cppath_entry_name(dst->path, out->name, sizeof(out->name), err) < 0)
		return kerr_wrap(err, "destination `%s`", dst->arg);
	if (!out->name[0])
		return kerr_set(err, 0, "destination `%s` has no name to copy to", dst->arg);
	return 0;
}
