/*
 * record: the container record, what the user asked for (mechanism M3).
 *
 * Strict JSON in (every key known, every value of its one type, every list and string
 * capped before it is copied), full validation, and JSON out with every key present
 * (null where absent), so record_to_json(record_from_json(x)) is a fixed point: encoding
 * a parsed record and parsing it again gives the same record and the same bytes. The
 * format is documented in the lead's design notes and mirrored by record_to_json below.
 * Invariants: a failed parse leaves the record empty (record_init state); nothing here
 * logs, prints or touches the filesystem.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "json.h"
#include "json_w.h"
#include "logfile.h"
#include "record.h"
#include "str.h"

#define MIB	       (1024u * 1024u)
/* docker's floor for --memory: "Minimum memory limit allowed is 6MB". */
#define MEMORY_MIN     (6u * MIB)
/* docker's ceiling for --cpus is the host's CPU count; ours is a fixed sanity bound. */
#define CPUS_MILLI_MAX (1024u * 1000u)
/* sethostname(2) takes at most HOST_NAME_MAX (64) bytes. */
#define HOSTNAME_MAX   64
#define CAP_NAME_MAX   64 /* longest capability name we ever build, with "CAP_" */
#define SHOWN_MAX      64 /* bytes of a user string quoted in a message */
#define ELLIPSIS       "\xe2\x80\xa6"

/* In kernel order (linux/capability.h): CAP_CHOWN = 0 … CAP_CHECKPOINT_RESTORE = 40. */
const char *const record_all_caps[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
	NULL,
};

/* docker's default set (moby oci/caps/defaults.go), in its order. */
const char *const record_default_caps[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FSETID",
	"CAP_FOWNER",
	"CAP_MKNOD",
	"CAP_NET_RAW",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETFCAP",
	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT",
	"CAP_KILL",
	"CAP_AUDIT_WRITE",
	NULL,
};

/* Log-safe, length-bounded copy of a user string for a message (ends in "…" when cut). */
static const char *shown(char out[4 * SHOWN_MAX + 4], const char *s)
{
	size_t n = strlen(s);
	size_t w = str_sanitize(out, 4 * SHOWN_MAX + 1, s, n > SHOWN_MAX ? SHOWN_MAX : n);

	if (n > SHOWN_MAX)
		memcpy(out + w, ELLIPSIS, sizeof(ELLIPSIS));
	return out;
}

void record_init(struct record *r)
{
	*r = (struct record){ .network = RECORD_NET_NONE };
}

static void strv_free(struct record_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	*v = (struct record_strv){ 0 };
}

void record_done(struct record *r)
{
	free(r->rootfs);
	free(r->bundle);
	strv_free(&r->args);
	strv_free(&r->env);
	free(r->workdir);
	for (size_t i = 0; i < r->nmounts; i++) {
		free(r->mounts[i].source);
		free(r->mounts[i].destination);
	}
	free(r->mounts);
	strv_free(&r->tmpfs);
	free(r->hostname);
	free(r->netns_path);
	strv_free(&r->cap_add);
	strv_free(&r->cap_drop);
	strv_free(&r->labels);
	free(r->runtime);
	free(r->health_cmd);
	record_init(r);
}

/* ---- capabilities ---- */

/* The entry of record_all_caps named in (any case, "CAP_" optional), or NULL. */
static const char *find_cap(const char *in)
{
	char name[CAP_NAME_MAX + 1] = "CAP_";
	const char *p = in;
	size_t n;

	if (strncasecmp(p, "cap_", 4) == 0)
		p += 4;
	n = strlen(p);
	if (n == 0 || n > CAP_NAME_MAX - 4)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		name[4 + i] = c;
	}
	name[4 + n] = '\0';
	for (size_t i = 0; record_all_caps[i]; i++)
		if (strcmp(record_all_caps[i], name) == 0)
			return record_all_caps[i];
	return NULL;
}

int record_canonical_cap(const char *in, char *out, size_t cap, struct kerr *err)
{
	char q[4 * SHOWN_MAX + 4];
	const char *canon = strcasecmp(in, "all") == 0 ? "ALL" : find_cap(in);

	if (!canon)
		return kerr_set(err, 0,
				"unknown capability `%s`, expected a Linux capability such as "
				"NET_ADMIN or CAP_NET_ADMIN, or ALL",
				shown(q, in));
	if (!str_copy(out, cap, canon))
		return kerr_set(err, 0, "capability `%s` does not fit a buffer of %zu bytes", canon,
				cap);
	return 0;
}

/* ---- validation ---- */

/* A path on the host: absolute. */
static int check_host_path(const char *what, const char *path, struct kerr *err)
{
	char q[4 * SHOWN_MAX + 4];

	if (path[0] != '/')
		return kerr_set(err, 0,
				"%s `%s` is not an absolute path, expected one starting with /",
				what, shown(q, path));
	if (strlen(path) > RECORD_STR_MAX)
		return kerr_set(err, 0, "%s of %zu bytes exceeds limit %u", what, strlen(path),
				RECORD_STR_MAX);
	return 0;
}

/* A path inside the container: absolute, and no ".." component that could climb out. */
static int check_ctr_path(const char *what, const char *path, struct kerr *err)
{
	char q[4 * SHOWN_MAX + 4];

	if (check_host_path(what, path, err) < 0)
		return -1;
	for (const char *c = path; *c;) {
		size_t len = strcspn(c, "/");

		if (len == 2 && c[0] == '.' && c[1] == '.')
			return kerr_set(err, 0,
					"%s `%s` has a `..` component, expected a path without one",
					what, shown(q, path));
		c += len;
		c += strspn(c, "/");
	}
	return 0;
}

/* A mount point: a container path other than the root itself. */
static int check_mount_point(const char *what, const char *path, struct kerr *err)
{
	char q[4 * SHOWN_MAX + 4];

	if (check_ctr_path(what, path, err) < 0)
		return -1;
	if (path[strspn(path, "/")] == '\0')
		return kerr_set(err, 0, "%s `%s` is the container's root, expected a path below /",
				what, shown(q, path));
	return 0;
}

/* Compares two absolute paths ignoring repeated and trailing slashes. */
static bool same_path(const char *a, const char *b)
{
	for (;;) {
		a += strspn(a, "/");
		b += strspn(b, "/");
		size_t la = strcspn(a, "/"), lb = strcspn(b, "/");

		if (la != lb || memcmp(a, b, la) != 0)
			return false;
		if (la == 0)
			return true;
		a += la;
		b += lb;
	}
}

static int check_list(const char *what, const struct record_strv *v, struct kerr *err)
{
	if (v->n > RECORD_LIST_MAX)
		return kerr_set(err, 0, "%s has %zu entries, exceeds limit %d", what, v->n,
				RECORD_LIST_MAX);
	for (size_t i = 0; i < v->n; i++)
		if (strlen(v->v[i]) > RECORD_STR_MAX)
			return kerr_set(err, 0, "%s entry %zu of %zu bytes exceeds limit %u", what,
					i, strlen(v->v[i]), RECORD_STR_MAX);
	return 0;
}

/* "KEY=VALUE" with a non-empty key (the key ends at the first '='). */
static int check_key_values(const char *what, const struct record_strv *v, struct kerr *err)
{
	char q[4 * SHOWN_MAX + 4];

	if (check_list(what, v, err) < 0)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		const char *eq = strchr(v->v[i], '=');

		if (!eq)
			return kerr_set(err, 0, "%s entry `%s` has no `=`, expected KEY=VALUE",
					what, shown(q, v->v[i]));
		if (eq == v->v[i])
			return kerr_set(err, 0,
					"%s entry `%s` has an empty key, expected KEY=VALUE", what,
					shown(q, v->v[i]));
	}
	return 0;
}

static int check_caps(const char *what, const struct record_strv *v, struct kerr *err)
{
	char canon[CAP_NAME_MAX + 1];
	char q[4 * SHOWN_MAX + 4];

	if (check_list(what, v, err) < 0)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		if (record_canonical_cap(v->v[i], canon, sizeof(canon), err) < 0)
			return kerr_wrap(err, "%s", what);
		if (strcmp(canon, v->v[i]) != 0)
			return kerr_set(
				err, 0,
				"%s: capability `%s` is not in canonical form, expected `%s`", what,
				shown(q, v->v[i]), canon);
	}
	return 0;
}

static int check_hostname(const char *h, struct kerr *err)
{
	char q[4 * SHOWN_MAX + 4];
	size_t n = strlen(h);

	if (n == 0 || n > HOSTNAME_MAX)
		return kerr_set(err, 0, "hostname `%s` is %zu bytes long, expected 1 to %d",
				shown(q, h), n, HOSTNAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-'))
			return kerr_set(err, 0,
					"invalid hostname `%s`, only [a-zA-Z0-9.-] is allowed",
					shown(q, h));
	}
	return 0;
}

static int check_mounts(const struct record *r, struct kerr *err)
{
	char q[4 * SHOWN_MAX + 4];
	size_t total = r->nmounts + r->tmpfs.n;

	if (r->nmounts > RECORD_LIST_MAX)
		return kerr_set(err, 0, "--volume given %zu times, exceeds limit %d", r->nmounts,
				RECORD_LIST_MAX);
	if (check_list("--tmpfs", &r->tmpfs, err) < 0)
		return -1;
	for (size_t i = 0; i < r->nmounts; i++) {
		const struct record_mount *m = &r->mounts[i];

		if (!m->source || !m->destination)
			return kerr_set(err, 0, "--volume entry %zu lacks a source or destination",
					i);
		if (check_host_path("--volume source", m->source, err) < 0 ||
		    check_mount_point("--volume destination", m->destination, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->tmpfs.n; i++)
		if (check_mount_point("--tmpfs", r->tmpfs.v[i], err) < 0)
			return -1;
	/* Like docker's "Duplicate mount point": two mounts on one place hide each other. */
	for (size_t i = 0; i < total; i++) {
		const char *a =
			i < r->nmounts ? r->mounts[i].destination : r->tmpfs.v[i - r->nmounts];

		for (size_t j = i + 1; j < total; j++) {
			const char *b = j < r->nmounts ? r->mounts[j].destination
						       : r->tmpfs.v[j - r->nmounts];

			if (same_path(a, b))
				return kerr_set(err, 0,
						"duplicate mount point `%s`, expected each "
						"container path once",
						shown(q, a));
		}
	}
	return 0;
}

static int check_identity(const struct record *r, bool request, struct kerr *err)
{
	char q[4 * SHOWN_MAX + 4];

	if (!request && r->id[0] == '\0')
		return kerr_set(err, 0, "container record has no id");
	if (r->id[0] != '\0' && !ids_is_id(r->id))
		return kerr_set(err, 0, "container id `%s` is not 64 lowercase hex characters",
				shown(q, r->id));
	if (!request || r->name[0] != '\0') {
		if (ids_check_name(r->name, err) < 0)
			return -1;
	}
	if (!request && r->created_ns <= 0)
		return kerr_set(err, 0, "container record has no creation time after 1970");
	return 0;
}

/* Log rotation (logfile.h); 0 leaves either to the daemon's default. */
static int check_log(const struct record *r, struct kerr *err)
{
	if (r->log_max_size != 0 &&
	    (r->log_max_size < LOGFILE_MIN_SIZE || r->log_max_size > LOGFILE_MAX_SIZE))
		return kerr_set(err, 0,
				"--log-max-size of %llu bytes is out of range, expected %u..%llu",
				(unsigned long long)r->log_max_size, LOGFILE_MIN_SIZE,
				(unsigned long long)LOGFILE_MAX_SIZE);
	if (r->log_max_files > LOGFILE_MAX_FILES)
		return kerr_set(err, 0, "--log-max-files %u is out of range, expected 1..%u",
				r->log_max_files, LOGFILE_MAX_FILES);
	return 0;
}

/* Restart policy and backoff durations (restart.h). */
static int check_restart(const struct record *r, struct kerr *err)
{
	const struct {
		const char *flag;
		uint64_t v;
	} d[] = {
		{ "--restart-delay", r->restart_delay_ms },
		{ "--restart-max-delay", r->restart_max_delay_ms },
		{ "--restart-reset", r->restart_reset_ms },
	};

	if ((unsigned)r->restart.policy > RESTART_UNLESS_STOPPED)
		return kerr_set(err, 0, "restart policy %d is unknown", (int)r->restart.policy);
	if (r->restart.max_retries > RESTART_MAX_RETRIES)
		return kerr_set(err, 0, "restart policy on-failure:%u exceeds the limit of %u",
				r->restart.max_retries, RESTART_MAX_RETRIES);
	if (r->restart.policy != RESTART_ON_FAILURE && r->restart.max_retries)
		return kerr_set(err, 0, "a maximum retry count is only allowed with on-failure");
	if (r->auto_remove && r->restart.policy != RESTART_NO)
		return kerr_set(err, 0,
				"--restart and --rm cannot be used together (allowed: --rm with "
				"--restart no)");
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (d[i].v > RESTART_DURATION_MAX)
			return kerr_set(err, 0,
					"%s of %llu ms exceeds the limit of %llu ms (1 day)",
					d[i].flag, (unsigned long long)d[i].v,
					(unsigned long long)RESTART_DURATION_MAX);
	return 0;
}

/* ---- health checks ---- */

static const char *const health_actions[] = {
	[RECORD_HEALTH_NONE] = "none",
	[RECORD_HEALTH_KILL] = "kill",
	[RECORD_HEALTH_RESTART] = "restart",
	[RECORD_HEALTH_STOP] = "stop",
};

#define HEALTH_ACTIONS ((int)(sizeof(health_actions) / sizeof(health_actions[0])))

const char *record_health_action_name(enum record_health_action a)
{
	if ((int)a < 0 || (int)a >= HEALTH_ACTIONS)
		return "unknown";
	return health_actions[a];
}

int record_health_action_parse(const char *s, enum record_health_action *a, struct kerr *err)
{
	char q[4 * SHOWN_MAX + 4];

	for (int i = 0; i < HEALTH_ACTIONS; i++)
		if (strcmp(s, health_actions[i]) == 0) {
			*a = (enum record_health_action)i;
			return 0;
		}
	return kerr_set(err, 0, "unknown action `%s`, expected none, kill, restart or stop",
			shown(q, s));
}

/* docker's --health-* rules: the knobs need a command; durations 1 ms..1 day. */
static int check_health(const struct record *r, struct kerr *err)
{
	const struct {
		const char *flag;
		uint64_t v;
	} d[] = {
		{ "--health-interval", r->health_interval_ms },
		{ "--health-timeout", r->health_timeout_ms },
		{ "--health-start-period", r->health_start_period_ms },
	};

	if ((int)r->health_on_failure < 0 || (int)r->health_on_failure >= HEALTH_ACTIONS)
		return kerr_set(err, 0, "--health-on-failure action %d is unknown",
				(int)r->health_on_failure);
	if (r->health_retries > RECORD_HEALTH_RETRIES_MAX)
		return kerr_set(err, 0, "--health-retries %u exceeds the limit of %u",
				r->health_retries, RECORD_HEALTH_RETRIES_MAX);
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (d[i].v > RECORD_HEALTH_DURATION_MAX)
			return kerr_set(err, 0,
					"%s of %llu ms exceeds the limit of 1 day (%llu ms)",
					d[i].flag, (unsigned long long)d[i].v,
					(unsigned long long)RECORD_HEALTH_DURATION_MAX);
	if (!r->health_cmd) {
		if (r->health_interval_ms || r->health_timeout_ms || r->health_start_period_ms ||
		    r->health_retries || r->health_on_failure != RECORD_HEALTH_NONE)
			return kerr_set(err, 0,
					"--health-* options need --health-cmd (kettle has no image "
					"to take a check from)");
		return 0;
	}
	if (r->health_cmd[0] == '\0')
		return kerr_set(err, 0, "--health-cmd is empty, expected a shell command");
	if (r->auto_remove && r->health_on_failure == RECORD_HEALTH_RESTART)
		return kerr_set(err, 0,
				"--health-on-failure restart and --rm cannot be used together "
				"(allowed with --rm: none, kill, stop)");
	return 0;
}

int record_validate(const struct record *r, bool request, struct kerr *err)
{
	if (check_identity(r, request, err) < 0)
		return -1;
	if (!r->rootfs && !r->bundle)
		return kerr_set(err, 0, "one of --rootfs or --bundle is required");
	if (r->rootfs && r->bundle)
		return kerr_set(err, 0, "--rootfs and --bundle are mutually exclusive");
	if (r->rootfs && check_host_path("--rootfs", r->rootfs, err) < 0)
		return -1;
	if (r->bundle && check_host_path("--bundle", r->bundle, err) < 0)
		return -1;
	if (check_list("command", &r->args, err) < 0)
		return -1;
	if (r->rootfs && r->args.n == 0)
		return kerr_set(err, 0,
				"no command given: kettle run --rootfs DIR needs a command");
	if (r->init && !r->rootfs)
		return kerr_set(
			err, 0,
			"--init needs --rootfs (a --bundle's config.json is used as it is)");
	if (check_key_values("--env", &r->env, err) < 0)
		return -1;
	if (r->workdir && check_ctr_path("--workdir", r->workdir, err) < 0)
		return -1;
	if (r->user_set && (r->uid == UINT32_MAX || r->gid == UINT32_MAX))
		return kerr_set(err, 0, "--user %u:%u is out of range, expected ids 0..%u", r->uid,
				r->gid, UINT32_MAX - 1);
	if (check_mounts(r, err) < 0)
		return -1;
	if (r->hostname && check_hostname(r->hostname, err) < 0)
		return -1;
	switch (r->network) {
	case RECORD_NET_NONE:
	case RECORD_NET_HOST:
		if (r->netns_path)
			return kerr_set(err, 0,
					"--network has a namespace path but is not ns:PATH");
		break;
	case RECORD_NET_NS:
		if (!r->netns_path)
			return kerr_set(err, 0, "--network ns: needs a path, expected ns:PATH");
		if (check_host_path("--network ns: path", r->netns_path, err) < 0)
			return -1;
		break;
	default:
		return kerr_set(err, 0,
				"--network mode %d is unknown, expected none, host or ns:PATH",
				(int)r->network);
	}
	if (r->memory_bytes != 0 && r->memory_bytes < MEMORY_MIN)
		return kerr_set(
			err, 0,
			"--memory of %llu bytes is too small: minimum memory limit allowed is 6MB",
			(unsigned long long)r->memory_bytes);
	if (r->memory_bytes > INT64_MAX)
		return kerr_set(err, 0, "--memory of %llu bytes exceeds limit %lld",
				(unsigned long long)r->memory_bytes, (long long)INT64_MAX);
	if (r->cpus_milli > CPUS_MILLI_MAX)
		return kerr_set(err, 0, "--cpus %llu.%03llu exceeds limit %u",
				(unsigned long long)(r->cpus_milli / 1000),
				(unsigned long long)(r->cpus_milli % 1000), CPUS_MILLI_MAX / 1000);
	if (r->pids_limit < -1)
		return kerr_set(err, 0,
				"--pids-limit %lld is out of range, expected -1 or more (-1 and 0 "
				"mean unlimited)",
				(long long)r->pids_limit);
	if (check_caps("--cap-add", &r->cap_add, err) < 0 ||
	    check_caps("--cap-drop", &r->cap_drop, err) < 0)
		return -1;
	if (check_key_values("--label", &r->labels, err) < 0)
		return -1;
	if (r->runtime && check_host_path("--runtime", r->runtime, err) < 0)
		return -1;
	if (check_restart(r, err) < 0)
		return -1;
	if (check_log(r, err) < 0)
		return -1;
	if (check_health(r, err) < 0)
		return -1;
	return 0;
}

/* ---- JSON in ---- */

/* Everything a field parser needs. */
struct parse {
	const struct json_doc *doc; /* borrowed: the parsed document */
	struct record *r;	    /* borrowed: filled in place */
	struct kerr *err;	    /* where failures go */
};

static bool is_type(const struct parse *p, int i, enum json_type t)
{
	return p->doc->toks[i].type == t;
}

static int want(const struct parse *p, int i, enum json_type t, const char *key)
{
	if (is_type(p, i, t))
		return 0;
	return kerr_set(p->err, 0, "key `%s`: expected %s, found %s", key, json_type_name(t),
			json_type_name(p->doc->toks[i].type));
}

/* A fresh copy of the string token i (type already checked), at most RECORD_STR_MAX. */
static int dup_str(const struct parse *p, int i, const char *key, char **out)
{
	const struct json_tok *t = &p->doc->toks[i];
	/* Unescaping never lengthens a string, so the raw length bounds the copy. */
	size_t raw = (size_t)(t->end - t->start);
	char *s = malloc(raw + 1);
	size_t n;

	if (!s)
		return kerr_set(p->err, ENOMEM, "key `%s`", key);
	if (json_get_str(p->doc, i, s, raw + 1, p->err) < 0) {
		free(s);
		return kerr_wrap(p->err, "key `%s`", key);
	}
	n = strlen(s);
	if (n > RECORD_STR_MAX) {
		free(s);
		return kerr_set(p->err, 0, "key `%s`: string of %zu bytes exceeds limit %u", key, n,
				RECORD_STR_MAX);
	}
	*out = s;
	return 0;
}

/* A string or null (NULL). */
static int get_opt_str(const struct parse *p, int i, const char *key, char **out)
{
	if (is_type(p, i, JSON_NULL))
		return 0;
	if (want(p, i, JSON_STRING, key) < 0)
		return -1;
	return dup_str(p, i, key, out);
}

/* A string or null into a fixed buffer of cap bytes; too long fails through `toolong`. */
static int get_fixed(const struct parse *p, int i, const char *key, char *out, size_t cap,
		     int (*toolong)(const char *s, struct kerr *err))
{
	char *s = NULL;
	int rc = 0;

	if (get_opt_str(p, i, key, &s) < 0)
		return -1;
	if (!s) {
		out[0] = '\0';
		return 0;
	}
	if (!str_copy(out, cap, s)) {
		out[0] = '\0';
		rc = toolong(s, p->err);
	}
	free(s);
	return rc;
}

static int id_too_long(const char *s, struct kerr *err)
{
	char q[4 * SHOWN_MAX + 4];

	return kerr_set(
		err, 0,
		"key `id`: `%s` is not a container id, expected 64 lowercase hex characters",
		shown(q, s));
}

static int name_too_long(const char *s, struct kerr *err)
{
	if (ids_check_name(s, err) == 0)
		kerr_set(err, 0, "container name is longer than %d bytes", IDS_NAME_MAX);
	return kerr_wrap(err, "key `name`");
}

static int get_strv(const struct parse *p, int i, const char *key, struct record_strv *out)
{
	const struct json_tok *t;
	char ekey[64];
	int k;

	if (want(p, i, JSON_ARRAY, key) < 0)
		return -1;
	t = &p->doc->toks[i];
	if (t->size > RECORD_LIST_MAX)
		return kerr_set(p->err, 0, "key `%s`: %d entries exceed limit %d", key, t->size,
				RECORD_LIST_MAX);
	strv_free(out);
	out->v = calloc((size_t)t->size + 1, sizeof(*out->v));
	if (!out->v)
		return kerr_set(p->err, ENOMEM, "key `%s`", key);
	k = i + 1;
	for (int e = 0; e < t->size; e++) {
		snprintf(ekey, sizeof(ekey), "%s[%d]", key, e);
		if (want(p, k, JSON_STRING, ekey) < 0 || dup_str(p, k, ekey, &out->v[e]) < 0)
			return -1;
		out->n++;
		k = json_skip(p->doc, k);
	}
	return 0;
}

/* Fails on any key of object obj that is not in keys[] (NULL-terminated). */
static int only_keys(const struct parse *p, int obj, const char *const *keys, const char *where)
{
	int k = obj + 1;
	char q[4 * SHOWN_MAX + 4];
	char name[4 * SHOWN_MAX + 4];

	for (int m = 0; m < p->doc->toks[obj].size; m++) {
		bool known = false;

		for (size_t j = 0; keys[j] && !known; j++)
			known = json_str_eq(p->doc, k, keys[j]);
		if (!known) {
			const struct json_tok *t = &p->doc->toks[k];
			size_t n = (size_t)(t->end - t->start);

			/* The raw (escaped) key text is enough to name it. */
			str_copyn(name, sizeof(name), p->doc->text + t->start,
				  n < SHOWN_MAX ? n : SHOWN_MAX);
			return kerr_set(p->err, 0, "unknown key `%s` in %s", shown(q, name), where);
		}
		k = json_skip(p->doc, k + 1);
	}
	return 0;
}

static int get_u32(const struct parse *p, int i, const char *key, uint32_t *out)
{
	uint64_t v;

	if (want(p, i, JSON_NUMBER, key) < 0)
		return -1;
	if (json_get_u64(p->doc, i, &v, p->err) < 0)
		return kerr_wrap(p->err, "key `%s`", key);
	if (v >= UINT32_MAX)
		return kerr_set(p->err, 0, "key `%s`: %llu is out of range, expected 0..%u", key,
				(unsigned long long)v, UINT32_MAX - 1);
	*out = (uint32_t)v;
	return 0;
}

static int f_user(const struct parse *p, int i)
{
	static const char *const keys[] = { "uid", "gid", NULL };
	int v;

	if (is_type(p, i, JSON_NULL)) {
		p->r->user_set = false;
		return 0;
	}
	if (want(p, i, JSON_OBJECT, "user") < 0 || only_keys(p, i, keys, "`user`") < 0)
		return -1;
	v = json_obj_get(p->doc, i, "uid");
	if (v < 0)
		return kerr_set(p->err, 0, "key `user.uid` is missing");
	if (get_u32(p, v, "user.uid", &p->r->uid) < 0)
		return -1;
	v = json_obj_get(p->doc, i, "gid");
	if (v < 0)
		return kerr_set(p->err, 0, "key `user.gid` is missing");
	if (get_u32(p, v, "user.gid", &p->r->gid) < 0)
		return -1;
	p->r->user_set = true;
	return 0;
}

static int f_mounts(const struct parse *p, int i)
{
	static const char *const keys[] = { "source", "destination", "readonly", NULL };
	struct record *r = p->r;
	const struct json_tok *t;
	char ekey[64], where[64];
	int k, v;

	if (want(p, i, JSON_ARRAY, "mounts") < 0)
		return -1;
	t = &p->doc->toks[i];
	if (t->size > RECORD_LIST_MAX)
		return kerr_set(p->err, 0, "key `mounts`: %d entries exceed limit %d", t->size,
				RECORD_LIST_MAX);
	r->mounts = calloc((size_t)t->size + 1, sizeof(*r->mounts));
	if (!r->mounts)
		return kerr_set(p->err, ENOMEM, "key `mounts`");
	k = i + 1;
	for (int e = 0; e < t->size; e++) {
		struct record_mount *m = &r->mounts[e];

		snprintf(where, sizeof(where), "`mounts[%d]`", e);
		snprintf(ekey, sizeof(ekey), "mounts[%d]", e);
		if (want(p, k, JSON_OBJECT, ekey) < 0 || only_keys(p, k, keys, where) < 0)
			return -1;
		r->nmounts++;
		snprintf(ekey, sizeof(ekey), "mounts[%d].source", e);
		v = json_obj_get(p->doc, k, "source");
		if (v < 0)
			return kerr_set(p->err, 0, "key `%s` is missing", ekey);
		if (want(p, v, JSON_STRING, ekey) < 0 || dup_str(p, v, ekey, &m->source) < 0)
			return -1;
		snprintf(ekey, sizeof(ekey), "mounts[%d].destination", e);
		v = json_obj_get(p->doc, k, "destination");
		if (v < 0)
			return kerr_set(p->err, 0, "key `%s` is missing", ekey);
		if (want(p, v, JSON_STRING, ekey) < 0 || dup_str(p, v, ekey, &m->destination) < 0)
			return -1;
		snprintf(ekey, sizeof(ekey), "mounts[%d].readonly", e);
		v = json_obj_get(p->doc, k, "readonly");
		if (v >= 0 && (want(p, v, JSON_BOOL, ekey) < 0 ||
			       json_get_bool(p->doc, v, &m->readonly, p->err) < 0))
			return -1;
		k = json_skip(p->doc, k);
	}
	return 0;
}

static int f_network(const struct parse *p, int i)
{
	char q[4 * SHOWN_MAX + 4];
	char *s = NULL;

	if (want(p, i, JSON_STRING, "network") < 0 || dup_str(p, i, "network", &s) < 0)
		return -1;
	if (strcmp(s, "none") == 0) {
		p->r->network = RECORD_NET_NONE;
	} else if (strcmp(s, "host") == 0) {
		p->r->network = RECORD_NET_HOST;
	} else if (str_has_prefix(s, "ns:")) {
		p->r->network = RECORD_NET_NS;
		p->r->netns_path = strdup(s + 3);
		if (!p->r->netns_path) {
			free(s);
			return kerr_set(p->err, ENOMEM, "key `network`");
		}
	} else {
		kerr_set(p->err, 0,
			 "key `network`: unknown mode `%s`, expected none, host or ns:PATH",
			 shown(q, s));
		free(s);
		return -1;
	}
	free(s);
	return 0;
}

static int f_restart(const struct parse *p, int i)
{
	char text[RESTART_POLICY_LEN + 1];

	if (want(p, i, JSON_STRING, "restart") < 0)
		return -1;
	if (json_get_str(p->doc, i, text, sizeof(text), p->err) < 0 ||
	    restart_parse(text, &p->r->restart, p->err) < 0)
		return kerr_wrap(p->err, "key `restart`");
	return 0;
}

static int f_health_on_failure(const struct parse *p, int i)
{
	char text[16];

	if (want(p, i, JSON_STRING, "health_on_failure") < 0)
		return -1;
	if (json_get_str(p->doc, i, text, sizeof(text), p->err) < 0 ||
	    record_health_action_parse(text, &p->r->health_on_failure, p->err) < 0)
		return kerr_wrap(p->err, "key `health_on_failure`");
	return 0;
}

static int f_created(const struct parse *p, int i)
{
	char *s = NULL;
	int rc;

	if (get_opt_str(p, i, "created", &s) < 0)
		return -1;
	if (!s) {
		p->r->created_ns = 0;
		return 0;
	}
	rc = clock_parse_rfc3339(s, &p->r->created_ns, p->err);
	free(s);
	return rc < 0 ? kerr_wrap(p->err, "key `created`") : 0;
}

static int get_u64_key(const struct parse *p, int i, const char *key, uint64_t *out)
{
	if (want(p, i, JSON_NUMBER, key) < 0)
		return -1;
	if (json_get_u64(p->doc, i, out, p->err) < 0)
		return kerr_wrap(p->err, "key `%s`", key);
	return 0;
}

static int get_bool_key(const struct parse *p, int i, const char *key, bool *out)
{
	if (want(p, i, JSON_BOOL, key) < 0)
		return -1;
	return json_get_bool(p->doc, i, out, p->err);
}

/* Dispatches one top-level member; unknown keys fail. */
static int parse_member(const struct parse *p, int k, int v)
{
	struct record *r = p->r;
	char q[4 * SHOWN_MAX + 4];
	char name[4 * SHOWN_MAX + 4];
	const struct json_doc *d = p->doc;

	if (json_str_eq(d, k, "version"))
		return 0; /* checked before the walk */
	if (json_str_eq(d, k, "id"))
		return get_fixed(p, v, "id", r->id, sizeof(r->id), id_too_long);
	if (json_str_eq(d, k, "name"))
		return get_fixed(p, v, "name", r->name, sizeof(r->name), name_too_long);
	if (json_str_eq(d, k, "created"))
		return f_created(p, v);
	if (json_str_eq(d, k, "rootfs"))
		return get_opt_str(p, v, "rootfs", &r->rootfs);
	if (json_str_eq(d, k, "bundle"))
		return get_opt_str(p, v, "bundle", &r->bundle);
	if (json_str_eq(d, k, "args"))
		return get_strv(p, v, "args", &r->args);
	if (json_str_eq(d, k, "env"))
		return get_strv(p, v, "env", &r->env);
	if (json_str_eq(d, k, "workdir"))
		return get_opt_str(p, v, "workdir", &r->workdir);
	if (json_str_eq(d, k, "user"))
		return f_user(p, v);
	if (json_str_eq(d, k, "mounts"))
		return f_mounts(p, v);
	if (json_str_eq(d, k, "tmpfs"))
		return get_strv(p, v, "tmpfs", &r->tmpfs);
	if (json_str_eq(d, k, "hostname"))
		return get_opt_str(p, v, "hostname", &r->hostname);
	if (json_str_eq(d, k, "network"))
		return f_network(p, v);
	if (json_str_eq(d, k, "memory"))
		return get_u64_key(p, v, "memory", &r->memory_bytes);
	if (json_str_eq(d, k, "cpus"))
		return get_u64_key(p, v, "cpus", &r->cpus_milli);
	if (json_str_eq(d, k, "pids_limit")) {
		if (want(p, v, JSON_NUMBER, "pids_limit") < 0)
			return -1;
		if (json_get_i64(d, v, &r->pids_limit, p->err) < 0)
			return kerr_wrap(p->err, "key `pids_limit`");
		return 0;
	}
	if (json_str_eq(d, k, "read_only"))
		return get_bool_key(p, v, "read_only", &r->read_only);
	if (json_str_eq(d, k, "privileged"))
		return get_bool_key(p, v, "privileged", &r->privileged);
	if (json_str_eq(d, k, "auto_remove"))
		return get_bool_key(p, v, "auto_remove", &r->auto_remove);
	if (json_str_eq(d, k, "tty"))
		return get_bool_key(p, v, "tty", &r->tty);
	if (json_str_eq(d, k, "stdin_open"))
		return get_bool_key(p, v, "stdin_open", &r->stdin_open);
	if (json_str_eq(d, k, "init"))
		return get_bool_key(p, v, "init", &r->init);
	if (json_str_eq(d, k, "cap_add"))
		return get_strv(p, v, "cap_add", &r->cap_add);
	if (json_str_eq(d, k, "cap_drop"))
		return get_strv(p, v, "cap_drop", &r->cap_drop);
	if (json_str_eq(d, k, "labels"))
		return get_strv(p, v, "labels", &r->labels);
	if (json_str_eq(d, k, "runtime"))
		return get_opt_str(p, v, "runtime", &r->runtime);
	if (json_str_eq(d, k, "restart"))
		return f_restart(p, v);
	if (json_str_eq(d, k, "restart_delay_ms"))
		return get_u64_key(p, v, "restart_delay_ms", &r->restart_delay_ms);
	if (json_str_eq(d, k, "restart_max_delay_ms"))
		return get_u64_key(p, v, "restart_max_delay_ms", &r->restart_max_delay_ms);
	if (json_str_eq(d, k, "restart_reset_ms"))
		return get_u64_key(p, v, "restart_reset_ms", &r->restart_reset_ms);
	if (json_str_eq(d, k, "log_max_size"))
		return get_u64_key(p, v, "log_max_size", &r->log_max_size);
	if (json_str_eq(d, k, "log_max_files")) {
		uint64_t files;

		if (get_u64_key(p, v, "log_max_files", &files) < 0)
			return -1;
		if (files > LOGFILE_MAX_FILES)
			return kerr_set(p->err, 0, "key `log_max_files`: %llu exceeds %u",
					(unsigned long long)files, LOGFILE_MAX_FILES);
		r->log_max_files = (uint32_t)files;
		return 0;
	}

	if (json_str_eq(d, k, "health_cmd")) {
		free(r->health_cmd);
		r->health_cmd = NULL;
		return get_opt_str(p, v, "health_cmd", &r->health_cmd);
	}
	if (json_str_eq(d, k, "health_interval_ms"))
		return get_u64_key(p, v, "health_interval_ms", &r->health_interval_ms);
	if (json_str_eq(d, k, "health_timeout_ms"))
		return get_u64_key(p, v, "health_timeout_ms", &r->health_timeout_ms);
	if (json_str_eq(d, k, "health_start_period_ms"))
		return get_u64_key(p, v, "health_start_period_ms", &r->health_start_period_ms);
	if (json_str_eq(d, k, "health_retries"))
		return get_u32(p, v, "health_retries", &r->health_retries);
	if (json_str_eq(d, k, "health_on_failure"))
		return f_health_on_failure(p, v);

	size_t n = (size_t)(d->toks[k].end - d->toks[k].start);

	str_copyn(name, sizeof(name), d->text + d->toks[k].start, n < SHOWN_MAX ? n : SHOWN_MAX);
	return kerr_set(p->err, 0, "unknown key `%s` in container record", shown(q, name));
}

static int parse_doc(struct parse *p)
{
	const struct json_doc *d = p->doc;
	int64_t version;
	int v, k;

	if (d->toks[0].type != JSON_OBJECT)
		return kerr_set(p->err, 0, "container record: expected an object, found %s",
				json_type_name(d->toks[0].type));
	/* The version first: a newer format gets one clear message, not unknown-key noise. */
	v = json_obj_get(d, 0, "version");
	if (v < 0)
		return kerr_set(p->err, 0, "key `version` is missing, expected %d", RECORD_VERSION);
	if (want(p, v, JSON_NUMBER, "version") < 0)
		return -1;
	if (json_get_i64(d, v, &version, p->err) < 0)
		return kerr_wrap(p->err, "key `version`");
	if (version != RECORD_VERSION)
		return kerr_set(p->err, 0,
				"key `version`: unsupported record version %lld, expected %d",
				(long long)version, RECORD_VERSION);
	k = 1;
	for (int m = 0; m < d->toks[0].size; m++) {
		if (parse_member(p, k, k + 1) < 0)
			return -1;
		k = json_skip(d, k + 1);
	}
	return 0;
}

int record_from_json(struct record *r, const char *text, size_t len, bool request, struct kerr *err)
{
	struct json_doc doc;
	struct parse p = { .doc = &doc, .r = r, .err = err };
	size_t ntoks;
	struct json_tok *toks;
	int rc;

	record_init(r);
	if (len > RECORD_JSON_MAX)
		return kerr_set(err, 0, "container record of %zu bytes exceeds limit %u", len,
				RECORD_JSON_MAX);
	/* Every token but the first takes at least two bytes of text ("1," or "[]"). */
	ntoks = len / 2 + 2;
	if (ntoks > JSON_TOKENS_MAX)
		ntoks = JSON_TOKENS_MAX;
	toks = calloc(ntoks, sizeof(*toks));
	if (!toks)
		return kerr_set(err, ENOMEM, "container record: %zu json tokens", ntoks);
	rc = json_parse(&doc, text, len, toks, (int)ntoks, err);
	if (rc < 0)
		kerr_wrap(err, "container record");
	else
		rc = parse_doc(&p);
	if (rc == 0)
		rc = record_validate(r, request, err);
	free(toks);
	if (rc < 0)
		record_done(r);
	return rc;
}

/* ---- JSON out ---- */

static void w_opt_str(struct json_w *w, const char *key, const char *s)
{
	json_w_key(w, key);
	if (s)
		json_w_str(w, s);
	else
		json_w_null(w);
}

static void w_strv(struct json_w *w, const char *key, const struct record_strv *v)
{
	json_w_key(w, key);
	json_w_arr_begin(w);
	for (size_t i = 0; i < v->n; i++)
		json_w_str(w, v->v[i]);
	json_w_arr_end(w);
}

int record_to_json(const struct record *r, struct buf *out, struct kerr *err)
{
	char stamp[CLOCK_RFC3339NANO_LEN + 1];
	char policy[RESTART_POLICY_LEN];
	struct json_w w;

	json_w_init(&w, out);
	json_w_obj_begin(&w);
	json_w_key(&w, "version");
	json_w_i64(&w, RECORD_VERSION);
	w_opt_str(&w, "id", r->id[0] ? r->id : NULL);
	w_opt_str(&w, "name", r->name[0] ? r->name : NULL);
	json_w_key(&w, "created");
	if (r->created_ns != 0) {
		clock_format_rfc3339nano(r->created_ns, stamp);
		json_w_str(&w, stamp);
	} else {
		json_w_null(&w);
	}
	w_opt_str(&w, "rootfs", r->rootfs);
	w_opt_str(&w, "bundle", r->bundle);
	w_strv(&w, "args", &r->args);
	w_strv(&w, "env", &r->env);
	w_opt_str(&w, "workdir", r->workdir);
	json_w_key(&w, "user");
	if (r->user_set) {
		json_w_obj_begin(&w);
		json_w_key(&w, "uid");
		json_w_u64(&w, r->uid);
		json_w_key(&w, "gid");
		json_w_u64(&w, r->gid);
		json_w_obj_end(&w);
	} else {
		json_w_null(&w);
	}
	json_w_key(&w, "mounts");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < r->nmounts; i++) {
		json_w_obj_begin(&w);
		w_opt_str(&w, "source", r->mounts[i].source);
		w_opt_str(&w, "destination", r->mounts[i].destination);
		json_w_key(&w, "readonly");
		json_w_bool(&w, r->mounts[i].readonly);
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	w_strv(&w, "tmpfs", &r->tmpfs);
	w_opt_str(&w, "hostname", r->hostname);
	json_w_key(&w, "network");
	if (r->network == RECORD_NET_NS) {
		size_t n = r->netns_path ? strlen(r->netns_path) : 0;
		char *s = malloc(n + 4);

		if (!s)
			return kerr_set(err, ENOMEM, "container record: network");
		memcpy(s, "ns:", 3);
		if (n)
			memcpy(s + 3, r->netns_path, n);
		json_w_strn(&w, s, n + 3);
		free(s);
	} else {
		json_w_str(&w, r->network == RECORD_NET_HOST ? "host" : "none");
	}
	json_w_key(&w, "memory");
	json_w_u64(&w, r->memory_bytes);
	json_w_key(&w, "cpus");
	json_w_u64(&w, r->cpus_milli);
	json_w_key(&w, "pids_limit");
	json_w_i64(&w, r->pids_limit);
	json_w_key(&w, "read_only");
	json_w_bool(&w, r->read_only);
	json_w_key(&w, "privileged");
	json_w_bool(&w, r->privileged);
	json_w_key(&w, "auto_remove");
	json_w_bool(&w, r->auto_remove);
	json_w_key(&w, "tty");
	json_w_bool(&w, r->tty);
	json_w_key(&w, "stdin_open");
	json_w_bool(&w, r->stdin_open);
	json_w_key(&w, "init");
	json_w_bool(&w, r->init);
	w_strv(&w, "cap_add", &r->cap_add);
	w_strv(&w, "cap_drop", &r->cap_drop);
	w_strv(&w, "labels", &r->labels);
	w_opt_str(&w, "runtime", r->runtime);
	restart_format(&r->restart, policy, sizeof(policy));
	json_w_key(&w, "restart");
	json_w_str(&w, policy);
	json_w_key(&w, "restart_delay_ms");
	json_w_u64(&w, r->restart_delay_ms);
	json_w_key(&w, "restart_max_delay_ms");
	json_w_u64(&w, r->restart_max_delay_ms);
	json_w_key(&w, "restart_reset_ms");
	json_w_u64(&w, r->restart_reset_ms);
	json_w_key(&w, "log_max_size");
	json_w_u64(&w, r->log_max_size);
	json_w_key(&w, "log_max_files");
	json_w_u64(&w, r->log_max_files);
	w_opt_str(&w, "health_cmd", r->health_cmd);
	json_w_key(&w, "health_interval_ms");
	json_w_u64(&w, r->health_interval_ms);
	json_w_key(&w, "health_timeout_ms");
	json_w_u64(&w, r->health_timeout_ms);
	json_w_key(&w, "health_start_period_ms");
	json_w_u64(&w, r->health_start_period_ms);
	json_w_key(&w, "health_retries");
	json_w_u64(&w, r->health_retries);
	json_w_key(&w, "health_on_failure");
	json_w_str(&w, record_health_action_name(r->health_on_failure));
	json_w_obj_end(&w);
	if (json_w_end(&w, err) < 0)
		return kerr_wrap(err, "container record");
	return 0;
}

/* ---- ps's COMMAND column ---- */

/* Output cursor for record_command_line: writes while it fits, remembers that it cut. */
struct line {
	char *out;  /* borrowed: destination */
	size_t cap; /* bytes of out, NUL included */
	size_t len; /* bytes written */
	bool cut;   /* something did not fit */
};

/* Appends one unit (a character or an escape) whole, or marks the line cut. */
static void line_put(struct line *l, const char *s, size_t n)
{
	if (l->cut || n > l->cap - 1 - l->len) {
		l->cut = true;
		return;
	}
	memcpy(l->out + l->len, s, n);
	l->len += n;
}

static bool needs_quotes(const char *a)
{
	if (!*a)
		return true;
	for (const unsigned char *c = (const unsigned char *)a; *c; c++)
		if (*c <= ' ' || *c == 0x7f || *c == '"' || *c == '\'' || *c == '\\')
			return true;
	return false;
}

static void line_arg(struct line *l, const char *a)
{
	static const char hex[] = "0123456789abcdef";
	bool q = needs_quotes(a);

	if (q)
		line_put(l, "\"", 1);
	for (const unsigned char *c = (const unsigned char *)a; *c && !l->cut; c++) {
		char esc[4] = { '\\', (char)*c };

		if (*c == '"' || *c == '\\') {
			line_put(l, esc, 2);
		} else if (*c < ' ' || *c == 0x7f) {
			esc[1] = 'x';
			esc[2] = hex[*c >> 4];
			esc[3] = hex[*c & 15];
			line_put(l, esc, 4);
		} else {
			/* A UTF-8 character goes in whole or not at all. */
			size_t n = 1;

			while (*c >= 0x80 && n < 4 && (c[n] & 0xc0) == 0x80)
				n++;
			line_put(l, (const char *)c, n);
			c += n - 1;
		}
	}
	if (q)
		line_put(l, "\"", 1);
}

void record_command_line(const struct record *r, char *out, size_t cap)
{
	const size_t ell = sizeof(ELLIPSIS) - 1;
	struct line l = { .out = out, .cap = cap };

	if (cap == 0)
		return;
	for (size_t i = 0; i < r->args.n && !l.cut; i++) {
		if (i > 0)
			line_put(&l, " ", 1);
		line_arg(&l, r->args.v[i]);
	}
	if (l.cut && cap > ell) {
		/* Make room for "…" and never leave half a UTF-8 character before it. */
		if (l.len > cap - 1 - ell) {
			l.len = cap - 1 - ell;
			while (l.len > 0 && ((unsigned char)out[l.len] & 0xc0) == 0x80)
				l.len--;
		}
		memcpy(out + l.len, ELLIPSIS, ell);
		l.len += ell;
	}
	out[l.len] = '\0';
}
