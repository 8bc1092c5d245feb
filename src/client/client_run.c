/*
 * client_run: `kettle run` and `kettle create` (layer 3, client role): their table (one
 * option list for both), docker's flags gathered into a container record request (each flag's value
 * is checked and converted by client_runflags.c), sent as CREATE; then, for run, START
 * and either the id (-d) or the container's output relayed until it exits
 * (client_session_attach); for create, the id.
 *
 * Invariants: every flag value is checked, and the whole request with record_validate,
 * before anything is sent, so a bad value costs one line and exit 125 and leaves nothing
 * behind. The argument list stops at the first non-option ("+"), so the container's own
 * flags are never taken for kettle's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "client/client.h"
#include "client/client_devices.h"
#include "client/client_runnet.h"
#include "logs/logfile.h"
#include "runtime/proc.h"
#include "store/record.h"
#include "base/str.h"
#include "image/imgref.h"

#define CPUS_PARSE_MAX 1000000 /* --cpus read up to this (thousandths), then held to the host */

struct run_args {
	const struct cli_cmd *cmd; /* client_run_cmd or client_create_cmd */
	bool run;		   /* `run` (else `create`) */
	bool detach;		   /* -d */
	const char *keys;	   /* --detach-keys, or NULL for ctrl-p,ctrl-q */
	const char *user;	   /* -u as given; resolved once the rootfs is known */
	bool no_health;		   /* --no-healthcheck */
	bool sig_proxy;		   /* --sig-proxy (default true) */
	uint64_t reconnect_ms;	   /* --reconnect-timeout */
	const char *entrypoint;	   /* --entrypoint (IMAGE only), or NULL */
	struct record rec;	   /* the create request being built; owned */
};

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
	OPT_SECURITY_OPT,
	OPT_DEVICE,
	OPT_DEVICE_CGROUP_RULE,
	OPT_GPUS,
	OPT_ISOLATION,
	OPT_SIG_PROXY,
	OPT_RECONNECT,
	OPT_STOP_SIGNAL,
	OPT_STOP_TIMEOUT,
	OPT_ENTRYPOINT,
};

static const struct cli_opt run_opts[] CLI_TABLE = {
	CLI_OPT('d', 'd', CLI_FLAG, 0, "detach", "",
		"Run in the background and print the container's id"),
	CLI_OPT('i', 'i', CLI_FLAG, 0, "interactive", "",
		"Keep stdin open (and relay ours when in the foreground)"),
	CLI_OPT('t', 't', CLI_FLAG, 0, "tty", "",
		"Allocate a terminal; ours goes raw while attached"),
	CLIENT_OPT_DETACH_KEYS(OPT_DETACH_KEYS),
	CLI_OPT(OPT_SIG_PROXY, 0, CLI_BOOL, 0, "sig-proxy", "",
		"Forward the signals kettle gets to the container (default true; "
		"--sig-proxy=false: a signal ends kettle, the container runs on)"),
	CLIENT_OPT_RECONNECT(OPT_RECONNECT),
	CLI_OPT(OPT_RM, 0, CLI_FLAG, 0, "rm", "", "Remove the container when it exits"),
	CLI_OPT(OPT_NAME, 0, CLI_STRING, 0, "name", "NAME",
		"Name the container (unique; generated when absent)"),
	CLIENT_OPT_ENV,
	CLI_OPT(OPT_ENV_FILE, 0, CLI_FILE, CLI_REPEAT, "env-file", "FILE",
		"Read variables from FILE, one KEY=VALUE per line"),
	CLIENT_OPT_WORKDIR,
	CLI_OPT('u', 'u', CLI_STRING, 0, "user", "UID[:GID]",
		"User and group, numeric or names from the rootfs or the image"),
	CLI_OPT('v', 'v', CLI_FILE, CLI_REPEAT, "volume", "HOST:CTR[:ro|rw]",
		"Bind mount a host path"),
	CLI_OPT(OPT_TMPFS, 0, CLI_STRING, CLI_REPEAT, "tmpfs", "PATH", "Mount a tmpfs at PATH"),
	CLI_OPT('h', 'h', CLI_STRING, 0, "hostname", "NAME", "Container host name"),
	CLI_OPT(OPT_NETWORK, 0, CLI_STRING, 0, "network", "MODE",
		"bridge (the daemon's default unless set with `kettle daemon --default-network`), "
		"none, host, container:NAME or ns:PATH"),
	CLIENT_RUNNET_OPTS,
	CLI_OPT('m', 'm', CLI_SIZE, 0, "memory", "SIZE", "Memory limit (e.g. 64m, 1g)"),
	CLI_OPT(OPT_CPUS, 0, CLI_NUMBER, 0, "cpus", "N", "CPU limit (e.g. 1.5)"),
	CLI_OPT(OPT_PIDS_LIMIT, 0, CLI_NUMBER, 0, "pids-limit", "N",
		"Process limit (-1 or 0: unlimited)"),
	CLI_OPT(OPT_READ_ONLY, 0, CLI_FLAG, 0, "read-only", "",
		"Mount the root filesystem read-only"),
	CLI_OPT(OPT_INIT, 0, CLI_FLAG, 0, "init", "",
		"Run kettle's init as PID 1: it reaps zombies and forwards signals to the command "
		"(a read-only copy at /dev/init)"),
	CLI_OPT(OPT_CAP_ADD, 0, CLI_STRING, CLI_REPEAT, "cap-add", "CAP",
		"Add a capability (or ALL)"),
	CLI_OPT(OPT_CAP_DROP, 0, CLI_STRING, CLI_REPEAT, "cap-drop", "CAP",
		"Drop a capability (or ALL)"),
	CLI_OPT(OPT_PRIVILEGED, 0, CLI_FLAG, 0, "privileged", "",
		"All capabilities, no masked paths, all devices"),
	CLI_OPT(OPT_DEVICE, 0, CLI_STRING, CLI_REPEAT, "device", "DEVICE",
		"A host device, HOST[:CONTAINER][:PERMISSIONS] (r, w, m; default rwm), made in the "
		"container with those permissions (its cgroup rule and its mode); or a CDI device "
		"vendor.com/class=name (or =all) from the daemon's CDI spec directories"),
	CLI_OPT(OPT_DEVICE_CGROUP_RULE, 0, CLI_STRING, CLI_REPEAT, "device-cgroup-rule", "RULE",
		"Allow devices by number: TYPE MAJOR:MINOR PERMISSIONS, e.g. 'c 1:3 rwm' (* for "
		"any number)"),
	CLI_OPT(OPT_GPUS, 0, CLI_STRING, CLI_REPEAT, "gpus", "GPUS",
		"NVIDIA GPUs as CDI devices nvidia.com/gpu=…: all, a count N (the first N), or "
		"'\"device=ID,ID\"' (docker's syntax)"),
	CLI_OPT('l', 'l', CLI_STRING, CLI_REPEAT, "label", "KEY=VALUE", "Set a label"),
	CLI_OPT(OPT_RUNTIME, 0, CLI_FILE, 0, "runtime", "PATH",
		"OCI runtime binary (default: the daemon's)"),
	CLI_OPT(OPT_ROOTFS, 0, CLI_DIR, 0, "rootfs", "DIR",
		"Root filesystem; kettle writes the bundle's config.json"),
	CLI_OPT(OPT_BUNDLE, 0, CLI_DIR, 0, "bundle", "DIR",
		"OCI bundle whose config.json is used as it is"),
	CLI_OPT(OPT_ISOLATION, 0, CLI_CHOICE, 0, "isolation", "default|host",
		"host: no container, the command runs directly on the host (kettle's host "
		"runtime), still supervised, logged, restarted and health-checked; needs no "
		"--rootfs"),
	CLI_OPT(OPT_ENTRYPOINT, 0, CLI_STRING, 0, "entrypoint", "CMD",
		"With an IMAGE: run CMD instead of its Entrypoint (and drop its Cmd); \"\" "
		"clears it"),
	CLI_OPT(OPT_RESTART, 0, CLI_STRING, 0, "restart", "POLICY",
		"no (default), on-failure[:MAX], always or unless-stopped (docker's meanings; the "
		"shim restarts it even while the daemon is down; stop, kill and rm end "
		"supervision)"),
	CLI_OPT(OPT_RESTART_DELAY, 0, CLI_DURATION, 0, "restart-delay", "D",
		"Crash-loop backoff: the first restart is at once, the next after D (default 10s), "
		"doubling each time..."),
	CLI_OPT(OPT_RESTART_MAX_DELAY, 0, CLI_DURATION, 0, "restart-max-delay", "D",
		"...up to D (default 5m)..."),
	CLI_OPT(OPT_RESTART_RESET, 0, CLI_DURATION, 0, "restart-reset", "D",
		"...until a run lasts D (default 10m): the kubelet's sequence, not docker's "
		"100ms/1m/10s, so a container that crashes after 11s is not restarted every 100ms "
		"forever. Durations like 50ms, 10s, 5m; defaults set by the daemon"),
	CLI_OPT(OPT_LOG_MAX_SIZE, 0, CLI_SIZE, 0, "log-max-size", "SIZE",
		"Rotate ctr.log at SIZE (default 10m, set by the daemon)"),
	CLI_OPT(OPT_LOG_MAX_FILES, 0, CLI_NUMBER, 0, "log-max-files", "N",
		"Log files kept, the current one included (default 3)"),
	CLI_OPT(OPT_HEALTH_CMD, 0, CLI_STRING, 0, "health-cmd", "CMD",
		"Health check, run in the container as `/bin/sh -c CMD` by the shim (so it goes on "
		"while the daemon is down); exit 0 means healthy"),
	CLI_OPT(OPT_HEALTH_INTERVAL, 0, CLI_DURATION, 0, "health-interval", "D",
		"Time between checks (default 30s)"),
	CLI_OPT(OPT_HEALTH_TIMEOUT, 0, CLI_DURATION, 0, "health-timeout", "D",
		"A check running longer is killed and fails (default 30s)"),
	CLI_OPT(OPT_HEALTH_RETRIES, 0, CLI_NUMBER, 0, "health-retries", "N",
		"Failures in a row that make it unhealthy (default 3)"),
	CLI_OPT(OPT_HEALTH_START_PERIOD, 0, CLI_DURATION, 0, "health-start-period", "D",
		"Failures in this time after a start do not count until a check passed (default "
		"0s)"),
	CLI_OPT(OPT_HEALTH_ON_FAILURE, 0, CLI_CHOICE, 0, "health-on-failure",
		"none|kill|restart|stop",
		"Once unhealthy: none (default), kill, restart (through the restart backoff, "
		"whatever the policy) or stop"),
	CLI_OPT(OPT_NO_HEALTHCHECK, 0, CLI_FLAG, 0, "no-healthcheck", "",
		"No health check (conflicts with --health-*)"),
	CLI_OPT(OPT_SECURITY_OPT, 0, CLI_STRING, CLI_REPEAT, "security-opt", "OPT",
		"seccomp=unconfined, seccomp=builtin (the default profile, docker's in effect) or "
		"seccomp=PATH (a profile in docker's JSON format, checked at create), and "
		"no-new-privileges[=true|false]. --privileged runs without a filter"),
	CLI_OPT(OPT_STOP_SIGNAL, 0, CLI_STRING, 0, "stop-signal", "SIGNAL",
		"Signal that stops it: `kettle stop` and the daemon's shutdown as PID 1 "
		"(default SIGTERM)"),
	CLI_OPT(OPT_STOP_TIMEOUT, 0, CLI_NUMBER, 0, "stop-timeout", "SECONDS",
		"Grace period before SIGKILL at the daemon's shutdown as PID 1 (default 10)"),
};

const struct cli_cmd client_run_cmd CLI_TABLE = {
	.name = "run",
	.summary = "Create and start a container",
	.synopsis = "kettle run [OPTIONS] (IMAGE | --rootfs DIR | --bundle DIR) [--] "
		    "[COMMAND [ARG...]]",
	.description =
		"Create and start a container: from an IMAGE (kettle load), whose "
		"Entrypoint, Cmd, Env, WorkingDir and User apply as docker applies them, "
		"or from a root filesystem directory or an OCI bundle. Without -d, its "
		"stdout and stderr are relayed as they arrive, every signal kettle can catch "
		"is forwarded to it (but SIGCHLD, SIGPIPE, SIGWINCH, a resize, and SIGTSTP, "
		"SIGTTIN, SIGTTOU), and kettle exits with its exit code, across a restart of "
		"the daemon too; with -d the full id is printed.",
	.opts = run_opts,
	.nopts = CLI_COUNT(run_opts),
	.pos = { .max = CLI_ARGS_MANY, .first = CLI_ANYTHING, .rest = CLI_ANYTHING },
};

const struct cli_cmd client_create_cmd CLI_TABLE = {
	.name = "create",
	.summary = "Create a container without starting it",
	.synopsis = "kettle create [OPTIONS] (IMAGE | --rootfs DIR | --bundle DIR) [--] "
		    "[COMMAND [ARG...]]",
	.description = "Create a container without starting it and print its full id. The "
		       "options are those of `kettle run` except -d (see `kettle run --help`).",
	.opts = run_opts,
	.nopts = CLI_COUNT(run_opts),
	.flags = CLI_OPTIONS_ELSEWHERE,
	.pos = { .max = CLI_ARGS_MANY, .first = CLI_ANYTHING, .rest = CLI_ANYTHING },
};

/* --stop-signal and --stop-timeout (docker's). */
static int stop_option(const struct cli_cmd *cmd, struct record *r, int id, const char *val)
{
	struct kerr err;
	uint64_t n;

	if (id == OPT_STOP_SIGNAL) {
		if (proc_signal_parse(val, &r->stop_signal, &err) < 0)
			return client_usage_error(cmd, "--stop-signal: %s", err.msg);
		return 0;
	}
	if (id == OPT_STOP_TIMEOUT) {
		if (str_to_u64(val, RECORD_STOP_TIMEOUT_MAX / 1000, &n, &err) < 0)
			return client_usage_error(cmd,
						  "--stop-timeout `%s` is out of range, expected "
						  "0..%lld seconds",
						  val, RECORD_STOP_TIMEOUT_MAX / 1000);
		r->stop_timeout_ms = (int64_t)n * 1000;
	}
	return 0;
}

/* The --health-* options and the rest of run_option's ids. */
static int health_option(const struct cli_cmd *cmd, struct run_args *a, int id, const char *val)
{
	struct record *r = &a->rec;
	struct kerr err;
	uint64_t n;

	switch (id) {
	case OPT_HEALTH_CMD:
		free(r->health_cmd);
		r->health_cmd = strdup(val);
		return r->health_cmd ? 0 : client_runflags_out_of_memory();
	case OPT_HEALTH_INTERVAL:
		return client_runflags_health_duration(cmd, "--health-interval", val,
						       &r->health_interval_ms);
	case OPT_HEALTH_TIMEOUT:
		return client_runflags_health_duration(cmd, "--health-timeout", val,
						       &r->health_timeout_ms);
	case OPT_HEALTH_START_PERIOD:
		return client_runflags_health_duration(cmd, "--health-start-period", val,
						       &r->health_start_period_ms);
	case OPT_HEALTH_RETRIES:
		if (str_to_u64(val, RECORD_HEALTH_RETRIES_MAX, &n, &err) < 0)
			return client_usage_error(cmd,
						  "--health-retries `%s` is out of range, expected "
						  "0..%u (0: the default, 3)",
						  val, RECORD_HEALTH_RETRIES_MAX);
		r->health_retries = (uint32_t)n;
		return 0;
	case OPT_HEALTH_ON_FAILURE:
		if (record_health_action_parse(val, &r->health_on_failure, &err) < 0)
			return client_usage_error(cmd, "--health-on-failure: %s", err.msg);
		return 0;
	case OPT_NO_HEALTHCHECK:
		a->no_health = true;
		return 0;
	case OPT_ENTRYPOINT:
		a->entrypoint = val;
		return 0;
	default:
		return stop_option(cmd, r, id, val);
	}
}

/* One option (client_opt_fn); returns 0 or the exit code after printing. */
static int run_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct run_args *a = ctx;
	struct record *r = &a->rec;
	struct kerr err;
	uint64_t u;
	int64_t i;

	switch (id) {
	case 'd':
		if (!a->run)
			return client_usage_error(cmd, "-d/--detach is for `kettle run`; `kettle "
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
	case OPT_SIG_PROXY:
	case OPT_RECONNECT:
		if (!a->run)
			return client_usage_error(cmd,
						  "--%s is for `kettle run`; `kettle create` "
						  "never attaches",
						  id == OPT_SIG_PROXY ? "sig-proxy"
								      : "reconnect-timeout");
		if (id == OPT_SIG_PROXY) {
			a->sig_proxy = cli_bool(val);
			return 0;
		}
		return client_redial_option(cmd, val, &a->reconnect_ms);
	case OPT_RM:
		r->auto_remove = true;
		return 0;
	case OPT_NAME:
		if (ids_check_name(val, &err) < 0)
			return client_usage_error(cmd, "--name: %s", err.msg);
		str_copy(r->name, sizeof(r->name), val);
		return 0;
	case 'e':
		return client_runflags_add_env(cmd, r, val, "--env");
	case OPT_ENV_FILE:
		return client_runflags_add_env_file(cmd, r, val);
	case 'w':
		if (val[0] != '/')
			return client_usage_error(cmd,
						  "--workdir `%s` is not an absolute path, "
						  "expected one starting with /",
						  val);
		free(r->workdir);
		r->workdir = strdup(val);
		return r->workdir ? 0 : client_runflags_out_of_memory();
	case 'u':
		a->user = val;
		return 0;
	case 'v':
		return client_runflags_add_volume(cmd, r, val);
	case OPT_TMPFS:
		if (val[0] != '/' || strchr(val, ':'))
			return client_usage_error(cmd,
						  "invalid --tmpfs `%s`, expected an absolute "
						  "container path (mount options are not "
						  "supported)",
						  val);
		return client_runflags_strv_push(&r->tmpfs, strdup(val));
	case 'h':
		free(r->hostname);
		r->hostname = strdup(val);
		return r->hostname ? 0 : client_runflags_out_of_memory();
	case OPT_NETWORK:
		return client_runflags_set_network(cmd, r, val);
	case 'm':
		if (str_parse_size(val, &u, &err) < 0)
			return client_usage_error(cmd, "--memory: %s", err.msg);
		r->memory_bytes = u;
		return 0;
	case OPT_CPUS: {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n < 1)
			n = 1;
		if (str_parse_milli(val, CPUS_PARSE_MAX, &u, &err) < 0)
			return client_usage_error(cmd, "--cpus: %s", err.msg);
		if (u == 0)
			return client_usage_error(cmd,
						  "--cpus `%s` is zero, expected 0.01 to %ld "
						  "(the CPUs available)",
						  val, n);
		if (record_check_cpus(u, n, &err) < 0)
			return client_usage_error(cmd, "--cpus: %s", err.msg);
		r->cpus_milli = u;
		return 0;
	}
	case OPT_PIDS_LIMIT:
		if (str_to_i64(val, -1, INT64_MAX, &i, &err) < 0)
			return client_usage_error(cmd, "--pids-limit: %s (-1 and 0 mean unlimited)",
						  err.msg);
		r->pids_limit = i;
		return 0;
	case OPT_READ_ONLY:
		r->read_only = true;
		return 0;
	case OPT_INIT:
		r->init = true;
		return 0;
	case OPT_CAP_ADD:
		return client_runflags_add_cap(cmd, &r->cap_add, "--cap-add", val);
	case OPT_CAP_DROP:
		return client_runflags_add_cap(cmd, &r->cap_drop, "--cap-drop", val);
	case OPT_PRIVILEGED:
		r->privileged = true;
		return 0;
	case OPT_SECURITY_OPT:
		return client_secopt_parse(cmd, r, val);
	case 'l':
		if (val[0] == '\0' || val[0] == '=')
			return client_usage_error(cmd, "invalid --label `%s`, expected KEY=VALUE",
						  val);
		return client_runflags_strv_push(
			&r->labels,
			strchr(val, '=') ? strdup(val) : client_runflags_concat3(val, "=", ""));
	case OPT_RUNTIME:
		return client_runflags_set_runtime(cmd, r, val);
	case OPT_ROOTFS:
		return client_runflags_abs_flag(cmd, "--rootfs", val, &r->rootfs);
	case OPT_BUNDLE:
		return client_runflags_abs_flag(cmd, "--bundle", val, &r->bundle);
	case OPT_ISOLATION:
		if (strcmp(val, "host") != 0 && strcmp(val, "default") != 0)
			return client_usage_error(
				cmd,
				"--isolation `%s` is unknown, expected default or "
				"host",
				val);
		r->isolation_host = strcmp(val, "host") == 0;
		return 0;
	case OPT_RESTART:
		if (restart_parse(val, &r->restart, &err) < 0)
			return client_usage_error(cmd, "--restart: %s", err.msg);
		return 0;
	case OPT_RESTART_DELAY:
		return client_runflags_restart_duration(cmd, "--restart-delay", val,
							&r->restart_delay_ms);
	case OPT_RESTART_MAX_DELAY:
		return client_runflags_restart_duration(cmd, "--restart-max-delay", val,
							&r->restart_max_delay_ms);
	case OPT_RESTART_RESET:
		return client_runflags_restart_duration(cmd, "--restart-reset", val,
							&r->restart_reset_ms);
	case OPT_LOG_MAX_SIZE:
		if (str_parse_size(val, &r->log_max_size, &err) < 0)
			return client_usage_error(cmd, "--log-max-size: %s", err.msg);
		if (r->log_max_size < LOGFILE_MIN_SIZE || r->log_max_size > LOGFILE_MAX_SIZE)
			return client_usage_error(cmd,
						  "--log-max-size `%s` is out of range, expected "
						  "1k to 1t",
						  val);
		return 0;
	case OPT_LOG_MAX_FILES:
		if (str_to_u64(val, LOGFILE_MAX_FILES, &u, &err) < 0 || u == 0)
			return client_usage_error(cmd,
						  "--log-max-files `%s` is out of range, expected "
						  "1..%u",
						  val, LOGFILE_MAX_FILES);
		r->log_max_files = (uint32_t)u;
		return 0;
	case OPT_DEVICE:
		return client_devices_option(cmd, r, CLIENT_DEVICES_DEVICE, val);
	case OPT_DEVICE_CGROUP_RULE:
		return client_devices_option(cmd, r, CLIENT_DEVICES_CGROUP_RULE, val);
	case OPT_GPUS:
		return client_devices_option(cmd, r, CLIENT_DEVICES_GPUS, val);
	default:
		if (client_runnet_is(id))
			return client_runnet_option(cmd, r, id, val);
		return health_option(cmd, a, id, val);
	}
}

/* `run IMAGE`: the reference, and the flags the daemon resolves against the image (-u names
 * are looked up in the image's own /etc/passwd; --entrypoint and --no-healthcheck change
 * what the image gives). */
static int image_request(const struct cli_cmd *cmd, struct run_args *a, const char *ref)
{
	struct record_image *im = &a->rec.image;
	struct imgref r;
	struct kerr err;

	if (imgref_parse(ref, &r, &err) < 0 && !imgref_id_prefix(ref, &(const char *){ NULL }))
		return client_usage_error(cmd, "%s", err.msg);
	im->ref = strdup(ref);
	if (!im->ref)
		return client_runflags_out_of_memory();
	if (a->user) {
		im->user = strdup(a->user);
		if (!im->user)
			return client_runflags_out_of_memory();
	}
	im->no_healthcheck = a->no_health;
	if (a->entrypoint) {
		im->entrypoint_set = true;
		if (a->entrypoint[0] &&
		    client_runflags_strv_push(&im->entrypoint, strdup(a->entrypoint)) != 0)
			return CLIENT_EXIT_FAIL;
	}
	return 0;
}

/* Returns -1 to go on, else the exit code (0 after --help). */
static int parse_run_args(int argc, char **argv, struct run_args *a)
{
	const struct cli_cmd *cmd = a->cmd;
	struct client_args args;
	struct kerr err;
	int rc = client_parse(cmd, argc, argv, run_option, a, &args);

	if (rc >= 0)
		return rc;
	struct record *r = &a->rec;
	/* A host command's root is the host's own. */
	if (r->isolation_host && !r->rootfs && !r->bundle && !(r->rootfs = strdup("/")))
		return client_runflags_out_of_memory();
	/* ... and its network the host's as it is: no namespace, no bridge of the daemon's. */
	if (r->isolation_host && r->network == RECORD_NET_DEFAULT)
		r->network = RECORD_NET_NONE;
	int first = 0;
	if (!r->rootfs && !r->bundle) {
		/* docker's form: the first argument is the image, the rest its command. */
		if (args.n == 0)
			return client_usage_error(cmd, "an IMAGE, --rootfs DIR or --bundle DIR is "
						       "required");
		rc = image_request(cmd, a, args.v[0]);
		if (rc)
			return rc;
		first = 1;
	} else if (a->entrypoint) {
		return client_usage_error(cmd, "--entrypoint is for an IMAGE: with --rootfs or "
					       "--bundle the command is given as it is");
	}
	if (r->rootfs && r->bundle)
		return client_usage_error(cmd, "--rootfs and --bundle cannot be used together");
	if (r->rootfs && args.n == 0)
		return client_usage_error(cmd, "a command is required with --rootfs");
	for (int k = first; k < args.n; k++)
		if (client_runflags_strv_push(&r->args, strdup(args.v[k])) != 0)
			return CLIENT_EXIT_FAIL;
	if (a->user && !r->image.ref &&
	    (rc = client_runflags_resolve_user(cmd, &a->rec, a->user)) != 0)
		return rc;
	if (a->no_health &&
	    (r->health_cmd || r->health_interval_ms || r->health_timeout_ms ||
	     r->health_start_period_ms || r->health_retries || r->health_on_failure))
		return client_usage_error(cmd, "--no-healthcheck conflicts with --health-* "
					       "options");
	if (a->keys) {
		uint8_t keys[CLIENT_DETACH_KEYS_MAX];
		size_t n;

		if (client_detach_keys_parse(a->keys, keys, &n, &err) < 0)
			return client_usage_error(cmd, "--detach-keys: %s", err.msg);
	}
	if (a->run && !a->detach && r->tty && r->stdin_open && !isatty(STDIN_FILENO))
		return client_usage_error(cmd, "the input device is not a TTY: -t with -i needs a "
					       "terminal on stdin (use -i alone for pipes)");
	if (record_validate(r, true, &err) < 0)
		return client_usage_error(cmd, "%s", err.msg);
	return -1;
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

/* run in the foreground: the session of client_session.c relays its output (and with -i
 * our stdin, with -t through a terminal), forwards signals, and returns its exit code. */
static int run_session(struct client *cl, const struct run_args *a, const char *id)
{
	struct client_session o = {
		.id = id,
		.start = true,
		.want_stdin = a->rec.stdin_open,
		.sig_proxy = a->sig_proxy,
		.proxy_tty = true,
		.reconnect_ms = a->reconnect_ms,
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

static int run_or_create(int argc, char **argv, const struct cli_cmd *cmd, bool run)
{
	struct run_args a = {
		.cmd = cmd,
		.run = run,
		.sig_proxy = true,
		.reconnect_ms = CLIENT_RECONNECT_DEFAULT_MS,
	};
	struct client cl;
	char id[IDS_ID_LEN + 1] = "", name[IDS_NAME_MAX + 1] = "";
	int rc;

	record_init(&a.rec);
	/* No --network: the daemon's default, which only the daemon knows. */
	a.rec.network = RECORD_NET_DEFAULT;
	rc = parse_run_args(argc, argv, &a);
	if (rc >= 0) {
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

int client_run_main(int argc, char **argv)
{
	return run_or_create(argc, argv, &client_run_cmd, true);
}

int client_create_main(int argc, char **argv)
{
	return run_or_create(argc, argv, &client_create_cmd, false);
}
