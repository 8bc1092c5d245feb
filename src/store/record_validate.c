/*
 * record_validate: every invariant of a container record (mechanism M3).
 *
 * record_validate checks a record field by field, whether it came from a create request
 * or from record.json: exactly one of rootfs and bundle, absolute paths without NUL or
 * "..", mount points distinct, env and labels KEY=VALUE, known capabilities, limits,
 * restart, log and health settings in range. Each failure names the flag and what was
 * allowed, with user strings shown through record_shown. Pure checks: nothing allocates,
 * logs, prints or touches the filesystem.
 */
#include <stdint.h>
#include <string.h>

#include "logs/logfile.h"
#include "store/record.h"

#define MIB	       (1024u * 1024u)
/* docker's floor for --memory: "Minimum memory limit allowed is 6MB". */
#define MEMORY_MIN     (6u * MIB)
/* docker's ceiling for --cpus is the host's CPU count; ours is a fixed sanity bound. */
#define CPUS_MILLI_MAX (1024u * 1000u)
/* sethostname(2) takes at most HOST_NAME_MAX (64) bytes. */
#define HOSTNAME_MAX   64

/* ---- validation ---- */

/* A path on the host: absolute. */
static int check_host_path(const char *what, const char *path, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];

	if (path[0] != '/')
		return kerr_set(err, 0,
				"%s `%s` is not an absolute path, expected one starting with /",
				what, record_shown(q, path));
	if (strlen(path) > RECORD_STR_MAX)
		return kerr_set(err, 0, "%s of %zu bytes exceeds limit %u", what, strlen(path),
				RECORD_STR_MAX);
	return 0;
}

/* A path inside the container: absolute, and no ".." component that could climb out. */
static int check_ctr_path(const char *what, const char *path, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];

	if (check_host_path(what, path, err) < 0)
		return -1;
	for (const char *c = path; *c;) {
		size_t len = strcspn(c, "/");

		if (len == 2 && c[0] == '.' && c[1] == '.')
			return kerr_set(err, 0,
					"%s `%s` has a `..` component, expected a path without one",
					what, record_shown(q, path));
		c += len;
		c += strspn(c, "/");
	}
	return 0;
}

/* A mount point: a container path other than the root itself. */
static int check_mount_point(const char *what, const char *path, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];

	if (check_ctr_path(what, path, err) < 0)
		return -1;
	if (path[strspn(path, "/")] == '\0')
		return kerr_set(err, 0, "%s `%s` is the container's root, expected a path below /",
				what, record_shown(q, path));
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
	char q[4 * RECORD_SHOWN_MAX + 4];

	if (check_list(what, v, err) < 0)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		const char *eq = strchr(v->v[i], '=');

		if (!eq)
			return kerr_set(err, 0, "%s entry `%s` has no `=`, expected KEY=VALUE",
					what, record_shown(q, v->v[i]));
		if (eq == v->v[i])
			return kerr_set(err, 0,
					"%s entry `%s` has an empty key, expected KEY=VALUE", what,
					record_shown(q, v->v[i]));
	}
	return 0;
}

static int check_caps(const char *what, const struct record_strv *v, struct kerr *err)
{
	char canon[RECORD_CAP_NAME_MAX + 1];
	char q[4 * RECORD_SHOWN_MAX + 4];

	if (check_list(what, v, err) < 0)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		if (record_canonical_cap(v->v[i], canon, sizeof(canon), err) < 0)
			return kerr_wrap(err, "%s", what);
		if (strcmp(canon, v->v[i]) != 0)
			return kerr_set(
				err, 0,
				"%s: capability `%s` is not in canonical form, expected `%s`", what,
				record_shown(q, v->v[i]), canon);
	}
	return 0;
}

static int check_hostname(const char *h, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];
	size_t n = strlen(h);

	if (n == 0 || n > HOSTNAME_MAX)
		return kerr_set(err, 0, "hostname `%s` is %zu bytes long, expected 1 to %d",
				record_shown(q, h), n, HOSTNAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = h[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-'))
			return kerr_set(err, 0,
					"invalid hostname `%s`, only [a-zA-Z0-9.-] is allowed",
					record_shown(q, h));
	}
	return 0;
}

static int check_mounts(const struct record *r, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];
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
						record_shown(q, a));
		}
	}
	return 0;
}

static int check_identity(const struct record *r, bool request, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];

	if (!request && r->id[0] == '\0')
		return kerr_set(err, 0, "container record has no id");
	if (r->id[0] != '\0' && !ids_is_id(r->id))
		return kerr_set(err, 0, "container id `%s` is not 64 lowercase hex characters",
				record_shown(q, r->id));
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

	if ((int)r->health_on_failure < 0 || (int)r->health_on_failure >= RECORD_HEALTH_ACTIONS)
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
		/* An image may bring the check these options tune (the daemon merges them). */
		if (!r->image.ref &&
		    (r->health_interval_ms || r->health_timeout_ms || r->health_start_period_ms ||
		     r->health_retries || r->health_on_failure != RECORD_HEALTH_NONE))
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

/* --security-opt seccomp=: a name, or a profile file by its absolute host path. */
static int check_seccomp(const struct record *r, struct kerr *err)
{
	char q[4 * RECORD_SHOWN_MAX + 4];

	if (r->bundle && (r->seccomp || r->no_new_privileges))
		return kerr_set(err, 0,
				"--security-opt needs --rootfs (a --bundle's config.json is used "
				"as it is)");
	if (!r->seccomp || !record_seccomp_is_path(r))
		return 0;
	if (r->seccomp[0] != '/')
		return kerr_set(err, 0,
				"--security-opt seccomp=`%s` is neither builtin, unconfined nor an "
				"absolute path",
				record_shown(q, r->seccomp));
	return check_host_path("--security-opt seccomp=", r->seccomp, err);
}

/* --isolation host: nothing that needs a container (namespaces, mounts, cgroups). */
static int check_isolation(const struct record *r, struct kerr *err)
{
	const char *flag = NULL;

	if (!r->isolation_host)
		return 0;
	if (r->runtime)
		flag = "--runtime";
	else if (r->rootfs && strcmp(r->rootfs, "/") != 0)
		flag = "--rootfs";
	else if (r->init)
		flag = "--init";
	else if (r->nmounts || r->tmpfs.n)
		flag = "--volume or --tmpfs";
	else if (r->read_only || r->privileged || r->cap_add.n || r->cap_drop.n)
		flag = "--read-only, --privileged or --cap-*";
	else if (r->network != RECORD_NET_NONE || r->hostname)
		flag = "--network or --hostname";
	else if (r->memory_bytes || r->cpus_milli || r->pids_limit > 0)
		flag = "--memory, --cpus or --pids-limit";
	else if (record_seccomp_is_path(r) || r->no_new_privileges)
		flag = "--security-opt";
	else if (!record_dev_empty(&r->dev))
		flag = "--device, --device-cgroup-rule or --gpus";
	if (!flag)
		return 0;
	return kerr_set(err, 0,
			"--isolation host runs the command on the host, without a container: %s "
			"needs one",
			flag);
}

int record_validate(const struct record *r, bool request, struct kerr *err)
{
	if (check_identity(r, request, err) < 0)
		return -1;
	if (check_isolation(r, err) < 0)
		return -1;
	if (record_image_validate(r, request, err) < 0)
		return -1;
	/* A request names its image instead; the daemon sets rootfs to the mount point. */
	bool image_request = request && r->image.ref;
	if (!r->rootfs && !r->bundle && !image_request)
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
	if (r->init && !r->rootfs && !image_request)
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
	case RECORD_NET_BRIDGE:
	case RECORD_NET_CONTAINER:
	case RECORD_NET_DEFAULT:
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
				"--network mode %d is unknown, expected none, host, bridge, "
				"container:NAME or ns:PATH",
				(int)r->network);
	}
	if (record_net_validate(r, request, err) < 0)
		return -1;
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
	if (check_seccomp(r, err) < 0)
		return -1;
	if (record_dev_validate(r, err) < 0)
		return -1;
	if (r->stop_signal < 0 || r->stop_signal > RECORD_STOP_SIGNAL_MAX)
		return kerr_set(err, 0, "--stop-signal %d is out of range, expected 1..%d",
				r->stop_signal, RECORD_STOP_SIGNAL_MAX);
	if (r->stop_timeout_ms < -1 || r->stop_timeout_ms > RECORD_STOP_TIMEOUT_MAX)
		return kerr_set(err, 0,
				"--stop-timeout of %lld ms is out of range, expected 0 to "
				"a day",
				(long long)r->stop_timeout_ms);
	return 0;
}

/* ---- against the host ---- */

int record_check_cpus(uint64_t cpus_milli, long host_cpus, struct kerr *err)
{
	/* docker's floor is 0.01: what Windows can do, and it keeps Linux's consistent. */
	if (host_cpus < 1)
		host_cpus = 1;
	if (cpus_milli == 0 || (cpus_milli >= 10 && cpus_milli <= (uint64_t)host_cpus * 1000))
		return 0;
	return kerr_set(
		err, 0,
		"Range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs available",
		host_cpus, host_cpus);
}
