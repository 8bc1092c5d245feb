/*
 * client_runflags: the values of `kettle run` and `kettle create` flags turned into
 * fields of the container record (layer 3, client role): -e/--env-file, -u, -v,
 * --runtime, --network, --cap-*, the restart and health durations, and the small
 * helpers that build the record's lists and paths. Each function checks its value and,
 * on a bad one, prints the usage error itself and returns the exit code (125).
 *
 * Invariants: host paths (--rootfs, --bundle, volume sources, ns:PATH, --runtime) are
 * made absolute against the client's cwd, because the daemon has its own. User and group
 * names are looked up in the container's own /etc/passwd and /etc/group, opened with
 * RESOLVE_IN_ROOT so a symlink in the rootfs cannot point the lookup at the host's files.
 * Files read here have a size cap (ENV_FILE_MAX, ID_FILE_MAX).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "client/client.h"
#include "base/fd.h"
#include "store/record.h"
#include "base/str.h"

#define ENV_FILE_MAX	     (1024u * 1024u) /* an --env-file, whole (bytes) */
#define ID_FILE_MAX	     (1024u * 1024u) /* a rootfs's /etc/passwd or /etc/group (bytes) */
#define RESOLVE_IN_ROOT_FLAG 0x10	     /* RESOLVE_IN_ROOT of openat2(2) */
#define DEFAULT_PATH	     "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The kernel's struct open_how (openat2(2)); musl has no wrapper. */
struct open_how_abi {
	uint64_t flags;	  /* O_* for the final open */
	uint64_t mode;	  /* creation mode; 0 unless O_CREAT */
	uint64_t resolve; /* RESOLVE_* */
};

/* ---- small helpers ---- */

int client_runflags_out_of_memory(void)
{
	fputs("kettle: out of memory\n", stderr);
	return CLIENT_EXIT_FAIL;
}

/* Appends owned (taking it, or freeing it on failure). */
int client_runflags_strv_push(struct record_strv *v, char *owned)
{
	char **nv = owned ? realloc(v->v, (v->n + 1) * sizeof(*nv)) : NULL;

	if (!nv) {
		free(owned);
		return client_runflags_out_of_memory();
	}
	v->v = nv;
	v->v[v->n++] = owned;
	return 0;
}

/* a b c joined, malloc'd; NULL when out of memory. */
char *client_runflags_concat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *p = malloc(la + lb + lc + 1);

	if (!p)
		return NULL;
	memcpy(p, a, la);
	memcpy(p + la, b, lb);
	memcpy(p + la + lb, c, lc + 1);
	return p;
}

/*
 * A host path made absolute against our cwd and normalized lexically ("." and ".."
 * components, repeated slashes), without following symlinks: the daemon runs elsewhere
 * and record_validate refuses relative paths. NULL with errno when getcwd or malloc
 * fails.
 */
static char *absolute_path(const char *path)
{
	char cwd[PATH_MAX];
	char *joined;

	if (path[0] == '/') {
		joined = strdup(path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return NULL;
		joined = client_runflags_concat3(cwd, "/", path);
	}
	if (!joined)
		return NULL;
	/* In place: out never runs ahead of in. */
	size_t o = 0;
	for (const char *in = joined; *in;) {
		in += strspn(in, "/");
		size_t n = strcspn(in, "/");

		if (n == 0 || (n == 1 && in[0] == '.')) {
			in += n;
			continue;
		}
		if (n == 2 && in[0] == '.' && in[1] == '.') {
			while (o > 0 && joined[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			in += n;
			continue;
		}
		joined[o++] = '/';
		memmove(joined + o, in, n);
		o += n;
		in += n;
	}
	if (o == 0)
		joined[o++] = '/';
	joined[o] = '\0';
	return joined;
}

int client_runflags_abs_flag(const struct cli_cmd *cmd, const char *flag, const char *val,
			     char **out)
{
	char *p = absolute_path(val);

	if (!p)
		return client_usage_error(cmd, "%s `%s`: cannot make it absolute: %s", flag, val,
					  strerror(errno));
	free(*out);
	*out = p;
	return 0;
}

/* ---- environment ---- */

/* docker's -e: "K=V" as given; "K" alone takes K's value from our environment and is
 * dropped when we have none. */
int client_runflags_add_env(const struct cli_cmd *cmd, struct record *r, const char *kv,
			    const char *flag)
{
	const char *eq = strchr(kv, '=');

	if (eq == kv || kv[0] == '\0')
		return client_usage_error(cmd,
					  "%s `%s` has an empty variable name, expected "
					  "KEY=VALUE or KEY",
					  flag, kv);
	if (eq)
		return client_runflags_strv_push(&r->env, strdup(kv));
	const char *val = getenv(kv);
	return val ? client_runflags_strv_push(&r->env, client_runflags_concat3(kv, "=", val)) : 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* docker's --env-file: one KEY=VALUE per line, leading blanks ignored, '#' starts a
 * comment line, blank lines skipped, a line without '=' is KEY taken from our
 * environment. The value is kept verbatim (no quotes are removed). */
int client_runflags_add_env_file(const struct cli_cmd *cmd, struct record *r, const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *text = NULL;
	struct kerr err;
	size_t len = 0;

	if (fd < 0)
		return client_usage_error(cmd, "--env-file `%s`: %s", path, strerror(errno));
	text = malloc(ENV_FILE_MAX + 1);
	if (!text)
		return client_usage_error(cmd, "--env-file `%s`: out of memory", path);
	if (fd_read_full(fd, text, ENV_FILE_MAX + 1, &len, &err) < 0)
		return client_usage_error(cmd, "--env-file `%s`: %s", path, err.msg);
	if (len > ENV_FILE_MAX)
		return client_usage_error(cmd, "--env-file `%s` is larger than %u bytes", path,
					  ENV_FILE_MAX);
	text[len] = '\0';
	if (memchr(text, '\0', len))
		return client_usage_error(cmd,
					  "--env-file `%s` contains a NUL byte, expected "
					  "text lines KEY=VALUE",
					  path);
	unsigned lineno = 0;
	for (char *line = text; line < text + len;) {
		char *nl = strchr(line, '\n');
		char *next = nl ? nl + 1 : text + len;

		if (nl)
			*nl = '\0';
		lineno++;
		while (is_space(*line))
			line++;
		if (*line != '\0' && *line != '#') {
			size_t klen = strcspn(line, "=");

			for (size_t i = 0; i < klen; i++)
				if (is_space(line[i]))
					return client_usage_error(
						cmd,
						"--env-file `%s` line %u: variable `%.*s` "
						"contains whitespace, expected KEY=VALUE",
						path, lineno, (int)klen, line);
			int rc = client_runflags_add_env(cmd, r, line, "--env-file line");
			if (rc != 0)
				return rc;
		}
		line = next;
	}
	return 0;
}

/* ---- -u NAME|UID[:GROUP|GID] ---- */

static int open_in_root(const char *rootfs, const char *path, int *fd)
{
	_cleanup_close_ int dfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct open_how_abi how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
		.resolve = RESOLVE_IN_ROOT_FLAG,
	};

	if (dfd < 0)
		return -1;
	long r = syscall(SYS_openat2, dfd, path, &how, sizeof(how));
	if (r < 0)
		return -1;
	*fd = (int)r;
	return 0;
}

/*
 * Looks name (or, with by_id, the numeric id) up in a passwd- or group-style file in
 * the rootfs: "name:x:id:gid:…". Returns 1 with *id (and *gid for passwd when gid is
 * not NULL), 0 when not found (or no such file), -1 when the file cannot be read.
 */
static int lookup_id(const char *rootfs, const char *file, const char *name, bool by_id,
		     uint32_t *id, uint32_t *gid)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	struct kerr err;
	size_t len = 0;

	if (open_in_root(rootfs, file, &fd) < 0)
		return errno == ENOENT ? 0 : -1;
	text = malloc(ID_FILE_MAX + 1);
	if (!text || fd_read_full(fd, text, ID_FILE_MAX, &len, &err) < 0)
		return -1;
	text[len] = '\0';
	for (char *line = text; *line;) {
		char *nl = strchr(line, '\n');
		char *f[4] = { 0 };
		size_t nf = 0;

		if (nl)
			*nl = '\0';
		for (char *p = line; nf < 4; nf++) {
			f[nf] = p;
			p = strchr(p, ':');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (nf >= 2 && f[2]) {
			bool match = by_id ? strcmp(f[2], name) == 0 : strcmp(f[0], name) == 0;
			uint64_t v = 0, g = 0;

			if (match && str_to_u64(f[2], UINT32_MAX - 1, &v, &err) == 0) {
				if (gid &&
				    (!f[3] || str_to_u64(f[3], UINT32_MAX - 1, &g, &err) < 0))
					g = 0;
				*id = (uint32_t)v;
				if (gid)
					*gid = (uint32_t)g;
				return 1;
			}
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}

static bool all_digits(const char *s)
{
	return *s && s[strspn(s, "0123456789")] == '\0';
}

/* docker's rules: a numeric user is used as it is, with the primary group from the
 * container's /etc/passwd when listed there, else 0; a name must be listed. */
int client_runflags_resolve_user(const struct cli_cmd *cmd, struct record *r, const char *spec)
{
	char user[RECORD_STR_MAX + 1];
	struct kerr err;
	uint64_t v;

	if (!str_copy(user, sizeof(user), spec))
		return client_usage_error(cmd, "--user is longer than %d bytes", RECORD_STR_MAX);
	char *group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	if (user[0] == '\0' || (group && group[0] == '\0'))
		return client_usage_error(cmd,
					  "invalid --user `%s`, expected UID[:GID] or "
					  "NAME[:GROUP]",
					  spec);
	r->user_set = true;
	r->gid = 0;
	if (all_digits(user)) {
		if (str_to_u64(user, UINT32_MAX - 1, &v, &err) < 0)
			return client_usage_error(cmd, "--user `%s`: %s", spec, err.msg);
		r->uid = (uint32_t)v;
		if (!group && r->rootfs) {
			uint32_t uid;
			/* Only the group is wanted; a missing entry keeps gid 0, as docker. */
			if (lookup_id(r->rootfs, "/etc/passwd", user, true, &uid, &r->gid) < 0)
				r->gid = 0;
		}
	} else {
		if (!r->rootfs)
			return client_usage_error(cmd,
						  "--user `%s`: names are resolved in the "
						  "rootfs, so with --bundle only a numeric "
						  "UID[:GID] is supported",
						  spec);
		int f = lookup_id(r->rootfs, "/etc/passwd", user, false, &r->uid,
				  group ? NULL : &r->gid);
		if (f < 0)
			return client_usage_error(cmd,
						  "--user `%s`: cannot read the rootfs's "
						  "/etc/passwd: %s",
						  spec, strerror(errno));
		if (f == 0)
			return client_usage_error(cmd,
						  "unable to find user `%s`: no matching "
						  "entries in the rootfs's /etc/passwd",
						  user);
	}
	if (!group)
		return 0;
	if (all_digits(group)) {
		if (str_to_u64(group, UINT32_MAX - 1, &v, &err) < 0)
			return client_usage_error(cmd, "--user `%s`: %s", spec, err.msg);
		r->gid = (uint32_t)v;
		return 0;
	}
	if (!r->rootfs)
		return client_usage_error(cmd,
					  "--user `%s`: names are resolved in the rootfs, so "
					  "with --bundle only a numeric UID[:GID] is supported",
					  spec);
	int f = lookup_id(r->rootfs, "/etc/group", group, false, &r->gid, NULL);
	if (f < 0)
		return client_usage_error(cmd,
					  "--user `%s`: cannot read the rootfs's /etc/group: "
					  "%s",
					  spec, strerror(errno));
	if (f == 0)
		return client_usage_error(cmd,
					  "unable to find group `%s`: no matching entries in "
					  "the rootfs's /etc/group",
					  group);
	return 0;
}

/* ---- -v HOST:CTR[:ro|rw] ---- */

int client_runflags_add_volume(const struct cli_cmd *cmd, struct record *r, const char *spec)
{
	char copy[RECORD_STR_MAX + 1];

	if (!str_copy(copy, sizeof(copy), spec))
		return client_usage_error(cmd, "--volume is longer than %d bytes", RECORD_STR_MAX);
	char *ctr = strchr(copy, ':');
	char *mode = ctr ? strchr(ctr + 1, ':') : NULL;
	if (!ctr || copy[0] == '\0' || ctr[1] == '\0' || (mode && strchr(mode + 1, ':')))
		return client_usage_error(cmd,
					  "invalid --volume `%s`, expected "
					  "HOST:CTR[:ro|rw]",
					  spec);
	*ctr++ = '\0';
	bool ro = false;
	if (mode) {
		*mode++ = '\0';
		if (strcmp(mode, "ro") == 0)
			ro = true;
		else if (strcmp(mode, "rw") != 0)
			return client_usage_error(cmd,
						  "invalid mode `%s` in --volume `%s`, "
						  "expected ro or rw",
						  mode, spec);
	}
	if (ctr[0] != '/')
		return client_usage_error(cmd,
					  "invalid --volume `%s`: the container path `%s` "
					  "must be absolute",
					  spec, ctr);
	struct record_mount *m = realloc(r->mounts, (r->nmounts + 1) * sizeof(*m));
	if (!m)
		return client_runflags_out_of_memory();
	r->mounts = m;
	m = &r->mounts[r->nmounts];
	*m = (struct record_mount){ .readonly = ro };
	m->source = absolute_path(copy);
	if (!m->source)
		return client_usage_error(cmd,
					  "--volume `%s`: cannot make the host path "
					  "absolute: %s",
					  spec, strerror(errno));
	r->nmounts++;
	m->destination = strdup(ctr);
	return m->destination ? 0 : client_runflags_out_of_memory();
}

/* ---- --runtime ---- */

/* A path is made absolute; a bare name is looked up in our PATH, as a shell would. */
int client_runflags_set_runtime(const struct cli_cmd *cmd, struct record *r, const char *val)
{
	if (val[0] == '\0')
		return client_usage_error(cmd, "--runtime is empty, expected a path or a name "
					       "in $PATH");
	if (strchr(val, '/'))
		return client_runflags_abs_flag(cmd, "--runtime", val, &r->runtime);
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = DEFAULT_PATH;
	for (const char *d = path; *d;) {
		size_t n = strcspn(d, ":");
		char dir[PATH_MAX];
		struct stat st;

		if (n > 0 && n < sizeof(dir)) {
			memcpy(dir, d, n);
			dir[n] = '\0';
			char *cand = client_runflags_concat3(dir, "/", val);
			if (!cand)
				return client_runflags_out_of_memory();
			if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
			    access(cand, X_OK) == 0) {
				free(r->runtime);
				r->runtime = absolute_path(cand);
				free(cand);
				if (!r->runtime)
					return client_usage_error(cmd, "--runtime `%s`: %s", val,
								  strerror(errno));
				return 0;
			}
			free(cand);
		}
		d += n;
		d += strspn(d, ":");
	}
	return client_usage_error(cmd,
				  "--runtime `%s`: not found in $PATH, expected a path "
				  "or a name in $PATH",
				  val);
}

/* --restart-delay and friends: a duration ("50ms", "10s", "5m"), at least 1 ms. */
int client_runflags_restart_duration(const struct cli_cmd *cmd, const char *flag, const char *val,
				     uint64_t *out)
{
	struct kerr err;

	if (str_parse_duration_ms(val, out, &err) < 0)
		return client_usage_error(cmd, "%s: %s", flag, err.msg);
	if (*out == 0)
		return client_usage_error(cmd, "%s `%s` is zero, expected 1ms to 24h", flag, val);
	if (*out > RESTART_DURATION_MAX)
		return client_usage_error(cmd, "%s `%s` is longer than 24h", flag, val);
	return 0;
}

/* --health-interval and friends: a duration; 0 keeps docker's default. */
int client_runflags_health_duration(const struct cli_cmd *cmd, const char *flag, const char *val,
				    uint64_t *out)
{
	struct kerr err;

	if (str_parse_duration_ms(val, out, &err) < 0)
		return client_usage_error(cmd, "%s: %s", flag, err.msg);
	if (*out > RECORD_HEALTH_DURATION_MAX)
		return client_usage_error(cmd, "%s `%s` is longer than 24h", flag, val);
	return 0;
}

int client_runflags_add_cap(const struct cli_cmd *cmd, struct record_strv *v, const char *flag,
			    const char *val)
{
	char canon[64];
	struct kerr err;

	if (record_canonical_cap(val, canon, sizeof(canon), &err) < 0)
		return client_usage_error(cmd, "%s: %s", flag, err.msg);
	return client_runflags_strv_push(v, strdup(canon));
}

int client_runflags_set_network(const struct cli_cmd *cmd, struct record *r, const char *val)
{
	free(r->netns_path);
	free(r->net.container);
	r->netns_path = r->net.container = NULL;
	if (strcmp(val, "none") == 0) {
		r->network = RECORD_NET_NONE;
	} else if (strcmp(val, "host") == 0) {
		r->network = RECORD_NET_HOST;
	} else if (strcmp(val, "bridge") == 0 || strcmp(val, "default") == 0) {
		r->network = val[0] == 'b' ? RECORD_NET_BRIDGE : RECORD_NET_DEFAULT;
	} else if (str_has_prefix(val, "container:") && val[10] != '\0') {
		r->network = RECORD_NET_CONTAINER;
		r->net.container = strdup(val + 10);
		return r->net.container ? 0 : client_runflags_out_of_memory();
	} else if (str_has_prefix(val, "ns:") && val[3] != '\0') {
		r->network = RECORD_NET_NS;
		return client_runflags_abs_flag(cmd, "--network ns:", val + 3, &r->netns_path);
	} else {
		return client_usage_error(cmd,
					  "invalid --network `%s`, expected bridge, none, host, "
					  "container:NAME or ns:PATH",
					  val);
	}
	return 0;
}
