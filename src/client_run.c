/*
 * client_run: `kettle run` and `kettle create` (layer 3, client role): docker's flags
 * turned into a container record request, sent as CREATE; then, for run, START and either
 * the id (-d) or the container's output relayed until it exits (client_session_attach).
 *
 * Invariants: every flag value is checked here, and the whole request with
 * record_validate, before anything is sent, so a bad value costs one line and exit 125
 * and leaves nothing behind. Host paths (--rootfs, --bundle, volume sources, ns:PATH,
 * --runtime) are made absolute against the client's cwd, because the daemon has its
 * own. User and group names are looked up in the container's own /etc/passwd and
 * /etc/group, opened with RESOLVE_IN_ROOT so a symlink in the rootfs cannot point the
 * lookup at the host's files.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "buf.h"
#include "client.h"
#include "fd.h"
#include "logfile.h"
#include "record.h"
#include "str.h"

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

struct run_args {
	bool run;	   /* `run` (else `create`) */
	bool help;	   /* --help was printed */
	bool detach;	   /* -d */
	const char *keys;  /* --detach-keys, or NULL for ctrl-p,ctrl-q */
	const char *user;  /* -u as given; resolved once the rootfs is known */
	bool no_health;	   /* --no-healthcheck */
	struct record rec; /* the create request being built; owned */
};

/* ---- small helpers ---- */

static int out_of_memory(void)
{
	fputs("kettle: out of memory\n", stderr);
	return CLIENT_EXIT_FAIL;
}

/* Appends owned (taking it, or freeing it on failure). */
static int strv_push(struct record_strv *v, char *owned)
{
	char **nv = owned ? realloc(v->v, (v->n + 1) * sizeof(*nv)) : NULL;

	if (!nv) {
		free(owned);
		return out_of_memory();
	}
	v->v = nv;
	v->v[v->n++] = owned;
	return 0;
}

/* a b c joined, malloc'd; NULL when out of memory. */
static char *concat3(const char *a, const char *b, const char *c)
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
		joined = concat3(cwd, "/", path);
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

static int abs_flag(const char *usage, const char *flag, const char *val, char **out)
{
	char *p = absolute_path(val);

	if (!p)
		return client_usage_error(usage, "%s `%s`: cannot make it absolute: %s", flag, val,
					  strerror(errno));
	free(*out);
	*out = p;
	return 0;
}

/* ---- environment ---- */

/* docker's -e: "K=V" as given; "K" alone takes K's value from our environment and is
 * dropped when we have none. */
static int add_env(const char *usage, struct record *r, const char *kv, const char *flag)
{
	const char *eq = strchr(kv, '=');

	if (eq == kv || kv[0] == '\0')
		return client_usage_error(usage,
					  "%s `%s` has an empty variable name, expected "
					  "KEY=VALUE or KEY",
					  flag, kv);
	if (eq)
		return strv_push(&r->env, strdup(kv));
	const char *val = getenv(kv);
	return val ? strv_push(&r->env, concat3(kv, "=", val)) : 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* docker's --env-file: one KEY=VALUE per line, leading blanks ignored, '#' starts a
 * comment line, blank lines skipped, a line without '=' is KEY taken from our
 * environment. The value is kept verbatim (no quotes are removed). */
static int add_env_file(const char *usage, struct record *r, const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *text = NULL;
	struct kerr err;
	size_t len = 0;

	if (fd < 0)
		return client_usage_error(usage, "--env-file `%s`: %s", path, strerror(errno));
	text = malloc(ENV_FILE_MAX + 1);
	if (!text)
		return client_usage_error(usage, "--env-file `%s`: out of memory", path);
	if (fd_read_full(fd, text, ENV_FILE_MAX + 1, &len, &err) < 0)
		return client_usage_error(usage, "--env-file `%s`: %s", path, err.msg);
	if (len > ENV_FILE_MAX)
		return client_usage_error(usage, "--env-file `%s` is larger than %u bytes", path,
					  ENV_FILE_MAX);
	text[len] = '\0';
	if (memchr(text, '\0', len))
		return client_usage_error(usage,
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
						usage,
						"--env-file `%s` line %u: variable `%.*s` "
						"contains whitespace, expected KEY=VALUE",
						path, lineno, (int)klen, line);
			if (add_env(usage, r, line, "--env-file line") != 0)
				return CLIENT_EXIT_FAIL;
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
static int resolve_user(const char *usage, struct run_args *a)
{
	struct record *r = &a->rec;
	char user[RECORD_STR_MAX + 1];
	struct kerr err;
	uint64_t v;

	if (!str_copy(user, sizeof(user), a->user))
		return client_usage_error(usage, "--user is longer than %d bytes", RECORD_STR_MAX);
	char *group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	if (user[0] == '\0' || (group && group[0] == '\0'))
		return client_usage_error(usage,
					  "invalid --user `%s`, expected UID[:GID] or "
					  "NAME[:GROUP]",
					  a->user);
	r->user_set = true;
	r->gid = 0;
	if (all_digits(user)) {
		if (str_to_u64(user, UINT32_MAX - 1, &v, &err) < 0)
			return client_usage_error(usage, "--user `%s`: %s", a->user, err.msg);
		r->uid = (uint32_t)v;
		if (!group && r->rootfs) {
			uint32_t uid;
			/* Only the group is wanted; a missing entry keeps gid 0, as docker. */
			if (lookup_id(r->rootfs, "/etc/passwd", user, true, &uid, &r->gid) < 0)
				r->gid = 0;
		}
	} else {
		if (!r->rootfs)
			return client_usage_error(usage,
						  "--user `%s`: names are resolved in the "
						  "rootfs, so with --bundle only a numeric "
						  "UID[:GID] is supported",
						  a->user);
		int f = lookup_id(r->rootfs, "/etc/passwd", user, false, &r->uid,
				  group ? NULL : &r->gid);
		if (f < 0)
			return client_usage_error(usage,
						  "--user `%s`: cannot read the rootfs's "
						  "/etc/passwd: %s",
						  a->user, strerror(errno));
		if (f == 0)
			return client_usage_error(usage,
						  "unable to find user `%s`: no matching "
						  "entries in the rootfs's /etc/passwd",
						  user);
	}
	if (!group)
		return 0;
	if (all_digits(group)) {
		if (str_to_u64(group, UINT32_MAX - 1, &v, &err) < 0)
			return client_usage_error(usage, "--user `%s`: %s", a->user, err.msg);
		r->gid = (uint32_t)v;
		return 0;
	}
	if (!r->rootfs)
		return client_usage_error(usage,
					  "--user `%s`: names are resolved in the rootfs, so "
					  "with --bundle only a numeric UID[:GID] is supported",
					  a->user);
	int f = lookup_id(r->rootfs, "/etc/group", group, false, &r->gid, NULL);
	if (f < 0)
		return client_usage_error(usage,
					  "--user `%s`: cannot read the rootfs's /etc/group: "
					  "%s",
					  a->user, strerror(errno));
	if (f == 0)
		return client_usage_error(usage,
					  "unable to find group `%s`: no matching entries in "
					  "the rootfs's /etc/group",
					  group);
	return 0;
}

/* ---- -v HOST:CTR[:ro|rw] ---- */

static int add_volume(const char *usage, struct record *r, const char *spec)
{
	char copy[RECORD_STR_MAX + 1];

	if (!str_copy(copy, sizeof(copy), spec))
		return client_usage_error(usage, "--volume is longer than %d bytes",
					  RECORD_STR_MAX);
	char *ctr = strchr(copy, ':');
	char *mode = ctr ? strchr(ctr + 1, ':') : NULL;
	if (!ctr || copy[0] == '\0' || ctr[1] == '\0' || (mode && strchr(mode + 1, ':')))
		return client_usage_error(usage,
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
			return client_usage_error(usage,
						  "invalid mode `%s` in --volume `%s`, "
						  "expected ro or rw",
						  mode, spec);
	}
	if (ctr[0] != '/')
		return client_usage_error(usage,
					  "invalid --volume `%s`: the container path `%s` "
					  "must be absolute",
					  spec, ctr);
	struct record_mount *m = realloc(r->mounts, (r->nmounts + 1) * sizeof(*m));
	if (!m)
		return out_of_memory();
	r->mounts = m;
	m = &r->mounts[r->nmounts];
	*m = (struct record_mount){ .readonly = ro };
	m->source = absolute_path(copy);
	if (!m->source)
		return client_usage_error(usage,
					  "--volume `%s`: cannot make the host path "
					  "absolute: %s",
					  spec, strerror(errno));
	r->nmounts++;
	m->destination = strdup(ctr);
	return m->destination ? 0 : out_of_memory();
}

/* ---- --runtime ---- */

/* A path is made absolute; a bare name is looked up in our PATH, as a shell would. */
static int set_runtime(const char *usage, struct record *r, const char *val)
{
	if (val[0] == '\0')
		return client_usage_error(usage, "--runtime is empty, expected a path or a name "
						 "in $PATH");
	if (strchr(val, '/'))
		return abs_flag(usage, "--runtime", val, &r->runtime);
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
			char *cand = concat3(dir, "/", val);
			if (!cand)
				return out_of_memory();
			if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
			    access(cand, X_OK) == 0) {
				free(r->runtime);
				r->runtime = absolute_path(cand);
				free(cand);
				if (!r->runtime)
					return client_usage_error(usage, "--runtime `%s`: %s", val,
								  strerror(errno));
				return 0;
			}
			free(cand);
		}
		d += n;
		d += strspn(d, ":");
	}
	return client_usage_error(usage,
				  "--runtime `%s`: not found in $PATH, expected a path "
				  "or a name in $PATH",
				  val);
}

/* ---- the option table ---- */

enum {
	OPT_RM = 256,
	OPT_NAME,
	OPT_ENV_FILE,
	OPT_TMPFS,
	OPT_NETWORK,
	OPT_CPUS,
	OPT_PIDS_LIMIT,
	OPT_READ_ONLY,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_PRIVILEGED,
	OPT_RUNTIME,
	OPT_ROOTFS,
	OPT_BUNDLE,
	OPT_HELP,
	OPT_RESTART,
	OPT_RESTART_DELAY,
	OPT_RESTART_MAX_DELAY,
	OPT_RESTART_RESET,
	OPT_DETACH_KEYS,
	OPT_LOG_MAX_SIZE,
	OPT_LOG_MAX_FILES,
	OPT_INIT,
	OPT_HEALTH_CMD,
	OPT_HEALTH_INTERVAL,
	OPT_HEALTH_TIMEOUT,
	OPT_HEALTH_RETRIES,
	OPT_HEALTH_START_PERIOD,
	OPT_HEALTH_ON_FAILURE,
	OPT_NO_HEALTHCHECK,
};

static const struct option run_opts[] = {
	{ "detach", no_argument, NULL, 'd' },
	{ "interactive", no_argument, NULL, 'i' },
	{ "tty", no_argument, NULL, 't' },
	{ "detach-keys", required_argument, NULL, OPT_DETACH_KEYS },
	{ "rm", no_argument, NULL, OPT_RM },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "env", required_argument, NULL, 'e' },
	{ "env-file", required_argument, NULL, OPT_ENV_FILE },
	{ "workdir", required_argument, NULL, 'w' },
	{ "user", required_argument, NULL, 'u' },
	{ "volume", required_argument, NULL, 'v' },
	{ "tmpfs", required_argument, NULL, OPT_TMPFS },
	{ "hostname", required_argument, NULL, 'h' },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "cap-add", required_argument, NULL, OPT_CAP_ADD },
	{ "cap-drop", required_argument, NULL, OPT_CAP_DROP },
	{ "privileged", no_argument, NULL, OPT_PRIVILEGED },
	{ "label", required_argument, NULL, 'l' },
	{ "runtime", required_argument, NULL, OPT_RUNTIME },
	{ "rootfs", required_argument, NULL, OPT_ROOTFS },
	{ "bundle", required_argument, NULL, OPT_BUNDLE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "restart", required_argument, NULL, OPT_RESTART },
	{ "restart-delay", required_argument, NULL, OPT_RESTART_DELAY },
	{ "restart-max-delay", required_argument, NULL, OPT_RESTART_MAX_DELAY },
	{ "restart-reset", required_argument, NULL, OPT_RESTART_RESET },
	{ "log-max-size", required_argument, NULL, OPT_LOG_MAX_SIZE },
	{ "log-max-files", required_argument, NULL, OPT_LOG_MAX_FILES },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "health-cmd", required_argument, NULL, OPT_HEALTH_CMD },
	{ "health-interval", required_argument, NULL, OPT_HEALTH_INTERVAL },
	{ "health-timeout", required_argument, NULL, OPT_HEALTH_TIMEOUT },
	{ "health-retries", required_argument, NULL, OPT_HEALTH_RETRIES },
	{ "health-start-period", required_argument, NULL, OPT_HEALTH_START_PERIOD },
	{ "health-on-failure", required_argument, NULL, OPT_HEALTH_ON_FAILURE },
	{ "no-healthcheck", no_argument, NULL, OPT_NO_HEALTHCHECK },
	{ NULL, 0, NULL, 0 },
};

/* --restart-delay and friends: a duration ("50ms", "10s", "5m"), at least 1 ms. */
static int restart_duration(const char *usage, const char *flag, const char *val, uint64_t *out)
{
	struct kerr err;

	if (str_parse_duration_ms(val, out, &err) < 0)
		return client_usage_error(usage, "%s: %s", flag, err.msg);
	if (*out == 0)
		return client_usage_error(usage, "%s `%s` is zero, expected 1ms to 24h", flag, val);
	if (*out > RESTART_DURATION_MAX)
		return client_usage_error(usage, "%s `%s` is longer than 24h", flag, val);
	return 0;
}

/* --health-interval and friends: a duration; 0 keeps docker's default. */
static int health_duration(const char *usage, const char *flag, const char *val, uint64_t *out)
{
	struct kerr err;

	if (str_parse_duration_ms(val, out, &err) < 0)
		return client_usage_error(usage, "%s: %s", flag, err.msg);
	if (*out > RECORD_HEALTH_DURATION_MAX)
		return client_usage_error(usage, "%s `%s` is longer than 24h", flag, val);
	return 0;
}

/* The --health-* options; 1 when c is none of them. */
static int health_option(const char *usage, struct run_args *a, int c, const char *val)
{
	struct record *r = &a->rec;
	struct kerr err;
	uint64_t n;

	switch (c) {
	case OPT_HEALTH_CMD:
		free(r->health_cmd);
		r->health_cmd = strdup(val);
		return r->health_cmd ? 0 : out_of_memory();
	case OPT_HEALTH_INTERVAL:
		return health_duration(usage, "--health-interval", val, &r->health_interval_ms);
	case OPT_HEALTH_TIMEOUT:
		return health_duration(usage, "--health-timeout", val, &r->health_timeout_ms);
	case OPT_HEALTH_START_PERIOD:
		return health_duration(usage, "--health-start-period", val,
				       &r->health_start_period_ms);
	case OPT_HEALTH_RETRIES:
		if (str_to_u64(val, RECORD_HEALTH_RETRIES_MAX, &n, &err) < 0)
			return client_usage_error(usage,
						  "--health-retries `%s` is out of range, expected "
						  "0..%u (0: the default, 3)",
						  val, RECORD_HEALTH_RETRIES_MAX);
		r->health_retries = (uint32_t)n;
		return 0;
	case OPT_HEALTH_ON_FAILURE:
		if (record_health_action_parse(val, &r->health_on_failure, &err) < 0)
			return client_usage_error(usage, "--health-on-failure: %s", err.msg);
		return 0;
	case OPT_NO_HEALTHCHECK:
		a->no_health = true;
		return 0;
	default:
		return 1;
	}
}

static int add_cap(const char *usage, struct record_strv *v, const char *flag, const char *val)
{
	char canon[64];
	struct kerr err;

	if (record_canonical_cap(val, canon, sizeof(canon), &err) < 0)
		return client_usage_error(usage, "%s: %s", flag, err.msg);
	return strv_push(v, strdup(canon));
}

static int set_network(const char *usage, struct record *r, const char *val)
{
	free(r->netns_path);
	r->netns_path = NULL;
	if (strcmp(val, "none") == 0) {
		r->network = RECORD_NET_NONE;
	} else if (strcmp(val, "host") == 0) {
		r->network = RECORD_NET_HOST;
	} else if (str_has_prefix(val, "ns:") && val[3] != '\0') {
		r->network = RECORD_NET_NS;
		return abs_flag(usage, "--network ns:", val + 3, &r->netns_path);
	} else {
		return client_usage_error(usage,
					  "invalid --network `%s`, expected none, host or "
					  "ns:PATH",
					  val);
	}
	return 0;
}

/* One option; returns 0 or the exit code after printing. */
static int run_option(const char *usage, struct run_args *a, int c, char *val, int argc,
		      char **argv)
{
	struct record *r = &a->rec;
	struct kerr err;
	uint64_t u;
	int64_t i;

	switch (c) {
	case 'd':
		if (!a->run)
			return client_usage_error(usage, "-d/--detach is for `kettle run`; `kettle "
							 "create` never starts the container");
		a->detach = true;
		return 0;
	case 'i':
		r->stdin_open = true;
		return 0;
	case 't':
		r->tty = true;
		return 0;
	case OPT_DETACH_KEYS:
		a->keys = val;
		return 0;
	case OPT_RM:
		r->auto_remove = true;
		return 0;
	case OPT_NAME:
		if (ids_check_name(val, &err) < 0)
			return client_usage_error(usage, "--name: %s", err.msg);
		str_copy(r->name, sizeof(r->name), val);
		return 0;
	case 'e':
		return add_env(usage, r, val, "--env");
	case OPT_ENV_FILE:
		return add_env_file(usage, r, val);
	case 'w':
		if (val[0] != '/')
			return client_usage_error(usage,
						  "--workdir `%s` is not an absolute path, "
						  "expected one starting with /",
						  val);
		free(r->workdir);
		r->workdir = strdup(val);
		return r->workdir ? 0 : out_of_memory();
	case 'u':
		a->user = val;
		return 0;
	case 'v':
		return add_volume(usage, r, val);
	case OPT_TMPFS:
		if (val[0] != '/' || strchr(val, ':'))
			return client_usage_error(usage,
						  "invalid --tmpfs `%s`, expected an absolute "
						  "container path (mount options are not "
						  "supported)",
						  val);
		return strv_push(&r->tmpfs, strdup(val));
	case 'h':
		free(r->hostname);
		r->hostname = strdup(val);
		return r->hostname ? 0 : out_of_memory();
	case OPT_NETWORK:
		return set_network(usage, r, val);
	case 'm':
		if (str_parse_size(val, &u, &err) < 0)
			return client_usage_error(usage, "--memory: %s", err.msg);
		r->memory_bytes = u;
		return 0;
	case OPT_CPUS: {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n < 1)
			n = 1;
		if (str_parse_milli(val, (uint64_t)n * 1000, &u, &err) < 0)
			return client_usage_error(usage, "--cpus: %s", err.msg);
		if (u == 0)
			return client_usage_error(usage,
						  "--cpus `%s` is zero, expected 0.001 to %ld "
						  "(the CPUs available)",
						  val, n);
		r->cpus_milli = u;
		return 0;
	}
	case OPT_PIDS_LIMIT:
		if (str_to_i64(val, -1, INT64_MAX, &i, &err) < 0)
			return client_usage_error(
				usage, "--pids-limit: %s (-1 and 0 mean unlimited)", err.msg);
		r->pids_limit = i;
		return 0;
	case OPT_READ_ONLY:
		r->read_only = true;
		return 0;
	case OPT_INIT:
		r->init = true;
		return 0;
	case OPT_CAP_ADD:
		return add_cap(usage, &r->cap_add, "--cap-add", val);
	case OPT_CAP_DROP:
		return add_cap(usage, &r->cap_drop, "--cap-drop", val);
	case OPT_PRIVILEGED:
		r->privileged = true;
		return 0;
	case 'l':
		if (val[0] == '\0' || val[0] == '=')
			return client_usage_error(usage, "invalid --label `%s`, expected KEY=VALUE",
						  val);
		return strv_push(&r->labels,
				 strchr(val, '=') ? strdup(val) : concat3(val, "=", ""));
	case OPT_RUNTIME:
		return set_runtime(usage, r, val);
	case OPT_ROOTFS:
		return abs_flag(usage, "--rootfs", val, &r->rootfs);
	case OPT_BUNDLE:
		return abs_flag(usage, "--bundle", val, &r->bundle);
	case OPT_HELP:
		fputs(usage, stdout);
		a->help = true;
		return 0;
	case OPT_RESTART:
		if (restart_parse(val, &r->restart, &err) < 0)
			return client_usage_error(usage, "--restart: %s", err.msg);
		return 0;
	case OPT_RESTART_DELAY:
		return restart_duration(usage, "--restart-delay", val, &r->restart_delay_ms);
	case OPT_RESTART_MAX_DELAY:
		return restart_duration(usage, "--restart-max-delay", val,
					&r->restart_max_delay_ms);
	case OPT_RESTART_RESET:
		return restart_duration(usage, "--restart-reset", val, &r->restart_reset_ms);
	case OPT_LOG_MAX_SIZE:
		if (str_parse_size(val, &r->log_max_size, &err) < 0)
			return client_usage_error(usage, "--log-max-size: %s", err.msg);
		if (r->log_max_size < LOGFILE_MIN_SIZE || r->log_max_size > LOGFILE_MAX_SIZE)
			return client_usage_error(usage,
						  "--log-max-size `%s` is out of range, expected "
						  "1k to 1t",
						  val);
		return 0;
	case OPT_LOG_MAX_FILES: {
		uint64_t n;

		if (str_to_u64(val, LOGFILE_MAX_FILES, &n, &err) < 0 || n == 0)
			return client_usage_error(usage,
						  "--log-max-files `%s` is out of range, expected "
						  "1..%u",
						  val, LOGFILE_MAX_FILES);
		r->log_max_files = (uint32_t)n;
		return 0;
	}
	default: {
		int rc = health_option(usage, a, c, val);

		return rc != 1 ? rc : client_option_error(usage, c, argc, argv);
	}
	}
}

static int parse_run_args(int argc, char **argv, const char *usage, struct run_args *a)
{
	struct kerr err;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:dite:w:u:v:h:m:l:", run_opts, NULL)) != -1) {
		int rc = run_option(usage, a, c, optarg, argc, argv);
		if (rc != 0 || a->help)
			return rc;
	}
	struct record *r = &a->rec;
	if (!r->rootfs && !r->bundle)
		return client_usage_error(usage, "one of --rootfs DIR or --bundle DIR is required");
	if (r->rootfs && r->bundle)
		return client_usage_error(usage, "--rootfs and --bundle cannot be used together");
	if (r->rootfs && optind >= argc)
		return client_usage_error(usage, "a command is required with --rootfs");
	for (int k = optind; k < argc; k++)
		if (strv_push(&r->args, strdup(argv[k])) != 0)
			return CLIENT_EXIT_FAIL;
	if (a->user && resolve_user(usage, a) != 0)
		return CLIENT_EXIT_FAIL;
	if (a->no_health &&
	    (r->health_cmd || r->health_interval_ms || r->health_timeout_ms ||
	     r->health_start_period_ms || r->health_retries || r->health_on_failure))
		return client_usage_error(usage, "--no-healthcheck conflicts with --health-* "
						 "options");
	if (a->keys) {
		uint8_t keys[CLIENT_DETACH_KEYS_MAX];
		size_t n;

		if (client_detach_keys_parse(a->keys, keys, &n, &err) < 0)
			return client_usage_error(usage, "--detach-keys: %s", err.msg);
	}
	if (a->run && !a->detach && r->tty && r->stdin_open && !isatty(STDIN_FILENO))
		return client_usage_error(usage,
					  "the input device is not a TTY: -t with -i needs a "
					  "terminal on stdin (use -i alone for pipes)");
	if (record_validate(r, true, &err) < 0)
		return client_usage_error(usage, "%s", err.msg);
	return 0;
}

/* CREATE; on success id and name are filled. Failures are printed; 126/127 pass on.
 * run: RUN 1, the container is started at once by one `runc run` and held until our START
 * (docs/PROTOCOL.md), which we send only once attached. */
static int send_create(struct client *cl, const struct record *r, bool run, char id[IDS_ID_LEN + 1],
		       char name[IDS_NAME_MAX + 1])
{
	struct wire_frame reply;
	struct wire_enc e;
	struct buf json;
	struct kerr err;

	buf_init(&json, RECORD_JSON_MAX);
	if (record_json_encode(r, &json, &err) < 0) {
		buf_done(&json);
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	uint32_t reqid = client_begin(cl, &cl->conn, &e, WIRE_T_CREATE);
	wire_enc_bytes(&e, WIRE_F_JSON, json.data, json.len);
	if (run)
		wire_enc_u32(&e, WIRE_F_RUN, 1);
	buf_done(&json);
	if (client_end(&e) != 0)
		return CLIENT_EXIT_FAIL;
	int rc = client_call(cl, reqid, &reply);
	if (rc != 0)
		return rc;
	if (wire_get_str(&reply, WIRE_F_ID, true, id, IDS_ID_LEN + 1, &err) < 0 ||
	    wire_get_str(&reply, WIRE_F_NAME, false, name, IDS_NAME_MAX + 1, &err) < 0) {
		kerr_wrap(&err, "reply to CREATE");
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	return 0;
}

static int start_detached(struct client *cl, const char *id)
{
	struct wire_frame reply;
	struct wire_enc e;
	uint32_t reqid = client_begin(cl, &cl->conn, &e, WIRE_T_START);

	wire_enc_str(&e, WIRE_F_REF, id);
	if (client_end(&e) != 0)
		return CLIENT_EXIT_FAIL;
	return client_call(cl, reqid, &reply);
}

/* run in the foreground: the session of client_attach.c relays its output (and with -i
 * our stdin, with -t through a terminal), forwards signals, and returns its exit code. */
static int run_session(struct client *cl, const struct run_args *a, const char *id)
{
	struct client_session o = {
		.id = id,
		.start = true,
		.want_stdin = a->rec.stdin_open,
	};
	struct kerr err;

	if (client_detach_keys_parse(a->keys ? a->keys : "ctrl-p,ctrl-q", o.detach, &o.ndetach,
				     &err) < 0) {
		kerr_wrap(&err, "--detach-keys");
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	fflush(stdout);
	return client_session_attach(cl, &o);
}

static int run_or_create(int argc, char **argv, const char *usage, bool run)
{
	struct run_args a = { .run = run };
	struct client cl;
	char id[IDS_ID_LEN + 1] = "", name[IDS_NAME_MAX + 1] = "";
	int rc;

	record_init(&a.rec);
	rc = parse_run_args(argc, argv, usage, &a);
	if (rc != 0 || a.help) {
		record_done(&a.rec);
		return rc;
	}
	rc = client_open(&cl);
	if (rc != 0) {
		record_done(&a.rec);
		return rc;
	}
	rc = send_create(&cl, &a.rec, run, id, name);
	if (rc == 0) {
		if (!run) {
			printf("%s\n", id);
		} else if (a.detach) {
			rc = start_detached(&cl, id);
			if (rc == 0)
				printf("%s\n", id);
		} else {
			rc = run_session(&cl, &a, id);
		}
	}
	record_done(&a.rec);
	client_close(&cl);
	return rc;
}

static const char run_usage[] =
	"Usage: kettle run [OPTIONS] (--rootfs DIR | --bundle DIR) [--] [COMMAND [ARG...]]\n"
	"\n"
	"Create and start a container. Without -d, its stdout and stderr are relayed as they\n"
	"arrive, SIGINT/SIGTERM/SIGHUP are forwarded to it, and kettle exits with its exit\n"
	"code; with -d the full id is printed.\n"
	"\n"
	"Options:\n"
	"  -d, --detach            Run in the background and print the container's id\n"
	"  -i, --interactive       Keep stdin open (and relay ours when in the foreground)\n"
	"  -t, --tty               Allocate a terminal; ours goes raw while attached\n"
	"      --detach-keys KEYS  Detach sequence with -t (default ctrl-p,ctrl-q)\n"
	"      --rm                Remove the container when it exits\n"
	"      --name NAME         Name the container (unique; generated when absent)\n"
	"  -e, --env KEY=VALUE     Set a variable (KEY alone: take it from this environment)\n"
	"      --env-file FILE     Read variables from FILE, one KEY=VALUE per line\n"
	"  -w, --workdir DIR       Working directory inside the container (absolute)\n"
	"  -u, --user UID[:GID]    User and group, numeric or names from the rootfs\n"
	"  -v, --volume HOST:CTR[:ro|rw]  Bind mount a host path\n"
	"      --tmpfs PATH        Mount a tmpfs at PATH\n"
	"  -h, --hostname NAME     Container host name\n"
	"      --network MODE      none (default), host or ns:PATH\n"
	"  -m, --memory SIZE       Memory limit (e.g. 64m, 1g)\n"
	"      --cpus N            CPU limit (e.g. 1.5)\n"
	"      --pids-limit N      Process limit (-1 or 0: unlimited)\n"
	"      --read-only         Mount the root filesystem read-only\n"
	"      --init              Run kettle's init as PID 1: it reaps zombies and forwards\n"
	"                          signals to the command (a read-only copy at /dev/init)\n"
	"      --cap-add CAP       Add a capability (or ALL)\n"
	"      --cap-drop CAP      Drop a capability (or ALL)\n"
	"      --privileged        All capabilities, no masked paths, all devices\n"
	"  -l, --label KEY=VALUE   Set a label\n"
	"      --runtime PATH      OCI runtime binary (default: the daemon's)\n"
	"      --rootfs DIR        Root filesystem; kettle writes the bundle's config.json\n"
	"      --bundle DIR        OCI bundle whose config.json is used as it is\n"
	"      --restart POLICY    no (default), on-failure[:MAX], always or unless-stopped\n"
	"                          (docker's meanings; the shim restarts it even while the\n"
	"                          daemon is down; stop, kill and rm end supervision)\n"
	"      --restart-delay D   Crash-loop backoff: the first restart is at once, the\n"
	"                          next after D (default 10s), doubling each time...\n"
	"      --restart-max-delay D  ...up to D (default 5m)...\n"
	"      --restart-reset D   ...until a run lasts D (default 10m): the kubelet's\n"
	"                          sequence, not docker's 100ms/1m/10s, so a container that\n"
	"                          crashes after 11s is not restarted every 100ms forever.\n"
	"                          Durations like 50ms, 10s, 5m; defaults set by the daemon\n"
	"      --log-max-size SIZE Rotate ctr.log at SIZE (default 10m, set by the daemon)\n"
	"      --log-max-files N   Log files kept, the current one included (default 3)\n"
	"      --health-cmd CMD    Health check, run in the container as `/bin/sh -c CMD` by\n"
	"                          the shim (so it goes on while the daemon is down); exit 0\n"
	"                          means healthy\n"
	"      --health-interval D Time between checks (default 30s)\n"
	"      --health-timeout D  A check running longer is killed and fails (default 30s)\n"
	"      --health-retries N  Failures in a row that make it unhealthy (default 3)\n"
	"      --health-start-period D  Failures in this time after a start do not count\n"
	"                          until a check passed (default 0s)\n"
	"      --health-on-failure ACTION  Once unhealthy: none (default), kill, restart\n"
	"                          (through the restart backoff, whatever the policy) or stop\n"
	"      --no-healthcheck    No health check (conflicts with --health-*)\n"
	"      --help              Print this help\n";

int client_run_main(int argc, char **argv)
{
	return run_or_create(argc, argv, run_usage, true);
}

static const char create_usage[] =
	"Usage: kettle create [OPTIONS] (--rootfs DIR | --bundle DIR) [--] [COMMAND [ARG...]]\n"
	"\n"
	"Create a container without starting it and print its full id. The options are\n"
	"those of `kettle run` except -d (see `kettle run --help`).\n";

int client_create_main(int argc, char **argv)
{
	return run_or_create(argc, argv, create_usage, false);
}
